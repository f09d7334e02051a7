/* SPDX-License-Identifier: MIT */
/*
 * test_patterns_mq.c: the channel pattern suite (patterns.h) over mq://
 * (POSIX message queues: one way, native priorities, 10 messages a queue
 * by default). The listener removes its queue when it closes.
 * ipcx-test: label=process timeout=180
 */
#include "patterns.h"

static void pat_url(char *buf, size_t size)
{
    char name[64];
    snprintf(buf, size, "mq:///%s", tsup_name(name, sizeof name, "ipcx-chan"));
}
