/* SPDX-License-Identifier: MIT */
/*
 * row_chan.c: every ipcx transport through the channel API (ipcx/chan.h),
 * one row per transport and per shm:// waiting mode, each checked against
 * the raw row it wraps. One table line per transport says its URL, its
 * waiting mode and that raw row; the rest is shared:
 *
 *   two-way transports (pipe:, unix://, tcp://, shm://): one PAIR channel
 *     in each side. The server listens (a port the kernel chose is
 *     published for the client), the client dials. pipe: has no listener:
 *     the parent makes both pipes (ipcx_link_pipe_urls()) and each side
 *     dials its own URL, which closes the other side's ends.
 *   one-way transports (fifo://, mq://, sysv://, udp://: the listener
 *     receives, dialers send): two channels in each side, one per
 *     direction. Each side listens with a PULL channel for what comes to
 *     it and dials the other side's listener with a PUSH channel.
 *
 * Once the first message went both ways, each side closes its listening
 * endpoint (ipcx_chan_close_endpoint(); the peer stays): like the raw rows,
 * no name outlives the set-up (a FIFO, a POSIX queue name, a socket name),
 * and a channel with one peer and nothing more to accept receives in the
 * link's own wait.
 *
 * Hot path: ipcx_chan_send() of a message borrowing the harness's buffer,
 * ipcx_chan_recv() with the run's timeout. The body the channel allocates
 * for a received message is the receiver's copy of it (the one copy out
 * every row makes): the row reads the harness's 16 bytes from it and
 * releases it. A System V queue, whose kernel has no removal by name, is
 * removed by the parent after a run whose side did not close its channel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mqueue.h>
#include <sys/msg.h>
#include <sys/random.h>
#include <unistd.h>

#include <ipcx.h>

#include "peer.h"

#define URL_LEN     256
#define HARNESS_LEN 16         /* the bytes of a message the harness reads */
#define SHM_RING    (4u << 20) /* as the ring rows: room for 1 MiB messages */
#define SYSV_TRIES  16         /* random keys tried before giving up */

enum tp_kind { TP_PLAIN, TP_PIPE, TP_FIFO, TP_MQ, TP_SYSV, TP_UDP };

/* What differs between the rows: the table line of a transport. */
struct chan_tp {
    enum tp_kind kind;
    const char *fmt; /* the listener's URL; %s: the run's tag */
    bool oneway;
    enum ipcx_link_wait wait; /* shm://; DEFAULT for the other transports */
};

/* A row and its transport; p->row points at `row`. */
struct chan_row {
    struct bench_row row; /* first */
    struct chan_tp tp;
};

/* The run's shared memory: url[0] is dialed by the client (the server's
 * listener, or the client's pipe: URL), url[1] by the server (the client's
 * listener on a one-way transport, or the server's pipe: URL). A side
 * clears the URL of a System V listener once its channel closed it. */
struct chan_shared {
    char url[2][URL_LEN];
};

struct chan_priv {
    struct ipcx_chan *out, *in; /* the same channel for PAIR */
    int listen_ep;              /* this side's listening endpoint, 0 when none */
    char dir[URL_LEN];          /* fifo://: the parent's private directory */
    int pipe_fd[4];             /* pipe:: the parent's copies of both pipes */
    int npipe;                  /* how many of pipe_fd are open */
};

static const struct chan_tp *tp_of(const struct bench_proc *p)
{
    return &((const struct chan_row *)p->row)->tp;
}

static struct chan_shared *sh(const struct bench_proc *p)
{
    return p->shared;
}

static int chan_fail(struct bench_proc *p, const char *what, int rc)
{
    if (rc == IPCX_ENOTSUP)
        return bench_fail(p, "%s: %s (%s)", what, ipcx_strerror(rc), ipcx_chan_last_reason());
    return bench_fail(p, "%s: %s", what, ipcx_strerror(rc));
}

static void link_opts(const struct bench_proc *p, struct ipcx_link_opts *lo)
{
    memset(lo, 0, sizeof *lo);
    if (tp_of(p)->wait != IPCX_LINK_WAIT_DEFAULT) {
        lo->wait = tp_of(p)->wait;
        lo->ring_bytes = SHM_RING;
    }
}

/* --- the parent ------------------------------------------------------------ */

/* The descriptors named by "pipe:R,W?...". */
static void pipe_fds_of(struct chan_priv *c, const char *url)
{
    int r, w;
    if (sscanf(url, "pipe:%d,%d", &r, &w) == 2 && c->npipe <= 2) {
        c->pipe_fd[c->npipe++] = r;
        c->pipe_fd[c->npipe++] = w;
    }
}

static int chan_setup(struct bench_proc *p)
{
    const struct chan_tp *tp = tp_of(p);
    struct chan_priv *c = p->priv;
    struct chan_shared *s = sh(p);
    const char *tmp;
    int rc;
    switch (tp->kind) {
    case TP_PIPE:
        rc = ipcx_link_pipe_urls(s->url[0], s->url[1], URL_LEN);
        if (rc < 0)
            return bench_fail(p, "ipcx_link_pipe_urls: %s", ipcx_strerror(rc));
        pipe_fds_of(c, s->url[0]);
        pipe_fds_of(c, s->url[1]);
        return 0;
    case TP_FIFO:
        tmp = getenv("TMPDIR");
        snprintf(c->dir, sizeof c->dir, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", p->tag);
        if (!mkdtemp(c->dir)) {
            int err = errno;
            c->dir[0] = '\0';
            return bench_fail(p, "mkdtemp: %s", strerror(err));
        }
        snprintf(s->url[0], URL_LEN, "fifo://%s/c2s", c->dir);
        snprintf(s->url[1], URL_LEN, "fifo://%s/s2c", c->dir);
        return 0;
    case TP_MQ:
        snprintf(s->url[0], URL_LEN, "mq:///%s-c2s", p->tag);
        snprintf(s->url[1], URL_LEN, "mq:///%s-s2c", p->tag);
        return 0;
    case TP_PLAIN:
    case TP_UDP:
        snprintf(s->url[0], URL_LEN, tp->fmt, p->tag);
        snprintf(s->url[1], URL_LEN, "%s", s->url[0]); /* udp: the port is the kernel's */
        return 0;
    case TP_SYSV:
        /* Each listener picks a free key. */
        bench_note(p, "waits with IPCX_FOREVER: a finite timeout polls (20 us to 1 ms sleeps)");
        return 0;
    }
    return 0;
}

static void close_pipe_fds(struct chan_priv *c)
{
    for (int i = 0; i < c->npipe; i++)
        if (c->pipe_fd[i] >= 0)
            close(c->pipe_fd[i]);
    c->npipe = 0;
}

/* The parent keeps nothing the sides use: a side that dies is seen. */
static void chan_forked(struct bench_proc *p)
{
    close_pipe_fds(p->priv);
}

/* Removes what a side that was killed could not: FIFOs and their
 * directory, POSIX queue names, System V queues still listed. */
static void chan_teardown(struct bench_proc *p)
{
    const struct chan_tp *tp = tp_of(p);
    struct chan_priv *c = p->priv;
    struct chan_shared *s = sh(p);
    close_pipe_fds(c);
    for (int i = 0; i < 2 && s; i++) {
        const char *u = s->url[i];
        if (tp->kind == TP_FIFO && !strncmp(u, "fifo://", 7))
            unlink(u + 7);
        else if (tp->kind == TP_MQ && !strncmp(u, "mq://", 5))
            mq_unlink(u + 5);
        else if (tp->kind == TP_SYSV && !strncmp(u, "sysv://", 7)) {
            int id = msgget((key_t)strtol(u + 7, NULL, 0), 0);
            if (id >= 0)
                msgctl(id, IPC_RMID, NULL);
        }
    }
    if (c->dir[0])
        rmdir(c->dir);
}

/* --- the sides --------------------------------------------------------------- */

static int listen_on(struct bench_proc *p, struct ipcx_chan *ch, int slot)
{
    const struct chan_tp *tp = tp_of(p);
    struct chan_priv *c = p->priv;
    struct chan_shared *s = sh(p);
    struct ipcx_link_opts lo;
    link_opts(p, &lo);
    int rc;
    if (tp->kind == TP_SYSV) {
        rc = IPCX_EEXIST;
        for (int i = 0; i < SYSV_TRIES && (rc == IPCX_EEXIST || rc == IPCX_EADDRINUSE); i++) {
            uint32_t key = 0;
            if (getrandom(&key, sizeof key, 0) != (ssize_t)sizeof key)
                return bench_fail(p, "getrandom: %s", strerror(errno));
            key = (key & 0x3fffffffu) | 0x1000u; /* positive, never IPC_PRIVATE */
            snprintf(s->url[slot], URL_LEN, "sysv://%u", key);
            rc = ipcx_chan_listen(ch, s->url[slot], &lo);
        }
        if (rc == IPCX_ENOSPC) {
            s->url[slot][0] = '\0';
            return bench_fail(p, "listen %s: %s (kernel.msgmni queues exist already)", s->url[slot],
                              ipcx_strerror(rc));
        }
    } else {
        rc = ipcx_chan_listen(ch, s->url[slot], &lo);
    }
    if (rc < 0) {
        if (tp->kind == TP_SYSV)
            s->url[slot][0] = '\0';
        return chan_fail(p, "ipcx_chan_listen", rc);
    }
    c->listen_ep = rc;
    /* A port the kernel chose (tcp, udp): the URL to dial. */
    char url[URL_LEN];
    rc = ipcx_chan_endpoint_url(ch, c->listen_ep, url, sizeof url);
    if (rc < 0)
        return chan_fail(p, "ipcx_chan_endpoint_url", rc);
    snprintf(s->url[slot], URL_LEN, "%s", url);
    return 0;
}

static int dial(struct bench_proc *p, struct ipcx_chan *ch, int slot)
{
    struct ipcx_link_opts lo;
    link_opts(p, &lo);
    int rc = ipcx_chan_dial(ch, sh(p)->url[slot], &lo, p->timeout_ms);
    if (rc < 0)
        return chan_fail(p, "ipcx_chan_dial", rc);
    return 0;
}

static int open_chan(struct bench_proc *p, struct ipcx_chan **out, enum ipcx_pattern pat)
{
    int rc = ipcx_chan_open(out, pat, NULL);
    if (rc < 0)
        return chan_fail(p, "ipcx_chan_open", rc);
    return 0;
}

static int chan_open(struct bench_proc *p)
{
    const struct chan_tp *tp = tp_of(p);
    struct chan_priv *c = p->priv;
    bool client = p->role == BENCH_CLIENT;
    if (!tp->oneway) {
        if (open_chan(p, &c->in, IPCX_PAIR) < 0)
            return -1;
        c->out = c->in;
        if (tp->kind == TP_PIPE)
            return 0; /* both dial in ready() */
        return client ? dial(p, c->out, 0) : listen_on(p, c->in, 0);
    }
    /* Server: what the client sends arrives at url[0]; client: url[1]. */
    if (open_chan(p, &c->in, IPCX_PULL) < 0 || listen_on(p, c->in, client ? 1 : 0) < 0)
        return -1;
    if (open_chan(p, &c->out, IPCX_PUSH) < 0)
        return -1;
    return client ? dial(p, c->out, 0) : 0;
}

static int chan_ready(struct bench_proc *p)
{
    const struct chan_tp *tp = tp_of(p);
    struct chan_priv *c = p->priv;
    bool client = p->role == BENCH_CLIENT;
    if (tp->kind == TP_PIPE && dial(p, c->out, client ? 0 : 1) < 0)
        return -1;
    if (tp->oneway && !client && dial(p, c->out, 1) < 0)
        return -1;
    if (bench_first_exchange(p) < 0)
        return -1;
    /* Both ends are connected: no name is needed any longer. */
    if (c->listen_ep > 0) {
        int rc = ipcx_chan_close_endpoint(c->in, c->listen_ep);
        if (rc < 0)
            return chan_fail(p, "ipcx_chan_close_endpoint", rc);
        c->listen_ep = 0;
    }
    return 0;
}

/* sysv:// waits with IPCX_FOREVER, as the ipcx-sysvmsg row does: the
 * kernel has no timed msgrcv, so a finite timeout polls (sleeps of 20 us to
 * 1 ms); IPCX_FOREVER blocks in the kernel as the raw row does. */
static int wait_ms(const struct bench_proc *p)
{
    return tp_of(p)->kind == TP_SYSV ? IPCX_FOREVER : p->timeout_ms;
}

static int chan_send(struct bench_proc *p, void *buf, size_t len)
{
    struct chan_priv *c = p->priv;
    struct ipcx_msg m = ipcx_msg_of(buf, len);
    return ipcx_chan_send(c->out, &m, wait_ms(p));
}

static ssize_t chan_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct chan_priv *c = p->priv;
    struct ipcx_msg m;
    int rc = ipcx_chan_recv(c->in, &m, wait_ms(p));
    if (rc < 0)
        return rc;
    size_t n = m.size < HARNESS_LEN ? m.size : HARNESS_LEN;
    if (n)
        memcpy(buf, m.data, n);
    ssize_t got = (ssize_t)m.size;
    ipcx_msg_release(&m);
    return got;
}

static void chan_close(struct bench_proc *p)
{
    const struct chan_tp *tp = tp_of(p);
    struct chan_priv *c = p->priv;
    if (c->out && c->out != c->in)
        ipcx_chan_close(c->out, 0);
    if (c->in)
        ipcx_chan_close(c->in, 0);
    c->in = c->out = NULL;
    /* The queue went with the channel: nothing for the parent to remove. */
    if (tp->kind == TP_SYSV)
        sh(p)->url[p->role == BENCH_CLIENT ? 1 : 0][0] = '\0';
}

static size_t limit_fifo(char *why, size_t n)
{
    snprintf(why, n, "fifo:// writes a message in one atomic write: at most PIPE_BUF - 24 = %u B",
             4096u - 24u);
    return 4096 - 24;
}

static size_t limit_mq(char *why, size_t n)
{
    long v = bench_read_proc_long("/proc/sys/fs/mqueue/msgsize_default", 8192);
    snprintf(why, n, "mq:// carries msgsize - 24 = %ld B (fs.mqueue.msgsize_default)", v - 24);
    return v > 24 ? (size_t)(v - 24) : 1;
}

static size_t limit_sysv(char *why, size_t n)
{
    long v = bench_read_proc_long("/proc/sys/kernel/msgmax", 8192);
    long mnb = bench_read_proc_long("/proc/sys/kernel/msgmnb", 16384);
    if (mnb < v)
        v = mnb;
    snprintf(why, n, "sysv:// carries msgmax - 24 = %ld B (kernel.msgmax)", v - 24);
    return v > 24 ? (size_t)(v - 24) : 1;
}

static size_t limit_udp(char *why, size_t n)
{
    snprintf(why, n, "udp:// carries 65507 - 24 = 65483 B (one IPv4 datagram)");
    return 65507 - 24;
}

#define CHAN_ROW(nm, ord, raw, text, kind_, fmt_, oneway_, wait_, ...) \
    {                                                                  \
        .row = {.name = nm,                                            \
                .group = BENCH_TRANSPORT,                              \
                .order = ord,                                          \
                .what = text,                                          \
                .wraps = raw,                                          \
                .priv_size = sizeof(struct chan_priv),                 \
                .shared_size = sizeof(struct chan_shared),             \
                .setup = chan_setup,                                   \
                .forked = chan_forked,                                 \
                .open = chan_open,                                     \
                .ready = chan_ready,                                   \
                .send = chan_send,                                     \
                .recv = chan_recv,                                     \
                .close = chan_close,                                   \
                .teardown = chan_teardown,                             \
                __VA_ARGS__},                                          \
        .tp = {kind_, fmt_, oneway_, wait_},                           \
    }

/* One line per transport: name, order, the raw row it wraps, what it is,
 * then the URL's kind and format, one-way or not, the shm:// waiting mode. */
static const struct chan_row rows[] = {
    CHAN_ROW("chan-pipe", 10, "pipe", "PAIR channels over pipe: (two pipes made by the parent)",
             TP_PIPE, NULL, false, IPCX_LINK_WAIT_DEFAULT),
    CHAN_ROW("chan-fifo", 11, "fifo",
             "PUSH->PULL channel each way over fifo:// (a FIFO per direction)", TP_FIFO, NULL, true,
             IPCX_LINK_WAIT_DEFAULT, .limit = limit_fifo),
    CHAN_ROW("chan-mq", 12, "posix-mq",
             "PUSH->PULL channel each way over mq:// (a POSIX queue per direction)", TP_MQ, NULL,
             true, IPCX_LINK_WAIT_DEFAULT, .limit = limit_mq),
    CHAN_ROW("chan-sysv", 13, "sysv-msg",
             "PUSH->PULL channel each way over sysv:// (a System V queue per direction)", TP_SYSV,
             NULL, true, IPCX_LINK_WAIT_DEFAULT, .limit = limit_sysv),
    CHAN_ROW("chan-unix", 14, "unix-stream", "PAIR channels over unix:// (abstract stream socket)",
             TP_PLAIN, "unix://@%s", false, IPCX_LINK_WAIT_DEFAULT),
    CHAN_ROW("chan-tcp", 15, "tcp", "PAIR channels over tcp:// on the IPv4 loopback", TP_PLAIN,
             "tcp://127.0.0.1:0", false, IPCX_LINK_WAIT_DEFAULT),
    CHAN_ROW("chan-udp", 16, "udp",
             "PUSH->PULL channel each way over udp:// on the IPv4 loopback (lossy)", TP_UDP,
             "udp://127.0.0.1:0", true, IPCX_LINK_WAIT_DEFAULT, .flags = BENCH_F_LOSSY,
             .limit = limit_udp),
    CHAN_ROW("chan-shm-busy", 17, "ring-busy", "PAIR channels over shm://, busy-polling rings",
             TP_PLAIN, "shm://%s", false, IPCX_LINK_WAIT_BUSY),
    CHAN_ROW("chan-shm-adaptive", 18, "ring-adaptive",
             "PAIR channels over shm://, rings spinning 50 us then sleeping", TP_PLAIN, "shm://%s",
             false, IPCX_LINK_WAIT_ADAPTIVE),
    CHAN_ROW("chan-shm-block", 19, "ring-block",
             "PAIR channels over shm://, rings sleeping at once", TP_PLAIN, "shm://%s", false,
             IPCX_LINK_WAIT_BLOCK),
};

BENCH_ROWS(chan)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        bench_register(&rows[i].row);
}
