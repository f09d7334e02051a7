/* SPDX-License-Identifier: MIT */
/*
 * transport/tcp.c: the tcp://host:port transport. A link is one TCP
 * connection (TCP_NODELAY) carrying frames (link/stream.c); the frame is
 * little-endian, so hosts of either byte order understand each other.
 * Hosts are numeric addresses or "localhost" ("[v6]" in brackets). Port 0
 * at listen lets the kernel choose; ipcx_listener_url() reports the port.
 *
 * TCP peers have no credentials. The default policy (NULL) does not apply
 * here: anyone who can reach the port may connect. Any other policy,
 * except one that admits everybody explicitly (IPCX_CRED_ANY), cannot be
 * honoured, and listen and dial refuse it with IPCX_ENOTSUP rather than
 * pretend.
 *
 * Relies on the public TCP API (mech/inet.c) for sockets and on
 * sys/cmsg.c for the framed writes and reads with their deadline.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>
#include <ipcx/inet.h>

#include "link/stream.h"
#include "sys/cmsg.h"
#include "sys/fd.h"

#define FLAGS                                                                   \
    (IPCX_LINK_SEND | IPCX_LINK_RECV | IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | \
     IPCX_LINK_PEER_DEATH)

#define HOST_MAX 256

struct tcp_link {
    struct ipcx__stream st;       /* first */
    int64_t snd_timeo, rcv_timeo; /* the socket's kernel timeouts (sys/cmsg.h) */
    struct ipcx_tcp *sock;
};

struct tcp_listener {
    struct ipcx_listener base; /* first */
    struct ipcx_tcp *sock;
    size_t max_msg;
};

extern const struct ipcx__transport ipcx__transport_tcp;

static ssize_t io_writev(struct ipcx__stream *s, const struct iovec *iov, int iovcnt,
                         const int *fds, size_t nfds, const struct ipcx__deadline *dl)
{
    (void)fds;
    (void)nfds;
    struct tcp_link *t = (struct tcp_link *)s;
    return ipcx__sock_sendmsg_kt(s->base.fd, iov, iovcnt, NULL, 0, &t->snd_timeo, dl);
}

static ssize_t io_read(struct ipcx__stream *s, void *buf, size_t len, int *fds, size_t fds_cap,
                       size_t *nfds, const struct ipcx__deadline *dl)
{
    (void)fds;
    (void)fds_cap;
    *nfds = 0;
    struct iovec v = {buf, len};
    struct tcp_link *t = (struct tcp_link *)s;
    return ipcx__sock_recvmsg_kt(s->base.fd, &v, 1, NULL, &t->rcv_timeo, dl);
}

static void io_destroy(struct ipcx__stream *s)
{
    struct tcp_link *t = (struct tcp_link *)s;
    ipcx_tcp_close(t->sock);
    free(t);
}

static const struct ipcx__stream_io tcp_io = {io_writev, io_read, io_destroy};

static int check_policy(const struct ipcx_link_opts *opts)
{
    if (opts->policy && !(opts->policy->flags & IPCX_CRED_ANY))
        return IPCX_ENOTSUP;
    return 0;
}

/* Splits the URL into host and port and checks what tcp:// needs. */
static int parse(const struct ipcx__url *url, char *host, unsigned *port)
{
    if (!url->had_slashes)
        return IPCX_EBADURL;
    return ipcx__url_hostport(url->rest, host, HOST_MAX, port);
}

/* The mech's answers about a host that a URL gave. */
static int host_code(int rc)
{
    if (rc == IPCX_EINVAL || rc == IPCX_ENOENT)
        return IPCX_EBADURL;
    return rc == IPCX_EAGAIN ? IPCX_ETIMEDOUT : rc;
}

static int link_new(struct ipcx_link **out, struct ipcx_tcp *sock, size_t max_msg)
{
    struct tcp_link *t = calloc(1, sizeof *t);
    if (!t) {
        ipcx_tcp_close(sock);
        return IPCX_ENOMEM;
    }
    /* Blocking: waits happen inside sendmsg/recvmsg, bounded by the
     * socket's kernel timeouts (one system call per wait, not three). */
    int rc = ipcx__fd_set_nonblock(ipcx_tcp_fd(sock), false);
    if (rc < 0) {
        ipcx_tcp_close(sock);
        free(t);
        return rc;
    }
    t->sock = sock;
    t->snd_timeo = t->rcv_timeo = -1;
    t->st.base.tp = &ipcx__transport_tcp;
    t->st.base.caps.flags = FLAGS;
    t->st.base.caps.max_msg = max_msg;
    t->st.base.fd = ipcx_tcp_fd(sock);
    ipcx__stream_init(&t->st, &tcp_io);
    *out = &t->st.base;
    return 0;
}

static const struct ipcx_inet_opts inet_opts = {.flags = IPCX_INET_NUMERIC};

static int tcp_dial(struct ipcx_link **out, const struct ipcx__url *url,
                    const struct ipcx_link_opts *opts, const struct ipcx__deadline *dl)
{
    char host[HOST_MAX];
    unsigned port;
    size_t max_msg;
    int rc = parse(url, host, &port);
    if (rc < 0)
        return rc;
    if (port == 0)
        return IPCX_EBADURL;
    if ((rc = check_policy(opts)) < 0 || (rc = ipcx__stream_max_msg(opts, &max_msg)) < 0)
        return rc;
    struct ipcx_tcp *sock;
    rc = ipcx_tcp_connect(&sock, host, (uint16_t)port, &inet_opts, ipcx__deadline_remaining_ms(dl));
    if (rc < 0)
        return host_code(rc);
    return link_new(out, sock, max_msg);
}

static int tcp_listen(struct ipcx_listener **out, const struct ipcx__url *url,
                      const struct ipcx_link_opts *opts)
{
    char host[HOST_MAX];
    unsigned port;
    size_t max_msg;
    int rc = parse(url, host, &port);
    if (rc < 0)
        return rc;
    if ((rc = check_policy(opts)) < 0 || (rc = ipcx__stream_max_msg(opts, &max_msg)) < 0)
        return rc;
    struct tcp_listener *l = calloc(1, sizeof *l);
    if (!l)
        return IPCX_ENOMEM;
    rc = ipcx_tcp_listen(&l->sock, host, (uint16_t)port, &inet_opts);
    if (rc < 0) {
        rc = host_code(rc);
        goto fail;
    }
    l->base.tp = &ipcx__transport_tcp;
    l->base.fd = ipcx_tcp_fd(l->sock);
    l->max_msg = max_msg;
    *out = &l->base;
    return 0;
fail:
    free(l);
    return rc;
}

static int tcp_accept(struct ipcx_listener *base, struct ipcx_link **out,
                      const struct ipcx__deadline *dl)
{
    struct tcp_listener *l = (struct tcp_listener *)base;
    struct ipcx_tcp *c;
    int rc = ipcx_tcp_accept(l->sock, &c, ipcx__deadline_remaining_ms(dl));
    if (rc < 0)
        return rc == IPCX_EAGAIN ? IPCX_ETIMEDOUT : rc;
    return link_new(out, c, l->max_msg);
}

static int tcp_listener_url(const struct ipcx_listener *base, char *buf, size_t size)
{
    const struct tcp_listener *l = (const struct tcp_listener *)base;
    struct ipcx_inet_addr a;
    char addr[IPCX_INET_ADDR_MAX];
    int rc = ipcx_tcp_local_addr(l->sock, &a);
    if (rc < 0)
        return rc;
    if ((rc = ipcx_inet_addr_format(&a, addr, sizeof addr)) < 0)
        return rc;
    size_t n = strlen(addr);
    if (6 + n >= size)
        return IPCX_ENAMETOOLONG;
    memcpy(buf, "tcp://", 6);
    memcpy(buf + 6, addr, n + 1);
    return (int)(6 + n);
}

static void tcp_listener_close(struct ipcx_listener *base)
{
    struct tcp_listener *l = (struct tcp_listener *)base;
    ipcx_tcp_close(l->sock);
    free(l);
}

const struct ipcx__transport ipcx__transport_tcp = {
    .scheme = "tcp",
    .dial_flags = FLAGS,
    .listen_flags = FLAGS,
    .dial = tcp_dial,
    .listen = tcp_listen,
    .accept = tcp_accept,
    .listener_url = tcp_listener_url,
    .listener_close = tcp_listener_close,
    .send = ipcx__stream_send,
    .flush = ipcx__stream_flush,
    .recv = ipcx__stream_recv,
    .arm = ipcx__stream_arm,
    .close = ipcx__stream_close,
};
