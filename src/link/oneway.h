/* SPDX-License-Identifier: MIT */
/*
 * link/oneway.h: what the listeners of the one-way shared transports
 * (fifo://, mq://, sysv://, udp://) have in common. Every dialer writes
 * into the one kernel object the listener made, so the listener has
 * exactly one link to give: the first accept returns it, every later one
 * waits until its deadline and fails (IPCX_ETIMEDOUT, or IPCX_EAGAIN when
 * it was not allowed to wait). The listener's descriptor is an eventfd
 * raised once at listen and taken by the first accept: it is readable
 * exactly when an accept would not block.
 *
 * Timeouts: the transports call the public mechanism functions, which take
 * milliseconds; ipcx__oneway_ms() gives what is left of a deadline in those
 * terms. A deadline already over at entry becomes IPCX_NOWAIT, and the
 * mechanism then answers IPCX_EAGAIN ("it would block"), as a call made
 * with IPCX_NOWAIT must; a wait that runs out answers IPCX_ETIMEDOUT.
 */
#ifndef IPCX_LINK_ONEWAY_H
#define IPCX_LINK_ONEWAY_H

#include "sys/deadline.h"

/* Opens the listener's readiness eventfd, raised. Returns it or a negative code. */
int ipcx__oneway_open(void);

/*
 * Takes the listener's one link: returns 0 for the one caller that gets it
 * (the caller then hands out its link), or waits until `dl` and returns
 * IPCX_ETIMEDOUT (IPCX_EAGAIN if `dl` was over at entry).
 */
int ipcx__oneway_accept(int efd, const struct ipcx__deadline *dl);

/* What is left of `dl` in milliseconds for a mechanism call (see above). */
static inline int ipcx__oneway_ms(const struct ipcx__deadline *dl)
{
    return ipcx__deadline_remaining_ms(dl);
}

#endif
