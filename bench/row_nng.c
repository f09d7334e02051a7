/* SPDX-License-Identifier: MIT */
/*
 * row_nng.c: NNG, when the build found it: a pair1 socket in each side,
 * nng_send(3) and nng_recv(3) into the caller's buffer (both copy), over
 * abstract:// (an abstract Unix socket: nothing in the file system) and over
 * tcp:// on the IPv4 loopback (the server listens on port 0 and publishes
 * the port it got in shared memory before the client dials). NNG starts its
 * threads in each side after fork; they count in that side's CPU time.
 * NNG_OPT_RECVTIMEO and NNG_OPT_SENDTIMEO bound every wait.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "peer.h"

#ifdef IPCX_BENCH_HAVE_NNG
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

struct npriv {
    nng_socket sock;
    bool open;
};

static int nerr(struct bench_proc *p, const char *what, int rv)
{
    return bench_fail(p, "%s: %s", what, nng_strerror(rv));
}

static int n_setup_ipc(struct bench_proc *p)
{
    return bench_url_set(p, "abstract://%s");
}

static int n_setup_tcp(struct bench_proc *p)
{
    return bench_url_set(p, "tcp://127.0.0.1:0");
}

static int n_open(struct bench_proc *p)
{
    struct npriv *n = p->priv;
    int rv = nng_pair1_open(&n->sock);
    if (rv != 0)
        return nerr(p, "nng_pair1_open", rv);
    n->open = true;
    if ((rv = nng_socket_set_ms(n->sock, NNG_OPT_RECVTIMEO, p->timeout_ms)) != 0 ||
        (rv = nng_socket_set_ms(n->sock, NNG_OPT_SENDTIMEO, p->timeout_ms)) != 0)
        return nerr(p, "nng_socket_set_ms", rv);
    if (p->role == BENCH_SERVER) {
        nng_listener l;
        if ((rv = nng_listen(n->sock, bench_url(p), &l, 0)) != 0)
            return nerr(p, "nng_listen", rv);
        if (!strncmp(bench_url(p), "tcp:", 4)) {
            int port;
            char url[64];
            if ((rv = nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port)) != 0)
                return nerr(p, "NNG_OPT_TCP_BOUND_PORT", rv);
            snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
            bench_url_publish(p, url);
        }
    } else if ((rv = nng_dial(n->sock, bench_url(p), NULL, 0)) != 0) {
        return nerr(p, "nng_dial", rv);
    }
    return 0;
}

static int n_code(int rv)
{
    return rv == NNG_ETIMEDOUT ? -ETIMEDOUT : -EIO;
}

static int n_send(struct bench_proc *p, void *buf, size_t len)
{
    struct npriv *n = p->priv;
    int rv = nng_send(n->sock, buf, len, 0);
    return rv == 0 ? 0 : n_code(rv);
}

static ssize_t n_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct npriv *n = p->priv;
    size_t size = p->max_size;
    int rv = nng_recv(n->sock, buf, &size, 0);
    return rv == 0 ? (ssize_t)size : n_code(rv);
}

static void n_close(struct bench_proc *p)
{
    struct npriv *n = p->priv;
    if (n->open)
        nng_close(n->sock);
    n->open = false;
}

/* The dial returns once connected, but the pipe may still be settling on
 * the server's side: bench_first_exchange() makes sure it carries messages. */
#define N_OPS                                                                                   \
    .priv_size = sizeof(struct npriv), .shared_size = sizeof(struct bench_url), .open = n_open, \
    .ready = bench_first_exchange, .send = n_send, .recv = n_recv, .close = n_close

#else /* !IPCX_BENCH_HAVE_NNG */

static const char *n_available(void)
{
    return "NNG was not found when the build was configured (Debian: libnng-dev)";
}

#define n_setup_ipc NULL
#define n_setup_tcp NULL
#define N_OPS \
    .available = n_available, .send = bench_unavailable_send, .recv = bench_unavailable_recv

#endif

static const struct bench_row rows[] = {
    {
        .name = "nng-ipc",
        .group = BENCH_PEER,
        .order = 20,
        .what = "NNG pair1 sockets over abstract:// (abstract Unix socket), nng_send/nng_recv",
        .setup = n_setup_ipc,
        N_OPS,
    },
    {
        .name = "nng-tcp",
        .group = BENCH_PEER,
        .order = 21,
        .what = "NNG pair1 sockets over tcp:// on the IPv4 loopback, nng_send/nng_recv",
        .setup = n_setup_tcp,
        N_OPS,
    },
};

BENCH_ROWS(nng)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        bench_register(&rows[i]);
}
