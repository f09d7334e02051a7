/* SPDX-License-Identifier: MIT */
/*
 * row_ipcx_queue.c: ipcx's kernel message queues, set up as the raw rows
 * they wrap (row_queue.c):
 *   ipcx-posixmq (wraps posix-mq): two queues made by ipcx_posixmq_create()
 *     (exclusive, mode 0600), unlinked at once, the handles inherited by
 *     both sides; ipcx_posixmq_send and ipcx_posixmq_recv with the run's
 *     timeout. The library's descriptor is non-blocking: a receive that has
 *     to wait tries, polls, and tries again.
 *   ipcx-sysvmsg (wraps sysv-msg): one private queue, a type per direction,
 *     ipcx_sysvmsg_send and ipcx_sysvmsg_recv. The kernel has no timed
 *     msgrcv: with a finite timeout the library polls with sleeps of 20 us
 *     to 1 ms, so the row waits with IPCX_FOREVER (blocking in the kernel,
 *     as the raw row does) and leaves the bound to the harness's deadline.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ipcx.h>

#include "row.h"

/* --- POSIX message queues ------------------------------------------------ */

struct pmq {
    struct ipcx_posixmq *q[2]; /* [0] towards the server, [1] towards the client */
    struct ipcx_posixmq *in, *out;
};

static size_t pmq_limit(char *why, size_t n)
{
    long v = bench_read_proc_long("/proc/sys/fs/mqueue/msgsize_max", 8192);
    snprintf(why, n, "POSIX mq messages are at most %ld B (fs.mqueue.msgsize_max)", v);
    return (size_t)v;
}

static int pmq_setup(struct bench_proc *p)
{
    struct pmq *m = p->priv;
    long depth = bench_read_proc_long("/proc/sys/fs/mqueue/msg_max", 10);
    struct ipcx_posixmq_opts o = {.max_msgs = depth < 10 ? depth : 10,
                                  .msg_size = (long)p->max_size};
    for (int i = 0; i < 2; i++) {
        char name[96];
        snprintf(name, sizeof name, "/%s-%d", p->tag, i);
        int rc = ipcx_posixmq_create(&m->q[i], name, &o);
        if (rc == 0)
            ipcx_posixmq_unlink(name);
        else if (rc == IPCX_EMFILE || rc == IPCX_ENOSPC || rc == IPCX_ENOMEM)
            /* Used up by other programs: the machine's state, not a failure. */
            return bench_skip(p,
                              "ipcx_posixmq_create: %s (RLIMIT_MSGQUEUE or fs.mqueue.queues_max)",
                              ipcx_strerror(rc));
        else
            return bench_fail(p, "ipcx_posixmq_create %s: %s", name, ipcx_strerror(rc));
    }
    bench_note(p, "queues %ld messages deep, like posix-mq", o.max_msgs);
    return 0;
}

static void pmq_forked(struct bench_proc *p)
{
    struct pmq *m = p->priv;
    for (int i = 0; i < 2; i++) {
        ipcx_posixmq_close(m->q[i]);
        m->q[i] = NULL;
    }
}

static int pmq_open(struct bench_proc *p)
{
    struct pmq *m = p->priv;
    bool client = p->role == BENCH_CLIENT;
    m->out = m->q[client ? 0 : 1];
    m->in = m->q[client ? 1 : 0];
    m->q[0] = m->q[1] = NULL;
    return 0;
}

static int pmq_send(struct bench_proc *p, void *buf, size_t len)
{
    struct pmq *m = p->priv;
    return ipcx_posixmq_send(m->out, buf, len, 0, p->timeout_ms);
}

static ssize_t pmq_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct pmq *m = p->priv;
    return ipcx_posixmq_recv(m->in, buf, p->max_size, NULL, p->timeout_ms);
}

static void pmq_close(struct bench_proc *p)
{
    struct pmq *m = p->priv;
    ipcx_posixmq_close(m->in);
    ipcx_posixmq_close(m->out);
    m->in = m->out = NULL;
}

/* --- System V message queues --------------------------------------------- */

struct svq {
    struct ipcx_sysvmsg *q;
    long out_type, in_type;
};

static size_t svq_limit(char *why, size_t n)
{
    long v = bench_read_proc_long("/proc/sys/kernel/msgmax", 8192);
    snprintf(why, n, "System V messages are at most %ld B (kernel.msgmax)", v);
    return (size_t)v;
}

static int svq_setup(struct bench_proc *p)
{
    struct svq *q = p->priv;
    int rc = ipcx_sysvmsg_create(&q->q, IPCX_SYSVMSG_PRIVATE, NULL);
    if (rc == IPCX_ENOSPC)
        return bench_skip(p, "ipcx_sysvmsg_create: %s (kernel.msgmni queues exist already)",
                          ipcx_strerror(rc));
    if (rc < 0)
        return bench_fail(p, "ipcx_sysvmsg_create: %s", ipcx_strerror(rc));
    bench_note(p, "waits with IPCX_FOREVER: a finite timeout polls (20 us to 1 ms sleeps)");
    return 0;
}

static int svq_open(struct bench_proc *p)
{
    struct svq *q = p->priv;
    q->out_type = p->role == BENCH_CLIENT ? 1 : 2;
    q->in_type = p->role == BENCH_CLIENT ? 2 : 1;
    return 0;
}

static int svq_send(struct bench_proc *p, void *buf, size_t len)
{
    struct svq *q = p->priv;
    return ipcx_sysvmsg_send(q->q, buf, len, q->out_type, IPCX_FOREVER);
}

static ssize_t svq_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct svq *q = p->priv;
    return ipcx_sysvmsg_recv(q->q, buf, p->max_size, q->in_type, 0, NULL, IPCX_FOREVER);
}

/* The sides' copies of the handle hold nothing but the id. */
static void svq_close(struct bench_proc *p)
{
    struct svq *q = p->priv;
    ipcx_sysvmsg_close(q->q);
    q->q = NULL;
}

static void svq_teardown(struct bench_proc *p)
{
    struct svq *q = p->priv;
    if (q->q)
        ipcx_sysvmsg_remove(q->q);
    svq_close(p);
}

static const struct bench_row pmq_row = {
    .name = "ipcx-posixmq",
    .group = BENCH_IPCX,
    .order = 140,
    .what = "ipcx_posixmq_send and ipcx_posixmq_recv, one queue each way",
    .wraps = "posix-mq",
    .flags = BENCH_F_FANIN | BENCH_F_FANOUT,
    .priv_size = sizeof(struct pmq),
    .limit = pmq_limit,
    .setup = pmq_setup,
    .forked = pmq_forked,
    .open = pmq_open,
    .send = pmq_send,
    .recv = pmq_recv,
    .close = pmq_close,
    .teardown = pmq_forked,
};

static const struct bench_row svq_row = {
    .name = "ipcx-sysvmsg",
    .group = BENCH_IPCX,
    .order = 141,
    .what = "ipcx_sysvmsg_send and ipcx_sysvmsg_recv, one queue, a type per direction",
    .wraps = "sysv-msg",
    .flags = BENCH_F_FANIN | BENCH_F_FANOUT,
    .priv_size = sizeof(struct svq),
    .limit = svq_limit,
    .setup = svq_setup,
    .open = svq_open,
    .send = svq_send,
    .recv = svq_recv,
    .close = svq_close,
    .teardown = svq_teardown,
};

BENCH_ROWS(ipcx_queue)
{
    bench_register(&pmq_row);
    bench_register(&svq_row);
}
