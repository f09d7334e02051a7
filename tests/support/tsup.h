/* SPDX-License-Identifier: MIT */
/*
 * tsup.h: what every ipcx test shares: child processes that are always
 * reaped within a deadline, random names for IPC objects (so tests can run
 * in parallel), and descriptor counting to catch leaks.
 *
 * A child's failure is reported through its exit status: a child calls
 * TSUP_CHILD_CHECK() (never a Criterion assertion, which belongs to the
 * test process) and the parent asserts on tsup_wait_exit().
 */
#ifndef IPCX_TESTS_TSUP_H
#define IPCX_TESTS_TSUP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

/* Exit status a child uses for a failed check. */
#define TSUP_CHILD_FAILED 99

/* In a child: on a false condition, say where and exit with TSUP_CHILD_FAILED. */
#define TSUP_CHILD_CHECK(cond)                                                             \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, __LINE__, #cond); \
            _exit(TSUP_CHILD_FAILED);                                                      \
        }                                                                                  \
    } while (0)

/* Monotonic clock in ns and ms. */
int64_t tsup_now_ns(void);
int64_t tsup_now_ms(void);

/*
 * Writes "<prefix>-<pid>-<16 random hex digits>" into buf; the random part
 * comes from getrandom(), so concurrent tests never pick the same name.
 * Returns buf.
 */
char *tsup_name(char *buf, size_t size, const char *prefix);

/* A random 31-bit value from getrandom() (for System V keys and the like). */
uint32_t tsup_random32(void);

/* The number of descriptors this process has open right now. */
int tsup_fd_count(void);

/*
 * Forks; the child runs fn(arg) and exits with its return value (stdio is
 * not flushed twice: the child leaves through _exit). The child is killed
 * if the test process dies first (PR_SET_PDEATHSIG), so a failed assertion
 * never leaves it running. Returns the child's pid in the parent, or -1 if
 * fork failed.
 */
pid_t tsup_fork(int (*fn)(void *arg), void *arg);

/*
 * Forks and executes the test helper binary with `mode` and the
 * NULL-terminated `args` (up to 16); like tsup_fork(), the helper dies with
 * the test process. Returns the pid, or -1.
 */
pid_t tsup_spawn_helper(const char *mode, const char *const *args);

/* Path of the helper binary (ipcx-test-helper). */
const char *tsup_helper_path(void);

/*
 * Waits up to timeout_ms for `pid` to end and reaps it. On time-out the
 * child is killed with SIGKILL and reaped, so no test leaves a zombie or a
 * stray process. Returns the wait status (>= 0) or -ETIMEDOUT.
 */
int tsup_reap(pid_t pid, int timeout_ms);

/*
 * Like tsup_reap(), but folds the status into one number a test can assert
 * on: the exit code, 128 + signal number if a signal ended the child, or -1
 * if it had to be killed at the deadline.
 */
int tsup_wait_exit(pid_t pid, int timeout_ms);

#endif
