/* SPDX-License-Identifier: MIT */
/*
 * proto/service.c: the channel's service thread, and the hello exchange.
 *
 * The service thread exists once a channel listens or has queued a
 * message for sending. It accepts peers on the listeners, runs the
 * listener's half of the hello on each new two-way link (without blocking
 * on any one dialer: links waiting for their hello are polled together,
 * each with its own deadline), closes listeners an application stopped,
 * and retries the send queues every few milliseconds while they hold
 * anything. It never reads or writes data messages of joined peers other
 * than those queued sends, so the data path stays in the caller's thread.
 *
 * It starts with every signal blocked (no signal meant for the application
 * reaches it) and lives until ipcx_chan_close(). A child created by fork()
 * has no such thread: a channel belongs to the process that opened it.
 */
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>

#include "proto/core.h"
#include "sys/waitfd.h"
#include "sys/wake.h"
#include "sys/wakefd.h"

/* Sends our hello with `status`. */
static int hello_send(struct ipcx_chan *c, struct ipcx_link *k, unsigned status,
                      const struct ipcx__deadline *dl)
{
    struct ipcx__hello h = {
        .version = IPCX__CHAN_PROTO_VERSION,
        .pattern = c->pattern,
        .status = status,
        .capacity = c->capacity > UINT32_MAX ? UINT32_MAX : (uint32_t)c->capacity,
    };
    unsigned char buf[IPCX__HELLO_SIZE];
    ipcx__hello_encode(&h, buf);
    struct ipcx_msg m = ipcx_msg_of(buf, sizeof buf);
    m.type = IPCX__CTRL_HELLO;
    m.id = IPCX__WIRE_CTRL;
    return ipcx__link_send_dl(k, &m, dl);
}

/* Reads a received message as a hello. */
static int hello_parse(struct ipcx_msg *m, struct ipcx__hello *h)
{
    int rc = IPCX_EPROTO;
    if ((m->id & IPCX__WIRE_CTRL) && m->type == IPCX__CTRL_HELLO && m->nfds == 0)
        rc = ipcx__hello_decode(m->data, m->size, h);
    ipcx_msg_release(m);
    return rc;
}

int ipcx__handshake_dial(struct ipcx_chan *c, struct ipcx_link *k, const struct ipcx__deadline *dl)
{
    int rc = hello_send(c, k, IPCX__HELLO_OK, dl);
    if (rc < 0)
        return rc;
    struct ipcx_msg m;
    struct ipcx__hello h;
    rc = ipcx__link_recv_dl(k, &m, dl);
    if (rc == IPCX_EAGAIN)
        rc = IPCX_ETIMEDOUT;
    if (rc < 0)
        return rc;
    if ((rc = hello_parse(&m, &h)) < 0) {
        ipcx__chan_set_reason(rc == IPCX_EVERSION ? "the listener speaks another channel protocol"
                                                  : "the listener did not say hello");
        return rc;
    }
    if (h.status == IPCX__HELLO_MISMATCH || !ipcx__pattern_peer_ok(c->pattern, h.pattern)) {
        ipcx__chan_set_reason("the listener's pattern does not match this channel's");
        return IPCX_EPROTO;
    }
    if (h.status == IPCX__HELLO_BUSY) {
        ipcx__chan_set_reason("the listener is a pair that has its peer already");
        return IPCX_EBUSY;
    }
    return 0;
}

struct pending {
    struct ipcx_link *link;
    int endpoint;
    struct ipcx__deadline dl;
    bool ready;
    struct pending *next;
};

static void refuse(struct ipcx_chan *c, struct ipcx_link *k, int endpoint, int reason)
{
    ipcx_link_close(k);
    pthread_mutex_lock(&c->mu);
    ipcx__chan_event_push(c, IPCX_CHAN_PEER_REFUSED, 0, endpoint, reason, NULL);
    pthread_mutex_unlock(&c->mu);
}

/* A PAIR takes one peer: reserve the place before saying yes. */
static bool reserve(struct ipcx_chan *c)
{
    pthread_mutex_lock(&c->mu);
    bool ok = c->pattern != IPCX_PAIR || (c->npeers == 0 && !c->pair_reserved);
    if (ok && c->pattern == IPCX_PAIR)
        c->pair_reserved = true;
    pthread_mutex_unlock(&c->mu);
    return ok;
}

static void join(struct ipcx_chan *c, struct ipcx_link *k, int endpoint)
{
    pthread_mutex_lock(&c->mu);
    c->pair_reserved = false;
    int rc = ipcx__peer_join(c, k, endpoint, NULL);
    pthread_mutex_unlock(&c->mu);
    if (rc < 0)
        refuse(c, k, endpoint, rc);
}

/* A new link from a listener: two-way links wait for their hello. */
static void accepted(struct ipcx_chan *c, struct ipcx_link *k, int endpoint, struct pending **pend)
{
    struct ipcx_link_caps caps;
    ipcx_link_caps(k, &caps);
    if (!((caps.flags & IPCX_LINK_SEND) && (caps.flags & IPCX_LINK_RECV))) {
        if (reserve(c))
            join(c, k, endpoint);
        else
            refuse(c, k, endpoint, IPCX_EBUSY);
        return;
    }
    struct pending *p = calloc(1, sizeof *p);
    if (!p) {
        refuse(c, k, endpoint, IPCX_ENOMEM);
        return;
    }
    p->link = k;
    p->endpoint = endpoint;
    p->ready = true;
    ipcx__deadline_init(&p->dl, IPCX__HANDSHAKE_MS);
    p->next = *pend;
    *pend = p;
}

/* Tries to finish one pending hello. Returns true when it is settled. */
static bool handshake_step(struct ipcx_chan *c, struct pending *p)
{
    struct ipcx_msg m;
    int rc;
    for (;;) {
        rc = ipcx_link_recv(p->link, &m, IPCX_NOWAIT);
        if (rc == 0)
            break;
        if (rc != IPCX_EAGAIN && rc != IPCX_ETIMEDOUT) {
            refuse(c, p->link, p->endpoint, rc);
            return true;
        }
        int a = ipcx_link_arm(p->link);
        if (a == 0)
            return false;
        if (a < 0) {
            refuse(c, p->link, p->endpoint, a);
            return true;
        }
    }
    struct ipcx__hello h;
    if ((rc = hello_parse(&m, &h)) < 0) {
        refuse(c, p->link, p->endpoint, rc);
        return true;
    }
    /* The answer goes out before the peer joins: no data may precede it. */
    unsigned status = IPCX__HELLO_OK;
    int reason = 0;
    if (!ipcx__pattern_peer_ok(c->pattern, h.pattern)) {
        status = IPCX__HELLO_MISMATCH;
        reason = IPCX_EPROTO;
    } else if (!reserve(c)) {
        status = IPCX__HELLO_BUSY;
        reason = IPCX_EBUSY;
    }
    rc = hello_send(c, p->link, status, &p->dl);
    if (reason == 0 && rc < 0) {
        pthread_mutex_lock(&c->mu);
        c->pair_reserved = false;
        pthread_mutex_unlock(&c->mu);
        reason = rc;
    }
    if (reason)
        refuse(c, p->link, p->endpoint, reason);
    else
        join(c, p->link, p->endpoint);
    return true;
}

static void flush_all(struct ipcx_chan *c)
{
    static const struct ipcx__deadline now = {0};
    pthread_mutex_lock(&c->mu);
    size_t n = c->npeers;
    struct ipcx__peer **ps = n ? malloc(n * sizeof *ps) : NULL;
    if (!ps) {
        pthread_mutex_unlock(&c->mu);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        ps[i] = c->peers[i];
        ps[i]->refs++;
    }
    pthread_mutex_unlock(&c->mu);
    int *rc = calloc(n, sizeof *rc);
    for (size_t i = 0; i < n; i++) {
        int r = ipcx__peer_flush(c, ps[i], &now);
        if (rc)
            rc[i] = r;
    }
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < n; i++) {
        if (rc && ipcx__link_failed(rc[i]))
            ipcx__peer_gone(c, ps[i], rc[i]);
        ipcx__peer_unref(c, ps[i]);
    }
    pthread_mutex_unlock(&c->mu);
    free(rc);
    free(ps);
}

static void *service(void *arg)
{
    struct ipcx_chan *c = arg;
    struct pending *pend = NULL;
    struct pollfd *pfd = NULL;
    struct ipcx__endpoint **eps = NULL;
    size_t cap = 0;

    pthread_mutex_lock(&c->mu);
    while (!c->stopping) {
        /* Listeners the application stopped. */
        bool closed = false;
        for (struct ipcx__endpoint **e = &c->eps; *e;) {
            if ((*e)->lis && (*e)->closing) {
                struct ipcx__endpoint *dead = *e;
                *e = dead->next;
                ipcx_listener_close(dead->lis);
                free(dead);
                c->nlisteners--;
                closed = true;
            } else {
                e = &(*e)->next;
            }
        }
        if (closed)
            pthread_cond_broadcast(&c->cv);

        size_t npend = 0;
        for (struct pending *p = pend; p; p = p->next)
            npend++;
        size_t want = 1 + c->nlisteners + npend;
        if (want > cap) {
            struct pollfd *np = realloc(pfd, want * sizeof *np);
            struct ipcx__endpoint **ne = np ? realloc(eps, want * sizeof *ne) : NULL;
            if (np)
                pfd = np;
            if (ne)
                eps = ne;
            if (!np || !ne) {
                /* Out of memory: try again a little later. */
                struct ipcx__deadline d;
                ipcx__deadline_init(&d, 100);
                ipcx__chan_wait(c, &d);
                continue;
            }
            cap = want;
        }
        size_t nl = 0;
        pfd[0] = (struct pollfd){.fd = c->wake_thread, .events = POLLIN};
        for (struct ipcx__endpoint *e = c->eps; e; e = e->next) {
            if (e->lis && !e->closing) {
                eps[nl] = e;
                pfd[1 + nl++] = (struct pollfd){.fd = ipcx_listener_fd(e->lis), .events = POLLIN};
            }
        }
        struct ipcx__deadline dl = ipcx__deadline_forever();
        size_t i = 1 + nl;
        for (struct pending *p = pend; p; p = p->next, i++) {
            pfd[i] = (struct pollfd){.fd = ipcx_link_fd(p->link), .events = POLLIN};
            dl = ipcx__deadline_min(dl, p->dl);
        }
        bool flush = atomic_load(&c->queued) > 0;
        if (flush) {
            struct ipcx__deadline f;
            ipcx__deadline_init(&f, IPCX__FLUSH_MS);
            dl = ipcx__deadline_min(dl, f);
        }
        pthread_mutex_unlock(&c->mu);

        bool any_ready = false;
        for (struct pending *p = pend; p; p = p->next)
            any_ready |= p->ready;
        if (!any_ready) {
            int r = ipcx__poll_deadline(pfd, 1 + nl + npend, &dl);
            if (r > 0) {
                if (pfd[0].revents)
                    ipcx__wakefd_take(c->wake_thread);
                i = 1 + nl;
                for (struct pending *p = pend; p; p = p->next, i++)
                    if (pfd[i].revents)
                        p->ready = true;
            } else {
                for (size_t j = 0; j < 1 + nl + npend; j++)
                    pfd[j].revents = 0;
            }
        }
        for (size_t j = 0; j < nl; j++) {
            if (!pfd[1 + j].revents)
                continue;
            struct ipcx_link *k;
            while (ipcx_link_accept(eps[j]->lis, &k, IPCX_NOWAIT) == 0)
                accepted(c, k, eps[j]->id, &pend);
        }
        for (struct pending **pp = &pend; *pp;) {
            struct pending *p = *pp;
            bool done = false;
            if (p->ready) {
                p->ready = false;
                done = handshake_step(c, p);
            }
            if (!done && ipcx__deadline_expired(&p->dl)) {
                refuse(c, p->link, p->endpoint, IPCX_ETIMEDOUT);
                done = true;
            }
            if (done) {
                *pp = p->next;
                free(p);
            } else {
                pp = &p->next;
            }
        }
        if (flush)
            flush_all(c);
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    while (pend) {
        struct pending *p = pend;
        pend = p->next;
        ipcx_link_close(p->link);
        free(p);
    }
    free(pfd);
    free(eps);
    return NULL;
}

int ipcx__service_ensure(struct ipcx_chan *c)
{
    if (c->thread_on) {
        ipcx__wake_signal(c->wake_thread);
        return 0;
    }
    int rc = ipcx__thread_start(&c->thread, service, c);
    if (rc == 0)
        c->thread_on = true;
    return rc;
}

void ipcx__service_stop(struct ipcx_chan *c)
{
    pthread_mutex_lock(&c->mu);
    bool on = c->thread_on;
    c->stopping = true;
    pthread_mutex_unlock(&c->mu);
    if (!on)
        return;
    ipcx__wake_signal(c->wake_thread);
    pthread_join(c->thread, NULL);
    c->thread_on = false;
}
