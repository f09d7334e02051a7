/* SPDX-License-Identifier: MIT */
/*
 * transport/fifo.c: the fifo:///path transport, one way, over a FIFO
 * (mech/fifo.c). The path must be absolute.
 *
 * The listener creates the FIFO exclusively (mode 0600 or opts->mode) and
 * opens it for reading; its one link (link/oneway.h) receives, and any
 * number of dialers open it for writing (waiting up to their timeout for a
 * reader) and share it.
 *
 * Framing: a FIFO is one byte stream shared by every writer. A message is
 * the link/minihdr.h header and the body, written with ONE write() of at
 * most PIPE_BUF bytes, which the kernel makes atomic: the messages of
 * several dialers never interleave. Hence the largest body is PIPE_BUF
 * less the header (4072 bytes on Linux); opts->max_msg above that gives
 * IPCX_EINVAL, a smaller one lowers that end's own limit. The reader
 * buffers what it reads and checks each header (the length against the
 * largest body) before it waits for the body; a stream that does not
 * parse is IPCX_EPROTO: a byte stream cannot be resynchronised.
 *
 * End of file: a FIFO's reader sees end of file whenever its last writer
 * goes, and a non-blocking reader would then spin on it until the next
 * dialer. The receiving link therefore keeps a writer of its own open
 * (opened right after the reader): the stream never ends while the link
 * lives, dialers come and go freely, and the link never reports
 * IPCX_ECLOSED or dialers' deaths (no IPCX_LINK_PEER_DEATH). When the
 * receiving link closes, the FIFO has no reader: a dialer's next send gets
 * IPCX_EPEERDEAD (EPIPE, without SIGPIPE), whether the reader closed or
 * died.
 *
 * Closing the listener removes the path, if it still names the FIFO the
 * listener made (device and inode checked); the link keeps receiving.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>
#include <ipcx/fifo.h>

#include "link/link.h"
#include "link/minihdr.h"
#include "link/oneway.h"
#include "sys/fd.h"
#include "sys/fileid.h"
#include "sys/path.h"

#define HDR      IPCX__MINIHDR_SIZE
#define BODY_MAX (PIPE_BUF - HDR)
/* The reader's buffer: several frames per read, and always room for one. */
#define RBUF         (4 * PIPE_BUF)

#define COMMON_FLAGS (IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | IPCX_LINK_SHARED)

extern const struct ipcx__transport ipcx__transport_fifo;

struct fifo_link {
    struct ipcx_link base;
    struct ipcx_fifo *f;    /* the reader, or a dialer's writer */
    struct ipcx_fifo *keep; /* receiving link: its own writer (no end of file) */
    unsigned char *buf;     /* receiving link: RBUF bytes */
    size_t rpos, wpos;      /* buf[rpos..wpos) is read and not yet delivered */
};

struct fifo_listener {
    struct ipcx_listener base;
    struct fifo_link *link; /* the one link, until accepted */
    struct ipcx__fileid id; /* the FIFO made */
    char path[PATH_MAX];
};

/* "fifo:///abs/path". */
static int parse_path(const struct ipcx__url *u)
{
    if (!u->had_slashes || u->rest[0] != '/' || ipcx__path_check(u->rest) < 0)
        return IPCX_EBADURL;
    return 0;
}

static int check_limit(const struct ipcx_link_opts *opts, size_t *max)
{
    if (opts->max_msg > BODY_MAX)
        return IPCX_EINVAL;
    *max = opts->max_msg ? opts->max_msg : BODY_MAX;
    return 0;
}

static void link_free(struct fifo_link *k)
{
    if (!k)
        return;
    ipcx_fifo_close(k->f);
    ipcx_fifo_close(k->keep);
    free(k->buf);
    free(k);
}

static int fifo_dial(struct ipcx_link **out, const struct ipcx__url *url,
                     const struct ipcx_link_opts *opts, const struct ipcx__deadline *dl)
{
    size_t max;
    int rc = parse_path(url);
    if (rc < 0 || (rc = check_limit(opts, &max)) < 0)
        return rc;
    struct fifo_link *k = calloc(1, sizeof *k);
    if (!k)
        return IPCX_ENOMEM;
    rc = ipcx_fifo_open(&k->f, url->rest, IPCX_FIFO_WRITE, ipcx__oneway_ms(dl));
    if (rc < 0) {
        free(k);
        return rc == IPCX_ENXIO ? IPCX_ECONNREFUSED : rc; /* no reader: nobody listens */
    }
    k->base.tp = &ipcx__transport_fifo;
    k->base.caps.flags = IPCX_LINK_SEND | COMMON_FLAGS;
    k->base.caps.max_msg = max;
    k->base.fd = -1;
    *out = &k->base;
    return 0;
}

static int fifo_listen(struct ipcx_listener **out, const struct ipcx__url *url,
                       const struct ipcx_link_opts *opts)
{
    size_t max;
    int rc = parse_path(url);
    if (rc < 0 || (rc = check_limit(opts, &max)) < 0)
        return rc;
    struct fifo_listener *l = calloc(1, sizeof *l);
    struct fifo_link *k = calloc(1, sizeof *k);
    unsigned char *buf = malloc(RBUF);
    if (!l || !k || !buf) {
        free(l);
        free(k);
        free(buf);
        return IPCX_ENOMEM;
    }
    l->base.fd = -1;
    k->buf = buf;
    snprintf(l->path, sizeof l->path, "%s", url->rest);
    struct ipcx_fifo_opts fo = {opts->mode};
    rc = ipcx_fifo_create(l->path, &fo);
    if (rc < 0) {
        link_free(k);
        free(l);
        return rc;
    }
    bool made = false;
    if ((rc = ipcx_fifo_open(&k->f, l->path, IPCX_FIFO_READ, IPCX_NOWAIT)) < 0)
        goto fail;
    if ((rc = ipcx__fileid_of_fd(ipcx_fifo_fd(k->f), &l->id)) < 0)
        goto fail;
    made = true;
    /* Our own writer, on the very FIFO our reader holds. */
    struct ipcx__fileid wid;
    if ((rc = ipcx_fifo_open(&k->keep, l->path, IPCX_FIFO_WRITE, IPCX_NOWAIT)) < 0 ||
        (rc = ipcx__fileid_of_fd(ipcx_fifo_fd(k->keep), &wid)) < 0)
        goto fail;
    if (wid.dev != l->id.dev || wid.ino != l->id.ino) {
        rc = IPCX_EEXIST; /* the path was replaced meanwhile */
        goto fail;
    }
    k->base.tp = &ipcx__transport_fifo;
    k->base.caps.flags = IPCX_LINK_RECV | COMMON_FLAGS;
    k->base.caps.max_msg = max;
    k->base.fd = ipcx_fifo_fd(k->f);
    l->link = k;
    if ((rc = ipcx__oneway_open()) < 0)
        goto fail;
    l->base.fd = rc;
    l->base.tp = &ipcx__transport_fifo;
    *out = &l->base;
    return 0;
fail:
    if (made)
        ipcx__fileid_unlink(l->path, &l->id);
    else
        ipcx_fifo_unlink(l->path); /* what we just created: nothing opened it */
    link_free(k);
    free(l);
    return rc;
}

static int fifo_accept(struct ipcx_listener *base, struct ipcx_link **out,
                       const struct ipcx__deadline *dl)
{
    struct fifo_listener *l = (struct fifo_listener *)base;
    int rc = ipcx__oneway_accept(l->base.fd, dl);
    if (rc < 0)
        return rc;
    *out = &l->link->base;
    l->link = NULL;
    return 0;
}

static int fifo_listener_url(const struct ipcx_listener *base, char *buf, size_t size)
{
    const struct fifo_listener *l = (const struct fifo_listener *)base;
    int n = snprintf(buf, size, "fifo://%s", l->path);
    return n < 0 || (size_t)n >= size ? IPCX_ERANGE : n;
}

static void fifo_listener_close(struct ipcx_listener *base)
{
    struct fifo_listener *l = (struct fifo_listener *)base;
    ipcx__fileid_unlink(l->path, &l->id);
    link_free(l->link);
    ipcx__close(l->base.fd);
    free(l);
}

static int fifo_send(struct ipcx_link *base, const struct ipcx_msg *m,
                     const struct ipcx__deadline *dl)
{
    struct fifo_link *k = (struct fifo_link *)base;
    unsigned char frame[PIPE_BUF];
    ipcx__minihdr_encode(frame, m);
    if (m->size > 0)
        memcpy(frame + HDR, m->data, m->size);
    size_t len = HDR + m->size;
    /* At most PIPE_BUF bytes: the kernel writes all of it at once or nothing. */
    ssize_t n = ipcx_fifo_write(k->f, frame, len, ipcx__oneway_ms(dl));
    if (n == IPCX_EPIPE)
        return IPCX_EPEERDEAD;
    if (n < 0)
        return (int)n;
    return (size_t)n == len ? 0 : IPCX_EIO;
}

/*
 * Whether buf holds a whole frame: 1 (its header in *h), 0 (more bytes
 * needed), or the header's error.
 */
static int frame_ready(const struct fifo_link *k, struct ipcx__minihdr *h)
{
    size_t avail = k->wpos - k->rpos;
    if (avail < HDR)
        return 0;
    int rc = ipcx__minihdr_decode(k->buf + k->rpos, BODY_MAX, h);
    if (rc < 0)
        return rc;
    return avail >= HDR + h->len;
}

static int fifo_recv(struct ipcx_link *base, struct ipcx_msg *m, const struct ipcx__deadline *dl)
{
    struct fifo_link *k = (struct fifo_link *)base;
    bool nowait = ipcx__deadline_remaining_ns(dl) == 0;
    for (;;) {
        struct ipcx__minihdr h;
        int rc = frame_ready(k, &h);
        if (rc < 0)
            return rc;
        if (rc > 0) {
            rc = ipcx__minihdr_deliver(&h, k->buf + k->rpos + HDR, m);
            if (rc == 0)
                k->rpos += HDR + h.len;
            return rc;
        }
        /* Keep the partial frame at the front: a whole one then always fits. */
        if (k->rpos > 0) {
            memmove(k->buf, k->buf + k->rpos, k->wpos - k->rpos);
            k->wpos -= k->rpos;
            k->rpos = 0;
        }
        ssize_t n = ipcx_fifo_read(k->f, k->buf + k->wpos, RBUF - k->wpos, ipcx__oneway_ms(dl));
        if (n == IPCX_EAGAIN && !nowait)
            return IPCX_ETIMEDOUT; /* the deadline ran out between two reads */
        if (n < 0)
            return (int)n;
        if (n == 0)
            return IPCX_ECLOSED; /* cannot happen while `keep` is open */
        k->wpos += (size_t)n;
    }
}

static int fifo_arm(struct ipcx_link *base)
{
    struct fifo_link *k = (struct fifo_link *)base;
    struct ipcx__minihdr h;
    /* A buffered frame (or a bad header) is there without the descriptor. */
    return frame_ready(k, &h) != 0;
}

static void fifo_close(struct ipcx_link *base)
{
    link_free((struct fifo_link *)base);
}

const struct ipcx__transport ipcx__transport_fifo = {
    .scheme = "fifo",
    .dial_flags = IPCX_LINK_SEND | COMMON_FLAGS,
    .listen_flags = IPCX_LINK_RECV | COMMON_FLAGS,
    .dial = fifo_dial,
    .listen = fifo_listen,
    .accept = fifo_accept,
    .listener_url = fifo_listener_url,
    .listener_close = fifo_listener_close,
    .send = fifo_send,
    .recv = fifo_recv,
    .arm = fifo_arm,
    .close = fifo_close,
};
