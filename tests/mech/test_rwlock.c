/* SPDX-License-Identifier: MIT */
/*
 * test_rwlock.c: the process-shared read-write lock. Writers in two
 * processes rewrite a record word by word while readers in three others
 * check it: no reader ever sees a half-written record. Readers share the
 * lock, writers exclude everyone, a waiting writer keeps new readers out,
 * timed read and write locks end at their deadline, misuse gives clear
 * errors.
 * ipcx-test: label=process timeout=120
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <ipcx.h>

#include "sync_support.h"
#include "tsup.h"

#define WAIT_MS 10000
/* How late a timed wait may end: generous, as the machine may be a loaded
 * 2-core VM running the sanitizer build. "Never early" is checked exactly. */
#define LATE_MS 1500
#define WORDS   64
#define WRITES  3000
#define WRITERS 2
#define READERS 3

struct shelf {
    struct ipcx_rwlock lock;
    /* The record: every word equals seq when it is whole. */
    uint64_t seq;
    uint64_t words[WORDS];
    atomic_int writers_done;
    atomic_long reads;
    atomic_long torn;
};

static int writer(void *p)
{
    struct shelf *s = p;
    for (int i = 0; i < WRITES; i++) {
        TSUP_CHILD_CHECK(ipcx_rwlock_wrlock(&s->lock, WAIT_MS) == 0);
        uint64_t next = s->seq + 1;
        volatile uint64_t *w = s->words;
        for (int k = 0; k < WORDS; k++) {
            w[k] = next;
            if (k == WORDS / 2 && i % 16 == 0)
                sched_yield(); /* half-written: a reader let in now would see it */
        }
        s->seq = next;
        TSUP_CHILD_CHECK(ipcx_rwlock_unlock(&s->lock) == 0);
    }
    atomic_fetch_add(&s->writers_done, 1);
    return 0;
}

static int reader(void *p)
{
    struct shelf *s = p;
    long reads = 0;
    while (atomic_load(&s->writers_done) < WRITERS) {
        TSUP_CHILD_CHECK(ipcx_rwlock_rdlock(&s->lock, WAIT_MS) == 0);
        volatile uint64_t *w = s->words;
        uint64_t seq = s->seq;
        for (int k = 0; k < WORDS; k++)
            if (w[k] != seq) {
                atomic_fetch_add(&s->torn, 1);
                break;
            }
        TSUP_CHILD_CHECK(ipcx_rwlock_unlock(&s->lock) == 0);
        reads++;
    }
    atomic_fetch_add(&s->reads, reads);
    return 0;
}

Test(rwlock, readers_never_see_a_half_written_record)
{
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_anon(&r, sizeof(struct shelf), NULL), 0);
    struct shelf *s = ipcx_region_addr(r);
    cr_assert_eq(ipcx_rwlock_init(&s->lock), 0);
    pid_t pids[WRITERS + READERS];
    int n = 0;
    for (int i = 0; i < READERS; i++)
        cr_assert_gt(pids[n++] = tsup_fork(reader, s), 0);
    for (int i = 0; i < WRITERS; i++)
        cr_assert_gt(pids[n++] = tsup_fork(writer, s), 0);
    for (int i = 0; i < n; i++)
        cr_assert_eq(tsup_wait_exit(pids[i], 60000), 0);
    cr_assert_eq(s->seq, WRITERS * WRITES);
    cr_assert_gt(atomic_load(&s->reads), 0);
    cr_assert_eq(atomic_load(&s->torn), 0, "%ld torn reads", atomic_load(&s->torn));
    cr_log_info("%ld reads of %d records, none torn", atomic_load(&s->reads), WRITERS * WRITES);
    cr_assert_eq(ipcx_rwlock_destroy(&s->lock), 0);
    ipcx_region_close(r);
}

struct hold_arg {
    struct ipcx_rwlock *lock;
    int write;
    int ready;
    int go;
};

/* Takes the lock (read or write), says so, releases it when told. */
static int hold(void *p)
{
    struct hold_arg *h = p;
    int rc = h->write ? ipcx_rwlock_wrlock(h->lock, WAIT_MS) : ipcx_rwlock_rdlock(h->lock, WAIT_MS);
    TSUP_CHILD_CHECK(rc == 0);
    TSUP_CHILD_CHECK(sync_send_byte(h->ready, 'L') == 0);
    TSUP_CHILD_CHECK(sync_recv_byte(h->go, WAIT_MS) == 'g');
    TSUP_CHILD_CHECK(ipcx_rwlock_unlock(h->lock) == 0);
    return 0;
}

static void assert_times_out(int (*lockfn)(struct ipcx_rwlock *, int), struct ipcx_rwlock *l)
{
    cr_assert_eq(lockfn(l, IPCX_NOWAIT), IPCX_ETIMEDOUT);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(lockfn(l, 120), IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert_geq(took, 120);
    cr_assert_lt(took, 120 + LATE_MS);
}

Test(rwlock, readers_share_writers_exclude_with_timeouts)
{
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_anon(&r, sizeof(struct ipcx_rwlock), NULL), 0);
    struct ipcx_rwlock *l = ipcx_region_addr(r);
    cr_assert_eq(ipcx_rwlock_init(l), 0);
    int p1[2], p2[2];
    cr_assert_eq(pipe2(p1, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(p2, O_CLOEXEC), 0);

    /* Another process reads: we may read too, not write. */
    struct hold_arg h = {l, 0, p1[1], p2[0]};
    pid_t pid = tsup_fork(hold, &h);
    cr_assert_eq(sync_recv_byte(p1[0], WAIT_MS), 'L');
    cr_assert_eq(ipcx_rwlock_rdlock(l, IPCX_NOWAIT), 0);
    cr_assert_eq(ipcx_rwlock_unlock(l), 0);
    assert_times_out(ipcx_rwlock_wrlock, l);
    cr_assert_eq(sync_send_byte(p2[1], 'g'), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    cr_assert_eq(ipcx_rwlock_wrlock(l, WAIT_MS), 0);
    cr_assert_eq(ipcx_rwlock_unlock(l), 0);

    /* Another process writes: we may neither read nor write. */
    h.write = 1;
    pid = tsup_fork(hold, &h);
    cr_assert_eq(sync_recv_byte(p1[0], WAIT_MS), 'L');
    assert_times_out(ipcx_rwlock_rdlock, l);
    assert_times_out(ipcx_rwlock_wrlock, l);
    cr_assert_eq(sync_send_byte(p2[1], 'g'), 0);
    cr_assert_eq(ipcx_rwlock_rdlock(l, WAIT_MS), 0, "released by the writer");
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    cr_assert_eq(ipcx_rwlock_unlock(l), 0);
    for (int i = 0; i < 2; i++) {
        close(p1[i]);
        close(p2[i]);
    }
    ipcx_region_close(r);
}

struct writer_arg {
    struct ipcx_rwlock *lock;
    int done;
};

static int blocked_writer(void *p)
{
    struct writer_arg *w = p;
    TSUP_CHILD_CHECK(ipcx_rwlock_wrlock(w->lock, WAIT_MS) == 0);
    TSUP_CHILD_CHECK(sync_send_byte(w->done, 'W') == 0);
    TSUP_CHILD_CHECK(ipcx_rwlock_unlock(w->lock) == 0);
    return 0;
}

Test(rwlock, waiting_writer_keeps_new_readers_out)
{
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_anon(&r, sizeof(struct ipcx_rwlock), NULL), 0);
    struct ipcx_rwlock *l = ipcx_region_addr(r);
    cr_assert_eq(ipcx_rwlock_init(l), 0);
    int p1[2], p2[2], p3[2];
    cr_assert_eq(pipe2(p1, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(p2, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(p3, O_CLOEXEC), 0);
    struct hold_arg h = {l, 0, p1[1], p2[0]};
    pid_t rd = tsup_fork(hold, &h);
    cr_assert_eq(sync_recv_byte(p1[0], WAIT_MS), 'L');
    struct writer_arg w = {l, p3[1]};
    pid_t wr = tsup_fork(blocked_writer, &w);

    /* Once the writer waits, a new reader is turned away even though only
     * readers hold the lock. */
    int64_t end = tsup_now_ms() + WAIT_MS;
    int rc;
    while ((rc = ipcx_rwlock_rdlock(l, IPCX_NOWAIT)) == 0) {
        cr_assert_eq(ipcx_rwlock_unlock(l), 0);
        cr_assert_lt(tsup_now_ms(), end, "a waiting writer never kept a reader out");
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    cr_assert_eq(rc, IPCX_ETIMEDOUT);
    cr_assert_eq(sync_recv_byte(p3[0], 0), -1, "the writer still waits for the reader");
    cr_assert_eq(sync_send_byte(p2[1], 'g'), 0);
    cr_assert_eq(sync_recv_byte(p3[0], WAIT_MS), 'W');
    cr_assert_eq(tsup_wait_exit(rd, WAIT_MS), 0);
    cr_assert_eq(tsup_wait_exit(wr, WAIT_MS), 0);
    cr_assert_eq(ipcx_rwlock_rdlock(l, WAIT_MS), 0);
    cr_assert_eq(ipcx_rwlock_unlock(l), 0);
    for (int i = 0; i < 2; i++) {
        close(p1[i]);
        close(p2[i]);
        close(p3[i]);
    }
    ipcx_region_close(r);
}

Test(rwlock, misuse_gives_clear_errors)
{
    struct ipcx_rwlock l;
    memset(&l, 0, sizeof l);
    cr_assert_eq(ipcx_rwlock_rdlock(&l, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_rwlock_wrlock(&l, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_rwlock_unlock(&l), IPCX_EINVAL);
    cr_assert_eq(ipcx_rwlock_destroy(&l), IPCX_EINVAL);
    cr_assert_eq(ipcx_rwlock_init(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_rwlock_init(&l), 0);
    cr_assert_eq(ipcx_rwlock_init(&l), IPCX_EBUSY);
    cr_assert_eq(ipcx_rwlock_rdlock(&l, -9), IPCX_EINVAL);
    cr_assert_eq(ipcx_rwlock_wrlock(&l, IPCX_FOREVER), 0);
    cr_assert_eq(ipcx_rwlock_wrlock(&l, 50), IPCX_EDEADLK);
    cr_assert_eq(ipcx_rwlock_rdlock(&l, 50), IPCX_EDEADLK);
    cr_assert_eq(ipcx_rwlock_unlock(&l), 0);
    cr_assert_eq(ipcx_rwlock_destroy(&l), 0);
    cr_assert_eq(ipcx_rwlock_rdlock(&l, 0), IPCX_EINVAL, "destroyed");
}
