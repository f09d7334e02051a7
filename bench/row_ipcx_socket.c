/* SPDX-License-Identifier: MIT */
/*
 * row_ipcx_socket.c: ipcx's sockets (ipcx/unix.h, ipcx/inet.h), set up as
 * the raw rows they wrap (row_socket.c), in the parent, each side keeping
 * its end:
 *   ipcx-unix-stream, -seqpacket, -dgram: ipcx_unix_pair(), then
 *     ipcx_unix_send and ipcx_unix_recv;
 *   ipcx-tcp: ipcx_tcp_listen on 127.0.0.1 port 0, ipcx_tcp_connect,
 *     ipcx_tcp_accept (TCP_NODELAY is the library's default), then
 *     ipcx_tcp_send and ipcx_tcp_recv;
 *   ipcx-udp: the server's socket bound with ipcx_udp_open on 127.0.0.1,
 *     the client's connected to it with ipcx_udp_connect; the server answers
 *     with ipcx_udp_sendto to the client's address (ipcx has no call to
 *     connect a bound socket).
 * The library's sockets are non-blocking: a receive that has to wait tries,
 * polls, and tries again, with the run's timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ipcx.h>

#include "row.h"

/* The largest UDP payload over IPv4: 65535 - 20 (IP) - 8 (UDP). */
#define UDP_MAX 65507

/* The calls on one kind of socket. send() returns the bytes sent (all of
 * them, or fewer when a stream's deadline passed midway) or a negative
 * code; recv() the bytes received, 0 at end of stream. */
struct sock_ops {
    ssize_t (*send)(void *s, const void *to, const void *buf, size_t len, int timeout_ms);
    ssize_t (*recv)(void *s, void *buf, size_t len, int timeout_ms);
    void (*close)(void *s);
    bool stream;
};

struct sock {
    const struct sock_ops *ops;
    void *end[2]; /* [0] the client's, [1] the server's; NULL when not held */
    void *me;
    struct ipcx_inet_addr to; /* ipcx-udp's server: the client's address */
};

static ssize_t unix_send(void *s, const void *to, const void *buf, size_t len, int timeout_ms)
{
    return ipcx_unix_send(s, buf, len, timeout_ms);
}

static ssize_t unix_recv(void *s, void *buf, size_t len, int timeout_ms)
{
    return ipcx_unix_recv(s, buf, len, timeout_ms);
}

static void unix_close(void *s)
{
    ipcx_unix_close(s);
}

static ssize_t tcp_send(void *s, const void *to, const void *buf, size_t len, int timeout_ms)
{
    return ipcx_tcp_send(s, buf, len, timeout_ms);
}

static ssize_t tcp_recv(void *s, void *buf, size_t len, int timeout_ms)
{
    return ipcx_tcp_recv(s, buf, len, timeout_ms);
}

static void tcp_close(void *s)
{
    ipcx_tcp_close(s);
}

static ssize_t udp_send(void *s, const void *to, const void *buf, size_t len, int timeout_ms)
{
    return to ? ipcx_udp_sendto(s, to, buf, len, timeout_ms)
              : ipcx_udp_send(s, buf, len, timeout_ms);
}

static ssize_t udp_recv(void *s, void *buf, size_t len, int timeout_ms)
{
    return ipcx_udp_recv(s, buf, len, NULL, timeout_ms);
}

static void udp_close(void *s)
{
    ipcx_udp_close(s);
}

static const struct sock_ops unix_stream_ops = {unix_send, unix_recv, unix_close, true};
static const struct sock_ops unix_msg_ops = {unix_send, unix_recv, unix_close, false};
static const struct sock_ops tcp_ops = {tcp_send, tcp_recv, tcp_close, true};
static const struct sock_ops udp_ops = {udp_send, udp_recv, udp_close, false};

static void drop(struct sock *s, void **end)
{
    if (*end)
        s->ops->close(*end);
    *end = NULL;
}

static int ifail(struct bench_proc *p, const char *what, int rc)
{
    return bench_fail(p, "%s: %s", what, ipcx_strerror(rc));
}

static int pair_setup(struct bench_proc *p, enum ipcx_unix_type type)
{
    struct sock *s = p->priv;
    s->ops = type == IPCX_UNIX_STREAM ? &unix_stream_ops : &unix_msg_ops;
    struct ipcx_unix *a, *b;
    int rc = ipcx_unix_pair(&a, &b, type);
    if (rc < 0)
        return ifail(p, "ipcx_unix_pair", rc);
    s->end[0] = a;
    s->end[1] = b;
    return 0;
}

static int unix_stream_setup(struct bench_proc *p)
{
    return pair_setup(p, IPCX_UNIX_STREAM);
}

static int unix_seqpacket_setup(struct bench_proc *p)
{
    return pair_setup(p, IPCX_UNIX_SEQPACKET);
}

static int unix_dgram_setup(struct bench_proc *p)
{
    return pair_setup(p, IPCX_UNIX_DGRAM);
}

static int tcp_setup(struct bench_proc *p)
{
    struct sock *s = p->priv;
    s->ops = &tcp_ops;
    const struct ipcx_inet_opts o = {.family = IPCX_INET_V4, .flags = IPCX_INET_NUMERIC};
    struct ipcx_tcp *l = NULL, *c = NULL, *a = NULL;
    struct ipcx_inet_addr addr;
    int rc = ipcx_tcp_listen(&l, "127.0.0.1", 0, &o);
    if (rc < 0)
        return ifail(p, "ipcx_tcp_listen", rc);
    rc = ipcx_tcp_local_addr(l, &addr);
    if (rc == 0)
        rc = ipcx_tcp_connect(&c, "127.0.0.1", (uint16_t)ipcx_inet_addr_port(&addr), &o,
                              p->timeout_ms);
    if (rc == 0)
        rc = ipcx_tcp_accept(l, &a, p->timeout_ms);
    ipcx_tcp_close(l);
    s->end[0] = c;
    s->end[1] = a;
    if (rc < 0)
        return ifail(p, "TCP connection on the loopback", rc);
    bench_note(p, "TCP_NODELAY (the library's default), IPv4 loopback");
    return 0;
}

static int udp_setup(struct bench_proc *p)
{
    struct sock *s = p->priv;
    s->ops = &udp_ops;
    const struct ipcx_inet_opts o = {.family = IPCX_INET_V4, .flags = IPCX_INET_NUMERIC};
    struct ipcx_udp *srv = NULL, *cli = NULL;
    struct ipcx_inet_addr addr;
    int rc = ipcx_udp_open(&srv, "127.0.0.1", 0, &o);
    s->end[1] = srv;
    if (rc == 0)
        rc = ipcx_udp_local_addr(srv, &addr);
    if (rc == 0)
        rc = ipcx_udp_connect(&cli, "127.0.0.1", (uint16_t)ipcx_inet_addr_port(&addr), &o,
                              p->timeout_ms);
    s->end[0] = cli;
    if (rc == 0)
        rc = ipcx_udp_local_addr(cli, &s->to);
    if (rc < 0)
        return ifail(p, "UDP sockets on the loopback", rc);
    bench_note(p, "IPv4 loopback; a stream counts the datagrams that arrived");
    return 0;
}

static void sock_forked(struct bench_proc *p)
{
    struct sock *s = p->priv;
    if (!s->ops)
        return;
    drop(s, &s->end[0]);
    drop(s, &s->end[1]);
}

static int sock_open(struct bench_proc *p)
{
    struct sock *s = p->priv;
    int mine = p->role == BENCH_CLIENT ? 0 : 1;
    s->me = s->end[mine];
    s->end[mine] = NULL;
    drop(s, &s->end[1 - mine]);
    return 0;
}

static int sock_send(struct bench_proc *p, void *buf, size_t len)
{
    struct sock *s = p->priv;
    const void *to = s->ops == &udp_ops && p->role == BENCH_SERVER ? &s->to : NULL;
    ssize_t n = s->ops->send(s->me, to, buf, len, p->timeout_ms);
    if (n < 0)
        return (int)n;
    return (size_t)n == len ? 0 : -ETIMEDOUT; /* a stream cut short by its deadline */
}

static ssize_t sock_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct sock *s = p->priv;
    if (!s->ops->stream)
        return s->ops->recv(s->me, buf, p->max_size, p->timeout_ms);
    char *b = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = s->ops->recv(s->me, b + got, len - got, p->timeout_ms);
        if (n < 0)
            return n;
        if (n == 0)
            return -EPIPE;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static void sock_close(struct bench_proc *p)
{
    struct sock *s = p->priv;
    drop(s, &s->me);
}

/* The same limits as the raw rows: a Unix record must fit in SO_SNDBUF - 32
 * bytes, a UDP datagram in 65507. */
static size_t unix_limit(char *why, size_t n)
{
    long buf = bench_read_proc_long("/proc/sys/net/core/wmem_default", 212992);
    snprintf(why, n, "a Unix datagram must fit in SO_SNDBUF - 32 = %ld B (net.core.wmem_default)",
             buf - 32);
    return (size_t)(buf - 32);
}

static size_t udp_limit(char *why, size_t n)
{
    snprintf(why, n, "a UDP datagram over IPv4 carries at most %d B", UDP_MAX);
    return UDP_MAX;
}

#define SOCK_ROW(nm, ord, raw, text, fl, set, lim)                                              \
    {                                                                                           \
        .name = nm, .group = BENCH_IPCX, .order = ord, .what = text, .wraps = raw, .flags = fl, \
        .priv_size = sizeof(struct sock), .limit = lim, .setup = set, .forked = sock_forked,    \
        .open = sock_open, .send = sock_send, .recv = sock_recv, .close = sock_close,           \
        .teardown = sock_forked,                                                                \
    }

static const struct bench_row rows[] = {
    SOCK_ROW("ipcx-unix-stream", 120, "unix-stream",
             "ipcx_unix_pair stream, ipcx_unix_send and ipcx_unix_recv", 0, unix_stream_setup,
             NULL),
    SOCK_ROW("ipcx-unix-seqpacket", 121, "unix-seqpacket",
             "ipcx_unix_pair seqpacket, one record per message", BENCH_F_FANIN | BENCH_F_FANOUT,
             unix_seqpacket_setup, unix_limit),
    SOCK_ROW("ipcx-unix-dgram", 122, "unix-dgram",
             "ipcx_unix_pair datagram, one datagram per message", BENCH_F_FANIN | BENCH_F_FANOUT,
             unix_dgram_setup, unix_limit),
    SOCK_ROW("ipcx-tcp", 130, "tcp", "ipcx_tcp_send and ipcx_tcp_recv over the IPv4 loopback", 0,
             tcp_setup, NULL),
    SOCK_ROW(
        "ipcx-udp", 131, "udp",
        "ipcx_udp_send (client, connected) and ipcx_udp_sendto (server) over the IPv4 loopback",
        BENCH_F_LOSSY | BENCH_F_FANIN | BENCH_F_FANOUT, udp_setup, udp_limit),
};

BENCH_ROWS(ipcx_socket)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        bench_register(&rows[i]);
}
