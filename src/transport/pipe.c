/* SPDX-License-Identifier: MIT */
/*
 * transport/pipe.c: the pipe: transport. A link is made of descriptors the
 * process already holds, typically inherited from a parent across fork or
 * exec: "pipe:RFD,WFD" reads frames (link/stream.c) from RFD and writes
 * them to WFD; either may be "-" for a one-way link. There is no listener.
 *
 * ipcx_link_pipe_urls() makes the two pipes of a parent and a child and
 * the URL of each side. Each URL also names the other side's descriptors,
 * with the pipe's inode number, in a close list ("?close=FD.INO,FD.INO"):
 * dialing closes them, so that after fork each process holds only its own
 * ends and sees end of file when the other dies. A descriptor in the list
 * is closed only if it still is that very pipe, so a URL that crossed an
 * exec (where those numbers may name anything by now) closes nothing it
 * should not.
 *
 * Relies on the public pipe API (mech/pipe.c: adoption, reads and writes
 * with a timeout, no SIGPIPE) and on sys/fd.c for the descriptor checks.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>
#include <ipcx/pipe.h>

#include "link/stream.h"
#include "sys/fd.h"

#define BASE_FLAGS (IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | IPCX_LINK_PEER_DEATH)
#define MAX_CLOSE  4
#define WBUF       (64u * 1024u) /* header and body up to this go in one write */

struct pipe_link {
    struct ipcx__stream st; /* first */
    struct ipcx_pipe *rd, *wr;
    uint8_t *wbuf;
};

struct pipe_url {
    int rfd, wfd;
    unsigned nclose;
    int close_fd[MAX_CLOSE];
    uint64_t close_ino[MAX_CLOSE];
};

extern const struct ipcx__transport ipcx__transport_pipe;

/* An EAGAIN from a pipe call given what was left of our deadline means it ran out. */
static long waited(long rc)
{
    return rc == IPCX_EAGAIN ? IPCX_ETIMEDOUT : rc;
}

static ssize_t write_all(struct pipe_link *p, const void *buf, size_t len, size_t *done,
                         const struct ipcx__deadline *dl)
{
    return ipcx_pipe_write_all(p->wr, buf, len, done, ipcx__deadline_remaining_ms(dl));
}

static ssize_t io_writev(struct ipcx__stream *s, const struct iovec *iov, int iovcnt,
                         const int *fds, size_t nfds, const struct ipcx__deadline *dl)
{
    (void)fds;
    (void)nfds;
    struct pipe_link *p = (struct pipe_link *)s;
    size_t total = 0;
    struct iovec one;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    if (iovcnt > 1 && total <= WBUF && (p->wbuf || (p->wbuf = malloc(WBUF)))) {
        /* One write for header and body: copying is cheaper than a call. */
        size_t off = 0;
        for (int i = 0; i < iovcnt; i++) {
            memcpy(p->wbuf + off, iov[i].iov_base, iov[i].iov_len);
            off += iov[i].iov_len;
        }
        one.iov_base = p->wbuf;
        one.iov_len = total;
        iov = &one;
        iovcnt = 1;
    }
    size_t sent = 0;
    for (int i = 0; i < iovcnt; i++) {
        size_t done = 0;
        ssize_t n = write_all(p, iov[i].iov_base, iov[i].iov_len, &done, dl);
        sent += done;
        if (n < 0)
            return sent ? (ssize_t)sent : (ssize_t)waited(n);
    }
    return (ssize_t)sent;
}

static ssize_t io_read(struct ipcx__stream *s, void *buf, size_t len, int *fds, size_t fds_cap,
                       size_t *nfds, const struct ipcx__deadline *dl)
{
    (void)fds;
    (void)fds_cap;
    *nfds = 0;
    struct pipe_link *p = (struct pipe_link *)s;
    return (ssize_t)waited(ipcx_pipe_read(p->rd, buf, len, ipcx__deadline_remaining_ms(dl)));
}

static void io_destroy(struct ipcx__stream *s)
{
    struct pipe_link *p = (struct pipe_link *)s;
    ipcx_pipe_close(p->rd);
    ipcx_pipe_close(p->wr);
    free(p->wbuf);
    free(p);
}

static const struct ipcx__stream_io pipe_io = {io_writev, io_read, io_destroy};

/* Parsing: no allocation and no library call that is not async-signal-safe. */

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static int parse_u64(const char **s, uint64_t max, uint64_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    if (!digit(*p))
        return IPCX_EBADURL;
    for (; digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (max - d) / 10)
            return IPCX_EBADURL;
        v = v * 10 + d;
    }
    *s = p;
    *out = v;
    return 0;
}

static int parse_fd(const char **s, int *fd)
{
    if (**s == '-') {
        (*s)++;
        *fd = -1;
        return 0;
    }
    uint64_t v = 0;
    int rc = parse_u64(s, INT32_MAX, &v);
    *fd = (int)v;
    return rc;
}

static int parse_url(const struct ipcx__url *url, struct pipe_url *u)
{
    const char *p = url->rest;
    memset(u, 0, sizeof *u);
    if (url->had_slashes || parse_fd(&p, &u->rfd) < 0 || *p++ != ',' || parse_fd(&p, &u->wfd) < 0)
        return IPCX_EBADURL;
    if (u->rfd < 0 && u->wfd < 0)
        return IPCX_EBADURL;
    if (*p == '\0')
        return 0;
    static const char key[] = "?close=";
    if (strncmp(p, key, sizeof key - 1) != 0)
        return IPCX_EBADURL;
    p += sizeof key - 1;
    for (;;) {
        uint64_t fd, ino;
        if (u->nclose == MAX_CLOSE || parse_u64(&p, INT32_MAX, &fd) < 0 || *p++ != '.' ||
            parse_u64(&p, UINT64_MAX, &ino) < 0)
            return IPCX_EBADURL;
        u->close_fd[u->nclose] = (int)fd;
        u->close_ino[u->nclose++] = ino;
        if (*p == '\0')
            return 0;
        if (*p++ != ',')
            return IPCX_EBADURL;
    }
}

/* Closes the listed descriptors that still are the pipes the URL names. */
static void close_listed(const struct pipe_url *u)
{
    for (unsigned i = 0; i < u->nclose; i++) {
        uint64_t ino;
        if (ipcx__fd_pipe_end(u->close_fd[i], &ino) >= 0 && ino == u->close_ino[i])
            ipcx__close(u->close_fd[i]);
    }
}

static int pipe_dial(struct ipcx_link **out, const struct ipcx__url *url,
                     const struct ipcx_link_opts *opts, const struct ipcx__deadline *dl)
{
    (void)dl;
    struct pipe_url u;
    size_t max_msg;
    int rc = parse_url(url, &u);
    if (rc < 0)
        return rc;
    if ((rc = ipcx__stream_max_msg(opts, &max_msg)) < 0)
        return rc;
    struct pipe_link *p = calloc(1, sizeof *p);
    if (!p)
        return IPCX_ENOMEM;
    /* Both ends are checked before either is adopted: on failure the
     * caller's descriptors are as they were. */
    if (u.rfd >= 0 && (rc = ipcx__fd_pipe_end(u.rfd, NULL)) != O_RDONLY)
        goto bad_end;
    if (u.wfd >= 0 && (rc = ipcx__fd_pipe_end(u.wfd, NULL)) != O_WRONLY)
        goto bad_end;
    if (u.rfd >= 0 && (rc = ipcx_pipe_adopt(&p->rd, u.rfd)) < 0)
        goto fail;
    if (u.wfd >= 0 && (rc = ipcx_pipe_adopt(&p->wr, u.wfd)) < 0)
        goto fail; /* (closes RFD with its handle: see link.h) */
    close_listed(&u);
    p->st.base.tp = &ipcx__transport_pipe;
    p->st.base.caps.flags =
        BASE_FLAGS | (p->rd ? IPCX_LINK_RECV : 0) | (p->wr ? IPCX_LINK_SEND : 0);
    p->st.base.caps.max_msg = max_msg;
    p->st.base.fd = p->rd ? ipcx_pipe_fd(p->rd) : -1;
    ipcx__stream_init(&p->st, &pipe_io);
    *out = &p->st.base;
    return 0;
bad_end:
    if (rc >= 0)
        rc = IPCX_EINVAL;
fail:
    ipcx_pipe_close(p->rd);
    free(p);
    return rc;
}

static int pipe_listen(struct ipcx_listener **out, const struct ipcx__url *url,
                       const struct ipcx_link_opts *opts)
{
    (void)out;
    (void)url;
    (void)opts;
    return IPCX_ENOTSUP;
}

const struct ipcx__transport ipcx__transport_pipe = {
    .scheme = "pipe",
    .dial_flags = BASE_FLAGS | IPCX_LINK_SEND | IPCX_LINK_RECV,
    .listen_flags = BASE_FLAGS | IPCX_LINK_SEND | IPCX_LINK_RECV,
    .dial = pipe_dial,
    .listen = pipe_listen,
    .send = ipcx__stream_send,
    .flush = ipcx__stream_flush,
    .recv = ipcx__stream_recv,
    .arm = ipcx__stream_arm,
    .close = ipcx__stream_close,
};

/* The URL of one side: its read and write ends, then the other side's two. */
static int format(char *buf, size_t size, int r, int w, int c1, int c2)
{
    uint64_t i1 = 0, i2 = 0;
    ipcx__fd_pipe_end(c1, &i1);
    ipcx__fd_pipe_end(c2, &i2);
    int n = snprintf(buf, size, "pipe:%d,%d?close=%d.%llu,%d.%llu", r, w, c1,
                     (unsigned long long)i1, c2, (unsigned long long)i2);
    return n < 0 || (size_t)n >= size ? IPCX_ERANGE : 0;
}

IPCX_API int ipcx_link_pipe_urls(char *parent, char *child, size_t size)
{
    if (!parent || !child)
        return IPCX_EINVAL;
    int down[2], up[2]; /* parent -> child, child -> parent */
    int rc = ipcx__fd_pipe(down);
    if (rc < 0)
        return rc;
    if ((rc = ipcx__fd_pipe(up)) < 0)
        goto fail_down;
    if ((rc = format(parent, size, up[0], down[1], down[0], up[1])) < 0 ||
        (rc = format(child, size, down[0], up[1], up[0], down[1])) < 0)
        goto fail;
    return 0;
fail:
    ipcx__close(up[0]);
    ipcx__close(up[1]);
fail_down:
    ipcx__close(down[0]);
    ipcx__close(down[1]);
    return rc;
}

IPCX_API int ipcx_link_pipe_inherit(const char *url)
{
    struct ipcx__url u;
    struct pipe_url pu;
    int rc = ipcx__url_parse(url, &u);
    if (rc < 0)
        return rc;
    if (strcmp(u.scheme, "pipe") != 0 || (rc = parse_url(&u, &pu)) < 0)
        return IPCX_EBADURL;
    if (pu.rfd >= 0 && (rc = ipcx__fd_clear_cloexec(pu.rfd)) < 0)
        return rc;
    if (pu.wfd >= 0 && (rc = ipcx__fd_clear_cloexec(pu.wfd)) < 0)
        return rc;
    return 0;
}
