/* SPDX-License-Identifier: MIT */
/*
 * test_fifo.c: FIFOs between unrelated processes (fork + exec of the test
 * helper) in both directions; exclusive creation with an explicit mode
 * whatever the umask, without ever opening the FIFO, and a failed create
 * that leaves nothing behind; an open with no peer that times out; a
 * reader that waits for its first writer instead of seeing end of file; a
 * planted symbolic link or a non-FIFO at the path refused by every call,
 * a device or a file swapped in never opened; IPCX_EPIPE instead of
 * SIGPIPE; bad arguments and leaks.
 * ipcx-test: label=process timeout=60
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <ipcx.h>

#include "tsup.h"

/* A timeout may end this late on a loaded 2-core VM under sanitizers, never
 * earlier: the never-early checks are the strict ones. */
#define LATE_MS 1000

static char dir[64];
static char path[128];

/* Each test gets a fresh private directory and a random FIFO name in it. */
static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/ipcx-fifo-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char name[64];
    snprintf(path, sizeof path, "%s/%s", dir, tsup_name(name, sizeof name, "fifo"));
}

/* Removes the directory and whatever a test left in it (no subdirectories). */
static void teardown(void)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    rmdir(dir);
}

TestSuite(fifo, .init = setup, .fini = teardown);

static mode_t mode_of(const char *p)
{
    struct stat st;
    cr_assert_eq(lstat(p, &st), 0);
    return st.st_mode;
}

Test(fifo, create_is_exclusive_with_an_explicit_mode)
{
    mode_t old = umask(0077);
    struct ipcx_fifo_opts o = {.mode = 0660};
    cr_assert_eq(ipcx_fifo_create(path, &o), 0);
    umask(old);
    cr_assert(S_ISFIFO(mode_of(path)));
    cr_assert_eq(mode_of(path) & 07777, 0660, "mode 0%o: the umask must not apply",
                 mode_of(path) & 07777);
    cr_assert_eq(ipcx_fifo_create(path, NULL), IPCX_EEXIST);
    cr_assert_eq(ipcx_fifo_unlink(path), 0);

    old = umask(0);
    cr_assert_eq(ipcx_fifo_create(path, NULL), 0);
    umask(old);
    cr_assert_eq(mode_of(path) & 07777, 0600, "the default is 0600");
    cr_assert_eq(ipcx_fifo_unlink(path), 0);

    /* Even a umask that leaves the owner nothing does not get in the way. */
    old = umask(0777);
    o.mode = 0640;
    cr_assert_eq(ipcx_fifo_create(path, &o), 0);
    umask(old);
    cr_assert_eq(mode_of(path) & 07777, 0640, "mode 0%o", mode_of(path) & 07777);
    cr_assert_eq(ipcx_fifo_unlink(path), 0);
    cr_assert_eq(access(path, F_OK), -1, "unlinked");
    cr_assert_eq(ipcx_fifo_unlink(path), IPCX_ENOENT);
}

/* The inotify events of one watch, as a mask per name (only `path`'s name is kept). */
static uint32_t drain_events(int in, const char *name)
{
    uint32_t seen = 0;
    _Alignas(struct inotify_event) char buf[4096];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)(void *)p;
            if (e->len && strcmp(e->name, name) == 0)
                seen |= e->mask;
            p += sizeof *e + e->len;
        }
    return seen;
}

Test(fifo, create_never_opens_the_fifo)
{
    /* Opening the new FIFO, even for an instant, would release a writer
     * already waiting in a blocking open() and leave it facing a FIFO with
     * no reader. The kernel reports every open of a file in the directory. */
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    cr_assert_geq(in, 0);
    cr_assert_geq(inotify_add_watch(in, dir, IN_CREATE | IN_OPEN | IN_CLOSE | IN_ATTRIB), 0);
    mode_t old = umask(0077);
    struct ipcx_fifo_opts o = {.mode = 0620};
    cr_assert_eq(ipcx_fifo_create(path, &o), 0);
    umask(old);
    uint32_t seen = drain_events(in, strrchr(path, '/') + 1);
    cr_assert(seen & IN_CREATE);
    cr_assert(seen & IN_ATTRIB, "the mode was set");
    cr_assert_eq(seen & (IN_OPEN | IN_CLOSE), 0, "the FIFO was opened (events 0x%x)", seen);
    cr_assert_eq(mode_of(path) & 07777, 0620);
    close(in);
}

static int child_create_without_descriptors(void *arg)
{
    const char *p = arg;
    /* Not one more descriptor: the create fails after mkfifo(). */
    struct rlimit rl;
    TSUP_CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    rl.rlim_cur = 64;
    TSUP_CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    while (dup(2) >= 0)
        ;
    TSUP_CHILD_CHECK(errno == EMFILE);
    TSUP_CHILD_CHECK(ipcx_fifo_create(p, NULL) == IPCX_EMFILE);
    struct stat st;
    TSUP_CHILD_CHECK(lstat(p, &st) == -1 && errno == ENOENT); /* it removed its own FIFO */
    return 0;
}

Test(fifo, a_failed_create_leaves_nothing_behind)
{
    pid_t pid = tsup_fork(child_create_without_descriptors, path);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    cr_assert_eq(access(path, F_OK), -1);
}

Test(fifo, unrelated_processes_talk_helper_writes)
{
    int base = tsup_fd_count();
    cr_assert_eq(ipcx_fifo_create(path, NULL), 0);
    size_t n = 200000; /* several times the capacity: the writer must wait for room */
    char nstr[16];
    snprintf(nstr, sizeof nstr, "%zu", n);
    const char *args[] = {path, nstr, NULL};
    pid_t pid = tsup_spawn_helper("fifo_write", args);
    cr_assert_gt(pid, 0);

    struct ipcx_fifo *f;
    cr_assert_eq(ipcx_fifo_open(&f, path, IPCX_FIFO_READ, 5000), 0);
    unsigned char buf[10000];
    size_t got = 0;
    for (;;) {
        ssize_t r = ipcx_fifo_read(f, buf, sizeof buf, 5000);
        cr_assert_geq(r, 0, "read: %s", ipcx_errname((int)r));
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            cr_assert_eq(buf[i], (unsigned char)((got + (size_t)i) * 7 + 3), "byte %zu",
                         got + (size_t)i);
        got += (size_t)r;
    }
    cr_assert_eq(got, n);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    ipcx_fifo_close(f);
    cr_assert_eq(ipcx_fifo_unlink(path), 0);
    cr_assert_eq(tsup_fd_count(), base, "descriptor leak");
}

Test(fifo, unrelated_processes_talk_helper_reads)
{
    cr_assert_eq(ipcx_fifo_create(path, NULL), 0);
    size_t n = 300000;
    char nstr[16];
    snprintf(nstr, sizeof nstr, "%zu", n);
    const char *args[] = {path, nstr, NULL};
    pid_t pid = tsup_spawn_helper("fifo_read", args);
    cr_assert_gt(pid, 0);

    unsigned char *buf = malloc(n);
    cr_assert_not_null(buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    struct ipcx_fifo *f;
    /* Waits for the helper to open its end. */
    cr_assert_eq(ipcx_fifo_open(&f, path, IPCX_FIFO_WRITE, 5000), 0);
    size_t done = 0;
    cr_assert_eq(ipcx_fifo_write_all(f, buf, n, &done, 5000), (ssize_t)n);
    cr_assert_eq(done, n);
    ipcx_fifo_close(f);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    free(buf);
    cr_assert_eq(ipcx_fifo_unlink(path), 0);
}

Test(fifo, open_for_writing_with_no_reader_times_out)
{
    int base = tsup_fd_count();
    cr_assert_eq(ipcx_fifo_create(path, NULL), 0);
    struct ipcx_fifo *f = NULL;
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_fifo_open(&f, path, IPCX_FIFO_WRITE, 100), IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert(took >= 100 && took <= 100 + LATE_MS, "took %lld ms", (long long)took);
    cr_assert_eq(ipcx_fifo_open(&f, path, IPCX_FIFO_WRITE, IPCX_NOWAIT), IPCX_ENXIO);
    cr_assert_null(f);
    cr_assert_eq(tsup_fd_count(), base);

    /* With a reader there, the same open succeeds at once. */
    struct ipcx_fifo *r;
    cr_assert_eq(ipcx_fifo_open(&r, path, IPCX_FIFO_READ, IPCX_NOWAIT), 0);
    cr_assert_eq(ipcx_fifo_open(&f, path, IPCX_FIFO_WRITE, IPCX_NOWAIT), 0);
    int fd = ipcx_fifo_fd(f);
    cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
    ipcx_fifo_close(f);
    ipcx_fifo_close(r);
    cr_assert_eq(tsup_fd_count(), base);
}

static int child_late_writer(void *arg)
{
    const char *p = arg;
    struct timespec ts = {0, 150 * 1000000L};
    nanosleep(&ts, NULL);
    struct ipcx_fifo *f;
    TSUP_CHILD_CHECK(ipcx_fifo_open(&f, p, IPCX_FIFO_WRITE, 5000) == 0);
    TSUP_CHILD_CHECK(ipcx_fifo_write(f, "late", 4, 1000) == 4);
    ipcx_fifo_close(f);
    return 0;
}

Test(fifo, reader_waits_for_its_first_writer_then_sees_eof)
{
    cr_assert_eq(ipcx_fifo_create(path, NULL), 0);
    struct ipcx_fifo *r;
    cr_assert_eq(ipcx_fifo_open(&r, path, IPCX_FIFO_READ, IPCX_NOWAIT), 0);
    char buf[16];
    /* No writer yet: not end of file, a wait. */
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_fifo_read(r, buf, sizeof buf, 60), IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert(took >= 60 && took <= 60 + LATE_MS, "took %lld ms", (long long)took);
    cr_assert_eq(ipcx_fifo_read(r, buf, sizeof buf, IPCX_NOWAIT), IPCX_EAGAIN);

    /* A writer that arrives during the read is waited for. */
    pid_t pid = tsup_fork(child_late_writer, path);
    cr_assert_gt(pid, 0);
    cr_assert_eq(ipcx_fifo_read(r, buf, sizeof buf, 5000), 4);
    cr_assert_eq(memcmp(buf, "late", 4), 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    /* It came and went: now it is end of file. */
    cr_assert_eq(ipcx_fifo_read(r, buf, sizeof buf, 1000), 0);
    ipcx_fifo_close(r);
}

Test(fifo, planted_symlink_is_refused)
{
    /* The link points at a FIFO and at a file the attacker wants touched. */
    char target[160], victim[160];
    snprintf(target, sizeof target, "%s/real-fifo", dir);
    snprintf(victim, sizeof victim, "%s/victim", dir);
    cr_assert_eq(mkfifo(target, 0644), 0);
    cr_assert_eq(chmod(target, 0666), 0);
    int fd = open(victim, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "keep", 4), 4);
    close(fd);
    cr_assert_eq(chmod(victim, 0664), 0);

    cr_assert_eq(symlink(target, path), 0);
    struct ipcx_fifo *f = NULL;
    cr_assert_eq(ipcx_fifo_create(path, NULL), IPCX_EEXIST);
    cr_assert_eq(ipcx_fifo_open(&f, path, IPCX_FIFO_READ, IPCX_NOWAIT), IPCX_ELOOP);
    cr_assert_eq(ipcx_fifo_open(&f, path, IPCX_FIFO_WRITE, 50), IPCX_ELOOP);
    cr_assert_eq(ipcx_fifo_unlink(path), IPCX_ELOOP);
    cr_assert_null(f);
    cr_assert(S_ISLNK(mode_of(path)), "the link is still there");
    cr_assert_eq(mode_of(target) & 07777, 0666, "target mode changed to 0%o",
                 mode_of(target) & 07777);

    /* A dangling link is no better. */
    cr_assert_eq(unlink(path), 0);
    char nowhere[160];
    snprintf(nowhere, sizeof nowhere, "%s/does-not-exist", dir);
    cr_assert_eq(symlink(nowhere, path), 0);
    cr_assert_eq(ipcx_fifo_create(path, NULL), IPCX_EEXIST);
    cr_assert_eq(access(nowhere, F_OK), -1, "nothing created through the link");
    cr_assert_eq(unlink(path), 0);

    /* A link to a regular file: the file keeps its mode and content. */
    cr_assert_eq(symlink(victim, path), 0);
    cr_assert_eq(ipcx_fifo_create(path, NULL), IPCX_EEXIST);
    cr_assert_eq(ipcx_fifo_open(&f, path, IPCX_FIFO_WRITE, IPCX_NOWAIT), IPCX_ELOOP);
    cr_assert_eq(ipcx_fifo_unlink(path), IPCX_ELOOP);
    struct stat st;
    cr_assert_eq(stat(victim, &st), 0);
    cr_assert(S_ISREG(st.st_mode));
    cr_assert_eq(st.st_mode & 07777, 0664);
    cr_assert_eq(st.st_size, 4);
}

Test(fifo, a_path_that_is_not_a_fifo_is_refused)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "data", 4), 4);
    close(fd);
    struct ipcx_fifo *f = NULL;
    cr_assert_eq(ipcx_fifo_create(path, NULL), IPCX_EEXIST);
    cr_assert_eq(ipcx_fifo_open(&f, path, IPCX_FIFO_READ, IPCX_NOWAIT), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_open(&f, path, IPCX_FIFO_WRITE, IPCX_NOWAIT), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_unlink(path), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_open(&f, dir, IPCX_FIFO_READ, IPCX_NOWAIT), IPCX_EINVAL, "a directory");
    cr_assert_null(f);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "the file is still there");
    cr_assert_eq(st.st_size, 4);

    /* A device is refused without being opened (an open alone can act on
     * some devices). */
    char dev[160];
    snprintf(dev, sizeof dev, "%s/null-device", dir);
    cr_assert_eq(mknod(dev, S_IFCHR | 0600, makedev(1, 3)), 0);
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    cr_assert_geq(in, 0);
    cr_assert_geq(inotify_add_watch(in, dev, IN_OPEN), 0);
    cr_assert_eq(ipcx_fifo_open(&f, dev, IPCX_FIFO_READ, IPCX_NOWAIT), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_open(&f, dev, IPCX_FIFO_WRITE, 50), IPCX_EINVAL);
    _Alignas(struct inotify_event) char ev[512];
    cr_assert_eq(read(in, ev, sizeof ev), -1, "the device was opened");
    close(in);

    char missing[160];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    cr_assert_eq(ipcx_fifo_open(&f, missing, IPCX_FIFO_READ, 100), IPCX_ENOENT);
    snprintf(missing, sizeof missing, "%s/no-dir/fifo", dir);
    cr_assert_eq(ipcx_fifo_create(missing, NULL), IPCX_ENOENT);
}

struct swapper {
    const char *a, *b;
    int64_t until_ms;
};

/* Swaps two names atomically, again and again, until the time is up. */
static int child_swapper(void *arg)
{
    struct swapper *w = arg;
    while (tsup_now_ms() < w->until_ms)
        TSUP_CHILD_CHECK(renameat2(AT_FDCWD, w->a, AT_FDCWD, w->b, RENAME_EXCHANGE) == 0);
    return 0;
}

Test(fifo, a_path_swapped_during_open_is_never_opened)
{
    /* The path flips between a FIFO and a regular file while it is being
     * opened: the open either gets the FIFO or refuses, and the file is
     * never opened, not even for an instant (the kernel reports every open
     * of the file to the watch). */
    char other[160];
    snprintf(other, sizeof other, "%s/decoy", dir);
    cr_assert_eq(mkfifo(path, 0600), 0);
    int fd = open(other, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0);
    close(fd);
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    cr_assert_geq(in, 0);
    cr_assert_geq(inotify_add_watch(in, other, IN_OPEN), 0); /* follows the inode */

    struct swapper w = {path, other, tsup_now_ms() + 400};
    pid_t pid = tsup_fork(child_swapper, &w);
    cr_assert_gt(pid, 0);
    int got = 0, refused = 0, other_err = 0;
    while (tsup_now_ms() < w.until_ms) {
        struct ipcx_fifo *f;
        int rc = ipcx_fifo_open(&f, path, IPCX_FIFO_READ, IPCX_NOWAIT);
        if (rc == 0) {
            struct stat st;
            cr_assert_eq(fstat(ipcx_fifo_fd(f), &st), 0);
            cr_assert(S_ISFIFO(st.st_mode));
            ipcx_fifo_close(f);
            got++;
        } else if (rc == IPCX_EINVAL) {
            refused++;
        } else {
            other_err++; /* ENOENT if it lands between two renames: none expected */
        }
    }
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    _Alignas(struct inotify_event) char buf[4096];
    ssize_t n = read(in, buf, sizeof buf);
    cr_log_info("swapped path: %d opens of the FIFO, %d refusals", got, refused);
    cr_assert_eq(n, -1, "the regular file was opened");
    cr_assert_eq(other_err, 0);
    close(in);
}

static int child_writer_outlives_reader(void *arg)
{
    const char *p = arg;
    signal(SIGPIPE, SIG_DFL);
    struct ipcx_fifo *r, *w;
    TSUP_CHILD_CHECK(ipcx_fifo_open(&r, p, IPCX_FIFO_READ, 0) == 0);
    TSUP_CHILD_CHECK(ipcx_fifo_open(&w, p, IPCX_FIFO_WRITE, 1000) == 0);
    TSUP_CHILD_CHECK(ipcx_fifo_write(w, "a", 1, 1000) == 1);
    ipcx_fifo_close(r);
    TSUP_CHILD_CHECK(ipcx_fifo_write(w, "b", 1, 1000) == IPCX_EPIPE);
    size_t done = 5;
    TSUP_CHILD_CHECK(ipcx_fifo_write_all(w, "cd", 2, &done, 1000) == IPCX_EPIPE && done == 0);
    sigset_t pend;
    sigpending(&pend);
    TSUP_CHILD_CHECK(!sigismember(&pend, SIGPIPE));
    ipcx_fifo_close(w);
    return 0;
}

Test(fifo, writer_gets_epipe_and_survives)
{
    cr_assert_eq(ipcx_fifo_create(path, NULL), 0);
    pid_t pid = tsup_fork(child_writer_outlives_reader, path);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0, "128+13 means SIGPIPE killed it");
}

Test(fifo, capacity_and_handle_checks)
{
    cr_assert_eq(ipcx_fifo_create(path, NULL), 0);
    struct ipcx_fifo *r, *w;
    cr_assert_eq(ipcx_fifo_open(&r, path, IPCX_FIFO_READ, 0), 0);
    cr_assert_eq(ipcx_fifo_open(&w, path, IPCX_FIFO_WRITE, 0), 0);
    cr_assert_eq(ipcx_fifo_set_capacity(w, 8192), 8192);
    cr_assert_eq(ipcx_fifo_get_capacity(r), 8192);
    cr_assert_eq(ipcx_fifo_set_capacity(w, 0), IPCX_EINVAL);
    char buf[16384] = {0};
    size_t done = 0;
    cr_assert_eq(ipcx_fifo_write_all(w, buf, sizeof buf, &done, 50), IPCX_ETIMEDOUT);
    cr_assert_eq(done, 8192);
    cr_assert_eq(ipcx_fifo_write(w, buf, 1, IPCX_NOWAIT), IPCX_EAGAIN);
    cr_assert_eq(ipcx_fifo_read(w, buf, 1, 0), IPCX_EBADF, "reading a write handle");
    cr_assert_eq(ipcx_fifo_write(r, buf, 1, 0), IPCX_EBADF, "writing a read handle");
    cr_assert_eq(ipcx_fifo_read(r, buf, (size_t)SSIZE_MAX + 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_write(w, buf, (size_t)SSIZE_MAX + 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_write_all(w, buf, SIZE_MAX, &done, 0), IPCX_EINVAL);
    cr_assert_eq(done, 0);
    cr_assert_eq(ipcx_fifo_read(r, buf, sizeof buf, 0), 8192);
    ipcx_fifo_close(r);
    ipcx_fifo_close(w);
}

Test(fifo, bad_arguments_have_no_side_effect)
{
    int base = tsup_fd_count();
    struct ipcx_fifo *f = NULL;
    static char longpath[PATH_MAX + 10];
    memset(longpath, 'a', sizeof longpath - 1);
    cr_assert_eq(ipcx_fifo_create(NULL, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_create("", NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_create(longpath, NULL), IPCX_ENAMETOOLONG);
    struct ipcx_fifo_opts bad = {.mode = 04600};
    cr_assert_eq(ipcx_fifo_create(path, &bad), IPCX_EINVAL);
    cr_assert_eq(access(path, F_OK), -1, "nothing created");

    cr_assert_eq(ipcx_fifo_create(path, NULL), 0);
    cr_assert_eq(ipcx_fifo_open(NULL, path, IPCX_FIFO_READ, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_open(&f, NULL, IPCX_FIFO_READ, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_open(&f, "", IPCX_FIFO_READ, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_open(&f, longpath, IPCX_FIFO_READ, 0), IPCX_ENAMETOOLONG);
    cr_assert_eq(ipcx_fifo_open(&f, path, 0, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_open(&f, path, IPCX_FIFO_READ | IPCX_FIFO_WRITE, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_open(&f, path, 0x10, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_open(&f, path, IPCX_FIFO_READ, -7), IPCX_EINVAL);
    cr_assert_null(f);
    cr_assert_eq(ipcx_fifo_unlink(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_unlink(""), IPCX_EINVAL);
    char buf[4];
    cr_assert_eq(ipcx_fifo_read(NULL, buf, 4, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_write(NULL, buf, 4, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_write_all(NULL, buf, 4, NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_get_capacity(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_fifo_fd(NULL), -1);
    ipcx_fifo_close(NULL);
    cr_assert(S_ISFIFO(mode_of(path)), "the FIFO is still there");
    cr_assert_eq(tsup_fd_count(), base);
}
