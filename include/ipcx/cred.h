/* SPDX-License-Identifier: MIT */
/*
 * ipcx/cred.h: who is at the other end of a local connection, and whether
 * to let them in.
 *
 * The kernel records the credentials of a Unix socket's peer when the
 * connection is made (SO_PEERCRED); ipcx reports them as a struct ipcx_cred.
 * Authorisation is decided by user and group ids only. A process id is
 * reported for information and logging, never used to decide: by the time
 * it is read the process may have exited and its number been reused. Where
 * a process must be referred to safely, ask for a pidfd (see ipcx/unix.h).
 *
 * The policy is the same for every mechanism that checks peers: the Unix
 * sockets of ipcx/unix.h today, the connection-based transports later.
 */
#ifndef IPCX_CRED_H
#define IPCX_CRED_H

#include <stddef.h>
#include <sys/types.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A peer's credentials as the kernel saw them at connect time. */
struct ipcx_cred {
    pid_t pid; /* for information only; 0 if the peer is outside our pid namespace */
    uid_t uid; /* effective user id */
    gid_t gid; /* effective group id */
};

/* Policy flags. */
#define IPCX_CRED_ANY      0x1u /* admit every peer (an explicit choice, never a default) */
#define IPCX_CRED_SAME_UID 0x2u /* also admit the caller's effective uid when lists are given */
#define IPCX_CRED_ROOT     0x4u /* also admit uid 0 */

/*
 * Who may connect. Zero-initialised (or a NULL policy pointer) it admits
 * only peers whose uid is the caller's effective uid at the time of the
 * check. With lists, a peer is admitted when its uid is in `uids`, or its
 * gid is in `gids` (when checked on a Unix socket, the peer's supplementary
 * groups count too), or a flag admits it. Root is not special unless
 * IPCX_CRED_ROOT says so. The arrays are borrowed for each call that takes
 * the policy; objects that keep a policy keep their own copy.
 */
struct ipcx_cred_policy {
    const uid_t *uids;
    size_t nuids;
    const gid_t *gids;
    size_t ngids;
    unsigned flags; /* IPCX_CRED_* */
};

/*
 * Decides whether `cred` is admitted by `policy` (NULL: the default policy).
 * Returns 0 when admitted, IPCX_EPOLICY when refused, IPCX_EINVAL for a
 * NULL `cred`, unknown flags, or a list with a count but no array. Never
 * blocks; thread-safe. The pid in `cred` is ignored.
 */
IPCX_API int ipcx_cred_check(const struct ipcx_cred_policy *policy, const struct ipcx_cred *cred);

#ifdef __cplusplus
}
#endif

#endif
