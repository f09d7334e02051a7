/* SPDX-License-Identifier: MIT */
/*
 * test_fdpass.c: descriptor passing (SCM_RIGHTS) between processes. Ten
 * thousand messages carry one to four descriptors each, some of them into
 * deliberately too small room: the receiver's descriptor count ends exactly
 * where it started, every descriptor received is close-on-exec and is the
 * object that was sent, and every truncation fails with IPCX_ECTRUNC. The
 * same on a stream and a datagram socket, at the kernel's limit of 253 per
 * message, and when the receiver runs out of descriptor slots.
 * ipcx-test: label=process timeout=60
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "socktest.h"

#define MESSAGES 10000
#define NRES     4

/* What the sender passes: both ends of a pipe, a memfd and /dev/null. */
struct resources {
    int fd[NRES];
    ino_t ino[NRES];
    dev_t dev[NRES];
};

static void open_resources(struct resources *r)
{
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    r->fd[0] = p[0];
    r->fd[1] = p[1];
    r->fd[2] = memfd_create("ipcx-fdpass", MFD_CLOEXEC);
    r->fd[3] = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int i = 0; i < NRES; i++) {
        struct stat st;
        cr_assert_eq(fstat(r->fd[i], &st), 0);
        r->ino[i] = st.st_ino;
        r->dev[i] = st.st_dev;
    }
}

static void close_resources(struct resources *r)
{
    for (int i = 0; i < NRES; i++)
        close(r->fd[i]);
}

/* Message i carries k = 1 + i % 4 descriptors: resources i % 4, (i+1) % 4, ... */
static size_t fds_in(int i)
{
    return 1 + (size_t)(i % NRES);
}

static size_t pick(const struct resources *r, int i, int *fds)
{
    size_t k = fds_in(i);
    for (size_t j = 0; j < k; j++)
        fds[j] = r->fd[(i + (int)j) % NRES];
    return k;
}

/* Every 7th message the receiver leaves too little room; every 13th it expects none. */
static bool truncated(int i)
{
    return i % 7 == 3 || i % 13 == 5;
}

struct sender_arg {
    struct ipcx_unix *sock;
    const struct resources *res;
    int count;
    size_t len;
};

static int sender(void *arg)
{
    struct sender_arg *a = arg;
    char msg[64];
    for (int i = 0; i < a->count; i++) {
        int fds[NRES];
        size_t k = pick(a->res, i, fds);
        memset(msg, 0, sizeof msg);
        memcpy(msg, &i, sizeof i);
        TSUP_CHILD_CHECK(ipcx_unix_send_fds(a->sock, msg, a->len, fds, k, 10000) ==
                         (ssize_t)a->len);
    }
    return 0;
}

/* Checks one received set: the right objects, close-on-exec; then closes it. */
static void check_and_close(const struct resources *r, int i, const int *fds, size_t n)
{
    cr_assert_eq(n, fds_in(i), "message %d: %zu descriptors", i, n);
    for (size_t j = 0; j < n; j++) {
        int want = (i + (int)j) % NRES;
        int fl = fcntl(fds[j], F_GETFD);
        cr_assert_geq(fl, 0, "message %d: descriptor %zu is open", i, j);
        cr_assert(fl & FD_CLOEXEC, "message %d: descriptor %zu has FD_CLOEXEC", i, j);
        struct stat st;
        cr_assert_eq(fstat(fds[j], &st), 0);
        cr_assert(st.st_ino == r->ino[want] && st.st_dev == r->dev[want],
                  "message %d: descriptor %zu is the object sent", i, j);
        close(fds[j]);
    }
}

/*
 * Runs `count` messages from a forked sender over a pair of `type`. The
 * receiver's room alternates between enough and too little (or none), and
 * sometimes it receives with ipcx_unix_recv(), which expects none.
 */
static void run_fdpass(enum ipcx_unix_type type, int count, size_t len)
{
    struct resources r;
    open_resources(&r);
    struct ipcx_unix *a, *b;
    cr_assert_eq(ipcx_unix_pair(&a, &b, type), 0);
    struct sender_arg sa = {a, &r, count, len};
    pid_t pid = tsup_fork(sender, &sa);
    cr_assert_gt(pid, 0);
    ipcx_unix_close(a);
    int base = tsup_fd_count();

    int ok = 0, cut = 0;
    char buf[64];
    for (int i = 0; i < count; i++) {
        int fds[NRES + 1];
        size_t n;
        ssize_t got;
        if (i % 13 == 5) {
            got = ipcx_unix_recv(b, buf, len, 5000);
        } else {
            n = truncated(i) ? fds_in(i) - 1 : NRES + 1;
            memset(fds, -1, sizeof fds);
            got = ipcx_unix_recv_fds(b, buf, len, fds, &n, 5000);
        }
        int seq;
        if (truncated(i)) {
            cr_assert_eq(got, IPCX_ECTRUNC, "message %d: %s", i, ipcx_errname((int)got));
            if (i % 13 != 5)
                cr_assert_eq(n, 0, "no descriptor handed out on failure");
            cut++;
            if (cut % 100 == 0)
                cr_assert_eq(tsup_fd_count(), base, "message %d: leak after truncation", i);
            continue;
        }
        cr_assert_eq(got, (ssize_t)len, "message %d: %s", i, ipcx_errname((int)got));
        memcpy(&seq, buf, sizeof seq);
        cr_assert_eq(seq, i, "messages in order");
        check_and_close(&r, i, fds, n);
        ok++;
    }
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    cr_assert_eq(tsup_fd_count(), base, "the receiver's descriptor count is back where it was");
    cr_log_info("%d messages: %d with descriptors received, %d truncated", count, ok, cut);
    cr_assert_gt(cut, count / 10);
    ipcx_unix_close(b);
    close_resources(&r);
}

Test(fdpass, ten_thousand_seqpacket_messages_with_truncations_leak_nothing)
{
    run_fdpass(IPCX_UNIX_SEQPACKET, MESSAGES, 8);
}

Test(fdpass, stream_descriptors_travel_with_their_bytes)
{
    run_fdpass(IPCX_UNIX_STREAM, 2000, 16);
}

Test(fdpass, datagram_descriptors)
{
    run_fdpass(IPCX_UNIX_DGRAM, 2000, 4);
}

/* Child: sends 253 descriptors in one message over the pair end it was given. */
static int send_max(void *arg)
{
    struct ipcx_unix *s = arg;
    int fds[IPCX_UNIX_MAX_FDS];
    int p[2];
    TSUP_CHILD_CHECK(pipe2(p, O_CLOEXEC) == 0);
    for (int i = 0; i < IPCX_UNIX_MAX_FDS; i++)
        fds[i] = p[1];
    TSUP_CHILD_CHECK(ipcx_unix_send_fds(s, "m", 1, fds, IPCX_UNIX_MAX_FDS, 5000) == 1);
    /* The write end is now also in the parent: its data reaches our read end. */
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    TSUP_CHILD_CHECK(poll(&pf, 1, 5000) == 1);
    char c;
    TSUP_CHILD_CHECK(read(p[0], &c, 1) == 1 && c == '!');
    return 0;
}

Test(fdpass, the_kernel_limit_of_253_per_message)
{
    struct ipcx_unix *a, *b;
    cr_assert_eq(ipcx_unix_pair(&a, &b, IPCX_UNIX_SEQPACKET), 0);
    int base = tsup_fd_count();
    pid_t pid = tsup_fork(send_max, a);
    int fds[IPCX_UNIX_MAX_FDS + 10];
    size_t n = sizeof fds / sizeof fds[0]; /* more room than the limit is fine */
    char c;
    cr_assert_eq(ipcx_unix_recv_fds(b, &c, 1, fds, &n, 5000), 1);
    cr_assert_eq(n, IPCX_UNIX_MAX_FDS);
    for (size_t i = 0; i < n; i++)
        cr_assert(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
    cr_assert_eq(write(fds[100], "!", 1), 1, "a received descriptor works");
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    cr_assert_eq(tsup_fd_count(), base);
    cr_assert_eq(ipcx_unix_send_fds(a, "m", 1, fds, IPCX_UNIX_MAX_FDS + 1, 0), IPCX_EINVAL);
    ipcx_unix_close(a);
    ipcx_unix_close(b);
}

Test(fdpass, bad_descriptor_sends_nothing)
{
    struct ipcx_unix *a, *b;
    cr_assert_eq(ipcx_unix_pair(&a, &b, IPCX_UNIX_STREAM), 0);
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    close(p[1]);
    int fds[2] = {p[0], p[1]}; /* p[1] is closed */
    cr_assert_eq(ipcx_unix_send_fds(a, "x", 1, fds, 2, 100), IPCX_EBADF);
    int neg = -1;
    cr_assert_eq(ipcx_unix_send_fds(a, "x", 1, &neg, 1, 100), IPCX_EBADF);
    char c;
    cr_assert_eq(ipcx_unix_recv(b, &c, 1, IPCX_NOWAIT), IPCX_EAGAIN, "no byte went either");
    close(p[0]);
    ipcx_unix_close(a);
    ipcx_unix_close(b);
}

struct limit_arg {
    struct ipcx_unix *b;
    volatile int *ready;
};

/*
 * Child: lowers its descriptor limit so that only a few slots are free,
 * then receives a message carrying more descriptors than that. The kernel
 * installs what it can and truncates; all must be closed again.
 */
static int receive_over_limit(void *arg)
{
    struct limit_arg *l = arg;
    int maxfd = 0;
    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            maxfd = fd;
    int base = tsup_fd_count();
    /* tsup_fd_count opens a directory: leave it room. */
    struct rlimit rl = {(rlim_t)maxfd + 4, (rlim_t)maxfd + 4};
    TSUP_CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    __atomic_store_n(l->ready, 1, __ATOMIC_RELEASE);
    int fds[IPCX_UNIX_MAX_FDS];
    size_t n = IPCX_UNIX_MAX_FDS;
    char c;
    ssize_t r = ipcx_unix_recv_fds(l->b, &c, 1, fds, &n, 5000);
    if (r != IPCX_ECTRUNC)
        fprintf(stderr, "over the limit: %s\n", ipcx_errname((int)r));
    TSUP_CHILD_CHECK(r == IPCX_ECTRUNC);
    TSUP_CHILD_CHECK(n == 0);
    TSUP_CHILD_CHECK(tsup_fd_count() == base);
    return 0;
}

Test(fdpass, receiver_out_of_descriptor_slots_gets_ectrunc_and_no_leak)
{
    struct ipcx_unix *a, *b;
    cr_assert_eq(ipcx_unix_pair(&a, &b, IPCX_UNIX_SEQPACKET), 0);
    volatile int *ready =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq((void *)ready, MAP_FAILED);
    struct limit_arg la = {b, ready};
    pid_t pid = tsup_fork(receive_over_limit, &la);
    int64_t end = tsup_now_ms() + 5000;
    while (!__atomic_load_n(ready, __ATOMIC_ACQUIRE) && tsup_now_ms() < end)
        sleep_ms(1);
    int fds[64];
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    for (int i = 0; i < 64; i++)
        fds[i] = devnull;
    cr_assert_eq(ipcx_unix_send_fds(a, "m", 1, fds, 64, 1000), 1);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    close(devnull);
    munmap((void *)ready, 4096);
    ipcx_unix_close(a);
    ipcx_unix_close(b);
}

/* A datagram longer than the buffer: its descriptors are closed along with the rest. */
Test(fdpass, truncated_datagram_closes_its_descriptors)
{
    struct ipcx_unix *a, *b;
    cr_assert_eq(ipcx_unix_pair(&a, &b, IPCX_UNIX_DGRAM), 0);
    int base = tsup_fd_count();
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fds[3] = {devnull, devnull, devnull};
    cr_assert_eq(ipcx_unix_send_fds(a, "long message", 12, fds, 3, 100), 12);
    close(devnull);
    int got[3];
    size_t n = 3;
    char buf[4];
    cr_assert_eq(ipcx_unix_recv_fds(b, buf, sizeof buf, got, &n, 100), IPCX_ETRUNC);
    cr_assert_eq(n, 0);
    cr_assert_eq(tsup_fd_count(), base);
    ipcx_unix_close(a);
    ipcx_unix_close(b);
}
