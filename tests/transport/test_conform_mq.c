/* SPDX-License-Identifier: MIT */
/*
 * test_conform_mq.c: the transport conformance suite (conform.h) on mq://
 * (POSIX message queues: one way, the kernel orders by priority, 10
 * messages of 8 KiB by default). A dialer cannot tell that the listener
 * is gone: the queue outlives it, fills, and sends time out.
 * ipcx-test: label=transport timeout=180
 */
#include <mqueue.h>

#include "conform.h"

static void listen_url(char *buf, size_t size)
{
    char name[64];
    snprintf(buf, size, "mq:///%s", tsup_name(name, sizeof name, "conform"));
}

/* A killed listener leaves its queue. */
static void remove_name(const char *url)
{
    cr_assert_eq(strncmp(url, "mq://", 5), 0);
    cr_assert_eq(mq_unlink(url + 5), 0, "%s", url);
}

static const char *const bad[] = {
    "mq:",
    "mq://",
    "mq:///",
    "mq:/name",
    "mq://name",
    "mq:///a/b",
    "mq:///"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    NULL,
};

#define COMMON (IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | IPCX_LINK_NATIVE_PRIO | IPCX_LINK_SHARED)

static const struct conform_tp tp = {
    .scheme = "mq",
    .listen_url = listen_url,
    .l_caps = IPCX_LINK_RECV | COMMON,
    .d_caps = IPCX_LINK_SEND | COMMON,
    .max_msg = 8192 - 24,
    .bad_urls = bad,
    .remove_name = remove_name,
};

static const struct conform_tp *conform_tp(void)
{
    return &tp;
}
