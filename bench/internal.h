/* SPDX-License-Identifier: MIT */
/*
 * bench/internal.h: what the harness, the suite and the reports share: the
 * plan of a run, the control block the sides of a run share with the
 * parent, and the results a report prints. Row families do not include it.
 */
#ifndef IPCX_BENCH_INTERNAL_H
#define IPCX_BENCH_INTERNAL_H

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench.h"
#include "row.h"

#define BENCH_MAX_ROWS   256
#define BENCH_MAX_SIZES  12
#define BENCH_MAX_PHASES (BENCH_MAX_SIZES + 1)
#define BENCH_MAX_PROCS  9 /* 8 peers + 1 for fan-in and fan-out */
#define BENCH_MAX_FAN    4 /* 1, 2, 4, 8 */
#define BENCH_MAX_NOTES  4
#define BENCH_MSG_LEN    200
#define BENCH_SETUP_MS   15000 /* extra time for open() and ready() */

/* Byte 0 of every message. */
enum { BENCH_MSG_DATA = 0x00, BENCH_MSG_LAST = 0x4c, BENCH_MSG_STOP = 0x53 };

enum bench_status { BENCH_NOT_RUN = 0, BENCH_OK, BENCH_SKIPPED, BENCH_FAILED };

enum bench_phase_kind { BENCH_PHASE_LATENCY, BENCH_PHASE_STREAM };

struct bench_phase {
    enum bench_phase_kind kind;
    size_t size;
    int64_t budget_ns;
    uint64_t max_msgs;
};

/* One run: a row, its sides, the phases they go through together. */
struct bench_plan {
    const struct bench_row *row;
    int nclients, nservers;
    struct bench_phase phase[BENCH_MAX_PHASES];
    int nphases;
    size_t max_size;
    int timeout_ms;   /* one wait inside a side */
    int64_t limit_ns; /* the whole run, enforced by the parent */
};

/* What one side measured in one phase. */
struct bench_side_result {
    int64_t t_start, t_end; /* CLOCK_MONOTONIC, ns */
    int64_t cpu_ns;         /* CLOCK_PROCESS_CPUTIME_ID spent in the phase */
    uint64_t msgs;          /* sent (client) or received (server) */
    uint64_t lost;          /* gaps in the sequence (lossy rows) */
    /* Latency statistics, kept by client 0. */
    uint64_t samples;
    int64_t p50, p99, p999, min, max;
    double mean;
    int done; /* 1 when the phase completed on this side */
};

/* Shared by the parent and every side of a run (one anonymous mapping). */
struct bench_ctl {
    _Atomic uint32_t bar_count;
    _Atomic uint32_t bar_gen;
    _Atomic uint32_t abort;
    _Atomic uint32_t recv_done[BENCH_MAX_PHASES];
    pid_t pid[BENCH_MAX_PROCS];
    int nclients, nservers;
    _Atomic int failed_phase;                      /* -1: none */
    char fail[BENCH_MAX_PROCS + 1][BENCH_MSG_LEN]; /* the last: the parent */
    int64_t fail_at[BENCH_MAX_PROCS + 1];
    char skip[BENCH_MSG_LEN];
    _Atomic int nnotes;
    char notes[BENCH_MAX_NOTES][BENCH_MSG_LEN];
    struct bench_side_result res[BENCH_MAX_PHASES][BENCH_MAX_PROCS];
};

struct bench_latency {
    enum bench_status status;
    char reason[BENCH_MSG_LEN];
    size_t size;
    uint64_t samples;
    int64_t p50, p99, p999, min, max;
    double mean;
    double cpu_ns; /* per round trip, all processes */
};

struct bench_throughput {
    enum bench_status status;
    char reason[BENCH_MSG_LEN];
    size_t size;
    uint64_t msgs, lost;
    double seconds, msgs_per_s, mb_per_s;
    double cpu_ns; /* per message, all processes */
};

/* Ratios and the wrapper check, filled by bench_compute_ratios(); a value
 * <= 0 means "no ratio" (a side missing). */
struct bench_wrap_check {
    double delta_ns, allowed_ns; /* cost over the wrapped row, and the budget */
    int ok;                      /* 1 within budget, 0 over, -1 not computed */
};

struct bench_result {
    const struct bench_row *row;
    enum bench_status status;
    char reason[BENCH_MSG_LEN];
    int nnotes;
    char notes[BENCH_MAX_NOTES][BENCH_MSG_LEN];
    double seconds;
    struct bench_latency lat;
    struct bench_throughput tput[BENCH_MAX_SIZES];
    struct bench_throughput fanin[BENCH_MAX_FAN], fanout[BENCH_MAX_FAN];
    double lat_vs_pipe, lat_vs_floor;
    double tput_vs_pipe[BENCH_MAX_SIZES], tput_vs_memcpy[BENCH_MAX_SIZES];
    int wraps_index;
    struct bench_wrap_check wrap_lat, wrap_tput[BENCH_MAX_SIZES];
};

struct bench_report {
    const struct bench_opts *opts;
    struct bench_result *res;
    size_t nres;
    size_t sizes[BENCH_MAX_SIZES];
    int nsizes;
    size_t lat_size;
    int fan[BENCH_MAX_FAN];
    int nfan;
    int64_t unit_ms;
    double seconds;
    char started[40];
    char kernel[128];
    char cpu_model[128];
    char clocksource[32];
    int ncpus;
    int cpu[2]; /* where the two sides ran; -1 when not pinned */
    int pipe_index, floor_index, memcpy_index;
};

/* The process-wide state of one `ipcx bench`: signals and placement. */
struct bench_env {
    int sigfd;             /* SIGINT, SIGTERM, SIGHUP, SIGCHLD */
    sigset_t orig_mask;    /* restored in children and spawned programs */
    bool pipe_was_pending; /* SIGPIPE was pending before the run */
    pid_t parent;
    int ncpus; /* CPUs this process may run on */
    int cpus[64];
    bool pin;
    int interrupted;   /* the signal that stopped the run, 0 if none */
    unsigned long seq; /* runs so far (for unique tags) */
};

extern struct bench_env *bench__env;

/* registry.c */
size_t bench__rows(const struct bench_row ***rows);
void bench__register_all(void);

/* harness.c: runs one plan; fills ctl (owned by the caller afterwards, free
 * with bench__ctl_free). Returns 0 when the run completed, BENCH_SKIPPED or
 * BENCH_FAILED status through *status with the reason, or -EINTR when a
 * signal stopped it (env->interrupted says which). */
int bench__run(struct bench_env *env, const struct bench_plan *plan, struct bench_ctl **ctl,
               enum bench_status *status, char *reason, size_t reasonlen);
void bench__ctl_free(struct bench_ctl *ctl);

/* stats.c */
void bench__percentiles(int64_t *samples, uint64_t n, struct bench_side_result *r);

/* ratios.c */
void bench__compute_ratios(struct bench_report *rep);

/* report_*.c */
void bench__print_table(const struct bench_report *rep, FILE *out);
int bench__write_json(const struct bench_report *rep, FILE *out);
int bench__write_html(const struct bench_report *rep, FILE *out);

/* Formatting shared by the reports. */
const char *bench__group_name(enum bench_group g);
const char *bench__status_name(enum bench_status s);
char *bench__fmt_ns(char *buf, size_t n, double ns);
char *bench__fmt_count(char *buf, size_t n, double v);
char *bench__fmt_size(char *buf, size_t n, size_t bytes);

#endif
