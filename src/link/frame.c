/* SPDX-License-Identifier: MIT */
/*
 * link/frame.c: encoding and decoding of the byte-stream frame header (see
 * frame.h and docs/design/links.md). Pure byte work: no allocation, no
 * system call. Bytes are assembled one by one, so the code is the same on
 * every host byte order and never reads a misaligned integer.
 */
#include "link/frame.h"

#include <limits.h>

#include <ipcx/error.h>

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void encode(uint8_t *out, unsigned flags, unsigned nfds, uint32_t len, unsigned prio,
                   uint64_t type, uint64_t id)
{
    put32(out, IPCX__FRAME_MAGIC);
    out[4] = IPCX__FRAME_VERSION;
    out[5] = IPCX__FRAME_HDR;
    out[6] = (uint8_t)flags;
    out[7] = (uint8_t)nfds;
    put32(out + 8, len);
    out[12] = (uint8_t)prio;
    out[13] = out[14] = out[15] = 0;
    put64(out + 16, type);
    put64(out + 24, id);
}

void ipcx__frame_encode(uint8_t out[IPCX__FRAME_HDR], const struct ipcx_msg *m)
{
    encode(out, 0, m->nfds, (uint32_t)m->size, m->priority, (uint64_t)m->type, m->id);
}

void ipcx__frame_encode_goodbye(uint8_t out[IPCX__FRAME_HDR])
{
    encode(out, IPCX__FRAME_GOODBYE, 0, 0, 0, 0, 0);
}

int ipcx__frame_decode(const uint8_t *in, size_t avail, size_t max_body, unsigned max_fds,
                       struct ipcx__frame *f)
{
    f->hdr_len = 0;
    /* The fixed part is checked as soon as it is there, so that garbage is
     * refused at once rather than after waiting for more of it. */
    if (avail >= 4 && get32(in) != IPCX__FRAME_MAGIC)
        return IPCX_EPROTO;
    if (avail >= 5 && in[4] != IPCX__FRAME_VERSION)
        return IPCX_EVERSION;
    if (avail >= 6) {
        unsigned hl = in[5];
        if (hl < IPCX__FRAME_HDR || hl > IPCX__FRAME_HDR_MAX || hl % 8 != 0)
            return IPCX_EPROTO;
        f->hdr_len = hl;
    }
    if (avail < IPCX__FRAME_HDR)
        return 1;

    unsigned flags = in[6];
    unsigned nfds = in[7];
    uint32_t len = get32(in + 8);
    unsigned prio = in[12];
    uint64_t type = get64(in + 16);
    if (flags & ~IPCX__FRAME_GOODBYE)
        return IPCX_EPROTO;
    if (in[13] | in[14] | in[15])
        return IPCX_EPROTO;
    if ((uint64_t)len > (uint64_t)max_body || nfds > max_fds || prio > IPCX_MSG_PRIO_MAX)
        return IPCX_EPROTO;
    if (type > (uint64_t)LONG_MAX)
        return IPCX_EPROTO; /* negative, or beyond this host's long */
    if ((flags & IPCX__FRAME_GOODBYE) && (len | nfds | prio | type) != 0)
        return IPCX_EPROTO;
    if (avail < f->hdr_len)
        return 1;

    f->flags = flags;
    f->nfds = nfds;
    f->body_len = len;
    f->priority = prio;
    f->type = (long)type;
    f->id = get64(in + 24);
    return 0;
}
