/* SPDX-License-Identifier: MIT */
/*
 * sys/futex.h: futex wait and wake with a deadline.
 *
 * A futex word is a 32-bit integer, in private memory (one process) or in a
 * shared mapping (several processes: pass shared = true so the kernel keys
 * the waiters by the physical page). The wait uses FUTEX_WAIT_BITSET with an
 * absolute CLOCK_MONOTONIC time, so retrying after a signal keeps the
 * original deadline exactly.
 */
#ifndef IPCX_SYS_FUTEX_H
#define IPCX_SYS_FUTEX_H

#include <stdbool.h>
#include <stdint.h>

#include "sys/deadline.h"

/*
 * Sleeps while *word == expected, until woken or the deadline passes.
 * Returns 0 when woken or when the word no longer held `expected` (the
 * caller re-checks its condition either way; spurious returns are
 * possible), IPCX_ETIMEDOUT at the deadline, or another negative code.
 * A signal does not end the wait early.
 */
int ipcx__futex_wait(const uint32_t *word, uint32_t expected, const struct ipcx__deadline *d,
                     bool shared);

/* Wakes up to `count` waiters on `word` (INT32_MAX: all). Returns how many woke. */
int ipcx__futex_wake(uint32_t *word, int count, bool shared);

#endif
