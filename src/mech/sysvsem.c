/* SPDX-License-Identifier: MIT */
/*
 * mech/sysvsem.c: System V semaphore sets: atomic groups of operations,
 * SEM_UNDO, and waits bounded by semtimedop().
 *
 * semget() makes a set with every value at 0 and setting the initial values
 * is a second call, so another process can find a set whose values are not
 * set yet. The creator therefore finishes with one operation that leaves
 * the values as they are (+1 then -1 on semaphore 0, in one atomic call):
 * the kernel stamps sem_otime, and an opener refuses a set whose sem_otime
 * is still 0 with IPCX_EAGAIN.
 *
 * semtimedop() takes a relative timeout, so each retry after EINTR gets
 * what is left of the caller's deadline. Its time-out is reported as
 * EAGAIN, the same errno as an IPC_NOWAIT refusal: both become
 * IPCX_ETIMEDOUT once the deadline agrees that the time is up.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>

#include <ipcx/error.h>
#include <ipcx/sysvsem.h>

#include "sys/deadline.h"
#include "sys/err.h"

#define DEFAULT_MODE 0600u
/* More operations than this in one call are refused before allocating;
 * the kernel's own limit (SEMOPM, 500 by default) is lower still. */
#define OPS_MAX 4096
/* Operations up to this many are converted on the stack. */
#define OPS_STACK 32

/* The caller defines this union for semctl() (SUSv3). */
union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

struct ipcx_sysvsem {
    int id;
    unsigned nsems;
};

static int handle_new(struct ipcx_sysvsem **out, int id, unsigned nsems)
{
    struct ipcx_sysvsem *s = malloc(sizeof *s);
    if (!s)
        return IPCX_ENOMEM;
    s->id = id;
    s->nsems = nsems;
    *out = s;
    return 0;
}

/* Stamps sem_otime without changing any value (see the top of the file). */
static int mark_ready(int id, unsigned short first_value)
{
    struct sembuf up = {0, 1, IPC_NOWAIT}, down = {0, -1, IPC_NOWAIT};
    struct sembuf ops[2];
    /* +1 first unless that would pass the maximum; -1 first needs a unit. */
    if (first_value < IPCX_SYSVSEM_VALUE_MAX) {
        ops[0] = up;
        ops[1] = down;
    } else {
        ops[0] = down;
        ops[1] = up;
    }
    while (semop(id, ops, 2) < 0) {
        if (errno != EINTR)
            return ipcx__errno();
    }
    return 0;
}

IPCX_API int ipcx_sysvsem_create(struct ipcx_sysvsem **out, key_t key, unsigned nsems,
                                 const unsigned short *values, const struct ipcx_sysvsem_opts *opts)
{
    if (!out || nsems == 0 || nsems > INT32_MAX)
        return IPCX_EINVAL;
    unsigned mode = DEFAULT_MODE;
    if (opts) {
        if (opts->mode > 0777u)
            return IPCX_EINVAL;
        if (opts->mode)
            mode = opts->mode;
    }
    if (values)
        for (unsigned i = 0; i < nsems; i++)
            if (values[i] > IPCX_SYSVSEM_VALUE_MAX)
                return IPCX_ERANGE;

    int rc;
    /* The mode is used as given: System V ignores the umask. */
    int id = semget(key, (int)nsems, IPC_CREAT | IPC_EXCL | (int)mode);
    if (id < 0)
        return ipcx__errno();
    if (values) {
        union semun arg = {.array = (unsigned short *)values};
        if (semctl(id, 0, SETALL, arg) < 0) {
            rc = ipcx__errno();
            goto fail;
        }
    }
    if ((rc = mark_ready(id, values ? values[0] : 0)) < 0)
        goto fail;
    if ((rc = handle_new(out, id, nsems)) < 0)
        goto fail;
    return 0;
fail:
    semctl(id, 0, IPC_RMID);
    return rc;
}

IPCX_API int ipcx_sysvsem_open_id(struct ipcx_sysvsem **out, int semid, unsigned nsems)
{
    if (!out || semid < 0)
        return IPCX_EINVAL;
    struct semid_ds ds;
    union semun arg = {.buf = &ds};
    if (semctl(semid, 0, IPC_STAT, arg) < 0)
        return ipcx__errno();
    if (nsems && ds.sem_nsems != nsems)
        return IPCX_ERANGE;
    if (ds.sem_otime == 0)
        return IPCX_EAGAIN; /* its creator has not finished it */
    return handle_new(out, semid, (unsigned)ds.sem_nsems);
}

IPCX_API int ipcx_sysvsem_open(struct ipcx_sysvsem **out, key_t key, unsigned nsems)
{
    if (!out || key == IPC_PRIVATE)
        return IPCX_EINVAL;
    int id = semget(key, 0, 0);
    if (id < 0)
        return ipcx__errno();
    return ipcx_sysvsem_open_id(out, id, nsems);
}

/* Runs semtimedop() until it succeeds, fails for good, or the deadline passes. */
static int apply_until(int id, struct sembuf *ops, size_t nops, const struct ipcx__deadline *d)
{
    for (;;) {
        struct timespec left, *tp = NULL;
        if (ipcx__deadline_remaining_ts(d, &left))
            tp = &left;
        if (semtimedop(id, ops, nops, tp) == 0)
            return 0;
        if (errno == EINTR || errno == EAGAIN) {
            if (ipcx__deadline_expired(d))
                return IPCX_ETIMEDOUT;
            continue; /* interrupted or woke early: wait for what is left */
        }
        return ipcx__errno();
    }
}

IPCX_API int ipcx_sysvsem_apply(struct ipcx_sysvsem *s, const struct ipcx_sysvsem_op *ops,
                                size_t nops, int timeout_ms)
{
    struct ipcx__deadline d;
    if (!s || !ops || nops == 0 || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    if (nops > OPS_MAX)
        return IPCX_E2BIG;
    for (size_t i = 0; i < nops; i++)
        if (ops[i].num >= s->nsems || (ops[i].flags & ~IPCX_SYSVSEM_UNDO))
            return IPCX_EINVAL;

    struct sembuf stack[OPS_STACK], *sb = stack;
    if (nops > OPS_STACK && !(sb = calloc(nops, sizeof *sb)))
        return IPCX_ENOMEM;
    bool nowait = timeout_ms == 0;
    for (size_t i = 0; i < nops; i++) {
        sb[i].sem_num = ops[i].num;
        sb[i].sem_op = ops[i].delta;
        sb[i].sem_flg = (short)(((ops[i].flags & IPCX_SYSVSEM_UNDO) ? SEM_UNDO : 0) |
                                (nowait ? IPC_NOWAIT : 0));
    }
    int rc = apply_until(s->id, sb, nops, &d);
    if (sb != stack)
        free(sb);
    return rc;
}

IPCX_API int ipcx_sysvsem_get(struct ipcx_sysvsem *s, unsigned num)
{
    if (!s || num >= s->nsems)
        return IPCX_EINVAL;
    int v = semctl(s->id, (int)num, GETVAL);
    return v < 0 ? ipcx__errno() : v;
}

IPCX_API int ipcx_sysvsem_set(struct ipcx_sysvsem *s, unsigned num, int value)
{
    if (!s || num >= s->nsems || value < 0)
        return IPCX_EINVAL;
    if (value > IPCX_SYSVSEM_VALUE_MAX)
        return IPCX_ERANGE;
    union semun arg = {.val = value};
    return semctl(s->id, (int)num, SETVAL, arg) < 0 ? ipcx__errno() : 0;
}

IPCX_API int ipcx_sysvsem_waiters(struct ipcx_sysvsem *s, unsigned num, int *ncount, int *zcount)
{
    if (!s || num >= s->nsems)
        return IPCX_EINVAL;
    if (ncount) {
        int n = semctl(s->id, (int)num, GETNCNT);
        if (n < 0)
            return ipcx__errno();
        *ncount = n;
    }
    if (zcount) {
        int z = semctl(s->id, (int)num, GETZCNT);
        if (z < 0)
            return ipcx__errno();
        *zcount = z;
    }
    return 0;
}

IPCX_API int ipcx_sysvsem_id(const struct ipcx_sysvsem *s)
{
    return s ? s->id : IPCX_EINVAL;
}

IPCX_API unsigned ipcx_sysvsem_count(const struct ipcx_sysvsem *s)
{
    return s ? s->nsems : 0;
}

IPCX_API int ipcx_sysvsem_unlink(struct ipcx_sysvsem *s)
{
    if (!s)
        return IPCX_EINVAL;
    return semctl(s->id, 0, IPC_RMID) < 0 ? ipcx__errno() : 0;
}

IPCX_API void ipcx_sysvsem_close(struct ipcx_sysvsem *s)
{
    free(s);
}
