/* SPDX-License-Identifier: MIT */
/*
 * sys/fileid.h: a file's identity (device and inode), so that a name the
 * library created is removed later only while it still names that very
 * file, never whatever someone put at the path in between.
 */
#ifndef IPCX_SYS_FILEID_H
#define IPCX_SYS_FILEID_H

#include <stdint.h>

struct ipcx__fileid {
    uint64_t dev;
    uint64_t ino;
};

/* The identity of the file open at `fd`. Returns 0 or a negative code. */
int ipcx__fileid_of_fd(int fd, struct ipcx__fileid *out);

/*
 * Unlinks `path` if it names (without following a final symbolic link)
 * the file `id`. Returns 0 when it was removed, IPCX_ENOENT when the path
 * names nothing, IPCX_EEXIST when it names something else (left alone), or
 * the unlink's error. Keeps errno. A path replaced between the check and
 * the unlink by someone with write access to the directory can still be
 * removed: the kernel has no unlink-if-inode.
 */
int ipcx__fileid_unlink(const char *path, const struct ipcx__fileid *id);

#endif
