/* SPDX-License-Identifier: MIT */
/*
 * link/link.h: the interface between the link layer and the transports.
 *
 * A transport is one file, src/transport/<scheme>.c, that fills one
 * `struct ipcx__transport` and is listed once in link/registry.c. It
 * embeds `struct ipcx_link` (and `struct ipcx_listener`) as the first
 * member of its own link (listener) object. The link layer (link.c) parses
 * the URL, checks arguments, turns timeouts into deadlines and dispatches;
 * it also keeps a link that failed with IPCX_EPROTO closed for good.
 *
 * What each operation must do:
 *   dial/listen/accept  as in ipcx/link.h; on success fill base.tp,
 *                       base.caps and base.fd (pollable for receive, or -1
 *                       only if the link cannot receive).
 *   send                the whole message or nothing; the layer has
 *                       already checked size <= caps.max_msg, nfds <=
 *                       IPCX_MSG_MAX_FDS, and that descriptors are only
 *                       sent where caps say IPCX_LINK_FDS.
 *   recv                fills an owned message (IPCX_MSG_OWNED, body from
 *                       malloc, may be NULL when size 0), checks any length
 *                       a peer declares against caps.max_msg before
 *                       allocating.
 *   arm                 optional; NULL means the fd is level-triggered.
 *   peer_cred           optional; NULL means IPCX_ENOTSUP.
 *   flush               optional (NULL: a send never leaves anything
 *                       behind); writes what an earlier send committed but
 *                       could not write before its deadline (the rest of a
 *                       frame). 0 when nothing is left, IPCX_ETIMEDOUT when
 *                       some still is, or the send's error.
 *   close               frees everything; never blocks.
 * Transports use only src/mech, src/ring and src/sys to reach the kernel.
 */
#ifndef IPCX_LINK_LINK_H
#define IPCX_LINK_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include <ipcx/link.h>

#include "link/url.h"
#include "sys/deadline.h"

struct ipcx__transport;

struct ipcx_link {
    const struct ipcx__transport *tp;
    struct ipcx_link_caps caps;
    int fd;     /* readable when a receive may not block; -1 for send-only */
    int broken; /* 0, or the code every later call returns (IPCX_EPROTO) */
};

struct ipcx_listener {
    const struct ipcx__transport *tp;
    int fd; /* readable when accept may not block */
};

struct ipcx__transport {
    const char *scheme;
    unsigned dial_flags;   /* IPCX_LINK_* at a dialing end */
    unsigned listen_flags; /* IPCX_LINK_* at a listener's links */

    int (*dial)(struct ipcx_link **out, const struct ipcx__url *url,
                const struct ipcx_link_opts *opts, const struct ipcx__deadline *dl);
    int (*listen)(struct ipcx_listener **out, const struct ipcx__url *url,
                  const struct ipcx_link_opts *opts);
    int (*accept)(struct ipcx_listener *l, struct ipcx_link **out, const struct ipcx__deadline *dl);
    int (*listener_url)(const struct ipcx_listener *l, char *buf, size_t size);
    void (*listener_close)(struct ipcx_listener *l);

    int (*send)(struct ipcx_link *k, const struct ipcx_msg *m, const struct ipcx__deadline *dl);
    int (*recv)(struct ipcx_link *k, struct ipcx_msg *m, const struct ipcx__deadline *dl);
    int (*arm)(struct ipcx_link *k);
    int (*peer_cred)(const struct ipcx_link *k, struct ipcx_cred *out);
    void (*close)(struct ipcx_link *k);
    int (*flush)(struct ipcx_link *k, const struct ipcx__deadline *dl);
};

/*
 * ipcx_link_send/recv for layers above that already hold a deadline (the
 * channels): the same checks, no second reading of the clock, and the
 * transport's own result (IPCX_ETIMEDOUT at the deadline, never mapped to
 * IPCX_EAGAIN: the caller maps at its own public boundary).
 */
int ipcx__link_send_at(struct ipcx_link *k, const struct ipcx_msg *m,
                       const struct ipcx__deadline *dl);
int ipcx__link_recv_at(struct ipcx_link *k, struct ipcx_msg *m, const struct ipcx__deadline *dl);

/* The transport for a scheme, or NULL. */
const struct ipcx__transport *ipcx__transport_find(const char *scheme, size_t len);

#endif
