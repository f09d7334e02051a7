/* SPDX-License-Identifier: MIT */
/*
 * sync_support.h: small tools shared by the region, semaphore and lock
 * tests: a one-byte "ready"/"go" handshake over a pipe with a deadline,
 * running the helper binary with some descriptors left open across exec,
 * a process that pesters another with signals, a temporary path for
 * files, keys for System V objects, and the check that a test left nothing
 * behind. Everything here is static, so each
 * test executable gets its own copy.
 */
#ifndef IPCX_TESTS_SYNC_SUPPORT_H
#define IPCX_TESTS_SYNC_SUPPORT_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include "tsup.h"

/* Writes one byte to `fd` (a child's "ready" or the parent's "go"). */
static inline int sync_send_byte(int fd, char c)
{
    for (;;) {
        ssize_t n = write(fd, &c, 1);
        if (n == 1)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

/*
 * Reads one byte from `fd` within timeout_ms. Returns the byte (0..255), -1
 * on time-out, -2 at end of file (the writer died or closed).
 */
static inline int sync_recv_byte(int fd, int timeout_ms)
{
    int64_t end = tsup_now_ms() + timeout_ms;
    for (;;) {
        int64_t left = end - tsup_now_ms();
        if (left < 0)
            left = 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        unsigned char c;
        ssize_t r = read(fd, &c, 1);
        if (r == 1)
            return c;
        if (r == 0)
            return -2;
        if (errno != EINTR && errno != EAGAIN)
            return -2;
    }
}

/*
 * Runs the helper `mode` with `args` (NULL-terminated) like
 * tsup_spawn_helper(), keeping the `nfds` descriptors in `fds` open across
 * exec. Their close-on-exec flag is cleared in the child only, so the
 * parent's descriptors stay close-on-exec. Like every child of the tests,
 * the helper dies with the test process (PR_SET_PDEATHSIG survives exec),
 * so a failed assertion never leaves it running.
 */
static inline pid_t sync_spawn_helper_fds(const char *mode, const char *const *args, const int *fds,
                                          int nfds)
{
    char *argv[20];
    int n = 0;
    argv[n++] = (char *)tsup_helper_path();
    argv[n++] = (char *)mode;
    for (int i = 0; args && args[i] && n < 18; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) /* the parent died before the line above */
            _exit(TSUP_CHILD_FAILED);
        for (int i = 0; i < nfds; i++)
            if (fcntl(fds[i], F_SETFD, 0) < 0)
                _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/*
 * A process that interrupts another with SIGUSR1, every 200 us, until the
 * test tells it to stop: for tests that check that a wait keeps its
 * deadline while signals interrupt it. Lives in shared memory
 * (sync_pester_map), so the stop flag crosses the fork.
 */
struct sync_pester {
    pid_t target;
    atomic_int stop;
};

static inline struct sync_pester *sync_pester_map(pid_t target)
{
    struct sync_pester *p =
        mmap(NULL, sizeof *p, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    p->target = target;
    atomic_init(&p->stop, 0);
    return p;
}

static inline void sync_pester_unmap(struct sync_pester *p)
{
    munmap(p, sizeof *p);
}

/*
 * The body for tsup_fork(): signals until stop is set, or for at most 30
 * seconds (the test's own deadline comes first). Returns 0 when stopped,
 * 1 at its own deadline, 2 if the target could not be signalled.
 */
static inline int sync_pester(void *arg)
{
    struct sync_pester *p = arg;
    struct timespec gap = {0, 200000};
    int64_t end = tsup_now_ms() + 30000;
    while (!atomic_load(&p->stop)) {
        if (tsup_now_ms() > end)
            return 1;
        if (kill(p->target, SIGUSR1) < 0)
            return 2;
        nanosleep(&gap, NULL);
    }
    return 0;
}

/* A fresh path for a temporary file: "$TMPDIR/<prefix>-<pid>-<random>". */
static inline char *sync_tmp_path(char *buf, size_t size, const char *prefix)
{
    char name[128];
    const char *dir = getenv("TMPDIR");
    if (!dir || !dir[0])
        dir = "/tmp";
    snprintf(buf, size, "%s/%s", dir, tsup_name(name, sizeof name, prefix));
    return buf;
}

/* How many keys a test tries before it gives up on finding a free one. */
#define SYNC_KEY_TRIES 32

/*
 * Creates the empty file "$TMPDIR/ipcx-key-<pid>-<random>" for sync_key()
 * into `path`. Returns 0, or -1 with errno set. The test unlinks it.
 */
static inline int sync_key_file(char *path, size_t size)
{
    sync_tmp_path(path, size, "ipcx-key");
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/*
 * A System V key from ftok() on `path` (see sync_key_file()) with a random
 * project id. Keys from ftok() can collide (it keeps only the low 16 bits
 * of the inode and 8 of the device), also with other tests running at the
 * same time: a test whose exclusive create fails with EEXIST calls again,
 * up to SYNC_KEY_TRIES times, and gets another project id each time.
 */
static inline key_t sync_key(const char *path)
{
    return ftok(path, (int)(tsup_random32() % 255) + 1);
}

/* System V objects a test created, to be checked for by sync_leftovers(). */
struct sync_sysv_obj {
    char kind; /* 'm' shared memory segment, 's' semaphore set */
    int id;
    key_t key;
};

struct sync_sysv_list {
    int n;
    struct sync_sysv_obj obj[64];
};

/* This test process's list (a function-local static: each test runs in a
 * process of its own, so the list starts empty for every test). */
static inline struct sync_sysv_list *sync_sysv_tracked(void)
{
    static struct sync_sysv_list list;
    return &list;
}

/*
 * Records a System V object the test just created: kind 'm' for a shared
 * memory segment, 's' for a semaphore set, with its id and the key it was
 * created under (0 for IPC_PRIVATE). System V objects have no names that
 * carry the pid, so sync_leftovers() finds them by these ids.
 */
static inline void sync_track_sysv(char kind, int id, key_t key)
{
    struct sync_sysv_list *l = sync_sysv_tracked();
    if (id >= 0 && l->n < (int)(sizeof l->obj / sizeof l->obj[0]))
        l->obj[l->n++] = (struct sync_sysv_obj){kind, id, key};
}

/*
 * Counts the tracked objects of `kind` that /proc/sysvipc/<file> still
 * lists, and removes them. An entry is one of ours when its id matches
 * and so does its key (a segment removed while still attached shows key
 * 0), so an id reused by someone else's object is never touched.
 */
static inline int sync_sysv_leftovers(char kind, const char *file)
{
    struct sync_sysv_list *l = sync_sysv_tracked();
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/sysvipc/%s", file);
    FILE *f = fopen(path, "re");
    if (!f) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1; /* unverifiable counts as a failure, not as clean */
    }
    int n = 0;
    if (!fgets(line, sizeof line, f)) /* the header */
        line[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        int key, id;
        if (sscanf(line, "%d %d", &key, &id) != 2)
            continue;
        for (int i = 0; i < l->n; i++) {
            const struct sync_sysv_obj *o = &l->obj[i];
            if (o->kind != kind || o->id != id)
                continue;
            if ((key_t)key != o->key && !(kind == 'm' && key == 0))
                continue;
            fprintf(stderr, "left behind: System V %s id %d key %#x\n", file, id, (unsigned)o->key);
            if (kind == 'm')
                shmctl(id, IPC_RMID, NULL);
            else
                semctl(id, 0, IPC_RMID);
            n++;
        }
    }
    fclose(f);
    return n;
}

/*
 * How many objects this process's test left behind, each also reported
 * on stderr and removed so that one failure does not leak further:
 * entries of /dev/shm and $TMPDIR (names made by tsup_name() from an
 * "ipcx-" prefix carry the pid, and Criterion runs each test in a process
 * of its own), and the System V segments and semaphore sets recorded with
 * sync_track_sysv() that /proc/sysvipc still lists.
 */
static inline int sync_leftovers(void)
{
    char tag[32];
    snprintf(tag, sizeof tag, "-%d-", (int)getpid());
    const char *tmp = getenv("TMPDIR");
    const char *dirs[] = {"/dev/shm", tmp && tmp[0] ? tmp : "/tmp"};
    int n = 0;
    for (int i = 0; i < 2; i++) {
        DIR *d = opendir(dirs[i]);
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            const char *name = e->d_name;
            if (!strncmp(name, "sem.", 4))
                name += 4;
            if (!strncmp(name, "ipcx-", 5) && strstr(name, tag)) {
                fprintf(stderr, "left behind: %s/%s\n", dirs[i], e->d_name);
                if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno == EISDIR)
                    unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
                n++;
            }
        }
        closedir(d);
    }
    n += sync_sysv_leftovers('m', "shm");
    n += sync_sysv_leftovers('s', "sem");
    return n;
}

#endif
