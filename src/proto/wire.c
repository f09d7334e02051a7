/* SPDX-License-Identifier: MIT */
/*
 * proto/wire.c: the hello, and the rules for which pattern meets which and
 * over which link ends (see proto/wire.h).
 */
#include <string.h>

#include <ipcx/error.h>
#include <ipcx/link.h>

#include "proto/wire.h"

static const unsigned char magic[4] = {'i', 'x', 'c', 'h'};

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

void ipcx__hello_encode(const struct ipcx__hello *h, unsigned char buf[IPCX__HELLO_SIZE])
{
    memset(buf, 0, IPCX__HELLO_SIZE);
    memcpy(buf, magic, sizeof magic);
    buf[4] = (unsigned char)h->version;
    buf[5] = (unsigned char)h->pattern;
    buf[6] = (unsigned char)h->status;
    put32(buf + 8, h->capacity);
}

int ipcx__hello_decode(const void *buf, size_t len, struct ipcx__hello *h)
{
    const unsigned char *b = buf;
    if (!buf || len < 8 || memcmp(b, magic, sizeof magic) != 0)
        return IPCX_EPROTO;
    h->version = b[4];
    if (h->version != IPCX__CHAN_PROTO_VERSION)
        return IPCX_EVERSION;
    if (len != IPCX__HELLO_SIZE || b[5] < IPCX_PAIR || b[5] > IPCX_REP || b[6] > 2)
        return IPCX_EPROTO;
    h->pattern = (enum ipcx_pattern)b[5];
    h->status = b[6];
    h->capacity = get32(b + 8);
    return 0;
}

bool ipcx__pattern_peer_ok(enum ipcx_pattern a, enum ipcx_pattern b)
{
    switch (a) {
    case IPCX_PAIR:
        return b == IPCX_PAIR;
    case IPCX_PUB:
        return b == IPCX_SUB;
    case IPCX_SUB:
        return b == IPCX_PUB;
    case IPCX_PUSH:
        return b == IPCX_PULL;
    case IPCX_PULL:
        return b == IPCX_PUSH;
    case IPCX_REQ:
        return b == IPCX_REP;
    case IPCX_REP:
        return b == IPCX_REQ;
    }
    return false;
}

bool ipcx__pattern_sends(enum ipcx_pattern p)
{
    return p != IPCX_SUB && p != IPCX_PULL;
}

bool ipcx__pattern_recvs(enum ipcx_pattern p)
{
    return p != IPCX_PUB && p != IPCX_PUSH;
}

const char *ipcx__pattern_name(enum ipcx_pattern p)
{
    static const char *const names[] = {"?", "pair", "pub", "sub", "push", "pull", "req", "rep"};
    return (unsigned)p <= IPCX_REP ? names[p] : "?";
}

int ipcx__pattern_fits(enum ipcx_pattern p, size_t capacity, unsigned flags, bool listener,
                       const char **reason)
{
    bool two_way = (flags & IPCX_LINK_SEND) && (flags & IPCX_LINK_RECV);
    const char *why = NULL;
    if ((p == IPCX_PAIR || p == IPCX_REQ || p == IPCX_REP) && !two_way)
        why = "pair and req/rep need a two-way link; this transport is one-way";
    else if (ipcx__pattern_sends(p) && !(flags & IPCX_LINK_SEND))
        why = listener ? "this pattern sends, but a listener of this transport only receives "
                         "(dial it instead)"
                       : "this pattern sends, but a dialer of this transport only receives "
                         "(listen on it instead)";
    else if (ipcx__pattern_recvs(p) && !(flags & IPCX_LINK_RECV))
        why = listener ? "this pattern receives, but a listener of this transport only sends "
                         "(dial it instead)"
                       : "this pattern receives, but a dialer of this transport only sends "
                         "(listen on it instead)";
    else if (p == IPCX_SUB && !listener && (flags & IPCX_LINK_SHARED) && (flags & IPCX_LINK_RECV))
        why = "subscribers reading one shared kernel queue would each get only some messages";
    else if (capacity == 0 && !two_way)
        why = "capacity 0 (rendezvous) needs a two-way link for the acknowledgment";
    if (!why)
        return 0;
    if (reason)
        *reason = why;
    return IPCX_ENOTSUP;
}
