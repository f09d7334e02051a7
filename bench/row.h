/* SPDX-License-Identifier: MIT */
/*
 * bench/row.h: what a row family sees. A row is one thing measured (a raw
 * kernel mechanism, a peer library, an ipcx transport); a family is one file,
 * bench/row_<family>.c, that describes its rows with struct bench_row and
 * registers them from BENCH_ROWS(<family>) { ... }. The build finds the file
 * by its name and calls that function at start-up: adding a family touches no
 * other file.
 *
 * The harness does the measuring; a row only moves messages. For each run the
 * harness calls, in order:
 *   setup()     in the parent, before fork: create what both sides inherit
 *               (descriptors, queues) and pick names;
 *   forked()    in the parent, once the sides exist: drop the parent's copies;
 *   open()      in each side: servers first, then clients (bind before
 *               connect);
 *   ready()     in each side, once every side has opened (wait for a
 *               subscription, a connection...);
 *   send()/recv() the hot path, many times;
 *   close()     in each side;
 *   teardown()  in the parent, after every side is reaped, also after a
 *               failure or an interrupt, and after a setup() that failed
 *               half-way (so setup() marks what it has not made yet, e.g.
 *               descriptors at -1): remove every name it created.
 * Every callback but send/recv may be NULL. Rows of the ipcx groups use the
 * public API (<ipcx.h>; the bench library links libipcx) and set `wraps`.
 *
 * Roles: the client sends first (latency: it sends a message and waits for
 * the echo; throughput: it streams), the server echoes or receives. Byte 0 of
 * every message belongs to the harness (data / last / stop), byte 1 names the
 * phase, bytes 8..15 carry a sequence number when the message is at least 16
 * bytes; a row carries all bytes unchanged (or, below its limit(), as many
 * as it can).
 *
 * Errors: callbacks return 0 (or a count) or a negative errno value; for a
 * message worth reading, bench_fail() records one and returns -1. A send or
 * recv that timed out returns -EAGAIN or -ETIMEDOUT. Rows use the plain
 * system calls a program would use; where a timed variant costs nothing
 * extra (SO_RCVTIMEO, sigtimedwait) they use it with p->timeout_ms, and the
 * harness bounds every run with a deadline anyway (it kills the sides).
 */
#ifndef IPCX_BENCH_ROW_H
#define IPCX_BENCH_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Row groups, in the order the report shows them. */
enum bench_group {
    BENCH_FLOOR,     /* the hardware's limits: cache-line ping-pong, memcpy */
    BENCH_RAW,       /* kernel mechanisms through the plain system calls */
    BENCH_IPCX,      /* ipcx mechanism families through the library */
    BENCH_TRANSPORT, /* ipcx transports through the channel API */
    BENCH_PEER,      /* other libraries, when installed */
    BENCH_NGROUPS
};

enum bench_role {
    BENCH_PARENT = -1,
    BENCH_CLIENT = 0,
    BENCH_SERVER = 1,
};

/* Row flags. */
/* Datagrams that may be dropped (UDP): the receiver stops when the stream's
 * sender is done and nothing more arrives, and the report counts losses. */
#define BENCH_F_LOSSY 0x01u
/* Several clients may share the client's endpoint (fan-in: N senders into
 * one receiver), each message arriving whole. */
#define BENCH_F_FANIN 0x02u
/* Several servers may share the server's endpoint (fan-out: N receivers
 * taking turns on one stream), each message arriving whole. */
#define BENCH_F_FANOUT 0x04u
/* No round-trip latency (memcpy). */
#define BENCH_F_NO_LATENCY 0x08u
/* No one-way throughput (the cache-line and wake-up-only rows). */
#define BENCH_F_NO_THROUGHPUT 0x10u

/* The sides end with exit() instead of _exit(), so that the library's
 * static destructors run (iceoryx unregisters from its daemon that way). */
#define BENCH_F_EXIT 0x20u

/* Bytes a row may write in front of a message buffer (a System V mtype). */
#define BENCH_HEADROOM 64

struct bench_ctl;
struct bench_row;

/* One process of a run, as the row's callbacks see it. */
struct bench_proc {
    const struct bench_row *row;
    /* row->priv_size zeroed bytes: in the parent for setup/teardown, then a
     * private copy in each side (fork copies it). */
    void *priv;
    /* row->shared_size zeroed bytes in a mapping shared by the parent and
     * every side (MAP_SHARED | MAP_ANONYMOUS, 64-byte aligned). */
    void *shared;
    int role;     /* enum bench_role */
    int index;    /* 0.. among the sides of the same role */
    int nclients; /* sides of each role in this run (1, or N for fan) */
    int nservers;
    size_t max_size; /* largest message of the run; buffers hold this much */
    int timeout_ms;  /* bound for one wait inside a callback */
    const char *tag; /* unique in this machine: use it to name objects */
    struct bench_ctl *ctl;
};

struct bench_row {
    const char *name; /* short, unique: "pipe", "unix-stream", "zmq-ipc" */
    enum bench_group group;
    int order;        /* position in the group (ascending) */
    const char *what; /* one line: what exactly is measured */
    /* For an ipcx row: the name of the raw row it wraps (the report
     * checks the wrapper's cost against it); NULL otherwise. */
    const char *wraps;
    unsigned flags; /* BENCH_F_* */
    /* With BENCH_F_NO_LATENCY / BENCH_F_NO_THROUGHPUT: why, for the report. */
    const char *why_no_latency;
    const char *why_no_stream;
    size_t priv_size;
    size_t shared_size;

    /* NULL when the row can run here, else why not ("libzmq not found at
     * build time"); called in the parent. */
    const char *(*available)(void);
    /* The largest message the row carries on this system (0: no limit),
     * with the reason written into why ("mq msgsize_max 8192"). */
    size_t (*limit)(char *why, size_t whylen);

    int (*setup)(struct bench_proc *p);
    void (*forked)(struct bench_proc *p);
    int (*open)(struct bench_proc *p);
    int (*ready)(struct bench_proc *p);
    /* Sends one message of len bytes (buf has BENCH_HEADROOM bytes in front
     * of it). Returns 0 or a negative code. */
    int (*send)(struct bench_proc *p, void *buf, size_t len);
    /* Receives one message of len bytes into buf (which holds
     * p->max_size bytes and has BENCH_HEADROOM in front); a byte stream
     * reads exactly len bytes. Returns the length received or a negative
     * code. */
    ssize_t (*recv)(struct bench_proc *p, void *buf, size_t len);
    void (*close)(struct bench_proc *p);
    void (*teardown)(struct bench_proc *p);

    /* Optional: replaces the harness's stream loop (memcpy). Called on both
     * sides for each size; runs until max_msgs or budget_ns, whichever comes
     * first, and stores the messages moved. Returns 0 or a negative code. */
    int (*stream)(struct bench_proc *p, size_t size, int64_t budget_ns, uint64_t max_msgs,
                  uint64_t *msgs);
};

/* Registers a row (a static object that outlives the run). */
void bench_register(const struct bench_row *row);

/* Defines the function the build calls to register the family's rows. */
#define BENCH_ROWS(family)          \
    void bench_rows_##family(void); \
    void bench_rows_##family(void)

/* CLOCK_MONOTONIC in ns. */
int64_t bench_now_ns(void);

/* Records why this process's part of the run failed; returns -1. */
int bench_fail(struct bench_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* In setup(): records why the row is skipped on this system; returns
 * -1 (the run is then reported as skipped, not failed). */
int bench_skip(struct bench_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A note the report shows next to the row ("TCP_NODELAY set"); parent or
 * side, at most a few per row. */
void bench_note(struct bench_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The pid of the side with that role and index. Valid in a client's open()
 * and from ready() on (a server opens before every side has started). */
pid_t bench_peer_pid(const struct bench_proc *p, int role, int index);

/*
 * Starts a program (a daemon a peer library needs) from the parent: its
 * signal mask is the one the tool started with, it gets SIGTERM if the tool
 * dies, its stdout and stderr go to out_fd (or /dev/null when out_fd < 0).
 * Returns its pid or a negative code. Stop it with bench_stop().
 */
pid_t bench_spawn(const char *const argv[], int out_fd);

/* Sends SIGTERM to pid, waits up to timeout_ms for it to end, then kills it
 * with SIGKILL; always reaps it. Returns its wait status or a negative code. */
int bench_stop(pid_t pid, int timeout_ms);

/* Reads a number from a /proc file; returns fallback when it cannot. */
long bench_read_proc_long(const char *path, long fallback);

#endif
