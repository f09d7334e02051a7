/* SPDX-License-Identifier: MIT */
/*
 * bench/peer.h: what the rows of message libraries (ZeroMQ, NNG, and later
 * ipcx's own channels) share: a URL in the run's shared memory, which the
 * parent writes and a listening server may rewrite (a port the kernel
 * chose) before the clients dial it; a first exchange that makes sure a
 * connection made in the background carries messages before anything is
 * measured; and the callbacks of a row whose library the build did not
 * find.
 */
#ifndef IPCX_BENCH_PEER_H
#define IPCX_BENCH_PEER_H

#include "row.h"

/* The row's shared memory (shared_size = sizeof(struct bench_url)). */
struct bench_url {
    char url[256];
};

/* In setup(): writes the URL, from a format whose one %s is the run's tag
 * (or that has none: "tcp://127.0.0.1:0"). Returns 0. */
int bench_url_set(struct bench_proc *p, const char *fmt);

/* The URL to listen on or dial. */
const char *bench_url(const struct bench_proc *p);

/* Server, after listening: publishes the URL the clients must dial. */
void bench_url_publish(struct bench_proc *p, const char *url);

/* In ready(): the client sends one 1-byte message through the row's own
 * send(), the server echoes it back through its recv() and send(). Returns
 * 0 or -1 with the failure recorded. */
int bench_first_exchange(struct bench_proc *p);

/* send() and recv() of a row built without its library: never called
 * (its available() says why), they return -ENOTSUP. */
int bench_unavailable_send(struct bench_proc *p, void *buf, size_t len);
ssize_t bench_unavailable_recv(struct bench_proc *p, void *buf, size_t len);

#endif
