/* SPDX-License-Identifier: MIT */
/*
 * sys/posixname.h: validation of the names of POSIX IPC objects (message
 * queues, shared memory, semaphores), done before any system call so that a
 * bad name has a clear error and no side effect.
 */
#ifndef IPCX_SYS_POSIXNAME_H
#define IPCX_SYS_POSIXNAME_H

/*
 * A valid name is "/" followed by 1 to NAME_MAX (255) characters, none of
 * them '/', and not "." or "..". Returns 0, IPCX_EINVAL (NULL, empty, no
 * leading slash, an inner slash, "/", "/.", "/..") or IPCX_ENAMETOOLONG.
 */
int ipcx__posix_name_check(const char *name);

#endif
