/* SPDX-License-Identifier: MIT */
/*
 * test_conform_unix.c: the transport conformance suite (conform.h) on
 * unix://, over abstract names (every other test uses a path: see
 * test_link_unix.c).
 * ipcx-test: label=transport timeout=180
 */
#include <sys/socket.h>
#include <sys/un.h>

#define CONFORM_BYTE_STREAM 1
#include "conform.h"

static void listen_url(char *buf, size_t size)
{
    char name[64];
    snprintf(buf, size, "unix://@%s", tsup_name(name, sizeof name, "conform"));
}

static int raw_peer(struct ipcx_link **k, int *wfd, const struct ipcx_link_opts *opts)
{
    char url[128], name[64];
    struct ipcx_listener *l;
    tsup_name(name, sizeof name, "raw");
    snprintf(url, sizeof url, "unix://@%s", name);
    cr_assert_eq(ipcx_link_listen(&l, url, opts), 0);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(name);
    memcpy(sa.sun_path + 1, name, n);
    cr_assert_eq(connect(s, (struct sockaddr *)&sa,
                         (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)),
                 0);
    cr_assert_eq(ipcx_link_accept(l, k, CONFORM_WAIT_MS), 0);
    ipcx_listener_close(l);
    *wfd = s;
    return 0;
}

static const char *const bad[] = {
    "unix:",
    "unix://",
    "unix:/x",
    "unix://@",
    "unix://relative/path",
    "unix:///"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 131 bytes: over sun_path */
    NULL,
};

#define CAPS                                                                                    \
    (IPCX_LINK_SEND | IPCX_LINK_RECV | IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | IPCX_LINK_FDS | \
     IPCX_LINK_PEER_DEATH | IPCX_LINK_CRED)

static const struct conform_tp tp = {
    .scheme = "unix",
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
