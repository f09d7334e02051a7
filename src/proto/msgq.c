/* SPDX-License-Identifier: MIT */
/*
 * proto/msgq.c: priority lists with System V type selection (see
 * proto/msgq.h). Delivery order is: higher priority first, then arrival.
 */
#include <stdlib.h>

#include "proto/msgq.h"

void ipcx__msgq_init(struct ipcx__msgq *q, bool fifo)
{
    for (unsigned p = 0; p <= IPCX_MSG_PRIO_MAX; p++)
        q->lvl[p].head = q->lvl[p].tail = NULL;
    q->nonempty = 0;
    q->count = 0;
    q->next_seq = 0;
    q->fifo = fifo;
}

static unsigned level_of(const struct ipcx__msgq *q, const struct ipcx__qnode *n)
{
    return q->fifo ? 0 : n->m.priority;
}

void ipcx__msgq_push(struct ipcx__msgq *q, struct ipcx__qnode *n)
{
    unsigned p = level_of(q, n);
    n->next = NULL;
    n->seq = q->next_seq++;
    if (q->lvl[p].tail)
        q->lvl[p].tail->next = n;
    else
        q->lvl[p].head = n;
    q->lvl[p].tail = n;
    q->nonempty |= 1u << p;
    q->count++;
}

/* Unlinks `n` from level p, given its predecessor (NULL at the head). */
static struct ipcx__qnode *unlink_node(struct ipcx__msgq *q, unsigned p, struct ipcx__qnode *prev,
                                       struct ipcx__qnode *n)
{
    if (prev)
        prev->next = n->next;
    else
        q->lvl[p].head = n->next;
    if (q->lvl[p].tail == n)
        q->lvl[p].tail = prev;
    if (!q->lvl[p].head)
        q->nonempty &= ~(1u << p);
    q->count--;
    n->next = NULL;
    return n;
}

static int highest(uint32_t bits)
{
    return bits ? 31 - __builtin_clz(bits) : -1;
}

bool ipcx__msgq_match(enum ipcx_select sel, long type, long t)
{
    switch (sel) {
    case IPCX_SEL_ANY:
        return true;
    case IPCX_SEL_EXACT:
        return t == type;
    case IPCX_SEL_UPTO:
        return t <= type;
    case IPCX_SEL_EXCEPT:
        return t != type;
    }
    return false;
}

struct ipcx__qnode *ipcx__msgq_take(struct ipcx__msgq *q, enum ipcx_select sel, long type)
{
    if (sel == IPCX_SEL_ANY) {
        int p = highest(q->nonempty);
        return p < 0 ? NULL : unlink_node(q, (unsigned)p, NULL, q->lvl[p].head);
    }
    /* Scan in delivery order; UPTO keeps the first of the lowest type. */
    struct ipcx__qnode *best = NULL, *best_prev = NULL;
    int best_p = -1;
    for (uint32_t bits = q->nonempty; bits;) {
        int p = highest(bits);
        bits &= ~(1u << p);
        struct ipcx__qnode *prev = NULL;
        for (struct ipcx__qnode *n = q->lvl[p].head; n; prev = n, n = n->next) {
            if (!ipcx__msgq_match(sel, type, n->m.type))
                continue;
            if (sel != IPCX_SEL_UPTO)
                return unlink_node(q, (unsigned)p, prev, n);
            if (!best || n->m.type < best->m.type) {
                best = n;
                best_prev = prev;
                best_p = p;
            }
        }
    }
    return best ? unlink_node(q, (unsigned)best_p, best_prev, best) : NULL;
}

struct ipcx__qnode *ipcx__msgq_take_id(struct ipcx__msgq *q, uint64_t id)
{
    for (uint32_t bits = q->nonempty; bits;) {
        int p = highest(bits);
        bits &= ~(1u << p);
        struct ipcx__qnode *prev = NULL;
        for (struct ipcx__qnode *n = q->lvl[p].head; n; prev = n, n = n->next)
            if (n->m.id == id)
                return unlink_node(q, (unsigned)p, prev, n);
    }
    return NULL;
}

struct ipcx__qnode *ipcx__msgq_take_oldest(struct ipcx__msgq *q)
{
    int best = -1;
    for (uint32_t bits = q->nonempty; bits;) {
        int p = highest(bits);
        bits &= ~(1u << p);
        if (best < 0 || q->lvl[p].head->seq < q->lvl[best].head->seq)
            best = p;
    }
    return best < 0 ? NULL : unlink_node(q, (unsigned)best, NULL, q->lvl[best].head);
}

struct ipcx__qnode *ipcx__msgq_take_newest(struct ipcx__msgq *q)
{
    int best = -1;
    for (uint32_t bits = q->nonempty; bits;) {
        int p = highest(bits);
        bits &= ~(1u << p);
        if (best < 0 || q->lvl[p].tail->seq > q->lvl[best].tail->seq)
            best = p;
    }
    if (best < 0)
        return NULL;
    struct ipcx__qnode *prev = NULL, *n = q->lvl[best].head;
    while (n->next) {
        prev = n;
        n = n->next;
    }
    return unlink_node(q, (unsigned)best, prev, n);
}

struct ipcx__qnode *ipcx__msgq_peek(const struct ipcx__msgq *q)
{
    int p = highest(q->nonempty);
    return p < 0 ? NULL : q->lvl[p].head;
}

void ipcx__qnode_free(struct ipcx__qnode *n)
{
    if (!n)
        return;
    ipcx_msg_release(&n->m);
    free(n);
}

size_t ipcx__msgq_clear(struct ipcx__msgq *q)
{
    size_t k = 0;
    struct ipcx__qnode *n;
    while ((n = ipcx__msgq_take(q, IPCX_SEL_ANY, 0)) != NULL) {
        ipcx__qnode_free(n);
        k++;
    }
    return k;
}

enum ipcx__admit ipcx__admit(size_t count, size_t capacity, enum ipcx_full full)
{
    if (count < capacity)
        return IPCX__ADMIT;
    switch (full) {
    case IPCX_FULL_FAIL:
        return IPCX__REFUSE;
    case IPCX_FULL_DROP_NEWEST:
        return IPCX__DROP_NEWEST;
    case IPCX_FULL_DROP_OLDEST:
        /* With no room at all (capacity 0) there is nothing to make room in. */
        return capacity > 0 ? IPCX__ADMIT_DROP_OLDEST : IPCX__DROP_NEWEST;
    case IPCX_FULL_BLOCK:
    default:
        return IPCX__WAIT;
    }
}
