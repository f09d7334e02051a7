/* SPDX-License-Identifier: MIT */
/*
 * sys/backoff.c: bounded exponential sleeps between non-blocking attempts.
 * The sleep is absolute on CLOCK_MONOTONIC and clipped to the deadline (see
 * backoff.h for why that keeps deadlines within one attempt's cost).
 */
#include "sys/backoff.h"
#include "sys/err.h"

int ipcx__backoff_sleep(struct ipcx__backoff *b, const struct ipcx__deadline *d)
{
    int64_t now = ipcx__now_ns();
    if (!ipcx__deadline_is_forever(d) && now >= d->at_ns)
        return IPCX_ETIMEDOUT;
    int64_t until = now + b->step_ns;
    if (until > d->at_ns)
        until = d->at_ns;
    struct timespec ts = {.tv_sec = (time_t)(until / IPCX__NS_PER_S),
                          .tv_nsec = (long)(until % IPCX__NS_PER_S)};
    /* EINTR only makes the next attempt come early; nothing to retry here. */
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    if (b->step_ns < b->cap_ns) {
        b->step_ns *= 2;
        if (b->step_ns > b->cap_ns)
            b->step_ns = b->cap_ns;
    }
    return 0;
}
