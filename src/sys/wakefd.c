/* SPDX-License-Identifier: MIT */
/*
 * sys/wakefd.c: eventfd and timerfd helpers (see wakefd.h). Every call is
 * non-blocking: the descriptors are created with EFD_NONBLOCK and
 * TFD_NONBLOCK, so a read of a descriptor that is not readable returns
 * EAGAIN at once, which is how "nothing to take" is told.
 */
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "sys/deadline.h"
#include "sys/err.h"
#include "sys/wakefd.h"

int ipcx__wakefd_event(unsigned initial)
{
    int fd = eventfd(initial, EFD_CLOEXEC | EFD_NONBLOCK);
    return fd < 0 ? ipcx__errno() : fd;
}

int ipcx__wakefd_take(int efd)
{
    uint64_t v;
    for (;;) {
        ssize_t n = read(efd, &v, sizeof v);
        if (n == (ssize_t)sizeof v)
            return 1;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return n < 0 ? ipcx__errno() : IPCX_EIO;
    }
}

int ipcx__wakefd_timer(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    return fd < 0 ? ipcx__errno() : fd;
}

int ipcx__wakefd_timer_set(int tfd, int64_t ns)
{
    /* Setting the timer, even to zero, resets the count of expirations the
     * kernel keeps: the descriptor is not readable afterwards until the
     * new expiry. */
    struct itimerspec its = {{0, 0}, {0, 0}};
    if (ns > 0) {
        its.it_value.tv_sec = (time_t)(ns / IPCX__NS_PER_S);
        its.it_value.tv_nsec = (long)(ns % IPCX__NS_PER_S);
    }
    if (timerfd_settime(tfd, 0, &its, NULL) < 0)
        return ipcx__errno();
    return 0;
}
