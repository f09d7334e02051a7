/* SPDX-License-Identifier: MIT */
/*
 * ipcx/pipe.h: anonymous pipes.
 *
 * A pipe is a one-way byte stream between processes that share its
 * descriptors, by fork or by exec. ipcx keeps the native semantics (a
 * write of PIPE_BUF bytes or less is atomic: writers never interleave such
 * writes; packet mode keeps write boundaries) and makes it safe: both
 * descriptors are close-on-exec from creation, every blocking call takes a
 * timeout, and writing to a pipe that has no reader returns IPCX_EPIPE
 * instead of killing the process with SIGPIPE (SIGPIPE is blocked in the
 * calling thread for the duration of the write; the process's disposition
 * is never changed).
 *
 * Each end is a handle of its own (struct ipcx_pipe). Handles are not
 * thread-safe: one thread uses a handle at a time (two threads may use the
 * two ends). After fork both processes hold the end; each closes its copy.
 *
 * Descriptors: an end holds its own descriptor (ipcx_pipe_fd(); the one
 * handed to a program across exec, blocking unless IPCX_PIPE_NONBLOCK) and
 * a second, private and non-blocking open file description of the same
 * pipe, opened through /proc/self/fd and close-on-exec, through which the
 * library does all its reads and writes. That is what keeps every timeout
 * even when other processes read or write the same pipe, without touching
 * the flags of the shared descriptor. Where the pipe cannot be reopened
 * (no /proc, or a process that may not open the pipe's inode, such as one
 * that dropped privileges after the pipe was made), the end uses only its
 * own descriptor: per-call non-blocking attempts (RWF_NOWAIT, Linux 6.4
 * and later), else "wait until ready, then one read or one write of at
 * most PIPE_BUF bytes", which another process taking the data or the room
 * in between can make block past the timeout.
 *
 * Persistence: process. The pipe exists while some process holds one of its
 * descriptors; data still in it is lost when the last descriptor closes.
 */
#ifndef IPCX_PIPE_H
#define IPCX_PIPE_H

#include <stddef.h>
#include <sys/types.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ipcx_pipe;

/*
 * Packet mode (O_DIRECT): each write of up to PIPE_BUF bytes is one packet
 * and each read returns at most one packet; a write larger than PIPE_BUF is
 * split into several packets. A read into a buffer smaller than the packet
 * returns the start of it and discards the rest: read with PIPE_BUF bytes.
 */
#define IPCX_PIPE_PACKET 0x1u
/*
 * Put both descriptors in non-blocking mode (O_NONBLOCK), for a caller who
 * drives ipcx_pipe_fd() from its own event loop. The calls of this API
 * honour their timeout either way. Without this flag the descriptors stay
 * blocking, as a program receiving one across exec expects.
 */
#define IPCX_PIPE_NONBLOCK 0x2u

/* Options for ipcx_pipe_create(); all-zero means the defaults. */
struct ipcx_pipe_opts {
    unsigned flags;  /* IPCX_PIPE_* */
    size_t capacity; /* 0: the kernel's default (64 KiB); else as ipcx_pipe_set_capacity() */
};

/*
 * Creates a pipe: *rd receives the read end, *wr the write end, both
 * close-on-exec (each end holds two descriptors, see above). `opts` may be
 * NULL. Does not block. Errors: IPCX_EINVAL
 * (NULL out-parameter, unknown flag), IPCX_EMFILE/IPCX_ENFILE, IPCX_ENOMEM,
 * and those of ipcx_pipe_set_capacity() when a capacity is asked for. On
 * failure nothing is left open. Close each end with ipcx_pipe_close().
 */
IPCX_API int ipcx_pipe_create(struct ipcx_pipe **rd, struct ipcx_pipe **wr,
                              const struct ipcx_pipe_opts *opts);

/*
 * Wraps a pipe (or FIFO) descriptor this process received, typically across
 * exec, in a handle. The handle owns `fd` from then on (ipcx_pipe_close()
 * closes it); on failure the caller still owns it, unchanged. Sets
 * close-on-exec on it and does not change its blocking mode; opens the
 * private description described above. A FIFO write end whose readers have
 * all gone cannot be reopened yet: it is, at the first write after a
 * reader came back (until then writes fail with IPCX_EPIPE, as they would
 * anyway). Errors: IPCX_EBADF (not open), IPCX_EINVAL (not a pipe or FIFO,
 * or open for both reading and writing), IPCX_EMFILE/IPCX_ENFILE,
 * IPCX_ENOMEM.
 */
IPCX_API int ipcx_pipe_adopt(struct ipcx_pipe **out, int fd);

/*
 * Reads up to `len` bytes, waiting up to `timeout_ms` for data. Returns the
 * number of bytes read (possibly fewer than `len`), 0 at end of file (every
 * write end is closed and the pipe is empty), or IPCX_ETIMEDOUT,
 * IPCX_EAGAIN (IPCX_NOWAIT and no data), IPCX_EBADF (a write end),
 * IPCX_EINVAL (NULL buffer, `len` above SSIZE_MAX, bad timeout).
 */
IPCX_API ssize_t ipcx_pipe_read(struct ipcx_pipe *p, void *buf, size_t len, int timeout_ms);

/*
 * Writes up to `len` bytes, waiting up to `timeout_ms` for room, and
 * returns as soon as some bytes went: the count written. A write of
 * PIPE_BUF bytes or less is atomic: all of it or nothing. Errors:
 * IPCX_EPIPE (no reader; the process does not get SIGPIPE),
 * IPCX_ETIMEDOUT, IPCX_EAGAIN (IPCX_NOWAIT and no room), IPCX_EBADF (a read
 * end), IPCX_EINVAL (NULL buffer, `len` above SSIZE_MAX, bad timeout).
 */
IPCX_API ssize_t ipcx_pipe_write(struct ipcx_pipe *p, const void *buf, size_t len, int timeout_ms);

/*
 * Writes all `len` bytes, waiting up to `timeout_ms` in total. Returns
 * `len`, or a negative code as ipcx_pipe_write(); *done (if not NULL)
 * always receives the number of bytes written, so after IPCX_ETIMEDOUT or
 * IPCX_EPIPE the caller knows how much went.
 */
IPCX_API ssize_t ipcx_pipe_write_all(struct ipcx_pipe *p, const void *buf, size_t len, size_t *done,
                                     int timeout_ms);

/* The pipe's capacity in bytes (F_GETPIPE_SZ), or a negative code. */
IPCX_API int ipcx_pipe_get_capacity(const struct ipcx_pipe *p);

/*
 * Sets the pipe's capacity (F_SETPIPE_SZ); the kernel rounds `bytes` up to
 * a power-of-two number of pages. Returns the capacity now in effect.
 * Errors: IPCX_EINVAL (0 or more than INT_MAX), IPCX_EPERM (above
 * /proc/sys/fs/pipe-max-size without privilege), IPCX_EBUSY (smaller than
 * the data the pipe holds).
 */
IPCX_API int ipcx_pipe_set_capacity(struct ipcx_pipe *p, size_t bytes);

/*
 * The end's own descriptor, for poll() (POLLIN on a read end, POLLOUT on a
 * write end) or to hand on; the library's private description is not
 * exposed. Borrowed: it stays owned by the handle. -1 for NULL.
 */
IPCX_API int ipcx_pipe_fd(const struct ipcx_pipe *p);

/*
 * Prepares the end to be handed to a program started by exec: call it in
 * the child, between fork and exec. With `target_fd` < 0 (or equal to the
 * end's descriptor) it clears close-on-exec on the descriptor itself;
 * otherwise it duplicates the end onto `target_fd` (0 to make it stdin),
 * which is not close-on-exec. The program gets the end's own descriptor
 * with its own flags (blocking by default); the private description stays
 * close-on-exec and goes away at exec. Returns the descriptor number the
 * new program will find the end at, or a negative code. Uses only async-signal-safe
 * calls, so it is safe in the child of a multi-threaded process.
 */
IPCX_API int ipcx_pipe_inherit(struct ipcx_pipe *p, int target_fd);

/*
 * Closes the end (both its descriptors) and frees the handle. Closing the
 * last write end makes readers see end of file; closing the last read end
 * makes writers get IPCX_EPIPE. NULL is ignored. Never blocks.
 */
IPCX_API void ipcx_pipe_close(struct ipcx_pipe *p);

#ifdef __cplusplus
}
#endif

#endif
