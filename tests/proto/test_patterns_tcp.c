/* SPDX-License-Identifier: MIT */
/*
 * test_patterns_tcp.c: the channel pattern suite (patterns.h) over tcp://
 * on the loopback; every listener takes a port the kernel picks, and
 * dialers learn it from ipcx_chan_endpoint_url().
 * ipcx-test: label=process timeout=180
 */
#include "patterns.h"

static void pat_url(char *buf, size_t size)
{
    snprintf(buf, size, "tcp://127.0.0.1:0");
}
