/* SPDX-License-Identifier: MIT */
/*
 * test_patterns_unix.c: the channel pattern suite (patterns.h) over
 * unix:// with abstract names.
 * ipcx-test: label=process timeout=180
 */
#include "patterns.h"

static void pat_url(char *buf, size_t size)
{
    char name[64];
    snprintf(buf, size, "unix://@%s", tsup_name(name, sizeof name, "chan"));
}
