/* SPDX-License-Identifier: MIT */
/*
 * sys/deadline.h: the one way the library keeps time for blocking calls.
 *
 * A public call turns its `timeout_ms` into a deadline on entry, an absolute
 * instant on CLOCK_MONOTONIC, and passes that deadline down. Every wait
 * below (poll, futex, semaphore, message queue) derives what it hands the
 * kernel from the deadline at that moment, so a retry after EINTR waits
 * only for what is left: signals neither shorten nor extend the call, and
 * changes of the wall clock do not move it.
 */
#ifndef IPCX_SYS_DEADLINE_H
#define IPCX_SYS_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct ipcx__deadline {
    /* Absolute CLOCK_MONOTONIC time in ns; INT64_MAX means no limit. */
    int64_t at_ns;
};

#define IPCX__NS_PER_MS 1000000LL
#define IPCX__NS_PER_S  1000000000LL

/* The current CLOCK_MONOTONIC time in nanoseconds. */
int64_t ipcx__now_ns(void);

/*
 * Starts a deadline `timeout_ms` from now: IPCX_FOREVER (-1) is no limit,
 * 0 is already expired (non-blocking use), any other negative value gives
 * IPCX_EINVAL and leaves *d with no limit. Returns 0 otherwise.
 */
int ipcx__deadline_init(struct ipcx__deadline *d, int timeout_ms);

/* A deadline with no limit. */
static inline struct ipcx__deadline ipcx__deadline_forever(void)
{
    struct ipcx__deadline d = {INT64_MAX};
    return d;
}

static inline bool ipcx__deadline_is_forever(const struct ipcx__deadline *d)
{
    return d->at_ns == INT64_MAX;
}

/* True once the deadline has passed (never for one with no limit). */
bool ipcx__deadline_expired(const struct ipcx__deadline *d);

/* Nanoseconds left, 0 when expired, INT64_MAX for no limit. */
int64_t ipcx__deadline_remaining_ns(const struct ipcx__deadline *d);

/*
 * Milliseconds left for an API that counts in ms (poll, epoll): rounded up
 * so that the caller never wakes before the deadline, -1 for no limit, 0
 * when expired, capped at INT_MAX.
 */
int ipcx__deadline_remaining_ms(const struct ipcx__deadline *d);

/*
 * Time left as a relative timespec (ppoll, semtimedop). Returns false, and
 * leaves *ts alone, for a deadline with no limit.
 */
bool ipcx__deadline_remaining_ts(const struct ipcx__deadline *d, struct timespec *ts);

/*
 * The deadline as an absolute CLOCK_MONOTONIC timespec (futex bitset waits,
 * sem_clockwait, pthread_*_clock*). Returns false for no limit.
 */
bool ipcx__deadline_abs_monotonic(const struct ipcx__deadline *d, struct timespec *ts);

/*
 * The deadline expressed on CLOCK_REALTIME now, for the calls that only take
 * wall-clock instants (mq_timedsend/receive). A wall-clock jump can move that
 * instant, so callers treat a kernel ETIMEDOUT as final only once
 * ipcx__deadline_expired() agrees, and retry otherwise. Returns false for
 * no limit.
 */
bool ipcx__deadline_abs_realtime(const struct ipcx__deadline *d, struct timespec *ts);

/*
 * What a call reports when its wait ran out: IPCX_EAGAIN ("it would have
 * blocked") when the caller asked for IPCX_NOWAIT, IPCX_ETIMEDOUT for any
 * other timeout. Every blocking call of the library follows this rule.
 */
int ipcx__deadline_result(int timeout_ms);

/*
 * `rc` as the public call returns it: IPCX_ETIMEDOUT (the code the waits
 * below return at the deadline) becomes ipcx__deadline_result(timeout_ms),
 * anything else passes through.
 */
long ipcx__deadline_map(long rc, int timeout_ms);

/* The earlier of two deadlines. */
static inline struct ipcx__deadline ipcx__deadline_min(struct ipcx__deadline a,
                                                       struct ipcx__deadline b)
{
    return a.at_ns <= b.at_ns ? a : b;
}

#endif
