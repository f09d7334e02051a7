/* SPDX-License-Identifier: MIT */
/*
 * test_unix_stream.c: Unix stream and seqpacket sockets between processes,
 * on paths and abstract names: bytes arrive intact, seqpacket keeps message
 * boundaries, connecting to nothing is refused with a clear code, a full
 * backlog makes connect time out at its deadline, every wait is bounded,
 * a gone peer gives IPCX_EPIPE without SIGPIPE, bad arguments have no side
 * effect, and nothing leaks.
 * ipcx-test: label=process timeout=60
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "socktest.h"

#define SLACK_MS 250

static const char *type_name(enum ipcx_unix_type t)
{
    return t == IPCX_UNIX_SEQPACKET ? "seqpacket" : t == IPCX_UNIX_DGRAM ? "dgram" : "stream";
}

/* Receives exactly len bytes from a stream. */
static void recv_exact(struct ipcx_unix *c, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = ipcx_unix_recv(c, buf + got, len - got, 5000);
        cr_assert_gt(n, 0, "recv: %s", ipcx_errname((int)n));
        got += (size_t)n;
    }
}

/*
 * The parent listens, an exec'ed helper connects and echoes; messages of
 * growing sizes go there and back. On seqpacket every receive is exactly
 * one message.
 */
static void echo_with_helper(enum ipcx_unix_type type, bool abstract)
{
    struct sockdir d;
    char addr[IPCX_UNIX_ADDR_MAX];
    if (abstract)
        abstract_name(addr, sizeof addr);
    else {
        sockdir_make(&d);
        sockdir_path(&d, addr, sizeof addr);
    }
    int base = tsup_fd_count();
    struct ipcx_unix *l, *c;
    cr_assert_eq(ipcx_unix_listen(&l, addr, type, NULL), 0);
    pid_t pid = tsup_spawn_helper("unix_echo", (const char *[]){addr, type_name(type), NULL});
    cr_assert_gt(pid, 0);
    cr_assert_eq(ipcx_unix_accept(l, &c, 5000), 0);

    static char out[70000], in[70000];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (char)(i * 7 + 3);
    const size_t sizes[] = {1, 2, 100, 4096, 65000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t len = sizes[k];
        cr_assert_eq(ipcx_unix_send(c, out + k, len, 5000), (ssize_t)len);
        memset(in, 0, len);
        if (type == IPCX_UNIX_SEQPACKET) {
            cr_assert_eq(ipcx_unix_recv(c, in, sizeof in, 5000), (ssize_t)len,
                         "one receive, one whole message");
        } else {
            recv_exact(c, in, len);
        }
        cr_assert_eq(memcmp(in, out + k, len), 0, "message %zu differs", k);
    }
    cr_assert_eq(ipcx_unix_shutdown(c), 0);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    char b;
    cr_assert_eq(ipcx_unix_recv(c, &b, 1, 5000), 0, "end of stream after the helper left");
    ipcx_unix_close(c);
    ipcx_unix_close(l);
    cr_assert_eq(tsup_fd_count(), base);
    if (!abstract) {
        cr_assert_eq(access(addr, F_OK), -1, "path removed on close");
        sockdir_done(&d);
    }
}

Test(unix_stream, stream_path_echo_across_exec)
{
    echo_with_helper(IPCX_UNIX_STREAM, false);
}

Test(unix_stream, stream_abstract_echo_across_exec)
{
    echo_with_helper(IPCX_UNIX_STREAM, true);
}

Test(unix_stream, seqpacket_path_echo_across_exec)
{
    echo_with_helper(IPCX_UNIX_SEQPACKET, false);
}

Test(unix_stream, seqpacket_abstract_echo_across_exec)
{
    echo_with_helper(IPCX_UNIX_SEQPACKET, true);
}

/* A forked child connects and sends three messages back to back. */
static int seqpacket_sender(void *arg)
{
    struct ipcx_unix *c;
    TSUP_CHILD_CHECK(connect_retry(&c, arg, IPCX_UNIX_SEQPACKET, NULL) == 0);
    char big[3000];
    memset(big, 'x', sizeof big);
    TSUP_CHILD_CHECK(ipcx_unix_send(c, "a", 1, 1000) == 1);
    TSUP_CHILD_CHECK(ipcx_unix_send(c, big, sizeof big, 1000) == (ssize_t)sizeof big);
    TSUP_CHILD_CHECK(ipcx_unix_send(c, "bc", 2, 1000) == 2);
    char b;
    TSUP_CHILD_CHECK(ipcx_unix_recv(c, &b, 1, 5000) == 0);
    ipcx_unix_close(c);
    return 0;
}

Test(unix_stream, seqpacket_keeps_boundaries_and_reports_sizes)
{
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_unix *l, *c;
    cr_assert_eq(ipcx_unix_listen(&l, addr, IPCX_UNIX_SEQPACKET, NULL), 0);
    pid_t pid = tsup_fork(seqpacket_sender, addr);
    cr_assert_gt(pid, 0);
    cr_assert_eq(ipcx_unix_accept(l, &c, 5000), 0);

    char buf[4000];
    cr_assert_eq(ipcx_unix_next_size(c, 5000), 1);
    cr_assert_eq(ipcx_unix_recv(c, buf, sizeof buf, 5000), 1);
    cr_assert_eq(buf[0], 'a');
    cr_assert_eq(ipcx_unix_next_size(c, 5000), 3000, "size known before receiving");
    /* Too small a buffer: the message is consumed, the call says so. */
    cr_assert_eq(ipcx_unix_recv(c, buf, 100, 5000), IPCX_ETRUNC);
    cr_assert_eq(buf[99], 'x');
    cr_assert_eq(ipcx_unix_recv(c, buf, sizeof buf, 5000), 2, "the next message is intact");
    cr_assert_eq(memcmp(buf, "bc", 2), 0);
    ipcx_unix_close(c);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    ipcx_unix_close(l);
}

Test(unix_stream, connect_to_nothing_is_refused_clearly)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX], abs[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    abstract_name(abs, sizeof abs);
    int base = tsup_fd_count();
    struct ipcx_unix *c = (void *)1;

    cr_assert_eq(ipcx_unix_connect(&c, path, IPCX_UNIX_STREAM, NULL, 1000), IPCX_ENOENT);
    cr_assert_null(c);
    cr_assert_eq(ipcx_unix_connect(&c, abs, IPCX_UNIX_STREAM, NULL, 1000), IPCX_ECONNREFUSED);
    cr_assert_eq(ipcx_unix_connect(&c, abs, IPCX_UNIX_SEQPACKET, NULL, IPCX_NOWAIT),
                 IPCX_ECONNREFUSED);

    /* A socket file nobody listens on (bound, then closed). */
    int raw = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    cr_assert_eq(bind(raw, (struct sockaddr *)&sa, sizeof sa), 0);
    close(raw);
    cr_assert_eq(ipcx_unix_connect(&c, path, IPCX_UNIX_STREAM, NULL, 1000), IPCX_ECONNREFUSED);

    /* A stream connect to a seqpacket listener: the wrong type. */
    struct ipcx_unix *l;
    cr_assert_eq(ipcx_unix_listen(&l, abs, IPCX_UNIX_SEQPACKET, NULL), 0);
    cr_assert_eq(ipcx_unix_connect(&c, abs, IPCX_UNIX_STREAM, NULL, 1000), IPCX_ECONNREFUSED);
    ipcx_unix_close(l);

    /* A regular file at the path. */
    unlink(path);
    int f = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    close(f);
    cr_assert_eq(ipcx_unix_connect(&c, path, IPCX_UNIX_STREAM, NULL, 1000), IPCX_ECONNREFUSED);
    unlink(path);
    cr_assert_eq(tsup_fd_count(), base);
    sockdir_done(&d);
}

Test(unix_stream, connect_times_out_while_backlog_is_full)
{
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_unix *l;
    struct ipcx_unix_opts o = {.backlog = 1};
    cr_assert_eq(ipcx_unix_listen(&l, addr, IPCX_UNIX_STREAM, &o), 0);
    /* Fill the backlog: nobody accepts. */
    struct ipcx_unix *filled[16];
    int n = 0, rc = 0;
    while (n < 16 &&
           (rc = ipcx_unix_connect(&filled[n], addr, IPCX_UNIX_STREAM, NULL, IPCX_NOWAIT)) == 0)
        n++;
    cr_assert_eq(rc, IPCX_EAGAIN, "NOWAIT on a full backlog: %s", ipcx_errname(rc));
    cr_assert_geq(n, 1);

    struct ipcx_unix *c;
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_unix_connect(&c, addr, IPCX_UNIX_STREAM, NULL, 200), IPCX_ETIMEDOUT);
    int64_t el = tsup_now_ms() - t0;
    cr_assert_geq(el, 200);
    cr_assert_lt(el, 200 + SLACK_MS);

    /* Room again: one accepted, so the next connect gets in. */
    struct ipcx_unix *a;
    cr_assert_eq(ipcx_unix_accept(l, &a, 1000), 0);
    cr_assert_eq(ipcx_unix_connect(&c, addr, IPCX_UNIX_STREAM, NULL, 1000), 0);
    ipcx_unix_close(c);
    ipcx_unix_close(a);
    for (int i = 0; i < n; i++)
        ipcx_unix_close(filled[i]);
    ipcx_unix_close(l);
}

/* In a child: after 150 ms, accept one connection on the inherited listener. */
static int accept_later(void *arg)
{
    sleep_ms(150);
    struct ipcx_unix *a;
    TSUP_CHILD_CHECK(ipcx_unix_accept(arg, &a, 1000) == 0);
    ipcx_unix_close(a);
    return 0;
}

Test(unix_stream, blocked_connect_gets_in_when_room_appears)
{
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_unix *l, *filled[16], *c;
    struct ipcx_unix_opts o = {.backlog = 1};
    cr_assert_eq(ipcx_unix_listen(&l, addr, IPCX_UNIX_STREAM, &o), 0);
    int n = 0;
    while (n < 16 && ipcx_unix_connect(&filled[n], addr, IPCX_UNIX_STREAM, NULL, 0) == 0)
        n++;
    cr_assert_eq(ipcx_unix_connect(&c, addr, IPCX_UNIX_STREAM, NULL, 0), IPCX_EAGAIN);
    pid_t pid = tsup_fork(accept_later, l);
    cr_assert_gt(pid, 0);
    int64_t t0 = tsup_now_ms();
    int rc = ipcx_unix_connect(&c, addr, IPCX_UNIX_STREAM, NULL, 3000);
    int64_t el = tsup_now_ms() - t0;
    cr_assert_eq(rc, 0, "%s", ipcx_errname(rc));
    cr_assert_geq(el, 100, "got in only once the child made room (%lld ms)", (long long)el);
    cr_assert_lt(el, 3000);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    ipcx_unix_close(c);
    for (int i = 0; i < n; i++)
        ipcx_unix_close(filled[i]);
    ipcx_unix_close(l);
}

Test(unix_stream, accept_and_recv_keep_their_deadlines)
{
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_unix *l, *c, *a;
    cr_assert_eq(ipcx_unix_listen(&l, addr, IPCX_UNIX_SEQPACKET, NULL), 0);
    cr_assert_eq(ipcx_unix_accept(l, &a, IPCX_NOWAIT), IPCX_EAGAIN);
    cr_assert_null(a);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_unix_accept(l, &a, 100), IPCX_ETIMEDOUT);
    int64_t el = tsup_now_ms() - t0;
    cr_assert_geq(el, 100);
    cr_assert_lt(el, 100 + SLACK_MS);

    cr_assert_eq(ipcx_unix_connect(&c, addr, IPCX_UNIX_SEQPACKET, NULL, 1000), 0);
    cr_assert_eq(ipcx_unix_accept(l, &a, 1000), 0);
    char buf[8];
    cr_assert_eq(ipcx_unix_recv(a, buf, sizeof buf, IPCX_NOWAIT), IPCX_EAGAIN);
    cr_assert_eq(ipcx_unix_next_size(a, IPCX_NOWAIT), IPCX_EAGAIN);
    t0 = tsup_now_ms();
    cr_assert_eq(ipcx_unix_recv(a, buf, sizeof buf, 100), IPCX_ETIMEDOUT);
    el = tsup_now_ms() - t0;
    cr_assert_geq(el, 100);
    cr_assert_lt(el, 100 + SLACK_MS);
    cr_assert_eq(ipcx_unix_recv(a, buf, sizeof buf, -7), IPCX_EINVAL);
    ipcx_unix_close(a);
    ipcx_unix_close(c);
    ipcx_unix_close(l);
}

static void epipe_for(enum ipcx_unix_type type)
{
    struct ipcx_unix *a, *b;
    cr_assert_eq(ipcx_unix_pair(&a, &b, type), 0);
    cr_assert_eq(sigpipe_pending(), 0);
    ipcx_unix_close(b);
    /* With SIGPIPE at its default action, a raised signal would end this test. */
    cr_assert_eq(ipcx_unix_send(a, "x", 1, 1000), IPCX_EPIPE);
    cr_assert_eq(ipcx_unix_send(a, "x", 1, IPCX_NOWAIT), IPCX_EPIPE);
    cr_assert_eq(sigpipe_pending(), 0);
    ipcx_unix_close(a);
}

Test(unix_stream, send_to_gone_peer_is_epipe_without_sigpipe)
{
    signal(SIGPIPE, SIG_DFL);
    epipe_for(IPCX_UNIX_STREAM);
    epipe_for(IPCX_UNIX_SEQPACKET);
}

static int exit_at_once(void *arg)
{
    ipcx_unix_close(arg);
    return 0;
}

Test(unix_stream, peer_process_death_is_epipe_and_eof)
{
    signal(SIGPIPE, SIG_DFL);
    struct ipcx_unix *a, *b;
    cr_assert_eq(ipcx_unix_pair(&a, &b, IPCX_UNIX_STREAM), 0);
    pid_t pid = tsup_fork(exit_at_once, b);
    ipcx_unix_close(b);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    char c;
    cr_assert_eq(ipcx_unix_recv(a, &c, 1, 1000), 0);
    cr_assert_eq(ipcx_unix_send(a, "x", 1, 1000), IPCX_EPIPE);
    ipcx_unix_close(a);
}

Test(unix_stream, stream_send_reports_partial_progress_at_deadline)
{
    struct ipcx_unix *a, *b;
    cr_assert_eq(ipcx_unix_pair(&a, &b, IPCX_UNIX_STREAM), 0);
    size_t len = 16 << 20;
    char *big = calloc(1, len);
    cr_assert_not_null(big);
    int64_t t0 = tsup_now_ms();
    ssize_t n = ipcx_unix_send(a, big, len, 100);
    int64_t el = tsup_now_ms() - t0;
    cr_assert_gt(n, 0, "part went: %zd", n);
    cr_assert_lt(n, (ssize_t)len, "nobody reads: not all of it");
    cr_assert_geq(el, 100);
    cr_assert_lt(el, 100 + SLACK_MS);
    cr_assert_eq(ipcx_unix_send(a, big, len, IPCX_NOWAIT), IPCX_EAGAIN);
    cr_assert_eq(ipcx_unix_send(a, big, len, 50), IPCX_ETIMEDOUT);
    free(big);
    ipcx_unix_close(a);
    ipcx_unix_close(b);
}

Test(unix_stream, seqpacket_message_too_large_for_socket)
{
    struct ipcx_unix *a, *b;
    cr_assert_eq(ipcx_unix_pair(&a, &b, IPCX_UNIX_SEQPACKET), 0);
    size_t len = 64 << 20;
    char *big = calloc(1, len);
    cr_assert_not_null(big);
    cr_assert_eq(ipcx_unix_send(a, big, len, 1000), IPCX_EMSGSIZE);
    char buf[4];
    cr_assert_eq(ipcx_unix_recv(b, buf, sizeof buf, IPCX_NOWAIT), IPCX_EAGAIN, "nothing went");
    free(big);
    ipcx_unix_close(a);
    ipcx_unix_close(b);
}

Test(unix_stream, abstract_name_is_exclusive_and_freed_on_close)
{
    char addr[IPCX_UNIX_ADDR_MAX], got[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_unix *l, *l2 = (void *)1;
    cr_assert_eq(ipcx_unix_listen(&l, addr, IPCX_UNIX_STREAM, NULL), 0);
    cr_assert_eq(ipcx_unix_addr(l, got, sizeof got), (int)strlen(addr));
    cr_assert_str_eq(got, addr);
    cr_assert_eq(ipcx_unix_addr(l, got, 5), IPCX_ENAMETOOLONG);
    cr_assert_eq(ipcx_unix_listen(&l2, addr, IPCX_UNIX_STREAM, NULL), IPCX_EADDRINUSE);
    cr_assert_null(l2);
    cr_assert_eq(ipcx_unix_get_type(l), IPCX_UNIX_STREAM);
    /* The kernel keeps one abstract namespace per socket type. */
    cr_assert_eq(ipcx_unix_listen(&l2, addr, IPCX_UNIX_SEQPACKET, NULL), 0);
    cr_assert_eq(ipcx_unix_get_type(l2), IPCX_UNIX_SEQPACKET);
    ipcx_unix_close(l2);
    ipcx_unix_close(l);
    cr_assert_eq(ipcx_unix_listen(&l2, addr, IPCX_UNIX_STREAM, NULL), 0, "free once closed");
    ipcx_unix_close(l2);
}

Test(unix_stream, descriptors_are_cloexec_and_nonblocking)
{
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_unix *l, *c, *a, *p, *q;
    cr_assert_eq(ipcx_unix_listen(&l, addr, IPCX_UNIX_STREAM, NULL), 0);
    cr_assert_eq(ipcx_unix_connect(&c, addr, IPCX_UNIX_STREAM, NULL, 1000), 0);
    cr_assert_eq(ipcx_unix_accept(l, &a, 1000), 0);
    cr_assert_eq(ipcx_unix_pair(&p, &q, IPCX_UNIX_SEQPACKET), 0);
    struct ipcx_unix *all[] = {l, c, a, p, q};
    for (size_t i = 0; i < 5; i++) {
        int fd = ipcx_unix_fd(all[i]);
        cr_assert_geq(fd, 0);
        cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "handle %zu", i);
        cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK, "handle %zu", i);
        ipcx_unix_close(all[i]);
    }
    cr_assert_eq(ipcx_unix_fd(NULL), -1);
}

Test(unix_stream, bad_arguments_have_no_side_effects)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    int base = tsup_fd_count();
    struct ipcx_unix *s = (void *)1;
    char longpath[200], longabs[200];
    memset(longpath, 'a', sizeof longpath);
    snprintf(longpath, sizeof longpath, "%s/", d.dir);
    memset(longpath + strlen(longpath), 'p', 108 - strlen(longpath));
    longpath[108] = '\0'; /* 108 bytes: one too many for sun_path with its NUL */
    memset(longabs, 'q', sizeof longabs);
    longabs[0] = '@';
    longabs[109] = '\0'; /* '@' + 108 */

    cr_assert_eq(ipcx_unix_listen(NULL, path, IPCX_UNIX_STREAM, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_listen(&s, NULL, IPCX_UNIX_STREAM, NULL), IPCX_EINVAL);
    cr_assert_null(s);
    cr_assert_eq(ipcx_unix_listen(&s, "", IPCX_UNIX_STREAM, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_listen(&s, "@", IPCX_UNIX_STREAM, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_listen(&s, longpath, IPCX_UNIX_STREAM, NULL), IPCX_ENAMETOOLONG);
    cr_assert_eq(ipcx_unix_listen(&s, longabs, IPCX_UNIX_STREAM, NULL), IPCX_ENAMETOOLONG);
    cr_assert_eq(ipcx_unix_listen(&s, path, (enum ipcx_unix_type)7, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_listen(&s, path, IPCX_UNIX_DGRAM, NULL), IPCX_EINVAL);
    struct ipcx_unix_opts bad_mode = {.mode = 04600};
    cr_assert_eq(ipcx_unix_listen(&s, path, IPCX_UNIX_STREAM, &bad_mode), IPCX_EINVAL);
    struct ipcx_unix_opts bad_flags = {.flags = 0x80};
    cr_assert_eq(ipcx_unix_listen(&s, path, IPCX_UNIX_STREAM, &bad_flags), IPCX_EINVAL);
    struct ipcx_unix_opts bad_backlog = {.backlog = -1};
    cr_assert_eq(ipcx_unix_listen(&s, path, IPCX_UNIX_STREAM, &bad_backlog), IPCX_EINVAL);
    struct ipcx_cred_policy bad_pol = {.nuids = 2};
    struct ipcx_unix_opts bad_policy = {.policy = &bad_pol};
    cr_assert_eq(ipcx_unix_listen(&s, path, IPCX_UNIX_STREAM, &bad_policy), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_connect(&s, path, IPCX_UNIX_STREAM, &bad_policy, 100), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_connect(&s, path, IPCX_UNIX_STREAM, NULL, -2), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_connect(NULL, path, IPCX_UNIX_STREAM, NULL, 100), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_connect(&s, "", IPCX_UNIX_STREAM, NULL, 100), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_pair(&s, NULL, IPCX_UNIX_STREAM), IPCX_EINVAL);
    cr_assert_null(s);
    cr_assert_eq(access(path, F_OK), -1, "no path was created");

    struct ipcx_unix *l, *a = NULL;
    char abs[IPCX_UNIX_ADDR_MAX];
    abstract_name(abs, sizeof abs);
    cr_assert_eq(ipcx_unix_listen(&l, abs, IPCX_UNIX_STREAM, NULL), 0);
    cr_assert_eq(ipcx_unix_accept(l, NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_accept(NULL, &a, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_accept(l, &a, -3), IPCX_EINVAL);
    char buf[4];
    cr_assert_eq(ipcx_unix_send(l, "x", 1, 0), IPCX_EINVAL, "a listener does not send");
    cr_assert_eq(ipcx_unix_recv(l, buf, 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_send(NULL, "x", 1, 0), IPCX_EINVAL);
    struct ipcx_unix *p, *q;
    cr_assert_eq(ipcx_unix_pair(&p, &q, IPCX_UNIX_STREAM), 0);
    cr_assert_eq(ipcx_unix_accept(p, &a, 0), IPCX_EINVAL, "not a listener");
    cr_assert_eq(ipcx_unix_send(p, NULL, 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_next_size(p, 0), IPCX_EINVAL, "no message size on a stream");
    cr_assert_eq(ipcx_unix_sendto(p, abs, "x", 1, 0), IPCX_EINVAL, "sendto is for datagrams");
    size_t nfds = 4;
    int fds[4];
    cr_assert_eq(ipcx_unix_recv_fds(p, buf, sizeof buf, NULL, &nfds, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_recv_fds(p, buf, sizeof buf, fds, NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_send_fds(p, "x", 1, fds, 0, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_send_fds(p, "x", 0, fds, 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_send_fds(p, "x", 1, fds, IPCX_UNIX_MAX_FDS + 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_recv(q, buf, sizeof buf, IPCX_NOWAIT), IPCX_EAGAIN, "nothing sent");
    ipcx_unix_close(p);
    ipcx_unix_close(q);
    ipcx_unix_close(l);
    ipcx_unix_close(NULL);
    cr_assert_eq(tsup_fd_count(), base);
    sockdir_done(&d);
}
