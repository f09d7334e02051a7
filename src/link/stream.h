/* SPDX-License-Identifier: MIT */
/*
 * link/stream.h: a link over a byte stream (a stream socket, a pair of
 * pipes). The engine here frames messages (link/frame.h), keeps a small
 * read buffer so that a small message usually costs one read, reads large
 * bodies straight into the message, passes descriptors where the
 * transport can, and says goodbye on close. A transport supplies two byte
 * operations and fills the caps; everything else is shared.
 *
 * A transport embeds `struct ipcx__stream` as the first member of its link
 * object (so the link, the stream and the transport's object have one
 * address), calls ipcx__stream_init() once its descriptors are ready and
 * points its transport table's send/recv/arm/close at the functions below.
 *
 * Guarantees:
 *   - A send puts the whole frame into the stream or nothing. When the
 *     deadline passes after part of a frame went, the rest is kept and sent
 *     first by the next send (or by close): the message counts as sent and
 *     the stream never carries half a frame followed by another one.
 *   - A receive that times out in the middle of a frame keeps what it has;
 *     the next receive continues.
 *   - Close hands the goodbye frame to the kernel, waiting at most
 *     IPCX__STREAM_LINGER_MS for room when the peer is slow to read. A peer
 *     that took nothing for that long sees end of stream without goodbye
 *     (IPCX_EPEERDEAD) instead of IPCX_ECLOSED.
 *   - Descriptors travel with a frame's first byte. On a receive they are
 *     queued as they arrive and taken by the header that declares them; a
 *     peer that sends descriptors no header claims, or more than a frame may
 *     carry, gets IPCX_EPROTO.
 * Threads: one sender and one receiver may run at once.
 */
#ifndef IPCX_LINK_STREAM_H
#define IPCX_LINK_STREAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "link/frame.h"
#include "link/link.h"

#define IPCX__STREAM_LINGER_MS 1000
#define IPCX__STREAM_RBUF      (64u * 1024u) /* read buffer per link */
#define IPCX__STREAM_PEND_FDS  (2u * IPCX_MSG_MAX_FDS)

struct ipcx__stream;

struct ipcx__stream_io {
    /*
     * Writes the `iovcnt` (<= 3) buffers, with the descriptors attached to
     * the first byte (nfds is 0 unless caps has IPCX_LINK_FDS). Returns the
     * bytes written, fewer than asked when the deadline passed or an error
     * came after part went, or a negative code when nothing went
     * (IPCX_ETIMEDOUT at the deadline, IPCX_EPIPE / IPCX_ECONNRESET when the
     * peer is gone).
     */
    ssize_t (*writev)(struct ipcx__stream *s, const struct iovec *iov, int iovcnt, const int *fds,
                      size_t nfds, const struct ipcx__deadline *dl);
    /*
     * Reads 1 to `len` bytes, waiting until the deadline. Descriptors that
     * arrive are stored in `fds` (room for `fds_cap`), their count in
     * *nfds. Returns the count, 0 at end of stream, or a negative code
     * (IPCX_ETIMEDOUT, IPCX_ECTRUNC when descriptors did not fit, ...).
     */
    ssize_t (*read)(struct ipcx__stream *s, void *buf, size_t len, int *fds, size_t fds_cap,
                    size_t *nfds, const struct ipcx__deadline *dl);
    /* Releases the transport's descriptors and frees the object. */
    void (*destroy)(struct ipcx__stream *s);
};

struct ipcx__stream {
    struct ipcx_link base;
    const struct ipcx__stream_io *io;

    /* Receiving (the receiving thread only). */
    uint8_t *rbuf;
    size_t rpos, rend;
    bool have_hdr;
    struct ipcx__frame hdr;
    uint8_t *body; /* a large body being read straight into the message */
    size_t body_got;
    int fds[IPCX_MSG_MAX_FDS]; /* descriptors of the frame in progress */
    unsigned nfds;
    int pend[IPCX__STREAM_PEND_FDS]; /* arrived before their header was read */
    unsigned npend;
    int rstate; /* 0, IPCX_ECLOSED or IPCX_EPEERDEAD once the end was seen */
    bool big;   /* the last body was read straight into its message */

    /* Sending (the sending thread only). */
    uint8_t *tail; /* the unsent rest of a frame */
    size_t tail_len, tail_off;
    int wstate; /* 0, or the code every later send returns */

    atomic_bool goodbye; /* the peer's goodbye was received */
};

/*
 * Prepares `s` (zeroed by the caller, base.tp, base.caps and base.fd
 * set). Returns 0.
 */
int ipcx__stream_init(struct ipcx__stream *s, const struct ipcx__stream_io *io);

/* The link operations (see link/link.h). */
int ipcx__stream_send(struct ipcx_link *k, const struct ipcx_msg *m,
                      const struct ipcx__deadline *dl);
int ipcx__stream_recv(struct ipcx_link *k, struct ipcx_msg *m, const struct ipcx__deadline *dl);
int ipcx__stream_flush(struct ipcx_link *k, const struct ipcx__deadline *dl);
int ipcx__stream_arm(struct ipcx_link *k);
void ipcx__stream_close(struct ipcx_link *k);

/* The default largest message of the byte-stream transports (16 MiB). */
#define IPCX__STREAM_MAX_MSG (16u * 1024u * 1024u)

/*
 * The largest message for `opts`: its max_msg, or the default. IPCX_EINVAL
 * when it is more than a frame can declare (UINT32_MAX).
 */
int ipcx__stream_max_msg(const struct ipcx_link_opts *opts, size_t *out);

#endif
