/* SPDX-License-Identifier: MIT */
/*
 * ratios.c: every row against the references of the same run. Latency
 * ratios divide p50 round-trip times (row / reference: 2.0 means twice as
 * slow). Throughput ratios divide rates at the same message size (row /
 * reference: 0.5 means half the messages per second, or half the bytes per
 * second against memcpy). A row that wraps a raw mechanism (an ipcx
 * mechanism or transport) is checked against it: the wrapper may cost at
 * most 5% or 200 ns more per round trip, and per message in a stream,
 * whichever is larger.
 */
#include <string.h>

#include "internal.h"

#define WRAP_FRACTION   0.05
#define WRAP_MINIMUM_NS 200.0

static int find(const struct bench_report *rep, const char *name)
{
    for (size_t i = 0; i < rep->nres; i++)
        if (!strcmp(rep->res[i].row->name, name))
            return (int)i;
    return -1;
}

static double lat_ratio(const struct bench_result *r, const struct bench_result *ref)
{
    if (!ref || r->lat.status != BENCH_OK || ref->lat.status != BENCH_OK || ref->lat.p50 <= 0)
        return 0;
    return (double)r->lat.p50 / (double)ref->lat.p50;
}

static double rate_ratio(const struct bench_throughput *t, const struct bench_throughput *ref)
{
    if (t->status != BENCH_OK || ref->status != BENCH_OK || ref->msgs_per_s <= 0)
        return 0;
    return t->msgs_per_s / ref->msgs_per_s;
}

static void wrap_check(struct bench_wrap_check *w, double row_ns, double raw_ns)
{
    w->ok = -1;
    if (row_ns <= 0 || raw_ns <= 0)
        return;
    w->delta_ns = row_ns - raw_ns;
    w->allowed_ns =
        raw_ns * WRAP_FRACTION > WRAP_MINIMUM_NS ? raw_ns * WRAP_FRACTION : WRAP_MINIMUM_NS;
    w->ok = w->delta_ns <= w->allowed_ns;
}

void bench__compute_ratios(struct bench_report *rep)
{
    rep->pipe_index = find(rep, "pipe");
    rep->floor_index = find(rep, "cacheline");
    rep->memcpy_index = find(rep, "memcpy");
    const struct bench_result *pipe = rep->pipe_index >= 0 ? &rep->res[rep->pipe_index] : NULL;
    const struct bench_result *floor = rep->floor_index >= 0 ? &rep->res[rep->floor_index] : NULL;
    const struct bench_result *mcp = rep->memcpy_index >= 0 ? &rep->res[rep->memcpy_index] : NULL;

    for (size_t i = 0; i < rep->nres; i++) {
        struct bench_result *r = &rep->res[i];
        r->lat_vs_pipe = lat_ratio(r, pipe);
        r->lat_vs_floor = lat_ratio(r, floor);
        for (int s = 0; s < rep->nsizes; s++) {
            r->tput_vs_pipe[s] = pipe ? rate_ratio(&r->tput[s], &pipe->tput[s]) : 0;
            r->tput_vs_memcpy[s] = mcp ? rate_ratio(&r->tput[s], &mcp->tput[s]) : 0;
        }
        r->wraps_index = r->row->wraps ? find(rep, r->row->wraps) : -1;
        r->wrap_lat.ok = -1;
        for (int s = 0; s < rep->nsizes; s++)
            r->wrap_tput[s].ok = -1;
        if (r->wraps_index < 0)
            continue;
        const struct bench_result *w = &rep->res[r->wraps_index];
        if (r->lat.status == BENCH_OK && w->lat.status == BENCH_OK)
            wrap_check(&r->wrap_lat, (double)r->lat.p50, (double)w->lat.p50);
        for (int s = 0; s < rep->nsizes; s++) {
            const struct bench_throughput *a = &r->tput[s], *b = &w->tput[s];
            if (a->status == BENCH_OK && b->status == BENCH_OK && a->msgs_per_s > 0 &&
                b->msgs_per_s > 0)
                wrap_check(&r->wrap_tput[s], 1e9 / a->msgs_per_s, 1e9 / b->msgs_per_s);
        }
    }
}
