/* SPDX-License-Identifier: MIT */
/*
 * transport/sysv.c: the sysv://KEY transport, one way, over a System V
 * message queue (mech/sysvmsg.c). KEY is decimal or 0x hexadecimal, 1 to
 * 0xffffffff (0 is IPC_PRIVATE, which no dialer could find).
 *
 * The listener creates the queue exclusively (IPC_CREAT|IPC_EXCL, mode
 * 0600 or opts->mode); its one link (link/oneway.h) receives, and any
 * number of dialers open the queue for sending and share it. Each message
 * is one queue message whose kernel type is the message's type plus one
 * (the kernel wants a positive type; a type of LONG_MAX cannot be sent:
 * IPCX_EINVAL), and whose text is the link/minihdr.h header (repeating the
 * type, and carrying priority and id) followed by the body.
 *
 * Sizes: the largest body is msgmax (/proc/sys/kernel/msgmax; the
 * kernel's 8192 when it cannot be read), or the queue's capacity if that
 * is smaller, minus the header. opts->max_msg above that gives
 * IPCX_EINVAL; a smaller one lowers that end's own sending limit only.
 *
 * Lifetime: removing a System V queue destroys it and its messages at
 * once, so the listener cannot remove it at its own close while its link
 * still receives. The listener and its link share the queue by a
 * reference count; the queue is removed when both are closed (a listener
 * closed first leaves the key dialable until its link closes too).
 * Dialers then get IPCX_ECLOSED. A removal by someone else gives
 * IPCX_ECLOSED to everyone.
 *
 * Waiting: the kernel has neither a timed receive nor a descriptor to poll.
 * Timed sends and receives are the mechanism's backoff polling (at most
 * about 1 ms late). The receiving link's descriptor is a timerfd:
 * ipcx_link_arm() returns 1 when the queue holds a message, and otherwise
 * sets the timer to fire after a short interval growing from 20 us to
 * 1 ms, so an event loop looks at the queue again at most about a
 * thousand times a second while it is empty.
 */
#include <ctype.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>
#include <ipcx/sysvmsg.h>

#include "link/link.h"
#include "link/minihdr.h"
#include "link/oneway.h"
#include "sys/backoff.h"
#include "sys/fd.h"
#include "sys/procfs.h"
#include "sys/wakefd.h"

#define HDR IPCX__MINIHDR_SIZE

#define COMMON_FLAGS \
    (IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | IPCX_LINK_NATIVE_TYPE | IPCX_LINK_SHARED)

/* The kernel's default msgmax, for when /proc cannot tell it. */
#define DEFAULT_MSGMAX 8192

extern const struct ipcx__transport ipcx__transport_sysv;

/* The listener's queue, shared by the listener and its link. */
struct owner {
    struct ipcx_sysvmsg *q;
    atomic_int refs;
};

struct sysv_link {
    struct ipcx_link base;
    struct ipcx_sysvmsg *q; /* a dialer's own handle, or owner->q */
    struct owner *owner;    /* receiving link only */
    size_t body_max;        /* the largest body accepted at receive */
    unsigned char *buf;     /* HDR + body_max + 1 bytes */
    int64_t step_ns;        /* the next arm's timer interval */
};

struct sysv_listener {
    struct ipcx_listener base;
    struct owner *owner;
    struct sysv_link *link; /* the one link, until accepted */
    key_t key;
};

static void owner_unref(struct owner *o)
{
    if (o && atomic_fetch_sub(&o->refs, 1) == 1) {
        ipcx_sysvmsg_remove(o->q);
        ipcx_sysvmsg_close(o->q);
        free(o);
    }
}

/* "sysv://KEY": decimal or 0x hex, 1 .. 0xffffffff, digits only. */
static int parse_key(const struct ipcx__url *u, key_t *out)
{
    const char *s = u->rest;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!u->had_slashes || !s[0] || strlen(s) > 10)
        return IPCX_EBADURL;
    unsigned long long v = 0;
    for (const char *p = s; *p; p++) {
        int c = (unsigned char)*p;
        int d = isdigit(c) ? c - '0' : (base == 16 && isxdigit(c)) ? tolower(c) - 'a' + 10 : -1;
        if (d < 0)
            return IPCX_EBADURL;
        v = v * (unsigned)base + (unsigned)d;
    }
    if (v == 0 || v > 0xffffffffULL)
        return IPCX_EBADURL;
    *out = (key_t)(int32_t)(uint32_t)v;
    return 0;
}

/* The largest body a queue carries: msgmax, or its capacity if smaller, less the header. */
static size_t body_limit(const struct ipcx_sysvmsg *q)
{
    long msgmax;
    if (ipcx__procfs_long("/proc/sys/kernel/msgmax", &msgmax) < 0)
        msgmax = DEFAULT_MSGMAX;
    size_t max = (size_t)msgmax;
    struct ipcx_sysvmsg_status st;
    if (ipcx_sysvmsg_get_status(q, &st) == 0 && st.max_bytes < max)
        max = st.max_bytes;
    return max > HDR ? max - HDR : 0;
}

static void link_free(struct sysv_link *k)
{
    if (!k)
        return;
    if (k->owner)
        owner_unref(k->owner);
    else
        ipcx_sysvmsg_close(k->q);
    ipcx__close(k->base.fd);
    free(k->buf);
    free(k);
}

static int sysv_dial(struct ipcx_link **out, const struct ipcx__url *url,
                     const struct ipcx_link_opts *opts, const struct ipcx__deadline *dl)
{
    (void)dl; /* opening a queue never waits */
    key_t key;
    int rc = parse_key(url, &key);
    if (rc < 0)
        return rc;
    struct sysv_link *k = calloc(1, sizeof *k);
    if (!k)
        return IPCX_ENOMEM;
    k->base.fd = -1;
    rc = ipcx_sysvmsg_open(&k->q, key, IPCX_SYSVMSG_SEND);
    if (rc < 0)
        goto fail;
    k->base.tp = &ipcx__transport_sysv;
    k->base.caps.flags = IPCX_LINK_SEND | COMMON_FLAGS;
    k->base.caps.max_msg = body_limit(k->q);
    if (opts->max_msg > k->base.caps.max_msg) {
        rc = IPCX_EINVAL;
        goto fail;
    }
    if (opts->max_msg > 0)
        k->base.caps.max_msg = opts->max_msg;
    *out = &k->base;
    return 0;
fail:
    link_free(k);
    return rc;
}

static int sysv_listen(struct ipcx_listener **out, const struct ipcx__url *url,
                       const struct ipcx_link_opts *opts)
{
    key_t key;
    int rc = parse_key(url, &key);
    if (rc < 0)
        return rc;
    struct sysv_listener *l = calloc(1, sizeof *l);
    struct owner *o = calloc(1, sizeof *o);
    struct sysv_link *k = calloc(1, sizeof *k);
    if (!l || !o || !k) {
        free(l);
        free(o);
        free(k);
        return IPCX_ENOMEM;
    }
    l->base.fd = -1;
    k->base.fd = -1;
    struct ipcx_sysvmsg_opts qo = {0};
    qo.mode = opts->mode ? opts->mode : 0600;
    rc = ipcx_sysvmsg_create(&o->q, key, &qo);
    if (rc < 0) {
        free(l);
        free(o);
        free(k);
        return rc;
    }
    atomic_init(&o->refs, 2); /* the listener and its link */
    l->owner = o;
    l->link = k;
    l->key = key;
    k->owner = o;
    k->q = o->q;
    k->body_max = body_limit(o->q);
    rc = IPCX_EINVAL;
    if (k->body_max == 0 || opts->max_msg > k->body_max)
        goto fail;
    k->base.tp = &ipcx__transport_sysv;
    k->base.caps.flags = IPCX_LINK_RECV | COMMON_FLAGS;
    k->base.caps.max_msg = opts->max_msg ? opts->max_msg : k->body_max;
    k->step_ns = IPCX__BACKOFF_FIRST_NS;
    rc = IPCX_ENOMEM;
    k->buf = malloc(HDR + k->body_max + 1);
    if (!k->buf)
        goto fail;
    if ((rc = ipcx__wakefd_timer()) < 0)
        goto fail;
    k->base.fd = rc;
    /* Readable at first, so that a wait made before any arm looks once. */
    if ((rc = ipcx__wakefd_timer_set(k->base.fd, 1)) < 0)
        goto fail;
    if ((rc = ipcx__oneway_open()) < 0)
        goto fail;
    l->base.fd = rc;
    l->base.tp = &ipcx__transport_sysv;
    *out = &l->base;
    return 0;
fail:
    link_free(k);
    owner_unref(o);
    free(l);
    return rc;
}

static int sysv_accept(struct ipcx_listener *base, struct ipcx_link **out,
                       const struct ipcx__deadline *dl)
{
    struct sysv_listener *l = (struct sysv_listener *)base;
    int rc = ipcx__oneway_accept(l->base.fd, dl);
    if (rc < 0)
        return rc;
    *out = &l->link->base;
    l->link = NULL;
    return 0;
}

static int sysv_listener_url(const struct ipcx_listener *base, char *buf, size_t size)
{
    const struct sysv_listener *l = (const struct sysv_listener *)base;
    int n = snprintf(buf, size, "sysv://0x%08x", (unsigned)(uint32_t)l->key);
    return n < 0 || (size_t)n >= size ? IPCX_ERANGE : n;
}

static void sysv_listener_close(struct ipcx_listener *base)
{
    struct sysv_listener *l = (struct sysv_listener *)base;
    link_free(l->link);
    owner_unref(l->owner);
    ipcx__close(l->base.fd);
    free(l);
}

/* A removed queue means the receiving side closed (or someone removed it). */
static int map_gone(int rc)
{
    return rc == IPCX_EIDRM ? IPCX_ECLOSED : rc;
}

static int sysv_send(struct ipcx_link *base, const struct ipcx_msg *m,
                     const struct ipcx__deadline *dl)
{
    struct sysv_link *k = (struct sysv_link *)base;
    if (m->type == LONG_MAX)
        return IPCX_EINVAL; /* no kernel type for it */
    unsigned char stack[HDR + 1024];
    unsigned char *buf = stack;
    if (m->size > sizeof stack - HDR && !(buf = malloc(HDR + m->size)))
        return IPCX_ENOMEM;
    ipcx__minihdr_encode(buf, m);
    if (m->size > 0)
        memcpy(buf + HDR, m->data, m->size);
    int rc = ipcx_sysvmsg_send(k->q, buf, HDR + m->size, m->type + 1, ipcx__oneway_ms(dl));
    if (buf != stack)
        free(buf);
    return map_gone(rc);
}

static int sysv_recv(struct ipcx_link *base, struct ipcx_msg *m, const struct ipcx__deadline *dl)
{
    struct sysv_link *k = (struct sysv_link *)base;
    long mtype = 0;
    /* One byte more than any valid message: a longer one is taken whole
     * (cut, not left to block the queue) and refused. */
    ssize_t n = ipcx_sysvmsg_recv(k->q, k->buf, HDR + k->body_max + 1, 0, IPCX_SYSVMSG_TRUNCATE,
                                  &mtype, ipcx__oneway_ms(dl));
    if (n < 0)
        return map_gone((int)n);
    k->step_ns = IPCX__BACKOFF_FIRST_NS;
    if ((size_t)n < HDR || (size_t)n > HDR + k->body_max)
        return IPCX_EPROTO;
    struct ipcx__minihdr h;
    int rc = ipcx__minihdr_decode(k->buf, k->body_max, &h);
    if (rc < 0)
        return rc;
    if (h.len != (size_t)n - HDR || h.type != mtype - 1)
        return IPCX_EPROTO;
    return ipcx__minihdr_deliver(&h, k->buf + HDR, m);
}

static int sysv_arm(struct ipcx_link *base)
{
    struct sysv_link *k = (struct sysv_link *)base;
    struct ipcx_sysvmsg_status st;
    int rc = ipcx_sysvmsg_get_status(k->q, &st);
    if (rc < 0)
        return rc == IPCX_EIDRM ? 1 : rc; /* a receive reports it */
    if (st.msgs > 0) {
        k->step_ns = IPCX__BACKOFF_FIRST_NS;
        return 1;
    }
    rc = ipcx__wakefd_timer_set(k->base.fd, k->step_ns);
    if (rc < 0)
        return rc;
    k->step_ns = k->step_ns * 2 > IPCX__BACKOFF_CAP_NS ? IPCX__BACKOFF_CAP_NS : k->step_ns * 2;
    return 0;
}

static void sysv_close(struct ipcx_link *base)
{
    link_free((struct sysv_link *)base);
}

const struct ipcx__transport ipcx__transport_sysv = {
    .scheme = "sysv",
    .dial_flags = IPCX_LINK_SEND | COMMON_FLAGS,
    .listen_flags = IPCX_LINK_RECV | COMMON_FLAGS,
    .dial = sysv_dial,
    .listen = sysv_listen,
    .accept = sysv_accept,
    .listener_url = sysv_listener_url,
    .listener_close = sysv_listener_close,
    .send = sysv_send,
    .recv = sysv_recv,
    .arm = sysv_arm,
    .close = sysv_close,
};
