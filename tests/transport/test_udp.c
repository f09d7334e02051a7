/* SPDX-License-Identifier: MIT */
/*
 * test_udp.c: the udp://host:port transport: a listener on a port the
 * kernel picks reports it in its URL; attributes kept across processes;
 * several dialers in forked and exec'ed processes into one listener (every
 * message arrives once: nothing is lost on loopback at this rate); the
 * largest datagram's body and one byte more; IPv6; timeouts; stray
 * datagrams that are not messages are dropped, not fatal to the link; bad
 * URLs; no descriptor left.
 * ipcx-test: label=transport timeout=90
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "oneway_test.h"

TestSuite(udp);

static char url[128];

static struct ipcx_listener *listen_any(const char *host)
{
    char want[64];
    snprintf(want, sizeof want, "udp://%s:0", host);
    struct ipcx_listener *l;
    cr_assert_eq(ipcx_link_listen(&l, want, NULL), 0);
    cr_assert_gt(ipcx_listener_url(l, url, sizeof url), 0);
    return l;
}

static int port_of(void)
{
    const char *p = strrchr(url, ':');
    return p ? atoi(p + 1) : 0;
}

static int send_two(void *arg)
{
    (void)arg;
    struct ipcx_link *k = NULL;
    TSUP_CHILD_CHECK(ipcx_link_dial(&k, url, NULL, 2000) == 0);
    struct ipcx_msg m1 = ow_msg("first", 5, LONG_MAX, IPCX_MSG_PRIO_MAX, UINT64_MAX);
    struct ipcx_msg m2 = ow_msg("", 0, 3, 0, 7);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m1, 1000) == 0);
    TSUP_CHILD_CHECK(ipcx_link_send(k, &m2, 1000) == 0);
    ipcx_link_close(k);
    return 0;
}

Test(udp, kernel_picked_port_and_attributes_cross_processes)
{
    int fds = tsup_fd_count();
    struct ipcx_listener *l = listen_any("127.0.0.1");
    cr_assert_eq(strncmp(url, "udp://127.0.0.1:", 16), 0, "%s", url);
    cr_assert_gt(port_of(), 0);
    struct ipcx_link *rx = ow_accept_once(l);
    struct ipcx_link_caps c;
    cr_assert_eq(ipcx_link_caps(rx, &c), 0);
    cr_assert_eq(c.flags, IPCX_LINK_RECV | IPCX_LINK_SHARED);
    cr_assert_eq((unsigned)ipcx_link_scheme_caps(url, 0), IPCX_LINK_SEND | IPCX_LINK_SHARED);

    pid_t pid = tsup_fork(send_two, NULL);
    cr_assert_gt(pid, 0);
    ow_expect(rx, "first", 5, LONG_MAX, IPCX_MSG_PRIO_MAX, UINT64_MAX);
    ow_expect(rx, "", 0, 3, 0, 7);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
    cr_assert_eq(tsup_fd_count(), fds);
}

Test(udp, several_dialers_into_one_listener)
{
    int fds = tsup_fd_count();
    struct ipcx_listener *l = listen_any("127.0.0.1");
    struct ipcx_link *rx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 1000), 0);
    /* Few and small enough for the socket's receive buffer: none is lost. */
    ow_many_to_one(rx, url, 3, 50, false);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
    cr_assert_eq(tsup_fd_count(), fds);
}

Test(udp, largest_message_and_one_byte_more)
{
    struct ipcx_listener *l = listen_any("127.0.0.1");
    struct ipcx_link *rx = NULL, *tx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 1000), 0);
    struct ipcx_link_caps c;
    cr_assert_eq(ipcx_link_caps(tx, &c), 0);
    cr_assert_eq(c.max_msg, 65507u - 24);
    char *big = malloc(c.max_msg + 1);
    for (size_t i = 0; i <= c.max_msg; i++)
        big[i] = (char)(i * 31 + 5);
    struct ipcx_msg m = ow_msg(big, c.max_msg, 1, 2, 3);
    cr_assert_eq(ipcx_link_send(tx, &m, 1000), 0);
    m.size++;
    cr_assert_eq(ipcx_link_send(tx, &m, 1000), IPCX_EMSGSIZE);
    ow_expect(rx, big, c.max_msg, 1, 2, 3);
    free(big);
    struct ipcx_link_opts o = {.max_msg = 65507};
    struct ipcx_link *k = NULL;
    cr_assert_eq(ipcx_link_dial(&k, url, &o, 0), IPCX_EINVAL);
    ipcx_link_close(tx);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
}

Test(udp, ipv6_and_timeouts)
{
    struct ipcx_listener *l = listen_any("[::1]");
    cr_assert_eq(strncmp(url, "udp://[::1]:", 12), 0, "%s", url);
    struct ipcx_link *rx = NULL, *tx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 1000), 0);
    struct ipcx_msg m;
    cr_assert_eq(ipcx_link_recv(rx, &m, IPCX_NOWAIT), IPCX_EAGAIN);
    OW_ASSERT_TIMED(ipcx_link_recv(rx, &m, 200), 200);
    struct ipcx_msg s = ow_msg("six", 3, 6, 6, 6);
    cr_assert_eq(ipcx_link_send(tx, &s, 1000), 0);
    struct pollfd p = {ipcx_link_fd(rx), POLLIN, 0};
    cr_assert_eq(poll(&p, 1, 2000), 1);
    ow_expect(rx, "six", 3, 6, 6, 6);
    ipcx_link_close(tx);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
}

Test(udp, stray_datagrams_are_dropped)
{
    struct ipcx_listener *l = listen_any("127.0.0.1");
    struct ipcx_link *rx = NULL, *tx = NULL;
    cr_assert_eq(ipcx_link_accept(l, &rx, 0), 0);
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 1000), 0);

    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(s, 0);
    struct sockaddr_in to = {0};
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port_of());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned char junk[40] = "garbage";
    unsigned char lying[24] = {'i', 'm', 1, 0, 0, 0, 0, 9}; /* says 9 bytes, none follow */
    cr_assert_eq(sendto(s, junk, sizeof junk, 0, (struct sockaddr *)&to, sizeof to), 40);
    cr_assert_eq(sendto(s, lying, sizeof lying, 0, (struct sockaddr *)&to, sizeof to), 24);
    cr_assert_eq(sendto(s, junk, 3, 0, (struct sockaddr *)&to, sizeof to), 3);
    close(s);
    struct ipcx_msg m;
    OW_ASSERT_TIMED(ipcx_link_recv(rx, &m, 200), 200);
    struct ipcx_msg good = ow_msg("good", 4, 1, 1, 1);
    cr_assert_eq(ipcx_link_send(tx, &good, 1000), 0);
    ow_expect(rx, "good", 4, 1, 1, 1);
    ipcx_link_close(tx);
    ipcx_link_close(rx);
    ipcx_listener_close(l);
}

Test(udp, a_closed_port_and_bad_urls)
{
    /* The listener goes away: a later send learns it (ICMP port unreachable). */
    struct ipcx_listener *l = listen_any("127.0.0.1");
    struct ipcx_link *tx = NULL;
    cr_assert_eq(ipcx_link_dial(&tx, url, NULL, 1000), 0);
    ipcx_listener_close(l);
    struct ipcx_msg m = ow_msg("x", 1, 0, 0, 0);
    int rc = 0;
    for (int i = 0; i < 50 && rc == 0; i++) {
        rc = ipcx_link_send(tx, &m, 1000);
        usleep(2000);
    }
    cr_assert_eq(rc, IPCX_EPEERDEAD, "%s", ipcx_errname(rc));
    ipcx_link_close(tx);

    static const char *const bad[] = {
        "udp://",        "udp://host",   "udp://:80",      "udp://1.2.3.4:99999",
        "udp:1.2.3.4:5", "udp://[::1:5", "udp://1.2.3.4:x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ipcx_listener *bl = NULL;
        struct ipcx_link *k = NULL;
        cr_assert_eq(ipcx_link_listen(&bl, bad[i], NULL), IPCX_EBADURL, "%s", bad[i]);
        cr_assert_eq(ipcx_link_dial(&k, bad[i], NULL, 0), IPCX_EBADURL, "%s", bad[i]);
    }
    struct ipcx_link *k = NULL;
    cr_assert_eq(ipcx_link_dial(&k, "udp://127.0.0.1:0", NULL, 0), IPCX_EBADURL);
}
