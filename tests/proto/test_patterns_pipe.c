/* SPDX-License-Identifier: MIT */
/*
 * test_patterns_pipe.c: channels over pipe:, between a parent and the
 * children it forks. pipe: has no listener, so the pattern suite
 * (patterns.h, built on listeners) does not fit; this file tests what
 * pipes are for instead. Each side dials its own URL of
 * ipcx_link_pipe_urls() and the two hellos cross (each side sends its own
 * before reading the other's). Covered: pair both ways and its end, req/rep
 * with several requests in flight, pub/sub topic filtering, fan-in from
 * several children over one pipe pair each (N:1), rendezvous, and the
 * death of a child as a PEER_LEFT event.
 * ipcx-test: label=process timeout=120
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ipcx.h>

#include "tsup.h"

#define WAIT_MS 10000

struct side {
    char parent[IPCX_LINK_PIPE_URL_MAX];
    char child[IPCX_LINK_PIPE_URL_MAX];
    int who;
    atomic_int *taking; /* shared: the child is about to take the message */
};

static struct ipcx_chan *open_dial(enum ipcx_pattern p, size_t cap, const char *url)
{
    struct ipcx_chan *c = NULL;
    struct ipcx_chan_opts o = {.capacity = cap};
    if (ipcx_chan_open(&c, p, &o) != 0)
        return NULL;
    if (cap == 0 && ipcx_chan_set_capacity(c, 0, IPCX_FULL_BLOCK) != 0)
        return NULL;
    if (ipcx_chan_dial(c, url, NULL, WAIT_MS) <= 0) {
        ipcx_chan_close(c, 0);
        return NULL;
    }
    return c;
}

/* Makes a pipe pair, forks `fn` on its child side; returns the child's pid. */
static pid_t fork_side(struct side *s, int (*fn)(void *))
{
    cr_assert_eq(ipcx_link_pipe_urls(s->parent, s->child, sizeof s->parent), 0);
    fflush(NULL);
    pid_t pid = tsup_fork(fn, s);
    cr_assert_gt(pid, 0);
    return pid;
}

static int recv_text(struct ipcx_chan *c, char *buf, size_t size, int ms)
{
    struct ipcx_msg m;
    int rc = ipcx_chan_recv(c, &m, ms);
    if (rc < 0)
        return rc;
    size_t n = m.size < size - 1 ? m.size : size - 1;
    memcpy(buf, m.data, n);
    buf[n] = '\0';
    ipcx_msg_release(&m);
    return (int)n;
}

static int send_text(struct ipcx_chan *c, const char *txt)
{
    struct ipcx_msg m = ipcx_msg_of(txt, strlen(txt));
    return ipcx_chan_send(c, &m, WAIT_MS);
}

/* --- pair ----------------------------------------------------------------- */

static int pair_child(void *arg)
{
    struct side *s = arg;
    struct ipcx_chan *c = open_dial(IPCX_PAIR, 16, s->child);
    TSUP_CHILD_CHECK(c != NULL);
    char buf[64];
    for (int i = 0; i < 50; i++) {
        TSUP_CHILD_CHECK(recv_text(c, buf, sizeof buf, WAIT_MS) > 0);
        char want[32];
        snprintf(want, sizeof want, "ping %d", i);
        TSUP_CHILD_CHECK(strcmp(buf, want) == 0);
        snprintf(want, sizeof want, "pong %d", i);
        TSUP_CHILD_CHECK(send_text(c, want) == 0);
    }
    TSUP_CHILD_CHECK(send_text(c, "bye") == 0);
    ipcx_chan_close(c, 1000);
    return 0;
}

Test(pipe_patterns, pair_both_ways_then_the_end)
{
    int base = tsup_fd_count();
    struct side s = {0};
    pid_t pid = fork_side(&s, pair_child);
    struct ipcx_chan *c = open_dial(IPCX_PAIR, 16, s.parent);
    cr_assert_not_null(c);
    char buf[64], want[32];
    for (int i = 0; i < 50; i++) {
        snprintf(want, sizeof want, "ping %d", i);
        cr_assert_eq(send_text(c, want), 0);
        cr_assert_gt(recv_text(c, buf, sizeof buf, WAIT_MS), 0);
        snprintf(want, sizeof want, "pong %d", i);
        cr_assert_str_eq(buf, want);
    }
    cr_assert_gt(recv_text(c, buf, sizeof buf, WAIT_MS), 0);
    cr_assert_str_eq(buf, "bye");
    struct ipcx_msg m;
    cr_assert_eq(ipcx_chan_recv(c, &m, WAIT_MS), IPCX_ECLOSED, "a dialed pair sees the end");
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    ipcx_chan_close(c, 0);
    cr_assert_eq(tsup_fd_count(), base);
}

/* --- req/rep ---------------------------------------------------------------- */

#define RR_N 8

static int rep_child(void *arg)
{
    struct side *s = arg;
    struct ipcx_chan *c = open_dial(IPCX_REP, 16, s->child);
    TSUP_CHILD_CHECK(c != NULL);
    for (int i = 0; i < RR_N; i++) {
        struct ipcx_msg q;
        TSUP_CHILD_CHECK(ipcx_chan_recv(c, &q, WAIT_MS) == 0);
        char buf[64];
        int n = snprintf(buf, sizeof buf, "re:%.*s", (int)q.size, (char *)q.data);
        struct ipcx_msg r = ipcx_msg_of(buf, (size_t)n);
        r.peer = q.peer;
        r.id = q.id;
        TSUP_CHILD_CHECK(ipcx_chan_send(c, &r, WAIT_MS) == 0);
        ipcx_msg_release(&q);
    }
    ipcx_chan_close(c, 1000);
    return 0;
}

Test(pipe_patterns, reqrep_requests_in_flight)
{
    struct side s = {0};
    pid_t pid = fork_side(&s, rep_child);
    struct ipcx_chan *c = open_dial(IPCX_REQ, 16, s.parent);
    cr_assert_not_null(c);
    uint64_t ids[RR_N];
    for (int i = 0; i < RR_N; i++) {
        char q[16];
        snprintf(q, sizeof q, "q%d", i);
        struct ipcx_msg m = ipcx_msg_of(q, strlen(q));
        cr_assert_eq(ipcx_chan_send(c, &m, WAIT_MS), 0);
        ids[i] = m.id;
    }
    for (int i = RR_N - 1; i >= 0; i--) {
        struct ipcx_msg r;
        cr_assert_eq(ipcx_chan_recv_reply(c, ids[i], &r, WAIT_MS), 0);
        char want[16];
        int n = snprintf(want, sizeof want, "re:q%d", i);
        cr_assert_eq(r.size, (size_t)n);
        cr_assert_eq(memcmp(r.data, want, (size_t)n), 0);
        ipcx_msg_release(&r);
    }
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    ipcx_chan_close(c, 0);
}

/* --- pub/sub ---------------------------------------------------------------- */

static int sub_child(void *arg)
{
    struct side *s = arg;
    struct ipcx_chan *c = NULL;
    TSUP_CHILD_CHECK(ipcx_chan_open(&c, IPCX_SUB, NULL) == 0);
    TSUP_CHILD_CHECK(ipcx_chan_subscribe(c, "b.", 2) == 0);
    TSUP_CHILD_CHECK(ipcx_chan_subscribe(c, "end", 3) == 0);
    TSUP_CHILD_CHECK(ipcx_chan_dial(c, s->child, NULL, WAIT_MS) > 0);
    char buf[64];
    for (int i = 0; i < 20; i++) {
        char want[16];
        snprintf(want, sizeof want, "b.%d", i);
        TSUP_CHILD_CHECK(recv_text(c, buf, sizeof buf, WAIT_MS) > 0);
        TSUP_CHILD_CHECK(strcmp(buf, want) == 0);
    }
    TSUP_CHILD_CHECK(recv_text(c, buf, sizeof buf, WAIT_MS) > 0);
    TSUP_CHILD_CHECK(strcmp(buf, "end") == 0);
    struct ipcx_chan_stats st;
    TSUP_CHILD_CHECK(ipcx_chan_stats(c, &st) == 0 && st.filtered == 40);
    ipcx_chan_close(c, 0);
    return 0;
}

Test(pipe_patterns, pubsub_topics)
{
    struct side s = {0};
    pid_t pid = fork_side(&s, sub_child);
    struct ipcx_chan *c = open_dial(IPCX_PUB, 64, s.parent);
    cr_assert_not_null(c);
    for (int i = 0; i < 20; i++) {
        static const char *const t[] = {"a.", "b.", "c."};
        for (int k = 0; k < 3; k++) {
            char buf[16];
            snprintf(buf, sizeof buf, "%s%d", t[k], i);
            cr_assert_eq(send_text(c, buf), 0);
        }
    }
    cr_assert_eq(send_text(c, "end"), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    ipcx_chan_close(c, 0);
}

/* --- N:1 fan-in: one channel dials one pipe pair per child ------------------ */

#define FAN_CHILDREN 3
#define FAN_EACH     200

static int push_child(void *arg)
{
    struct side *s = arg;
    struct ipcx_chan *c = open_dial(IPCX_PUSH, 16, s->child);
    TSUP_CHILD_CHECK(c != NULL);
    for (uint32_t k = 0; k < FAN_EACH; k++) {
        uint32_t v[2] = {(uint32_t)s->who, k};
        struct ipcx_msg m = ipcx_msg_of(v, sizeof v);
        TSUP_CHILD_CHECK(ipcx_chan_send(c, &m, WAIT_MS) == 0);
    }
    ipcx_chan_close(c, 2000);
    return 0;
}

Test(pipe_patterns, fan_in_from_several_children)
{
    struct ipcx_chan *pull = NULL;
    cr_assert_eq(ipcx_chan_open(&pull, IPCX_PULL, NULL), 0);
    struct side s[FAN_CHILDREN];
    pid_t pids[FAN_CHILDREN];
    for (int i = 0; i < FAN_CHILDREN; i++) {
        memset(&s[i], 0, sizeof s[i]);
        s[i].who = i;
        pids[i] = fork_side(&s[i], push_child);
        cr_assert_gt(ipcx_chan_dial(pull, s[i].parent, NULL, WAIT_MS), 0);
    }
    uint32_t next[FAN_CHILDREN] = {0};
    for (int k = 0; k < FAN_CHILDREN * FAN_EACH; k++) {
        struct ipcx_msg m;
        cr_assert_eq(ipcx_chan_recv(pull, &m, WAIT_MS), 0, "message %d", k);
        uint32_t v[2];
        cr_assert_eq(m.size, sizeof v);
        memcpy(v, m.data, sizeof v);
        cr_assert_lt(v[0], FAN_CHILDREN);
        cr_assert_eq(v[1], next[v[0]], "in order from each child");
        next[v[0]]++;
        ipcx_msg_release(&m);
    }
    for (int i = 0; i < FAN_CHILDREN; i++)
        cr_assert_eq(tsup_wait_exit(pids[i], WAIT_MS), 0);
    ipcx_chan_close(pull, 0);
}

/* --- rendezvous and peer death ---------------------------------------------- */

static int slow_taker(void *arg)
{
    struct side *s = arg;
    struct ipcx_chan *c = open_dial(IPCX_PAIR, 16, s->child);
    TSUP_CHILD_CHECK(c != NULL);
    usleep(300 * 1000);
    atomic_store(s->taking, 1);
    char buf[16];
    TSUP_CHILD_CHECK(recv_text(c, buf, sizeof buf, WAIT_MS) == 4);
    _exit(0); /* dies without closing: the parent sees the pipe end */
}

Test(pipe_patterns, rendezvous_then_peer_death)
{
    struct side s = {0};
    s.taking =
        mmap(NULL, sizeof *s.taking, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(s.taking, MAP_FAILED);
    atomic_store(s.taking, 0);
    pid_t pid = fork_side(&s, slow_taker);
    struct ipcx_chan *c = open_dial(IPCX_PAIR, 0, s.parent);
    cr_assert_not_null(c);
    cr_assert_eq(send_text(c, "sync"), 0);
    cr_assert_eq(atomic_load(s.taking), 1, "the send returned only once the child took it");
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    struct ipcx_chan_event ev;
    cr_assert_eq(ipcx_chan_event(c, &ev, WAIT_MS), 0);
    cr_assert_eq(ev.kind, IPCX_CHAN_PEER_JOINED);
    cr_assert_eq(ipcx_chan_event(c, &ev, WAIT_MS), 0);
    cr_assert_eq(ev.kind, IPCX_CHAN_PEER_LEFT);
    cr_assert_eq(ev.reason, IPCX_EPEERDEAD, "%s", ipcx_errname(ev.reason));
    ipcx_chan_close(c, 0);
    munmap(s.taking, sizeof *s.taking);
}
