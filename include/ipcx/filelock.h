/* SPDX-License-Identifier: MIT */
/*
 * ipcx/filelock.h: record locks: shared or exclusive locks on byte ranges
 * of a file, between processes.
 *
 * The locks are open-file-description locks (F_OFD_SETLK): they belong to
 * the file as this handle opened it, not to the process. So, unlike classic
 * POSIX record locks, closing some other descriptor of the same file does
 * not drop them, and two handles in one process conflict like two
 * processes. Locks are released by ipcx_filelock_unlock(), by closing the
 * handle, and by the kernel when the holder dies (however it dies).
 * Conflicts follow POSIX: a shared lock conflicts with an exclusive one on
 * an overlapping range, an exclusive lock with any lock on an overlapping
 * range; locks taken through the same handle never conflict with each
 * other, they replace each other (a range can be upgraded, downgraded,
 * split). Locks are advisory: they bind only those who ask for them.
 *
 * Waiting: the kernel has no timed form of F_OFD_SETLKW. IPCX_FOREVER
 * blocks in the kernel (F_OFD_SETLKW, woken as soon as the range is free;
 * the kernel does no deadlock detection for these locks). A
 * finite timeout retries F_OFD_SETLK with a backoff that starts at 50 us
 * and doubles up to 2 ms between attempts, never past the deadline: a
 * waiter costs at most ~500 wake-ups a second, learns of a release within
 * 2 ms, and can lose the race to a blocked (IPCX_FOREVER) waiter. An unmet
 * wait returns IPCX_ETIMEDOUT, IPCX_NOWAIT included.
 *
 * Thread safety: calls on one handle may come from several threads; they
 * act on the same locks (the handle's). close must not race with them.
 *
 * fork: the child inherits the descriptor, hence the same open file
 * description and the same locks: what one unlocks is unlocked for both,
 * and a lock lasts until both have closed it. For independent locking each
 * process opens the file itself. exec: the descriptor is close-on-exec;
 * locks held only through it are released.
 */
#ifndef IPCX_FILELOCK_H
#define IPCX_FILELOCK_H

#include <sys/types.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ipcx_filelock;

/* Kinds of lock. */
#define IPCX_FILELOCK_SHARED    1 /* many holders (read) */
#define IPCX_FILELOCK_EXCLUSIVE 2 /* one holder (write) */

/* opts->flags: open the file read-only (then only shared locks are possible). */
#define IPCX_FILELOCK_RDONLY 0x1u

/* Options; zero-initialise, zero means the default. */
struct ipcx_filelock_opts {
    /* Permission bits of a created file (<= 0777); 0 means 0600. */
    unsigned mode;
    /* IPCX_FILELOCK_RDONLY; unknown bits are IPCX_EINVAL. */
    unsigned flags;
};

/*
 * Creates the regular file `path` (exclusive, never through a symbolic
 * link, mode set explicitly) and opens it for locking, read-write.
 * Errors: IPCX_EINVAL, IPCX_ENAMETOOLONG, IPCX_EEXIST, IPCX_EACCES,
 * IPCX_ENOENT (no such directory). The file persists; the handle is
 * released with ipcx_filelock_close().
 */
IPCX_API int ipcx_filelock_create(struct ipcx_filelock **out, const char *path,
                                  const struct ipcx_filelock_opts *opts);

/*
 * Opens the existing file `path` for locking (read-write unless
 * IPCX_FILELOCK_RDONLY), never through a symbolic link (IPCX_ELOOP);
 * anything but a regular file is IPCX_ENODEV. Each open is a separate
 * owner of locks. Release with ipcx_filelock_close().
 */
IPCX_API int ipcx_filelock_open(struct ipcx_filelock **out, const char *path,
                                const struct ipcx_filelock_opts *opts);

/*
 * Locks bytes [start, start + len) (len 0: from start to the end of any
 * file size, however it grows) as `type` (IPCX_FILELOCK_SHARED or
 * _EXCLUSIVE), waiting up to timeout_ms for conflicting locks of other
 * owners to go. The range may lie past the end of the file. Replaces any
 * lock this handle holds on the range. Returns 0, IPCX_ETIMEDOUT,
 * IPCX_EINVAL (bad type, negative start or len, timeout), IPCX_EOVERFLOW
 * (range end past the largest offset), IPCX_EBADF (exclusive lock on a
 * read-only handle), IPCX_ENOLCK (kernel lock table full).
 */
IPCX_API int ipcx_filelock_lock(struct ipcx_filelock *fl, off_t start, off_t len, int type,
                                int timeout_ms);

/* Unlocks bytes [start, start + len) (len 0: to the end) held by this handle. */
IPCX_API int ipcx_filelock_unlock(struct ipcx_filelock *fl, off_t start, off_t len);

/*
 * Whether `type` could be locked on [start, start + len) now, by this
 * handle: 0 when it could, otherwise the kind of a conflicting lock held
 * by another owner (IPCX_FILELOCK_SHARED or _EXCLUSIVE), or a negative
 * code. A snapshot: the answer can change at once.
 */
IPCX_API int ipcx_filelock_test(struct ipcx_filelock *fl, off_t start, off_t len, int type);

/*
 * The handle's descriptor, to read and write the file the locks protect.
 * Owned by the handle: do not close it. A duplicate of it (dup, fork,
 * SCM_RIGHTS) shares the handle's locks and keeps them alive, after
 * ipcx_filelock_close() too, until it is closed as well.
 */
IPCX_API int ipcx_filelock_fd(const struct ipcx_filelock *fl);

/*
 * Closes the handle and so releases its locks, unless a duplicate of its
 * descriptor lives on elsewhere (see ipcx_filelock_fd()). NULL is ignored.
 */
IPCX_API void ipcx_filelock_close(struct ipcx_filelock *fl);

#ifdef __cplusplus
}
#endif

#endif
