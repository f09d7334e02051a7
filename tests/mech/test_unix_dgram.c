/* SPDX-License-Identifier: MIT */
/*
 * test_unix_dgram.c: Unix datagram sockets between processes, on paths,
 * abstract names and kernel-chosen names: every datagram arrives whole with
 * its sender's address and credentials, replies reach the sender, a too
 * small buffer is reported, a full receiver makes the sender wait until its
 * deadline, and sending to nobody is refused with a clear code.
 * ipcx-test: label=process timeout=60
 */
#include <sys/socket.h>
#include <sys/un.h>

#include "socktest.h"

#define SLACK_MS 250
#define COUNT    50

/* Child: from a kernel-named socket, sends COUNT datagrams and reads a reply to each. */
static int dgram_client(void *arg)
{
    const char *server = arg;
    struct ipcx_unix *u;
    TSUP_CHILD_CHECK(ipcx_unix_bind(&u, NULL, NULL) == 0);
    char me[IPCX_UNIX_ADDR_MAX];
    TSUP_CHILD_CHECK(ipcx_unix_addr(u, me, sizeof me) > 1 && me[0] == '@');
    char buf[2048];
    for (int i = 0; i < COUNT; i++) {
        size_t len = (size_t)(i * 37) % sizeof buf;
        memset(buf, 'a' + i % 26, len);
        /* The server may not be bound yet for the first one. */
        ssize_t n;
        int64_t end = tsup_now_ms() + 5000;
        while ((n = ipcx_unix_sendto(u, server, buf, len, 1000)) == IPCX_ENOENT ||
               n == IPCX_ECONNREFUSED) {
            TSUP_CHILD_CHECK(tsup_now_ms() < end);
            sleep_ms(5);
        }
        TSUP_CHILD_CHECK(n == (ssize_t)len);
        char from[IPCX_UNIX_ADDR_MAX];
        struct ipcx_cred cred;
        n = ipcx_unix_recvfrom(u, buf, sizeof buf, from, sizeof from, &cred, 5000);
        TSUP_CHILD_CHECK(n == 4);
        TSUP_CHILD_CHECK(!memcmp(buf, "ack", 4));
        TSUP_CHILD_CHECK(!strcmp(from, server));
        TSUP_CHILD_CHECK(cred.pid == getppid() && cred.uid == getuid());
    }
    ipcx_unix_close(u);
    return 0;
}

static void serve_datagrams(const char *addr)
{
    int base = tsup_fd_count();
    struct ipcx_unix *s;
    cr_assert_eq(ipcx_unix_bind(&s, addr, NULL), 0);
    pid_t pid = tsup_fork(dgram_client, (void *)addr);
    cr_assert_gt(pid, 0);
    char buf[4096], from[IPCX_UNIX_ADDR_MAX], first[IPCX_UNIX_ADDR_MAX] = "";
    for (int i = 0; i < COUNT; i++) {
        struct ipcx_cred cred;
        ssize_t n = ipcx_unix_recvfrom(s, buf, sizeof buf, from, sizeof from, &cred, 5000);
        size_t want = (size_t)(i * 37) % 2048;
        cr_assert_eq(n, (ssize_t)want, "datagram %d: %zd", i, n);
        for (size_t k = 0; k < want; k++)
            cr_assert_eq(buf[k], 'a' + i % 26);
        cr_assert_eq(cred.pid, pid, "the kernel names the sender");
        cr_assert_eq(cred.uid, getuid());
        cr_assert_eq(cred.gid, getgid());
        cr_assert_eq(from[0], '@', "the sender has a kernel-chosen abstract name");
        if (i == 0)
            strcpy(first, from);
        cr_assert_str_eq(from, first);
        cr_assert_eq(ipcx_unix_sendto(s, from, "ack", 4, 5000), 4);
    }
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    ipcx_unix_close(s);
    cr_assert_eq(tsup_fd_count(), base);
}

Test(unix_dgram, path_datagrams_keep_boundaries_sender_and_credentials)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    serve_datagrams(path);
    sockdir_done(&d);
}

Test(unix_dgram, abstract_datagrams_keep_boundaries_sender_and_credentials)
{
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    serve_datagrams(addr);
}

/* Child: a connected datagram socket sends three and reads the replies. */
static int connected_client(void *arg)
{
    struct ipcx_unix *c;
    int64_t end = tsup_now_ms() + 5000;
    int rc;
    while ((rc = ipcx_unix_connect(&c, arg, IPCX_UNIX_DGRAM, NULL, 1000)) == IPCX_ECONNREFUSED)
        TSUP_CHILD_CHECK(tsup_now_ms() < end);
    TSUP_CHILD_CHECK(rc == 0);
    for (int i = 0; i < 3; i++) {
        char m[8];
        snprintf(m, sizeof m, "m%d", i);
        TSUP_CHILD_CHECK(ipcx_unix_send(c, m, strlen(m), 1000) == (ssize_t)strlen(m));
        char r[8];
        TSUP_CHILD_CHECK(ipcx_unix_recv(c, r, sizeof r, 5000) == 1);
        TSUP_CHILD_CHECK(r[0] == '0' + i);
    }
    ipcx_unix_close(c);
    return 0;
}

Test(unix_dgram, connected_datagram_socket_talks_to_its_peer)
{
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_unix *s;
    cr_assert_eq(ipcx_unix_bind(&s, addr, NULL), 0);
    pid_t pid = tsup_fork(connected_client, addr);
    for (int i = 0; i < 3; i++) {
        char buf[8], from[IPCX_UNIX_ADDR_MAX];
        cr_assert_eq(ipcx_unix_recvfrom(s, buf, sizeof buf, from, sizeof from, NULL, 5000), 2);
        cr_assert_eq(buf[1], '0' + i);
        char r = (char)('0' + i);
        cr_assert_eq(ipcx_unix_sendto(s, from, &r, 1, 1000), 1);
    }
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    ipcx_unix_close(s);
}

Test(unix_dgram, sending_to_nobody_is_refused_clearly)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX], abs[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    abstract_name(abs, sizeof abs);
    struct ipcx_unix *u, *c = (void *)1;
    cr_assert_eq(ipcx_unix_bind(&u, NULL, NULL), 0);
    cr_assert_eq(ipcx_unix_sendto(u, path, "x", 1, 100), IPCX_ENOENT);
    cr_assert_eq(ipcx_unix_sendto(u, abs, "x", 1, 100), IPCX_ECONNREFUSED);
    cr_assert_eq(ipcx_unix_send(u, "x", 1, 100), IPCX_ENOTCONN, "no default destination");
    cr_assert_eq(ipcx_unix_connect(&c, abs, IPCX_UNIX_DGRAM, NULL, 100), IPCX_ECONNREFUSED);
    cr_assert_null(c);
    cr_assert_eq(ipcx_unix_sendto(u, "", "x", 1, 100), IPCX_EINVAL);
    ipcx_unix_close(u);
    sockdir_done(&d);
}

Test(unix_dgram, connected_peer_gone_is_reported)
{
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_unix *s, *c;
    cr_assert_eq(ipcx_unix_bind(&s, addr, NULL), 0);
    cr_assert_eq(ipcx_unix_connect(&c, addr, IPCX_UNIX_DGRAM, NULL, 100), 0);
    ipcx_unix_close(s);
    ssize_t n = ipcx_unix_send(c, "x", 1, 100);
    cr_assert(n == IPCX_ECONNREFUSED || n == IPCX_EPIPE, "%s", ipcx_errname((int)n));
    cr_assert_eq(sigpipe_pending(), 0);
    ipcx_unix_close(c);
}

static void full_receiver_makes_sender_wait(bool connected)
{
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_unix *s, *u;
    cr_assert_eq(ipcx_unix_bind(&s, addr, NULL), 0);
    if (connected)
        cr_assert_eq(ipcx_unix_connect(&u, addr, IPCX_UNIX_DGRAM, NULL, 100), 0);
    else
        cr_assert_eq(ipcx_unix_bind(&u, NULL, NULL), 0);
    /* Fill the receiver's queue; nobody reads it. */
    int sent = 0;
    ssize_t n;
    char m[64] = {0};
    while (sent < 100000 && (n = connected ? ipcx_unix_send(u, m, sizeof m, IPCX_NOWAIT)
                                           : ipcx_unix_sendto(u, addr, m, sizeof m, IPCX_NOWAIT)) ==
                                (ssize_t)sizeof m)
        sent++;
    cr_assert_eq(n, IPCX_EAGAIN, "%s after %d", ipcx_errname((int)n), sent);
    cr_assert_gt(sent, 0);
    int64_t t0 = tsup_now_ms();
    n = connected ? ipcx_unix_send(u, m, sizeof m, 150)
                  : ipcx_unix_sendto(u, addr, m, sizeof m, 150);
    int64_t el = tsup_now_ms() - t0;
    cr_assert_eq(n, IPCX_ETIMEDOUT);
    cr_assert_geq(el, 150);
    cr_assert_lt(el, 150 + SLACK_MS);
    /* One read makes room: the next send goes. */
    char buf[64];
    cr_assert_eq(ipcx_unix_recv(s, buf, sizeof buf, 100), (ssize_t)sizeof buf);
    n = connected ? ipcx_unix_send(u, m, sizeof m, 1000)
                  : ipcx_unix_sendto(u, addr, m, sizeof m, 1000);
    cr_assert_eq(n, (ssize_t)sizeof m);
    ipcx_unix_close(u);
    ipcx_unix_close(s);
}

Test(unix_dgram, full_receiver_makes_unconnected_sender_wait_until_deadline)
{
    full_receiver_makes_sender_wait(false);
}

Test(unix_dgram, full_receiver_makes_connected_sender_wait_until_deadline)
{
    full_receiver_makes_sender_wait(true);
}

static int send_later(void *arg)
{
    struct ipcx_unix *u = arg;
    sleep_ms(100);
    char m[64] = {1};
    TSUP_CHILD_CHECK(ipcx_unix_send(u, m, sizeof m, 5000) == (ssize_t)sizeof m);
    return 0;
}

Test(unix_dgram, waiting_sender_goes_once_the_receiver_reads)
{
    struct ipcx_unix *a, *b;
    cr_assert_eq(ipcx_unix_pair(&a, &b, IPCX_UNIX_DGRAM), 0);
    char m[64] = {0};
    int sent = 0;
    while (ipcx_unix_send(a, m, sizeof m, IPCX_NOWAIT) == (ssize_t)sizeof m)
        sent++;
    pid_t pid = tsup_fork(send_later, a); /* blocks in the child until we read */
    sleep_ms(200);
    char buf[64];
    for (int i = 0; i <= sent; i++)
        cr_assert_eq(ipcx_unix_recv(b, buf, sizeof buf, 5000), (ssize_t)sizeof buf, "%d", i);
    cr_assert_eq(buf[0], 1, "the child's datagram came last");
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    ipcx_unix_close(a);
    ipcx_unix_close(b);
}

Test(unix_dgram, too_small_buffer_and_next_size)
{
    struct ipcx_unix *a, *b;
    cr_assert_eq(ipcx_unix_pair(&a, &b, IPCX_UNIX_DGRAM), 0);
    char big[1000];
    memset(big, 'q', sizeof big);
    cr_assert_eq(ipcx_unix_send(a, big, sizeof big, 100), (ssize_t)sizeof big);
    cr_assert_eq(ipcx_unix_send(a, "", 0, 100), 0, "an empty datagram is a datagram");
    cr_assert_eq(ipcx_unix_send(a, "z", 1, 100), 1);
    cr_assert_eq(ipcx_unix_next_size(b, 100), 1000);
    cr_assert_eq(ipcx_unix_next_size(b, 100), 1000, "peeking does not consume");
    char buf[1000];
    cr_assert_eq(ipcx_unix_recv(b, buf, 10, 100), IPCX_ETRUNC);
    cr_assert_eq(ipcx_unix_next_size(b, 100), 0);
    cr_assert_eq(ipcx_unix_recv(b, buf, sizeof buf, 100), 0);
    cr_assert_eq(ipcx_unix_recv(b, buf, sizeof buf, 100), 1);
    cr_assert_eq(buf[0], 'z');
    cr_assert_eq(ipcx_unix_recv(b, buf, sizeof buf, IPCX_NOWAIT), IPCX_EAGAIN);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_unix_next_size(b, 100), IPCX_ETIMEDOUT);
    cr_assert_geq(tsup_now_ms() - t0, 100);
    ipcx_unix_close(a);
    ipcx_unix_close(b);
}

Test(unix_dgram, addresses_and_credentials_are_reported)
{
    char addr[IPCX_UNIX_ADDR_MAX], got[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_unix *s, *u;
    cr_assert_eq(ipcx_unix_bind(&s, addr, NULL), 0);
    cr_assert_eq(ipcx_unix_addr(s, got, sizeof got), (int)strlen(addr));
    cr_assert_str_eq(got, addr);
    cr_assert_eq(ipcx_unix_bind(&u, NULL, NULL), 0);
    cr_assert_eq(ipcx_unix_sendto(u, addr, "hi", 2, 100), 2);
    char buf[8], from[4];
    struct ipcx_cred cred;
    /* A from-buffer too small: the datagram is consumed, the call says so. */
    cr_assert_eq(ipcx_unix_recvfrom(s, buf, sizeof buf, from, sizeof from, &cred, 100),
                 IPCX_ENAMETOOLONG);
    cr_assert_eq(ipcx_unix_peer_cred(s, &cred), IPCX_ENOTCONN, "datagrams have no peer");
    cr_assert_eq(ipcx_unix_peer_pidfd(s), IPCX_ENOTCONN);

    /* Stream sockets report credentials per connection, not per message. */
    struct ipcx_unix *p, *q;
    cr_assert_eq(ipcx_unix_pair(&p, &q, IPCX_UNIX_STREAM), 0);
    cr_assert_eq(ipcx_unix_send(p, "x", 1, 100), 1);
    cr_assert_eq(ipcx_unix_recvfrom(q, buf, sizeof buf, NULL, 0, &cred, 100), IPCX_ENOTSUP);
    cr_assert_eq(ipcx_unix_recv(q, buf, sizeof buf, 100), 1, "nothing was consumed");
    ipcx_unix_close(p);
    ipcx_unix_close(q);
    ipcx_unix_close(u);
    ipcx_unix_close(s);
}
