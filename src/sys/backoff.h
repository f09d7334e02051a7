/* SPDX-License-Identifier: MIT */
/*
 * sys/backoff.h: waiting for a condition the kernel cannot wait for with a
 * deadline (a System V message queue, a FIFO that has no reader yet), and
 * the single step of a spin-wait on shared memory.
 *
 * The caller retries a non-blocking attempt and, between attempts, sleeps
 * for a step that starts short and doubles up to a cap. The sleep is an
 * absolute CLOCK_MONOTONIC sleep that never goes past the deadline, so the
 * last attempt is made at the deadline itself: a wait ends at most one
 * attempt's cost after its deadline, never a whole step after it. With a
 * 1 ms cap a waiter wakes at most a thousand times a second, a cost of a
 * few microseconds of CPU each time.
 */
#ifndef IPCX_SYS_BACKOFF_H
#define IPCX_SYS_BACKOFF_H

#include <stdint.h>

#include "sys/deadline.h"

/*
 * One step of a spin-wait on shared memory: tells the core this is a
 * polling loop (x86 PAUSE, Arm YIELD), which lets a sibling hyperthread
 * run and avoids a costly pipeline flush when the awaited line changes.
 */
static inline void ipcx__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

struct ipcx__backoff {
    int64_t step_ns; /* the next sleep */
    int64_t cap_ns;  /* the longest sleep */
};

/* The default schedule: 20 us doubling up to 1 ms. */
#define IPCX__BACKOFF_FIRST_NS 20000LL
#define IPCX__BACKOFF_CAP_NS   1000000LL

static inline void ipcx__backoff_init(struct ipcx__backoff *b, int64_t first_ns, int64_t cap_ns)
{
    b->step_ns = first_ns;
    b->cap_ns = cap_ns;
}

/*
 * Sleeps for the next step, or until the deadline if that comes first.
 * Returns IPCX_ETIMEDOUT without sleeping when the deadline has already
 * passed, 0 otherwise (also when a signal cut the sleep short: the caller
 * simply makes its next attempt early).
 */
int ipcx__backoff_sleep(struct ipcx__backoff *b, const struct ipcx__deadline *d);

#endif
