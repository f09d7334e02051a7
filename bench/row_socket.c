/* SPDX-License-Identifier: MIT */
/*
 * row_socket.c: sockets through send(2) and recv(2), the way a program would
 * use them: Unix stream, seqpacket and datagram sockets from socketpair(),
 * TCP connected over the IPv4 loopback (TCP_NODELAY on both ends), and two
 * UDP sockets bound to the loopback and connected to each other. The parent
 * creates and connects both ends, so no name is ever left in the file
 * system; each side keeps its end. SO_RCVTIMEO and SO_SNDTIMEO bound every
 * wait at no extra cost. Stream sockets read exactly the message length;
 * message sockets return one message per call.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "row.h"

/* The largest UDP payload over IPv4: 65535 - 20 (IP) - 8 (UDP). */
#define UDP_MAX 65507

struct sock {
    int fd[2]; /* [0] the client's end, [1] the server's */
    int me;
    bool stream;
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int set_timeouts(struct bench_proc *p, int fd)
{
    struct timeval tv = {p->timeout_ms / 1000, (p->timeout_ms % 1000) * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
        return bench_fail(p, "setsockopt: %s", strerror(errno));
    return 0;
}

static int finish_setup(struct bench_proc *p)
{
    struct sock *s = p->priv;
    for (int i = 0; i < 2; i++)
        if (set_timeouts(p, s->fd[i]) < 0)
            return -1;
    return 0;
}

static int pair_setup(struct bench_proc *p, int type)
{
    struct sock *s = p->priv;
    s->fd[0] = s->fd[1] = s->me = -1;
    s->stream = type == SOCK_STREAM;
    if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, s->fd) != 0) {
        s->fd[0] = s->fd[1] = -1;
        return bench_fail(p, "socketpair: %s", strerror(errno));
    }
    return finish_setup(p);
}

static int unix_stream_setup(struct bench_proc *p)
{
    return pair_setup(p, SOCK_STREAM);
}

static int unix_seqpacket_setup(struct bench_proc *p)
{
    return pair_setup(p, SOCK_SEQPACKET);
}

static int unix_dgram_setup(struct bench_proc *p)
{
    return pair_setup(p, SOCK_DGRAM);
}

static struct sockaddr_in loopback(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int tcp_setup(struct bench_proc *p)
{
    struct sock *s = p->priv;
    s->fd[0] = s->fd[1] = s->me = -1;
    s->stream = true;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        return bench_fail(p, "socket: %s", strerror(errno));
    struct sockaddr_in a = loopback();
    socklen_t alen = sizeof a;
    int rc = -1;
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 1) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        bench_fail(p, "listen on the loopback: %s", strerror(errno));
        goto out;
    }
    s->fd[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd[0] < 0 || connect(s->fd[0], (struct sockaddr *)&a, sizeof a) != 0) {
        bench_fail(p, "connect: %s", strerror(errno));
        goto out;
    }
    s->fd[1] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (s->fd[1] < 0) {
        bench_fail(p, "accept: %s", strerror(errno));
        goto out;
    }
    int one = 1;
    for (int i = 0; i < 2; i++) {
        if (setsockopt(s->fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
            bench_fail(p, "TCP_NODELAY: %s", strerror(errno));
            goto out;
        }
    }
    bench_note(p, "TCP_NODELAY on both ends, IPv4 loopback");
    rc = finish_setup(p);
out:
    close(lfd);
    return rc;
}

static int udp_setup(struct bench_proc *p)
{
    struct sock *s = p->priv;
    s->fd[0] = s->fd[1] = s->me = -1;
    s->stream = false;
    struct sockaddr_in a[2];
    for (int i = 0; i < 2; i++) {
        socklen_t alen = sizeof a[i];
        a[i] = loopback();
        s->fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s->fd[i] < 0 || bind(s->fd[i], (struct sockaddr *)&a[i], sizeof a[i]) != 0 ||
            getsockname(s->fd[i], (struct sockaddr *)&a[i], &alen) != 0)
            return bench_fail(p, "UDP socket on the loopback: %s", strerror(errno));
    }
    for (int i = 0; i < 2; i++)
        if (connect(s->fd[i], (struct sockaddr *)&a[1 - i], sizeof a[1 - i]) != 0)
            return bench_fail(p, "connect: %s", strerror(errno));
    bench_note(p, "IPv4 loopback; a stream counts the datagrams that arrived");
    return finish_setup(p);
}

static void sock_forked(struct bench_proc *p)
{
    struct sock *s = p->priv;
    close_fd(&s->fd[0]);
    close_fd(&s->fd[1]);
}

static int sock_open(struct bench_proc *p)
{
    struct sock *s = p->priv;
    int mine = p->role == BENCH_CLIENT ? 0 : 1;
    s->me = s->fd[mine];
    s->fd[mine] = -1;
    close_fd(&s->fd[1 - mine]);
    return 0;
}

static int sock_send(struct bench_proc *p, void *buf, size_t len)
{
    struct sock *s = p->priv;
    const char *b = buf;
    while (len > 0) {
        ssize_t n = send(s->me, b, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (!s->stream && (size_t)n != len)
            return -EMSGSIZE;
        b += n;
        len -= (size_t)n;
    }
    return 0;
}

static ssize_t sock_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct sock *s = p->priv;
    if (!s->stream) {
        for (;;) {
            ssize_t n = recv(s->me, buf, p->max_size, MSG_TRUNC);
            if (n >= 0 || errno != EINTR)
                return n < 0 ? -errno : n;
        }
    }
    char *b = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv(s->me, b + got, len - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EPIPE;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static void sock_close(struct bench_proc *p)
{
    struct sock *s = p->priv;
    close_fd(&s->me);
}

/* A Unix datagram (or seqpacket record) must fit in the sender's buffer:
 * the kernel refuses anything over SO_SNDBUF - 32 bytes. */
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

#define SOCK_ROW(nm, ord, text, fl, set, lim)                                                \
    {                                                                                        \
        .name = nm, .group = BENCH_RAW, .order = ord, .what = text, .flags = fl,             \
        .priv_size = sizeof(struct sock), .limit = lim, .setup = set, .forked = sock_forked, \
        .open = sock_open, .send = sock_send, .recv = sock_recv, .close = sock_close,        \
        .teardown = sock_forked,                                                             \
    }

static const struct bench_row rows[] = {
    SOCK_ROW("unix-stream", 20, "Unix stream socket pair, send(2) and recv(2)", 0,
             unix_stream_setup, NULL),
    SOCK_ROW("unix-seqpacket", 21, "Unix seqpacket socket pair, one record per message",
             BENCH_F_FANIN | BENCH_F_FANOUT, unix_seqpacket_setup, unix_limit),
    SOCK_ROW("unix-dgram", 22, "Unix datagram socket pair, one datagram per message",
             BENCH_F_FANIN | BENCH_F_FANOUT, unix_dgram_setup, unix_limit),
    SOCK_ROW("tcp", 30, "TCP over the IPv4 loopback, send(2) and recv(2)", 0, tcp_setup, NULL),
    SOCK_ROW("udp", 31, "UDP over the IPv4 loopback, connected sockets",
             BENCH_F_LOSSY | BENCH_F_FANIN | BENCH_F_FANOUT, udp_setup, udp_limit),
};

BENCH_ROWS(socket)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        bench_register(&rows[i]);
}
