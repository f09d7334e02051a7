/* SPDX-License-Identifier: MIT */
/*
 * test_msgq.c: the channel's queues and wire rules without any transport:
 * System V type selection (any, exact, lowest up to, except), priority
 * order (highest first, FIFO within one), by-id takes, the oldest arrival,
 * the full-queue decision of each policy, the hello encoding, which
 * patterns meet, and which link ends a pattern can use.
 * ipcx-test: label=unit timeout=30
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx.h>

#include "proto/msgq.h"
#include "proto/wire.h"

static void push(struct ipcx__msgq *q, long type, unsigned prio, uint64_t id)
{
    struct ipcx__qnode *n = calloc(1, sizeof *n);
    cr_assert_not_null(n);
    n->m.type = type;
    n->m.priority = prio;
    n->m.id = id;
    ipcx__msgq_push(q, n);
}

/* Takes one with (sel, type) and returns its id, or 0 when nothing matched. */
static uint64_t take(struct ipcx__msgq *q, enum ipcx_select sel, long type)
{
    struct ipcx__qnode *n = ipcx__msgq_take(q, sel, type);
    if (!n)
        return 0;
    uint64_t id = n->m.id;
    ipcx__qnode_free(n);
    return id;
}

Test(msgq, priority_highest_first_fifo_within)
{
    struct ipcx__msgq q;
    ipcx__msgq_init(&q, false);
    push(&q, 0, 0, 1);
    push(&q, 0, 3, 2);
    push(&q, 0, 1, 3);
    push(&q, 0, 3, 4);
    push(&q, 0, 0, 5);
    push(&q, 0, 31, 6);
    cr_assert_eq(q.count, 6);
    uint64_t want[] = {6, 2, 4, 3, 1, 5};
    for (size_t i = 0; i < 6; i++)
        cr_assert_eq(take(&q, IPCX_SEL_ANY, 0), want[i], "position %zu", i);
    cr_assert_eq(take(&q, IPCX_SEL_ANY, 0), 0);
    cr_assert_eq(q.count, 0);
}

Test(msgq, fifo_queue_ignores_priority)
{
    struct ipcx__msgq q;
    ipcx__msgq_init(&q, true);
    push(&q, 0, 0, 1);
    push(&q, 0, 9, 2);
    push(&q, 0, 3, 3);
    for (uint64_t i = 1; i <= 3; i++)
        cr_assert_eq(take(&q, IPCX_SEL_ANY, 0), i);
}

Test(msgq, exact_and_except)
{
    struct ipcx__msgq q;
    ipcx__msgq_init(&q, false);
    push(&q, 5, 0, 1);
    push(&q, 7, 0, 2);
    push(&q, 5, 2, 3);
    push(&q, 9, 0, 4);
    cr_assert_eq(take(&q, IPCX_SEL_EXACT, 8), 0, "no type 8");
    cr_assert_eq(take(&q, IPCX_SEL_EXACT, 5), 3, "type 5, higher priority first");
    cr_assert_eq(take(&q, IPCX_SEL_EXACT, 5), 1);
    cr_assert_eq(take(&q, IPCX_SEL_EXACT, 5), 0);
    cr_assert_eq(take(&q, IPCX_SEL_EXCEPT, 7), 4);
    cr_assert_eq(take(&q, IPCX_SEL_EXCEPT, 7), 0);
    cr_assert_eq(take(&q, IPCX_SEL_ANY, 0), 2);
}

Test(msgq, upto_takes_the_lowest_type_first)
{
    struct ipcx__msgq q;
    ipcx__msgq_init(&q, false);
    push(&q, 4, 0, 1);
    push(&q, 2, 0, 2);
    push(&q, 3, 5, 3);
    push(&q, 2, 7, 4);
    push(&q, 1, 0, 5);
    push(&q, 6, 0, 6);
    /* Lowest type <= 3 is 1; then 2 (priority 7 before 0); then 3. */
    cr_assert_eq(take(&q, IPCX_SEL_UPTO, 3), 5);
    cr_assert_eq(take(&q, IPCX_SEL_UPTO, 3), 4);
    cr_assert_eq(take(&q, IPCX_SEL_UPTO, 3), 2);
    cr_assert_eq(take(&q, IPCX_SEL_UPTO, 3), 3);
    cr_assert_eq(take(&q, IPCX_SEL_UPTO, 3), 0, "4 and 6 are above the bound");
    cr_assert_eq(take(&q, IPCX_SEL_UPTO, 0), 0);
    cr_assert_eq(q.count, 2);
    ipcx__msgq_clear(&q);
}

Test(msgq, match_rules)
{
    cr_assert(ipcx__msgq_match(IPCX_SEL_ANY, 3, 99));
    cr_assert(ipcx__msgq_match(IPCX_SEL_EXACT, 3, 3));
    cr_assert_not(ipcx__msgq_match(IPCX_SEL_EXACT, 3, 4));
    cr_assert(ipcx__msgq_match(IPCX_SEL_UPTO, 3, 0));
    cr_assert(ipcx__msgq_match(IPCX_SEL_UPTO, 3, 3));
    cr_assert_not(ipcx__msgq_match(IPCX_SEL_UPTO, 3, 4));
    cr_assert(ipcx__msgq_match(IPCX_SEL_EXCEPT, 3, 4));
    cr_assert_not(ipcx__msgq_match(IPCX_SEL_EXCEPT, 3, 3));
}

Test(msgq, take_by_id_and_oldest)
{
    struct ipcx__msgq q;
    ipcx__msgq_init(&q, false);
    push(&q, 0, 0, 10);
    push(&q, 0, 5, 11);
    push(&q, 0, 0, 12);
    push(&q, 0, 2, 13);
    struct ipcx__qnode *n = ipcx__msgq_take_id(&q, 12);
    cr_assert_not_null(n);
    cr_assert_eq(n->m.id, 12);
    ipcx__qnode_free(n);
    cr_assert_null(ipcx__msgq_take_id(&q, 12));
    n = ipcx__msgq_take_oldest(&q);
    cr_assert_eq(n->m.id, 10, "the earliest arrival, though its priority is lowest");
    ipcx__qnode_free(n);
    n = ipcx__msgq_take_oldest(&q);
    cr_assert_eq(n->m.id, 11);
    ipcx__qnode_free(n);
    cr_assert_eq(ipcx__msgq_peek(&q)->m.id, 13);
    cr_assert_eq(ipcx__msgq_clear(&q), 1);
    cr_assert_null(ipcx__msgq_take_oldest(&q));
}

Test(msgq, owned_bodies_are_freed)
{
    struct ipcx__msgq q;
    ipcx__msgq_init(&q, false);
    for (int i = 0; i < 100; i++) {
        struct ipcx__qnode *n = calloc(1, sizeof *n);
        n->m.data = malloc(64);
        n->m.size = 64;
        n->m.flags = IPCX_MSG_OWNED;
        ipcx__msgq_push(&q, n);
    }
    cr_assert_eq(ipcx__msgq_clear(&q), 100); /* ASan reports a leak if not freed */
}

Test(admit, each_policy)
{
    cr_assert_eq(ipcx__admit(0, 4, IPCX_FULL_BLOCK), IPCX__ADMIT);
    cr_assert_eq(ipcx__admit(3, 4, IPCX_FULL_FAIL), IPCX__ADMIT);
    cr_assert_eq(ipcx__admit(4, 4, IPCX_FULL_BLOCK), IPCX__WAIT);
    cr_assert_eq(ipcx__admit(4, 4, IPCX_FULL_FAIL), IPCX__REFUSE);
    cr_assert_eq(ipcx__admit(4, 4, IPCX_FULL_DROP_NEWEST), IPCX__DROP_NEWEST);
    cr_assert_eq(ipcx__admit(4, 4, IPCX_FULL_DROP_OLDEST), IPCX__ADMIT_DROP_OLDEST);
    cr_assert_eq(ipcx__admit(0, 0, IPCX_FULL_DROP_OLDEST), IPCX__DROP_NEWEST,
                 "nothing to push out of an empty queue");
    cr_assert_eq(ipcx__admit(0, 0, IPCX_FULL_BLOCK), IPCX__WAIT);
}

Test(wire, hello_round_trip)
{
    struct ipcx__hello h = {IPCX__CHAN_PROTO_VERSION, IPCX_SUB, IPCX__HELLO_BUSY, 70000}, g;
    unsigned char buf[IPCX__HELLO_SIZE];
    ipcx__hello_encode(&h, buf);
    cr_assert_eq(ipcx__hello_decode(buf, sizeof buf, &g), 0);
    cr_assert_eq(g.pattern, IPCX_SUB);
    cr_assert_eq(g.status, IPCX__HELLO_BUSY);
    cr_assert_eq(g.capacity, 70000);
}

Test(wire, hello_refuses_garbage)
{
    struct ipcx__hello h = {IPCX__CHAN_PROTO_VERSION, IPCX_PAIR, 0, 1}, g;
    unsigned char buf[IPCX__HELLO_SIZE];
    ipcx__hello_encode(&h, buf);
    cr_assert_eq(ipcx__hello_decode(buf, 15, &g), IPCX_EPROTO);
    cr_assert_eq(ipcx__hello_decode(NULL, 16, &g), IPCX_EPROTO);
    unsigned char bad[IPCX__HELLO_SIZE];
    memcpy(bad, buf, sizeof bad);
    bad[0] ^= 1;
    cr_assert_eq(ipcx__hello_decode(bad, sizeof bad, &g), IPCX_EPROTO, "magic");
    memcpy(bad, buf, sizeof bad);
    bad[5] = 0;
    cr_assert_eq(ipcx__hello_decode(bad, sizeof bad, &g), IPCX_EPROTO, "pattern 0");
    bad[5] = IPCX_REP + 1;
    cr_assert_eq(ipcx__hello_decode(bad, sizeof bad, &g), IPCX_EPROTO, "pattern past the last");
    memcpy(bad, buf, sizeof bad);
    bad[4] = 2;
    cr_assert_eq(ipcx__hello_decode(bad, sizeof bad, &g), IPCX_EVERSION);
}

Test(wire, patterns_that_meet)
{
    static const enum ipcx_pattern all[] = {IPCX_PAIR, IPCX_PUB, IPCX_SUB, IPCX_PUSH,
                                            IPCX_PULL, IPCX_REQ, IPCX_REP};
    int ok = 0;
    for (size_t i = 0; i < 7; i++)
        for (size_t j = 0; j < 7; j++)
            ok += ipcx__pattern_peer_ok(all[i], all[j]);
    cr_assert_eq(ok, 7, "pair-pair and both directions of pub-sub, push-pull, req-rep");
    cr_assert(ipcx__pattern_peer_ok(IPCX_PAIR, IPCX_PAIR));
    cr_assert(ipcx__pattern_peer_ok(IPCX_SUB, IPCX_PUB));
    cr_assert(ipcx__pattern_peer_ok(IPCX_PUSH, IPCX_PULL));
    cr_assert(ipcx__pattern_peer_ok(IPCX_REP, IPCX_REQ));
    cr_assert_not(ipcx__pattern_peer_ok(IPCX_PUB, IPCX_PUB));
    cr_assert_not(ipcx__pattern_peer_ok(IPCX_PAIR, IPCX_PUSH));
}

Test(wire, pattern_fits_link_ends)
{
    const unsigned two = IPCX_LINK_SEND | IPCX_LINK_RECV;
    const char *why = NULL;
    cr_assert_eq(ipcx__pattern_fits(IPCX_REQ, 16, two, false, &why), 0);
    cr_assert_eq(ipcx__pattern_fits(IPCX_PAIR, 0, two, true, &why), 0);
    cr_assert_eq(ipcx__pattern_fits(IPCX_PUSH, 16, IPCX_LINK_SEND, false, &why), 0);
    cr_assert_eq(ipcx__pattern_fits(IPCX_PULL, 16, IPCX_LINK_RECV, true, &why), 0);
    cr_assert_eq(ipcx__pattern_fits(IPCX_SUB, 16, IPCX_LINK_RECV | IPCX_LINK_SHARED, true, &why), 0,
                 "one subscriber owning its queue is fine");

    why = NULL;
    cr_assert_eq(ipcx__pattern_fits(IPCX_PAIR, 16, IPCX_LINK_SEND, false, &why), IPCX_ENOTSUP);
    cr_assert_not_null(why);
    why = NULL;
    cr_assert_eq(ipcx__pattern_fits(IPCX_PUSH, 16, IPCX_LINK_RECV, true, &why), IPCX_ENOTSUP);
    cr_assert(strstr(why, "listener") != NULL);
    cr_assert_eq(ipcx__pattern_fits(IPCX_PULL, 16, IPCX_LINK_SEND, false, &why), IPCX_ENOTSUP);
    cr_assert_eq(ipcx__pattern_fits(IPCX_PUB, 0, IPCX_LINK_SEND, false, &why), IPCX_ENOTSUP);
    cr_assert(strstr(why, "rendezvous") != NULL);
    cr_assert_eq(ipcx__pattern_fits(IPCX_SUB, 16, IPCX_LINK_RECV | IPCX_LINK_SHARED, false, &why),
                 IPCX_ENOTSUP, "subscribers sharing a queue would split the stream");
}
