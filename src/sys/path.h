/* SPDX-License-Identifier: MIT */
/*
 * sys/path.h: validation of the filesystem paths callers give the library
 * (mapped files, lock files), done before any system call so that a bad
 * path has a clear error and no side effect.
 */
#ifndef IPCX_SYS_PATH_H
#define IPCX_SYS_PATH_H

/*
 * A usable path is non-empty and shorter than PATH_MAX bytes (the kernel's
 * limit, terminating NUL included). Returns 0, IPCX_EINVAL (NULL or "") or
 * IPCX_ENAMETOOLONG. Never reads more than PATH_MAX bytes of `path`.
 */
int ipcx__path_check(const char *path);

#endif
