/* SPDX-License-Identifier: MIT */
/*
 * report_json.c: the results as one JSON document (format "ipcx-bench/1"),
 * for scripts and for comparing runs. Every figure of the table is there,
 * unrounded: times in ns, rates per second, sizes in bytes, MB = 10^6 bytes.
 * A measurement that did not happen has "status" "skipped", "failed" or
 * "not-run" and a "reason" instead of figures. Ratios are null when a side
 * of the ratio is missing.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void num(FILE *f, double v)
{
    if (!isfinite(v))
        fputs("null", f);
    else if (v == floor(v) && fabs(v) < 1e15)
        fprintf(f, "%.0f", v);
    else
        fprintf(f, "%.6g", v);
}

static void ratio(FILE *f, double v)
{
    if (v <= 0)
        fputs("null", f);
    else
        num(f, v);
}

static const char *status(enum bench_status s)
{
    switch (s) {
    case BENCH_OK:
        return "ok";
    case BENCH_SKIPPED:
        return "skipped";
    case BENCH_FAILED:
        return "failed";
    default:
        return "not-run";
    }
}

static void wrap(FILE *f, const struct bench_wrap_check *w)
{
    if (w->ok < 0) {
        fputs("null", f);
        return;
    }
    fputs("{\"delta_ns\": ", f);
    num(f, w->delta_ns);
    fputs(", \"allowed_ns\": ", f);
    num(f, w->allowed_ns);
    fprintf(f, ", \"ok\": %s}", w->ok ? "true" : "false");
}

static void throughput(FILE *f, const struct bench_throughput *t, const char *indent)
{
    fprintf(f, "%s{\"size\": %zu, \"status\": ", indent, t->size);
    str(f, status(t->status));
    if (t->status != BENCH_OK) {
        fputs(", \"reason\": ", f);
        str(f, t->reason);
        fputs("}", f);
        return;
    }
    fprintf(f, ", \"messages\": %llu, \"lost\": %llu, \"seconds\": ", (unsigned long long)t->msgs,
            (unsigned long long)t->lost);
    num(f, t->seconds);
    fputs(", \"msgs_per_s\": ", f);
    num(f, t->msgs_per_s);
    fputs(", \"mb_per_s\": ", f);
    num(f, t->mb_per_s);
    fputs(", \"cpu_ns_per_msg\": ", f);
    num(f, t->cpu_ns);
    fputs("}", f);
}

static void row(FILE *f, const struct bench_report *rep, const struct bench_result *r)
{
    fputs("    {\"name\": ", f);
    str(f, r->row->name);
    fputs(", \"group\": ", f);
    str(f, bench__group_name(r->row->group));
    fputs(", \"what\": ", f);
    str(f, r->row->what);
    fputs(", \"wraps\": ", f);
    str(f, r->row->wraps);
    fputs(",\n     \"status\": ", f);
    str(f, status(r->status));
    fputs(", \"reason\": ", f);
    str(f, r->reason[0] ? r->reason : NULL);
    fputs(", \"seconds\": ", f);
    num(f, r->seconds);
    fputs(", \"notes\": [", f);
    for (int i = 0; i < r->nnotes; i++) {
        if (i)
            fputs(", ", f);
        str(f, r->notes[i]);
    }
    fputs("],\n", f);

    const struct bench_latency *l = &r->lat;
    fputs("     \"latency\": {\"status\": ", f);
    str(f, r->status == BENCH_SKIPPED ? "skipped" : status(l->status));
    if (l->status == BENCH_OK) {
        fprintf(f,
                ", \"size\": %zu, \"samples\": %llu, \"p50_ns\": %lld, \"p99_ns\": %lld, "
                "\"p999_ns\": %lld, \"min_ns\": %lld, \"max_ns\": %lld, \"mean_ns\": ",
                l->size, (unsigned long long)l->samples, (long long)l->p50, (long long)l->p99,
                (long long)l->p999, (long long)l->min, (long long)l->max);
        num(f, l->mean);
        fputs(", \"cpu_ns_per_round_trip\": ", f);
        num(f, l->cpu_ns);
    } else {
        fputs(", \"reason\": ", f);
        str(f, r->status == BENCH_SKIPPED ? r->reason : l->reason);
    }
    fputs("},\n     \"throughput\": [\n", f);
    for (int i = 0; i < rep->nsizes; i++) {
        struct bench_throughput t = r->tput[i];
        if (r->status == BENCH_SKIPPED) {
            t.status = BENCH_SKIPPED;
            snprintf(t.reason, sizeof t.reason, "%s", r->reason);
            t.size = rep->sizes[i];
        }
        throughput(f, &t, "       ");
        fputs(i + 1 < rep->nsizes ? ",\n" : "\n", f);
    }
    fputs("     ],\n     \"ratios\": {\"latency_vs_pipe\": ", f);
    ratio(f, r->lat_vs_pipe);
    fputs(", \"latency_vs_floor\": ", f);
    ratio(f, r->lat_vs_floor);
    fputs(", \"throughput_vs_pipe\": [", f);
    for (int i = 0; i < rep->nsizes; i++) {
        fputs(i ? ", " : "", f);
        ratio(f, r->tput_vs_pipe[i]);
    }
    fputs("], \"throughput_vs_memcpy\": [", f);
    for (int i = 0; i < rep->nsizes; i++) {
        fputs(i ? ", " : "", f);
        ratio(f, r->tput_vs_memcpy[i]);
    }
    fputs("]},\n     \"wrapper\": ", f);
    if (!r->row->wraps) {
        fputs("null", f);
    } else {
        fputs("{\"wraps\": ", f);
        str(f, r->row->wraps);
        fputs(", \"latency\": ", f);
        wrap(f, &r->wrap_lat);
        fputs(", \"throughput\": [", f);
        for (int i = 0; i < rep->nsizes; i++) {
            fputs(i ? ", " : "", f);
            wrap(f, &r->wrap_tput[i]);
        }
        fputs("]}", f);
    }
    if (rep->nfan > 0 && (r->fanin[0].size || r->fanout[0].size)) {
        for (int dir = 0; dir < 2; dir++) {
            const struct bench_throughput *t = dir ? r->fanout : r->fanin;
            fprintf(f, ",\n     \"%s\": [", dir ? "fan_out" : "fan_in");
            if (t[0].size) {
                for (int i = 0; i < rep->nfan; i++) {
                    fprintf(f, "%s\n       {\"peers\": %d, \"result\": ", i ? "," : "",
                            rep->fan[i]);
                    throughput(f, &t[i], "");
                    fputs("}", f);
                }
            }
            fputs("]", f);
        }
    }
    fputs("}", f);
}

int bench__write_json(const struct bench_report *rep, FILE *f)
{
    const struct bench_opts *o = rep->opts;
    fputs("{\n  \"format\": \"ipcx-bench/1\",\n  \"suite\": ", f);
    str(f, o->full ? "full" : "quick");
    fputs(",\n  \"started\": ", f);
    str(f, rep->started);
    fputs(",\n  \"seconds\": ", f);
    num(f, rep->seconds);
    fputs(",\n  \"system\": {\"kernel\": ", f);
    str(f, rep->kernel);
    fputs(", \"cpu_model\": ", f);
    str(f, rep->cpu_model);
    fprintf(f, ", \"cpus\": %d, \"clocksource\": ", rep->ncpus);
    str(f, rep->clocksource);
    fputs(", \"client_cpu\": ", f);
    if (rep->cpu[0] >= 0)
        fprintf(f, "%d, \"server_cpu\": %d", rep->cpu[0], rep->cpu[1]);
    else
        fputs("null, \"server_cpu\": null", f);
    fprintf(f, "},\n  \"settings\": {\"unit_ms\": %lld, \"latency_size\": %zu, \"sizes\": [",
            (long long)rep->unit_ms, rep->lat_size);
    for (int i = 0; i < rep->nsizes; i++)
        fprintf(f, "%s%zu", i ? ", " : "", rep->sizes[i]);
    fputs("], \"fan_peers\": [", f);
    for (int i = 0; i < rep->nfan; i++)
        fprintf(f, "%s%d", i ? ", " : "", rep->fan[i]);
    fputs("]},\n  \"references\": {\"pipe\": ", f);
    str(f, rep->pipe_index >= 0 ? "pipe" : NULL);
    fputs(", \"latency_floor\": ", f);
    str(f, rep->floor_index >= 0 ? "cacheline" : NULL);
    fputs(", \"throughput_floor\": ", f);
    str(f, rep->memcpy_index >= 0 ? "memcpy" : NULL);
    fputs("},\n  \"rows\": [\n", f);
    for (size_t i = 0; i < rep->nres; i++) {
        row(f, rep, &rep->res[i]);
        fputs(i + 1 < rep->nres ? ",\n" : "\n", f);
    }
    fputs("  ]\n}\n", f);
    return ferror(f) ? -1 : 0;
}
