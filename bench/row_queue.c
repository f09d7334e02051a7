/* SPDX-License-Identifier: MIT */
/*
 * row_queue.c: the kernel's message queues through their plain calls.
 *   posix-mq: two POSIX queues (one each way), mq_send(3) and mq_receive(3).
 *     The parent creates them exclusively with mode 0600 and unlinks their
 *     names at once; the sides use the inherited descriptors, so no queue
 *     outlives the run even if it is killed. Messages are limited by
 *     fs.mqueue.msgsize_max, queues by fs.mqueue.msg_max.
 *   sysv-msg: one System V queue (IPC_PRIVATE, mode 0600), message type 1
 *     towards the server and 2 towards the client, msgsnd(2) and msgrcv(2)
 *     with the type written in the buffer's headroom. System V queues have no
 *     name to unlink early: the parent removes it (IPC_RMID) after the run,
 *     also after an interrupt, but not if the parent itself is killed with
 *     SIGKILL.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>

#include "row.h"

/* --- POSIX message queues ------------------------------------------------ */

struct pmq {
    mqd_t q[2]; /* [0] towards the server, [1] towards the client */
    mqd_t in, out;
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
    m->q[0] = m->q[1] = m->in = m->out = (mqd_t)-1;
    long depth = bench_read_proc_long("/proc/sys/fs/mqueue/msg_max", 10);
    struct mq_attr attr = {.mq_maxmsg = depth < 10 ? depth : 10, .mq_msgsize = (long)p->max_size};
    for (int i = 0; i < 2; i++) {
        char name[96];
        snprintf(name, sizeof name, "/%s-%d", p->tag, i);
        m->q[i] = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
        int err = errno;
        if (m->q[i] != (mqd_t)-1)
            mq_unlink(name);
        else if (err == EMFILE || err == ENOSPC || err == ENOMEM)
            /* The user's RLIMIT_MSGQUEUE or the system's queues_max is used
             * up (by other programs): a condition of the machine, not a
             * failure of the mechanism. */
            return bench_skip(p, "mq_open: %s (RLIMIT_MSGQUEUE or fs.mqueue.queues_max)",
                              strerror(err));
        else
            return bench_fail(p, "mq_open %s: %s", name, strerror(err));
    }
    bench_note(p, "queues %ld messages deep (fs.mqueue.msg_max allows %ld)", attr.mq_maxmsg, depth);
    return 0;
}

static void pmq_forked(struct bench_proc *p)
{
    struct pmq *m = p->priv;
    for (int i = 0; i < 2; i++) {
        if (m->q[i] != (mqd_t)-1)
            mq_close(m->q[i]);
        m->q[i] = (mqd_t)-1;
    }
}

static int pmq_open(struct bench_proc *p)
{
    struct pmq *m = p->priv;
    bool client = p->role == BENCH_CLIENT;
    m->out = m->q[client ? 0 : 1];
    m->in = m->q[client ? 1 : 0];
    m->q[0] = m->q[1] = (mqd_t)-1;
    return 0;
}

static int pmq_send(struct bench_proc *p, void *buf, size_t len)
{
    struct pmq *m = p->priv;
    while (mq_send(m->out, buf, len, 0) != 0) {
        if (errno != EINTR)
            return -errno;
    }
    return 0;
}

static ssize_t pmq_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct pmq *m = p->priv;
    for (;;) {
        ssize_t n = mq_receive(m->in, buf, p->max_size, NULL);
        if (n >= 0 || errno != EINTR)
            return n < 0 ? -errno : n;
    }
}

static void pmq_close(struct bench_proc *p)
{
    struct pmq *m = p->priv;
    mq_close(m->in);
    mq_close(m->out);
    m->in = m->out = (mqd_t)-1;
}

/* --- System V message queues --------------------------------------------- */

struct svq {
    int id;
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
    q->id = msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
    if (q->id < 0 && errno == ENOSPC)
        return bench_skip(p, "msgget: %s (kernel.msgmni queues exist already)", strerror(errno));
    if (q->id < 0)
        return bench_fail(p, "msgget: %s", strerror(errno));
    long mnb = bench_read_proc_long("/proc/sys/kernel/msgmnb", 16384);
    bench_note(p, "one queue of %ld bytes for both directions (kernel.msgmnb)", mnb);
    return 0;
}

static int svq_open(struct bench_proc *p)
{
    struct svq *q = p->priv;
    q->out_type = p->role == BENCH_CLIENT ? 1 : 2;
    q->in_type = p->role == BENCH_CLIENT ? 2 : 1;
    return 0;
}

/* The message is the type (a long) followed by the bytes: the type goes in
 * the headroom right in front of the buffer, so nothing is copied. */
static int svq_send(struct bench_proc *p, void *buf, size_t len)
{
    struct svq *q = p->priv;
    long *msg = (long *)((char *)buf - sizeof(long));
    *msg = q->out_type;
    while (msgsnd(q->id, msg, len, 0) != 0) {
        if (errno != EINTR)
            return -errno;
    }
    return 0;
}

static ssize_t svq_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct svq *q = p->priv;
    long *msg = (long *)((char *)buf - sizeof(long));
    for (;;) {
        ssize_t n = msgrcv(q->id, msg, p->max_size, q->in_type, 0);
        if (n >= 0 || errno != EINTR)
            return n < 0 ? -errno : n;
    }
}

static void svq_teardown(struct bench_proc *p)
{
    struct svq *q = p->priv;
    if (q->id >= 0)
        msgctl(q->id, IPC_RMID, NULL);
    q->id = -1;
}

static const struct bench_row pmq_row = {
    .name = "posix-mq",
    .group = BENCH_RAW,
    .order = 40,
    .what = "POSIX message queues, one each way, mq_send(3) and mq_receive(3)",
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
    .name = "sysv-msg",
    .group = BENCH_RAW,
    .order = 41,
    .what = "System V message queue, a message type per direction, msgsnd(2) and msgrcv(2)",
    .flags = BENCH_F_FANIN | BENCH_F_FANOUT,
    .priv_size = sizeof(struct svq),
    .limit = svq_limit,
    .setup = svq_setup,
    .open = svq_open,
    .send = svq_send,
    .recv = svq_recv,
    .teardown = svq_teardown,
};

BENCH_ROWS(queue)
{
    bench_register(&pmq_row);
    bench_register(&svq_row);
}
