/* SPDX-License-Identifier: MIT */
/*
 * ipcx/fifo.h: FIFOs (named pipes).
 *
 * A FIFO is a pipe with a name in the filesystem, so unrelated processes can
 * find it. ipcx creates the name exclusively with mode 0600 (set explicitly,
 * whatever the umask) unless asked otherwise, never follows a symbolic link
 * at the path and never takes something that is not a FIFO for one. Opening
 * never blocks past its timeout, and reads and writes behave as those of
 * ipcx/pipe.h: timeouts, atomic writes of up to PIPE_BUF bytes, IPCX_EPIPE
 * instead of SIGPIPE.
 *
 * An open FIFO handle is not thread-safe (one thread at a time); its
 * descriptor is close-on-exec and non-blocking. After fork both processes
 * hold the handle; each closes its copy.
 *
 * Persistence: the name stays in the filesystem until ipcx_fifo_unlink()
 * (or any unlink); the data is process-persistent: bytes still in the FIFO
 * are lost when the last process closes it.
 */
#ifndef IPCX_FIFO_H
#define IPCX_FIFO_H

#include <stddef.h>
#include <sys/types.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ipcx_fifo;

/* Directions for ipcx_fifo_open(): exactly one of them. */
#define IPCX_FIFO_READ  0x1u
#define IPCX_FIFO_WRITE 0x2u

/* Options for ipcx_fifo_create(); all-zero means the defaults. */
struct ipcx_fifo_opts {
    unsigned mode; /* permission bits (within 0777); 0 means 0600 */
};

/*
 * Creates a FIFO at `path`, exclusively: fails with IPCX_EEXIST if anything
 * (a file, a FIFO, a symbolic link, even a dangling one) is already there.
 * The mode is set explicitly after creation, so the umask does not change
 * it, and without opening the FIFO (a writer already waiting for a reader
 * is not released). Does not block. Errors: IPCX_EINVAL (NULL or empty
 * path, mode outside 0777), IPCX_ENAMETOOLONG, IPCX_EEXIST (also when the
 * new FIFO was replaced by someone else's object before its mode was set),
 * IPCX_ENOENT (no such directory), IPCX_EACCES, IPCX_EMFILE. A failed call
 * leaves nothing of its own at the path, and never removes or changes
 * what someone else put there.
 */
IPCX_API int ipcx_fifo_create(const char *path, const struct ipcx_fifo_opts *opts);

/*
 * Opens the FIFO at `path` for IPCX_FIFO_READ or IPCX_FIFO_WRITE; close
 * the handle with ipcx_fifo_close(). A symbolic link at the path is refused
 * (IPCX_ELOOP), as is anything that is not a FIFO (IPCX_EINVAL); a missing
 * path is IPCX_ENOENT (the call does not wait for it to appear). The object
 * is inspected without being opened (O_PATH) and then that very object is
 * opened through /proc/self/fd, so a file or a device is never opened, even
 * if the path is swapped meanwhile. Without /proc the path is opened again
 * and checked to be the same FIFO: a swapped-in object is then refused,
 * but only after being opened for an instant.
 *
 * Opening for writing waits up to `timeout_ms` for a reader: IPCX_ETIMEDOUT
 * if none came, IPCX_ENXIO at once with IPCX_NOWAIT and no reader. The
 * kernel cannot signal a reader's arrival to a writer that must not block,
 * so the wait retries with sleeps growing to 1 ms: a reader is seen at most
 * about 1 ms after it opens.
 *
 * Opening for reading never waits: a FIFO can always be opened for reading.
 * The first read then waits (within its own timeout) for a writer and its
 * data; end of file is reported only after a writer has come and gone.
 */
IPCX_API int ipcx_fifo_open(struct ipcx_fifo **out, const char *path, unsigned direction,
                            int timeout_ms);

/*
 * Reads up to `len` bytes, waiting up to `timeout_ms` for data. Returns the
 * count, 0 at end of file (every writer that came has gone and the FIFO is
 * empty; a FIFO no writer has opened yet is not at end of file: the read
 * waits), IPCX_ETIMEDOUT, IPCX_EAGAIN (IPCX_NOWAIT and no data),
 * IPCX_EBADF (a handle open for writing), IPCX_EINVAL (NULL buffer, `len`
 * above SSIZE_MAX, bad timeout).
 */
IPCX_API ssize_t ipcx_fifo_read(struct ipcx_fifo *f, void *buf, size_t len, int timeout_ms);

/*
 * Writes up to `len` bytes as ipcx_pipe_write(): returns once some went;
 * writes of PIPE_BUF bytes or less are atomic. IPCX_EPIPE when the readers
 * have gone (no SIGPIPE), IPCX_ETIMEDOUT, IPCX_EAGAIN (IPCX_NOWAIT),
 * IPCX_EBADF (a handle open for reading), IPCX_EINVAL (NULL buffer, `len`
 * above SSIZE_MAX, bad timeout).
 */
IPCX_API ssize_t ipcx_fifo_write(struct ipcx_fifo *f, const void *buf, size_t len, int timeout_ms);

/*
 * Writes all `len` bytes within `timeout_ms`; returns `len` or a negative
 * code, and *done (if not NULL) receives the count written in every case.
 */
IPCX_API ssize_t ipcx_fifo_write_all(struct ipcx_fifo *f, const void *buf, size_t len, size_t *done,
                                     int timeout_ms);

/* The FIFO's capacity in bytes, or a negative code. */
IPCX_API int ipcx_fifo_get_capacity(const struct ipcx_fifo *f);

/* Sets the capacity as ipcx_pipe_set_capacity(); returns the capacity now in effect. */
IPCX_API int ipcx_fifo_set_capacity(struct ipcx_fifo *f, size_t bytes);

/* The handle's descriptor (non-blocking, close-on-exec) for poll(); borrowed. -1 for NULL. */
IPCX_API int ipcx_fifo_fd(const struct ipcx_fifo *f);

/* Closes the handle. The FIFO's name stays. NULL is ignored. */
IPCX_API void ipcx_fifo_close(struct ipcx_fifo *f);

/*
 * Removes the FIFO's name. Refuses a symbolic link (IPCX_ELOOP) and
 * anything that is not a FIFO (IPCX_EINVAL), leaving them in place.
 * Processes that have the FIFO open keep using it.
 */
IPCX_API int ipcx_fifo_unlink(const char *path);

#ifdef __cplusplus
}
#endif

#endif
