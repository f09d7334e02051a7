/* SPDX-License-Identifier: MIT */
/*
 * row_notify.c: the kernel's wake-up mechanisms, which carry a value rather
 * than a message: their rows measure the round trip of a wake-up (latency
 * only, at the few bytes the value holds).
 *   eventfd: two eventfds (one each way), write(2) adds to the counter,
 *     read(2) takes it.
 *   futex: a 32-bit word each way in shared memory; the sender stores and
 *     always calls FUTEX_WAKE, the receiver calls FUTEX_WAIT until the word
 *     changes (the plain protocol, no spinning, no waiter flag).
 *   rtsig: a realtime signal each way with sigqueue(3), received with
 *     sigtimedwait(2) (the signal is blocked, never handled).
 *   rtsig-fd: the same signal received by read(2) from a signalfd.
 *   posix-sem: an unnamed process-shared POSIX semaphore each way in shared
 *     memory (sem_init), sem_post(3) and sem_wait(3), the value byte stored
 *     beside it (the C library's semaphore: a futex, woken only when a
 *     waiter is there).
 */
#include <errno.h>
#include <limits.h>
#include <semaphore.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "row.h"

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* --- eventfd ------------------------------------------------------------- */

struct efd {
    int fd[2]; /* [0] towards the server, [1] towards the client */
    int in, out;
};

static size_t one_byte(char *why, size_t n)
{
    snprintf(why, n,
             "a wake-up carries no payload (the value holds one byte of the harness's control)");
    return 1;
}

static int efd_setup(struct bench_proc *p)
{
    struct efd *e = p->priv;
    e->in = e->out = -1;
    e->fd[0] = e->fd[1] = -1;
    for (int i = 0; i < 2; i++)
        if ((e->fd[i] = eventfd(0, EFD_CLOEXEC)) < 0)
            return bench_fail(p, "eventfd: %s", strerror(errno));
    return 0;
}

static void efd_forked(struct bench_proc *p)
{
    struct efd *e = p->priv;
    close_fd(&e->fd[0]);
    close_fd(&e->fd[1]);
}

static int efd_open(struct bench_proc *p)
{
    struct efd *e = p->priv;
    bool client = p->role == BENCH_CLIENT;
    e->out = e->fd[client ? 0 : 1];
    e->in = e->fd[client ? 1 : 0];
    e->fd[0] = e->fd[1] = -1;
    return 0;
}

static int efd_send(struct bench_proc *p, void *buf, size_t len)
{
    struct efd *e = p->priv;
    uint64_t v = (uint64_t)((uint8_t *)buf)[0] + 1; /* never 0 */
    while (write(e->out, &v, sizeof v) != (ssize_t)sizeof v) {
        if (errno != EINTR)
            return -errno;
    }
    return 0;
}

static ssize_t efd_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct efd *e = p->priv;
    uint64_t v;
    while (read(e->in, &v, sizeof v) != (ssize_t)sizeof v) {
        if (errno != EINTR)
            return -errno;
    }
    ((uint8_t *)buf)[0] = (uint8_t)(v - 1);
    return 1;
}

static void efd_close(struct bench_proc *p)
{
    struct efd *e = p->priv;
    close_fd(&e->in);
    close_fd(&e->out);
}

/* --- futex --------------------------------------------------------------- */

struct fword {
    _Alignas(64) _Atomic uint32_t seq;
    uint8_t value;
};

struct fwords {
    struct fword to_server, to_client;
};

struct fpriv {
    uint32_t sent, seen;
};

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, (uint32_t *)word, op, val, ts, NULL, 0);
}

static int fx_send(struct bench_proc *p, void *buf, size_t len)
{
    struct fwords *w = p->shared;
    struct fpriv *me = p->priv;
    struct fword *f = p->role == BENCH_CLIENT ? &w->to_server : &w->to_client;
    f->value = ((uint8_t *)buf)[0];
    atomic_store_explicit(&f->seq, ++me->sent, memory_order_release);
    if (futex(&f->seq, FUTEX_WAKE, 1, NULL) < 0)
        return -errno;
    return 0;
}

static ssize_t fx_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct fwords *w = p->shared;
    struct fpriv *me = p->priv;
    struct fword *f = p->role == BENCH_CLIENT ? &w->to_client : &w->to_server;
    struct timespec ts = {p->timeout_ms / 1000, (long)(p->timeout_ms % 1000) * 1000000};
    uint32_t v;
    while ((v = atomic_load_explicit(&f->seq, memory_order_acquire)) == me->seen) {
        /* Shared (not private) futex: the word lives in a mapping shared by
         * two processes. */
        if (futex(&f->seq, FUTEX_WAIT, v, &ts) < 0 && errno != EAGAIN && errno != EINTR)
            return -errno;
    }
    me->seen = v;
    ((uint8_t *)buf)[0] = f->value;
    return 1;
}

/* --- realtime signals ---------------------------------------------------- */

struct rts {
    int sig;
    int sfd; /* rtsig-fd only */
    pid_t peer;
};

static size_t sig_limit(char *why, size_t n)
{
    snprintf(why, n, "a realtime signal carries one int (sigqueue's value)");
    return sizeof(int);
}

static int rts_block(struct bench_proc *p, sigset_t *set)
{
    struct rts *r = p->priv;
    r->sig = SIGRTMIN + 1;
    r->sfd = -1;
    sigemptyset(set);
    sigaddset(set, r->sig);
    /* Blocked before any side can send (open precedes the first message). */
    if (sigprocmask(SIG_BLOCK, set, NULL) != 0)
        return bench_fail(p, "sigprocmask: %s", strerror(errno));
    return 0;
}

static int rts_open(struct bench_proc *p)
{
    sigset_t set;
    return rts_block(p, &set);
}

static int rtsfd_open(struct bench_proc *p)
{
    struct rts *r = p->priv;
    sigset_t set;
    if (rts_block(p, &set) < 0)
        return -1;
    r->sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (r->sfd < 0)
        return bench_fail(p, "signalfd: %s", strerror(errno));
    return 0;
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
    union sigval v = {0};
    memcpy(&v.sival_int, buf, len < sizeof(int) ? len : sizeof(int));
    while (sigqueue(r->peer, r->sig, v) != 0) {
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
    }
    return 0;
}

static ssize_t rts_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct rts *r = p->priv;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, r->sig);
    struct timespec ts = {p->timeout_ms / 1000, (long)(p->timeout_ms % 1000) * 1000000};
    siginfo_t si;
    for (;;) {
        int s = sigtimedwait(&set, &si, &ts);
        if (s == r->sig)
            break;
        if (s < 0 && errno != EINTR)
            return -errno;
    }
    memcpy(buf, &si.si_value.sival_int, len < sizeof(int) ? len : sizeof(int));
    return (ssize_t)len;
}

static ssize_t rtsfd_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct rts *r = p->priv;
    struct signalfd_siginfo si;
    while (read(r->sfd, &si, sizeof si) != (ssize_t)sizeof si) {
        if (errno != EINTR)
            return -errno;
    }
    int v = si.ssi_int;
    memcpy(buf, &v, len < sizeof(int) ? len : sizeof(int));
    return (ssize_t)len;
}

static void rtsfd_close(struct bench_proc *p)
{
    struct rts *r = p->priv;
    close_fd(&r->sfd);
}

/* --- POSIX semaphores ---------------------------------------------------- */

struct psem {
    _Alignas(64) sem_t sem;
    uint8_t value;
};

struct psems {
    struct psem to_server, to_client;
};

struct psem_made {
    int n; /* parent: semaphores initialised so far */
};

static int psem_setup(struct bench_proc *p)
{
    struct psems *s = p->shared;
    struct psem_made *m = p->priv;
    if (sem_init(&s->to_server.sem, 1, 0) != 0)
        return bench_fail(p, "sem_init: %s", strerror(errno));
    m->n++;
    if (sem_init(&s->to_client.sem, 1, 0) != 0)
        return bench_fail(p, "sem_init: %s", strerror(errno));
    m->n++;
    return 0;
}

static int psem_send(struct bench_proc *p, void *buf, size_t len)
{
    struct psems *s = p->shared;
    struct psem *w = p->role == BENCH_CLIENT ? &s->to_server : &s->to_client;
    w->value = ((uint8_t *)buf)[0];
    return sem_post(&w->sem) == 0 ? 0 : -errno;
}

static ssize_t psem_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct psems *s = p->shared;
    struct psem *w = p->role == BENCH_CLIENT ? &s->to_client : &s->to_server;
    while (sem_wait(&w->sem) != 0) {
        if (errno != EINTR)
            return -errno;
    }
    ((uint8_t *)buf)[0] = w->value;
    return 1;
}

static void psem_teardown(struct bench_proc *p)
{
    struct psems *s = p->shared;
    struct psem_made *m = p->priv;
    if (m->n > 0)
        sem_destroy(&s->to_server.sem);
    if (m->n > 1)
        sem_destroy(&s->to_client.sem);
    m->n = 0;
}

static const struct bench_row rows[] = {
    {
        .name = "eventfd",
        .group = BENCH_RAW,
        .order = 50,
        .what = "eventfd each way, write(2) of the counter and read(2)",
        .flags = BENCH_F_NO_THROUGHPUT,
        .why_no_stream = "writes add up in one counter: there are no messages to count",
        .priv_size = sizeof(struct efd),
        .limit = one_byte,
        .setup = efd_setup,
        .forked = efd_forked,
        .open = efd_open,
        .send = efd_send,
        .recv = efd_recv,
        .close = efd_close,
        .teardown = efd_forked,
    },
    {
        .name = "futex",
        .group = BENCH_RAW,
        .order = 51,
        .what = "futex word each way in shared memory, FUTEX_WAKE and FUTEX_WAIT",
        .flags = BENCH_F_NO_THROUGHPUT,
        .why_no_stream = "a wake-up, not a queue of messages",
        .priv_size = sizeof(struct fpriv),
        .shared_size = sizeof(struct fwords),
        .limit = one_byte,
        .send = fx_send,
        .recv = fx_recv,
    },
    {
        .name = "rtsig",
        .group = BENCH_RAW,
        .order = 52,
        .what = "realtime signal each way, sigqueue(3) and sigtimedwait(2)",
        .flags = BENCH_F_NO_THROUGHPUT,
        .why_no_stream = "a wake-up with an int, not a queue of messages",
        .priv_size = sizeof(struct rts),
        .limit = sig_limit,
        .open = rts_open,
        .ready = rts_ready,
        .send = rts_send,
        .recv = rts_recv,
    },
    {
        .name = "rtsig-fd",
        .group = BENCH_RAW,
        .order = 53,
        .what = "realtime signal each way, sigqueue(3) and read(2) from a signalfd",
        .flags = BENCH_F_NO_THROUGHPUT,
        .why_no_stream = "a wake-up with an int, not a queue of messages",
        .priv_size = sizeof(struct rts),
        .limit = sig_limit,
        .open = rtsfd_open,
        .ready = rts_ready,
        .send = rts_send,
        .recv = rtsfd_recv,
        .close = rtsfd_close,
    },
    {
        .name = "posix-sem",
        .group = BENCH_RAW,
        .order = 54,
        .what = "unnamed POSIX semaphore each way in shared memory, sem_post(3) and sem_wait(3)",
        .flags = BENCH_F_NO_THROUGHPUT,
        .why_no_stream = "a wake-up, not a queue of messages",
        .priv_size = sizeof(struct psem_made),
        .shared_size = sizeof(struct psems),
        .limit = one_byte,
        .setup = psem_setup,
        .send = psem_send,
        .recv = psem_recv,
        .teardown = psem_teardown,
    },
};

BENCH_ROWS(notify)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        bench_register(&rows[i]);
}
