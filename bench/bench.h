/* SPDX-License-Identifier: MIT */
/*
 * bench/bench.h: the benchmark as the ipcx tool drives it. bench_main()
 * measures the selected rows (see row.h) side by side and writes the table to
 * stdout, progress to stderr, and optionally JSON and an HTML page.
 *
 * It runs each measurement in child processes it forks, pinned to separate
 * CPUs when there are two or more; it blocks SIGINT, SIGTERM, SIGHUP and
 * SIGCHLD in the calling thread while it runs and reads them from a
 * signalfd, so that an interrupt ends the children, removes every name a row
 * created and returns. Not thread-safe; call it from a single-threaded
 * process.
 */
#ifndef IPCX_BENCH_H
#define IPCX_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_MAX_FILTERS 16

struct bench_opts {
    bool full;                             /* longer runs, more sizes, fan-in/fan-out */
    bool list;                             /* list the rows and exit */
    bool quiet;                            /* no progress on stderr */
    bool no_pin;                           /* do not pin the sides to CPUs */
    const char *filter[BENCH_MAX_FILTERS]; /* keep rows whose name or group
                                              contains one of these */
    int nfilter;
    const char *exclude[BENCH_MAX_FILTERS]; /* then drop these */
    int nexclude;
    const char *json_path; /* NULL: no JSON */
    const char *html_path; /* NULL: no HTML */
    /* Time budget of one measurement unit in ms (a latency phase is two
     * units, a throughput size one); 0: chosen so the suite takes about
     * target_s. */
    int budget_ms;
    int target_s;     /* 0: 50 s quick, 600 s full */
    size_t sizes[12]; /* throughput sizes; nsizes 0 means the suite's */
    int nsizes;
};

/*
 * Runs the benchmark. Returns 0 when every selected row ran or was skipped
 * with a reason, 1 when a row failed (the report still shows the rest), 2
 * when an output file could not be written, or 128 + the signal number when
 * an interrupt stopped it (after cleaning up; the caller may re-raise it).
 */
int bench_main(const struct bench_opts *opts);

#endif
