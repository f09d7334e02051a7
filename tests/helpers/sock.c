/* SPDX-License-Identifier: MIT */
/*
 * sock.c: helper modes for the socket tests: unrelated processes (fork +
 * exec) that listen, connect, echo and report their credentials over Unix,
 * TCP and UDP sockets. Each exits 0 when all went as expected.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ipcx.h>

#include "helper.h"

static enum ipcx_unix_type parse_type(const char *s)
{
    if (!strcmp(s, "seqpacket"))
        return IPCX_UNIX_SEQPACKET;
    if (!strcmp(s, "dgram"))
        return IPCX_UNIX_DGRAM;
    return IPCX_UNIX_STREAM;
}

/* Connects, retrying while the listener is not there yet (up to 5 s). */
static struct ipcx_unix *connect_retry(const char *addr, enum ipcx_unix_type type)
{
    int64_t end = tsup_now_ms() + 5000;
    for (;;) {
        struct ipcx_unix *c;
        int rc = ipcx_unix_connect(&c, addr, type, NULL, 1000);
        if (rc == 0)
            return c;
        if (tsup_now_ms() > end)
            return NULL;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Echoes what arrives on `c` until end of stream. Returns 0, or 1 on an error. */
static int echo_loop(struct ipcx_unix *c)
{
    char buf[65536];
    for (;;) {
        ssize_t n = ipcx_unix_recv(c, buf, sizeof buf, 10000);
        if (n == 0)
            return 0;
        if (n < 0)
            return 1;
        if (ipcx_unix_send(c, buf, (size_t)n, 10000) != n)
            return 1;
    }
}

/* unix_echo ADDR TYPE: connects to ADDR and echoes until end of stream. */
TSUP_HELPER(unix_echo)
{
    if (argc < 3)
        return 2;
    struct ipcx_unix *c = connect_retry(argv[1], parse_type(argv[2]));
    if (!c)
        return 3;
    int rc = echo_loop(c);
    ipcx_unix_close(c);
    return rc;
}

/* unix_serve ADDR TYPE: listens on ADDR, accepts one connection, echoes until its end. */
TSUP_HELPER(unix_serve)
{
    if (argc < 3)
        return 2;
    struct ipcx_unix *l, *c;
    if (ipcx_unix_listen(&l, argv[1], parse_type(argv[2]), NULL) != 0)
        return 3;
    if (ipcx_unix_accept(l, &c, 10000) != 0)
        return 4;
    int rc = echo_loop(c);
    ipcx_unix_close(c);
    ipcx_unix_close(l);
    return rc;
}

/* unix_hold ADDR TYPE: listens on ADDR and waits to be killed (at most 30 s). */
TSUP_HELPER(unix_hold)
{
    if (argc < 3)
        return 2;
    struct ipcx_unix *l;
    if (ipcx_unix_listen(&l, argv[1], parse_type(argv[2]), NULL) != 0)
        return 3;
    struct timespec ts = {30, 0};
    nanosleep(&ts, NULL);
    ipcx_unix_close(l);
    return 0;
}

/*
 * unix_whoami ADDR: connects to ADDR and sends "pid uid gid" as it sees
 * itself, then waits for end of stream.
 */
TSUP_HELPER(unix_whoami)
{
    if (argc < 2)
        return 2;
    struct ipcx_unix *c = connect_retry(argv[1], IPCX_UNIX_STREAM);
    if (!c)
        return 3;
    char msg[64];
    int n = snprintf(msg, sizeof msg, "%d %u %u", (int)getpid(), (unsigned)getuid(),
                     (unsigned)getgid());
    if (ipcx_unix_send(c, msg, (size_t)n, 5000) != n)
        return 4;
    char b;
    ssize_t r = ipcx_unix_recv(c, &b, 1, 10000);
    ipcx_unix_close(c);
    return r == 0 ? 0 : 5;
}

/* tcp_echo HOST PORT: connects and echoes until end of stream. */
TSUP_HELPER(tcp_echo)
{
    if (argc < 3)
        return 2;
    struct ipcx_tcp *c;
    if (ipcx_tcp_connect(&c, argv[1], (uint16_t)atoi(argv[2]), NULL, 5000) != 0)
        return 3;
    char buf[65536];
    int rc = 0;
    for (;;) {
        ssize_t n = ipcx_tcp_recv(c, buf, sizeof buf, 10000);
        if (n == 0)
            break;
        if (n < 0 || ipcx_tcp_send(c, buf, (size_t)n, 10000) != n) {
            rc = 1;
            break;
        }
    }
    ipcx_tcp_close(c);
    return rc;
}

/*
 * udp_echo HOST PORT COUNT: opens a UDP socket on an ephemeral port of
 * HOST, says "hello" to HOST:PORT (so the test learns its address), then
 * echoes COUNT datagrams back to their senders.
 */
TSUP_HELPER(udp_echo)
{
    if (argc < 4)
        return 2;
    struct ipcx_inet_addr to;
    if (ipcx_inet_resolve(&to, 1, argv[1], (uint16_t)atoi(argv[2]), NULL, 2000) < 1)
        return 3;
    struct ipcx_udp *u;
    if (ipcx_udp_open(&u, argv[1], 0, NULL) != 0)
        return 4;
    if (ipcx_udp_sendto(u, &to, "hello", 5, 2000) != 5)
        return 5;
    int count = atoi(argv[3]);
    char buf[65536];
    for (int i = 0; i < count; i++) {
        struct ipcx_inet_addr from;
        ssize_t n = ipcx_udp_recv(u, buf, sizeof buf, &from, 10000);
        if (n < 0)
            return 6;
        if (ipcx_udp_sendto(u, &from, buf, (size_t)n, 5000) != n)
            return 7;
    }
    ipcx_udp_close(u);
    return 0;
}
