/* SPDX-License-Identifier: MIT */
/*
 * test_link_tcp.c: what tcp:// does beyond the conformance suite: port 0
 * at listen and the real port in the listener's URL, "localhost", and the
 * credentials policy that TCP cannot honour (IPCX_ENOTSUP unless it admits
 * everybody explicitly), and ipcx_link_flush() pushing out the rest of a
 * frame that a send ran out of time in the middle of.
 * ipcx-test: label=transport timeout=60
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>
#include <ipcx/link.h>

#include "tsup.h"

Test(link_tcp, port_zero_reported_and_localhost)
{
    int base = tsup_fd_count();
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, "tcp://127.0.0.1:0", NULL), 0);
    char url[128];
    int n = ipcx_listener_url(l, url, sizeof url);
    cr_assert_gt(n, 0);
    cr_assert_eq(strncmp(url, "tcp://127.0.0.1:", 16), 0, "%s", url);
    int port = atoi(url + 16);
    cr_assert(port > 0 && port < 65536);
    char tiny[8];
    cr_assert_eq(ipcx_listener_url(l, tiny, sizeof tiny), IPCX_ENAMETOOLONG);
    /* The same port again is taken. */
    struct ipcx_listener *l2;
    cr_assert_eq(ipcx_link_listen(&l2, url, NULL), IPCX_EADDRINUSE);
    char lh[64];
    snprintf(lh, sizeof lh, "tcp://localhost:%d", port);
    struct ipcx_link *a, *b;
    cr_assert_eq(ipcx_link_dial(&a, lh, NULL, 5000), 0);
    cr_assert_eq(ipcx_link_accept(l, &b, 5000), 0);
    struct ipcx_msg m = ipcx_msg_of("hello", 5), r;
    m.type = 42;
    m.priority = 7;
    cr_assert_eq(ipcx_link_send(b, &m, 1000), 0);
    cr_assert_eq(ipcx_link_recv(a, &r, 1000), 0);
    cr_assert_eq(r.size, 5);
    cr_assert_eq(r.type, 42);
    cr_assert_eq(r.priority, 7);
    ipcx_msg_release(&r);
    struct ipcx_cred c;
    cr_assert_eq(ipcx_link_peer_cred(a, &c), IPCX_ENOTSUP);
    ipcx_link_close(a);
    ipcx_link_close(b);
    ipcx_listener_close(l);
    cr_assert_eq(tsup_fd_count(), base);
}

Test(link_tcp, policy_not_supported)
{
    int base = tsup_fd_count();
    uid_t me = geteuid();
    struct ipcx_cred_policy only_me = {.uids = &me, .nuids = 1};
    struct ipcx_link_opts o = {.policy = &only_me};
    struct ipcx_listener *l;
    struct ipcx_link *k;
    cr_assert_eq(ipcx_link_listen(&l, "tcp://127.0.0.1:0", &o), IPCX_ENOTSUP);
    cr_assert_eq(ipcx_link_dial(&k, "tcp://127.0.0.1:9", &o, 100), IPCX_ENOTSUP);
    struct ipcx_cred_policy any = {.flags = IPCX_CRED_ANY};
    o.policy = &any;
    cr_assert_eq(ipcx_link_listen(&l, "tcp://127.0.0.1:0", &o), 0);
    ipcx_listener_close(l);
    cr_assert_eq(tsup_fd_count(), base);
}

#define FL_SIZE 100001 /* frames larger than a segment: a full buffer cuts one */

struct fl_reader {
    struct ipcx_link *k;
    int want, got, bad;
};

static void *fl_read(void *arg)
{
    struct fl_reader *r = arg;
    for (int i = 0; i < r->want; i++) {
        struct ipcx_msg m;
        if (ipcx_link_recv(r->k, &m, 5000) != 0)
            return NULL;
        unsigned seq = 0;
        if (m.size != FL_SIZE)
            r->bad++;
        else
            memcpy(&seq, m.data, sizeof seq);
        if (seq != (unsigned)i)
            r->bad++;
        ipcx_msg_release(&m);
        r->got++;
    }
    return NULL;
}

/* Sends that succeeded arrive without another send: flush writes a kept rest. */
Test(link_tcp, flush_writes_the_rest_of_a_frame)
{
    int base = tsup_fd_count();
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, "tcp://127.0.0.1:0", NULL), 0);
    char url[128];
    cr_assert_gt(ipcx_listener_url(l, url, sizeof url), 0);
    struct ipcx_link *a, *b;
    cr_assert_eq(ipcx_link_dial(&a, url, NULL, 5000), 0);
    cr_assert_eq(ipcx_link_accept(l, &b, 5000), 0);
    cr_assert_eq(ipcx_link_flush(a, IPCX_NOWAIT), 0, "nothing to write");
    char *body = calloc(1, FL_SIZE);
    cr_assert_not_null(body);
    int n = 0, rc;
    for (;;) {
        memcpy(body, &n, sizeof n);
        struct ipcx_msg m = ipcx_msg_of(body, FL_SIZE);
        if ((rc = ipcx_link_send(a, &m, IPCX_NOWAIT)) != 0)
            break;
        n++;
        cr_assert_lt(n, 100000);
    }
    cr_assert_eq(rc, IPCX_EAGAIN);
    rc = ipcx_link_flush(a, IPCX_NOWAIT);
    cr_assert(rc == IPCX_EAGAIN || rc == 0, "%s", ipcx_errname(rc));
    /* Every one of the n sends is committed: the reader gets them all,
     * and this end only flushes. */
    struct fl_reader r = {b, n, 0, 0};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, fl_read, &r), 0);
    cr_assert_eq(ipcx_link_flush(a, 10000), 0);
    pthread_join(t, NULL);
    cr_assert_eq(r.got, n);
    cr_assert_eq(r.bad, 0);
    cr_assert_eq(ipcx_link_flush(a, IPCX_NOWAIT), 0);
    free(body);
    ipcx_link_close(a);
    ipcx_link_close(b);
    ipcx_listener_close(l);
    cr_assert_eq(tsup_fd_count(), base);
}
