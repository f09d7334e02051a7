/* SPDX-License-Identifier: MIT */
/*
 * stats.c: latency statistics from per-round-trip samples. Percentiles use
 * the nearest-rank method on the sorted samples: p is the smallest sample
 * such that at least p% of the samples are less than or equal to it. No
 * interpolation and no outlier removal: p99.9 of fewer than 1000 samples is
 * the maximum, and the report prints the sample count next to it.
 */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t rank(const int64_t *sorted, uint64_t n, double q)
{
    uint64_t k = (uint64_t)ceil(q * (double)n);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return sorted[k - 1];
}

void bench__percentiles(int64_t *samples, uint64_t n, struct bench_side_result *r)
{
    r->samples = n;
    if (n == 0)
        return;
    qsort(samples, n, sizeof *samples, cmp_i64);
    double sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += (double)samples[i];
    r->mean = sum / (double)n;
    r->min = samples[0];
    r->max = samples[n - 1];
    r->p50 = rank(samples, n, 0.50);
    r->p99 = rank(samples, n, 0.99);
    r->p999 = rank(samples, n, 0.999);
}
