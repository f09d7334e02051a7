/* SPDX-License-Identifier: MIT */
/*
 * ipcx/sem.h: POSIX counting semaphores, named or placed in a region.
 *
 * A named semaphore ("/name") lives in the kernel (a file in /dev/shm)
 * until unlinked; any process that knows the name may open it. An unnamed
 * semaphore lives in memory the caller provides inside a shared region
 * (struct ipcx_sem_mem, see <ipcx/region.h>) and lives as long as that
 * region: every process that maps the region reaches it. Both are used
 * through the same handle and the same calls.
 *
 * Waiting: ipcx_sem_wait() takes a timeout and reports an unmet wait as
 * IPCX_ETIMEDOUT, IPCX_NOWAIT included; ipcx_sem_trywait() is the
 * non-blocking form and says IPCX_EAGAIN, like sem_trywait(3). Signals
 * neither end a wait early nor extend it. A semaphore has no owner: a
 * process that dies after taking a unit does not give it back (use a
 * System V set with IPCX_SYSVSEM_UNDO, <ipcx/sysvsem.h>, for that).
 *
 * Thread safety: wait, trywait, post and value may be called from any
 * number of threads and processes at once. close must not race with other
 * calls on the same handle.
 *
 * fork: the child inherits the mapping and a copy of the handle, usable and
 * to be closed in the child. exec: a named semaphore is opened again by
 * name; an unnamed one by mapping its region and ipcx_sem_open_in().
 */
#ifndef IPCX_SEM_H
#define IPCX_SEM_H

#include <stdint.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ipcx_sem;

/*
 * Room for one unnamed semaphore inside a region: put it in the structure
 * that describes the region's layout. 64 bytes, 8-byte aligned; all
 * processes using it must run with the same C library.
 */
struct ipcx_sem_mem {
    uint64_t opaque[8];
};

/* The largest value a semaphore can hold (SEM_VALUE_MAX). */
#define IPCX_SEM_VALUE_MAX 2147483647u

/* Options; zero-initialise, zero means the default. */
struct ipcx_sem_opts {
    /* Permission bits of a created named semaphore (<= 0777); 0 means 0600. */
    unsigned mode;
};

/*
 * Creates the named semaphore `name` ("/name": one leading slash, no other,
 * at most 251 characters after it) with `value` units, exclusively (a
 * symbolic link under the name counts as existing), with the mode from
 * opts set explicitly. Errors: IPCX_EINVAL (NULL, bad name, value above
 * IPCX_SEM_VALUE_MAX, bad opts), IPCX_ENAMETOOLONG, IPCX_EEXIST,
 * IPCX_EACCES, IPCX_ENOMEM, IPCX_EMFILE. Persists until
 * ipcx_sem_unlink(); the handle is released with ipcx_sem_close().
 */
IPCX_API int ipcx_sem_create(struct ipcx_sem **out, const char *name, unsigned value,
                             const struct ipcx_sem_opts *opts);

/*
 * Opens the existing named semaphore `name` (not through a symbolic link:
 * IPCX_ELOOP). IPCX_ENOENT when there is none. Release with
 * ipcx_sem_close().
 */
IPCX_API int ipcx_sem_open(struct ipcx_sem **out, const char *name);

/*
 * Initialises an unnamed, process-shared semaphore with `value` units in
 * `mem` (inside a shared region) and returns a handle to it. `mem` must
 * not hold a live semaphore (IPCX_EBUSY; ipcx_sem_destroy_in() first).
 * Other processes attach with ipcx_sem_open_in(). The handle is released
 * with ipcx_sem_close(), which leaves the semaphore in place.
 */
IPCX_API int ipcx_sem_create_in(struct ipcx_sem **out, struct ipcx_sem_mem *mem, unsigned value);

/*
 * A handle to the semaphore initialised in `mem` by ipcx_sem_create_in()
 * (in this or another process). IPCX_EINVAL if `mem` holds none.
 */
IPCX_API int ipcx_sem_open_in(struct ipcx_sem **out, struct ipcx_sem_mem *mem);

/*
 * Ends the semaphore in `mem`: later ipcx_sem_open_in() calls fail, and the
 * memory may be initialised again. No handle to it may be in use, and no
 * process may be waiting on it.
 */
IPCX_API int ipcx_sem_destroy_in(struct ipcx_sem_mem *mem);

/*
 * Takes one unit, waiting up to timeout_ms for one to be posted. Returns 0,
 * IPCX_ETIMEDOUT (also for IPCX_NOWAIT when no unit is there), or
 * IPCX_EINVAL (bad timeout or handle).
 */
IPCX_API int ipcx_sem_wait(struct ipcx_sem *s, int timeout_ms);

/* Takes one unit if there is one: 0, or IPCX_EAGAIN. Never blocks. */
IPCX_API int ipcx_sem_trywait(struct ipcx_sem *s);

/* Adds one unit, waking a waiter. IPCX_EOVERFLOW at IPCX_SEM_VALUE_MAX. */
IPCX_API int ipcx_sem_post(struct ipcx_sem *s);

/* The current number of units (>= 0; a snapshot), or a negative code. */
IPCX_API int ipcx_sem_value(struct ipcx_sem *s);

/*
 * Removes the name of a named semaphore; handles that are open keep
 * working. 0 for an unnamed one (its region decides its life).
 */
IPCX_API int ipcx_sem_unlink(struct ipcx_sem *s);

/* Removes the named semaphore `name`. IPCX_ENOENT if there is none. */
IPCX_API int ipcx_sem_unlink_name(const char *name);

/*
 * Releases the handle (NULL is ignored). The semaphore itself stays: a
 * named one until unlinked, an unnamed one in its region.
 */
IPCX_API void ipcx_sem_close(struct ipcx_sem *s);

#ifdef __cplusplus
}
#endif

#endif
