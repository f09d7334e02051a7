/* SPDX-License-Identifier: MIT */
/*
 * sys/futex.c: the futex system call, wrapped. There is no glibc wrapper, so
 * this is the one place that calls syscall(SYS_futex).
 */
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys/err.h"
#include "sys/futex.h"

static long futex(const uint32_t *word, int op, uint32_t val, const struct timespec *ts,
                  uint32_t val3)
{
    return syscall(SYS_futex, word, op, val, ts, NULL, val3);
}

int ipcx__futex_wait(const uint32_t *word, uint32_t expected, const struct ipcx__deadline *d,
                     bool shared)
{
    int op = FUTEX_WAIT_BITSET | (shared ? 0 : FUTEX_PRIVATE_FLAG);
    struct timespec abs, *tp = NULL;
    if (ipcx__deadline_abs_monotonic(d, &abs))
        tp = &abs;
    for (;;) {
        if (tp && ipcx__deadline_expired(d))
            return IPCX_ETIMEDOUT;
        if (futex(word, op, expected, tp, FUTEX_BITSET_MATCH_ANY) == 0)
            return 0;
        switch (errno) {
        case EAGAIN:
            return 0; /* the word had already changed */
        case EINTR:
            continue; /* same absolute deadline: nothing is lost or added */
        case ETIMEDOUT:
            return IPCX_ETIMEDOUT;
        default:
            return ipcx__errno();
        }
    }
}

int ipcx__futex_wake(uint32_t *word, int count, bool shared)
{
    int op = FUTEX_WAKE | (shared ? 0 : FUTEX_PRIVATE_FLAG);
    long n = futex(word, op, (uint32_t)(count < 0 ? INT_MAX : count), NULL, 0);
    return n < 0 ? ipcx__errno() : (int)n;
}
