/* SPDX-License-Identifier: MIT */
/*
 * test_link_pipe.c: what pipe: does beyond the conformance suite: a child
 * that execs a program hands it the link (ipcx_link_pipe_inherit), the
 * close lists leave each side only its own ends, one-way URLs, and dial
 * refusing the wrong ends without touching them.
 * ipcx-test: label=transport timeout=60
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <ipcx/error.h>
#include <ipcx/link.h>

#include "tsup.h"

/* Runs the helper's pipe_echo mode across exec with `url`. */
static pid_t spawn_echo(const char *url)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (ipcx_link_pipe_inherit(url) != 0)
            _exit(98);
        execl(tsup_helper_path(), tsup_helper_path(), "pipe_echo", url, (char *)NULL);
        _exit(127);
    }
    return pid;
}

Test(link_pipe, across_exec)
{
    int base = tsup_fd_count();
    char pu[IPCX_LINK_PIPE_URL_MAX], cu[IPCX_LINK_PIPE_URL_MAX];
    cr_assert_eq(ipcx_link_pipe_urls(pu, cu, sizeof pu), 0);
    pid_t pid = spawn_echo(cu);
    cr_assert_gt(pid, 0);
    struct ipcx_link *k;
    cr_assert_eq(ipcx_link_dial(&k, pu, NULL, 0), 0);
    for (unsigned i = 0; i < 50; i++) {
        char body[64];
        int n = snprintf(body, sizeof body, "message %u", i);
        struct ipcx_msg m = ipcx_msg_of(body, (size_t)n), r;
        m.type = i;
        cr_assert_eq(ipcx_link_send(k, &m, 5000), 0);
        cr_assert_eq(ipcx_link_recv(k, &r, 5000), 0);
        cr_assert_eq(r.size, (size_t)n);
        cr_assert_eq(memcmp(r.data, body, (size_t)n), 0);
        cr_assert_eq(r.type, (long)i);
        ipcx_msg_release(&r);
    }
    ipcx_link_close(k);
    /* The program saw our goodbye as IPCX_ECLOSED and exits 0. */
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    cr_assert_eq(tsup_fd_count(), base);
}

struct role {
    int report; /* where the parent role writes the program's pid */
};

/* The parent role, in a process of its own so that it can be killed. */
static int parent_role(void *arg)
{
    struct role *r = arg;
    char pu[IPCX_LINK_PIPE_URL_MAX], cu[IPCX_LINK_PIPE_URL_MAX];
    TSUP_CHILD_CHECK(ipcx_link_pipe_urls(pu, cu, sizeof pu) == 0);
    pid_t pid = spawn_echo(cu);
    TSUP_CHILD_CHECK(pid > 0);
    struct ipcx_link *k;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, pu, NULL, 0) == 0);
    struct ipcx_msg m = ipcx_msg_of("x", 1), got;
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m, 5000) == 0);
    TSUP_CHILD_CHECK(ipcx_link_recv(k, &got, 5000) == 0);
    ipcx_msg_release(&got);
    TSUP_CHILD_CHECK(write(r->report, &pid, sizeof pid) == sizeof pid);
    pause(); /* until killed */
    return 0;
}

/* The program across exec sees its parent's death as IPCX_EPEERDEAD. */
Test(link_pipe, parent_death_seen_across_exec)
{
    /* The program is our grandchild: adopt it when its parent dies. */
    cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    struct role r = {p[1]};
    pid_t parent = tsup_fork(parent_role, &r);
    pid_t prog = 0;
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    cr_assert_eq(poll(&pf, 1, 10000), 1);
    cr_assert_eq(read(p[0], &prog, sizeof prog), (ssize_t)sizeof prog);
    cr_assert_eq(kill(parent, SIGKILL), 0);
    cr_assert_eq(tsup_wait_exit(parent, 10000), 128 + SIGKILL);
    cr_assert_eq(tsup_wait_exit(prog, 10000), 4, "the program did not see IPCX_EPEERDEAD");
    close(p[0]);
    close(p[1]);
}

Test(link_pipe, one_way_urls_and_wrong_ends)
{
    int base = tsup_fd_count();
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    char url[64];
    struct ipcx_link *k;
    /* The write end where a read end is wanted: refused, left open. */
    snprintf(url, sizeof url, "pipe:%d,-", p[1]);
    cr_assert_eq(ipcx_link_dial(&k, url, NULL, 0), IPCX_EINVAL);
    snprintf(url, sizeof url, "pipe:%d,%d", p[0], p[0]);
    cr_assert_eq(ipcx_link_dial(&k, url, NULL, 0), IPCX_EINVAL);
    snprintf(url, sizeof url, "pipe:%d,-", 1000);
    cr_assert_eq(ipcx_link_dial(&k, url, NULL, 0), IPCX_EBADF);
    cr_assert_geq(fcntl(p[0], F_GETFD), 0);
    cr_assert_geq(fcntl(p[1], F_GETFD), 0);

    struct ipcx_link *rd, *wr;
    snprintf(url, sizeof url, "pipe:%d,-", p[0]);
    cr_assert_eq(ipcx_link_dial(&rd, url, NULL, 0), 0);
    snprintf(url, sizeof url, "pipe:-,%d", p[1]);
    cr_assert_eq(ipcx_link_dial(&wr, url, NULL, 0), 0);
    struct ipcx_link_caps c;
    cr_assert_eq(ipcx_link_caps(rd, &c), 0);
    cr_assert_eq(c.flags & (IPCX_LINK_SEND | IPCX_LINK_RECV), IPCX_LINK_RECV);
    cr_assert_eq(ipcx_link_caps(wr, &c), 0);
    cr_assert_eq(c.flags & (IPCX_LINK_SEND | IPCX_LINK_RECV), IPCX_LINK_SEND);
    cr_assert_eq(ipcx_link_fd(wr), IPCX_ENOTSUP);
    struct ipcx_msg m = ipcx_msg_of("one way", 7), r;
    cr_assert_eq(ipcx_link_send(wr, &m, 1000), 0);
    cr_assert_eq(ipcx_link_send(rd, &m, 1000), IPCX_ENOTSUP);
    cr_assert_eq(ipcx_link_recv(wr, &r, 1000), IPCX_ENOTSUP);
    cr_assert_eq(ipcx_link_recv(rd, &r, 1000), 0);
    cr_assert_eq(r.size, 7);
    ipcx_msg_release(&r);
    ipcx_link_close(wr);
    cr_assert_eq(ipcx_link_recv(rd, &r, 1000), IPCX_ECLOSED);
    ipcx_link_close(rd);
    cr_assert_eq(tsup_fd_count(), base);
}

Test(link_pipe, urls_fit_and_close_lists)
{
    int base = tsup_fd_count();
    char pu[IPCX_LINK_PIPE_URL_MAX], cu[IPCX_LINK_PIPE_URL_MAX];
    char tiny[8];
    cr_assert_eq(ipcx_link_pipe_urls(tiny, cu, sizeof tiny), IPCX_ERANGE);
    cr_assert_eq(tsup_fd_count(), base);
    cr_assert_eq(ipcx_link_pipe_urls(pu, cu, sizeof pu), 0);
    cr_assert_eq(tsup_fd_count(), base + 4);
    /* Dialing the parent's URL closes the child's ends (here: ours). */
    struct ipcx_link *k;
    cr_assert_eq(ipcx_link_dial(&k, pu, NULL, 0), 0);
    /* Two ends kept, each with the library's private description. */
    cr_assert_eq(tsup_fd_count(), base + 4);
    /* The child's URL now names closed descriptors: refused, nothing closed. */
    struct ipcx_link *k2;
    cr_assert_eq(ipcx_link_dial(&k2, cu, NULL, 0), IPCX_EBADF);
    /* The peer's ends are gone: a send says so. */
    struct ipcx_msg m = ipcx_msg_of("x", 1);
    cr_assert_eq(ipcx_link_send(k, &m, 1000), IPCX_EPEERDEAD);
    ipcx_link_close(k);
    cr_assert_eq(tsup_fd_count(), base);
}
