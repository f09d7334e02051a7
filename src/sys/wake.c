/* SPDX-License-Identifier: MIT */
/*
 * sys/wake.c: eventfd wake-ups, a deadline-bounded poll over many
 * descriptors, and signal-free helper threads (see sys/wake.h).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sys/err.h"
#include "sys/wake.h"

int ipcx__wake_open(void)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return fd < 0 ? ipcx__errno() : fd;
}

void ipcx__wake_signal(int fd)
{
    uint64_t one = 1;
    /* A full counter (EAGAIN) is still readable: nothing is lost. */
    while (write(fd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

void ipcx__wake_drain(int fd)
{
    uint64_t v;
    while (read(fd, &v, sizeof v) < 0 && errno == EINTR)
        ;
}

int ipcx__dup_cloexec(int fd)
{
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    return d < 0 ? ipcx__errno() : d;
}

int ipcx__poll_many(struct pollfd *fds, size_t n, const struct ipcx__deadline *d)
{
    for (;;) {
        struct timespec left, *tp = NULL;
        if (ipcx__deadline_remaining_ts(d, &left))
            tp = &left;
        for (size_t i = 0; i < n; i++)
            fds[i].revents = 0;
        int r = ppoll(fds, (nfds_t)n, tp, NULL);
        if (r > 0)
            return r;
        if (r == 0) {
            if (ipcx__deadline_expired(d))
                return IPCX_ETIMEDOUT;
            continue;
        }
        if (errno != EINTR)
            return ipcx__errno();
        if (ipcx__deadline_expired(d))
            return IPCX_ETIMEDOUT;
    }
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
