/* SPDX-License-Identifier: MIT */
/*
 * test_signal.c: signals between real processes: a burst of one standard
 * signal coalesces; a burst of realtime signals queues and arrives in order
 * with its values, lowest signal number first; the sender's pid and uid are
 * reported (also for another user); pidfds reach their process and, once
 * it is gone, nobody; watchers time out, poll and are close-on-exec; the
 * mask helpers; and, after using every mechanism of this family, every
 * signal disposition is exactly what it was.
 * ipcx-test: label=process timeout=60
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ipcx.h>

#include "tsup.h"

/* A timeout may end this late on a loaded 2-core VM under sanitizers, never
 * earlier: the never-early checks are the strict ones. */
#define LATE_MS 1000

/* A parent/child rendezvous over two pipes: "ready" up, "go" down. */
struct sync {
    struct ipcx_pipe *ready_rd, *ready_wr, *go_rd, *go_wr;
};

static void sync_make(struct sync *s)
{
    cr_assert_eq(ipcx_pipe_create(&s->ready_rd, &s->ready_wr, NULL), 0);
    cr_assert_eq(ipcx_pipe_create(&s->go_rd, &s->go_wr, NULL), 0);
}

static void sync_free(struct sync *s)
{
    ipcx_pipe_close(s->ready_rd);
    ipcx_pipe_close(s->ready_wr);
    ipcx_pipe_close(s->go_rd);
    ipcx_pipe_close(s->go_wr);
}

static int child_ready_then_wait_go(struct sync *s)
{
    char c;
    if (ipcx_pipe_write(s->ready_wr, "R", 1, 5000) != 1)
        return -1;
    return ipcx_pipe_read(s->go_rd, &c, 1, 5000) == 1 ? 0 : -1;
}

static void parent_wait_ready(struct sync *s)
{
    char c;
    cr_assert_eq(ipcx_pipe_read(s->ready_rd, &c, 1, 5000), 1, "the child never got ready");
}

static void parent_go(struct sync *s)
{
    cr_assert_eq(ipcx_pipe_write(s->go_wr, "G", 1, 5000), 1);
}

/* Blocks `a` and `b` (0: none) in this thread and returns a watcher for them. */
static struct ipcx_sigwatch *watch(int a, int b)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, a);
    if (b)
        sigaddset(&set, b);
    struct ipcx_sigwatch *w = NULL;
    if (ipcx_signal_block(&set, NULL) != 0 || ipcx_sigwatch_create(&w, &set) != 0)
        return NULL;
    return w;
}

/* ---- coalescing and queueing ---- */

#define BURST 10
#define RT_N  200

static int child_standard_burst(void *arg)
{
    struct sync *s = arg;
    struct ipcx_sigwatch *w = watch(SIGUSR1, 0);
    TSUP_CHILD_CHECK(w);
    TSUP_CHILD_CHECK(child_ready_then_wait_go(s) == 0);
    /* All BURST signals were sent while SIGUSR1 was pending: one remains. */
    struct ipcx_siginfo info;
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 1000) == SIGUSR1);
    TSUP_CHILD_CHECK(info.signo == SIGUSR1);
    TSUP_CHILD_CHECK(info.code == SI_USER);
    TSUP_CHILD_CHECK(info.pid == getppid());
    TSUP_CHILD_CHECK(info.uid == getuid());
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, IPCX_NOWAIT) == IPCX_EAGAIN);
    ipcx_sigwatch_close(w);
    return 0;
}

Test(signal, a_burst_of_one_standard_signal_coalesces)
{
    struct sync s;
    sync_make(&s);
    pid_t pid = tsup_fork(child_standard_burst, &s);
    cr_assert_gt(pid, 0);
    parent_wait_ready(&s);
    for (int i = 0; i < BURST; i++)
        cr_assert_eq(ipcx_signal_send(pid, SIGUSR1), 0);
    parent_go(&s);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    sync_free(&s);
}

static int child_realtime_burst(void *arg)
{
    struct sync *s = arg;
    int sig = SIGRTMIN + 2;
    struct ipcx_sigwatch *w = watch(sig, 0);
    TSUP_CHILD_CHECK(w);
    TSUP_CHILD_CHECK(child_ready_then_wait_go(s) == 0);
    for (int i = 0; i < RT_N; i++) {
        struct ipcx_siginfo info;
        TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 1000) == sig);
        TSUP_CHILD_CHECK(info.code == SI_QUEUE);
        TSUP_CHILD_CHECK(info.value == i * 3 + 1); /* every one, in order */
        TSUP_CHILD_CHECK(info.pid == getppid());
        TSUP_CHILD_CHECK(info.uid == getuid());
    }
    struct ipcx_siginfo info;
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, IPCX_NOWAIT) == IPCX_EAGAIN);
    ipcx_sigwatch_close(w);
    return 0;
}

Test(signal, a_burst_of_realtime_signals_queues_in_order_with_values)
{
    struct sync s;
    sync_make(&s);
    pid_t pid = tsup_fork(child_realtime_burst, &s);
    cr_assert_gt(pid, 0);
    parent_wait_ready(&s);
    for (int i = 0; i < RT_N; i++)
        cr_assert_eq(ipcx_signal_queue(pid, SIGRTMIN + 2, i * 3 + 1), 0);
    parent_go(&s);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    sync_free(&s);
}

static int child_lowest_first(void *arg)
{
    struct sync *s = arg;
    struct ipcx_sigwatch *w = watch(SIGRTMIN + 1, SIGRTMIN + 5);
    TSUP_CHILD_CHECK(w);
    TSUP_CHILD_CHECK(child_ready_then_wait_go(s) == 0);
    static const int want_sig[] = {1, 1, 5, 5};
    static const int want_val[] = {3, 4, 1, 2};
    for (int i = 0; i < 4; i++) {
        struct ipcx_siginfo info;
        TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 1000) == SIGRTMIN + want_sig[i]);
        TSUP_CHILD_CHECK(info.value == want_val[i]);
    }
    ipcx_sigwatch_close(w);
    return 0;
}

Test(signal, pending_realtime_signals_go_lowest_number_first)
{
    struct sync s;
    sync_make(&s);
    pid_t pid = tsup_fork(child_lowest_first, &s);
    cr_assert_gt(pid, 0);
    parent_wait_ready(&s);
    cr_assert_eq(ipcx_signal_queue(pid, SIGRTMIN + 5, 1), 0);
    cr_assert_eq(ipcx_signal_queue(pid, SIGRTMIN + 5, 2), 0);
    cr_assert_eq(ipcx_signal_queue(pid, SIGRTMIN + 1, 3), 0);
    cr_assert_eq(ipcx_signal_queue(pid, SIGRTMIN + 1, 4), 0);
    parent_go(&s);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    sync_free(&s);
}

/* ---- pidfd ---- */

static int child_pidfd_target(void *arg)
{
    struct sync *s = arg;
    struct ipcx_sigwatch *w = watch(SIGUSR2, SIGRTMIN);
    TSUP_CHILD_CHECK(w);
    TSUP_CHILD_CHECK(child_ready_then_wait_go(s) == 0);
    struct ipcx_siginfo info;
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 1000) == SIGUSR2);
    TSUP_CHILD_CHECK(info.code == SI_USER && info.pid == getppid() && info.uid == getuid());
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 1000) == SIGRTMIN);
    TSUP_CHILD_CHECK(info.code == SI_QUEUE && info.value == 42 && info.pid == getppid());
    ipcx_sigwatch_close(w);
    return 0;
}

Test(signal, pidfd_reaches_its_process_and_then_nobody)
{
    int base = tsup_fd_count();
    struct sync s;
    sync_make(&s);
    pid_t pid = tsup_fork(child_pidfd_target, &s);
    cr_assert_gt(pid, 0);
    int pfd = ipcx_signal_pidfd_open(pid);
    cr_assert_geq(pfd, 0, "pidfd_open: %s", ipcx_errname(pfd));
    cr_assert(fcntl(pfd, F_GETFD) & FD_CLOEXEC);
    parent_wait_ready(&s);
    cr_assert_eq(ipcx_signal_send_pidfd(pfd, 0), 0, "signal 0: it exists");
    cr_assert_eq(ipcx_signal_send_pidfd(pfd, SIGUSR2), 0);
    cr_assert_eq(ipcx_signal_queue_pidfd(pfd, SIGRTMIN, 42), 0);
    parent_go(&s);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    /* Reaped: its pid may be reused, the pidfd can never reach that process. */
    cr_assert_eq(ipcx_signal_send_pidfd(pfd, SIGUSR2), IPCX_ESRCH);
    cr_assert_eq(ipcx_signal_queue_pidfd(pfd, SIGRTMIN, 1), IPCX_ESRCH);
    cr_assert_eq(ipcx_signal_send(pid, 0), IPCX_ESRCH);
    close(pfd);
    sync_free(&s);
    cr_assert_eq(tsup_fd_count(), base);
}

/* ---- sender identity across users ---- */

struct identity {
    struct sync s;
    pid_t test_pid;
};

static int grandchild_sender(void *arg)
{
    struct identity *id = arg;
    pid_t receiver = getppid();
    TSUP_CHILD_CHECK(setgid(65534) == 0 && setuid(65534) == 0);
    char c;
    TSUP_CHILD_CHECK(ipcx_pipe_read(id->s.ready_rd, &c, 1, 5000) == 1);
    /* The same user may signal; another (root's test process) may not. */
    TSUP_CHILD_CHECK(ipcx_signal_send(id->test_pid, 0) == IPCX_EPERM);
    TSUP_CHILD_CHECK(ipcx_signal_send(receiver, SIGUSR1) == 0);
    TSUP_CHILD_CHECK(ipcx_signal_queue(receiver, SIGRTMIN + 3, -7) == 0);
    TSUP_CHILD_CHECK(ipcx_pipe_write(id->s.go_wr, "G", 1, 5000) == 1);
    return 0;
}

static int child_receiver_as_nobody(void *arg)
{
    struct identity *id = arg;
    struct ipcx_sigwatch *w = watch(SIGUSR1, SIGRTMIN + 3);
    TSUP_CHILD_CHECK(w);
    TSUP_CHILD_CHECK(setgid(65534) == 0 && setuid(65534) == 0);
    pid_t sender = tsup_fork(grandchild_sender, id);
    TSUP_CHILD_CHECK(sender > 0);
    TSUP_CHILD_CHECK(child_ready_then_wait_go(&id->s) == 0);
    struct ipcx_siginfo info;
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 1000) == SIGUSR1);
    TSUP_CHILD_CHECK(info.pid == sender && info.uid == 65534 && info.code == SI_USER);
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 1000) == SIGRTMIN + 3);
    TSUP_CHILD_CHECK(info.pid == sender && info.uid == 65534 && info.value == -7);
    TSUP_CHILD_CHECK(tsup_wait_exit(sender, 5000) == 0);
    ipcx_sigwatch_close(w);
    return 0;
}

Test(signal, sender_identity_is_reported_for_another_user)
{
    struct identity id = {.test_pid = getpid()};
    sync_make(&id.s);
    pid_t pid = tsup_fork(child_receiver_as_nobody, &id);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    sync_free(&id.s);
}

/* ---- the watcher itself ---- */

static int child_watcher_basics(void *arg)
{
    (void)arg;
    int base = tsup_fd_count();
    struct ipcx_sigwatch *w = watch(SIGUSR2, 0);
    TSUP_CHILD_CHECK(w);
    int fd = ipcx_sigwatch_fd(w);
    TSUP_CHILD_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    struct ipcx_siginfo info;
    int64_t t0 = tsup_now_ms();
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 80) == IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    TSUP_CHILD_CHECK(took >= 80 && took <= 80 + LATE_MS);
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, IPCX_NOWAIT) == IPCX_EAGAIN);

    struct pollfd p = {.fd = fd, .events = POLLIN};
    TSUP_CHILD_CHECK(poll(&p, 1, 0) == 0);
    TSUP_CHILD_CHECK(ipcx_signal_send(getpid(), SIGUSR2) == 0);
    TSUP_CHILD_CHECK(poll(&p, 1, 1000) == 1 && (p.revents & POLLIN));
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 0) == SIGUSR2);
    TSUP_CHILD_CHECK(info.pid == getpid());
    TSUP_CHILD_CHECK(poll(&p, 1, 0) == 0);

    /* A signal outside the set is not the watcher's business. */
    sigset_t other;
    sigemptyset(&other);
    sigaddset(&other, SIGWINCH);
    TSUP_CHILD_CHECK(ipcx_signal_block(&other, NULL) == 0);
    TSUP_CHILD_CHECK(ipcx_signal_send(getpid(), SIGWINCH) == 0);
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 50) == IPCX_ETIMEDOUT);

    /* The watcher's copy in a forked child reads the child's signals. */
    pid_t pid = fork();
    if (pid == 0) {
        if (ipcx_signal_send(getpid(), SIGUSR2) != 0)
            _exit(1);
        struct ipcx_siginfo ci;
        _exit(ipcx_sigwatch_recv(w, &ci, 1000) == SIGUSR2 && ci.pid == getpid() ? 0 : 2);
    }
    TSUP_CHILD_CHECK(tsup_wait_exit(pid, 5000) == 0);
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, IPCX_NOWAIT) == IPCX_EAGAIN);
    ipcx_sigwatch_close(w);
    TSUP_CHILD_CHECK(tsup_fd_count() == base);
    return 0;
}

Test(signal, watcher_times_out_polls_and_sees_only_its_set)
{
    pid_t pid = tsup_fork(child_watcher_basics, NULL);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
}

Test(signal, mask_helpers_block_unblock_and_restore)
{
    sigset_t set, old, now, before;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN + 7);
    pthread_sigmask(SIG_SETMASK, NULL, &before);
    cr_assert_eq(ipcx_signal_block(&set, &old), 0);
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    cr_assert_eq(sigismember(&now, SIGUSR2), 1);
    cr_assert_eq(sigismember(&now, SIGRTMIN + 7), 1);
    cr_assert_eq(sigismember(&old, SIGUSR2), sigismember(&before, SIGUSR2));
    cr_assert_eq(ipcx_signal_unblock(&set, NULL), 0);
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    cr_assert_eq(sigismember(&now, SIGUSR2), 0);
    cr_assert_eq(ipcx_signal_block(&set, NULL), 0);
    cr_assert_eq(ipcx_signal_restore(&old), 0);
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    for (int s = 1; s <= SIGRTMAX; s++)
        cr_assert_eq(sigismember(&now, s), sigismember(&before, s), "signal %d", s);
    cr_assert_eq(ipcx_signal_block(NULL, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_signal_unblock(NULL, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_signal_restore(NULL), IPCX_EINVAL);
}

Test(signal, bad_arguments)
{
    cr_assert_eq(ipcx_signal_send(0, SIGUSR1), IPCX_EINVAL, "no process groups");
    cr_assert_eq(ipcx_signal_send(-1, SIGUSR1), IPCX_EINVAL, "never every process");
    cr_assert_eq(ipcx_signal_send(getpid(), -1), IPCX_EINVAL);
    cr_assert_eq(ipcx_signal_send(getpid(), SIGRTMAX + 1), IPCX_EINVAL);
    cr_assert_eq(ipcx_signal_send(getpid(), 32), IPCX_EINVAL, "reserved by the C library");
    cr_assert_eq(ipcx_signal_send(getpid(), SIGRTMIN - 1), IPCX_EINVAL);
    cr_assert_eq(ipcx_signal_send(getpid(), 0), 0, "signal 0 checks existence");
    cr_assert_eq(ipcx_signal_queue(getpid(), 0, 1), IPCX_EINVAL);
    cr_assert_eq(ipcx_signal_queue(0, SIGRTMIN, 1), IPCX_EINVAL);
    cr_assert_eq(ipcx_signal_pidfd_open(0), IPCX_EINVAL);
    cr_assert_eq(ipcx_signal_pidfd_open(-5), IPCX_EINVAL);
    cr_assert_eq(ipcx_signal_send_pidfd(-1, SIGUSR1), IPCX_EBADF);
    cr_assert_eq(ipcx_signal_queue_pidfd(-1, SIGRTMIN, 1), IPCX_EBADF);
    cr_assert_eq(ipcx_signal_send_pidfd(0, 99), IPCX_EINVAL);
    struct ipcx_pipe *rd, *wr;
    cr_assert_eq(ipcx_pipe_create(&rd, &wr, NULL), 0);
    cr_assert_eq(ipcx_signal_send_pidfd(ipcx_pipe_fd(rd), SIGUSR1), IPCX_EBADF, "not a pidfd");
    ipcx_pipe_close(rd);
    ipcx_pipe_close(wr);

    int base = tsup_fd_count();
    struct ipcx_sigwatch *w = NULL;
    sigset_t set;
    sigemptyset(&set);
    cr_assert_eq(ipcx_sigwatch_create(&w, &set), IPCX_EINVAL, "empty set");
    cr_assert_eq(ipcx_sigwatch_create(&w, NULL), IPCX_EINVAL);
    sigaddset(&set, SIGUSR1);
    cr_assert_eq(ipcx_sigwatch_create(NULL, &set), IPCX_EINVAL);
    sigaddset(&set, SIGKILL);
    cr_assert_eq(ipcx_sigwatch_create(&w, &set), IPCX_EINVAL, "SIGKILL cannot be watched");
    sigdelset(&set, SIGKILL);
    sigaddset(&set, SIGSTOP);
    cr_assert_eq(ipcx_sigwatch_create(&w, &set), IPCX_EINVAL, "SIGSTOP cannot be watched");
    sigdelset(&set, SIGSTOP);
    cr_assert_null(w);
    cr_assert_eq(tsup_fd_count(), base);

    /* A signal the calling thread has not blocked would never reach the
     * watcher: refused, even when the rest of the set is blocked. */
    sigset_t one, old;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    sigaddset(&one, SIGRTMIN + 1);
    cr_assert_eq(ipcx_signal_unblock(&one, &old), 0);
    cr_assert_eq(ipcx_sigwatch_create(&w, &set), IPCX_EINVAL, "SIGUSR1 is not blocked");
    sigaddset(&set, SIGRTMIN + 1);
    sigdelset(&one, SIGRTMIN + 1);
    cr_assert_eq(ipcx_signal_block(&one, NULL), 0);
    cr_assert_eq(ipcx_sigwatch_create(&w, &set), IPCX_EINVAL, "SIGRTMIN+1 is not blocked");
    cr_assert_null(w);
    cr_assert_eq(tsup_fd_count(), base);
    sigemptyset(&one);
    sigaddset(&one, SIGRTMIN + 1);
    cr_assert_eq(ipcx_signal_block(&one, NULL), 0);
    cr_assert_eq(ipcx_sigwatch_create(&w, &set), 0, "both blocked now");
    ipcx_sigwatch_close(w);
    cr_assert_eq(ipcx_signal_restore(&old), 0);
    cr_assert_eq(tsup_fd_count(), base);
    struct ipcx_siginfo info;
    cr_assert_eq(ipcx_sigwatch_recv(NULL, &info, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_sigwatch_fd(NULL), -1);
    ipcx_sigwatch_close(NULL);
}

/* ---- no disposition ever changes ---- */

struct disp {
    int ok;
    struct sigaction sa;
};

static void snapshot(struct disp *d)
{
    for (int s = 1; s <= SIGRTMAX; s++) {
        memset(&d[s].sa, 0, sizeof d[s].sa);
        d[s].ok = sigaction(s, NULL, &d[s].sa) == 0;
    }
}

static int same_disposition(const struct disp *a, const struct disp *b, int s)
{
    if (a[s].ok != b[s].ok)
        return 0;
    if (!a[s].ok)
        return 1;
    if (a[s].sa.sa_handler != b[s].sa.sa_handler || a[s].sa.sa_flags != b[s].sa.sa_flags)
        return 0;
    for (int m = 1; m <= SIGRTMAX; m++)
        if (sigismember(&a[s].sa.sa_mask, m) != sigismember(&b[s].sa.sa_mask, m))
            return 0;
    return 1;
}

static void user_handler(int sig)
{
    (void)sig;
}

/* Every call of the message-passing families, including their failure paths. */
static void use_everything(void)
{
    char buf[8192];
    /* Pipes, and EPIPE. */
    struct ipcx_pipe *rd, *wr;
    struct ipcx_pipe_opts po = {.flags = IPCX_PIPE_PACKET, .capacity = 8192};
    TSUP_CHILD_CHECK(ipcx_pipe_create(&rd, &wr, &po) == 0);
    TSUP_CHILD_CHECK(ipcx_pipe_write_all(wr, "abc", 3, NULL, 100) == 3);
    TSUP_CHILD_CHECK(ipcx_pipe_read(rd, buf, sizeof buf, 100) == 3);
    TSUP_CHILD_CHECK(ipcx_pipe_read(rd, buf, sizeof buf, 10) == IPCX_ETIMEDOUT);
    ipcx_pipe_close(rd);
    TSUP_CHILD_CHECK(ipcx_pipe_write(wr, "x", 1, 100) == IPCX_EPIPE);
    ipcx_pipe_close(wr);

    /* FIFOs, and EPIPE. */
    char dir[] = "/tmp/ipcx-sig-XXXXXX", path[64];
    TSUP_CHILD_CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/f", dir);
    TSUP_CHILD_CHECK(ipcx_fifo_create(path, NULL) == 0);
    struct ipcx_fifo *fr, *fw;
    TSUP_CHILD_CHECK(ipcx_fifo_open(&fw, path, IPCX_FIFO_WRITE, 10) == IPCX_ETIMEDOUT);
    TSUP_CHILD_CHECK(ipcx_fifo_open(&fr, path, IPCX_FIFO_READ, 0) == 0);
    TSUP_CHILD_CHECK(ipcx_fifo_open(&fw, path, IPCX_FIFO_WRITE, 100) == 0);
    TSUP_CHILD_CHECK(ipcx_fifo_write(fw, "x", 1, 100) == 1);
    TSUP_CHILD_CHECK(ipcx_fifo_read(fr, buf, sizeof buf, 100) == 1);
    ipcx_fifo_close(fr);
    TSUP_CHILD_CHECK(ipcx_fifo_write_all(fw, "x", 1, NULL, 100) == IPCX_EPIPE);
    ipcx_fifo_close(fw);
    TSUP_CHILD_CHECK(ipcx_fifo_unlink(path) == 0);
    rmdir(dir);

    /* POSIX message queues. */
    char name[80];
    tsup_name(name, sizeof name, "/ipcx-sig");
    struct ipcx_posixmq *mq;
    struct ipcx_posixmq_opts mo = {.max_msgs = 1, .msg_size = 16};
    TSUP_CHILD_CHECK(ipcx_posixmq_create(&mq, name, &mo) == 0);
    TSUP_CHILD_CHECK(ipcx_posixmq_send(mq, "m", 1, 3, 100) == 0);
    TSUP_CHILD_CHECK(ipcx_posixmq_send(mq, "m", 1, 3, 10) == IPCX_ETIMEDOUT);
    TSUP_CHILD_CHECK(ipcx_posixmq_recv(mq, buf, sizeof buf, NULL, 100) == 1);
    TSUP_CHILD_CHECK(ipcx_posixmq_recv(mq, buf, sizeof buf, NULL, 10) == IPCX_ETIMEDOUT);
    ipcx_posixmq_close(mq);
    TSUP_CHILD_CHECK(ipcx_posixmq_unlink(name) == 0);

    /* System V message queues. */
    struct ipcx_sysvmsg *sq;
    TSUP_CHILD_CHECK(ipcx_sysvmsg_create(&sq, IPCX_SYSVMSG_PRIVATE, NULL) == 0);
    TSUP_CHILD_CHECK(ipcx_sysvmsg_send(sq, "s", 1, 2, 100) == 0);
    TSUP_CHILD_CHECK(ipcx_sysvmsg_recv(sq, buf, sizeof buf, 1, 0, NULL, 10) == IPCX_ETIMEDOUT);
    TSUP_CHILD_CHECK(ipcx_sysvmsg_recv(sq, buf, sizeof buf, -5, 0, NULL, 100) == 1);
    TSUP_CHILD_CHECK(ipcx_sysvmsg_remove(sq) == 0);
    ipcx_sysvmsg_close(sq);

    /* Signals. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN);
    TSUP_CHILD_CHECK(ipcx_signal_block(&set, &old) == 0);
    struct ipcx_sigwatch *w;
    TSUP_CHILD_CHECK(ipcx_sigwatch_create(&w, &set) == 0);
    TSUP_CHILD_CHECK(ipcx_signal_send(getpid(), SIGUSR2) == 0);
    int pfd = ipcx_signal_pidfd_open(getpid());
    TSUP_CHILD_CHECK(pfd >= 0);
    TSUP_CHILD_CHECK(ipcx_signal_queue_pidfd(pfd, SIGRTMIN, 5) == 0);
    TSUP_CHILD_CHECK(ipcx_signal_send_pidfd(pfd, 0) == 0);
    close(pfd);
    TSUP_CHILD_CHECK(ipcx_signal_queue(getpid(), SIGRTMIN, 6) == 0);
    struct ipcx_siginfo info;
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 100) == SIGUSR2);
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 100) == SIGRTMIN && info.value == 5);
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 100) == SIGRTMIN && info.value == 6);
    TSUP_CHILD_CHECK(ipcx_sigwatch_recv(w, &info, 10) == IPCX_ETIMEDOUT);
    ipcx_sigwatch_close(w);
    TSUP_CHILD_CHECK(ipcx_signal_unblock(&set, NULL) == 0);
    TSUP_CHILD_CHECK(ipcx_signal_restore(&old) == 0);
}

static int child_dispositions_unchanged(void *arg)
{
    (void)arg;
    /* A user's own choices, which the library must leave exactly as they are. */
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = user_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM);
    TSUP_CHILD_CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);

    static struct disp before[65], after[65];
    TSUP_CHILD_CHECK(SIGRTMAX < 65);
    snapshot(before);
    sigset_t mask_before, mask_after, pend;
    pthread_sigmask(SIG_SETMASK, NULL, &mask_before);

    use_everything();

    snapshot(after);
    for (int s = 1; s <= SIGRTMAX; s++) {
        if (!same_disposition(before, after, s)) {
            fprintf(stderr, "disposition of signal %d changed\n", s);
            return 3;
        }
    }
    pthread_sigmask(SIG_SETMASK, NULL, &mask_after);
    for (int s = 1; s <= SIGRTMAX; s++)
        TSUP_CHILD_CHECK(sigismember(&mask_before, s) == sigismember(&mask_after, s));
    sigemptyset(&pend);
    sigpending(&pend);
    for (int s = 1; s <= SIGRTMAX; s++)
        TSUP_CHILD_CHECK(sigismember(&pend, s) != 1);
    return 0;
}

Test(signal, every_disposition_is_unchanged_after_using_all_of_the_family)
{
    pid_t pid = tsup_fork(child_dispositions_unchanged, NULL);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0, "exit 3: a disposition changed; 141: SIGPIPE");
}
