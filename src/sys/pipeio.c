/* SPDX-License-Identifier: MIT */
/*
 * sys/pipeio.c: deadline-bounded reads and writes on pipes and FIFOs that
 * work on blocking and non-blocking descriptors alike and never let SIGPIPE
 * kill the caller.
 *
 * Why per-call non-blocking attempts: an anonymous pipe is often shared with
 * a program that knows nothing of ipcx (its stdin after exec). O_NONBLOCK
 * lives on the open file description, which that program shares, so setting
 * it would change that program's reads. RWF_NOWAIT makes one call
 * non-blocking without touching the description. Descriptors opened by
 * open() (FIFOs) do not accept RWF_NOWAIT; the library opens those with
 * O_NONBLOCK itself, and only an adopted blocking FIFO descriptor falls back
 * to "poll, then one read or one write of at most PIPE_BUF bytes".
 *
 * Why the SIGPIPE dance is safe: the SIGPIPE raised by a write to a pipe
 * with no reader is directed at the writing thread, so blocking it in that
 * thread alone keeps it pending there (no other thread can take it), and
 * sigtimedwait() with a zero timeout removes exactly that pending signal.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sys/err.h"
#include "sys/fd.h"
#include "sys/pipeio.h"

void ipcx__sigpipe_block(struct ipcx__sigpipe_guard *g)
{
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &g->old_mask);
    sigemptyset(&pending);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE) == 1;
}

void ipcx__sigpipe_restore(struct ipcx__sigpipe_guard *g, bool got_epipe)
{
    int saved = errno;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    if (got_epipe && !g->was_pending) {
        const struct timespec zero = {0, 0};
        while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    /* Unblock only what was blocked here: any other change the thread made
     * to its mask meanwhile (in a handler, say) is left alone. */
    if (sigismember(&g->old_mask, SIGPIPE) != 1)
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    errno = saved;
}

/*
 * One attempt that must not block: the count, IPCX_EAGAIN, or another
 * negative code. `ready` says the descriptor was just reported ready, which
 * is what allows a plain call on a blocking descriptor.
 */
static ssize_t attempt(int fd, enum ipcx__pipeio_mode *mode, bool wr, void *buf, size_t len,
                       bool ready)
{
    for (;;) {
        ssize_t n;
        if (*mode != IPCX__PIPEIO_PLAIN) {
            struct iovec iov = {.iov_base = buf, .iov_len = len};
            n = wr ? pwritev2(fd, &iov, 1, -1, RWF_NOWAIT) : preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
            if (n >= 0) {
                *mode = IPCX__PIPEIO_RWF;
                return n;
            }
            if (errno == EOPNOTSUPP && *mode == IPCX__PIPEIO_PROBE) {
                *mode = IPCX__PIPEIO_PLAIN;
                continue;
            }
        } else {
            int fl = fcntl(fd, F_GETFL);
            if (fl < 0)
                return ipcx__errno();
            if (!(fl & O_NONBLOCK)) {
                if (!ready)
                    return IPCX_EAGAIN;
                /* Readiness promises room for PIPE_BUF bytes, no more. */
                if (wr && len > PIPE_BUF)
                    len = PIPE_BUF;
            }
            n = wr ? write(fd, buf, len) : read(fd, buf, len);
            if (n >= 0)
                return n;
        }
        if (errno != EINTR)
            return ipcx__errno();
    }
}

ssize_t ipcx__pipeio_read(int fd, enum ipcx__pipeio_mode *mode, void *buf, size_t len,
                          const struct ipcx__deadline *d)
{
    bool ready = false;
    for (;;) {
        ssize_t n = attempt(fd, mode, false, buf, len, ready);
        if (n != IPCX_EAGAIN)
            return n;
        int r = ipcx__poll1(fd, POLLIN, d);
        if (r < 0)
            return r;
        ready = true;
    }
}

ssize_t ipcx__pipeio_write(int fd, enum ipcx__pipeio_mode *mode, const void *buf, size_t len,
                           bool all, size_t *done, const struct ipcx__deadline *d)
{
    char *p = (char *)buf;
    size_t sent = 0;
    ssize_t rc = 0;
    bool ready = false;
    struct ipcx__sigpipe_guard guard;

    if (len > 0)
        ipcx__sigpipe_block(&guard);
    while (sent < len) {
        ssize_t n = attempt(fd, mode, true, p + sent, len - sent, ready);
        ready = false;
        if (n > 0) {
            sent += (size_t)n;
            if (!all)
                break;
            continue;
        }
        if (n < 0 && n != IPCX_EAGAIN) {
            rc = n;
            break;
        }
        int r = ipcx__poll1(fd, POLLOUT, d);
        if (r < 0) {
            rc = r;
            break;
        }
        ready = true;
    }
    if (len > 0)
        ipcx__sigpipe_restore(&guard, rc == IPCX_EPIPE);
    if (done)
        *done = sent;
    return rc < 0 ? rc : (ssize_t)sent;
}
