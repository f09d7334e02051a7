/* SPDX-License-Identifier: MIT */
/*
 * test_ring_hostile.c: a hostile peer. A separate process scribbles random
 * values over the ring's shared header, indices, wait words and record
 * headers while this process uses both ends. Every call must return valid
 * data, a timeout, IPCX_EPIPE or IPCX_EPROTO, within its timeout; nothing
 * may crash (the sanitizer build runs this too) or read outside the ring.
 * ipcx-test: label=fault timeout=300
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include <ipcx.h>

#include "tsup.h"

#define CAP    4096u
#define ROUNDS 3000

struct arena {
    atomic_int stop;
    atomic_long writes;
    unsigned char pad[64 - sizeof(atomic_int) - sizeof(atomic_long)];
};

struct scribble_args {
    struct arena *arena;
    unsigned char *ring;
    size_t size;
};

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The hostile peer: writes random 1-, 4- or 8-byte values at random places
 * of the first blocks (header, indices, wait words) and of the record
 * headers near the start of the data area, and pauses now and then so the
 * victim also sees quiet stretches. */
static int scribble(void *arg)
{
    struct scribble_args *a = arg;
    uint64_t s = (uint64_t)getpid() * 2654435761u + 1;
    while (!atomic_load(&a->arena->stop)) {
        uint64_t r = xorshift(&s);
        size_t span = (r & 1) ? 512 : 512 + 1024;
        size_t off = (size_t)((r >> 8) % span) & ~(size_t)7;
        uint64_t v = xorshift(&s);
        switch ((r >> 4) % 4) {
        case 0:
            v &= 0xff; /* small values look plausible */
            break;
        case 1:
            v %= 2 * CAP;
            break;
        default:
            break;
        }
        if ((r >> 40) % 3 == 0)
            __atomic_store_n((uint8_t *)(a->ring + off), (uint8_t)v, __ATOMIC_RELAXED);
        else if ((r >> 40) % 3 == 1)
            __atomic_store_n((uint32_t *)(a->ring + off), (uint32_t)v, __ATOMIC_RELAXED);
        else
            __atomic_store_n((uint64_t *)(a->ring + off), v, __ATOMIC_RELAXED);
        atomic_fetch_add(&a->arena->writes, 1);
        if ((r >> 50) % 16 == 0)
            usleep(20);
    }
    return 0;
}

static int allowed(long rc)
{
    return rc >= 0 || rc == IPCX_EAGAIN || rc == IPCX_ETIMEDOUT || rc == IPCX_EPROTO ||
           rc == IPCX_EPIPE || rc == IPCX_EMSGSIZE;
}

Test(ring_hostile, scribbling_peer_never_crashes_or_hangs_the_other_side)
{
    size_t size = ipcx_ring_footprint(CAP);
    unsigned char *ring =
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    struct arena *arena =
        mmap(NULL, sizeof *arena, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(ring, MAP_FAILED);
    cr_assert_neq(arena, MAP_FAILED);
    struct scribble_args sa = {arena, ring, size};
    pid_t pid = tsup_fork(scribble, &sa);
    cr_assert_gt(pid, 0);

    int fds = tsup_fd_count();
    long protos = 0, attach_refused = 0, delivered = 0, calls = 0;
    unsigned char msg[CAP], out[CAP];
    memset(msg, 0xA5, sizeof msg);
    uint64_t s = 12345;
    int64_t worst_ms = 0;
    int64_t give_up = tsup_now_ms() + 60000;
    int round;
    for (round = 0; round < ROUNDS || atomic_load(&arena->writes) < 50000; round++) {
        cr_assert_lt(tsup_now_ms(), give_up, "the scribbler did not get to run");
        ipcx_ring_format(ring, size, CAP);
        struct ipcx_ring *p = NULL, *c = NULL;
        struct ipcx_ring_opts o = {.wait = (int)(xorshift(&s) % 3), .spin_us = 20};
        int rp = ipcx_ring_attach(&p, ring, size, IPCX_RING_PRODUCER, &o);
        int rcn = ipcx_ring_attach(&c, ring, size, IPCX_RING_CONSUMER, &o);
        cr_assert(rp == 0 || rp == IPCX_EPROTO || rp == IPCX_EVERSION, "%d", rp);
        cr_assert(rcn == 0 || rcn == IPCX_EPROTO || rcn == IPCX_EVERSION, "%d", rcn);
        if (rp || rcn) {
            attach_refused++;
            ipcx_ring_close(p);
            ipcx_ring_close(c);
            continue;
        }
        for (int k = 0; k < 8; k++) {
            size_t n = (size_t)(xorshift(&s) % 700);
            int timeout = (int)(xorshift(&s) % 3); /* 0, 1 or 2 ms */
            int64_t t0 = tsup_now_ms();
            long rc = ipcx_ring_send(p, msg, n, NULL, timeout);
            cr_assert(allowed(rc), "send: %s", ipcx_errname((int)rc));
            protos += rc == IPCX_EPROTO;
            rc = ipcx_ring_send(p, msg, n, NULL, timeout);
            protos += rc == IPCX_EPROTO;
            struct ipcx_ring_view v;
            rc = ipcx_ring_peek(c, &v, timeout);
            cr_assert(allowed(rc), "peek: %s", ipcx_errname((int)rc));
            protos += rc == IPCX_EPROTO;
            if (rc == 0) {
                delivered++;
                /* A view always lies inside the data area. */
                cr_assert_geq((const unsigned char *)v.data, ring);
                cr_assert_leq((const unsigned char *)v.data + v.len, ring + size);
                cr_assert_leq(v.len, ipcx_ring_max_message(c));
                ipcx_ring_release(c);
            }
            rc = ipcx_ring_recv(c, out, sizeof out, NULL, NULL, timeout);
            cr_assert(allowed(rc), "recv: %s", ipcx_errname((int)rc));
            if (rc >= 0)
                delivered++;
            if (rc == IPCX_EPROTO)
                protos++;
            int64_t took = tsup_now_ms() - t0;
            if (took > worst_ms)
                worst_ms = took;
            calls += 4;
        }
        ipcx_ring_close(p);
        ipcx_ring_close(c);
    }
    atomic_store(&arena->stop, 1);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    cr_log_info(
        "hostile: %d rounds, %ld scribbles, %ld calls, %ld delivered, %ld EPROTO, %ld refused "
        "attaches, slowest 4 calls %lld ms",
        round, atomic_load(&arena->writes), calls, delivered, protos, attach_refused,
        (long long)worst_ms);
    cr_assert_gt(protos + attach_refused, 0, "the scribbling was noticed");
    cr_assert_gt(delivered, 0, "quiet stretches still deliver");
    /* Four calls of at most 2 ms each; a loaded machine gets a second. */
    cr_assert_lt(worst_ms, 1000, "a call hung: %lld ms", (long long)worst_ms);
    cr_assert_eq(tsup_fd_count(), fds);
    munmap(ring, size);
    munmap(arena, sizeof *arena);
}
