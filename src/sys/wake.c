/* SPDX-License-Identifier: MIT */
/*
 * sys/wake.c: raising an eventfd, signal-free helper threads, descriptor
 * copies (see sys/wake.h).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include "sys/err.h"
#include "sys/wake.h"

void ipcx__wake_signal(int fd)
{
    uint64_t one = 1;
    /* A full counter (EAGAIN) is still readable: nothing is lost. */
    while (write(fd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

int ipcx__dup_cloexec(int fd)
{
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    return d < 0 ? ipcx__errno() : d;
}

int ipcx__thread_start(pthread_t *out, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    int rc = pthread_sigmask(SIG_SETMASK, &all, &old);
    if (rc != 0)
        return ipcx__err(rc);
    rc = pthread_create(out, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc != 0 ? ipcx__err(rc) : 0;
}
