/* SPDX-License-Identifier: MIT */
/*
 * test_ring.c: the ring within one process: format and attach checks,
 * copy and zero-copy use, attributes, empty/full behaviour with timeouts,
 * the largest message, wrap-around with padding, undersized buffers, and
 * what each side sees when the other closes.
 * ipcx-test: label=unit timeout=60
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ipcx.h>

#include "ring/layout.h"
#include "tsup.h"

#define CAP 4096u

struct fixture {
    void *mem;
    size_t size;
    struct ipcx_ring *p, *c;
};

static struct fixture make(size_t cap)
{
    struct fixture f = {0};
    f.size = ipcx_ring_footprint(cap);
    cr_assert_gt(f.size, 0);
    f.mem = mmap(NULL, f.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(f.mem, MAP_FAILED);
    cr_assert_eq(ipcx_ring_format(f.mem, f.size, cap), 0);
    cr_assert_eq(ipcx_ring_attach(&f.p, f.mem, f.size, IPCX_RING_PRODUCER, NULL), 0);
    cr_assert_eq(ipcx_ring_attach(&f.c, f.mem, f.size, IPCX_RING_CONSUMER, NULL), 0);
    return f;
}

static void drop(struct fixture *f)
{
    ipcx_ring_close(f->p);
    ipcx_ring_close(f->c);
    munmap(f->mem, f->size);
}

Test(ring, footprint_and_format_checks)
{
    cr_assert_eq(ipcx_ring_footprint(0), 0);
    cr_assert_eq(ipcx_ring_footprint(4095), 0);
    cr_assert_eq(ipcx_ring_footprint(6000), 0);
    cr_assert_eq(ipcx_ring_footprint((size_t)IPCX_RING_MAX_CAPACITY * 2), 0);
    size_t fp = ipcx_ring_footprint(CAP);
    cr_assert_gt(fp, CAP);

    void *mem = aligned_alloc(64, fp + 64);
    cr_assert_not_null(mem);
    cr_assert_eq(ipcx_ring_format(NULL, fp, CAP), IPCX_EINVAL);
    cr_assert_eq(ipcx_ring_format((char *)mem + 8, fp, CAP), IPCX_EINVAL);
    cr_assert_eq(ipcx_ring_format(mem, fp, 5000), IPCX_EINVAL);
    cr_assert_eq(ipcx_ring_format(mem, fp - 1, CAP), IPCX_ENOSPC);
    cr_assert_eq(ipcx_ring_format(mem, fp, CAP), 0);
    free(mem);
}

Test(ring, attach_checks_the_header)
{
    size_t fp = ipcx_ring_footprint(CAP);
    unsigned char *mem = aligned_alloc(64, fp);
    cr_assert_not_null(mem);
    struct ipcx_ring *r = (void *)1;
    memset(mem, 0, fp);
    cr_assert_eq(ipcx_ring_attach(&r, mem, fp, IPCX_RING_CONSUMER, NULL), IPCX_EPROTO);
    cr_assert_null(r, "a failed attach leaves no handle");

    cr_assert_eq(ipcx_ring_format(mem, fp, CAP), 0);
    cr_assert_eq(ipcx_ring_attach(&r, mem, fp, 3, NULL), IPCX_EINVAL);
    struct ipcx_ring_opts bad = {.wait = 7};
    cr_assert_eq(ipcx_ring_attach(&r, mem, fp, IPCX_RING_PRODUCER, &bad), IPCX_EINVAL);
    cr_assert_eq(ipcx_ring_attach(NULL, mem, fp, IPCX_RING_PRODUCER, NULL), IPCX_EINVAL);
    /* The memory given must hold the capacity the header claims. */
    cr_assert_eq(ipcx_ring_attach(&r, mem, fp - 8, IPCX_RING_PRODUCER, NULL), IPCX_EPROTO);

    struct ring_info *info = (void *)mem;
    info->version = 1; /* version 1 had 8-byte records */
    cr_assert_eq(ipcx_ring_attach(&r, mem, fp, IPCX_RING_PRODUCER, NULL), IPCX_EVERSION);
    info->version = IPCX_RING_LAYOUT_VERSION + 1;
    cr_assert_eq(ipcx_ring_attach(&r, mem, fp, IPCX_RING_PRODUCER, NULL), IPCX_EVERSION);
    info->version = IPCX_RING_LAYOUT_VERSION;
    info->capacity = CAP * 2;
    cr_assert_eq(ipcx_ring_attach(&r, mem, fp, IPCX_RING_PRODUCER, NULL), IPCX_EPROTO);
    info->capacity = CAP + 8;
    cr_assert_eq(ipcx_ring_attach(&r, mem, fp, IPCX_RING_PRODUCER, NULL), IPCX_EPROTO);
    info->capacity = CAP;
    info->record_align = 8;
    cr_assert_eq(ipcx_ring_attach(&r, mem, fp, IPCX_RING_PRODUCER, NULL), IPCX_EPROTO);
    info->record_align = RING_ALIGN;
    info->reserved = 1;
    cr_assert_eq(ipcx_ring_attach(&r, mem, fp, IPCX_RING_PRODUCER, NULL), IPCX_EPROTO);
    info->reserved = 0;
    /* Indices that cannot be: tail past head, or not a multiple of a record. */
    struct ring_consumer *cons = (void *)(mem + 2 * RING_BLOCK);
    cons->tail = 64;
    cr_assert_eq(ipcx_ring_attach(&r, mem, fp, IPCX_RING_PRODUCER, NULL), IPCX_EPROTO);
    struct ring_producer *prod = (void *)(mem + RING_BLOCK);
    prod->head = 72;
    cons->tail = 8;
    cr_assert_eq(ipcx_ring_attach(&r, mem, fp, IPCX_RING_PRODUCER, NULL), IPCX_EPROTO);
    prod->head = 0;
    cons->tail = 0;
    cr_assert_eq(ipcx_ring_attach(&r, mem, fp, IPCX_RING_PRODUCER, NULL), 0);
    ipcx_ring_close(r);
    free(mem);
}

Test(ring, copy_round_trip_with_attributes)
{
    struct fixture f = make(CAP);
    struct ipcx_ring_meta m = {.type = -42, .priority = 7};
    cr_assert_eq(ipcx_ring_send(f.p, "hello", 5, &m, 0), 0);
    cr_assert_eq(ipcx_ring_send(f.p, "", 0, NULL, 0), 0, "empty messages are messages");
    char buf[16];
    struct ipcx_ring_meta got;
    cr_assert_eq(ipcx_ring_recv(f.c, buf, sizeof buf, &got, NULL, 0), 5);
    cr_assert_eq(memcmp(buf, "hello", 5), 0);
    cr_assert_eq(got.type, -42);
    cr_assert_eq(got.priority, 7);
    cr_assert_eq(ipcx_ring_recv(f.c, buf, sizeof buf, &got, NULL, 0), 0);
    cr_assert_eq(got.type, 0);
    cr_assert_eq(ipcx_ring_recv(f.c, buf, sizeof buf, NULL, NULL, IPCX_NOWAIT), IPCX_EAGAIN);

    struct ipcx_ring_stats ps, cs;
    ipcx_ring_get_stats(f.p, &ps);
    ipcx_ring_get_stats(f.c, &cs);
    cr_assert_eq(ps.messages, 2);
    cr_assert_eq(cs.messages, 2);
    cr_assert_eq(ps.bytes, 5);
    cr_assert_eq(ps.futex_wakes + cs.futex_waits, 0, "no system call on this path");
    drop(&f);
}

Test(ring, empty_times_out_no_earlier_than_deadline)
{
    struct fixture f = make(CAP);
    char buf[8];
    int modes[] = {IPCX_RING_ADAPTIVE, IPCX_RING_BUSY, IPCX_RING_BLOCK};
    for (int i = 0; i < 3; i++) {
        struct ipcx_ring *c;
        struct ipcx_ring_opts o = {.wait = modes[i]};
        ipcx_ring_close(f.c);
        cr_assert_eq(ipcx_ring_attach(&c, f.mem, f.size, IPCX_RING_CONSUMER, &o), 0);
        f.c = c;
        int64_t t0 = tsup_now_ms();
        cr_assert_eq(ipcx_ring_recv(c, buf, sizeof buf, NULL, NULL, 60), IPCX_ETIMEDOUT);
        int64_t took = tsup_now_ms() - t0;
        cr_assert(took >= 60 && took < 60 + 250, "mode %d took %lld ms", modes[i], (long long)took);
    }
    cr_assert_eq(ipcx_ring_recv(f.c, buf, sizeof buf, NULL, NULL, -5), IPCX_EINVAL);
    drop(&f);
}

Test(ring, full_ring_refuses_then_times_out)
{
    struct fixture f = make(CAP);
    char msg[100] = {0};
    int sent = 0;
    while (ipcx_ring_send(f.p, msg, sizeof msg, NULL, IPCX_NOWAIT) == 0)
        sent++;
    /* Each record takes 24 + 100 bytes rounded up to 128. */
    cr_assert_eq(sent, CAP / 128);
    cr_assert_eq(ipcx_ring_send(f.p, msg, sizeof msg, NULL, IPCX_NOWAIT), IPCX_EAGAIN);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_ring_send(f.p, msg, sizeof msg, NULL, 50), IPCX_ETIMEDOUT);
    cr_assert_geq(tsup_now_ms() - t0, 50);
    /* One message out makes room for one in. */
    cr_assert_eq(ipcx_ring_recv(f.c, msg, sizeof msg, NULL, NULL, 0), 100);
    cr_assert_eq(ipcx_ring_send(f.p, msg, sizeof msg, NULL, IPCX_NOWAIT), 0);
    drop(&f);
}

Test(ring, largest_message_and_oversize)
{
    struct fixture f = make(CAP);
    size_t max = ipcx_ring_max_message(f.p);
    cr_assert_eq(max, CAP - IPCX_RING_RECORD_HEADER);
    char *big = malloc(max + 1), *out = malloc(max + 1);
    for (size_t i = 0; i <= max; i++)
        big[i] = (char)(i * 7);
    cr_assert_eq(ipcx_ring_send(f.p, big, max + 1, NULL, 0), IPCX_EMSGSIZE);
    cr_assert_eq(ipcx_ring_send(f.p, big, max, NULL, 0), 0);
    cr_assert_eq(ipcx_ring_recv(f.c, out, max, NULL, NULL, 0), (long)max);
    cr_assert_eq(memcmp(big, out, max), 0);

    /* Off offset 0, the largest message needs the padding consumed first. */
    cr_assert_eq(ipcx_ring_send(f.p, "x", 1, NULL, 0), 0);
    cr_assert_eq(ipcx_ring_recv(f.c, out, max, NULL, NULL, 0), 1);
    cr_assert_eq(ipcx_ring_send(f.p, big, max, NULL, IPCX_NOWAIT), IPCX_EAGAIN);
    cr_assert_eq(ipcx_ring_recv(f.c, out, max, NULL, NULL, IPCX_NOWAIT), IPCX_EAGAIN,
                 "padding is never delivered");
    cr_assert_eq(ipcx_ring_send(f.p, big, max, NULL, IPCX_NOWAIT), 0);
    cr_assert_eq(ipcx_ring_recv(f.c, out, max, NULL, NULL, 0), (long)max);
    cr_assert_eq(memcmp(big, out, max), 0);
    free(big);
    free(out);
    drop(&f);
}

Test(ring, small_buffer_leaves_the_message)
{
    struct fixture f = make(CAP);
    cr_assert_eq(ipcx_ring_send(f.p, "0123456789", 10, NULL, 0), 0);
    char buf[16];
    size_t needed = 0;
    cr_assert_eq(ipcx_ring_recv(f.c, buf, 4, NULL, &needed, 0), IPCX_EMSGSIZE);
    cr_assert_eq(needed, 10);
    cr_assert_eq(ipcx_ring_recv(f.c, buf, sizeof buf, NULL, &needed, 0), 10);
    cr_assert_eq(memcmp(buf, "0123456789", 10), 0);
    drop(&f);
}

Test(ring, zero_copy_reserve_commit_peek_release)
{
    struct fixture f = make(CAP);
    void *dst;
    cr_assert_eq(ipcx_ring_commit(f.p, 1, NULL), IPCX_EINVAL, "nothing reserved");
    cr_assert_eq(ipcx_ring_reserve(f.p, 100, &dst, 0), 0);
    cr_assert_eq((uintptr_t)dst % 8, 0);
    cr_assert_eq(((uintptr_t)dst - IPCX_RING_RECORD_HEADER) % 64, 0, "records start on a line");
    memset(dst, 'z', 100);
    struct ipcx_ring_view v;
    cr_assert_eq(ipcx_ring_peek(f.c, &v, IPCX_NOWAIT), IPCX_EAGAIN, "not visible before commit");
    cr_assert_eq(ipcx_ring_commit(f.p, 101, NULL), IPCX_EINVAL, "more than reserved");
    cr_assert_eq(ipcx_ring_commit(f.p, 60, &(struct ipcx_ring_meta){.type = 3}), 0);
    cr_assert_eq(ipcx_ring_peek(f.c, &v, 0), 0);
    cr_assert_eq(v.len, 60);
    cr_assert_eq(v.meta.type, 3);
    const void *first = v.data;
    cr_assert_eq(ipcx_ring_peek(f.c, &v, 0), 0);
    cr_assert_eq(v.data, first, "peek is idempotent until release");
    cr_assert_eq(((const char *)v.data)[59], 'z');
    cr_assert_eq(ipcx_ring_release(f.c), 0);
    cr_assert_eq(ipcx_ring_release(f.c), IPCX_EINVAL);
    cr_assert_eq(ipcx_ring_peek(f.c, &v, IPCX_NOWAIT), IPCX_EAGAIN);
    /* Roles are enforced. */
    cr_assert_eq(ipcx_ring_peek(f.p, &v, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_ring_reserve(f.c, 1, &dst, 0), IPCX_EINVAL);
    drop(&f);
}

/* Message i: length and bytes derived from i, so the receiver can check. */
static size_t len_of(uint64_t i, size_t max)
{
    uint64_t x = i * 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    return (size_t)(x % (max + 1));
}

static void fill(unsigned char *p, size_t n, uint64_t i)
{
    for (size_t k = 0; k < n; k++)
        p[k] = (unsigned char)(i + k * 31);
}

Test(ring, wrap_around_with_every_padding_case)
{
    struct fixture f = make(CAP);
    unsigned char msg[600], out[600];
    uint64_t sent = 0, got = 0;
    int smallest_pads = 0, exact_ends = 0;
    while (got < 20000) {
        /* Send while there is room, then drain a random amount. */
        struct ring_producer *prod = (void *)((char *)f.mem + RING_BLOCK);
        for (;;) {
            size_t n = len_of(sent, sizeof msg);
            fill(msg, n, sent);
            uint64_t gap = CAP - (prod->head & (CAP - 1));
            uint64_t rec = (IPCX_RING_RECORD_HEADER + n + 63) / 64 * 64;
            if (ipcx_ring_send(f.p, msg, n, NULL, IPCX_NOWAIT) != 0)
                break;
            if (gap == 64 && rec > gap)
                smallest_pads++; /* a header and 40 bytes of padding */
            if (gap == rec)
                exact_ends++; /* the record ends the data area: no padding */
            sent++;
        }
        uint64_t take = 1 + len_of(got, 6);
        while (take-- && got < sent) {
            size_t n = len_of(got, sizeof msg);
            fill(msg, n, got);
            cr_assert_eq(ipcx_ring_recv(f.c, out, sizeof out, NULL, NULL, 0), (long)n);
            cr_assert_eq(memcmp(msg, out, n), 0, "message %llu", (unsigned long long)got);
            got++;
        }
    }
    cr_assert_gt(smallest_pads, 0, "the smallest padding record was exercised");
    cr_assert_gt(exact_ends, 0, "a record ending exactly at the end was exercised");
    drop(&f);
}

Test(ring, close_is_seen_by_the_other_side)
{
    struct fixture f = make(CAP);
    cr_assert_eq(ipcx_ring_send(f.p, "last", 4, NULL, 0), 0);
    ipcx_ring_close(f.p);
    f.p = NULL;
    char buf[8];
    cr_assert_eq(ipcx_ring_recv(f.c, buf, sizeof buf, NULL, NULL, 100), 4,
                 "what was sent before close arrives");
    cr_assert_eq(ipcx_ring_recv(f.c, buf, sizeof buf, NULL, NULL, 100), IPCX_EPIPE);

    struct fixture g = make(CAP);
    ipcx_ring_close(g.c);
    g.c = NULL;
    cr_assert_eq(ipcx_ring_send(g.p, "x", 1, NULL, 100), IPCX_EPIPE);
    drop(&g);
    drop(&f);
}
