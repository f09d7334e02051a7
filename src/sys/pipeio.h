/* SPDX-License-Identifier: MIT */
/*
 * sys/pipeio.h: reads and writes on pipe-family descriptors (anonymous pipes
 * and FIFOs) bounded by a deadline, and writes that never raise SIGPIPE.
 *
 * The descriptor may be blocking or not: a descriptor handed to another
 * program (across exec) must stay blocking for that program's sake, so the
 * library never flips O_NONBLOCK on a description it shares. Non-blocking
 * attempts are made per call with RWF_NOWAIT where the kernel supports it
 * on the descriptor (pipes made by pipe2()); on a blocking descriptor
 * without it, the call waits for readiness first and then reads or writes
 * at most PIPE_BUF bytes, which cannot block unless another process drains
 * or fills the pipe in between.
 *
 * Writes block SIGPIPE in the calling thread for their duration. A write
 * that fails with EPIPE leaves a thread-directed SIGPIPE pending; it is
 * consumed before the mask is restored, unless SIGPIPE was already pending
 * before the write (then it is the caller's and stays). The process's
 * dispositions are never touched.
 */
#ifndef IPCX_SYS_PIPEIO_H
#define IPCX_SYS_PIPEIO_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sys/deadline.h"

/* How a non-blocking attempt is made on one descriptor (cached per handle). */
enum ipcx__pipeio_mode {
    IPCX__PIPEIO_PROBE = 0, /* not known yet: try RWF_NOWAIT first */
    IPCX__PIPEIO_RWF,       /* preadv2/pwritev2 with RWF_NOWAIT */
    IPCX__PIPEIO_PLAIN,     /* no RWF_NOWAIT: O_NONBLOCK or wait-then-act */
};

/*
 * Reads up to `len` bytes, waiting for data until the deadline. Returns the
 * count, 0 at end of file (no writer), IPCX_ETIMEDOUT, or another negative
 * code. `mode` is the handle's cached mode (updated on first use).
 */
ssize_t ipcx__pipeio_read(int fd, enum ipcx__pipeio_mode *mode, void *buf, size_t len,
                          const struct ipcx__deadline *d);

/*
 * Writes `len` bytes (all of them when `all`, otherwise returns after the
 * first successful write), waiting for room until the deadline. Returns the
 * count written or a negative code (IPCX_EPIPE when there is no reader,
 * IPCX_ETIMEDOUT); *done (if not NULL) holds how many bytes went, also on
 * failure. Never raises SIGPIPE.
 */
ssize_t ipcx__pipeio_write(int fd, enum ipcx__pipeio_mode *mode, const void *buf, size_t len,
                           bool all, size_t *done, const struct ipcx__deadline *d);

/*
 * The SIGPIPE guard on its own, for other callers that write to a pipe or
 * a FIFO: block() before the writes, restore() after them with whether one
 * of them failed with EPIPE.
 */
struct ipcx__sigpipe_guard {
    sigset_t old_mask;
    bool was_pending;
};
void ipcx__sigpipe_block(struct ipcx__sigpipe_guard *g);
void ipcx__sigpipe_restore(struct ipcx__sigpipe_guard *g, bool got_epipe);

#endif
