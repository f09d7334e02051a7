/* SPDX-License-Identifier: MIT */
/*
 * sys/pipeio.c: deadline-bounded reads and writes on pipes and FIFOs that
 * never block past the deadline, never change the file flags a program
 * sharing the descriptor relies on, and never let SIGPIPE kill the caller.
 *
 * Why a private open file description: an anonymous pipe is often shared
 * with a program that knows nothing of ipcx (its stdin after exec).
 * O_NONBLOCK lives on the open file description, which that program shares,
 * so setting it would change that program's reads. Readiness is no
 * substitute: poll() says data is there, but another reader of the same
 * pipe may take it before our read(), which then blocks on a blocking
 * description. Opening /proc/self/fd/N gives a new open file description of
 * the very same pipe (the kernel runs the FIFO open on the pipe's inode),
 * with flags of its own: O_NONBLOCK there makes every call of the library
 * non-blocking while `fd` stays as it was. Only when that reopen is
 * impossible does the end fall back to per-call attempts (see pipeio.h).
 *
 * SIGPIPE: where the kernel has RWF_NOSIGNAL (Linux 6.18), a write is one
 * pwritev2() that fails with EPIPE and raises nothing, so the thread's
 * signal state is not even looked at. Elsewhere the guard below blocks
 * SIGPIPE around the write. It is safe because the SIGPIPE raised by a
 * write to a pipe with no reader is directed at the writing thread: blocking
 * it in that thread alone keeps it pending there (no other thread can take
 * it), and sigtimedwait() with a zero timeout takes the thread's own pending
 * signals before the process's, so it removes exactly that one. A SIGPIPE
 * pending for the whole process (kill(2)) is never the one taken.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sys/err.h"
#include "sys/fd.h"
#include "sys/pipeio.h"

/*
 * Whether this thread (not the process) has a SIGPIPE pending: 1, 0, or -1
 * when /proc cannot tell. sigpending() reports the union of the thread's
 * and the process's pending signals; only the thread's matter here, since
 * a write's SIGPIPE joins those and coalesces with one already there.
 */
static int thread_sigpipe_pending(void)
{
    int fd;
    while ((fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (fd < 0)
        return -1;
    char buf[4096];
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    ipcx__close(fd);
    buf[got] = '\0';
    const char *p = strstr(buf, "\nSigPnd:");
    if (!p)
        return -1;
    char *end;
    errno = 0;
    unsigned long long mask = strtoull(p + 8, &end, 16);
    if (errno || end == p + 8)
        return -1;
    return (int)((mask >> (SIGPIPE - 1)) & 1);
}

void ipcx__sigpipe_block(struct ipcx__sigpipe_guard *g)
{
    int saved = errno;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &g->old_mask);
    g->was_pending = false;
    /*
     * With SIGPIPE unblocked on entry no SIGPIPE can be pending for this
     * thread: it would have been delivered before the call (one sent at
     * this very moment is as concurrent as one sent during the write, and
     * coalesces with ours like it). Only a caller that blocks SIGPIPE can
     * have one waiting, and only then is it worth a system call to look.
     */
    if (sigismember(&g->old_mask, SIGPIPE) == 1) {
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE) == 1) {
            /* Maybe only the process's (kill(2)): ask about the thread's.
             * When /proc cannot tell, assume the caller's: never take it. */
            g->was_pending = thread_sigpipe_pending() != 0;
        }
    }
    errno = saved;
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

int ipcx__pipeio_reopen(int fd, int flags)
{
    char path[40];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int nfd;
    while ((nfd = open(path, flags | O_NOCTTY | O_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (nfd < 0)
        return ipcx__errno();
    struct stat a, b;
    int rc = 0;
    if (fstat(fd, &a) < 0 || fstat(nfd, &b) < 0)
        rc = ipcx__errno();
    else if (!S_ISFIFO(b.st_mode) || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
        rc = IPCX_ENOENT;
    if (rc < 0) {
        ipcx__close(nfd);
        return rc;
    }
    return nfd;
}

/* A private non-blocking description of the pipe `fd` is open on. */
static int reopen(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return ipcx__errno();
    int nfd = ipcx__pipeio_reopen(fd, (fl & O_ACCMODE) | O_NONBLOCK);
    /* Packet mode is a flag of the writing description: carry it over.
     * open() refuses O_DIRECT on a pipe, fcntl() takes it. */
    if (nfd >= 0 && (fl & O_DIRECT) && fcntl(nfd, F_SETFL, O_NONBLOCK | O_DIRECT) < 0) {
        int rc = ipcx__errno();
        ipcx__close(nfd);
        return rc;
    }
    return nfd;
}

/* Errors that say the system is short of something: reported, not worked around. */
static bool resource_error(int rc)
{
    return rc == IPCX_EMFILE || rc == IPCX_ENFILE || rc == IPCX_ENOMEM;
}

/*
 * Gets the end a private description if it has none yet. Returns 0 (it has
 * one, or it is in fallback), IPCX_ENXIO (a FIFO write end with no reader:
 * try again later), or a resource error.
 */
static int ensure_private(struct ipcx__pipeio *io)
{
    if (io->io_fd >= 0 || io->fallback)
        return 0;
    int nfd = reopen(io->fd);
    if (nfd >= 0) {
        io->io_fd = nfd;
        return 0;
    }
    if (nfd == IPCX_ENXIO || resource_error(nfd))
        return nfd;
    io->fallback = true; /* no /proc, or the pipe's inode is not ours to open */
    return 0;
}

int ipcx__pipeio_init(struct ipcx__pipeio *io, int fd, bool fd_private)
{
    io->fd = fd;
    io->io_fd = fd_private ? fd : -1;
    io->fallback = false;
    io->mode = IPCX__PIPEIO_PROBE;
    int rc = ensure_private(io);
    return rc == IPCX_ENXIO ? 0 : rc;
}

void ipcx__pipeio_close(struct ipcx__pipeio *io)
{
    if (io->io_fd != io->fd)
        ipcx__close(io->io_fd);
    ipcx__close(io->fd);
    io->fd = io->io_fd = -1;
}

int ipcx__pipeio_begin(const struct ipcx__pipeio *io, const void *buf, size_t len, int timeout_ms,
                       struct ipcx__deadline *d)
{
    if (!io || (!buf && len > 0) || len > SSIZE_MAX || ipcx__deadline_init(d, timeout_ms) < 0)
        return IPCX_EINVAL;
    return 0;
}

/*
 * Fallback: one attempt on the shared descriptor that must not block: the
 * count, IPCX_EAGAIN, or another negative code. `ready` says the descriptor
 * was just reported ready, which is what allows a plain call on a blocking
 * descriptor (and what another process can still invalidate).
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

#ifndef RWF_NOSIGNAL
#define RWF_NOSIGNAL 0x00000100 /* Linux 6.18: the write raises no SIGPIPE */
#endif

/* Whether the kernel takes RWF_NOSIGNAL: 0 not known yet, 1 yes, -1 no. */
static _Atomic int nosignal_state;

/*
 * One write to the private description that raises no SIGPIPE, through
 * pwritev2(RWF_NOSIGNAL): the count, or a negative code. IPCX_ENOTSUP when
 * the kernel lacks the flag (then nothing was written and nothing raised,
 * and the caller guards a plain write instead).
 */
static ssize_t write_nosignal(int fd, const void *buf, size_t len)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    for (;;) {
        ssize_t n = pwritev2(fd, &iov, 1, -1, RWF_NOSIGNAL);
        if (n >= 0) {
            atomic_store_explicit(&nosignal_state, 1, memory_order_relaxed);
            return n;
        }
        if (errno == EINTR)
            continue;
        /* An unknown flag (EOPNOTSUPP; ENOTSUP from a C library emulating
         * pwritev2), no pwritev2 (ENOSYS), or a sandbox that refuses it
         * (EPERM: a pipe write itself never fails so). */
        if (atomic_load_explicit(&nosignal_state, memory_order_relaxed) != 1 &&
            (errno == EOPNOTSUPP || errno == ENOTSUP || errno == ENOSYS || errno == EPERM)) {
            atomic_store_explicit(&nosignal_state, -1, memory_order_relaxed);
            return IPCX_ENOTSUP;
        }
        return ipcx__errno();
    }
}

/* One attempt that does not block: on the private description, or the fallback's. */
static ssize_t try_io(struct ipcx__pipeio *io, bool wr, void *buf, size_t len, bool ready)
{
    if (io->fallback)
        return attempt(io->fd, &io->mode, wr, buf, len, ready);
    for (;;) {
        ssize_t n = wr ? write(io->io_fd, buf, len) : read(io->io_fd, buf, len);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return ipcx__errno();
    }
}

/* The descriptor the waits of an end poll: the one its attempts use. */
static int wait_fd(const struct ipcx__pipeio *io)
{
    return io->fallback ? io->fd : io->io_fd;
}

ssize_t ipcx__pipeio_read(struct ipcx__pipeio *io, void *buf, size_t len,
                          const struct ipcx__deadline *d)
{
    int rc = ensure_private(io);
    if (rc < 0)
        return rc;
    int r = ipcx__io_first(wait_fd(io), IPCX__IO_RX, POLLIN, d);
    if (r < 0)
        return r;
    bool ready = r > 0;
    for (;;) {
        ssize_t n = try_io(io, false, buf, len, ready);
        if (n != IPCX_EAGAIN)
            return n;
        r = ipcx__io_wait(wait_fd(io), IPCX__IO_RX, POLLIN, d);
        if (r < 0)
            return r;
        ready = true;
    }
}

ssize_t ipcx__pipeio_write(struct ipcx__pipeio *io, const void *buf, size_t len, bool all,
                           size_t *done, const struct ipcx__deadline *d)
{
    char *p = (char *)buf;
    size_t sent = 0;
    ssize_t rc = 0;
    bool ready = false;
    bool guarded = false; /* the SIGPIPE guard is up */
    struct ipcx__sigpipe_guard guard;

    if (len > 0) {
        /* A FIFO write end that had no reader when it was set up. */
        rc = ensure_private(io);
        if (rc == IPCX_ENXIO)
            rc = IPCX_EPIPE; /* still none: what a write would say */
    }
    if (len > 0 && rc == 0) {
        int r = ipcx__io_first(wait_fd(io), IPCX__IO_TX, POLLOUT, d);
        if (r < 0)
            rc = r;
        ready = r > 0;
    }
    if (rc < 0)
        len = 0;
    while (sent < len) {
        ssize_t n = IPCX_ENOTSUP;
        if (!io->fallback && atomic_load_explicit(&nosignal_state, memory_order_relaxed) >= 0)
            n = write_nosignal(io->io_fd, p + sent, len - sent);
        if (n == IPCX_ENOTSUP) {
            /* A plain write (or the fallback's attempt): SIGPIPE blocked first. */
            if (!guarded) {
                ipcx__sigpipe_block(&guard);
                guarded = true;
            }
            n = try_io(io, true, p + sent, len - sent, ready);
        }
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
        int r = ipcx__io_wait(wait_fd(io), IPCX__IO_TX, POLLOUT, d);
        if (r < 0) {
            rc = r;
            break;
        }
        ready = true;
    }
    if (guarded)
        ipcx__sigpipe_restore(&guard, rc == IPCX_EPIPE);
    if (done)
        *done = sent;
    return rc < 0 ? rc : (ssize_t)sent;
}

ssize_t ipcx__pipeio_read_call(struct ipcx__pipeio *io, void *buf, size_t len, int timeout_ms)
{
    struct ipcx__deadline d;
    int rc = ipcx__pipeio_begin(io, buf, len, timeout_ms, &d);
    if (rc < 0)
        return rc;
    return ipcx__deadline_map(ipcx__pipeio_read(io, buf, len, &d), timeout_ms);
}

ssize_t ipcx__pipeio_write_call(struct ipcx__pipeio *io, const void *buf, size_t len, bool all,
                                size_t *done, int timeout_ms)
{
    struct ipcx__deadline d;
    if (done)
        *done = 0;
    int rc = ipcx__pipeio_begin(io, buf, len, timeout_ms, &d);
    if (rc < 0)
        return rc;
    return ipcx__deadline_map(ipcx__pipeio_write(io, buf, len, all, done, &d), timeout_ms);
}

int ipcx__pipeio_get_capacity(const struct ipcx__pipeio *io)
{
    if (!io)
        return IPCX_EINVAL;
    int n = fcntl(io->fd, F_GETPIPE_SZ);
    return n < 0 ? ipcx__errno() : n;
}

int ipcx__pipeio_set_capacity(struct ipcx__pipeio *io, size_t bytes)
{
    if (!io || bytes == 0 || bytes > INT_MAX)
        return IPCX_EINVAL;
    int n = fcntl(io->fd, F_SETPIPE_SZ, (int)bytes);
    return n < 0 ? ipcx__errno() : n;
}
