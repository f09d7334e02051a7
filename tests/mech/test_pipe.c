/* SPDX-License-Identifier: MIT */
/*
 * test_pipe.c: anonymous pipes across real processes: round trips with a
 * forked child and with an exec'ed program (which sees a blocking
 * descriptor and none of the pipe's other descriptors), end of file when
 * the last writer goes, records of up to PIPE_BUF bytes from several
 * writer processes that never interleave, IPCX_EPIPE instead of death by
 * SIGPIPE, timeouts (also for a reader that loses every race for the data
 * to another process), write-all progress, capacity, packet mode, adopted
 * descriptors (which stay blocking), the fallback where the pipe cannot be
 * reopened, bad arguments and leaks.
 * ipcx-test: label=process timeout=60
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ipcx.h>

#include "sys/fd.h"
#include "sys/pipeio.h"
#include "tsup.h"

/* A timeout may end this late on a loaded 2-core VM under sanitizers, never
 * earlier: the never-early checks are the strict ones. */
#define LATE_MS 1000

static void make_pipe(struct ipcx_pipe **rd, struct ipcx_pipe **wr, unsigned flags)
{
    struct ipcx_pipe_opts o = {.flags = flags};
    cr_assert_eq(ipcx_pipe_create(rd, wr, &o), 0);
}

/* Reads exactly len bytes or fails the test. */
static void read_exact(struct ipcx_pipe *p, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = ipcx_pipe_read(p, (char *)buf + got, len - got, 5000);
        cr_assert_gt(n, 0, "read: %s after %zu of %zu bytes", ipcx_errname((int)n), got, len);
        got += (size_t)n;
    }
}

struct ends {
    struct ipcx_pipe *rd, *wr;
};

static int child_echo(void *arg)
{
    /* Reads "ping" from the first pipe, answers "pong" on the second. */
    struct ends *e = arg;
    char buf[4];
    size_t got = 0;
    while (got < 4) {
        ssize_t n = ipcx_pipe_read(e[0].rd, buf + got, 4 - got, 5000);
        TSUP_CHILD_CHECK(n > 0);
        got += (size_t)n;
    }
    TSUP_CHILD_CHECK(memcmp(buf, "ping", 4) == 0);
    TSUP_CHILD_CHECK(ipcx_pipe_write_all(e[1].wr, "pong", 4, NULL, 5000) == 4);
    return 0;
}

Test(pipe, round_trip_with_forked_child)
{
    int base = tsup_fd_count();
    struct ends e[2];
    make_pipe(&e[0].rd, &e[0].wr, 0);
    make_pipe(&e[1].rd, &e[1].wr, 0);
    cr_assert_eq(ipcx_pipe_get_capacity(e[0].rd) > 0, 1);
    pid_t pid = tsup_fork(child_echo, e);
    cr_assert_gt(pid, 0);
    cr_assert_eq(ipcx_pipe_write(e[0].wr, "ping", 4, 1000), 4);
    char buf[4];
    read_exact(e[1].rd, buf, 4);
    cr_assert_eq(memcmp(buf, "pong", 4), 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    for (int i = 0; i < 2; i++) {
        ipcx_pipe_close(e[i].rd);
        ipcx_pipe_close(e[i].wr);
    }
    cr_assert_eq(tsup_fd_count(), base, "descriptor leak");
}

static int child_write_then_exit(void *arg)
{
    struct ends *e = arg;
    ipcx_pipe_close(e->rd);
    TSUP_CHILD_CHECK(ipcx_pipe_write_all(e->wr, "last words", 10, NULL, 5000) == 10);
    return 0; /* exiting closes the last write end */
}

Test(pipe, eof_when_the_last_writer_closes)
{
    struct ends e;
    make_pipe(&e.rd, &e.wr, 0);
    pid_t pid = tsup_fork(child_write_then_exit, &e);
    cr_assert_gt(pid, 0);
    ipcx_pipe_close(e.wr); /* the child now holds the only write end */
    char buf[10];
    read_exact(e.rd, buf, sizeof buf);
    cr_assert_eq(memcmp(buf, "last words", 10), 0);
    cr_assert_eq(ipcx_pipe_read(e.rd, buf, sizeof buf, 5000), 0, "end of file");
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    ipcx_pipe_close(e.rd);
}

/* ---- several writers, records of up to PIPE_BUF bytes ---- */

#define WRITERS 4
#define RECORDS 300
#define MAGIC   0x52454344u

struct rec_head {
    uint32_t magic;
    uint16_t writer;
    uint16_t len; /* whole record, header included */
    uint32_t seq;
};

static unsigned char pattern(unsigned writer, unsigned seq, size_t i)
{
    return (unsigned char)(writer * 31u + seq * 7u + i * 13u);
}

/* Record sizes cycle through small, odd and exactly PIPE_BUF. */
static size_t record_len(unsigned writer, unsigned seq)
{
    static const size_t sizes[] = {sizeof(struct rec_head), 100, 1000, 4000, 2049, PIPE_BUF};
    return sizes[(writer + seq) % (sizeof sizes / sizeof sizes[0])];
}

struct writer_arg {
    struct ends e;
    unsigned id;
};

static int writer_child(void *arg)
{
    struct writer_arg *w = arg;
    ipcx_pipe_close(w->e.rd);
    unsigned char rec[PIPE_BUF];
    for (unsigned seq = 0; seq < RECORDS; seq++) {
        size_t len = record_len(w->id, seq);
        struct rec_head h = {MAGIC, (uint16_t)w->id, (uint16_t)len, seq};
        memcpy(rec, &h, sizeof h);
        for (size_t i = sizeof h; i < len; i++)
            rec[i] = pattern(w->id, seq, i);
        /* One call per record: a write of PIPE_BUF bytes or less is atomic. */
        TSUP_CHILD_CHECK(ipcx_pipe_write(w->e.wr, rec, len, 10000) == (ssize_t)len);
    }
    return 0;
}

Test(pipe, writers_of_pipe_buf_records_never_interleave)
{
    struct ends e;
    make_pipe(&e.rd, &e.wr, 0);
    /* A small pipe makes the writers block and race for room. */
    cr_assert_geq(ipcx_pipe_set_capacity(e.wr, 4 * PIPE_BUF), 4 * PIPE_BUF);
    pid_t pids[WRITERS];
    struct writer_arg args[WRITERS];
    for (unsigned i = 0; i < WRITERS; i++) {
        args[i] = (struct writer_arg){e, i};
        pids[i] = tsup_fork(writer_child, &args[i]);
        cr_assert_gt(pids[i], 0);
    }
    ipcx_pipe_close(e.wr);

    size_t cap = (size_t)WRITERS * RECORDS * PIPE_BUF;
    unsigned char *all = malloc(cap);
    cr_assert_not_null(all);
    size_t got = 0;
    for (;;) {
        ssize_t n = ipcx_pipe_read(e.rd, all + got, cap - got, 10000);
        cr_assert_geq(n, 0, "read: %s", ipcx_errname((int)n));
        if (n == 0)
            break;
        got += (size_t)n;
    }
    unsigned next[WRITERS] = {0};
    size_t off = 0, records = 0;
    while (off < got) {
        struct rec_head h;
        cr_assert_geq(got - off, sizeof h, "truncated header at %zu", off);
        memcpy(&h, all + off, sizeof h);
        cr_assert_eq(h.magic, MAGIC, "record boundary lost at offset %zu", off);
        cr_assert_lt(h.writer, WRITERS);
        cr_assert_eq(h.seq, next[h.writer], "writer %u: record %u out of order", h.writer, h.seq);
        cr_assert_eq(h.len, record_len(h.writer, h.seq));
        cr_assert_leq(off + h.len, got);
        for (size_t i = sizeof h; i < h.len; i++)
            cr_assert_eq(all[off + i], pattern(h.writer, h.seq, i),
                         "writer %u record %u interleaved at byte %zu", h.writer, h.seq, i);
        next[h.writer]++;
        off += h.len;
        records++;
    }
    cr_assert_eq(records, (size_t)WRITERS * RECORDS);
    for (unsigned i = 0; i < WRITERS; i++)
        cr_assert_eq(tsup_wait_exit(pids[i], 10000), 0);
    free(all);
    ipcx_pipe_close(e.rd);
}

/* ---- SIGPIPE ---- */

static int sigpipe_is_pending(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigpending(&s);
    return sigismember(&s, SIGPIPE);
}

static int child_epipe_survives(void *arg)
{
    (void)arg;
    /* The test, not the library, makes sure SIGPIPE would kill. */
    signal(SIGPIPE, SIG_DFL);
    sigset_t before, after;
    pthread_sigmask(SIG_SETMASK, NULL, &before);
    TSUP_CHILD_CHECK(!sigismember(&before, SIGPIPE));

    struct ipcx_pipe *rd, *wr;
    TSUP_CHILD_CHECK(ipcx_pipe_create(&rd, &wr, NULL) == 0);
    ipcx_pipe_close(rd);
    TSUP_CHILD_CHECK(ipcx_pipe_write(wr, "x", 1, 1000) == IPCX_EPIPE);
    size_t done = 99;
    TSUP_CHILD_CHECK(ipcx_pipe_write_all(wr, "xyz", 3, &done, 1000) == IPCX_EPIPE);
    TSUP_CHILD_CHECK(done == 0);
    TSUP_CHILD_CHECK(ipcx_pipe_write(wr, "x", 1, IPCX_NOWAIT) == IPCX_EPIPE);

    TSUP_CHILD_CHECK(!sigpipe_is_pending());
    pthread_sigmask(SIG_SETMASK, NULL, &after);
    TSUP_CHILD_CHECK(!sigismember(&after, SIGPIPE));
    struct sigaction sa;
    sigaction(SIGPIPE, NULL, &sa);
    TSUP_CHILD_CHECK(sa.sa_handler == SIG_DFL);
    ipcx_pipe_close(wr);
    return 0;
}

Test(pipe, epipe_instead_of_death_by_sigpipe)
{
    pid_t pid = tsup_fork(child_epipe_survives, NULL);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0, "the child died or failed (128+13 is SIGPIPE)");
}

static int child_reader_gone(void *arg)
{
    struct ends *e = arg;
    ipcx_pipe_close(e->wr);
    ipcx_pipe_close(e->rd);
    return 0;
}

static int child_epipe_keeps_callers_pending_sigpipe(void *arg)
{
    (void)arg;
    signal(SIGPIPE, SIG_DFL);
    /* The caller blocked SIGPIPE and has one pending of its own: the
     * library must leave it there and the mask as it was. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    raise(SIGPIPE);
    TSUP_CHILD_CHECK(sigpipe_is_pending());

    struct ends e;
    TSUP_CHILD_CHECK(ipcx_pipe_create(&e.rd, &e.wr, NULL) == 0);
    /* The reader is another process, which goes away. */
    pid_t pid = tsup_fork(child_reader_gone, &e);
    TSUP_CHILD_CHECK(pid > 0);
    ipcx_pipe_close(e.rd);
    TSUP_CHILD_CHECK(tsup_wait_exit(pid, 5000) == 0);
    TSUP_CHILD_CHECK(ipcx_pipe_write(e.wr, "x", 1, 1000) == IPCX_EPIPE);

    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    TSUP_CHILD_CHECK(sigismember(&mask, SIGPIPE));
    TSUP_CHILD_CHECK(sigpipe_is_pending());
    const struct timespec zero = {0, 0};
    TSUP_CHILD_CHECK(sigtimedwait(&set, NULL, &zero) == SIGPIPE);
    TSUP_CHILD_CHECK(!sigpipe_is_pending());
    ipcx_pipe_close(e.wr);
    return 0;
}

Test(pipe, epipe_leaves_a_callers_pending_sigpipe_alone)
{
    pid_t pid = tsup_fork(child_epipe_keeps_callers_pending_sigpipe, NULL);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
}

/*
 * Whether SIGPIPE is pending for this thread alone (`field` "SigPnd") or for
 * the whole process ("ShdPnd"): sigpending() only gives their union.
 */
static int sigpipe_pending_in(const char *field)
{
    FILE *f = fopen("/proc/thread-self/status", "re");
    if (!f)
        return -1;
    char line[256];
    int r = -1;
    size_t flen = strlen(field);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
            unsigned long long m = strtoull(line + flen + 1, NULL, 16);
            r = (int)((m >> (SIGPIPE - 1)) & 1);
            break;
        }
    }
    fclose(f);
    return r;
}

/* A write end whose reader is gone, so that a write fails with EPIPE. */
static int broken_pipe_fd(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    ipcx__close(p[0]);
    return p[1];
}

/*
 * The caller blocks SIGPIPE and one is pending for the whole process
 * (kill(2)), none for the thread. The write's own SIGPIPE, which the
 * thread gets, must go; the process's must stay. (sigpending() cannot tell
 * the two apart: a guard that looked only there kept the write's.)
 */
static int child_epipe_with_process_pending(void *arg)
{
    bool through_guard = arg != NULL;
    signal(SIGPIPE, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    TSUP_CHILD_CHECK(kill(getpid(), SIGPIPE) == 0);
    TSUP_CHILD_CHECK(sigpipe_pending_in("ShdPnd") == 1);
    TSUP_CHILD_CHECK(sigpipe_pending_in("SigPnd") == 0);

    if (through_guard) {
        /* The mask guard on its own, as on a kernel without RWF_NOSIGNAL. */
        int wfd = broken_pipe_fd();
        TSUP_CHILD_CHECK(wfd >= 0);
        struct ipcx__sigpipe_guard g;
        ipcx__sigpipe_block(&g);
        TSUP_CHILD_CHECK(write(wfd, "x", 1) < 0 && errno == EPIPE);
        ipcx__sigpipe_restore(&g, true);
        ipcx__close(wfd);
    } else {
        struct ipcx_pipe *rd, *wr;
        TSUP_CHILD_CHECK(ipcx_pipe_create(&rd, &wr, NULL) == 0);
        ipcx_pipe_close(rd);
        TSUP_CHILD_CHECK(ipcx_pipe_write(wr, "x", 1, 1000) == IPCX_EPIPE);
        ipcx_pipe_close(wr);
    }
    TSUP_CHILD_CHECK(sigpipe_pending_in("SigPnd") == 0);
    TSUP_CHILD_CHECK(sigpipe_pending_in("ShdPnd") == 1);
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    TSUP_CHILD_CHECK(sigismember(&mask, SIGPIPE));
    const struct timespec zero = {0, 0};
    TSUP_CHILD_CHECK(sigtimedwait(&set, NULL, &zero) == SIGPIPE);
    TSUP_CHILD_CHECK(!sigpipe_is_pending());
    return 0;
}

Test(pipe, epipe_leaves_a_process_pending_sigpipe_and_takes_its_own)
{
    pid_t pid = tsup_fork(child_epipe_with_process_pending, NULL);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
}

Test(pipe, sigpipe_guard_leaves_a_process_pending_sigpipe_and_takes_its_own)
{
    pid_t pid = tsup_fork(child_epipe_with_process_pending, (void *)1);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
}

/*
 * The mask guard's other cases, with a plain write() as a kernel without
 * RWF_NOSIGNAL would need: SIGPIPE unblocked (the usual program: the mask
 * is put back, nothing stays pending, nobody dies), and blocked with one of
 * the thread's own pending (it stays, exactly one).
 */
static int child_guard_cases(void *arg)
{
    (void)arg;
    signal(SIGPIPE, SIG_DFL);
    int wfd = broken_pipe_fd();
    TSUP_CHILD_CHECK(wfd >= 0);
    sigset_t set, mask;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);

    struct ipcx__sigpipe_guard g;
    ipcx__sigpipe_block(&g);
    TSUP_CHILD_CHECK(write(wfd, "x", 1) < 0 && errno == EPIPE);
    errno = EPIPE;
    ipcx__sigpipe_restore(&g, true);
    TSUP_CHILD_CHECK(errno == EPIPE);
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    TSUP_CHILD_CHECK(!sigismember(&mask, SIGPIPE));
    TSUP_CHILD_CHECK(!sigpipe_is_pending());

    /* No EPIPE: the mask comes back the same. */
    ipcx__sigpipe_block(&g);
    ipcx__sigpipe_restore(&g, false);
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    TSUP_CHILD_CHECK(!sigismember(&mask, SIGPIPE));

    pthread_sigmask(SIG_BLOCK, &set, NULL);
    TSUP_CHILD_CHECK(raise(SIGPIPE) == 0);
    TSUP_CHILD_CHECK(sigpipe_pending_in("SigPnd") == 1);
    ipcx__sigpipe_block(&g);
    TSUP_CHILD_CHECK(write(wfd, "x", 1) < 0 && errno == EPIPE);
    ipcx__sigpipe_restore(&g, true);
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    TSUP_CHILD_CHECK(sigismember(&mask, SIGPIPE));
    TSUP_CHILD_CHECK(sigpipe_pending_in("SigPnd") == 1);
    const struct timespec zero = {0, 0};
    TSUP_CHILD_CHECK(sigtimedwait(&set, NULL, &zero) == SIGPIPE);
    TSUP_CHILD_CHECK(!sigpipe_is_pending());
    ipcx__close(wfd);
    return 0;
}

Test(pipe, sigpipe_guard_with_sigpipe_unblocked_and_with_one_pending)
{
    pid_t pid = tsup_fork(child_guard_cases, NULL);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0, "the child died or failed (128+13 is SIGPIPE)");
}

/* ---- exec ---- */

struct exec_arg {
    struct ends e;
    int target; /* -1: keep the descriptor number */
    const char *mode;
    const char *text;
    char closed[256]; /* descriptor numbers the new program must not have */
};

#define MAX_FD 1024

/* Marks in `open` every descriptor number this process has open now. */
static void open_fds(bool open[MAX_FD])
{
    memset(open, 0, MAX_FD * sizeof open[0]);
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] != '.' && fd >= 0 && fd < MAX_FD && fd != dirfd(d))
            open[fd] = true;
    }
    closedir(d);
}

/*
 * Makes a pipe for an exec test and lists in x->closed every descriptor
 * the pipe's two handles hold (their own and their private ones), except
 * `keep`'s own: nothing but the inherited end may reach the new program.
 */
static void make_exec_pipe(struct exec_arg *x)
{
    bool before[MAX_FD], after[MAX_FD];
    open_fds(before);
    make_pipe(&x->e.rd, &x->e.wr, 0);
    open_fds(after);
    int keep = ipcx_pipe_fd(x->target == 0 ? x->e.rd : x->e.wr);
    size_t len = 0;
    int count = 0;
    x->closed[0] = '\0';
    for (int fd = 0; fd < MAX_FD; fd++)
        if (after[fd] && !before[fd] && fd != keep) {
            len += (size_t)snprintf(x->closed + len, sizeof x->closed - len, "%s%d", len ? "," : "",
                                    fd);
            count++;
        }
    cr_assert_eq(count, 3, "a pipe is four descriptors: two per end");
}

static int child_exec_with_end(void *arg)
{
    struct exec_arg *x = arg;
    struct ipcx_pipe *end = x->target == 0 ? x->e.rd : x->e.wr;
    int fd = ipcx_pipe_inherit(end, x->target);
    if (fd < 0)
        return 20;
    char fdstr[16];
    snprintf(fdstr, sizeof fdstr, "%d", fd);
    const char *path = tsup_helper_path();
    if (x->target == 0)
        execl(path, path, x->mode, x->text, (char *)NULL);
    else
        execl(path, path, x->mode, fdstr, x->text, x->closed, (char *)NULL);
    return 21;
}

Test(pipe, exec_child_writes_through_inherited_end)
{
    struct exec_arg x = {.target = -1, .mode = "pipe_write_fd", .text = "hello across exec"};
    make_exec_pipe(&x);
    pid_t pid = tsup_fork(child_exec_with_end, &x);
    cr_assert_gt(pid, 0);
    ipcx_pipe_close(x.e.wr);
    /* The helper checks that none of the other descriptors of the pipe
     * (the read end, the private descriptions) is open in it: they were
     * all close-on-exec. It then writes through the inherited end. */
    char buf[64];
    size_t len = strlen(x.text);
    read_exact(x.e.rd, buf, len);
    cr_assert_eq(memcmp(buf, x.text, len), 0);
    cr_assert_eq(ipcx_pipe_read(x.e.rd, buf, sizeof buf, 5000), 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0, "13: a descriptor of the pipe reached the program");
    ipcx_pipe_close(x.e.rd);
}

Test(pipe, exec_child_reads_a_blocking_stdin)
{
    struct exec_arg x = {.target = 0, .mode = "stdin_expect", .text = "plain read() works"};
    make_exec_pipe(&x);
    cr_assert_eq(fcntl(ipcx_pipe_fd(x.e.rd), F_GETFL) & O_NONBLOCK, 0, "blocking by default");
    pid_t pid = tsup_fork(child_exec_with_end, &x);
    cr_assert_gt(pid, 0);
    ipcx_pipe_close(x.e.rd);
    size_t len = strlen(x.text);
    cr_assert_eq(ipcx_pipe_write_all(x.e.wr, x.text, len, NULL, 5000), (ssize_t)len);
    ipcx_pipe_close(x.e.wr);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
}

/* ---- timeouts and progress ---- */

Test(pipe, read_timeout_holds_its_deadline)
{
    struct ends e;
    make_pipe(&e.rd, &e.wr, 0);
    char buf[8];
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_pipe_read(e.rd, buf, sizeof buf, 100), IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert(took >= 100 && took <= 100 + LATE_MS, "took %lld ms", (long long)took);
    cr_assert_eq(ipcx_pipe_read(e.rd, buf, sizeof buf, IPCX_NOWAIT), IPCX_EAGAIN);
    cr_assert_eq(ipcx_pipe_read(e.rd, buf, sizeof buf, -2), IPCX_EINVAL);
    ipcx_pipe_close(e.rd);
    ipcx_pipe_close(e.wr);
}

Test(pipe, write_all_reports_progress_on_timeout)
{
    struct ends e;
    make_pipe(&e.rd, &e.wr, 0);
    int cap = ipcx_pipe_get_capacity(e.wr);
    cr_assert_gt(cap, 0);
    size_t len = (size_t)cap + 1000;
    char *big = calloc(1, len);
    cr_assert_not_null(big);
    size_t done = 0;
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_pipe_write_all(e.wr, big, len, &done, 100), IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert(took >= 100 && took <= 100 + LATE_MS, "took %lld ms", (long long)took);
    cr_assert_eq(done, (size_t)cap, "the pipe took exactly its capacity");
    /* Full: a single write cannot proceed either. */
    cr_assert_eq(ipcx_pipe_write(e.wr, big, 1, IPCX_NOWAIT), IPCX_EAGAIN);
    cr_assert_eq(ipcx_pipe_write(e.wr, big, 1, 50), IPCX_ETIMEDOUT);
    free(big);
    ipcx_pipe_close(e.rd);
    ipcx_pipe_close(e.wr);
}

/* ---- capacity, packet mode, flags ---- */

Test(pipe, capacity_get_and_set)
{
    struct ends e;
    struct ipcx_pipe_opts o = {.capacity = 3 * 4096};
    cr_assert_eq(ipcx_pipe_create(&e.rd, &e.wr, &o), 0);
    /* Rounded up to a power-of-two number of pages. */
    cr_assert_eq(ipcx_pipe_get_capacity(e.wr), 4 * 4096);
    cr_assert_eq(ipcx_pipe_get_capacity(e.rd), 4 * 4096, "one pipe, seen from both ends");
    cr_assert_eq(ipcx_pipe_set_capacity(e.rd, 128 * 1024), 128 * 1024);
    cr_assert_eq(ipcx_pipe_get_capacity(e.wr), 128 * 1024);

    /* Shrinking below what the pipe holds is refused. */
    static char data[3 * 4096];
    cr_assert_eq(ipcx_pipe_write_all(e.wr, data, sizeof data, NULL, 1000), (ssize_t)sizeof data);
    cr_assert_eq(ipcx_pipe_set_capacity(e.wr, 4096), IPCX_EBUSY);
    cr_assert_eq(ipcx_pipe_set_capacity(e.wr, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_pipe_set_capacity(e.wr, (size_t)INT_MAX + 1), IPCX_EINVAL);
    ipcx_pipe_close(e.rd);
    ipcx_pipe_close(e.wr);
}

Test(pipe, packet_mode_keeps_write_boundaries)
{
    struct ends e;
    make_pipe(&e.rd, &e.wr, IPCX_PIPE_PACKET);
    char out[300];
    memset(out, 'p', sizeof out);
    cr_assert_eq(ipcx_pipe_write(e.wr, out, 100, 1000), 100);
    cr_assert_eq(ipcx_pipe_write(e.wr, out, 200, 1000), 200);
    cr_assert_eq(ipcx_pipe_write(e.wr, out, 7, 1000), 7);
    char in[PIPE_BUF];
    cr_assert_eq(ipcx_pipe_read(e.rd, in, sizeof in, 1000), 100);
    cr_assert_eq(ipcx_pipe_read(e.rd, in, sizeof in, 1000), 200);
    /* A short buffer gets the start of the packet; the rest is dropped. */
    cr_assert_eq(ipcx_pipe_read(e.rd, in, 3, 1000), 3);
    cr_assert_eq(ipcx_pipe_read(e.rd, in, sizeof in, IPCX_NOWAIT), IPCX_EAGAIN);
    ipcx_pipe_close(e.rd);
    ipcx_pipe_close(e.wr);
}

Test(pipe, nonblock_flag_and_close_on_exec)
{
    struct ends e;
    make_pipe(&e.rd, &e.wr, IPCX_PIPE_NONBLOCK);
    for (int i = 0; i < 2; i++) {
        int fd = ipcx_pipe_fd(i ? e.wr : e.rd);
        cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
        cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    }
    /* Timeouts hold on a non-blocking descriptor too. */
    char buf[4];
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_pipe_read(e.rd, buf, sizeof buf, 50), IPCX_ETIMEDOUT);
    cr_assert_geq(tsup_now_ms() - t0, 50);
    struct pollfd p = {.fd = ipcx_pipe_fd(e.rd), .events = POLLIN};
    cr_assert_eq(poll(&p, 1, 0), 0);
    cr_assert_eq(ipcx_pipe_write(e.wr, "abc", 3, 0), 3);
    cr_assert_eq(poll(&p, 1, 0), 1);
    cr_assert_eq(ipcx_pipe_read(e.rd, buf, sizeof buf, 0), 3);
    ipcx_pipe_close(e.rd);
    ipcx_pipe_close(e.wr);
    cr_assert_eq(ipcx_pipe_fd(NULL), -1);
}

Test(pipe, adopted_blocking_fifo_descriptors_keep_deadlines)
{
    /* The descriptors stay blocking for whoever else holds them; the
     * handles read and write through descriptions of their own. */
    char dir[] = "/tmp/ipcx-pipe-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/f", dir);
    cr_assert_eq(mkfifo(path, 0600), 0);
    int r = open(path, O_RDONLY | O_NONBLOCK);
    cr_assert_geq(r, 0);
    int w = open(path, O_WRONLY);
    cr_assert_geq(w, 0);
    cr_assert_eq(fcntl(r, F_SETFL, O_RDONLY), 0); /* blocking again */
    int base = tsup_fd_count();
    struct ipcx_pipe *rd, *wr;
    cr_assert_eq(ipcx_pipe_adopt(&rd, r), 0);
    cr_assert_eq(ipcx_pipe_adopt(&wr, w), 0);
    cr_assert(fcntl(w, F_GETFD) & FD_CLOEXEC, "adopt sets close-on-exec");
    cr_assert_eq(tsup_fd_count(), base + 2, "one private description per end");
    cr_assert_eq(ipcx_pipe_fd(rd), r, "the handle hands out the adopted descriptor");

    char buf[PIPE_BUF];
    int64_t t0 = tsup_now_ms();
    cr_assert_eq(ipcx_pipe_read(rd, buf, sizeof buf, 60), IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    cr_assert(took >= 60 && took <= 60 + LATE_MS, "took %lld ms", (long long)took);
    cr_assert_eq(ipcx_pipe_write(wr, "fifo", 4, 1000), 4);
    cr_assert_eq(ipcx_pipe_read(rd, buf, sizeof buf, 1000), 4);

    /* Fill it: blocking writes never overrun the deadline. */
    int cap = ipcx_pipe_get_capacity(wr);
    char *big = calloc(1, (size_t)cap * 2);
    cr_assert_not_null(big);
    size_t done = 0;
    cr_assert_eq(ipcx_pipe_write_all(wr, big, (size_t)cap * 2, &done, 60), IPCX_ETIMEDOUT);
    cr_assert_eq(done, (size_t)cap);
    cr_assert_eq(ipcx_pipe_write(wr, big, 1, IPCX_NOWAIT), IPCX_EAGAIN);
    free(big);
    cr_assert_eq(fcntl(r, F_GETFL) & O_NONBLOCK, 0, "the shared descriptors stay blocking");
    cr_assert_eq(fcntl(w, F_GETFL) & O_NONBLOCK, 0);

    ipcx_pipe_close(rd);
    ipcx_pipe_close(wr);
    cr_assert_eq(tsup_fd_count(), base - 2, "close closes both descriptors of each end");
    unlink(path);
    rmdir(dir);
}

Test(pipe, adopted_fifo_write_end_without_a_reader_gets_one_later)
{
    char dir[] = "/tmp/ipcx-pipe-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/f", dir);
    cr_assert_eq(mkfifo(path, 0600), 0);
    int r = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    cr_assert_geq(r, 0);
    int w = open(path, O_WRONLY | O_CLOEXEC);
    cr_assert_geq(w, 0);
    close(r); /* the reader has gone */

    struct ipcx_pipe *wr;
    cr_assert_eq(ipcx_pipe_adopt(&wr, w), 0, "a writer with no reader is still a writer");
    cr_assert_eq(ipcx_pipe_write(wr, "x", 1, 100), IPCX_EPIPE);
    size_t done = 7;
    cr_assert_eq(ipcx_pipe_write_all(wr, "xy", 2, &done, 100), IPCX_EPIPE);
    cr_assert_eq(done, 0);

    /* A new reader arrives: the same handle writes to it. */
    r = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    cr_assert_geq(r, 0);
    cr_assert_eq(ipcx_pipe_write(wr, "late", 4, 1000), 4);
    char buf[8];
    cr_assert_eq(read(r, buf, sizeof buf), 4);
    cr_assert_eq(memcmp(buf, "late", 4), 0);
    ipcx_pipe_close(wr);
    close(r);
    unlink(path);
    rmdir(dir);
}

static int child_end_that_cannot_be_reopened(void *arg)
{
    int *raw = arg; /* a pipe made by root: its inode is root's, mode 0600 */
    TSUP_CHILD_CHECK(setgid(65534) == 0 && setuid(65534) == 0);
    int base = tsup_fd_count();
    struct ipcx_pipe *rd, *wr;
    TSUP_CHILD_CHECK(ipcx_pipe_adopt(&rd, raw[0]) == 0);
    TSUP_CHILD_CHECK(ipcx_pipe_adopt(&wr, raw[1]) == 0);
    TSUP_CHILD_CHECK(tsup_fd_count() == base); /* no private description: the fallback */

    char buf[PIPE_BUF];
    int64_t t0 = tsup_now_ms();
    TSUP_CHILD_CHECK(ipcx_pipe_read(rd, buf, sizeof buf, 60) == IPCX_ETIMEDOUT);
    int64_t took = tsup_now_ms() - t0;
    TSUP_CHILD_CHECK(took >= 60 && took <= 60 + LATE_MS);
    TSUP_CHILD_CHECK(ipcx_pipe_write(wr, "fallback", 8, 1000) == 8);
    TSUP_CHILD_CHECK(ipcx_pipe_read(rd, buf, sizeof buf, 1000) == 8);
    TSUP_CHILD_CHECK(memcmp(buf, "fallback", 8) == 0);
    int cap = ipcx_pipe_get_capacity(wr);
    TSUP_CHILD_CHECK(cap > 0);
    char *big = calloc(1, (size_t)cap * 2);
    TSUP_CHILD_CHECK(big != NULL);
    size_t done = 0;
    TSUP_CHILD_CHECK(ipcx_pipe_write_all(wr, big, (size_t)cap * 2, &done, 60) == IPCX_ETIMEDOUT);
    TSUP_CHILD_CHECK(done == (size_t)cap);
    free(big);
    TSUP_CHILD_CHECK((fcntl(raw[0], F_GETFL) & O_NONBLOCK) == 0);
    ipcx_pipe_close(rd);
    signal(SIGPIPE, SIG_DFL);
    TSUP_CHILD_CHECK(ipcx_pipe_write(wr, "x", 1, 100) == IPCX_EPIPE);
    ipcx_pipe_close(wr);
    TSUP_CHILD_CHECK(tsup_fd_count() == base - 2);
    return 0;
}

Test(pipe, an_end_that_cannot_be_reopened_falls_back_and_keeps_deadlines)
{
    int raw[2];
    cr_assert_eq(pipe2(raw, O_CLOEXEC), 0);
    pid_t pid = tsup_fork(child_end_that_cannot_be_reopened, raw);
    cr_assert_gt(pid, 0);
    close(raw[0]);
    close(raw[1]);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
}

/* ---- competing readers ---- */

#define RACE_ROUNDS     40
#define RACE_TIMEOUT_MS 100

/*
 * A program that knows nothing of ipcx: plain blocking read() calls on the
 * shared descriptor until end of file. Sleeping in the kernel's read, it is
 * woken together with any poller when a byte arrives, and often wins it.
 */
struct plain_drainer {
    int fd;       /* the contested read end, blocking */
    int close_fd; /* the write end, which only the test process keeps */
};

static int child_plain_drainer(void *arg)
{
    struct plain_drainer *p = arg;
    close(p->close_fd);
    char c;
    for (;;) {
        ssize_t n = read(p->fd, &c, 1);
        if (n == 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return 10;
    }
}

struct timed_reader {
    struct ipcx_pipe *contested;
    struct ipcx_pipe *report; /* write end: one byte per read, 'D' or 'T' */
    int close_fd;             /* the write end, which only the test process keeps */
};

/*
 * Reads one byte at a time with a deadline; every read must end with the
 * byte or with IPCX_ETIMEDOUT, never earlier than its deadline and never
 * much later, whoever took the byte it was woken for.
 */
static int child_timed_reader(void *arg)
{
    struct timed_reader *t = arg;
    close(t->close_fd);
    for (;;) {
        char c;
        int64_t t0 = tsup_now_ms();
        ssize_t n = ipcx_pipe_read(t->contested, &c, 1, RACE_TIMEOUT_MS);
        int64_t took = tsup_now_ms() - t0;
        if (n == 0)
            return 0;
        TSUP_CHILD_CHECK(n == 1 || n == IPCX_ETIMEDOUT);
        if (n == IPCX_ETIMEDOUT)
            TSUP_CHILD_CHECK(took >= RACE_TIMEOUT_MS && took <= RACE_TIMEOUT_MS + LATE_MS);
        char r = n == 1 ? 'D' : 'T';
        TSUP_CHILD_CHECK(ipcx_pipe_write(t->report, &r, 1, 1000) == 1);
    }
}

/*
 * One byte per round into a pipe that two other processes read: a plain
 * blocking reader and a reader with a deadline. When the plain reader
 * takes the byte, the timed reader, woken for nothing, must still return
 * at its deadline. `rd` is the contested read end (its descriptor is
 * blocking); `wr_fd` the blocking write end.
 */
static void compete_for_bytes(struct ipcx_pipe *rd, int wr_fd)
{
    struct ends report;
    make_pipe(&report.rd, &report.wr, 0);
    struct plain_drainer p = {ipcx_pipe_fd(rd), wr_fd};
    cr_assert_eq(fcntl(p.fd, F_GETFL) & O_NONBLOCK, 0, "the shared descriptor is blocking");
    pid_t drainer = tsup_fork(child_plain_drainer, &p);
    cr_assert_gt(drainer, 0);
    struct timed_reader t = {rd, report.wr, wr_fd};
    pid_t timed = tsup_fork(child_timed_reader, &t);
    cr_assert_gt(timed, 0);
    ipcx_pipe_close(report.wr);

    int data = 0, timeouts = 0;
    ssize_t bad = 1;
    for (int i = 0; i < RACE_ROUNDS; i++) {
        struct timespec ts = {0, 5 * 1000000L}; /* let both readers go to sleep */
        nanosleep(&ts, NULL);
        if (write(wr_fd, "b", 1) != 1)
            break;
        char r;
        bad = ipcx_pipe_read(report.rd, &r, 1, RACE_TIMEOUT_MS + LATE_MS + 1000);
        if (bad != 1)
            break; /* the timed reader overran its deadline, or failed */
        if (r == 'D')
            data++;
        else
            timeouts++;
    }
    close(wr_fd); /* end of file for both readers */
    int drainer_exit = tsup_wait_exit(drainer, 5000);
    int timed_exit = tsup_wait_exit(timed, 5000);
    ipcx_pipe_close(report.rd);
    cr_log_info("competing readers: the timed reader got %d bytes and timed out %d times", data,
                timeouts);
    cr_assert_eq(bad, 1, "round %d: the timed reader did not report in time (%s)", data + timeouts,
                 bad < 0 ? ipcx_errname((int)bad) : "end of file");
    cr_assert_eq(data + timeouts, RACE_ROUNDS);
    cr_assert_eq(timed_exit, 0);
    cr_assert_eq(drainer_exit, 0);
}

Test(pipe, a_reader_that_loses_the_race_keeps_its_deadline)
{
    struct ends e;
    make_pipe(&e.rd, &e.wr, 0);
    int wr_fd = dup(ipcx_pipe_fd(e.wr));
    cr_assert_geq(wr_fd, 0);
    ipcx_pipe_close(e.wr);
    compete_for_bytes(e.rd, wr_fd);
    ipcx_pipe_close(e.rd);
}

Test(pipe, a_reader_that_loses_the_race_keeps_its_deadline_on_an_adopted_fifo)
{
    char dir[] = "/tmp/ipcx-pipe-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/f", dir);
    cr_assert_eq(mkfifo(path, 0600), 0);
    int r = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    cr_assert_geq(r, 0);
    int w = open(path, O_WRONLY | O_CLOEXEC);
    cr_assert_geq(w, 0);
    cr_assert_eq(fcntl(r, F_SETFL, O_RDONLY), 0); /* blocking, as a program hands it over */
    struct ipcx_pipe *rd;
    cr_assert_eq(ipcx_pipe_adopt(&rd, r), 0);
    compete_for_bytes(rd, w);
    ipcx_pipe_close(rd);
    unlink(path);
    rmdir(dir);
}

static int child_capacity_over_the_limit(void *arg)
{
    (void)arg;
    /* Above /proc/sys/fs/pipe-max-size only a privileged process may go. */
    TSUP_CHILD_CHECK(setgid(65534) == 0 && setuid(65534) == 0);
    int base = tsup_fd_count();
    struct ipcx_pipe *rd = NULL, *wr = NULL;
    struct ipcx_pipe_opts o = {.capacity = 64u << 20};
    TSUP_CHILD_CHECK(ipcx_pipe_create(&rd, &wr, &o) == IPCX_EPERM);
    TSUP_CHILD_CHECK(rd == NULL && wr == NULL);
    TSUP_CHILD_CHECK(tsup_fd_count() == base);
    TSUP_CHILD_CHECK(ipcx_pipe_create(&rd, &wr, NULL) == 0);
    TSUP_CHILD_CHECK(ipcx_pipe_set_capacity(wr, 64u << 20) == IPCX_EPERM);
    ipcx_pipe_close(rd);
    ipcx_pipe_close(wr);
    return 0;
}

Test(pipe, capacity_above_the_limit_needs_privilege)
{
    pid_t pid = tsup_fork(child_capacity_over_the_limit, NULL);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
}

Test(pipe, bad_arguments_and_no_leaks)
{
    int base = tsup_fd_count();
    struct ipcx_pipe *rd = NULL, *wr = NULL;
    cr_assert_eq(ipcx_pipe_create(NULL, &wr, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_pipe_create(&rd, NULL, NULL), IPCX_EINVAL);
    struct ipcx_pipe_opts bad = {.flags = 0x80};
    cr_assert_eq(ipcx_pipe_create(&rd, &wr, &bad), IPCX_EINVAL);
    struct ipcx_pipe_opts huge = {.capacity = (size_t)INT_MAX + 1};
    cr_assert_eq(ipcx_pipe_create(&rd, &wr, &huge), IPCX_EINVAL);
    cr_assert_null(rd);
    cr_assert_null(wr);
    cr_assert_eq(tsup_fd_count(), base, "a failed create leaves nothing open");

    cr_assert_eq(ipcx_pipe_create(&rd, &wr, NULL), 0);
    char buf[4];
    cr_assert_eq(ipcx_pipe_read(NULL, buf, 4, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_pipe_read(rd, NULL, 4, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_pipe_write(NULL, buf, 4, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_pipe_write(wr, NULL, 4, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_pipe_write(wr, buf, 4, -5), IPCX_EINVAL);
    /* A count above SSIZE_MAX could not be returned: refused, nothing moves. */
    cr_assert_eq(ipcx_pipe_read(rd, buf, (size_t)SSIZE_MAX + 1, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_pipe_write(wr, buf, (size_t)SSIZE_MAX + 1, 0), IPCX_EINVAL);
    size_t done = 5;
    cr_assert_eq(ipcx_pipe_write_all(wr, buf, SIZE_MAX, &done, 0), IPCX_EINVAL);
    cr_assert_eq(done, 0);
    cr_assert_eq(ipcx_pipe_read(rd, buf, sizeof buf, IPCX_NOWAIT), IPCX_EAGAIN, "nothing written");
    cr_assert_eq(ipcx_pipe_read(wr, buf, 4, 0), IPCX_EBADF, "reading a write end");
    cr_assert_eq(ipcx_pipe_write(rd, buf, 4, 0), IPCX_EBADF, "writing a read end");
    cr_assert_eq(ipcx_pipe_get_capacity(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_pipe_inherit(NULL, 3), IPCX_EINVAL);

    struct ipcx_pipe *a = NULL;
    cr_assert_eq(ipcx_pipe_adopt(NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_pipe_adopt(&a, -1), IPCX_EBADF);
    cr_assert_eq(ipcx_pipe_adopt(&a, 98765), IPCX_EBADF);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert_eq(ipcx_pipe_adopt(&a, devnull), IPCX_EINVAL, "not a pipe");
    close(devnull);
    cr_assert_null(a);
    ipcx_pipe_close(rd);
    ipcx_pipe_close(wr);
    ipcx_pipe_close(NULL);
    cr_assert_eq(tsup_fd_count(), base);
}
