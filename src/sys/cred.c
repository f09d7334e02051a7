/* SPDX-License-Identifier: MIT */
/*
 * sys/cred.c: the credentials policy: who a listener admits. The decision
 * reads user and group ids only, as the kernel recorded them for the
 * connection; a process id is never part of it (it can be reused by the
 * time anyone looks at it). Pure functions, no system calls but geteuid().
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/cred.h"
#include "sys/err.h"

#define KNOWN_FLAGS (IPCX_CRED_ANY | IPCX_CRED_SAME_UID | IPCX_CRED_ROOT)

int ipcx__cred_policy_valid(const struct ipcx_cred_policy *p)
{
    if (!p)
        return 0;
    if (p->flags & ~KNOWN_FLAGS)
        return IPCX_EINVAL;
    if ((p->nuids && !p->uids) || (p->ngids && !p->gids))
        return IPCX_EINVAL;
    return 0;
}

static void *dup_array(const void *src, size_t n, size_t size)
{
    if (n == 0)
        return NULL;
    void *p = calloc(n, size);
    if (p)
        memcpy(p, src, n * size);
    return p;
}

int ipcx__cred_policy_copy(struct ipcx_cred_policy *dst, const struct ipcx_cred_policy *src)
{
    memset(dst, 0, sizeof *dst);
    int rc = ipcx__cred_policy_valid(src);
    if (rc < 0 || !src)
        return rc;
    uid_t *uids = dup_array(src->uids, src->nuids, sizeof *uids);
    gid_t *gids = dup_array(src->gids, src->ngids, sizeof *gids);
    if ((src->nuids && !uids) || (src->ngids && !gids)) {
        free(uids);
        free(gids);
        return IPCX_ENOMEM;
    }
    dst->uids = uids;
    dst->nuids = src->nuids;
    dst->gids = gids;
    dst->ngids = src->ngids;
    dst->flags = src->flags;
    return 0;
}

void ipcx__cred_policy_free(struct ipcx_cred_policy *p)
{
    free((void *)p->uids);
    free((void *)p->gids);
    memset(p, 0, sizeof *p);
}

bool ipcx__cred_policy_wants_groups(const struct ipcx_cred_policy *p)
{
    return p && p->ngids > 0 && !(p->flags & IPCX_CRED_ANY);
}

static bool has_gid(const struct ipcx_cred_policy *p, gid_t g)
{
    for (size_t i = 0; i < p->ngids; i++)
        if (p->gids[i] == g)
            return true;
    return false;
}

int ipcx__cred_check_groups(const struct ipcx_cred_policy *p, const struct ipcx_cred *c,
                            const gid_t *groups, size_t ngroups)
{
    if (!c || ipcx__cred_policy_valid(p) < 0 || (ngroups && !groups))
        return IPCX_EINVAL;
    uid_t self = geteuid();
    if (!p || (p->nuids == 0 && p->ngids == 0)) {
        /* The default admits the caller's own uid; flags may widen it. */
        unsigned flags = p ? p->flags : 0;
        if (flags & IPCX_CRED_ANY)
            return 0;
        if (c->uid == self || ((flags & IPCX_CRED_ROOT) && c->uid == 0))
            return 0;
        return IPCX_EPOLICY;
    }
    if (p->flags & IPCX_CRED_ANY)
        return 0;
    if ((p->flags & IPCX_CRED_SAME_UID) && c->uid == self)
        return 0;
    if ((p->flags & IPCX_CRED_ROOT) && c->uid == 0)
        return 0;
    for (size_t i = 0; i < p->nuids; i++)
        if (p->uids[i] == c->uid)
            return 0;
    if (has_gid(p, c->gid))
        return 0;
    for (size_t i = 0; i < ngroups; i++)
        if (has_gid(p, groups[i]))
            return 0;
    return IPCX_EPOLICY;
}

IPCX_API int ipcx_cred_check(const struct ipcx_cred_policy *policy, const struct ipcx_cred *cred)
{
    return ipcx__cred_check_groups(policy, cred, NULL, 0);
}
