/* SPDX-License-Identifier: MIT */
/*
 * sys/err.h: turning the C library's errno into ipcx codes.
 *
 * Every system call in the library reports through these helpers, so that
 * the one place where a kernel errno could mean something the library names
 * differently is here. Today the mapping is the identity (ipcx codes equal
 * -errno), with EWOULDBLOCK folded into EAGAIN.
 */
#ifndef IPCX_SYS_ERR_H
#define IPCX_SYS_ERR_H

#include <errno.h>
#include <ipcx/error.h>

/* The ipcx code for errno value `e` (e > 0). */
static inline int ipcx__err(int e)
{
    if (e == EWOULDBLOCK)
        return IPCX_EAGAIN;
    return e > 0 ? -e : IPCX_EIO;
}

/* The ipcx code for the current errno. */
static inline int ipcx__errno(void)
{
    return ipcx__err(errno);
}

#endif
