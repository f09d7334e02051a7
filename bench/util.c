/* SPDX-License-Identifier: MIT */
/*
 * util.c: what rows share besides the harness: reading a kernel limit from
 * /proc, and starting and stopping a helper program (a peer library's daemon)
 * by its own process id.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

long bench_read_proc_long(const char *path, long fallback)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return fallback;
    long v;
    int ok = fscanf(f, "%ld", &v) == 1;
    fclose(f);
    return ok ? v : fallback;
}

pid_t bench_spawn(const char *const argv[], int out_fd)
{
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid > 0)
        return pid;
    /* The child: the tool's original mask (the bench blocks signals it reads
     * from a signalfd), SIGTERM when the tool goes away, output redirected. */
    if (bench__env)
        sigprocmask(SIG_SETMASK, &bench__env->orig_mask, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    int fd = out_fd >= 0 ? out_fd : open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
    }
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in >= 0)
        dup2(in, STDIN_FILENO);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
}

int bench_stop(pid_t pid, int timeout_ms)
{
    int status = 0;
    int pfd = pidfd_open(pid, 0);
    kill(pid, SIGTERM);
    if (pfd >= 0) {
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        int64_t end = bench_now_ns() + (int64_t)timeout_ms * 1000000;
        for (;;) {
            int64_t left = end - bench_now_ns();
            int n = poll(&p, 1, left > 0 ? (int)(left / 1000000) + 1 : 0);
            if (n > 0)
                break;
            if (n == 0 || errno != EINTR) {
                kill(pid, SIGKILL);
                break;
            }
        }
        close(pfd);
    } else {
        kill(pid, SIGKILL);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -errno;
    }
    return status;
}
