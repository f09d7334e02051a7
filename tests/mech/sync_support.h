/* SPDX-License-Identifier: MIT */
/*
 * sync_support.h: small tools shared by the region, semaphore and lock
 * tests: a one-byte "ready"/"go" handshake over a pipe with a deadline,
 * running the helper binary with some descriptors left open across exec,
 * and a temporary path for files. Everything here is static, so each test
 * executable gets its own copy.
 */
#ifndef IPCX_TESTS_SYNC_SUPPORT_H
#define IPCX_TESTS_SYNC_SUPPORT_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsup.h"

/* Writes one byte to `fd` (a child's "ready" or the parent's "go"). */
static inline int sync_send_byte(int fd, char c)
{
    for (;;) {
        ssize_t n = write(fd, &c, 1);
        if (n == 1)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

/*
 * Reads one byte from `fd` within timeout_ms. Returns the byte (0..255), -1
 * on time-out, -2 at end of file (the writer died or closed).
 */
static inline int sync_recv_byte(int fd, int timeout_ms)
{
    int64_t end = tsup_now_ms() + timeout_ms;
    for (;;) {
        int64_t left = end - tsup_now_ms();
        if (left < 0)
            left = 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        unsigned char c;
        ssize_t r = read(fd, &c, 1);
        if (r == 1)
            return c;
        if (r == 0)
            return -2;
        if (errno != EINTR && errno != EAGAIN)
            return -2;
    }
}

/*
 * Runs the helper `mode` with `args` (NULL-terminated) like
 * tsup_spawn_helper(), keeping the `nfds` descriptors in `fds` open across
 * exec. Their close-on-exec flag is cleared in the child only, so the
 * parent's descriptors stay close-on-exec.
 */
static inline pid_t sync_spawn_helper_fds(const char *mode, const char *const *args, const int *fds,
                                          int nfds)
{
    char *argv[20];
    int n = 0;
    argv[n++] = (char *)tsup_helper_path();
    argv[n++] = (char *)mode;
    for (int i = 0; args && args[i] && n < 18; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < nfds; i++)
            if (fcntl(fds[i], F_SETFD, 0) < 0)
                _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* A fresh path for a temporary file: "$TMPDIR/<prefix>-<pid>-<random>". */
static inline char *sync_tmp_path(char *buf, size_t size, const char *prefix)
{
    char name[128];
    const char *dir = getenv("TMPDIR");
    if (!dir || !dir[0])
        dir = "/tmp";
    snprintf(buf, size, "%s/%s", dir, tsup_name(name, sizeof name, prefix));
    return buf;
}

/*
 * How many entries of /dev/shm and $TMPDIR this process's tests left
 * behind: names made by tsup_name() from an "ipcx-" prefix carry the pid,
 * and Criterion runs each test in a process of its own.
 */
static inline int sync_leftovers(void)
{
    char tag[32];
    snprintf(tag, sizeof tag, "-%d-", (int)getpid());
    const char *tmp = getenv("TMPDIR");
    const char *dirs[] = {"/dev/shm", tmp && tmp[0] ? tmp : "/tmp"};
    int n = 0;
    for (int i = 0; i < 2; i++) {
        DIR *d = opendir(dirs[i]);
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            const char *name = e->d_name;
            if (!strncmp(name, "sem.", 4))
                name += 4;
            if (!strncmp(name, "ipcx-", 5) && strstr(name, tag)) {
                fprintf(stderr, "left behind: %s/%s\n", dirs[i], e->d_name);
                n++;
            }
        }
        closedir(d);
    }
    return n;
}

#endif
