/* SPDX-License-Identifier: MIT */
/*
 * basic.c: helper modes that test the harness itself: exit with a code,
 * sleep, and report the descriptors inherited across exec.
 */
#include <stdlib.h>
#include <time.h>

#include "helper.h"

/* exit CODE: exits with CODE. */
TSUP_HELPER(exit)
{
    return argc > 1 ? atoi(argv[1]) : 0;
}

/* sleep MS: sleeps MS milliseconds, then exits 0. */
TSUP_HELPER(sleep)
{
    long ms = argc > 1 ? atol(argv[1]) : 1000;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    return 0;
}

/* fdcount: exits with the number of descriptors open after exec. */
TSUP_HELPER(fdcount)
{
    return tsup_fd_count();
}
