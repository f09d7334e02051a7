/* SPDX-License-Identifier: MIT */
/*
 * mech/pipe.c: anonymous pipes. Each end is a small handle around one
 * descriptor; the reads and writes with deadlines and the SIGPIPE guard
 * are the shared pipe-family code of sys/pipeio.c.
 *
 * The descriptors are created close-on-exec by pipe2() itself, so no other
 * thread's fork+exec can ever inherit them by accident; ipcx_pipe_inherit()
 * is the one deliberate way across exec.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ipcx/error.h>
#include <ipcx/pipe.h>

#include "sys/deadline.h"
#include "sys/err.h"
#include "sys/fd.h"
#include "sys/pipeio.h"

struct ipcx_pipe {
    int fd;
    enum ipcx__pipeio_mode mode;
};

#define KNOWN_FLAGS (IPCX_PIPE_PACKET | IPCX_PIPE_NONBLOCK)

static struct ipcx_pipe *end_new(int fd)
{
    struct ipcx_pipe *p = calloc(1, sizeof *p);
    if (p) {
        p->fd = fd;
        p->mode = IPCX__PIPEIO_PROBE;
    }
    return p;
}

IPCX_API int ipcx_pipe_create(struct ipcx_pipe **rd, struct ipcx_pipe **wr,
                              const struct ipcx_pipe_opts *opts)
{
    struct ipcx_pipe_opts o = {0};
    if (opts)
        o = *opts;
    if (!rd || !wr || (o.flags & ~KNOWN_FLAGS) || o.capacity > INT_MAX)
        return IPCX_EINVAL;

    int fds[2] = {-1, -1};
    struct ipcx_pipe *r = NULL, *w = NULL;
    int rc;
    int flags = O_CLOEXEC;
    if (o.flags & IPCX_PIPE_PACKET)
        flags |= O_DIRECT;
    if (o.flags & IPCX_PIPE_NONBLOCK)
        flags |= O_NONBLOCK;
    if (pipe2(fds, flags) < 0) {
        rc = ipcx__errno();
        goto fail;
    }
    if (o.capacity > 0 && fcntl(fds[1], F_SETPIPE_SZ, (int)o.capacity) < 0) {
        rc = ipcx__errno();
        goto fail;
    }
    r = end_new(fds[0]);
    w = end_new(fds[1]);
    if (!r || !w) {
        rc = IPCX_ENOMEM;
        goto fail;
    }
    *rd = r;
    *wr = w;
    return 0;
fail:
    free(r);
    free(w);
    ipcx__close(fds[0]);
    ipcx__close(fds[1]);
    return rc;
}

IPCX_API int ipcx_pipe_adopt(struct ipcx_pipe **out, int fd)
{
    if (!out || fd < 0)
        return fd < 0 && out ? IPCX_EBADF : IPCX_EINVAL;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ipcx__errno();
    if (!S_ISFIFO(st.st_mode))
        return IPCX_EINVAL;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return ipcx__errno();
    if ((fl & O_ACCMODE) != O_RDONLY && (fl & O_ACCMODE) != O_WRONLY)
        return IPCX_EINVAL;
    struct ipcx_pipe *p = end_new(fd);
    if (!p)
        return IPCX_ENOMEM;
    int rc = ipcx__fd_set_cloexec(fd);
    if (rc < 0) {
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

IPCX_API ssize_t ipcx_pipe_read(struct ipcx_pipe *p, void *buf, size_t len, int timeout_ms)
{
    struct ipcx__deadline d;
    if (!p || (!buf && len > 0) || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    return ipcx__deadline_map(ipcx__pipeio_read(p->fd, &p->mode, buf, len, &d), timeout_ms);
}

static ssize_t write_common(struct ipcx_pipe *p, const void *buf, size_t len, bool all,
                            size_t *done, int timeout_ms)
{
    struct ipcx__deadline d;
    if (done)
        *done = 0;
    if (!p || (!buf && len > 0) || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    return ipcx__deadline_map(ipcx__pipeio_write(p->fd, &p->mode, buf, len, all, done, &d),
                              timeout_ms);
}

IPCX_API ssize_t ipcx_pipe_write(struct ipcx_pipe *p, const void *buf, size_t len, int timeout_ms)
{
    return write_common(p, buf, len, false, NULL, timeout_ms);
}

IPCX_API ssize_t ipcx_pipe_write_all(struct ipcx_pipe *p, const void *buf, size_t len, size_t *done,
                                     int timeout_ms)
{
    return write_common(p, buf, len, true, done, timeout_ms);
}

IPCX_API int ipcx_pipe_get_capacity(const struct ipcx_pipe *p)
{
    if (!p)
        return IPCX_EINVAL;
    int n = fcntl(p->fd, F_GETPIPE_SZ);
    return n < 0 ? ipcx__errno() : n;
}

IPCX_API int ipcx_pipe_set_capacity(struct ipcx_pipe *p, size_t bytes)
{
    if (!p || bytes == 0 || bytes > INT_MAX)
        return IPCX_EINVAL;
    int n = fcntl(p->fd, F_SETPIPE_SZ, (int)bytes);
    return n < 0 ? ipcx__errno() : n;
}

IPCX_API int ipcx_pipe_fd(const struct ipcx_pipe *p)
{
    return p ? p->fd : -1;
}

IPCX_API int ipcx_pipe_inherit(struct ipcx_pipe *p, int target_fd)
{
    if (!p)
        return IPCX_EINVAL;
    if (target_fd < 0 || target_fd == p->fd) {
        int fl = fcntl(p->fd, F_GETFD);
        if (fl < 0 || fcntl(p->fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
            return ipcx__errno();
        return p->fd;
    }
    int rc;
    while ((rc = dup2(p->fd, target_fd)) < 0 && errno == EINTR)
        ;
    return rc < 0 ? ipcx__errno() : rc;
}

IPCX_API void ipcx_pipe_close(struct ipcx_pipe *p)
{
    if (!p)
        return;
    ipcx__close(p->fd);
    free(p);
}
