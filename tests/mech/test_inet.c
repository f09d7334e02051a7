/* SPDX-License-Identifier: MIT */
/*
 * test_inet.c: TCP and UDP on 127.0.0.1 and ::1 between processes: bytes
 * and datagrams arrive intact with the sender's address; TCP_NODELAY and
 * SO_REUSEADDR are the defaults; a connect to nothing is refused, one to a
 * listener whose queue is full times out at its deadline; a gone peer gives
 * IPCX_EPIPE or IPCX_ECONNRESET without SIGPIPE; "localhost" and numeric
 * addresses resolve without the name service and a name lookup cannot
 * outlast its deadline; bad arguments give IPCX_EINVAL.
 * ipcx-test: label=process timeout=60
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ipcx.h>

#include "tsup.h"

#define SLACK_MS 250

static int port_of_tcp(struct ipcx_tcp *s)
{
    struct ipcx_inet_addr a;
    cr_assert_eq(ipcx_tcp_local_addr(s, &a), 0);
    int p = ipcx_inet_addr_port(&a);
    cr_assert_gt(p, 0);
    return p;
}

static int port_of_udp(struct ipcx_udp *u)
{
    struct ipcx_inet_addr a;
    cr_assert_eq(ipcx_udp_local_addr(u, &a), 0);
    int p = ipcx_inet_addr_port(&a);
    cr_assert_gt(p, 0);
    return p;
}

static char *fmt(const struct ipcx_inet_addr *a, char *buf)
{
    cr_assert_gt(ipcx_inet_addr_format(a, buf, IPCX_INET_ADDR_MAX), 0);
    return buf;
}

static void tcp_echo(const char *host, const char *want_peer_ip)
{
    int base = tsup_fd_count();
    struct ipcx_tcp *l, *c;
    cr_assert_eq(ipcx_tcp_listen(&l, host, 0, NULL), 0);
    char port[16];
    snprintf(port, sizeof port, "%d", port_of_tcp(l));
    pid_t pid = tsup_spawn_helper("tcp_echo", (const char *[]){host, port, NULL});
    cr_assert_gt(pid, 0);
    cr_assert_eq(ipcx_tcp_accept(l, &c, 5000), 0);
    struct ipcx_inet_addr peer;
    char s[IPCX_INET_ADDR_MAX];
    cr_assert_eq(ipcx_tcp_peer_addr(c, &peer), 0);
    fmt(&peer, s);
    cr_assert_eq(strncmp(s, want_peer_ip, strlen(want_peer_ip)), 0, "peer %s", s);

    size_t len = 1 << 20;
    char *out = malloc(len), *in = malloc(len);
    for (size_t i = 0; i < len; i++)
        out[i] = (char)(i * 13 + 1);
    const size_t sizes[] = {1, 1000, 65536, 1 << 20};
    for (size_t k = 0; k < 4; k++) {
        cr_assert_eq(ipcx_tcp_send(c, out, sizes[k], 5000), (ssize_t)sizes[k]);
        size_t got = 0;
        while (got < sizes[k]) {
            ssize_t n = ipcx_tcp_recv(c, in + got, sizes[k] - got, 5000);
            cr_assert_gt(n, 0, "%s", ipcx_errname((int)n));
            got += (size_t)n;
        }
        cr_assert_eq(memcmp(in, out, sizes[k]), 0);
    }
    cr_assert_eq(ipcx_tcp_shutdown(c), 0);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    char b;
    cr_assert_eq(ipcx_tcp_recv(c, &b, 1, 5000), 0, "end of stream");
    free(out);
    free(in);
    ipcx_tcp_close(c);
    ipcx_tcp_close(l);
    cr_assert_eq(tsup_fd_count(), base);
}

Test(inet, tcp_ipv4_echo_across_exec)
{
    tcp_echo("127.0.0.1", "127.0.0.1:");
}

Test(inet, tcp_ipv6_echo_across_exec)
{
    tcp_echo("::1", "[::1]:");
}

static int getopt_int(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof v;
    cr_assert_eq(getsockopt(fd, level, name, &v, &len), 0);
    return v;
}

Test(inet, tcp_defaults_nodelay_reuseaddr_cloexec_nonblocking)
{
    struct ipcx_tcp *l, *c, *a;
    cr_assert_eq(ipcx_tcp_listen(&l, "127.0.0.1", 0, NULL), 0);
    cr_assert_neq(getopt_int(ipcx_tcp_fd(l), SOL_SOCKET, SO_REUSEADDR), 0);
    cr_assert_eq(ipcx_tcp_connect(&c, "127.0.0.1", (uint16_t)port_of_tcp(l), NULL, 5000), 0);
    cr_assert_eq(ipcx_tcp_accept(l, &a, 5000), 0);
    struct ipcx_tcp *all[] = {l, c, a};
    for (int i = 0; i < 3; i++) {
        int fd = ipcx_tcp_fd(all[i]);
        cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
    }
    cr_assert_neq(getopt_int(ipcx_tcp_fd(c), IPPROTO_TCP, TCP_NODELAY), 0);
    cr_assert_neq(getopt_int(ipcx_tcp_fd(a), IPPROTO_TCP, TCP_NODELAY), 0);
    ipcx_tcp_close(a);
    ipcx_tcp_close(c);
    ipcx_tcp_close(l);

    struct ipcx_inet_opts delay = {.flags = IPCX_INET_DELAY};
    cr_assert_eq(ipcx_tcp_listen(&l, "127.0.0.1", 0, &delay), 0);
    cr_assert_eq(ipcx_tcp_connect(&c, "127.0.0.1", (uint16_t)port_of_tcp(l), &delay, 5000), 0);
    cr_assert_eq(ipcx_tcp_accept(l, &a, 5000), 0);
    cr_assert_eq(getopt_int(ipcx_tcp_fd(c), IPPROTO_TCP, TCP_NODELAY), 0);
    cr_assert_eq(getopt_int(ipcx_tcp_fd(a), IPPROTO_TCP, TCP_NODELAY), 0);
    ipcx_tcp_close(a);
    ipcx_tcp_close(c);
    ipcx_tcp_close(l);
    cr_assert_eq(ipcx_tcp_fd(NULL), -1);
}

/* A port nobody listens on: one the kernel gave us, now released. */
static uint16_t free_port(const char *host)
{
    struct ipcx_tcp *l;
    cr_assert_eq(ipcx_tcp_listen(&l, host, 0, NULL), 0);
    uint16_t p = (uint16_t)port_of_tcp(l);
    ipcx_tcp_close(l);
    return p;
}

Test(inet, tcp_connect_to_nothing_is_refused)
{
    struct ipcx_tcp *c = (void *)1;
    cr_assert_eq(ipcx_tcp_connect(&c, "127.0.0.1", free_port("127.0.0.1"), NULL, 2000),
                 IPCX_ECONNREFUSED);
    cr_assert_null(c);
    cr_assert_eq(ipcx_tcp_connect(&c, "::1", free_port("::1"), NULL, 2000), IPCX_ECONNREFUSED);
}

Test(inet, tcp_connect_times_out_when_the_queue_is_full)
{
    struct ipcx_inet_opts o = {.backlog = 1};
    struct ipcx_tcp *l, *conns[16];
    cr_assert_eq(ipcx_tcp_listen(&l, "127.0.0.1", 0, &o), 0);
    uint16_t port = (uint16_t)port_of_tcp(l);
    int n = 0, rc = 0;
    int64_t el = 0;
    /* Nobody accepts: once the queue is full the kernel drops new SYNs. */
    while (n < 16) {
        int64_t t0 = tsup_now_ms();
        rc = ipcx_tcp_connect(&conns[n], "127.0.0.1", port, NULL, 300);
        el = tsup_now_ms() - t0;
        if (rc != 0)
            break;
        n++;
    }
    cr_assert_eq(rc, IPCX_ETIMEDOUT, "%s after %d connections", ipcx_errname(rc), n);
    cr_assert_geq(el, 300);
    cr_assert_lt(el, 300 + SLACK_MS);
    for (int i = 0; i < n; i++)
        ipcx_tcp_close(conns[i]);
    ipcx_tcp_close(l);
}

Test(inet, localhost_tries_each_address_in_turn)
{
    /* A listener on ::1 only; localhost lists 127.0.0.1 first, which refuses. */
    struct ipcx_tcp *l, *c, *a;
    cr_assert_eq(ipcx_tcp_listen(&l, "::1", 0, NULL), 0);
    uint16_t port = (uint16_t)port_of_tcp(l);
    struct ipcx_tcp *v4 = NULL;
    /* The same port on 127.0.0.1 must be free for the point to stand. */
    if (ipcx_tcp_listen(&v4, "127.0.0.1", port, NULL) == 0)
        ipcx_tcp_close(v4);
    cr_assert_eq(ipcx_tcp_connect(&c, "localhost", port, NULL, 5000), 0);
    cr_assert_eq(ipcx_tcp_accept(l, &a, 5000), 0);
    struct ipcx_inet_addr peer;
    char s[IPCX_INET_ADDR_MAX];
    cr_assert_eq(ipcx_tcp_peer_addr(c, &peer), 0);
    cr_assert_eq(strncmp(fmt(&peer, s), "[::1]:", 6), 0, "%s", s);
    ipcx_tcp_close(a);
    ipcx_tcp_close(c);
    ipcx_tcp_close(l);
}

Test(inet, tcp_deadlines_and_nowait)
{
    struct ipcx_tcp *l, *c, *a = (void *)1;
    cr_assert_eq(ipcx_tcp_listen(&l, "::1", 0, NULL), 0);
    cr_assert_eq(ipcx_tcp_accept(l, &a, IPCX_NOWAIT), IPCX_EAGAIN);
    cr_assert_null(a);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_tcp_accept(l, &a, 100), IPCX_ETIMEDOUT);
    int64_t el = tsup_now_ms() - t0;
    cr_assert_geq(el, 100);
    cr_assert_lt(el, 100 + SLACK_MS);
    cr_assert_eq(ipcx_tcp_connect(&c, "::1", (uint16_t)port_of_tcp(l), NULL, 5000), 0);
    cr_assert_eq(ipcx_tcp_accept(l, &a, 5000), 0);
    char buf[16];
    cr_assert_eq(ipcx_tcp_recv(a, buf, sizeof buf, IPCX_NOWAIT), IPCX_EAGAIN);
    t0 = tsup_now_ms();
    cr_assert_eq(ipcx_tcp_recv(a, buf, sizeof buf, 100), IPCX_ETIMEDOUT);
    el = tsup_now_ms() - t0;
    cr_assert_geq(el, 100);
    cr_assert_lt(el, 100 + SLACK_MS);

    /* Nobody reads: a big send goes in part by the deadline. */
    size_t len = 64 << 20;
    char *big = calloc(1, len);
    ssize_t n = ipcx_tcp_send(c, big, len, 200);
    cr_assert_gt(n, 0);
    cr_assert_lt(n, (ssize_t)len);
    /* The kernel may have made a little room meanwhile: NOWAIT takes what fits, at once. */
    t0 = tsup_now_ms();
    n = ipcx_tcp_send(c, big, len, IPCX_NOWAIT);
    cr_assert(n == IPCX_EAGAIN || (n > 0 && n < (ssize_t)len), "%zd", n);
    cr_assert_lt(tsup_now_ms() - t0, SLACK_MS);
    free(big);
    ipcx_tcp_close(a);
    ipcx_tcp_close(c);
    ipcx_tcp_close(l);
}

Test(inet, tcp_send_to_gone_peer_fails_without_sigpipe)
{
    signal(SIGPIPE, SIG_DFL);
    struct ipcx_tcp *l, *c, *a;
    cr_assert_eq(ipcx_tcp_listen(&l, "127.0.0.1", 0, NULL), 0);
    cr_assert_eq(ipcx_tcp_connect(&c, "127.0.0.1", (uint16_t)port_of_tcp(l), NULL, 5000), 0);
    cr_assert_eq(ipcx_tcp_accept(l, &a, 5000), 0);
    ipcx_tcp_close(a);
    ssize_t rc = 0;
    for (int i = 0; i < 100 && rc >= 0; i++) {
        rc = ipcx_tcp_send(c, "data", 4, 1000);
        if (rc >= 0) {
            struct timespec ts = {0, 5000000};
            nanosleep(&ts, NULL); /* let the peer's reset arrive */
        }
    }
    cr_assert(rc == IPCX_EPIPE || rc == IPCX_ECONNRESET, "%s", ipcx_errname((int)rc));
    sigset_t p;
    sigpending(&p);
    cr_assert_not(sigismember(&p, SIGPIPE));
    ipcx_tcp_close(c);
    ipcx_tcp_close(l);
}

Test(inet, listener_port_is_exclusive_and_reusable_after_close)
{
    struct ipcx_tcp *l, *l2 = (void *)1, *c, *a;
    cr_assert_eq(ipcx_tcp_listen(&l, "127.0.0.1", 0, NULL), 0);
    uint16_t port = (uint16_t)port_of_tcp(l);
    cr_assert_eq(ipcx_tcp_listen(&l2, "127.0.0.1", port, NULL), IPCX_EADDRINUSE);
    cr_assert_null(l2);

    /* The server closes first: its side of the connection sits in TIME_WAIT. */
    cr_assert_eq(ipcx_tcp_connect(&c, "127.0.0.1", port, NULL, 5000), 0);
    cr_assert_eq(ipcx_tcp_accept(l, &a, 5000), 0);
    ipcx_tcp_close(a);
    ipcx_tcp_close(l);
    char b;
    cr_assert_eq(ipcx_tcp_recv(c, &b, 1, 5000), 0);
    ipcx_tcp_close(c);
    cr_assert_eq(ipcx_tcp_listen(&l, "127.0.0.1", port, NULL), 0,
                 "SO_REUSEADDR: the port is usable again at once");
    ipcx_tcp_close(l);

    struct ipcx_inet_opts rp = {.flags = IPCX_INET_REUSEPORT};
    cr_assert_eq(ipcx_tcp_listen(&l, "127.0.0.1", port, &rp), 0);
    cr_assert_eq(ipcx_tcp_listen(&l2, "127.0.0.1", port, &rp), 0, "shared with REUSEPORT");
    ipcx_tcp_close(l2);
    ipcx_tcp_close(l);
}

static void udp_echo(const char *host, const char *want_prefix)
{
    int base = tsup_fd_count();
    struct ipcx_udp *u;
    cr_assert_eq(ipcx_udp_open(&u, host, 0, NULL), 0);
    char port[16];
    snprintf(port, sizeof port, "%d", port_of_udp(u));
    pid_t pid = tsup_spawn_helper("udp_echo", (const char *[]){host, port, "20", NULL});
    cr_assert_gt(pid, 0);
    char buf[9000], s[IPCX_INET_ADDR_MAX], s2[IPCX_INET_ADDR_MAX];
    struct ipcx_inet_addr helper, from;
    cr_assert_eq(ipcx_udp_recv(u, buf, sizeof buf, &helper, 5000), 5);
    cr_assert_eq(memcmp(buf, "hello", 5), 0);
    cr_assert_eq(strncmp(fmt(&helper, s), want_prefix, strlen(want_prefix)), 0, "%s", s);
    for (int i = 0; i < 20; i++) {
        size_t len = (size_t)i * 401 % sizeof buf;
        char out[9000];
        memset(out, 'A' + i, len);
        cr_assert_eq(ipcx_udp_sendto(u, &helper, out, len, 1000), (ssize_t)len);
        ssize_t n = ipcx_udp_recv(u, buf, sizeof buf, &from, 5000);
        cr_assert_eq(n, (ssize_t)len, "datagram %d: %zd", i, n);
        cr_assert_eq(memcmp(buf, out, len), 0);
        cr_assert_str_eq(fmt(&from, s2), s, "the echo comes from the helper");
    }
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    ipcx_udp_close(u);
    cr_assert_eq(tsup_fd_count(), base);
}

Test(inet, udp_ipv4_datagrams_with_sender_across_exec)
{
    udp_echo("127.0.0.1", "127.0.0.1:");
}

Test(inet, udp_ipv6_datagrams_with_sender_across_exec)
{
    udp_echo("::1", "[::1]:");
}

Test(inet, udp_wildcard_takes_both_families_and_reports_them_naturally)
{
    struct ipcx_udp *srv, *c4, *c6;
    cr_assert_eq(ipcx_udp_open(&srv, NULL, 0, NULL), 0);
    uint16_t port = (uint16_t)port_of_udp(srv);
    cr_assert_eq(ipcx_udp_connect(&c4, "127.0.0.1", port, NULL, 1000), 0);
    cr_assert_eq(ipcx_udp_connect(&c6, "::1", port, NULL, 1000), 0);
    cr_assert_eq(ipcx_udp_send(c4, "four", 4, 1000), 4);
    cr_assert_eq(ipcx_udp_send(c6, "six", 3, 1000), 3);
    char buf[16], s[IPCX_INET_ADDR_MAX];
    struct ipcx_inet_addr from;
    cr_assert_eq(ipcx_udp_recv(srv, buf, sizeof buf, &from, 1000), 4);
    cr_assert_eq(from.u.sa.sa_family, AF_INET, "an IPv4 sender reads as IPv4: %s", fmt(&from, s));
    cr_assert_eq(ipcx_udp_sendto(srv, &from, "r4", 2, 1000), 2, "and can be answered");
    cr_assert_eq(ipcx_udp_recv(c4, buf, sizeof buf, NULL, 1000), 2);
    cr_assert_eq(ipcx_udp_recv(srv, buf, sizeof buf, &from, 1000), 3);
    cr_assert_eq(from.u.sa.sa_family, AF_INET6);
    cr_assert_eq(ipcx_udp_sendto(srv, &from, "r6", 2, 1000), 2);
    cr_assert_eq(ipcx_udp_recv(c6, buf, sizeof buf, NULL, 1000), 2);

    /* An IPv4-only socket cannot reach an IPv6 address. */
    struct ipcx_udp *v4;
    cr_assert_eq(ipcx_udp_open(&v4, "127.0.0.1", 0, NULL), 0);
    cr_assert_eq(ipcx_udp_sendto(v4, &from, "x", 1, 100), IPCX_EAFNOSUPPORT);
    ipcx_udp_close(v4);
    ipcx_udp_close(c4);
    ipcx_udp_close(c6);
    ipcx_udp_close(srv);
}

Test(inet, udp_truncation_deadlines_and_refusal)
{
    struct ipcx_udp *a, *b;
    cr_assert_eq(ipcx_udp_open(&a, "127.0.0.1", 0, NULL), 0);
    cr_assert_eq(ipcx_udp_connect(&b, "127.0.0.1", (uint16_t)port_of_udp(a), NULL, 1000), 0);
    char buf[64];
    cr_assert_eq(ipcx_udp_recv(a, buf, sizeof buf, NULL, IPCX_NOWAIT), IPCX_EAGAIN);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_udp_recv(a, buf, sizeof buf, NULL, 100), IPCX_ETIMEDOUT);
    int64_t el = tsup_now_ms() - t0;
    cr_assert_geq(el, 100);
    cr_assert_lt(el, 100 + SLACK_MS);
    cr_assert_eq(ipcx_udp_send(b, "0123456789", 10, 1000), 10);
    cr_assert_eq(ipcx_udp_send(b, "", 0, 1000), 0);
    cr_assert_eq(ipcx_udp_recv(a, buf, 4, NULL, 1000), IPCX_ETRUNC);
    cr_assert_eq(memcmp(buf, "0123", 4), 0);
    cr_assert_eq(ipcx_udp_recv(a, buf, sizeof buf, NULL, 1000), 0, "an empty datagram");
    static char huge[70000];
    cr_assert_eq(ipcx_udp_send(b, huge, sizeof huge, 1000), IPCX_EMSGSIZE);
    cr_assert_eq(ipcx_udp_send(a, "x", 1, 100), IPCX_EDESTADDRREQ, "not connected");

    /* A connected socket learns that nobody listens (ICMP port unreachable). */
    ipcx_udp_close(a);
    ssize_t rc = ipcx_udp_send(b, "x", 1, 1000);
    if (rc == 1)
        rc = ipcx_udp_recv(b, buf, sizeof buf, NULL, 1000);
    cr_assert_eq(rc, IPCX_ECONNREFUSED, "%s", ipcx_errname((int)rc));
    ipcx_udp_close(b);
}

Test(inet, resolution_of_localhost_and_numeric_addresses)
{
    struct ipcx_inet_addr a[8];
    char s[IPCX_INET_ADDR_MAX];
    cr_assert_eq(ipcx_inet_resolve(a, 8, "localhost", 80, NULL, IPCX_NOWAIT), 2,
                 "no name service: answers even without waiting");
    cr_assert_str_eq(fmt(&a[0], s), "127.0.0.1:80");
    cr_assert_str_eq(fmt(&a[1], s), "[::1]:80");
    struct ipcx_inet_opts v6 = {.family = IPCX_INET_V6};
    cr_assert_eq(ipcx_inet_resolve(a, 8, "LOCALHOST", 81, &v6, 0), 1);
    cr_assert_str_eq(fmt(&a[0], s), "[::1]:81");
    cr_assert_eq(ipcx_inet_resolve(a, 1, "localhost", 82, NULL, 0), 1, "max is respected");
    cr_assert_eq(ipcx_inet_resolve(a, 8, "10.1.2.3", 65535, NULL, 0), 1);
    cr_assert_str_eq(fmt(&a[0], s), "10.1.2.3:65535");
    cr_assert_eq(ipcx_inet_addr_port(&a[0]), 65535);
    cr_assert_eq(ipcx_inet_resolve(a, 8, "[2001:db8::7]", 443, NULL, 0), 1);
    cr_assert_str_eq(fmt(&a[0], s), "[2001:db8::7]:443");
    cr_assert_eq(ipcx_inet_resolve(a, 8, "2001:db8::8", 1, NULL, 0), 1);
    cr_assert_eq(ipcx_inet_resolve(a, 8, NULL, 9, NULL, 0), 2, "wildcards");
    cr_assert_str_eq(fmt(&a[0], s), "[::]:9");
    cr_assert_str_eq(fmt(&a[1], s), "0.0.0.0:9");
    struct ipcx_inet_opts v4 = {.family = IPCX_INET_V4};
    cr_assert_eq(ipcx_inet_resolve(a, 8, "::1", 1, &v4, 0), IPCX_ENOENT,
                 "an IPv6 address asked for as IPv4");
    cr_assert_eq(ipcx_inet_addr_format(&a[0], s, 4), IPCX_ENAMETOOLONG);
}

Test(inet, name_lookup_never_outlasts_its_deadline)
{
    struct ipcx_inet_addr a[4];
    /* .invalid never exists (RFC 6761); the name service may answer at once or not at all. */
    int64_t t0 = tsup_now_ms();
    int rc = ipcx_inet_resolve(a, 4, "ipcx-no-such-host.invalid", 80, NULL, 300);
    int64_t el = tsup_now_ms() - t0;
    cr_assert(rc == IPCX_ENOENT || rc == IPCX_EHOSTUNREACH || rc == IPCX_ETIMEDOUT, "%s",
              ipcx_errname(rc));
    cr_assert_lt(el, 300 + SLACK_MS);
    if (rc == IPCX_ETIMEDOUT)
        cr_assert_geq(el, 300);
    cr_assert_eq(ipcx_inet_resolve(a, 4, "ipcx-no-such-host.invalid", 80, NULL, IPCX_NOWAIT),
                 IPCX_EAGAIN, "a name cannot be had without waiting");
    struct ipcx_inet_opts numeric = {.flags = IPCX_INET_NUMERIC};
    cr_assert_eq(ipcx_inet_resolve(a, 4, "ipcx-no-such-host.invalid", 80, &numeric, 1000),
                 IPCX_EINVAL);
    struct ipcx_tcp *c = (void *)1;
    t0 = tsup_now_ms();
    rc = ipcx_tcp_connect(&c, "ipcx-no-such-host.invalid", 80, NULL, 300);
    cr_assert_lt(tsup_now_ms() - t0, 300 + SLACK_MS);
    cr_assert(rc == IPCX_ENOENT || rc == IPCX_EHOSTUNREACH || rc == IPCX_ETIMEDOUT, "%s",
              ipcx_errname(rc));
    cr_assert_null(c);
}

Test(inet, bad_arguments)
{
    int base = tsup_fd_count();
    struct ipcx_tcp *t = (void *)1;
    struct ipcx_udp *u = (void *)1;
    struct ipcx_inet_addr a[2];
    char longhost[300];
    memset(longhost, 'h', sizeof longhost);
    longhost[299] = '\0';
    struct ipcx_inet_opts bad_family = {.family = (enum ipcx_inet_family)9};
    struct ipcx_inet_opts bad_flags = {.flags = 0x100};
    struct ipcx_inet_opts bad_backlog = {.backlog = -1};
    struct ipcx_inet_opts bad_resolve = {.resolve_timeout_ms = -1};

    cr_assert_eq(ipcx_tcp_listen(NULL, "127.0.0.1", 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_tcp_listen(&t, "127.0.0.1", 0, &bad_family), IPCX_EINVAL);
    cr_assert_null(t);
    cr_assert_eq(ipcx_tcp_listen(&t, "127.0.0.1", 0, &bad_flags), IPCX_EINVAL);
    cr_assert_eq(ipcx_tcp_listen(&t, "127.0.0.1", 0, &bad_backlog), IPCX_EINVAL);
    cr_assert_eq(ipcx_tcp_listen(&t, "127.0.0.1", 0, &bad_resolve), IPCX_EINVAL);
    cr_assert_eq(ipcx_tcp_listen(&t, "[::1", 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_tcp_listen(&t, longhost, 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_tcp_listen(&t, "1:2:3:zz::", 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_tcp_connect(&t, "127.0.0.1", 0, NULL, 100), IPCX_EINVAL, "port 0");
    cr_assert_eq(ipcx_tcp_connect(&t, "", 80, NULL, 100), IPCX_EINVAL);
    cr_assert_eq(ipcx_tcp_connect(&t, NULL, 80, NULL, 100), IPCX_EINVAL);
    cr_assert_eq(ipcx_tcp_connect(&t, "127.0.0.1", 80, NULL, -5), IPCX_EINVAL);
    cr_assert_eq(ipcx_udp_open(&u, "127.0.0.1", 0, &bad_flags), IPCX_EINVAL);
    cr_assert_null(u);
    cr_assert_eq(ipcx_udp_connect(&u, "127.0.0.1", 0, NULL, 100), IPCX_EINVAL);
    cr_assert_eq(ipcx_inet_resolve(NULL, 2, "localhost", 1, NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_inet_resolve(a, 0, "localhost", 1, NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_inet_addr_port(NULL), IPCX_EINVAL);
    memset(a, 0, sizeof a);
    cr_assert_eq(ipcx_inet_addr_port(&a[0]), IPCX_EINVAL, "no address");
    cr_assert_eq(ipcx_inet_addr_format(&a[0], (char[8]){0}, 8), IPCX_EINVAL);

    struct ipcx_tcp *l;
    cr_assert_eq(ipcx_tcp_listen(&l, "127.0.0.1", 0, NULL), 0);
    char buf[4];
    cr_assert_eq(ipcx_tcp_send(l, "x", 1, 0), IPCX_EINVAL, "a listener does not send");
    cr_assert_eq(ipcx_tcp_recv(l, buf, 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_tcp_accept(l, NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_tcp_accept(l, &t, -9), IPCX_EINVAL);
    cr_assert_eq(ipcx_tcp_shutdown(l), IPCX_EINVAL);
    struct ipcx_inet_addr peer;
    cr_assert_eq(ipcx_tcp_peer_addr(l, &peer), IPCX_ENOTCONN);
    ipcx_tcp_close(l);
    cr_assert_eq(ipcx_udp_open(&u, "127.0.0.1", 0, NULL), 0);
    cr_assert_eq(ipcx_udp_sendto(u, NULL, "x", 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_udp_sendto(u, &a[0], "x", 1, 0), IPCX_EINVAL, "an empty address");
    cr_assert_eq(ipcx_udp_recv(u, NULL, 4, NULL, 0), IPCX_EINVAL);
    ipcx_udp_close(u);
    ipcx_tcp_close(NULL);
    ipcx_udp_close(NULL);
    cr_assert_eq(tsup_fd_count(), base);
}
