/* SPDX-License-Identifier: MIT */
/*
 * link/minihdr.c: encoding and checking the one-way transports' message
 * header (see minihdr.h). Pure byte work: no system call; the only
 * allocation is the body of a delivered message, made after its length
 * was checked.
 */
#include "link/minihdr.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>

static const unsigned char magic[2] = {'i', 'm'};

static void put_be(unsigned char *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
}

static uint64_t get_be(const unsigned char *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v = (v << 8) | p[i];
    return v;
}

void ipcx__minihdr_encode(void *out, const struct ipcx_msg *m)
{
    unsigned char *p = out;
    p[0] = magic[0];
    p[1] = magic[1];
    p[2] = IPCX__MINIHDR_VERSION;
    p[3] = (unsigned char)m->priority;
    put_be(p + 4, (uint64_t)m->size, 4);
    put_be(p + 8, (uint64_t)m->type, 8);
    put_be(p + 16, m->id, 8);
}

int ipcx__minihdr_decode(const void *in, size_t max_len, struct ipcx__minihdr *h)
{
    const unsigned char *p = in;
    if (p[0] != magic[0] || p[1] != magic[1])
        return IPCX_EPROTO;
    if (p[2] != IPCX__MINIHDR_VERSION)
        return IPCX_EVERSION;
    uint64_t len = get_be(p + 4, 4);
    uint64_t type = get_be(p + 8, 8);
    if (p[3] > IPCX_MSG_PRIO_MAX || len > max_len || type > (uint64_t)LONG_MAX)
        return IPCX_EPROTO;
    h->priority = p[3];
    h->len = (size_t)len;
    h->type = (long)type;
    h->id = get_be(p + 16, 8);
    return 0;
}

int ipcx__minihdr_deliver(const struct ipcx__minihdr *h, const void *body, struct ipcx_msg *m)
{
    void *data = NULL;
    if (h->len > 0) {
        data = malloc(h->len);
        if (!data)
            return IPCX_ENOMEM;
        memcpy(data, body, h->len);
    }
    memset(m, 0, sizeof *m);
    m->data = data;
    m->size = h->len;
    m->type = h->type;
    m->priority = h->priority;
    m->id = h->id;
    m->flags = IPCX_MSG_OWNED;
    return 0;
}
