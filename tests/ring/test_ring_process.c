/* SPDX-License-Identifier: MIT */
/*
 * test_ring_process.c: the ring between two real processes. A million
 * messages of pseudo-random sizes (from empty to the largest that fits, with
 * every wrap-around case) go through a small ring in each waiting mode and
 * arrive intact and in order; a ping-pong over two rings in blocking mode
 * shows the sleeper is woken (the futex path, not just spinning, is used);
 * a producer sleeping on a full ring gets the room of a single release even
 * when the consumer then leaves the ring alone.
 * ipcx-test: label=process timeout=300
 */
#include <criterion/criterion.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <ipcx.h>

#include "tsup.h"

#define CAP (64u * 1024u)

static size_t len_of(uint64_t i, size_t max)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull;
    x ^= x >> 31;
    /* Mostly small messages, some large, now and then the largest. */
    switch (x % 64) {
    case 0:
        return max;
    case 1:
    case 2:
    case 3:
        return (size_t)((x >> 8) % (max + 1));
    default:
        return (size_t)((x >> 8) % 257);
    }
}

/* Message i's bytes are a window of this pattern starting at offset_of(i),
 * so producing and checking them is a memcpy and a memcmp. */
static unsigned char pattern[2 * CAP];

static void make_pattern(void)
{
    uint64_t x = 88172645463325252ull;
    for (size_t k = 0; k < sizeof pattern; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pattern[k] = (unsigned char)x;
    }
}

static const unsigned char *bytes_of(uint64_t i)
{
    return pattern + (i * 40503u) % CAP;
}

struct stream_args {
    void *mem;
    size_t size;
    int mode;
    uint64_t count;
};

/* The consumer child: checks every message's length, bytes and type. */
static int consume(void *arg)
{
    struct stream_args *a = arg;
    struct ipcx_ring *c;
    struct ipcx_ring_opts o = {.wait = a->mode};
    TSUP_CHILD_CHECK(ipcx_ring_attach(&c, a->mem, a->size, IPCX_RING_CONSUMER, &o) == 0);
    size_t max = ipcx_ring_max_message(c);
    for (uint64_t i = 0; i < a->count; i++) {
        struct ipcx_ring_view v;
        int rc = ipcx_ring_peek(c, &v, 10000);
        if (rc != 0) {
            fprintf(stderr, "message %llu: %s\n", (unsigned long long)i, ipcx_errname(rc));
            return 1;
        }
        size_t n = len_of(i, max);
        TSUP_CHILD_CHECK(v.len == n);
        TSUP_CHILD_CHECK(v.meta.type == (int64_t)i);
        if (n && memcmp(v.data, bytes_of(i), n) != 0) {
            fprintf(stderr, "message %llu: bytes differ\n", (unsigned long long)i);
            return 2;
        }
        TSUP_CHILD_CHECK(ipcx_ring_release(c) == 0);
    }
    /* The producer closes after the last message: nothing more may come. */
    struct ipcx_ring_view v;
    TSUP_CHILD_CHECK(ipcx_ring_peek(c, &v, 10000) == IPCX_EPIPE);
    ipcx_ring_close(c);
    return 0;
}

static void stream(int mode, uint64_t count)
{
    make_pattern();
    struct stream_args a = {.mode = mode, .count = count};
    a.size = ipcx_ring_footprint(CAP);
    a.mem = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(a.mem, MAP_FAILED);
    cr_assert_eq(ipcx_ring_format(a.mem, a.size, CAP), 0);
    pid_t pid = tsup_fork(consume, &a);
    cr_assert_gt(pid, 0);

    struct ipcx_ring *p;
    struct ipcx_ring_opts o = {.wait = mode};
    cr_assert_eq(ipcx_ring_attach(&p, a.mem, a.size, IPCX_RING_PRODUCER, &o), 0);
    size_t max = ipcx_ring_max_message(p);
    int rc = 0;
    for (uint64_t i = 0; i < count && rc == 0; i++) {
        size_t n = len_of(i, max);
        void *dst;
        rc = ipcx_ring_reserve(p, n, &dst, 10000);
        if (rc < 0)
            break;
        if (n)
            memcpy(dst, bytes_of(i), n);
        rc = ipcx_ring_commit(p, n, &(struct ipcx_ring_meta){.type = (int64_t)i});
    }
    ipcx_ring_close(p);
    int code = tsup_wait_exit(pid, 120000);
    cr_assert_eq(rc, 0, "producer: %s", ipcx_errname(rc));
    cr_assert_eq(code, 0, "consumer exit %d", code);
    munmap(a.mem, a.size);
}

Test(ring_process, million_messages_adaptive)
{
    stream(IPCX_RING_ADAPTIVE, 1000000);
}

Test(ring_process, million_messages_busy)
{
    stream(IPCX_RING_BUSY, 1000000);
}

Test(ring_process, million_messages_blocking)
{
    stream(IPCX_RING_BLOCK, 1000000);
}

/* Ping-pong: the child echoes every message back on the second ring. */
struct pp_args {
    void *mem[2];
    size_t size;
    int mode;
    int rounds;
};

static int echo(void *arg)
{
    struct pp_args *a = arg;
    struct ipcx_ring *in, *out;
    struct ipcx_ring_opts o = {.wait = a->mode};
    TSUP_CHILD_CHECK(ipcx_ring_attach(&in, a->mem[0], a->size, IPCX_RING_CONSUMER, &o) == 0);
    TSUP_CHILD_CHECK(ipcx_ring_attach(&out, a->mem[1], a->size, IPCX_RING_PRODUCER, &o) == 0);
    char buf[64];
    for (int i = 0; i < a->rounds; i++) {
        long n = ipcx_ring_recv(in, buf, sizeof buf, NULL, NULL, 10000);
        TSUP_CHILD_CHECK(n == sizeof buf);
        TSUP_CHILD_CHECK(ipcx_ring_send(out, buf, (size_t)n, NULL, 10000) == 0);
    }
    ipcx_ring_close(in);
    ipcx_ring_close(out);
    return 0;
}

static struct ipcx_ring_stats ping_pong(int mode, int rounds)
{
    struct pp_args a = {.mode = mode, .rounds = rounds};
    a.size = ipcx_ring_footprint(CAP);
    for (int i = 0; i < 2; i++) {
        a.mem[i] = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        cr_assert_neq(a.mem[i], MAP_FAILED);
        cr_assert_eq(ipcx_ring_format(a.mem[i], a.size, CAP), 0);
    }
    pid_t pid = tsup_fork(echo, &a);
    struct ipcx_ring *out, *in;
    struct ipcx_ring_opts o = {.wait = mode};
    cr_assert_eq(ipcx_ring_attach(&out, a.mem[0], a.size, IPCX_RING_PRODUCER, &o), 0);
    cr_assert_eq(ipcx_ring_attach(&in, a.mem[1], a.size, IPCX_RING_CONSUMER, &o), 0);
    char msg[64], back[64];
    for (int i = 0; i < rounds; i++) {
        memset(msg, i, sizeof msg);
        cr_assert_eq(ipcx_ring_send(out, msg, sizeof msg, NULL, 10000), 0);
        cr_assert_eq(ipcx_ring_recv(in, back, sizeof back, NULL, NULL, 10000), 64);
        cr_assert_eq(memcmp(msg, back, sizeof msg), 0);
    }
    struct ipcx_ring_stats s_out, s_in, total;
    ipcx_ring_get_stats(out, &s_out);
    ipcx_ring_get_stats(in, &s_in);
    total.messages = s_out.messages;
    total.futex_waits = s_out.futex_waits + s_in.futex_waits;
    total.futex_wakes = s_out.futex_wakes + s_in.futex_wakes;
    ipcx_ring_close(out);
    ipcx_ring_close(in);
    cr_assert_eq(tsup_wait_exit(pid, 30000), 0);
    for (int i = 0; i < 2; i++)
        munmap(a.mem[i], a.size);
    return total;
}

Test(ring_process, blocking_ping_pong_sleeps_and_wakes)
{
    struct ipcx_ring_stats s = ping_pong(IPCX_RING_BLOCK, 2000);
    /* The parent sleeps for nearly every reply and is woken for it. */
    cr_assert_gt(s.futex_waits, 0);
    cr_assert_gt(s.futex_wakes, 0);
}

/* A producer sleeping on a full ring, and a consumer that takes one
 * message and then leaves the ring alone: the room it made must reach the
 * producer without any further call on the consumer's side. */
struct room_args {
    void *mem;
    size_t size;
    int rounds;
    int *sent; /* in the shared mapping: sends completed after the ring filled, */
    int *full; /* and 1 once the producer filled it */
};

static int produce_into_full(void *arg)
{
    struct room_args *a = arg;
    struct ipcx_ring *p;
    struct ipcx_ring_opts o = {.wait = IPCX_RING_BLOCK};
    TSUP_CHILD_CHECK(ipcx_ring_attach(&p, a->mem, a->size, IPCX_RING_PRODUCER, &o) == 0);
    char msg[1000] = {0};
    int k = 0;
    while (ipcx_ring_send(p, msg, sizeof msg, &(struct ipcx_ring_meta){.type = k}, 0) == 0)
        k++;
    __atomic_store_n(a->full, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < a->rounds; i++, k++) {
        TSUP_CHILD_CHECK(
            ipcx_ring_send(p, msg, sizeof msg, &(struct ipcx_ring_meta){.type = k}, 10000) == 0);
        __atomic_store_n(a->sent, i + 1, __ATOMIC_RELEASE);
    }
    ipcx_ring_close(p);
    return 0;
}

Test(ring_process, one_release_wakes_a_sleeping_producer)
{
    struct room_args a = {.rounds = 2000};
    a.size = ipcx_ring_footprint(CAP);
    a.mem = mmap(NULL, a.size + 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(a.mem, MAP_FAILED);
    a.sent = (int *)((char *)a.mem + a.size);
    a.full = a.sent + 1;
    cr_assert_eq(ipcx_ring_format(a.mem, a.size, CAP), 0);
    pid_t pid = tsup_fork(produce_into_full, &a);
    struct ipcx_ring *c;
    cr_assert_eq(ipcx_ring_attach(&c, a.mem, a.size, IPCX_RING_CONSUMER, NULL), 0);
    char buf[1000];
    struct ipcx_ring_meta m;
    int64_t slowest = 0, t_fill = tsup_now_ns();
    while (!__atomic_load_n(a.full, __ATOMIC_ACQUIRE)) {
        cr_assert_lt(tsup_now_ns() - t_fill, 10000 * 1000000LL, "the producer filled the ring");
        usleep(100);
    }
    for (int i = 0; i < a.rounds; i++) {
        /* Release at a random moment around the producer going to sleep. */
        int64_t until = tsup_now_ns() + tsup_random32() % 50000;
        while (tsup_now_ns() < until)
            ;
        cr_assert_eq(ipcx_ring_recv(c, buf, sizeof buf, &m, NULL, 10000), sizeof buf);
        cr_assert_eq(m.type, i, "in order");
        int64_t t0 = tsup_now_ns();
        while (__atomic_load_n(a.sent, __ATOMIC_ACQUIRE) != i + 1) {
            cr_assert_lt(tsup_now_ns() - t0, 2000 * 1000000LL,
                         "round %d: the producer never saw the room", i);
            usleep(10);
        }
        if (tsup_now_ns() - t0 > slowest)
            slowest = tsup_now_ns() - t0;
    }
    ipcx_ring_close(c);
    cr_assert_eq(tsup_wait_exit(pid, 30000), 0);
    munmap(a.mem, a.size + 4096);
    cr_log_info("slowest hand-over of room: %lld us", (long long)(slowest / 1000));
}

/* The event-loop consumer: arms, polls the eventfd, drains with NOWAIT. */
struct loop_args {
    void *mem;
    size_t size;
    int efd;
    int count;
};

static int produce_bursts(void *arg)
{
    struct loop_args *a = arg;
    struct ipcx_ring *p;
    TSUP_CHILD_CHECK(ipcx_ring_attach(&p, a->mem, a->size, IPCX_RING_PRODUCER, NULL) == 0);
    TSUP_CHILD_CHECK(ipcx_ring_set_eventfd(p, a->efd) == 0);
    for (int i = 0; i < a->count; i++) {
        TSUP_CHILD_CHECK(ipcx_ring_send(p, &i, sizeof i, NULL, 10000) == 0);
        if (i % 100 == 99)
            usleep(200); /* let the consumer go idle and arm */
    }
    struct ipcx_ring_stats s;
    ipcx_ring_get_stats(p, &s);
    ipcx_ring_close(p);
    /* Some wake-ups went through the eventfd, far fewer than messages. */
    TSUP_CHILD_CHECK(s.eventfd_writes > 0);
    TSUP_CHILD_CHECK(s.eventfd_writes < (uint64_t)a->count);
    return 0;
}

Test(ring_process, eventfd_makes_the_ring_pollable)
{
    struct loop_args a = {.count = 20000};
    a.size = ipcx_ring_footprint(CAP);
    a.mem = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(a.mem, MAP_FAILED);
    cr_assert_eq(ipcx_ring_format(a.mem, a.size, CAP), 0);
    a.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    cr_assert_geq(a.efd, 0);

    struct ipcx_ring *c;
    cr_assert_eq(ipcx_ring_attach(&c, a.mem, a.size, IPCX_RING_CONSUMER, NULL), 0);
    cr_assert_eq(ipcx_ring_arm(c), IPCX_EINVAL, "no eventfd yet");
    int blocking = eventfd(0, EFD_CLOEXEC);
    cr_assert_eq(ipcx_ring_set_eventfd(c, blocking), IPCX_EINVAL);
    close(blocking);
    cr_assert_eq(ipcx_ring_set_eventfd(c, a.efd), 0);
    pid_t pid = tsup_fork(produce_bursts, &a);

    int next = 0, polls = 0;
    for (;;) {
        int armed = ipcx_ring_arm(c);
        if (armed == IPCX_EPIPE)
            break;
        cr_assert_geq(armed, 0, "arm: %s", ipcx_errname(armed));
        if (armed == 0) {
            struct pollfd pfd = {.fd = a.efd, .events = POLLIN};
            cr_assert_eq(poll(&pfd, 1, 10000), 1, "no wake-up through the eventfd");
            polls++;
        }
        for (;;) {
            int v;
            long n = ipcx_ring_recv(c, &v, sizeof v, NULL, NULL, IPCX_NOWAIT);
            if (n == IPCX_EAGAIN || n == IPCX_EPIPE)
                break;
            cr_assert_eq(n, sizeof v);
            cr_assert_eq(v, next, "message %d arrived as %d", next, v);
            next++;
        }
    }
    cr_assert_eq(next, a.count);
    cr_assert_gt(polls, 0);
    cr_assert_eq(tsup_wait_exit(pid, 30000), 0);
    ipcx_ring_close(c);
    close(a.efd);
    munmap(a.mem, a.size);
}
