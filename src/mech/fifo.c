/* SPDX-License-Identifier: MIT */
/*
 * mech/fifo.c: FIFOs (named pipes): exclusive creation with an explicit
 * mode, opening with a timeout, and the pipe-family reads and writes of
 * sys/pipeio.c.
 *
 * Creation never opens the FIFO: the mode is set through an O_PATH
 * descriptor, and a failure unlinks the path only while it still names the
 * inode this call made.
 *
 * Opening inspects the object itself through an O_PATH|O_NOFOLLOW
 * descriptor (which opens nothing) and then opens that same inode through
 * /proc/self/fd: a link, a file or a device at the path is refused without
 * ever being opened, whatever the path does in between.
 *
 * Descriptors are opened O_NONBLOCK: that is what lets a writer's open fail
 * with ENXIO instead of blocking, and a reader's open return at once. The
 * kernel has no way to wake a non-blocking opener when the peer arrives, so
 * the writer's open retries with sys/backoff.h sleeps (20 us doubling to
 * 1 ms, never past the deadline).
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ipcx/error.h>
#include <ipcx/fifo.h>

#include "sys/backoff.h"
#include "sys/deadline.h"
#include "sys/err.h"
#include "sys/fd.h"
#include "sys/pipeio.h"

struct ipcx_fifo {
    struct ipcx__pipeio io; /* one descriptor, opened non-blocking here */
};

static int check_path(const char *path)
{
    if (!path || !path[0])
        return IPCX_EINVAL;
    if (strnlen(path, PATH_MAX) >= PATH_MAX)
        return IPCX_ENAMETOOLONG;
    return 0;
}

static bool same_inode(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* A descriptor for the object at `path` itself: O_PATH opens nothing (a
 * FIFO's peers never see it) and O_NOFOLLOW refuses a final link. */
static int open_path(const char *path)
{
    int fd;
    while ((fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0 && errno == EINTR)
        ;
    return fd < 0 ? ipcx__errno() : fd;
}

/*
 * Sets the mode of the inode `pfd` (an O_PATH descriptor) refers to. The
 * kernel has no fchmod() for O_PATH descriptors, but chmod() of its
 * /proc/self/fd entry reaches exactly that inode. Without /proc, the path
 * is used with a link refused (AT_SYMLINK_NOFOLLOW), and the inode is then
 * checked to have got the mode: if it did not, the path no longer names it.
 */
static int chmod_inode(int pfd, const char *path, mode_t mode)
{
    char proc[40];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
    if (chmod(proc, mode) == 0)
        return 0;
    if (errno != ENOENT)
        return ipcx__errno();
    if (fchmodat(AT_FDCWD, path, mode, AT_SYMLINK_NOFOLLOW) < 0)
        return ipcx__errno();
    struct stat st;
    if (fstat(pfd, &st) < 0)
        return ipcx__errno();
    return (st.st_mode & 07777) == mode ? 0 : IPCX_EEXIST;
}

/* Unlinks `path` only if it still names the inode `ours` (never someone else's file). */
static void unlink_own(const char *path, const struct stat *ours)
{
    int saved = errno;
    struct stat now;
    if (lstat(path, &now) == 0 && same_inode(&now, ours))
        unlink(path);
    errno = saved;
}

IPCX_API int ipcx_fifo_create(const char *path, const struct ipcx_fifo_opts *opts)
{
    int rc = check_path(path);
    if (rc < 0)
        return rc;
    unsigned mode = opts && opts->mode ? opts->mode : 0600;
    if (mode & ~0777u)
        return IPCX_EINVAL;

    /* Owner-only until the final mode is set: never more open than asked.
     * mkfifo() fails if anything, a link included, is at the path. */
    if (mkfifo(path, 0600) < 0)
        return ipcx__errno();
    /*
     * The umask may have cut bits: set the mode on the FIFO just made,
     * without opening it (a reader's open would release writers waiting in
     * a blocking open and leave them facing a FIFO with no reader). Which
     * inode is ours is noted at once, so that neither the mode change nor
     * the cleanup of a failure ever touches an object someone put in its
     * place.
     */
    struct stat made, st;
    if (lstat(path, &made) < 0)
        return ipcx__errno(); /* removed already: nothing of ours is left */
    if (!S_ISFIFO(made.st_mode) || made.st_uid != geteuid())
        return IPCX_EEXIST; /* replaced already: leave their object alone */
    int pfd = open_path(path);
    if (pfd < 0) {
        unlink_own(path, &made);
        return pfd == IPCX_ELOOP ? IPCX_EEXIST : pfd; /* a link replaced it */
    }
    rc = 0;
    if (fstat(pfd, &st) < 0)
        rc = ipcx__errno();
    else if (!same_inode(&st, &made))
        rc = IPCX_EEXIST; /* replaced in between: not ours to change */
    if (rc == 0)
        rc = chmod_inode(pfd, path, (mode_t)mode);
    ipcx__close(pfd);
    if (rc < 0)
        unlink_own(path, &made);
    return rc;
}

/* Whether `st` is a FIFO, or the reason the object is not usable as one. */
static int fifo_type(const struct stat *st)
{
    if (S_ISLNK(st->st_mode))
        return IPCX_ELOOP;
    return S_ISFIFO(st->st_mode) ? 0 : IPCX_EINVAL;
}

/*
 * Opens the FIFO that `pfd` (an O_PATH descriptor, inspected as `seen`)
 * refers to, with `flags`: through /proc/self/fd, so it is that inode and
 * no other. Without /proc, the path is opened again (O_NOFOLLOW) and the
 * result checked to be the same inode; a path swapped in between is then
 * refused, but what was swapped in has been opened for an instant.
 */
static int open_fifo(int pfd, const struct stat *seen, const char *path, int flags)
{
    int fd = ipcx__pipeio_reopen(pfd, flags);
    if (fd != IPCX_ENOENT)
        return fd;
    while ((fd = open(path, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (fd < 0)
        return ipcx__errno();
    struct stat st;
    int rc = fstat(fd, &st) < 0 ? ipcx__errno() : 0;
    if (rc == 0 && (!S_ISFIFO(st.st_mode) || !same_inode(&st, seen)))
        rc = IPCX_EINVAL;
    if (rc < 0) {
        ipcx__close(fd);
        return rc;
    }
    return fd;
}

/* Opens for writing, retrying while there is no reader until the deadline. */
static int open_writer(int pfd, const struct stat *seen, const char *path,
                       const struct ipcx__deadline *d)
{
    struct ipcx__backoff b;
    ipcx__backoff_init(&b, IPCX__BACKOFF_FIRST_NS, IPCX__BACKOFF_CAP_NS);
    for (;;) {
        int fd = open_fifo(pfd, seen, path, O_WRONLY | O_NONBLOCK);
        if (fd != IPCX_ENXIO)
            return fd;
        /* No reader yet: try again a little later. */
        int rc = ipcx__backoff_sleep(&b, d);
        if (rc < 0)
            return rc;
    }
}

IPCX_API int ipcx_fifo_open(struct ipcx_fifo **out, const char *path, unsigned direction,
                            int timeout_ms)
{
    struct ipcx__deadline d;
    int rc = check_path(path);
    if (rc < 0)
        return rc;
    if (!out || (direction != IPCX_FIFO_READ && direction != IPCX_FIFO_WRITE) ||
        ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;

    struct stat seen;
    int fd = -1;
    struct ipcx_fifo *f = calloc(1, sizeof *f);
    if (!f)
        return IPCX_ENOMEM;
    /* Inspect the object itself (O_PATH opens nothing), then open that
     * object: nothing but a FIFO is ever opened, whatever the path does. */
    int pfd = open_path(path);
    if (pfd < 0) {
        rc = pfd;
        goto fail;
    }
    if (fstat(pfd, &seen) < 0) {
        rc = ipcx__errno();
        goto fail;
    }
    rc = fifo_type(&seen);
    if (rc < 0)
        goto fail;
    if (direction == IPCX_FIFO_READ)
        fd = open_fifo(pfd, &seen, path, O_RDONLY | O_NONBLOCK);
    else
        fd = open_writer(pfd, &seen, path, &d);
    if (fd < 0) {
        rc = fd == IPCX_ETIMEDOUT && timeout_ms == IPCX_NOWAIT ? IPCX_ENXIO : fd;
        fd = -1;
        goto fail;
    }
    rc = ipcx__pipeio_init(&f->io, fd, true);
    if (rc < 0)
        goto fail;
    ipcx__close(pfd);
    *out = f;
    return 0;
fail:
    ipcx__close(fd);
    ipcx__close(pfd);
    free(f);
    return rc;
}

/*
 * A read end reports POLLHUP only once a writer has come and gone since it
 * was opened (the kernel compares the writers' arrival count with the one it
 * saw at open), which is exactly the end of file a blocking open would give.
 */
static bool hung_up(int fd)
{
    struct ipcx__deadline now;
    ipcx__deadline_init(&now, IPCX_NOWAIT);
    int r = ipcx__poll1(fd, POLLIN, &now);
    return r > 0 && (r & POLLHUP);
}

IPCX_API ssize_t ipcx_fifo_read(struct ipcx_fifo *f, void *buf, size_t len, int timeout_ms)
{
    struct ipcx__deadline d;
    int rc = ipcx__pipeio_begin(f ? &f->io : NULL, buf, len, timeout_ms, &d);
    if (rc < 0)
        return rc;
    for (;;) {
        ssize_t n = ipcx__pipeio_read(&f->io, buf, len, &d);
        if (n != 0 || len == 0)
            return ipcx__deadline_map(n, timeout_ms);
        if (hung_up(f->io.io_fd))
            return 0;
        /* No writer has come yet: wait for data or a writer's departure. */
        int r = ipcx__poll1(f->io.io_fd, POLLIN, &d);
        if (r < 0)
            return ipcx__deadline_map(r, timeout_ms);
    }
}

IPCX_API ssize_t ipcx_fifo_write(struct ipcx_fifo *f, const void *buf, size_t len, int timeout_ms)
{
    return ipcx__pipeio_write_call(f ? &f->io : NULL, buf, len, false, NULL, timeout_ms);
}

IPCX_API ssize_t ipcx_fifo_write_all(struct ipcx_fifo *f, const void *buf, size_t len, size_t *done,
                                     int timeout_ms)
{
    return ipcx__pipeio_write_call(f ? &f->io : NULL, buf, len, true, done, timeout_ms);
}

IPCX_API int ipcx_fifo_get_capacity(const struct ipcx_fifo *f)
{
    return ipcx__pipeio_get_capacity(f ? &f->io : NULL);
}

IPCX_API int ipcx_fifo_set_capacity(struct ipcx_fifo *f, size_t bytes)
{
    return ipcx__pipeio_set_capacity(f ? &f->io : NULL, bytes);
}

IPCX_API int ipcx_fifo_fd(const struct ipcx_fifo *f)
{
    return f ? f->io.fd : -1;
}

IPCX_API void ipcx_fifo_close(struct ipcx_fifo *f)
{
    if (!f)
        return;
    ipcx__pipeio_close(&f->io);
    free(f);
}

IPCX_API int ipcx_fifo_unlink(const char *path)
{
    int rc = check_path(path);
    if (rc < 0)
        return rc;
    struct stat st;
    if (lstat(path, &st) < 0)
        return ipcx__errno();
    rc = fifo_type(&st);
    if (rc < 0)
        return rc;
    return unlink(path) < 0 ? ipcx__errno() : 0;
}
