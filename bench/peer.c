/* SPDX-License-Identifier: MIT */
/*
 * peer.c: the helpers of bench/peer.h for rows of message libraries. The
 * first exchange goes through the row's own callbacks, so it needs nothing
 * of the library but what the row already uses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx.h>

#include "peer.h"

int bench_url_set(struct bench_proc *p, const char *fmt)
{
    struct bench_url *u = p->shared;
    snprintf(u->url, sizeof u->url, fmt, p->tag);
    return 0;
}

const char *bench_url(const struct bench_proc *p)
{
    const struct bench_url *u = p->shared;
    return u->url;
}

void bench_url_publish(struct bench_proc *p, const char *url)
{
    struct bench_url *u = p->shared;
    snprintf(u->url, sizeof u->url, "%s", url);
}

int bench_first_exchange(struct bench_proc *p)
{
    /* recv() may write up to max_size bytes, with the headroom in front. */
    char *mem = calloc(1, BENCH_HEADROOM + (p->max_size ? p->max_size : 1));
    if (!mem)
        return bench_fail(p, "first exchange: out of memory");
    char *buf = mem + BENCH_HEADROOM;
    long rc = 0;
    for (int step = 0; step < 2 && rc >= 0; step++) {
        bool sending = (step == 0) == (p->role == BENCH_CLIENT);
        rc = sending ? p->row->send(p, buf, 1) : p->row->recv(p, buf, 1);
    }
    free(mem);
    if (rc < 0)
        return bench_fail(p, "first exchange: %s", ipcx_strerror((int)rc));
    return 0;
}

int bench_unavailable_send(struct bench_proc *p, void *buf, size_t len)
{
    return -ENOTSUP;
}

ssize_t bench_unavailable_recv(struct bench_proc *p, void *buf, size_t len)
{
    return -ENOTSUP;
}
