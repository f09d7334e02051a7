/* SPDX-License-Identifier: MIT */
/*
 * row_zmq.c: ZeroMQ (libzmq), when the build found it: a ZMQ_PAIR socket in
 * each side, zmq_send(3) and zmq_recv(3) (both copy), over ipc:// with an
 * abstract Unix socket name (nothing in the file system) and over tcp:// on
 * the IPv4 loopback (the server binds an ephemeral port and publishes it in
 * shared memory before the client connects). Each side has its own context,
 * created after fork, so ZeroMQ's I/O thread is counted in that side's CPU
 * time. ZMQ_RCVTIMEO and ZMQ_SNDTIMEO bound every wait.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "peer.h"

#ifdef IPCX_BENCH_HAVE_ZMQ
#include <zmq.h>

struct zpriv {
    void *ctx, *sock;
};

static int zerr(struct bench_proc *p, const char *what)
{
    return bench_fail(p, "%s: %s", what, zmq_strerror(zmq_errno()));
}

static int z_setup_ipc(struct bench_proc *p)
{
    return bench_url_set(p, "ipc://@%s");
}

static int z_setup_tcp(struct bench_proc *p)
{
    return bench_url_set(p, "tcp://127.0.0.1:*");
}

static int z_open(struct bench_proc *p)
{
    struct zpriv *z = p->priv;
    z->ctx = zmq_ctx_new();
    if (!z->ctx)
        return zerr(p, "zmq_ctx_new");
    z->sock = zmq_socket(z->ctx, ZMQ_PAIR);
    if (!z->sock)
        return zerr(p, "zmq_socket");
    int t = p->timeout_ms, zero = 0;
    if (zmq_setsockopt(z->sock, ZMQ_RCVTIMEO, &t, sizeof t) != 0 ||
        zmq_setsockopt(z->sock, ZMQ_SNDTIMEO, &t, sizeof t) != 0 ||
        zmq_setsockopt(z->sock, ZMQ_LINGER, &zero, sizeof zero) != 0)
        return zerr(p, "zmq_setsockopt");
    if (p->role == BENCH_SERVER) {
        if (zmq_bind(z->sock, bench_url(p)) != 0)
            return zerr(p, "zmq_bind");
        /* With a wildcard port, publish the one the kernel chose. */
        char ep[256];
        size_t len = sizeof ep;
        if (zmq_getsockopt(z->sock, ZMQ_LAST_ENDPOINT, ep, &len) != 0)
            return zerr(p, "ZMQ_LAST_ENDPOINT");
        bench_url_publish(p, ep);
    } else if (zmq_connect(z->sock, bench_url(p)) != 0) {
        return zerr(p, "zmq_connect");
    }
    return 0;
}

static int z_send(struct bench_proc *p, void *buf, size_t len)
{
    struct zpriv *z = p->priv;
    for (;;) {
        if (zmq_send(z->sock, buf, len, 0) >= 0)
            return 0;
        if (zmq_errno() != EINTR)
            return -zmq_errno();
    }
}

static ssize_t z_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct zpriv *z = p->priv;
    for (;;) {
        int n = zmq_recv(z->sock, buf, p->max_size, 0);
        if (n >= 0)
            return n;
        if (zmq_errno() != EINTR)
            return -zmq_errno();
    }
}

static void z_close(struct bench_proc *p)
{
    struct zpriv *z = p->priv;
    if (z->sock)
        zmq_close(z->sock);
    if (z->ctx)
        zmq_ctx_term(z->ctx);
    z->sock = z->ctx = NULL;
}

/* The connection is made in the background: bench_first_exchange() makes
 * sure it is up before anything is measured. */
#define Z_OPS                                                                                   \
    .priv_size = sizeof(struct zpriv), .shared_size = sizeof(struct bench_url), .open = z_open, \
    .ready = bench_first_exchange, .send = z_send, .recv = z_recv, .close = z_close

#else /* !IPCX_BENCH_HAVE_ZMQ */

static const char *z_available(void)
{
    return "libzmq was not found when the build was configured (Debian: libzmq3-dev)";
}

#define z_setup_ipc NULL
#define z_setup_tcp NULL
#define Z_OPS \
    .available = z_available, .send = bench_unavailable_send, .recv = bench_unavailable_recv

#endif

static const struct bench_row rows[] = {
    {
        .name = "zmq-ipc",
        .group = BENCH_PEER,
        .order = 10,
        .what = "ZeroMQ PAIR sockets over ipc:// (abstract Unix socket), zmq_send/zmq_recv",
        .setup = z_setup_ipc,
        Z_OPS,
    },
    {
        .name = "zmq-tcp",
        .group = BENCH_PEER,
        .order = 11,
        .what = "ZeroMQ PAIR sockets over tcp:// on the IPv4 loopback, zmq_send/zmq_recv",
        .setup = z_setup_tcp,
        Z_OPS,
    },
};

BENCH_ROWS(zmq)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        bench_register(&rows[i]);
}
