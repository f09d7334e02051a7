/* SPDX-License-Identifier: MIT */
/*
 * row_iceoryx.c: Eclipse iceoryx through its C binding, when the build found
 * it. iceoryx needs its daemon, RouDi: the parent starts iox-roudi for the
 * run with a small memory-pool configuration (written to a private
 * directory), waits until it says it is ready, and stops it afterwards by
 * its own process id (SIGTERM, then SIGKILL); RouDi also gets SIGTERM from
 * the kernel if the benchmark dies (PR_SET_PDEATHSIG), and removes its
 * shared memory when it stops. iceoryx allows one RouDi per machine: if
 * another one is running, the row is skipped rather than disturbing it.
 *
 * Each side starts an iceoryx runtime after fork, with a publisher towards
 * the other side and a subscriber from it (subscriber queue full: block the
 * publisher; publisher: wait for the subscriber), and waits in a WaitSet
 * with a timeout. Messages are loaned chunks: the sender copies the message
 * into the chunk, the receiver copies it out, as every row does (see
 * docs/bench.md); iceoryx's zero-copy best case is better than this row.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "row.h"

#ifdef IPCX_BENCH_HAVE_ICEORYX
#include <iceoryx_binding_c/chunk.h>
#include <iceoryx_binding_c/enums.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/notification_info.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/wait_set.h>

#ifndef IPCX_BENCH_ROUDI
#define IPCX_BENCH_ROUDI "iox-roudi"
#endif

#define ROUDI_START_MS 10000
#define ROUDI_STOP_MS  5000
#define QUEUE_DEPTH    16

/* Chunk pools: every benchmark size (up to 1 MiB) fits one, and each holds
 * more chunks than can be in flight (a full subscriber queue, one loaned,
 * one being read), so a loan never fails for want of chunks; about 35 MB
 * of shared memory. */
#define POOL_CHUNKS (QUEUE_DEPTH + 8)
static const unsigned pools[] = {256, 1280, 4352, 16640, 65792, 262400, 1048832};

struct ipriv {
    iox_pub_storage_t pub_storage;
    iox_sub_storage_t sub_storage;
    iox_ws_storage_t ws_storage;
    iox_pub_t pub;
    iox_sub_t sub;
    iox_ws_t ws;
    bool runtime;
    /* parent */
    pid_t roudi;
    bool ready;
    char dir[256];
};

/* The path of a program found in PATH, or NULL. */
static const char *which(const char *prog, char *buf, size_t n)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0 ? prog : NULL;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");
        snprintf(buf, n, "%.*s/%s", (int)len, path, prog);
        if (len && access(buf, X_OK) == 0)
            return buf;
        path += len + (path[len] == ':');
    }
    return NULL;
}

static const char *i_available(void)
{
    char buf[512];
    if (!which(IPCX_BENCH_ROUDI, buf, sizeof buf) && !which("iox-roudi", buf, sizeof buf))
        return "the iceoryx daemon iox-roudi is not installed (Debian: iceoryx)";
    return NULL;
}

static int write_config(struct bench_proc *p, const char *path)
{
    FILE *f = fopen(path, "wex");
    if (!f)
        return bench_fail(p, "cannot write %s: %s", path, strerror(errno));
    fprintf(f, "[general]\nversion = 1\n\n[[segment]]\n");
    for (size_t i = 0; i < sizeof pools / sizeof pools[0]; i++)
        fprintf(f, "\n[[segment.mempool]]\nsize = %u\ncount = %d\n", pools[i], POOL_CHUNKS);
    return fclose(f) == 0 ? 0 : bench_fail(p, "writing %s failed", path);
}

/* Copies a log line without its terminal colour sequences. */
static void plain(char *dst, size_t n, const char *src)
{
    size_t k = 0;
    for (; *src && k + 1 < n; src++) {
        if (*src == '\033') {
            while (*src && *src != 'm')
                src++;
            if (!*src)
                break;
            continue;
        }
        dst[k++] = *src;
    }
    dst[k] = '\0';
}

/* Waits until RouDi's log says it is ready, or it ends, or time runs out.
 * Returns 0 when ready, else -1 with the first error it logged in err and
 * *busy set when it found another RouDi running. */
static int wait_ready(struct bench_proc *p, const char *log, char *err, size_t n, bool *busy)
{
    struct ipriv *ip = p->priv;
    int64_t end = bench_now_ns() + (int64_t)ROUDI_START_MS * 1000000;
    for (;;) {
        bool ready = false, gone = false;
        int st;
        if (waitpid(ip->roudi, &st, WNOHANG) == ip->roudi) {
            ip->roudi = 0; /* it gave up; nothing of it to stop */
            gone = true;
        }
        FILE *f = fopen(log, "re");
        err[0] = '\0';
        if (f) {
            char line[512];
            while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = '\0';
                if (strstr(line, "ready for clients"))
                    ready = true;
                if (strstr(line, "still running") || strstr(line, "acquire lock"))
                    *busy = true;
                if (!err[0] &&
                    (strstr(line, "Fatal") || strstr(line, "Error") || strstr(line, "Assertion")))
                    plain(err, n, line);
            }
            fclose(f);
        }
        if (ready && !gone)
            return 0;
        if (gone || bench_now_ns() > end)
            return -1;
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
}

/* Removes what killed sides of earlier runs left: iceoryx names each
 * runtime's socket and lock file after it, and ours after the side's pid. */
static void stale_runtimes(void)
{
    DIR *d = opendir("/tmp");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int pid, len = 0;
        if (sscanf(e->d_name, "ipcxb-%d%n", &pid, &len) != 1 || pid <= 0)
            continue;
        if (e->d_name[len] != '\0' && strcmp(e->d_name + len, ".lock") != 0)
            continue;
        if (kill(pid, 0) != 0 && errno == ESRCH)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

static int i_setup(struct bench_proc *p)
{
    struct ipriv *ip = p->priv;
    stale_runtimes();
    const char *tmp = getenv("TMPDIR");
    snprintf(ip->dir, sizeof ip->dir, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", p->tag);
    if (!mkdtemp(ip->dir)) {
        ip->dir[0] = '\0';
        return bench_fail(p, "mkdtemp: %s", strerror(errno));
    }
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/roudi.toml", ip->dir);
    snprintf(log, sizeof log, "%s/roudi.log", ip->dir);
    if (write_config(p, conf) < 0)
        return -1;
    int fd = open(log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return bench_fail(p, "cannot create %s: %s", log, strerror(errno));
    const char *argv[] = {IPCX_BENCH_ROUDI, "-c", conf, "-l", "warning", NULL};
    pid_t pid = bench_spawn(argv, fd);
    close(fd);
    if (pid < 0)
        return bench_fail(p, "cannot start iox-roudi: %s", strerror((int)-pid));
    ip->roudi = pid;
    char err[160];
    bool busy = false;
    int rc = wait_ready(p, log, err, sizeof err, &busy);
    /* RouDi has read its configuration; it keeps writing to the log it has
     * open, which no longer has a name. */
    unlink(conf);
    unlink(log);
    rmdir(ip->dir);
    ip->dir[0] = '\0';
    if (rc < 0) {
        if (busy)
            return bench_skip(p, "another iceoryx RouDi is running on this machine (only one may)");
        return bench_fail(p, "iox-roudi did not become ready: %s", err[0] ? err : "no output");
    }
    ip->ready = true;
    bench_note(p, "RouDi started and stopped by the benchmark; waits in a WaitSet");
    return 0;
}

/*
 * RouDi stops cleanly only when every process that registered with it has
 * said goodbye (the sides leave with exit() for that). If a side was killed,
 * RouDi aborts on its way out and leaves its shared memory and sockets
 * behind: they were ours (this RouDi started, so no other one ran), and
 * their names are fixed by iceoryx, so remove them here.
 */
static void roudi_leftovers(struct bench_proc *p)
{
    char path[300];
    struct passwd *pw = getpwuid(geteuid());
    if (pw) {
        snprintf(path, sizeof path, "/dev/shm/%s", pw->pw_name);
        unlink(path);
    }
    unlink("/dev/shm/iceoryx_mgmt");
    unlink("/tmp/roudi");
    unlink("/tmp/roudi.lock");
    unlink("/tmp/iox-unique-roudi.lock");
    for (int role = BENCH_CLIENT; role <= BENCH_SERVER; role++) {
        pid_t pid = bench_peer_pid(p, role, 0);
        if (pid <= 0)
            continue;
        snprintf(path, sizeof path, "/tmp/ipcxb-%d", (int)pid);
        unlink(path);
        snprintf(path, sizeof path, "/tmp/ipcxb-%d.lock", (int)pid);
        unlink(path);
    }
}

static void i_teardown(struct bench_proc *p)
{
    struct ipriv *ip = p->priv;
    if (ip->roudi > 0) {
        int st = bench_stop(ip->roudi, ROUDI_STOP_MS);
        if (ip->ready && !(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0))
            roudi_leftovers(p);
    }
    ip->roudi = 0;
    if (ip->dir[0]) {
        char path[300];
        snprintf(path, sizeof path, "%s/roudi.toml", ip->dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/roudi.log", ip->dir);
        unlink(path);
        rmdir(ip->dir);
    }
}

static int i_open(struct bench_proc *p)
{
    struct ipriv *ip = p->priv;
    bool client = p->role == BENCH_CLIENT;
    char name[64];
    snprintf(name, sizeof name, "ipcxb-%d", (int)getpid());
    iox_set_loglevel(Iceoryx_LogLevel_Warn);
    iox_runtime_init(name);
    ip->runtime = true;

    iox_pub_options_t po;
    iox_pub_options_init(&po);
    po.historyCapacity = 0;
    po.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
    ip->pub = iox_pub_init(&ip->pub_storage, "ipcx-bench", p->tag, client ? "c2s" : "s2c", &po);

    iox_sub_options_t so;
    iox_sub_options_init(&so);
    so.queueCapacity = QUEUE_DEPTH;
    so.historyRequest = 0;
    so.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
    ip->sub = iox_sub_init(&ip->sub_storage, "ipcx-bench", p->tag, client ? "s2c" : "c2s", &so);

    ip->ws = iox_ws_init(&ip->ws_storage);
    if (iox_ws_attach_subscriber_state(ip->ws, ip->sub, SubscriberState_HAS_DATA, 0, NULL) !=
        WaitSetResult_SUCCESS)
        return bench_fail(p, "cannot attach the subscriber to a WaitSet");
    return 0;
}

/* Subscriptions are made by RouDi in the background: wait until both
 * directions are connected. */
static int i_ready(struct bench_proc *p)
{
    struct ipriv *ip = p->priv;
    int64_t end = bench_now_ns() + (int64_t)ROUDI_START_MS * 1000000;
    while (!iox_pub_has_subscribers(ip->pub) ||
           iox_sub_get_subscription_state(ip->sub) != SubscribeState_SUBSCRIBED) {
        if (bench_now_ns() > end)
            return bench_fail(p, "the iceoryx subscriptions were not made within %d ms",
                              ROUDI_START_MS);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static int i_send(struct bench_proc *p, void *buf, size_t len)
{
    struct ipriv *ip = p->priv;
    void *chunk = NULL;
    int64_t end = 0;
    for (;;) {
        enum iox_AllocationResult r = iox_pub_loan_chunk(ip->pub, &chunk, (uint32_t)len);
        if (r == AllocationResult_SUCCESS)
            break;
        if (r != AllocationResult_RUNNING_OUT_OF_CHUNKS &&
            r != AllocationResult_TOO_MANY_CHUNKS_ALLOCATED_IN_PARALLEL)
            return bench_fail(p, "iox_pub_loan_chunk(%zu) failed (%d)", len, (int)r);
        /* Every chunk of the pool is in flight: wait for the receiver. */
        int64_t now = bench_now_ns();
        if (!end)
            end = now + (int64_t)p->timeout_ms * 1000000;
        else if (now > end)
            return -ETIMEDOUT;
        sched_yield();
    }
    memcpy(chunk, buf, len);
    iox_pub_publish_chunk(ip->pub, chunk);
    return 0;
}

static ssize_t i_recv(struct bench_proc *p, void *buf, size_t len)
{
    struct ipriv *ip = p->priv;
    int64_t end = 0;
    for (;;) {
        const void *chunk = NULL;
        enum iox_ChunkReceiveResult r = iox_sub_take_chunk(ip->sub, &chunk);
        if (r == ChunkReceiveResult_SUCCESS) {
            /* The C binding does not expose a chunk's payload size; every
             * message of a phase has the length the harness expects. */
            memcpy(buf, chunk, len);
            iox_sub_release_chunk(ip->sub, chunk);
            return (ssize_t)len;
        }
        if (r != ChunkReceiveResult_NO_CHUNK_AVAILABLE)
            return bench_fail(p, "iox_sub_take_chunk failed (%d)", (int)r);
        /* A WaitSet may wake with nothing to report: wait again with what
         * is left of the time. */
        int64_t now = bench_now_ns();
        if (!end)
            end = now + (int64_t)p->timeout_ms * 1000000;
        else if (now >= end)
            return -ETIMEDOUT;
        int64_t left = end - now;
        struct timespec timeout = {left / 1000000000, left % 1000000000};
        iox_notification_info_t info[1];
        uint64_t missed = 0;
        iox_ws_timed_wait(ip->ws, timeout, info, 1, &missed);
    }
}

static void i_close(struct bench_proc *p)
{
    struct ipriv *ip = p->priv;
    if (ip->ws) {
        iox_ws_detach_subscriber_state(ip->ws, ip->sub, SubscriberState_HAS_DATA);
        iox_ws_deinit(ip->ws);
    }
    if (ip->sub)
        iox_sub_deinit(ip->sub);
    if (ip->pub)
        iox_pub_deinit(ip->pub);
    if (ip->runtime)
        iox_runtime_shutdown();
    ip->ws = NULL;
    ip->sub = NULL;
    ip->pub = NULL;
    ip->runtime = false;
}

static size_t i_limit(char *why, size_t n)
{
    snprintf(why, n, "the benchmark's RouDi pools hold chunks of at most 1 MiB");
    return 1048576;
}

static const struct bench_row row = {
    .name = "iceoryx",
    .group = BENCH_PEER,
    .order = 30,
    .what = "iceoryx publish/subscribe through its C binding and RouDi, one service each way",
    .flags = BENCH_F_EXIT,
    .priv_size = sizeof(struct ipriv),
    .available = i_available,
    .limit = i_limit,
    .setup = i_setup,
    .open = i_open,
    .ready = i_ready,
    .send = i_send,
    .recv = i_recv,
    .close = i_close,
    .teardown = i_teardown,
};

#else /* !IPCX_BENCH_HAVE_ICEORYX */

static const char *i_available(void)
{
    return "the iceoryx C binding was not found when the build was configured "
           "(Debian: libiceoryx-binding-c-dev and iceoryx)";
}

static int i_unused_send(struct bench_proc *p, void *buf, size_t len)
{
    return -ENOTSUP;
}

static ssize_t i_unused_recv(struct bench_proc *p, void *buf, size_t len)
{
    return -ENOTSUP;
}

static const struct bench_row row = {
    .name = "iceoryx",
    .group = BENCH_PEER,
    .order = 30,
    .what = "iceoryx publish/subscribe through its C binding and RouDi, one service each way",
    .available = i_available,
    .send = i_unused_send,
    .recv = i_unused_recv,
};

#endif

BENCH_ROWS(iceoryx)
{
    bench_register(&row);
}
