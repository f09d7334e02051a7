/* SPDX-License-Identifier: MIT */
/*
 * patterns.h: the channel pattern suite, written once and run over every
 * transport. A test file includes it after defining
 *     static void pat_url(char *buf, size_t size);
 * which writes a fresh URL to listen on (a new random name each call, or
 * a port 0: every URL that is dialed is the one the listening endpoint
 * reports, ipcx_chan_endpoint_url()). See test_patterns_unix.c: adding a
 * transport is one such file.
 *
 * Every test runs real processes: a central channel in the test process
 * and leaf channels in forked children (at least four processes for the
 * pattern tests). Where the transport is one-way, the star is wired the
 * way its link ends allow: the receiving side listens, the sending side
 * dials; tests of what needs a two-way link check instead that listen or
 * dial refuses it with IPCX_ENOTSUP. Children report through their exit
 * status and through counters in an anonymous shared mapping.
 */
#ifndef IPCX_TESTS_PATTERNS_H
#define IPCX_TESTS_PATTERNS_H

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ipcx.h>

#include "proto/wire.h"
#include "tsup.h"

#define PAT_WAIT_MS  10000 /* every wait of the suite ends by then */
#define PAT_MAX_LEAF 6

static void pat_url(char *buf, size_t size);

/* --- helpers ---------------------------------------------------------- */

static void *pat_shared(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    memset(p, 0, size);
    return p;
}

static unsigned pat_caps(bool listener)
{
    char url[256];
    pat_url(url, sizeof url);
    int f = ipcx_link_scheme_caps(url, listener);
    cr_assert_gt(f, 0);
    return (unsigned)f;
}

/* Whether a channel of `p` (capacity `cap`) can use this transport's listening / dialing end. */
static bool pat_fits(enum ipcx_pattern p, size_t cap, bool listener)
{
    return ipcx__pattern_fits(p, cap, pat_caps(listener), listener, NULL) == 0;
}

static bool pat_two_way(void)
{
    unsigned f = pat_caps(true);
    return (f & IPCX_LINK_SEND) && (f & IPCX_LINK_RECV);
}

static struct ipcx_chan *pat_open(enum ipcx_pattern p, size_t cap, enum ipcx_full full,
                                  unsigned flags)
{
    struct ipcx_chan *c = NULL;
    struct ipcx_chan_opts o = {.capacity = cap, .full = full, .flags = flags};
    if (ipcx_chan_open(&c, p, &o) != 0)
        return NULL;
    return c;
}

/* Listens on a fresh URL; `url` gets the URL to dial. Returns the endpoint or an error. */
static int pat_listen(struct ipcx_chan *c, char *url, size_t size)
{
    pat_url(url, size);
    int ep = ipcx_chan_listen(c, url, NULL);
    if (ep > 0 && ipcx_chan_endpoint_url(c, ep, url, size) < 0)
        return IPCX_EIO;
    return ep;
}

/* Dials, retrying while nobody listens yet (a child still starting). */
static int pat_dial(struct ipcx_chan *c, const char *url)
{
    int64_t end = tsup_now_ms() + PAT_WAIT_MS;
    for (;;) {
        int rc = ipcx_chan_dial(c, url, NULL, 2000);
        if (rc > 0 || tsup_now_ms() > end)
            return rc;
        if (rc != IPCX_ENOENT && rc != IPCX_ECONNREFUSED && rc != IPCX_ENXIO &&
            rc != IPCX_ETIMEDOUT)
            return rc;
        usleep(20 * 1000);
    }
}

/*
 * A URL a child listens on, handed to the test process through a shared
 * mapping: the child listens on a pat_url() (a port 0 on tcp://) and
 * publishes the URL its endpoint really has (ipcx_chan_endpoint_url()).
 */
struct pat_urlbox {
    atomic_int ready;
    char url[256];
};

/* In a child: listens on box->url, publishes the real URL. Returns the endpoint or an error. */
static int pat_listen_publish(struct ipcx_chan *c, struct pat_urlbox *box)
{
    int ep = ipcx_chan_listen(c, box->url, NULL);
    if (ep > 0) {
        if (ipcx_chan_endpoint_url(c, ep, box->url, sizeof box->url) < 0)
            return IPCX_EIO;
        atomic_store(&box->ready, 1);
    }
    return ep;
}

/* In the test process: waits for the child's URL and dials it. */
static int pat_dial_published(struct ipcx_chan *c, struct pat_urlbox *box)
{
    int64_t end = tsup_now_ms() + PAT_WAIT_MS;
    while (!atomic_load(&box->ready) && tsup_now_ms() < end)
        usleep(1000);
    cr_assert(atomic_load(&box->ready), "the child never listened");
    return pat_dial(c, box->url);
}

/* Takes events until `n` peers joined. Returns 0 or the error. */
static int pat_joins(struct ipcx_chan *c, int n)
{
    int64_t end = tsup_now_ms() + PAT_WAIT_MS;
    while (n > 0) {
        struct ipcx_chan_event ev;
        int left = (int)(end - tsup_now_ms());
        int rc = ipcx_chan_event(c, &ev, left > 0 ? left : 0);
        if (rc < 0)
            return rc;
        if (ev.kind == IPCX_CHAN_PEER_JOINED)
            n--;
    }
    return 0;
}

/*
 * A star: a central channel here, `n` leaves in children. The centre
 * listens when its pattern fits this transport's listening end; the leaves
 * listen (one URL each) otherwise.
 */
struct star {
    int n;
    bool centre_listens;
    char url[PAT_MAX_LEAF + 1][256]; /* [0] the centre's, [1 + i] leaf i's */
    enum ipcx_pattern leaf;
    size_t leaf_cap;
    enum ipcx_full leaf_full;
    void *shared;
    int index; /* in a child: which leaf */
};

static void star_init(struct star *s, struct ipcx_chan *centre, enum ipcx_pattern cp,
                      enum ipcx_pattern lp, int n, void *shared)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->leaf = lp;
    s->leaf_cap = 0;
    s->shared = shared;
    s->centre_listens = pat_fits(cp, 1, true);
    if (s->centre_listens) {
        cr_assert_gt(pat_listen(centre, s->url[0], sizeof s->url[0]), 0);
    } else {
        cr_assert(pat_fits(lp, 1, true), "neither end of the star can listen");
        for (int i = 0; i < n; i++)
            pat_url(s->url[1 + i], sizeof s->url[1 + i]);
    }
}

/* In a child: the leaf's channel, connected. NULL on failure. */
static struct ipcx_chan *star_leaf(struct star *s, int i)
{
    struct ipcx_chan *c = pat_open(s->leaf, s->leaf_cap, s->leaf_full, 0);
    if (!c)
        return NULL;
    int rc = s->centre_listens ? pat_dial(c, s->url[0]) : ipcx_chan_listen(c, s->url[1 + i], NULL);
    if (rc <= 0) {
        fprintf(stderr, "leaf %d: %s (%s)\n", i, ipcx_strerror(rc), ipcx_chan_last_reason());
        ipcx_chan_close(c, 0);
        return NULL;
    }
    return c;
}

/* In the parent, after forking the leaves: every leaf is a peer. */
static void star_connect(struct star *s, struct ipcx_chan *centre)
{
    if (s->centre_listens) {
        cr_assert_eq(pat_joins(centre, s->n), 0);
        return;
    }
    for (int i = 0; i < s->n; i++)
        cr_assert_gt(pat_dial(centre, s->url[1 + i]), 0, "dial leaf %d", i);
}

typedef int (*leaf_fn)(struct star *s, struct ipcx_chan *c);

struct leaf_arg {
    struct star *s;
    int i;
    leaf_fn fn;
};

static int leaf_main(void *arg)
{
    struct leaf_arg *a = arg;
    a->s->index = a->i;
    struct ipcx_chan *c = star_leaf(a->s, a->i);
    if (!c)
        return 2;
    int rc = a->fn(a->s, c);
    ipcx_chan_close(c, 2000);
    return rc;
}

static void star_fork(struct star *s, leaf_fn fn, pid_t *pids)
{
    for (int i = 0; i < s->n; i++) {
        struct leaf_arg a = {s, i, fn};
        pids[i] = tsup_fork(leaf_main, &a);
        cr_assert_gt(pids[i], 0);
    }
}

static void star_reap(struct star *s, pid_t *pids)
{
    for (int i = 0; i < s->n; i++)
        cr_assert_eq(tsup_wait_exit(pids[i], PAT_WAIT_MS), 0, "leaf %d", i);
}

static int64_t pat_deadline(void)
{
    return tsup_now_ms() + PAT_WAIT_MS;
}

struct rec {
    uint32_t who, seq;
};

/* --- pub/sub ----------------------------------------------------------- */

#define PS_ROUNDS 50
static const char *const ps_topics[] = {"a.", "b.", "c.", "d."};

/* Subscriptions per leaf: 0 {a.}, 1 {b.}, 2 {a., c.}; all take "end". */
static int sub_run(struct star *s, struct ipcx_chan *c)
{
    int i = s->index;
    int got[4] = {0}, last[4] = {-1, -1, -1, -1};
    int64_t end = pat_deadline();
    for (;;) {
        struct ipcx_msg m;
        int rc = ipcx_chan_recv(c, &m, 200);
        if (rc == IPCX_ETIMEDOUT && tsup_now_ms() < end)
            continue;
        TSUP_CHILD_CHECK(rc == 0);
        bool fin = m.size == 3 && memcmp(m.data, "end", 3) == 0;
        if (!fin) {
            char txt[32] = {0};
            memcpy(txt, m.data, m.size < sizeof txt - 1 ? m.size : sizeof txt - 1);
            int t = txt[0] - 'a', seq = atoi(txt + 2);
            TSUP_CHILD_CHECK(t >= 0 && t < 4);
            TSUP_CHILD_CHECK(seq == last[t] + 1);
            last[t] = seq;
            got[t]++;
        }
        ipcx_msg_release(&m);
        if (fin)
            break;
    }
    int want[3][4] = {{PS_ROUNDS, 0, 0, 0}, {0, PS_ROUNDS, 0, 0}, {PS_ROUNDS, 0, PS_ROUNDS, 0}};
    for (int t = 0; t < 4; t++)
        TSUP_CHILD_CHECK(got[t] == want[i][t]);
    struct ipcx_chan_stats st;
    ipcx_chan_stats(c, &st);
    TSUP_CHILD_CHECK(st.received == (uint64_t)(got[0] + got[1] + got[2] + got[3] + 1));
    return 0;
}

static struct ipcx_chan *sub_leaf_open(struct star *s, int i)
{
    struct ipcx_chan *c = pat_open(IPCX_SUB, 0, IPCX_FULL_BLOCK, 0);
    if (!c)
        return NULL;
    static const char *const subs[3][2] = {{"a.", NULL}, {"b.", NULL}, {"a.", "c."}};
    for (int k = 0; k < 2; k++)
        if (subs[i][k] && ipcx_chan_subscribe(c, subs[i][k], 2) != 0)
            return NULL;
    if (ipcx_chan_subscribe(c, "end", 3) != 0)
        return NULL;
    int rc = s->centre_listens ? pat_dial(c, s->url[0]) : ipcx_chan_listen(c, s->url[1 + i], NULL);
    return rc > 0 ? c : NULL;
}

static int sub_main(void *arg)
{
    struct leaf_arg *a = arg;
    a->s->index = a->i;
    struct ipcx_chan *c = sub_leaf_open(a->s, a->i);
    TSUP_CHILD_CHECK(c != NULL);
    int rc = sub_run(a->s, c);
    ipcx_chan_close(c, 0);
    return rc;
}

Test(patterns, pubsub_fanout_with_topics)
{
    struct ipcx_chan *pub = pat_open(IPCX_PUB, 0, IPCX_FULL_BLOCK, 0);
    cr_assert_not_null(pub);
    struct star s;
    star_init(&s, pub, IPCX_PUB, IPCX_SUB, 3, NULL);
    pid_t pids[3];
    for (int i = 0; i < 3; i++) {
        struct leaf_arg a = {&s, i, NULL};
        pids[i] = tsup_fork(sub_main, &a);
        cr_assert_gt(pids[i], 0);
    }
    star_connect(&s, pub);
    char buf[32];
    for (int r = 0; r < PS_ROUNDS; r++) {
        for (int t = 0; t < 4; t++) {
            int n = snprintf(buf, sizeof buf, "%s%d", ps_topics[t], r);
            struct ipcx_msg m = ipcx_msg_of(buf, (size_t)n);
            cr_assert_eq(ipcx_chan_send(pub, &m, PAT_WAIT_MS), 0);
        }
    }
    struct ipcx_msg m = ipcx_msg_of("end", 3);
    cr_assert_eq(ipcx_chan_send(pub, &m, PAT_WAIT_MS), 0);
    star_reap(&s, pids);
    struct ipcx_chan_stats st;
    ipcx_chan_stats(pub, &st);
    cr_assert_eq(st.sent, 4 * PS_ROUNDS + 1);
    ipcx_chan_close(pub, 0);
}

/* --- push/pull ---------------------------------------------------------- */

#define FANIN_EACH 250

static int push_leaf(struct star *s, struct ipcx_chan *c)
{
    for (uint32_t k = 0; k < FANIN_EACH; k++) {
        struct rec r = {(uint32_t)s->index, k};
        struct ipcx_msg m = ipcx_msg_of(&r, sizeof r);
        TSUP_CHILD_CHECK(ipcx_chan_send(c, &m, PAT_WAIT_MS) == 0);
    }
    return 0;
}

Test(patterns, pushpull_fan_in)
{
    struct ipcx_chan *pull = pat_open(IPCX_PULL, 0, IPCX_FULL_BLOCK, 0);
    cr_assert_not_null(pull);
    struct star s;
    star_init(&s, pull, IPCX_PULL, IPCX_PUSH, 4, NULL);
    pid_t pids[4];
    star_fork(&s, push_leaf, pids);
    if (!s.centre_listens)
        star_connect(&s, pull);
    int next[4] = {0};
    for (int k = 0; k < 4 * FANIN_EACH; k++) {
        struct ipcx_msg m;
        cr_assert_eq(ipcx_chan_recv(pull, &m, PAT_WAIT_MS), 0, "message %d", k);
        cr_assert_eq(m.size, sizeof(struct rec));
        struct rec r;
        memcpy(&r, m.data, sizeof r);
        cr_assert_lt(r.who, 4);
        cr_assert_eq(r.seq, (uint32_t)next[r.who], "in order from each pusher");
        next[r.who]++;
        ipcx_msg_release(&m);
    }
    for (int i = 0; i < 4; i++)
        cr_assert_eq(next[i], FANIN_EACH);
    star_reap(&s, pids);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_chan_recv(pull, &m, IPCX_NOWAIT), IPCX_EAGAIN, "nothing twice");
    ipcx_chan_close(pull, 0);
}

#define LB_TOTAL 300

struct lb_shared {
    atomic_int count[LB_TOTAL];
    atomic_int total;
    atomic_int per_leaf[PAT_MAX_LEAF];
};

static int pull_leaf(struct star *s, struct ipcx_chan *c)
{
    struct lb_shared *sh = s->shared;
    int64_t end = pat_deadline();
    while (atomic_load(&sh->total) < LB_TOTAL && tsup_now_ms() < end) {
        struct ipcx_msg m;
        int rc = ipcx_chan_recv(c, &m, 50);
        if (rc == IPCX_ETIMEDOUT)
            continue;
        TSUP_CHILD_CHECK(rc == 0 && m.size == 4);
        uint32_t seq;
        memcpy(&seq, m.data, 4);
        TSUP_CHILD_CHECK(seq < LB_TOTAL);
        atomic_fetch_add(&sh->count[seq], 1);
        atomic_fetch_add(&sh->per_leaf[s->index], 1);
        atomic_fetch_add(&sh->total, 1);
        ipcx_msg_release(&m);
    }
    return 0;
}

Test(patterns, pushpull_load_balanced_exactly_once)
{
    struct lb_shared *sh = pat_shared(sizeof *sh);
    struct ipcx_chan *push = pat_open(IPCX_PUSH, 0, IPCX_FULL_BLOCK, 0);
    cr_assert_not_null(push);
    struct star s;
    star_init(&s, push, IPCX_PUSH, IPCX_PULL, 3, sh);
    pid_t pids[3];
    star_fork(&s, pull_leaf, pids);
    star_connect(&s, push);
    for (uint32_t k = 0; k < LB_TOTAL; k++) {
        struct ipcx_msg m = ipcx_msg_of(&k, 4);
        cr_assert_eq(ipcx_chan_send(push, &m, PAT_WAIT_MS), 0);
    }
    star_reap(&s, pids);
    for (int k = 0; k < LB_TOTAL; k++)
        cr_assert_eq(atomic_load(&sh->count[k]), 1, "message %d delivered once", k);
    /* Turns are taken among pullers with room (a full one is passed over),
     * so the exact split depends on their speed; each must take part. */
    for (int i = 0; i < 3; i++)
        cr_assert_gt(atomic_load(&sh->per_leaf[i]), 0, "puller %d took part", i);
    ipcx_chan_close(push, 0);
    munmap(sh, sizeof *sh);
}

/* --- req/rep ------------------------------------------------------------ */

#define RR_INFLIGHT 5

static int req_leaf(struct star *s, struct ipcx_chan *c)
{
    uint64_t ids[RR_INFLIGHT];
    char body[RR_INFLIGHT][32];
    for (int k = 0; k < RR_INFLIGHT; k++) {
        int n = snprintf(body[k], sizeof body[k], "c%d-r%d", s->index, k);
        struct ipcx_msg m = ipcx_msg_of(body[k], (size_t)n);
        TSUP_CHILD_CHECK(ipcx_chan_send(c, &m, PAT_WAIT_MS) == 0);
        TSUP_CHILD_CHECK(m.id != 0);
        ids[k] = m.id;
        for (int j = 0; j < k; j++)
            TSUP_CHILD_CHECK(ids[j] != m.id);
    }
    /* Every request is in flight; collect the replies last first. */
    for (int k = RR_INFLIGHT - 1; k >= 0; k--) {
        struct ipcx_msg r;
        TSUP_CHILD_CHECK(ipcx_chan_recv_reply(c, ids[k], &r, PAT_WAIT_MS) == 0);
        TSUP_CHILD_CHECK(r.id == ids[k]);
        char want[40];
        int n = snprintf(want, sizeof want, "re:%s", body[k]);
        TSUP_CHILD_CHECK(r.size == (size_t)n && memcmp(r.data, want, (size_t)n) == 0);
        ipcx_msg_release(&r);
    }
    struct ipcx_msg r;
    TSUP_CHILD_CHECK(ipcx_chan_recv(c, &r, IPCX_NOWAIT) == IPCX_EAGAIN);
    return 0;
}

Test(patterns, reqrep_replies_reach_the_requester)
{
    struct ipcx_chan *rep = pat_open(IPCX_REP, 0, IPCX_FULL_BLOCK, 0);
    cr_assert_not_null(rep);
    if (!pat_two_way()) {
        char url[256];
        pat_url(url, sizeof url);
        cr_assert_eq(ipcx_chan_listen(rep, url, NULL), IPCX_ENOTSUP);
        cr_assert(strstr(ipcx_chan_last_reason(), "two-way") != NULL);
        ipcx_chan_close(rep, 0);
        return;
    }
    struct star s;
    star_init(&s, rep, IPCX_REP, IPCX_REQ, 3, NULL);
    pid_t pids[3];
    star_fork(&s, req_leaf, pids);
    for (int k = 0; k < 3 * RR_INFLIGHT; k++) {
        struct ipcx_msg q;
        cr_assert_eq(ipcx_chan_recv(rep, &q, PAT_WAIT_MS), 0);
        cr_assert_neq(q.peer, 0);
        cr_assert_neq(q.id, 0);
        char buf[64];
        int n = snprintf(buf, sizeof buf, "re:%.*s", (int)q.size, (char *)q.data);
        struct ipcx_msg r = ipcx_msg_of(buf, (size_t)n);
        r.peer = q.peer;
        r.id = q.id;
        cr_assert_eq(ipcx_chan_send(rep, &r, PAT_WAIT_MS), 0);
        ipcx_msg_release(&q);
    }
    star_reap(&s, pids);
    ipcx_chan_close(rep, 0);
}

/* --- typed selective receive and priority ------------------------------ */

struct tp_item {
    long type;
    unsigned prio;
};
static const struct tp_item tp_batch1[] = {{5, 0}, {2, 1}, {3, 4}, {2, 4}, {7, 0}, {1, 0}, {5, 9}};
static const unsigned tp_batch2[] = {0, 3, 1, 3, 2, 0};

static int typed_sender(struct star *s, struct ipcx_chan *c)
{
    for (uint32_t k = 0; k < 7; k++) {
        struct ipcx_msg m = ipcx_msg_of(&k, 4);
        m.type = tp_batch1[k].type;
        m.priority = tp_batch1[k].prio;
        TSUP_CHILD_CHECK(ipcx_chan_send(c, &m, PAT_WAIT_MS) == 0);
    }
    struct ipcx_msg end = ipcx_msg_of("", 0);
    end.type = 99;
    TSUP_CHILD_CHECK(ipcx_chan_send(c, &end, PAT_WAIT_MS) == 0);
    /* Batch two once the test has checked batch one. */
    atomic_int *go = s->shared;
    int64_t until = pat_deadline();
    while (!atomic_load(go) && tsup_now_ms() < until)
        usleep(1000);
    for (uint32_t k = 0; k < 6; k++) {
        struct ipcx_msg m = ipcx_msg_of(&k, 4);
        m.priority = tp_batch2[k];
        TSUP_CHILD_CHECK(ipcx_chan_send(c, &m, PAT_WAIT_MS) == 0);
    }
    TSUP_CHILD_CHECK(ipcx_chan_send(c, &end, PAT_WAIT_MS) == 0);
    return 0;
}

static uint32_t take_sel(struct ipcx_chan *c, enum ipcx_select sel, long type)
{
    struct ipcx_msg m;
    int rc = ipcx_chan_recv_select(c, &m, sel, type, PAT_WAIT_MS);
    cr_assert_eq(rc, 0, "select %d %ld: %s", sel, type, ipcx_strerror(rc));
    uint32_t k = UINT32_MAX;
    if (m.size == 4)
        memcpy(&k, m.data, 4);
    ipcx_msg_release(&m);
    return k;
}

Test(patterns, typed_selection_and_priority_order)
{
    atomic_int *go = pat_shared(sizeof *go);
    struct ipcx_chan *pull = pat_open(IPCX_PULL, 0, IPCX_FULL_BLOCK, IPCX_CHAN_PRIORITY);
    cr_assert_not_null(pull);
    struct star s;
    star_init(&s, pull, IPCX_PULL, IPCX_PUSH, 1, go);
    pid_t pid[1];
    star_fork(&s, typed_sender, pid);
    if (!s.centre_listens)
        star_connect(&s, pull);
    /* Waiting for the end marker takes everything before it into the queue. */
    take_sel(pull, IPCX_SEL_EXACT, 99);
    cr_assert_eq(take_sel(pull, IPCX_SEL_EXACT, 5), 6, "type 5, priority 9 first");
    cr_assert_eq(take_sel(pull, IPCX_SEL_EXACT, 5), 0);
    cr_assert_eq(take_sel(pull, IPCX_SEL_UPTO, 2), 5, "the lowest type <= 2 is 1");
    cr_assert_eq(take_sel(pull, IPCX_SEL_UPTO, 2), 3, "then type 2, priority 4");
    cr_assert_eq(take_sel(pull, IPCX_SEL_UPTO, 2), 1);
    cr_assert_eq(take_sel(pull, IPCX_SEL_EXCEPT, 3), 4, "type 7: all but type 3");
    struct ipcx_msg m;
    cr_assert_eq(ipcx_chan_recv_select(pull, &m, IPCX_SEL_EXACT, 5, IPCX_NOWAIT), IPCX_EAGAIN);
    cr_assert_eq(take_sel(pull, IPCX_SEL_ANY, 0), 2);
    atomic_store(go, 1);
    /* Batch two: all of it arrived before the marker; any type, by priority. */
    take_sel(pull, IPCX_SEL_EXACT, 99);
    uint32_t want[] = {1, 3, 4, 2, 0, 5};
    for (int k = 0; k < 6; k++)
        cr_assert_eq(take_sel(pull, IPCX_SEL_ANY, 0), want[k], "position %d", k);
    star_reap(&s, pid);
    ipcx_chan_close(pull, 0);
    munmap(go, sizeof *go);
}

/* --- full-queue policies ------------------------------------------------- */

static int ten_then_marker(struct star *s, struct ipcx_chan *c)
{
    (void)s;
    for (uint32_t k = 0; k < 10; k++) {
        struct ipcx_msg m = ipcx_msg_of(&k, 4);
        m.type = 1;
        TSUP_CHILD_CHECK(ipcx_chan_send(c, &m, PAT_WAIT_MS) == 0);
    }
    uint32_t k = 100;
    struct ipcx_msg m = ipcx_msg_of(&k, 4);
    m.type = 2;
    TSUP_CHILD_CHECK(ipcx_chan_send(c, &m, PAT_WAIT_MS) == 0);
    return 0;
}

static void receive_policy(enum ipcx_full full)
{
    struct ipcx_chan *pull = pat_open(IPCX_PULL, 4, full, 0);
    cr_assert_not_null(pull);
    struct star s;
    star_init(&s, pull, IPCX_PULL, IPCX_PUSH, 1, NULL);
    pid_t pid[1];
    star_fork(&s, ten_then_marker, pid);
    if (!s.centre_listens)
        star_connect(&s, pull);
    struct ipcx_chan_stats st;
    if (full == IPCX_FULL_DROP_NEWEST || full == IPCX_FULL_DROP_OLDEST) {
        cr_assert_eq(take_sel(pull, IPCX_SEL_EXACT, 2), 100);
        ipcx_chan_stats(pull, &st);
        cr_assert_eq(st.dropped, 6);
        uint32_t first = full == IPCX_FULL_DROP_NEWEST ? 0 : 6;
        for (uint32_t k = 0; k < 4; k++)
            cr_assert_eq(take_sel(pull, IPCX_SEL_ANY, 0), first + k);
    } else {
        /* The queue holds 4 and stops reading: the marker cannot be reached. */
        struct ipcx_msg m;
        int64_t t0 = tsup_now_ms();
        cr_assert_eq(ipcx_chan_recv_select(pull, &m, IPCX_SEL_EXACT, 2, 300), IPCX_ETIMEDOUT);
        cr_assert_geq(tsup_now_ms() - t0, 300);
        for (uint32_t k = 0; k < 10; k++)
            cr_assert_eq(take_sel(pull, IPCX_SEL_ANY, 0), k);
        cr_assert_eq(take_sel(pull, IPCX_SEL_ANY, 0), 100);
        ipcx_chan_stats(pull, &st);
        cr_assert_eq(st.dropped, 0);
    }
    struct ipcx_msg m;
    cr_assert_eq(ipcx_chan_recv(pull, &m, IPCX_NOWAIT), IPCX_EAGAIN);
    star_reap(&s, pid);
    ipcx_chan_close(pull, 0);
}

Test(patterns, receive_queue_block)
{
    receive_policy(IPCX_FULL_BLOCK);
}
Test(patterns, receive_queue_fail)
{
    receive_policy(IPCX_FULL_FAIL);
}
Test(patterns, receive_queue_drop_newest)
{
    receive_policy(IPCX_FULL_DROP_NEWEST);
}
Test(patterns, receive_queue_drop_oldest)
{
    receive_policy(IPCX_FULL_DROP_OLDEST);
}

#define SP_SIZE 1000
#define SP_MAX  200000

struct sp_shared {
    atomic_int ready; /* the puller's dial has completed: it reads nothing until go */
    atomic_int go;
    atomic_int expect; /* messages the puller must get */
    atomic_int got, bad, last;
};

/* Waits for `go`, takes the expected number of messages, then finds no more. */
static int slow_puller(struct star *s, struct ipcx_chan *c)
{
    struct sp_shared *sh = s->shared;
    int64_t end = pat_deadline();
    atomic_store(&sh->ready, 1);
    while (!atomic_load(&sh->go) && tsup_now_ms() < end)
        usleep(1000);
    int prev = -1;
    for (int n = atomic_load(&sh->expect); n > 0; n--) {
        struct ipcx_msg m;
        int rc = ipcx_chan_recv(c, &m, PAT_WAIT_MS);
        TSUP_CHILD_CHECK(rc == 0 && m.size == SP_SIZE);
        uint32_t k;
        memcpy(&k, m.data, 4);
        if ((int)k <= prev)
            atomic_fetch_add(&sh->bad, 1);
        prev = (int)k;
        atomic_fetch_add(&sh->got, 1);
        atomic_store(&sh->last, (int)k);
        ipcx_msg_release(&m);
    }
    struct ipcx_msg m;
    TSUP_CHILD_CHECK(ipcx_chan_recv(c, &m, 200) == IPCX_ETIMEDOUT);
    return 0;
}

static void send_policy(enum ipcx_full full)
{
    struct sp_shared *sh = pat_shared(sizeof *sh);
    struct ipcx_chan *push = pat_open(IPCX_PUSH, 8, full, 0);
    cr_assert_not_null(push);
    struct star s;
    star_init(&s, push, IPCX_PUSH, IPCX_PULL, 1, sh);
    pid_t pid[1];
    star_fork(&s, slow_puller, pid);
    star_connect(&s, push);
    /* The puller's dial reads its hello with a large buffer: were it still
     * reading while the link is filled, it would take messages and make room. */
    for (int64_t end = pat_deadline(); !atomic_load(&sh->ready) && tsup_now_ms() < end;)
        usleep(1000);
    cr_assert(atomic_load(&sh->ready));
    static char body[SP_SIZE];
    int ok = 0, rc = 0;
    uint32_t k;
    struct ipcx_chan_stats st;
    if (full == IPCX_FULL_BLOCK || full == IPCX_FULL_FAIL) {
        /* Fill the link (and, under FAIL, the 8 places of the send queue). */
        for (k = 0; k < SP_MAX; k++) {
            memcpy(body, &k, 4);
            struct ipcx_msg m = ipcx_msg_of(body, SP_SIZE);
            if ((rc = ipcx_chan_send(push, &m, IPCX_NOWAIT)) != 0)
                break;
            ok++;
        }
        cr_assert_eq(rc, IPCX_EAGAIN);
        if (full == IPCX_FULL_BLOCK) {
            struct ipcx_msg m = ipcx_msg_of(body, SP_SIZE);
            int64_t t0 = tsup_now_ms();
            int brc = ipcx_chan_send(push, &m, 150);
            cr_assert_eq(brc, IPCX_ETIMEDOUT, "a send into a full link (after %d) returned %s", ok,
                         ipcx_errname(brc));
            cr_assert_geq(tsup_now_ms() - t0, 150);
        }
    } else {
        /* Fill the link, whatever its buffer holds (a TCP connection on the
         * loopback takes megabytes), then send 100 more: 8 wait in the
         * send queue, the policy decides for the others. */
        int extra = -1;
        for (k = 0; k < SP_MAX && extra != 0; k++) {
            memcpy(body, &k, 4);
            struct ipcx_msg m = ipcx_msg_of(body, SP_SIZE);
            cr_assert_eq(ipcx_chan_send(push, &m, IPCX_NOWAIT), 0, "message %u", k);
            if (extra > 0)
                extra--;
            else if (ipcx_chan_stats(push, &st) == 0 && st.dropped > 0)
                extra = 100;
        }
        ipcx_chan_stats(push, &st);
        cr_assert_gt(st.dropped, 0);
        ok = (int)k - (int)st.dropped;
    }
    atomic_store(&sh->expect, ok);
    atomic_store(&sh->go, 1);
    /* What waits in the send queue leaves by the service thread. */
    cr_assert_eq(tsup_wait_exit(pid[0], PAT_WAIT_MS), 0);
    cr_assert_eq(atomic_load(&sh->got), ok, "every message accepted arrived");
    cr_assert_eq(atomic_load(&sh->bad), 0, "in order");
    if (full == IPCX_FULL_DROP_NEWEST)
        cr_assert_eq(atomic_load(&sh->last), ok - 1, "the first ones arrived");
    if (full == IPCX_FULL_DROP_OLDEST)
        cr_assert_eq(atomic_load(&sh->last), (int)k - 1, "the last ones arrived");
    ipcx_chan_stats(push, &st);
    cr_assert_eq(st.lost, 0);
    ipcx_chan_close(push, 0);
    munmap(sh, sizeof *sh);
}

Test(patterns, send_queue_block)
{
    send_policy(IPCX_FULL_BLOCK);
}
Test(patterns, send_queue_fail)
{
    send_policy(IPCX_FULL_FAIL);
}
Test(patterns, send_queue_drop_newest)
{
    send_policy(IPCX_FULL_DROP_NEWEST);
}
Test(patterns, send_queue_drop_oldest)
{
    send_policy(IPCX_FULL_DROP_OLDEST);
}

/* --- rendezvous ---------------------------------------------------------- */

struct rdv_shared {
    atomic_int taking, done;
};

static int rdv_leaf(struct star *s, struct ipcx_chan *c)
{
    struct rdv_shared *sh = s->shared;
    usleep(300 * 1000);
    atomic_store(&sh->taking, 1);
    struct ipcx_msg m;
    TSUP_CHILD_CHECK(ipcx_chan_recv(c, &m, PAT_WAIT_MS) == 0);
    ipcx_msg_release(&m);
    /* The second message is never taken. */
    int64_t end = pat_deadline();
    while (!atomic_load(&sh->done) && tsup_now_ms() < end)
        usleep(1000);
    return 0;
}

Test(patterns, rendezvous_capacity_zero)
{
    struct ipcx_chan *pair = pat_open(IPCX_PAIR, 0, IPCX_FULL_BLOCK, 0);
    cr_assert_not_null(pair);
    cr_assert_eq(ipcx_chan_set_capacity(pair, 0, IPCX_FULL_BLOCK), 0);
    if (!pat_two_way()) {
        struct ipcx_chan *push = pat_open(IPCX_PUSH, 0, IPCX_FULL_BLOCK, 0);
        cr_assert_eq(ipcx_chan_set_capacity(push, 0, IPCX_FULL_BLOCK), 0);
        char url[256];
        pat_url(url, sizeof url);
        cr_assert_eq(ipcx_chan_dial(push, url, NULL, 100), IPCX_ENOTSUP);
        cr_assert(strstr(ipcx_chan_last_reason(), "rendezvous") != NULL);
        ipcx_chan_close(push, 0);
        ipcx_chan_close(pair, 0);
        return;
    }
    struct rdv_shared *sh = pat_shared(sizeof *sh);
    struct star s;
    star_init(&s, pair, IPCX_PAIR, IPCX_PAIR, 1, sh);
    pid_t pid[1];
    star_fork(&s, rdv_leaf, pid);
    star_connect(&s, pair);
    cr_assert_eq(ipcx_chan_set_capacity(pair, 4, IPCX_FULL_BLOCK), IPCX_EBUSY);
    struct ipcx_msg m = ipcx_msg_of("sync", 4);
    cr_assert_eq(ipcx_chan_send(pair, &m, PAT_WAIT_MS), 0);
    cr_assert_eq(atomic_load(&sh->taking), 1, "the send returned only once the peer took it");
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_chan_send(pair, &m, 200), IPCX_ETIMEDOUT);
    int64_t dt = tsup_now_ms() - t0;
    cr_assert(dt >= 200 && dt < 200 + 250, "took %lld ms", (long long)dt);
    atomic_store(&sh->done, 1);
    cr_assert_eq(tsup_wait_exit(pid[0], PAT_WAIT_MS), 0);
    ipcx_chan_close(pair, 0);
    munmap(sh, sizeof *sh);
}

/* --- N:M ------------------------------------------------------------------ */

#define NM_EACH 100

struct nm_arg {
    char url[256];
    bool listen;
    int who;
    struct pat_urlbox *box; /* where a listening pusher publishes its URL */
};

static int nm_pusher(void *arg)
{
    struct nm_arg *a = arg;
    struct ipcx_chan *c = pat_open(IPCX_PUSH, 0, IPCX_FULL_BLOCK, 0);
    TSUP_CHILD_CHECK(c != NULL);
    TSUP_CHILD_CHECK((a->listen ? pat_listen_publish(c, a->box) : pat_dial(c, a->url)) > 0);
    for (uint32_t k = 0; k < NM_EACH; k++) {
        struct rec r = {(uint32_t)a->who, k};
        struct ipcx_msg m = ipcx_msg_of(&r, sizeof r);
        TSUP_CHILD_CHECK(ipcx_chan_send(c, &m, PAT_WAIT_MS) == 0);
    }
    ipcx_chan_close(c, 2000);
    return 0;
}

Test(patterns, n_to_m_listeners_and_dialers_on_one_channel)
{
    struct ipcx_chan *pull = pat_open(IPCX_PULL, 0, IPCX_FULL_BLOCK, 0);
    cr_assert_not_null(pull);
    char a[256], b[256];
    cr_assert_gt(pat_listen(pull, a, sizeof a), 0);
    cr_assert_gt(pat_listen(pull, b, sizeof b), 0);
    /* Two dial the first listener, one the second, and where a pusher may
     * listen on this transport, one more that this channel dials. */
    bool dial_too = pat_fits(IPCX_PUSH, 1, true);
    int n = dial_too ? 4 : 3;
    struct nm_arg args[4];
    pid_t pids[4];
    struct pat_urlbox *box = pat_shared(sizeof *box);
    pat_url(box->url, sizeof box->url);
    for (int i = 0; i < n; i++) {
        args[i].who = i;
        args[i].listen = i == 3;
        args[i].box = box;
        if (i == 3)
            snprintf(args[i].url, sizeof args[i].url, "%s", box->url);
        else
            snprintf(args[i].url, sizeof args[i].url, "%s", i < 2 ? a : b);
        pids[i] = tsup_fork(nm_pusher, &args[i]);
        cr_assert_gt(pids[i], 0);
    }
    if (dial_too)
        cr_assert_gt(pat_dial_published(pull, box), 0);
    int next[4] = {0};
    for (int k = 0; k < n * NM_EACH; k++) {
        struct ipcx_msg m;
        cr_assert_eq(ipcx_chan_recv(pull, &m, PAT_WAIT_MS), 0, "message %d", k);
        struct rec r;
        memcpy(&r, m.data, sizeof r);
        cr_assert_lt(r.who, (uint32_t)n);
        cr_assert_eq(r.seq, (uint32_t)next[r.who]);
        next[r.who]++;
        ipcx_msg_release(&m);
    }
    for (int i = 0; i < n; i++)
        cr_assert_eq(tsup_wait_exit(pids[i], PAT_WAIT_MS), 0);
    ipcx_chan_close(pull, 0);
    munmap(box, sizeof *box);
}

/* --- mismatch, busy pair, impossible combinations ------------------------ */

static int mismatch_child(void *arg)
{
    const char *url = arg;
    struct ipcx_chan *c = pat_open(IPCX_PUB, 0, IPCX_FULL_BLOCK, 0);
    TSUP_CHILD_CHECK(ipcx_chan_dial(c, url, NULL, PAT_WAIT_MS) == IPCX_EPROTO);
    ipcx_chan_close(c, 0);
    c = pat_open(IPCX_PAIR, 0, IPCX_FULL_BLOCK, 0);
    TSUP_CHILD_CHECK(ipcx_chan_dial(c, url, NULL, PAT_WAIT_MS) == IPCX_EPROTO);
    ipcx_chan_close(c, 0);
    c = pat_open(IPCX_SUB, 0, IPCX_FULL_BLOCK, 0);
    TSUP_CHILD_CHECK(ipcx_chan_dial(c, url, NULL, PAT_WAIT_MS) > 0);
    ipcx_chan_close(c, 0);
    return 0;
}

static int busy_child(void *arg)
{
    const char *url = arg;
    struct ipcx_chan *c1 = pat_open(IPCX_PAIR, 0, IPCX_FULL_BLOCK, 0);
    struct ipcx_chan *c2 = pat_open(IPCX_PAIR, 0, IPCX_FULL_BLOCK, 0);
    TSUP_CHILD_CHECK(ipcx_chan_dial(c1, url, NULL, PAT_WAIT_MS) > 0);
    TSUP_CHILD_CHECK(ipcx_chan_dial(c2, url, NULL, PAT_WAIT_MS) == IPCX_EBUSY);
    TSUP_CHILD_CHECK(ipcx_chan_dial(c1, url, NULL, PAT_WAIT_MS) == IPCX_EBUSY);
    ipcx_chan_close(c2, 0);
    ipcx_chan_close(c1, 0);
    return 0;
}

Test(patterns, mismatched_patterns_are_refused)
{
    if (!pat_two_way()) {
        /* No hello on a one-way link: the direction rules are all there is. */
        struct ipcx_chan *c = pat_open(IPCX_PAIR, 0, IPCX_FULL_BLOCK, 0);
        char url[256];
        pat_url(url, sizeof url);
        cr_assert_eq(ipcx_chan_listen(c, url, NULL), IPCX_ENOTSUP);
        ipcx_chan_close(c, 0);
        return;
    }
    struct ipcx_chan *pub = pat_open(IPCX_PUB, 0, IPCX_FULL_BLOCK, 0);
    char url[256];
    cr_assert_gt(pat_listen(pub, url, sizeof url), 0);
    pid_t pid = tsup_fork(mismatch_child, url);
    cr_assert_gt(pid, 0);
    int refused = 0, joined = 0;
    while (refused < 2 || joined < 1) {
        struct ipcx_chan_event ev;
        cr_assert_eq(ipcx_chan_event(pub, &ev, PAT_WAIT_MS), 0);
        if (ev.kind == IPCX_CHAN_PEER_REFUSED) {
            cr_assert_eq(ev.reason, IPCX_EPROTO);
            refused++;
        } else if (ev.kind == IPCX_CHAN_PEER_JOINED) {
            joined++;
        }
    }
    cr_assert_eq(tsup_wait_exit(pid, PAT_WAIT_MS), 0);
    ipcx_chan_close(pub, 0);

    struct ipcx_chan *pair = pat_open(IPCX_PAIR, 0, IPCX_FULL_BLOCK, 0);
    cr_assert_gt(pat_listen(pair, url, sizeof url), 0);
    pid = tsup_fork(busy_child, url);
    cr_assert_eq(tsup_wait_exit(pid, PAT_WAIT_MS), 0);
    ipcx_chan_close(pair, 0);
}

Test(patterns, impossible_combinations_fail_at_listen_and_dial)
{
    static const enum ipcx_pattern all[] = {IPCX_PAIR, IPCX_PUB, IPCX_SUB, IPCX_PUSH,
                                            IPCX_PULL, IPCX_REQ, IPCX_REP};
    unsigned lf = pat_caps(true), df = pat_caps(false);
    int base = tsup_fd_count();
    for (size_t i = 0; i < 7; i++) {
        for (size_t cap = 0; cap < 2; cap++) {
            enum ipcx_pattern p = all[i];
            bool sends = ipcx__pattern_sends(p), recvs = ipcx__pattern_recvs(p);
            bool l_ok = (!sends || (lf & IPCX_LINK_SEND)) && (!recvs || (lf & IPCX_LINK_RECV));
            bool d_ok = (!sends || (df & IPCX_LINK_SEND)) && (!recvs || (df & IPCX_LINK_RECV));
            bool l_two = (lf & IPCX_LINK_SEND) && (lf & IPCX_LINK_RECV);
            bool d_two = (df & IPCX_LINK_SEND) && (df & IPCX_LINK_RECV);
            if (p == IPCX_SUB && (df & IPCX_LINK_SHARED) && (df & IPCX_LINK_RECV))
                d_ok = false; /* subscribers would split one stream */
            if (p == IPCX_PAIR || p == IPCX_REQ || p == IPCX_REP || cap == 0) {
                l_ok = l_ok && l_two;
                d_ok = d_ok && d_two;
            }
            struct ipcx_chan *c = pat_open(p, 0, IPCX_FULL_BLOCK, 0);
            cr_assert_eq(ipcx_chan_set_capacity(c, cap, IPCX_FULL_BLOCK), 0);
            char url[256];
            pat_url(url, sizeof url);
            int rc = ipcx_chan_listen(c, url, NULL);
            if (!l_ok) {
                cr_assert_eq(rc, IPCX_ENOTSUP, "%s listen", ipcx__pattern_name(p));
                cr_assert_gt(strlen(ipcx_chan_last_reason()), 0);
            } else {
                cr_assert_gt(rc, 0, "%s listen: %s", ipcx__pattern_name(p), ipcx_strerror(rc));
            }
            pat_url(url, sizeof url);
            rc = ipcx_chan_dial(c, url, NULL, 0);
            if (!d_ok)
                cr_assert_eq(rc, IPCX_ENOTSUP, "%s dial", ipcx__pattern_name(p));
            else
                cr_assert_neq(rc, IPCX_ENOTSUP, "%s dial", ipcx__pattern_name(p));
            ipcx_chan_close(c, 0);
        }
    }
    cr_assert_eq(tsup_fd_count(), base);
}

/* --- threads -------------------------------------------------------------- */

#define TH_THREADS 4
#define TH_EACH    1000

struct th_shared {
    atomic_int count[2 * TH_EACH * TH_THREADS];
    atomic_int total;
};

struct th_arg {
    struct ipcx_chan *c;
    struct th_shared *sh;
    int limit;
    int who;
    int errors;
};

static void *th_recv(void *arg)
{
    struct th_arg *a = arg;
    int64_t end = pat_deadline();
    while (atomic_load(&a->sh->total) < a->limit && tsup_now_ms() < end) {
        struct ipcx_msg m;
        int rc = ipcx_chan_recv(a->c, &m, 50);
        if (rc == IPCX_ETIMEDOUT)
            continue;
        if (rc != 0 || m.size != 4) {
            a->errors++;
            continue;
        }
        uint32_t k;
        memcpy(&k, m.data, 4);
        if (k < 2 * TH_EACH * TH_THREADS)
            atomic_fetch_add(&a->sh->count[k], 1);
        atomic_fetch_add(&a->sh->total, 1);
        ipcx_msg_release(&m);
    }
    return NULL;
}

static int th_pusher(struct star *s, struct ipcx_chan *c)
{
    for (uint32_t k = 0; k < TH_EACH; k++) {
        uint32_t v = (uint32_t)s->index * TH_EACH + k;
        struct ipcx_msg m = ipcx_msg_of(&v, 4);
        TSUP_CHILD_CHECK(ipcx_chan_send(c, &m, PAT_WAIT_MS) == 0);
    }
    return 0;
}

Test(patterns, threads_receive_every_message_once)
{
    struct th_shared *sh = pat_shared(sizeof *sh);
    struct ipcx_chan *pull = pat_open(IPCX_PULL, 0, IPCX_FULL_BLOCK, 0);
    struct star s;
    star_init(&s, pull, IPCX_PULL, IPCX_PUSH, 2, sh);
    pid_t pids[2];
    star_fork(&s, th_pusher, pids);
    if (!s.centre_listens)
        star_connect(&s, pull);
    pthread_t t[TH_THREADS];
    struct th_arg a[TH_THREADS];
    for (int i = 0; i < TH_THREADS; i++) {
        a[i] = (struct th_arg){pull, sh, 2 * TH_EACH, i, 0};
        cr_assert_eq(pthread_create(&t[i], NULL, th_recv, &a[i]), 0);
    }
    for (int i = 0; i < TH_THREADS; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(a[i].errors, 0);
    }
    for (int k = 0; k < 2 * TH_EACH; k++)
        cr_assert_eq(atomic_load(&sh->count[k]), 1, "message %d", k);
    star_reap(&s, pids);
    ipcx_chan_close(pull, 0);
    munmap(sh, sizeof *sh);
}

static void *th_send(void *arg)
{
    struct th_arg *a = arg;
    for (uint32_t k = 0; k < TH_EACH; k++) {
        uint32_t v = (uint32_t)a->who * TH_EACH + k;
        struct ipcx_msg m = ipcx_msg_of(&v, 4);
        if (ipcx_chan_send(a->c, &m, PAT_WAIT_MS) != 0)
            a->errors++;
    }
    return NULL;
}

static int th_puller(struct star *s, struct ipcx_chan *c)
{
    struct th_shared *sh = s->shared;
    int64_t end = pat_deadline();
    while (atomic_load(&sh->total) < TH_THREADS * TH_EACH && tsup_now_ms() < end) {
        struct ipcx_msg m;
        int rc = ipcx_chan_recv(c, &m, 50);
        if (rc == IPCX_ETIMEDOUT)
            continue;
        TSUP_CHILD_CHECK(rc == 0 && m.size == 4);
        uint32_t k;
        memcpy(&k, m.data, 4);
        TSUP_CHILD_CHECK(k < TH_THREADS * TH_EACH);
        atomic_fetch_add(&sh->count[k], 1);
        atomic_fetch_add(&sh->total, 1);
        ipcx_msg_release(&m);
    }
    return 0;
}

Test(patterns, threads_send_every_message_once)
{
    struct th_shared *sh = pat_shared(sizeof *sh);
    struct ipcx_chan *push = pat_open(IPCX_PUSH, 0, IPCX_FULL_BLOCK, 0);
    struct star s;
    star_init(&s, push, IPCX_PUSH, IPCX_PULL, 2, sh);
    pid_t pids[2];
    star_fork(&s, th_puller, pids);
    star_connect(&s, push);
    pthread_t t[TH_THREADS];
    struct th_arg a[TH_THREADS];
    for (int i = 0; i < TH_THREADS; i++) {
        a[i] = (struct th_arg){push, sh, 0, i, 0};
        cr_assert_eq(pthread_create(&t[i], NULL, th_send, &a[i]), 0);
    }
    for (int i = 0; i < TH_THREADS; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(a[i].errors, 0);
    }
    star_reap(&s, pids);
    for (int k = 0; k < TH_THREADS * TH_EACH; k++)
        cr_assert_eq(atomic_load(&sh->count[k]), 1, "message %d", k);
    ipcx_chan_close(push, 0);
    munmap(sh, sizeof *sh);
}

/* --- peers leaving --------------------------------------------------------- */

static int die_after_one(void *arg)
{
    struct ipcx_chan *c = pat_open(IPCX_PAIR, 0, IPCX_FULL_BLOCK, 0);
    TSUP_CHILD_CHECK(ipcx_chan_dial(c, arg, NULL, PAT_WAIT_MS) > 0);
    struct ipcx_msg m = ipcx_msg_of("last", 4);
    TSUP_CHILD_CHECK(ipcx_chan_send(c, &m, PAT_WAIT_MS) == 0);
    _exit(0); /* no close: the process just ends */
}

Test(patterns, peer_death_is_an_event)
{
    struct ipcx_chan *pair = pat_open(IPCX_PAIR, 0, IPCX_FULL_BLOCK, 0);
    char url[256];
    if (!pat_two_way()) {
        /* A pair needs both directions. */
        cr_assert_eq(pat_listen(pair, url, sizeof url), IPCX_ENOTSUP);
        ipcx_chan_close(pair, 0);
        return;
    }
    cr_assert_gt(pat_listen(pair, url, sizeof url), 0);
    pid_t pid = tsup_fork(die_after_one, url);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_chan_recv(pair, &m, PAT_WAIT_MS), 0);
    cr_assert_eq(m.size, 4);
    ipcx_msg_release(&m);
    cr_assert_eq(tsup_wait_exit(pid, PAT_WAIT_MS), 0);
    struct ipcx_chan_event ev;
    cr_assert_eq(ipcx_chan_event(pair, &ev, PAT_WAIT_MS), 0);
    cr_assert_eq(ev.kind, IPCX_CHAN_PEER_JOINED);
    unsigned f = pat_caps(true);
    if (f & IPCX_LINK_CRED) {
        cr_assert(ev.has_cred);
        cr_assert_eq(ev.cred.uid, geteuid());
    }
    cr_assert_eq(ipcx_chan_event(pair, &ev, PAT_WAIT_MS), 0);
    cr_assert_eq(ev.kind, IPCX_CHAN_PEER_LEFT);
    cr_assert(ev.reason == IPCX_EPEERDEAD || ev.reason == IPCX_ECLOSED, "%s",
              ipcx_errname(ev.reason));
    struct ipcx_chan_stats st;
    ipcx_chan_stats(pair, &st);
    cr_assert_eq(st.peers, 0);
    cr_assert_eq(st.peers_left, 1);
    /* A listening pair waits for its next peer rather than reporting the end. */
    cr_assert_eq(ipcx_chan_recv(pair, &m, 100), IPCX_ETIMEDOUT);
    ipcx_chan_close(pair, 0);
}

static int close_after_join(void *arg)
{
    struct ipcx_chan *c = pat_open(IPCX_PAIR, 0, IPCX_FULL_BLOCK, 0);
    TSUP_CHILD_CHECK(c && pat_listen_publish(c, arg) > 0);
    TSUP_CHILD_CHECK(pat_joins(c, 1) == 0);
    struct ipcx_msg m = ipcx_msg_of("bye", 3);
    TSUP_CHILD_CHECK(ipcx_chan_send(c, &m, PAT_WAIT_MS) == 0);
    ipcx_chan_close(c, 1000);
    return 0;
}

Test(patterns, pair_sees_the_end_after_the_last_message)
{
    char url[256];
    pat_url(url, sizeof url);
    if (!pat_two_way()) {
        struct ipcx_chan *pair = pat_open(IPCX_PAIR, 0, IPCX_FULL_BLOCK, 0);
        cr_assert_eq(ipcx_chan_dial(pair, url, NULL, 0), IPCX_ENOTSUP);
        ipcx_chan_close(pair, 0);
        return;
    }
    struct pat_urlbox *box = pat_shared(sizeof *box);
    snprintf(box->url, sizeof box->url, "%s", url);
    pid_t pid = tsup_fork(close_after_join, box);
    struct ipcx_chan *pair = pat_open(IPCX_PAIR, 0, IPCX_FULL_BLOCK, 0);
    cr_assert_gt(pat_dial_published(pair, box), 0);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_chan_recv(pair, &m, PAT_WAIT_MS), 0);
    cr_assert_eq(m.size, 3);
    ipcx_msg_release(&m);
    cr_assert_eq(ipcx_chan_recv(pair, &m, PAT_WAIT_MS), IPCX_ECLOSED);
    cr_assert_eq(tsup_wait_exit(pid, PAT_WAIT_MS), 0);
    m = ipcx_msg_of("x", 1);
    cr_assert_eq(ipcx_chan_send(pair, &m, 100), IPCX_ECLOSED);
    ipcx_chan_close(pair, 0);
    munmap(box, sizeof *box);
}

#endif
