/* SPDX-License-Identifier: MIT */
/*
 * transport/mq.c: the mq:///name transport, one way, over a POSIX message
 * queue (mech/posixmq.c).
 *
 * The listener creates the queue exclusively (mode 0600 or opts->mode),
 * open for receiving only; its one link (link/oneway.h) receives, and any
 * number of dialers open the queue for sending only and share it. Each
 * message is one queue message: the link/minihdr.h header, then the body.
 * The kernel orders by priority itself (highest first, FIFO within one
 * priority), so the priority is the queue's own and the header repeats it
 * (a mismatch is a protocol error); type and id travel in the header.
 *
 * Sizes: the queue's message size is the body limit plus the header. By
 * default the queue gets the system's default size and capacity
 * (/proc/sys/fs/mqueue/msgsize_default and msg_default); opts->max_msg
 * asks for a size of its own, and one the system refuses (above
 * msgsize_max for an unprivileged process) gives IPCX_EINVAL at listen:
 * nothing is clamped silently. A dialer takes the limit from the queue;
 * a smaller opts->max_msg lowers its own limit, a larger one gives
 * IPCX_EINVAL.
 *
 * Lifetime: closing the listener removes the name (no new dialer finds
 * it); the receiving link keeps the queue open and still receives what is
 * sent by dialers that opened it before. Neither side learns of the
 * other's death (no IPCX_LINK_PEER_DEATH): the queue simply fills up or
 * stays empty.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>
#include <ipcx/posixmq.h>

#include "link/link.h"
#include "link/minihdr.h"
#include "link/oneway.h"
#include "sys/fd.h"
#include "sys/posixname.h"

#define HDR IPCX__MINIHDR_SIZE

#define COMMON_FLAGS \
    (IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | IPCX_LINK_NATIVE_PRIO | IPCX_LINK_SHARED)

extern const struct ipcx__transport ipcx__transport_mq;

struct mq_link {
    struct ipcx_link base;
    struct ipcx_posixmq *q;
    size_t msg_size;    /* the queue's message size: header and body */
    unsigned char *buf; /* msg_size bytes: one message on its way */
};

struct mq_listener {
    struct ipcx_listener base;
    struct mq_link *link; /* the one link, until accepted */
    char name[NAME_MAX + 2];
};

/* "mq:///name": a valid POSIX name after the two slashes. */
static int parse_name(const struct ipcx__url *u)
{
    if (!u->had_slashes || ipcx__posix_name_check(u->rest) < 0)
        return IPCX_EBADURL;
    return 0;
}

static void link_free(struct mq_link *k)
{
    if (!k)
        return;
    ipcx_posixmq_close(k->q);
    free(k->buf);
    free(k);
}

/* A link around the open queue `q` (taken over on success). */
static int link_new(struct mq_link **out, struct ipcx_posixmq *q, unsigned flags, size_t limit)
{
    struct ipcx_posixmq_attr a;
    int rc = ipcx_posixmq_get_attr(q, &a);
    if (rc < 0)
        return rc;
    if (a.msg_size <= (long)HDR)
        return IPCX_EINVAL; /* no room for a body */
    struct mq_link *k = calloc(1, sizeof *k);
    if (!k)
        return IPCX_ENOMEM;
    k->msg_size = (size_t)a.msg_size;
    k->buf = malloc(k->msg_size);
    if (!k->buf) {
        free(k);
        return IPCX_ENOMEM;
    }
    k->base.tp = &ipcx__transport_mq;
    k->base.caps.flags = flags;
    k->base.caps.max_msg = k->msg_size - HDR;
    if (limit > k->base.caps.max_msg) {
        link_free(k);
        return IPCX_EINVAL;
    }
    if (limit > 0)
        k->base.caps.max_msg = limit;
    k->q = q;
    k->base.fd = (flags & IPCX_LINK_RECV) ? ipcx_posixmq_fd(q) : -1;
    *out = k;
    return 0;
}

static int mq_dial(struct ipcx_link **out, const struct ipcx__url *url,
                   const struct ipcx_link_opts *opts, const struct ipcx__deadline *dl)
{
    (void)dl; /* opening a queue never waits */
    int rc = parse_name(url);
    if (rc < 0)
        return rc;
    struct ipcx_posixmq *q;
    rc = ipcx_posixmq_open(&q, url->rest, IPCX_POSIXMQ_SEND);
    if (rc < 0)
        return rc;
    struct mq_link *k;
    rc = link_new(&k, q, IPCX_LINK_SEND | COMMON_FLAGS, opts->max_msg);
    if (rc < 0) {
        ipcx_posixmq_close(q);
        return rc;
    }
    *out = &k->base;
    return 0;
}

static int mq_listen(struct ipcx_listener **out, const struct ipcx__url *url,
                     const struct ipcx_link_opts *opts)
{
    int rc = parse_name(url);
    if (rc < 0)
        return rc;
    struct ipcx_posixmq_opts qo = {0};
    qo.mode = opts->mode ? opts->mode : 0600;
    qo.access = IPCX_POSIXMQ_RECV;
    if (opts->max_msg > 0) {
        if (opts->max_msg > (size_t)LONG_MAX - HDR)
            return IPCX_EINVAL;
        qo.msg_size = (long)(opts->max_msg + HDR);
    }
    struct mq_listener *l = calloc(1, sizeof *l);
    if (!l)
        return IPCX_ENOMEM;
    l->base.fd = -1;
    memcpy(l->name, url->rest, strlen(url->rest) + 1); /* checked: it fits */
    struct ipcx_posixmq *q = NULL;
    rc = ipcx_posixmq_create(&q, l->name, &qo);
    if (rc < 0) {
        free(l);
        return rc;
    }
    rc = link_new(&l->link, q, IPCX_LINK_RECV | COMMON_FLAGS, 0);
    if (rc < 0)
        goto fail;
    q = NULL;
    rc = ipcx__oneway_open();
    if (rc < 0)
        goto fail;
    l->base.fd = rc;
    l->base.tp = &ipcx__transport_mq;
    *out = &l->base;
    return 0;
fail:
    ipcx_posixmq_close(q);
    link_free(l->link);
    ipcx_posixmq_unlink(l->name);
    free(l);
    return rc;
}

static int mq_accept(struct ipcx_listener *base, struct ipcx_link **out,
                     const struct ipcx__deadline *dl)
{
    struct mq_listener *l = (struct mq_listener *)base;
    int rc = ipcx__oneway_accept(l->base.fd, dl);
    if (rc < 0)
        return rc;
    *out = &l->link->base;
    l->link = NULL;
    return 0;
}

static int mq_listener_url(const struct ipcx_listener *base, char *buf, size_t size)
{
    const struct mq_listener *l = (const struct mq_listener *)base;
    int n = snprintf(buf, size, "mq://%s", l->name);
    return n < 0 || (size_t)n >= size ? IPCX_ERANGE : n;
}

static void mq_listener_close(struct ipcx_listener *base)
{
    struct mq_listener *l = (struct mq_listener *)base;
    ipcx_posixmq_unlink(l->name);
    link_free(l->link);
    ipcx__close(l->base.fd);
    free(l);
}

static int mq_send(struct ipcx_link *base, const struct ipcx_msg *m,
                   const struct ipcx__deadline *dl)
{
    struct mq_link *k = (struct mq_link *)base;
    ipcx__minihdr_encode(k->buf, m);
    if (m->size > 0)
        memcpy(k->buf + HDR, m->data, m->size);
    return ipcx_posixmq_send(k->q, k->buf, HDR + m->size, m->priority, ipcx__oneway_ms(dl));
}

static int mq_recv(struct ipcx_link *base, struct ipcx_msg *m, const struct ipcx__deadline *dl)
{
    struct mq_link *k = (struct mq_link *)base;
    unsigned prio = 0;
    ssize_t n = ipcx_posixmq_recv(k->q, k->buf, k->msg_size, &prio, ipcx__oneway_ms(dl));
    if (n < 0)
        return (int)n;
    if ((size_t)n < HDR)
        return IPCX_EPROTO;
    struct ipcx__minihdr h;
    int rc = ipcx__minihdr_decode(k->buf, k->base.caps.max_msg, &h);
    if (rc < 0)
        return rc;
    if (h.len != (size_t)n - HDR || h.priority != prio)
        return IPCX_EPROTO;
    return ipcx__minihdr_deliver(&h, k->buf + HDR, m);
}

static void mq_close(struct ipcx_link *base)
{
    link_free((struct mq_link *)base);
}

const struct ipcx__transport ipcx__transport_mq = {
    .scheme = "mq",
    .dial_flags = IPCX_LINK_SEND | COMMON_FLAGS,
    .listen_flags = IPCX_LINK_RECV | COMMON_FLAGS,
    .dial = mq_dial,
    .listen = mq_listen,
    .accept = mq_accept,
    .listener_url = mq_listener_url,
    .listener_close = mq_listener_close,
    .send = mq_send,
    .recv = mq_recv,
    .close = mq_close,
};
