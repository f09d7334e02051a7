/* SPDX-License-Identifier: MIT */
/*
 * test_patterns_sysv.c: the channel pattern suite (patterns.h) over
 * sysv:// (System V message queues: one way, native types). The listener
 * removes its queue when it closes.
 * ipcx-test: label=process timeout=180
 */
#include "patterns.h"

static void pat_url(char *buf, size_t size)
{
    snprintf(buf, size, "sysv://%u", tsup_random32() | 0x10000000u);
}
