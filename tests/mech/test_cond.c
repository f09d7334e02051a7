/* SPDX-License-Identifier: MIT */
/*
 * test_cond.c: the process-shared condition variable. A signal wakes a
 * waiter in another process, a broadcast wakes them all; a timed wait ends
 * at its deadline with the mutex held again; a mutex owner that dies while
 * a waiter sleeps is reported to that waiter as IPCX_EOWNERDEAD; a waiter
 * killed mid-wait neither blocks destroy nor the next waiters' broadcast.
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

#define WAIT_MS  10000
#define SLACK_MS 250

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
    cr_assert_lt(tsup_now_ms() - t0, SLACK_MS);
    t0 = tsup_now_ms();
    cr_assert_eq(ipcx_cond_wait(&b->changed, &b->lock, 150), IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert_geq(took, 150);
    cr_assert_lt(took, 150 + SLACK_MS);
    /* The mutex is ours again: another process cannot take it. */
    cr_assert_eq(tsup_wait_exit(tsup_fork(try_lock_briefly, b), WAIT_MS), 0);
    cr_assert_eq(ipcx_mutex_unlock(&b->lock), 0);
    /* Waiting without holding the mutex is refused. */
    cr_assert_eq(ipcx_cond_wait(&b->changed, &b->lock, 10), IPCX_EPERM);
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

    /* And destroy does not wait for the dead waiter. */
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_cond_destroy(&b->changed), 0);
    cr_assert_lt(tsup_now_ms() - t0, SLACK_MS);
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
