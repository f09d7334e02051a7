/* SPDX-License-Identifier: MIT */
/*
 * row_pipe.c: anonymous pipes and FIFOs through read(2) and write(2), one
 * each way, created in the parent and inherited by both sides. A FIFO is
 * opened through its name in a private directory, then the name and the
 * directory are removed at once: once open, a FIFO is a pipe, and nothing is
 * left in the file system even if the run is killed. Writes of up to
 * PIPE_BUF bytes are atomic, so 64-byte messages can be shared by several
 * writers or readers (fan-in, fan-out).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "row.h"

struct pipes {
    int c2s[2], s2c[2]; /* [0] read end, [1] write end */
    int rd, wr;         /* this side's ends */
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void init_fds(struct pipes *q)
{
    q->c2s[0] = q->c2s[1] = q->s2c[0] = q->s2c[1] = q->rd = q->wr = -1;
}

static int pipe_setup(struct bench_proc *p)
{
    struct pipes *q = p->priv;
    init_fds(q);
    if (pipe2(q->c2s, O_CLOEXEC) != 0 || pipe2(q->s2c, O_CLOEXEC) != 0)
        return bench_fail(p, "pipe2: %s", strerror(errno));
    return 0;
}

/* Opens both ends of a new FIFO in dir; the name is gone when it returns. */
static int fifo_open(struct bench_proc *p, const char *dir, const char *name, int fds[2])
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (mkfifo(path, 0600) != 0)
        return bench_fail(p, "mkfifo %s: %s", path, strerror(errno));
    /* A non-blocking read open succeeds at once and lets the write open
     * find a reader; then the read end is made blocking again. */
    fds[0] = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fds[0] >= 0)
        fds[1] = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    int err = errno;
    unlink(path);
    if (fds[0] < 0 || fds[1] < 0)
        return bench_fail(p, "open FIFO %s: %s", path, strerror(err));
    int fl = fcntl(fds[0], F_GETFL);
    if (fl < 0 || fcntl(fds[0], F_SETFL, fl & ~O_NONBLOCK) != 0)
        return bench_fail(p, "fcntl: %s", strerror(errno));
    return 0;
}

static int fifo_setup(struct bench_proc *p)
{
    struct pipes *q = p->priv;
    init_fds(q);
    const char *tmp = getenv("TMPDIR");
    char dir[256];
    snprintf(dir, sizeof dir, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", p->tag);
    if (!mkdtemp(dir))
        return bench_fail(p, "mkdtemp %s: %s", dir, strerror(errno));
    int rc = fifo_open(p, dir, "c2s", q->c2s);
    if (rc == 0)
        rc = fifo_open(p, dir, "s2c", q->s2c);
    rmdir(dir);
    return rc;
}

static void pipe_forked(struct bench_proc *p)
{
    struct pipes *q = p->priv;
    /* Only the sides hold the ends now: a side that dies gives its peer
     * end-of-file or EPIPE at once. */
    close_fd(&q->c2s[0]);
    close_fd(&q->c2s[1]);
    close_fd(&q->s2c[0]);
    close_fd(&q->s2c[1]);
}

static int pipe_open(struct bench_proc *p)
{
    struct pipes *q = p->priv;
    if (p->role == BENCH_CLIENT) {
        q->wr = q->c2s[1];
        q->rd = q->s2c[0];
        close_fd(&q->c2s[0]);
        close_fd(&q->s2c[1]);
    } else {
        q->wr = q->s2c[1];
        q->rd = q->c2s[0];
        close_fd(&q->c2s[1]);
        close_fd(&q->s2c[0]);
    }
    return 0;
}

static int pipe_send(struct bench_proc *p, void *buf, size_t len)
{
    struct pipes *q = p->priv;
    const char *b = buf;
    while (len > 0) {
        ssize_t n = write(q->wr, b, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        b += n;
        len -= (size_t)n;
    }
    return 0;
}

static ssize_t pipe_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct pipes *q = p->priv;
    char *b = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(q->rd, b + got, len - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EPIPE; /* the writer is gone */
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static void pipe_close(struct bench_proc *p)
{
    struct pipes *q = p->priv;
    close_fd(&q->rd);
    close_fd(&q->wr);
}

static void pipe_teardown(struct bench_proc *p)
{
    pipe_forked(p);
}

/* Fan-in and fan-out share one pipe, which keeps messages whole only up to
 * PIPE_BUF bytes; the 64-byte fan runs stay well below. */
static const struct bench_row pipe_row = {
    .name = "pipe",
    .group = BENCH_RAW,
    .order = 10,
    .what = "anonymous pipe, one each way, write(2) and read(2)",
    .flags = BENCH_F_FANIN | BENCH_F_FANOUT,
    .priv_size = sizeof(struct pipes),
    .setup = pipe_setup,
    .forked = pipe_forked,
    .open = pipe_open,
    .send = pipe_send,
    .recv = pipe_recv,
    .close = pipe_close,
    .teardown = pipe_teardown,
};

static const struct bench_row fifo_row = {
    .name = "fifo",
    .group = BENCH_RAW,
    .order = 11,
    .what = "FIFO (named pipe) opened by name, one each way, write(2) and read(2)",
    .flags = BENCH_F_FANIN | BENCH_F_FANOUT,
    .priv_size = sizeof(struct pipes),
    .setup = fifo_setup,
    .forked = pipe_forked,
    .open = pipe_open,
    .send = pipe_send,
    .recv = pipe_recv,
    .close = pipe_close,
    .teardown = pipe_teardown,
};

BENCH_ROWS(pipe)
{
    bench_register(&pipe_row);
    bench_register(&fifo_row);
}
