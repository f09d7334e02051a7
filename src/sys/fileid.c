/* SPDX-License-Identifier: MIT */
/*
 * sys/fileid.c: file identities and the careful unlink (see fileid.h).
 */
#include <sys/stat.h>
#include <unistd.h>

#include "sys/err.h"
#include "sys/fileid.h"

int ipcx__fileid_of_fd(int fd, struct ipcx__fileid *out)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ipcx__errno();
    out->dev = (uint64_t)st.st_dev;
    out->ino = (uint64_t)st.st_ino;
    return 0;
}

int ipcx__fileid_unlink(const char *path, const struct ipcx__fileid *id)
{
    int saved = errno;
    struct stat st;
    int rc = 0;
    if (lstat(path, &st) < 0)
        rc = ipcx__errno();
    else if ((uint64_t)st.st_dev != id->dev || (uint64_t)st.st_ino != id->ino)
        rc = IPCX_EEXIST;
    else if (unlink(path) < 0)
        rc = ipcx__errno();
    errno = saved;
    return rc;
}
