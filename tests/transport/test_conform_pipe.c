/* SPDX-License-Identifier: MIT */
/*
 * test_conform_pipe.c: the transport conformance suite (conform.h) on
 * pipe:, with the pairs of pipes ipcx_link_pipe_urls() makes.
 * ipcx-test: label=transport timeout=180
 */
#define CONFORM_BYTE_STREAM 1
#include "conform.h"

static int pair_urls(char *l_url, char *d_url, size_t size)
{
    return ipcx_link_pipe_urls(l_url, d_url, size);
}

static int raw_peer(struct ipcx_link **k, int *wfd, const struct ipcx_link_opts *opts)
{
    int p[2];
    char url[64];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    snprintf(url, sizeof url, "pipe:%d,-", p[0]);
    cr_assert_eq(ipcx_link_dial(k, url, opts, 0), 0);
    *wfd = p[1];
    return 0;
}

static const char *const bad[] = {
    "pipe:",
    "pipe:-,-",
    "pipe:abc,1",
    "pipe:3",
    "pipe:3,4,5",
    "pipe://3,4",
    "pipe:-1,4",
    "pipe:99999999999,1",
    "pipe:3,4?close=",
    "pipe:3,4?close=x",
    "pipe:3,4?bogus=1.2",
    "pipe:3,4?close=5",
    "pipe:3,4?close=5.6,",
    "pipe: 3,4",
    NULL,
};

#define CAPS                                                                    \
    (IPCX_LINK_SEND | IPCX_LINK_RECV | IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | \
     IPCX_LINK_PEER_DEATH)

static const struct conform_tp tp = {
    .scheme = "pipe",
    .pair_urls = pair_urls,
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
