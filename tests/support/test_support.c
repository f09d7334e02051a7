/* SPDX-License-Identifier: MIT */
/*
 * test_support.c: the harness itself: a hung child is killed and reaped at
 * its deadline, exit codes and signals come back from fork and from exec,
 * names never repeat, and the descriptor count sees a leak.
 * ipcx-test: label=process timeout=60
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tsup.h"

static int hang(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return 0;
}

static int exit_seven(void *arg)
{
    (void)arg;
    return 7;
}

Test(support, reap_kills_a_hung_child_at_the_deadline)
{
    pid_t pid = tsup_fork(hang, NULL);
    cr_assert_gt(pid, 0);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(tsup_reap(pid, 100), -ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert(took >= 100 && took < 3000, "took %lld ms", (long long)took);
    /* It is gone and reaped: no such child any more. */
    cr_assert_eq(waitpid(pid, NULL, WNOHANG), -1);
    cr_assert_eq(errno, ECHILD);
}

Test(support, exit_codes_from_fork_and_exec)
{
    pid_t pid = tsup_fork(exit_seven, NULL);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 7);

    const char *args[] = {"13", NULL};
    pid = tsup_spawn_helper("exit", args);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 13);

    pid = tsup_spawn_helper("no-such-mode", NULL);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 2);

    pid = tsup_fork(hang, NULL);
    kill(pid, SIGTERM);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 128 + SIGTERM);
}

Test(support, close_on_exec_descriptors_do_not_reach_the_helper)
{
    /* The helper reports how many descriptors it has after exec: the same
     * three stdio ones whether or not the parent holds close-on-exec pipes. */
    pid_t pid = tsup_spawn_helper("fdcount", NULL);
    int plain = tsup_wait_exit(pid, 5000);
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    pid = tsup_spawn_helper("fdcount", NULL);
    cr_assert_eq(tsup_wait_exit(pid, 5000), plain);
    close(p[0]);
    close(p[1]);
}

Test(support, names_are_random_and_prefixed)
{
    char a[64], b[64];
    tsup_name(a, sizeof a, "/ipcx-test");
    tsup_name(b, sizeof b, "/ipcx-test");
    cr_assert_str_neq(a, b);
    cr_assert_eq(strncmp(a, "/ipcx-test-", 11), 0);
    cr_assert_neq(tsup_random32(), tsup_random32());
}

Test(support, fd_count_sees_a_leak)
{
    int base = tsup_fd_count();
    cr_assert_gt(base, 0);
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert_eq(tsup_fd_count(), base + 1);
    close(fd);
    cr_assert_eq(tsup_fd_count(), base);
}

static int orphan_maker(void *arg)
{
    (void)arg;
    /* A grandchild forked through the harness, then this child exits: the
     * grandchild must die with it instead of lingering. */
    pid_t g = tsup_fork(hang, NULL);
    printf("%d\n", (int)g);
    fflush(stdout);
    return g > 0 ? 0 : 1;
}

Test(support, children_die_with_their_parent)
{
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    int saved = dup(1);
    dup2(p[1], 1);
    pid_t pid = tsup_fork(orphan_maker, NULL);
    dup2(saved, 1);
    close(saved);
    close(p[1]);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    char buf[32] = {0};
    cr_assert_gt(read(p[0], buf, sizeof buf - 1), 0);
    close(p[0]);
    pid_t g = (pid_t)atoi(buf);
    cr_assert_gt(g, 0);
    /* The grandchild was re-parented and killed; poll until it is gone. */
    int64_t end = tsup_now_ms() + 5000;
    while (kill(g, 0) == 0 && tsup_now_ms() < end)
        usleep(1000);
    cr_assert_eq(kill(g, 0), -1, "grandchild %d still alive", (int)g);
}
