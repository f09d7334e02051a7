/* SPDX-License-Identifier: MIT */
/*
 * test_chan_api.c: channel calls that need no peer: argument checks, what
 * each pattern may do (ENOTSUP with a reason), capacity fixed once used,
 * receive and event timeouts, bad URLs, subscriptions, statistics, and
 * that a channel leaks no descriptor.
 * ipcx-test: label=unit timeout=30
 */
#include <criterion/criterion.h>
#include <string.h>

#include <ipcx.h>

#include "tsup.h"

Test(chan_api, open_checks_arguments)
{
    struct ipcx_chan *c;
    cr_assert_eq(ipcx_chan_open(NULL, IPCX_PAIR, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_chan_open(&c, 0, NULL), IPCX_EINVAL);
    cr_assert_null(c);
    cr_assert_eq(ipcx_chan_open(&c, IPCX_REP + 1, NULL), IPCX_EINVAL);
    struct ipcx_chan_opts o = {.flags = 0x80};
    cr_assert_eq(ipcx_chan_open(&c, IPCX_PAIR, &o), IPCX_EINVAL);
    o = (struct ipcx_chan_opts){.full = 9};
    cr_assert_eq(ipcx_chan_open(&c, IPCX_PAIR, &o), IPCX_EINVAL);
    o = (struct ipcx_chan_opts){.flags = IPCX_CHAN_PRIORITY};
    cr_assert_eq(ipcx_chan_open(&c, IPCX_PAIR, &o), 0);
    ipcx_chan_close(c, 0);
    ipcx_chan_close(NULL, 0);
}

Test(chan_api, no_descriptor_leaks)
{
    int base = tsup_fd_count();
    for (int p = IPCX_PAIR; p <= IPCX_REP; p++) {
        struct ipcx_chan *c;
        cr_assert_eq(ipcx_chan_open(&c, (enum ipcx_pattern)p, NULL), 0);
        ipcx_chan_close(c, 0);
    }
    cr_assert_eq(tsup_fd_count(), base);
}

Test(chan_api, what_each_pattern_may_do)
{
    struct ipcx_chan *c;
    struct ipcx_msg m = ipcx_msg_of("x", 1), r;
    cr_assert_eq(ipcx_chan_open(&c, IPCX_SUB, NULL), 0);
    cr_assert_eq(ipcx_chan_send(c, &m, 0), IPCX_ENOTSUP);
    cr_assert(strlen(ipcx_chan_last_reason()) > 0);
    ipcx_chan_close(c, 0);
    cr_assert_eq(ipcx_chan_open(&c, IPCX_PULL, NULL), 0);
    cr_assert_eq(ipcx_chan_send(c, &m, 0), IPCX_ENOTSUP);
    cr_assert_eq(ipcx_chan_subscribe(c, "a", 1), IPCX_ENOTSUP);
    cr_assert_eq(ipcx_chan_recv_reply(c, 1, &r, 0), IPCX_ENOTSUP);
    ipcx_chan_close(c, 0);
    cr_assert_eq(ipcx_chan_open(&c, IPCX_PUB, NULL), 0);
    cr_assert_eq(ipcx_chan_recv(c, &r, 0), IPCX_ENOTSUP);
    cr_assert_eq(ipcx_chan_send(c, &m, 0), 0, "a publisher without subscribers sends nowhere");
    ipcx_chan_close(c, 0);
    cr_assert_eq(ipcx_chan_open(&c, IPCX_PUSH, NULL), 0);
    cr_assert_eq(ipcx_chan_recv_select(c, &r, IPCX_SEL_EXACT, 1, 0), IPCX_ENOTSUP);
    ipcx_chan_close(c, 0);
}

Test(chan_api, bad_messages_and_selections)
{
    struct ipcx_chan *c;
    struct ipcx_chan_opts o = {.max_msg = 8};
    cr_assert_eq(ipcx_chan_open(&c, IPCX_PAIR, &o), 0);
    struct ipcx_msg m = ipcx_msg_of(NULL, 3), r;
    cr_assert_eq(ipcx_chan_send(c, &m, 0), IPCX_EINVAL);
    m = ipcx_msg_of("x", 1);
    m.type = -1;
    cr_assert_eq(ipcx_chan_send(c, &m, 0), IPCX_EINVAL);
    m.type = 0;
    m.priority = IPCX_MSG_PRIO_MAX + 1;
    cr_assert_eq(ipcx_chan_send(c, &m, 0), IPCX_EINVAL);
    m = ipcx_msg_of("123456789", 9);
    cr_assert_eq(ipcx_chan_send(c, &m, 0), IPCX_EMSGSIZE);
    cr_assert_eq(ipcx_chan_send(c, NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_chan_recv(c, NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_chan_recv_select(c, &r, 7, 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_chan_recv_select(c, &r, IPCX_SEL_EXACT, -2, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_chan_recv(c, &r, -5), IPCX_EINVAL);
    ipcx_chan_close(c, 0);
}

Test(chan_api, receive_without_peers_times_out)
{
    struct ipcx_chan *c;
    struct ipcx_msg r;
    cr_assert_eq(ipcx_chan_open(&c, IPCX_PULL, NULL), 0);
    cr_assert_eq(ipcx_chan_recv(c, &r, IPCX_NOWAIT), IPCX_EAGAIN);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_chan_recv(c, &r, 150), IPCX_ETIMEDOUT);
    int64_t dt = tsup_now_ms() - t0;
    cr_assert(dt >= 150 && dt < 150 + 250, "took %lld ms", (long long)dt);
    struct ipcx_chan_event ev;
    t0 = tsup_now_ms();
    cr_assert_eq(ipcx_chan_event(c, &ev, 100), IPCX_ETIMEDOUT);
    dt = tsup_now_ms() - t0;
    cr_assert(dt >= 100 && dt < 100 + 250, "took %lld ms", (long long)dt);
    ipcx_chan_close(c, 0);
}

Test(chan_api, send_waits_for_a_peer)
{
    struct ipcx_chan *c;
    cr_assert_eq(ipcx_chan_open(&c, IPCX_PUSH, NULL), 0);
    struct ipcx_msg m = ipcx_msg_of("x", 1);
    cr_assert_eq(ipcx_chan_send(c, &m, IPCX_NOWAIT), IPCX_EAGAIN);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_chan_send(c, &m, 120), IPCX_ETIMEDOUT);
    cr_assert(tsup_now_ms() - t0 >= 120);
    ipcx_chan_close(c, 0);
}

Test(chan_api, rep_needs_the_request_it_answers)
{
    struct ipcx_chan *c;
    cr_assert_eq(ipcx_chan_open(&c, IPCX_REP, NULL), 0);
    struct ipcx_msg m = ipcx_msg_of("x", 1);
    cr_assert_eq(ipcx_chan_send(c, &m, 0), IPCX_EINVAL, "no peer, no id");
    m.peer = 3;
    m.id = 9;
    cr_assert_eq(ipcx_chan_send(c, &m, 0), IPCX_ECLOSED, "that requester is not here");
    ipcx_chan_close(c, 0);
}

Test(chan_api, bad_urls_and_capacity)
{
    struct ipcx_chan *c;
    cr_assert_eq(ipcx_chan_open(&c, IPCX_PAIR, NULL), 0);
    cr_assert_eq(ipcx_chan_listen(c, "nosuch://x", NULL), IPCX_EBADURL);
    cr_assert_eq(ipcx_chan_dial(c, "", NULL, 0), IPCX_EBADURL);
    cr_assert_eq(ipcx_chan_dial(c, NULL, NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_chan_listen(NULL, "unix://@x", NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_chan_set_capacity(c, 4, 77), IPCX_EINVAL);
    cr_assert_eq(ipcx_chan_set_capacity(c, 0, IPCX_FULL_BLOCK), 0, "failed listens fix nothing");
    cr_assert_eq(ipcx_chan_close_endpoint(c, 1), IPCX_ENOENT);
    cr_assert_eq(ipcx_chan_close_endpoint(c, 0), IPCX_EINVAL);
    ipcx_chan_close(c, 0);
}

Test(chan_api, subscriptions)
{
    struct ipcx_chan *c;
    cr_assert_eq(ipcx_chan_open(&c, IPCX_SUB, NULL), 0);
    cr_assert_eq(ipcx_chan_subscribe(c, "news.", 5), 0);
    cr_assert_eq(ipcx_chan_subscribe(c, "news.", 5), 0, "twice is once");
    cr_assert_eq(ipcx_chan_subscribe(c, NULL, 0), 0, "empty prefix: everything");
    cr_assert_eq(ipcx_chan_subscribe(c, NULL, 3), IPCX_EINVAL);
    cr_assert_eq(ipcx_chan_unsubscribe(c, "news.", 5), 0);
    cr_assert_eq(ipcx_chan_unsubscribe(c, "news.", 5), IPCX_ENOENT);
    cr_assert_eq(ipcx_chan_unsubscribe(c, "", 0), 0);
    ipcx_chan_close(c, 0);
}

Test(chan_api, stats_start_at_zero)
{
    struct ipcx_chan *c;
    struct ipcx_chan_stats st;
    cr_assert_eq(ipcx_chan_open(&c, IPCX_PUB, NULL), 0);
    struct ipcx_msg m = ipcx_msg_of("x", 1);
    cr_assert_eq(ipcx_chan_send(c, &m, 0), 0);
    cr_assert_eq(ipcx_chan_stats(c, &st), 0);
    cr_assert_eq(st.sent, 1);
    cr_assert_eq(st.received + st.dropped + st.lost + st.peers + st.peers_joined, 0);
    cr_assert_eq(ipcx_chan_stats(c, NULL), IPCX_EINVAL);
    ipcx_chan_close(c, 0);
}
