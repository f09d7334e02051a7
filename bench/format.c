/* SPDX-License-Identifier: MIT */
/*
 * format.c: numbers and names as every report writes them: times with a
 * unit chosen to keep three significant digits, counts with k/M/G, sizes in
 * B, KiB and MiB. MB is 10^6 bytes.
 */
#include <stdio.h>

#include "internal.h"

const char *bench__group_name(enum bench_group g)
{
    switch (g) {
    case BENCH_FLOOR:
        return "floor";
    case BENCH_RAW:
        return "raw";
    case BENCH_IPCX:
        return "ipcx";
    case BENCH_TRANSPORT:
        return "transport";
    case BENCH_PEER:
        return "peer";
    default:
        return "?";
    }
}

const char *bench__status_name(enum bench_status s)
{
    switch (s) {
    case BENCH_OK:
        return "ok";
    case BENCH_SKIPPED:
        return "skipped";
    case BENCH_FAILED:
        return "FAILED";
    default:
        return "not-run";
    }
}

char *bench__fmt_ns(char *buf, size_t n, double ns)
{
    if (ns < 1e3)
        snprintf(buf, n, "%.0f ns", ns);
    else if (ns < 1e4)
        snprintf(buf, n, "%.2f us", ns / 1e3);
    else if (ns < 1e6)
        snprintf(buf, n, "%.1f us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, n, "%.1f ms", ns / 1e6);
    else
        snprintf(buf, n, "%.2f s", ns / 1e9);
    return buf;
}

char *bench__fmt_count(char *buf, size_t n, double v)
{
    if (v < 1e3)
        snprintf(buf, n, "%.0f", v);
    else if (v < 1e6)
        snprintf(buf, n, "%.*fk", v < 1e4 ? 2 : v < 1e5 ? 1 : 0, v / 1e3);
    else if (v < 1e9)
        snprintf(buf, n, "%.*fM", v < 1e7 ? 2 : v < 1e8 ? 1 : 0, v / 1e6);
    else
        snprintf(buf, n, "%.2fG", v / 1e9);
    return buf;
}

char *bench__fmt_size(char *buf, size_t n, size_t bytes)
{
    if (bytes >= 1048576 && bytes % 1048576 == 0)
        snprintf(buf, n, "%zu MiB", bytes / 1048576);
    else if (bytes >= 1024 && bytes % 1024 == 0)
        snprintf(buf, n, "%zu KiB", bytes / 1024);
    else
        snprintf(buf, n, "%zu B", bytes);
    return buf;
}
