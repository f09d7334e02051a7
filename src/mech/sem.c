/* SPDX-License-Identifier: MIT */
/*
 * mech/sem.c: POSIX semaphores, named (sem_open) or unnamed in a region
 * (sem_init with pshared = 1), behind one handle.
 *
 * Waits use sem_clockwait() on CLOCK_MONOTONIC with the caller's absolute
 * deadline, so an EINTR retry passes the same instant and a change of the
 * wall clock moves nothing. An unnamed semaphore's memory carries a magic
 * word next to the sem_t, written last when it is initialised: attaching to
 * memory that holds no semaphore (zeroes, garbage, a destroyed one) is
 * refused instead of silently behaving as a fresh semaphore.
 *
 * sem_open() applies the umask to the mode it is given. The file it created
 * is then given the requested mode explicitly: opened by path in /dev/shm
 * (where glibc keeps named semaphores as "sem.NAME") without following
 * links, and fchmod()ed, which needs no /proc.
 */
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ipcx/error.h>
#include <ipcx/sem.h>

#include "sys/deadline.h"
#include "sys/err.h"
#include "sys/fd.h"
#include "sys/posixname.h"

_Static_assert(IPCX_SEM_VALUE_MAX == SEM_VALUE_MAX, "value limit mirrors SEM_VALUE_MAX");

/* glibc names a semaphore's file "sem." + name: 4 bytes of NAME_MAX. */
#define SEM_NAME_MAX (NAME_MAX - 4)
#define SEM_DIR      "/dev/shm/sem."
#define DEFAULT_MODE 0600u
#define SEM_MAGIC    0x4d455358u /* "XSEM" */

/* The layout of struct ipcx_sem_mem (see docs/design/sync.md). */
struct sem_cell {
    _Atomic uint32_t magic;
    uint32_t reserved;
    sem_t sem;
};

_Static_assert(sizeof(struct sem_cell) <= sizeof(struct ipcx_sem_mem), "ipcx_sem_mem too small");
_Static_assert(_Alignof(struct sem_cell) <= _Alignof(struct ipcx_sem_mem),
               "ipcx_sem_mem under-aligned");

struct ipcx_sem {
    sem_t *sem;
    char *name; /* named: the name; unnamed: NULL */
};

/* The POSIX name rules, and glibc's shorter limit for semaphores. */
static int check_name(const char *name)
{
    int rc = ipcx__posix_name_check(name);
    if (rc < 0)
        return rc;
    if (strlen(name + 1) > SEM_NAME_MAX)
        return IPCX_ENAMETOOLONG;
    return 0;
}

static struct ipcx_sem *handle_new(sem_t *sem, const char *name)
{
    struct ipcx_sem *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->sem = sem;
    if (name && !(s->name = strdup(name))) {
        free(s);
        return NULL;
    }
    return s;
}

/*
 * Gives the file behind a just-created named semaphore its mode. The file
 * is opened without following a link and changed with fchmod(), not with
 * fchmodat(AT_SYMLINK_NOFOLLOW): glibc before 2.39 implements that flag
 * through /proc/self/fd, so it fails (ENOTSUP) where /proc is not mounted,
 * in minimal containers and chroots. Opening for reading is enough to
 * fchmod() a file one owns; O_NONBLOCK and O_NOCTTY make whatever might be
 * found there harmless to open, and anything but a regular file is refused.
 */
static int set_mode(const char *name, unsigned mode)
{
    char path[sizeof SEM_DIR + NAME_MAX];
    snprintf(path, sizeof path, "%s%s", SEM_DIR, name + 1);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return ipcx__errno();
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0)
        rc = ipcx__errno();
    else if (!S_ISREG(st.st_mode))
        rc = IPCX_ENODEV;
    else if (fchmod(fd, (mode_t)mode) < 0)
        rc = ipcx__errno();
    ipcx__close(fd);
    return rc;
}

IPCX_API int ipcx_sem_create(struct ipcx_sem **out, const char *name, unsigned value,
                             const struct ipcx_sem_opts *opts)
{
    int rc;
    if (!out || value > IPCX_SEM_VALUE_MAX)
        return IPCX_EINVAL;
    if ((rc = check_name(name)) < 0)
        return rc;
    unsigned mode = DEFAULT_MODE;
    if (opts) {
        if (opts->mode > 0777u)
            return IPCX_EINVAL;
        if (opts->mode)
            mode = opts->mode;
    }
    sem_t *sem = sem_open(name, O_CREAT | O_EXCL, (mode_t)DEFAULT_MODE, value);
    if (sem == SEM_FAILED)
        return ipcx__errno();
    struct ipcx_sem *s = NULL;
    if ((rc = set_mode(name, mode)) < 0)
        goto fail;
    if (!(s = handle_new(sem, name))) {
        rc = IPCX_ENOMEM;
        goto fail;
    }
    *out = s;
    return 0;
fail:
    sem_close(sem);
    sem_unlink(name);
    return rc;
}

IPCX_API int ipcx_sem_open(struct ipcx_sem **out, const char *name)
{
    int rc;
    if (!out)
        return IPCX_EINVAL;
    if ((rc = check_name(name)) < 0)
        return rc;
    /* glibc opens the file with O_NOFOLLOW: a link gives ELOOP. */
    sem_t *sem = sem_open(name, 0);
    if (sem == SEM_FAILED)
        return ipcx__errno();
    struct ipcx_sem *s = handle_new(sem, name);
    if (!s) {
        sem_close(sem);
        return IPCX_ENOMEM;
    }
    *out = s;
    return 0;
}

IPCX_API int ipcx_sem_create_in(struct ipcx_sem **out, struct ipcx_sem_mem *mem, unsigned value)
{
    if (!out || !mem || value > IPCX_SEM_VALUE_MAX)
        return IPCX_EINVAL;
    struct sem_cell *c = (struct sem_cell *)mem;
    if (atomic_load_explicit(&c->magic, memory_order_acquire) == SEM_MAGIC)
        return IPCX_EBUSY;
    struct ipcx_sem *s = handle_new(&c->sem, NULL);
    if (!s)
        return IPCX_ENOMEM;
    if (sem_init(&c->sem, 1, value) < 0) {
        int rc = ipcx__errno();
        free(s);
        return rc;
    }
    c->reserved = 0;
    atomic_store_explicit(&c->magic, SEM_MAGIC, memory_order_release);
    *out = s;
    return 0;
}

IPCX_API int ipcx_sem_open_in(struct ipcx_sem **out, struct ipcx_sem_mem *mem)
{
    if (!out || !mem)
        return IPCX_EINVAL;
    struct sem_cell *c = (struct sem_cell *)mem;
    if (atomic_load_explicit(&c->magic, memory_order_acquire) != SEM_MAGIC)
        return IPCX_EINVAL;
    struct ipcx_sem *s = handle_new(&c->sem, NULL);
    if (!s)
        return IPCX_ENOMEM;
    *out = s;
    return 0;
}

IPCX_API int ipcx_sem_destroy_in(struct ipcx_sem_mem *mem)
{
    if (!mem)
        return IPCX_EINVAL;
    struct sem_cell *c = (struct sem_cell *)mem;
    uint32_t want = SEM_MAGIC;
    if (!atomic_compare_exchange_strong(&c->magic, &want, 0))
        return IPCX_EINVAL;
    sem_destroy(&c->sem);
    return 0;
}

IPCX_API int ipcx_sem_wait(struct ipcx_sem *s, int timeout_ms)
{
    struct ipcx__deadline d;
    if (!s || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    struct timespec abs;
    bool limited = ipcx__deadline_abs_monotonic(&d, &abs);
    for (;;) {
        int r = limited ? sem_clockwait(s->sem, CLOCK_MONOTONIC, &abs) : sem_wait(s->sem);
        if (r == 0)
            return 0;
        if (errno == EINTR)
            continue; /* same absolute deadline */
        return errno == ETIMEDOUT ? IPCX_ETIMEDOUT : ipcx__errno();
    }
}

IPCX_API int ipcx_sem_trywait(struct ipcx_sem *s)
{
    if (!s)
        return IPCX_EINVAL;
    for (;;) {
        if (sem_trywait(s->sem) == 0)
            return 0;
        if (errno != EINTR)
            return ipcx__errno();
    }
}

IPCX_API int ipcx_sem_post(struct ipcx_sem *s)
{
    if (!s)
        return IPCX_EINVAL;
    return sem_post(s->sem) < 0 ? ipcx__errno() : 0;
}

IPCX_API int ipcx_sem_value(struct ipcx_sem *s)
{
    if (!s)
        return IPCX_EINVAL;
    int v = 0;
    if (sem_getvalue(s->sem, &v) < 0)
        return ipcx__errno();
    return v < 0 ? 0 : v;
}

IPCX_API int ipcx_sem_unlink(struct ipcx_sem *s)
{
    if (!s)
        return IPCX_EINVAL;
    if (!s->name)
        return 0;
    return sem_unlink(s->name) < 0 ? ipcx__errno() : 0;
}

IPCX_API int ipcx_sem_unlink_name(const char *name)
{
    int rc = check_name(name);
    if (rc < 0)
        return rc;
    return sem_unlink(name) < 0 ? ipcx__errno() : 0;
}

IPCX_API void ipcx_sem_close(struct ipcx_sem *s)
{
    if (!s)
        return;
    if (s->name)
        sem_close(s->sem);
    free(s->name);
    free(s);
}
