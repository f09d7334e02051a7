/* SPDX-License-Identifier: MIT */
/*
 * row_ring.c: ipcx's shared-memory ring, one ring each way in a mapping the
 * parent formats and both sides inherit, measured in each waiting mode:
 *   ring-busy      spin until the message is there (never sleeps)
 *   ring-adaptive  spin up to 50 us, then sleep on a futex (the default)
 *   ring-block     sleep on a futex at once: every wait is a system call
 *   ring-zc        zero-copy, busy: the sender reserves the message in the
 *                  ring and writes only the harness's 16 bytes; the receiver
 *                  reads a view and copies only those 16 bytes back
 *   ring-zc-1MiB   as ring-zc, but every message is 1 MiB long, to show that
 *                  a zero-copy round trip does not depend on the size
 * The copy rows move every byte with ipcx_ring_send / ipcx_ring_recv. Each
 * side notes how many futex system calls it made per message.
 */
#include <stdio.h>
#include <string.h>

#include <ipcx.h>

#include "row.h"

#define RING_CAP    (4u << 20) /* room for a 1 MiB message and then some */
#define ZC_BIG      (1u << 20)
#define HARNESS_LEN 16 /* the bytes of a message the harness reads */

struct ring_side {
    struct ipcx_ring *out, *in;
};

static size_t ring_bytes(void)
{
    return ipcx_ring_footprint(RING_CAP);
}

static void *ring_mem(struct bench_proc *p, int i)
{
    return (char *)p->shared + (size_t)i * ring_bytes();
}

static size_t ring_limit(char *why, size_t whylen)
{
    snprintf(why, whylen, "a ring of %u MiB carries %u bytes at most", RING_CAP >> 20,
             RING_CAP - IPCX_RING_RECORD_HEADER);
    return RING_CAP - IPCX_RING_RECORD_HEADER;
}

static int ring_setup(struct bench_proc *p)
{
    for (int i = 0; i < 2; i++) {
        int rc = ipcx_ring_format(ring_mem(p, i), ring_bytes(), RING_CAP);
        if (rc < 0)
            return bench_fail(p, "ipcx_ring_format: %s", ipcx_strerror(rc));
    }
    return 0;
}

static int open_mode(struct bench_proc *p, int mode)
{
    struct ring_side *s = p->priv;
    struct ipcx_ring_opts o = {.wait = mode};
    /* Ring 0 carries client to server, ring 1 server to client. */
    int out = p->role == BENCH_CLIENT ? 0 : 1;
    int rc = ipcx_ring_attach(&s->out, ring_mem(p, out), ring_bytes(), IPCX_RING_PRODUCER, &o);
    if (rc == 0)
        rc = ipcx_ring_attach(&s->in, ring_mem(p, 1 - out), ring_bytes(), IPCX_RING_CONSUMER, &o);
    if (rc < 0)
        return bench_fail(p, "ipcx_ring_attach: %s", ipcx_strerror(rc));
    return 0;
}

static int open_busy(struct bench_proc *p)
{
    return open_mode(p, IPCX_RING_BUSY);
}

static int open_adaptive(struct bench_proc *p)
{
    return open_mode(p, IPCX_RING_ADAPTIVE);
}

static int open_block(struct bench_proc *p)
{
    return open_mode(p, IPCX_RING_BLOCK);
}

static int ring_send(struct bench_proc *p, void *buf, size_t len)
{
    struct ring_side *s = p->priv;
    return ipcx_ring_send(s->out, buf, len, NULL, p->timeout_ms);
}

static ssize_t ring_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct ring_side *s = p->priv;
    long n = ipcx_ring_recv(s->in, buf, p->max_size, NULL, NULL, p->timeout_ms);
    return n < 0 ? n : (ssize_t)n;
}

static int zc_send_len(struct bench_proc *p, const void *buf, size_t len)
{
    struct ring_side *s = p->priv;
    void *dst;
    int rc = ipcx_ring_reserve(s->out, len, &dst, p->timeout_ms);
    if (rc < 0)
        return rc;
    memcpy(dst, buf, len < HARNESS_LEN ? len : HARNESS_LEN);
    return ipcx_ring_commit(s->out, len, NULL);
}

static int zc_send(struct bench_proc *p, void *buf, size_t len)
{
    return zc_send_len(p, buf, len);
}

static int zc_send_big(struct bench_proc *p, void *buf, size_t len)
{
    return zc_send_len(p, buf, len > ZC_BIG ? len : ZC_BIG);
}

static ssize_t zc_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct ring_side *s = p->priv;
    struct ipcx_ring_view v;
    int rc = ipcx_ring_peek(s->in, &v, p->timeout_ms);
    if (rc < 0)
        return rc;
    memcpy(buf, v.data, v.len < HARNESS_LEN ? v.len : HARNESS_LEN);
    ipcx_ring_release(s->in);
    /* The 1 MiB row sends more than the harness asked for: report what it
     * expects, the bytes it checks arrived. */
    return v.len > len ? (ssize_t)len : (ssize_t)v.len;
}

static void ring_close(struct bench_proc *p)
{
    struct ring_side *s = p->priv;
    if (s->out && s->in && p->index == 0) {
        struct ipcx_ring_stats o, i;
        ipcx_ring_get_stats(s->out, &o);
        ipcx_ring_get_stats(s->in, &i);
        uint64_t msgs = o.messages + i.messages;
        uint64_t calls = o.futex_waits + o.futex_wakes + i.futex_waits + i.futex_wakes;
        bench_note(p, "%s: %.4f futex calls per message (%llu in %llu messages)",
                   p->role == BENCH_CLIENT ? "client" : "server",
                   msgs ? (double)calls / (double)msgs : 0.0, (unsigned long long)calls,
                   (unsigned long long)msgs);
    }
    ipcx_ring_close(s->out);
    ipcx_ring_close(s->in);
    s->out = s->in = NULL;
}

#define RING_ROW(id, nm, ord, desc, openf, sendf, recvf, ...)                  \
    static const struct bench_row id = {.name = nm,                            \
                                        .group = BENCH_IPCX,                   \
                                        .order = ord,                          \
                                        .what = desc,                          \
                                        .priv_size = sizeof(struct ring_side), \
                                        .shared_size = 2 * (RING_CAP + 4096),  \
                                        .limit = ring_limit,                   \
                                        .setup = ring_setup,                   \
                                        .open = openf,                         \
                                        .send = sendf,                         \
                                        .recv = recvf,                         \
                                        .close = ring_close,                   \
                                        __VA_ARGS__}

RING_ROW(row_busy, "ring-busy", 10, "ipcx ring, copy in and out, busy-polling", open_busy,
         ring_send, ring_recv);
RING_ROW(row_adaptive, "ring-adaptive", 11,
         "ipcx ring, copy in and out, spin 50 us then futex sleep", open_adaptive, ring_send,
         ring_recv);
RING_ROW(row_block, "ring-block", 12, "ipcx ring, copy in and out, futex sleep at once", open_block,
         ring_send, ring_recv);
RING_ROW(row_zc, "ring-zc", 13,
         "ipcx ring, zero-copy reserve/commit and peek/release, busy (only 16 bytes touched)",
         open_busy, zc_send, zc_recv);
RING_ROW(row_zc_big, "ring-zc-1MiB", 14,
         "ipcx ring, zero-copy, every message 1 MiB (only 16 bytes touched), busy", open_busy,
         zc_send_big, zc_recv, .flags = BENCH_F_NO_THROUGHPUT,
         .why_no_stream = "the latency row for 1 MiB zero-copy messages; see ring-zc");

BENCH_ROWS(ring)
{
    bench_register(&row_busy);
    bench_register(&row_adaptive);
    bench_register(&row_block);
    bench_register(&row_zc);
    bench_register(&row_zc_big);
}
