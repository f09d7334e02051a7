/* SPDX-License-Identifier: MIT */
/*
 * sys/procfs.h: reading the kernel's tunables (/proc/sys/...), such as the
 * System V msgmax or the POSIX queue defaults.
 *
 * These files may be missing (no /proc in a container or a chroot) or
 * unreadable; callers decide what that means for them, so a failure is a
 * code, never a guessed value.
 */
#ifndef IPCX_SYS_PROCFS_H
#define IPCX_SYS_PROCFS_H

/*
 * Reads the first number of the file at `path`, which must be a positive
 * decimal integer that fits a long. Returns 0 and stores it in *out, or a
 * negative code: the open's or read's error (IPCX_ENOENT when /proc is not
 * mounted, IPCX_EACCES, ...), IPCX_EINVAL when the file does not start
 * with a positive number. Does not block (procfs files answer at once).
 */
int ipcx__procfs_long(const char *path, long *out);

#endif
