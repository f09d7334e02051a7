/* SPDX-License-Identifier: MIT */
/*
 * sys/waitfd.h: descriptors that wake a waiter: eventfds, a small epoll set
 * that makes several descriptors look like one. The readiness wait on
 * several descriptors, ipcx__poll_deadline(), is in sys/fd.h, included here.
 *
 * Every descriptor made here is close-on-exec; eventfds are non-blocking.
 */
#ifndef IPCX_SYS_WAITFD_H
#define IPCX_SYS_WAITFD_H

#include <poll.h>
#include <stddef.h>

#include "sys/deadline.h"
#include "sys/fd.h"

/* A new eventfd, counter 0, non-blocking. Returns it or a negative code. */
int ipcx__eventfd_new(void);

/*
 * Whether `fd` is an eventfd: 1 yes, 0 no, or a negative code. Used on
 * descriptors received from a peer before they are read or written: a
 * descriptor of another kind (a pipe, a timer) could make a read loop spin.
 * Looks at /proc/self/fd; without /proc, falls back to comparing the
 * descriptor's inode with that of a fresh eventfd (the kernel's shared
 * anonymous inode), which only tells an anonymous-inode descriptor.
 */
int ipcx__fd_is_eventfd(int fd);

/*
 * A new epoll descriptor watching each of the `n` descriptors `fds` for
 * input (level-triggered): it polls readable while any of them does.
 * Returns it or a negative code.
 */
int ipcx__epoll_new(const int *fds, size_t n);

#endif
