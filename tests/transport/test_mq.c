/* SPDX-License-Identifier: MIT */
/*
 * test_mq.c: the mq:///name transport: attributes kept (priority by the
 * kernel, type and id in the header) across processes, highest priority
 * first; several dialers in forked and exec'ed processes into one
 * listener; the largest message and one byte more; a size of its own and
 * one the system refuses; timeouts; the listener's single link; the name
 * created 0600 and gone after the listener closes while the link still
 * receives; garbage sent straight into the queue gives IPCX_EPROTO; bad
 * URLs; no descriptor left.
 * ipcx-test: label=transport timeout=90
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <sys/stat.h>

#include "oneway_test.h"

static char name[96];
static char url[128];

static void setup(void)
{
    tsup_name(name, sizeof name, "/ipcx-tmq");
    snprintf(url, sizeof url, "mq://%s", name);
}

static void teardown(void)
{
    mq_unlink(name);
}

TestSuite(mq, .init = setup, .fini = teardown);

static bool queue_exists(void)
{
    mqd_t q = mq_open(name, O_RDONLY | O_CLOEXEC);
    if (q == (mqd_t)-1)
        return false;
    mq_close(q);
    return true;
}

static int send_three(void *arg)
{
    (void)arg;
    struct ipcx_link *k = NULL;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, url, NULL, 2000) == 0);
    struct ipcx_msg m1 = ow_msg("low", 3, 7, 1, 111);
    struct ipcx_msg m2 = ow_msg("high", 4, 0, IPCX_MSG_PRIO_MAX, UINT64_MAX);
    struct ipcx_msg m3 = ow_msg("", 0, LONG_MAX, 5, 0);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m1, 1000) == 0);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m2, 1000) == 0);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m3, 1000) == 0);
    ipcx_link_close(k);
    return 0;
}

Test(mq, attributes_cross_processes_highest_priority_first)
{
    int fds = tsup_fd_count();
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    char got[128];
    cr_assert_gt(ipcx_listener_url(l, got, sizeof got), 0);
    cr_assert_str_eq(got, url);
    struct ipcx_link *rx = ow_accept_once(l);

    struct ipcx_link_caps c;
    cr_assert_eq(ipcx_link_caps(rx, &c), 0);
    cr_assert_eq(c.flags, (unsigned)ipcx_link_scheme_caps(url, 1));
    cr_assert(c.flags & IPCX_LINK_RECV && c.flags & IPCX_LINK_NATIVE_PRIO);
    cr_assert(c.flags & IPCX_LINK_SHARED);
    cr_assert(!(c.flags & (IPCX_LINK_SEND | IPCX_LINK_PEER_DEATH | IPCX_LINK_CRED)));
    cr_assert_str_eq(ipcx_link_scheme(rx), "mq");
    cr_assert_eq(ipcx_link_peer_cred(rx, &(struct ipcx_cred){0}), IPCX_ENOTSUP);

    pid_t pid = tsup_fork(send_three, NULL);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    ow_expect(rx, "high", 4, 0, IPCX_MSG_PRIO_MAX, UINT64_MAX);
    ow_expect(rx, "", 0, LONG_MAX, 5, 0);
    ow_expect(rx, "low", 3, 7, 1, 111);

    ipcx_link_close(rx);
    ipcx_listener_close(l);
    cr_assert(!queue_exists());
    cr_assert_eq(tsup_fd_count(), fds);
}

Test(mq, several_dialers_into_one_listener)
{
    int fds = tsup_fd_count();
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    struct ipcx_link *rx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 1000), 0);
    /* Forty messages per sender: more than the queue holds (10 by default),
     * so senders also wait for room. */
    ow_many_to_one(rx, url, 3, 40, true);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
    cr_assert_eq(tsup_fd_count(), fds);
}

Test(mq, largest_message_and_one_byte_more)
{
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    struct ipcx_link *rx = NULL, *tx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 1000), 0);
    struct ipcx_link_caps c;
    cr_assert_eq(ipcx_link_caps(tx, &c), 0);
    cr_assert(c.flags & IPCX_LINK_SEND && !(c.flags & IPCX_LINK_RECV));
    struct mq_attr a;
    mqd_t q = mq_open(name, O_RDONLY | O_CLOEXEC);
    cr_assert_neq(q, (mqd_t)-1);
    cr_assert_eq(mq_getattr(q, &a), 0);
    mq_close(q);
    cr_assert_eq(c.max_msg, (size_t)a.mq_msgsize - 24, "max %zu", c.max_msg);

    char *big = malloc(c.max_msg + 1);
    for (size_t i = 0; i <= c.max_msg; i++)
        big[i] = (char)(i * 7 + 3);
    struct ipcx_msg m = ow_msg(big, c.max_msg, 9, 2, 42);
    cr_assert_eq(ipcx_link_send(tx, &m, 1000), 0);
    m.size = c.max_msg + 1;
    cr_assert_eq(ipcx_link_send(tx, &m, 1000), IPCX_EMSGSIZE);
    ow_expect(rx, big, c.max_msg, 9, 2, 42);
    free(big);

    /* A dialer's own smaller limit, and a receive-only end cannot send. */
    struct ipcx_link *small = NULL;
    struct ipcx_link_opts o = {.max_msg = 10};
    cr_assert_eq(ipcx_link_dial(&small, url, &o, 1000), 0);
    m = ow_msg("01234567890", 11, 0, 0, 0);
    cr_assert_eq(ipcx_link_send(small, &m, 0), IPCX_EMSGSIZE);
    cr_assert_eq(ipcx_link_send(rx, &m, 0), IPCX_ENOTSUP);
    ipcx_link_close(small);
    o.max_msg = c.max_msg + 1;
    cr_assert_eq(ipcx_link_dial(&small, url, &o, 1000), IPCX_EINVAL);
    cr_assert_null(small);
    ipcx_link_close(tx);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
}

Test(mq, a_size_of_its_own_and_one_refused)
{
    struct ipcx_listener *l;
    struct ipcx_link_opts o = {.max_msg = 100};
    cr_assert_eq(ipcx_link_listen(&l, url, &o), 0);
    struct ipcx_link *tx = NULL;
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 1000), 0);
    struct ipcx_link_caps c;
    cr_assert_eq(ipcx_link_caps(tx, &c), 0);
    cr_assert_eq(c.max_msg, 100u);
    ipcx_link_close(tx);
    ipcx_listener_close(l);
    cr_assert(!queue_exists());

    /* msgsize_max is 8192 here: a bigger queue is refused, nothing made. */
    o.max_msg = 1 << 20;
    cr_assert_eq(ipcx_link_listen(&l, url, &o), IPCX_EINVAL);
    cr_assert(!queue_exists());
}

Test(mq, timeouts)
{
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    struct ipcx_link *rx = NULL, *tx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 1000), 0);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(rx, &m, IPCX_NOWAIT), IPCX_EAGAIN);
    OW_ASSERT_TIMED(ipcx_link_recv(rx, &m, 200), 200);

    /* Fill the queue: the next send waits for room, then gives up. */
    struct ipcx_msg s = ow_msg("x", 1, 0, 0, 0);
    int sent = 0;
    while (ipcx_link_send(tx, &s, IPCX_NOWAIT) == 0)
        sent++;
    cr_assert_gt(sent, 0);
    cr_assert_eq(ipcx_link_send(tx, &s, IPCX_NOWAIT), IPCX_EAGAIN);
    OW_ASSERT_TIMED(ipcx_link_send(tx, &s, 200), 200);

    /* The receiving descriptor is readable while messages wait. */
    struct pollfd p = {ipcx_link_fd(rx), POLLIN, 0};
    cr_assert_eq(ipcx_link_arm(rx), 0);
    cr_assert_eq(poll(&p, 1, 0), 1);
    for (int i = 0; i < sent; i++)
        ow_expect(rx, "x", 1, 0, 0, 0);
    cr_assert_eq(poll(&p, 1, 0), 0);
    cr_assert_eq(ipcx_link_fd(tx), IPCX_ENOTSUP);
    ipcx_link_close(tx);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
}

Test(mq, name_is_private_exclusive_and_gone_after_close)
{
    struct ipcx_listener *l, *l2;
    mode_t old = umask(0);
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    umask(old);
    struct stat st;
    mqd_t q = mq_open(name, O_RDONLY | O_CLOEXEC);
    cr_assert_neq(q, (mqd_t)-1);
    cr_assert_eq(fstat((int)q, &st), 0);
    mq_close(q);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(ipcx_link_listen(&l2, url, NULL), IPCX_EEXIST);

    /* The listener goes first: the name is gone, the link still receives
     * from a dialer that opened the queue before. */
    struct ipcx_link *rx = NULL, *tx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 1000), 0);
    ipcx_listener_close(l);
    cr_assert(!queue_exists());
    struct ipcx_link *late = NULL;
    cr_assert_eq(ipcx_link_dial(&late, url, NULL, 100), IPCX_ENOENT);
    struct ipcx_msg m = ow_msg("after", 5, 1, 1, 1);
    cr_assert_eq(ipcx_link_send(tx, &m, 1000), 0);
    ow_expect(rx, "after", 5, 1, 1, 1);
    ipcx_link_close(tx);
    ipcx_link_close(rx);

    /* An explicit mode, and a listener never accepted cleans up too. */
    struct ipcx_link_opts o = {.mode = 0640};
    cr_assert_eq(ipcx_link_listen(&l, url, &o), 0);
    q = mq_open(name, O_RDONLY | O_CLOEXEC);
    cr_assert_eq(fstat((int)q, &st), 0);
    mq_close(q);
    cr_assert_eq(st.st_mode & 0777, 0640);
    ipcx_listener_close(l);
    cr_assert(!queue_exists());
}

Test(mq, garbage_in_the_queue_is_a_protocol_error)
{
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    struct ipcx_link *rx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    mqd_t q = mq_open(name, O_WRONLY | O_CLOEXEC);
    cr_assert_neq(q, (mqd_t)-1);
    static const char junk[] = "this is no ipcx message at all";
    cr_assert_eq(mq_send(q, junk, sizeof junk, 0), 0);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(rx, &m, 1000), IPCX_EPROTO);
    cr_assert_null(m.data);
    /* The link stays closed for good. */
    cr_assert_eq(mq_send(q, junk, 3, 0), 0);
    cr_assert_eq(ipcx_link_recv(rx, &m, 0), IPCX_EPROTO);
    mq_close(q);
    ipcx_link_close(rx);
    ipcx_listener_close(l);

    /* A valid header whose priority differs from the queue's, a header
     * claiming more body than came, and a short message: all refused. */
    struct {
        unsigned char hdr[24];
        unsigned prio;
        size_t len;
    } bad[3] = {0};
    for (int i = 0; i < 3; i++) {
        bad[i].hdr[0] = 'i';
        bad[i].hdr[1] = 'm';
        bad[i].hdr[2] = 1;
        bad[i].len = 24;
    }
    bad[0].hdr[3] = 3; /* says priority 3, sent with 4 */
    bad[0].prio = 4;
    bad[1].hdr[7] = 10; /* says 10 bytes of body, none follow */
    bad[2].len = 23;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
        cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
        q = mq_open(name, O_WRONLY | O_CLOEXEC);
        cr_assert_eq(mq_send(q, (char *)bad[i].hdr, bad[i].len, bad[i].prio), 0);
        mq_close(q);
        cr_assert_eq(ipcx_link_recv(rx, &m, 1000), IPCX_EPROTO, "case %d", i);
        ipcx_link_close(rx);
        ipcx_listener_close(l);
    }
}

Test(mq, bad_urls)
{
    static const char *const bad[] = {"mq:///",    "mq://",    "mq:/x",     "mq://x",
                                      "mq:///a/b", "mq:///..", "mq:noslash"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ipcx_listener *l = NULL;
        struct ipcx_link *k = NULL;
        cr_assert_eq(ipcx_link_listen(&l, bad[i], NULL), IPCX_EBADURL, "%s", bad[i]);
        cr_assert_eq(ipcx_link_dial(&k, bad[i], NULL, 0), IPCX_EBADURL, "%s", bad[i]);
        cr_assert_null(l);
        cr_assert_null(k);
    }
    struct ipcx_link *k = NULL;
    cr_assert_eq(ipcx_link_dial(&k, url, NULL, 100), IPCX_ENOENT, "nobody listens");
}
