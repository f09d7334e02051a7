/* SPDX-License-Identifier: MIT */
/*
 * mech/region.c: shared memory regions over POSIX shm, System V segments,
 * memfd, anonymous shared mappings and regular files.
 *
 * Every backing ends in the same object: one mapping of a known size. The
 * size is the one thing a region must never get wrong: mapping more than the
 * object holds turns the first access past its end into SIGBUS, in a process
 * that did nothing wrong. So a creator sizes the object before anyone can
 * map it through this library, and reserves its blocks so that a full
 * filesystem fails the create rather than a later access; an opener
 * compares the object's size (fstat, IPC_STAT) with what it was told
 * before mapping. For a descriptor
 * received from a peer the seals are read first, then the size: once
 * F_SEAL_SHRINK is known to be set, the size read afterwards cannot fall.
 *
 * Named objects are created O_EXCL | O_NOFOLLOW (IPC_EXCL for System V) and
 * get their mode with fchmod() (or shmget's mode, which no umask touches),
 * so the permission a caller asked for is the one the object has.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ipcx/error.h>
#include <ipcx/region.h>

#include "sys/err.h"
#include "sys/fd.h"
#include "sys/path.h"
#include "sys/posixname.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

_Static_assert(IPCX_REGION_SEAL_SEAL == F_SEAL_SEAL, "seal values mirror the kernel's");
_Static_assert(IPCX_REGION_SEAL_SHRINK == F_SEAL_SHRINK, "seal values mirror the kernel's");
_Static_assert(IPCX_REGION_SEAL_GROW == F_SEAL_GROW, "seal values mirror the kernel's");
_Static_assert(IPCX_REGION_SEAL_WRITE == F_SEAL_WRITE, "seal values mirror the kernel's");
_Static_assert(IPCX_REGION_SEAL_FUTURE_WRITE == F_SEAL_FUTURE_WRITE,
               "seal values mirror the kernel's");

#define KNOWN_FLAGS (IPCX_REGION_RDONLY | IPCX_REGION_POPULATE)
#define KNOWN_SEALS                                                            \
    (IPCX_REGION_SEAL_SEAL | IPCX_REGION_SEAL_SHRINK | IPCX_REGION_SEAL_GROW | \
     IPCX_REGION_SEAL_WRITE | IPCX_REGION_SEAL_FUTURE_WRITE)
#define DEFAULT_MODE 0600u
/* memfd_create() takes names of up to 249 bytes ("memfd:" + name < NAME_MAX). */
#define MEMFD_NAME_MAX 249

struct ipcx_region {
    int kind;
    int fd;    /* -1 for System V and anonymous regions */
    int shmid; /* -1 unless System V */
    bool readonly;
    void *addr;
    size_t size;
    char *name; /* POSIX name or file path; NULL otherwise */
};

/* Options as (mode, flags), with the defaults applied and every field checked. */
static int read_opts(const struct ipcx_region_opts *opts, bool creating, unsigned *mode,
                     unsigned *flags)
{
    *mode = DEFAULT_MODE;
    *flags = 0;
    if (!opts)
        return 0;
    if (opts->mode > 0777u || (opts->flags & ~KNOWN_FLAGS))
        return IPCX_EINVAL;
    if (creating && (opts->flags & IPCX_REGION_RDONLY))
        return IPCX_EINVAL;
    if (opts->mode)
        *mode = opts->mode;
    *flags = opts->flags;
    return 0;
}

/* A size an object can have: nonzero and representable as off_t. */
static int check_size(size_t size)
{
    if (size == 0 || size > (size_t)INT64_MAX)
        return IPCX_EINVAL;
    return 0;
}

/*
 * The size to map for an object that has `actual` bytes when its creator
 * declared `expected` (0: whatever it has). Size 0 means the creator has
 * not sized it yet.
 */
static int agree_size(int64_t actual, size_t expected, size_t *out)
{
    if (actual == 0)
        return IPCX_EAGAIN;
    if (actual < 0 || (uint64_t)actual > SIZE_MAX)
        return IPCX_ERANGE;
    if (expected && (size_t)actual != expected)
        return IPCX_ERANGE;
    *out = (size_t)actual;
    return 0;
}

static struct ipcx_region *region_new(int kind, unsigned flags)
{
    struct ipcx_region *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->kind = kind;
    r->fd = -1;
    r->shmid = -1;
    r->readonly = (flags & IPCX_REGION_RDONLY) != 0;
    return r;
}

static void region_free(struct ipcx_region *r)
{
    if (!r)
        return;
    if (r->addr) {
        if (r->kind == IPCX_REGION_SYSV)
            shmdt(r->addr);
        else
            munmap(r->addr, r->size);
    }
    ipcx__close(r->fd);
    free(r->name);
    free(r);
}

/*
 * Prefaults the mapping when asked. An old kernel without MADV_POPULATE_*
 * says EINVAL: the region still works, it just faults on first touch.
 */
static int populate(struct ipcx_region *r, unsigned flags)
{
    if (!(flags & IPCX_REGION_POPULATE))
        return 0;
    int advice = r->readonly ? MADV_POPULATE_READ : MADV_POPULATE_WRITE;
    if (madvise(r->addr, r->size, advice) < 0 && errno != EINVAL)
        return ipcx__errno();
    return 0;
}

/* Maps r->fd whole, r->size bytes. */
static int map_fd(struct ipcx_region *r, unsigned flags)
{
    int prot = r->readonly ? PROT_READ : PROT_READ | PROT_WRITE;
    void *p = mmap(NULL, r->size, prot, MAP_SHARED, r->fd, 0);
    if (p == MAP_FAILED)
        return ipcx__errno();
    r->addr = p;
    return populate(r, flags);
}

/* How many times a reservation interrupted by signals is started over. */
#define RESERVE_TRIES 16

/*
 * Reserves the object's memory or disk blocks now. ftruncate() only sets
 * the size: the pages of a sparse object are allocated on first touch,
 * and when tmpfs or the disk is full by then, that touch raises SIGBUS in
 * whichever process makes it. fallocate() allocates them here, so a full
 * filesystem is IPCX_ENOSPC (or IPCX_ENOMEM) from the constructor instead.
 * A filesystem without fallocate (EOPNOTSUPP: ramfs, some network and
 * FUSE filesystems) keeps the sparse object: the region works, with the
 * old risk. tmpfs gives up with EINTR when a signal arrives and frees
 * what it had allocated, so an interrupted reservation starts over, a
 * bounded number of times.
 */
static int reserve(int fd, size_t size)
{
    for (int i = 0; i < RESERVE_TRIES; i++) {
        if (fallocate(fd, 0, 0, (off_t)size) == 0)
            return 0;
        if (errno == EOPNOTSUPP || errno == ENOSYS)
            return 0;
        if (errno != EINTR)
            return ipcx__errno();
    }
    return IPCX_EINTR;
}

/* Gives a freshly created object its mode and size, and reserves the size. */
static int shape_new(int fd, unsigned mode, size_t size)
{
    if (fchmod(fd, (mode_t)mode) < 0)
        return ipcx__errno();
    if (ftruncate(fd, (off_t)size) < 0)
        return ipcx__errno();
    return reserve(fd, size);
}

/* fstat() and agree_size() for a descriptor that must be a regular file. */
static int fd_size(int fd, size_t expected, size_t *out)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ipcx__errno();
    if (!S_ISREG(st.st_mode))
        return IPCX_ENODEV;
    return agree_size((int64_t)st.st_size, expected, out);
}

/* A backing reached by a name: POSIX shared memory or a file. */
struct named_backing {
    int kind;
    /* Opens the descriptor: creating exclusively, or an existing object. */
    int (*open_fd)(const char *name, bool create, bool readonly);
    int (*remove)(const char *name);
};

static int shm_fd(const char *name, bool create, bool readonly)
{
    if (create)
        return shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, DEFAULT_MODE);
    return shm_open(name, (readonly ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_CLOEXEC, 0);
}

/* O_NONBLOCK: a FIFO under that path must not hang the open; O_NOCTTY: a
 * terminal must not become the caller's controlling terminal. Both are
 * refused later like anything else that is not a regular file. */
static int file_fd(const char *path, bool create, bool readonly)
{
    if (create)
        return open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
                    DEFAULT_MODE);
    return open(path,
                (readonly ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
}

static const struct named_backing shm_backing = {IPCX_REGION_POSIX, shm_fd, shm_unlink};
static const struct named_backing file_backing = {IPCX_REGION_FILE, file_fd, unlink};

/* Creates the named object exclusively, sizes and maps it; on failure the
 * name is removed again, so a half-made region never stays behind. */
static int create_named(struct ipcx_region **out, const struct named_backing *b, const char *name,
                        size_t size, unsigned mode, unsigned flags)
{
    int rc;
    bool created = false;
    struct ipcx_region *r = region_new(b->kind, flags);
    if (!r)
        return IPCX_ENOMEM;
    if (!(r->name = strdup(name))) {
        rc = IPCX_ENOMEM;
        goto fail;
    }
    r->fd = b->open_fd(name, true, false);
    if (r->fd < 0) {
        rc = ipcx__errno();
        goto fail;
    }
    created = true;
    r->size = size;
    if ((rc = shape_new(r->fd, mode, size)) < 0 || (rc = map_fd(r, flags)) < 0)
        goto fail;
    *out = r;
    return 0;
fail:
    if (created)
        b->remove(name);
    region_free(r);
    return rc;
}

/* Opens an existing named object and maps it once its size agrees. */
static int open_named(struct ipcx_region **out, const struct named_backing *b, const char *name,
                      size_t size, unsigned flags)
{
    int rc;
    struct ipcx_region *r = region_new(b->kind, flags);
    if (!r)
        return IPCX_ENOMEM;
    if (!(r->name = strdup(name))) {
        rc = IPCX_ENOMEM;
        goto fail;
    }
    r->fd = b->open_fd(name, false, r->readonly);
    if (r->fd < 0) {
        rc = ipcx__errno();
        goto fail;
    }
    if ((rc = fd_size(r->fd, size, &r->size)) < 0 || (rc = map_fd(r, flags)) < 0)
        goto fail;
    *out = r;
    return 0;
fail:
    region_free(r);
    return rc;
}

IPCX_API int ipcx_region_create_shm(struct ipcx_region **out, const char *name, size_t size,
                                    const struct ipcx_region_opts *opts)
{
    unsigned mode, flags;
    int rc;
    if (!out)
        return IPCX_EINVAL;
    if ((rc = ipcx__posix_name_check(name)) < 0 || (rc = check_size(size)) < 0 ||
        (rc = read_opts(opts, true, &mode, &flags)) < 0)
        return rc;
    return create_named(out, &shm_backing, name, size, mode, flags);
}

IPCX_API int ipcx_region_open_shm(struct ipcx_region **out, const char *name, size_t size,
                                  const struct ipcx_region_opts *opts)
{
    unsigned mode, flags;
    int rc;
    if (!out)
        return IPCX_EINVAL;
    if ((rc = ipcx__posix_name_check(name)) < 0 || (rc = read_opts(opts, false, &mode, &flags)) < 0)
        return rc;

    return open_named(out, &shm_backing, name, size, flags);
}

IPCX_API int ipcx_region_unlink_shm(const char *name)
{
    int rc = ipcx__posix_name_check(name);
    if (rc < 0)
        return rc;
    return shm_unlink(name) < 0 ? ipcx__errno() : 0;
}

/* Attaches segment r->shmid after checking its size against `expected`. */
static int sysv_attach(struct ipcx_region *r, size_t expected, unsigned flags)
{
    struct shmid_ds ds;
    int rc;
    if (shmctl(r->shmid, IPC_STAT, &ds) < 0)
        return ipcx__errno();
    if ((rc = agree_size((int64_t)ds.shm_segsz, expected, &r->size)) < 0)
        return rc;
    void *p = shmat(r->shmid, NULL, r->readonly ? SHM_RDONLY : 0);
    if (p == (void *)-1)
        return ipcx__errno();
    r->addr = p;
    return populate(r, flags);
}

IPCX_API int ipcx_region_create_sysv(struct ipcx_region **out, key_t key, size_t size,
                                     const struct ipcx_region_opts *opts)
{
    unsigned mode, flags;
    int rc;
    if (!out)
        return IPCX_EINVAL;
    if ((rc = check_size(size)) < 0 || (rc = read_opts(opts, true, &mode, &flags)) < 0)
        return rc;

    struct ipcx_region *r = region_new(IPCX_REGION_SYSV, flags);
    if (!r)
        return IPCX_ENOMEM;
    /* shmget's mode is used as given: System V ignores the umask. */
    r->shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | (int)mode);
    if (r->shmid < 0) {
        rc = ipcx__errno();
        goto fail;
    }
    if ((rc = sysv_attach(r, size, flags)) < 0)
        goto fail;
    *out = r;
    return 0;
fail:
    if (r->shmid >= 0)
        shmctl(r->shmid, IPC_RMID, NULL);
    region_free(r);
    return rc;
}

IPCX_API int ipcx_region_open_sysv_id(struct ipcx_region **out, int shmid, size_t size,
                                      const struct ipcx_region_opts *opts)
{
    unsigned mode, flags;
    int rc;
    if (!out || shmid < 0)
        return IPCX_EINVAL;
    if ((rc = read_opts(opts, false, &mode, &flags)) < 0)
        return rc;
    struct ipcx_region *r = region_new(IPCX_REGION_SYSV, flags);
    if (!r)
        return IPCX_ENOMEM;
    r->shmid = shmid;
    if ((rc = sysv_attach(r, size, flags)) < 0) {
        region_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

IPCX_API int ipcx_region_open_sysv(struct ipcx_region **out, key_t key, size_t size,
                                   const struct ipcx_region_opts *opts)
{
    unsigned mode, flags;
    int rc;
    if (!out || key == IPC_PRIVATE)
        return IPCX_EINVAL;
    if ((rc = read_opts(opts, false, &mode, &flags)) < 0)
        return rc;
    int id = shmget(key, 0, 0);
    if (id < 0)
        return ipcx__errno();
    return ipcx_region_open_sysv_id(out, id, size, opts);
}

IPCX_API int ipcx_region_create_memfd(struct ipcx_region **out, const char *name, size_t size,
                                      const struct ipcx_region_opts *opts)
{
    unsigned mode, flags;
    int rc;
    if (!out)
        return IPCX_EINVAL;
    if (!name)
        name = "ipcx";
    if (strlen(name) > MEMFD_NAME_MAX)
        return IPCX_ENAMETOOLONG;
    if ((rc = check_size(size)) < 0 || (rc = read_opts(opts, true, &mode, &flags)) < 0)
        return rc;

    struct ipcx_region *r = region_new(IPCX_REGION_MEMFD, flags);
    if (!r)
        return IPCX_ENOMEM;
    /* The memory is data, never code: ask for the exec seal where the
     * kernel knows it (6.3+), and do without it where it does not. */
    r->fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
    if (r->fd < 0 && errno == EINVAL)
        r->fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (r->fd < 0) {
        rc = ipcx__errno();
        goto fail;
    }
    r->size = size;
    if ((rc = shape_new(r->fd, mode, size)) < 0 || (rc = map_fd(r, flags)) < 0)
        goto fail;
    *out = r;
    return 0;
fail:
    region_free(r);
    return rc;
}

IPCX_API int ipcx_region_open_fd(struct ipcx_region **out, int fd, size_t size,
                                 unsigned required_seals, const struct ipcx_region_opts *opts)
{
    unsigned mode, flags;
    int rc;
    if (!out || fd < 0 || (required_seals & ~KNOWN_SEALS))
        return IPCX_EINVAL;
    if ((rc = read_opts(opts, false, &mode, &flags)) < 0)
        return rc;

    struct ipcx_region *r = region_new(IPCX_REGION_FD, flags);
    if (!r)
        return IPCX_ENOMEM;
    /* Our own descriptor first: the caller's could be closed by another
     * thread, and the checks below must be about the file we map. */
    r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (r->fd < 0) {
        rc = ipcx__errno();
        goto fail;
    }
    /* Seals before size: with F_SEAL_SHRINK set, the size cannot fall
     * between our fstat() and any access through the mapping. */
    int seals = fcntl(r->fd, F_GET_SEALS);
    if (seals < 0) {
        if (errno != EINVAL) {
            rc = ipcx__errno();
            goto fail;
        }
        seals = 0; /* not a sealable file: it has no seals */
    }
    if (((unsigned)seals & required_seals) != required_seals) {
        rc = IPCX_EPERM;
        goto fail;
    }
    if (!r->readonly && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))) {
        rc = IPCX_EPERM;
        goto fail;
    }
    if ((rc = fd_size(r->fd, size, &r->size)) < 0 || (rc = map_fd(r, flags)) < 0)
        goto fail;
    *out = r;
    return 0;
fail:
    region_free(r);
    return rc;
}

IPCX_API int ipcx_region_create_anon(struct ipcx_region **out, size_t size,
                                     const struct ipcx_region_opts *opts)
{
    unsigned mode, flags;
    int rc;
    if (!out)
        return IPCX_EINVAL;
    if ((rc = check_size(size)) < 0 || (rc = read_opts(opts, true, &mode, &flags)) < 0)
        return rc;
    struct ipcx_region *r = region_new(IPCX_REGION_ANON, flags);
    if (!r)
        return IPCX_ENOMEM;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        rc = ipcx__errno();
        goto fail;
    }
    r->addr = p;
    r->size = size;
    if ((rc = populate(r, flags)) < 0)
        goto fail;
    *out = r;
    return 0;
fail:
    region_free(r);
    return rc;
}

IPCX_API int ipcx_region_create_file(struct ipcx_region **out, const char *path, size_t size,
                                     const struct ipcx_region_opts *opts)
{
    unsigned mode, flags;
    int rc;
    if (!out)
        return IPCX_EINVAL;
    if ((rc = ipcx__path_check(path)) < 0 || (rc = check_size(size)) < 0 ||
        (rc = read_opts(opts, true, &mode, &flags)) < 0)
        return rc;

    return create_named(out, &file_backing, path, size, mode, flags);
}

IPCX_API int ipcx_region_open_file(struct ipcx_region **out, const char *path, size_t size,
                                   const struct ipcx_region_opts *opts)
{
    unsigned mode, flags;
    int rc;
    if (!out)
        return IPCX_EINVAL;
    if ((rc = ipcx__path_check(path)) < 0 || (rc = read_opts(opts, false, &mode, &flags)) < 0)
        return rc;

    return open_named(out, &file_backing, path, size, flags);
}

IPCX_API int ipcx_region_sync(struct ipcx_region *r, size_t offset, size_t len, unsigned flags)
{
    if (!r || (flags & ~IPCX_REGION_SYNC_ASYNC) || offset > r->size)
        return IPCX_EINVAL;
    if (len == 0)
        len = r->size - offset;
    if (len > r->size - offset)
        return IPCX_EINVAL;
    if (len == 0)
        return 0;
    /* msync() wants a page-aligned start; the mapping itself is aligned. */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t start = offset - offset % page;
    int how = (flags & IPCX_REGION_SYNC_ASYNC) ? MS_ASYNC : MS_SYNC;
    if (msync((char *)r->addr + start, len + (offset - start), how) < 0)
        return ipcx__errno();
    return 0;
}

static bool has_seal_fd(const struct ipcx_region *r)
{
    return r->kind == IPCX_REGION_MEMFD || r->kind == IPCX_REGION_FD;
}

IPCX_API int ipcx_region_seal(struct ipcx_region *r, unsigned seals)
{
    if (!r || (seals & ~KNOWN_SEALS))
        return IPCX_EINVAL;
    if (!has_seal_fd(r))
        return IPCX_ENOTSUP;
    if (fcntl(r->fd, F_ADD_SEALS, (int)seals) < 0)
        return errno == EINVAL ? IPCX_ENOTSUP : ipcx__errno();
    return 0;
}

IPCX_API int ipcx_region_seals(const struct ipcx_region *r)
{
    if (!r)
        return IPCX_EINVAL;
    if (!has_seal_fd(r))
        return IPCX_ENOTSUP;
    int s = fcntl(r->fd, F_GET_SEALS);
    if (s < 0)
        return errno == EINVAL ? IPCX_ENOTSUP : ipcx__errno();
    return s;
}

IPCX_API int ipcx_region_unlink(struct ipcx_region *r)
{
    if (!r)
        return IPCX_EINVAL;
    switch (r->kind) {
    case IPCX_REGION_POSIX:
        return shm_unlink(r->name) < 0 ? ipcx__errno() : 0;
    case IPCX_REGION_SYSV:
        return shmctl(r->shmid, IPC_RMID, NULL) < 0 ? ipcx__errno() : 0;
    case IPCX_REGION_FILE:
        return unlink(r->name) < 0 ? ipcx__errno() : 0;
    default:
        return 0;
    }
}

IPCX_API void *ipcx_region_addr(const struct ipcx_region *r)
{
    return r ? r->addr : NULL;
}

IPCX_API size_t ipcx_region_size(const struct ipcx_region *r)
{
    return r ? r->size : 0;
}

IPCX_API int ipcx_region_kind(const struct ipcx_region *r)
{
    return r ? r->kind : IPCX_EINVAL;
}

IPCX_API int ipcx_region_fd(const struct ipcx_region *r)
{
    if (!r)
        return IPCX_EINVAL;
    return r->fd >= 0 ? r->fd : IPCX_ENOTSUP;
}

IPCX_API int ipcx_region_sysv_id(const struct ipcx_region *r)
{
    if (!r)
        return IPCX_EINVAL;
    return r->kind == IPCX_REGION_SYSV ? r->shmid : IPCX_ENOTSUP;
}

IPCX_API void ipcx_region_close(struct ipcx_region *r)
{
    region_free(r);
}
