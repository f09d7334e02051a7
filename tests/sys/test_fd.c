/* SPDX-License-Identifier: MIT */
/*
 * test_fd.c: descriptor helpers: close-on-exec checks, non-blocking mode,
 * reads and writes bounded by a deadline (with the count of what was written
 * on time-out), close that keeps errno, and no leaks.
 * ipcx-test: label=unit timeout=30
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sys/err.h"
#include "sys/fd.h"
#include "tsup.h"

Test(fd, cloexec_set_and_query)
{
    int base = tsup_fd_count();
    int p[2];
    cr_assert_eq(pipe(p), 0); /* deliberately without O_CLOEXEC */
    cr_assert_eq(ipcx__fd_is_cloexec(p[0]), 0);
    cr_assert_eq(ipcx__fd_set_cloexec(p[0]), 0);
    cr_assert_eq(ipcx__fd_is_cloexec(p[0]), 1);
    cr_assert_eq(ipcx__fd_is_cloexec(-1), IPCX_EBADF);
    cr_assert_eq(ipcx__fd_set_cloexec(-1), IPCX_EBADF);
    ipcx__close(p[0]);
    ipcx__close(p[1]);
    cr_assert_eq(tsup_fd_count(), base);
}

Test(fd, nonblock_toggle)
{
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    cr_assert_eq(ipcx__fd_set_nonblock(p[0], true), 0);
    cr_assert(fcntl(p[0], F_GETFL) & O_NONBLOCK);
    cr_assert_eq(ipcx__fd_set_nonblock(p[0], false), 0);
    cr_assert_not(fcntl(p[0], F_GETFL) & O_NONBLOCK);
    cr_assert_eq(ipcx__fd_set_nonblock(12345, true), IPCX_EBADF);
    ipcx__close(p[0]);
    ipcx__close(p[1]);
}

Test(fd, close_keeps_errno_and_ignores_negative)
{
    errno = ENOSPC;
    ipcx__close(-1);
    ipcx__close(98765); /* EBADF inside, but errno is kept */
    cr_assert_eq(errno, ENOSPC);
}

Test(fd, read_times_out_then_reads_data)
{
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    char buf[16];
    struct ipcx__deadline d;
    ipcx__deadline_init(&d, 50);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx__read_deadline(p[0], buf, sizeof buf, &d), IPCX_ETIMEDOUT);
    cr_assert_geq(tsup_now_ms() - t0, 50);

    ipcx__deadline_init(&d, IPCX_NOWAIT);
    cr_assert_eq(ipcx__read_deadline(p[0], buf, sizeof buf, &d), IPCX_ETIMEDOUT);

    cr_assert_eq(write(p[1], "hello", 5), 5);
    ipcx__deadline_init(&d, 1000);
    cr_assert_eq(ipcx__read_deadline(p[0], buf, sizeof buf, &d), 5);
    cr_assert_eq(memcmp(buf, "hello", 5), 0);
    ipcx__close(p[1]);
    cr_assert_eq(ipcx__read_deadline(p[0], buf, sizeof buf, &d), 0, "EOF after writer closed");
    ipcx__close(p[0]);
}

Test(fd, write_all_reports_partial_on_timeout)
{
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    int cap = fcntl(p[1], F_GETPIPE_SZ);
    cr_assert_gt(cap, 0);
    size_t len = (size_t)cap * 2;
    char *big = calloc(1, len);
    cr_assert_not_null(big);
    size_t done = 12345;
    struct ipcx__deadline d;
    ipcx__deadline_init(&d, 50);
    cr_assert_eq(ipcx__write_all_deadline(p[1], big, len, &done, &d), IPCX_ETIMEDOUT);
    cr_assert_eq(done, (size_t)cap, "the pipe took exactly its capacity");

    /* With the reader gone, the writer gets EPIPE. This low-level helper
     * does not guard against SIGPIPE (the mechanisms above it do), so the
     * test blocks the signal itself and drops it afterwards. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    ipcx__close(p[0]);
    ipcx__deadline_init(&d, 50);
    cr_assert_eq(ipcx__write_all_deadline(p[1], big, 1, &done, &d), IPCX_EPIPE);
    cr_assert_eq(done, 0);
    struct timespec zero = {0, 0};
    sigtimedwait(&set, NULL, &zero); /* drop the pending SIGPIPE */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    ipcx__close(p[1]);
    free(big);
}

Test(fd, poll_reports_hangup)
{
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    ipcx__close(p[1]);
    struct ipcx__deadline d;
    ipcx__deadline_init(&d, 1000);
    int r = ipcx__poll1(p[0], POLLIN, &d);
    cr_assert_gt(r, 0);
    cr_assert(r & POLLHUP);
    ipcx__close(p[0]);
}

/*
 * The adaptive wait (ipcx__io_first): once a read had to wait, the next ones
 * wait before their first attempt. That must change nothing a caller sees:
 * data already there is read at once, an expired deadline (IPCX_NOWAIT)
 * still returns at once, a timed read still ends at its deadline, end of
 * file is still seen, whatever the hint says.
 */
Test(fd, wait_first_reads_keep_every_outcome)
{
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    char c = 0;
    struct ipcx__deadline d;
    /* A read that waits, many times over: the hint says "wait first". */
    for (int i = 0; i < 3 * IPCX__IO_PROBE; i++) {
        ipcx__deadline_init(&d, 1);
        cr_assert_eq(ipcx__read_deadline(p[0], &c, 1, &d), IPCX_ETIMEDOUT);
    }
    /* Expired deadline: nothing waits. */
    for (int i = 0; i < 3 * IPCX__IO_PROBE; i++) {
        ipcx__deadline_init(&d, IPCX_NOWAIT);
        int64_t t0 = tsup_now_ms();
        cr_assert_eq(ipcx__read_deadline(p[0], &c, 1, &d), IPCX_ETIMEDOUT);
        cr_assert_lt(tsup_now_ms() - t0, 250);
    }
    /* Data already there is read on every call, in either mode. */
    for (int i = 0; i < 3 * IPCX__IO_PROBE; i++) {
        char w = (char)i;
        cr_assert_eq(write(p[1], &w, 1), 1);
        ipcx__deadline_init(&d, 1000);
        cr_assert_eq(ipcx__read_deadline(p[0], &c, 1, &d), 1);
        cr_assert_eq(c, w);
    }
    /* A timed read in wait-first mode ends no earlier than its deadline. */
    ipcx__deadline_init(&d, 1);
    cr_assert_eq(ipcx__read_deadline(p[0], &c, 1, &d), IPCX_ETIMEDOUT);
    ipcx__deadline_init(&d, 100);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx__read_deadline(p[0], &c, 1, &d), IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert_geq(took, 100);
    cr_assert_lt(took, 100 + 1000);
    /* End of file in wait-first mode. */
    ipcx__close(p[1]);
    ipcx__deadline_init(&d, 5000);
    cr_assert_eq(ipcx__read_deadline(p[0], &c, 1, &d), 0);
    ipcx__close(p[0]);
}

/* The same for writes: a full pipe sets the hint; room is still found. */
Test(fd, wait_first_writes_keep_every_outcome)
{
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    int cap = fcntl(p[1], F_GETPIPE_SZ);
    cr_assert_gt(cap, 0);
    char *buf = calloc(1, (size_t)cap);
    cr_assert_not_null(buf);
    struct ipcx__deadline d;
    ipcx__deadline_init(&d, 1000);
    cr_assert_eq(ipcx__write_all_deadline(p[1], buf, (size_t)cap, NULL, &d), cap);
    for (int i = 0; i < 2 * IPCX__IO_PROBE; i++) {
        size_t done = 99;
        ipcx__deadline_init(&d, i % 2 ? IPCX_NOWAIT : 1);
        cr_assert_eq(ipcx__write_all_deadline(p[1], "x", 1, &done, &d), IPCX_ETIMEDOUT);
        cr_assert_eq(done, 0);
    }
    /* Room appears: the next writes go, every one of them. */
    cr_assert_eq(read(p[0], buf, (size_t)cap), cap);
    for (int i = 0; i < 3 * IPCX__IO_PROBE; i++) {
        ipcx__deadline_init(&d, 1000);
        cr_assert_eq(ipcx__write_all_deadline(p[1], "y", 1, NULL, &d), 1);
    }
    /* No reader: the error, not a wait, in wait-first mode too. */
    ipcx__close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    ipcx__deadline_init(&d, 5000);
    cr_assert_eq(ipcx__write_all_deadline(p[1], "z", 1, NULL, &d), IPCX_EPIPE);
    ipcx__close(p[1]);
    free(buf);
}
