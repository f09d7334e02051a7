/* SPDX-License-Identifier: MIT */
/*
 * transport/udp.c: the udp://host:port transport, one way, over UDP
 * (mech/inet.c). The listener binds host:port (port 0: the kernel picks
 * one, and ipcx_listener_url() tells it); its one link (link/oneway.h)
 * receives every datagram sent to that port; dialers connect a socket of
 * their own to it and send.
 *
 * One message is one datagram: the link/minihdr.h header and the body.
 * The largest body is 65507 bytes (the largest IPv4 datagram) less the
 * header, for IPv6 too; opts->max_msg above that gives IPCX_EINVAL, a
 * smaller one lowers that end's own limit. UDP promises neither delivery
 * nor order (no IPCX_LINK_RELIABLE, no IPCX_LINK_ORDERED): datagrams that
 * find the socket's receive buffer full are dropped by the kernel.
 *
 * Stray datagrams: anyone who can reach the port can send to it, so a
 * datagram that is not a valid message (too short, bad header, a length
 * that does not match) is discarded and the receive goes on waiting; it
 * does not close the link as IPCX_EPROTO would, which would let any
 * stray packet shut the listener down.
 *
 * A dialer cannot know whether anyone listens; when an earlier datagram
 * found the port closed (the kernel reports it on a connected socket), a
 * send returns IPCX_EPEERDEAD, and so does every later send on that link.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>
#include <ipcx/inet.h>

#include "link/link.h"
#include "link/minihdr.h"
#include "link/oneway.h"
#include "sys/fd.h"

#define HDR       IPCX__MINIHDR_SIZE
#define DGRAM_MAX 65507u
#define BODY_MAX  (DGRAM_MAX - HDR)
/* Larger than any datagram, so none is ever cut. */
#define RBUF 65536u

extern const struct ipcx__transport ipcx__transport_udp;

struct udp_link {
    struct ipcx_link base;
    struct ipcx_udp *u;
    unsigned char *buf; /* RBUF bytes to receive, or HDR + max_msg to send */
    bool dead;          /* a send found the port closed: the link is over */
};

struct udp_listener {
    struct ipcx_listener base;
    struct udp_link *link; /* the one link, until accepted */
    struct ipcx_inet_addr addr;
};

static int parse_hostport(const struct ipcx__url *u, char *host, size_t size, unsigned *port)
{
    if (!u->had_slashes || ipcx__url_hostport(u->rest, host, size, port) < 0)
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

static void link_free(struct udp_link *k)
{
    if (!k)
        return;
    ipcx_udp_close(k->u);
    free(k->buf);
    free(k);
}

static int link_new(struct udp_link **out, unsigned flags, size_t max, size_t bufsize)
{
    struct udp_link *k = calloc(1, sizeof *k);
    if (!k)
        return IPCX_ENOMEM;
    k->buf = malloc(bufsize);
    if (!k->buf) {
        free(k);
        return IPCX_ENOMEM;
    }
    k->base.tp = &ipcx__transport_udp;
    k->base.caps.flags = flags;
    k->base.caps.max_msg = max;
    k->base.fd = -1;
    *out = k;
    return 0;
}

static int udp_dial(struct ipcx_link **out, const struct ipcx__url *url,
                    const struct ipcx_link_opts *opts, const struct ipcx__deadline *dl)
{
    char host[256];
    unsigned port;
    size_t max;
    int rc = parse_hostport(url, host, sizeof host, &port);
    if (rc < 0)
        return rc;
    if (port == 0)
        return IPCX_EBADURL; /* nothing listens on port 0 */
    if ((rc = check_limit(opts, &max)) < 0)
        return rc;
    struct udp_link *k;
    if ((rc = link_new(&k, IPCX_LINK_SEND | IPCX_LINK_SHARED, max, HDR + max)) < 0)
        return rc;
    rc = ipcx_udp_connect(&k->u, host, (uint16_t)port, NULL, ipcx__oneway_ms(dl));
    if (rc < 0) {
        link_free(k);
        return rc;
    }
    *out = &k->base;
    return 0;
}

static int udp_listen(struct ipcx_listener **out, const struct ipcx__url *url,
                      const struct ipcx_link_opts *opts)
{
    char host[256];
    unsigned port;
    size_t max;
    int rc = parse_hostport(url, host, sizeof host, &port);
    if (rc < 0)
        return rc;
    if ((rc = check_limit(opts, &max)) < 0)
        return rc;
    struct udp_listener *l = calloc(1, sizeof *l);
    if (!l)
        return IPCX_ENOMEM;
    l->base.fd = -1;
    if ((rc = link_new(&l->link, IPCX_LINK_RECV | IPCX_LINK_SHARED, max, RBUF)) < 0)
        goto fail;
    if ((rc = ipcx_udp_open(&l->link->u, host, (uint16_t)port, NULL)) < 0)
        goto fail;
    l->link->base.fd = ipcx_udp_fd(l->link->u);
    if ((rc = ipcx_udp_local_addr(l->link->u, &l->addr)) < 0)
        goto fail;
    if ((rc = ipcx__oneway_open()) < 0)
        goto fail;
    l->base.fd = rc;
    l->base.tp = &ipcx__transport_udp;
    *out = &l->base;
    return 0;
fail:
    link_free(l->link);
    free(l);
    return rc;
}

static int udp_accept(struct ipcx_listener *base, struct ipcx_link **out,
                      const struct ipcx__deadline *dl)
{
    struct udp_listener *l = (struct udp_listener *)base;
    int rc = ipcx__oneway_accept(l->base.fd, dl);
    if (rc < 0)
        return rc;
    *out = &l->link->base;
    l->link = NULL;
    return 0;
}

static int udp_listener_url(const struct ipcx_listener *base, char *buf, size_t size)
{
    const struct udp_listener *l = (const struct udp_listener *)base;
    char addr[IPCX_INET_ADDR_MAX];
    int rc = ipcx_inet_addr_format(&l->addr, addr, sizeof addr);
    if (rc < 0)
        return rc;
    int n = snprintf(buf, size, "udp://%s", addr);
    return n < 0 || (size_t)n >= size ? IPCX_ERANGE : n;
}

static void udp_listener_close(struct ipcx_listener *base)
{
    struct udp_listener *l = (struct udp_listener *)base;
    link_free(l->link);
    ipcx__close(l->base.fd);
    free(l);
}

static int udp_send(struct ipcx_link *base, const struct ipcx_msg *m,
                    const struct ipcx__deadline *dl)
{
    struct udp_link *k = (struct udp_link *)base;
    /* Latched like every link's IPCX_EPEERDEAD: the kernel reports the
     * closed port once, and a later datagram could reach whoever binds the
     * port next. */
    if (k->dead)
        return IPCX_EPEERDEAD;
    ipcx__minihdr_encode(k->buf, m);
    if (m->size > 0)
        memcpy(k->buf + HDR, m->data, m->size);
    ssize_t n = ipcx_udp_send(k->u, k->buf, HDR + m->size, ipcx__oneway_ms(dl));
    if (n == IPCX_ECONNREFUSED) {
        k->dead = true;
        return IPCX_EPEERDEAD;
    }
    if (n < 0)
        return (int)n;
    return 0;
}

static int udp_recv(struct ipcx_link *base, struct ipcx_msg *m, const struct ipcx__deadline *dl)
{
    struct udp_link *k = (struct udp_link *)base;
    bool nowait = ipcx__deadline_remaining_ns(dl) == 0;
    for (;;) {
        ssize_t n = ipcx_udp_recv(k->u, k->buf, RBUF, NULL, ipcx__oneway_ms(dl));
        if (n == IPCX_EAGAIN && !nowait)
            return IPCX_ETIMEDOUT; /* the deadline ran out after a stray datagram */
        if (n == IPCX_ETRUNC)
            continue;
        if (n < 0)
            return (int)n;
        struct ipcx__minihdr h;
        if ((size_t)n < HDR || ipcx__minihdr_decode(k->buf, BODY_MAX, &h) < 0 ||
            h.len != (size_t)n - HDR)
            continue; /* not one of ours: dropped */
        return ipcx__minihdr_deliver(&h, k->buf + HDR, m);
    }
}

static void udp_close(struct ipcx_link *base)
{
    link_free((struct udp_link *)base);
}

const struct ipcx__transport ipcx__transport_udp = {
    .scheme = "udp",
    .dial_flags = IPCX_LINK_SEND | IPCX_LINK_SHARED,
    .listen_flags = IPCX_LINK_RECV | IPCX_LINK_SHARED,
    .dial = udp_dial,
    .listen = udp_listen,
    .accept = udp_accept,
    .listener_url = udp_listener_url,
    .listener_close = udp_listener_close,
    .send = udp_send,
    .recv = udp_recv,
    .close = udp_close,
};
