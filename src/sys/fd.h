/* SPDX-License-Identifier: MIT */
/*
 * sys/fd.h: descriptor helpers. Every descriptor the library creates is
 * close-on-exec from the moment it exists (O_CLOEXEC, SOCK_CLOEXEC,
 * MSG_CMSG_CLOEXEC, ...); these helpers cover the cases where the flag must
 * be checked or set afterwards, and the one wait primitive that every
 * descriptor-based blocking call uses: wait for readiness until a deadline.
 */
#ifndef IPCX_SYS_FD_H
#define IPCX_SYS_FD_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sys/deadline.h"

/* Sets FD_CLOEXEC on `fd`. Returns 0 or a negative code. */
int ipcx__fd_set_cloexec(int fd);

/* Returns 1 when `fd` has FD_CLOEXEC, 0 when not, a negative code if `fd` is bad. */
int ipcx__fd_is_cloexec(int fd);

/* Sets or clears O_NONBLOCK on the open file description of `fd`. */
int ipcx__fd_set_nonblock(int fd, bool on);

/*
 * Closes `fd` keeping errno as it was. EINTR from close() is not retried:
 * on Linux the descriptor is released regardless, and a retry could close
 * a descriptor another thread has just been given. A negative `fd` is
 * ignored, so it can be called on a member that was never opened.
 */
void ipcx__close(int fd);

/*
 * Waits until `fd` reports one of `events` (POLLIN, POLLOUT, ...) or the
 * deadline passes. Returns the revents (> 0; POLLERR, POLLHUP and POLLNVAL
 * included as the kernel reported them), IPCX_ETIMEDOUT when the deadline
 * passed first, or another negative code. Signals are absorbed: a wait
 * interrupted by one resumes with the time that is left.
 */
int ipcx__poll1(int fd, short events, const struct ipcx__deadline *d);

/*
 * ipcx__poll1() for `n` descriptors: waits until one reports one of its
 * events or the deadline passes. Returns the number with revents (> 0),
 * IPCX_ETIMEDOUT, or another negative code. Signals are absorbed.
 */
int ipcx__poll_deadline(struct pollfd *fds, size_t n, const struct ipcx__deadline *d);

/*
 * The adaptive wait of the calls that move data through a descriptor.
 *
 * A call that finds nothing to read (or no room to write) costs three
 * system calls when it tries first: the attempt (EAGAIN), ppoll(), the
 * attempt again; waiting first costs two. A call that finds data at once
 * costs one when it tries first, two when it waits first. So the library
 * remembers, per descriptor and direction, whether the last call had to
 * wait: a descriptor used for request/response (every receive waits) waits
 * first, a busy stream (data always there) tries first. In wait-first mode
 * every IPCX__IO_PROBE-th call tries first, so a stream that picks up again
 * is noticed. The memory is a hint in a process-wide table indexed by
 * descriptor number (relaxed atomics: any thread, any handle): a wrong or
 * stale guess (a descriptor number reused, two threads on one socket)
 * costs one system call, never a result or a deadline.
 *
 * Use: r = ipcx__io_first(fd, dir, events, d) before the first attempt of a
 * call (< 0: the error, e.g. IPCX_ETIMEDOUT; > 0: it waited and `fd`
 * reported these revents; 0: nothing done), then on each EAGAIN
 * ipcx__io_wait(fd, dir, events, d) (records the wait, then ipcx__poll1()).
 * A deadline that has already passed (IPCX_NOWAIT) always tries first.
 */
enum ipcx__io_dir { IPCX__IO_RX = 0, IPCX__IO_TX = 1 };
#define IPCX__IO_PROBE 8
int ipcx__io_first(int fd, enum ipcx__io_dir dir, short events, const struct ipcx__deadline *d);
int ipcx__io_wait(int fd, enum ipcx__io_dir dir, short events, const struct ipcx__deadline *d);

/*
 * Reads up to `len` bytes, waiting for data until the deadline; `fd` must be
 * non-blocking. Returns the count (0 at end of file), IPCX_ETIMEDOUT, or
 * another negative code.
 */
ssize_t ipcx__read_deadline(int fd, void *buf, size_t len, const struct ipcx__deadline *d);

/*
 * Writes all `len` bytes, waiting for room until the deadline; `fd` must be
 * non-blocking. Returns `len`, or a negative code; *done (if not NULL)
 * always holds how many bytes were written, so a caller that timed out
 * knows what went.
 */
ssize_t ipcx__write_all_deadline(int fd, const void *buf, size_t len, size_t *done,
                                 const struct ipcx__deadline *d);

/*
 * Clears FD_CLOEXEC on `fd`, for a child about to exec a program that is
 * to inherit it. Async-signal-safe. Returns 0 or a negative code.
 */
int ipcx__fd_clear_cloexec(int fd);

/* A pipe, both ends close-on-exec (pipe2 O_CLOEXEC). Returns 0 or a negative code. */
int ipcx__fd_pipe(int fds[2]);

/*
 * Which end of a pipe or FIFO `fd` is: returns O_RDONLY or O_WRONLY and,
 * when `ino` is not NULL, the pipe's inode number (unique among live
 * pipes); IPCX_EINVAL when `fd` is not a pipe or FIFO or is open for both,
 * IPCX_EBADF when it is not open.
 */
int ipcx__fd_pipe_end(int fd, uint64_t *ino);

#endif
