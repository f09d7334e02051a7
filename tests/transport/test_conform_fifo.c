/* SPDX-License-Identifier: MIT */
/*
 * test_conform_fifo.c: the transport conformance suite (conform.h) on
 * fifo:// (one way: dialers write, the listener reads). A dialer notices
 * the reader's end (IPCX_EPEERDEAD at a send) though the transport
 * declares no IPCX_LINK_PEER_DEATH: its listener cannot see its writers.
 * ipcx-test: label=transport timeout=180
 */
#include <limits.h>

#include "conform.h"

static void listen_url(char *buf, size_t size)
{
    char name[64];
    snprintf(buf, size, "fifo:///tmp/%s", tsup_name(name, sizeof name, "conform"));
}

/* A killed listener leaves its FIFO. */
static void remove_name(const char *url)
{
    cr_assert_eq(strncmp(url, "fifo://", 7), 0);
    cr_assert_eq(unlink(url + 7), 0, "%s", url);
}

static const char *const bad[] = {
    "fifo:", "fifo://", "fifo:/tmp/x", "fifo://tmp/x", "fifo://relative", NULL,
};

#define COMMON (IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | IPCX_LINK_SHARED)

static const struct conform_tp tp = {
    .scheme = "fifo",
    .listen_url = listen_url,
    .l_caps = IPCX_LINK_RECV | COMMON,
    .d_caps = IPCX_LINK_SEND | COMMON,
    .max_msg = PIPE_BUF - 24,
    .bad_urls = bad,
    .gone_at_send = IPCX_EPEERDEAD,
    .remove_name = remove_name,
};

static const struct conform_tp *conform_tp(void)
{
    return &tp;
}
