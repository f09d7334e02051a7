/* SPDX-License-Identifier: MIT */
/*
 * ipcx/posixmq.h: POSIX message queues.
 *
 * A queue is a kernel object with a name ("/name"), holding up to a fixed
 * number of messages of up to a fixed size. Each message has a priority
 * (0 to IPCX_POSIXMQ_PRIO_MAX); a receive always takes the oldest message
 * of the highest priority present: highest priority first, FIFO within a
 * priority. Names are created exclusively with mode 0600 (set explicitly,
 * whatever the umask) unless asked otherwise.
 *
 * A handle's descriptor is close-on-exec (the kernel makes every queue
 * descriptor so) and non-blocking; the calls wait for room or messages with
 * poll() until their deadline, and the descriptor can be polled by the
 * caller too (POLLIN: a message is there; POLLOUT: there is room).
 *
 * Thread-safety: any number of threads may send and receive on one handle
 * at once; ipcx_posixmq_close() must not race with other calls on it.
 * After fork the child shares the handle's descriptor (and its queue).
 *
 * Persistence: kernel. The queue and the messages in it remain after every
 * process has closed it, until ipcx_posixmq_unlink() (or reboot).
 */
#ifndef IPCX_POSIXMQ_H
#define IPCX_POSIXMQ_H

#include <stddef.h>
#include <sys/types.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ipcx_posixmq;

/* The highest message priority (Linux: MQ_PRIO_MAX - 1). */
#define IPCX_POSIXMQ_PRIO_MAX 32767u

/* Access for ipcx_posixmq_open() and the `access` option; 0 means both. */
#define IPCX_POSIXMQ_SEND 0x1u
#define IPCX_POSIXMQ_RECV 0x2u

/* Options for ipcx_posixmq_create(); all-zero means the defaults. */
struct ipcx_posixmq_opts {
    unsigned mode;   /* permission bits (within 0777); 0 means 0600 */
    long max_msgs;   /* capacity in messages; 0: /proc/sys/fs/mqueue/msg_default */
    long msg_size;   /* largest message in bytes; 0: /proc/sys/fs/mqueue/msgsize_default */
    unsigned access; /* IPCX_POSIXMQ_SEND and/or IPCX_POSIXMQ_RECV; 0 means both */
};

/* A queue's attributes. */
struct ipcx_posixmq_attr {
    long max_msgs; /* capacity in messages */
    long msg_size; /* largest message, and the smallest receive buffer */
    long cur_msgs; /* messages queued now */
};

/*
 * Creates the queue `name` exclusively and opens it; close the handle with
 * ipcx_posixmq_close(), remove the queue with ipcx_posixmq_unlink(). Does
 * not block. Errors: IPCX_EINVAL (bad name, NULL out, negative sizes, mode
 * outside 0777, unknown access bits, sizes above the system limits),
 * IPCX_ENAMETOOLONG, IPCX_EEXIST, IPCX_EMFILE (RLIMIT_MSGQUEUE or descriptor
 * limit reached), IPCX_ENOSPC (queues_max reached), IPCX_ENOMEM. A failed
 * call leaves no queue behind.
 */
IPCX_API int ipcx_posixmq_create(struct ipcx_posixmq **out, const char *name,
                                 const struct ipcx_posixmq_opts *opts);

/*
 * Opens the existing queue `name` for `access` (0: send and receive).
 * Errors: IPCX_EINVAL, IPCX_ENAMETOOLONG, IPCX_ENOENT, IPCX_EACCES,
 * IPCX_EMFILE. Close with ipcx_posixmq_close().
 */
IPCX_API int ipcx_posixmq_open(struct ipcx_posixmq **out, const char *name, unsigned access);

/*
 * Sends `len` bytes as one message of priority `prio`, waiting up to
 * `timeout_ms` for room. The bytes are copied: `msg` stays the caller's.
 * Returns 0. Errors: IPCX_EMSGSIZE (longer than the queue's msg_size),
 * IPCX_ETIMEDOUT (still full), IPCX_EAGAIN (full and IPCX_NOWAIT),
 * IPCX_EINVAL (prio above IPCX_POSIXMQ_PRIO_MAX, NULL msg with len > 0),
 * IPCX_EBADF (not open for sending).
 */
IPCX_API int ipcx_posixmq_send(struct ipcx_posixmq *q, const void *msg, size_t len, unsigned prio,
                               int timeout_ms);

/*
 * Receives the oldest message of the highest priority, waiting up to
 * `timeout_ms` for one. `cap` must be at least the queue's msg_size (see
 * ipcx_posixmq_get_attr()), whatever the length of the message waiting:
 * otherwise IPCX_EMSGSIZE and the message stays queued. Returns the
 * message's length and stores its priority in *prio (if not NULL). Errors:
 * IPCX_ETIMEDOUT, IPCX_EAGAIN (empty and IPCX_NOWAIT), IPCX_EMSGSIZE,
 * IPCX_EINVAL, IPCX_EBADF (not open for receiving).
 */
IPCX_API ssize_t ipcx_posixmq_recv(struct ipcx_posixmq *q, void *buf, size_t cap, unsigned *prio,
                                   int timeout_ms);

/* Fills *attr with the queue's attributes now. Returns 0 or a negative code. */
IPCX_API int ipcx_posixmq_get_attr(const struct ipcx_posixmq *q, struct ipcx_posixmq_attr *attr);

/* The queue descriptor (non-blocking) for poll(); borrowed. -1 for NULL. */
IPCX_API int ipcx_posixmq_fd(const struct ipcx_posixmq *q);

/* Closes the handle; the queue and its messages remain. NULL is ignored. */
IPCX_API void ipcx_posixmq_close(struct ipcx_posixmq *q);

/*
 * Removes the name `name`: no new open finds it; processes that have the
 * queue open keep using it, and it is freed when the last one closes it.
 * Errors: IPCX_EINVAL, IPCX_ENAMETOOLONG, IPCX_ENOENT, IPCX_EACCES.
 */
IPCX_API int ipcx_posixmq_unlink(const char *name);

#ifdef __cplusplus
}
#endif

#endif
