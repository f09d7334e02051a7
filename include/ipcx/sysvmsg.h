/* SPDX-License-Identifier: MIT */
/*
 * ipcx/sysvmsg.h: System V message queues.
 *
 * A queue is a kernel object found by a key (from a path and a project id,
 * or private) and named by an id. Each message has a type (a positive
 * long); a receive selects by type:
 *   type == 0                      the first message in the queue;
 *   type >  0                      the first message of that type;
 *   type >  0, IPCX_SYSVMSG_EXCEPT the first message of any other type;
 *   type <  0                      the first message of the lowest type
 *                                  that is <= |type| (LONG_MIN, whose
 *                                  magnitude a long cannot hold, counts as
 *                                  -LONG_MAX, as the kernel has it: the
 *                                  lowest type of all).
 * Messages of one type keep their order. Queues are created exclusively
 * with mode 0600 unless asked otherwise.
 *
 * Timed waits: the kernel has no timed msgrcv/msgsnd. With a timeout of
 * IPCX_FOREVER the call blocks in the kernel (woken at once by a message or
 * by the queue's removal). With a finite timeout it makes non-blocking
 * attempts separated by sleeps that start at 20 us and double up to 1 ms,
 * the last one ending exactly at the deadline: the deadline holds to within
 * one attempt, a message is picked up at most about 1 ms after it arrives,
 * and a waiter costs about a thousand short wake-ups a second, not a core.
 *
 * A handle holds only the queue's id: it is thread-safe (any threads may
 * send and receive at once; close must not race with other calls), valid
 * in a forked child, and passed to another program as the number
 * ipcx_sysvmsg_id() returns. It holds no descriptor.
 *
 * Persistence: kernel. The queue and its messages remain, whoever created
 * them and whether or not anyone has it open, until ipcx_sysvmsg_remove()
 * (or reboot).
 */
#ifndef IPCX_SYSVMSG_H
#define IPCX_SYSVMSG_H

#include <stddef.h>
#include <sys/ipc.h> /* key_t, also in strict ISO C modes */
#include <sys/types.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ipcx_sysvmsg;

/* The key of a queue that has no key: only its id finds it (IPC_PRIVATE). */
#define IPCX_SYSVMSG_PRIVATE ((key_t)0)

/* Access for ipcx_sysvmsg_open(); 0 means both. */
#define IPCX_SYSVMSG_SEND 0x10u
#define IPCX_SYSVMSG_RECV 0x20u

/* Receive flags. */
#define IPCX_SYSVMSG_EXCEPT   0x1u /* with type > 0: the first message of another type */
#define IPCX_SYSVMSG_TRUNCATE 0x2u /* cut a longer message to the buffer instead of refusing */

/* Options for ipcx_sysvmsg_create(); all-zero means the defaults. */
struct ipcx_sysvmsg_opts {
    unsigned mode;    /* permission bits (within 0777); 0 means 0600 */
    size_t max_bytes; /* the queue's capacity in bytes; 0: /proc/sys/kernel/msgmnb */
};

/* A queue's status (IPC_STAT). */
struct ipcx_sysvmsg_status {
    size_t msgs;         /* messages queued */
    size_t bytes;        /* bytes queued */
    size_t max_bytes;    /* capacity in bytes */
    pid_t last_send_pid; /* process of the last send, 0 if none */
    pid_t last_recv_pid; /* process of the last receive, 0 if none */
    uid_t uid;           /* owner */
    unsigned mode;       /* permission bits */
};

/*
 * Derives a key from an existing `path` and `proj_id` (1 to 255) with
 * ftok(): processes that agree on both find the same queue. Two paths can
 * give the same key (the key holds only part of the inode number), so keys
 * from paths suit a few well-known queues, not many. Errors: IPCX_EINVAL
 * (NULL, empty path, proj_id outside 1..255), IPCX_ENOENT, IPCX_EACCES.
 */
IPCX_API int ipcx_sysvmsg_key(key_t *out, const char *path, int proj_id);

/*
 * Creates a new queue for `key` (IPCX_SYSVMSG_PRIVATE: a queue no key
 * finds) exclusively; close the handle with ipcx_sysvmsg_close() and remove
 * the queue with ipcx_sysvmsg_remove(). Does not block. Errors: IPCX_EINVAL
 * (NULL out, mode outside 0777, max_bytes above INT_MAX), IPCX_EEXIST,
 * IPCX_ENOSPC (msgmni reached), IPCX_EPERM (max_bytes above msgmnb without
 * privilege). A failed call leaves no queue behind.
 */
IPCX_API int ipcx_sysvmsg_create(struct ipcx_sysvmsg **out, key_t key,
                                 const struct ipcx_sysvmsg_opts *opts);

/*
 * Opens the existing queue of `key` for `access` (IPCX_SYSVMSG_SEND and/or
 * IPCX_SYSVMSG_RECV; 0 means both), checked against the queue's mode now.
 * Errors: IPCX_EINVAL (NULL out, IPCX_SYSVMSG_PRIVATE, unknown access bit),
 * IPCX_ENOENT, IPCX_EACCES.
 */
IPCX_API int ipcx_sysvmsg_open(struct ipcx_sysvmsg **out, key_t key, unsigned access);

/*
 * Opens the queue with id `id` (from ipcx_sysvmsg_id() in another process).
 * Errors: IPCX_EINVAL (NULL out, negative id), IPCX_ENOENT (no such queue).
 * Permissions are checked by each send and receive (an id carries no
 * access check of its own).
 */
IPCX_API int ipcx_sysvmsg_open_id(struct ipcx_sysvmsg **out, int id);

/* The queue's id, or IPCX_EINVAL for NULL. */
IPCX_API int ipcx_sysvmsg_id(const struct ipcx_sysvmsg *q);

/*
 * Sends `len` bytes (0 is allowed) as one message of type `type` (> 0),
 * waiting up to `timeout_ms` for room; the bytes are copied. Returns 0.
 * Errors: IPCX_EINVAL (type <= 0, NULL msg with len > 0), IPCX_EMSGSIZE
 * (longer than msgmax, or than the queue's capacity: it could never fit;
 * reported at once, with IPCX_FOREVER too), IPCX_ETIMEDOUT, IPCX_EAGAIN
 * (full and IPCX_NOWAIT), IPCX_EACCES, IPCX_EIDRM (the queue was removed),
 * IPCX_ENOMEM. The capacity check reads the queue's status when it is
 * full; a sender without read permission on the queue cannot, and then a
 * message longer than the capacity waits out its timeout (with
 * IPCX_FOREVER: until the queue is removed or its capacity raised).
 */
IPCX_API int ipcx_sysvmsg_send(struct ipcx_sysvmsg *q, const void *msg, size_t len, long type,
                               int timeout_ms);

/*
 * Receives the message that `type` and `flags` select (see above) into
 * `buf`, waiting up to `timeout_ms` for one. Returns its length and stores
 * its type in *got_type (if not NULL). A message longer than `cap` is an
 * error, IPCX_EMSGSIZE, and stays queued, unless `flags` has
 * IPCX_SYSVMSG_TRUNCATE: then its first `cap` bytes are returned and the
 * rest is discarded (the kernel does not say whether it cut anything).
 * Errors: IPCX_ETIMEDOUT, IPCX_EAGAIN (nothing selected and IPCX_NOWAIT),
 * IPCX_EMSGSIZE, IPCX_EINVAL (unknown flag, IPCX_SYSVMSG_EXCEPT with
 * type <= 0, NULL buf with cap > 0), IPCX_EACCES, IPCX_EIDRM (removed,
 * also while waiting), IPCX_ENOMEM.
 */
IPCX_API ssize_t ipcx_sysvmsg_recv(struct ipcx_sysvmsg *q, void *buf, size_t cap, long type,
                                   unsigned flags, long *got_type, int timeout_ms);

/* Fills *st with the queue's status now. Errors: IPCX_EINVAL, IPCX_EACCES, IPCX_EIDRM. */
IPCX_API int ipcx_sysvmsg_get_status(const struct ipcx_sysvmsg *q, struct ipcx_sysvmsg_status *st);

/*
 * Removes the queue at once, with its messages: waiting senders and
 * receivers (in any process) get IPCX_EIDRM. The handle must still be
 * closed. Errors: IPCX_EINVAL, IPCX_EPERM (neither owner nor creator),
 * IPCX_EIDRM (already removed).
 */
IPCX_API int ipcx_sysvmsg_remove(struct ipcx_sysvmsg *q);

/* Frees the handle; the queue remains. NULL is ignored. */
IPCX_API void ipcx_sysvmsg_close(struct ipcx_sysvmsg *q);

#ifdef __cplusplus
}
#endif

#endif
