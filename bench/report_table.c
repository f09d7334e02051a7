/* SPDX-License-Identifier: MIT */
/*
 * report_table.c: the plain-text report on stdout: a header naming the
 * machine and the settings, then one table per measure with the same rows in
 * the same order (latency, throughput, CPU per message, ratios, and fan-in /
 * fan-out in the full suite), then notes that say why any cell is empty.
 * "-" means not applicable or skipped (the notes say why), "FAIL" that the
 * measurement failed.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define NAME_W 20

static const char *cell_status(enum bench_status s)
{
    return s == BENCH_FAILED ? "FAIL" : "-";
}

static void header(const struct bench_report *rep, FILE *out)
{
    const struct bench_opts *o = rep->opts;
    fprintf(out, "ipcx bench: %s suite, %s\n", o->full ? "full" : "quick", rep->started);
    fprintf(out, "system: %s, %d CPUs%s%s, clock %s\n", rep->kernel, rep->ncpus,
            rep->cpu_model[0] ? " " : "", rep->cpu_model, rep->clocksource);
    if (rep->cpu[0] >= 0)
        fprintf(out, "placement: client on CPU %d, server on CPU %d (one process each)\n",
                rep->cpu[0], rep->cpu[1]);
    else
        fprintf(out, "placement: not pinned (fewer than 2 CPUs or --no-pin)\n");
    fprintf(out, "budget: %lld ms per throughput size, %lld ms per latency run; %.1f s in all\n",
            (long long)rep->unit_ms, (long long)rep->unit_ms * 2, rep->seconds);
}

static void print_ratio(FILE *out, double v, int width)
{
    if (v <= 0)
        fprintf(out, " %*s", width, "-");
    else if (v < 0.01)
        fprintf(out, " %*.4f", width, v);
    else if (v < 10)
        fprintf(out, " %*.2f", width, v);
    else
        fprintf(out, " %*.0f", width, v);
}

static void latency_table(const struct bench_report *rep, FILE *out)
{
    char a[32], b[32], c[32], d[32], e[32];
    fprintf(out,
            "\nRound-trip latency at %zu B (x pipe, x floor: p50 over the pipe's and the "
            "cache line's; lower is faster)\n",
            rep->lat_size);
    fprintf(out, "%-*s %-9s %9s %9s %9s %8s %9s %7s %7s  %s\n", NAME_W, "row", "group", "p50",
            "p99", "p99.9", "samples", "cpu/rt", "x pipe", "x floor", "wrapper");
    for (size_t i = 0; i < rep->nres; i++) {
        const struct bench_result *r = &rep->res[i];
        const struct bench_latency *l = &r->lat;
        fprintf(out, "%-*s %-9s", NAME_W, r->row->name, bench__group_name(r->row->group));
        if (r->status == BENCH_SKIPPED) {
            fprintf(out, " skipped: %.60s\n", r->reason);
            continue;
        }
        if (l->status != BENCH_OK) {
            fprintf(out, " %9s %9s %9s %8s %9s %7s %7s\n", cell_status(l->status), "-", "-", "-",
                    "-", "-", "-");
            continue;
        }
        fprintf(out, " %9s %9s %9s %8s %9s", bench__fmt_ns(a, sizeof a, (double)l->p50),
                bench__fmt_ns(b, sizeof b, (double)l->p99),
                bench__fmt_ns(c, sizeof c, (double)l->p999),
                bench__fmt_count(d, sizeof d, (double)l->samples),
                bench__fmt_ns(e, sizeof e, l->cpu_ns));
        print_ratio(out, r->lat_vs_pipe, 7);
        print_ratio(out, r->lat_vs_floor, 7);
        if (r->wrap_lat.ok >= 0)
            fprintf(out, "  %+.0f ns %s", r->wrap_lat.delta_ns, r->wrap_lat.ok ? "ok" : "OVER");
        else if (r->row->wraps)
            fprintf(out, "  vs %s: -", r->row->wraps);
        fprintf(out, "\n");
    }
}

static void size_header(const struct bench_report *rep, FILE *out, int per, int width)
{
    char s[32];
    fprintf(out, "%-*s", NAME_W, "");
    for (int i = 0; i < rep->nsizes; i++)
        fprintf(out, " %*s", per * (width + 1) - 1, bench__fmt_size(s, sizeof s, rep->sizes[i]));
    fprintf(out, "\n");
}

static void throughput_table(const struct bench_report *rep, FILE *out)
{
    char a[32];
    fprintf(out, "\nOne-way throughput (messages/s and MB/s, MB = 10^6 bytes)\n");
    size_header(rep, out, 2, 7);
    fprintf(out, "%-*s", NAME_W, "row");
    for (int i = 0; i < rep->nsizes; i++)
        fprintf(out, " %7s %7s", "msg/s", "MB/s");
    fprintf(out, "\n");
    for (size_t i = 0; i < rep->nres; i++) {
        const struct bench_result *r = &rep->res[i];
        fprintf(out, "%-*s", NAME_W, r->row->name);
        for (int s = 0; s < rep->nsizes; s++) {
            const struct bench_throughput *t = &r->tput[s];
            if (r->status == BENCH_SKIPPED || t->status != BENCH_OK) {
                const char *c = r->status == BENCH_SKIPPED ? "-" : cell_status(t->status);
                fprintf(out, " %7s %7s", c, "-");
                continue;
            }
            fprintf(out, " %7s", bench__fmt_count(a, sizeof a, t->msgs_per_s));
            if (t->mb_per_s < 10)
                fprintf(out, " %7.2f", t->mb_per_s);
            else
                fprintf(out, " %7.0f", t->mb_per_s);
        }
        fprintf(out, "\n");
    }
}

static void cpu_table(const struct bench_report *rep, FILE *out)
{
    char a[32];
    fprintf(out, "\nCPU time per message (both processes together, one-way stream)\n");
    size_header(rep, out, 1, 9);
    fprintf(out, "%-*s", NAME_W, "row");
    for (int i = 0; i < rep->nsizes; i++)
        fprintf(out, " %9s", "cpu/msg");
    fprintf(out, "\n");
    for (size_t i = 0; i < rep->nres; i++) {
        const struct bench_result *r = &rep->res[i];
        fprintf(out, "%-*s", NAME_W, r->row->name);
        for (int s = 0; s < rep->nsizes; s++) {
            const struct bench_throughput *t = &r->tput[s];
            if (r->status == BENCH_SKIPPED || t->status != BENCH_OK)
                fprintf(out, " %9s", r->status == BENCH_SKIPPED ? "-" : cell_status(t->status));
            else
                fprintf(out, " %9s", bench__fmt_ns(a, sizeof a, t->cpu_ns));
        }
        fprintf(out, "\n");
    }
}

static void ratio_table(const struct bench_report *rep, FILE *out)
{
    char s[32];
    fprintf(out, "\nThroughput ratios (x pipe: messages/s over the pipe's; x memcpy: bytes/s over "
                 "one thread's memcpy; higher is faster)\n");
    fprintf(out, "%-*s", NAME_W, "");
    for (int i = 0; i < rep->nsizes; i++)
        fprintf(out, " %7s", bench__fmt_size(s, sizeof s, rep->sizes[i]));
    fprintf(out, " ");
    for (int i = 0; i < rep->nsizes; i++)
        fprintf(out, " %8s", bench__fmt_size(s, sizeof s, rep->sizes[i]));
    fprintf(out, "\n%-*s", NAME_W, "row");
    for (int i = 0; i < rep->nsizes; i++)
        fprintf(out, " %7s", "x pipe");
    fprintf(out, " ");
    for (int i = 0; i < rep->nsizes; i++)
        fprintf(out, " %8s", "x memcpy");
    fprintf(out, "  wrapper\n");
    for (size_t i = 0; i < rep->nres; i++) {
        const struct bench_result *r = &rep->res[i];
        fprintf(out, "%-*s", NAME_W, r->row->name);
        for (int k = 0; k < rep->nsizes; k++)
            print_ratio(out, r->tput_vs_pipe[k], 7);
        fprintf(out, " ");
        for (int k = 0; k < rep->nsizes; k++)
            print_ratio(out, r->tput_vs_memcpy[k], 8);
        int checked = 0, over = -1;
        for (int k = 0; k < rep->nsizes; k++) {
            if (r->wrap_tput[k].ok >= 0)
                checked++;
            if (r->wrap_tput[k].ok == 0 && over < 0)
                over = k;
        }
        if (over >= 0)
            fprintf(out, "  OVER at %s", bench__fmt_size(s, sizeof s, rep->sizes[over]));
        else if (checked)
            fprintf(out, "  ok");
        fprintf(out, "\n");
    }
}

static void fan_table(const struct bench_report *rep, FILE *out)
{
    char a[32];
    bool any = false;
    for (size_t i = 0; i < rep->nres; i++)
        any |= rep->res[i].fanin[0].size || rep->res[i].fanout[0].size;
    if (!any)
        return;
    fprintf(out, "\nFan-in (N senders, one receiver) and fan-out (one sender, N receivers "
                 "sharing the stream): messages/s at 64 B\n");
    fprintf(out, "%-*s", NAME_W, "row");
    for (int dir = 0; dir < 2; dir++) {
        for (int i = 0; i < rep->nfan; i++) {
            char label[16];
            snprintf(label, sizeof label, "%s x%d", dir ? "out" : "in", rep->fan[i]);
            fprintf(out, " %8s", label);
        }
    }
    fprintf(out, "\n");
    for (size_t i = 0; i < rep->nres; i++) {
        const struct bench_result *r = &rep->res[i];
        if (!r->fanin[0].size && !r->fanout[0].size)
            continue;
        fprintf(out, "%-*s", NAME_W, r->row->name);
        for (int dir = 0; dir < 2; dir++) {
            const struct bench_throughput *t = dir ? r->fanout : r->fanin;
            for (int k = 0; k < rep->nfan; k++) {
                if (t[k].status == BENCH_OK)
                    fprintf(out, " %8s", bench__fmt_count(a, sizeof a, t[k].msgs_per_s));
                else
                    fprintf(out, " %8s", t[k].size ? cell_status(t[k].status) : "-");
            }
        }
        fprintf(out, "\n");
    }
}

/* Prints "what: reason" once for a run of sizes that share the reason. */
static void size_notes(const struct bench_report *rep, const struct bench_result *r, FILE *out,
                       bool *named)
{
    bool used[BENCH_MAX_SIZES] = {0};
    char s[32];
    for (int i = 0; i < rep->nsizes; i++) {
        const struct bench_throughput *t = &r->tput[i];
        if (used[i] || t->status == BENCH_OK || t->status == BENCH_NOT_RUN || !t->reason[0])
            continue;
        if (!*named) {
            fprintf(out, "  %s:\n", r->row->name);
            *named = true;
        }
        fprintf(out, "    throughput at %s", bench__fmt_size(s, sizeof s, t->size));
        for (int j = i + 1; j < rep->nsizes; j++) {
            if (!used[j] && r->tput[j].status == t->status &&
                !strcmp(r->tput[j].reason, t->reason)) {
                used[j] = true;
                fprintf(out, ", %s", bench__fmt_size(s, sizeof s, r->tput[j].size));
            }
        }
        fprintf(out, ": %s%s\n", t->status == BENCH_FAILED ? "failed: " : "", t->reason);
    }
}

static void notes(const struct bench_report *rep, FILE *out)
{
    fprintf(out, "\nNotes\n");
    for (size_t i = 0; i < rep->nres; i++) {
        const struct bench_result *r = &rep->res[i];
        bool named = false;
        if (r->status == BENCH_SKIPPED || r->status == BENCH_FAILED) {
            fprintf(out, "  %s: %s: %s\n", r->row->name,
                    r->status == BENCH_SKIPPED ? "skipped" : "FAILED", r->reason);
            if (r->status == BENCH_SKIPPED)
                continue;
            named = true;
        }
        if (r->lat.status != BENCH_OK && r->lat.reason[0] && r->lat.status != BENCH_FAILED) {
            if (!named)
                fprintf(out, "  %s:\n", r->row->name);
            named = true;
            fprintf(out, "    latency: %s\n", r->lat.reason);
        }
        size_notes(rep, r, out, &named);
        for (int k = 0; k < rep->nsizes; k++) {
            const struct bench_throughput *t = &r->tput[k];
            if (t->status != BENCH_OK || !t->lost)
                continue;
            if (!named)
                fprintf(out, "  %s:\n", r->row->name);
            named = true;
            char s[32];
            fprintf(out, "    throughput at %s: %llu of %llu messages lost (%.1f%%), not counted\n",
                    bench__fmt_size(s, sizeof s, t->size), (unsigned long long)t->lost,
                    (unsigned long long)(t->lost + t->msgs),
                    100.0 * (double)t->lost / (double)(t->lost + t->msgs));
        }
        for (int k = 0; k < r->nnotes; k++) {
            if (!named)
                fprintf(out, "  %s:\n", r->row->name);
            named = true;
            fprintf(out, "    %s\n", r->notes[k]);
        }
    }
}

void bench__print_table(const struct bench_report *rep, FILE *out)
{
    header(rep, out);
    latency_table(rep, out);
    throughput_table(rep, out);
    cpu_table(rep, out);
    ratio_table(rep, out);
    fan_table(rep, out);
    notes(rep, out);
}
