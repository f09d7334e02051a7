/* SPDX-License-Identifier: MIT */
/*
 * link/link.c: the public link API (ipcx/link.h). Parses URLs, checks
 * arguments, turns timeouts into deadlines, and dispatches to the
 * transport named by the scheme. A wait that ran out is reported per
 * ipcx__deadline_result(): IPCX_EAGAIN for IPCX_NOWAIT, IPCX_ETIMEDOUT
 * otherwise, so transports simply return IPCX_ETIMEDOUT. A link on which the peer broke the
 * protocol is closed for good: every later call returns IPCX_EPROTO.
 */
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>

#include "link/link.h"
#include "sys/fd.h"

static int find(const char *url, struct ipcx__url *u, const struct ipcx__transport **tp)
{
    int rc = ipcx__url_parse(url, u);
    if (rc < 0)
        return rc;
    *tp = ipcx__transport_find(u->scheme, strlen(u->scheme));
    return *tp ? 0 : IPCX_EBADURL;
}

static int check_opts(const struct ipcx_link_opts *o)
{
    if (!o)
        return 0;
    if (o->flags != 0 || (o->mode & ~07777u) != 0 || (unsigned)o->wait > IPCX_LINK_WAIT_BLOCK)
        return IPCX_EINVAL;
    return 0;
}

int ipcx_link_scheme_caps(const char *url, int listener)
{
    struct ipcx__url u;
    const struct ipcx__transport *tp;
    int rc = find(url, &u, &tp);
    if (rc < 0)
        return rc;
    return (int)(listener ? tp->listen_flags : tp->dial_flags);
}

int ipcx_link_dial(struct ipcx_link **out, const char *url, const struct ipcx_link_opts *opts,
                   int timeout_ms)
{
    if (!out)
        return IPCX_EINVAL;
    *out = NULL;
    struct ipcx__deadline dl;
    int rc = ipcx__deadline_init(&dl, timeout_ms);
    if (rc < 0)
        return rc;
    if ((rc = check_opts(opts)) < 0)
        return rc;
    struct ipcx__url u;
    const struct ipcx__transport *tp;
    if ((rc = find(url, &u, &tp)) < 0)
        return rc;
    static const struct ipcx_link_opts defaults;
    return (int)ipcx__deadline_map(tp->dial(out, &u, opts ? opts : &defaults, &dl), timeout_ms);
}

int ipcx_link_listen(struct ipcx_listener **out, const char *url, const struct ipcx_link_opts *opts)
{
    if (!out)
        return IPCX_EINVAL;
    *out = NULL;
    int rc = check_opts(opts);
    if (rc < 0)
        return rc;
    struct ipcx__url u;
    const struct ipcx__transport *tp;
    if ((rc = find(url, &u, &tp)) < 0)
        return rc;
    static const struct ipcx_link_opts defaults;
    return tp->listen(out, &u, opts ? opts : &defaults);
}

int ipcx_link_accept(struct ipcx_listener *l, struct ipcx_link **out, int timeout_ms)
{
    if (!l || !out)
        return IPCX_EINVAL;
    *out = NULL;
    struct ipcx__deadline dl;
    int rc = ipcx__deadline_init(&dl, timeout_ms);
    if (rc < 0)
        return rc;
    return (int)ipcx__deadline_map(l->tp->accept(l, out, &dl), timeout_ms);
}

int ipcx_listener_fd(const struct ipcx_listener *l)
{
    return l ? l->fd : IPCX_EINVAL;
}

int ipcx_listener_url(const struct ipcx_listener *l, char *buf, size_t size)
{
    if (!l || !buf || size == 0)
        return IPCX_EINVAL;
    return l->tp->listener_url(l, buf, size);
}

void ipcx_listener_close(struct ipcx_listener *l)
{
    if (l)
        l->tp->listener_close(l);
}

static void mark_broken(struct ipcx_link *k, int rc)
{
    if (rc == IPCX_EPROTO || rc == IPCX_EVERSION)
        k->broken = rc;
}

static int send_checks(struct ipcx_link *k, const struct ipcx_msg *m)
{
    if (!k || !m || (m->size > 0 && !m->data) || m->type < 0 || m->priority > IPCX_MSG_PRIO_MAX ||
        m->nfds > IPCX_MSG_MAX_FDS)
        return IPCX_EINVAL;
    for (unsigned i = 0; i < m->nfds; i++)
        if (m->fds[i] < 0)
            return IPCX_EINVAL;
    if (k->broken)
        return k->broken;
    if (!(k->caps.flags & IPCX_LINK_SEND) || (m->nfds > 0 && !(k->caps.flags & IPCX_LINK_FDS)))
        return IPCX_ENOTSUP;
    if (m->size > k->caps.max_msg)
        return IPCX_EMSGSIZE;
    return 0;
}

int ipcx__link_send_at(struct ipcx_link *k, const struct ipcx_msg *m,
                       const struct ipcx__deadline *dl)
{
    int rc = send_checks(k, m);
    if (rc < 0)
        return rc;
    rc = k->tp->send(k, m, dl);
    mark_broken(k, rc);
    return rc;
}

int ipcx_link_send(struct ipcx_link *k, const struct ipcx_msg *m, int timeout_ms)
{
    int rc = send_checks(k, m);
    if (rc < 0)
        return rc;
    struct ipcx__deadline dl;
    if ((rc = ipcx__deadline_init(&dl, timeout_ms)) < 0)
        return rc;
    rc = k->tp->send(k, m, &dl);
    mark_broken(k, rc);
    return (int)ipcx__deadline_map(rc, timeout_ms);
}

int ipcx_link_flush(struct ipcx_link *k, int timeout_ms)
{
    if (!k)
        return IPCX_EINVAL;
    if (k->broken)
        return k->broken;
    if (!k->tp->flush)
        return 0;
    struct ipcx__deadline dl;
    int rc = ipcx__deadline_init(&dl, timeout_ms);
    if (rc < 0)
        return rc;
    rc = k->tp->flush(k, &dl);
    mark_broken(k, rc);
    return (int)ipcx__deadline_map(rc, timeout_ms);
}

static int recv_checks(struct ipcx_link *k, struct ipcx_msg *m)
{
    if (!k || !m)
        return IPCX_EINVAL;
    memset(m, 0, sizeof *m);
    if (k->broken)
        return k->broken;
    if (!(k->caps.flags & IPCX_LINK_RECV))
        return IPCX_ENOTSUP;
    return 0;
}

int ipcx__link_recv_at(struct ipcx_link *k, struct ipcx_msg *m, const struct ipcx__deadline *dl)
{
    int rc = recv_checks(k, m);
    if (rc < 0)
        return rc;
    rc = k->tp->recv(k, m, dl);
    mark_broken(k, rc);
    return rc;
}

int ipcx_link_recv(struct ipcx_link *k, struct ipcx_msg *m, int timeout_ms)
{
    int rc = recv_checks(k, m);
    if (rc < 0)
        return rc;
    struct ipcx__deadline dl;
    if ((rc = ipcx__deadline_init(&dl, timeout_ms)) < 0)
        return rc;
    rc = k->tp->recv(k, m, &dl);
    mark_broken(k, rc);
    return (int)ipcx__deadline_map(rc, timeout_ms);
}

int ipcx_link_fd(const struct ipcx_link *k)
{
    if (!k)
        return IPCX_EINVAL;
    return k->fd >= 0 ? k->fd : IPCX_ENOTSUP;
}

int ipcx_link_arm(struct ipcx_link *k)
{
    if (!k)
        return IPCX_EINVAL;
    if (k->broken)
        return 1; /* a receive returns at once, with the error */
    return k->tp->arm ? k->tp->arm(k) : 0;
}

int ipcx_link_caps(const struct ipcx_link *k, struct ipcx_link_caps *out)
{
    if (!k || !out)
        return IPCX_EINVAL;
    *out = k->caps;
    return 0;
}

int ipcx_link_peer_cred(const struct ipcx_link *k, struct ipcx_cred *out)
{
    if (!k || !out)
        return IPCX_EINVAL;
    if (!k->tp->peer_cred || !(k->caps.flags & IPCX_LINK_CRED))
        return IPCX_ENOTSUP;
    return k->tp->peer_cred(k, out);
}

const char *ipcx_link_scheme(const struct ipcx_link *k)
{
    return k ? k->tp->scheme : "";
}

void ipcx_link_close(struct ipcx_link *k)
{
    if (k)
        k->tp->close(k);
}

void ipcx_msg_release(struct ipcx_msg *m)
{
    if (!m || !(m->flags & IPCX_MSG_OWNED))
        return;
    free(m->data);
    for (unsigned i = 0; i < m->nfds && i < IPCX_MSG_MAX_FDS; i++)
        if (m->fds[i] >= 0)
            ipcx__close(m->fds[i]);
    memset(m, 0, sizeof *m);
}
