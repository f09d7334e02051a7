/* SPDX-License-Identifier: MIT */
/*
 * test_shm.c: the shm:// transport between real processes: round trips in
 * both directions in every waiting mode (bodies, types, priorities and ids
 * intact), many dialers on one listener, the largest message and one byte
 * more, timeouts, orderly close (everything drained, then IPCX_ECLOSED),
 * death of the peer (drained, then IPCX_EPEERDEAD, also for a blocked
 * send), the event-loop interface, the seals on the memfd, a dialer of
 * another uid refused before any memory is shared, hostile dialers that do
 * not hold the listener up, filesystem paths, and an exec'ed helper.
 * ipcx-test: label=transport timeout=120
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmtest.h"

/* ---- round trips ------------------------------------------------------- */

struct echo_arg {
    const char *url;
    int wait;
    int count;
};

/* A dialer child: echoes every message back, attributes included, until
 * the listener closes. */
static int echo_child(void *p)
{
    struct echo_arg *a = p;
    struct ipcx_link_opts o = {.wait = a->wait};
    struct ipcx_link *k;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, a->url, &o, 5000) == 0);
    struct ipcx_cred c;
    TSUP_CHILD_CHECK(ipcx_link_peer_cred(k, &c) == 0 && c.pid == getppid() && c.uid == getuid());
    for (;;) {
        struct ipcx_msg m;
        int rc = ipcx_link_recv(k, &m, 10000);
        if (rc == IPCX_ECLOSED)
            break;
        TSUP_CHILD_CHECK(rc == 0);
        TSUP_CHILD_CHECK(ipcx_link_send(k, &m, 10000) == 0);
        ipcx_msg_release(&m);
    }
    ipcx_link_close(k);
    return 0;
}

static void round_trip(int wait)
{
    char url[128];
    shm_url(url, sizeof url);
    int fds = tsup_fd_count();
    struct ipcx_link_opts o = {.wait = wait, .ring_bytes = 64 * 1024};
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, &o), 0);
    struct echo_arg a = {url, wait, 0};
    pid_t pid = tsup_fork(echo_child, &a);
    cr_assert_gt(pid, 0);
    struct ipcx_link *k;
    cr_assert_eq(ipcx_link_accept(l, &k, 5000), 0);
    struct ipcx_link_caps caps;
    cr_assert_eq(ipcx_link_caps(k, &caps), 0);
    cr_assert_eq(caps.flags, IPCX_LINK_SEND | IPCX_LINK_RECV | IPCX_LINK_ORDERED |
                                 IPCX_LINK_RELIABLE | IPCX_LINK_PEER_DEATH | IPCX_LINK_CRED);
    cr_assert_eq(caps.max_msg, 64 * 1024 - IPCX_RING_RECORD_HEADER - 8);
    cr_assert_str_eq(ipcx_link_scheme(k), "shm");
    struct ipcx_cred c;
    cr_assert_eq(ipcx_link_peer_cred(k, &c), 0);
    cr_assert_eq(c.pid, pid);

    unsigned char buf[5000];
    /* Several in flight at once, then drained: both rings hold data. */
    for (uint64_t i = 0; i < 3000; i += 3) {
        for (uint64_t j = i; j < i + 3; j++) {
            size_t len = (size_t)((j * 7919) % sizeof buf);
            shm_fill(buf, len, j);
            struct ipcx_msg m = ipcx_msg_of(buf, len);
            m.type = (long)(j % 5);
            m.priority = (unsigned)(j % 32);
            m.id = j % 4 ? j * 1000003u : 0;
            cr_assert_eq(ipcx_link_send(k, &m, 5000), 0);
        }
        for (uint64_t j = i; j < i + 3; j++) {
            struct ipcx_msg m;
            cr_assert_eq(ipcx_link_recv(k, &m, 5000), 0);
            cr_assert(shm_check(&m, (size_t)((j * 7919) % sizeof buf), j), "message %llu",
                      (unsigned long long)j);
            cr_assert_eq(m.type, (long)(j % 5));
            cr_assert_eq(m.priority, (unsigned)(j % 32));
            cr_assert_eq(m.id, j % 4 ? j * 1000003u : 0);
            cr_assert_eq(m.flags, IPCX_MSG_OWNED);
            ipcx_msg_release(&m);
        }
    }
    ipcx_link_close(k);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    ipcx_listener_close(l);
    cr_assert_eq(tsup_fd_count(), fds, "no descriptor leaked");
}

Test(shm, round_trip_adaptive)
{
    round_trip(IPCX_LINK_WAIT_DEFAULT);
}

Test(shm, round_trip_busy)
{
    round_trip(IPCX_LINK_WAIT_BUSY);
}

Test(shm, round_trip_block)
{
    round_trip(IPCX_LINK_WAIT_BLOCK);
}

/* ---- many dialers ------------------------------------------------------ */

struct many_arg {
    const char *url;
    int index;
};

/* Sends its index 100 times, then expects 100 replies index * 1000 + i. */
static int many_child(void *p)
{
    struct many_arg *a = p;
    struct ipcx_link *k;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, a->url, NULL, 5000) == 0);
    for (int i = 0; i < 100; i++) {
        int v[2] = {a->index, i};
        struct ipcx_msg m = ipcx_msg_of(v, sizeof v);
        TSUP_CHILD_CHECK(ipcx_link_send(k, &m, 5000) == 0);
    }
    for (int i = 0; i < 100; i++) {
        struct ipcx_msg m;
        TSUP_CHILD_CHECK(ipcx_link_recv(k, &m, 5000) == 0);
        TSUP_CHILD_CHECK(m.size == sizeof(int) && *(int *)m.data == a->index * 1000 + i);
        ipcx_msg_release(&m);
    }
    struct ipcx_msg m;
    TSUP_CHILD_CHECK(ipcx_link_recv(k, &m, 5000) == IPCX_ECLOSED);
    ipcx_link_close(k);
    return 0;
}

Test(shm, many_dialers_each_get_their_own_rings)
{
    enum { N = 8 };
    char url[128];
    shm_url(url, sizeof url);
    int fds = tsup_fd_count();
    struct ipcx_listener *l;
    struct ipcx_link_opts o = {.ring_bytes = 16 * 1024};
    cr_assert_eq(ipcx_link_listen(&l, url, &o), 0);
    pid_t pids[N];
    struct many_arg args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (struct many_arg){url, i};
        pids[i] = tsup_fork(many_child, &args[i]);
        cr_assert_gt(pids[i], 0);
    }
    struct ipcx_link *k[N];
    for (int i = 0; i < N; i++)
        cr_assert_eq(ipcx_link_accept(l, &k[i], 5000), 0);
    for (int i = 0; i < N; i++) {
        int who = -1;
        for (int j = 0; j < 100; j++) {
            struct ipcx_msg m;
            cr_assert_eq(ipcx_link_recv(k[i], &m, 5000), 0);
            int *v = m.data;
            cr_assert_eq(m.size, 2 * sizeof(int));
            if (j == 0)
                who = v[0];
            cr_assert_eq(v[0], who, "one dialer per link");
            cr_assert_eq(v[1], j, "in order");
            ipcx_msg_release(&m);
            struct ipcx_cred c;
            cr_assert_eq(ipcx_link_peer_cred(k[i], &c), 0);
            cr_assert_eq(c.pid, pids[who]);
        }
        for (int j = 0; j < 100; j++) {
            int v = who * 1000 + j;
            struct ipcx_msg m = ipcx_msg_of(&v, sizeof v);
            cr_assert_eq(ipcx_link_send(k[i], &m, 5000), 0);
        }
        ipcx_link_close(k[i]);
    }
    for (int i = 0; i < N; i++)
        cr_assert_eq(tsup_wait_exit(pids[i], 10000), 0, "dialer %d", i);
    ipcx_listener_close(l);
    cr_assert_eq(tsup_fd_count(), fds);
}

/* ---- sizes ------------------------------------------------------------- */

Test(shm, largest_message_both_ways_and_one_byte_more)
{
    char url[128];
    shm_url(url, sizeof url);
    struct ipcx_link_opts o = {.ring_bytes = 64 * 1024};
    struct ipcx_listener *l;
    struct ipcx_link *s, *c;
    shm_pair(url, &o, NULL, &l, &s, &c);
    struct ipcx_link_caps caps;
    cr_assert_eq(ipcx_link_caps(c, &caps), 0);
    size_t max = caps.max_msg;
    cr_assert_eq(max, 64 * 1024 - 32);
    unsigned char *buf = malloc(max + 1);
    struct ipcx_link *ends[2] = {s, c};
    for (int dir = 0; dir < 2; dir++) {
        for (int round = 0; round < 5; round++) { /* wraps around the ring */
            shm_fill(buf, max, (uint64_t)round);
            struct ipcx_msg m = ipcx_msg_of(buf, max);
            m.id = 0xFFFFFFFFFFFFFFFFull; /* the id costs the 8 bytes kept back */
            cr_assert_eq(ipcx_link_send(ends[dir], &m, 5000), 0);
            struct ipcx_msg r;
            cr_assert_eq(ipcx_link_recv(ends[1 - dir], &r, 5000), 0);
            cr_assert(shm_check(&r, max, (uint64_t)round));
            cr_assert_eq(r.id, 0xFFFFFFFFFFFFFFFFull);
            ipcx_msg_release(&r);
        }
        struct ipcx_msg big = ipcx_msg_of(buf, max + 1);
        cr_assert_eq(ipcx_link_send(ends[dir], &big, 0), IPCX_EMSGSIZE);
    }
    /* An empty message is a message. */
    struct ipcx_msg e = ipcx_msg_of(NULL, 0);
    cr_assert_eq(ipcx_link_send(s, &e, 0), 0);
    struct ipcx_msg r;
    cr_assert_eq(ipcx_link_recv(c, &r, 0), 0);
    cr_assert_eq(r.size, 0);
    ipcx_msg_release(&r);
    free(buf);
    ipcx_link_close(s);
    ipcx_link_close(c);
    ipcx_listener_close(l);
}

Test(shm, options_size_the_rings)
{
    char url[128];
    struct ipcx_listener *l;
    /* A max_msg larger than the default ring grows the ring. */
    struct ipcx_link_opts o = {.max_msg = 3u << 20};
    struct ipcx_link *s, *c;
    shm_pair(shm_url(url, sizeof url), &o, NULL, &l, &s, &c);
    struct ipcx_link_caps caps;
    cr_assert_eq(ipcx_link_caps(c, &caps), 0);
    cr_assert_eq(caps.max_msg, 3u << 20, "the dialer takes the listener's size");
    ipcx_link_close(s);
    ipcx_link_close(c);
    ipcx_listener_close(l);
    /* A ring too small or too large, a max_msg the ring cannot hold. */
    struct ipcx_link_opts bad1 = {.ring_bytes = 100};
    struct ipcx_link_opts bad2 = {.ring_bytes = 4096, .max_msg = 4096};
    struct ipcx_link_opts bad3 = {.mode = 01777};
    cr_assert_eq(ipcx_link_listen(&l, url, &bad1), IPCX_EINVAL);
    cr_assert_eq(ipcx_link_listen(&l, url, &bad2), IPCX_EINVAL);
    cr_assert_eq(ipcx_link_listen(&l, url, &bad3), IPCX_EINVAL);
    cr_assert_eq(ipcx_link_listen(&l, "shm://", NULL), IPCX_EBADURL);
}

/* ---- timeouts ---------------------------------------------------------- */

static void assert_took(int64_t t0, int ms)
{
    int64_t took = tsup_now_ms() - t0;
    cr_assert_geq(took, ms, "returned after %lld ms, before its %d ms", (long long)took, ms);
    cr_assert_leq(took, ms + 250, "returned after %lld ms, for %d ms", (long long)took, ms);
}

static void timeouts(int wait)
{
    char url[128];
    shm_url(url, sizeof url);
    struct ipcx_link_opts o = {.ring_bytes = 4096, .wait = wait};
    struct ipcx_listener *l;
    struct ipcx_link *s, *c;
    shm_pair(url, &o, &o, &l, &s, &c);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(c, &m, IPCX_NOWAIT), IPCX_EAGAIN);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_link_recv(s, &m, 200), IPCX_ETIMEDOUT);
    assert_took(t0, 200);

    /* Fill the 4 KiB ring, then a send waits for room. */
    char buf[1000] = {0};
    struct ipcx_msg one = ipcx_msg_of(buf, sizeof buf);
    int sent = 0;
    while (ipcx_link_send(c, &one, IPCX_NOWAIT) == 0)
        sent++;
    cr_assert_gt(sent, 0);
    cr_assert_eq(ipcx_link_send(c, &one, IPCX_NOWAIT), IPCX_EAGAIN);
    t0 = tsup_now_ms();
    cr_assert_eq(ipcx_link_send(c, &one, 200), IPCX_ETIMEDOUT);
    assert_took(t0, 200);
    for (int i = 0; i < sent; i++) {
        cr_assert_eq(ipcx_link_recv(s, &m, 1000), 0);
        ipcx_msg_release(&m);
    }
    cr_assert_eq(ipcx_link_send(c, &one, IPCX_NOWAIT), 0, "room again");

    struct ipcx_link *none;
    cr_assert_eq(ipcx_link_accept(l, &none, IPCX_NOWAIT), IPCX_EAGAIN);
    t0 = tsup_now_ms();
    cr_assert_eq(ipcx_link_accept(l, &none, 150), IPCX_ETIMEDOUT);
    assert_took(t0, 150);
    ipcx_link_close(s);
    ipcx_link_close(c);
    ipcx_listener_close(l);
    cr_assert_eq(ipcx_link_dial(&none, url, NULL, 1000), IPCX_ECONNREFUSED, "nobody listens");
}

Test(shm, timeouts_adaptive)
{
    timeouts(IPCX_LINK_WAIT_ADAPTIVE);
}

Test(shm, timeouts_busy)
{
    timeouts(IPCX_LINK_WAIT_BUSY);
}

Test(shm, timeouts_block)
{
    timeouts(IPCX_LINK_WAIT_BLOCK);
}

/* ---- close and death --------------------------------------------------- */

struct burst_arg {
    const char *url;
    int count;
    int orderly; /* close the link (else just exit) */
};

static int burst_child(void *p)
{
    struct burst_arg *a = p;
    struct ipcx_link *k;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, a->url, NULL, 5000) == 0);
    for (int i = 0; i < a->count; i++) {
        struct ipcx_msg m = ipcx_msg_of(&i, sizeof i);
        TSUP_CHILD_CHECK(ipcx_link_send(k, &m, 5000) == 0);
    }
    if (a->orderly)
        ipcx_link_close(k);
    return 0; /* without close: the process ends, the kernel closes the socket */
}

static void close_or_die(int orderly)
{
    char url[128];
    shm_url(url, sizeof url);
    int fds = tsup_fd_count();
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    struct burst_arg a = {url, 100, orderly};
    pid_t pid = tsup_fork(burst_child, &a);
    struct ipcx_link *k;
    cr_assert_eq(ipcx_link_accept(l, &k, 5000), 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0, "the dialer sent and left");
    for (int i = 0; i < 100; i++) {
        struct ipcx_msg m;
        cr_assert_eq(ipcx_link_recv(k, &m, 1000), 0, "message %d is delivered first", i);
        cr_assert_eq(*(int *)m.data, i);
        ipcx_msg_release(&m);
    }
    int want = orderly ? IPCX_ECLOSED : IPCX_EPEERDEAD;
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(k, &m, 1000), want);
    cr_assert_eq(ipcx_link_recv(k, &m, IPCX_NOWAIT), want, "and stays so");
    struct ipcx_msg one = ipcx_msg_of("x", 1);
    cr_assert_eq(ipcx_link_send(k, &one, 1000), want);
    ipcx_link_close(k);
    ipcx_listener_close(l);
    cr_assert_eq(tsup_fd_count(), fds);
}

Test(shm, orderly_close_drains_then_eclosed)
{
    close_or_die(1);
}

Test(shm, death_drains_then_epeerdead)
{
    close_or_die(0);
}

/* A dialer that reads nothing and waits to be killed. */
static int idle_child(void *p)
{
    struct ipcx_link *k;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, (const char *)p, NULL, 5000) == 0);
    pause();
    return 0;
}

Test(shm, blocked_send_learns_of_death)
{
    char url[128];
    shm_url(url, sizeof url);
    for (int wait = IPCX_LINK_WAIT_BUSY; wait <= IPCX_LINK_WAIT_BLOCK; wait++) {
        struct ipcx_listener *l;
        struct ipcx_link_opts o = {.ring_bytes = 4096, .wait = wait};
        cr_assert_eq(ipcx_link_listen(&l, url, &o), 0);
        pid_t pid = tsup_fork(idle_child, url);
        struct ipcx_link *k;
        cr_assert_eq(ipcx_link_accept(l, &k, 5000), 0);
        char buf[512] = {0};
        struct ipcx_msg m = ipcx_msg_of(buf, sizeof buf);
        while (ipcx_link_send(k, &m, IPCX_NOWAIT) == 0)
            ;
        /* Kill it while this side is blocked in send. */
        pid_t killer = fork();
        if (killer == 0) {
            usleep(100000);
            kill(pid, SIGKILL);
            _exit(0);
        }
        int64_t t0 = tsup_now_ms();
        cr_assert_eq(ipcx_link_send(k, &m, 5000), IPCX_EPEERDEAD, "wait mode %d", wait);
        int64_t took = tsup_now_ms() - t0;
        cr_assert_lt(took, 2000, "learnt of the death after %lld ms", (long long)took);
        cr_assert_eq(tsup_wait_exit(killer, 5000), 0);
        cr_assert_eq(tsup_wait_exit(pid, 5000), 128 + SIGKILL);
        cr_assert_eq(ipcx_link_send(k, &m, IPCX_NOWAIT), IPCX_EPEERDEAD, "future calls too");
        ipcx_link_close(k);
        ipcx_listener_close(l);
    }
}

/* ---- event loop -------------------------------------------------------- */

/* Sends one message when told (a byte on the pipe), then dies. */
static int poke_child(void *p)
{
    const char *url = ((const char **)p)[0];
    int rfd = atoi(((const char **)p)[1]);
    struct ipcx_link *k;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, url, NULL, 5000) == 0);
    char b;
    TSUP_CHILD_CHECK(read(rfd, &b, 1) == 1);
    struct ipcx_msg m = ipcx_msg_of("hello", 5);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m, 5000) == 0);
    TSUP_CHILD_CHECK(read(rfd, &b, 1) == 1);
    _exit(0); /* no close: a death */
}

Test(shm, event_loop_fd_and_arm)
{
    char url[128], rfd[16];
    shm_url(url, sizeof url);
    int pp[2];
    cr_assert_eq(pipe(pp), 0);
    snprintf(rfd, sizeof rfd, "%d", pp[0]);
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    const char *args[2] = {url, rfd};
    pid_t pid = tsup_fork(poke_child, args);
    struct pollfd lp = {.fd = ipcx_listener_fd(l), .events = POLLIN};
    cr_assert_eq(poll(&lp, 1, 5000), 1, "the listener fd shows the dialer");
    struct ipcx_link *k;
    cr_assert_eq(ipcx_link_accept(l, &k, IPCX_NOWAIT), 0);
    struct pollfd p = {.fd = ipcx_link_fd(k), .events = POLLIN};
    cr_assert_geq(p.fd, 0);
    cr_assert_eq(ipcx_link_arm(k), 0, "nothing there: wait");
    cr_assert_eq(poll(&p, 1, 100), 0, "quiet while nothing comes");
    cr_assert_eq(write(pp[1], "x", 1), 1);
    cr_assert_eq(poll(&p, 1, 5000), 1, "a message wakes the loop");
    cr_assert_eq(ipcx_link_arm(k), 1, "a message is there");
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(k, &m, IPCX_NOWAIT), 0);
    cr_assert_eq(m.size, 5);
    ipcx_msg_release(&m);
    cr_assert_eq(ipcx_link_recv(k, &m, IPCX_NOWAIT), IPCX_EAGAIN);
    cr_assert_eq(ipcx_link_arm(k), 0);
    cr_assert_eq(write(pp[1], "x", 1), 1);
    cr_assert_eq(poll(&p, 1, 5000), 1, "the death wakes the loop");
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    cr_assert_eq(ipcx_link_recv(k, &m, IPCX_NOWAIT), IPCX_EPEERDEAD);
    cr_assert_eq(ipcx_link_arm(k), 1);
    ipcx_link_close(k);
    ipcx_listener_close(l);
    close(pp[0]);
    close(pp[1]);
}

/* ---- security ---------------------------------------------------------- */

/* The memfd a dialer received, found as a user would (by its name). */
static int find_memfd(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int found = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[300], link[128];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n <= 0)
            continue;
        link[n] = '\0';
        if (strstr(link, "memfd:ipcx-shm"))
            found = atoi(e->d_name);
    }
    closedir(d);
    return found;
}

static int truncating_child(void *p)
{
    struct ipcx_link *k;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, (const char *)p, NULL, 5000) == 0);
    int fd = find_memfd();
    TSUP_CHILD_CHECK(fd >= 0);
    struct stat st;
    TSUP_CHILD_CHECK(fstat(fd, &st) == 0 && st.st_size > 0);
    TSUP_CHILD_CHECK(ftruncate(fd, 0) == -1 && errno == EPERM);
    TSUP_CHILD_CHECK(ftruncate(fd, st.st_size / 2) == -1 && errno == EPERM);
    TSUP_CHILD_CHECK(ftruncate(fd, st.st_size * 2) == -1 && errno == EPERM);
    TSUP_CHILD_CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == -1 && errno == EPERM);
    int seals = fcntl(fd, F_GET_SEALS);
    int need = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
    TSUP_CHILD_CHECK(seals >= 0 && (seals & need) == need);
    /* The link still works. */
    struct ipcx_msg m = ipcx_msg_of("ok", 2);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m, 5000) == 0);
    TSUP_CHILD_CHECK(ipcx_link_recv(k, &m, 5000) == IPCX_ECLOSED);
    ipcx_link_close(k);
    return 0;
}

Test(shm, truncating_the_memfd_is_refused_by_the_seals)
{
    char url[128];
    shm_url(url, sizeof url);
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    pid_t pid = tsup_fork(truncating_child, url);
    struct ipcx_link *k;
    cr_assert_eq(ipcx_link_accept(l, &k, 5000), 0);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(k, &m, 5000), 0);
    cr_assert_eq(m.size, 2);
    ipcx_msg_release(&m);
    ipcx_link_close(k);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    ipcx_listener_close(l);
}

struct nobody_arg {
    const char *url;
    int admitted;
};

/* As uid 65534: dial a root listener (trusting root, so that the listener's
 * decision is the one tested). Refused: nothing was received. */
static int nobody_child(void *p)
{
    struct nobody_arg *a = p;
    TSUP_CHILD_CHECK(setgid(65534) == 0 && setuid(65534) == 0);
    int before = tsup_fd_count();
    uid_t root = 0;
    struct ipcx_cred_policy trust_root = {.uids = &root, .nuids = 1};
    struct ipcx_link_opts o = {.policy = &trust_root};
    struct ipcx_link *k;
    int rc = ipcx_link_dial(&k, a->url, &o, 5000);
    if (a->admitted) {
        TSUP_CHILD_CHECK(rc == 0);
        struct ipcx_msg m = ipcx_msg_of("in", 2);
        TSUP_CHILD_CHECK(ipcx_link_send(k, &m, 5000) == 0);
        TSUP_CHILD_CHECK(ipcx_link_recv(k, &m, 5000) == IPCX_ECLOSED);
        ipcx_link_close(k);
        return 0;
    }
    if (rc != IPCX_EPOLICY) {
        fprintf(stderr, "dial as nobody: %s\n", ipcx_errname(rc));
        return 1;
    }
    TSUP_CHILD_CHECK(k == NULL);
    TSUP_CHILD_CHECK(tsup_fd_count() == before);
    TSUP_CHILD_CHECK(find_memfd() < 0);
    return 0;
}

Test(shm, dialer_of_another_uid_is_refused_before_memory_is_shared)
{
    cr_assert_eq(getuid(), 0, "the tests run as root");
    char url[128];
    shm_url(url, sizeof url);
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    int fds = tsup_fd_count();
    struct nobody_arg a = {url, 0};
    pid_t pid = tsup_fork(nobody_child, &a);
    struct ipcx_link *k;
    cr_assert_eq(ipcx_link_accept(l, &k, 1000), IPCX_ETIMEDOUT, "refused peers are not returned");
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    cr_assert_eq(tsup_fd_count(), fds);
    ipcx_listener_close(l);

    /* A listener whose policy admits it. */
    uid_t nobody = 65534;
    struct ipcx_cred_policy p = {.uids = &nobody, .nuids = 1};
    struct ipcx_link_opts o = {.policy = &p};
    cr_assert_eq(ipcx_link_listen(&l, url, &o), 0);
    a.admitted = 1;
    pid = tsup_fork(nobody_child, &a);
    cr_assert_eq(ipcx_link_accept(l, &k, 5000), 0);
    struct ipcx_cred c;
    cr_assert_eq(ipcx_link_peer_cred(k, &c), 0);
    cr_assert_eq(c.uid, 65534);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(k, &m, 5000), 0);
    ipcx_msg_release(&m);
    ipcx_link_close(k);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    ipcx_listener_close(l);
}

/* The dialer refuses a listener its policy does not admit. */
Test(shm, dialer_refuses_a_listener_outside_its_policy)
{
    char url[128];
    shm_url(url, sizeof url);
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    uid_t other = 12345;
    struct ipcx_cred_policy p = {.uids = &other, .nuids = 1};
    struct ipcx_link_opts o = {.policy = &p};
    int fds = tsup_fd_count();
    struct ipcx_link *k;
    cr_assert_eq(ipcx_link_dial(&k, url, &o, 1000), IPCX_EPOLICY);
    cr_assert_eq(tsup_fd_count(), fds);
    ipcx_listener_close(l);
}

Test(shm, hostile_dialers_do_not_hold_the_listener)
{
    char url[128], addr[160];
    shm_url(url, sizeof url);
    snprintf(addr, sizeof addr, "@ipcx.shm.%s", url + 6);
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    int fds = tsup_fd_count();
    /* One that sends garbage, one that never reads its hello, one that
     * is gone before it is accepted. */
    struct ipcx_unix *g, *s, *gone;
    cr_assert_eq(ipcx_unix_connect(&g, addr, IPCX_UNIX_STREAM, NULL, 1000), 0);
    cr_assert_eq(ipcx_unix_send(g, "garbage!", 8, 1000), 8);
    cr_assert_eq(ipcx_unix_connect(&s, addr, IPCX_UNIX_STREAM, NULL, 1000), 0);
    cr_assert_eq(ipcx_unix_connect(&gone, addr, IPCX_UNIX_STREAM, NULL, 1000), 0);
    ipcx_unix_close(gone);

    int64_t t0 = tsup_now_ms();
    struct ipcx_link *kg, *ks;
    cr_assert_eq(ipcx_link_accept(l, &kg, 1000), 0);
    cr_assert_eq(ipcx_link_accept(l, &ks, 1000), 0);
    cr_assert_lt(tsup_now_ms() - t0, 500, "the listener never waits for a dialer");
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(kg, &m, 1000), IPCX_EPROTO, "garbage breaks that link");
    cr_assert_eq(ipcx_link_recv(ks, &m, 100), IPCX_ETIMEDOUT);

    /* A real dialer is served next, as the departed one is skipped. */
    struct echo_arg a = {url, 0, 0};
    pid_t pid = tsup_fork(echo_child, &a);
    struct ipcx_link *k;
    cr_assert_eq(ipcx_link_accept(l, &k, 5000), 0);
    struct ipcx_msg one = ipcx_msg_of("ping", 4);
    cr_assert_eq(ipcx_link_send(k, &one, 1000), 0);
    cr_assert_eq(ipcx_link_recv(k, &m, 5000), 0);
    cr_assert_eq(m.size, 4);
    ipcx_msg_release(&m);
    ipcx_link_close(k);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);

    ipcx_unix_close(s);
    cr_assert_eq(ipcx_link_recv(ks, &m, 1000), IPCX_EPEERDEAD);
    ipcx_link_close(ks);
    ipcx_link_close(kg);
    ipcx_unix_close(g);
    cr_assert_eq(tsup_fd_count(), fds);
    ipcx_listener_close(l);
}

/* ---- paths, URLs, exec ------------------------------------------------- */

Test(shm, filesystem_path_is_removed_on_close)
{
    char dir[] = "/tmp/ipcx-shmtest-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128], url[160], got[160];
    snprintf(path, sizeof path, "%s/s.sock", dir);
    snprintf(url, sizeof url, "shm://%s", path);
    struct ipcx_listener *l;
    struct ipcx_link *s, *c;
    shm_pair(url, NULL, NULL, &l, &s, &c);
    cr_assert_gt(ipcx_listener_url(l, got, sizeof got), 0);
    cr_assert_str_eq(got, url);
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0);
    cr_assert(S_ISSOCK(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0600);
    struct ipcx_msg m = ipcx_msg_of("p", 1), r;
    cr_assert_eq(ipcx_link_send(c, &m, 1000), 0);
    cr_assert_eq(ipcx_link_recv(s, &r, 1000), 0);
    ipcx_msg_release(&r);
    ipcx_link_close(s);
    ipcx_link_close(c);
    ipcx_listener_close(l);
    cr_assert_eq(lstat(path, &st), -1, "nothing left behind");
    cr_assert_eq(rmdir(dir), 0);
}

Test(shm, exec_helper_echoes)
{
    char url[128];
    shm_url(url, sizeof url);
    int fds = tsup_fd_count();
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, url, NULL), 0);
    pid_t pid = tsup_spawn_helper("shm_echo", (const char *[]){url, NULL});
    cr_assert_gt(pid, 0);
    struct ipcx_link *k;
    cr_assert_eq(ipcx_link_accept(l, &k, 5000), 0);
    unsigned char buf[2048];
    for (uint64_t i = 0; i < 1000; i++) {
        size_t len = (size_t)(i * 13 % sizeof buf);
        shm_fill(buf, len, i);
        struct ipcx_msg m = ipcx_msg_of(buf, len);
        m.id = i + 1;
        cr_assert_eq(ipcx_link_send(k, &m, 5000), 0);
        struct ipcx_msg r;
        cr_assert_eq(ipcx_link_recv(k, &r, 5000), 0);
        cr_assert(shm_check(&r, len, i));
        cr_assert_eq(r.id, i + 1);
        ipcx_msg_release(&r);
    }
    ipcx_link_close(k);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    ipcx_listener_close(l);
    cr_assert_eq(tsup_fd_count(), fds);
}
