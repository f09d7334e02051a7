/* SPDX-License-Identifier: MIT */
/*
 * test_mutex.c: the robust process-shared mutex. Eight processes count to
 * exactly 100,000 under it; processes that map it at other addresses
 * (exec'd, through a memfd) share it too. A holder is SIGKILLed inside the
 * critical section 1,000 times while another process keeps locking: no
 * lock ever waits past its timeout, every death is reported with
 * IPCX_EOWNERDEAD exactly once, and a lock that returns 0 never sees the
 * half-made update. Unrepaired state is never accepted: after an
 * IPCX_EOWNERDEAD that is not marked consistent every locker, in any
 * process, gets IPCX_ENOTRECOVERABLE at once; a repairer that dies passes
 * IPCX_EOWNERDEAD on; only the thread that got IPCX_EOWNERDEAD may declare
 * the state repaired, no other thread or process. Timed locks end at their
 * deadline; exec releases like death; misuse gives clear errors.
 * ipcx-test: label=fault timeout=180
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
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

/* ---- 8 processes, one counter ---- */

struct counted {
    struct ipcx_mutex lock;
    long counter;
};

#define PROCS    8
#define PER_PROC 12500

static int count_up(void *p)
{
    struct counted *c = p;
    for (int i = 0; i < PER_PROC; i++) {
        TSUP_CHILD_CHECK(ipcx_mutex_lock(&c->lock, WAIT_MS) == 0);
        /* A plain read-modify-write: any lost update shows in the total. */
        long v = *(volatile long *)&c->counter;
        if (i % 64 == 0)
            sched_yield(); /* invite the others in while we hold it */
        *(volatile long *)&c->counter = v + 1;
        TSUP_CHILD_CHECK(ipcx_mutex_unlock(&c->lock) == 0);
    }
    return 0;
}

Test(mutex, eight_processes_count_exactly)
{
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_anon(&r, sizeof(struct counted), NULL), 0);
    struct counted *c = ipcx_region_addr(r);
    cr_assert_eq(ipcx_mutex_init(&c->lock), 0);
    pid_t pids[PROCS];
    for (int i = 0; i < PROCS; i++)
        cr_assert_gt(pids[i] = tsup_fork(count_up, c), 0);
    for (int i = 0; i < PROCS; i++)
        cr_assert_eq(tsup_wait_exit(pids[i], 60000), 0);
    cr_assert_eq(c->counter, PROCS * PER_PROC);
    cr_assert_eq(c->counter, 100000);
    cr_assert_eq(ipcx_mutex_destroy(&c->lock), 0);
    ipcx_region_close(r);
}

Test(mutex, shared_at_other_addresses_through_memfd)
{
    int fds = tsup_fd_count();
    struct ipcx_region *r = NULL;
    size_t size = 4096;
    cr_assert_eq(ipcx_region_create_memfd(&r, "mutex", size, NULL), 0);
    cr_assert_eq(ipcx_region_seal(r, IPCX_REGION_SEAL_SHRINK | IPCX_REGION_SEAL_GROW), 0);
    struct counted *c = ipcx_region_addr(r);
    cr_assert_eq(ipcx_mutex_init(&c->lock), 0);
    int fd = ipcx_region_fd(r);
    char fd_arg[16], size_arg[32];
    snprintf(fd_arg, sizeof fd_arg, "%d", fd);
    snprintf(size_arg, sizeof size_arg, "%zu", size);
    const char *args[] = {fd_arg, size_arg, "5000", NULL};
    pid_t a = sync_spawn_helper_fds("mutex_incr", args, &fd, 1);
    pid_t b = sync_spawn_helper_fds("mutex_incr", args, &fd, 1);
    for (int i = 0; i < 5000; i++) {
        cr_assert_eq(ipcx_mutex_lock(&c->lock, WAIT_MS), 0);
        long v = *(volatile long *)&c->counter;
        *(volatile long *)&c->counter = v + 1;
        cr_assert_eq(ipcx_mutex_unlock(&c->lock), 0);
    }
    cr_assert_eq(tsup_wait_exit(a, 60000), 0);
    cr_assert_eq(tsup_wait_exit(b, 60000), 0);
    cr_assert_eq(c->counter, 15000);
    ipcx_region_close(r);
    cr_assert_eq(tsup_fd_count(), fds);
}

/* ---- owners that die ---- */

struct guarded {
    struct ipcx_mutex lock;
    /* The protected data: consistent when a == b. A holder that dies has
     * always done a++ and never b++. */
    long a, b;
    atomic_long deaths_reported;
    atomic_long survivor_locks;
    atomic_long survivor_max_wait_ms;
    atomic_int stop;
};

/* Locks as any survivor must: 0 on clean data, or IPCX_EOWNERDEAD on torn
 * data, which it repairs, marks consistent and counts. Returns 0 when all
 * of that held, a distinct code otherwise. */
static int survive_lock(struct guarded *g, int timeout_ms, long *waited_ms)
{
    int64_t t0 = tsup_now_ms();
    int rc = ipcx_mutex_lock(&g->lock, timeout_ms);
    *waited_ms = tsup_now_ms() - t0;
    if (rc == IPCX_EOWNERDEAD) {
        if (g->a == g->b)
            return 20; /* a death was reported but nothing was torn */
        g->b = g->a;
        atomic_fetch_add(&g->deaths_reported, 1);
        if (ipcx_mutex_consistent(&g->lock) != 0)
            return 21;
    } else if (rc == 0) {
        if (g->a != g->b)
            return 22; /* torn data handed over as if clean */
    } else {
        fprintf(stderr, "survivor lock: %s after %ld ms\n", ipcx_errname(rc), *waited_ms);
        return 23;
    }
    g->a++;
    g->b++;
    return ipcx_mutex_unlock(&g->lock) == 0 ? 0 : 24;
}

/* Another process that keeps locking all along, often blocked on the lock
 * at the moment its owner is killed. */
static int survivor(void *p)
{
    struct guarded *g = p;
    struct timespec gap = {0, 100000};
    while (!atomic_load(&g->stop)) {
        long waited;
        int rc = survive_lock(g, 5000, &waited);
        if (rc)
            return rc;
        if (waited > atomic_load(&g->survivor_max_wait_ms))
            atomic_store(&g->survivor_max_wait_ms, waited);
        atomic_fetch_add(&g->survivor_locks, 1);
        nanosleep(&gap, NULL);
    }
    return 0;
}

struct holder_arg {
    struct guarded *g;
    int ready;
};

/* Takes the lock, breaks the invariant, says so, and waits to be killed. */
static int doomed_holder(void *p)
{
    struct holder_arg *h = p;
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&h->g->lock, WAIT_MS) == 0);
    TSUP_CHILD_CHECK(h->g->a == h->g->b);
    h->g->a++;
    TSUP_CHILD_CHECK(sync_send_byte(h->ready, 'L') == 0);
    for (;;)
        pause();
}

#define KILLS 1000

Test(mutex, holder_killed_a_thousand_times)
{
    int fds = tsup_fd_count();
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_anon(&r, sizeof(struct guarded), NULL), 0);
    struct guarded *g = ipcx_region_addr(r);
    cr_assert_eq(ipcx_mutex_init(&g->lock), 0);
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    struct holder_arg h = {g, p[1]};
    pid_t surv = tsup_fork(survivor, g);
    cr_assert_gt(surv, 0);

    long max_wait = 0;
    int64_t t0 = tsup_now_ms();
    for (int i = 0; i < KILLS; i++) {
        pid_t pid = tsup_fork(doomed_holder, &h);
        cr_assert_gt(pid, 0);
        cr_assert_eq(sync_recv_byte(p[0], WAIT_MS), 'L', "holder %d locked", i);
        cr_assert_eq(kill(pid, SIGKILL), 0);
        cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 128 + SIGKILL);
        long waited;
        int rc = survive_lock(g, 5000, &waited);
        cr_assert_eq(rc, 0, "round %d: survivor check %d", i, rc);
        if (waited > max_wait)
            max_wait = waited;
    }
    int64_t took = tsup_now_ms() - t0;
    atomic_store(&g->stop, 1);
    cr_assert_eq(tsup_wait_exit(surv, WAIT_MS), 0, "the other survivor saw only valid states");

    /* Every death reported exactly once, by whichever survivor came first. */
    cr_assert_eq(atomic_load(&g->deaths_reported), KILLS);
    cr_assert_eq(g->a, g->b);
    cr_assert_lt(max_wait, 5000);
    cr_assert_lt(atomic_load(&g->survivor_max_wait_ms), 5000);
    cr_log_info("%d kills in %lld ms; survivor locked %ld times; longest waits %ld / %ld ms", KILLS,
                (long long)took, atomic_load(&g->survivor_locks), max_wait,
                atomic_load(&g->survivor_max_wait_ms));
    cr_assert_eq(ipcx_mutex_lock(&g->lock, IPCX_NOWAIT), 0, "clean after all that");
    cr_assert_eq(ipcx_mutex_unlock(&g->lock), 0);
    cr_assert_eq(ipcx_mutex_destroy(&g->lock), 0);
    close(p[0]);
    close(p[1]);
    ipcx_region_close(r);
    cr_assert_eq(tsup_fd_count(), fds);
}

/* Kills a fresh holder inside the critical section. */
static void kill_a_holder(struct guarded *g, int ready_r, int ready_w)
{
    struct holder_arg h = {g, ready_w};
    pid_t pid = tsup_fork(doomed_holder, &h);
    cr_assert_gt(pid, 0);
    cr_assert_eq(sync_recv_byte(ready_r, WAIT_MS), 'L');
    cr_assert_eq(kill(pid, SIGKILL), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 128 + SIGKILL);
}

static int expect_unrecoverable(void *p)
{
    struct guarded *g = p;
    int64_t t0 = tsup_now_ms();
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&g->lock, WAIT_MS) == IPCX_ENOTRECOVERABLE);
    TSUP_CHILD_CHECK(tsup_now_ms() - t0 < WAIT_MS / 2); /* at once, not at the deadline */
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&g->lock, IPCX_NOWAIT) == IPCX_ENOTRECOVERABLE);
    return 0;
}

Test(mutex, unrepaired_state_is_never_accepted)
{
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_anon(&r, sizeof(struct guarded), NULL), 0);
    struct guarded *g = ipcx_region_addr(r);
    cr_assert_eq(ipcx_mutex_init(&g->lock), 0);
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);

    for (int round = 0; round < 3; round++) {
        kill_a_holder(g, p[0], p[1]);
        cr_assert_eq(ipcx_mutex_lock(&g->lock, WAIT_MS), IPCX_EOWNERDEAD);
        cr_assert_neq(g->a, g->b);
        /* No repair, no ipcx_mutex_consistent(): unlock gives it up. */
        cr_assert_eq(ipcx_mutex_unlock(&g->lock), 0);
        cr_assert_eq(ipcx_mutex_lock(&g->lock, IPCX_NOWAIT), IPCX_ENOTRECOVERABLE);
        cr_assert_eq(ipcx_mutex_lock(&g->lock, 500), IPCX_ENOTRECOVERABLE);
        pid_t kids[3];
        for (int i = 0; i < 3; i++)
            cr_assert_gt(kids[i] = tsup_fork(expect_unrecoverable, g), 0);
        for (int i = 0; i < 3; i++)
            cr_assert_eq(tsup_wait_exit(kids[i], WAIT_MS), 0);

        /* Back in service only by starting over, data repaired by hand. */
        cr_assert_eq(ipcx_mutex_destroy(&g->lock), 0);
        cr_assert_eq(ipcx_mutex_init(&g->lock), 0);
        g->b = g->a;
        cr_assert_eq(ipcx_mutex_lock(&g->lock, WAIT_MS), 0);
        cr_assert_eq(ipcx_mutex_unlock(&g->lock), 0);
    }
    close(p[0]);
    close(p[1]);
    ipcx_region_close(r);
}

/* Gets IPCX_EOWNERDEAD and dies too, before repairing. */
static int dying_repairer(void *p)
{
    struct guarded *g = p;
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&g->lock, WAIT_MS) == IPCX_EOWNERDEAD);
    _exit(0);
}

Test(mutex, repairer_that_dies_passes_the_report_on)
{
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_anon(&r, sizeof(struct guarded), NULL), 0);
    struct guarded *g = ipcx_region_addr(r);
    cr_assert_eq(ipcx_mutex_init(&g->lock), 0);
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    kill_a_holder(g, p[0], p[1]);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(tsup_wait_exit(tsup_fork(dying_repairer, g), WAIT_MS), 0);
    cr_assert_eq(ipcx_mutex_lock(&g->lock, WAIT_MS), IPCX_EOWNERDEAD);
    cr_assert_neq(g->a, g->b, "still the first holder's torn update");
    g->b = g->a;
    cr_assert_eq(ipcx_mutex_consistent(&g->lock), 0);
    cr_assert_eq(ipcx_mutex_unlock(&g->lock), 0);
    cr_assert_eq(ipcx_mutex_lock(&g->lock, WAIT_MS), 0);
    cr_assert_eq(ipcx_mutex_unlock(&g->lock), 0);
    close(p[0]);
    close(p[1]);
    ipcx_region_close(r);
}

struct repair_arg {
    struct guarded *g;
    int ready;
    int go;
};

/* Gets IPCX_EOWNERDEAD, says so, and repairs only when told. */
static int slow_repairer(void *p)
{
    struct repair_arg *a = p;
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&a->g->lock, WAIT_MS) == IPCX_EOWNERDEAD);
    TSUP_CHILD_CHECK(sync_send_byte(a->ready, 'O') == 0);
    TSUP_CHILD_CHECK(sync_recv_byte(a->go, WAIT_MS) == 'g');
    a->g->b = a->g->a;
    TSUP_CHILD_CHECK(ipcx_mutex_consistent(&a->g->lock) == 0);
    TSUP_CHILD_CHECK(ipcx_mutex_consistent(&a->g->lock) == IPCX_EINVAL); /* done already */
    TSUP_CHILD_CHECK(ipcx_mutex_unlock(&a->g->lock) == 0);
    return 0;
}

/* Any process but the repairer that declares the state repaired. */
static int meddle(void *p)
{
    struct guarded *g = p;
    return ipcx_mutex_consistent(&g->lock) == IPCX_EPERM ? 0 : 10;
}

/* The same from another thread of the repairer's own process. */
static void *meddle_thread(void *p)
{
    return (void *)(intptr_t)meddle(p);
}

Test(mutex, only_the_repairer_marks_it_consistent)
{
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_anon(&r, sizeof(struct guarded), NULL), 0);
    struct guarded *g = ipcx_region_addr(r);
    cr_assert_eq(ipcx_mutex_init(&g->lock), 0);
    int p[2], ready[2], go[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
    kill_a_holder(g, p[0], p[1]);

    /* Another process holds it after IPCX_EOWNERDEAD and repairs: neither
     * this process nor a third one may declare its data repaired. */
    struct repair_arg a = {g, ready[1], go[0]};
    pid_t pid = tsup_fork(slow_repairer, &a);
    cr_assert_gt(pid, 0);
    cr_assert_eq(sync_recv_byte(ready[0], WAIT_MS), 'O');
    cr_assert_eq(ipcx_mutex_consistent(&g->lock), IPCX_EPERM);
    cr_assert_eq(tsup_wait_exit(tsup_fork(meddle, g), WAIT_MS), 0);
    cr_assert_eq(ipcx_mutex_unlock(&g->lock), IPCX_EPERM);

    /* The repairer's own repair is untouched by those attempts. */
    cr_assert_eq(sync_send_byte(go[1], 'g'), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    cr_assert_eq(ipcx_mutex_lock(&g->lock, WAIT_MS), 0, "consistent again");
    cr_assert_eq(g->a, g->b);
    cr_assert_eq(ipcx_mutex_consistent(&g->lock), IPCX_EINVAL, "nothing to repair");
    cr_assert_eq(ipcx_mutex_unlock(&g->lock), 0);

    /* The same after an owner death reported to this process: others are
     * refused, this thread repairs. */
    kill_a_holder(g, p[0], p[1]);
    cr_assert_eq(ipcx_mutex_lock(&g->lock, WAIT_MS), IPCX_EOWNERDEAD);
    cr_assert_eq(tsup_wait_exit(tsup_fork(meddle, g), WAIT_MS), 0);
    pthread_t t;
    void *res = NULL;
    cr_assert_eq(pthread_create(&t, NULL, meddle_thread, g), 0);
    cr_assert_eq(pthread_join(t, &res), 0);
    cr_assert_eq((intptr_t)res, 0, "another thread was refused too");
    g->b = g->a;
    cr_assert_eq(ipcx_mutex_consistent(&g->lock), 0);
    cr_assert_eq(ipcx_mutex_unlock(&g->lock), 0);
    cr_assert_eq(ipcx_mutex_lock(&g->lock, WAIT_MS), 0);
    cr_assert_eq(ipcx_mutex_unlock(&g->lock), 0);
    for (int i = 0; i < 2; i++) {
        close(p[i]);
        close(ready[i]);
        close(go[i]);
    }
    ipcx_region_close(r);
}

/* Locks, then replaces itself with another program while holding it. */
static int exec_while_holding(void *p)
{
    struct guarded *g = p;
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&g->lock, WAIT_MS) == 0);
    g->a++;
    char *argv[] = {(char *)tsup_helper_path(), "exit", "0", NULL};
    execv(argv[0], argv);
    return 127;
}

Test(mutex, exec_releases_like_death)
{
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_anon(&r, sizeof(struct guarded), NULL), 0);
    struct guarded *g = ipcx_region_addr(r);
    cr_assert_eq(ipcx_mutex_init(&g->lock), 0);
    cr_assert_eq(tsup_wait_exit(tsup_fork(exec_while_holding, g), WAIT_MS), 0);
    cr_assert_eq(ipcx_mutex_lock(&g->lock, WAIT_MS), IPCX_EOWNERDEAD);
    g->b = g->a;
    cr_assert_eq(ipcx_mutex_consistent(&g->lock), 0);
    cr_assert_eq(ipcx_mutex_unlock(&g->lock), 0);
    ipcx_region_close(r);
}

/* ---- timeouts and misuse ---- */

struct hold_arg {
    struct guarded *g;
    int ready;
    int go;
};

static int hold_until_told(void *p)
{
    struct hold_arg *h = p;
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&h->g->lock, WAIT_MS) == 0);
    TSUP_CHILD_CHECK(sync_send_byte(h->ready, 'L') == 0);
    TSUP_CHILD_CHECK(sync_recv_byte(h->go, WAIT_MS) == 'g');
    TSUP_CHILD_CHECK(ipcx_mutex_unlock(&h->g->lock) == 0);
    return 0;
}

Test(mutex, timed_lock_against_another_process)
{
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_anon(&r, sizeof(struct guarded), NULL), 0);
    struct guarded *g = ipcx_region_addr(r);
    cr_assert_eq(ipcx_mutex_init(&g->lock), 0);
    int p1[2], p2[2];
    cr_assert_eq(pipe2(p1, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(p2, O_CLOEXEC), 0);
    struct hold_arg h = {g, p1[1], p2[0]};
    pid_t pid = tsup_fork(hold_until_told, &h);
    cr_assert_eq(sync_recv_byte(p1[0], WAIT_MS), 'L');

    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_mutex_lock(&g->lock, IPCX_NOWAIT), IPCX_ETIMEDOUT);
    cr_assert_lt(tsup_now_ms() - t0, LATE_MS);
    for (int i = 0; i < 3; i++) {
        t0 = tsup_now_ms();
        cr_assert_eq(ipcx_mutex_lock(&g->lock, 120), IPCX_ETIMEDOUT);
        int64_t took = tsup_now_ms() - t0;
        cr_assert_geq(took, 120);
        cr_assert_lt(took, 120 + LATE_MS);
    }
    cr_assert_eq(ipcx_mutex_unlock(&g->lock), IPCX_EPERM, "not ours to unlock");
    cr_assert_eq(ipcx_mutex_consistent(&g->lock), IPCX_EINVAL);

    cr_assert_eq(sync_send_byte(p2[1], 'g'), 0);
    cr_assert_eq(ipcx_mutex_lock(&g->lock, WAIT_MS), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    cr_assert_eq(ipcx_mutex_unlock(&g->lock), 0);
    for (int i = 0; i < 2; i++) {
        close(p1[i]);
        close(p2[i]);
    }
    ipcx_region_close(r);
}

Test(mutex, misuse_gives_clear_errors)
{
    struct ipcx_mutex m;
    memset(&m, 0, sizeof m);
    /* Zeroes are not a mutex here, whatever the C library would think. */
    cr_assert_eq(ipcx_mutex_lock(&m, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_mutex_unlock(&m), IPCX_EINVAL);
    cr_assert_eq(ipcx_mutex_consistent(&m), IPCX_EINVAL);
    cr_assert_eq(ipcx_mutex_destroy(&m), IPCX_EINVAL);
    cr_assert_eq(ipcx_mutex_init(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_mutex_lock(NULL, 0), IPCX_EINVAL);

    cr_assert_eq(ipcx_mutex_init(&m), 0);
    cr_assert_eq(ipcx_mutex_init(&m), IPCX_EBUSY);
    cr_assert_eq(ipcx_mutex_lock(&m, -3), IPCX_EINVAL);
    cr_assert_eq(ipcx_mutex_unlock(&m), IPCX_EPERM, "not locked");
    cr_assert_eq(ipcx_mutex_lock(&m, IPCX_FOREVER), 0);
    cr_assert_eq(ipcx_mutex_lock(&m, IPCX_FOREVER), IPCX_EDEADLK);
    cr_assert_eq(ipcx_mutex_lock(&m, 50), IPCX_EDEADLK);
    cr_assert_eq(ipcx_mutex_lock(&m, IPCX_NOWAIT), IPCX_EDEADLK);
    cr_assert_eq(ipcx_mutex_consistent(&m), IPCX_EINVAL, "nothing to repair");
    cr_assert_eq(ipcx_mutex_unlock(&m), 0);
    cr_assert_eq(ipcx_mutex_destroy(&m), 0);
    cr_assert_eq(ipcx_mutex_destroy(&m), IPCX_EINVAL);
    cr_assert_eq(ipcx_mutex_lock(&m, 0), IPCX_EINVAL, "destroyed");
}
