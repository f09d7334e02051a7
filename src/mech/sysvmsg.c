/* SPDX-License-Identifier: MIT */
/*
 * mech/sysvmsg.c: System V message queues.
 *
 * The kernel offers no timed msgrcv() or msgsnd() and no descriptor to poll,
 * so a finite timeout is served by non-blocking attempts (IPC_NOWAIT) with
 * sys/backoff.h sleeps in between: 20 us doubling to 1 ms, each sleep an
 * absolute CLOCK_MONOTONIC sleep clipped to the deadline. That keeps the
 * deadline to within one attempt, picks a message up at most about 1 ms
 * after it arrives, and costs a waiter a few microseconds of CPU per wake-up
 * (measured in the tests: well under 1% of a core). The alternatives were
 * rejected: a helper thread blocked in msgrcv() cannot be cancelled without
 * a signal handler (the library installs none) and would receive a message
 * after its caller gave up; a signal-driven timer needs a handler too.
 * IPCX_FOREVER needs no deadline, so it blocks in the kernel and is woken
 * the moment a message comes.
 *
 * The kernel wants the type in front of the text; caller buffers do not
 * have room for it, so messages go through a bounce buffer (on the stack up
 * to 4 KiB, else on the heap, never larger than msgmax).
 */
#include <limits.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>

#include <ipcx/error.h>
#include <ipcx/sysvmsg.h>

#include "sys/backoff.h"
#include "sys/deadline.h"
#include "sys/err.h"
#include "sys/procfs.h"

struct ipcx_sysvmsg {
    int id;
};

#define KNOWN_RECV_FLAGS (IPCX_SYSVMSG_EXCEPT | IPCX_SYSVMSG_TRUNCATE)
#define STACK_TEXT       4096

/* The kernel's message layout: the type, then the text. */
struct kmsg {
    long mtype;
    char mtext[];
};

struct bounce {
    alignas(long) char stack[sizeof(long) + STACK_TEXT];
    struct kmsg *m;
};

/* msgmax, or `fallback` when /proc cannot tell it. */
static long msgmax_or(long fallback)
{
    long v;
    return ipcx__procfs_long("/proc/sys/kernel/msgmax", &v) == 0 ? v : fallback;
}

/* A buffer for `text` bytes of message text; false when out of memory. */
static bool bounce_get(struct bounce *b, size_t text)
{
    if (text <= STACK_TEXT) {
        b->m = (struct kmsg *)(void *)b->stack;
        return true;
    }
    b->m = malloc(sizeof(long) + text);
    return b->m != NULL;
}

static void bounce_put(struct bounce *b)
{
    if ((char *)b->m != b->stack)
        free(b->m);
}

/*
 * The kernel answers EINVAL both for bad arguments and for an id that no
 * longer exists. Arguments are checked before the call, so after it an
 * EINVAL means the queue is gone.
 */
static int gone_or(int e)
{
    return e == EINVAL ? IPCX_EIDRM : ipcx__err(e);
}

IPCX_API int ipcx_sysvmsg_key(key_t *out, const char *path, int proj_id)
{
    if (!out || !path || !path[0] || proj_id < 1 || proj_id > 255)
        return IPCX_EINVAL;
    key_t k = ftok(path, proj_id);
    if (k == (key_t)-1)
        return ipcx__errno();
    *out = k;
    return 0;
}

static int handle_new(struct ipcx_sysvmsg **out, int id)
{
    struct ipcx_sysvmsg *q = malloc(sizeof *q);
    if (!q)
        return IPCX_ENOMEM;
    q->id = id;
    *out = q;
    return 0;
}

IPCX_API int ipcx_sysvmsg_create(struct ipcx_sysvmsg **out, key_t key,
                                 const struct ipcx_sysvmsg_opts *opts)
{
    struct ipcx_sysvmsg_opts o = {0};
    if (opts)
        o = *opts;
    if (!out || (o.mode & ~0777u) || o.max_bytes > INT_MAX)
        return IPCX_EINVAL;
    int mode = o.mode ? (int)o.mode : 0600;

    /* System V IPC ignores the umask: the mode given is the mode set. */
    int id = msgget(key, IPC_CREAT | IPC_EXCL | mode);
    if (id < 0)
        return ipcx__errno();
    int rc;
    if (o.max_bytes > 0) {
        struct msqid_ds ds;
        if (msgctl(id, IPC_STAT, &ds) < 0) {
            rc = ipcx__errno();
            goto fail;
        }
        ds.msg_qbytes = (msglen_t)o.max_bytes;
        if (msgctl(id, IPC_SET, &ds) < 0) {
            rc = ipcx__errno();
            goto fail;
        }
    }
    rc = handle_new(out, id);
    if (rc < 0)
        goto fail;
    return 0;
fail:
    msgctl(id, IPC_RMID, NULL);
    return rc;
}

IPCX_API int ipcx_sysvmsg_open(struct ipcx_sysvmsg **out, key_t key, unsigned access)
{
    if (!out || key == IPCX_SYSVMSG_PRIVATE || (access & ~(IPCX_SYSVMSG_SEND | IPCX_SYSVMSG_RECV)))
        return IPCX_EINVAL;
    /* msgget() checks the permission bits it is given against the mode. */
    int want = 0;
    if (access == 0 || (access & IPCX_SYSVMSG_SEND))
        want |= 0200;
    if (access == 0 || (access & IPCX_SYSVMSG_RECV))
        want |= 0400;
    int id = msgget(key, want);
    if (id < 0)
        return ipcx__errno();
    return handle_new(out, id);
}

IPCX_API int ipcx_sysvmsg_open_id(struct ipcx_sysvmsg **out, int id)
{
    if (!out || id < 0)
        return IPCX_EINVAL;
    struct msqid_ds ds;
    /* EACCES still proves the queue exists; sends and receives check rights. */
    if (msgctl(id, IPC_STAT, &ds) < 0 && errno != EACCES)
        return errno == EINVAL || errno == EIDRM ? IPCX_ENOENT : ipcx__errno();
    return handle_new(out, id);
}

IPCX_API int ipcx_sysvmsg_id(const struct ipcx_sysvmsg *q)
{
    return q ? q->id : IPCX_EINVAL;
}

/* Whether the queue exists (a refused IPC_STAT counts as existing). */
static bool queue_exists(int id, struct msqid_ds *ds)
{
    return msgctl(id, IPC_STAT, ds) == 0 || errno == EACCES;
}

IPCX_API int ipcx_sysvmsg_send(struct ipcx_sysvmsg *q, const void *msg, size_t len, long type,
                               int timeout_ms)
{
    struct ipcx__deadline d;
    if (!q || type <= 0 || (!msg && len > 0) || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    /* Refuse what msgmax forbids before allocating room for it. */
    if (len > STACK_TEXT && len > (size_t)msgmax_or(8192))
        return IPCX_EMSGSIZE;

    struct bounce b;
    if (!bounce_get(&b, len))
        return IPCX_ENOMEM;
    b.m->mtype = type;
    if (len > 0)
        memcpy(b.m->mtext, msg, len);

    bool forever = ipcx__deadline_is_forever(&d);
    bool checked_fit = false;
    struct ipcx__backoff bo;
    ipcx__backoff_init(&bo, IPCX__BACKOFF_FIRST_NS, IPCX__BACKOFF_CAP_NS);
    int rc;
    for (;;) {
        if (msgsnd(q->id, b.m, len, forever ? 0 : IPC_NOWAIT) == 0) {
            rc = 0;
            break;
        }
        if (errno == EINTR)
            continue;
        struct msqid_ds ds;
        if (errno == EINVAL) {
            /* Too long for msgmax if the queue is still there. */
            rc = queue_exists(q->id, &ds) ? IPCX_EMSGSIZE : IPCX_EIDRM;
            break;
        }
        if (errno != EAGAIN) {
            rc = ipcx__errno();
            break;
        }
        /* Full. A message longer than the whole queue would wait forever. */
        if (!checked_fit) {
            checked_fit = true;
            if (msgctl(q->id, IPC_STAT, &ds) == 0 && len > ds.msg_qbytes) {
                rc = IPCX_EMSGSIZE;
                break;
            }
        }
        rc = ipcx__backoff_sleep(&bo, &d);
        if (rc < 0) {
            rc = (int)ipcx__deadline_map(rc, timeout_ms);
            break;
        }
    }
    bounce_put(&b);
    return rc;
}

IPCX_API ssize_t ipcx_sysvmsg_recv(struct ipcx_sysvmsg *q, void *buf, size_t cap, long type,
                                   unsigned flags, long *got_type, int timeout_ms)
{
    struct ipcx__deadline d;
    if (!q || (!buf && cap > 0) || (flags & ~KNOWN_RECV_FLAGS) ||
        ((flags & IPCX_SYSVMSG_EXCEPT) && type <= 0) || type == LONG_MIN ||
        ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;

    /* No message is longer than msgmax: a bigger buffer is never needed. */
    size_t text = cap;
    if (text > STACK_TEXT) {
        long max = msgmax_or(8192);
        if ((size_t)max < text)
            text = (size_t)max;
    }
    struct bounce b;
    if (!bounce_get(&b, text))
        return IPCX_ENOMEM;

    int kflags = 0;
    if (flags & IPCX_SYSVMSG_EXCEPT)
        kflags |= MSG_EXCEPT;
    if (flags & IPCX_SYSVMSG_TRUNCATE)
        kflags |= MSG_NOERROR;
    bool forever = ipcx__deadline_is_forever(&d);
    if (!forever)
        kflags |= IPC_NOWAIT;

    struct ipcx__backoff bo;
    ipcx__backoff_init(&bo, IPCX__BACKOFF_FIRST_NS, IPCX__BACKOFF_CAP_NS);
    ssize_t rc;
    for (;;) {
        ssize_t n = msgrcv(q->id, b.m, text, type, kflags);
        if (n >= 0) {
            if (n > 0)
                memcpy(buf, b.m->mtext, (size_t)n);
            if (got_type)
                *got_type = b.m->mtype;
            rc = n;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno == E2BIG) {
            rc = IPCX_EMSGSIZE;
            break;
        }
        if (errno != ENOMSG) {
            rc = gone_or(errno);
            break;
        }
        int r = ipcx__backoff_sleep(&bo, &d);
        if (r < 0) {
            rc = ipcx__deadline_map(r, timeout_ms);
            break;
        }
    }
    bounce_put(&b);
    return rc;
}

IPCX_API int ipcx_sysvmsg_get_status(const struct ipcx_sysvmsg *q, struct ipcx_sysvmsg_status *st)
{
    if (!q || !st)
        return IPCX_EINVAL;
    struct msqid_ds ds;
    if (msgctl(q->id, IPC_STAT, &ds) < 0)
        return gone_or(errno);
    st->msgs = ds.msg_qnum;
    st->bytes = ds.__msg_cbytes;
    st->max_bytes = ds.msg_qbytes;
    st->last_send_pid = ds.msg_lspid;
    st->last_recv_pid = ds.msg_lrpid;
    st->uid = ds.msg_perm.uid;
    st->mode = ds.msg_perm.mode & 0777;
    return 0;
}

IPCX_API int ipcx_sysvmsg_remove(struct ipcx_sysvmsg *q)
{
    if (!q)
        return IPCX_EINVAL;
    return msgctl(q->id, IPC_RMID, NULL) < 0 ? gone_or(errno) : 0;
}

IPCX_API void ipcx_sysvmsg_close(struct ipcx_sysvmsg *q)
{
    free(q);
}
