/* SPDX-License-Identifier: MIT */
/*
 * transport/unix.c: the unix:///path and unix://@name transport. A link is
 * one Unix stream socket carrying frames (link/stream.c); descriptors ride
 * on the first byte of their frame (SCM_RIGHTS), and both sides check the
 * other's credentials against opts->policy when the connection is made
 * (ipcx/unix.h does the checking).
 *
 * Relies on the public Unix socket API (mech/unix.c) for listening,
 * connecting, admission and peer credentials, and on sys/cmsg.c for the
 * framed reads and writes with their deadline.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>
#include <ipcx/unix.h>

#include "link/stream.h"
#include "sys/cmsg.h"
#include "sys/fd.h"

#define FLAGS                                                                                   \
    (IPCX_LINK_SEND | IPCX_LINK_RECV | IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | IPCX_LINK_FDS | \
     IPCX_LINK_PEER_DEATH | IPCX_LINK_CRED)

/* "unix://" + '@' + 107 bytes + NUL. */
#define URL_MAX (7 + IPCX_UNIX_ADDR_MAX)

struct unix_link {
    struct ipcx__stream st;       /* first */
    int64_t snd_timeo, rcv_timeo; /* the socket's kernel timeouts (sys/cmsg.h) */
    struct ipcx_unix *sock;
};

struct unix_listener {
    struct ipcx_listener base; /* first */
    struct ipcx_unix *sock;
    size_t max_msg;
    char url[URL_MAX];
};

extern const struct ipcx__transport ipcx__transport_unix;

static ssize_t io_writev(struct ipcx__stream *s, const struct iovec *iov, int iovcnt,
                         const int *fds, size_t nfds, const struct ipcx__deadline *dl)
{
    struct unix_link *u = (struct unix_link *)s;
    return ipcx__sock_sendmsg_kt(s->base.fd, iov, iovcnt, fds, nfds, &u->snd_timeo, dl);
}

static ssize_t io_read(struct ipcx__stream *s, void *buf, size_t len, int *fds, size_t fds_cap,
                       size_t *nfds, const struct ipcx__deadline *dl)
{
    struct iovec v = {buf, len};
    struct ipcx__sock_rx rx = {.fds = fds_cap ? fds : NULL, .fds_cap = fds_cap};
    struct unix_link *u = (struct unix_link *)s;
    ssize_t n = ipcx__sock_recvmsg_kt(s->base.fd, &v, 1, &rx, &u->rcv_timeo, dl);
    *nfds = n >= 0 ? rx.nfds : 0;
    return n;
}

static void io_destroy(struct ipcx__stream *s)
{
    struct unix_link *u = (struct unix_link *)s;
    ipcx_unix_close(u->sock);
    free(u);
}

static const struct ipcx__stream_io unix_io = {io_writev, io_read, io_destroy};

/* The address part of a URL: "/path" or "@name", short enough for a socket. */
static int address(const struct ipcx__url *url)
{
    const char *a = url->rest;
    if (!url->had_slashes || (a[0] != '/' && a[0] != '@') || (a[0] == '@' && a[1] == '\0'))
        return IPCX_EBADURL;
    /* sun_path holds 108 bytes: a path and its NUL, or a NUL and the name. */
    if (strlen(a) > (a[0] == '@' ? 108u : 107u))
        return IPCX_EBADURL;
    return 0;
}

/* An EAGAIN from a mech call given what was left of our deadline means it ran out. */
static int waited(int rc)
{
    return rc == IPCX_EAGAIN ? IPCX_ETIMEDOUT : rc;
}

static int link_new(struct ipcx_link **out, struct ipcx_unix *sock, size_t max_msg)
{
    struct unix_link *u = calloc(1, sizeof *u);
    if (!u) {
        ipcx_unix_close(sock);
        return IPCX_ENOMEM;
    }
    /* Blocking: waits happen inside sendmsg/recvmsg, bounded by the
     * socket's kernel timeouts (one system call per wait, not three). */
    int rc = ipcx__fd_set_nonblock(ipcx_unix_fd(sock), false);
    if (rc < 0) {
        ipcx_unix_close(sock);
        free(u);
        return rc;
    }
    u->sock = sock;
    u->snd_timeo = u->rcv_timeo = -1;
    u->st.base.tp = &ipcx__transport_unix;
    u->st.base.caps.flags = FLAGS;
    u->st.base.caps.max_msg = max_msg;
    u->st.base.fd = ipcx_unix_fd(sock);
    ipcx__stream_init(&u->st, &unix_io);
    *out = &u->st.base;
    return 0;
}

static int unix_dial(struct ipcx_link **out, const struct ipcx__url *url,
                     const struct ipcx_link_opts *opts, const struct ipcx__deadline *dl)
{
    size_t max_msg;
    int rc = address(url);
    if (rc < 0)
        return rc;
    if ((rc = ipcx__stream_max_msg(opts, &max_msg)) < 0)
        return rc;
    struct ipcx_unix_opts uo = {.policy = opts->policy};
    struct ipcx_unix *sock;
    rc =
        ipcx_unix_connect(&sock, url->rest, IPCX_UNIX_STREAM, &uo, ipcx__deadline_remaining_ms(dl));
    if (rc < 0)
        return waited(rc);
    return link_new(out, sock, max_msg);
}

static int unix_listen(struct ipcx_listener **out, const struct ipcx__url *url,
                       const struct ipcx_link_opts *opts)
{
    size_t max_msg;
    int rc = address(url);
    if (rc < 0)
        return rc;
    if ((rc = ipcx__stream_max_msg(opts, &max_msg)) < 0)
        return rc;
    struct unix_listener *l = calloc(1, sizeof *l);
    if (!l)
        return IPCX_ENOMEM;
    struct ipcx_unix_opts uo = {.mode = opts->mode, .policy = opts->policy};
    rc = ipcx_unix_listen(&l->sock, url->rest, IPCX_UNIX_STREAM, &uo);
    if (rc < 0)
        goto fail;
    l->base.tp = &ipcx__transport_unix;
    l->base.fd = ipcx_unix_fd(l->sock);
    l->max_msg = max_msg;
    memcpy(l->url, "unix://", 7);
    memcpy(l->url + 7, url->rest, strlen(url->rest) + 1); /* fits: address() */
    *out = &l->base;
    return 0;
fail:
    free(l);
    return rc;
}

static int unix_accept(struct ipcx_listener *base, struct ipcx_link **out,
                       const struct ipcx__deadline *dl)
{
    struct unix_listener *l = (struct unix_listener *)base;
    for (;;) {
        struct ipcx_unix *c;
        int rc = ipcx_unix_accept(l->sock, &c, ipcx__deadline_remaining_ms(dl));
        if (rc == IPCX_EPOLICY)
            continue; /* refused and closed; wait for the next one */
        if (rc < 0)
            return waited(rc);
        return link_new(out, c, l->max_msg);
    }
}

static int unix_listener_url(const struct ipcx_listener *base, char *buf, size_t size)
{
    const struct unix_listener *l = (const struct unix_listener *)base;
    size_t n = strlen(l->url);
    if (n >= size)
        return IPCX_ENAMETOOLONG;
    memcpy(buf, l->url, n + 1);
    return (int)n;
}

static void unix_listener_close(struct ipcx_listener *base)
{
    struct unix_listener *l = (struct unix_listener *)base;
    ipcx_unix_close(l->sock);
    free(l);
}

static int unix_peer_cred(const struct ipcx_link *k, struct ipcx_cred *out)
{
    const struct unix_link *u = (const struct unix_link *)k;
    return ipcx_unix_peer_cred((struct ipcx_unix *)u->sock, out);
}

const struct ipcx__transport ipcx__transport_unix = {
    .scheme = "unix",
    .dial_flags = FLAGS,
    .listen_flags = FLAGS,
    .dial = unix_dial,
    .listen = unix_listen,
    .accept = unix_accept,
    .listener_url = unix_listener_url,
    .listener_close = unix_listener_close,
    .send = ipcx__stream_send,
    .flush = ipcx__stream_flush,
    .recv = ipcx__stream_recv,
    .arm = ipcx__stream_arm,
    .peer_cred = unix_peer_cred,
    .close = ipcx__stream_close,
};
