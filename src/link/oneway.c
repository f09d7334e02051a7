/* SPDX-License-Identifier: MIT */
/*
 * link/oneway.c: the single-link listener of the one-way transports (see
 * oneway.h). The eventfd's counter is the link still to be given: reading
 * it is atomic, so among threads accepting at once exactly one takes it.
 */
#include <poll.h>

#include <ipcx/error.h>

#include "link/oneway.h"
#include "sys/fd.h"
#include "sys/wakefd.h"

int ipcx__oneway_open(void)
{
    return ipcx__wakefd_event(1);
}

int ipcx__oneway_accept(int efd, const struct ipcx__deadline *dl)
{
    int nowait = ipcx__deadline_remaining_ns(dl) == 0;
    for (;;) {
        int rc = ipcx__wakefd_take(efd);
        if (rc != 0)
            return rc > 0 ? 0 : rc;
        /* Given already: nobody raises the eventfd again, so this waits
         * out the deadline (and returns at once when it is over). */
        rc = ipcx__poll1(efd, POLLIN, dl);
        if (rc == IPCX_ETIMEDOUT)
            return nowait ? IPCX_EAGAIN : IPCX_ETIMEDOUT;
        if (rc < 0)
            return rc;
    }
}
