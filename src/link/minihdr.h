/* SPDX-License-Identifier: MIT */
/*
 * link/minihdr.h: the small header the one-way transports (fifo://, mq://,
 * sysv://, udp://) put in front of every message body, so that a
 * message's attributes (type, priority, id) survive kernel objects that
 * keep only some of them or none, and so that a byte stream (a FIFO)
 * keeps message boundaries.
 *
 * Wire format, version 1, 24 bytes, integers big-endian (the same on every
 * machine, as UDP crosses machines); docs/design/oneway.md has the table:
 *   0   2  magic "im"
 *   2   1  version (1)
 *   3   1  priority (0 .. IPCX_MSG_PRIO_MAX)
 *   4   4  body length in bytes
 *   8   8  type (>= 0)
 *   16  8  id
 * The body follows at once.
 *
 * Decoding checks every field before the caller allocates anything: a
 * length above the link's largest message, a negative type, a priority out
 * of range or a wrong magic give IPCX_EPROTO; a right magic with another
 * version gives IPCX_EVERSION.
 */
#ifndef IPCX_LINK_MINIHDR_H
#define IPCX_LINK_MINIHDR_H

#include <stddef.h>
#include <stdint.h>

#include <ipcx/msg.h>

#define IPCX__MINIHDR_SIZE    24u
#define IPCX__MINIHDR_VERSION 1u

/* A decoded header. */
struct ipcx__minihdr {
    size_t len; /* body length */
    long type;
    unsigned priority;
    uint64_t id;
};

/* Writes the header of `m` (its size, type, priority, id) into out[0..24). */
void ipcx__minihdr_encode(void *out, const struct ipcx_msg *m);

/*
 * Reads the header in in[0..24) into *h, checking it as above with
 * `max_len` as the largest body allowed. Returns 0, IPCX_EPROTO or
 * IPCX_EVERSION.
 */
int ipcx__minihdr_decode(const void *in, size_t max_len, struct ipcx__minihdr *h);

/*
 * Fills the owned message *m from a checked header and its body (h->len
 * bytes at `body`): the body is copied into memory from malloc (NULL when
 * empty), the attributes set, IPCX_MSG_OWNED set. Returns 0 or
 * IPCX_ENOMEM (then *m is untouched).
 */
int ipcx__minihdr_deliver(const struct ipcx__minihdr *h, const void *body, struct ipcx_msg *m);

#endif
