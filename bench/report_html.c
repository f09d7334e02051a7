/* SPDX-License-Identifier: MIT */
/*
 * report_html.c: the results as one self-contained HTML page: inline CSS
 * and inline SVG, no script, no external file or font, so that it can be
 * mailed or archived as it is. Charts: round-trip latency by row (p50 bar,
 * p99 and p99.9 marks, log scale), throughput by message size (MB/s and
 * messages/s, one line per row, log scale), and fan-in/fan-out in the full
 * suite; then the tables and the notes. Hovering a mark shows its figures
 * (SVG <title>).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Distinct colours for lines; the dash pattern changes every lap. */
static const char *const palette[] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
};
#define NPALETTE (sizeof palette / sizeof palette[0])

static const char *group_colour(enum bench_group g)
{
    switch (g) {
    case BENCH_FLOOR:
        return "#6b7280";
    case BENCH_RAW:
        return "#2563eb";
    case BENCH_IPCX:
        return "#16a34a";
    case BENCH_TRANSPORT:
        return "#0d9488";
    default:
        return "#d97706";
    }
}

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* Decade bounds [lo, hi] (powers of ten) around the values. */
static void decades(double min, double max, double *lo, double *hi)
{
    if (min <= 0)
        min = 1;
    if (max < min)
        max = min;
    *lo = pow(10, floor(log10(min)));
    *hi = pow(10, ceil(log10(max)));
    if (*hi <= *lo)
        *hi = *lo * 10;
}

static double logpos(double v, double lo, double hi, double a, double b)
{
    if (v < lo)
        v = lo;
    return a + (b - a) * (log10(v) - log10(lo)) / (log10(hi) - log10(lo));
}

static const char *ns_label(char *buf, size_t n, double ns)
{
    if (ns >= 1e9)
        snprintf(buf, n, "%g s", ns / 1e9);
    else if (ns >= 1e6)
        snprintf(buf, n, "%g ms", ns / 1e6);
    else if (ns >= 1e3)
        snprintf(buf, n, "%g us", ns / 1e3);
    else
        snprintf(buf, n, "%g ns", ns);
    return buf;
}

/* Axis labels fall on powers of ten: 1, 10, 100, 1k, ... 100G. */
static const char *count_label(char *buf, size_t n, double v)
{
    static const char *const unit[] = {"", "k", "M", "G"};
    int e = (int)floor(log10(v) + 1e-9), u = e / 3;
    if (e < 0 || u > 3)
        snprintf(buf, n, "%g", v);
    else
        snprintf(buf, n, "%g%s", v / pow(10, 3 * u), unit[u]);
    return buf;
}

/* --- latency chart ------------------------------------------------------- */

static void latency_chart(const struct bench_report *rep, FILE *f)
{
    double min = INFINITY, max = 0;
    int n = 0;
    for (size_t i = 0; i < rep->nres; i++) {
        const struct bench_latency *l = &rep->res[i].lat;
        if (l->status != BENCH_OK)
            continue;
        n++;
        min = fmin(min, (double)l->p50);
        max = fmax(max, (double)l->p999);
    }
    fprintf(f, "<h2>Round-trip latency at %zu B</h2>\n", rep->lat_size);
    if (n == 0) {
        fputs("<p>No latency was measured.</p>\n", f);
        return;
    }
    double lo, hi;
    decades(min, max, &lo, &hi);
    const int left = 150, right = 790, top = 30, rowh = 24, width = 960;
    int height = top + n * rowh + 20;
    fprintf(f,
            "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
            "aria-label=\"round-trip latency by row\">\n",
            width, height, width, height);
    char b1[32], b2[32], b3[32];
    for (double d = lo; d <= hi * 1.0001; d *= 10) {
        double x = logpos(d, lo, hi, left, right);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>"
                "<text x=\"%.1f\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">%s</text>\n",
                x, top - 8, x, height - 20, x, top - 12, ns_label(b1, sizeof b1, d));
    }
    int k = 0;
    for (size_t i = 0; i < rep->nres; i++) {
        const struct bench_result *r = &rep->res[i];
        const struct bench_latency *l = &r->lat;
        if (l->status != BENCH_OK)
            continue;
        double y = top + k * rowh + 4;
        double x50 = logpos((double)l->p50, lo, hi, left, right);
        double x99 = logpos((double)l->p99, lo, hi, left, right);
        double x999 = logpos((double)l->p999, lo, hi, left, right);
        fprintf(f, "<g><title>");
        esc(f, r->row->name);
        fprintf(f, ": p50 %s, p99 %s, p99.9 %s (%llu samples at %zu B)</title>\n",
                bench__fmt_ns(b1, sizeof b1, (double)l->p50),
                bench__fmt_ns(b2, sizeof b2, (double)l->p99),
                bench__fmt_ns(b3, sizeof b3, (double)l->p999), (unsigned long long)l->samples,
                l->size);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" class=\"label\" text-anchor=\"end\">", left - 8,
                y + 12);
        esc(f, r->row->name);
        fprintf(f, "</text>");
        fprintf(f,
                "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>"
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"whisker\"/>"
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"whisker\"/>"
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" class=\"p999\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"value\">p50 %s</text></g>\n",
                left, y, x50 - left > 1 ? x50 - left : 1, group_colour(r->row->group), x50, y + 8,
                x99, y + 8, x99, y + 3, x99, y + 13, x999, y + 8, (double)right + 12, y + 12,
                bench__fmt_ns(b1, sizeof b1, (double)l->p50));
        k++;
    }
    fputs("</svg>\n<p class=\"legend\">Bar: p50; line to the tick: p99; dot: p99.9. Colour by "
          "group: ",
          f);
    for (int g = 0; g < BENCH_NGROUPS; g++)
        fprintf(f, "<span style=\"color:%s\">&#9632;</span> %s%s", group_colour(g),
                bench__group_name(g), g + 1 < BENCH_NGROUPS ? ", " : ".</p>\n");
}

/* --- line charts --------------------------------------------------------- */

struct series {
    const char *name;
    double v[BENCH_MAX_SIZES];
    bool ok[BENCH_MAX_SIZES];
};

static void line_chart(FILE *f, const char *title, const char *ylabel, const char *const *xlabels,
                       int nx, const struct series *s, int ns, bool ns_units)
{
    double min = INFINITY, max = 0;
    for (int i = 0; i < ns; i++)
        for (int x = 0; x < nx; x++)
            if (s[i].ok[x] && s[i].v[x] > 0) {
                min = fmin(min, s[i].v[x]);
                max = fmax(max, s[i].v[x]);
            }
    fprintf(f, "<h2>");
    esc(f, title);
    fprintf(f, "</h2>\n");
    if (max <= 0) {
        fputs("<p>Nothing was measured.</p>\n", f);
        return;
    }
    double lo, hi;
    decades(min, max, &lo, &hi);
    const int left = 80, right = 700, top = 20, bottom = 380, width = 960;
    int legend_h = ns * 18 + 30;
    int height = (bottom + 40 > legend_h ? bottom + 40 : legend_h);
    fprintf(f,
            "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
            "aria-label=\"",
            width, height, width, height);
    esc(f, title);
    fprintf(f, "\">\n");
    char b[32];
    for (double d = lo; d <= hi * 1.0001; d *= 10) {
        double y = logpos(d, lo, hi, bottom, top);
        fprintf(f,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
                "<text x=\"%d\" y=\"%.1f\" class=\"axis\" text-anchor=\"end\">%s</text>\n",
                left, y, right, y, left - 6, y + 4,
                ns_units ? ns_label(b, sizeof b, d) : count_label(b, sizeof b, d));
    }
    double step = nx > 1 ? (double)(right - left - 40) / (nx - 1) : 0;
    for (int x = 0; x < nx; x++) {
        double px = left + 20 + x * step;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>"
                "<text x=\"%.1f\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">",
                px, top, px, bottom, px, bottom + 18);
        esc(f, xlabels[x]);
        fputs("</text>\n", f);
    }
    fprintf(f,
            "<text x=\"16\" y=\"%d\" class=\"axis\" transform=\"rotate(-90 16 %d)\" "
            "text-anchor=\"middle\">",
            (top + bottom) / 2, (top + bottom) / 2);
    esc(f, ylabel);
    fputs("</text>\n", f);
    for (int i = 0; i < ns; i++) {
        const char *colour = palette[i % NPALETTE];
        int lap = i / (int)NPALETTE;
        const char *dash = lap == 0   ? ""
                           : lap == 1 ? " stroke-dasharray=\"6 3\""
                                      : " stroke-dasharray=\"2 3\"";
        fprintf(f, "<g><title>");
        esc(f, s[i].name);
        fprintf(f, "</title><polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
                colour, dash);
        for (int x = 0; x < nx; x++)
            if (s[i].ok[x] && s[i].v[x] > 0)
                fprintf(f, "%.1f,%.1f ", left + 20 + x * step,
                        logpos(s[i].v[x], lo, hi, bottom, top));
        fputs("\"/>\n", f);
        for (int x = 0; x < nx; x++) {
            if (!s[i].ok[x] || s[i].v[x] <= 0)
                continue;
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>",
                    left + 20 + x * step, logpos(s[i].v[x], lo, hi, bottom, top), colour);
            esc(f, s[i].name);
            fprintf(f, ", ");
            esc(f, xlabels[x]);
            fprintf(f, ": %s %s</title></circle>\n",
                    ns_units ? ns_label(b, sizeof b, s[i].v[x])
                             : count_label(b, sizeof b, s[i].v[x]),
                    ylabel);
        }
        int ly = top + 10 + i * 18;
        fprintf(f,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"%s/>"
                "<text x=\"%d\" y=\"%d\" class=\"label\">",
                right + 30, ly, right + 55, ly, colour, dash, right + 62, ly + 4);
        esc(f, s[i].name);
        fputs("</text></g>\n", f);
    }
    fputs("</svg>\n", f);
}

static void throughput_charts(const struct bench_report *rep, FILE *f)
{
    static struct series mb[BENCH_MAX_ROWS], msgs[BENCH_MAX_ROWS];
    char labels[BENCH_MAX_SIZES][32];
    const char *xl[BENCH_MAX_SIZES];
    for (int x = 0; x < rep->nsizes; x++) {
        bench__fmt_size(labels[x], sizeof labels[x], rep->sizes[x]);
        xl[x] = labels[x];
    }
    int n = 0;
    for (size_t i = 0; i < rep->nres; i++) {
        const struct bench_result *r = &rep->res[i];
        bool any = false;
        memset(&mb[n], 0, sizeof mb[n]);
        memset(&msgs[n], 0, sizeof msgs[n]);
        mb[n].name = msgs[n].name = r->row->name;
        for (int x = 0; x < rep->nsizes; x++) {
            const struct bench_throughput *t = &r->tput[x];
            if (t->status != BENCH_OK)
                continue;
            mb[n].ok[x] = msgs[n].ok[x] = any = true;
            mb[n].v[x] = t->mb_per_s;
            msgs[n].v[x] = t->msgs_per_s;
        }
        n += any;
    }
    line_chart(f, "One-way throughput by message size: bandwidth", "MB/s", xl, rep->nsizes, mb, n,
               false);
    line_chart(f, "One-way throughput by message size: message rate", "messages/s", xl, rep->nsizes,
               msgs, n, false);
}

static void fan_charts(const struct bench_report *rep, FILE *f)
{
    static struct series in[BENCH_MAX_ROWS], out[BENCH_MAX_ROWS];
    char labels[BENCH_MAX_FAN][32];
    const char *xl[BENCH_MAX_FAN];
    for (int x = 0; x < rep->nfan; x++) {
        snprintf(labels[x], sizeof labels[x], "%d", rep->fan[x]);
        xl[x] = labels[x];
    }
    int nin = 0, nout = 0;
    for (size_t i = 0; i < rep->nres; i++) {
        const struct bench_result *r = &rep->res[i];
        for (int dir = 0; dir < 2; dir++) {
            const struct bench_throughput *t = dir ? r->fanout : r->fanin;
            struct series *s = dir ? &out[nout] : &in[nin];
            memset(s, 0, sizeof *s);
            s->name = r->row->name;
            bool any = false;
            for (int x = 0; x < rep->nfan; x++) {
                if (t[x].status == BENCH_OK) {
                    s->ok[x] = any = true;
                    s->v[x] = t[x].msgs_per_s;
                }
            }
            if (any)
                *(dir ? &nout : &nin) += 1;
        }
    }
    if (nin)
        line_chart(f, "Fan-in: N senders into one receiver (64 B)", "messages/s", xl, rep->nfan, in,
                   nin, false);
    if (nout)
        line_chart(f, "Fan-out: one sender, N receivers sharing the stream (64 B)", "messages/s",
                   xl, rep->nfan, out, nout, false);
}

/* --- tables -------------------------------------------------------------- */

static void td_status(FILE *f, enum bench_status s, const char *reason)
{
    fprintf(f, "<td class=\"na\" title=\"");
    esc(f, reason);
    fprintf(f, "\">%s</td>", s == BENCH_FAILED ? "FAIL" : "&ndash;");
}

static void td_ratio(FILE *f, double v)
{
    if (v <= 0)
        fputs("<td class=\"na\">&ndash;</td>", f);
    else
        fprintf(f, "<td>%.*f</td>", v < 0.01 ? 4 : v < 10 ? 2 : 0, v);
}

static void tables(const struct bench_report *rep, FILE *f)
{
    char b[32], s[32];
    fputs("<h2>Tables</h2>\n<table>\n<tr><th>row</th><th>group</th><th>p50</th><th>p99</th>"
          "<th>p99.9</th><th>samples</th><th>CPU / round trip</th><th>&times; pipe</th>"
          "<th>&times; floor</th><th>wrapper</th></tr>\n",
          f);
    for (size_t i = 0; i < rep->nres; i++) {
        const struct bench_result *r = &rep->res[i];
        const struct bench_latency *l = &r->lat;
        fputs("<tr><td class=\"name\" title=\"", f);
        esc(f, r->row->what);
        fputs("\">", f);
        esc(f, r->row->name);
        fprintf(f, "</td><td>%s</td>", bench__group_name(r->row->group));
        if (r->status == BENCH_SKIPPED) {
            fputs("<td colspan=\"8\" class=\"na\">skipped: ", f);
            esc(f, r->reason);
            fputs("</td></tr>\n", f);
            continue;
        }
        if (l->status != BENCH_OK) {
            for (int k = 0; k < 7; k++)
                td_status(f, k ? BENCH_SKIPPED : l->status, l->reason);
        } else {
            fprintf(f, "<td>%s</td>", bench__fmt_ns(b, sizeof b, (double)l->p50));
            fprintf(f, "<td>%s</td>", bench__fmt_ns(b, sizeof b, (double)l->p99));
            fprintf(f, "<td>%s</td>", bench__fmt_ns(b, sizeof b, (double)l->p999));
            fprintf(f, "<td>%s</td>", bench__fmt_count(b, sizeof b, (double)l->samples));
            fprintf(f, "<td>%s</td>", bench__fmt_ns(b, sizeof b, l->cpu_ns));
            td_ratio(f, r->lat_vs_pipe);
            td_ratio(f, r->lat_vs_floor);
        }
        if (r->wrap_lat.ok >= 0)
            fprintf(f, "<td class=\"%s\">%+.0f ns (budget %.0f ns)</td></tr>\n",
                    r->wrap_lat.ok ? "good" : "bad", r->wrap_lat.delta_ns, r->wrap_lat.allowed_ns);
        else
            fputs("<td class=\"na\">&ndash;</td></tr>\n", f);
    }
    fputs("</table>\n<table>\n<tr><th rowspan=\"2\">row</th>", f);
    for (int x = 0; x < rep->nsizes; x++)
        fprintf(f, "<th colspan=\"4\">%s</th>", bench__fmt_size(s, sizeof s, rep->sizes[x]));
    fputs("</tr>\n<tr>", f);
    for (int x = 0; x < rep->nsizes; x++)
        fputs("<th>msg/s</th><th>MB/s</th><th>CPU/msg</th><th>&times; pipe</th>", f);
    fputs("</tr>\n", f);
    for (size_t i = 0; i < rep->nres; i++) {
        const struct bench_result *r = &rep->res[i];
        fputs("<tr><td class=\"name\">", f);
        esc(f, r->row->name);
        fputs("</td>", f);
        for (int x = 0; x < rep->nsizes; x++) {
            const struct bench_throughput *t = &r->tput[x];
            if (r->status == BENCH_SKIPPED || t->status != BENCH_OK) {
                for (int k = 0; k < 4; k++)
                    td_status(f, r->status == BENCH_SKIPPED ? BENCH_SKIPPED : t->status,
                              r->status == BENCH_SKIPPED ? r->reason : t->reason);
                continue;
            }
            fprintf(f, "<td>%s</td>", bench__fmt_count(b, sizeof b, t->msgs_per_s));
            fprintf(f, "<td>%.*f</td>", t->mb_per_s < 10 ? 2 : 0, t->mb_per_s);
            fprintf(f, "<td>%s</td>", bench__fmt_ns(b, sizeof b, t->cpu_ns));
            td_ratio(f, r->tput_vs_pipe[x]);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void notes(const struct bench_report *rep, FILE *f)
{
    char s[32];
    fputs("<h2>Notes</h2>\n<ul>\n", f);
    for (size_t i = 0; i < rep->nres; i++) {
        const struct bench_result *r = &rep->res[i];
        fputs("<li><b>", f);
        esc(f, r->row->name);
        fputs("</b>: ", f);
        esc(f, r->row->what);
        if (r->status == BENCH_SKIPPED || r->status == BENCH_FAILED) {
            fprintf(f, ". <i>%s:</i> ", r->status == BENCH_SKIPPED ? "skipped" : "failed");
            esc(f, r->reason);
        }
        if (r->status != BENCH_SKIPPED) {
            if (r->lat.status != BENCH_OK && r->lat.reason[0]) {
                fputs(". Latency: ", f);
                esc(f, r->lat.reason);
            }
            for (int x = 0; x < rep->nsizes; x++) {
                const struct bench_throughput *t = &r->tput[x];
                if (t->status == BENCH_OK && t->lost)
                    fprintf(f, ". At %s, %llu of %llu messages were lost",
                            bench__fmt_size(s, sizeof s, t->size), (unsigned long long)t->lost,
                            (unsigned long long)(t->lost + t->msgs));
                else if (t->status != BENCH_OK && t->reason[0] &&
                         (x == 0 || strcmp(t->reason, r->tput[x - 1].reason) != 0)) {
                    fprintf(f, ". From %s: ", bench__fmt_size(s, sizeof s, t->size));
                    esc(f, t->reason);
                }
            }
            for (int k = 0; k < r->nnotes; k++) {
                fputs(". ", f);
                esc(f, r->notes[k]);
            }
        }
        fputs(".</li>\n", f);
    }
    fputs("</ul>\n", f);
}

int bench__write_html(const struct bench_report *rep, FILE *f)
{
    const struct bench_opts *o = rep->opts;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<title>ipcx bench</title>\n<style>\n"
          "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;"
          "max-width:1000px;color:#111;padding:0 1em}\n"
          "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em}\n"
          ".meta{color:#555;font-size:.9em}\n"
          "svg.chart{max-width:100%;height:auto;font-size:12px}\n"
          ".grid{stroke:#ddd;stroke-width:1}.axis{fill:#555}.label{fill:#111}"
          ".value{fill:#333;font-size:11px}\n"
          ".whisker{stroke:#111;stroke-width:1.2}.p999{fill:#111}\n"
          ".legend{font-size:.85em;color:#444}\n"
          "table{border-collapse:collapse;margin:1em 0;font-size:.85em}"
          "td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}"
          "td.name{text-align:left;font-weight:600}th{background:#f4f4f5}"
          ".na{color:#999;text-align:center}.good{color:#15803d}.bad{color:#b91c1c}\n"
          "li{margin:.3em 0}\n</style>\n</head>\n<body>\n<h1>ipcx bench</h1>\n",
          f);
    fprintf(f, "<p class=\"meta\">%s suite, %s; ", o->full ? "Full" : "Quick", rep->started);
    esc(f, rep->kernel);
    fprintf(f, ", %d CPUs ", rep->ncpus);
    esc(f, rep->cpu_model);
    fputs(", clock ", f);
    esc(f, rep->clocksource);
    if (rep->cpu[0] >= 0)
        fprintf(f, "; client on CPU %d, server on CPU %d", rep->cpu[0], rep->cpu[1]);
    else
        fputs("; not pinned", f);
    fprintf(f, "; %lld ms per measurement; %.1f s in all.</p>\n", (long long)rep->unit_ms,
            rep->seconds);
    fputs("<p class=\"meta\">Every row moves the same messages between two processes the same "
          "way: latency is a ping-pong of one message, throughput a one-way stream; CPU time "
          "counts both processes. Ratios divide by the raw pipe and by the hardware floors "
          "(one cache line, one memcpy) of this same run.</p>\n",
          f);
    latency_chart(rep, f);
    throughput_charts(rep, f);
    fan_charts(rep, f);
    tables(rep, f);
    notes(rep, f);
    fputs("</body>\n</html>\n", f);
    return ferror(f) ? -1 : 0;
}
