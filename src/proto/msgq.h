/* SPDX-License-Identifier: MIT */
/*
 * proto/msgq.h: the message queue of a channel: a receive queue that
 * orders by priority (highest first, FIFO within one priority) and selects
 * by type with the System V rules, or a plain FIFO for a peer's send queue.
 * Also the full-queue decision every queue of a channel makes.
 *
 * The queue keeps one list per priority and a bitmap of the non-empty
 * ones: taking the next message of any type is O(1); a typed or by-id
 * selection scans in delivery order and stops at the first match (UPTO
 * scans everything, since the lowest type wins). Nodes own their message
 * (ipcx_msg_release() frees it). Not thread-safe: the channel locks.
 */
#ifndef IPCX_PROTO_MSGQ_H
#define IPCX_PROTO_MSGQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ipcx/chan.h>
#include <ipcx/msg.h>

struct ipcx__qnode {
    struct ipcx__qnode *next;
    struct ipcx_msg m; /* owned */
    uint64_t seq;      /* arrival order in its queue */
    uint64_t ack;      /* rendezvous: the sequence to acknowledge when taken */
    bool want_ack;
};

struct ipcx__msgq {
    struct {
        struct ipcx__qnode *head, *tail;
    } lvl[IPCX_MSG_PRIO_MAX + 1];
    uint32_t nonempty; /* bit p: lvl[p] holds a message */
    size_t count;
    uint64_t next_seq;
    bool fifo; /* ignore priorities (a send queue) */
};

void ipcx__msgq_init(struct ipcx__msgq *q, bool fifo);

/* Appends `n` (its priority decides the list unless the queue is a FIFO). */
void ipcx__msgq_push(struct ipcx__msgq *q, struct ipcx__qnode *n);

/* True when a message of type `t` is selected by (`sel`, `type`). */
bool ipcx__msgq_match(enum ipcx_select sel, long type, long t);

/* Removes and returns the message a receive with (`sel`, `type`) gets, or NULL. */
struct ipcx__qnode *ipcx__msgq_take(struct ipcx__msgq *q, enum ipcx_select sel, long type);

/* Removes and returns the first message (delivery order) whose id is `id`, or NULL. */
struct ipcx__qnode *ipcx__msgq_take_id(struct ipcx__msgq *q, uint64_t id);

/* Removes and returns the earliest arrival (whatever its priority), or NULL. */
struct ipcx__qnode *ipcx__msgq_take_oldest(struct ipcx__msgq *q);

/* Removes and returns the latest arrival (whatever its priority), or NULL. */
struct ipcx__qnode *ipcx__msgq_take_newest(struct ipcx__msgq *q);

/* The first message in delivery order without removing it, or NULL. */
struct ipcx__qnode *ipcx__msgq_peek(const struct ipcx__msgq *q);

/* Frees a node and what its message owns. */
void ipcx__qnode_free(struct ipcx__qnode *n);

/* Frees every node; returns how many there were. */
size_t ipcx__msgq_clear(struct ipcx__msgq *q);

/* What a queue holding `count` of `capacity` does with one more message. */
enum ipcx__admit {
    IPCX__ADMIT = 0,         /* room: queue it */
    IPCX__ADMIT_DROP_OLDEST, /* drop the oldest (counted), then queue it */
    IPCX__DROP_NEWEST,       /* drop the new one (counted); the send succeeds */
    IPCX__REFUSE,            /* FAIL: IPCX_EAGAIN */
    IPCX__WAIT,              /* BLOCK: wait for room */
};

enum ipcx__admit ipcx__admit(size_t count, size_t capacity, enum ipcx_full full);

#endif
