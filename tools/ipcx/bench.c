/* SPDX-License-Identifier: MIT */
/*
 * bench.c: `ipcx bench`: measures every mechanism, transport and peer
 * library side by side (see bench/bench.h for what it does with processes
 * and signals, and docs/bench.md for the method). This file only reads the
 * options.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

#ifdef IPCX_TOOL_NO_BENCH
int cmd_bench(int argc, char **argv)
{
    fprintf(stderr, "ipcx bench: this ipcx was built without the benchmark "
                    "(IPCX_BUILD_BENCH=OFF)\n");
    return 1;
}
#else
#include "bench.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: ipcx bench [OPTIONS]\n\n"
                 "Measures every IPC mechanism side by side: round-trip latency (p50, p99,\n"
                 "p99.9 at 64 B), one-way throughput (messages/s and MB/s at 64 B, 4 KiB,\n"
                 "64 KiB and 1 MiB), CPU time per message, and ratios against the pipe and\n"
                 "the hardware floor. The table goes to stdout, progress to stderr.\n\n"
                 "options:\n"
                 "  --full              longer runs, more sizes, fan-in/fan-out with 1..8 peers\n"
                 "  --filter SUBSTR     only rows whose name or group contains SUBSTR\n"
                 "                      (repeat, or separate with commas)\n"
                 "  --exclude SUBSTR    leave those rows out (repeat, or commas)\n"
                 "  --list              list the rows (and why any would be skipped) and exit\n"
                 "  --json FILE         also write the results as JSON\n"
                 "  --html FILE         also write a self-contained HTML page with charts\n"
                 "  --budget-ms N       time budget of one measurement (a throughput size;\n"
                 "                      latency gets twice that); default: fit the suite into\n"
                 "                      about 50 s (quick) or 10 min (full)\n"
                 "  --sizes LIST        throughput message sizes in bytes, e.g. 64,4096\n"
                 "  --no-pin            do not pin the two sides to separate CPUs\n"
                 "  -q, --quiet         no progress on stderr\n\n"
                 "Exit status: 0 every row ran or was skipped with a reason, 1 a row failed,\n"
                 "2 bad usage or an output file could not be written.\n");
}

/* Adds each comma-separated item of arg to list. */
static int add_items(char *arg, const char **list, int *n, const char *opt)
{
    for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (*n == BENCH_MAX_FILTERS) {
            fprintf(stderr, "ipcx bench: too many %s items\n", opt);
            return -1;
        }
        list[(*n)++] = tok;
    }
    return 0;
}

static int parse_sizes(char *arg, struct bench_opts *o)
{
    for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(tok, &end, 10);
        if (errno || *end || v == 0 || v > (64ull << 20) || o->nsizes == 12) {
            fprintf(stderr, "ipcx bench: bad size '%s' (1 byte to 64 MiB, at most 12)\n", tok);
            return -1;
        }
        o->sizes[o->nsizes++] = (size_t)v;
    }
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    struct bench_opts o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = !strcmp(a, "--filter") || !strcmp(a, "--exclude") || !strcmp(a, "--json") ||
                     !strcmp(a, "--html") || !strcmp(a, "--budget-ms") || !strcmp(a, "--sizes");
        if (takes && !val) {
            fprintf(stderr, "ipcx bench: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--full")) {
            o.full = true;
        } else if (!strcmp(a, "--list")) {
            o.list = true;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o.quiet = true;
        } else if (!strcmp(a, "--no-pin")) {
            o.no_pin = true;
        } else if (!strcmp(a, "--filter")) {
            if (add_items(val, o.filter, &o.nfilter, a) < 0)
                return 2;
            i++;
        } else if (!strcmp(a, "--exclude")) {
            if (add_items(val, o.exclude, &o.nexclude, a) < 0)
                return 2;
            i++;
        } else if (!strcmp(a, "--json")) {
            o.json_path = val;
            i++;
        } else if (!strcmp(a, "--html")) {
            o.html_path = val;
            i++;
        } else if (!strcmp(a, "--budget-ms")) {
            char *end;
            errno = 0;
            long v = strtol(val, &end, 10);
            if (errno || *end || v < 1 || v > 60000) {
                fprintf(stderr, "ipcx bench: bad --budget-ms '%s' (1 to 60000)\n", val);
                return 2;
            }
            o.budget_ms = (int)v;
            i++;
        } else if (!strcmp(a, "--sizes")) {
            if (parse_sizes(val, &o) < 0)
                return 2;
            i++;
        } else {
            fprintf(stderr, "ipcx bench: unknown option '%s' (see ipcx bench --help)\n", a);
            return 2;
        }
    }
    int rc = bench_main(&o);
    if (rc > 128) {
        /* Interrupted: the benchmark has cleaned up; end the way the signal
         * would have ended us. */
        fflush(NULL);
        raise(rc - 128);
    }
    return rc;
}
#endif
