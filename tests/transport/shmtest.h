/* SPDX-License-Identifier: MIT */
/*
 * shmtest.h: what the shm:// tests share: random URLs, a listener and a
 * dialer in one call (the dialer on a thread, for tests of one process's
 * behaviour), and small message helpers.
 */
#ifndef IPCX_TESTS_SHMTEST_H
#define IPCX_TESTS_SHMTEST_H

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx.h>

#include "tsup.h"

/* A random abstract shm:// URL. */
static inline char *shm_url(char *buf, size_t size)
{
    char name[64];
    tsup_name(name, sizeof name, "shmt");
    snprintf(buf, size, "shm://%s", name);
    return buf;
}

struct shm_dial_arg {
    const char *url;
    const struct ipcx_link_opts *opts;
    struct ipcx_link *link;
    int rc;
};

static inline void *shm_dial_thread(void *p)
{
    struct shm_dial_arg *a = p;
    a->rc = ipcx_link_dial(&a->link, a->url, a->opts, 5000);
    return NULL;
}

/* Listens on `url`, dials it from a thread, accepts: two ends of one link. */
static inline void shm_pair(const char *url, const struct ipcx_link_opts *lopts,
                            const struct ipcx_link_opts *dopts, struct ipcx_listener **l,
                            struct ipcx_link **server, struct ipcx_link **client)
{
    cr_assert_eq(ipcx_link_listen(l, url, lopts), 0);
    struct shm_dial_arg a = {url, dopts, NULL, -1};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, shm_dial_thread, &a), 0);
    int rc = ipcx_link_accept(*l, server, 5000);
    pthread_join(t, NULL);
    cr_assert_eq(rc, 0, "accept: %s", ipcx_errname(rc));
    cr_assert_eq(a.rc, 0, "dial: %s", ipcx_errname(a.rc));
    *client = a.link;
}

/* Message i's body: `len` bytes derived from i. */
static inline void shm_fill(unsigned char *buf, size_t len, uint64_t i)
{
    uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
    for (size_t k = 0; k < len; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[k] = (unsigned char)x;
    }
}

static inline int shm_check(const struct ipcx_msg *m, size_t len, uint64_t i)
{
    if (m->size != len)
        return 0;
    unsigned char *want = malloc(len ? len : 1);
    shm_fill(want, len, i);
    int ok = len == 0 || memcmp(want, m->data, len) == 0;
    free(want);
    return ok;
}

#endif
