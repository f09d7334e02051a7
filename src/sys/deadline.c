/* SPDX-License-Identifier: MIT */
/*
 * sys/deadline.c: deadline arithmetic. All sums saturate instead of
 * overflowing, so IPCX_FOREVER, INT_MAX milliseconds and clock values near
 * the ends of int64 behave as a reader expects.
 */
#include <limits.h>

#include "sys/deadline.h"
#include "sys/err.h"

int64_t ipcx__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * IPCX__NS_PER_S + ts.tv_nsec;
}

int ipcx__deadline_init(struct ipcx__deadline *d, int timeout_ms)
{
    d->at_ns = INT64_MAX;
    if (timeout_ms == -1)
        return 0;
    if (timeout_ms < 0)
        return IPCX_EINVAL;
    /* INT_MAX ms is under 2^51 ns: this cannot overflow for any uptime. */
    d->at_ns = ipcx__now_ns() + (int64_t)timeout_ms * IPCX__NS_PER_MS;
    return 0;
}

bool ipcx__deadline_expired(const struct ipcx__deadline *d)
{
    if (ipcx__deadline_is_forever(d))
        return false;
    return ipcx__now_ns() >= d->at_ns;
}

int64_t ipcx__deadline_remaining_ns(const struct ipcx__deadline *d)
{
    if (ipcx__deadline_is_forever(d))
        return INT64_MAX;
    int64_t left = d->at_ns - ipcx__now_ns();
    return left > 0 ? left : 0;
}

int ipcx__deadline_remaining_ms(const struct ipcx__deadline *d)
{
    if (ipcx__deadline_is_forever(d))
        return -1;
    int64_t left = ipcx__deadline_remaining_ns(d);
    int64_t ms = (left + IPCX__NS_PER_MS - 1) / IPCX__NS_PER_MS;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void ns_to_ts(int64_t ns, struct timespec *ts)
{
    ts->tv_sec = (time_t)(ns / IPCX__NS_PER_S);
    ts->tv_nsec = (long)(ns % IPCX__NS_PER_S);
}

bool ipcx__deadline_remaining_ts(const struct ipcx__deadline *d, struct timespec *ts)
{
    if (ipcx__deadline_is_forever(d))
        return false;
    ns_to_ts(ipcx__deadline_remaining_ns(d), ts);
    return true;
}

bool ipcx__deadline_abs_monotonic(const struct ipcx__deadline *d, struct timespec *ts)
{
    if (ipcx__deadline_is_forever(d))
        return false;
    ns_to_ts(d->at_ns < 0 ? 0 : d->at_ns, ts);
    return true;
}

bool ipcx__deadline_abs_realtime(const struct ipcx__deadline *d, struct timespec *ts)
{
    if (ipcx__deadline_is_forever(d))
        return false;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t rt = (int64_t)now.tv_sec * IPCX__NS_PER_S + now.tv_nsec;
    int64_t left = ipcx__deadline_remaining_ns(d);
    ns_to_ts(rt > INT64_MAX - left ? INT64_MAX : rt + left, ts);
    return true;
}

int ipcx__deadline_result(int timeout_ms)
{
    return timeout_ms == 0 ? IPCX_EAGAIN : IPCX_ETIMEDOUT;
}

long ipcx__deadline_map(long rc, int timeout_ms)
{
    return rc == IPCX_ETIMEDOUT ? ipcx__deadline_result(timeout_ms) : rc;
}
