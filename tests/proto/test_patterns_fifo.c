/* SPDX-License-Identifier: MIT */
/*
 * test_patterns_fifo.c: the channel pattern suite (patterns.h) over
 * fifo:// (one way: the listener receives, dialers send). The listener
 * removes its FIFO when it closes.
 * ipcx-test: label=process timeout=180
 */
#include "patterns.h"

static void pat_url(char *buf, size_t size)
{
    char name[64];
    snprintf(buf, size, "fifo:///tmp/%s", tsup_name(name, sizeof name, "ipcx-chan"));
}
