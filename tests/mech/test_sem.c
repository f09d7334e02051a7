/* SPDX-License-Identifier: MIT */
/*
 * test_sem.c: POSIX semaphores. A named semaphore is reached by name from
 * an unrelated process; an unnamed one in a region is shared across fork
 * and, through a passed memfd, with an exec'd program. Waits time out no
 * earlier than their deadline, signals included; try-wait never blocks;
 * post refuses to overflow. Names are exclusive, links are refused, the
 * mode is the one asked for; nothing is left in /dev/shm.
 * ipcx-test: label=process timeout=60
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#include <ipcx.h>

#include "sync_support.h"
#include "tsup.h"

#define WAIT_MS 10000
/* How late a timed wait may end: generous, as the machine may be a loaded
 * 2-core VM running the sanitizer build. "Never early" is checked exactly. */
#define LATE_MS 1500

/* Ends every test: nothing named by this test's process is left (names
 * carry the pid, and each test runs in a process of its own). */
static void assert_nothing_left(void)
{
    cr_assert_eq(sync_leftovers(), 0, "named objects or files left behind");
}

static char *sem_name(char *buf, size_t size)
{
    char n[128];
    snprintf(buf, size, "/%s", tsup_name(n, sizeof n, "ipcx-sem"));
    return buf;
}

static bool sem_file_exists(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "/dev/shm/sem.%s", name + 1);
    return access(path, F_OK) == 0;
}

Test(sem, named_shared_by_name)
{
    int fds = tsup_fd_count();
    char name[160];
    struct ipcx_sem *s = NULL;
    cr_assert_eq(ipcx_sem_create(&s, sem_name(name, sizeof name), 0, NULL), 0);
    cr_assert(sem_file_exists(name));
    cr_assert_eq(ipcx_sem_value(s), 0);

    const char *args[] = {name, "3", NULL};
    cr_assert_eq(tsup_wait_exit(tsup_spawn_helper("sem_post", args), WAIT_MS), 0);
    cr_assert_eq(ipcx_sem_value(s), 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(ipcx_sem_wait(s, WAIT_MS), 0);
    cr_assert_eq(ipcx_sem_trywait(s), IPCX_EAGAIN);
    cr_assert_eq(ipcx_sem_wait(s, IPCX_NOWAIT), IPCX_ETIMEDOUT);

    /* A second handle in this process is the same semaphore. */
    struct ipcx_sem *s2 = NULL;
    cr_assert_eq(ipcx_sem_open(&s2, name), 0);
    cr_assert_eq(ipcx_sem_post(s2), 0);
    cr_assert_eq(ipcx_sem_trywait(s), 0);
    ipcx_sem_close(s2);

    cr_assert_eq(ipcx_sem_unlink(s), 0);
    cr_assert_not(sem_file_exists(name));
    cr_assert_eq(ipcx_sem_post(s), 0, "an unlinked semaphore still works for its holders");
    cr_assert_eq(ipcx_sem_value(s), 1);
    ipcx_sem_close(s);
    cr_assert_eq(ipcx_sem_open(&s, name), IPCX_ENOENT);
    cr_assert_eq(ipcx_sem_unlink_name(name), IPCX_ENOENT);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

Test(sem, named_mode_exclusive_no_links)
{
    char name[160], link_name[160], path[512], target[512];
    struct stat st;
    struct ipcx_sem *s = NULL, *s2 = NULL;
    mode_t old = umask(0277);
    cr_assert_eq(ipcx_sem_create(&s, sem_name(name, sizeof name), 1, NULL), 0);
    snprintf(path, sizeof path, "/dev/shm/sem.%s", name + 1);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
    cr_assert_eq(ipcx_sem_create(&s2, name, 1, NULL), IPCX_EEXIST);
    cr_assert_null(s2);

    /* A link planted as another semaphore's file is neither created
     * through nor opened. */
    sem_name(link_name, sizeof link_name);
    snprintf(target, sizeof target, "/dev/shm/sem.%s", link_name + 1);
    cr_assert_eq(symlink(path, target), 0);
    cr_assert_eq(ipcx_sem_create(&s2, link_name, 1, NULL), IPCX_EEXIST);
    cr_assert_eq(ipcx_sem_open(&s2, link_name), IPCX_ELOOP);
    cr_assert_eq(unlink(target), 0);
    cr_assert_eq(ipcx_sem_unlink(s), 0);
    ipcx_sem_close(s);

    struct ipcx_sem_opts o = {.mode = 0660};
    cr_assert_eq(ipcx_sem_create(&s, sem_name(name, sizeof name), 0, &o), 0);
    snprintf(path, sizeof path, "/dev/shm/sem.%s", name + 1);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0660);
    cr_assert_eq(ipcx_sem_unlink_name(name), 0);
    ipcx_sem_close(s);
    umask(old);
    assert_nothing_left();
}

/*
 * In a mount namespace of its own with /proc hidden under an empty tmpfs
 * (as in a minimal container or chroot), creates a named semaphore with a
 * mode: setting the mode must not depend on /proc.
 */
static int create_without_proc(void *p)
{
    (void)p;
    char name[160], path[512];
    struct stat st;
    TSUP_CHILD_CHECK(unshare(CLONE_NEWNS) == 0);
    TSUP_CHILD_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
    TSUP_CHILD_CHECK(mount("ipcx-test", "/proc", "tmpfs", 0, "size=64k") == 0);
    TSUP_CHILD_CHECK(access("/proc/self/fd", F_OK) != 0);
    umask(0277);
    struct ipcx_sem *s = NULL;
    struct ipcx_sem_opts o = {.mode = 0640};
    int rc = ipcx_sem_create(&s, sem_name(name, sizeof name), 0, &o);
    if (rc != 0)
        fprintf(stderr, "create without /proc: %s\n", ipcx_errname(rc));
    TSUP_CHILD_CHECK(rc == 0);
    snprintf(path, sizeof path, "/dev/shm/sem.%s", name + 1);
    TSUP_CHILD_CHECK(stat(path, &st) == 0);
    TSUP_CHILD_CHECK((st.st_mode & 07777) == 0640);
    TSUP_CHILD_CHECK(ipcx_sem_unlink(s) == 0);
    ipcx_sem_close(s);
    return 0;
}

Test(sem, named_mode_set_without_proc)
{
    cr_assert_eq(tsup_wait_exit(tsup_fork(create_without_proc, NULL), WAIT_MS), 0);
    assert_nothing_left();
}

struct pingpong {
    struct ipcx_sem_mem ping;
    struct ipcx_sem_mem pong;
    long counter;
};

#define ROUNDS 2000

static int pong_child(void *p)
{
    struct pingpong *pp = p;
    struct ipcx_sem *ping = NULL, *pong = NULL;
    TSUP_CHILD_CHECK(ipcx_sem_open_in(&ping, &pp->ping) == 0);
    TSUP_CHILD_CHECK(ipcx_sem_open_in(&pong, &pp->pong) == 0);
    for (int i = 0; i < ROUNDS; i++) {
        TSUP_CHILD_CHECK(ipcx_sem_wait(ping, WAIT_MS) == 0);
        pp->counter++;
        TSUP_CHILD_CHECK(ipcx_sem_post(pong) == 0);
    }
    ipcx_sem_close(ping);
    ipcx_sem_close(pong);
    return 0;
}

Test(sem, unnamed_in_region_across_fork)
{
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_anon(&r, sizeof(struct pingpong), NULL), 0);
    struct pingpong *pp = ipcx_region_addr(r);
    struct ipcx_sem *ping = NULL, *pong = NULL;
    cr_assert_eq(ipcx_sem_create_in(&ping, &pp->ping, 0), 0);
    cr_assert_eq(ipcx_sem_create_in(&pong, &pp->pong, 0), 0);
    pid_t pid = tsup_fork(pong_child, pp);
    cr_assert_gt(pid, 0);
    for (int i = 0; i < ROUNDS; i++) {
        cr_assert_eq(ipcx_sem_post(ping), 0);
        cr_assert_eq(ipcx_sem_wait(pong, WAIT_MS), 0);
        cr_assert_eq(pp->counter, i + 1);
    }
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    cr_assert_eq(ipcx_sem_unlink(ping), 0, "unnamed: nothing to unlink");
    ipcx_sem_close(ping);
    ipcx_sem_close(pong);
    cr_assert_eq(ipcx_sem_destroy_in(&pp->ping), 0);
    cr_assert_eq(ipcx_sem_destroy_in(&pp->pong), 0);
    ipcx_region_close(r);
    assert_nothing_left();
}

Test(sem, unnamed_in_memfd_with_exec_peer)
{
    int fds = tsup_fd_count();
    struct ipcx_region *r = NULL;
    size_t size = 4096;
    cr_assert_eq(ipcx_region_create_memfd(&r, "sem", size, NULL), 0);
    cr_assert_eq(ipcx_region_seal(r, IPCX_REGION_SEAL_SHRINK | IPCX_REGION_SEAL_GROW), 0);
    size_t off = 128; /* anywhere 8-byte aligned in the region */
    struct ipcx_sem_mem *mem = (struct ipcx_sem_mem *)((char *)ipcx_region_addr(r) + off);
    struct ipcx_sem *s = NULL;
    cr_assert_eq(ipcx_sem_create_in(&s, mem, 0), 0);

    int fd = ipcx_region_fd(r);
    char fd_arg[16], size_arg[32], off_arg[32];
    snprintf(fd_arg, sizeof fd_arg, "%d", fd);
    snprintf(size_arg, sizeof size_arg, "%zu", size);
    snprintf(off_arg, sizeof off_arg, "%zu", off);
    const char *args[] = {fd_arg, size_arg, off_arg, "5", NULL};
    pid_t pid = sync_spawn_helper_fds("sem_post_in", args, &fd, 1);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(ipcx_sem_wait(s, WAIT_MS), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    cr_assert_eq(ipcx_sem_value(s), 0);
    ipcx_sem_close(s);
    ipcx_region_close(r);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

/* Set around the timed wait; counts the signals that arrive during it. */
static volatile sig_atomic_t in_wait;
static volatile sig_atomic_t interrupted_in_wait;

static void on_usr1(int sig)
{
    (void)sig;
    if (in_wait)
        interrupted_in_wait++;
}

Test(sem, timed_wait_keeps_its_deadline)
{
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_anon(&r, sizeof(struct ipcx_sem_mem), NULL), 0);
    struct ipcx_sem *s = NULL;
    cr_assert_eq(ipcx_sem_create_in(&s, ipcx_region_addr(r), 0), 0);

    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_sem_wait(s, IPCX_NOWAIT), IPCX_ETIMEDOUT);
    cr_assert_lt(tsup_now_ms() - t0, LATE_MS);
    t0 = tsup_now_ms();
    cr_assert_eq(ipcx_sem_wait(s, 150), IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert_geq(took, 150);
    cr_assert_lt(took, 150 + LATE_MS);

    /* Signals from another process interrupt the wait over and over
     * (the test installs the handler, without SA_RESTART): the wait still
     * ends at its deadline, not before. The signaller runs until a wait
     * has been interrupted at least once, however late it gets going. */
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGUSR1, &sa, &old), 0);
    struct sync_pester *pe = sync_pester_map(getpid());
    cr_assert_not_null(pe);
    pid_t pid = tsup_fork(sync_pester, pe);
    cr_assert_gt(pid, 0);
    int64_t end = tsup_now_ms() + WAIT_MS;
    interrupted_in_wait = 0;
    do {
        t0 = tsup_now_ms();
        in_wait = 1;
        int rc = ipcx_sem_wait(s, 300);
        in_wait = 0;
        took = tsup_now_ms() - t0;
        cr_assert_eq(rc, IPCX_ETIMEDOUT, "%s", ipcx_errname(rc));
        cr_assert_geq(took, 300);
        cr_assert_lt(took, 300 + LATE_MS);
    } while (interrupted_in_wait == 0 && tsup_now_ms() < end);
    atomic_store(&pe->stop, 1);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    cr_assert_eq(sigaction(SIGUSR1, &old, NULL), 0);
    cr_assert_gt(interrupted_in_wait, 0, "no signal arrived during a wait");
    sync_pester_unmap(pe);

    cr_assert_eq(ipcx_sem_post(s), 0);
    cr_assert_eq(ipcx_sem_wait(s, 150), 0);
    ipcx_sem_close(s);
    ipcx_region_close(r);
    assert_nothing_left();
}

Test(sem, post_refuses_to_overflow)
{
    struct ipcx_sem_mem mem;
    memset(&mem, 0, sizeof mem);
    struct ipcx_sem *s = NULL;
    cr_assert_eq(ipcx_sem_create_in(&s, &mem, IPCX_SEM_VALUE_MAX), 0);
    cr_assert_eq(ipcx_sem_post(s), IPCX_EOVERFLOW);
    cr_assert_eq(ipcx_sem_value(s), (int)IPCX_SEM_VALUE_MAX);
    cr_assert_eq(ipcx_sem_trywait(s), 0);
    cr_assert_eq(ipcx_sem_post(s), 0);
    ipcx_sem_close(s);
    cr_assert_eq(ipcx_sem_destroy_in(&mem), 0);
    assert_nothing_left();
}

Test(sem, bad_arguments)
{
    int fds = tsup_fd_count();
    struct ipcx_sem *s = NULL;
    char longname[300];
    longname[0] = '/';
    memset(longname + 1, 'a', 252);
    longname[253] = '\0';
    struct ipcx_sem_opts badmode = {.mode = 01777};

    char unused[160];
    cr_assert_eq(ipcx_sem_create(NULL, sem_name(unused, sizeof unused), 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_create(&s, NULL, 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_create(&s, "", 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_create(&s, "x", 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_create(&s, "/a/b", 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_create(&s, longname, 0, NULL), IPCX_ENAMETOOLONG);
    cr_assert_eq(ipcx_sem_create(&s, "/.", 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_open(&s, "/.."), IPCX_EINVAL);
    char never[160];
    sem_name(never, sizeof never);
    cr_assert_eq(ipcx_sem_create(&s, never, IPCX_SEM_VALUE_MAX + 1u, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_create(&s, never, 0, &badmode), IPCX_EINVAL);
    cr_assert_not(sem_file_exists(never));
    cr_assert_eq(ipcx_sem_open(&s, never), IPCX_ENOENT);
    cr_assert_eq(ipcx_sem_open(NULL, never), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_unlink_name("nope"), IPCX_EINVAL);

    /* Memory that holds no semaphore is refused; so is initialising one
     * twice, or destroying one twice. */
    struct ipcx_sem_mem mem;
    memset(&mem, 0, sizeof mem);
    cr_assert_eq(ipcx_sem_open_in(&s, &mem), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_destroy_in(&mem), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_create_in(&s, NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_create_in(&s, &mem, IPCX_SEM_VALUE_MAX + 1u), IPCX_EINVAL);
    cr_assert_null(s);
    cr_assert_eq(ipcx_sem_create_in(&s, &mem, 0), 0);
    struct ipcx_sem *s2 = NULL;
    cr_assert_eq(ipcx_sem_create_in(&s2, &mem, 0), IPCX_EBUSY);
    cr_assert_eq(ipcx_sem_wait(s, -2), IPCX_EINVAL);
    ipcx_sem_close(s);
    cr_assert_eq(ipcx_sem_destroy_in(&mem), 0);
    cr_assert_eq(ipcx_sem_open_in(&s2, &mem), IPCX_EINVAL);
    cr_assert_null(s2);

    cr_assert_eq(ipcx_sem_wait(NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_trywait(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_post(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_value(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sem_unlink(NULL), IPCX_EINVAL);
    ipcx_sem_close(NULL);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}
