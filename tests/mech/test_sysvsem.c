/* SPDX-License-Identifier: MIT */
/*
 * test_sysvsem.c: System V semaphore sets. Groups of operations apply all
 * at once or not at all, also while another process waits for the whole
 * group; units taken with IPCX_SYSVSEM_UNDO come back when their holder is
 * killed with SIGKILL; timed waits end at their deadline, not before, with
 * signals arriving; removal wakes waiters with IPCX_EIDRM; a set is shared
 * by key with an exec'd program; a half-made set is refused; no set is
 * left behind (checked in /proc/sysvipc/sem for every set a test made).
 * ipcx-test: label=process timeout=60
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
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

static bool set_exists(int id)
{
    struct semid_ds ds;
    return semctl(id, 0, IPC_STAT, &ds) == 0;
}

static struct ipcx_sysvsem *make_set(unsigned n, const unsigned short *values)
{
    struct ipcx_sysvsem *s = NULL;
    int rc = ipcx_sysvsem_create(&s, IPCX_SYSVSEM_PRIVATE, n, values, NULL);
    cr_assert_eq(rc, 0, "create: %s", ipcx_errname(rc));
    sync_track_sysv('s', ipcx_sysvsem_id(s), IPCX_SYSVSEM_PRIVATE);
    return s;
}

static void drop_set(struct ipcx_sysvsem *s)
{
    int id = ipcx_sysvsem_id(s);
    cr_assert_eq(ipcx_sysvsem_unlink(s), 0);
    ipcx_sysvsem_close(s);
    cr_assert_not(set_exists(id));
}

/* Waits (up to WAIT_MS) until `n` processes wait for semaphore `num` to grow. */
static void await_waiters(struct ipcx_sysvsem *s, unsigned num, int n)
{
    int64_t end = tsup_now_ms() + WAIT_MS;
    int have = -1;
    while (tsup_now_ms() < end) {
        cr_assert_eq(ipcx_sysvsem_waiters(s, num, &have, NULL), 0);
        if (have == n)
            return;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    cr_assert_fail("%d waiters on %u, wanted %d", have, num, n);
}

Test(sysvsem, group_applies_all_or_nothing)
{
    unsigned short init[3] = {2, 0, 5};
    struct ipcx_sysvsem *s = make_set(3, init);
    cr_assert_eq(ipcx_sysvsem_count(s), 3);
    struct semid_ds ds;
    cr_assert_eq(semctl(ipcx_sysvsem_id(s), 0, IPC_STAT, &ds), 0);
    cr_assert_eq(ds.sem_perm.mode & 0777, 0600);

    struct ipcx_sysvsem_op move[2] = {{0, -1, 0}, {1, +1, 0}};
    cr_assert_eq(ipcx_sysvsem_apply(s, move, 2, IPCX_NOWAIT), 0);
    cr_assert_eq(ipcx_sysvsem_get(s, 0), 1);
    cr_assert_eq(ipcx_sysvsem_get(s, 1), 1);

    /* The second operation cannot be done: neither is. */
    struct ipcx_sysvsem_op greedy[2] = {{0, -1, 0}, {2, -6, 0}};
    cr_assert_eq(ipcx_sysvsem_apply(s, greedy, 2, IPCX_NOWAIT), IPCX_ETIMEDOUT);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_sysvsem_apply(s, greedy, 2, 120), IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert_geq(took, 120);
    cr_assert_lt(took, 120 + LATE_MS);
    cr_assert_eq(ipcx_sysvsem_get(s, 0), 1, "first operation not applied alone");
    cr_assert_eq(ipcx_sysvsem_get(s, 2), 5);

    /* Wait-for-zero as part of a group. */
    struct ipcx_sysvsem_op zero_then_take[2] = {{1, 0, 0}, {2, -1, 0}};
    cr_assert_eq(ipcx_sysvsem_apply(s, zero_then_take, 2, IPCX_NOWAIT), IPCX_ETIMEDOUT);
    cr_assert_eq(ipcx_sysvsem_set(s, 1, 0), 0);
    cr_assert_eq(ipcx_sysvsem_apply(s, zero_then_take, 2, IPCX_NOWAIT), 0);
    cr_assert_eq(ipcx_sysvsem_get(s, 2), 4);

    struct ipcx_sysvsem_op over = {2, IPCX_SYSVSEM_VALUE_MAX, 0};
    cr_assert_eq(ipcx_sysvsem_apply(s, &over, 1, IPCX_NOWAIT), IPCX_ERANGE);
    drop_set(s);
    assert_nothing_left();
}

struct pair_arg {
    int id;
    int result;
};

static int take_both(void *p)
{
    struct pair_arg *a = p;
    struct ipcx_sysvsem *s = NULL;
    TSUP_CHILD_CHECK(ipcx_sysvsem_open_id(&s, a->id, 2) == 0);
    struct ipcx_sysvsem_op both[2] = {{0, -1, 0}, {1, -1, 0}};
    int rc = ipcx_sysvsem_apply(s, both, 2, WAIT_MS);
    ipcx_sysvsem_close(s);
    return rc == 0 ? 0 : 10;
}

Test(sysvsem, waiter_takes_the_whole_group_or_nothing)
{
    struct ipcx_sysvsem *s = make_set(2, NULL);
    struct pair_arg a = {ipcx_sysvsem_id(s), 0};
    pid_t pid = tsup_fork(take_both, &a);
    cr_assert_gt(pid, 0);
    await_waiters(s, 0, 1);

    /* Half of what it needs is there: it must not take that half. */
    cr_assert_eq(ipcx_sysvsem_set(s, 0, 1), 0);
    struct timespec pause = {0, 50 * 1000000};
    nanosleep(&pause, NULL);
    cr_assert_eq(ipcx_sysvsem_get(s, 0), 1);

    struct ipcx_sysvsem_op post1 = {1, 1, 0};
    cr_assert_eq(ipcx_sysvsem_apply(s, &post1, 1, IPCX_NOWAIT), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    cr_assert_eq(ipcx_sysvsem_get(s, 0), 0);
    cr_assert_eq(ipcx_sysvsem_get(s, 1), 0);
    drop_set(s);
    assert_nothing_left();
}

struct undo_arg {
    int id;
    int ready;
};

static int hold_with_undo(void *p)
{
    struct undo_arg *a = p;
    struct ipcx_sysvsem *s = NULL;
    TSUP_CHILD_CHECK(ipcx_sysvsem_open_id(&s, a->id, 0) == 0);
    struct ipcx_sysvsem_op take[2] = {{0, -3, IPCX_SYSVSEM_UNDO}, {1, +1, IPCX_SYSVSEM_UNDO}};
    TSUP_CHILD_CHECK(ipcx_sysvsem_apply(s, take, 2, WAIT_MS) == 0);
    TSUP_CHILD_CHECK(sync_send_byte(a->ready, 'r') == 0);
    for (;;)
        pause(); /* until SIGKILL */
}

Test(sysvsem, undo_returns_units_of_a_killed_holder)
{
    int fds = tsup_fd_count();
    unsigned short init[2] = {3, 0};
    struct ipcx_sysvsem *s = make_set(2, init);
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    struct undo_arg a = {ipcx_sysvsem_id(s), p[1]};
    for (int round = 0; round < 20; round++) {
        pid_t pid = tsup_fork(hold_with_undo, &a);
        cr_assert_gt(pid, 0);
        cr_assert_eq(sync_recv_byte(p[0], WAIT_MS), 'r');
        cr_assert_eq(ipcx_sysvsem_get(s, 0), 0);
        cr_assert_eq(ipcx_sysvsem_get(s, 1), 1);
        struct ipcx_sysvsem_op want = {0, -1, 0};
        cr_assert_eq(ipcx_sysvsem_apply(s, &want, 1, IPCX_NOWAIT), IPCX_ETIMEDOUT);

        cr_assert_eq(kill(pid, SIGKILL), 0);
        cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 128 + SIGKILL);
        /* The kernel undid both operations of the dead process. */
        cr_assert_eq(ipcx_sysvsem_get(s, 0), 3);
        cr_assert_eq(ipcx_sysvsem_get(s, 1), 0);
    }
    struct ipcx_sysvsem_op all = {0, -3, 0};
    cr_assert_eq(ipcx_sysvsem_apply(s, &all, 1, 1000), 0);
    drop_set(s);
    close(p[0]);
    close(p[1]);
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

Test(sysvsem, timed_wait_keeps_its_deadline_under_signals)
{
    struct ipcx_sysvsem *s = make_set(1, NULL);
    /* The signaller runs until a wait has been interrupted at least once,
     * however late it gets going; every wait ends at its deadline. */
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGUSR1, &sa, &old), 0);
    struct sync_pester *pe = sync_pester_map(getpid());
    cr_assert_not_null(pe);
    pid_t pid = tsup_fork(sync_pester, pe);
    cr_assert_gt(pid, 0);
    struct ipcx_sysvsem_op take = {0, -1, 0};
    int64_t end = tsup_now_ms() + WAIT_MS;
    interrupted_in_wait = 0;
    do {
        int64_t t0 = tsup_now_ms();
        in_wait = 1;
        int rc = ipcx_sysvsem_apply(s, &take, 1, 300);
        in_wait = 0;
        int64_t took = tsup_now_ms() - t0;
        cr_assert_eq(rc, IPCX_ETIMEDOUT, "%s", ipcx_errname(rc));
        cr_assert_geq(took, 300);
        cr_assert_lt(took, 300 + LATE_MS);
    } while (interrupted_in_wait == 0 && tsup_now_ms() < end);
    atomic_store(&pe->stop, 1);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    cr_assert_eq(sigaction(SIGUSR1, &old, NULL), 0);
    cr_assert_gt(interrupted_in_wait, 0, "no signal arrived during a wait");
    sync_pester_unmap(pe);
    drop_set(s);
    assert_nothing_left();
}

static int wait_for_removal(void *p)
{
    struct pair_arg *a = p;
    struct ipcx_sysvsem *s = NULL;
    TSUP_CHILD_CHECK(ipcx_sysvsem_open_id(&s, a->id, 1) == 0);
    struct ipcx_sysvsem_op take = {0, -1, 0};
    int rc = ipcx_sysvsem_apply(s, &take, 1, WAIT_MS);
    ipcx_sysvsem_close(s);
    return rc == IPCX_EIDRM ? 0 : 10;
}

Test(sysvsem, removal_wakes_waiters)
{
    struct ipcx_sysvsem *s = make_set(1, NULL);
    struct pair_arg a = {ipcx_sysvsem_id(s), 0};
    pid_t pid = tsup_fork(wait_for_removal, &a);
    await_waiters(s, 0, 1);
    int64_t t0 = tsup_now_ms();
    drop_set(s);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0, "the waiter got IPCX_EIDRM");
    cr_assert_lt(tsup_now_ms() - t0, WAIT_MS / 2, "at once, not at the waiter's deadline");
    assert_nothing_left();
}

Test(sysvsem, shared_by_key_with_exec_peer)
{
    char path[512], key_arg[32];
    cr_assert_eq(sync_key_file(path, sizeof path), 0);
    struct ipcx_sysvsem *s = NULL, *s2 = NULL;
    struct ipcx_sysvsem_opts o = {.mode = 0640};
    /* ftok keys can collide with another test's: take another one then. */
    key_t key = 0;
    int rc = IPCX_EEXIST;
    for (int i = 0; i < SYNC_KEY_TRIES && rc == IPCX_EEXIST; i++) {
        key = sync_key(path);
        cr_assert_neq(key, (key_t)-1);
        rc = ipcx_sysvsem_create(&s, key, 2, NULL, &o);
    }
    cr_assert_eq(rc, 0, "create: %s", ipcx_errname(rc));
    sync_track_sysv('s', ipcx_sysvsem_id(s), key);
    struct semid_ds ds;
    cr_assert_eq(semctl(ipcx_sysvsem_id(s), 0, IPC_STAT, &ds), 0);
    cr_assert_eq(ds.sem_perm.mode & 0777, 0640);
    cr_assert_eq(ipcx_sysvsem_create(&s2, key, 2, NULL, NULL), IPCX_EEXIST);
    cr_assert_eq(ipcx_sysvsem_open(&s2, key, 3), IPCX_ERANGE);
    cr_assert_eq(ipcx_sysvsem_open(&s2, key, 2), 0);
    ipcx_sysvsem_close(s2);

    snprintf(key_arg, sizeof key_arg, "%d", (int)key);
    const char *args[] = {key_arg, "1", "4", NULL};
    cr_assert_eq(tsup_wait_exit(tsup_spawn_helper("sysvsem_post", args), WAIT_MS), 0);
    struct ipcx_sysvsem_op take = {1, -4, 0};
    cr_assert_eq(ipcx_sysvsem_apply(s, &take, 1, WAIT_MS), 0);
    drop_set(s);
    cr_assert_eq(ipcx_sysvsem_open(&s2, key, 0), IPCX_ENOENT);
    unlink(path);
    assert_nothing_left();
}

Test(sysvsem, half_made_set_is_refused)
{
    /* A set made by semget() alone, whose creator never set its values. */
    int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    cr_assert_geq(id, 0);
    sync_track_sysv('s', id, IPC_PRIVATE);
    struct ipcx_sysvsem *s = NULL;
    cr_assert_eq(ipcx_sysvsem_open_id(&s, id, 1), IPCX_EAGAIN);
    cr_assert_null(s);
    cr_assert_eq(semctl(id, 0, IPC_RMID), 0);
    cr_assert_eq(ipcx_sysvsem_open_id(&s, id, 1), IPCX_EINVAL);
    assert_nothing_left();
}

Test(sysvsem, leftover_check_finds_and_removes_a_set)
{
    /* The check that ends every test must be able to fail: a tracked set
     * that is not removed is reported, and removed by the check. */
    struct ipcx_sysvsem *s = make_set(1, NULL);
    int id = ipcx_sysvsem_id(s);
    ipcx_sysvsem_close(s);
    cr_assert(set_exists(id));
    cr_assert_eq(sync_leftovers(), 1);
    cr_assert_not(set_exists(id));
    assert_nothing_left();
}

Test(sysvsem, bad_arguments)
{
    struct ipcx_sysvsem *s = NULL;
    unsigned short too_big[2] = {1, 40000};
    struct ipcx_sysvsem_opts badmode = {.mode = 02600};
    cr_assert_eq(ipcx_sysvsem_create(NULL, IPCX_SYSVSEM_PRIVATE, 1, NULL, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_create(&s, IPCX_SYSVSEM_PRIVATE, 0, NULL, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_create(&s, IPCX_SYSVSEM_PRIVATE, 2, too_big, NULL), IPCX_ERANGE);
    cr_assert_eq(ipcx_sysvsem_create(&s, IPCX_SYSVSEM_PRIVATE, 1, NULL, &badmode), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_open(&s, IPCX_SYSVSEM_PRIVATE, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_open_id(&s, -1, 0), IPCX_EINVAL);
    cr_assert_null(s);

    s = make_set(2, NULL);
    struct ipcx_sysvsem_op bad_num = {2, 1, 0}, bad_flags = {0, 1, 0x10}, ok = {0, 1, 0};
    cr_assert_eq(ipcx_sysvsem_apply(s, NULL, 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_apply(s, &ok, 0, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_apply(s, &bad_num, 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_apply(s, &bad_flags, 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_apply(s, &ok, 1, -7), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_apply(NULL, &ok, 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_get(s, 2), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_set(s, 0, -1), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_set(s, 0, IPCX_SYSVSEM_VALUE_MAX + 1), IPCX_ERANGE);
    cr_assert_eq(ipcx_sysvsem_waiters(s, 5, NULL, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_get(s, 0), 0, "nothing was applied");
    /* More operations than the kernel takes in one call. */
    static struct ipcx_sysvsem_op many[1000];
    for (int i = 0; i < 1000; i++)
        many[i] = ok;
    cr_assert_eq(ipcx_sysvsem_apply(s, many, 1000, 0), IPCX_E2BIG);
    cr_assert_eq(ipcx_sysvsem_apply(s, many, 100, 0), 0, "within SEMOPM, on the heap");
    cr_assert_eq(ipcx_sysvsem_get(s, 0), 100);
    drop_set(s);
    cr_assert_eq(ipcx_sysvsem_id(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_sysvsem_unlink(NULL), IPCX_EINVAL);
    ipcx_sysvsem_close(NULL);
    assert_nothing_left();
}
