/* SPDX-License-Identifier: MIT */
/*
 * test_conform_sysv.c: the transport conformance suite (conform.h) on
 * sysv:// (System V message queues: one way, native types, 16 KiB a queue
 * by default). A dialer cannot tell that a killed listener is gone: the
 * queue outlives it, fills, and sends time out.
 * ipcx-test: label=transport timeout=180
 */
#include <stdlib.h>
#include <sys/msg.h>

#include "conform.h"

static void listen_url(char *buf, size_t size)
{
    snprintf(buf, size, "sysv://%u", tsup_random32() | 0x10000000u);
}

/* A killed listener leaves its queue. */
static void remove_name(const char *url)
{
    cr_assert_eq(strncmp(url, "sysv://", 7), 0);
    key_t key = (key_t)strtoul(url + 7, NULL, 0);
    int id = msgget(key, 0);
    cr_assert_geq(id, 0, "%s", url);
    cr_assert_eq(msgctl(id, IPC_RMID, NULL), 0);
}

static const char *const bad[] = {
    "sysv:",       "sysv://",   "sysv:123",    "sysv://0",           "sysv://0x",
    "sysv://12ab", "sysv://-5", "sysv://0xg1", "sysv://99999999999", "sysv://0x100000000",
    "sysv:///123", NULL,
};

#define COMMON (IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | IPCX_LINK_NATIVE_TYPE | IPCX_LINK_SHARED)

static const struct conform_tp tp = {
    .scheme = "sysv",
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
