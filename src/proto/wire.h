/* SPDX-License-Identifier: MIT */
/*
 * proto/wire.h: what channels say to each other over a link, and which
 * pattern may meet which. Described field by field in
 * docs/design/channels.md (channel protocol version 1).
 *
 * A channel adds nothing to a data message's body (no copy, no header):
 * it marks its own traffic in the top bits of the 64-bit `id` every link
 * carries.
 *   bit 63  control message: `type` says which (hello, ack), the body is
 *           its payload;
 *   bit 62  data message whose sender waits for an acknowledgment
 *           (rendezvous, capacity 0);
 *   0..61   the request id (req/rep) or the rendezvous sequence.
 */
#ifndef IPCX_PROTO_WIRE_H
#define IPCX_PROTO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ipcx/chan.h>

#define IPCX__WIRE_CTRL   (UINT64_C(1) << 63)
#define IPCX__WIRE_ACKREQ (UINT64_C(1) << 62)
#define IPCX__WIRE_IDMASK (IPCX__WIRE_ACKREQ - 1)

/* Control message kinds (`type` of a control message). */
enum {
    IPCX__CTRL_HELLO = 1, /* body: the hello below */
    IPCX__CTRL_ACK = 2,   /* id bits 0..61: the sequence taken; no body */
};

#define IPCX__CHAN_PROTO_VERSION 1
#define IPCX__HELLO_SIZE         16

/* A hello's status. */
enum {
    IPCX__HELLO_OK = 0,
    IPCX__HELLO_BUSY = 1,     /* a PAIR that has its peer already */
    IPCX__HELLO_MISMATCH = 2, /* the patterns cannot talk */
};

struct ipcx__hello {
    unsigned version;
    enum ipcx_pattern pattern;
    unsigned status;
    uint32_t capacity;
};

/* Writes the 16 bytes of `h` into `buf`. */
void ipcx__hello_encode(const struct ipcx__hello *h, unsigned char buf[IPCX__HELLO_SIZE]);

/*
 * Reads a hello. IPCX_EPROTO for a wrong size, magic or pattern number,
 * IPCX_EVERSION for another protocol version (h->version is filled).
 */
int ipcx__hello_decode(const void *buf, size_t len, struct ipcx__hello *h);

/* True when a channel of pattern `a` may talk to one of pattern `b`. */
bool ipcx__pattern_peer_ok(enum ipcx_pattern a, enum ipcx_pattern b);

/* Whether a pattern sends, receives (data). */
bool ipcx__pattern_sends(enum ipcx_pattern p);
bool ipcx__pattern_recvs(enum ipcx_pattern p);

/* A static name ("pub", ...). */
const char *ipcx__pattern_name(enum ipcx_pattern p);

/*
 * Whether a channel of `pattern` with `capacity` can use a link end with
 * capability `flags` (IPCX_LINK_*; `listener`: the end accepted by a
 * listener). Returns 0, or IPCX_ENOTSUP with *reason set to a static text.
 */
int ipcx__pattern_fits(enum ipcx_pattern pattern, size_t capacity, unsigned flags, bool listener,
                       const char **reason);

#endif
