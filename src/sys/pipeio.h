/* SPDX-License-Identifier: MIT */
/*
 * sys/pipeio.h: one end of a pipe or FIFO as the library uses it: reads
 * and writes bounded by a deadline, writes that never raise SIGPIPE, and
 * the capacity calls. Shared by mech/pipe.c and mech/fifo.c.
 *
 * Every end has two descriptors for one pipe:
 *   - `fd`, the descriptor the end was made or adopted with. It is the one
 *     handed to a program across exec and returned for poll(); its file
 *     flags (blocking or not) are left as they were, since a program that
 *     shares its open file description relies on them.
 *   - `io_fd`, a private open file description of the same pipe, opened by
 *     the library through /proc/self/fd/N with O_NONBLOCK. Every read and
 *     write of the library goes through it: a plain non-blocking call, then
 *     ipcx__poll1() until the deadline on EAGAIN. Another process that
 *     races for the same bytes or the same room can make a call find
 *     nothing, never make it block.
 * An end whose descriptor the library opened non-blocking itself (a FIFO
 * from ipcx_fifo_open()) needs no second one: io_fd == fd.
 *
 * When /proc/self/fd cannot reopen the pipe (/proc not mounted, or the
 * process may not open the pipe's inode, e.g. after dropping privileges
 * below the pipe's owner), the end falls back to per-call non-blocking
 * attempts on `fd`: preadv2/pwritev2 with RWF_NOWAIT where the kernel
 * accepts it (pipes from pipe2() since Linux 6.4), else "wait for
 * readiness, then one read, or one write of at most PIPE_BUF bytes",
 * which can still block past the deadline if another process takes the
 * data or the room in between. A write end of a FIFO that has no reader
 * cannot be reopened (ENXIO); it is reopened on the next write, which
 * until then reports IPCX_EPIPE as a plain write would.
 *
 * Writes never raise SIGPIPE. Where the kernel has RWF_NOSIGNAL (Linux
 * 6.18), a write is pwritev2() with that flag and nothing else: no signal
 * state is read or changed. Elsewhere (and in the fallback) writes block
 * SIGPIPE in the calling thread for their duration. A write that fails
 * with EPIPE then leaves a thread-directed SIGPIPE pending; it is consumed
 * before the mask is restored, unless the thread had one pending already
 * (then it is the caller's and stays). A SIGPIPE pending for the whole
 * process is never consumed. The process's dispositions are never touched.
 * Reads and writes wait before or after their first attempt as the end's
 * last call did (ipcx__io_first(), fd.h).
 */
#ifndef IPCX_SYS_PIPEIO_H
#define IPCX_SYS_PIPEIO_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sys/deadline.h"

/* How the fallback makes a non-blocking attempt on `fd` (cached per end). */
enum ipcx__pipeio_mode {
    IPCX__PIPEIO_PROBE = 0, /* not known yet: try RWF_NOWAIT first */
    IPCX__PIPEIO_RWF,       /* preadv2/pwritev2 with RWF_NOWAIT */
    IPCX__PIPEIO_PLAIN,     /* no RWF_NOWAIT: O_NONBLOCK or wait-then-act */
};

struct ipcx__pipeio {
    int fd;                      /* the end's own descriptor (owned; handed out) */
    int io_fd;                   /* private non-blocking description, == fd, or -1 (see above) */
    bool fallback;               /* no private description can be had */
    enum ipcx__pipeio_mode mode; /* fallback attempts only */
};

/*
 * Makes `io` the end of descriptor `fd` (a pipe or FIFO open for reading or
 * for writing) and takes ownership of `fd` on success. `fd_private` says
 * that `fd` is already a non-blocking description nobody else shares, so no
 * second one is opened. Returns 0, or a negative code with `fd` still the
 * caller's and nothing opened: IPCX_EMFILE, IPCX_ENFILE, IPCX_ENOMEM, or
 * an error of fcntl(). Does not block.
 */
int ipcx__pipeio_init(struct ipcx__pipeio *io, int fd, bool fd_private);

/*
 * Opens /proc/self/fd/N for the pipe or FIFO `fd` refers to (any descriptor,
 * O_PATH included) with `flags` (plus O_NOCTTY and O_CLOEXEC): a new open
 * file description of that very inode, never of whatever a path names now.
 * Returns the new descriptor, or a negative code: the open's error
 * (IPCX_ENXIO for a FIFO opened for writing with no reader, IPCX_EACCES),
 * or IPCX_ENOENT when /proc cannot do it (not mounted, or the number names
 * another file, which it may in a thread with a descriptor table of its
 * own). Checks that the result is a FIFO and the same inode as `fd`.
 */
int ipcx__pipeio_reopen(int fd, int flags);

/* Closes both descriptors of the end. */
void ipcx__pipeio_close(struct ipcx__pipeio *io);

/*
 * Checks the arguments common to every read and write of a public call and
 * starts its deadline: IPCX_EINVAL for a NULL end, a NULL buffer with a
 * length, a length above SSIZE_MAX (a count could not be returned) or a bad
 * timeout; 0 otherwise.
 */
int ipcx__pipeio_begin(const struct ipcx__pipeio *io, const void *buf, size_t len, int timeout_ms,
                       struct ipcx__deadline *d);

/*
 * Reads up to `len` bytes, waiting for data until the deadline. Returns the
 * count, 0 at end of file (no writer), IPCX_ETIMEDOUT, or another negative
 * code.
 */
ssize_t ipcx__pipeio_read(struct ipcx__pipeio *io, void *buf, size_t len,
                          const struct ipcx__deadline *d);

/*
 * Writes `len` bytes (all of them when `all`, otherwise returns after the
 * first successful write), waiting for room until the deadline. Returns the
 * count written or a negative code (IPCX_EPIPE when there is no reader,
 * IPCX_ETIMEDOUT); *done (if not NULL) holds how many bytes went, also on
 * failure. Never raises SIGPIPE.
 */
ssize_t ipcx__pipeio_write(struct ipcx__pipeio *io, const void *buf, size_t len, bool all,
                           size_t *done, const struct ipcx__deadline *d);

/*
 * The public read and write calls of pipes and FIFOs: ipcx__pipeio_begin(),
 * then the read or write, with the expiry reported per
 * ipcx__deadline_result() (IPCX_EAGAIN for IPCX_NOWAIT). *done is set to 0
 * first, so it is valid even when the arguments are refused.
 */
ssize_t ipcx__pipeio_read_call(struct ipcx__pipeio *io, void *buf, size_t len, int timeout_ms);
ssize_t ipcx__pipeio_write_call(struct ipcx__pipeio *io, const void *buf, size_t len, bool all,
                                size_t *done, int timeout_ms);

/* The pipe's capacity (F_GETPIPE_SZ), or a negative code; IPCX_EINVAL for NULL. */
int ipcx__pipeio_get_capacity(const struct ipcx__pipeio *io);

/*
 * Sets the pipe's capacity (F_SETPIPE_SZ) and returns the one in effect;
 * IPCX_EINVAL for NULL, 0 or more than INT_MAX bytes.
 */
int ipcx__pipeio_set_capacity(struct ipcx__pipeio *io, size_t bytes);

/*
 * The SIGPIPE guard on its own, for other callers that write to a pipe or
 * a FIFO: block() before the writes, restore() after them with whether one
 * of them failed with EPIPE. Costs two system calls: the mask is changed
 * and restored when SIGPIPE was unblocked; when the caller had it blocked,
 * the mask stays and sigpending() looks for one already pending (and only
 * if there is one, /proc/thread-self/status says whether it is the
 * thread's, the only kind a write's SIGPIPE would merge with). Keeps errno.
 */
struct ipcx__sigpipe_guard {
    sigset_t old_mask;
    bool was_pending;
};
void ipcx__sigpipe_block(struct ipcx__sigpipe_guard *g);
void ipcx__sigpipe_restore(struct ipcx__sigpipe_guard *g, bool got_epipe);

#endif
