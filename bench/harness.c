/* SPDX-License-Identifier: MIT */
/*
 * harness.c: one run of one row. The parent calls the row's setup(), forks
 * the sides (each pinned to its CPU, killed by the kernel if the parent
 * dies), and supervises them: it reaps them as they end, kills them all as
 * soon as one fails, when the run's time limit passes or when SIGINT,
 * SIGTERM or SIGHUP arrives (read from the signalfd, never from a handler),
 * then calls teardown(). The sides meet at futex barriers in a shared control
 * block, go through the phases of the plan together and leave their figures
 * in that block: latency percentiles from per-round-trip CLOCK_MONOTONIC
 * samples, stream counts with start and end times, and the CPU time each
 * process spent (CLOCK_PROCESS_CPUTIME_ID, which covers a library's own
 * threads too).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipcx.h>

#include "internal.h"

struct bench_env *bench__env;

/* The parent's own slot for messages from setup(). */
#define PARENT_SLOT (BENCH_MAX_PROCS)

/* Round trips discarded before the samples count. */
#define WARMUP_ROUND_TRIPS 50

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int slot_of(const struct bench_proc *p)
{
    if (p->role == BENCH_PARENT)
        return PARENT_SLOT;
    return p->role == BENCH_CLIENT ? p->index : p->nclients + p->index;
}

int bench_fail(struct bench_proc *p, const char *fmt, ...)
{
    int k = slot_of(p);
    char *dst = p->ctl->fail[k];
    if (dst[0] == '\0') {
        p->ctl->fail_at[k] = bench_now_ns();
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(dst, BENCH_MSG_LEN, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int bench_skip(struct bench_proc *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->ctl->skip, sizeof p->ctl->skip, fmt, ap);
    va_end(ap);
    return -1;
}

void bench_note(struct bench_proc *p, const char *fmt, ...)
{
    int i = atomic_fetch_add(&p->ctl->nnotes, 1);
    if (i >= BENCH_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->ctl->notes[i], BENCH_MSG_LEN, fmt, ap);
    va_end(ap);
}

pid_t bench_peer_pid(const struct bench_proc *p, int role, int index)
{
    int k = role == BENCH_CLIENT ? index : p->nclients + index;
    return p->ctl->pid[k];
}

/* --- futex barrier ------------------------------------------------------- */

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, (uint32_t *)word, op, val, ts, NULL, 0);
}

/*
 * Waits until all n sides have arrived, the deadline passes (-ETIMEDOUT) or
 * a side gave up (-ECANCELED). The generation is read before arriving, so a
 * side that arrives last can never be confused with one of the next round.
 */
static int barrier(struct bench_ctl *c, int n, int timeout_ms)
{
    uint32_t gen = atomic_load(&c->bar_gen);
    if (atomic_fetch_add(&c->bar_count, 1) + 1 == (uint32_t)n) {
        atomic_store(&c->bar_count, 0);
        atomic_fetch_add(&c->bar_gen, 1);
        futex(&c->bar_gen, FUTEX_WAKE, INT_MAX, NULL);
        return 0;
    }
    int64_t end = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    while (atomic_load(&c->bar_gen) == gen) {
        if (atomic_load(&c->abort))
            return -ECANCELED;
        int64_t left = end - bench_now_ns();
        if (left <= 0)
            return -ETIMEDOUT;
        /* Short slices so that an abort is seen even without a wake-up. */
        if (left > 100000000)
            left = 100000000;
        struct timespec ts = {left / 1000000000, left % 1000000000};
        futex(&c->bar_gen, FUTEX_WAIT, gen, &ts);
    }
    return 0;
}

static void abort_run(struct bench_ctl *c)
{
    atomic_store(&c->abort, 1);
    futex(&c->bar_gen, FUTEX_WAKE, INT_MAX, NULL);
}

/* --- the sides ----------------------------------------------------------- */

struct side {
    struct bench_proc p;
    const struct bench_plan *plan;
    struct bench_ctl *ctl;
    uint8_t *mem; /* the buffer with its headroom */
    uint8_t *buf; /* where messages start */
};

/* A barrier that gave up: say why unless another side already failed. */
static int barrier_failed(struct side *s, int rc, int timeout_ms)
{
    if (rc == -ETIMEDOUT)
        return bench_fail(&s->p, "the other sides did not arrive within %d ms", timeout_ms);
    return rc;
}

static void put_seq(uint8_t *buf, size_t len, uint64_t seq)
{
    if (len >= 16)
        memcpy(buf + 8, &seq, sizeof seq);
}

static uint64_t get_seq(const uint8_t *buf)
{
    uint64_t seq;
    memcpy(&seq, buf + 8, sizeof seq);
    return seq;
}

/* Turns a negative return of a row into a recorded failure. */
static int failed(struct side *s, const char *what, long rc)
{
    if (rc == -ETIMEDOUT || rc == -EAGAIN)
        return bench_fail(&s->p, "%s timed out after %d ms", what, s->plan->timeout_ms);
    if (rc < -1) /* an errno value, or one of the library's own codes (ipcx rows) */
        return bench_fail(&s->p, "%s: %s", what, ipcx_strerror((int)rc));
    return bench_fail(&s->p, "%s failed", what);
}

static int latency_client(struct side *s, const struct bench_phase *f, uint8_t tag,
                          struct bench_side_result *r)
{
    const struct bench_row *row = s->p.row;
    uint8_t *buf = s->buf;
    size_t len = f->size;
    uint64_t cap = f->max_msgs ? f->max_msgs : 1;
    int64_t *samples = malloc(cap * sizeof *samples);
    if (!samples)
        return bench_fail(&s->p, "out of memory for %llu samples", (unsigned long long)cap);
    uint64_t n = 0, i = 0;
    int rc = 0;
    int64_t begin = bench_now_ns();
    int64_t warm_end = begin + f->budget_ns / 10;
    for (;; i++) {
        buf[0] = BENCH_MSG_DATA;
        if (len > 1)
            buf[1] = tag;
        put_seq(buf, len, i);
        int64_t t0 = bench_now_ns();
        rc = row->send(&s->p, buf, len);
        if (rc < 0) {
            rc = failed(s, "send", rc);
            goto out;
        }
        ssize_t got = row->recv(&s->p, buf, len);
        if (got < 0) {
            rc = failed(s, "recv", got);
            goto out;
        }
        int64_t t1 = bench_now_ns();
        if ((size_t)got != len || buf[0] != BENCH_MSG_DATA || (len >= 16 && get_seq(buf) != i)) {
            rc = bench_fail(&s->p, "the echo of round trip %llu came back different",
                            (unsigned long long)i);
            goto out;
        }
        if (i >= WARMUP_ROUND_TRIPS || t1 >= warm_end)
            samples[n++] = t1 - t0;
        if (n > 0 && (n >= cap || t1 - begin >= f->budget_ns))
            break;
    }
    buf[0] = BENCH_MSG_STOP;
    rc = row->send(&s->p, buf, len);
    if (rc < 0) {
        rc = failed(s, "send", rc);
        goto out;
    }
    ssize_t got = row->recv(&s->p, buf, len);
    if (got < 0) {
        rc = failed(s, "recv", got);
        goto out;
    }
    r->t_start = begin;
    r->t_end = bench_now_ns();
    r->msgs = i + 2; /* every round trip, the warm-up and the stop included */
    bench__percentiles(samples, n, r);
    rc = 0;
out:
    free(samples);
    return rc;
}

static int latency_server(struct side *s, const struct bench_phase *f, struct bench_side_result *r)
{
    const struct bench_row *row = s->p.row;
    uint8_t *buf = s->buf;
    size_t len = f->size;
    r->t_start = bench_now_ns();
    for (;;) {
        ssize_t got = row->recv(&s->p, buf, len);
        if (got < 0)
            return failed(s, "recv", got);
        if ((size_t)got != len)
            return bench_fail(&s->p, "received %zd bytes, expected %zu", got, len);
        int rc = row->send(&s->p, buf, len);
        if (rc < 0)
            return failed(s, "send", rc);
        r->msgs++;
        if (buf[0] == BENCH_MSG_STOP)
            break;
    }
    r->t_end = bench_now_ns();
    return 0;
}

static int stream_client(struct side *s, int ph, const struct bench_phase *f, uint8_t tag,
                         struct bench_side_result *r)
{
    const struct bench_row *row = s->p.row;
    uint8_t *buf = s->buf;
    size_t len = f->size;
    uint64_t mask = len >= 4096 ? 0 : 7; /* how often to read the clock */
    uint64_t i = 0;
    int rc;
    int64_t begin = bench_now_ns();
    r->t_start = begin;
    for (;;) {
        buf[0] = BENCH_MSG_DATA;
        if (len > 1)
            buf[1] = tag;
        put_seq(buf, len, i);
        rc = row->send(&s->p, buf, len);
        if (rc < 0)
            return failed(s, "send", rc);
        i++;
        if (i >= f->max_msgs)
            break;
        if ((i & mask) == 0 && bench_now_ns() - begin >= f->budget_ns)
            break;
    }
    r->msgs = i + 1; /* the last message counts once */
    buf[0] = BENCH_MSG_LAST;
    put_seq(buf, len, i);
    if (row->flags & BENCH_F_LOSSY) {
        /* The last message itself may be dropped: repeat it until every
         * receiver has seen one. Later copies are ignored (phase tag). */
        int64_t end = bench_now_ns() + (int64_t)s->plan->timeout_ms * 1000000;
        while (atomic_load(&s->ctl->recv_done[ph]) < (uint32_t)s->p.nservers) {
            rc = row->send(&s->p, buf, len);
            if (rc < 0 && rc != -EAGAIN && rc != -ENOBUFS)
                return failed(s, "send", rc);
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            if (bench_now_ns() > end)
                return bench_fail(&s->p, "the receiver never saw the end of the stream");
        }
    } else {
        for (int k = 0; k < s->p.nservers; k++) {
            rc = row->send(&s->p, buf, len);
            if (rc < 0)
                return failed(s, "send", rc);
        }
    }
    return 0;
}

static int stream_server(struct side *s, int ph, const struct bench_phase *f, uint8_t tag,
                         struct bench_side_result *r)
{
    const struct bench_row *row = s->p.row;
    uint8_t *buf = s->buf;
    size_t len = f->size;
    bool lossy = row->flags & BENCH_F_LOSSY;
    bool check = s->p.nclients == 1 && s->p.nservers == 1 && len >= 16;
    uint64_t n = 0, expect = 0, lost = 0;
    int nlast = 0;
    r->t_start = bench_now_ns();
    for (;;) {
        ssize_t got = row->recv(&s->p, buf, len);
        if (got < 0)
            return failed(s, "recv", got);
        if (len > 1 && got > 1 && buf[1] != tag)
            continue; /* a repeated end marker of an earlier phase */
        if ((size_t)got != len)
            return bench_fail(&s->p, "received %zd bytes, expected %zu", got, len);
        n++;
        if (check) {
            uint64_t q = get_seq(buf);
            if (q != expect) {
                if (!lossy || q < expect)
                    return bench_fail(&s->p, "message %llu arrived as %llu",
                                      (unsigned long long)expect, (unsigned long long)q);
                lost += q - expect;
            }
            expect = q + 1;
        }
        if (buf[0] == BENCH_MSG_LAST && ++nlast == s->p.nclients)
            break;
    }
    r->t_end = bench_now_ns();
    r->msgs = n;
    r->lost = lost;
    atomic_fetch_add(&s->ctl->recv_done[ph], 1);
    return 0;
}

static int run_phase(struct side *s, int ph, struct bench_side_result *r)
{
    const struct bench_phase *f = &s->plan->phase[ph];
    const struct bench_row *row = s->p.row;
    uint8_t tag = (uint8_t)(0x80 | ph);
    bool client = s->p.role == BENCH_CLIENT;
    if (f->kind == BENCH_PHASE_LATENCY)
        return client ? latency_client(s, f, tag, r) : latency_server(s, f, r);
    if (row->stream) {
        r->t_start = bench_now_ns();
        int rc = row->stream(&s->p, f->size, f->budget_ns, f->max_msgs, &r->msgs);
        r->t_end = bench_now_ns();
        return rc < 0 ? failed(s, "stream", rc) : 0;
    }
    return client ? stream_client(s, ph, f, tag, r) : stream_server(s, ph, f, tag, r);
}

static int side_main(struct side *s)
{
    struct bench_proc *p = &s->p;
    const struct bench_row *row = p->row;
    int n = p->nclients + p->nservers;
    int t = s->plan->timeout_ms;
    /* Opening and getting ready (a daemon's discovery, a connection) may
     * take longer than one wait of the hot path. */
    int ts = t + BENCH_SETUP_MS;
    int rc;

    /* Servers open first, so that clients find them bound. */
    if (p->role == BENCH_SERVER && row->open && (rc = row->open(p)) < 0)
        return failed(s, "open", rc);
    if ((rc = barrier(s->ctl, n, ts)) < 0)
        return barrier_failed(s, rc, ts);
    if (p->role == BENCH_CLIENT && row->open && (rc = row->open(p)) < 0)
        return failed(s, "open", rc);
    if ((rc = barrier(s->ctl, n, ts)) < 0)
        return barrier_failed(s, rc, ts);
    if (row->ready && (rc = row->ready(p)) < 0)
        return failed(s, "ready", rc);

    size_t size = s->plan->max_size + BENCH_HEADROOM;
    void *mem = NULL;
    if (posix_memalign(&mem, 64, size) != 0)
        return bench_fail(p, "out of memory for a %zu-byte buffer", size);
    s->mem = mem;
    s->buf = s->mem + BENCH_HEADROOM;
    memset(s->mem, 0xa5, size); /* touch every page before measuring */

    int k = slot_of(p);
    for (int ph = 0; ph < s->plan->nphases; ph++) {
        struct bench_side_result *r = &s->ctl->res[ph][k];
        int tb = ph == 0 ? ts : t; /* the first one waits for ready() */
        if ((rc = barrier(s->ctl, n, tb)) < 0) {
            rc = barrier_failed(s, rc, tb);
            break;
        }
        int64_t cpu0 = cpu_now_ns();
        rc = run_phase(s, ph, r);
        r->cpu_ns = cpu_now_ns() - cpu0;
        if (rc < 0) {
            int none = -1;
            atomic_compare_exchange_strong(&s->ctl->failed_phase, &none, ph);
            break;
        }
        r->done = 1;
    }
    if (rc >= 0 && (rc = barrier(s->ctl, n, t)) < 0)
        rc = barrier_failed(s, rc, t);
    if (row->close)
        row->close(p);
    free(s->mem);
    return rc < 0 ? rc : 0;
}

static void pin_to(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)sched_setaffinity(0, sizeof set, &set); /* best effort: the report says where */
}

/* The CPU of side k: the role with fewer sides gets the first CPU, the other
 * role shares the remaining ones in turn. */
static int cpu_of(const struct bench_env *env, const struct bench_plan *plan, int k)
{
    if (!env->pin || env->ncpus < 2)
        return -1;
    bool client = k < plan->nclients;
    int index = client ? k : k - plan->nclients;
    bool lone = client ? plan->nclients < plan->nservers : plan->nservers <= plan->nclients;
    if (lone)
        return env->cpus[0];
    return env->cpus[1 + index % (env->ncpus - 1)];
}

static _Noreturn void child_main(struct bench_env *env, const struct bench_plan *plan,
                                 struct bench_ctl *ctl, void *priv, void *shared, int k,
                                 const char *tag)
{
    sigset_t mask = env->orig_mask;
    sigaddset(&mask, SIGPIPE); /* a write to a dead peer fails with EPIPE */
    sigprocmask(SIG_SETMASK, &mask, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != env->parent)
        _exit(3);
    close(env->sigfd);
    pin_to(cpu_of(env, plan, k));

    struct side s = {
        .p = {.row = plan->row,
              .priv = priv,
              .shared = shared,
              .role = k < plan->nclients ? BENCH_CLIENT : BENCH_SERVER,
              .index = k < plan->nclients ? k : k - plan->nclients,
              .nclients = plan->nclients,
              .nservers = plan->nservers,
              .max_size = plan->max_size,
              .timeout_ms = plan->timeout_ms,
              .tag = tag,
              .ctl = ctl},
        .plan = plan,
        .ctl = ctl,
    };
    ctl->pid[k] = getpid();
    int rc = side_main(&s);
    if (rc < 0) {
        abort_run(ctl);
        _exit(1);
    }
    if (plan->row->flags & BENCH_F_EXIT) {
        /* The parent flushed stdio before fork and the sides print nothing:
         * exit() only runs the libraries' destructors. */
        exit(0);
    }
    _exit(0);
}

/* --- the parent ---------------------------------------------------------- */

void bench__ctl_free(struct bench_ctl *ctl)
{
    if (ctl)
        munmap(ctl, sizeof *ctl);
}

static void describe_status(int st, char *buf, size_t n)
{
    if (WIFEXITED(st))
        snprintf(buf, n, "a side exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, n, "a side was killed by signal %d (%s)", WTERMSIG(st),
                 strsignal(WTERMSIG(st)));
    else
        snprintf(buf, n, "a side ended with wait status %#x", st);
}

/* Reads pending signals; returns the first terminating one, 0 if none. */
static int drain_signals(int fd)
{
    int stop = 0;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo != SIGCHLD && !stop)
            stop = (int)si.ssi_signo;
    }
    return stop;
}

static void kill_all(const pid_t *pid, const bool *alive, int n)
{
    for (int k = 0; k < n; k++)
        if (alive[k])
            kill(pid[k], SIGKILL);
}

int bench__run(struct bench_env *env, const struct bench_plan *plan, struct bench_ctl **out,
               enum bench_status *status, char *reason, size_t reasonlen)
{
    const struct bench_row *row = plan->row;
    int n = plan->nclients + plan->nservers;
    size_t ctl_size = (sizeof(struct bench_ctl) + 4095) & ~(size_t)4095;
    size_t shared_size = (row->shared_size + 63) & ~(size_t)63;
    size_t total = ctl_size + shared_size;
    *out = NULL;
    *status = BENCH_FAILED;
    reason[0] = '\0';

    uint8_t *mem = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        snprintf(reason, reasonlen, "mmap: %s", strerror(errno));
        return 0;
    }
    struct bench_ctl *ctl = (struct bench_ctl *)mem;
    ctl->failed_phase = -1;
    ctl->nclients = plan->nclients;
    ctl->nservers = plan->nservers;
    void *shared = row->shared_size ? mem + ctl_size : NULL;
    void *priv = calloc(1, row->priv_size ? row->priv_size : 1);
    if (!priv) {
        munmap(mem, total);
        snprintf(reason, reasonlen, "out of memory");
        return 0;
    }
    uint32_t rnd = 0;
    (void)getrandom(&rnd, sizeof rnd, GRND_NONBLOCK);
    char tag[48];
    snprintf(tag, sizeof tag, "ipcxb-%d-%lu-%08x", (int)getpid(), ++env->seq, rnd);

    struct bench_proc pp = {.row = row,
                            .priv = priv,
                            .shared = shared,
                            .role = BENCH_PARENT,
                            .nclients = plan->nclients,
                            .nservers = plan->nservers,
                            .max_size = plan->max_size,
                            .timeout_ms = plan->timeout_ms,
                            .tag = tag,
                            .ctl = ctl};
    pid_t pid[BENCH_MAX_PROCS] = {0};
    bool alive[BENCH_MAX_PROCS] = {0};
    int wstatus[BENCH_MAX_PROCS] = {0};
    int started = 0, bad = -1, interrupted = 0;
    bool timed_out = false;

    if (row->setup && row->setup(&pp) < 0) {
        if (ctl->skip[0]) {
            *status = BENCH_SKIPPED;
            snprintf(reason, reasonlen, "%s", ctl->skip);
        } else {
            snprintf(reason, reasonlen, "setup: %s",
                     ctl->fail[PARENT_SLOT][0] ? ctl->fail[PARENT_SLOT] : "failed");
        }
        goto done;
    }

    fflush(NULL);
    for (int k = 0; k < n; k++) {
        pid[k] = fork();
        if (pid[k] == 0)
            child_main(env, plan, ctl, priv, shared, k, tag);
        if (pid[k] < 0) {
            snprintf(reason, reasonlen, "fork: %s", strerror(errno));
            kill_all(pid, alive, started);
            for (int j = 0; j < started; j++)
                while (waitpid(pid[j], NULL, 0) < 0 && errno == EINTR)
                    ;
            goto done;
        }
        ctl->pid[k] = pid[k];
        alive[k] = true;
        started++;
    }
    if (row->forked)
        row->forked(&pp);

    int64_t deadline = bench_now_ns() + plan->limit_ns;
    int nalive = n;
    while (nalive > 0) {
        for (int k = 0; k < n; k++) {
            if (!alive[k])
                continue;
            int st;
            pid_t w = waitpid(pid[k], &st, WNOHANG);
            if (w != pid[k])
                continue;
            alive[k] = false;
            wstatus[k] = st;
            nalive--;
            if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) && bad < 0) {
                bad = k;
                kill_all(pid, alive, n);
            }
        }
        if (nalive == 0)
            break;
        int64_t left = deadline - bench_now_ns();
        if (left <= 0 && !timed_out && bad < 0) {
            timed_out = true;
            kill_all(pid, alive, n);
        }
        if (timed_out || bad >= 0 || interrupted) {
            /* Killed: reap what is left without waiting for signals. */
            for (int k = 0; k < n; k++) {
                if (!alive[k])
                    continue;
                while (waitpid(pid[k], &wstatus[k], 0) < 0 && errno == EINTR)
                    ;
                alive[k] = false;
            }
            break;
        }
        struct pollfd pfd = {.fd = env->sigfd, .events = POLLIN};
        int ms = (int)(left / 1000000) + 1;
        if (poll(&pfd, 1, ms) > 0) {
            int sig = drain_signals(env->sigfd);
            if (sig) {
                interrupted = sig;
                kill_all(pid, alive, n);
            }
        }
    }

    if (interrupted) {
        env->interrupted = interrupted;
        snprintf(reason, reasonlen, "interrupted by signal %d", interrupted);
    } else if (timed_out) {
        int ph = 0;
        while (ph < plan->nphases && ctl->res[ph][0].done && ctl->res[ph][n - 1].done)
            ph++;
        if (ctl->failed_phase < 0)
            ctl->failed_phase = ph;
        snprintf(reason, reasonlen, "timed out after %.1f s (a side stopped answering)",
                 (double)plan->limit_ns / 1e9);
    } else if (bad >= 0) {
        /* The first failure in time: the others are usually its echo (a
         * peer that saw the connection go away). */
        const char *msg = NULL;
        int64_t first = INT64_MAX;
        for (int k = 0; k < n; k++) {
            if (ctl->fail[k][0] && ctl->fail_at[k] < first) {
                first = ctl->fail_at[k];
                msg = ctl->fail[k];
            }
        }
        if (msg) {
            snprintf(reason, reasonlen, "%s", msg);
        } else {
            describe_status(wstatus[bad], reason, reasonlen);
        }
        if (ctl->failed_phase < 0)
            ctl->failed_phase = 0;
    } else {
        *status = BENCH_OK;
    }

done:
    if (row->teardown)
        row->teardown(&pp);
    free(priv);
    if (shared_size)
        munmap(mem + ctl_size, shared_size);
    *out = ctl;
    return interrupted ? -EINTR : 0;
}
