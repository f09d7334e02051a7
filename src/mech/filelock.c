/* SPDX-License-Identifier: MIT */
/*
 * mech/filelock.c: byte-range record locks with open-file-description
 * semantics (F_OFD_SETLK, F_OFD_SETLKW, F_OFD_GETLK).
 *
 * Classic POSIX record locks (F_SETLK) belong to the process and vanish
 * when it closes any descriptor of the file, which a library cannot
 * control: some other part of the program opening and closing the same
 * file would silently drop our locks. OFD locks belong to the open file
 * description this handle made, so only its own close releases them.
 *
 * Time-outs. There is no timed F_OFD_SETLKW, and the ways to interrupt one
 * at a deadline all involve a signal (a timer, pthread_kill) and thus a
 * handler, which the library never installs. So a finite wait polls:
 * F_OFD_SETLK, and on conflict a sys/backoff.h sleep on CLOCK_MONOTONIC
 * (absolute, so EINTR costs nothing) that starts at 50 us and doubles up
 * to 2 ms, cut short at the deadline, where one last attempt is made. A
 * longer cap than the 1 ms default: a lock file is seldom hot, and half
 * the wake-ups of a long wait cost less than a release noticed 1 ms
 * sooner would gain. Short conflicts
 * are caught within microseconds, a long wait costs at most about 500
 * attempts a second (a few microseconds of CPU each), and a release is
 * noticed within 2 ms. IPCX_FOREVER has no deadline to honour and simply
 * blocks in F_OFD_SETLKW, which the kernel wakes on release.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ipcx/error.h>
#include <ipcx/filelock.h>

#include "sys/backoff.h"
#include "sys/deadline.h"
#include "sys/err.h"
#include "sys/fd.h"
#include "sys/path.h"

#define DEFAULT_MODE 0600u
/* The sleeps between attempts of a timed lock (see the top of the file). */
#define BACKOFF_FIRST_NS (50 * 1000LL)
#define BACKOFF_CAP_NS   (2 * IPCX__NS_PER_MS)

struct ipcx_filelock {
    int fd;
};

static int read_opts(const struct ipcx_filelock_opts *opts, unsigned *mode, unsigned *flags)
{
    *mode = DEFAULT_MODE;
    *flags = 0;
    if (!opts)
        return 0;
    if (opts->mode > 0777u || (opts->flags & ~IPCX_FILELOCK_RDONLY))
        return IPCX_EINVAL;
    if (opts->mode)
        *mode = opts->mode;
    *flags = opts->flags;
    return 0;
}

static int handle_new(struct ipcx_filelock **out, int fd)
{
    struct ipcx_filelock *fl = malloc(sizeof *fl);
    if (!fl)
        return IPCX_ENOMEM;
    fl->fd = fd;
    *out = fl;
    return 0;
}

IPCX_API int ipcx_filelock_create(struct ipcx_filelock **out, const char *path,
                                  const struct ipcx_filelock_opts *opts)
{
    unsigned mode, flags;
    int rc;
    if (!out)
        return IPCX_EINVAL;
    if ((rc = ipcx__path_check(path)) < 0 || (rc = read_opts(opts, &mode, &flags)) < 0)
        return rc;
    if (flags & IPCX_FILELOCK_RDONLY)
        return IPCX_EINVAL; /* a file we create is ours to write */
    int fd =
        open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, DEFAULT_MODE);
    if (fd < 0)
        return ipcx__errno();
    if (fchmod(fd, (mode_t)mode) < 0) {
        rc = ipcx__errno();
        goto fail;
    }
    if ((rc = handle_new(out, fd)) < 0)
        goto fail;
    return 0;
fail:
    unlink(path);
    ipcx__close(fd);
    return rc;
}

IPCX_API int ipcx_filelock_open(struct ipcx_filelock **out, const char *path,
                                const struct ipcx_filelock_opts *opts)
{
    unsigned mode, flags;
    int rc;
    if (!out)
        return IPCX_EINVAL;
    if ((rc = ipcx__path_check(path)) < 0 || (rc = read_opts(opts, &mode, &flags)) < 0)
        return rc;
    int access = (flags & IPCX_FILELOCK_RDONLY) ? O_RDONLY : O_RDWR;
    /* O_NONBLOCK keeps a FIFO under the path from hanging the open (it is
     * cleared again once the file is known to be a regular one); O_NOCTTY
     * keeps a terminal from becoming the caller's controlling terminal. */
    int fd = open(path, access | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return ipcx__errno();
    struct stat st;
    if (fstat(fd, &st) < 0) {
        rc = ipcx__errno();
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = IPCX_ENODEV;
        goto fail;
    }
    if ((rc = ipcx__fd_set_nonblock(fd, false)) < 0 || (rc = handle_new(out, fd)) < 0)
        goto fail;
    return 0;
fail:
    ipcx__close(fd);
    return rc;
}

/* A range as struct flock, checked: start >= 0, len >= 0, end representable. */
static int make_flock(struct flock *f, short type, off_t start, off_t len)
{
    if (start < 0 || len < 0)
        return IPCX_EINVAL;
    if (len > 0 && start > (off_t)INT64_MAX - len + 1)
        return IPCX_EOVERFLOW;
    memset(f, 0, sizeof *f);
    f->l_type = type;
    f->l_whence = SEEK_SET;
    f->l_start = start;
    f->l_len = len;
    f->l_pid = 0; /* required for OFD locks */
    return 0;
}

static int lock_type(int type, short *out)
{
    switch (type) {
    case IPCX_FILELOCK_SHARED:
        *out = F_RDLCK;
        return 0;
    case IPCX_FILELOCK_EXCLUSIVE:
        *out = F_WRLCK;
        return 0;
    default:
        return IPCX_EINVAL;
    }
}

/* One attempt: 0, 1 on conflict, or a negative code. */
static int try_once(int fd, struct flock *f)
{
    for (;;) {
        if (fcntl(fd, F_OFD_SETLK, f) == 0)
            return 0;
        if (errno == EAGAIN || errno == EACCES)
            return 1;
        if (errno != EINTR)
            return ipcx__errno();
    }
}

IPCX_API int ipcx_filelock_lock(struct ipcx_filelock *fl, off_t start, off_t len, int type,
                                int timeout_ms)
{
    struct ipcx__deadline d;
    struct flock f;
    short t;
    int rc;
    if (!fl || lock_type(type, &t) < 0 || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    if ((rc = make_flock(&f, t, start, len)) < 0)
        return rc;

    if (ipcx__deadline_is_forever(&d)) {
        while (fcntl(fl->fd, F_OFD_SETLKW, &f) < 0) {
            if (errno != EINTR)
                return ipcx__errno();
        }
        return 0;
    }
    struct ipcx__backoff b;
    ipcx__backoff_init(&b, BACKOFF_FIRST_NS, BACKOFF_CAP_NS);
    for (;;) {
        if ((rc = try_once(fl->fd, &f)) <= 0)
            return rc;
        /* IPCX_ETIMEDOUT once the deadline has passed; the last sleep ends
         * at the deadline itself, so one more attempt is made there. */
        if ((rc = ipcx__backoff_sleep(&b, &d)) < 0)
            return rc;
    }
}

IPCX_API int ipcx_filelock_unlock(struct ipcx_filelock *fl, off_t start, off_t len)
{
    struct flock f;
    int rc;
    if (!fl)
        return IPCX_EINVAL;
    if ((rc = make_flock(&f, F_UNLCK, start, len)) < 0)
        return rc;
    return fcntl(fl->fd, F_OFD_SETLK, &f) < 0 ? ipcx__errno() : 0;
}

IPCX_API int ipcx_filelock_test(struct ipcx_filelock *fl, off_t start, off_t len, int type)
{
    struct flock f;
    short t;
    int rc;
    if (!fl || lock_type(type, &t) < 0)
        return IPCX_EINVAL;
    if ((rc = make_flock(&f, t, start, len)) < 0)
        return rc;
    if (fcntl(fl->fd, F_OFD_GETLK, &f) < 0)
        return ipcx__errno();
    switch (f.l_type) {
    case F_UNLCK:
        return 0;
    case F_RDLCK:
        return IPCX_FILELOCK_SHARED;
    default:
        return IPCX_FILELOCK_EXCLUSIVE;
    }
}

IPCX_API int ipcx_filelock_fd(const struct ipcx_filelock *fl)
{
    return fl ? fl->fd : IPCX_EINVAL;
}

IPCX_API void ipcx_filelock_close(struct ipcx_filelock *fl)
{
    if (!fl)
        return;
    ipcx__close(fl->fd);
    free(fl);
}
