/* SPDX-License-Identifier: MIT */
/*
 * test_link_unix.c: what unix:// does beyond the conformance suite:
 * filesystem paths (the URL the listener reports, the path removed on
 * close), the credentials policy on both sides, a send cut by its deadline
 * in the middle of a frame (the rest goes first next time, the stream stays
 * whole), and the pollable descriptor with ipcx_link_arm().
 * ipcx-test: label=transport timeout=60
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ipcx/error.h>
#include <ipcx/link.h>

#include "tsup.h"

static void pair(const char *url, struct ipcx_listener **l, struct ipcx_link **a,
                 struct ipcx_link **b)
{
    cr_assert_eq(ipcx_link_listen(l, url, NULL), 0);
    char real[256];
    cr_assert_geq(ipcx_listener_url(*l, real, sizeof real), 0);
    cr_assert_str_eq(real, url);
    cr_assert_eq(ipcx_link_dial(a, real, NULL, 5000), 0);
    cr_assert_eq(ipcx_link_accept(*l, b, 5000), 0);
}

Test(link_unix, path_url_and_cleanup)
{
    int base = tsup_fd_count();
    char name[64], path[128], url[160];
    snprintf(path, sizeof path, "/tmp/%s", tsup_name(name, sizeof name, "lu"));
    snprintf(url, sizeof url, "unix://%s", path);
    struct ipcx_listener *l;
    struct ipcx_link *a, *b;
    pair(url, &l, &a, &b);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    struct ipcx_msg m = ipcx_msg_of("ping", 4), r;
    cr_assert_eq(ipcx_link_send(a, &m, 1000), 0);
    cr_assert_eq(ipcx_link_recv(b, &r, 1000), 0);
    cr_assert_eq(r.size, 4);
    ipcx_msg_release(&r);
    /* A second listener on the same path is refused. */
    struct ipcx_listener *l2;
    cr_assert_eq(ipcx_link_listen(&l2, url, NULL), IPCX_EADDRINUSE);
    ipcx_listener_close(l);
    cr_assert_eq(stat(path, &st), -1);
    /* Links outlive their listener. */
    m = ipcx_msg_of("pong", 4);
    cr_assert_eq(ipcx_link_send(b, &m, 1000), 0);
    cr_assert_eq(ipcx_link_recv(a, &r, 1000), 0);
    ipcx_msg_release(&r);
    ipcx_link_close(a);
    ipcx_link_close(b);
    cr_assert_eq(tsup_fd_count(), base);
}

static int dial_as_nobody(void *arg)
{
    TSUP_CHILD_CHECK(setgid(65534) == 0 && setuid(65534) == 0);
    struct ipcx_link *k;
    /* Root's listener is not "the same uid" for nobody. */
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, arg, NULL, 5000) == IPCX_EPOLICY);
    struct ipcx_cred_policy any = {.flags = IPCX_CRED_ANY};
    struct ipcx_link_opts o = {.policy = &any};
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, arg, &o, 5000) == 0);
    struct ipcx_msg m;
    /* The listener refused us: closed without a word. */
    int rc = ipcx_link_recv(k, &m, 5000);
    TSUP_CHILD_CHECK(rc == IPCX_EPEERDEAD);
    ipcx_link_close(k);
    return 0;
}

Test(link_unix, policy_checked_on_both_sides)
{
    int base = tsup_fd_count();
    char name[64], url[128];
    snprintf(url, sizeof url, "unix://@%s", tsup_name(name, sizeof name, "lu"));
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    pid_t pid = tsup_fork(dial_as_nobody, url);
    struct ipcx_link *k;
    /* Refused peers are never returned. */
    cr_assert_eq(ipcx_link_accept(l, &k, 1000), IPCX_ETIMEDOUT);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    ipcx_listener_close(l);
    cr_assert_eq(tsup_fd_count(), base);
}

Test(link_unix, send_cut_mid_frame_resumes)
{
    int base = tsup_fd_count();
    char name[64], url[128];
    snprintf(url, sizeof url, "unix://@%s", tsup_name(name, sizeof name, "lu"));
    struct ipcx_listener *l;
    struct ipcx_link *a, *b;
    pair(url, &l, &a, &b);
    size_t big = 4u << 20;
    unsigned char *buf = malloc(big);
    for (size_t i = 0; i < big; i++)
        buf[i] = (unsigned char)(i * 7 + (i >> 12));
    struct ipcx_msg m = ipcx_msg_of(buf, big);
    m.id = 77;
    /* Nobody reads yet: part of the frame goes, the rest is kept. */
    cr_assert_eq(ipcx_link_send(a, &m, 50), 0);
    struct ipcx_msg small = ipcx_msg_of("next", 4);
    int sent_small = 0, got = 0;
    struct ipcx_msg r;
    for (int round = 0; round < 100000 && got < 2; round++) {
        if (!sent_small) {
            int rc = ipcx_link_send(a, &small, IPCX_NOWAIT);
            cr_assert(rc == 0 || rc == IPCX_EAGAIN, "%s", ipcx_errname(rc));
            sent_small = rc == 0;
        }
        int rc = ipcx_link_recv(b, &r, IPCX_NOWAIT);
        if (rc == IPCX_EAGAIN)
            continue;
        cr_assert_eq(rc, 0, "%s", ipcx_errname(rc));
        if (got == 0) {
            cr_assert_eq(r.size, big);
            cr_assert_eq(r.id, 77);
            cr_assert_eq(memcmp(r.data, buf, big), 0);
        } else {
            cr_assert_eq(r.size, 4);
            cr_assert_eq(memcmp(r.data, "next", 4), 0);
        }
        ipcx_msg_release(&r);
        got++;
    }
    cr_assert_eq(got, 2);
    free(buf);
    ipcx_link_close(a);
    ipcx_link_close(b);
    ipcx_listener_close(l);
    cr_assert_eq(tsup_fd_count(), base);
}

Test(link_unix, arm_and_poll)
{
    char name[64], url[128];
    snprintf(url, sizeof url, "unix://@%s", tsup_name(name, sizeof name, "lu"));
    struct ipcx_listener *l;
    struct ipcx_link *a, *b;
    pair(url, &l, &a, &b);
    cr_assert_eq(ipcx_link_arm(b), 0);
    struct ipcx_msg m = ipcx_msg_of("one", 3), r;
    cr_assert_eq(ipcx_link_send(a, &m, 1000), 0);
    m = ipcx_msg_of("two", 3);
    cr_assert_eq(ipcx_link_send(a, &m, 1000), 0);
    struct pollfd p = {.fd = ipcx_link_fd(b), .events = POLLIN};
    cr_assert_eq(poll(&p, 1, 1000), 1);
    cr_assert_eq(ipcx_link_recv(b, &r, 1000), 0);
    ipcx_msg_release(&r);
    /* The second one was read with the first: the descriptor may not say so. */
    cr_assert_eq(ipcx_link_arm(b), 1);
    cr_assert_eq(ipcx_link_recv(b, &r, IPCX_NOWAIT), 0);
    cr_assert_eq(memcmp(r.data, "two", 3), 0);
    ipcx_msg_release(&r);
    cr_assert_eq(ipcx_link_arm(b), 0);
    ipcx_link_close(a);
    /* The goodbye is something to receive. */
    cr_assert_eq(poll(&p, 1, 1000), 1);
    cr_assert_eq(ipcx_link_recv(b, &r, 1000), IPCX_ECLOSED);
    cr_assert_eq(ipcx_link_arm(b), 1);
    ipcx_link_close(b);
    ipcx_listener_close(l);
}
