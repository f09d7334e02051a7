/* SPDX-License-Identifier: MIT */
/*
 * ipcx/lock.h: locks that live in a shared region: a robust mutex, a
 * condition variable and a read-write lock, all process-shared.
 *
 * These objects are the memory they occupy: a struct ipcx_mutex (cond,
 * rwlock) is placed in the structure that lays out a region, initialised
 * once by one process (ipcx_mutex_init), used in place by every process
 * that maps the region, at whatever address, and ended with
 * ipcx_mutex_destroy. There is no handle to allocate or close, hence
 * init/destroy rather than create/close. Never copy one. All processes must
 * run with the same C library. Each object carries a magic word: using
 * memory that holds no initialised object gives IPCX_EINVAL rather than
 * undefined behaviour, and initialising a live one gives IPCX_EBUSY.
 *
 * The mutex is robust. When its owner dies (SIGKILL, crash, exit, exec)
 * while holding it, the next ipcx_mutex_lock() (or ipcx_cond_wait())
 * acquires it and returns IPCX_EOWNERDEAD: the caller now holds the lock,
 * the data it protects may be half-updated, and the caller must repair that
 * data, then call ipcx_mutex_consistent(), then ipcx_mutex_unlock(). If it
 * unlocks without marking it consistent (or dies too: then the next locker
 * gets IPCX_EOWNERDEAD again), the mutex becomes unrecoverable and every
 * later lock returns IPCX_ENOTRECOVERABLE at once, until it is destroyed
 * and initialised again. The library never marks a mutex consistent on the
 * caller's behalf. The mutex is also error-checking: relocking it from the
 * owning thread gives IPCX_EDEADLK, unlocking it from another thread gives
 * IPCX_EPERM.
 *
 * The condition variable keeps no record of its waiters in shared memory:
 * a process killed while it waits blocks no later signal, broadcast or
 * destroy. A waiter killed at the very moment a signal picked it swallows
 * that one signal; prefer ipcx_cond_broadcast() where waiters can die, and
 * re-check the predicate after every wake-up. The read-write lock is not
 * robust: a process that dies holding it leaves it held, and later lockers
 * time out (IPCX_ETIMEDOUT) rather than learn of it.
 *
 * Timeouts: every lock and wait takes timeout_ms, measured on
 * CLOCK_MONOTONIC; an unmet wait returns IPCX_ETIMEDOUT, IPCX_NOWAIT
 * included. Signals neither end a wait early nor extend it.
 *
 * Thread safety: every call may be made by any thread of any process that
 * maps the object, except init and destroy, which must not race with
 * anything on the same object. Locks are owned by a thread, not a process.
 *
 * fork: the child sees the same object (the region is shared) but holds no
 * lock the parent holds. exec: locks held by the process are released as
 * when it dies (the mutex reports IPCX_EOWNERDEAD); the region is reopened
 * and the object used in place, never initialised again.
 */
#ifndef IPCX_LOCK_H
#define IPCX_LOCK_H

#include <stdint.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A robust, process-shared mutex: 64 bytes, 8-byte aligned. */
struct ipcx_mutex {
    uint64_t opaque[8];
};

/*
 * A process-shared condition variable on CLOCK_MONOTONIC: 64 bytes. It is
 * not bound to a mutex: each wait names the mutex that guards its
 * predicate.
 */
struct ipcx_cond {
    uint64_t opaque[8];
};

/* A process-shared read-write lock preferring writers: 64 bytes. */
struct ipcx_rwlock {
    uint64_t opaque[8];
};

/*
 * Initialises a mutex in place (unlocked, consistent). Errors: IPCX_EINVAL
 * (NULL), IPCX_EBUSY (`m` already holds a mutex: destroy it first),
 * IPCX_ENOMEM.
 */
IPCX_API int ipcx_mutex_init(struct ipcx_mutex *m);

/*
 * Locks the mutex, waiting up to timeout_ms. Returns:
 *   0                     locked;
 *   IPCX_EOWNERDEAD       locked, but the previous owner died holding it:
 *                         repair the data, ipcx_mutex_consistent(), unlock;
 *   IPCX_ENOTRECOVERABLE  not locked: a previous IPCX_EOWNERDEAD was never
 *                         repaired; the mutex is unusable;
 *   IPCX_ETIMEDOUT        not locked in time (IPCX_NOWAIT included);
 *   IPCX_EDEADLK          this thread already holds it;
 *   IPCX_EINVAL           NULL, bad timeout, or no mutex at `m`.
 */
IPCX_API int ipcx_mutex_lock(struct ipcx_mutex *m, int timeout_ms);

/*
 * Declares the state protected by a mutex repaired after IPCX_EOWNERDEAD;
 * only the thread whose ipcx_mutex_lock() (or ipcx_cond_wait()) returned
 * IPCX_EOWNERDEAD may, and it still unlocks the mutex afterwards. Errors:
 * IPCX_EPERM (another thread, in this or another process, holds the mutex
 * after IPCX_EOWNERDEAD and is the one to repair it), IPCX_EINVAL (no
 * repair is pending: the mutex is consistent, unrecoverable, or `m` holds
 * no mutex). Threads are told apart by their kernel thread ids, so all
 * processes using the mutex must share a PID namespace (as the kernel's
 * robust-mutex protocol requires anyway).
 */
IPCX_API int ipcx_mutex_consistent(struct ipcx_mutex *m);

/*
 * Unlocks. IPCX_EPERM when this thread does not hold it. Unlocking after
 * IPCX_EOWNERDEAD without ipcx_mutex_consistent() makes the mutex
 * unrecoverable (see the top of this file).
 */
IPCX_API int ipcx_mutex_unlock(struct ipcx_mutex *m);

/*
 * Ends a mutex (unlocked, nobody waiting); the memory may then be
 * initialised again, which is also how an unrecoverable mutex is put back
 * in service. IPCX_EINVAL when `m` holds no mutex.
 */
IPCX_API int ipcx_mutex_destroy(struct ipcx_mutex *m);

/* Initialises a condition variable in place. IPCX_EBUSY if `c` holds one. */
IPCX_API int ipcx_cond_init(struct ipcx_cond *c);

/*
 * Atomically unlocks `m` (held by the caller) and waits up to timeout_ms for
 * a signal or broadcast on `c`, then locks `m` again before returning. The
 * deadline bounds the whole call, the relock included: after a wake-up or
 * a time-out the mutex is taken again if it can be had by the deadline (a
 * free mutex always can, even past it). Returns, with `m` held:
 *   0                     woken (wake-ups can be spurious: re-check the
 *                         predicate);
 *   IPCX_ETIMEDOUT        no wake-up in time;
 *   IPCX_EOWNERDEAD       the mutex's owner died meanwhile: repair as for
 *                         ipcx_mutex_lock();
 * and with `m` NOT held:
 *   IPCX_EBUSY            another thread or process held `m` past the
 *                         deadline, so it could not be retaken in time
 *                         (woken or not: re-lock and re-check);
 *   IPCX_ENOTRECOVERABLE  `m` became unrecoverable;
 *   IPCX_EPERM            the caller did not hold `m` (nothing was done);
 *   IPCX_EINVAL           NULL, bad timeout, no object at `c` or `m`.
 */
IPCX_API int ipcx_cond_wait(struct ipcx_cond *c, struct ipcx_mutex *m, int timeout_ms);

/*
 * Wakes at least one waiter, if any (one that has not yet gone to sleep
 * may wake too). Never blocks. The caller need not hold the mutex, but
 * must have changed the predicate under it.
 */
IPCX_API int ipcx_cond_signal(struct ipcx_cond *c);

/* Wakes every waiter. Never blocks. */
IPCX_API int ipcx_cond_broadcast(struct ipcx_cond *c);

/*
 * Ends a condition variable (nobody waiting); the memory may be initialised
 * again. Never blocks, even if a waiter was killed while waiting.
 */
IPCX_API int ipcx_cond_destroy(struct ipcx_cond *c);

/*
 * Initialises a read-write lock in place. A waiting writer keeps new
 * readers out, so readers cannot starve writers. IPCX_EBUSY if `rw` holds
 * one.
 */
IPCX_API int ipcx_rwlock_init(struct ipcx_rwlock *rw);

/*
 * Takes a read (shared) lock, waiting up to timeout_ms. Returns 0,
 * IPCX_ETIMEDOUT, IPCX_EDEADLK (this thread holds the write lock),
 * IPCX_EAGAIN (too many readers), IPCX_EINVAL. Not recursive when a writer
 * waits: a thread must not take a second read lock it could wait for.
 */
IPCX_API int ipcx_rwlock_rdlock(struct ipcx_rwlock *rw, int timeout_ms);

/*
 * Takes the write (exclusive) lock, waiting up to timeout_ms. Returns 0,
 * IPCX_ETIMEDOUT, IPCX_EDEADLK (this thread holds the write lock),
 * IPCX_EINVAL. A thread that holds a read lock and asks for the write lock
 * waits for itself: no upgrade, it times out.
 */
IPCX_API int ipcx_rwlock_wrlock(struct ipcx_rwlock *rw, int timeout_ms);

/*
 * Releases the lock this thread holds (read or write). Releasing a lock
 * the thread does not hold is undefined: the lock keeps no list of readers.
 */
IPCX_API int ipcx_rwlock_unlock(struct ipcx_rwlock *rw);

/* Ends a read-write lock (unlocked, nobody waiting). */
IPCX_API int ipcx_rwlock_destroy(struct ipcx_rwlock *rw);

#ifdef __cplusplus
}
#endif

#endif
