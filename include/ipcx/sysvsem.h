/* SPDX-License-Identifier: MIT */
/*
 * ipcx/sysvsem.h: System V semaphore sets.
 *
 * A set holds nsems semaphores (values 0..32767) and lives in the kernel
 * until removed, reached by a key (from ftok(3), or IPCX_SYSVSEM_PRIVATE
 * for a set known only by its id). What only System V offers:
 *   - several operations on several semaphores applied atomically: all of
 *     them at once, or none and the caller waits;
 *   - IPCX_SYSVSEM_UNDO: the kernel reverses an operation when the process
 *     that made it ends, however it ends (SIGKILL included), so units held
 *     by a dead process come back.
 *
 * Waits take a timeout (semtimedop); an unmet wait is IPCX_ETIMEDOUT,
 * IPCX_NOWAIT included. A set removed while a process waits on it wakes the
 * waiter with IPCX_EIDRM. Signals neither end a wait early nor extend it.
 *
 * Thread safety: every call may be made from any number of threads at
 * once, except close. Undo adjustments belong to the process (all threads
 * share them).
 *
 * fork: the child inherits a copy of the handle, but not the parent's undo
 * adjustments. exec: the handle is gone, undo adjustments stay with the
 * process; reopen the set by key or id.
 */
#ifndef IPCX_SYSVSEM_H
#define IPCX_SYSVSEM_H

#include <stddef.h>
#include <sys/types.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ipcx_sysvsem;

/* The key of a new private set (IPC_PRIVATE), reached by its id. */
#define IPCX_SYSVSEM_PRIVATE ((key_t)0)

/* The largest value of a System V semaphore (SEMVMX). */
#define IPCX_SYSVSEM_VALUE_MAX 32767

/* ipcx_sysvsem_op.flags: undo the operation when this process ends. */
#define IPCX_SYSVSEM_UNDO 0x1u

/* One operation of an atomic group. */
struct ipcx_sysvsem_op {
    unsigned short num; /* which semaphore of the set (0..nsems-1) */
    short delta;        /* > 0: add; < 0: take, waiting for enough; 0: wait for zero */
    unsigned flags;     /* IPCX_SYSVSEM_UNDO or 0 */
};

/* Options; zero-initialise, zero means the default. */
struct ipcx_sysvsem_opts {
    /* Permission bits of the created set (<= 0777); 0 means 0600. */
    unsigned mode;
};

/*
 * Creates a set of `nsems` semaphores under `key`, exclusively
 * (IPCX_EEXIST if the key is taken), with initial `values` (nsems entries,
 * NULL: all 0). The set is complete before any ipcx_sysvsem_open() can
 * return it. Errors: IPCX_EINVAL (NULL, nsems 0 or above SEMMSL, bad
 * opts), IPCX_ERANGE (a value above IPCX_SYSVSEM_VALUE_MAX), IPCX_EEXIST,
 * IPCX_ENOSPC (SEMMNI/SEMMNS). Persists until ipcx_sysvsem_unlink(); the
 * handle is released with ipcx_sysvsem_close().
 */
IPCX_API int ipcx_sysvsem_create(struct ipcx_sysvsem **out, key_t key, unsigned nsems,
                                 const unsigned short *values,
                                 const struct ipcx_sysvsem_opts *opts);

/*
 * Opens the set of `key` (not IPCX_SYSVSEM_PRIVATE). `nsems` is the size
 * its creator declared, or 0 to accept any (IPCX_ERANGE when it differs).
 * IPCX_ENOENT when no set has the key; IPCX_EAGAIN when the set exists but
 * its creator has not yet set its initial values (retry). Release with
 * ipcx_sysvsem_close().
 */
IPCX_API int ipcx_sysvsem_open(struct ipcx_sysvsem **out, key_t key, unsigned nsems);

/* As ipcx_sysvsem_open(), by id (IPCX_EINVAL or IPCX_EIDRM if none). */
IPCX_API int ipcx_sysvsem_open_id(struct ipcx_sysvsem **out, int semid, unsigned nsems);

/*
 * Applies the `nops` operations atomically: either all at once, or none
 * while the call waits (up to timeout_ms) until all can be. Returns 0,
 * IPCX_ETIMEDOUT, IPCX_EIDRM (the set was removed), IPCX_EINVAL (NULL, nops
 * 0, a num out of range, unknown flags), IPCX_E2BIG (more operations than
 * SEMOPM), IPCX_ERANGE (a value would pass IPCX_SYSVSEM_VALUE_MAX),
 * IPCX_EACCES, IPCX_ENOMEM (undo structure).
 */
IPCX_API int ipcx_sysvsem_apply(struct ipcx_sysvsem *s, const struct ipcx_sysvsem_op *ops,
                                size_t nops, int timeout_ms);

/* The value of semaphore `num` (>= 0), or a negative code. */
IPCX_API int ipcx_sysvsem_get(struct ipcx_sysvsem *s, unsigned num);

/*
 * Sets semaphore `num` to `value` (<= IPCX_SYSVSEM_VALUE_MAX, else
 * IPCX_ERANGE), waking waiters it satisfies. The kernel forgets every
 * process's undo adjustment for that semaphore.
 */
IPCX_API int ipcx_sysvsem_set(struct ipcx_sysvsem *s, unsigned num, int value);

/*
 * How many processes wait on semaphore `num`: for it to grow (*ncount) and
 * for it to be zero (*zcount); either pointer may be NULL.
 */
IPCX_API int ipcx_sysvsem_waiters(struct ipcx_sysvsem *s, unsigned num, int *ncount, int *zcount);

/* The set's id (for ipcx_sysvsem_open_id() in another process). */
IPCX_API int ipcx_sysvsem_id(const struct ipcx_sysvsem *s);

/* The number of semaphores in the set. */
IPCX_API unsigned ipcx_sysvsem_count(const struct ipcx_sysvsem *s);

/*
 * Removes the set at once (IPC_RMID): waiters wake with IPCX_EIDRM, every
 * later call on any handle to it fails. Its key is free again.
 */
IPCX_API int ipcx_sysvsem_unlink(struct ipcx_sysvsem *s);

/*
 * Releases the handle (NULL is ignored); the set stays, and so do this
 * process's undo adjustments (they apply when the process ends).
 */
IPCX_API void ipcx_sysvsem_close(struct ipcx_sysvsem *s);

#ifdef __cplusplus
}
#endif

#endif
