/* SPDX-License-Identifier: MIT */
/*
 * sys/procfs.c: one positive number from a /proc file. Plain open() and
 * read() into a small stack buffer (no stdio, no allocation), so it may be
 * called from any thread at any time; the descriptor is close-on-exec for
 * the instant it exists.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "sys/err.h"
#include "sys/fd.h"
#include "sys/procfs.h"

int ipcx__procfs_long(const char *path, long *out)
{
    int fd;
    while ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (fd < 0)
        return ipcx__errno();
    char buf[32];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf - 1)) < 0 && errno == EINTR)
        ;
    int rc = n < 0 ? ipcx__errno() : 0;
    ipcx__close(fd);
    if (rc < 0)
        return rc;
    buf[n] = '\0';
    /* Only digits: no sign, no leading blanks strtol would skip. */
    if (!isdigit((unsigned char)buf[0]))
        return IPCX_EINVAL;
    char *end;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (errno == ERANGE || v <= 0 || (*end != '\0' && !isspace((unsigned char)*end)))
        return IPCX_EINVAL;
    *out = v;
    return 0;
}
