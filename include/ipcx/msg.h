/* SPDX-License-Identifier: MIT */
/*
 * ipcx/msg.h: the message that links and channels carry: a body and its
 * attributes (type, priority, request id), and descriptors where the
 * transport can pass them.
 *
 * Sending borrows the message: the body and the descriptors stay the
 * caller's, and the descriptors are duplicated into the peer.
 * Receiving fills a message the library owns: the body is allocated for it
 * and every descriptor that arrived is open and close-on-exec. Release it
 * with ipcx_msg_release(), which frees the body and closes the descriptors
 * still in it; a receiver that keeps a descriptor takes it out of `fds`
 * (sets the slot to -1) before releasing.
 *
 * Attributes:
 *   - `type` (>= 0): a System V style message type. At a channel's receive
 *     it can be selected by the System V rules (ipcx/chan.h); on the
 *     sysv:// transport it is the kernel's own mtype (plus one, since the
 *     kernel needs a positive number), elsewhere it travels in the frame.
 *   - `priority` (0 .. IPCX_MSG_PRIO_MAX): higher first, FIFO within one
 *     priority, natively on mq:// and in the channel's receive queue
 *     elsewhere.
 *   - `id` and `peer`: set by the request/reply pattern (ipcx/chan.h).
 *     Links carry `id` unchanged; `peer` is never sent.
 */
#ifndef IPCX_MSG_H
#define IPCX_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The highest priority (POSIX guarantees at least 32 levels for mq). */
#define IPCX_MSG_PRIO_MAX 31u
/* The most descriptors one message carries. */
#define IPCX_MSG_MAX_FDS 16u

/* Message flags (`flags`). */
#define IPCX_MSG_OWNED 0x1u /* set by a receive: release with ipcx_msg_release() */

struct ipcx_msg {
    void *data;        /* body; NULL allowed when size is 0 */
    size_t size;       /* body length in bytes */
    long type;         /* >= 0 */
    unsigned priority; /* 0 .. IPCX_MSG_PRIO_MAX */
    uint64_t id;       /* request id (req/rep); 0 otherwise */
    uint32_t peer;     /* channel: the peer it came from (receive), or goes to */
    unsigned flags;    /* IPCX_MSG_* */
    unsigned nfds;     /* descriptors in fds[] */
    int fds[IPCX_MSG_MAX_FDS];
};

/*
 * A message borrowing `data` (not copied, not freed), with every attribute
 * zero. Handy for sends: `struct ipcx_msg m = ipcx_msg_of(buf, len);`.
 */
static inline struct ipcx_msg ipcx_msg_of(const void *data, size_t size)
{
    struct ipcx_msg m = {0};
    m.data = (void *)data;
    m.size = size;
    return m;
}

/*
 * Frees what a receive put in `m` (the body; the descriptors still >= 0 in
 * fds[] are closed) and zeroes it. Does nothing to a message without
 * IPCX_MSG_OWNED, so it is safe on a zeroed or borrowing message. Never
 * fails.
 */
IPCX_API void ipcx_msg_release(struct ipcx_msg *m);

#ifdef __cplusplus
}
#endif

#endif
