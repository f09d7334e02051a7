/* SPDX-License-Identifier: MIT */
/*
 * test_conform_tcp.c: the transport conformance suite (conform.h) on
 * tcp:// over the loopback, with a port the kernel picks.
 * ipcx-test: label=transport timeout=180
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define CONFORM_BYTE_STREAM 1
#include "conform.h"

static void listen_url(char *buf, size_t size)
{
    snprintf(buf, size, "tcp://127.0.0.1:0");
}

static int raw_peer(struct ipcx_link **k, int *wfd, const struct ipcx_link_opts *opts)
{
    struct ipcx_listener *l;
    char url[128];
    cr_assert_eq(ipcx_link_listen(&l, "tcp://127.0.0.1:0", opts), 0);
    cr_assert_gt(ipcx_listener_url(l, url, sizeof url), 0);
    const char *colon = strrchr(url, ':');
    cr_assert_not_null(colon);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(s, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(ipcx_link_accept(l, k, CONFORM_WAIT_MS), 0);
    ipcx_listener_close(l);
    *wfd = s;
    return 0;
}

static const char *const bad[] = {
    "tcp:",
    "tcp://",
    "tcp:127.0.0.1:80",
    "tcp://127.0.0.1",
    "tcp://:80",
    "tcp://127.0.0.1:",
    "tcp://127.0.0.1:99999",
    "tcp://127.0.0.1:port",
    "tcp://127.0.0.1:-1",
    "tcp://[::1:80",
    "tcp://::1:80",
    "tcp://no such host:80",
    "tcp://300.1.1.1:80",
    NULL,
};

#define CAPS                                                                    \
    (IPCX_LINK_SEND | IPCX_LINK_RECV | IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | \
     IPCX_LINK_PEER_DEATH)

static const struct conform_tp tp = {
    .scheme = "tcp",
    .listen_url = listen_url,
    .l_caps = CAPS,
    .d_caps = CAPS,
    .max_msg = 16u * 1024 * 1024,
    .bad_urls = bad,
    .raw_peer = raw_peer,
};

static const struct conform_tp *conform_tp(void)
{
    return &tp;
}
