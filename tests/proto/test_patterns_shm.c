/* SPDX-License-Identifier: MIT */
/*
 * test_patterns_shm.c: the channel pattern suite (patterns.h) over shm://
 * (shared-memory rings set up over an abstract Unix socket).
 * ipcx-test: label=process timeout=180
 */
#include "patterns.h"

static void pat_url(char *buf, size_t size)
{
    char name[64];
    snprintf(buf, size, "shm://%s", tsup_name(name, sizeof name, "chan"));
}
