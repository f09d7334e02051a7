/* SPDX-License-Identifier: MIT */
/*
 * conform_shm.h: the conformance suite (conform.h) on shm://, in the
 * waiting mode CONFORM_SHM_WAIT (an enum ipcx_link_wait) that the including
 * test file defines: test_conform_shm_{busy,adaptive,block}.c. Both ends
 * use that mode. Over abstract names (nothing is left behind by a killed
 * listener).
 */
#ifndef IPCX_TESTS_CONFORM_SHM_H
#define IPCX_TESTS_CONFORM_SHM_H

#include <ipcx/ring.h>

#include "conform.h"

static void listen_url(char *buf, size_t size)
{
    char name[64];
    snprintf(buf, size, "shm://%s", tsup_name(name, sizeof name, "conform"));
}

static const char *const bad[] = {
    "shm:",
    "shm://",
    "shm:name",
    "shm:/name",
    "shm://"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 130 bytes: over sun_path */
    NULL,
};

#define CAPS                                                                    \
    (IPCX_LINK_SEND | IPCX_LINK_RECV | IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | \
     IPCX_LINK_PEER_DEATH | IPCX_LINK_CRED)

static const struct ipcx_link_opts opts = {.wait = CONFORM_SHM_WAIT};

static const struct conform_tp tp = {
    .scheme = "shm",
    .listen_url = listen_url,
    .l_caps = CAPS,
    .d_caps = CAPS,
    /* The default ring of 1 MiB: a record's header and the id go first. */
    .max_msg = (1u << 20) - IPCX_RING_RECORD_HEADER - 8,
    .bad_urls = bad,
    .opts = &opts,
};

static const struct conform_tp *conform_tp(void)
{
    return &tp;
}

#endif
