/* SPDX-License-Identifier: MIT */
/*
 * test_filelock.c: record locks (open-file-description locks). Across
 * processes they conflict as POSIX says: shared with shared never,
 * exclusive with anything overlapping, adjacent ranges never, "to the end"
 * ranges reach any offset. Locks of one handle replace each other and can
 * be split; two handles conflict even in one process, and closing another
 * descriptor of the file drops nothing. Timed waits end at their deadline
 * without burning the CPU and succeed soon after a release; the lock of a
 * holder killed with SIGKILL is released, also to a waiter blocked in the
 * kernel (seen in /proc/locks as a blocked request before the kill). A
 * forked child shares its parent's locks. Opening a terminal never makes
 * it the caller's controlling terminal. Bad arguments give clear errors;
 * no descriptor or file is left behind.
 * ipcx-test: label=process timeout=60
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <ipcx.h>

#include "sync_support.h"
#include "tsup.h"

#define WAIT_MS 10000
/* How late a timed wait may end: generous, as the machine may be a loaded
 * 2-core VM running the sanitizer build. "Never early" is checked exactly. */
#define LATE_MS 1500
#define SH      IPCX_FILELOCK_SHARED
#define EX      IPCX_FILELOCK_EXCLUSIVE

/* Ends every test: nothing named by this test's process is left (names
 * carry the pid, and each test runs in a process of its own). */
static void assert_nothing_left(void)
{
    cr_assert_eq(sync_leftovers(), 0, "named objects or files left behind");
}

static struct ipcx_filelock *make_file(char *path, size_t size)
{
    sync_tmp_path(path, size, "ipcx-filelock");
    struct ipcx_filelock *fl = NULL;
    cr_assert_eq(ipcx_filelock_create(&fl, path, NULL), 0);
    return fl;
}

struct holder {
    const char *path;
    off_t start, len;
    int type;
    int ready, go;
};

/* In its own process, with its own open: locks, says so, waits for "go". */
static int hold(void *p)
{
    struct holder *h = p;
    struct ipcx_filelock *fl = NULL;
    TSUP_CHILD_CHECK(ipcx_filelock_open(&fl, h->path, NULL) == 0);
    TSUP_CHILD_CHECK(ipcx_filelock_lock(fl, h->start, h->len, h->type, IPCX_NOWAIT) == 0);
    TSUP_CHILD_CHECK(sync_send_byte(h->ready, 'L') == 0);
    TSUP_CHILD_CHECK(sync_recv_byte(h->go, WAIT_MS) == 'g');
    ipcx_filelock_close(fl);
    return 0;
}

struct pipes {
    int ready[2], go[2];
};

static void open_pipes(struct pipes *p)
{
    cr_assert_eq(pipe2(p->ready, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(p->go, O_CLOEXEC), 0);
}

static void close_pipes(struct pipes *p)
{
    for (int i = 0; i < 2; i++) {
        close(p->ready[i]);
        close(p->go[i]);
    }
}

/* Starts a holder of [start, start+len) and waits until it holds it. */
static pid_t start_holder(struct holder *h, struct pipes *p, const char *path, off_t start,
                          off_t len, int type)
{
    *h = (struct holder){path, start, len, type, p->ready[1], p->go[0]};
    pid_t pid = tsup_fork(hold, h);
    cr_assert_gt(pid, 0);
    cr_assert_eq(sync_recv_byte(p->ready[0], WAIT_MS), 'L');
    return pid;
}

struct probe {
    const char *path;
    off_t start, len;
    int type;
};

/* From another process: 0 if the range could be locked at once, 1 if not. */
static int probe_nowait(void *p)
{
    struct probe *pr = p;
    struct ipcx_filelock *fl = NULL;
    TSUP_CHILD_CHECK(ipcx_filelock_open(&fl, pr->path, NULL) == 0);
    int rc = ipcx_filelock_lock(fl, pr->start, pr->len, pr->type, IPCX_NOWAIT);
    ipcx_filelock_close(fl);
    return rc == 0 ? 0 : rc == IPCX_ETIMEDOUT ? 1 : 2;
}

static int probe(const char *path, off_t start, off_t len, int type)
{
    struct probe pr = {path, start, len, type};
    return tsup_wait_exit(tsup_fork(probe_nowait, &pr), WAIT_MS);
}

static void stop_holder(pid_t pid, struct pipes *p)
{
    cr_assert_eq(sync_send_byte(p->go[1], 'g'), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
}

Test(filelock, conflicts_across_processes_as_posix_says)
{
    int fds = tsup_fd_count();
    char path[512];
    struct ipcx_filelock *me = make_file(path, sizeof path);
    struct pipes p;
    open_pipes(&p);
    struct holder h;

    /* Another process reads [0, 100). */
    pid_t pid = start_holder(&h, &p, path, 0, 100, SH);
    cr_assert_eq(ipcx_filelock_test(me, 50, 100, SH), 0);
    cr_assert_eq(ipcx_filelock_test(me, 0, 10, EX), SH);
    cr_assert_eq(ipcx_filelock_lock(me, 50, 100, SH, IPCX_NOWAIT), 0, "shared + shared");
    cr_assert_eq(ipcx_filelock_lock(me, 99, 1, EX, IPCX_NOWAIT), IPCX_ETIMEDOUT);
    cr_assert_eq(ipcx_filelock_lock(me, 100, 50, EX, IPCX_NOWAIT), 0, "adjacent, no overlap");
    cr_assert_eq(ipcx_filelock_unlock(me, 0, 0), 0);
    stop_holder(pid, &p);

    /* Another process writes [0, 100). */
    pid = start_holder(&h, &p, path, 0, 100, EX);
    cr_assert_eq(ipcx_filelock_test(me, 99, 1, SH), EX);
    cr_assert_eq(ipcx_filelock_lock(me, 99, 1, SH, IPCX_NOWAIT), IPCX_ETIMEDOUT);
    cr_assert_eq(ipcx_filelock_lock(me, 0, 0, EX, IPCX_NOWAIT), IPCX_ETIMEDOUT);
    cr_assert_eq(ipcx_filelock_lock(me, 100, 1, SH, IPCX_NOWAIT), 0);
    cr_assert_eq(ipcx_filelock_lock(me, 100, 1, EX, IPCX_NOWAIT), 0, "upgrade our own");
    stop_holder(pid, &p);
    cr_assert_eq(ipcx_filelock_unlock(me, 0, 0), 0);

    /* Another process holds "from 1000 to the end": far past the file's
     * end, the range is still locked. */
    pid = start_holder(&h, &p, path, 1000, 0, EX);
    cr_assert_eq(ipcx_filelock_lock(me, (off_t)1 << 40, 1, SH, IPCX_NOWAIT), IPCX_ETIMEDOUT);
    cr_assert_eq(ipcx_filelock_lock(me, 0, 1000, EX, IPCX_NOWAIT), 0);
    stop_holder(pid, &p);
    cr_assert_eq(ipcx_filelock_unlock(me, 0, 0), 0);

    /* We hold [0, 100) and unlock its middle: the other process may take
     * the middle, not the ends. */
    cr_assert_eq(ipcx_filelock_lock(me, 0, 100, EX, IPCX_NOWAIT), 0);
    cr_assert_eq(ipcx_filelock_unlock(me, 40, 20), 0);
    cr_assert_eq(probe(path, 40, 20, EX), 0);
    cr_assert_eq(probe(path, 39, 1, SH), 1);
    cr_assert_eq(probe(path, 60, 1, SH), 1);
    cr_assert_eq(probe(path, 99, 5, EX), 1);
    cr_assert_eq(probe(path, 100, 5, EX), 0);
    cr_assert_eq(ipcx_filelock_test(me, 0, 0, EX), 0, "we never conflict with ourselves");

    ipcx_filelock_close(me);
    close_pipes(&p);
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

/* The inherited handle is the parent's open: same owner, same locks. */
static int use_inherited(void *p)
{
    struct ipcx_filelock *a = p;
    TSUP_CHILD_CHECK(ipcx_filelock_lock(a, 0, 0, EX, IPCX_NOWAIT) == 0);
    TSUP_CHILD_CHECK(ipcx_filelock_unlock(a, 0, 0) == 0);
    return 0;
}

Test(filelock, locks_belong_to_the_open_not_the_process)
{
    int fds = tsup_fd_count();
    char path[512];
    struct ipcx_filelock *a = make_file(path, sizeof path), *b = NULL;
    cr_assert_eq(ipcx_filelock_open(&b, path, NULL), 0);
    cr_assert_eq(ipcx_filelock_lock(a, 0, 10, EX, IPCX_NOWAIT), 0);
    cr_assert_eq(ipcx_filelock_lock(b, 5, 1, SH, IPCX_NOWAIT), IPCX_ETIMEDOUT,
                 "two opens in one process conflict");
    /* Some other part of the program opens and closes the file: with
     * classic POSIX locks that would drop ours. */
    int other = open(path, O_RDWR | O_CLOEXEC);
    cr_assert_geq(other, 0);
    close(other);
    cr_assert_eq(ipcx_filelock_lock(b, 5, 1, SH, IPCX_NOWAIT), IPCX_ETIMEDOUT, "still locked");

    /* A forked child shares a's open file description, hence its locks:
     * its lock does not conflict with ours, and its unlock is ours. */
    cr_assert_eq(tsup_wait_exit(tsup_fork(use_inherited, a), WAIT_MS), 0);
    cr_assert_eq(ipcx_filelock_lock(b, 0, 0, EX, IPCX_NOWAIT), 0, "the child unlocked for us");
    cr_assert_eq(ipcx_filelock_unlock(b, 0, 0), 0);
    cr_assert_eq(ipcx_filelock_lock(a, 0, 0, EX, IPCX_NOWAIT), 0);
    ipcx_filelock_close(a);
    cr_assert_eq(ipcx_filelock_lock(b, 0, 0, EX, IPCX_NOWAIT), 0, "close released it");
    ipcx_filelock_close(b);
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

Test(filelock, timed_waits_keep_deadline_and_spare_the_cpu)
{
    char path[512];
    struct ipcx_filelock *me = make_file(path, sizeof path);
    struct pipes p;
    open_pipes(&p);
    struct holder h;
    pid_t pid = start_holder(&h, &p, path, 0, 0, EX);

    for (int i = 0; i < 3; i++) {
        int64_t t0 = tsup_now_ms();
        cr_assert_eq(ipcx_filelock_lock(me, 0, 1, SH, 120), IPCX_ETIMEDOUT);
        int64_t took = tsup_now_ms() - t0;
        cr_assert_geq(took, 120);
        cr_assert_lt(took, 120 + LATE_MS);
    }
    /* Half a second of waiting costs a small fraction of a core. */
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    cr_assert_eq(ipcx_filelock_lock(me, 0, 1, EX, 500), IPCX_ETIMEDOUT);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    int64_t cpu_ms =
        ((int64_t)(c1.tv_sec - c0.tv_sec) * 1000000000LL + (c1.tv_nsec - c0.tv_nsec)) / 1000000;
    cr_log_info("500 ms timed wait used %lld ms of CPU", (long long)cpu_ms);
    cr_assert_lt(cpu_ms, 100);

    /* Released while we wait: the wait ends soon after, well before its
     * deadline. */
    cr_assert_eq(sync_send_byte(p.go[1], 'g'), 0);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_filelock_lock(me, 0, 1, EX, WAIT_MS), 0);
    cr_assert_lt(tsup_now_ms() - t0, WAIT_MS / 2);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);

    cr_assert_eq(ipcx_filelock_unlock(me, 0, 0), 0);
    ipcx_filelock_close(me);
    close_pipes(&p);
    cr_assert_eq(unlink(path), 0);
    assert_nothing_left();
}

struct waiter {
    const char *path;
    int done;
};

/* Blocks in the kernel (no timeout) until the range is free. */
static int wait_forever_for_lock(void *p)
{
    struct waiter *w = p;
    struct ipcx_filelock *fl = NULL;
    TSUP_CHILD_CHECK(ipcx_filelock_open(&fl, w->path, NULL) == 0);
    TSUP_CHILD_CHECK(ipcx_filelock_lock(fl, 10, 10, EX, IPCX_FOREVER) == 0);
    TSUP_CHILD_CHECK(sync_send_byte(w->done, 'W') == 0);
    ipcx_filelock_close(fl);
    return 0;
}

/*
 * True once /proc/locks lists a request blocked in the kernel ("->") for
 * the bytes [start, end] of the file with inode `ino`: proof that a waiter
 * sleeps in F_OFD_SETLKW rather than being still on its way there.
 */
static bool blocked_in_kernel(ino_t ino, long long start, long long end)
{
    FILE *f = fopen("/proc/locks", "re");
    cr_assert_not_null(f, "/proc/locks");
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        const char *req = strstr(line, "->");
        if (!req)
            continue;
        /* "-> OFDLCK ADVISORY WRITE -1 MAJ:MIN:INODE START END" */
        unsigned maj, min;
        unsigned long long inode;
        long long s, e;
        if (sscanf(req + 2, " %*s %*s %*s %*d %x:%x:%llu %lld %lld", &maj, &min, &inode, &s, &e) ==
            5)
            found = inode == (unsigned long long)ino && s == start && e == end;
    }
    fclose(f);
    return found;
}

Test(filelock, killed_holder_releases_its_lock)
{
    int fds = tsup_fd_count();
    char path[512], ready_arg[16];
    struct ipcx_filelock *me = make_file(path, sizeof path);
    int ready[2], done[2];
    cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(done, O_CLOEXEC), 0);

    /* The holder is an unrelated program. */
    snprintf(ready_arg, sizeof ready_arg, "%d", ready[1]);
    const char *args[] = {path, "0", "100", "2", ready_arg, NULL};
    pid_t holder = sync_spawn_helper_fds("filelock_hold", args, &ready[1], 1);
    cr_assert_eq(sync_recv_byte(ready[0], WAIT_MS), 'L');
    cr_assert_eq(ipcx_filelock_test(me, 0, 1, SH), EX);

    struct waiter w = {path, done[1]};
    pid_t blocked = tsup_fork(wait_forever_for_lock, &w);
    cr_assert_gt(blocked, 0);
    cr_assert_eq(ipcx_filelock_lock(me, 50, 1, SH, 100), IPCX_ETIMEDOUT);
    /* The waiter must be asleep in the kernel when the holder dies: wait
     * until the kernel lists its blocked request for [10, 19]. */
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    int64_t end = tsup_now_ms() + WAIT_MS;
    while (!blocked_in_kernel(st.st_ino, 10, 19)) {
        cr_assert_lt(tsup_now_ms(), end, "the waiter never blocked in F_OFD_SETLKW");
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    cr_assert_eq(sync_recv_byte(done[0], 0), -1, "the blocked waiter still waits");

    cr_assert_eq(kill(holder, SIGKILL), 0);
    cr_assert_eq(tsup_wait_exit(holder, WAIT_MS), 128 + SIGKILL);
    /* Both waiters get their ranges: the one blocked in the kernel is woken. */
    cr_assert_eq(sync_recv_byte(done[0], WAIT_MS), 'W');
    cr_assert_eq(tsup_wait_exit(blocked, WAIT_MS), 0);
    cr_assert_eq(ipcx_filelock_lock(me, 0, 100, EX, WAIT_MS), 0);

    ipcx_filelock_close(me);
    for (int i = 0; i < 2; i++) {
        close(ready[i]);
        close(done[i]);
    }
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

Test(filelock, files_are_created_safely)
{
    int fds = tsup_fd_count();
    char path[512], link_path[512], fifo[512];
    struct stat st;
    mode_t old = umask(0277);
    struct ipcx_filelock *fl = make_file(path, sizeof path), *o = NULL;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0600);
    cr_assert_eq(ipcx_filelock_create(&o, path, NULL), IPCX_EEXIST);

    /* The descriptor reads and writes the file the locks protect. */
    int fd = ipcx_filelock_fd(fl);
    cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    cr_assert_eq(pwrite(fd, "data", 4, 0), 4);
    ipcx_filelock_close(fl);

    struct ipcx_filelock_opts o640 = {.mode = 0640};
    sync_tmp_path(link_path, sizeof link_path, "ipcx-filelock-mode");
    cr_assert_eq(ipcx_filelock_create(&fl, link_path, &o640), 0);
    cr_assert_eq(fstat(ipcx_filelock_fd(fl), &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0640);
    ipcx_filelock_close(fl);
    cr_assert_eq(unlink(link_path), 0);
    umask(old);

    /* Links are not followed, non-files are refused, read-only opens
     * cannot lock exclusively. */
    sync_tmp_path(link_path, sizeof link_path, "ipcx-filelock-link");
    cr_assert_eq(symlink(path, link_path), 0);
    cr_assert_eq(ipcx_filelock_open(&o, link_path, NULL), IPCX_ELOOP);
    cr_assert_eq(ipcx_filelock_create(&o, link_path, NULL), IPCX_EEXIST);
    cr_assert_eq(unlink(link_path), 0);
    sync_tmp_path(fifo, sizeof fifo, "ipcx-filelock-fifo");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    cr_assert_eq(ipcx_filelock_open(&o, fifo, NULL), IPCX_ENODEV);
    cr_assert_eq(unlink(fifo), 0);
    struct ipcx_filelock_opts ro = {.flags = IPCX_FILELOCK_RDONLY};
    cr_assert_eq(ipcx_filelock_open(&o, path, &ro), 0);
    cr_assert_eq(ipcx_filelock_lock(o, 0, 1, EX, IPCX_NOWAIT), IPCX_EBADF);
    cr_assert_eq(ipcx_filelock_lock(o, 0, 1, SH, IPCX_NOWAIT), 0);
    ipcx_filelock_close(o);
    cr_assert_eq(ipcx_filelock_create(&o, fifo, &ro), IPCX_EINVAL);
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(ipcx_filelock_open(&o, path, NULL), IPCX_ENOENT);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

/*
 * As a session leader without a controlling terminal, opens a terminal
 * through the library: it is refused as no regular file, and must not
 * have become this process's controlling terminal (O_NOCTTY).
 */
static int open_a_terminal(void *p)
{
    (void)p;
    TSUP_CHILD_CHECK(setsid() > 0);
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    TSUP_CHILD_CHECK(master >= 0);
    TSUP_CHILD_CHECK(grantpt(master) == 0 && unlockpt(master) == 0);
    const char *slave = ptsname(master);
    TSUP_CHILD_CHECK(slave != NULL);
    struct ipcx_filelock *fl = NULL;
    TSUP_CHILD_CHECK(ipcx_filelock_open(&fl, slave, NULL) == IPCX_ENODEV);
    errno = 0;
    int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    TSUP_CHILD_CHECK(tty < 0 && errno == ENXIO); /* still no controlling terminal */
    close(master);
    return 0;
}

Test(filelock, opening_a_terminal_does_not_make_it_ours)
{
    cr_assert_eq(tsup_wait_exit(tsup_fork(open_a_terminal, NULL), WAIT_MS), 0);
}

Test(filelock, bad_arguments)
{
    int fds = tsup_fd_count();
    char path[512];
    struct ipcx_filelock *fl = make_file(path, sizeof path), *o = NULL;
    struct ipcx_filelock_opts badmode = {.mode = 04600}, badflags = {.flags = 0x8};
    char never[512];
    sync_tmp_path(never, sizeof never, "ipcx-filelock-never");
    cr_assert_eq(ipcx_filelock_create(NULL, never, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_filelock_create(&o, NULL, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_filelock_create(&o, "", NULL), IPCX_EINVAL);
    char toolong[PATH_MAX + 1];
    memset(toolong, 'a', PATH_MAX);
    toolong[PATH_MAX] = '\0';
    cr_assert_eq(ipcx_filelock_create(&o, toolong, NULL), IPCX_ENAMETOOLONG);
    cr_assert_eq(ipcx_filelock_open(&o, toolong, NULL), IPCX_ENAMETOOLONG);
    cr_assert_eq(ipcx_filelock_create(&o, never, &badmode), IPCX_EINVAL);
    cr_assert_eq(ipcx_filelock_open(&o, path, &badflags), IPCX_EINVAL);
    cr_assert_null(o);
    cr_assert_neq(access(never, F_OK), 0);

    cr_assert_eq(ipcx_filelock_lock(fl, 0, 1, 0, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_filelock_lock(fl, 0, 1, 3, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_filelock_lock(fl, -1, 1, EX, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_filelock_lock(fl, 0, -1, EX, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_filelock_lock(fl, 0, 1, EX, -2), IPCX_EINVAL);
    cr_assert_eq(ipcx_filelock_lock(fl, INT64_MAX, 2, EX, 0), IPCX_EOVERFLOW);
    cr_assert_eq(ipcx_filelock_lock(fl, INT64_MAX, 1, EX, 0), 0, "the last byte exists");
    cr_assert_eq(ipcx_filelock_unlock(fl, -5, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_filelock_test(fl, 0, 1, 7), IPCX_EINVAL);
    cr_assert_eq(ipcx_filelock_lock(NULL, 0, 1, EX, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_filelock_unlock(NULL, 0, 1), IPCX_EINVAL);
    cr_assert_eq(ipcx_filelock_test(NULL, 0, 1, EX), IPCX_EINVAL);
    cr_assert_eq(ipcx_filelock_fd(NULL), IPCX_EINVAL);
    ipcx_filelock_close(NULL);
    ipcx_filelock_close(fl);
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}
