/* SPDX-License-Identifier: MIT */
/*
 * sys/posixname.c: POSIX IPC name validation. The kernel's own checks differ
 * per object type and report some bad names as ENOENT or EACCES; checking
 * here gives every family the same rules and the same errors.
 */
#include <limits.h>
#include <string.h>

#include "sys/err.h"
#include "sys/posixname.h"

int ipcx__posix_name_check(const char *name)
{
    if (!name || name[0] != '/')
        return IPCX_EINVAL;
    const char *rest = name + 1;
    size_t len = strnlen(rest, NAME_MAX + 1);
    if (len == 0)
        return IPCX_EINVAL;
    if (len > NAME_MAX)
        return IPCX_ENAMETOOLONG;
    if (memchr(rest, '/', len))
        return IPCX_EINVAL;
    if (!strcmp(rest, ".") || !strcmp(rest, ".."))
        return IPCX_EINVAL;
    return 0;
}
