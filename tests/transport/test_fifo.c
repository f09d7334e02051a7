/* SPDX-License-Identifier: MIT */
/*
 * test_fifo.c: the fifo:///path transport: attributes kept across
 * processes; several dialers in forked and exec'ed processes into one
 * listener, never interleaved; the largest message (PIPE_BUF less the
 * header) and one byte more; timeouts, a dial with no reader, and messages
 * buffered beyond the descriptor's readiness; the receiving link's death
 * seen by a dialer as IPCX_EPEERDEAD without SIGPIPE; the FIFO created
 * 0600 and removed at the listener's close (only while it is still ours);
 * a corrupt stream gives IPCX_EPROTO; bad URLs; no descriptor left.
 * ipcx-test: label=transport timeout=90
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>

#include "oneway_test.h"

static char dir[64];
static char path[128];
static char url[160];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/ipcx-tfifo-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char name[64];
    snprintf(path, sizeof path, "%s/%s", dir, tsup_name(name, sizeof name, "f"));
    snprintf(url, sizeof url, "fifo://%s", path);
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    rmdir(dir);
}

TestSuite(fifo, .init = setup, .fini = teardown);

static bool path_exists(void)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int send_two(void *arg)
{
    (void)arg;
    struct ipcx_link *k = NULL;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, url, NULL, 2000) == 0);
    struct ipcx_msg m1 = ow_msg("first", 5, LONG_MAX, IPCX_MSG_PRIO_MAX, UINT64_MAX);
    struct ipcx_msg m2 = ow_msg("", 0, 0, 0, 7);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m1, 1000) == 0);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m2, 1000) == 0);
    ipcx_link_close(k);
    return 0;
}

Test(fifo, attributes_cross_processes)
{
    int fds = tsup_fd_count();
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    char got[200];
    cr_assert_gt(ipcx_listener_url(l, got, sizeof got), 0);
    cr_assert_str_eq(got, url);
    struct ipcx_link *rx = ow_accept_once(l);
    struct ipcx_link_caps c;
    cr_assert_eq(ipcx_link_caps(rx, &c), 0);
    cr_assert_eq(c.flags, (unsigned)ipcx_link_scheme_caps(url, 1));
    cr_assert(c.flags & IPCX_LINK_ORDERED && c.flags & IPCX_LINK_SHARED);
    cr_assert(!(c.flags & (IPCX_LINK_NATIVE_PRIO | IPCX_LINK_NATIVE_TYPE | IPCX_LINK_SEND)));

    pid_t pid = tsup_fork(send_two, NULL);
    cr_assert_gt(pid, 0);
    ow_expect(rx, "first", 5, LONG_MAX, IPCX_MSG_PRIO_MAX, UINT64_MAX);
    ow_expect(rx, "", 0, 0, 0, 7);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    /* The dialer went: no end of file, the link just waits for the next. */
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(rx, &m, 50), IPCX_ETIMEDOUT);

    ipcx_listener_close(l);
    cr_assert(!path_exists());
    ipcx_link_close(rx);
    cr_assert_eq(tsup_fd_count(), fds);
}

Test(fifo, several_dialers_into_one_listener)
{
    int fds = tsup_fd_count();
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    struct ipcx_link *rx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 1000), 0);
    /* 4 x 500 messages: far more than the pipe holds, so writers wait. */
    ow_many_to_one(rx, url, 3, 500, true);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
    cr_assert_eq(tsup_fd_count(), fds);
}

struct big_sender {
    int tag;
    size_t size;
    int count;
};

static int send_big(void *arg)
{
    const struct big_sender *s = arg;
    struct ipcx_link *k = NULL;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, url, NULL, 2000) == 0);
    char *body = malloc(s->size);
    TSUP_CHILD_CHECK(body != NULL);
    memset(body, 'a' + s->tag, s->size);
    for (int i = 0; i < s->count; i++) {
        struct ipcx_msg m = ow_msg(body, s->size, s->tag, 0, (uint64_t)i);
        TSUP_CHILD_CHECK(ipcx_link_send(k, &m, 5000) == 0);
    }
    free(body);
    ipcx_link_close(k);
    return 0;
}

Test(fifo, largest_messages_from_several_writers_never_interleave)
{
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    struct ipcx_link *rx = NULL, *tx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 0), 0);
    struct ipcx_link_caps c;
    cr_assert_eq(ipcx_link_caps(tx, &c), 0);
    cr_assert_eq(c.max_msg, (size_t)PIPE_BUF - 24);
    char big[PIPE_BUF];
    memset(big, 'x', sizeof big);
    struct ipcx_msg m = ow_msg(big, c.max_msg + 1, 0, 0, 0);
    cr_assert_eq(ipcx_link_send(tx, &m, 0), IPCX_EMSGSIZE);
    ipcx_link_close(tx);

    /* Three writers of full-size messages at once: each arrives whole. */
    struct big_sender s[3];
    pid_t pid[3];
    for (int i = 0; i < 3; i++) {
        s[i] = (struct big_sender){i + 1, c.max_msg, 200};
        pid[i] = tsup_fork(send_big, &s[i]);
        cr_assert_gt(pid[i], 0);
    }
    int next[4] = {0};
    for (int n = 0; n < 600; n++) {
        struct ipcx_msg r;
        int rc = ipcx_link_recv(rx, &r, 10000);
        cr_assert_eq(rc, 0, "%s", ipcx_errname(rc));
        cr_assert(r.type >= 1 && r.type <= 3);
        cr_assert_eq(r.size, c.max_msg);
        cr_assert_eq(r.id, (uint64_t)next[r.type]++);
        for (size_t i = 0; i < r.size; i++)
            cr_assert_eq(((char *)r.data)[i], 'a' + r.type, "byte %zu interleaved", i);
        ipcx_msg_release(&r);
    }
    for (int i = 0; i < 3; i++)
        cr_assert_eq(tsup_wait_exit(pid[i], 10000), 0);

    struct ipcx_link_opts o = {.max_msg = PIPE_BUF};
    cr_assert_eq(ipcx_link_dial(&tx, url, &o, 0), IPCX_EINVAL);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
}

Test(fifo, timeouts_and_buffered_messages)
{
    struct ipcx_link *tx = NULL;
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 100), IPCX_ENOENT, "nobody listens");
    /* A FIFO with no reader: the dial waits for one, then gives up. */
    cr_assert_eq(mkfifo(path, 0600), 0);
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, IPCX_NOWAIT), IPCX_ECONNREFUSED);
    OW_ASSERT_TIMED(ipcx_link_dial(&tx, url, NULL, 200), 200);
    cr_assert_eq(unlink(path), 0);

    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    struct ipcx_link *rx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 0), 0);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(rx, &m, IPCX_NOWAIT), IPCX_EAGAIN);
    OW_ASSERT_TIMED(ipcx_link_recv(rx, &m, 200), 200);

    /* Fill the pipe; then the receiver reads several messages at once and
     * must say so through arm() while the descriptor is quiet. */
    struct ipcx_msg s = ow_msg("0123456789", 10, 0, 0, 0);
    int sent = 0;
    while (ipcx_link_send(tx, &s, IPCX_NOWAIT) == 0)
        sent++;
    cr_assert_gt(sent, 100);
    cr_assert_eq(ipcx_link_send(tx, &s, IPCX_NOWAIT), IPCX_EAGAIN);
    OW_ASSERT_TIMED(ipcx_link_send(tx, &s, 200), 200);
    for (int i = 0; i < sent; i++) {
        if (ipcx_link_arm(rx) == 0) {
            struct pollfd p = {ipcx_link_fd(rx), POLLIN, 0};
            cr_assert_eq(poll(&p, 1, 0), 1, "message %d: neither armed nor readable", i);
        }
        ow_expect(rx, "0123456789", 10, 0, 0, 0);
    }
    cr_assert_eq(ipcx_link_arm(rx), 0);
    ipcx_link_close(tx);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
}

Test(fifo, a_gone_reader_is_peer_death_without_sigpipe)
{
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    struct ipcx_link *rx = NULL, *tx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 0), 0);
    ipcx_listener_close(l);
    ipcx_link_close(rx);
    /* SIGPIPE's default action would kill this test process. */
    struct ipcx_msg m = ow_msg("x", 1, 0, 0, 0);
    cr_assert_eq(ipcx_link_send(tx, &m, 1000), IPCX_EPEERDEAD);
    cr_assert_eq(ipcx_link_send(tx, &m, 1000), IPCX_EPEERDEAD);
    sigset_t pending;
    sigpending(&pending);
    cr_assert(!sigismember(&pending, SIGPIPE));
    ipcx_link_close(tx);
}

Test(fifo, path_private_and_removed_only_while_ours)
{
    int fds = tsup_fd_count();
    struct ipcx_listener *l, *l2;
    mode_t old = umask(0);
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    umask(old);
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0);
    cr_assert(S_ISFIFO(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(ipcx_link_listen(&l2, url, NULL), IPCX_EEXIST);
    ipcx_listener_close(l);
    cr_assert(!path_exists(), "a listener never accepted cleans up");

    /* Someone replaced the FIFO: the listener leaves theirs alone. */
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    cr_assert_eq(unlink(path), 0);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0);
    close(fd);
    ipcx_listener_close(l);
    cr_assert(path_exists());
    cr_assert_eq(unlink(path), 0);

    struct ipcx_link_opts o = {.mode = 0620};
    cr_assert_eq(ipcx_link_listen(&l, url, &o), 0);
    cr_assert_eq(lstat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0620);
    ipcx_listener_close(l);
    cr_assert(!path_exists());
    cr_assert_eq(tsup_fd_count(), fds);
}

Test(fifo, a_corrupt_stream_is_a_protocol_error)
{
    static const struct {
        unsigned char bytes[32];
        size_t len;
    } cases[] = {
        {"garbage, not a header at all!!", 30},
        /* right magic, version 2 */
        {{'i', 'm', 2}, 24},
        /* declares a body longer than PIPE_BUF allows */
        {{'i', 'm', 1, 0, 0, 0, 0x10, 0}, 24},
        /* priority 32 */
        {{'i', 'm', 1, 32}, 24},
        /* negative type */
        {{'i', 'm', 1, 0, 0, 0, 0, 0, 0x80}, 24},
    };
    static const int want[] = {IPCX_EPROTO, IPCX_EVERSION, IPCX_EPROTO, IPCX_EPROTO, IPCX_EPROTO};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ipcx_listener *l;
        struct ipcx_link *rx = NULL;
        cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
        cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
        int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, cases[i].bytes, cases[i].len), (ssize_t)cases[i].len);
        close(fd);
        struct ipcx_msg m;
        cr_assert_eq(ipcx_link_recv(rx, &m, 1000), want[i], "case %zu: %s", i,
                     ipcx_errname(ipcx_link_recv(rx, &m, 0)));
        cr_assert_eq(ipcx_link_recv(rx, &m, 0), want[i]);
        cr_assert_eq(ipcx_link_arm(rx), 1, "a receive returns at once, with the error");
        ipcx_link_close(rx);
        ipcx_listener_close(l);
    }
}

Test(fifo, bad_urls)
{
    static const char *const bad[] = {"fifo://relative", "fifo://", "fifo:/abs", "fifo:rel",
                                      "fifo://./x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ipcx_listener *l = NULL;
        struct ipcx_link *k = NULL;
        cr_assert_eq(ipcx_link_listen(&l, bad[i], NULL), IPCX_EBADURL, "%s", bad[i]);
        cr_assert_eq(ipcx_link_dial(&k, bad[i], NULL, 0), IPCX_EBADURL, "%s", bad[i]);
    }
    /* A regular file is not dialed as a FIFO. */
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0);
    close(fd);
    struct ipcx_link *k = NULL;
    cr_assert_eq(ipcx_link_dial(&k, url, NULL, 0), IPCX_EINVAL);
    struct ipcx_listener *l = NULL;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), IPCX_EEXIST);
}
