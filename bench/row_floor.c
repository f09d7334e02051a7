/* SPDX-License-Identifier: MIT */
/*
 * row_floor.c: the hardware's limits, the references every other row is
 * divided by.
 *   cacheline: two processes bounce one cache line each way through an
 *     anonymous shared mapping, spinning on a sequence word; a message is at
 *     most the 56 bytes that share the line with the word. Nothing can carry
 *     a message between two cores faster.
 *   memcpy: one thread copies a buffer of the message size into another; no
 *     copying transport moves bytes faster than this.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "row.h"

/* --- cacheline ----------------------------------------------------------- */

#define LINE_PAYLOAD 56

struct line {
    _Alignas(64) _Atomic uint64_t seq;
    uint8_t data[LINE_PAYLOAD];
};

struct lines {
    struct line to_server, to_client;
};

struct line_priv {
    uint64_t sent, seen;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

static size_t line_limit(char *why, size_t n)
{
    snprintf(why, n, "one cache line carries %d bytes besides its sequence word", LINE_PAYLOAD);
    return LINE_PAYLOAD;
}

static struct line *line_out(struct bench_proc *p)
{
    struct lines *l = p->shared;
    return p->role == BENCH_CLIENT ? &l->to_server : &l->to_client;
}

static struct line *line_in(struct bench_proc *p)
{
    struct lines *l = p->shared;
    return p->role == BENCH_CLIENT ? &l->to_client : &l->to_server;
}

static int line_send(struct bench_proc *p, void *buf, size_t len)
{
    struct line_priv *me = p->priv;
    struct line *l = line_out(p);
    memcpy(l->data, buf, len);
    atomic_store_explicit(&l->seq, ++me->sent, memory_order_release);
    return 0;
}

static ssize_t line_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct line_priv *me = p->priv;
    struct line *l = line_in(p);
    unsigned spins = 0;
    int64_t end = 0;
    while (atomic_load_explicit(&l->seq, memory_order_acquire) == me->seen) {
        cpu_relax();
        if ((++spins & 0xffff) == 0) {
            int64_t now = bench_now_ns();
            if (!end)
                end = now + (int64_t)p->timeout_ms * 1000000;
            else if (now > end)
                return -ETIMEDOUT;
        }
    }
    me->seen++;
    memcpy(buf, l->data, len);
    return (ssize_t)len;
}

static const struct bench_row cacheline = {
    .name = "cacheline",
    .group = BENCH_FLOOR,
    .order = 10,
    .what = "one cache line each way between two processes spinning on a shared word",
    .flags = BENCH_F_NO_THROUGHPUT,
    .why_no_stream = "a single line has no queue to stream through (memcpy is the bandwidth floor)",
    .priv_size = sizeof(struct line_priv),
    .shared_size = sizeof(struct lines),
    .limit = line_limit,
    .send = line_send,
    .recv = line_recv,
};

/* --- memcpy -------------------------------------------------------------- */

static int copy_stream(struct bench_proc *p, size_t size, int64_t budget_ns, uint64_t max_msgs,
                       uint64_t *msgs)
{
    *msgs = 0;
    if (p->role != BENCH_CLIENT)
        return 0;
    uint8_t *src = malloc(size), *dst = malloc(size);
    if (!src || !dst) {
        free(src);
        free(dst);
        return -ENOMEM;
    }
    memset(src, 0x5a, size);
    memset(dst, 0, size);
    /* Read the clock about every 64 KiB copied. */
    uint64_t every = size >= 65536 ? 1 : 65536 / size;
    int64_t begin = bench_now_ns();
    uint64_t n = 0;
    for (;;) {
        memcpy(dst, src, size);
        /* The copy must happen: make dst observable to the compiler. */
        __asm__ __volatile__("" : : "r"(dst) : "memory");
        n++;
        if (n >= max_msgs || (n % every == 0 && bench_now_ns() - begin >= budget_ns))
            break;
    }
    *msgs = n;
    free(src);
    free(dst);
    return 0;
}

static int copy_unused_send(struct bench_proc *p, void *buf, size_t len)
{
    return -ENOTSUP;
}

static ssize_t copy_unused_recv(struct bench_proc *p, void *buf, size_t len)
{
    return -ENOTSUP;
}

static const struct bench_row memcpy_row = {
    .name = "memcpy",
    .group = BENCH_FLOOR,
    .order = 20,
    .what = "one thread copying a message-sized buffer (the bandwidth ceiling of one copy)",
    .flags = BENCH_F_NO_LATENCY,
    .why_no_latency = "one thread, nothing to answer",
    .send = copy_unused_send,
    .recv = copy_unused_recv,
    .stream = copy_stream,
};

BENCH_ROWS(floor)
{
    bench_register(&cacheline);
    bench_register(&memcpy_row);
}
