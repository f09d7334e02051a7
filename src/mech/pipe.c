/* SPDX-License-Identifier: MIT */
/*
 * mech/pipe.c: anonymous pipes. Each end is a handle around the shared
 * pipe-family end of sys/pipeio.c: the descriptor handed out (blocking
 * unless asked otherwise, as a program given it across exec expects) plus a
 * private non-blocking description of the same pipe for the library's own
 * reads and writes, so that a deadline holds even when another process
 * reads or writes the same pipe.
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
    struct ipcx__pipeio io;
};

#define KNOWN_FLAGS (IPCX_PIPE_PACKET | IPCX_PIPE_NONBLOCK)

/* A handle for the end `fd`; on failure `fd` is left open for the caller. */
static int end_new(struct ipcx_pipe **out, int fd)
{
    struct ipcx_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return IPCX_ENOMEM;
    int rc = ipcx__pipeio_init(&p->io, fd, false);
    if (rc < 0) {
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

static struct ipcx__pipeio *io_of(struct ipcx_pipe *p)
{
    return p ? &p->io : NULL;
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
    rc = end_new(&r, fds[0]);
    if (rc < 0)
        goto fail;
    fds[0] = -1; /* the handle owns it now */
    rc = end_new(&w, fds[1]);
    if (rc < 0)
        goto fail;
    *rd = r;
    *wr = w;
    return 0;
fail:
    ipcx_pipe_close(r);
    ipcx__close(fds[0]);
    ipcx__close(fds[1]);
    return rc;
}

IPCX_API int ipcx_pipe_adopt(struct ipcx_pipe **out, int fd)
{
    if (!out || fd < 0)
        return fd < 0 && out ? IPCX_EBADF : IPCX_EINVAL;
    int rc = ipcx__fd_pipe_end(fd, NULL);
    if (rc < 0)
        return rc;
    struct ipcx_pipe *p;
    if ((rc = end_new(&p, fd)) < 0)
        return rc;
    rc = ipcx__fd_set_cloexec(fd);
    if (rc < 0) {
        /* Give `fd` back untouched: close only what the handle opened. */
        if (p->io.io_fd != fd)
            ipcx__close(p->io.io_fd);
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

IPCX_API ssize_t ipcx_pipe_read(struct ipcx_pipe *p, void *buf, size_t len, int timeout_ms)
{
    return ipcx__pipeio_read_call(io_of(p), buf, len, timeout_ms);
}

IPCX_API ssize_t ipcx_pipe_write(struct ipcx_pipe *p, const void *buf, size_t len, int timeout_ms)
{
    return ipcx__pipeio_write_call(io_of(p), buf, len, false, NULL, timeout_ms);
}

IPCX_API ssize_t ipcx_pipe_write_all(struct ipcx_pipe *p, const void *buf, size_t len, size_t *done,
                                     int timeout_ms)
{
    return ipcx__pipeio_write_call(io_of(p), buf, len, true, done, timeout_ms);
}

IPCX_API int ipcx_pipe_get_capacity(const struct ipcx_pipe *p)
{
    return ipcx__pipeio_get_capacity(p ? &p->io : NULL);
}

IPCX_API int ipcx_pipe_set_capacity(struct ipcx_pipe *p, size_t bytes)
{
    return ipcx__pipeio_set_capacity(io_of(p), bytes);
}

IPCX_API int ipcx_pipe_fd(const struct ipcx_pipe *p)
{
    return p ? p->io.fd : -1;
}

IPCX_API int ipcx_pipe_inherit(struct ipcx_pipe *p, int target_fd)
{
    if (!p)
        return IPCX_EINVAL;
    int fd = p->io.fd;
    if (target_fd < 0 || target_fd == fd) {
        int fl = fcntl(fd, F_GETFD);
        if (fl < 0 || fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
            return ipcx__errno();
        return fd;
    }
    int rc;
    while ((rc = dup2(fd, target_fd)) < 0 && errno == EINTR)
        ;
    return rc < 0 ? ipcx__errno() : rc;
}

IPCX_API void ipcx_pipe_close(struct ipcx_pipe *p)
{
    if (!p)
        return;
    ipcx__pipeio_close(&p->io);
    free(p);
}
