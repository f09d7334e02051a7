/* SPDX-License-Identifier: MIT */
/*
 * test_deadline.c: deadline arithmetic at the edges: 0 (already expired),
 * -1 (no limit), other negatives (invalid), INT_MAX milliseconds, rounding
 * of what is left, and conversion to the clocks the kernel calls take.
 * ipcx-test: label=unit timeout=30
 */
#include <criterion/criterion.h>
#include <limits.h>

#include "sys/deadline.h"
#include "sys/err.h"

Test(deadline, forever)
{
    struct ipcx__deadline d;
    cr_assert_eq(ipcx__deadline_init(&d, IPCX_FOREVER), 0);
    cr_assert(ipcx__deadline_is_forever(&d));
    cr_assert_not(ipcx__deadline_expired(&d));
    cr_assert_eq(ipcx__deadline_remaining_ms(&d), -1);
    cr_assert_eq(ipcx__deadline_remaining_ns(&d), INT64_MAX);
    struct timespec ts = {123, 456};
    cr_assert_not(ipcx__deadline_remaining_ts(&d, &ts));
    cr_assert_not(ipcx__deadline_abs_monotonic(&d, &ts));
    cr_assert_not(ipcx__deadline_abs_realtime(&d, &ts));
    cr_assert_eq(ts.tv_sec, 123, "a no-limit deadline must not touch the timespec");
}

Test(deadline, zero_is_already_expired)
{
    struct ipcx__deadline d;
    cr_assert_eq(ipcx__deadline_init(&d, IPCX_NOWAIT), 0);
    cr_assert(ipcx__deadline_expired(&d));
    cr_assert_eq(ipcx__deadline_remaining_ms(&d), 0);
    cr_assert_eq(ipcx__deadline_remaining_ns(&d), 0);
    struct timespec ts;
    cr_assert(ipcx__deadline_remaining_ts(&d, &ts));
    cr_assert_eq(ts.tv_sec, 0);
    cr_assert_eq(ts.tv_nsec, 0);
}

Test(deadline, other_negatives_are_invalid)
{
    const int bad[] = {-2, -1000, INT_MIN};
    for (size_t i = 0; i < 3; i++) {
        struct ipcx__deadline d;
        cr_assert_eq(ipcx__deadline_init(&d, bad[i]), IPCX_EINVAL);
    }
}

Test(deadline, huge_timeout_does_not_overflow)
{
    struct ipcx__deadline d;
    cr_assert_eq(ipcx__deadline_init(&d, INT_MAX), 0);
    cr_assert_not(ipcx__deadline_is_forever(&d));
    cr_assert_not(ipcx__deadline_expired(&d));
    int ms = ipcx__deadline_remaining_ms(&d);
    cr_assert_leq(ms, INT_MAX);
    cr_assert_geq(ms, INT_MAX - 1000);
    struct timespec mono, rt, now;
    cr_assert(ipcx__deadline_abs_monotonic(&d, &mono));
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long diff = (long long)mono.tv_sec - now.tv_sec;
    cr_assert(diff >= INT_MAX / 1000 - 2 && diff <= INT_MAX / 1000 + 1, "diff %lld", diff);
    cr_assert(ipcx__deadline_abs_realtime(&d, &rt));
    clock_gettime(CLOCK_REALTIME, &now);
    diff = (long long)rt.tv_sec - now.tv_sec;
    cr_assert(diff >= INT_MAX / 1000 - 2 && diff <= INT_MAX / 1000 + 1, "diff %lld", diff);
    cr_assert(rt.tv_nsec >= 0 && rt.tv_nsec < 1000000000L);
}

Test(deadline, remaining_ms_rounds_up)
{
    /* 1 ns left must read as 1 ms, or a poll() loop would spin at 0 ms. */
    struct ipcx__deadline d = {ipcx__now_ns() + 5 * IPCX__NS_PER_S};
    int ms = ipcx__deadline_remaining_ms(&d);
    cr_assert(ms > 4900 && ms <= 5000, "ms %d", ms);
    d.at_ns = ipcx__now_ns() + 1000; /* 1 us */
    ms = ipcx__deadline_remaining_ms(&d);
    cr_assert(ms == 1 || ms == 0, "ms %d", ms);
    if (!ipcx__deadline_expired(&d))
        cr_assert_eq(ms, 1);
}

Test(deadline, remaining_shrinks_and_expires)
{
    struct ipcx__deadline d;
    cr_assert_eq(ipcx__deadline_init(&d, 30), 0);
    int64_t first = ipcx__deadline_remaining_ns(&d);
    cr_assert(first > 0 && first <= 30 * IPCX__NS_PER_MS);
    struct timespec ts = {0, 40 * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    cr_assert(ipcx__deadline_expired(&d));
    cr_assert_eq(ipcx__deadline_remaining_ns(&d), 0);
    cr_assert_eq(ipcx__deadline_remaining_ms(&d), 0);
}

Test(deadline, min_picks_the_earlier)
{
    struct ipcx__deadline a, b, f = ipcx__deadline_forever();
    ipcx__deadline_init(&a, 10);
    ipcx__deadline_init(&b, 20);
    cr_assert_eq(ipcx__deadline_min(a, b).at_ns, a.at_ns);
    cr_assert_eq(ipcx__deadline_min(b, a).at_ns, a.at_ns);
    cr_assert_eq(ipcx__deadline_min(f, b).at_ns, b.at_ns);
    cr_assert(ipcx__deadline_is_forever(&(struct ipcx__deadline){ipcx__deadline_min(f, f).at_ns}));
}
