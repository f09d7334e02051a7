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
 * IPCX_FOREVER still starts with one IPC_NOWAIT attempt: when the queue is
 * full, the queue's capacity is checked (IPC_STAT) before blocking, since
 * the kernel would let a message longer than the whole queue wait forever.
 *
 * The kernel wants the type in front of the text; caller buffers do not
 * have room for it, so messages go through a bounce buffer (on the stack up
 * to 4 KiB, else on the heap). msgmax bounds it: it is read from /proc once
 * and cached, and read again only when a message exceeds the cached value
 * (a raised limit is then noticed). When /proc cannot tell it, nothing is
 * guessed: a send is left to the kernel to judge, and a receive starts with
 * a buffer of at most 4 KiB and grows to the caller's full capacity if the
 * kernel says the message is longer (E2BIG leaves the message queued).
 */
#include <limits.h>
#include <stdalign.h>
#include <stdatomic.h>
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

/* The last msgmax read from /proc; 0 until read, or when unreadable. */
static _Atomic long msgmax_seen;

/* msgmax as /proc says it now, or 0 when /proc cannot tell it. */
static long msgmax_fresh(void)
{
    long v;
    if (ipcx__procfs_long("/proc/sys/kernel/msgmax", &v) < 0)
        v = 0;
    atomic_store_explicit(&msgmax_seen, v, memory_order_relaxed);
    return v;
}

/* msgmax, read once and remembered; 0 when /proc cannot tell it. */
static long msgmax_cached(void)
{
    long v = atomic_load_explicit(&msgmax_seen, memory_order_relaxed);
    return v > 0 ? v : msgmax_fresh();
}

/*
 * Whether `len` bytes exceed msgmax. A length the cached value refuses is
 * checked against a fresh one, so a limit raised meanwhile is honoured; an
 * unknown limit refuses nothing (the kernel still checks).
 */
static bool over_msgmax(size_t len)
{
    long max = msgmax_cached();
    if (max <= 0 || len <= (size_t)max)
        return false;
    max = msgmax_fresh();
    return max > 0 && len > (size_t)max;
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

/*
 * Whether a message of `len` bytes can ever fit the queue: 0 (or when the
 * status may not be read: then the wait is the kernel's), IPCX_EMSGSIZE when
 * it is longer than the queue's capacity, IPCX_EIDRM when the queue is gone.
 */
static int can_fit(int id, size_t len)
{
    struct msqid_ds ds;
    if (msgctl(id, IPC_STAT, &ds) < 0)
        return errno == EACCES ? 0 : gone_or(errno);
    return len > ds.msg_qbytes || ds.msg_qbytes == 0 ? IPCX_EMSGSIZE : 0;
}

IPCX_API int ipcx_sysvmsg_send(struct ipcx_sysvmsg *q, const void *msg, size_t len, long type,
                               int timeout_ms)
{
    struct ipcx__deadline d;
    if (!q || type <= 0 || (!msg && len > 0) || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    /* Refuse what msgmax forbids before allocating room for it; msgmax is
     * an int, so nothing longer than INT_MAX is ever accepted. */
    if (len > INT_MAX || (len > STACK_TEXT && over_msgmax(len)))
        return IPCX_EMSGSIZE;

    struct bounce b;
    if (!bounce_get(&b, len))
        return IPCX_ENOMEM;
    b.m->mtype = type;
    if (len > 0)
        memcpy(b.m->mtext, msg, len);

    int flags = IPC_NOWAIT; /* the first attempt never blocks, even forever */
    bool checked_fit = false;
    struct ipcx__backoff bo;
    ipcx__backoff_init(&bo, IPCX__BACKOFF_FIRST_NS, IPCX__BACKOFF_CAP_NS);
    int rc;
    for (;;) {
        if (msgsnd(q->id, b.m, len, flags) == 0) {
            rc = 0;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno == EINVAL) {
            /* Too long for msgmax if the queue is still there. */
            struct msqid_ds ds;
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
            rc = can_fit(q->id, len);
            if (rc < 0)
                break;
        }
        if (ipcx__deadline_is_forever(&d)) {
            flags = 0; /* block in the kernel: woken by room or removal */
            continue;
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
        ((flags & IPCX_SYSVMSG_EXCEPT) && type <= 0) || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;

    /* No message is longer than msgmax (an int): a bigger buffer is never
     * needed. Without a known msgmax, start small and grow on E2BIG. */
    size_t full = cap > INT_MAX ? INT_MAX : cap;
    size_t text = full;
    long max = msgmax_cached();
    if (max > 0 && text > (size_t)max)
        text = (size_t)max;
    else if (max <= 0 && text > STACK_TEXT)
        text = STACK_TEXT;
    struct bounce b;
    if (!bounce_get(&b, text))
        return IPCX_ENOMEM;

    int kflags = 0;
    if (flags & IPCX_SYSVMSG_EXCEPT)
        kflags |= MSG_EXCEPT;
    /* Truncate only at the caller's capacity, never at a smaller bounce. */
    if ((flags & IPCX_SYSVMSG_TRUNCATE) && text == full)
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
        if (errno == E2BIG && text < full) {
            /* Longer than msgmax as last seen (or as guessed): the message
             * stayed queued; take it with the caller's whole capacity. */
            bounce_put(&b);
            text = full;
            if (!bounce_get(&b, text))
                return IPCX_ENOMEM;
            if (flags & IPCX_SYSVMSG_TRUNCATE)
                kflags |= MSG_NOERROR;
            continue;
        }
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
