/* SPDX-License-Identifier: MIT */
/*
 * ipcx/region.h: shared memory regions. One object type, five backings:
 *
 *   backing              shared by                         lives until
 *   POSIX shared memory  name ("/name", /dev/shm)          unlinked (kernel persistence)
 *   System V segment     key (ftok or private) or id       removed and last detach
 *   memfd                descriptor (fork or SCM_RIGHTS)   last descriptor and mapping go
 *   anonymous mapping    fork only                         last process unmaps
 *   mapped file          path                              the file is deleted
 *
 * A region is mapped once, whole, when it is created or opened, and stays
 * mapped at ipcx_region_addr() until ipcx_region_close(). Its size never
 * changes.
 *
 * Sizes are checked, never trusted: an open states the size the creator
 * declared, and a region whose object has another size is refused with
 * IPCX_ERANGE rather than mapped (a mapping longer than its object raises
 * SIGBUS on the first access past the end). An object found with size 0 is
 * one whose creator has not sized it yet: IPCX_EAGAIN, retry. Only a sealed
 * memfd (IPCX_REGION_SEAL_SHRINK) also guarantees that no other process can
 * shrink the object after the check; POSIX objects and files trust every
 * process that may open them (mode 0600 by default: the same user).
 *
 * Memory is reserved when a POSIX, memfd or file region is created
 * (fallocate): a region of N bytes takes N bytes of tmpfs memory or disk
 * at once, and a full filesystem is reported by the constructor
 * (IPCX_ENOSPC) instead of raising SIGBUS on a later access. On a
 * filesystem that cannot reserve (no fallocate: ramfs, some network and
 * FUSE filesystems) a file region is created sparse, as before, and
 * touching it when the disk is full raises SIGBUS.
 *
 * Named objects (POSIX, System V, files) are created exclusively, never
 * following a symbolic link, with the permission mode set explicitly
 * (0600 unless opts->mode says otherwise; the umask does not apply).
 *
 * Thread safety: a region handle is immutable once made; any number of
 * threads may use its accessors and the memory. ipcx_region_close() must not
 * race with other uses of the same handle.
 *
 * fork: the child inherits every mapping (MAP_SHARED: parent and child see
 * each other's writes) and a copy of the handle, which it may use and must
 * close itself. exec: mappings and descriptors (all close-on-exec) are gone;
 * pass a memfd on explicitly, or open the object again by name, key or id.
 */
#ifndef IPCX_REGION_H
#define IPCX_REGION_H

#include <stddef.h>
#include <sys/types.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ipcx_region;

/* What backs a region (ipcx_region_kind()). */
enum ipcx_region_kind {
    IPCX_REGION_POSIX = 1, /* POSIX shared memory object (shm_open) */
    IPCX_REGION_SYSV = 2,  /* System V shared memory segment (shmget) */
    IPCX_REGION_MEMFD = 3, /* memfd created here (memfd_create) */
    IPCX_REGION_ANON = 4,  /* anonymous shared mapping, shared across fork */
    IPCX_REGION_FILE = 5,  /* a regular file, mapped MAP_SHARED */
    IPCX_REGION_FD = 6,    /* mapped from a descriptor given by the caller */
};

/* opts->flags. */
/* Map read-only (opens only: a created region is always read-write). */
#define IPCX_REGION_RDONLY 0x1u
/* Prefault the whole mapping now (MAP_POPULATE) instead of on first touch. */
#define IPCX_REGION_POPULATE 0x2u

/* Options; zero-initialise, zero means the default. */
struct ipcx_region_opts {
    /* Permission bits of a created named object (<= 0777); 0 means 0600. */
    unsigned mode;
    /* IPCX_REGION_* flags above; unknown bits are IPCX_EINVAL. */
    unsigned flags;
};

/*
 * Seals of a memfd (the values of the kernel's F_SEAL_*). The write seal a
 * region's creator can add is IPCX_REGION_SEAL_FUTURE_WRITE;
 * IPCX_REGION_SEAL_WRITE needs that no writable mapping exist at all (see
 * ipcx_region_seal()).
 */
#define IPCX_REGION_SEAL_SEAL         0x01u /* no further seals can be added */
#define IPCX_REGION_SEAL_SHRINK       0x02u /* the size can no longer decrease */
#define IPCX_REGION_SEAL_GROW         0x04u /* the size can no longer increase */
#define IPCX_REGION_SEAL_WRITE        0x08u /* no writes at all, by anyone */
#define IPCX_REGION_SEAL_FUTURE_WRITE 0x10u /* existing mappings may write, nothing new can */

/*
 * Creates a POSIX shared memory object `name` ("/name": one leading slash,
 * no other, at most NAME_MAX characters after it) of `size` bytes and maps it
 * read-write. Exclusive: IPCX_EEXIST if the name exists (a symbolic link
 * included). Not blocking. Errors: IPCX_EINVAL (NULL, bad name, size 0,
 * bad opts), IPCX_ENAMETOOLONG, IPCX_EEXIST, IPCX_EACCES, IPCX_ENOMEM,
 * IPCX_ENOSPC (/dev/shm cannot hold `size` more bytes), IPCX_EMFILE,
 * IPCX_EINTR (signals kept interrupting the reservation of the memory).
 * On failure nothing is left behind. The object
 * persists until ipcx_region_unlink() or ipcx_region_unlink_shm(); the
 * handle is released with ipcx_region_close().
 */
IPCX_API int ipcx_region_create_shm(struct ipcx_region **out, const char *name, size_t size,
                                    const struct ipcx_region_opts *opts);

/*
 * Opens and maps the existing POSIX object `name` (never through a symbolic
 * link: IPCX_ELOOP). `size` is the size its creator declared, or 0 to take
 * the object's size as it is. Errors: as create, plus IPCX_ENOENT,
 * IPCX_ELOOP, IPCX_ERANGE (the object's size differs from `size`),
 * IPCX_EAGAIN (the object has size 0: its creator has not sized it yet).
 * Release with ipcx_region_close().
 */
IPCX_API int ipcx_region_open_shm(struct ipcx_region **out, const char *name, size_t size,
                                  const struct ipcx_region_opts *opts);

/* Removes the POSIX object `name`; mappings that exist stay valid. */
IPCX_API int ipcx_region_unlink_shm(const char *name);

/* The System V key for a private segment (IPC_PRIVATE). */
#define IPCX_REGION_PRIVATE ((key_t)0)

/*
 * Creates a System V segment of `size` bytes under `key` (from ftok(3), or
 * IPCX_REGION_PRIVATE for a new private segment that others reach by its id,
 * ipcx_region_sysv_id()) and attaches it read-write. Exclusive: IPCX_EEXIST
 * if the key is taken. Errors: IPCX_EINVAL (size 0 or above SHMMAX, bad
 * opts), IPCX_EEXIST, IPCX_ENOSPC (SHMMNI/SHMALL), IPCX_ENOMEM. The segment
 * persists until removed (ipcx_region_unlink()) and, after that, until the
 * last process detaches; the handle is released with ipcx_region_close().
 */
IPCX_API int ipcx_region_create_sysv(struct ipcx_region **out, key_t key, size_t size,
                                     const struct ipcx_region_opts *opts);

/*
 * Attaches the System V segment of `key` (not IPCX_REGION_PRIVATE: use
 * ipcx_region_open_sysv_id()). `size` as for ipcx_region_open_shm()
 * (IPCX_ERANGE when it differs from the segment's). IPCX_ENOENT when no
 * segment has the key (removed segments included).
 */
IPCX_API int ipcx_region_open_sysv(struct ipcx_region **out, key_t key, size_t size,
                                   const struct ipcx_region_opts *opts);

/*
 * Attaches the System V segment `shmid`. On Linux this also works after the
 * segment was removed, as long as some process still has it attached.
 * IPCX_EINVAL or IPCX_EIDRM when there is no such segment.
 */
IPCX_API int ipcx_region_open_sysv_id(struct ipcx_region **out, int shmid, size_t size,
                                      const struct ipcx_region_opts *opts);

/*
 * Creates an anonymous memory file (memfd) of `size` bytes, sealable, and
 * maps it read-write. `name` (NULL for "ipcx") only labels it in
 * /proc/PID/maps and fd listings: at most 249 bytes, no uniqueness needed.
 * Share it by passing ipcx_region_fd() (SCM_RIGHTS, or inheritance through
 * fork/exec), seal it first with ipcx_region_seal(). The memory lives until
 * the last descriptor and the last mapping are gone, in any process: nothing
 * is left behind after a crash. Errors: IPCX_EINVAL, IPCX_ENAMETOOLONG,
 * IPCX_ENOMEM or IPCX_ENOSPC (the memory could not be reserved),
 * IPCX_EMFILE, IPCX_EINTR. Release with ipcx_region_close().
 */
IPCX_API int ipcx_region_create_memfd(struct ipcx_region **out, const char *name, size_t size,
                                      const struct ipcx_region_opts *opts);

/*
 * Maps the object behind descriptor `fd` (typically a memfd received from a
 * peer) after checking it: `fd` must refer to a regular file or memory file
 * (else IPCX_ENODEV), carry every seal in `required_seals` (else IPCX_EPERM;
 * a descriptor that cannot be sealed has none), and have exactly `size`
 * bytes (else IPCX_ERANGE; 0 takes the object's size). The seals are
 * checked before the size, so with IPCX_REGION_SEAL_SHRINK required the
 * checked size cannot shrink afterwards and access never raises SIGBUS.
 * A write-sealed object needs IPCX_REGION_RDONLY (else IPCX_EPERM).
 * The caller keeps `fd`: the region holds its own duplicate (close-on-exec).
 * Release with ipcx_region_close().
 */
IPCX_API int ipcx_region_open_fd(struct ipcx_region **out, int fd, size_t size,
                                 unsigned required_seals, const struct ipcx_region_opts *opts);

/*
 * Creates an anonymous shared mapping of `size` bytes (zero-filled). It has
 * no name and no descriptor: only processes forked after this call share
 * it. Release with ipcx_region_close() (in each process).
 */
IPCX_API int ipcx_region_create_anon(struct ipcx_region **out, size_t size,
                                     const struct ipcx_region_opts *opts);

/*
 * Creates the regular file `path` of `size` bytes (zero-filled, exclusive,
 * not through a symbolic link, mode from opts) and maps it MAP_SHARED.
 * Writes reach the file; ipcx_region_sync() waits until they are on disk.
 * Errors: as ipcx_region_create_shm() (IPCX_ENOSPC: the filesystem cannot
 * hold the file; no file is left behind), plus IPCX_ENOENT, IPCX_ENOTDIR,
 * IPCX_EEXIST for a symbolic link. The file persists until deleted
 * (ipcx_region_unlink()).
 */
IPCX_API int ipcx_region_create_file(struct ipcx_region **out, const char *path, size_t size,
                                     const struct ipcx_region_opts *opts);

/*
 * Maps the existing regular file `path` (not through a symbolic link:
 * IPCX_ELOOP; not a regular file: IPCX_ENODEV). `size` as for
 * ipcx_region_open_shm(). A file shrunk by another process afterwards makes
 * access past its new end raise SIGBUS: share files only with trusted
 * processes, or use a sealed memfd.
 */
IPCX_API int ipcx_region_open_file(struct ipcx_region **out, const char *path, size_t size,
                                   const struct ipcx_region_opts *opts);

/* ipcx_region_sync() flags. */
/* Schedule the write-back and return at once (MS_ASYNC). */
#define IPCX_REGION_SYNC_ASYNC 0x1u

/*
 * Flushes the bytes [offset, offset + len) of the mapping to the backing
 * object (len 0: to the end); for a file, blocks until they are on disk
 * unless IPCX_REGION_SYNC_ASYNC. Other backings have nothing to write back
 * and return 0. Errors: IPCX_EINVAL (range outside the region, bad flags),
 * IPCX_EIO.
 */
IPCX_API int ipcx_region_sync(struct ipcx_region *r, size_t offset, size_t len, unsigned flags);

/*
 * Adds `seals` (IPCX_REGION_SEAL_*) to a memfd region; seals are never
 * removed, and they bind every process holding the descriptor, including
 * this one.
 *
 * Write seals. IPCX_REGION_SEAL_FUTURE_WRITE is the write seal for the
 * region's creator: mappings that exist (the creator's own) keep writing,
 * while nobody can write(2) the object or map it writable any more; a peer
 * that requires it knows that it cannot write, not that the bytes are
 * frozen. IPCX_REGION_SEAL_WRITE freezes the bytes for everyone, and the
 * kernel grants it only while no writable shared mapping of the object
 * exists in any process. A region created here keeps its writable mapping
 * until it is closed, so on the creator's region it always fails with
 * IPCX_EBUSY. It can be added through a region opened with
 * IPCX_REGION_RDONLY by ipcx_region_open_fd() on a descriptor opened for
 * writing, once every writable region of the object has been closed.
 *
 * Errors: IPCX_ENOTSUP (not a sealable descriptor), IPCX_EPERM
 * (IPCX_REGION_SEAL_SEAL already set, or the descriptor is read-only),
 * IPCX_EBUSY (IPCX_REGION_SEAL_WRITE while a writable mapping exists),
 * IPCX_EINVAL (unknown bits).
 */
IPCX_API int ipcx_region_seal(struct ipcx_region *r, unsigned seals);

/* The seals set on the region's descriptor (>= 0), or IPCX_ENOTSUP. */
IPCX_API int ipcx_region_seals(const struct ipcx_region *r);

/*
 * Removes the region's name: shm_unlink for POSIX, IPC_RMID for System V
 * (the segment goes when the last process detaches; its key is free at
 * once), unlink(2) of the path for a file. The mapping stays valid. Without
 * a name (memfd, anonymous, from a descriptor) there is nothing to do: 0.
 */
IPCX_API int ipcx_region_unlink(struct ipcx_region *r);

/* The start of the mapping (page-aligned). */
IPCX_API void *ipcx_region_addr(const struct ipcx_region *r);

/* The size in bytes, as created or checked on open. */
IPCX_API size_t ipcx_region_size(const struct ipcx_region *r);

/* The backing (enum ipcx_region_kind). */
IPCX_API int ipcx_region_kind(const struct ipcx_region *r);

/*
 * The region's descriptor (POSIX, memfd, file, from a descriptor), owned by
 * the region: do not close it; dup it to keep it beyond ipcx_region_close().
 * IPCX_ENOTSUP for backings without one (System V, anonymous).
 */
IPCX_API int ipcx_region_fd(const struct ipcx_region *r);

/* The System V segment id (>= 0), or IPCX_ENOTSUP for other backings. */
IPCX_API int ipcx_region_sysv_id(const struct ipcx_region *r);

/*
 * Unmaps the region and releases the handle (NULL is ignored). Does not
 * remove any name: see ipcx_region_unlink(). Never fails. Do not close a
 * region while this process holds a lock that lives in it.
 */
IPCX_API void ipcx_region_close(struct ipcx_region *r);

#ifdef __cplusplus
}
#endif

#endif
