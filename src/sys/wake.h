/* SPDX-License-Identifier: MIT */
/*
 * sys/wake.h: what an event loop above the system layer needs from the
 * kernel: a wake-up descriptor one thread can poke to end another's poll
 * (an eventfd), a poll over many descriptors bounded by a deadline, and a
 * helper thread that never receives signals.
 *
 * Used by the channels (src/proto), which may not make system calls
 * themselves; also the close-on-exec copy of a descriptor a channel keeps
 * with a message it queues. Every descriptor is close-on-exec.
 */
#ifndef IPCX_SYS_WAKE_H
#define IPCX_SYS_WAKE_H

#include <poll.h>
#include <pthread.h>
#include <stddef.h>

#include "sys/deadline.h"

/* A non-blocking, close-on-exec eventfd. Returns the descriptor or a negative code. */
int ipcx__wake_open(void);

/* Makes the descriptor readable (adds one to the counter). Never blocks. */
void ipcx__wake_signal(int fd);

/* Makes it unreadable again (reads the counter). Never blocks. */
void ipcx__wake_drain(int fd);

/* A close-on-exec duplicate of `fd` (F_DUPFD_CLOEXEC), or a negative code. */
int ipcx__dup_cloexec(int fd);

/*
 * Waits until one of the `n` descriptors reports an event or the deadline
 * passes. Returns how many have revents (> 0), IPCX_ETIMEDOUT, or another
 * negative code. Signals are absorbed.
 */
int ipcx__poll_many(struct pollfd *fds, size_t n, const struct ipcx__deadline *d);

/*
 * Starts a joinable thread running fn(arg) with every signal blocked, so
 * that no signal meant for the application is ever delivered to it. The
 * caller's signal mask is unchanged afterwards. Returns 0 or a negative code.
 */
int ipcx__thread_start(pthread_t *out, void *(*fn)(void *), void *arg);

#endif
