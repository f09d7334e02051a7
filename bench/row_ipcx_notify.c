/* SPDX-License-Identifier: MIT */
/*
 * row_ipcx_notify.c: ipcx's wake-up mechanisms, latency only, as the raw
 * rows they wrap (row_notify.c):
 *   ipcx-rtsig (wraps rtsig-fd): ipcx_signal_queue() of a realtime signal
 *     with an int, received by ipcx_sigwatch_recv() from a watcher (a
 *     signalfd); each side blocks the signal with ipcx_signal_block() in
 *     open(), before any side can send.
 *   ipcx-sem (wraps posix-sem): an unnamed process-shared semaphore each
 *     way in shared memory (ipcx_sem_create_in in the parent,
 *     ipcx_sem_open_in in each side); the sender stores the value byte next
 *     to it and posts, the receiver waits with the run's timeout and reads
 *     the byte.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <ipcx.h>

#include "row.h"

/* --- realtime signals ---------------------------------------------------- */

struct rts {
    int sig;
    struct ipcx_sigwatch *w;
    pid_t peer;
};

static size_t sig_limit(char *why, size_t n)
{
    snprintf(why, n, "a realtime signal carries one int (sigqueue's value)");
    return sizeof(int);
}

static int rts_open(struct bench_proc *p)
{
    struct rts *r = p->priv;
    r->sig = SIGRTMIN + 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, r->sig);
    int rc = ipcx_signal_block(&set, NULL);
    if (rc == 0)
        rc = ipcx_sigwatch_create(&r->w, &set);
    return rc < 0 ? bench_fail(p, "signal watcher: %s", ipcx_strerror(rc)) : 0;
}

static int rts_ready(struct bench_proc *p)
{
    struct rts *r = p->priv;
    r->peer = bench_peer_pid(p, p->role == BENCH_CLIENT ? BENCH_SERVER : BENCH_CLIENT, 0);
    return r->peer > 0 ? 0 : bench_fail(p, "no peer pid");
}

static int rts_send(struct bench_proc *p, void *buf, size_t len)
{
    struct rts *r = p->priv;
    int v = 0;
    memcpy(&v, buf, len < sizeof v ? len : sizeof v);
    int rc;
    /* The receiver's queue of pending signals is full: try again, as the
     * raw row does. */
    while ((rc = ipcx_signal_queue(r->peer, r->sig, v)) == IPCX_EAGAIN)
        ;
    return rc;
}

static ssize_t rts_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct rts *r = p->priv;
    struct ipcx_siginfo si;
    int rc = ipcx_sigwatch_recv(r->w, &si, p->timeout_ms);
    if (rc < 0)
        return rc;
    memcpy(buf, &si.value, len < sizeof si.value ? len : sizeof si.value);
    return (ssize_t)len;
}

static void rts_close(struct bench_proc *p)
{
    struct rts *r = p->priv;
    ipcx_sigwatch_close(r->w);
    r->w = NULL;
}

/* --- semaphores ---------------------------------------------------------- */

struct sem_way {
    struct ipcx_sem_mem mem;
    uint8_t value;
};

struct sem_shared {
    struct sem_way to_server, to_client;
};

struct sem_side {
    int made; /* parent: semaphores initialised in setup */
    struct ipcx_sem *in, *out;
};

static size_t one_byte(char *why, size_t n)
{
    snprintf(why, n,
             "a wake-up carries no payload (a byte beside the semaphore holds the "
             "harness's control)");
    return 1;
}

static int sem_setup(struct bench_proc *p)
{
    struct sem_shared *sh = p->shared;
    struct sem_side *me = p->priv;
    struct sem_way *way[2] = {&sh->to_server, &sh->to_client};
    for (int i = 0; i < 2; i++) {
        struct ipcx_sem *s;
        int rc = ipcx_sem_create_in(&s, &way[i]->mem, 0);
        if (rc < 0)
            return bench_fail(p, "ipcx_sem_create_in: %s", ipcx_strerror(rc));
        ipcx_sem_close(s); /* the semaphore stays in the shared memory */
        me->made++;
    }
    return 0;
}

static int sem_open(struct bench_proc *p)
{
    struct sem_shared *sh = p->shared;
    struct sem_side *me = p->priv;
    bool client = p->role == BENCH_CLIENT;
    int rc = ipcx_sem_open_in(&me->out, client ? &sh->to_server.mem : &sh->to_client.mem);
    if (rc == 0)
        rc = ipcx_sem_open_in(&me->in, client ? &sh->to_client.mem : &sh->to_server.mem);
    return rc < 0 ? bench_fail(p, "ipcx_sem_open_in: %s", ipcx_strerror(rc)) : 0;
}

static int sem_send(struct bench_proc *p, void *buf, size_t len)
{
    struct sem_shared *sh = p->shared;
    struct sem_side *me = p->priv;
    /* The post orders the store before the receiver's wait returns. */
    (p->role == BENCH_CLIENT ? &sh->to_server : &sh->to_client)->value = ((uint8_t *)buf)[0];
    return ipcx_sem_post(me->out);
}

static ssize_t sem_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct sem_shared *sh = p->shared;
    struct sem_side *me = p->priv;
    int rc = ipcx_sem_wait(me->in, p->timeout_ms);
    if (rc < 0)
        return rc;
    ((uint8_t *)buf)[0] = (p->role == BENCH_CLIENT ? &sh->to_client : &sh->to_server)->value;
    return 1;
}

static void sem_close(struct bench_proc *p)
{
    struct sem_side *me = p->priv;
    ipcx_sem_close(me->in);
    ipcx_sem_close(me->out);
    me->in = me->out = NULL;
}

static void sem_teardown(struct bench_proc *p)
{
    struct sem_shared *sh = p->shared;
    struct sem_side *me = p->priv;
    if (me->made > 0)
        ipcx_sem_destroy_in(&sh->to_server.mem);
    if (me->made > 1)
        ipcx_sem_destroy_in(&sh->to_client.mem);
    me->made = 0;
}

static const struct bench_row rows[] = {
    {
        .name = "ipcx-rtsig",
        .group = BENCH_IPCX,
        .order = 153,
        .what = "ipcx_signal_queue of a realtime signal, ipcx_sigwatch_recv from a watcher",
        .wraps = "rtsig-fd",
        .flags = BENCH_F_NO_THROUGHPUT,
        .why_no_stream = "a wake-up with an int, not a queue of messages",
        .priv_size = sizeof(struct rts),
        .limit = sig_limit,
        .open = rts_open,
        .ready = rts_ready,
        .send = rts_send,
        .recv = rts_recv,
        .close = rts_close,
    },
    {
        .name = "ipcx-sem",
        .group = BENCH_IPCX,
        .order = 154,
        .what = "unnamed semaphore each way in shared memory, ipcx_sem_post and ipcx_sem_wait",
        .wraps = "posix-sem",
        .flags = BENCH_F_NO_THROUGHPUT,
        .why_no_stream = "a wake-up, not a queue of messages",
        .priv_size = sizeof(struct sem_side),
        .shared_size = sizeof(struct sem_shared),
        .limit = one_byte,
        .setup = sem_setup,
        .open = sem_open,
        .send = sem_send,
        .recv = sem_recv,
        .close = sem_close,
        .teardown = sem_teardown,
    },
};

BENCH_ROWS(ipcx_notify)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        bench_register(&rows[i]);
}
