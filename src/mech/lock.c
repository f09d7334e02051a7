/* SPDX-License-Identifier: MIT */
/*
 * mech/lock.c: the robust process-shared mutex, the condition variable and
 * the read-write lock that live in a region. The mutex and the read-write
 * lock are the C library's pthread objects with PTHREAD_PROCESS_SHARED;
 * the condition variable is the library's own, a sequence word and a futex
 * (src/sys/futex.h).
 *
 * The robustness comes from the kernel: each thread registers a list of the
 * robust mutexes it holds, and when the thread ends the kernel marks each
 * one "owner died" and wakes a waiter. That waiter's lock returns
 * EOWNERDEAD, and everything else (repair, pthread_mutex_consistent, or
 * the mutex turning ENOTRECOVERABLE) is left to the caller on purpose.
 *
 * Why not pthread_cond_t: glibc's condition variable (2.25 and later)
 * splits its waiters into two groups, and a signal or broadcast that has to
 * switch groups first waits until every waiter of the old group has
 * confirmed its wake-up. A waiter killed inside pthread_cond_wait() never
 * confirms, so a later signal or broadcast blocks forever, with no timeout.
 * The condition variable here keeps no per-waiter state in shared memory:
 * a waiter reads the sequence word while it holds the mutex, unlocks, and
 * sleeps on the word as long as it still holds that value; a signal or a
 * broadcast increments the word and wakes one or every sleeper. A waiter
 * that dies leaves nothing behind but a futex sleeper the kernel removes.
 *
 * Timed waits use absolute CLOCK_MONOTONIC deadlines (pthread_*_clock*
 * calls, FUTEX_WAIT_BITSET), so a wall-clock change cannot move them and a
 * retry after a signal keeps the original deadline.
 *
 * Each object sits next to a magic word in the 64 bytes the public header
 * reserves (layout in docs/design/sync.md). The magic is written last on
 * init and cleared first on destroy, so memory that holds no object (a
 * fresh zero-filled region, say, which glibc would take for a valid
 * non-robust, process-private mutex) is refused with EINVAL.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include <ipcx/error.h>
#include <ipcx/lock.h>

#include "sys/deadline.h"
#include "sys/err.h"
#include "sys/futex.h"

#define MUTEX_MAGIC 0x58544d58u /* "XMTX" */
/* Layout version 2 of the condition variable (version 1, "XCND", held a
 * pthread_cond_t): a new magic, so that memory holding the old layout is
 * refused with EINVAL rather than misread. */
#define COND_MAGIC   0x324e4358u /* "XCN2" */
#define RWLOCK_MAGIC 0x4c575258u /* "XRWL" */

struct mutex_cell {
    _Atomic uint32_t magic;
    /* The thread (kernel thread id) whose lock returned EOWNERDEAD and that
     * must repair the data, 0 when there is nothing to repair. */
    _Atomic uint32_t repairer;
    pthread_mutex_t m;
};

struct cond_cell {
    _Atomic uint32_t magic;
    /* The futex word: incremented by every signal and broadcast. Accessed
     * with the __atomic built-ins, as the futex calls take a plain word. */
    uint32_t seq;
};

struct rwlock_cell {
    _Atomic uint32_t magic;
    uint32_t reserved;
    pthread_rwlock_t rw;
};

#define FITS(cell, pub)                                                           \
    _Static_assert(sizeof(struct cell) <= sizeof(struct pub), #pub " too small"); \
    _Static_assert(_Alignof(struct cell) <= _Alignof(struct pub), #pub " under-aligned")
FITS(mutex_cell, ipcx_mutex);
FITS(cond_cell, ipcx_cond);
FITS(rwlock_cell, ipcx_rwlock);

/* The cell behind a public object, or NULL when it holds no live one. */
static struct mutex_cell *mutex_of(struct ipcx_mutex *m)
{
    struct mutex_cell *c = (struct mutex_cell *)m;
    if (!c || atomic_load_explicit(&c->magic, memory_order_acquire) != MUTEX_MAGIC)
        return NULL;
    return c;
}

static struct cond_cell *cond_of(struct ipcx_cond *cv)
{
    struct cond_cell *c = (struct cond_cell *)cv;
    if (!c || atomic_load_explicit(&c->magic, memory_order_acquire) != COND_MAGIC)
        return NULL;
    return c;
}

static struct rwlock_cell *rwlock_of(struct ipcx_rwlock *rw)
{
    struct rwlock_cell *c = (struct rwlock_cell *)rw;
    if (!c || atomic_load_explicit(&c->magic, memory_order_acquire) != RWLOCK_MAGIC)
        return NULL;
    return c;
}

/* A pthread result (an errno value, or 0) as an ipcx code. */
static int from_pthread(int e)
{
    return e == 0 ? 0 : ipcx__err(e);
}

/* The result of a try-lock: "busy" is an unmet wait like any other. */
static int from_trylock(int e)
{
    return e == EBUSY ? IPCX_ETIMEDOUT : from_pthread(e);
}

/* ---- mutex ---- */

/*
 * This thread's id as the kernel knows it, which is also what the robust
 * mutex's lock word holds. Only asked for when a repair is pending.
 */
static uint32_t self_id(void)
{
    return (uint32_t)gettid();
}

IPCX_API int ipcx_mutex_init(struct ipcx_mutex *m)
{
    struct mutex_cell *c = (struct mutex_cell *)m;
    if (!c)
        return IPCX_EINVAL;
    if (atomic_load_explicit(&c->magic, memory_order_acquire) == MUTEX_MAGIC)
        return IPCX_EBUSY;
    pthread_mutexattr_t a;
    int e = pthread_mutexattr_init(&a);
    if (e)
        return from_pthread(e);
    if (!(e = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) &&
        !(e = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) &&
        !(e = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK)))
        e = pthread_mutex_init(&c->m, &a);
    pthread_mutexattr_destroy(&a);
    if (e)
        return from_pthread(e);
    atomic_store_explicit(&c->repairer, 0, memory_order_relaxed);
    atomic_store_explicit(&c->magic, MUTEX_MAGIC, memory_order_release);
    return 0;
}

/*
 * Locks until the deadline. IPCX_NOWAIT is a clocklock with a deadline
 * already reached, never pthread_mutex_trylock(): on a robust mutex that is
 * unrecoverable, glibc's trylock (2.36 at least) returns ENOTRECOVERABLE
 * but leaves the lock word holding the caller's id, so the mutex then looks
 * held by the caller (EDEADLK) and blocks every other process until the
 * caller dies. The timed path releases the word as it should.
 */
static int mutex_lock_until(struct mutex_cell *c, const struct ipcx__deadline *d)
{
    struct timespec abs;
    int e;
    if (ipcx__deadline_abs_monotonic(d, &abs))
        e = pthread_mutex_clocklock(&c->m, CLOCK_MONOTONIC, &abs);
    else
        e = pthread_mutex_lock(&c->m);
    if (e == EOWNERDEAD)
        atomic_store_explicit(&c->repairer, self_id(), memory_order_release);
    return from_pthread(e);
}

static int mutex_unlock(struct mutex_cell *c)
{
    /* The repairer gives up its claim with the lock (made consistent or
     * not). Read first: the common case, no repair pending, costs no
     * system call. */
    uint32_t r = atomic_load_explicit(&c->repairer, memory_order_acquire);
    if (r != 0 && r == self_id())
        atomic_store_explicit(&c->repairer, 0, memory_order_release);
    return from_pthread(pthread_mutex_unlock(&c->m));
}

IPCX_API int ipcx_mutex_lock(struct ipcx_mutex *m, int timeout_ms)
{
    struct mutex_cell *c = mutex_of(m);
    struct ipcx__deadline d;
    if (!c || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    return mutex_lock_until(c, &d);
}

/*
 * glibc's pthread_mutex_consistent() checks only that the mutex is in the
 * owner-died state, not that the caller holds it: any thread of any
 * process could declare the data repaired while the real holder is still
 * repairing it (and glibc would then take that thread for the owner, so
 * the real holder's unlock fails). Only the thread recorded when its lock
 * returned EOWNERDEAD gets through.
 */
IPCX_API int ipcx_mutex_consistent(struct ipcx_mutex *m)
{
    struct mutex_cell *c = mutex_of(m);
    if (!c)
        return IPCX_EINVAL;
    uint32_t r = atomic_load_explicit(&c->repairer, memory_order_acquire);
    if (r == 0)
        return IPCX_EINVAL; /* nothing to repair */
    if (r != self_id())
        return IPCX_EPERM; /* another thread holds it and repairs */
    int rc = from_pthread(pthread_mutex_consistent(&c->m));
    if (rc == 0)
        atomic_store_explicit(&c->repairer, 0, memory_order_release);
    return rc;
}

IPCX_API int ipcx_mutex_unlock(struct ipcx_mutex *m)
{
    struct mutex_cell *c = mutex_of(m);
    if (!c)
        return IPCX_EINVAL;
    return mutex_unlock(c);
}

IPCX_API int ipcx_mutex_destroy(struct ipcx_mutex *m)
{
    struct mutex_cell *c = mutex_of(m);
    if (!c)
        return IPCX_EINVAL;
    int e = pthread_mutex_destroy(&c->m);
    if (e)
        return from_pthread(e);
    atomic_store_explicit(&c->magic, 0, memory_order_release);
    return 0;
}

/* ---- condition variable ---- */

IPCX_API int ipcx_cond_init(struct ipcx_cond *cv)
{
    struct cond_cell *c = (struct cond_cell *)cv;
    if (!c)
        return IPCX_EINVAL;
    if (atomic_load_explicit(&c->magic, memory_order_acquire) == COND_MAGIC)
        return IPCX_EBUSY;
    __atomic_store_n(&c->seq, 0, __ATOMIC_RELAXED);
    atomic_store_explicit(&c->magic, COND_MAGIC, memory_order_release);
    return 0;
}

/*
 * The sequence is read while the caller still holds the mutex. Whoever
 * changes the predicate and then signals takes the mutex after that read
 * (it is released only below), so its increment comes after it: the futex
 * wait either finds the word changed and returns at once, or is asleep
 * when the wake-up comes. Nothing is lost between the unlock and the
 * sleep. The one blind spot is a word that wraps all the way round, 2^32
 * signals, between the read and the sleep.
 */
IPCX_API int ipcx_cond_wait(struct ipcx_cond *cv, struct ipcx_mutex *m, int timeout_ms)
{
    struct cond_cell *c = cond_of(cv);
    struct mutex_cell *mc = mutex_of(m);
    struct ipcx__deadline d;
    if (!c || !mc || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    uint32_t seen = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
    int rc = mutex_unlock(mc);
    if (rc < 0)
        return rc; /* IPCX_EPERM: the caller does not hold the mutex */
    int waited = ipcx__futex_wait(&c->seq, seen, &d, true);
    /* The mutex is retaken under the same deadline, also after a time-out
     * (an expired deadline still takes a free mutex). */
    rc = mutex_lock_until(mc, &d);
    if (rc == IPCX_ETIMEDOUT)
        return IPCX_EBUSY; /* another holder kept it past the deadline: not held */
    if (rc < 0)
        return rc; /* IPCX_EOWNERDEAD (held) or IPCX_ENOTRECOVERABLE (not held) */
    /* Any other futex error is taken as a spurious wake-up: the caller
     * re-checks its predicate anyway. */
    return waited == IPCX_ETIMEDOUT ? IPCX_ETIMEDOUT : 0;
}

/* Every signal and broadcast moves the word, so a waiter between its read
 * and its sleep does not fall asleep on a stale value. */
static int cond_wake(struct cond_cell *c, int count)
{
    __atomic_fetch_add(&c->seq, 1, __ATOMIC_RELEASE);
    int n = ipcx__futex_wake(&c->seq, count, true);
    return n < 0 ? n : 0;
}

IPCX_API int ipcx_cond_signal(struct ipcx_cond *cv)
{
    struct cond_cell *c = cond_of(cv);
    if (!c)
        return IPCX_EINVAL;
    return cond_wake(c, 1);
}

IPCX_API int ipcx_cond_broadcast(struct ipcx_cond *cv)
{
    struct cond_cell *c = cond_of(cv);
    if (!c)
        return IPCX_EINVAL;
    return cond_wake(c, INT32_MAX);
}

IPCX_API int ipcx_cond_destroy(struct ipcx_cond *cv)
{
    struct cond_cell *c = cond_of(cv);
    if (!c)
        return IPCX_EINVAL;
    /* The object owns nothing outside its own bytes and keeps no record of
     * its waiters, so ending it never waits for anyone. */
    atomic_store_explicit(&c->magic, 0, memory_order_release);
    return 0;
}

/* ---- read-write lock ---- */

IPCX_API int ipcx_rwlock_init(struct ipcx_rwlock *rw)
{
    struct rwlock_cell *c = (struct rwlock_cell *)rw;
    if (!c)
        return IPCX_EINVAL;
    if (atomic_load_explicit(&c->magic, memory_order_acquire) == RWLOCK_MAGIC)
        return IPCX_EBUSY;
    pthread_rwlockattr_t a;
    int e = pthread_rwlockattr_init(&a);
    if (e)
        return from_pthread(e);
    if (!(e = pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) &&
        !(e = pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP)))
        e = pthread_rwlock_init(&c->rw, &a);
    pthread_rwlockattr_destroy(&a);
    if (e)
        return from_pthread(e);
    c->reserved = 0;
    atomic_store_explicit(&c->magic, RWLOCK_MAGIC, memory_order_release);
    return 0;
}

IPCX_API int ipcx_rwlock_rdlock(struct ipcx_rwlock *rw, int timeout_ms)
{
    struct rwlock_cell *c = rwlock_of(rw);
    struct ipcx__deadline d;
    if (!c || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    if (timeout_ms == IPCX_NOWAIT)
        return from_trylock(pthread_rwlock_tryrdlock(&c->rw));
    struct timespec abs;
    if (!ipcx__deadline_abs_monotonic(&d, &abs))
        return from_pthread(pthread_rwlock_rdlock(&c->rw));
    return from_pthread(pthread_rwlock_clockrdlock(&c->rw, CLOCK_MONOTONIC, &abs));
}

IPCX_API int ipcx_rwlock_wrlock(struct ipcx_rwlock *rw, int timeout_ms)
{
    struct rwlock_cell *c = rwlock_of(rw);
    struct ipcx__deadline d;
    if (!c || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    if (timeout_ms == IPCX_NOWAIT)
        return from_trylock(pthread_rwlock_trywrlock(&c->rw));
    struct timespec abs;
    if (!ipcx__deadline_abs_monotonic(&d, &abs))
        return from_pthread(pthread_rwlock_wrlock(&c->rw));
    return from_pthread(pthread_rwlock_clockwrlock(&c->rw, CLOCK_MONOTONIC, &abs));
}

IPCX_API int ipcx_rwlock_unlock(struct ipcx_rwlock *rw)
{
    struct rwlock_cell *c = rwlock_of(rw);
    if (!c)
        return IPCX_EINVAL;
    return from_pthread(pthread_rwlock_unlock(&c->rw));
}

IPCX_API int ipcx_rwlock_destroy(struct ipcx_rwlock *rw)
{
    struct rwlock_cell *c = rwlock_of(rw);
    if (!c)
        return IPCX_EINVAL;
    int e = pthread_rwlock_destroy(&c->rw);
    if (e)
        return from_pthread(e);
    atomic_store_explicit(&c->magic, 0, memory_order_release);
    return 0;
}
