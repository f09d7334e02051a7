/* SPDX-License-Identifier: MIT */
/*
 * sys/cred.h: the credentials policy, for the objects that keep one and
 * for the socket helpers that check a peer against it (sys/cmsg.h).
 */
#ifndef IPCX_SYS_CRED_H
#define IPCX_SYS_CRED_H

#include <stdbool.h>

#include <ipcx/cred.h>

/* Checks the policy's own shape (flags, lists). Returns 0 or IPCX_EINVAL. */
int ipcx__cred_policy_valid(const struct ipcx_cred_policy *p);

/*
 * Copies `src` (NULL: the default policy) into `dst` with arrays of its
 * own, so that an object can keep a policy the caller only lent it. Returns
 * 0, IPCX_EINVAL or IPCX_ENOMEM (then `dst` holds nothing to free).
 */
int ipcx__cred_policy_copy(struct ipcx_cred_policy *dst, const struct ipcx_cred_policy *src);

/* Frees the arrays of a policy made by ipcx__cred_policy_copy(). */
void ipcx__cred_policy_free(struct ipcx_cred_policy *p);

/* True when the policy needs the peer's supplementary groups to decide. */
bool ipcx__cred_policy_wants_groups(const struct ipcx_cred_policy *p);

/*
 * ipcx_cred_check() with the peer's supplementary groups as well (`groups`
 * may be NULL when `ngroups` is 0). Returns 0, IPCX_EPOLICY or IPCX_EINVAL.
 */
int ipcx__cred_check_groups(const struct ipcx_cred_policy *p, const struct ipcx_cred *c,
                            const gid_t *groups, size_t ngroups);

#endif
