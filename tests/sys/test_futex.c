/* SPDX-License-Identifier: MIT */
/*
 * test_futex.c: futex waits keep their deadline. A wait interrupted by a
 * storm of signals sent from another process neither returns early nor
 * overshoots; a wake from another process ends a wait; a changed word
 * returns at once. The same holds for the descriptor wait (ipcx__poll1).
 * ipcx-test: label=process timeout=60
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "sys/deadline.h"
#include "sys/err.h"
#include "sys/fd.h"
#include "sys/futex.h"
#include "tsup.h"

/* How far past its deadline a wait may return, as a median of trials. */
#define SLACK_MS 20

struct shared {
    uint32_t word;
    atomic_int stop;
    atomic_long sent;
};

static struct shared *map_shared(void)
{
    struct shared *s =
        mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(s, MAP_FAILED);
    return s;
}

static volatile sig_atomic_t delivered;

static void on_signal(int sig)
{
    (void)sig;
    delivered++;
}

/* The test installs the handler itself: it is the user here, not the library. */
static void install_handler(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: every delivery interrupts the wait */
    cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
}

static int storm(void *arg)
{
    struct shared *s = arg;
    pid_t parent = getppid();
    while (!atomic_load(&s->stop)) {
        if (kill(parent, SIGUSR1) != 0)
            return 1;
        atomic_fetch_add(&s->sent, 1);
    }
    return 0;
}

static pid_t start_storm(struct shared *s)
{
    pid_t pid = tsup_fork(storm, s);
    cr_assert_gt(pid, 0);
    /* Wait until the storm is under way, so it overlaps the whole wait. */
    int64_t end = tsup_now_ms() + 5000;
    while (atomic_load(&s->sent) < 100 && tsup_now_ms() < end)
        sched_yield();
    cr_assert_geq(atomic_load(&s->sent), 100, "signal storm did not start");
    return pid;
}

static void stop_storm(struct shared *s, pid_t pid)
{
    atomic_store(&s->stop, 1);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
}

enum wait_kind { WAIT_FUTEX, WAIT_FD };

/*
 * Runs TRIALS timed waits of one kind while the storm goes on, and checks
 * them: no wait may return before its deadline (that would be a logic error,
 * whatever the machine's load); the median overshoot must stay within
 * SLACK_MS and none may exceed MAX_LATE_MS. A loaded virtual machine can
 * deschedule a process for tens of milliseconds now and then, so a single
 * late wake-up is noise; a deadline restarted on each EINTR would instead be
 * late in every trial (by the length of the storm).
 */
#define TRIALS      5
#define TIMEOUT_MS  100
#define MAX_LATE_MS 250

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void storm_trials(enum wait_kind kind)
{
    struct shared *s = map_shared();
    install_handler();
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = start_storm(s);

    int64_t late_us[TRIALS];
    int interrupted = 0;
    long sent_before = atomic_load(&s->sent);
    for (int t = 0; t < TRIALS; t++) {
        delivered = 0;
        struct ipcx__deadline d;
        /* The clock is read before the deadline starts: a signal handled
         * between the two would otherwise make the wait look short. */
        int64_t t0 = tsup_now_ns();
        ipcx__deadline_init(&d, TIMEOUT_MS);
        int rc = kind == WAIT_FUTEX ? ipcx__futex_wait(&s->word, 0, &d, true)
                                    : ipcx__poll1(p[0], POLLIN, &d);
        int64_t elapsed_us = (tsup_now_ns() - t0) / 1000;
        interrupted += delivered;
        if (rc != IPCX_ETIMEDOUT || elapsed_us < TIMEOUT_MS * 1000) {
            stop_storm(s, pid);
            cr_assert_fail("trial %d: rc %s after %lld us (deadline %d ms)", t, ipcx_errname(rc),
                           (long long)elapsed_us, TIMEOUT_MS);
        }
        late_us[t] = elapsed_us - TIMEOUT_MS * 1000;
    }
    long sent = atomic_load(&s->sent) - sent_before;
    stop_storm(s, pid);

    qsort(late_us, TRIALS, sizeof late_us[0], cmp_i64);
    cr_log_info("%s: %ld signals sent, %d interrupted the waits, late by %lld us (median), "
                "%lld us (max)",
                kind == WAIT_FUTEX ? "futex" : "poll", sent, interrupted,
                (long long)late_us[TRIALS / 2], (long long)late_us[TRIALS - 1]);
    cr_assert_geq(sent, 1000, "the storm sent only %ld signals", sent);
    cr_assert_geq(interrupted, 20 * TRIALS, "only %d signals interrupted the waits", interrupted);
    cr_assert_leq(late_us[TRIALS / 2], SLACK_MS * 1000, "median overshoot %lld us",
                  (long long)late_us[TRIALS / 2]);
    cr_assert_leq(late_us[TRIALS - 1], MAX_LATE_MS * 1000, "worst overshoot %lld us",
                  (long long)late_us[TRIALS - 1]);
    close(p[0]);
    close(p[1]);
    munmap(s, sizeof *s);
}

Test(futex, timed_wait_under_signal_storm_keeps_deadline)
{
    storm_trials(WAIT_FUTEX);
}

Test(futex, fd_wait_under_signal_storm_keeps_deadline)
{
    storm_trials(WAIT_FD);
}

Test(futex, changed_word_returns_at_once)
{
    uint32_t word = 7;
    struct ipcx__deadline d;
    ipcx__deadline_init(&d, 5000);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx__futex_wait(&word, 6, &d, false), 0);
    cr_assert_lt(tsup_now_ms() - t0, 1000);
}

Test(futex, nowait_on_unchanged_word_times_out_at_once)
{
    uint32_t word = 0;
    struct ipcx__deadline d;
    ipcx__deadline_init(&d, IPCX_NOWAIT);
    cr_assert_eq(ipcx__futex_wait(&word, 0, &d, false), IPCX_ETIMEDOUT);
}

static int waiter(void *arg)
{
    struct shared *s = arg;
    struct ipcx__deadline d;
    ipcx__deadline_init(&d, 10000);
    atomic_fetch_add(&s->sent, 1); /* "I am about to wait" */
    while (__atomic_load_n(&s->word, __ATOMIC_ACQUIRE) == 0) {
        int rc = ipcx__futex_wait(&s->word, 0, &d, true);
        if (rc == IPCX_ETIMEDOUT)
            return 3;
        if (rc < 0)
            return 4;
    }
    return __atomic_load_n(&s->word, __ATOMIC_ACQUIRE) == 42 ? 0 : 5;
}

Test(futex, wake_from_another_process)
{
    struct shared *s = map_shared();
    pid_t pid = tsup_fork(waiter, s);
    cr_assert_gt(pid, 0);
    while (atomic_load(&s->sent) == 0)
        sched_yield();
    /* Give the child time to fall asleep; correctness does not depend on it. */
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
    __atomic_store_n(&s->word, 42, __ATOMIC_RELEASE);
    int woke = ipcx__futex_wake(&s->word, INT32_MAX, true);
    cr_assert_geq(woke, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    munmap(s, sizeof *s);
}
