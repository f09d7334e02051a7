/* SPDX-License-Identifier: MIT */
/*
 * test_patterns_udp.c: channels over udp://, and why the pattern suite
 * (patterns.h) does not run there.
 *
 * udp:// is one way (dialers send, the listener receives) and unreliable:
 * a datagram that finds the receiving socket's buffer full is dropped by
 * the kernel, and nothing tells the sender. The pattern suite's bursts
 * (a thousand messages fanned in, links filled on purpose to test the
 * full-queue policies) would lose messages by design, and the patterns
 * that need an answer (pair, req/rep, rendezvous) cannot exist on a
 * one-way link. What udp:// is meant for is tested here, with senders
 * that stay within what the receiver's buffer holds (as a real sender
 * must, through a window or a rate of its own):
 * - push from several dialers to one pull listener (N:1);
 * - pub from one channel dialing several sub listeners, each on its own
 *   port (1:M), with topic filtering at the subscribers;
 * - typed and priority receive, done by the channel's queue;
 * - every pattern and capacity that cannot work refused at listen or
 *   dial with IPCX_ENOTSUP.
 * ipcx-test: label=process timeout=120
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ipcx.h>

#include "tsup.h"

#define WAIT_MS 10000
#define WINDOW  16 /* messages a pusher may have ahead of the puller */

static void *shared(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    memset(p, 0, size);
    return p;
}

static struct ipcx_chan *chan(enum ipcx_pattern p, unsigned flags)
{
    struct ipcx_chan *c = NULL;
    struct ipcx_chan_opts o = {.flags = flags};
    cr_assert_eq(ipcx_chan_open(&c, p, &o), 0);
    return c;
}

/* Listens on a kernel-picked port; `url` gets the URL to dial. */
static int listen_any(struct ipcx_chan *c, char *url, size_t size)
{
    int ep = ipcx_chan_listen(c, "udp://127.0.0.1:0", NULL);
    if (ep > 0 && ipcx_chan_endpoint_url(c, ep, url, size) < 0)
        return IPCX_EIO;
    return ep;
}

/* --- N:1 push/pull ------------------------------------------------------- */

#define PUSHERS 3
#define EACH    300

struct fan {
    char url[128];
    atomic_int got[PUSHERS]; /* taken by the puller, per pusher */
};

/* A child's argument: private to it (copied at fork), unlike the mapping. */
struct who {
    void *shared;
    int who;
};

static int pusher(void *arg)
{
    struct who *w = arg;
    struct fan *f = w->shared;
    int who = w->who;
    struct ipcx_chan *c = NULL;
    TSUP_CHILD_CHECK(ipcx_chan_open(&c, IPCX_PUSH, NULL) == 0);
    TSUP_CHILD_CHECK(ipcx_chan_dial(c, f->url, NULL, WAIT_MS) > 0);
    int64_t end = tsup_now_ms() + WAIT_MS;
    for (uint32_t k = 0; k < EACH; k++) {
        while ((int)k - atomic_load(&f->got[who]) >= WINDOW && tsup_now_ms() < end)
            usleep(500);
        uint32_t v[2] = {(uint32_t)who, k};
        struct ipcx_msg m = ipcx_msg_of(v, sizeof v);
        TSUP_CHILD_CHECK(ipcx_chan_send(c, &m, WAIT_MS) == 0);
    }
    ipcx_chan_close(c, 0);
    return 0;
}

Test(udp_patterns, push_from_dialers_to_a_pull_listener)
{
    struct fan *f = shared(sizeof *f);
    struct ipcx_chan *pull = chan(IPCX_PULL, 0);
    cr_assert_gt(listen_any(pull, f->url, sizeof f->url), 0);
    pid_t pids[PUSHERS];
    for (int i = 0; i < PUSHERS; i++) {
        struct who w = {f, i};
        pids[i] = tsup_fork(pusher, &w);
        cr_assert_gt(pids[i], 0);
    }
    uint32_t next[PUSHERS] = {0};
    for (int n = 0; n < PUSHERS * EACH; n++) {
        struct ipcx_msg m;
        cr_assert_eq(ipcx_chan_recv(pull, &m, WAIT_MS), 0, "message %d", n);
        uint32_t v[2];
        cr_assert_eq(m.size, sizeof v);
        memcpy(v, m.data, sizeof v);
        cr_assert_lt(v[0], PUSHERS);
        cr_assert_eq(v[1], next[v[0]], "in order, none lost, from pusher %u", v[0]);
        next[v[0]]++;
        atomic_fetch_add(&f->got[v[0]], 1);
        ipcx_msg_release(&m);
    }
    for (int i = 0; i < PUSHERS; i++)
        cr_assert_eq(tsup_wait_exit(pids[i], WAIT_MS), 0);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_chan_recv(pull, &m, 100), IPCX_ETIMEDOUT, "nothing twice");
    ipcx_chan_close(pull, 0);
    munmap(f, sizeof *f);
}

/* --- 1:M pub/sub ----------------------------------------------------------- */

#define SUBS   2
#define ROUNDS 30

struct ps {
    char url[SUBS][128];
    atomic_int ready[SUBS];
};

/* Subscriber 0 takes "a.", subscriber 1 "b."; both "end". */
static int subscriber(void *arg)
{
    struct who *w = arg;
    struct ps *s = w->shared;
    int i = w->who;
    struct ipcx_chan *c = NULL;
    TSUP_CHILD_CHECK(ipcx_chan_open(&c, IPCX_SUB, NULL) == 0);
    TSUP_CHILD_CHECK(ipcx_chan_subscribe(c, i == 0 ? "a." : "b.", 2) == 0);
    TSUP_CHILD_CHECK(ipcx_chan_subscribe(c, "end", 3) == 0);
    int ep = ipcx_chan_listen(c, "udp://127.0.0.1:0", NULL);
    TSUP_CHILD_CHECK(ep > 0);
    TSUP_CHILD_CHECK(ipcx_chan_endpoint_url(c, ep, s->url[i], sizeof s->url[i]) > 0);
    atomic_store(&s->ready[i], 1);
    for (int r = 0; r < ROUNDS; r++) {
        struct ipcx_msg m;
        TSUP_CHILD_CHECK(ipcx_chan_recv(c, &m, WAIT_MS) == 0);
        char want[16];
        int n = snprintf(want, sizeof want, "%s%d", i == 0 ? "a." : "b.", r);
        TSUP_CHILD_CHECK(m.size == (size_t)n && memcmp(m.data, want, (size_t)n) == 0);
        ipcx_msg_release(&m);
    }
    struct ipcx_msg m;
    TSUP_CHILD_CHECK(ipcx_chan_recv(c, &m, WAIT_MS) == 0);
    TSUP_CHILD_CHECK(m.size == 3 && memcmp(m.data, "end", 3) == 0);
    ipcx_msg_release(&m);
    struct ipcx_chan_stats st;
    TSUP_CHILD_CHECK(ipcx_chan_stats(c, &st) == 0 && st.filtered == 2 * ROUNDS);
    ipcx_chan_close(c, 0);
    return 0;
}

Test(udp_patterns, pub_dials_every_subscriber)
{
    struct ps *s = shared(sizeof *s);
    pid_t pids[SUBS];
    for (int i = 0; i < SUBS; i++) {
        struct who w = {s, i};
        pids[i] = tsup_fork(subscriber, &w);
        cr_assert_gt(pids[i], 0);
    }
    struct ipcx_chan *pub = chan(IPCX_PUB, 0);
    int64_t end = tsup_now_ms() + WAIT_MS;
    for (int i = 0; i < SUBS; i++) {
        while (!atomic_load(&s->ready[i]) && tsup_now_ms() < end)
            usleep(1000);
        cr_assert_gt(ipcx_chan_dial(pub, s->url[i], NULL, WAIT_MS), 0);
    }
    /* 3 x 30 small datagrams to each subscriber: far below its buffer. */
    for (int r = 0; r < ROUNDS; r++) {
        static const char *const t[] = {"a.", "b.", "c."};
        for (int k = 0; k < 3; k++) {
            char buf[16];
            int n = snprintf(buf, sizeof buf, "%s%d", t[k], r);
            struct ipcx_msg m = ipcx_msg_of(buf, (size_t)n);
            cr_assert_eq(ipcx_chan_send(pub, &m, WAIT_MS), 0);
        }
    }
    struct ipcx_msg m = ipcx_msg_of("end", 3);
    cr_assert_eq(ipcx_chan_send(pub, &m, WAIT_MS), 0);
    for (int i = 0; i < SUBS; i++)
        cr_assert_eq(tsup_wait_exit(pids[i], WAIT_MS), 0);
    ipcx_chan_close(pub, 0);
    munmap(s, sizeof *s);
}

/* --- typed and priority receive ---------------------------------------------- */

static int typed_pusher(void *arg)
{
    const char *url = arg;
    struct ipcx_chan *c = NULL;
    TSUP_CHILD_CHECK(ipcx_chan_open(&c, IPCX_PUSH, NULL) == 0);
    TSUP_CHILD_CHECK(ipcx_chan_dial(c, url, NULL, WAIT_MS) > 0);
    static const unsigned prio[] = {0, 3, 1, 3, 2};
    static const long type[] = {4, 1, 4, 2, 1};
    for (uint32_t k = 0; k < 5; k++) {
        struct ipcx_msg m = ipcx_msg_of(&k, sizeof k);
        m.priority = prio[k];
        m.type = type[k];
        TSUP_CHILD_CHECK(ipcx_chan_send(c, &m, WAIT_MS) == 0);
    }
    struct ipcx_msg end = ipcx_msg_of("", 0);
    end.type = 99;
    TSUP_CHILD_CHECK(ipcx_chan_send(c, &end, WAIT_MS) == 0);
    ipcx_chan_close(c, 0);
    return 0;
}

static uint32_t take(struct ipcx_chan *c, enum ipcx_select sel, long type)
{
    struct ipcx_msg m;
    cr_assert_eq(ipcx_chan_recv_select(c, &m, sel, type, WAIT_MS), 0);
    uint32_t k = UINT32_MAX;
    if (m.size == sizeof k)
        memcpy(&k, m.data, sizeof k);
    ipcx_msg_release(&m);
    return k;
}

Test(udp_patterns, typed_and_priority_receive)
{
    char url[128];
    struct ipcx_chan *pull = chan(IPCX_PULL, IPCX_CHAN_PRIORITY);
    cr_assert_gt(listen_any(pull, url, sizeof url), 0);
    pid_t pid = tsup_fork(typed_pusher, url);
    cr_assert_gt(pid, 0);
    take(pull, IPCX_SEL_EXACT, 99); /* everything before it is queued */
    cr_assert_eq(take(pull, IPCX_SEL_EXACT, 2), 3);
    cr_assert_eq(take(pull, IPCX_SEL_UPTO, 3), 1, "type 1, priority 3 before type 1, priority 2");
    cr_assert_eq(take(pull, IPCX_SEL_ANY, 0), 4, "priority 2");
    cr_assert_eq(take(pull, IPCX_SEL_ANY, 0), 2, "priority 1");
    cr_assert_eq(take(pull, IPCX_SEL_ANY, 0), 0, "priority 0");
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    ipcx_chan_close(pull, 0);
}

/* --- what cannot work ------------------------------------------------------- */

Test(udp_patterns, two_way_patterns_refused)
{
    int base = tsup_fd_count();
    static const enum ipcx_pattern two_way[] = {IPCX_PAIR, IPCX_REQ, IPCX_REP};
    for (size_t i = 0; i < 3; i++) {
        struct ipcx_chan *c = chan(two_way[i], 0);
        cr_assert_eq(ipcx_chan_listen(c, "udp://127.0.0.1:0", NULL), IPCX_ENOTSUP);
        cr_assert(strstr(ipcx_chan_last_reason(), "two-way") != NULL, "%s",
                  ipcx_chan_last_reason());
        cr_assert_eq(ipcx_chan_dial(c, "udp://127.0.0.1:9", NULL, 0), IPCX_ENOTSUP);
        ipcx_chan_close(c, 0);
    }
    /* A sender cannot listen, a receiver cannot dial. */
    struct ipcx_chan *c = chan(IPCX_PUSH, 0);
    cr_assert_eq(ipcx_chan_listen(c, "udp://127.0.0.1:0", NULL), IPCX_ENOTSUP);
    /* Rendezvous needs the acknowledgment to come back. */
    cr_assert_eq(ipcx_chan_set_capacity(c, 0, IPCX_FULL_BLOCK), 0);
    cr_assert_eq(ipcx_chan_dial(c, "udp://127.0.0.1:9", NULL, 0), IPCX_ENOTSUP);
    cr_assert(strstr(ipcx_chan_last_reason(), "rendezvous") != NULL);
    ipcx_chan_close(c, 0);
    c = chan(IPCX_SUB, 0);
    cr_assert_eq(ipcx_chan_dial(c, "udp://127.0.0.1:9", NULL, 0), IPCX_ENOTSUP);
    ipcx_chan_close(c, 0);
    c = chan(IPCX_PUB, 0);
    cr_assert_eq(ipcx_chan_listen(c, "udp://127.0.0.1:0", NULL), IPCX_ENOTSUP);
    ipcx_chan_close(c, 0);
    cr_assert_eq(tsup_fd_count(), base);
}
