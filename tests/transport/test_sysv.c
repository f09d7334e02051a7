/* SPDX-License-Identifier: MIT */
/*
 * test_sysv.c: the sysv://KEY transport: the kernel's type is the
 * message's type plus one, priority and id travel in the header, across
 * processes; several dialers in forked and exec'ed processes into one
 * listener; the largest message and one byte more; timeouts and the
 * receiving descriptor driven by ipcx_link_arm(); the queue created
 * exclusively with mode 0600 and removed only once both the listener and
 * its link are closed; garbage sent straight into the queue gives
 * IPCX_EPROTO; bad URLs; no descriptor left.
 * ipcx-test: label=transport timeout=90
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include "oneway_test.h"

static key_t key;
static char url[64];

static void setup(void)
{
    key = (key_t)(tsup_random32() | 0x10000000u);
    snprintf(url, sizeof url, "sysv://%d", (int)key);
}

static void teardown(void)
{
    int id = msgget(key, 0);
    if (id >= 0)
        msgctl(id, IPC_RMID, NULL);
}

TestSuite(sysv, .init = setup, .fini = teardown);

static bool queue_exists(void)
{
    return msgget(key, 0) >= 0;
}

static int send_typed(void *arg)
{
    (void)arg;
    struct ipcx_link *k = NULL;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, url, NULL, 2000) == 0);
    struct ipcx_msg m1 = ow_msg("seven", 5, 7, 3, 111);
    struct ipcx_msg m2 = ow_msg("zero", 4, 0, IPCX_MSG_PRIO_MAX, UINT64_MAX);
    struct ipcx_msg m3 = ow_msg("", 0, LONG_MAX - 1, 0, 0);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m1, 1000) == 0);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m2, 1000) == 0);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m3, 1000) == 0);
    struct ipcx_msg m4 = ow_msg("", 0, LONG_MAX, 0, 0);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m4, 1000) == IPCX_EINVAL);
    ipcx_link_close(k);
    return 0;
}

Test(sysv, types_are_the_kernels_and_attributes_cross_processes)
{
    int fds = tsup_fd_count();
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    char got[64], want[64];
    cr_assert_gt(ipcx_listener_url(l, got, sizeof got), 0);
    snprintf(want, sizeof want, "sysv://0x%08x", (unsigned)key);
    cr_assert_str_eq(got, want);
    struct ipcx_link *rx = ow_accept_once(l);
    struct ipcx_link_caps c;
    cr_assert_eq(ipcx_link_caps(rx, &c), 0);
    cr_assert_eq(c.flags, (unsigned)ipcx_link_scheme_caps(url, 1));
    cr_assert(c.flags & IPCX_LINK_NATIVE_TYPE && c.flags & IPCX_LINK_SHARED);
    cr_assert(!(c.flags & (IPCX_LINK_NATIVE_PRIO | IPCX_LINK_PEER_DEATH | IPCX_LINK_SEND)));

    pid_t pid = tsup_fork(send_typed, NULL);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);

    /* The kernel holds type + 1: select type 7 (mtype 8) out of order. */
    int id = msgget(key, 0);
    cr_assert_geq(id, 0);
    struct {
        long mtype;
        char text[64];
    } raw;
    ssize_t n = msgrcv(id, &raw, sizeof raw.text, 8, IPC_NOWAIT);
    cr_assert_eq(n, 24 + 5);
    cr_assert_arr_eq(raw.text + 24, "seven", 5);
    ow_expect(rx, "zero", 4, 0, IPCX_MSG_PRIO_MAX, UINT64_MAX);
    ow_expect(rx, "", 0, LONG_MAX - 1, 0, 0);

    ipcx_link_close(rx);
    ipcx_listener_close(l);
    cr_assert(!queue_exists());
    cr_assert_eq(tsup_fd_count(), fds);
}

Test(sysv, several_dialers_into_one_listener)
{
    int fds = tsup_fd_count();
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    struct ipcx_link *rx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 1000), 0);
    ow_many_to_one(rx, url, 3, 100, true);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
    cr_assert(!queue_exists());
    cr_assert_eq(tsup_fd_count(), fds);
}

Test(sysv, largest_message_and_one_byte_more)
{
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    struct ipcx_link *rx = NULL, *tx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 1000), 0);
    struct ipcx_link_caps c;
    cr_assert_eq(ipcx_link_caps(tx, &c), 0);
    cr_assert_eq(c.max_msg, 8192u - 24, "msgmax 8192 here, less the header: %zu", c.max_msg);
    char *big = malloc(c.max_msg + 1);
    for (size_t i = 0; i <= c.max_msg; i++)
        big[i] = (char)(i * 13 + 1);
    struct ipcx_msg m = ow_msg(big, c.max_msg, 4, 9, 99);
    cr_assert_eq(ipcx_link_send(tx, &m, 1000), 0);
    m.size++;
    cr_assert_eq(ipcx_link_send(tx, &m, 1000), IPCX_EMSGSIZE);
    ow_expect(rx, big, c.max_msg, 4, 9, 99);
    free(big);

    struct ipcx_link *k = NULL;
    struct ipcx_link_opts o = {.max_msg = 8192};
    cr_assert_eq(ipcx_link_dial(&k, url, &o, 0), IPCX_EINVAL);
    cr_assert_null(k);
    ipcx_link_close(tx);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
}

static int send_late(void *arg)
{
    (void)arg;
    struct ipcx_link *k = NULL;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, url, NULL, 2000) == 0);
    usleep(150 * 1000);
    struct ipcx_msg m = ow_msg("late", 4, 2, 0, 0);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m, 1000) == 0);
    ipcx_link_close(k);
    return 0;
}

Test(sysv, timeouts_and_a_pollable_receive)
{
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    struct ipcx_link *rx = NULL, *tx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 0), 0);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(rx, &m, IPCX_NOWAIT), IPCX_EAGAIN);
    OW_ASSERT_TIMED(ipcx_link_recv(rx, &m, 200), 200);

    /* An event loop: arm, poll the descriptor, receive without waiting. A
     * message sent 150 ms later by another process is picked up. */
    pid_t pid = tsup_fork(send_late, NULL);
    cr_assert_gt(pid, 0);
    int64_t end = tsup_now_ms() + 5000;
    int wakeups = 0, rc;
    for (;;) {
        cr_assert_lt(tsup_now_ms(), end, "no message seen");
        int armed = ipcx_link_arm(rx);
        cr_assert_geq(armed, 0);
        if (!armed) {
            struct pollfd p = {ipcx_link_fd(rx), POLLIN, 0};
            cr_assert_eq(poll(&p, 1, 2000), 1, "the descriptor wakes the loop");
            wakeups++;
        }
        rc = ipcx_link_recv(rx, &m, IPCX_NOWAIT);
        if (rc != IPCX_EAGAIN)
            break;
    }
    cr_assert_eq(rc, 0);
    cr_assert_eq(m.size, 4u);
    ipcx_msg_release(&m);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    /* About one look per millisecond at most, not a spin. */
    cr_assert_lt(wakeups, 1000, "%d wake-ups", wakeups);

    /* Full: a send waits for room, then gives up. */
    struct ipcx_msg s = ow_msg(NULL, 0, 0, 0, 0);
    char chunk[4000] = {0};
    s.data = chunk;
    s.size = sizeof chunk;
    while (ipcx_link_send(tx, &s, IPCX_NOWAIT) == 0)
        ;
    cr_assert_eq(ipcx_link_send(tx, &s, IPCX_NOWAIT), IPCX_EAGAIN);
    OW_ASSERT_TIMED(ipcx_link_send(tx, &s, 200), 200);
    cr_assert_eq(ipcx_link_arm(rx), 1, "messages wait: do not poll");
    ipcx_link_close(tx);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
}

Test(sysv, queue_removed_when_listener_and_link_are_both_closed)
{
    int fds = tsup_fd_count();
    struct ipcx_listener *l, *l2;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    int id = msgget(key, 0);
    struct msqid_ds ds;
    cr_assert_eq(msgctl(id, IPC_STAT, &ds), 0);
    cr_assert_eq(ds.msg_perm.mode & 0777, 0600);
    cr_assert_eq(ipcx_link_listen(&l2, url, NULL), IPCX_EEXIST);

    struct ipcx_link *rx = NULL, *tx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    ipcx_listener_close(l);
    cr_assert(queue_exists(), "the link still receives from it");
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 0), 0);
    struct ipcx_msg m = ow_msg("still", 5, 0, 1, 2);
    cr_assert_eq(ipcx_link_send(tx, &m, 1000), 0);
    ow_expect(rx, "still", 5, 0, 1, 2);
    ipcx_link_close(rx);
    cr_assert(!queue_exists());
    cr_assert_eq(ipcx_link_send(tx, &m, 1000), IPCX_ECLOSED);
    ipcx_link_close(tx);

    /* The other order, and a listener never accepted. */
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    ipcx_link_close(rx);
    cr_assert(queue_exists());
    ipcx_listener_close(l);
    cr_assert(!queue_exists());
    struct ipcx_link_opts o = {.mode = 0620};
    cr_assert_eq(ipcx_link_listen(&l, url, &o), 0);
    cr_assert_eq(msgctl(msgget(key, 0), IPC_STAT, &ds), 0);
    cr_assert_eq(ds.msg_perm.mode & 0777, 0620);
    ipcx_listener_close(l);
    cr_assert(!queue_exists());
    cr_assert_eq(tsup_fd_count(), fds);
}

Test(sysv, garbage_in_the_queue_is_a_protocol_error)
{
    struct {
        long mtype;
        unsigned char text[64];
    } raw = {0};
    struct {
        long mtype;
        size_t len;
    } cases[] = {
        {1, 40}, /* no magic */
        {5, 24}, /* a valid header of type 0 sent with kernel type 5 */
        {1, 10}, /* shorter than a header */
        {1, 30}, /* the header says no body, six bytes came */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ipcx_listener *l;
        struct ipcx_link *rx = NULL;
        cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
        cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
        memset(raw.text, 'g', sizeof raw.text);
        if (i > 0) {
            memset(raw.text, 0, 24);
            raw.text[0] = 'i';
            raw.text[1] = 'm';
            raw.text[2] = 1;
        }
        raw.mtype = cases[i].mtype;
        cr_assert_eq(msgsnd(msgget(key, 0), &raw, cases[i].len, 0), 0);
        struct ipcx_msg m;
        cr_assert_eq(ipcx_link_recv(rx, &m, 1000), IPCX_EPROTO, "case %zu", i);
        cr_assert_eq(ipcx_link_recv(rx, &m, 0), IPCX_EPROTO);
        ipcx_link_close(rx);
        ipcx_listener_close(l);
    }
    cr_assert(!queue_exists());
}

Test(sysv, bad_urls)
{
    static const char *const bad[] = {
        "sysv://notanumber", "sysv://",     "sysv://0",  "sysv://0x",  "sysv://-5",
        "sysv://4294967296", "sysv://0x1g", "sysv:1234", "sysv:// 12", "sysv://12abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ipcx_listener *l = NULL;
        struct ipcx_link *k = NULL;
        cr_assert_eq(ipcx_link_listen(&l, bad[i], NULL), IPCX_EBADURL, "%s", bad[i]);
        cr_assert_eq(ipcx_link_dial(&k, bad[i], NULL, 0), IPCX_EBADURL, "%s", bad[i]);
    }
    struct ipcx_link *k = NULL;
    cr_assert_eq(ipcx_link_dial(&k, url, NULL, 100), IPCX_ENOENT, "nobody listens");
    /* Hex works as well as decimal. */
    char hex[64];
    snprintf(hex, sizeof hex, "sysv://0X%X", (unsigned)key);
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, hex, NULL), 0);
    cr_assert_eq(ipcx_link_dial(&k, url, NULL, 0), 0);
    ipcx_link_close(k);
    ipcx_listener_close(l);
}
