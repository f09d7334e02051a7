/* SPDX-License-Identifier: MIT */
/*
 * sys/fd.c: descriptor helpers and the deadline-bounded readiness wait.
 *
 * Blocking calls on descriptors are built as "try the non-blocking call, and
 * on EAGAIN wait with ipcx__poll1() for what is left of the deadline". The
 * kernel never blocks us inside read() or write(), so a deadline cannot be
 * missed because one call slept too long.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/err.h"
#include "sys/fd.h"

int ipcx__fd_set_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0)
        return ipcx__errno();
    if (!(flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
        return ipcx__errno();
    return 0;
}

int ipcx__fd_is_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0)
        return ipcx__errno();
    return (flags & FD_CLOEXEC) != 0;
}

int ipcx__fd_set_nonblock(int fd, bool on)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return ipcx__errno();
    int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (want != flags && fcntl(fd, F_SETFL, want) < 0)
        return ipcx__errno();
    return 0;
}

void ipcx__close(int fd)
{
    if (fd < 0)
        return;
    int saved = errno;
    close(fd);
    errno = saved;
}

int ipcx__poll_deadline(struct pollfd *fds, size_t n, const struct ipcx__deadline *d)
{
    for (;;) {
        struct timespec left, *tp = NULL;
        if (ipcx__deadline_remaining_ts(d, &left))
            tp = &left;
        for (size_t i = 0; i < n; i++)
            fds[i].revents = 0;
        int r = ppoll(fds, (nfds_t)n, tp, NULL);
        if (r > 0)
            return r;
        if (r == 0) {
            /* ppoll may round its sleep down; only the deadline decides. */
            if (ipcx__deadline_expired(d))
                return IPCX_ETIMEDOUT;
            continue;
        }
        if (errno != EINTR)
            return ipcx__errno();
        if (ipcx__deadline_expired(d))
            return IPCX_ETIMEDOUT;
    }
}

int ipcx__poll1(int fd, short events, const struct ipcx__deadline *d)
{
    struct pollfd p = {.fd = fd, .events = events};
    int n = ipcx__poll_deadline(&p, 1, d);
    return n > 0 ? p.revents : n;
}

/*
 * The wait hints (see fd.h): one byte per descriptor and direction. 0: try
 * first. n > 0: the last call waited; wait first for n - 1 more calls, then
 * try first once. Descriptors beyond the table always try first.
 */
#define HINT_FDS 65536
static _Atomic unsigned char hints[HINT_FDS][2];

static void hint_store(int fd, enum ipcx__io_dir dir, unsigned char v)
{
    if (fd < 0 || fd >= HINT_FDS)
        return;
    /* Stores only on a change: a steady stream keeps the line clean. */
    if (atomic_load_explicit(&hints[fd][dir], memory_order_relaxed) != v)
        atomic_store_explicit(&hints[fd][dir], v, memory_order_relaxed);
}

int ipcx__io_first(int fd, enum ipcx__io_dir dir, short events, const struct ipcx__deadline *d)
{
    if (fd < 0 || fd >= HINT_FDS)
        return 0;
    unsigned char h = atomic_load_explicit(&hints[fd][dir], memory_order_relaxed);
    if (h == 0)
        return 0;
    hint_store(fd, dir, (unsigned char)(h - 1));
    if (h == 1 || ipcx__deadline_expired(d))
        return 0; /* the probe, or a call that may not wait */
    return ipcx__poll1(fd, events, d);
}

int ipcx__io_wait(int fd, enum ipcx__io_dir dir, short events, const struct ipcx__deadline *d)
{
    hint_store(fd, dir, IPCX__IO_PROBE);
    return ipcx__poll1(fd, events, d);
}

ssize_t ipcx__read_deadline(int fd, void *buf, size_t len, const struct ipcx__deadline *d)
{
    int r = ipcx__io_first(fd, IPCX__IO_RX, POLLIN, d);
    if (r < 0)
        return r;
    for (;;) {
        ssize_t n = read(fd, buf, len);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return ipcx__errno();
        r = ipcx__io_wait(fd, IPCX__IO_RX, POLLIN, d);
        if (r < 0)
            return r;
    }
}

ssize_t ipcx__write_all_deadline(int fd, const void *buf, size_t len, size_t *done,
                                 const struct ipcx__deadline *d)
{
    const char *p = buf;
    size_t sent = 0;
    ssize_t rc = (ssize_t)len;
    if (len > 0) {
        int r = ipcx__io_first(fd, IPCX__IO_TX, POLLOUT, d);
        if (r < 0) {
            rc = r;
            len = 0;
        }
    }
    while (sent < len) {
        ssize_t n = write(fd, p + sent, len - sent);
        if (n >= 0) {
            sent += (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            rc = ipcx__errno();
            break;
        }
        int r = ipcx__io_wait(fd, IPCX__IO_TX, POLLOUT, d);
        if (r < 0) {
            rc = r;
            break;
        }
    }
    if (done)
        *done = sent;
    return rc;
}

int ipcx__fd_pipe(int fds[2])
{
    return pipe2(fds, O_CLOEXEC) < 0 ? ipcx__errno() : 0;
}

int ipcx__fd_pipe_end(int fd, uint64_t *ino)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ipcx__errno();
    if (!S_ISFIFO(st.st_mode))
        return IPCX_EINVAL;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return ipcx__errno();
    fl &= O_ACCMODE;
    if (fl != O_RDONLY && fl != O_WRONLY)
        return IPCX_EINVAL;
    if (ino)
        *ino = (uint64_t)st.st_ino;
    return fl;
}

int ipcx__fd_clear_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0)
        return ipcx__errno();
    if ((flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        return ipcx__errno();
    return 0;
}
