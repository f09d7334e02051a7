/* SPDX-License-Identifier: MIT */
/*
 * mech/posixmq.c: POSIX message queues. A handle is one queue descriptor,
 * kept non-blocking: a send or receive is a non-blocking attempt, and on
 * EAGAIN a poll() for POLLOUT or POLLIN until the deadline (a queue
 * descriptor is pollable). Waiting on the descriptor rather than with
 * mq_timedsend/mq_timedreceive keeps the deadline on CLOCK_MONOTONIC, so
 * a change of the wall clock cannot cut a wait short or stretch it.
 *
 * Creation sets the mode with fchmod() on the new queue's descriptor, so
 * the umask has no say, and removes the queue again if that fails.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <ipcx/error.h>
#include <ipcx/posixmq.h>

#include "sys/deadline.h"
#include "sys/err.h"
#include "sys/fd.h"
#include "sys/posixname.h"
#include "sys/procfs.h"

struct ipcx_posixmq {
    mqd_t mqd;
};

#define KNOWN_ACCESS (IPCX_POSIXMQ_SEND | IPCX_POSIXMQ_RECV)

static int access_flags(unsigned access)
{
    switch (access) {
    case IPCX_POSIXMQ_SEND:
        return O_WRONLY;
    case IPCX_POSIXMQ_RECV:
        return O_RDONLY;
    default:
        return O_RDWR;
    }
}

IPCX_API int ipcx_posixmq_create(struct ipcx_posixmq **out, const char *name,
                                 const struct ipcx_posixmq_opts *opts)
{
    struct ipcx_posixmq_opts o = {0};
    if (opts)
        o = *opts;
    int rc = ipcx__posix_name_check(name);
    if (rc < 0)
        return rc;
    if (!out || (o.mode & ~0777u) || o.max_msgs < 0 || o.msg_size < 0 || (o.access & ~KNOWN_ACCESS))
        return IPCX_EINVAL;
    mode_t mode = o.mode ? (mode_t)o.mode : 0600;

    struct mq_attr attr = {0};
    struct mq_attr *ap = NULL;
    if (o.max_msgs || o.msg_size) {
        /* The kernel wants both or neither: fill in the other one's default
         * (where /proc cannot tell it, the kernel's built-in 10 and 8192). */
        attr.mq_maxmsg = o.max_msgs;
        attr.mq_msgsize = o.msg_size;
        if (!o.max_msgs &&
            ipcx__procfs_long("/proc/sys/fs/mqueue/msg_default", &attr.mq_maxmsg) < 0)
            attr.mq_maxmsg = 10;
        if (!o.msg_size &&
            ipcx__procfs_long("/proc/sys/fs/mqueue/msgsize_default", &attr.mq_msgsize) < 0)
            attr.mq_msgsize = 8192;
        ap = &attr;
    }

    struct ipcx_posixmq *q = calloc(1, sizeof *q);
    if (!q)
        return IPCX_ENOMEM;
    int oflag = access_flags(o.access) | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC;
    q->mqd = mq_open(name, oflag, 0600 & mode, ap);
    if (q->mqd == (mqd_t)-1) {
        rc = ipcx__errno();
        free(q);
        return rc;
    }
    if (fchmod((int)q->mqd, mode) < 0) {
        rc = ipcx__errno();
        goto fail;
    }
    *out = q;
    return 0;
fail:
    mq_close(q->mqd);
    mq_unlink(name);
    free(q);
    return rc;
}

IPCX_API int ipcx_posixmq_open(struct ipcx_posixmq **out, const char *name, unsigned access)
{
    int rc = ipcx__posix_name_check(name);
    if (rc < 0)
        return rc;
    if (!out || (access & ~KNOWN_ACCESS))
        return IPCX_EINVAL;
    struct ipcx_posixmq *q = calloc(1, sizeof *q);
    if (!q)
        return IPCX_ENOMEM;
    q->mqd = mq_open(name, access_flags(access) | O_NONBLOCK | O_CLOEXEC);
    if (q->mqd == (mqd_t)-1) {
        rc = ipcx__errno();
        free(q);
        return rc;
    }
    *out = q;
    return 0;
}

IPCX_API int ipcx_posixmq_send(struct ipcx_posixmq *q, const void *msg, size_t len, unsigned prio,
                               int timeout_ms)
{
    struct ipcx__deadline d;
    if (!q || (!msg && len > 0) || prio > IPCX_POSIXMQ_PRIO_MAX ||
        ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    static const char empty;
    if (!msg)
        msg = &empty;
    int r = ipcx__io_first((int)q->mqd, IPCX__IO_TX, POLLOUT, &d);
    if (r < 0)
        return (int)ipcx__deadline_map(r, timeout_ms);
    for (;;) {
        if (mq_send(q->mqd, msg, len, prio) == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return ipcx__errno();
        r = ipcx__io_wait((int)q->mqd, IPCX__IO_TX, POLLOUT, &d);
        if (r < 0)
            return (int)ipcx__deadline_map(r, timeout_ms);
    }
}

IPCX_API ssize_t ipcx_posixmq_recv(struct ipcx_posixmq *q, void *buf, size_t cap, unsigned *prio,
                                   int timeout_ms)
{
    struct ipcx__deadline d;
    if (!q || !buf || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    int r = ipcx__io_first((int)q->mqd, IPCX__IO_RX, POLLIN, &d);
    if (r < 0)
        return (int)ipcx__deadline_map(r, timeout_ms);
    for (;;) {
        unsigned p = 0;
        ssize_t n = mq_receive(q->mqd, buf, cap, &p);
        if (n >= 0) {
            if (prio)
                *prio = p;
            return n;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return ipcx__errno();
        r = ipcx__io_wait((int)q->mqd, IPCX__IO_RX, POLLIN, &d);
        if (r < 0)
            return (int)ipcx__deadline_map(r, timeout_ms);
    }
}

IPCX_API int ipcx_posixmq_get_attr(const struct ipcx_posixmq *q, struct ipcx_posixmq_attr *attr)
{
    if (!q || !attr)
        return IPCX_EINVAL;
    struct mq_attr a;
    if (mq_getattr(q->mqd, &a) < 0)
        return ipcx__errno();
    attr->max_msgs = a.mq_maxmsg;
    attr->msg_size = a.mq_msgsize;
    attr->cur_msgs = a.mq_curmsgs;
    return 0;
}

IPCX_API int ipcx_posixmq_fd(const struct ipcx_posixmq *q)
{
    return q ? (int)q->mqd : -1;
}

IPCX_API void ipcx_posixmq_close(struct ipcx_posixmq *q)
{
    if (!q)
        return;
    ipcx__close((int)q->mqd); /* a queue descriptor is a file descriptor */
    free(q);
}

IPCX_API int ipcx_posixmq_unlink(const char *name)
{
    int rc = ipcx__posix_name_check(name);
    if (rc < 0)
        return rc;
    return mq_unlink(name) < 0 ? ipcx__errno() : 0;
}
