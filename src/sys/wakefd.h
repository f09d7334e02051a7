/* SPDX-License-Identifier: MIT */
/*
 * sys/wakefd.h: descriptors that exist only to make something pollable
 * that the kernel gives no descriptor for: an eventfd raised once (a
 * listener whose single link is ready), and a timerfd that an event loop
 * uses to look again at a queue the kernel cannot signal (System V).
 *
 * Both are non-blocking and close-on-exec from creation. Close them with
 * ipcx__close() (sys/fd.h).
 */
#ifndef IPCX_SYS_WAKEFD_H
#define IPCX_SYS_WAKEFD_H

#include <stdint.h>

/*
 * An eventfd whose counter starts at `initial` (readable when > 0).
 * Returns the descriptor or a negative code (IPCX_EMFILE, IPCX_ENFILE,
 * IPCX_ENOMEM).
 */
int ipcx__wakefd_event(unsigned initial);

/*
 * Takes the whole counter of the eventfd `efd` without blocking: returns
 * 1 if it was > 0 (it is 0 now, and the descriptor no longer readable), 0
 * if it was already 0, or a negative code. Among threads taking at once,
 * exactly one gets 1.
 */
int ipcx__wakefd_take(int efd);

/* A CLOCK_MONOTONIC timerfd, disarmed. Returns the descriptor or a negative code. */
int ipcx__wakefd_timer(void);

/*
 * Clears what the timerfd `tfd` has fired (it is no longer readable) and,
 * when `ns` > 0, arms it to become readable `ns` nanoseconds from now;
 * `ns` == 0 leaves it disarmed. Returns 0 or a negative code.
 */
int ipcx__wakefd_timer_set(int tfd, int64_t ns);

#endif
