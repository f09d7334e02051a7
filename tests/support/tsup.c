/* SPDX-License-Identifier: MIT */
/*
 * tsup.c: child processes, names and descriptor counts for the tests. The
 * reaping wait uses a pidfd, so it has a real deadline and never polls.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>

#include "tsup.h"

#ifndef IPCX_TEST_HELPER_PATH
#error "IPCX_TEST_HELPER_PATH must be defined by the build"
#endif

int64_t tsup_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t tsup_now_ms(void)
{
    return tsup_now_ns() / 1000000LL;
}

uint32_t tsup_random32(void)
{
    uint32_t v = 0;
    while (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        ;
    return v & 0x7fffffffu;
}

char *tsup_name(char *buf, size_t size, const char *prefix)
{
    uint64_t r = 0;
    while (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        ;
    snprintf(buf, size, "%s-%d-%016llx", prefix, (int)getpid(), (unsigned long long)r);
    return buf;
}

int tsup_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

/* In a new child: die with the test process, so that a failed assertion
 * in the parent never leaves a child looping on the machine. */
static void die_with_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(TSUP_CHILD_FAILED);
}

pid_t tsup_fork(int (*fn)(void *arg), void *arg)
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        die_with_parent(parent);
        _exit(fn(arg));
    }
    return pid;
}

const char *tsup_helper_path(void)
{
    return IPCX_TEST_HELPER_PATH;
}

pid_t tsup_spawn_helper(const char *mode, const char *const *args)
{
    char *argv[20];
    int n = 0;
    argv[n++] = (char *)tsup_helper_path();
    argv[n++] = (char *)mode;
    for (int i = 0; args && args[i] && n < 18; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        die_with_parent(parent);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

int tsup_reap(pid_t pid, int timeout_ms)
{
    int status = 0;
    int pfd = pidfd_open(pid, 0);
    if (pfd >= 0) {
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        int64_t end = tsup_now_ms() + timeout_ms;
        for (;;) {
            int64_t left = end - tsup_now_ms();
            int n = poll(&p, 1, left > 0 ? (int)left : 0);
            if (n > 0)
                break;
            if (n == 0 || (n < 0 && errno != EINTR)) {
                kill(pid, SIGKILL);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                    ;
                close(pfd);
                return -ETIMEDOUT;
            }
        }
        close(pfd);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -errno;
    }
    return status;
}

int tsup_wait_exit(pid_t pid, int timeout_ms)
{
    int st = tsup_reap(pid, timeout_ms);
    if (st < 0)
        return -1;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}
