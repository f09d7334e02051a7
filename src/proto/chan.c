/* SPDX-License-Identifier: MIT */
/*
 * proto/chan.c: the public channel API (ipcx/chan.h): opening and closing,
 * endpoints (listen, dial), the patterns' send and receive, rendezvous,
 * subscriptions, events and statistics. The design is in
 * docs/design/channels.md; the inside of a channel in proto/core.h.
 *
 * The data path runs in the caller's thread: a send goes straight onto a
 * link when that peer's send queue is empty, a receive with an empty
 * receive queue reads straight from the link (proto/reader.c). Neither
 * copies the body nor makes a system call beyond the transport's own.
 */
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>

#include "proto/core.h"
#include "sys/fd.h"
#include "sys/waitfd.h"
#include "sys/wake.h"
#include "sys/wakefd.h"

static _Thread_local const char *last_reason = "";

void ipcx__chan_set_reason(const char *why)
{
    last_reason = why ? why : "";
}

const char *ipcx_chan_last_reason(void)
{
    return last_reason;
}

static int notsup(const char *why)
{
    ipcx__chan_set_reason(why);
    return IPCX_ENOTSUP;
}

int ipcx_chan_open(struct ipcx_chan **out, enum ipcx_pattern pattern,
                   const struct ipcx_chan_opts *opts)
{
    if (!out)
        return IPCX_EINVAL;
    *out = NULL;
    static const struct ipcx_chan_opts defaults;
    if (!opts)
        opts = &defaults;
    if (pattern < IPCX_PAIR || pattern > IPCX_REP || (unsigned)opts->full > IPCX_FULL_DROP_OLDEST ||
        (opts->flags & ~IPCX_CHAN_PRIORITY) != 0)
        return IPCX_EINVAL;
    int rc = IPCX_ENOMEM;
    struct ipcx_chan *c = calloc(1, sizeof *c);
    if (!c)
        return IPCX_ENOMEM;
    c->wake_reader = c->wake_thread = -1;
    c->pattern = pattern;
    c->capacity = opts->capacity ? opts->capacity : IPCX__CHAN_DEFAULT_CAPACITY;
    c->full = opts->full;
    c->max_msg = opts->max_msg;
    c->flags = opts->flags;
    ipcx__msgq_init(&c->rxq, false);
    if ((rc = ipcx__wakefd_event(0)) < 0)
        goto fail;
    c->wake_reader = rc;
    if ((rc = ipcx__wakefd_event(0)) < 0)
        goto fail;
    c->wake_thread = rc;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    rc = pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0) {
        rc = IPCX_ENOMEM;
        goto fail;
    }
    pthread_mutex_init(&c->mu, NULL);
    *out = c;
    return 0;
fail:
    ipcx__close(c->wake_reader);
    ipcx__close(c->wake_thread);
    free(c);
    return rc;
}

int ipcx_chan_set_capacity(struct ipcx_chan *c, size_t capacity, enum ipcx_full full)
{
    if (!c || (unsigned)full > IPCX_FULL_DROP_OLDEST)
        return IPCX_EINVAL;
    pthread_mutex_lock(&c->mu);
    int rc = c->started ? IPCX_EBUSY : 0;
    if (rc == 0) {
        c->capacity = capacity;
        c->full = full;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* The link options a channel uses: its max_msg when the caller gave none. */
static const struct ipcx_link_opts *
link_opts(const struct ipcx_chan *c, const struct ipcx_link_opts *opts, struct ipcx_link_opts *tmp)
{
    if (opts || !c->max_msg)
        return opts;
    memset(tmp, 0, sizeof *tmp);
    tmp->max_msg = c->max_msg;
    return tmp;
}

static int check_fit(struct ipcx_chan *c, const char *url, bool listener)
{
    int flags = ipcx_link_scheme_caps(url, listener);
    if (flags < 0)
        return flags;
    pthread_mutex_lock(&c->mu);
    size_t capacity = c->capacity;
    pthread_mutex_unlock(&c->mu);
    const char *why = "";
    int rc = ipcx__pattern_fits(c->pattern, capacity, (unsigned)flags, listener, &why);
    if (rc < 0)
        ipcx__chan_set_reason(why);
    return rc;
}

int ipcx_chan_listen(struct ipcx_chan *c, const char *url, const struct ipcx_link_opts *opts)
{
    if (!c || !url)
        return IPCX_EINVAL;
    int rc = check_fit(c, url, true);
    if (rc < 0)
        return rc;
    struct ipcx_link_opts tmp;
    struct ipcx_listener *l;
    if ((rc = ipcx_link_listen(&l, url, link_opts(c, opts, &tmp))) < 0)
        return rc;
    struct ipcx__endpoint *e = calloc(1, sizeof *e);
    if (!e) {
        ipcx_listener_close(l);
        return IPCX_ENOMEM;
    }
    pthread_mutex_lock(&c->mu);
    if ((rc = ipcx__service_ensure(c)) < 0) {
        pthread_mutex_unlock(&c->mu);
        ipcx_listener_close(l);
        free(e);
        return rc;
    }
    c->started = true;
    e->id = ++c->next_endpoint;
    e->lis = l;
    e->next = c->eps;
    c->eps = e;
    c->nlisteners++;
    ipcx__wake_signal(c->wake_thread);
    rc = e->id;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int ipcx_chan_dial(struct ipcx_chan *c, const char *url, const struct ipcx_link_opts *opts,
                   int timeout_ms)
{
    if (!c || !url)
        return IPCX_EINVAL;
    struct ipcx__deadline dl;
    int rc = ipcx__deadline_init(&dl, timeout_ms);
    if (rc < 0)
        return rc;
    if ((rc = check_fit(c, url, false)) < 0)
        return rc;
    struct ipcx__endpoint *e = calloc(1, sizeof *e);
    if (!e)
        return IPCX_ENOMEM;
    pthread_mutex_lock(&c->mu);
    if (c->pattern == IPCX_PAIR && (c->npeers > 0 || c->pair_reserved)) {
        pthread_mutex_unlock(&c->mu);
        free(e);
        ipcx__chan_set_reason("a pair has one peer, and this one has it");
        return IPCX_EBUSY;
    }
    c->started = true;
    if (c->pattern == IPCX_PAIR)
        c->pair_reserved = true;
    pthread_mutex_unlock(&c->mu);

    struct ipcx_link_opts tmp;
    struct ipcx_link *k = NULL;
    rc = ipcx_link_dial(&k, url, link_opts(c, opts, &tmp), timeout_ms);
    if (rc == 0) {
        struct ipcx_link_caps caps;
        ipcx_link_caps(k, &caps);
        if ((caps.flags & IPCX_LINK_SEND) && (caps.flags & IPCX_LINK_RECV))
            rc = ipcx__handshake_dial(c, k, &dl);
    }
    pthread_mutex_lock(&c->mu);
    c->pair_reserved = false;
    uint32_t id = 0;
    if (rc == 0)
        rc = ipcx__peer_join(c, k, c->next_endpoint + 1, &id);
    if (rc == 0) {
        e->id = ++c->next_endpoint;
        e->peer = id;
        e->next = c->eps;
        c->eps = e;
        rc = e->id;
        e = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    if (rc < 0) {
        ipcx_link_close(k);
        rc = ipcx__deadline_map(rc, timeout_ms);
    }
    free(e);
    return rc;
}

int ipcx_chan_endpoint_url(struct ipcx_chan *c, int id, char *buf, size_t size)
{
    if (!c || !buf || size == 0)
        return IPCX_EINVAL;
    pthread_mutex_lock(&c->mu);
    struct ipcx__endpoint *e = c->eps;
    while (e && e->id != id)
        e = e->next;
    /* Only the service thread closes listeners, and it takes mu to do so. */
    int rc = !e ? IPCX_ENOENT : !e->lis ? IPCX_EINVAL : ipcx_listener_url(e->lis, buf, size);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int ipcx_chan_close_endpoint(struct ipcx_chan *c, int id)
{
    if (!c || id <= 0)
        return IPCX_EINVAL;
    pthread_mutex_lock(&c->mu);
    struct ipcx__endpoint *e = c->eps;
    while (e && e->id != id)
        e = e->next;
    if (!e) {
        pthread_mutex_unlock(&c->mu);
        return IPCX_ENOENT;
    }
    if (!e->lis) {
        struct ipcx__peer *p = ipcx__peer_find(c, e->peer);
        if (p)
            ipcx__peer_gone(c, p, IPCX_ECLOSED); /* removes the endpoint */
        pthread_mutex_unlock(&c->mu);
        return 0;
    }
    e->closing = true;
    ipcx__wake_signal(c->wake_thread);
    for (;;) {
        struct ipcx__endpoint *x = c->eps;
        while (x && x != e)
            x = x->next;
        if (!x)
            break;
        pthread_cond_wait(&c->cv, &c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return 0;
}

/* --- sending --------------------------------------------------------- */

static struct ipcx__await *await_add(struct ipcx_chan *c, uint64_t seq, uint32_t peer)
{
    struct ipcx__await *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->seq = seq;
    a->peer = peer;
    a->next = c->awaits;
    c->awaits = a;
    return a;
}

static void await_remove(struct ipcx_chan *c, struct ipcx__await *a)
{
    for (struct ipcx__await **x = &c->awaits; *x; x = &(*x)->next) {
        if (*x == a) {
            *x = a->next;
            free(a);
            return;
        }
    }
}

/*
 * Reads the links (or waits for the reader) until every wait in `as` is
 * settled or the deadline passes. Called and returns with mu held.
 */
static int await_all(struct ipcx_chan *c, struct ipcx__await **as, size_t n,
                     const struct ipcx__deadline *dl)
{
    for (;;) {
        bool open = false;
        for (size_t i = 0; i < n; i++)
            open |= as[i] && as[i]->state == 0;
        if (!open)
            return 0;
        int rc;
        if (c->reading || ipcx__rx_blocked(c))
            rc = ipcx__chan_wait(c, dl);
        else
            rc = ipcx__reader_step(c, dl, false, NULL, NULL);
        if (rc == IPCX_ETIMEDOUT) {
            for (size_t i = 0; i < n; i++)
                if (as[i] && as[i]->state == 0)
                    return IPCX_ETIMEDOUT;
            return 0;
        }
        if (rc < 0)
            return rc;
    }
}

static int check_msg(const struct ipcx_chan *c, const struct ipcx_msg *m)
{
    if (!m || (m->size > 0 && !m->data) || m->type < 0 || m->priority > IPCX_MSG_PRIO_MAX ||
        m->nfds > IPCX_MSG_MAX_FDS)
        return IPCX_EINVAL;
    if (c->max_msg && m->size > c->max_msg)
        return IPCX_EMSGSIZE;
    return 0;
}

/*
 * Sends to one peer chosen by the pattern (PAIR: its peer; PUSH, REQ: the
 * next in turn with room; REP: the requester). Returns with mu held.
 */
static int send_one(struct ipcx_chan *c, struct ipcx_msg *w, const struct ipcx__deadline *dl,
                    uint32_t to, struct ipcx__await *aw)
{
    for (;;) {
        if (c->pattern == IPCX_REP) {
            if (!ipcx__peer_find(c, to))
                return IPCX_ECLOSED;
        } else {
            while (c->npeers == 0) {
                if (c->pattern == IPCX_PAIR && c->had_peer && c->nlisteners == 0)
                    return IPCX_ECLOSED;
                int rc = ipcx__chan_wait(c, dl);
                if (rc < 0)
                    return rc;
            }
        }
        struct ipcx__peer *stack[16];
        size_t n = c->pattern == IPCX_REP || c->pattern == IPCX_PAIR ? 1 : c->npeers;
        int fstack[16];
        struct ipcx__peer **ps = n <= 16 ? stack : malloc(n * sizeof *ps);
        int *fails = n <= 16 ? fstack : calloc(n, sizeof *fails);
        if (!ps || !fails) {
            if (ps != stack)
                free(ps);
            if (fails != fstack)
                free(fails);
            return IPCX_ENOMEM;
        }
        memset(fails, 0, n * sizeof *fails);
        size_t start = c->rr;
        for (size_t i = 0; i < n; i++) {
            ps[i] =
                c->pattern == IPCX_REP ? ipcx__peer_find(c, to) : c->peers[(start + i) % c->npeers];
            ps[i]->refs++;
        }
        for (size_t i = 0; i < n; i++) {
            if (w->size > ps[i]->max_msg) {
                for (size_t j = 0; j < n; j++)
                    ipcx__peer_unref(c, ps[j]);
                if (ps != stack)
                    free(ps);
                if (fails != fstack)
                    free(fails);
                return IPCX_EMSGSIZE;
            }
        }
        pthread_mutex_unlock(&c->mu);

        int rc = IPCX_EAGAIN;
        size_t chosen = n;
        /* Load balancing: the first peer whose link takes it now, then the
         * first with room in its queue, then the policy on the next in turn. */
        if (n > 1) {
            for (size_t i = 0; i < n && chosen == n; i++) {
                rc = ipcx__peer_send(c, ps[i], w, dl, IPCX__SEND_TRY);
                if (rc >= 0)
                    chosen = i;
                else if (ipcx__link_failed(rc))
                    fails[i] = rc;
            }
            for (size_t i = 0; i < n && chosen == n; i++) {
                if (fails[i])
                    continue;
                rc = ipcx__peer_send(c, ps[i], w, dl, IPCX__SEND_ROOM);
                if (rc >= 0)
                    chosen = i;
            }
        }
        if (chosen == n) {
            size_t i = 0;
            while (i < n && fails[i])
                i++;
            if (i < n) {
                rc = ipcx__peer_send(c, ps[i], w, dl, IPCX__SEND_POLICY);
                if (rc >= 0)
                    chosen = i;
                else if (ipcx__link_failed(rc))
                    fails[i] = rc;
            }
        }

        pthread_mutex_lock(&c->mu);
        bool any_failed = false;
        for (size_t i = 0; i < n; i++) {
            if (fails[i]) {
                ipcx__peer_gone(c, ps[i], fails[i]);
                any_failed = true;
            }
        }
        if (chosen < n) {
            if (c->pattern == IPCX_PUSH || c->pattern == IPCX_REQ)
                c->rr = start + chosen + 1;
            if (aw) {
                if (rc == 1)
                    aw->state = 1; /* dropped: nothing to wait for */
                else if (ps[chosen]->gone)
                    aw->state = IPCX_ECLOSED;
                else
                    aw->peer = ps[chosen]->id;
            }
        }
        for (size_t i = 0; i < n; i++)
            ipcx__peer_unref(c, ps[i]);
        if (ps != stack)
            free(ps);
        if (fails != fstack)
            free(fails);
        if (chosen < n)
            return 0;
        /* Every peer tried failed: PAIR reports it, the others try again. */
        if (!any_failed || c->pattern == IPCX_PAIR || c->pattern == IPCX_REP)
            return rc;
    }
}

/* PUB: to every subscriber, each under the policy. Returns with mu held. */
static int send_all(struct ipcx_chan *c, struct ipcx_msg *w, const struct ipcx__deadline *dl,
                    struct ipcx__await ***aws, size_t *naws)
{
    size_t n = c->npeers;
    *aws = NULL;
    *naws = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (w->size > c->peers[i]->max_msg)
            return IPCX_EMSGSIZE;
    struct ipcx__peer **ps = malloc(n * sizeof *ps);
    int *rcs = calloc(n, sizeof *rcs);
    struct ipcx__await **as = NULL;
    if (ps && rcs && c->capacity == 0)
        as = calloc(n, sizeof *as);
    if (!ps || !rcs || (c->capacity == 0 && !as)) {
        free(ps);
        free(rcs);
        free(as);
        return IPCX_ENOMEM;
    }
    uint64_t seq = w->id & IPCX__WIRE_IDMASK;
    for (size_t i = 0; i < n; i++) {
        ps[i] = c->peers[i];
        ps[i]->refs++;
        if (as)
            as[i] = await_add(c, seq, ps[i]->id);
    }
    pthread_mutex_unlock(&c->mu);
    for (size_t i = 0; i < n; i++)
        rcs[i] = ipcx__peer_send(c, ps[i], w, dl, IPCX__SEND_POLICY);
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (ipcx__link_failed(rcs[i]))
            ipcx__peer_gone(c, ps[i], rcs[i]);
        else if (rcs[i] < 0 && rc == 0)
            rc = rcs[i];
        if (as && as[i] && rcs[i] != 0) {
            /* Not on its way to that subscriber: nothing to wait for. */
            await_remove(c, as[i]);
            as[i] = NULL;
        }
        ipcx__peer_unref(c, ps[i]);
    }
    free(ps);
    free(rcs);
    *aws = as;
    *naws = as ? n : 0;
    return rc;
}

static void wake_service_if_queued(struct ipcx_chan *c)
{
    if (atomic_load(&c->queued) > 0)
        ipcx__service_ensure(c);
}

int ipcx_chan_send(struct ipcx_chan *c, struct ipcx_msg *m, int timeout_ms)
{
    if (!c)
        return IPCX_EINVAL;
    int rc = check_msg(c, m);
    if (rc < 0)
        return rc;
    if (!ipcx__pattern_sends(c->pattern))
        return notsup("subscribers and pullers only receive");
    if (c->pattern == IPCX_REP && (m->id == 0 || (m->id & ~IPCX__WIRE_IDMASK) || m->peer == 0))
        return IPCX_EINVAL;
    struct ipcx__deadline dl;
    if ((rc = ipcx__deadline_init(&dl, timeout_ms)) < 0)
        return rc;

    struct ipcx_msg w = *m;
    w.flags = 0;
    w.peer = 0;
    pthread_mutex_lock(&c->mu);
    uint64_t id = 0;
    if (c->pattern == IPCX_REQ)
        id = ++c->next_req & IPCX__WIRE_IDMASK;
    else if (c->pattern == IPCX_REP)
        id = m->id;
    w.id = id;
    bool rdv = c->capacity == 0;
    struct ipcx__await *aw = NULL, **aws = NULL;
    size_t naws = 0;
    if (rdv) {
        uint64_t seq = id ? id : (++c->next_seq & IPCX__WIRE_IDMASK);
        w.id = IPCX__WIRE_ACKREQ | seq;
        if (c->pattern != IPCX_PUB &&
            !(aw = await_add(c, seq, c->pattern == IPCX_REP ? m->peer : 0))) {
            pthread_mutex_unlock(&c->mu);
            return IPCX_ENOMEM;
        }
    }
    if (c->pattern == IPCX_PUB)
        rc = send_all(c, &w, &dl, &aws, &naws);
    else
        rc = send_one(c, &w, &dl, m->peer, aw);
    if (rc == 0 && c->pattern == IPCX_REQ)
        m->id = id;
    if (rc == 0 && rdv) {
        if (aw)
            rc = await_all(c, &aw, 1, &dl);
        else if (naws)
            rc = await_all(c, aws, naws, &dl);
        if (rc == 0 && aw && aw->state < 0 && c->pattern != IPCX_PUB)
            rc = aw->state;
    }
    if (aw)
        await_remove(c, aw);
    for (size_t i = 0; i < naws; i++)
        if (aws[i])
            await_remove(c, aws[i]);
    free(aws);
    if (rc == 0)
        atomic_fetch_add(&c->sent, 1);
    wake_service_if_queued(c);
    pthread_mutex_unlock(&c->mu);
    return rc < 0 ? (int)ipcx__deadline_map(rc == IPCX_EAGAIN && timeout_ms != 0 &&
                                                    c->full == IPCX_FULL_BLOCK
                                                ? IPCX_ETIMEDOUT
                                                : rc,
                                            timeout_ms)
                  : 0;
}

/* --- receiving ------------------------------------------------------- */

static void deliver(struct ipcx_chan *c, struct ipcx_msg *m, const struct ipcx_msg *got)
{
    *m = *got;
    m->flags |= IPCX_MSG_OWNED;
    atomic_fetch_add(&c->received, 1);
}

static int recv_common(struct ipcx_chan *c, struct ipcx_msg *m, enum ipcx_select sel, long type,
                       bool by_id, uint64_t id, int timeout_ms)
{
    if (!c || !m)
        return IPCX_EINVAL;
    memset(m, 0, sizeof *m);
    if ((unsigned)sel > IPCX_SEL_EXCEPT || type < 0)
        return IPCX_EINVAL;
    if (!ipcx__pattern_recvs(c->pattern))
        return notsup("publishers and pushers only send");
    if (by_id && c->pattern != IPCX_REQ)
        return notsup("only a requester waits for replies");
    struct ipcx__deadline dl;
    int rc = ipcx__deadline_init(&dl, timeout_ms);
    if (rc < 0)
        return rc;

    bool timed_out = false;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        struct ipcx__qnode *n =
            by_id ? ipcx__msgq_take_id(&c->rxq, id) : ipcx__msgq_take(&c->rxq, sel, type);
        ipcx__rx_trim(c);
        if (n) {
            struct ipcx__peer *p = n->want_ack ? ipcx__peer_find(c, n->m.peer) : NULL;
            if (p)
                p->refs++;
            pthread_cond_broadcast(&c->cv); /* room in the queue */
            pthread_mutex_unlock(&c->mu);
            deliver(c, m, &n->m);
            uint64_t seq = n->ack;
            free(n);
            if (p) {
                ipcx__peer_send_ack(p, seq);
                pthread_mutex_lock(&c->mu);
                ipcx__peer_unref(c, p);
                pthread_mutex_unlock(&c->mu);
            }
            return 0;
        }
        if (timed_out) {
            rc = IPCX_ETIMEDOUT;
            break;
        }
        if (c->pattern == IPCX_PAIR && c->npeers == 0 && c->had_peer && c->nlisteners == 0 &&
            !c->reading) {
            rc = IPCX_ECLOSED;
            break;
        }
        if (c->reading || ipcx__rx_blocked(c)) {
            rc = ipcx__chan_wait(c, &dl);
        } else {
            bool drain =
                sel != IPCX_SEL_ANY || by_id || (c->flags & IPCX_CHAN_PRIORITY) || c->prio_seen;
            struct ipcx_msg got;
            struct ipcx__rxinfo info = {0};
            rc = ipcx__reader_step(c, &dl, drain, &got, &info);
            if (rc == 1) {
                pthread_mutex_unlock(&c->mu);
                deliver(c, m, &got);
                if (info.want_ack) {
                    ipcx__peer_send_ack(info.peer, info.seq);
                    pthread_mutex_lock(&c->mu);
                    ipcx__peer_unref(c, info.peer);
                    pthread_mutex_unlock(&c->mu);
                }
                return 0;
            }
        }
        if (rc == IPCX_ETIMEDOUT) {
            /* One last look: the reader may have queued it just now. */
            timed_out = true;
            continue;
        }
        if (rc < 0)
            break;
    }
    pthread_mutex_unlock(&c->mu);
    return (int)ipcx__deadline_map(rc, timeout_ms);
}

int ipcx_chan_recv(struct ipcx_chan *c, struct ipcx_msg *m, int timeout_ms)
{
    return recv_common(c, m, IPCX_SEL_ANY, 0, false, 0, timeout_ms);
}

int ipcx_chan_recv_select(struct ipcx_chan *c, struct ipcx_msg *m, enum ipcx_select sel, long type,
                          int timeout_ms)
{
    return recv_common(c, m, sel, type, false, 0, timeout_ms);
}

int ipcx_chan_recv_reply(struct ipcx_chan *c, uint64_t id, struct ipcx_msg *m, int timeout_ms)
{
    if (id == 0 || (id & ~IPCX__WIRE_IDMASK))
        return IPCX_EINVAL;
    return recv_common(c, m, IPCX_SEL_ANY, 0, true, id, timeout_ms);
}

/* --- subscriptions, events, statistics ------------------------------- */

int ipcx_chan_subscribe(struct ipcx_chan *c, const void *prefix, size_t len)
{
    if (!c || (len > 0 && !prefix))
        return IPCX_EINVAL;
    if (c->pattern != IPCX_SUB)
        return notsup("only subscribers subscribe");
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy)
        return IPCX_ENOMEM;
    if (len)
        memcpy(copy, prefix, len);
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->nsubs; i++) {
        if (c->subs[i].len == len && memcmp(c->subs[i].prefix, copy, len) == 0) {
            pthread_mutex_unlock(&c->mu);
            free(copy);
            return 0;
        }
    }
    struct ipcx__sub *ns = realloc(c->subs, (c->nsubs + 1) * sizeof *ns);
    if (!ns) {
        pthread_mutex_unlock(&c->mu);
        free(copy);
        return IPCX_ENOMEM;
    }
    c->subs = ns;
    c->subs[c->nsubs++] = (struct ipcx__sub){copy, len};
    pthread_mutex_unlock(&c->mu);
    return 0;
}

int ipcx_chan_unsubscribe(struct ipcx_chan *c, const void *prefix, size_t len)
{
    if (!c || (len > 0 && !prefix))
        return IPCX_EINVAL;
    if (c->pattern != IPCX_SUB)
        return notsup("only subscribers subscribe");
    int rc = IPCX_ENOENT;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->nsubs; i++) {
        if (c->subs[i].len == len && (len == 0 || memcmp(c->subs[i].prefix, prefix, len) == 0)) {
            free(c->subs[i].prefix);
            c->subs[i] = c->subs[--c->nsubs];
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int ipcx_chan_event(struct ipcx_chan *c, struct ipcx_chan_event *ev, int timeout_ms)
{
    if (!c || !ev)
        return IPCX_EINVAL;
    struct ipcx__deadline dl;
    int rc = ipcx__deadline_init(&dl, timeout_ms);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        if (c->ev_count) {
            *ev = c->events[c->ev_head];
            c->ev_head = (c->ev_head + 1) % IPCX__CHAN_EVENTS;
            c->ev_count--;
            rc = 0;
            break;
        }
        /* Reading the links is what notices a peer leaving. */
        if (c->reading || ipcx__rx_blocked(c))
            rc = ipcx__chan_wait(c, &dl);
        else
            rc = ipcx__reader_step(c, &dl, false, NULL, NULL);
        if (rc == IPCX_ETIMEDOUT && c->ev_count == 0)
            break;
        if (rc < 0 && rc != IPCX_ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&c->mu);
    return (int)ipcx__deadline_map(rc, timeout_ms);
}

int ipcx_chan_stats(struct ipcx_chan *c, struct ipcx_chan_stats *out)
{
    if (!c || !out)
        return IPCX_EINVAL;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&c->mu);
    out->sent = atomic_load(&c->sent);
    out->received = atomic_load(&c->received);
    out->dropped = atomic_load(&c->dropped);
    out->lost = atomic_load(&c->lost);
    out->filtered = atomic_load(&c->filtered);
    out->peers_joined = c->peers_joined;
    out->peers_left = c->peers_left;
    out->peers = (unsigned)c->npeers;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

void ipcx_chan_close(struct ipcx_chan *c, int linger_ms)
{
    if (!c)
        return;
    struct ipcx__deadline dl;
    if (ipcx__deadline_init(&dl, linger_ms) < 0)
        ipcx__deadline_init(&dl, 0);
    ipcx__service_stop(c);
    /* No other thread may use the channel now (ipcx/chan.h). */
    for (size_t i = 0; i < c->npeers; i++) {
        struct ipcx__peer *p = c->peers[i];
        pthread_mutex_lock(&p->send_mu);
        while (p->sendq.count) {
            struct ipcx__qnode *n = ipcx__msgq_peek(&p->sendq);
            if (ipcx__link_send_dl(p->link, &n->m, &dl) < 0)
                break;
            ipcx__qnode_free(ipcx__msgq_take(&p->sendq, IPCX_SEL_ANY, 0));
            atomic_fetch_sub(&c->queued, 1);
        }
        pthread_mutex_unlock(&p->send_mu);
    }
    while (c->npeers) {
        struct ipcx__peer *p = c->peers[--c->npeers];
        p->gone = true;
        ipcx__peer_unref(c, p);
    }
    free(c->peers);
    while (c->eps) {
        struct ipcx__endpoint *e = c->eps;
        c->eps = e->next;
        if (e->lis)
            ipcx_listener_close(e->lis);
        free(e);
    }
    ipcx__msgq_clear(&c->rxq);
    while (c->awaits)
        await_remove(c, c->awaits);
    for (size_t i = 0; i < c->nsubs; i++)
        free(c->subs[i].prefix);
    free(c->subs);
    ipcx__close(c->wake_reader);
    ipcx__close(c->wake_thread);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}
