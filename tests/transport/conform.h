/* SPDX-License-Identifier: MIT */
/*
 * conform.h: the transport conformance suite, written once and run against
 * every transport. A transport's test file (test_conform_<scheme>.c)
 * includes this header, describes the transport in one `struct conform_tp`
 * and returns it from conform_tp():
 *
 *     #include "conform.h"
 *     static const struct conform_tp tp = { .scheme = "unix", ... };
 *     static const struct conform_tp *conform_tp(void) { return &tp; }
 *
 * Nothing else: every test below then runs against that transport, with
 * the semantics its capabilities declare (one-way transports, where the
 * dialer sends and the listener receives, transports that cannot see their
 * peer die, transports without descriptor passing).
 *
 * Roles: the "listening end" (L) is the link a listener accepted, or for a
 * transport without listener (pipe:) the first URL of a pair; the "dialing
 * end" (D) is the other one. Every test runs the two ends in two real
 * processes: the test process and a child made with fork. Most tests put L
 * in the test process and D in the child; those about the death or close
 * of L put L in the child.
 *
 * Every test counts the test process's descriptors before and after (no
 * leak), reaps its child within a deadline, and uses random names.
 *
 * Unreliable transports (no IPCX_LINK_RELIABLE: udp://) lose a message
 * when the receiver's buffer is full. They lose nothing on one machine
 * otherwise, so the suite keeps every case for them, but a sender that
 * could run ahead of its receiver (the bulk and size tests) waits for the
 * receiver after each `window` bytes (conform_tp.window): no case relies
 * on a burst the kernel would have to drop.
 */
#ifndef IPCX_TESTS_CONFORM_H
#define IPCX_TESTS_CONFORM_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ipcx/error.h>
#include <ipcx/link.h>

#include "tsup.h"

#define CONFORM_URL_MAX 1024
#define CONFORM_WAIT_MS 10000 /* generous bound for anything that should be quick */

/* One transport, as the suite sees it. */
struct conform_tp {
    const char *scheme;
    /* Writes a fresh URL (random name, or port 0) to listen on. NULL for a
     * transport without listener, which gives pair_urls instead. */
    void (*listen_url)(char *buf, size_t size);
    /* Transports without listener: makes the URLs of the two ends of a new
     * connection (L's and D's). Returns 0. */
    int (*pair_urls)(char *l_url, char *d_url, size_t size);
    /* The capability flags expected at each end, and the default largest
     * message. */
    unsigned l_caps;
    unsigned d_caps;
    size_t max_msg;
    /* Malformed URLs of this scheme (NULL-terminated); the suite adds the
     * ones every scheme shares. */
    const char *const *bad_urls;
    /* Byte-stream transports: makes a link `*k` (with `opts`) and a raw
     * descriptor `*wfd` writing bytes into it, unframed, so that the suite
     * can play a hostile peer. NULL for transports that are not streams. */
    int (*raw_peer)(struct ipcx_link **k, int *wfd, const struct ipcx_link_opts *opts);
    /* Options both ends use where a test gives none (NULL: defaults), e.g.
     * a waiting mode of shm://. */
    const struct ipcx_link_opts *opts;
    /* Senders pause for the receiver after this many bytes (each message
     * counted with CONFORM_PACE_COST more); 0: never. For transports that
     * drop what does not fit in the receiver's buffer. */
    size_t window;
    /* A send-only dialing end without IPCX_LINK_PEER_DEATH: what its sends
     * return once the listening end was killed, when the transport still
     * notices (the reader of a FIFO gone, a UDP port closed), or 0 when it
     * cannot tell (sends go on, or wait for room and time out). */
    int gone_at_send;
    /* Removes the named object behind a listen URL that a killed listener
     * left behind (FIFO path, queue name or key). NULL: nothing is left. */
    void (*remove_name)(const char *url);
};

/* Defined by the transport's test file. */
static const struct conform_tp *conform_tp(void);

/* ------------------------------------------------------------------ */
/* The two processes                                                    */

typedef int (*conform_fn)(struct ipcx_link *k, void *arg);

enum conform_role {
    CONFORM_CHILD_DIALS,   /* L in the test process, D in the child */
    CONFORM_CHILD_LISTENS, /* D in the test process, L in the child */
};

struct conform_run {
    pid_t pid;
    struct ipcx_link *link;    /* the test process's end */
    struct ipcx_listener *lst; /* the test process's listener */
    int go[2];                 /* test process -> child */
    int ready[2];              /* child -> test process */
    int fd_base;
    char url[CONFORM_URL_MAX]; /* the URL the test process dialed or listens on */
};

/* In the child: the read end of `go`, the write end of `ready`. */
static int conform_child_go = -1;
static int conform_child_ready = -1;

/* Reads exactly `len` bytes from `fd` within `ms`. Returns 0 or -1. */
static int conform_read_full(int fd, void *buf, size_t len, int ms)
{
    int64_t end = tsup_now_ms() + ms;
    size_t got = 0;
    while (got < len) {
        int64_t left = end - tsup_now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return -1;
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

/* In the child: waits for the test process's conform_go(). */
static int conform_wait_go(int ms)
{
    char c;
    return conform_read_full(conform_child_go, &c, 1, ms);
}

/* In the child: releases the test process's conform_wait_ready(). */
static void conform_ready(void)
{
    char c = 'r';
    TSUP_CHILD_CHECK(write(conform_child_ready, &c, 1) == 1);
}

static void conform_go(struct conform_run *r)
{
    char c = 'g';
    cr_assert_eq(write(r->go[1], &c, 1), 1);
}

static void conform_wait_ready(struct conform_run *r)
{
    char c;
    cr_assert_eq(conform_read_full(r->ready[0], &c, 1, CONFORM_WAIT_MS), 0,
                 "the child never got ready");
}

struct conform_child_args {
    enum conform_role role;
    const char *url; /* D's URL (CHILD_DIALS) or L's pair URL (CHILD_LISTENS, pair) */
    const struct ipcx_link_opts *opts;
    conform_fn fn;
    void *arg;
};

static int conform_child_main(void *p)
{
    struct conform_child_args *a = p;
    const struct conform_tp *tp = conform_tp();
    struct ipcx_link *k = NULL;
    if (!a->opts)
        a->opts = tp->opts;
    if (a->role == CONFORM_CHILD_LISTENS && tp->listen_url) {
        char url[CONFORM_URL_MAX], real[CONFORM_URL_MAX];
        struct ipcx_listener *l;
        tp->listen_url(url, sizeof url);
        TSUP_CHILD_CHECK(ipcx_link_listen(&l, url, a->opts) == 0);
        TSUP_CHILD_CHECK(ipcx_listener_url(l, real, sizeof real) >= 0);
        uint32_t n = (uint32_t)strlen(real);
        TSUP_CHILD_CHECK(write(conform_child_ready, &n, sizeof n) == sizeof n);
        TSUP_CHILD_CHECK(write(conform_child_ready, real, n) == (ssize_t)n);
        TSUP_CHILD_CHECK(ipcx_link_accept(l, &k, CONFORM_WAIT_MS) == 0);
        /* The listener is left as it is: the test process removes names. */
    } else {
        TSUP_CHILD_CHECK(ipcx_link_dial(&k, a->url, a->opts, CONFORM_WAIT_MS) == 0);
    }
    int rc = a->fn(k, a->arg);
    ipcx_link_close(k);
    return rc;
}

/*
 * Starts a test: the child runs fn on its end (then closes it and exits
 * with fn's result); on return r->link is the test process's end.
 */
static void conform_start_opts(struct conform_run *r, enum conform_role role, conform_fn fn,
                               void *arg, const struct ipcx_link_opts *opts)
{
    const struct conform_tp *tp = conform_tp();
    memset(r, 0, sizeof *r);
    if (!opts)
        opts = tp->opts;
    r->fd_base = tsup_fd_count();
    cr_assert_eq(pipe2(r->go, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(r->ready, O_CLOEXEC), 0);

    char l_url[CONFORM_URL_MAX] = "", d_url[CONFORM_URL_MAX] = "";
    if (tp->listen_url) {
        if (role == CONFORM_CHILD_DIALS) {
            char url[CONFORM_URL_MAX];
            tp->listen_url(url, sizeof url);
            cr_assert_eq(ipcx_link_listen(&r->lst, url, opts), 0, "listen %s", url);
            cr_assert_geq(ipcx_listener_url(r->lst, d_url, sizeof d_url), 0);
        }
    } else {
        cr_assert_eq(tp->pair_urls(l_url, d_url, sizeof l_url), 0);
    }

    struct conform_child_args a = {role, role == CONFORM_CHILD_DIALS ? d_url : l_url, opts, fn,
                                   arg};
    fflush(NULL);
    /* The child's copies of the pipe ends are set before fork, in globals. */
    conform_child_go = r->go[0];
    conform_child_ready = r->ready[1];
    r->pid = tsup_fork(conform_child_main, &a);
    cr_assert_gt(r->pid, 0);
    close(r->go[0]);
    close(r->ready[1]);
    r->go[0] = r->ready[1] = -1;

    int rc;
    if (role == CONFORM_CHILD_DIALS) {
        if (r->lst)
            rc = ipcx_link_accept(r->lst, &r->link, CONFORM_WAIT_MS);
        else
            rc = ipcx_link_dial(&r->link, l_url, opts, CONFORM_WAIT_MS);
    } else if (tp->listen_url) {
        uint32_t n = 0;
        cr_assert_eq(conform_read_full(r->ready[0], &n, sizeof n, CONFORM_WAIT_MS), 0);
        cr_assert_lt(n, sizeof d_url);
        cr_assert_eq(conform_read_full(r->ready[0], d_url, n, CONFORM_WAIT_MS), 0);
        d_url[n] = '\0';
        snprintf(r->url, sizeof r->url, "%s", d_url);
        rc = ipcx_link_dial(&r->link, d_url, opts, CONFORM_WAIT_MS);
    } else {
        rc = ipcx_link_dial(&r->link, d_url, opts, CONFORM_WAIT_MS);
    }
    cr_assert_eq(rc, 0, "connecting the test process's end: %s", ipcx_errname(rc));
}

static void conform_start(struct conform_run *r, enum conform_role role, conform_fn fn, void *arg)
{
    conform_start_opts(r, role, fn, arg, NULL);
}

/* Closes the test process's end now (the child may still run). */
static void conform_close_link(struct conform_run *r)
{
    ipcx_link_close(r->link);
    r->link = NULL;
}

/* Ends a test: returns the child's exit code; checks that nothing leaked. */
static int conform_finish(struct conform_run *r)
{
    conform_close_link(r);
    int code = r->pid > 0 ? tsup_wait_exit(r->pid, CONFORM_WAIT_MS) : 0;
    ipcx_listener_close(r->lst);
    close(r->go[1]);
    close(r->ready[0]);
    cr_assert_eq(tsup_fd_count(), r->fd_base, "descriptors leaked");
    return code;
}

/* ------------------------------------------------------------------ */
/* Message contents                                                     */

/* Byte j of message i: a pattern that differs by message and position. */
static inline uint8_t conform_byte(unsigned i, size_t j)
{
    return (uint8_t)(i * 131u + j * 7u + (j >> 8) * 13u);
}

static void *conform_body(unsigned i, size_t size)
{
    uint8_t *b = malloc(size ? size : 1);
    for (size_t j = 0; b && j < size; j++)
        b[j] = conform_byte(i, j);
    return b;
}

static bool conform_body_ok(unsigned i, const struct ipcx_msg *m, size_t size)
{
    if (m->size != size || (size && !m->data))
        return false;
    const uint8_t *b = m->data;
    for (size_t j = 0; j < size; j++)
        if (b[j] != conform_byte(i, j))
            return false;
    return true;
}

/* The priority of message i. A transport whose kernel orders by priority
 * (IPCX_LINK_NATIVE_PRIO) is promised order only within a priority, so the
 * order tests give it one priority; conform.priorities checks the rest. */
static unsigned conform_prio(unsigned i)
{
    if (conform_tp()->l_caps & IPCX_LINK_NATIVE_PRIO)
        return 0;
    return i % (IPCX_MSG_PRIO_MAX + 1);
}

/* Sends message i of `size` bytes with attributes derived from i. */
static int conform_send(struct ipcx_link *k, unsigned i, size_t size, int ms)
{
    void *b = conform_body(i, size);
    if (!b)
        return IPCX_ENOMEM;
    struct ipcx_msg m = ipcx_msg_of(b, size);
    m.type = (long)(i % 7);
    m.priority = conform_prio(i);
    m.id = 0x1000000000ull + i;
    int rc = ipcx_link_send(k, &m, ms);
    free(b);
    return rc;
}

/* Receives message i of `size` bytes and checks it. Returns 0, or a code, or 1 when wrong. */
static int conform_recv(struct ipcx_link *k, unsigned i, size_t size, int ms)
{
    struct ipcx_msg m;
    int rc = ipcx_link_recv(k, &m, ms);
    if (rc < 0)
        return rc;
    /* Attributes travel where the transport carries them natively or in
     * a frame; a transport that orders by priority keeps them too. */
    bool ok = conform_body_ok(i, &m, size) && (m.flags & IPCX_MSG_OWNED) && m.nfds == 0 &&
              m.id == 0x1000000000ull + i && m.type == (long)(i % 7) &&
              m.priority == conform_prio(i);
    ipcx_msg_release(&m);
    return ok ? 0 : 1;
}

static bool conform_caps_have(const struct ipcx_link *k, unsigned flag)
{
    struct ipcx_link_caps c;
    return ipcx_link_caps(k, &c) == 0 && (c.flags & flag);
}

static size_t conform_max(const struct ipcx_link *k)
{
    struct ipcx_link_caps c = {0};
    ipcx_link_caps(k, &c);
    return c.max_msg;
}

/* Pacing (conform_tp.window): the sender calls conform_pace_send() after
 * each message, the receiver conform_pace_recv() after taking it; both
 * count the same sizes, so they agree on where the sender waits. */
#define CONFORM_PACE_COST 2048 /* a generous estimate of a message's overhead in a buffer */

struct conform_pacer {
    size_t used;
};

static bool conform_pace_due(struct conform_pacer *p, size_t size)
{
    size_t window = conform_tp()->window;
    if (!window)
        return false;
    p->used += size + CONFORM_PACE_COST;
    if (p->used < window)
        return false;
    p->used = 0;
    return true;
}

/* In the child, after sending a message of `size` bytes. Returns 0 or -1. */
static int conform_pace_send(struct conform_pacer *p, size_t size)
{
    return conform_pace_due(p, size) ? conform_wait_go(CONFORM_WAIT_MS) : 0;
}

/* In the test process, after receiving that message. */
static void conform_pace_recv(struct conform_run *r, struct conform_pacer *p, size_t size)
{
    if (conform_pace_due(p, size))
        conform_go(r);
}

/* ------------------------------------------------------------------ */
/* The tests                                                            */

#define CONFORM_N 200

static size_t conform_size(unsigned i, size_t max)
{
    size_t s = (i * 37u) % 3000u;
    return s > max ? max : s;
}

static int child_send_many(struct ipcx_link *k, void *arg)
{
    (void)arg;
    size_t max = conform_max(k);
    struct conform_pacer p = {0};
    for (unsigned i = 0; i < CONFORM_N; i++) {
        TSUP_CHILD_CHECK(conform_send(k, i, conform_size(i, max), CONFORM_WAIT_MS) == 0);
        TSUP_CHILD_CHECK(conform_pace_send(&p, conform_size(i, max)) == 0);
    }
    TSUP_CHILD_CHECK(conform_wait_go(CONFORM_WAIT_MS) == 0);
    return 0;
}

Test(conform, caps_as_declared)
{
    const struct conform_tp *tp = conform_tp();
    char url[CONFORM_URL_MAX];
    struct conform_run r;
    conform_start(&r, CONFORM_CHILD_DIALS, child_send_many, NULL);
    struct ipcx_link_caps c;
    cr_assert_eq(ipcx_link_caps(r.link, &c), 0);
    cr_assert_eq(c.flags, tp->l_caps, "caps 0x%x, expected 0x%x", c.flags, tp->l_caps);
    cr_assert_eq(c.max_msg, tp->max_msg);
    cr_assert_str_eq(ipcx_link_scheme(r.link), tp->scheme);
    snprintf(url, sizeof url, "%s:x", tp->scheme);
    cr_assert_eq(ipcx_link_scheme_caps(url, 1), (int)tp->l_caps);
    cr_assert_eq(ipcx_link_scheme_caps(url, 0), (int)tp->d_caps);
    if (tp->l_caps & IPCX_LINK_CRED) {
        struct ipcx_cred cr;
        cr_assert_eq(ipcx_link_peer_cred(r.link, &cr), 0);
        cr_assert_eq(cr.uid, geteuid());
        cr_assert_eq(cr.pid, r.pid);
    } else {
        struct ipcx_cred cr;
        cr_assert_eq(ipcx_link_peer_cred(r.link, &cr), IPCX_ENOTSUP);
    }
    struct conform_pacer p = {0};
    for (unsigned i = 0; i < CONFORM_N; i++) {
        cr_assert_eq(conform_recv(r.link, i, conform_size(i, tp->max_msg), CONFORM_WAIT_MS), 0);
        conform_pace_recv(&r, &p, conform_size(i, tp->max_msg));
    }
    conform_go(&r);
    cr_assert_eq(conform_finish(&r), 0);
}

/* Messages from D to L arrive intact, in order, with their attributes. */
Test(conform, intact_in_order_dialer_to_listener)
{
    struct conform_run r;
    conform_start(&r, CONFORM_CHILD_DIALS, child_send_many, NULL);
    size_t max = conform_max(r.link);
    struct conform_pacer p = {0};
    for (unsigned i = 0; i < CONFORM_N; i++) {
        cr_assert_eq(conform_recv(r.link, i, conform_size(i, max), CONFORM_WAIT_MS), 0,
                     "message %u", i);
        conform_pace_recv(&r, &p, conform_size(i, max));
    }
    conform_go(&r);
    cr_assert_eq(conform_finish(&r), 0);
}

static int child_recv_many(struct ipcx_link *k, void *arg)
{
    (void)arg;
    size_t max = conform_max(k);
    for (unsigned i = 0; i < CONFORM_N; i++)
        TSUP_CHILD_CHECK(conform_recv(k, i, conform_size(i, max), CONFORM_WAIT_MS) == 0);
    return 0;
}

/* A send-only D: a receive is refused at once, whatever the timeout. */
static int child_send_only(struct ipcx_link *k, void *arg)
{
    (void)arg;
    struct ipcx_msg m;
    TSUP_CHILD_CHECK(ipcx_link_recv(k, &m, CONFORM_WAIT_MS) == IPCX_ENOTSUP);
    TSUP_CHILD_CHECK(ipcx_link_recv(k, &m, IPCX_NOWAIT) == IPCX_ENOTSUP);
    TSUP_CHILD_CHECK(conform_wait_go(CONFORM_WAIT_MS) == 0);
    return 0;
}

/* L to D, where L can send; a one-way L refuses to send, its D to receive. */
Test(conform, intact_in_order_listener_to_dialer)
{
    const struct conform_tp *tp = conform_tp();
    struct conform_run r;
    if (tp->l_caps & IPCX_LINK_SEND) {
        cr_assert(tp->d_caps & IPCX_LINK_RECV);
        conform_start(&r, CONFORM_CHILD_DIALS, child_recv_many, NULL);
        size_t max = conform_max(r.link);
        for (unsigned i = 0; i < CONFORM_N; i++)
            cr_assert_eq(conform_send(r.link, i, conform_size(i, max), CONFORM_WAIT_MS), 0);
    } else {
        cr_assert(!(tp->d_caps & IPCX_LINK_RECV));
        conform_start(&r, CONFORM_CHILD_DIALS, child_send_only, NULL);
        struct ipcx_msg m = ipcx_msg_of("x", 1);
        int64_t t0 = tsup_now_ms();
        cr_assert_eq(ipcx_link_send(r.link, &m, CONFORM_WAIT_MS), IPCX_ENOTSUP);
        cr_assert_lt(tsup_now_ms() - t0, 1000, "refused at once");
        conform_go(&r);
    }
    cr_assert_eq(conform_finish(&r), 0);
}

static const size_t conform_sizes[] = {0,     1,   2,    3,    7,      8,      31,    32,
                                       33,    255, 4095, 4096, 4097,   65535,  65536, 65537,
                                       99999, 1,   0,    100,  262144, 262145, 5};
#define CONFORM_NSIZES (sizeof conform_sizes / sizeof conform_sizes[0])
#define CONFORM_ROUNDS 3

static size_t conform_bsize(unsigned i, size_t max)
{
    size_t s = conform_sizes[i % CONFORM_NSIZES];
    return s > max ? max : s;
}

static int child_send_sizes(struct ipcx_link *k, void *arg)
{
    (void)arg;
    size_t max = conform_max(k);
    struct conform_pacer p = {0};
    for (unsigned i = 0; i < CONFORM_NSIZES * CONFORM_ROUNDS; i++) {
        TSUP_CHILD_CHECK(conform_send(k, i, conform_bsize(i, max), CONFORM_WAIT_MS) == 0);
        TSUP_CHILD_CHECK(conform_pace_send(&p, conform_bsize(i, max)) == 0);
    }
    TSUP_CHILD_CHECK(conform_wait_go(CONFORM_WAIT_MS) == 0);
    return 0;
}

/* Small and large messages back to back keep their boundaries. */
Test(conform, boundaries_kept)
{
    struct conform_run r;
    conform_start(&r, CONFORM_CHILD_DIALS, child_send_sizes, NULL);
    size_t max = conform_max(r.link);
    struct conform_pacer p = {0};
    for (unsigned i = 0; i < CONFORM_NSIZES * CONFORM_ROUNDS; i++) {
        cr_assert_eq(conform_recv(r.link, i, conform_bsize(i, max), CONFORM_WAIT_MS), 0,
                     "message %u of %zu bytes", i, conform_bsize(i, max));
        conform_pace_recv(&r, &p, conform_bsize(i, max));
    }
    conform_go(&r);
    cr_assert_eq(conform_finish(&r), 0);
}

static int child_send_largest(struct ipcx_link *k, void *arg)
{
    (void)arg;
    size_t max = conform_max(k);
    struct conform_pacer p = {0};
    TSUP_CHILD_CHECK(conform_send(k, 1, max, CONFORM_WAIT_MS) == 0);
    TSUP_CHILD_CHECK(conform_pace_send(&p, max) == 0);
    TSUP_CHILD_CHECK(conform_send(k, 2, 3, CONFORM_WAIT_MS) == 0);
    TSUP_CHILD_CHECK(conform_pace_send(&p, 3) == 0);
    TSUP_CHILD_CHECK(conform_wait_go(CONFORM_WAIT_MS) == 0);
    return 0;
}

/* The largest message goes through whole, and the next one after it. */
Test(conform, largest_message)
{
    const struct conform_tp *tp = conform_tp();
    struct conform_run r;
    conform_start(&r, CONFORM_CHILD_DIALS, child_send_largest, NULL);
    cr_assert_eq(conform_max(r.link), tp->max_msg);
    struct conform_pacer p = {0};
    cr_assert_eq(conform_recv(r.link, 1, tp->max_msg, CONFORM_WAIT_MS), 0);
    conform_pace_recv(&r, &p, tp->max_msg);
    cr_assert_eq(conform_recv(r.link, 2, 3, CONFORM_WAIT_MS), 0);
    conform_pace_recv(&r, &p, 3);
    conform_go(&r);
    cr_assert_eq(conform_finish(&r), 0);
}

static int child_send_oversize(struct ipcx_link *k, void *arg)
{
    (void)arg;
    size_t max = conform_max(k);
    void *big = calloc(1, max + 1);
    TSUP_CHILD_CHECK(big);
    struct ipcx_msg m = ipcx_msg_of(big, max + 1);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m, CONFORM_WAIT_MS) == IPCX_EMSGSIZE);
    free(big);
    TSUP_CHILD_CHECK(conform_send(k, 9, 10, CONFORM_WAIT_MS) == 0);
    TSUP_CHILD_CHECK(conform_wait_go(CONFORM_WAIT_MS) == 0);
    return 0;
}

/* A message over the largest is refused at send; the link stays usable. */
Test(conform, oversize_refused_link_usable)
{
    struct conform_run r;
    conform_start(&r, CONFORM_CHILD_DIALS, child_send_oversize, NULL);
    cr_assert_eq(conform_recv(r.link, 9, 10, CONFORM_WAIT_MS), 0);
    conform_go(&r);
    cr_assert_eq(conform_finish(&r), 0);
}

/* Priorities of the conform.priorities test, in the order sent. */
static const unsigned conform_prios[] = {0, 5, 5, 31, 0, 7, 1};
#define CONFORM_NPRIOS (sizeof conform_prios / sizeof conform_prios[0])

static int child_send_prios(struct ipcx_link *k, void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < CONFORM_NPRIOS; i++) {
        struct ipcx_msg m = ipcx_msg_of(&i, sizeof i);
        m.priority = conform_prios[i];
        m.type = 1;
        TSUP_CHILD_CHECK(ipcx_link_send(k, &m, CONFORM_WAIT_MS) == 0);
    }
    conform_ready();
    TSUP_CHILD_CHECK(conform_wait_go(CONFORM_WAIT_MS) == 0);
    return 0;
}

/* Every priority travels. Sent before the receiver looks: a transport
 * whose kernel orders by priority (IPCX_LINK_NATIVE_PRIO) gives the highest
 * first and FIFO within one; every other keeps the order sent. */
Test(conform, priorities)
{
    const struct conform_tp *tp = conform_tp();
    struct conform_run r;
    conform_start(&r, CONFORM_CHILD_DIALS, child_send_prios, NULL);
    conform_wait_ready(&r);
    unsigned want[CONFORM_NPRIOS];
    for (unsigned i = 0; i < CONFORM_NPRIOS; i++)
        want[i] = i;
    if (tp->l_caps & IPCX_LINK_NATIVE_PRIO) {
        /* A stable insertion sort, highest priority first. */
        for (unsigned i = 1; i < CONFORM_NPRIOS; i++)
            for (unsigned j = i; j > 0 && conform_prios[want[j]] > conform_prios[want[j - 1]];
                 j--) {
                unsigned t = want[j];
                want[j] = want[j - 1];
                want[j - 1] = t;
            }
    }
    for (unsigned i = 0; i < CONFORM_NPRIOS; i++) {
        struct ipcx_msg m;
        cr_assert_eq(ipcx_link_recv(r.link, &m, CONFORM_WAIT_MS), 0);
        unsigned k = UINT32_MAX;
        cr_assert_eq(m.size, sizeof k);
        memcpy(&k, m.data, sizeof k);
        cr_assert_eq(k, want[i], "position %u: message %u, expected %u", i, k, want[i]);
        cr_assert_eq(m.priority, conform_prios[k]);
        cr_assert_eq(m.type, 1);
        ipcx_msg_release(&m);
    }
    conform_go(&r);
    cr_assert_eq(conform_finish(&r), 0);
}

static void conform_assert_timeout(struct ipcx_link *k, int ms)
{
    struct ipcx_msg m;
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_link_recv(k, &m, ms), IPCX_ETIMEDOUT);
    int64_t dt = tsup_now_ms() - t0;
    cr_assert_geq(dt, ms, "returned after %lld ms", (long long)dt);
    cr_assert_lt(dt, ms + 250, "returned after %lld ms", (long long)dt);
}

static int child_timeouts(struct ipcx_link *k, void *arg)
{
    (void)arg;
    if (conform_caps_have(k, IPCX_LINK_RECV)) {
        struct ipcx_msg m;
        int64_t t0 = tsup_now_ms();
        TSUP_CHILD_CHECK(ipcx_link_recv(k, &m, 200) == IPCX_ETIMEDOUT);
        TSUP_CHILD_CHECK(tsup_now_ms() - t0 >= 200);
        TSUP_CHILD_CHECK(ipcx_link_recv(k, &m, IPCX_NOWAIT) == IPCX_EAGAIN);
    }
    conform_ready();
    TSUP_CHILD_CHECK(conform_wait_go(CONFORM_WAIT_MS) == 0);
    TSUP_CHILD_CHECK(conform_send(k, 5, 50, CONFORM_WAIT_MS) == 0);
    TSUP_CHILD_CHECK(conform_wait_go(CONFORM_WAIT_MS) == 0);
    return 0;
}

/* A receive times out no earlier than its deadline; NOWAIT says EAGAIN. */
Test(conform, recv_timeout_and_nowait)
{
    struct conform_run r;
    conform_start(&r, CONFORM_CHILD_DIALS, child_timeouts, NULL);
    conform_wait_ready(&r);
    conform_assert_timeout(r.link, 300);
    struct ipcx_msg m;
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_link_recv(r.link, &m, IPCX_NOWAIT), IPCX_EAGAIN);
    cr_assert_lt(tsup_now_ms() - t0, 100);
    /* ...and the link is fine afterwards. */
    conform_go(&r);
    cr_assert_eq(conform_recv(r.link, 5, 50, CONFORM_WAIT_MS), 0);
    conform_go(&r);
    cr_assert_eq(conform_finish(&r), 0);
}

static int child_alive_then_wait(struct ipcx_link *k, void *arg)
{
    (void)arg;
    if (conform_caps_have(k, IPCX_LINK_SEND))
        TSUP_CHILD_CHECK(conform_send(k, 3, 5, CONFORM_WAIT_MS) == 0);
    conform_ready();
    conform_wait_go(CONFORM_WAIT_MS);
    return 0;
}

/* After the peer is gone: a receive (or a send on a send-only end). */
static void conform_expect_gone(struct ipcx_link *k, int expect)
{
    if (conform_caps_have(k, IPCX_LINK_RECV)) {
        struct ipcx_msg m;
        int rc = ipcx_link_recv(k, &m, expect == IPCX_ETIMEDOUT ? 300 : CONFORM_WAIT_MS);
        cr_assert_eq(rc, expect, "%s, expected %s", ipcx_errname(rc), ipcx_errname(expect));
        /* ...and it stays so. */
        rc = ipcx_link_recv(k, &m, expect == IPCX_ETIMEDOUT ? 100 : IPCX_NOWAIT);
        cr_assert_eq(rc, expect == IPCX_ETIMEDOUT ? IPCX_ETIMEDOUT : expect);
        return;
    }
    /* A send-only end learns it at a send: the first ones may still go.
     * Without IPCX_LINK_PEER_DEATH it may learn nothing (sends go on, or
     * wait for room in a queue nobody reads and time out), or the
     * transport still tells (conform_tp.gone_at_send). */
    if (expect == IPCX_ETIMEDOUT && conform_tp()->gone_at_send)
        expect = conform_tp()->gone_at_send;
    int rc = 0;
    int64_t end = tsup_now_ms() + 2000;
    for (unsigned i = 0; (rc == 0 || rc == IPCX_ETIMEDOUT) && tsup_now_ms() < end; i++)
        rc = conform_send(k, i, 100, 100);
    if (expect == IPCX_ETIMEDOUT)
        cr_assert(rc == 0 || rc == IPCX_ETIMEDOUT, "%s", ipcx_errname(rc));
    else
        cr_assert_eq(rc, expect, "%s", ipcx_errname(rc));
    /* ...and it stays so. */
    if (expect != IPCX_ETIMEDOUT)
        cr_assert_eq(conform_send(k, 0, 1, IPCX_NOWAIT), expect);
}

/* D killed with SIGKILL: L notices (IPCX_EPEERDEAD) where it can. */
Test(conform, dialer_killed_noticed)
{
    const struct conform_tp *tp = conform_tp();
    struct conform_run r;
    conform_start(&r, CONFORM_CHILD_DIALS, child_alive_then_wait, NULL);
    conform_wait_ready(&r);
    cr_assert_eq(conform_recv(r.link, 3, 5, CONFORM_WAIT_MS), 0);
    cr_assert_eq(kill(r.pid, SIGKILL), 0);
    cr_assert_eq(tsup_wait_exit(r.pid, CONFORM_WAIT_MS), 128 + SIGKILL);
    r.pid = -1;
    conform_expect_gone(r.link,
                        (tp->l_caps & IPCX_LINK_PEER_DEATH) ? IPCX_EPEERDEAD : IPCX_ETIMEDOUT);
    conform_finish(&r);
}

/* L killed with SIGKILL: D notices where it can. */
Test(conform, listener_killed_noticed)
{
    const struct conform_tp *tp = conform_tp();
    struct conform_run r;
    conform_start(&r, CONFORM_CHILD_LISTENS, child_alive_then_wait, NULL);
    conform_wait_ready(&r);
    if (tp->d_caps & IPCX_LINK_RECV)
        cr_assert_eq(conform_recv(r.link, 3, 5, CONFORM_WAIT_MS), 0);
    cr_assert_eq(kill(r.pid, SIGKILL), 0);
    cr_assert_eq(tsup_wait_exit(r.pid, CONFORM_WAIT_MS), 128 + SIGKILL);
    r.pid = -1;
    conform_expect_gone(r.link,
                        (tp->d_caps & IPCX_LINK_PEER_DEATH) ? IPCX_EPEERDEAD : IPCX_ETIMEDOUT);
    conform_finish(&r);
    if (tp->remove_name)
        tp->remove_name(r.url);
}

static int child_send_five_close(struct ipcx_link *k, void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < 5; i++)
        TSUP_CHILD_CHECK(conform_send(k, i, 1000 * i, CONFORM_WAIT_MS) == 0);
    return 0; /* the harness closes the link, then the child exits */
}

/* D closes in order: L receives everything sent, then IPCX_ECLOSED. */
Test(conform, orderly_close_after_draining)
{
    const struct conform_tp *tp = conform_tp();
    struct conform_run r;
    conform_start(&r, CONFORM_CHILD_DIALS, child_send_five_close, NULL);
    cr_assert_eq(tsup_wait_exit(r.pid, CONFORM_WAIT_MS), 0);
    r.pid = -1;
    size_t max = conform_max(r.link);
    for (unsigned i = 0; i < 5; i++)
        cr_assert_eq(conform_recv(r.link, i, 1000 * i > max ? max : 1000 * i, CONFORM_WAIT_MS), 0);
    conform_expect_gone(r.link,
                        (tp->l_caps & IPCX_LINK_PEER_DEATH) ? IPCX_ECLOSED : IPCX_ETIMEDOUT);
    conform_finish(&r);
}

static int child_recv_five_closed(struct ipcx_link *k, void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < 5; i++)
        TSUP_CHILD_CHECK(conform_recv(k, i, 100 * i, CONFORM_WAIT_MS) == 0);
    struct ipcx_msg m;
    TSUP_CHILD_CHECK(ipcx_link_recv(k, &m, CONFORM_WAIT_MS) == IPCX_ECLOSED);
    TSUP_CHILD_CHECK(ipcx_link_recv(k, &m, IPCX_NOWAIT) == IPCX_ECLOSED);
    return 0;
}

/* L closes in order: a D that receives sees IPCX_ECLOSED after the rest. */
Test(conform, orderly_close_by_listener)
{
    const struct conform_tp *tp = conform_tp();
    struct conform_run r;
    if ((tp->l_caps & IPCX_LINK_SEND) && (tp->d_caps & IPCX_LINK_PEER_DEATH)) {
        conform_start(&r, CONFORM_CHILD_DIALS, child_recv_five_closed, NULL);
        for (unsigned i = 0; i < 5; i++)
            cr_assert_eq(conform_send(r.link, i, 100 * i, CONFORM_WAIT_MS), 0);
        conform_close_link(&r);
    } else {
        /* One way: closing L must not disturb D's sends already made. */
        conform_start(&r, CONFORM_CHILD_DIALS, child_send_five_close, NULL);
        size_t max = conform_max(r.link);
        for (unsigned i = 0; i < 5; i++)
            cr_assert_eq(conform_recv(r.link, i, 1000 * i > max ? max : 1000 * i, CONFORM_WAIT_MS),
                         0);
    }
    cr_assert_eq(conform_finish(&r), 0);
}

static int child_fds(struct ipcx_link *k, void *arg)
{
    (void)arg;
    int p[2];
    TSUP_CHILD_CHECK(pipe2(p, O_CLOEXEC) == 0);
    TSUP_CHILD_CHECK(write(p[1], "fd-ok", 5) == 5);
    struct ipcx_msg m = ipcx_msg_of("with fd", 7);
    m.nfds = 1;
    m.fds[0] = p[0];
    if (conform_caps_have(k, IPCX_LINK_FDS)) {
        TSUP_CHILD_CHECK(ipcx_link_send(k, &m, CONFORM_WAIT_MS) == 0);
    } else {
        TSUP_CHILD_CHECK(ipcx_link_send(k, &m, CONFORM_WAIT_MS) == IPCX_ENOTSUP);
        m.nfds = 0;
        TSUP_CHILD_CHECK(ipcx_link_send(k, &m, CONFORM_WAIT_MS) == 0);
    }
    close(p[0]);
    close(p[1]);
    TSUP_CHILD_CHECK(conform_wait_go(CONFORM_WAIT_MS) == 0);
    return 0;
}

/* Descriptors travel where the transport passes them, and are refused elsewhere. */
Test(conform, descriptors)
{
    const struct conform_tp *tp = conform_tp();
    struct conform_run r;
    conform_start(&r, CONFORM_CHILD_DIALS, child_fds, NULL);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(r.link, &m, CONFORM_WAIT_MS), 0);
    cr_assert_eq(m.size, 7);
    cr_assert_eq(memcmp(m.data, "with fd", 7), 0);
    if (tp->d_caps & IPCX_LINK_FDS) {
        cr_assert_eq(m.nfds, 1);
        char buf[8] = "";
        cr_assert_eq(fcntl(m.fds[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        cr_assert_eq(read(m.fds[0], buf, sizeof buf), 5);
        cr_assert_eq(memcmp(buf, "fd-ok", 5), 0);
    } else {
        cr_assert_eq(m.nfds, 0);
    }
    ipcx_msg_release(&m);
    conform_go(&r);
    cr_assert_eq(conform_finish(&r), 0);
}

/* Malformed URLs give IPCX_EBADURL at listen and at dial, and leak nothing. */
Test(conform, bad_urls)
{
    const struct conform_tp *tp = conform_tp();
    int base = tsup_fd_count();
    char longurl[2100];
    int n = snprintf(longurl, sizeof longurl, "%s://", tp->scheme);
    memset(longurl + n, 'a', sizeof longurl - (size_t)n - 1);
    longurl[sizeof longurl - 1] = '\0';
    char noscheme[64], ctl[64];
    snprintf(noscheme, sizeof noscheme, "%s//x", tp->scheme);
    snprintf(ctl, sizeof ctl, "%s://a\nb", tp->scheme);
    const char *common[] = {"",       ":", "://x", "nosuchscheme://x", "1unix:///x", longurl,
                            noscheme, ctl, NULL};
    for (int pass = 0; pass < 2; pass++) {
        const char *const *list = pass ? tp->bad_urls : common;
        for (size_t i = 0; list && list[i]; i++) {
            struct ipcx_listener *l = (void *)1;
            struct ipcx_link *k = (void *)1;
            int rc = ipcx_link_listen(&l, list[i], NULL);
            cr_assert(rc == IPCX_EBADURL || (!tp->listen_url && rc == IPCX_ENOTSUP && pass == 1),
                      "listen \"%s\": %s", list[i], ipcx_errname(rc));
            cr_assert_null(l);
            rc = ipcx_link_dial(&k, list[i], NULL, 200);
            cr_assert_eq(rc, IPCX_EBADURL, "dial \"%s\": %s", list[i], ipcx_errname(rc));
            cr_assert_null(k);
        }
    }
    cr_assert_eq(ipcx_link_scheme_caps("nosuchscheme://x", 0), IPCX_EBADURL);
    cr_assert_eq(tsup_fd_count(), base);
}

/* Nobody at the URL: dial fails and leaks nothing; a listener without peers closes clean. */
Test(conform, dial_nobody_no_leak)
{
    const struct conform_tp *tp = conform_tp();
    int base = tsup_fd_count();
    char url[CONFORM_URL_MAX];
    if (tp->listen_url) {
        struct ipcx_link *k;
        tp->listen_url(url, sizeof url);
        int rc = ipcx_link_dial(&k, url, NULL, 200);
        cr_assert_lt(rc, 0);
        cr_assert_null(k);
        struct ipcx_listener *l;
        cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
        struct ipcx_link *shared = NULL;
        if (tp->l_caps & IPCX_LINK_SHARED) {
            /* The one link every dialer writes into is there at once. */
            struct pollfd p = {.fd = ipcx_listener_fd(l), .events = POLLIN};
            cr_assert_eq(poll(&p, 1, 0), 1);
            cr_assert_eq(ipcx_link_accept(l, &shared, IPCX_NOWAIT), 0);
            cr_assert_eq(poll(&p, 1, 0), 0);
        }
        cr_assert_eq(ipcx_link_accept(l, &k, IPCX_NOWAIT), IPCX_EAGAIN);
        int64_t t0 = tsup_now_ms();
        cr_assert_eq(ipcx_link_accept(l, &k, 200), IPCX_ETIMEDOUT);
        cr_assert_geq(tsup_now_ms() - t0, 200);
        ipcx_link_close(shared);
        ipcx_listener_close(l);
    } else {
        struct ipcx_listener *l;
        snprintf(url, sizeof url, "%s:", tp->scheme);
        cr_assert_eq(ipcx_link_listen(&l, url, NULL), IPCX_ENOTSUP);
    }
    cr_assert_eq(tsup_fd_count(), base);
}

/* ------------------------------------------------------------------ */
/* Hostile peers on byte streams: a transport that carries frames over a
 * byte stream defines CONFORM_BYTE_STREAM before including this header
 * and gives raw_peer. */
#ifdef CONFORM_BYTE_STREAM

/* Writes a version-1 frame header as docs/design/links.md describes it. */
static void conform_frame(uint8_t h[32], uint32_t magic, uint8_t version, uint8_t hdr_len,
                          uint8_t flags, uint8_t nfds, uint32_t len)
{
    memset(h, 0, 32);
    for (int i = 0; i < 4; i++) {
        h[i] = (uint8_t)(magic >> (8 * i));
        h[8 + i] = (uint8_t)(len >> (8 * i));
    }
    h[4] = version;
    h[5] = hdr_len;
    h[6] = flags;
    h[7] = nfds;
}

#define CONFORM_MAGIC 0x46585049u

static void conform_hostile(const uint8_t *bytes, size_t n, int expect, size_t max_msg)
{
    const struct conform_tp *tp = conform_tp();
    int base = tsup_fd_count();
    struct ipcx_link_opts o = {.max_msg = max_msg};
    struct ipcx_link *k;
    int wfd;
    cr_assert_eq(tp->raw_peer(&k, &wfd, &o), 0);
    cr_assert_eq(write(wfd, bytes, n), (ssize_t)n);
    struct ipcx_msg m;
    int64_t t0 = tsup_now_ms();
    int rc = ipcx_link_recv(k, &m, 2000);
    cr_assert_eq(rc, expect, "%s, expected %s", ipcx_errname(rc), ipcx_errname(expect));
    /* Judged from the header alone: no waiting for a body that never comes. */
    cr_assert_lt(tsup_now_ms() - t0, 1500);
    /* The link stays broken; the process is fine. */
    cr_assert_eq(ipcx_link_recv(k, &m, IPCX_NOWAIT), expect);
    ipcx_link_close(k);
    close(wfd);
    cr_assert_eq(tsup_fd_count(), base);
}

/* A huge declared length is refused before anything is allocated or read. */
Test(conform, hostile_huge_length)
{
    uint8_t h[32];
    conform_frame(h, CONFORM_MAGIC, 1, 32, 0, 0, 0xFFFFFFF0u);
    conform_hostile(h, sizeof h, IPCX_EPROTO, 0);
    conform_frame(h, CONFORM_MAGIC, 1, 32, 0, 0, 4097);
    conform_hostile(h, sizeof h, IPCX_EPROTO, 4096);
}

/* Other broken headers: magic, version, header length, flags, descriptors. */
Test(conform, hostile_headers)
{
    uint8_t h[32];
    conform_frame(h, 0x12345678u, 1, 32, 0, 0, 1);
    conform_hostile(h, sizeof h, IPCX_EPROTO, 0);
    conform_frame(h, CONFORM_MAGIC, 9, 32, 0, 0, 1);
    conform_hostile(h, sizeof h, IPCX_EVERSION, 0);
    conform_frame(h, CONFORM_MAGIC, 1, 8, 0, 0, 1);
    conform_hostile(h, sizeof h, IPCX_EPROTO, 0);
    conform_frame(h, CONFORM_MAGIC, 1, 32, 0x80, 0, 1);
    conform_hostile(h, sizeof h, IPCX_EPROTO, 0);
    /* Descriptors declared that never came (or more than a frame carries). */
    conform_frame(h, CONFORM_MAGIC, 1, 32, 0, 1, 0);
    conform_hostile(h, sizeof h, IPCX_EPROTO, 0);
    conform_frame(h, CONFORM_MAGIC, 1, 32, 0, 200, 0);
    conform_hostile(h, sizeof h, IPCX_EPROTO, 0);
    /* A valid frame cut short by the peer's end: dead, not closed. */
    conform_frame(h, CONFORM_MAGIC, 1, 32, 0, 0, 100);
    const struct conform_tp *tp = conform_tp();
    struct ipcx_link *k;
    int wfd;
    cr_assert_eq(tp->raw_peer(&k, &wfd, NULL), 0);
    cr_assert_eq(write(wfd, h, sizeof h), (ssize_t)sizeof h);
    cr_assert_eq(write(wfd, "abc", 3), 3);
    close(wfd);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(k, &m, 2000), IPCX_EPEERDEAD);
    ipcx_link_close(k);
}

#endif /* CONFORM_BYTE_STREAM */

#endif
