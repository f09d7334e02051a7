/* SPDX-License-Identifier: MIT */
/*
 * oneway_test.h: what the tests of the one-way transports (test_fifo.c,
 * test_mq.c, test_sysv.c, test_udp.c) share: senders in other processes
 * (forked, or the exec'ed helper's ow_send mode) and a receiver that checks
 * every message of every sender arrived once, intact, with its attributes
 * and, where the transport orders, in each sender's order.
 *
 * Message i of sender TAG has type TAG, id i, priority 0 and body "TAG:i"
 * (the helper's ow_send writes the same).
 */
#ifndef IPCX_TESTS_ONEWAY_TEST_H
#define IPCX_TESTS_ONEWAY_TEST_H

#include <criterion/criterion.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx.h>

#include "tsup.h"

/* A timeout may end this late on a loaded 2-core VM under sanitizers. */
#define OW_LATE_MS  1000
#define OW_MAX_TAGS 8

struct ow_sender {
    const char *url;
    int count;
    long tag;
};

/* Child: dial and send `count` messages of sender `tag`. */
static inline int ow_send_child(void *arg)
{
    const struct ow_sender *s = arg;
    struct ipcx_link *k = NULL;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, s->url, NULL, 5000) == 0);
    for (int i = 0; i < s->count; i++) {
        char body[64];
        int n = snprintf(body, sizeof body, "%ld:%d", s->tag, i);
        struct ipcx_msg m = ipcx_msg_of(body, (size_t)n);
        m.type = s->tag;
        m.id = (uint64_t)i;
        TSUP_CHILD_CHECK(ipcx_link_send(k, &m, 5000) == 0);
    }
    ipcx_link_close(k);
    return 0;
}

/*
 * Receives `total` messages from senders tagged 1..ntags, each sending
 * `count`, and checks them: body matches type and id, each (tag, id) once,
 * and in order per sender when `ordered`.
 */
static inline void ow_collect(struct ipcx_link *k, int ntags, int count, bool ordered)
{
    cr_assert_leq(ntags, OW_MAX_TAGS);
    int next[OW_MAX_TAGS + 1] = {0};
    bool *seen = calloc((size_t)(ntags + 1) * (size_t)count, 1);
    cr_assert_not_null(seen);
    for (int got = 0; got < ntags * count; got++) {
        struct ipcx_msg m;
        int rc = ipcx_link_recv(k, &m, 10000);
        cr_assert_eq(rc, 0, "receive %d: %s", got, ipcx_errname(rc));
        cr_assert(m.type >= 1 && m.type <= ntags, "type %ld", m.type);
        cr_assert_lt(m.id, (uint64_t)count);
        char want[64];
        int n = snprintf(want, sizeof want, "%ld:%d", m.type, (int)m.id);
        cr_assert_eq(m.size, (size_t)n);
        cr_assert_arr_eq(m.data, want, (size_t)n);
        cr_assert_eq(m.priority, 0u);
        cr_assert(m.flags & IPCX_MSG_OWNED);
        bool *s = &seen[m.type * count + (long)m.id];
        cr_assert(!*s, "message %s twice", want);
        *s = true;
        if (ordered) {
            cr_assert_eq((int)m.id, next[m.type], "sender %ld out of order", m.type);
            next[m.type]++;
        }
        ipcx_msg_release(&m);
    }
    free(seen);
}

/*
 * N:1 across processes: `nfork` forked senders (tags 1..nfork) and one
 * exec'ed helper (tag nfork + 1) send `count` messages each into `k`,
 * the listener's link for `url`.
 */
static inline void ow_many_to_one(struct ipcx_link *k, const char *url, int nfork, int count,
                                  bool ordered)
{
    cr_assert_lt(nfork, OW_MAX_TAGS);
    struct ow_sender s[OW_MAX_TAGS];
    pid_t pid[OW_MAX_TAGS + 1];
    for (int i = 0; i < nfork; i++) {
        s[i] = (struct ow_sender){url, count, i + 1};
        pid[i] = tsup_fork(ow_send_child, &s[i]);
        cr_assert_gt(pid[i], 0);
    }
    char cnt[16], tag[16];
    snprintf(cnt, sizeof cnt, "%d", count);
    snprintf(tag, sizeof tag, "%d", nfork + 1);
    const char *args[] = {url, cnt, tag, NULL};
    pid[nfork] = tsup_spawn_helper("ow_send", args);
    cr_assert_gt(pid[nfork], 0);
    ow_collect(k, nfork + 1, count, ordered);
    for (int i = 0; i <= nfork; i++)
        cr_assert_eq(tsup_wait_exit(pid[i], 10000), 0, "sender %d", i + 1);
}

/* Checks a timed-out call: `rc`, and that it took [ms, ms + OW_LATE_MS). */
#define OW_ASSERT_TIMED(call, ms)                                                                \
    do {                                                                                         \
        int64_t t0_ = tsup_now_ms();                                                             \
        int rc_ = (call);                                                                        \
        int64_t dt_ = tsup_now_ms() - t0_;                                                       \
        cr_assert_eq(rc_, IPCX_ETIMEDOUT, "%s", ipcx_errname(rc_));                              \
        cr_assert_geq(dt_, (ms), "returned after %lld ms, before its deadline", (long long)dt_); \
        cr_assert_lt(dt_, (ms) + OW_LATE_MS, "returned %lld ms late", (long long)dt_);           \
    } while (0)

/*
 * Listener behaviour common to the shared one-way transports: readable
 * until the first accept, which returns the link at once; later accepts
 * fail with IPCX_EAGAIN (NOWAIT) or IPCX_ETIMEDOUT at their deadline.
 */
static inline struct ipcx_link *ow_accept_once(struct ipcx_listener *l)
{
    struct pollfd p = {ipcx_listener_fd(l), POLLIN, 0};
    cr_assert_eq(poll(&p, 1, 0), 1, "listener readable before the accept");
    struct ipcx_link *k = NULL;
    cr_assert_eq(ipcx_link_accept(l, &k, IPCX_NOWAIT), 0);
    cr_assert_not_null(k);
    cr_assert_eq(poll(&p, 1, 0), 0, "listener not readable after it");
    struct ipcx_link *k2 = NULL;
    cr_assert_eq(ipcx_link_accept(l, &k2, IPCX_NOWAIT), IPCX_EAGAIN);
    OW_ASSERT_TIMED(ipcx_link_accept(l, &k2, 150), 150);
    cr_assert_null(k2);
    return k;
}

/* One message with every attribute set. */
static inline struct ipcx_msg ow_msg(const void *body, size_t len, long type, unsigned prio,
                                     uint64_t id)
{
    struct ipcx_msg m = ipcx_msg_of(body, len);
    m.type = type;
    m.priority = prio;
    m.id = id;
    return m;
}

/* Receives one message and checks body and attributes. */
static inline void ow_expect(struct ipcx_link *k, const void *body, size_t len, long type,
                             unsigned prio, uint64_t id)
{
    struct ipcx_msg m;
    int rc = ipcx_link_recv(k, &m, 5000);
    cr_assert_eq(rc, 0, "%s", ipcx_errname(rc));
    cr_assert_eq(m.size, len);
    if (len)
        cr_assert_arr_eq(m.data, body, len);
    cr_assert_eq(m.type, type);
    cr_assert_eq(m.priority, prio);
    cr_assert_eq(m.id, id);
    ipcx_msg_release(&m);
}

#endif
