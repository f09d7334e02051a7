/* SPDX-License-Identifier: MIT */
/*
 * proto/peer.c: the peers of a channel: joining and leaving (with their
 * events), and sending one message to one peer: straight onto its link
 * when its send queue is empty, else into the queue or as the full-queue
 * policy says. Relies on the public link API only.
 *
 * A send never copies a message that goes straight onto the link. Only a
 * message that must wait in a send queue (the link is full and the policy
 * is not BLOCK) is copied, descriptors duplicated, since the caller keeps
 * what it lent.
 */
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>

#include "link/link.h"
#include "proto/core.h"
#include "sys/fd.h"
#include "sys/wake.h"

int ipcx__link_send_dl(struct ipcx_link *k, const struct ipcx_msg *m,
                       const struct ipcx__deadline *dl)
{
    /* A deadline already over is a non-blocking try: EAGAIN, as the public
     * call gives for IPCX_NOWAIT. */
    int rc = ipcx__link_send_at(k, m, dl);
    return rc == IPCX_ETIMEDOUT && dl->at_ns == 0 ? IPCX_EAGAIN : rc;
}

int ipcx__link_recv_dl(struct ipcx_link *k, struct ipcx_msg *m, const struct ipcx__deadline *dl)
{
    int rc = ipcx__link_recv_at(k, m, dl);
    return rc == IPCX_ETIMEDOUT && dl->at_ns == 0 ? IPCX_EAGAIN : rc;
}

bool ipcx__link_failed(int rc)
{
    switch (rc) {
    case 0:
    case IPCX_EAGAIN:
    case IPCX_ETIMEDOUT:
    case IPCX_EMSGSIZE:
    case IPCX_EINVAL:
    case IPCX_ENOTSUP:
    case IPCX_ENOMEM:
    case IPCX_EINTR:
        return false;
    default:
        return rc < 0;
    }
}

void ipcx__chan_wake_reader(struct ipcx_chan *c)
{
    if (c->reader_polling)
        ipcx__wake_signal(c->wake_reader);
    pthread_cond_broadcast(&c->cv);
}

int ipcx__chan_wait(struct ipcx_chan *c, const struct ipcx__deadline *dl)
{
    struct timespec at;
    if (!ipcx__deadline_abs_monotonic(dl, &at)) {
        pthread_cond_wait(&c->cv, &c->mu);
        return 0;
    }
    if (ipcx__deadline_expired(dl))
        return IPCX_ETIMEDOUT;
    int rc = pthread_cond_timedwait(&c->cv, &c->mu, &at);
    if (rc != 0 && ipcx__deadline_expired(dl))
        return IPCX_ETIMEDOUT;
    return 0;
}

void ipcx__chan_event_push(struct ipcx_chan *c, enum ipcx_chan_event_kind kind, uint32_t peer,
                           int endpoint, int reason, const struct ipcx__peer *p)
{
    if (c->ev_count == IPCX__CHAN_EVENTS) {
        c->ev_head = (c->ev_head + 1) % IPCX__CHAN_EVENTS;
        c->ev_count--;
    }
    struct ipcx_chan_event *e = &c->events[(c->ev_head + c->ev_count) % IPCX__CHAN_EVENTS];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->peer = peer;
    e->endpoint = endpoint;
    e->reason = reason;
    if (p && p->has_cred) {
        e->has_cred = 1;
        e->cred = p->cred;
    }
    c->ev_count++;
    pthread_cond_broadcast(&c->cv);
}

int ipcx__peer_join(struct ipcx_chan *c, struct ipcx_link *k, int endpoint, uint32_t *id)
{
    if (c->npeers == c->peers_cap) {
        size_t cap = c->peers_cap ? 2 * c->peers_cap : 8;
        struct ipcx__peer **np = realloc(c->peers, cap * sizeof *np);
        if (!np)
            return IPCX_ENOMEM;
        c->peers = np;
        c->peers_cap = cap;
    }
    struct ipcx__peer *p = calloc(1, sizeof *p);
    if (!p)
        return IPCX_ENOMEM;
    struct ipcx_link_caps caps;
    ipcx_link_caps(k, &caps);
    p->id = ++c->next_peer;
    p->endpoint = endpoint;
    p->link = k;
    p->caps = caps.flags;
    p->max_msg = caps.max_msg;
    p->refs = 1;
    p->maybe_ready = true;
    p->has_cred = ipcx_link_peer_cred(k, &p->cred) == 0;
    pthread_mutex_init(&p->send_mu, NULL);
    ipcx__msgq_init(&p->sendq, true);
    c->peers[c->npeers++] = p;
    c->had_peer = true;
    c->peers_joined++;
    ipcx__chan_event_push(c, IPCX_CHAN_PEER_JOINED, p->id, endpoint, 0, p);
    ipcx__chan_wake_reader(c);
    if (id)
        *id = p->id;
    return 0;
}

struct ipcx__peer *ipcx__peer_find(struct ipcx_chan *c, uint32_t id)
{
    for (size_t i = 0; i < c->npeers; i++)
        if (c->peers[i]->id == id)
            return c->peers[i];
    return NULL;
}

void ipcx__peer_unref(struct ipcx_chan *c, struct ipcx__peer *p)
{
    if (--p->refs > 0)
        return;
    size_t left = ipcx__msgq_clear(&p->sendq);
    if (left) {
        atomic_fetch_add(&c->lost, left);
        atomic_fetch_sub(&c->queued, left);
    }
    if (p->tail) /* the link's close writes it, within its linger */
        atomic_fetch_sub(&c->queued, 1);
    ipcx_link_close(p->link);
    pthread_mutex_destroy(&p->send_mu);
    free(p);
}

void ipcx__peer_gone(struct ipcx_chan *c, struct ipcx__peer *p, int reason)
{
    if (p->gone)
        return;
    p->gone = true;
    for (size_t i = 0; i < c->npeers; i++) {
        if (c->peers[i] == p) {
            memmove(&c->peers[i], &c->peers[i + 1], (c->npeers - i - 1) * sizeof *c->peers);
            c->npeers--;
            break;
        }
    }
    /* A dialed endpoint is its peer: it ends with it. */
    for (struct ipcx__endpoint **e = &c->eps; *e; e = &(*e)->next) {
        if (!(*e)->lis && (*e)->peer == p->id) {
            struct ipcx__endpoint *dead = *e;
            *e = dead->next;
            free(dead);
            break;
        }
    }
    for (struct ipcx__await *a = c->awaits; a; a = a->next)
        if (a->state == 0 && a->peer == p->id)
            a->state = reason < 0 ? reason : IPCX_ECLOSED;
    c->peers_left++;
    ipcx__chan_event_push(c, IPCX_CHAN_PEER_LEFT, p->id, p->endpoint, reason, p);
    ipcx__chan_wake_reader(c);
    ipcx__peer_unref(c, p);
}

/* An owned copy of a message the caller lent, for a send queue. */
static int copy_node(const struct ipcx_msg *w, struct ipcx__qnode **out)
{
    struct ipcx__qnode *n = calloc(1, sizeof *n);
    if (!n)
        return IPCX_ENOMEM;
    n->m = *w;
    n->m.flags = IPCX_MSG_OWNED;
    n->m.data = NULL;
    n->m.nfds = 0;
    if (w->size > 0) {
        n->m.data = malloc(w->size);
        if (!n->m.data)
            goto fail;
        memcpy(n->m.data, w->data, w->size);
    }
    for (unsigned i = 0; i < w->nfds; i++) {
        int fd = ipcx__dup_cloexec(w->fds[i]);
        if (fd < 0) {
            ipcx__qnode_free(n);
            return fd;
        }
        n->m.fds[n->m.nfds++] = fd;
    }
    *out = n;
    return 0;
fail:
    free(n);
    return IPCX_ENOMEM;
}

/*
 * After a send that succeeded: a byte stream whose deadline passed in the
 * middle of the frame keeps the rest and writes it only at its next send
 * or close. The message is committed, so it must not wait for a next send
 * that may never come: the peer counts as having a queued message, which
 * the service thread writes (flush_locked). Under send_mu.
 */
static bool would_block(int rc);

static void note_tail(struct ipcx_chan *c, struct ipcx__peer *p)
{
    if (!p->tail && would_block(ipcx_link_flush(p->link, IPCX_NOWAIT))) {
        p->tail = true;
        atomic_fetch_add(&c->queued, 1);
    }
}

/* Sends what the queue holds, in order, until the link is full. Under send_mu. */
static int flush_locked(struct ipcx_chan *c, struct ipcx__peer *p, const struct ipcx__deadline *dl)
{
    if (p->tail) {
        int rc = ipcx_link_flush(p->link, ipcx__deadline_remaining_ms(dl));
        if (rc < 0)
            return rc;
        p->tail = false;
        atomic_fetch_sub(&c->queued, 1);
    }
    struct ipcx__qnode *n;
    while ((n = ipcx__msgq_peek(&p->sendq)) != NULL) {
        int rc = ipcx__link_send_dl(p->link, &n->m, dl);
        if (rc < 0)
            return rc;
        ipcx__qnode_free(ipcx__msgq_take(&p->sendq, IPCX_SEL_ANY, 0));
        atomic_fetch_sub(&c->queued, 1);
        note_tail(c, p);
        if (p->tail)
            return IPCX_ETIMEDOUT;
    }
    return 0;
}

int ipcx__peer_flush(struct ipcx_chan *c, struct ipcx__peer *p, const struct ipcx__deadline *dl)
{
    pthread_mutex_lock(&p->send_mu);
    int rc = flush_locked(c, p, dl);
    pthread_mutex_unlock(&p->send_mu);
    return rc == IPCX_EAGAIN || rc == IPCX_ETIMEDOUT ? 0 : rc;
}

static bool would_block(int rc)
{
    return rc == IPCX_EAGAIN || rc == IPCX_ETIMEDOUT;
}

/*
 * Sends `w` to `p` without holding mu. Returns 0 (on the link or queued),
 * 1 (dropped by DROP_NEWEST, counted), IPCX_EAGAIN (no room now, or FAIL),
 * IPCX_ETIMEDOUT (BLOCK ran out of time), or the link's error.
 *
 * Under BLOCK the channel queues nothing itself: the link's own buffer is
 * the send queue and a full one makes the sender wait in the link, so a
 * steady stream is never copied. Under the other policies a full link
 * sends the message to the peer's send queue, up to `capacity`.
 */
int ipcx__peer_send(struct ipcx_chan *c, struct ipcx__peer *p, const struct ipcx_msg *w,
                    const struct ipcx__deadline *dl, enum ipcx__send_stage stage)
{
    static const struct ipcx__deadline now = {0};
    pthread_mutex_lock(&p->send_mu);
    int rc = flush_locked(c, p, &now);
    if (rc < 0 && !would_block(rc))
        goto out;
    if (p->sendq.count == 0) {
        bool wait = stage == IPCX__SEND_POLICY && c->full == IPCX_FULL_BLOCK;
        rc = ipcx__link_send_dl(p->link, w, wait ? dl : &now);
        if (rc == 0)
            note_tail(c, p);
        if (!would_block(rc) || wait)
            goto out;
    }
    if (stage == IPCX__SEND_TRY || c->full == IPCX_FULL_BLOCK) {
        rc = IPCX_EAGAIN;
        goto out;
    }
    enum ipcx__admit adm = ipcx__admit(p->sendq.count, c->capacity, c->full);
    if (stage == IPCX__SEND_ROOM && adm != IPCX__ADMIT) {
        rc = IPCX_EAGAIN;
        goto out;
    }
    struct ipcx__qnode *n = NULL;
    switch (adm) {
    case IPCX__ADMIT_DROP_OLDEST:
        ipcx__qnode_free(ipcx__msgq_take_oldest(&p->sendq));
        atomic_fetch_sub(&c->queued, 1);
        atomic_fetch_add(&c->dropped, 1);
        /* fall through */
    case IPCX__ADMIT:
        if ((rc = copy_node(w, &n)) < 0)
            goto out;
        ipcx__msgq_push(&p->sendq, n);
        atomic_fetch_add(&c->queued, 1);
        break;
    case IPCX__DROP_NEWEST:
        atomic_fetch_add(&c->dropped, 1);
        rc = 1;
        break;
    case IPCX__REFUSE:
    case IPCX__WAIT:
        rc = IPCX_EAGAIN;
        break;
    }
out:
    pthread_mutex_unlock(&p->send_mu);
    return rc;
}

void ipcx__peer_send_ack(struct ipcx__peer *p, uint64_t seq)
{
    struct ipcx_msg a = {0};
    a.type = IPCX__CTRL_ACK;
    a.id = IPCX__WIRE_CTRL | (seq & IPCX__WIRE_IDMASK);
    /* Tiny, and the sender is waiting for it: a short bounded wait for room
     * in a full link; if even that fails the sender times out. */
    pthread_mutex_lock(&p->send_mu);
    ipcx_link_send(p->link, &a, 100);
    pthread_mutex_unlock(&p->send_mu);
}
