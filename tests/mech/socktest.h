/* SPDX-License-Identifier: MIT */
/*
 * socktest.h: what the socket tests share: a private directory per test
 * for filesystem sockets, random socket names, connecting with retries
 * while a peer process starts, and dropping to the "nobody" user in a child.
 */
#ifndef IPCX_TESTS_SOCKTEST_H
#define IPCX_TESTS_SOCKTEST_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ipcx.h>

#include "tsup.h"

#define NOBODY 65534

struct sockdir {
    char dir[64];
};

/* Creates a fresh directory under /tmp, open to everyone (0755) so that a
 * child running as another user can reach what the test puts there. */
static inline void sockdir_make(struct sockdir *d)
{
    snprintf(d->dir, sizeof d->dir, "/tmp/ipcx-sock-XXXXXX");
    cr_assert_not_null(mkdtemp(d->dir));
    cr_assert_eq(chmod(d->dir, 0755), 0);
}

/* A random path inside the directory. */
static inline char *sockdir_path(struct sockdir *d, char *buf, size_t size)
{
    char name[48];
    tsup_name(name, sizeof name, "s");
    int n = snprintf(buf, size, "%s/%s", d->dir, name);
    cr_assert(n > 0 && (size_t)n < size);
    return buf;
}

/* Asserts the directory is empty (nothing left behind) and removes it. */
static inline void sockdir_done(struct sockdir *d)
{
    DIR *dp = opendir(d->dir);
    cr_assert_not_null(dp);
    struct dirent *e;
    while ((e = readdir(dp)) != NULL)
        cr_expect(!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."), "left behind: %s/%s", d->dir,
                  e->d_name);
    closedir(dp);
    cr_assert_eq(rmdir(d->dir), 0, "directory %s not empty", d->dir);
}

/* A random abstract name, "@ipcx-...". */
static inline char *abstract_name(char *buf, size_t size)
{
    buf[0] = '@';
    tsup_name(buf + 1, size - 1, "ipcx-sock");
    return buf;
}

static inline void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Connects, retrying while the peer process sets its listener up (up to 5 s). */
static inline int connect_retry(struct ipcx_unix **out, const char *addr, enum ipcx_unix_type type,
                                const struct ipcx_unix_opts *opts)
{
    int64_t end = tsup_now_ms() + 5000;
    for (;;) {
        int rc = ipcx_unix_connect(out, addr, type, opts, 1000);
        if (rc == 0 || tsup_now_ms() > end || (rc != IPCX_ENOENT && rc != IPCX_ECONNREFUSED))
            return rc;
        sleep_ms(5);
    }
}

/* In a child: become uid/gid 65534 with no supplementary groups (or the given one). */
static inline int become_nobody(gid_t extra_group)
{
    gid_t groups[1] = {extra_group};
    if (setgroups(extra_group ? 1 : 0, groups) != 0)
        return -1;
    if (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
        return -1;
    return getuid() == NOBODY && geteuid() == NOBODY ? 0 : -1;
}

/* True when SIGPIPE is pending for this thread or process. */
static inline int sigpipe_pending(void)
{
    sigset_t p;
    sigpending(&p);
    return sigismember(&p, SIGPIPE);
}

#endif
