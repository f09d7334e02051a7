/* SPDX-License-Identifier: MIT */
/*
 * sys/path.c: path validation. The kernel would report an over-long path
 * as ENAMETOOLONG too, but only after the caller's flags took effect
 * elsewhere; checking first keeps every constructor free of side effects
 * on bad input.
 */
#include <limits.h>
#include <string.h>

#include "sys/err.h"
#include "sys/path.h"

int ipcx__path_check(const char *path)
{
    if (!path || !path[0])
        return IPCX_EINVAL;
    if (strnlen(path, PATH_MAX) >= PATH_MAX)
        return IPCX_ENAMETOOLONG;
    return 0;
}
