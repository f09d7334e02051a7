/* SPDX-License-Identifier: MIT */
/*
 * test_conform_udp.c: the transport conformance suite (conform.h) on
 * udp:// over the loopback (one way: dialers send, the listener receives),
 * with a port the kernel picks.
 *
 * UDP promises neither delivery nor order (no IPCX_LINK_RELIABLE, no
 * IPCX_LINK_ORDERED). On one machine it loses a datagram only when the
 * receiving socket's buffer (about 208 KiB by default) is full, and the
 * loopback keeps the order of one sender. So every case runs, with order
 * and completeness checked, but the bulk and size tests pace their sender
 * (conform_tp.window: it waits for the receiver after 64 KiB), because a
 * sender running ahead of a receiver the scheduler keeps waiting would
 * overflow that buffer: those bursts are not something UDP is meant to
 * survive. A dialer learns that the port closed from the ICMP error of an
 * earlier datagram (IPCX_EPEERDEAD at a later send; on the loopback it
 * always comes), though the transport cannot promise it elsewhere.
 * ipcx-test: label=transport timeout=180
 */
#include "conform.h"

static void listen_url(char *buf, size_t size)
{
    snprintf(buf, size, "udp://127.0.0.1:0");
}

static const char *const bad[] = {
    "udp:",
    "udp://",
    "udp:127.0.0.1:80",
    "udp://127.0.0.1",
    "udp://:80",
    "udp://127.0.0.1:",
    "udp://127.0.0.1:99999",
    "udp://127.0.0.1:port",
    "udp://127.0.0.1:-1",
    "udp://[::1:80",
    "udp://::1:80",
    NULL,
};

static const struct conform_tp tp = {
    .scheme = "udp",
    .listen_url = listen_url,
    .l_caps = IPCX_LINK_RECV | IPCX_LINK_SHARED,
    .d_caps = IPCX_LINK_SEND | IPCX_LINK_SHARED,
    .max_msg = 65507 - 24,
    .bad_urls = bad,
    .window = 64 * 1024,
    .gone_at_send = IPCX_EPEERDEAD,
};

static const struct conform_tp *conform_tp(void)
{
    return &tp;
}
