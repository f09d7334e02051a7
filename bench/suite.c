/* SPDX-License-Identifier: MIT */
/*
 * suite.c: the whole benchmark: picks the rows, sizes the time budgets so
 * that the quick suite stays near its target, runs every row (its main run
 * with the latency and throughput phases, then in the full suite its fan-in
 * and fan-out runs), turns what the sides left in the control block into
 * results, and hands them to the reports. Progress goes to stderr, one line
 * per row.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static const size_t quick_sizes[] = {64, 4096, 65536, 1048576};
static const size_t full_sizes[] = {16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576};
static const int fan_peers[] = {1, 2, 4, 8};

#define LAT_SIZE          64
#define FAN_SIZE          64
#define RUN_OVERHEAD_MS   120 /* fork, set-up, barriers: per run, estimated */
#define QUICK_TARGET_S    50
#define FULL_TARGET_S     600
#define QUICK_MAX_UNIT_MS 400
#define FULL_MAX_UNIT_MS  3000
#define MIN_UNIT_MS       2
#define QUICK_MAX_SAMPLES 500000
#define FULL_MAX_SAMPLES  2000000

/* --- selection ----------------------------------------------------------- */

static bool matches(const struct bench_row *row, const char *pat)
{
    return strstr(row->name, pat) || strstr(bench__group_name(row->group), pat);
}

static bool selected(const struct bench_opts *o, const struct bench_row *row)
{
    bool keep = o->nfilter == 0;
    for (int i = 0; i < o->nfilter && !keep; i++)
        keep = matches(row, o->filter[i]);
    for (int i = 0; i < o->nexclude && keep; i++)
        keep = !matches(row, o->exclude[i]);
    return keep;
}

static void list_rows(const struct bench_opts *o, const struct bench_row **rows, size_t n)
{
    printf("%-20s %-10s %s\n", "row", "group", "what it measures (and why it would be skipped)");
    for (size_t i = 0; i < n; i++) {
        if (!selected(o, rows[i]))
            continue;
        const char *why = rows[i]->available ? rows[i]->available() : NULL;
        printf("%-20s %-10s %s%s%s%s\n", rows[i]->name, bench__group_name(rows[i]->group),
               rows[i]->what, why ? " [skipped: " : "", why ? why : "", why ? "]" : "");
    }
}

/* --- the process-wide environment ---------------------------------------- */

static int env_init(struct bench_env *e, bool pin)
{
    memset(e, 0, sizeof *e);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGCHLD);
    /* SIGPIPE too, but not through the signalfd: a closed stderr must not
     * kill the benchmark before it has cleaned up (env_fini consumes it). */
    sigset_t with_pipe = block;
    sigaddset(&with_pipe, SIGPIPE);
    if (sigprocmask(SIG_BLOCK, &with_pipe, &e->orig_mask) != 0)
        return -errno;
    sigset_t pending;
    sigpending(&pending);
    e->pipe_was_pending = sigismember(&pending, SIGPIPE);
    e->sigfd = signalfd(-1, &block, SFD_NONBLOCK | SFD_CLOEXEC);
    if (e->sigfd < 0) {
        int err = errno;
        sigprocmask(SIG_SETMASK, &e->orig_mask, NULL);
        return -err;
    }
    e->parent = getpid();
    e->pin = pin;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        for (int c = 0; c < CPU_SETSIZE && e->ncpus < 64; c++)
            if (CPU_ISSET(c, &set))
                e->cpus[e->ncpus++] = c;
    }
    bench__env = e;
    return 0;
}

/* A signal that arrived between runs; 0 if none. */
static int pending_stop(struct bench_env *e)
{
    struct signalfd_siginfo si;
    int stop = 0;
    while (read(e->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        if (si.ssi_signo != SIGCHLD && !stop)
            stop = (int)si.ssi_signo;
    return stop;
}

static void env_fini(struct bench_env *e)
{
    sigset_t pending, pipe;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) && !e->pipe_was_pending) {
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe, NULL, &zero);
    }
    close(e->sigfd);
    sigprocmask(SIG_SETMASK, &e->orig_mask, NULL);
    bench__env = NULL;
}

static void system_info(struct bench_report *rep, const struct bench_env *env)
{
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(rep->kernel, sizeof rep->kernel, "%.20s %.64s %.20s", u.sysname, u.release,
                 u.machine);
    FILE *f = fopen("/proc/cpuinfo", "re");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            if (!strncmp(line, "model name", 10)) {
                char *v = strchr(line, ':');
                if (v) {
                    v += 1 + (v[1] == ' ');
                    v[strcspn(v, "\n")] = '\0';
                    snprintf(rep->cpu_model, sizeof rep->cpu_model, "%s", v);
                }
                break;
            }
        }
        fclose(f);
    }
    f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "re");
    if (f) {
        if (fgets(rep->clocksource, sizeof rep->clocksource, f))
            rep->clocksource[strcspn(rep->clocksource, "\n")] = '\0';
        fclose(f);
    }
    rep->ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    bool pinned = env->pin && env->ncpus >= 2;
    rep->cpu[0] = pinned ? env->cpus[1] : -1; /* a client of a 1:1 run */
    rep->cpu[1] = pinned ? env->cpus[0] : -1; /* its server */
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(rep->started, sizeof rep->started, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --- plans --------------------------------------------------------------- */

struct row_plan {
    const char *skip; /* the whole row is skipped, why */
    size_t limit;     /* largest message, 0: none */
    char why[BENCH_MSG_LEN];
    bool lat;
    bool size_ok[BENCH_MAX_SIZES];
    int nstream;
    int nfan; /* fan runs in the full suite */
};

static void plan_row(const struct bench_report *rep, const struct bench_row *row,
                     struct row_plan *rp)
{
    memset(rp, 0, sizeof *rp);
    rp->skip = row->available ? row->available() : NULL;
    if (rp->skip)
        return;
    if (row->limit)
        rp->limit = row->limit(rp->why, sizeof rp->why);
    rp->lat = !(row->flags & BENCH_F_NO_LATENCY);
    if (!(row->flags & BENCH_F_NO_THROUGHPUT)) {
        for (int i = 0; i < rep->nsizes; i++) {
            rp->size_ok[i] = !rp->limit || rep->sizes[i] <= rp->limit;
            rp->nstream += rp->size_ok[i];
        }
    }
    if (rep->opts->full) {
        int kinds = !!(row->flags & BENCH_F_FANIN) + !!(row->flags & BENCH_F_FANOUT);
        rp->nfan = kinds * rep->nfan;
    }
}

static void base_plan(const struct bench_report *rep, const struct bench_row *row,
                      struct bench_plan *pl)
{
    memset(pl, 0, sizeof *pl);
    pl->row = row;
    pl->nclients = 1;
    pl->nservers = 1;
    (void)rep;
}

/* Fills the run's limits from its phases. */
static void finish_plan(struct bench_plan *pl)
{
    int64_t sum = 0, max = 0;
    pl->max_size = 1;
    for (int i = 0; i < pl->nphases; i++) {
        sum += pl->phase[i].budget_ns;
        if (pl->phase[i].budget_ns > max)
            max = pl->phase[i].budget_ns;
        if (pl->phase[i].size > pl->max_size)
            pl->max_size = pl->phase[i].size;
    }
    pl->timeout_ms = 3000 + (int)(2 * max / 1000000);
    pl->limit_ns = (int64_t)(BENCH_SETUP_MS + 5000) * 1000000 + 3 * sum +
                   2 * (int64_t)pl->timeout_ms * 1000000;
}

/* --- results ------------------------------------------------------------- */

static bool phase_done(const struct bench_ctl *ctl, int ph, int n)
{
    for (int k = 0; k < n; k++)
        if (!ctl->res[ph][k].done)
            return false;
    return true;
}

static void phase_not_done(const struct bench_ctl *ctl, int ph, enum bench_status run_status,
                           const char *run_reason, enum bench_status *st, char *reason)
{
    if (run_status == BENCH_SKIPPED) {
        *st = BENCH_SKIPPED;
        snprintf(reason, BENCH_MSG_LEN, "%s", run_reason);
    } else if (ph == ctl->failed_phase || ctl->failed_phase < 0) {
        *st = BENCH_FAILED;
        snprintf(reason, BENCH_MSG_LEN, "%s", run_reason);
    } else {
        *st = BENCH_NOT_RUN;
        snprintf(reason, BENCH_MSG_LEN, "not run: an earlier phase failed");
    }
}

static void collect_stream(const struct bench_row *row, const struct bench_ctl *ctl, int ph,
                           size_t size, struct bench_throughput *t)
{
    int nc = ctl->nclients, n = ctl->nclients + ctl->nservers;
    uint64_t sent = 0, got = 0;
    int64_t start = INT64_MAX, end = 0, cpu = 0;
    for (int k = 0; k < n; k++) {
        const struct bench_side_result *r = &ctl->res[ph][k];
        cpu += r->cpu_ns;
        if (row->stream) {
            /* A custom stream (memcpy): whoever moved messages counts. */
            if (r->msgs) {
                got += r->msgs;
                start = r->t_start < start ? r->t_start : start;
                end = r->t_end > end ? r->t_end : end;
            }
        } else if (k < nc) {
            sent += r->msgs;
            start = r->t_start < start ? r->t_start : start;
        } else {
            got += r->msgs;
            end = r->t_end > end ? r->t_end : end;
        }
    }
    t->status = BENCH_OK;
    t->size = size;
    t->msgs = got;
    t->lost = !row->stream && sent > got ? sent - got : 0;
    t->seconds = end > start ? (double)(end - start) / 1e9 : 0;
    if (t->seconds > 0) {
        t->msgs_per_s = (double)got / t->seconds;
        t->mb_per_s = t->msgs_per_s * (double)size / 1e6;
    }
    t->cpu_ns = got ? (double)cpu / (double)got : 0;
}

static void collect_notes(struct bench_result *r, const struct bench_ctl *ctl)
{
    int n = ctl->nnotes < BENCH_MAX_NOTES ? ctl->nnotes : BENCH_MAX_NOTES;
    for (int i = 0; i < n; i++) {
        bool dup = false;
        for (int j = 0; j < r->nnotes && !dup; j++)
            dup = !strcmp(r->notes[j], ctl->notes[i]);
        if (!dup && r->nnotes < BENCH_MAX_NOTES)
            snprintf(r->notes[r->nnotes++], BENCH_MSG_LEN, "%s", ctl->notes[i]);
    }
}

/* The row's status: failed if anything failed, ok if anything ran. */
static void row_status(struct bench_result *r, enum bench_status run_status, const char *reason)
{
    if (run_status == BENCH_FAILED || run_status == BENCH_SKIPPED) {
        r->status = run_status;
        snprintf(r->reason, sizeof r->reason, "%s", reason);
    } else if (r->status == BENCH_NOT_RUN) {
        r->status = BENCH_OK;
    }
}

static int run_main(struct bench_env *env, const struct bench_report *rep,
                    const struct row_plan *rp, struct bench_result *r, int64_t unit_ns)
{
    const struct bench_row *row = r->row;
    const struct bench_opts *o = rep->opts;
    struct bench_plan pl;
    base_plan(rep, row, &pl);
    int lat_ph = -1, size_ph[BENCH_MAX_SIZES];
    if (rp->lat) {
        size_t size = rep->lat_size;
        if (rp->limit && size > rp->limit)
            size = rp->limit;
        lat_ph = pl.nphases++;
        pl.phase[lat_ph] = (struct bench_phase){BENCH_PHASE_LATENCY, size, 2 * unit_ns,
                                                o->full ? FULL_MAX_SAMPLES : QUICK_MAX_SAMPLES};
        r->lat.size = size;
    } else {
        r->lat.status = BENCH_SKIPPED;
        snprintf(r->lat.reason, sizeof r->lat.reason, "n/a: %s",
                 row->why_no_latency ? row->why_no_latency : "no round trip for this row");
    }
    for (int i = 0; i < rep->nsizes; i++) {
        size_ph[i] = -1;
        r->tput[i].size = rep->sizes[i];
        if (row->flags & BENCH_F_NO_THROUGHPUT) {
            r->tput[i].status = BENCH_SKIPPED;
            snprintf(r->tput[i].reason, BENCH_MSG_LEN, "n/a: %s",
                     row->why_no_stream ? row->why_no_stream : "no one-way stream for this row");
        } else if (!rp->size_ok[i]) {
            r->tput[i].status = BENCH_SKIPPED;
            snprintf(r->tput[i].reason, BENCH_MSG_LEN, "n/a: %s", rp->why);
        } else {
            size_ph[i] = pl.nphases++;
            pl.phase[size_ph[i]] =
                (struct bench_phase){BENCH_PHASE_STREAM, rep->sizes[i], unit_ns, UINT64_MAX / 2};
        }
    }
    if (rp->limit && rp->lat && rp->limit < rep->lat_size && r->nnotes < BENCH_MAX_NOTES)
        snprintf(r->notes[r->nnotes++], BENCH_MSG_LEN, "latency at %zu B, not %zu B: %s", rp->limit,
                 rep->lat_size, rp->why);
    if (pl.nphases == 0) {
        r->status = BENCH_SKIPPED;
        snprintf(r->reason, sizeof r->reason, "nothing to measure at these sizes");
        return 0;
    }
    finish_plan(&pl);

    struct bench_ctl *ctl;
    enum bench_status st;
    char reason[BENCH_MSG_LEN];
    int rc = bench__run(env, &pl, &ctl, &st, reason, sizeof reason);
    if (!ctl) {
        r->status = BENCH_FAILED;
        snprintf(r->reason, sizeof r->reason, "%s", reason);
        return rc;
    }
    int n = pl.nclients + pl.nservers;
    if (lat_ph >= 0) {
        if (phase_done(ctl, lat_ph, n)) {
            const struct bench_side_result *c = &ctl->res[lat_ph][0];
            struct bench_latency *l = &r->lat;
            l->status = BENCH_OK;
            l->samples = c->samples;
            l->p50 = c->p50;
            l->p99 = c->p99;
            l->p999 = c->p999;
            l->min = c->min;
            l->max = c->max;
            l->mean = c->mean;
            int64_t cpu = 0;
            for (int k = 0; k < n; k++)
                cpu += ctl->res[lat_ph][k].cpu_ns;
            l->cpu_ns = c->msgs ? (double)cpu / (double)c->msgs : 0;
        } else {
            phase_not_done(ctl, lat_ph, st, reason, &r->lat.status, r->lat.reason);
        }
    }
    for (int i = 0; i < rep->nsizes; i++) {
        int ph = size_ph[i];
        if (ph < 0)
            continue;
        if (phase_done(ctl, ph, n))
            collect_stream(row, ctl, ph, rep->sizes[i], &r->tput[i]);
        else
            phase_not_done(ctl, ph, st, reason, &r->tput[i].status, r->tput[i].reason);
    }
    collect_notes(r, ctl);
    row_status(r, st, reason);
    bench__ctl_free(ctl);
    return rc;
}

static int run_fan(struct bench_env *env, const struct bench_report *rep, const struct row_plan *rp,
                   struct bench_result *r, int64_t unit_ns, bool in)
{
    const struct bench_row *row = r->row;
    struct bench_throughput *out = in ? r->fanin : r->fanout;
    for (int i = 0; i < rep->nfan; i++) {
        struct bench_plan pl;
        base_plan(rep, row, &pl);
        if (in)
            pl.nclients = rep->fan[i];
        else
            pl.nservers = rep->fan[i];
        size_t size = FAN_SIZE;
        if (rp->limit && size > rp->limit)
            size = rp->limit;
        pl.nphases = 1;
        pl.phase[0] = (struct bench_phase){BENCH_PHASE_STREAM, size, unit_ns, UINT64_MAX / 2};
        finish_plan(&pl);
        struct bench_ctl *ctl;
        enum bench_status st;
        char reason[BENCH_MSG_LEN];
        int rc = bench__run(env, &pl, &ctl, &st, reason, sizeof reason);
        out[i].size = size;
        if (ctl && phase_done(ctl, 0, pl.nclients + pl.nservers)) {
            collect_stream(row, ctl, 0, size, &out[i]);
        } else {
            out[i].status = st == BENCH_SKIPPED ? BENCH_SKIPPED : BENCH_FAILED;
            snprintf(out[i].reason, BENCH_MSG_LEN, "%s", reason);
            if (st == BENCH_FAILED)
                row_status(r, st, reason);
        }
        bench__ctl_free(ctl);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* --- progress ------------------------------------------------------------ */

static void progress_start(const struct bench_opts *o, int i, int n, const struct bench_row *row)
{
    if (o->quiet)
        return;
    fprintf(stderr, "[%2d/%d] %-10s %-20s ", i, n, bench__group_name(row->group), row->name);
    fflush(stderr);
}

static void progress_end(const struct bench_opts *o, const struct bench_result *r)
{
    if (o->quiet)
        return;
    if (r->status == BENCH_OK)
        fprintf(stderr, "ok      %5.1f s\n", r->seconds);
    else
        fprintf(stderr, "%-7s %5.1f s  %s\n", bench__status_name(r->status), r->seconds, r->reason);
}

/* --- main ---------------------------------------------------------------- */

static int64_t choose_unit_ms(const struct bench_opts *o, const struct row_plan *rp, size_t n)
{
    if (o->budget_ms > 0)
        return o->budget_ms;
    int64_t target =
        (int64_t)(o->target_s > 0 ? o->target_s : (o->full ? FULL_TARGET_S : QUICK_TARGET_S)) *
        1000;
    int64_t units = 0, runs = 0;
    for (size_t i = 0; i < n; i++) {
        if (rp[i].skip)
            continue;
        units += (rp[i].lat ? 2 : 0) + rp[i].nstream + rp[i].nfan;
        runs += 1 + rp[i].nfan;
    }
    int64_t left = target - runs * RUN_OVERHEAD_MS;
    int64_t unit = units ? left / units : MIN_UNIT_MS;
    int64_t max = o->full ? FULL_MAX_UNIT_MS : QUICK_MAX_UNIT_MS;
    if (unit > max)
        unit = max;
    if (unit < MIN_UNIT_MS)
        unit = MIN_UNIT_MS;
    return unit;
}

static FILE *open_output(const char *path, const char *what)
{
    FILE *f = fopen(path, "we");
    if (!f)
        fprintf(stderr, "ipcx bench: cannot write the %s file %s: %s\n", what, path,
                strerror(errno));
    return f;
}

int bench_main(const struct bench_opts *o)
{
    const struct bench_row **all;
    size_t nall = bench__rows(&all);
    if (o->list) {
        list_rows(o, all, nall);
        return 0;
    }

    static struct bench_result res[BENCH_MAX_ROWS];
    static struct row_plan rp[BENCH_MAX_ROWS];
    struct bench_report rep = {.opts = o, .res = res, .lat_size = LAT_SIZE};
    memset(res, 0, sizeof res);
    for (size_t i = 0; i < nall; i++)
        if (selected(o, all[i]))
            res[rep.nres++].row = all[i];
    if (rep.nres == 0) {
        fprintf(stderr, "ipcx bench: no row matches the filter (see ipcx bench --list)\n");
        return 2;
    }
    if (o->nsizes > 0) {
        for (int i = 0; i < o->nsizes && i < BENCH_MAX_SIZES; i++)
            rep.sizes[rep.nsizes++] = o->sizes[i];
    } else if (o->full) {
        for (size_t i = 0; i < sizeof full_sizes / sizeof *full_sizes; i++)
            rep.sizes[rep.nsizes++] = full_sizes[i];
    } else {
        for (size_t i = 0; i < sizeof quick_sizes / sizeof *quick_sizes; i++)
            rep.sizes[rep.nsizes++] = quick_sizes[i];
    }
    if (o->full) {
        for (size_t i = 0; i < sizeof fan_peers / sizeof *fan_peers; i++)
            rep.fan[rep.nfan++] = fan_peers[i];
    }

    FILE *json = NULL, *html = NULL;
    if (o->json_path && !(json = open_output(o->json_path, "JSON")))
        return 2;
    if (o->html_path && !(html = open_output(o->html_path, "HTML"))) {
        if (json)
            fclose(json);
        return 2;
    }

    struct bench_env env;
    int rc = env_init(&env, !o->no_pin);
    if (rc < 0) {
        fprintf(stderr, "ipcx bench: cannot set up signals: %s\n", strerror(-rc));
        return 1;
    }
    system_info(&rep, &env);
    for (size_t i = 0; i < rep.nres; i++)
        plan_row(&rep, res[i].row, &rp[i]);
    rep.unit_ms = choose_unit_ms(o, rp, rep.nres);
    int64_t unit_ns = rep.unit_ms * 1000000;
    if (!o->quiet)
        fprintf(stderr, "ipcx bench: %zu rows, %s suite, %lld ms per measurement unit, sides %s\n",
                rep.nres, o->full ? "full" : "quick", (long long)rep.unit_ms,
                rep.cpu[0] >= 0 ? "pinned to separate CPUs" : "not pinned");

    int64_t t0 = bench_now_ns();
    int failures = 0;
    for (size_t i = 0; i < rep.nres && !env.interrupted; i++) {
        struct bench_result *r = &res[i];
        int64_t r0 = bench_now_ns();
        progress_start(o, (int)i + 1, (int)rep.nres, r->row);
        if (rp[i].skip) {
            r->status = BENCH_SKIPPED;
            snprintf(r->reason, sizeof r->reason, "%s", rp[i].skip);
        } else {
            rc = run_main(&env, &rep, &rp[i], r, unit_ns);
            if (rc == 0 && o->full && (r->row->flags & BENCH_F_FANIN))
                rc = run_fan(&env, &rep, &rp[i], r, unit_ns, true);
            if (rc == 0 && o->full && (r->row->flags & BENCH_F_FANOUT))
                rc = run_fan(&env, &rep, &rp[i], r, unit_ns, false);
        }
        r->seconds = (double)(bench_now_ns() - r0) / 1e9;
        if (!env.interrupted)
            env.interrupted = pending_stop(&env);
        if (env.interrupted) {
            if (!o->quiet)
                fprintf(stderr, "interrupted\n");
            break;
        }
        if (r->status == BENCH_FAILED)
            failures++;
        progress_end(o, r);
    }
    rep.seconds = (double)(bench_now_ns() - t0) / 1e9;
    int sig = env.interrupted;
    env_fini(&env);
    if (sig) {
        if (json) {
            fclose(json);
            unlink(o->json_path);
        }
        if (html) {
            fclose(html);
            unlink(o->html_path);
        }
        return 128 + sig;
    }

    for (size_t i = 0; i < rep.nres; i++)
        if (res[i].status == BENCH_NOT_RUN)
            res[i].status = BENCH_OK;
    bench__compute_ratios(&rep);
    /* The files first: a reader that closes stdout early (| head) must not
     * cost them. */
    int out = failures ? 1 : 0;
    bool json_ok = json && bench__write_json(&rep, json) == 0;
    if (json && fclose(json) != 0)
        json_ok = false;
    bool html_ok = html && bench__write_html(&rep, html) == 0;
    if (html && fclose(html) != 0)
        html_ok = false;
    bench__print_table(&rep, stdout);
    fflush(stdout);
    if (json && !json_ok) {
        fprintf(stderr, "ipcx bench: writing %s failed\n", o->json_path);
        out = 2;
    } else if (json && !o->quiet) {
        fprintf(stderr, "ipcx bench: wrote %s\n", o->json_path);
    }
    if (html && !html_ok) {
        fprintf(stderr, "ipcx bench: writing %s failed\n", o->html_path);
        out = 2;
    } else if (html && !o->quiet) {
        fprintf(stderr, "ipcx bench: wrote %s\n", o->html_path);
    }
    if (!o->quiet)
        fprintf(stderr, "ipcx bench: %.1f s in all\n", rep.seconds);
    return out;
}
