/* SPDX-License-Identifier: MIT */
/*
 * test_posixmq.c: POSIX message queues across processes: mixed priorities
 * sent by an exec'ed program arrive highest first and FIFO within a
 * priority; a full queue times out (and a receiver in another process frees
 * it); a message longer than the queue's size is IPCX_EMSGSIZE; the queue
 * and its messages outlive their creator; attributes (defaults as this
 * system sets them in /proc/sys/fs/mqueue), poll readiness,
 * exclusive creation with an explicit mode, another user refused, name
 * validation, bad arguments and leaks.
 * ipcx-test: label=process timeout=60
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <ipcx.h>

#include "tsup.h"

/* A timeout may end this late on a loaded 2-core VM under sanitizers, never
 * earlier: the never-early checks are the strict ones. */
#define LATE_MS 1000

static char name[96];

static void setup(void)
{
    tsup_name(name, sizeof name, "/ipcx-mq");
}

/* Whatever a test did, the queue does not outlive it. */
static void teardown(void)
{
    mq_unlink(name);
}

TestSuite(posixmq, .init = setup, .fini = teardown);

/* A system default from /proc/sys/fs/mqueue (whatever this machine has set). */
static long mq_default(const char *file)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/sys/fs/mqueue/%s", file);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    long v = 0;
    cr_assert_eq(fscanf(f, "%ld", &v), 1);
    fclose(f);
    return v;
}

static struct ipcx_posixmq *create(long max_msgs, long msg_size)
{
    struct ipcx_posixmq *q = NULL;
    struct ipcx_posixmq_opts o = {.max_msgs = max_msgs, .msg_size = msg_size};
    int rc = ipcx_posixmq_create(&q, name, &o);
    cr_assert_eq(rc, 0, "create: %s", ipcx_errname(rc));
    return q;
}

Test(posixmq, priorities_from_another_process_arrive_highest_first)
{
    int base = tsup_fd_count();
    struct ipcx_posixmq *q = create(0, 0);
    const char *args[] = {name, NULL};
    pid_t pid = tsup_spawn_helper("mq_send_prio", args);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);

    static const struct {
        unsigned prio;
        const char *text;
    } want[] = {{32767, "top"}, {9, "d9"}, {9, "g9"}, {5, "b5"}, {5, "e5"},
                {1, "a1"},      {1, "c1"}, {1, "h1"}, {0, "f0"}};
    struct ipcx_posixmq_attr a;
    cr_assert_eq(ipcx_posixmq_get_attr(q, &a), 0);
    cr_assert_eq(a.cur_msgs, 9);
    /* A receive buffer holds the queue's message size, the system default. */
    char *buf = malloc((size_t)a.msg_size);
    cr_assert_not_null(buf);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        unsigned prio = 12345;
        ssize_t n = ipcx_posixmq_recv(q, buf, (size_t)a.msg_size, &prio, 1000);
        cr_assert_eq(n, (ssize_t)strlen(want[i].text), "message %zu: %s", i, ipcx_errname((int)n));
        cr_assert_eq(memcmp(buf, want[i].text, (size_t)n), 0, "message %zu: got %.*s", i, (int)n,
                     buf);
        cr_assert_eq(prio, want[i].prio);
    }
    cr_assert_eq(ipcx_posixmq_recv(q, buf, (size_t)a.msg_size, NULL, IPCX_NOWAIT), IPCX_EAGAIN);
    free(buf);
    ipcx_posixmq_close(q);
    cr_assert_eq(ipcx_posixmq_unlink(name), 0);
    cr_assert_eq(tsup_fd_count(), base, "descriptor leak");
}

static int child_drain_one_later(void *arg)
{
    (void)arg;
    struct ipcx_posixmq *q;
    TSUP_CHILD_CHECK(ipcx_posixmq_open(&q, name, IPCX_POSIXMQ_RECV) == 0);
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
    char buf[16];
    TSUP_CHILD_CHECK(ipcx_posixmq_recv(q, buf, sizeof buf, NULL, 1000) == 1);
    ipcx_posixmq_close(q);
    return 0;
}

Test(posixmq, full_queue_times_out_on_send)
{
    struct ipcx_posixmq *q = create(2, 16);
    cr_assert_eq(ipcx_posixmq_send(q, "1", 1, 0, 0), 0);
    cr_assert_eq(ipcx_posixmq_send(q, "2", 1, 0, 0), 0);
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_posixmq_send(q, "3", 1, 0, 100), IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert(took >= 100 && took <= 100 + LATE_MS, "took %lld ms", (long long)took);
    cr_assert_eq(ipcx_posixmq_send(q, "3", 1, 0, IPCX_NOWAIT), IPCX_EAGAIN);
    struct pollfd p = {.fd = ipcx_posixmq_fd(q), .events = POLLOUT};
    cr_assert_eq(poll(&p, 1, 0), 0, "a full queue is not writable");

    /* A receiver in another process makes room: the waiting send goes. */
    pid_t pid = tsup_fork(child_drain_one_later, NULL);
    cr_assert_gt(pid, 0);
    cr_assert_eq(ipcx_posixmq_send(q, "3", 1, 0, 5000), 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    struct ipcx_posixmq_attr a;
    cr_assert_eq(ipcx_posixmq_get_attr(q, &a), 0);
    cr_assert_eq(a.cur_msgs, 2);
    ipcx_posixmq_close(q);
}

Test(posixmq, receive_times_out_on_an_empty_queue)
{
    struct ipcx_posixmq *q = create(2, 16);
    char buf[16];
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_posixmq_recv(q, buf, sizeof buf, NULL, 100), IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert(took >= 100 && took <= 100 + LATE_MS, "took %lld ms", (long long)took);
    cr_assert_eq(ipcx_posixmq_recv(q, buf, sizeof buf, NULL, IPCX_NOWAIT), IPCX_EAGAIN);
    ipcx_posixmq_close(q);
}

Test(posixmq, sizes_beyond_the_queue_are_emsgsize)
{
    struct ipcx_posixmq *q = create(4, 64);
    char big[65] = {0};
    cr_assert_eq(ipcx_posixmq_send(q, big, sizeof big, 0, 1000), IPCX_EMSGSIZE);
    cr_assert_eq(ipcx_posixmq_send(q, big, 64, 0, 1000), 0, "exactly msg_size fits");
    cr_assert_eq(ipcx_posixmq_send(q, NULL, 0, 3, 1000), 0, "an empty message is a message");
    /* A receive buffer smaller than msg_size is refused; nothing is lost. */
    char small[63];
    cr_assert_eq(ipcx_posixmq_recv(q, small, sizeof small, NULL, 1000), IPCX_EMSGSIZE);
    struct ipcx_posixmq_attr a;
    cr_assert_eq(ipcx_posixmq_get_attr(q, &a), 0);
    cr_assert_eq(a.cur_msgs, 2);
    unsigned prio = 0;
    cr_assert_eq(ipcx_posixmq_recv(q, big, 64, &prio, 1000), 0);
    cr_assert_eq(prio, 3);
    cr_assert_eq(ipcx_posixmq_recv(q, big, 64, &prio, 1000), 64);
    cr_assert_eq(ipcx_posixmq_send(q, big, 1, IPCX_POSIXMQ_PRIO_MAX + 1, 0), IPCX_EINVAL);
    ipcx_posixmq_close(q);
}

Test(posixmq, queue_and_messages_outlive_their_creator)
{
    const char *args[] = {name, NULL};
    pid_t pid = tsup_spawn_helper("mq_create_leave", args);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);

    struct ipcx_posixmq *q;
    cr_assert_eq(ipcx_posixmq_open(&q, name, IPCX_POSIXMQ_RECV), 0);
    struct ipcx_posixmq_attr a;
    cr_assert_eq(ipcx_posixmq_get_attr(q, &a), 0);
    cr_assert_eq(a.max_msgs, 4);
    cr_assert_eq(a.msg_size, 64);
    cr_assert_eq(a.cur_msgs, 3);
    static const char *const texts[] = {"one", "two", "three"};
    char buf[64];
    for (int i = 0; i < 3; i++) {
        ssize_t n = ipcx_posixmq_recv(q, buf, sizeof buf, NULL, 1000);
        cr_assert_eq(n, (ssize_t)strlen(texts[i]));
        cr_assert_eq(memcmp(buf, texts[i], (size_t)n), 0);
    }
    cr_assert_eq(ipcx_posixmq_unlink(name), 0);
    /* Unlinked but still open here: usable until closed. */
    cr_assert_eq(ipcx_posixmq_recv(q, buf, sizeof buf, NULL, 0), IPCX_EAGAIN);
    ipcx_posixmq_close(q);
    struct ipcx_posixmq *again = NULL;
    cr_assert_eq(ipcx_posixmq_open(&again, name, 0), IPCX_ENOENT);
    cr_assert_eq(ipcx_posixmq_unlink(name), IPCX_ENOENT);
}

static int child_send_later(void *arg)
{
    (void)arg;
    struct ipcx_posixmq *q;
    TSUP_CHILD_CHECK(ipcx_posixmq_open(&q, name, IPCX_POSIXMQ_SEND) == 0);
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    TSUP_CHILD_CHECK(ipcx_posixmq_send(q, "ready", 5, 7, 1000) == 0);
    ipcx_posixmq_close(q);
    return 0;
}

Test(posixmq, descriptor_is_pollable_and_close_on_exec)
{
    struct ipcx_posixmq *q = create(4, 32);
    int fd = ipcx_posixmq_fd(q);
    cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    cr_assert_eq(poll(&p, 1, 0), 0, "empty: not readable");
    pid_t pid = tsup_fork(child_send_later, NULL);
    cr_assert_gt(pid, 0);
    cr_assert_eq(poll(&p, 1, 5000), 1, "a message from the other process wakes poll()");
    cr_assert(p.revents & POLLIN);
    char buf[32];
    unsigned prio;
    cr_assert_eq(ipcx_posixmq_recv(q, buf, sizeof buf, &prio, 0), 5);
    cr_assert_eq(prio, 7);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    ipcx_posixmq_close(q);
    cr_assert_eq(ipcx_posixmq_fd(NULL), -1);
}

Test(posixmq, create_is_exclusive_with_an_explicit_mode)
{
    mode_t old = umask(0077);
    struct ipcx_posixmq *q;
    struct ipcx_posixmq_opts o = {.mode = 0640};
    cr_assert_eq(ipcx_posixmq_create(&q, name, &o), 0);
    umask(old);
    struct stat st;
    cr_assert_eq(fstat(ipcx_posixmq_fd(q), &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0640, "mode 0%o", st.st_mode & 07777);
    struct ipcx_posixmq *dup = NULL;
    cr_assert_eq(ipcx_posixmq_create(&dup, name, NULL), IPCX_EEXIST);
    cr_assert_null(dup);
    struct ipcx_posixmq_attr a;
    cr_assert_eq(ipcx_posixmq_get_attr(q, &a), 0);
    cr_assert_eq(a.max_msgs, mq_default("msg_default"), "the system default");
    cr_assert_eq(a.msg_size, mq_default("msgsize_default"));
    ipcx_posixmq_close(q);
    cr_assert_eq(ipcx_posixmq_unlink(name), 0);

    old = umask(0);
    cr_assert_eq(ipcx_posixmq_create(&q, name, NULL), 0);
    umask(old);
    cr_assert_eq(fstat(ipcx_posixmq_fd(q), &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0600, "the default is 0600, got 0%o", st.st_mode & 07777);
    ipcx_posixmq_close(q);

    /* One size given: the other takes the system default. */
    cr_assert_eq(ipcx_posixmq_unlink(name), 0);
    q = create(3, 0);
    cr_assert_eq(ipcx_posixmq_get_attr(q, &a), 0);
    cr_assert_eq(a.max_msgs, 3);
    cr_assert_eq(a.msg_size, mq_default("msgsize_default"));
    ipcx_posixmq_close(q);
}

static int child_other_user(void *arg)
{
    int expect_ok = *(int *)arg;
    TSUP_CHILD_CHECK(setgid(65534) == 0 && setuid(65534) == 0);
    struct ipcx_posixmq *q = NULL;
    int rc = ipcx_posixmq_open(&q, name, IPCX_POSIXMQ_SEND);
    if (!expect_ok) {
        TSUP_CHILD_CHECK(rc == IPCX_EACCES);
        TSUP_CHILD_CHECK(ipcx_posixmq_unlink(name) == IPCX_EACCES);
        return 0;
    }
    TSUP_CHILD_CHECK(rc == 0);
    TSUP_CHILD_CHECK(ipcx_posixmq_send(q, "hi", 2, 0, 1000) == 0);
    ipcx_posixmq_close(q);
    return 0;
}

Test(posixmq, another_user_is_refused_unless_the_mode_allows)
{
    struct ipcx_posixmq *q = create(2, 16);
    int expect_ok = 0;
    pid_t pid = tsup_fork(child_other_user, &expect_ok);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    ipcx_posixmq_close(q);
    cr_assert_eq(ipcx_posixmq_unlink(name), 0);

    struct ipcx_posixmq_opts o = {.mode = 0622, .max_msgs = 2, .msg_size = 16};
    cr_assert_eq(ipcx_posixmq_create(&q, name, &o), 0);
    expect_ok = 1;
    pid = tsup_fork(child_other_user, &expect_ok);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    char buf[16];
    cr_assert_eq(ipcx_posixmq_recv(q, buf, sizeof buf, NULL, 1000), 2);
    ipcx_posixmq_close(q);
}

Test(posixmq, names_are_validated_before_anything_happens)
{
    int base = tsup_fd_count();
    struct ipcx_posixmq *q = NULL;
    char longname[300];
    longname[0] = '/';
    memset(longname + 1, 'n', 256);
    longname[257] = '\0';
    cr_assert_eq(ipcx_posixmq_create(&q, NULL, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_create(&q, "", NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_create(&q, "no-slash", NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_create(&q, "/", NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_create(&q, "/a/b", NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_create(&q, "/.", NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_create(&q, "/..", NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_create(&q, longname, NULL), IPCX_ENAMETOOLONG);
    cr_assert_eq(ipcx_posixmq_open(&q, longname, 0), IPCX_ENAMETOOLONG);
    cr_assert_eq(ipcx_posixmq_open(&q, "x", 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_unlink("/a/b"), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_unlink(longname), IPCX_ENAMETOOLONG);
    cr_assert_null(q);

    /* NAME_MAX characters after the slash is the longest valid name. */
    longname[256] = '\0';
    memcpy(longname + 1, name + 1, strlen(name) - 1);
    cr_assert_eq(ipcx_posixmq_create(&q, longname, NULL), 0);
    ipcx_posixmq_close(q);
    cr_assert_eq(ipcx_posixmq_unlink(longname), 0);
    cr_assert_eq(tsup_fd_count(), base);
}

Test(posixmq, bad_arguments_have_no_side_effect)
{
    int base = tsup_fd_count();
    struct ipcx_posixmq *q = NULL;
    struct ipcx_posixmq_opts o = {0};
    cr_assert_eq(ipcx_posixmq_create(NULL, name, NULL), IPCX_EINVAL);
    o = (struct ipcx_posixmq_opts){.max_msgs = -1};
    cr_assert_eq(ipcx_posixmq_create(&q, name, &o), IPCX_EINVAL);
    o = (struct ipcx_posixmq_opts){.msg_size = -5};
    cr_assert_eq(ipcx_posixmq_create(&q, name, &o), IPCX_EINVAL);
    o = (struct ipcx_posixmq_opts){.mode = 01600};
    cr_assert_eq(ipcx_posixmq_create(&q, name, &o), IPCX_EINVAL);
    o = (struct ipcx_posixmq_opts){.access = 0x8};
    cr_assert_eq(ipcx_posixmq_create(&q, name, &o), IPCX_EINVAL);
    o = (struct ipcx_posixmq_opts){.max_msgs = 1L << 40, .msg_size = 16};
    cr_assert_eq(ipcx_posixmq_create(&q, name, &o), IPCX_EINVAL, "beyond the kernel's limit");
    cr_assert_null(q);
    cr_assert_eq(ipcx_posixmq_open(&q, name, 0), IPCX_ENOENT, "nothing was created");

    q = create(2, 16);
    struct ipcx_posixmq *rdonly;
    cr_assert_eq(ipcx_posixmq_open(&rdonly, name, IPCX_POSIXMQ_RECV), 0);
    cr_assert_eq(ipcx_posixmq_send(rdonly, "x", 1, 0, 0), IPCX_EBADF);
    cr_assert_eq(ipcx_posixmq_open(&rdonly, name, 0x4), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_open(NULL, name, 0), IPCX_EINVAL);
    char buf[16];
    cr_assert_eq(ipcx_posixmq_send(NULL, "x", 1, 0, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_send(q, NULL, 1, 0, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_send(q, "x", 1, 0, -3), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_recv(NULL, buf, sizeof buf, NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_recv(q, NULL, sizeof buf, NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_get_attr(q, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_posixmq_get_attr(NULL, NULL), IPCX_EINVAL);
    ipcx_posixmq_close(rdonly);
    ipcx_posixmq_close(q);
    ipcx_posixmq_close(NULL);
    cr_assert_eq(tsup_fd_count(), base);
}
