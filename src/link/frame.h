/* SPDX-License-Identifier: MIT */
/*
 * link/frame.h: the frame that carries one message over a byte stream
 * (unix://, tcp://, pipe:). Every field is little-endian on the wire, so
 * two hosts of different byte order (tcp://) read the same frame. The
 * layout, field by field, is in docs/design/links.md.
 *
 *   off size field
 *     0    4 magic       "IPXF" (0x49 0x50 0x58 0x46)
 *     4    1 version     IPCX__FRAME_VERSION
 *     5    1 hdr_len     header bytes, 32 in version 1 (a later minor
 *                        extension may grow it; the body starts there)
 *     6    1 flags       IPCX__FRAME_GOODBYE; other bits must be 0
 *     7    1 nfds        descriptors travelling with the frame's first byte
 *     8    4 body_len    body bytes following the header
 *    12    1 priority    0 .. IPCX_MSG_PRIO_MAX
 *    13    3 reserved    0
 *    16    8 type        >= 0, two's complement
 *    24    8 id          request id
 *
 * Decoding trusts nothing: a wrong magic, an unknown flag, a length out of
 * range, a negative type or too many descriptors give IPCX_EPROTO and an
 * unknown version IPCX_EVERSION, before a single byte of the body is read
 * or allocated.
 */
#ifndef IPCX_LINK_FRAME_H
#define IPCX_LINK_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <ipcx/msg.h>

#define IPCX__FRAME_MAGIC   0x46585049u /* "IPXF" read as little-endian */
#define IPCX__FRAME_VERSION 1u
#define IPCX__FRAME_HDR     32u  /* header bytes written by this version */
#define IPCX__FRAME_HDR_MAX 248u /* most header bytes a decoder accepts */

/* Flags. */
#define IPCX__FRAME_GOODBYE 0x01u /* orderly close: no body, nothing follows */

/* A decoded header. */
struct ipcx__frame {
    unsigned hdr_len; /* bytes of header on the wire (>= IPCX__FRAME_HDR) */
    unsigned flags;
    unsigned nfds;
    uint32_t body_len;
    unsigned priority;
    long type;
    uint64_t id;
};

/* Writes the header of `m` (a data frame) into `out`. The caller has checked m. */
void ipcx__frame_encode(uint8_t out[IPCX__FRAME_HDR], const struct ipcx_msg *m);

/* Writes a goodbye frame. */
void ipcx__frame_encode_goodbye(uint8_t out[IPCX__FRAME_HDR]);

/*
 * Decodes the header at `in`, of which `avail` bytes are present. Returns
 * 0 with *f filled; 1 when more bytes are needed (f->hdr_len is then set
 * if it was readable, else 0); IPCX_EPROTO for a malformed header or a
 * body longer than `max_body`, or descriptors above `max_fds`;
 * IPCX_EVERSION for another version.
 */
int ipcx__frame_decode(const uint8_t *in, size_t avail, size_t max_body, unsigned max_fds,
                       struct ipcx__frame *f);

#endif
