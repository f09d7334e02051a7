/* SPDX-License-Identifier: MIT */
/*
 * test_cond.c: the process-shared condition variable. A signal wakes a
 * waiter in another process, a broadcast wakes them all; two processes
 * that take turns 10,000 times never lose a wake-up; a timed wait ends
 * at its deadline with the mutex held again, or says IPCX_EBUSY when another
 * process kept the mutex past the deadline; a mutex owner that dies while
 * a waiter sleeps is reported to that waiter as IPCX_EOWNERDEAD; a waiter
 * killed mid-wait blocks neither destroy nor any later signal or broadcast.
 * ipcx-test: label=process timeout=60
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <ipcx.h>

#include "sync_support.h"
#include "tsup.h"

#define WAIT_MS 10000
/* How late a timed wait may end: generous, as the machine may be a loaded
 * 2-core VM running the sanitizer build. "Never early" is checked exactly. */
#define LATE_MS 1500

struct board {
    struct ipcx_mutex lock;
    struct ipcx_cond changed;
    int flag;
    int waiting;
    int woken;
};

static struct ipcx_region *make_board(struct board **b)
{
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_anon(&r, sizeof(struct board), NULL), 0);
    *b = ipcx_region_addr(r);
    cr_assert_eq(ipcx_mutex_init(&(*b)->lock), 0);
    cr_assert_eq(ipcx_cond_init(&(*b)->changed), 0);
    return r;
}

/* Waits for flag under the mutex, counting itself among the waiters. */
static int await_flag(void *p)
{
    struct board *b = p;
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&b->lock, WAIT_MS) == 0);
    b->waiting++;
    int64_t end = tsup_now_ms() + WAIT_MS;
    while (!b->flag) {
        int rc = ipcx_cond_wait(&b->changed, &b->lock, WAIT_MS);
        TSUP_CHILD_CHECK(rc == 0);
        TSUP_CHILD_CHECK(tsup_now_ms() < end);
    }
    b->woken++;
    TSUP_CHILD_CHECK(ipcx_mutex_unlock(&b->lock) == 0);
    return 0;
}

/* Waits (bounded) until `n` processes wait on the board. */
static void await_waiting(struct board *b, int n)
{
    int64_t end = tsup_now_ms() + WAIT_MS;
    for (;;) {
        cr_assert_eq(ipcx_mutex_lock(&b->lock, WAIT_MS), 0);
        int w = b->waiting;
        cr_assert_eq(ipcx_mutex_unlock(&b->lock), 0);
        if (w == n)
            return;
        cr_assert_lt(tsup_now_ms(), end, "%d waiting, wanted %d", w, n);
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

Test(cond, signal_wakes_a_waiter_in_another_process)
{
    struct board *b;
    struct ipcx_region *r = make_board(&b);
    pid_t pid = tsup_fork(await_flag, b);
    await_waiting(b, 1);
    cr_assert_eq(ipcx_mutex_lock(&b->lock, WAIT_MS), 0);
    b->flag = 1;
    cr_assert_eq(ipcx_cond_signal(&b->changed), 0);
    cr_assert_eq(ipcx_mutex_unlock(&b->lock), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    cr_assert_eq(b->woken, 1);
    cr_assert_eq(ipcx_cond_destroy(&b->changed), 0);
    cr_assert_eq(ipcx_mutex_destroy(&b->lock), 0);
    ipcx_region_close(r);
}

Test(cond, broadcast_wakes_every_waiter)
{
    struct board *b;
    struct ipcx_region *r = make_board(&b);
    pid_t pids[4];
    for (int i = 0; i < 4; i++)
        cr_assert_gt(pids[i] = tsup_fork(await_flag, b), 0);
    await_waiting(b, 4);
    cr_assert_eq(ipcx_mutex_lock(&b->lock, WAIT_MS), 0);
    b->flag = 1;
    cr_assert_eq(ipcx_cond_broadcast(&b->changed), 0);
    cr_assert_eq(ipcx_mutex_unlock(&b->lock), 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(tsup_wait_exit(pids[i], WAIT_MS), 0);
    cr_assert_eq(b->woken, 4);
    ipcx_region_close(r);
}

#define TURNS 5000

/* Plays the odd turns: waits until `turn` is odd, makes it even. */
static int take_odd_turns(void *p)
{
    struct board *b = p;
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&b->lock, WAIT_MS) == 0);
    for (int i = 0; i < TURNS; i++) {
        while (b->flag % 2 == 0)
            TSUP_CHILD_CHECK(ipcx_cond_wait(&b->changed, &b->lock, WAIT_MS) == 0);
        b->flag++;
        TSUP_CHILD_CHECK(ipcx_cond_signal(&b->changed) == 0);
    }
    TSUP_CHILD_CHECK(ipcx_mutex_unlock(&b->lock) == 0);
    return 0;
}

Test(cond, ping_pong_loses_no_wake_up)
{
    struct board *b;
    struct ipcx_region *r = make_board(&b);
    pid_t pid = tsup_fork(take_odd_turns, b);
    cr_assert_gt(pid, 0);
    /* Every turn needs the other process's signal: a single lost wake-up
     * would leave a wait to run into its ten-second deadline. */
    cr_assert_eq(ipcx_mutex_lock(&b->lock, WAIT_MS), 0);
    for (int i = 0; i < TURNS; i++) {
        int rc = 0;
        while (b->flag % 2 == 1 && rc == 0)
            rc = ipcx_cond_wait(&b->changed, &b->lock, WAIT_MS);
        cr_assert_eq(rc, 0, "turn %d: %s", i, ipcx_errname(rc));
        b->flag++;
        cr_assert_eq(ipcx_cond_signal(&b->changed), 0);
    }
    cr_assert_eq(ipcx_mutex_unlock(&b->lock), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    cr_assert_eq(b->flag, 2 * TURNS);
    ipcx_region_close(r);
}

static int try_lock_briefly(void *p)
{
    struct board *b = p;
    return ipcx_mutex_lock(&b->lock, IPCX_NOWAIT) == IPCX_ETIMEDOUT ? 0 : 10;
}

Test(cond, timed_wait_ends_at_deadline_holding_the_mutex)
{
    struct board *b;
    struct ipcx_region *r = make_board(&b);
    cr_assert_eq(ipcx_mutex_lock(&b->lock, WAIT_MS), 0);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_cond_wait(&b->changed, &b->lock, IPCX_NOWAIT), IPCX_ETIMEDOUT);
    cr_assert_lt(tsup_now_ms() - t0, LATE_MS);
    t0 = tsup_now_ms();
    cr_assert_eq(ipcx_cond_wait(&b->changed, &b->lock, 150), IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert_geq(took, 150);
    cr_assert_lt(took, 150 + LATE_MS);
    /* The mutex is ours again: another process cannot take it. */
    cr_assert_eq(tsup_wait_exit(tsup_fork(try_lock_briefly, b), WAIT_MS), 0);
    cr_assert_eq(ipcx_mutex_unlock(&b->lock), 0);
    /* Waiting without holding the mutex is refused. */
    cr_assert_eq(ipcx_cond_wait(&b->changed, &b->lock, 10), IPCX_EPERM);
    ipcx_region_close(r);
}

struct keeper {
    struct board *b;
    int ready;
    int go;
};

/* Takes the mutex (once the waiter's wait released it), says so, and keeps
 * it until told. */
static int keep_the_mutex(void *p)
{
    struct keeper *k = p;
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&k->b->lock, WAIT_MS) == 0);
    TSUP_CHILD_CHECK(sync_send_byte(k->ready, 'L') == 0);
    TSUP_CHILD_CHECK(sync_recv_byte(k->go, WAIT_MS) == 'g');
    TSUP_CHILD_CHECK(ipcx_mutex_unlock(&k->b->lock) == 0);
    return 0;
}

Test(cond, relock_is_bounded_by_the_deadline)
{
    struct board *b;
    struct ipcx_region *r = make_board(&b);
    int ready[2], go[2];
    cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
    struct keeper k = {b, ready[1], go[0]};
    cr_assert_eq(ipcx_mutex_lock(&b->lock, WAIT_MS), 0);
    pid_t pid = tsup_fork(keep_the_mutex, &k);
    cr_assert_gt(pid, 0);

    /* The other process takes the mutex as soon as a wait releases it and
     * keeps it past the deadline: the wait ends at its deadline anyway and
     * says that the mutex is not held. Until that process has reached its
     * lock call, a wait simply times out holding the mutex again. */
    int64_t end = tsup_now_ms() + WAIT_MS;
    int rc;
    do {
        int64_t t0 = tsup_now_ms();
        rc = ipcx_cond_wait(&b->changed, &b->lock, 300);
        int64_t took = tsup_now_ms() - t0;
        cr_assert_geq(took, 300);
        cr_assert_lt(took, 300 + LATE_MS);
    } while (rc == IPCX_ETIMEDOUT && tsup_now_ms() < end);
    cr_assert_eq(rc, IPCX_EBUSY, "%s", ipcx_errname(rc));
    cr_assert_eq(sync_recv_byte(ready[0], WAIT_MS), 'L');
    cr_assert_eq(ipcx_mutex_unlock(&b->lock), IPCX_EPERM, "not held after IPCX_EBUSY");

    cr_assert_eq(sync_send_byte(go[1], 'g'), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    cr_assert_eq(ipcx_mutex_lock(&b->lock, WAIT_MS), 0);
    cr_assert_eq(ipcx_mutex_unlock(&b->lock), 0);
    for (int i = 0; i < 2; i++) {
        close(ready[i]);
        close(go[i]);
    }
    ipcx_region_close(r);
}

/* Takes the mutex once the waiter released it, signals, and dies holding it. */
static int signal_and_die(void *p)
{
    struct board *b = p;
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&b->lock, WAIT_MS) == 0);
    b->flag = 1;
    TSUP_CHILD_CHECK(ipcx_cond_signal(&b->changed) == 0);
    _exit(0); /* still holding the mutex */
}

Test(cond, waiter_learns_that_the_mutex_owner_died)
{
    struct board *b;
    struct ipcx_region *r = make_board(&b);
    cr_assert_eq(ipcx_mutex_lock(&b->lock, WAIT_MS), 0);
    pid_t pid = tsup_fork(signal_and_die, b);
    int rc = 0;
    while (!b->flag && rc == 0)
        rc = ipcx_cond_wait(&b->changed, &b->lock, WAIT_MS);
    cr_assert_eq(rc, IPCX_EOWNERDEAD, "%s", ipcx_errname(rc));
    cr_assert_eq(b->flag, 1);
    cr_assert_eq(ipcx_mutex_consistent(&b->lock), 0);
    cr_assert_eq(ipcx_mutex_unlock(&b->lock), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    ipcx_region_close(r);
}

static int wait_forever(void *p)
{
    struct board *b = p;
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&b->lock, WAIT_MS) == 0);
    b->waiting++;
    for (;;)
        ipcx_cond_wait(&b->changed, &b->lock, IPCX_FOREVER);
}

/* Raises the flag under the mutex and signals: a wake-up from a process of
 * its own, so that the test can bound it with a deadline. */
static int raise_flag_and_signal(void *p)
{
    struct board *b = p;
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&b->lock, WAIT_MS) == 0);
    b->flag = 1;
    TSUP_CHILD_CHECK(ipcx_cond_signal(&b->changed) == 0);
    TSUP_CHILD_CHECK(ipcx_mutex_unlock(&b->lock) == 0);
    return 0;
}

static int raise_flag_and_broadcast(void *p)
{
    struct board *b = p;
    TSUP_CHILD_CHECK(ipcx_mutex_lock(&b->lock, WAIT_MS) == 0);
    b->flag = 1;
    TSUP_CHILD_CHECK(ipcx_cond_broadcast(&b->changed) == 0);
    TSUP_CHILD_CHECK(ipcx_mutex_unlock(&b->lock) == 0);
    return 0;
}

Test(cond, killed_waiter_blocks_nothing)
{
    struct board *b;
    struct ipcx_region *r = make_board(&b);
    pid_t pid = tsup_fork(wait_forever, b);
    await_waiting(b, 1);
    cr_assert_eq(kill(pid, SIGKILL), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 128 + SIGKILL);
    /* It died inside the wait, not holding the mutex: no owner died. */
    cr_assert_eq(ipcx_mutex_lock(&b->lock, WAIT_MS), 0);
    b->waiting = 0;
    cr_assert_eq(ipcx_mutex_unlock(&b->lock), 0);

    /* Live waiters still get a broadcast. */
    pid_t pids[2];
    for (int i = 0; i < 2; i++)
        cr_assert_gt(pids[i] = tsup_fork(await_flag, b), 0);
    await_waiting(b, 2);
    cr_assert_eq(ipcx_mutex_lock(&b->lock, WAIT_MS), 0);
    b->flag = 1;
    cr_assert_eq(ipcx_cond_broadcast(&b->changed), 0);
    cr_assert_eq(ipcx_mutex_unlock(&b->lock), 0);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(tsup_wait_exit(pids[i], WAIT_MS), 0);

    /* Second round: a new waiter, then a signal, then a broadcast to two
     * more. Each wake-up is sent from a process of its own and the test
     * waits for it with a deadline: a signal or broadcast that blocks
     * (glibc's condition variable waits for the dead waiter to leave its
     * group before it can switch groups) fails here instead of hanging. */
    cr_assert_eq(ipcx_mutex_lock(&b->lock, WAIT_MS), 0);
    b->flag = 0;
    b->waiting = 0;
    b->woken = 0;
    cr_assert_eq(ipcx_mutex_unlock(&b->lock), 0);
    pid_t one = tsup_fork(await_flag, b);
    cr_assert_gt(one, 0);
    await_waiting(b, 1);
    cr_assert_eq(tsup_wait_exit(tsup_fork(raise_flag_and_signal, b), WAIT_MS), 0,
                 "the signal returned");
    cr_assert_eq(tsup_wait_exit(one, WAIT_MS), 0, "the signal woke the new waiter");
    cr_assert_eq(b->woken, 1);

    cr_assert_eq(ipcx_mutex_lock(&b->lock, WAIT_MS), 0);
    b->flag = 0;
    b->waiting = 0;
    cr_assert_eq(ipcx_mutex_unlock(&b->lock), 0);
    for (int i = 0; i < 2; i++)
        cr_assert_gt(pids[i] = tsup_fork(await_flag, b), 0);
    await_waiting(b, 2);
    cr_assert_eq(tsup_wait_exit(tsup_fork(raise_flag_and_broadcast, b), WAIT_MS), 0,
                 "the broadcast returned");
    for (int i = 0; i < 2; i++)
        cr_assert_eq(tsup_wait_exit(pids[i], WAIT_MS), 0, "the broadcast woke waiter %d", i);
    cr_assert_eq(b->woken, 3);

    /* And destroy does not wait for the dead waiter. */
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_cond_destroy(&b->changed), 0);
    cr_assert_lt(tsup_now_ms() - t0, LATE_MS);
    cr_assert_eq(ipcx_cond_init(&b->changed), 0);
    cr_assert_eq(ipcx_cond_signal(&b->changed), 0);
    ipcx_region_close(r);
}

Test(cond, misuse_gives_clear_errors)
{
    struct ipcx_cond c;
    struct ipcx_mutex m;
    memset(&c, 0, sizeof c);
    memset(&m, 0, sizeof m);
    cr_assert_eq(ipcx_cond_signal(&c), IPCX_EINVAL);
    cr_assert_eq(ipcx_cond_broadcast(&c), IPCX_EINVAL);
    cr_assert_eq(ipcx_cond_destroy(&c), IPCX_EINVAL);
    cr_assert_eq(ipcx_cond_init(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_cond_init(&c), 0);
    cr_assert_eq(ipcx_cond_init(&c), IPCX_EBUSY);
    cr_assert_eq(ipcx_cond_wait(&c, &m, 10), IPCX_EINVAL, "no mutex there");
    cr_assert_eq(ipcx_mutex_init(&m), 0);
    cr_assert_eq(ipcx_cond_wait(&c, &m, -5), IPCX_EINVAL);
    cr_assert_eq(ipcx_cond_wait(NULL, &m, 10), IPCX_EINVAL);
    cr_assert_eq(ipcx_cond_destroy(&c), 0);
    cr_assert_eq(ipcx_cond_signal(&c), IPCX_EINVAL, "destroyed");
    cr_assert_eq(ipcx_mutex_destroy(&m), 0);
}
