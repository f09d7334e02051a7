/* SPDX-License-Identifier: MIT */
/*
 * row_ipcx_pipe.c: ipcx's pipes and FIFOs (ipcx/pipe.h, ipcx/fifo.h), one
 * each way, set up as the raw rows "pipe" and "fifo" that they wrap: the
 * parent makes both, the sides inherit the handles and each keeps its two
 * ends. The FIFOs are created with ipcx_fifo_create() in a private
 * directory, opened by name (reader first, so that the writer's open does
 * not wait) and unlinked at once: nothing stays in the file system. Every
 * call passes the run's timeout, as a program using the library would; the
 * library's writes block SIGPIPE around the write and its reads wait with
 * poll() on a non-blocking description, which is what the wrapper check
 * measures against the plain read(2) and write(2).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ipcx.h>

#include "row.h"

/* The calls on an end: a pipe's or a FIFO's. */
struct end_ops {
    ssize_t (*read)(void *end, void *buf, size_t len, int timeout_ms);
    ssize_t (*write_all)(void *end, const void *buf, size_t len, int timeout_ms);
    void (*close)(void *end);
};

struct ends {
    const struct end_ops *ops;
    void *c2s[2], *s2c[2]; /* [0] read end, [1] write end; NULL when not held */
    void *rd, *wr;         /* this side's */
};

static ssize_t pipe_read(void *end, void *buf, size_t len, int timeout_ms)
{
    return ipcx_pipe_read(end, buf, len, timeout_ms);
}

static ssize_t pipe_write_all(void *end, const void *buf, size_t len, int timeout_ms)
{
    return ipcx_pipe_write_all(end, buf, len, NULL, timeout_ms);
}

static void pipe_close(void *end)
{
    ipcx_pipe_close(end);
}

static ssize_t fifo_read(void *end, void *buf, size_t len, int timeout_ms)
{
    return ipcx_fifo_read(end, buf, len, timeout_ms);
}

static ssize_t fifo_write_all(void *end, const void *buf, size_t len, int timeout_ms)
{
    return ipcx_fifo_write_all(end, buf, len, NULL, timeout_ms);
}

static void fifo_close(void *end)
{
    ipcx_fifo_close(end);
}

static const struct end_ops pipe_ops = {pipe_read, pipe_write_all, pipe_close};
static const struct end_ops fifo_ops = {fifo_read, fifo_write_all, fifo_close};

static void drop(struct ends *e, void **end)
{
    if (*end)
        e->ops->close(*end);
    *end = NULL;
}

static int make_pipe(struct bench_proc *p, void *fds[2])
{
    struct ipcx_pipe *rd, *wr;
    int rc = ipcx_pipe_create(&rd, &wr, NULL);
    if (rc < 0)
        return bench_fail(p, "ipcx_pipe_create: %s", ipcx_strerror(rc));
    fds[0] = rd;
    fds[1] = wr;
    return 0;
}

static int p_setup(struct bench_proc *p)
{
    struct ends *e = p->priv;
    e->ops = &pipe_ops;
    if (make_pipe(p, e->c2s) < 0 || make_pipe(p, e->s2c) < 0)
        return -1;
    return 0;
}

/* Creates, opens (both ends) and unlinks a FIFO in dir. */
static int make_fifo(struct bench_proc *p, const char *dir, const char *name, void *fds[2])
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = ipcx_fifo_create(path, NULL);
    if (rc < 0)
        return bench_fail(p, "ipcx_fifo_create %s: %s", path, ipcx_strerror(rc));
    struct ipcx_fifo *rd = NULL, *wr = NULL;
    rc = ipcx_fifo_open(&rd, path, IPCX_FIFO_READ, p->timeout_ms);
    if (rc == 0)
        rc = ipcx_fifo_open(&wr, path, IPCX_FIFO_WRITE, p->timeout_ms);
    ipcx_fifo_unlink(path);
    fds[0] = rd;
    fds[1] = wr;
    return rc < 0 ? bench_fail(p, "ipcx_fifo_open %s: %s", path, ipcx_strerror(rc)) : 0;
}

static int f_setup(struct bench_proc *p)
{
    struct ends *e = p->priv;
    e->ops = &fifo_ops;
    const char *tmp = getenv("TMPDIR");
    char dir[256];
    snprintf(dir, sizeof dir, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", p->tag);
    if (!mkdtemp(dir))
        return bench_fail(p, "mkdtemp %s: %s", dir, strerror(errno));
    int rc = make_fifo(p, dir, "c2s", e->c2s);
    if (rc == 0)
        rc = make_fifo(p, dir, "s2c", e->s2c);
    rmdir(dir);
    return rc;
}

/* In the parent after fork, and in teardown: only the sides hold the ends,
 * so a side that dies gives its peer end of file or EPIPE at once. */
static void e_forked(struct bench_proc *p)
{
    struct ends *e = p->priv;
    if (!e->ops)
        return;
    for (int i = 0; i < 2; i++) {
        drop(e, &e->c2s[i]);
        drop(e, &e->s2c[i]);
    }
}

static int e_open(struct bench_proc *p)
{
    struct ends *e = p->priv;
    void **out = p->role == BENCH_CLIENT ? e->c2s : e->s2c;
    void **in = p->role == BENCH_CLIENT ? e->s2c : e->c2s;
    e->wr = out[1];
    e->rd = in[0];
    out[1] = in[0] = NULL;
    drop(e, &out[0]);
    drop(e, &in[1]);
    return 0;
}

static int e_send(struct bench_proc *p, void *buf, size_t len)
{
    struct ends *e = p->priv;
    ssize_t n = e->ops->write_all(e->wr, buf, len, p->timeout_ms);
    return n < 0 ? (int)n : 0;
}

static ssize_t e_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct ends *e = p->priv;
    char *b = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = e->ops->read(e->rd, b + got, len - got, p->timeout_ms);
        if (n < 0)
            return n;
        if (n == 0)
            return IPCX_EPIPE; /* the writer is gone */
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static void e_close(struct bench_proc *p)
{
    struct ends *e = p->priv;
    drop(e, &e->rd);
    drop(e, &e->wr);
}

#define END_ROW(nm, ord, raw, text, set)                                                         \
    {                                                                                            \
        .name = nm, .group = BENCH_IPCX, .order = ord, .what = text, .wraps = raw,               \
        .flags = BENCH_F_FANIN | BENCH_F_FANOUT, .priv_size = sizeof(struct ends), .setup = set, \
        .forked = e_forked, .open = e_open, .send = e_send, .recv = e_recv, .close = e_close,    \
        .teardown = e_forked,                                                                    \
    }

/* Fan-in and fan-out share one pipe, as the raw rows do: messages of up to
 * PIPE_BUF bytes stay whole. */
static const struct bench_row rows[] = {
    END_ROW("ipcx-pipe", 110, "pipe", "ipcx_pipe_write_all and ipcx_pipe_read, one pipe each way",
            p_setup),
    END_ROW("ipcx-fifo", 111, "fifo",
            "ipcx_fifo_write_all and ipcx_fifo_read, one FIFO each way (created, opened, unlinked)",
            f_setup),
};

BENCH_ROWS(ipcx_pipe)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        bench_register(&rows[i]);
}
