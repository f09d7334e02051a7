/* SPDX-License-Identifier: MIT */
/*
 * proto/reader.c: reading a channel's links in the caller's thread.
 *
 * One thread at a time is the reader (the `reading` flag); it releases
 * the channel's mutex while it waits in the kernel. With one link that can
 * receive and no way for another peer to appear meanwhile (no listener, or
 * a PAIR), it waits in that link's own receive with the deadline, so a
 * transport's own waiting (a shared-memory ring's spin) is kept. Otherwise
 * it tries the links that may have data, then arms each and polls their
 * descriptors together with the channel's wake-up descriptor (written when
 * a peer joins or leaves).
 *
 * The reader hands the first data message straight to the receive that
 * asked, with no queueing and no copy, when that receive takes any message
 * and the channel is not ordering by priority. Otherwise (typed or by-id
 * receives, strict priority, rendezvous waits, event waits) it drains what
 * the links have ready into the receive queue, up to its room.
 */
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>

#include "proto/core.h"
#include "sys/waitfd.h"
#include "sys/wake.h"
#include "sys/wakefd.h"

static size_t rx_capacity(const struct ipcx_chan *c)
{
    /* At capacity 0 (rendezvous) the sender waits for the receiving
     * application; the queue still holds one message a typed receive
     * passed over (its sender keeps waiting until it is taken). */
    return c->capacity ? c->capacity : 1;
}

bool ipcx__rx_blocked(const struct ipcx_chan *c)
{
    return (c->full == IPCX_FULL_BLOCK || c->full == IPCX_FULL_FAIL) &&
           c->rxq.count >= rx_capacity(c);
}

void ipcx__rx_enqueue(struct ipcx_chan *c, struct ipcx__qnode *n)
{
    /* Under BLOCK and FAIL the reader took only what fits. Under the drop
     * policies the queue may run over until ipcx__rx_trim(): a receive
     * first takes its own message from what arrived, then the rest is cut
     * to capacity, so a message being waited for is never the one dropped. */
    ipcx__msgq_push(&c->rxq, n);
    pthread_cond_broadcast(&c->cv);
}

void ipcx__rx_trim(struct ipcx_chan *c)
{
    size_t cap = rx_capacity(c);
    while (c->rxq.count > cap) {
        struct ipcx__qnode *n = c->full == IPCX_FULL_DROP_OLDEST ? ipcx__msgq_take_oldest(&c->rxq)
                                                                 : ipcx__msgq_take_newest(&c->rxq);
        ipcx__qnode_free(n);
        atomic_fetch_add(&c->dropped, 1);
    }
}

static bool sub_match(const struct ipcx_chan *c, const struct ipcx_msg *m)
{
    for (size_t i = 0; i < c->nsubs; i++)
        if (c->subs[i].len <= m->size &&
            (c->subs[i].len == 0 || memcmp(m->data, c->subs[i].prefix, c->subs[i].len) == 0))
            return true;
    return false;
}

enum kind { DATA, CONSUMED, VIOLATION };

/* Sorts out one message from `p` under mu; `ack` collects acks owed now. */
static enum kind classify(struct ipcx_chan *c, struct ipcx__peer *p, struct ipcx_msg *m,
                          struct ipcx__rxinfo *info, bool *ack_now)
{
    uint64_t wid = m->id;
    *ack_now = false;
    if (wid & IPCX__WIRE_CTRL) {
        if (m->type == IPCX__CTRL_ACK) {
            uint64_t seq = wid & IPCX__WIRE_IDMASK;
            for (struct ipcx__await *a = c->awaits; a; a = a->next) {
                if (a->state == 0 && a->seq == seq && (a->peer == 0 || a->peer == p->id)) {
                    a->state = 1;
                    pthread_cond_broadcast(&c->cv);
                    break;
                }
            }
        }
        /* A late hello or an unknown control message is ignored (newer peers). */
        ipcx_msg_release(m);
        return CONSUMED;
    }
    if (!ipcx__pattern_recvs(c->pattern) || (c->max_msg && m->size > c->max_msg)) {
        ipcx_msg_release(m);
        return VIOLATION;
    }
    info->peer = p;
    info->want_ack = (wid & IPCX__WIRE_ACKREQ) != 0;
    info->seq = wid & IPCX__WIRE_IDMASK;
    m->id = (c->pattern == IPCX_REQ || c->pattern == IPCX_REP) ? info->seq : 0;
    m->peer = p->id;
    if (c->pattern == IPCX_SUB && !sub_match(c, m)) {
        atomic_fetch_add(&c->filtered, 1);
        ipcx_msg_release(m);
        *ack_now = info->want_ack; /* filtered counts as taken */
        return CONSUMED;
    }
    if (m->priority > 0)
        c->prio_seen = true;
    return DATA;
}

struct batch {
    struct ipcx__peer *from;
    struct ipcx_msg m;
};

/*
 * Tries the peers that may have a message, arms and polls when none has.
 * Returns 1 with a message in *m from *from, 0 when woken or a link failed
 * (fail[] says which), IPCX_ETIMEDOUT, or another negative code.
 */
static int poll_read(struct ipcx_chan *c, struct ipcx__peer **ps, size_t n, int *fail,
                     const struct ipcx__deadline *dl, struct ipcx_msg *m, struct ipcx__peer **from)
{
    struct pollfd stack[17];
    struct pollfd *pfd = n < 17 ? stack : malloc((n + 1) * sizeof *pfd);
    if (!pfd)
        return IPCX_ENOMEM;
    int rc;
    for (;;) {
        bool failed = false, ready = false;
        for (size_t i = 0; i < n; i++) {
            if (fail[i] || !ps[i]->maybe_ready)
                continue;
            rc = ipcx_link_recv(ps[i]->link, m, IPCX_NOWAIT);
            if (rc == 0) {
                *from = ps[i];
                rc = 1;
                goto out;
            }
            ps[i]->maybe_ready = false;
            if (ipcx__link_failed(rc)) {
                fail[i] = rc;
                failed = true;
            }
        }
        if (failed) {
            rc = 0;
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            int a = ipcx_link_arm(ps[i]->link);
            if (a == 1)
                ps[i]->maybe_ready = ready = true;
            else if (a < 0) {
                fail[i] = a;
                failed = true;
            }
        }
        if (failed) {
            rc = 0;
            goto out;
        }
        if (ready)
            continue;
        pfd[0].fd = c->wake_reader;
        pfd[0].events = POLLIN;
        for (size_t i = 0; i < n; i++) {
            pfd[i + 1].fd = ipcx_link_fd(ps[i]->link);
            pfd[i + 1].events = POLLIN;
        }
        rc = ipcx__poll_deadline(pfd, n + 1, dl);
        if (rc < 0)
            goto out;
        for (size_t i = 0; i < n; i++)
            if (pfd[i + 1].revents)
                ps[i]->maybe_ready = true;
        if (pfd[0].revents) {
            ipcx__wakefd_take(c->wake_reader);
            rc = 0;
            goto out;
        }
    }
out:
    if (pfd != stack)
        free(pfd);
    return rc;
}

/* After the first message of a drain: what else is ready, without waiting. */
static size_t drain_more(struct ipcx__peer **ps, size_t n, int *fail, struct batch *b, size_t k,
                         size_t room)
{
    bool any = true;
    while (any && k < room) {
        any = false;
        for (size_t i = 0; i < n && k < room; i++) {
            if (fail[i])
                continue;
            int rc = ipcx_link_recv(ps[i]->link, &b[k].m, IPCX_NOWAIT);
            if (rc == 0) {
                b[k++].from = ps[i];
                any = true;
            } else {
                ps[i]->maybe_ready = false;
                if (ipcx__link_failed(rc))
                    fail[i] = rc;
            }
        }
    }
    return k;
}

/*
 * One round of reading, called with mu held and nobody reading. Returns 1
 * with a data message in *direct (when `direct` is given and not
 * draining), 0 after progress (messages queued or handled, peers changed,
 * woken), IPCX_ETIMEDOUT at the deadline, or another negative code.
 * Returns with mu held.
 */
int ipcx__reader_step(struct ipcx_chan *c, const struct ipcx__deadline *dl, bool drain,
                      struct ipcx_msg *direct, struct ipcx__rxinfo *info)
{
    size_t n = 0;
    for (size_t i = 0; i < c->npeers; i++)
        if (c->peers[i]->caps & IPCX_LINK_RECV)
            n++;
    if (n == 0)
        return ipcx__chan_wait(c, dl);

    size_t room = IPCX__CHAN_BATCH;
    if (c->full == IPCX_FULL_BLOCK || c->full == IPCX_FULL_FAIL) {
        size_t cap = c->capacity ? c->capacity : 1;
        room = cap > c->rxq.count ? cap - c->rxq.count : 0;
        if (room > IPCX__CHAN_BATCH)
            room = IPCX__CHAN_BATCH;
        if (room == 0)
            return ipcx__chan_wait(c, dl);
    }
    if (!drain && direct)
        room = 1;
    else if (!drain)
        room = room < 16 ? room : 16;

    struct ipcx__peer *ps_stack[16];
    int fail_stack[16];
    struct batch b_stack[1];
    struct ipcx__peer **ps = ps_stack;
    int *fail = fail_stack;
    struct batch *b = b_stack;
    if (n > 16) {
        ps = malloc(n * sizeof *ps);
        fail = malloc(n * sizeof *fail);
    }
    if (room > 1)
        b = malloc(room * sizeof *b);
    if (!ps || !fail || !b) {
        if (ps != ps_stack)
            free(ps);
        if (fail != fail_stack)
            free(fail);
        if (b != b_stack)
            free(b);
        return IPCX_ENOMEM;
    }
    size_t start = c->rx_rr++;
    for (size_t i = 0, k = 0; i < c->npeers; i++) {
        struct ipcx__peer *p = c->peers[(start + i) % c->npeers];
        if (!(p->caps & IPCX_LINK_RECV))
            continue;
        p->refs++;
        fail[k] = 0;
        ps[k++] = p;
    }
    bool one = n == 1 && !drain && (c->nlisteners == 0 || c->pattern == IPCX_PAIR);
    c->reading = true;
    c->reader_polling = !one;
    pthread_mutex_unlock(&c->mu);

    size_t got = 0;
    int rc;
    if (one) {
        rc = ipcx__link_recv_dl(ps[0]->link, &b[0].m, dl);
        if (rc == 0) {
            b[0].from = ps[0];
            got = 1;
        } else if (ipcx__link_failed(rc)) {
            fail[0] = rc;
            rc = 0;
        } else if (rc == IPCX_EAGAIN || rc == IPCX_ETIMEDOUT) {
            /* Only the channel's deadline decides; the link rounds to ms. */
            rc = ipcx__deadline_expired(dl) ? IPCX_ETIMEDOUT : 0;
        }
    } else {
        rc = poll_read(c, ps, n, fail, dl, &b[0].m, &b[0].from);
        if (rc == 1) {
            got = 1;
            rc = 0;
        }
    }
    if (got && room > 1)
        got = drain_more(ps, n, fail, b, got, room);

    pthread_mutex_lock(&c->mu);
    c->reading = false;
    c->reader_polling = false;
    for (size_t i = 0; i < n; i++)
        if (fail[i])
            ipcx__peer_gone(c, ps[i], fail[i]);

    /* Acks owed for messages filtered away: sent after unlocking. */
    struct ipcx__peer *ack_to[IPCX__CHAN_BATCH];
    uint64_t ack_seq[IPCX__CHAN_BATCH];
    size_t nack = 0;
    int result = rc;
    for (size_t i = 0; i < got; i++) {
        struct ipcx__rxinfo in = {0};
        bool ack_now;
        enum kind k = classify(c, b[i].from, &b[i].m, &in, &ack_now);
        if (k == VIOLATION) {
            ipcx__peer_gone(c, b[i].from, IPCX_EPROTO);
            continue;
        }
        if (ack_now && nack < IPCX__CHAN_BATCH) {
            b[i].from->refs++;
            ack_to[nack] = b[i].from;
            ack_seq[nack++] = in.seq;
        }
        if (k != DATA)
            continue;
        if (direct && !drain && got == 1) {
            *direct = b[i].m;
            if (in.want_ack)
                in.peer->refs++;
            else
                in.peer = NULL;
            *info = in;
            result = 1;
            continue;
        }
        struct ipcx__qnode *node = calloc(1, sizeof *node);
        if (!node) {
            ipcx_msg_release(&b[i].m);
            atomic_fetch_add(&c->dropped, 1);
            continue;
        }
        node->m = b[i].m;
        node->want_ack = in.want_ack;
        node->ack = in.seq;
        ipcx__rx_enqueue(c, node);
    }
    if (nack) {
        pthread_mutex_unlock(&c->mu);
        for (size_t i = 0; i < nack; i++)
            ipcx__peer_send_ack(ack_to[i], ack_seq[i]);
        pthread_mutex_lock(&c->mu);
        for (size_t i = 0; i < nack; i++)
            ipcx__peer_unref(c, ack_to[i]);
    }
    if (!direct)
        ipcx__rx_trim(c);
    for (size_t i = 0; i < n; i++)
        ipcx__peer_unref(c, ps[i]);
    pthread_cond_broadcast(&c->cv);
    if (ps != ps_stack)
        free(ps);
    if (fail != fail_stack)
        free(fail);
    if (b != b_stack)
        free(b);
    return result;
}
