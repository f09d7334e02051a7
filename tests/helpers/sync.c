/* SPDX-License-Identifier: MIT */
/*
 * sync.c: helper modes for the region, semaphore and lock tests. Each mode
 * plays the "other process" of a test: an unrelated program (exec'd) that
 * reaches an object by name, key, id, path or an inherited descriptor.
 * Failures exit with TSUP_CHILD_FAILED after saying where.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <unistd.h>

#include <ipcx.h>

#include "../mech/sync_support.h"
#include "helper.h"

/* The pattern a test writes in the first half of a region, the helper's
 * answer in the second half. */
#define FIRST_HALF  0xA5
#define SECOND_HALF 0x5A

static long arg_long(const char *s)
{
    return strtol(s, NULL, 0);
}

/*
 * region_peer BACKING WHERE SIZE [SEALS]: opens a region (BACKING is shm,
 * sysv (WHERE a key), sysvid, file or fd (WHERE an inherited descriptor
 * number, SEALS the seals to require)), checks that the first half holds
 * FIRST_HALF, writes SECOND_HALF over the second half. With a descriptor
 * it also tries to shrink and grow the object (both must fail with EPERM
 * when sealed) and reads every byte again: a SIGBUS would end the helper.
 */
TSUP_HELPER(region_peer)
{
    TSUP_CHILD_CHECK(argc >= 4);
    const char *backing = argv[1], *where = argv[2];
    size_t size = (size_t)arg_long(argv[3]);
    struct ipcx_region *r = NULL;
    int rc = IPCX_EINVAL;
    int fd = -1;
    if (!strcmp(backing, "shm"))
        rc = ipcx_region_open_shm(&r, where, size, NULL);
    else if (!strcmp(backing, "sysv"))
        rc = ipcx_region_open_sysv(&r, (key_t)arg_long(where), size, NULL);
    else if (!strcmp(backing, "sysvid"))
        rc = ipcx_region_open_sysv_id(&r, (int)arg_long(where), size, NULL);
    else if (!strcmp(backing, "file"))
        rc = ipcx_region_open_file(&r, where, size, NULL);
    else if (!strcmp(backing, "fd")) {
        TSUP_CHILD_CHECK(argc >= 5);
        fd = (int)arg_long(where);
        rc = ipcx_region_open_fd(&r, fd, size, (unsigned)arg_long(argv[4]), NULL);
    }
    if (rc != 0)
        fprintf(stderr, "region_peer: open %s %s: %s\n", backing, where, ipcx_errname(rc));
    TSUP_CHILD_CHECK(rc == 0);
    TSUP_CHILD_CHECK(ipcx_region_size(r) == size);
    unsigned char *p = ipcx_region_addr(r);
    for (size_t i = 0; i < size / 2; i++)
        TSUP_CHILD_CHECK(p[i] == FIRST_HALF);
    memset(p + size / 2, SECOND_HALF, size - size / 2);

    if (fd >= 0) {
        unsigned seals = (unsigned)arg_long(argv[4]);
        if (seals & IPCX_REGION_SEAL_SHRINK) {
            errno = 0;
            TSUP_CHILD_CHECK(ftruncate(fd, (off_t)(size / 2)) < 0 && errno == EPERM);
        }
        if (seals & IPCX_REGION_SEAL_GROW) {
            errno = 0;
            TSUP_CHILD_CHECK(ftruncate(fd, (off_t)(size * 2)) < 0 && errno == EPERM);
        }
        unsigned sum = 0;
        for (size_t i = 0; i < size; i++)
            sum += p[i];
        TSUP_CHILD_CHECK(sum == (unsigned)(size / 2) * FIRST_HALF +
                                    (unsigned)(size - size / 2) * SECOND_HALF);
        close(fd);
    }
    ipcx_region_close(r);
    return 0;
}

/* sem_post NAME N: opens the named semaphore NAME and posts N units. */
TSUP_HELPER(sem_post)
{
    TSUP_CHILD_CHECK(argc >= 3);
    struct ipcx_sem *s = NULL;
    TSUP_CHILD_CHECK(ipcx_sem_open(&s, argv[1]) == 0);
    for (long i = arg_long(argv[2]); i > 0; i--)
        TSUP_CHILD_CHECK(ipcx_sem_post(s) == 0);
    ipcx_sem_close(s);
    return 0;
}

/*
 * sem_post_in FD SIZE OFFSET N: maps the region behind inherited descriptor
 * FD (SIZE bytes, sealed against shrinking), attaches to the unnamed
 * semaphore at OFFSET and posts N units.
 */
TSUP_HELPER(sem_post_in)
{
    TSUP_CHILD_CHECK(argc >= 5);
    int fd = (int)arg_long(argv[1]);
    struct ipcx_region *r = NULL;
    TSUP_CHILD_CHECK(
        ipcx_region_open_fd(&r, fd, (size_t)arg_long(argv[2]), IPCX_REGION_SEAL_SHRINK, NULL) == 0);
    close(fd);
    struct ipcx_sem *s = NULL;
    char *base = ipcx_region_addr(r);
    TSUP_CHILD_CHECK(ipcx_sem_open_in(&s, (struct ipcx_sem_mem *)(base + arg_long(argv[3]))) == 0);
    for (long i = arg_long(argv[4]); i > 0; i--)
        TSUP_CHILD_CHECK(ipcx_sem_post(s) == 0);
    ipcx_sem_close(s);
    ipcx_region_close(r);
    return 0;
}

/* sysvsem_post KEY NUM N: opens the System V set of KEY, adds N to NUM. */
TSUP_HELPER(sysvsem_post)
{
    TSUP_CHILD_CHECK(argc >= 4);
    struct ipcx_sysvsem *s = NULL;
    int rc = ipcx_sysvsem_open(&s, (key_t)arg_long(argv[1]), 0);
    if (rc != 0)
        fprintf(stderr, "sysvsem_post: open: %s\n", ipcx_errname(rc));
    TSUP_CHILD_CHECK(rc == 0);
    struct ipcx_sysvsem_op op = {(unsigned short)arg_long(argv[2]), (short)arg_long(argv[3]), 0};
    TSUP_CHILD_CHECK(ipcx_sysvsem_apply(s, &op, 1, IPCX_NOWAIT) == 0);
    ipcx_sysvsem_close(s);
    return 0;
}

/* The layout the mutex_incr mode expects at the start of its region. */
struct counted {
    struct ipcx_mutex lock;
    long counter;
};

/*
 * mutex_incr FD SIZE N: maps the memfd behind inherited descriptor FD
 * (SIZE bytes, sealed against shrinking) whose start holds a struct
 * counted, and increments the counter N times under the mutex.
 */
TSUP_HELPER(mutex_incr)
{
    TSUP_CHILD_CHECK(argc >= 4);
    int fd = (int)arg_long(argv[1]);
    struct ipcx_region *r = NULL;
    TSUP_CHILD_CHECK(
        ipcx_region_open_fd(&r, fd, (size_t)arg_long(argv[2]), IPCX_REGION_SEAL_SHRINK, NULL) == 0);
    close(fd);
    struct counted *c = ipcx_region_addr(r);
    for (long i = arg_long(argv[3]); i > 0; i--) {
        TSUP_CHILD_CHECK(ipcx_mutex_lock(&c->lock, 10000) == 0);
        long v = *(volatile long *)&c->counter;
        *(volatile long *)&c->counter = v + 1;
        TSUP_CHILD_CHECK(ipcx_mutex_unlock(&c->lock) == 0);
    }
    ipcx_region_close(r);
    return 0;
}

/*
 * filelock_hold PATH START LEN TYPE READYFD: opens PATH, locks the range
 * (type 1 shared, 2 exclusive) without waiting, writes 'L' to the inherited
 * descriptor READYFD, and waits to be killed.
 */
TSUP_HELPER(filelock_hold)
{
    TSUP_CHILD_CHECK(argc >= 6);
    struct ipcx_filelock *fl = NULL;
    TSUP_CHILD_CHECK(ipcx_filelock_open(&fl, argv[1], NULL) == 0);
    TSUP_CHILD_CHECK(ipcx_filelock_lock(fl, (off_t)arg_long(argv[2]), (off_t)arg_long(argv[3]),
                                        (int)arg_long(argv[4]), IPCX_NOWAIT) == 0);
    int ready = (int)arg_long(argv[5]);
    TSUP_CHILD_CHECK(sync_send_byte(ready, 'L') == 0);
    close(ready);
    for (;;)
        pause();
}
