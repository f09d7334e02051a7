/* SPDX-License-Identifier: MIT */
/*
 * test_cmsg.c: the internal socket message helpers that later layers build
 * on: a stream send of several iovecs that the kernel takes in parts
 * resumes where it stopped and carries its descriptors with the first
 * part; counts out of range are refused before any system call; the peer's
 * groups and credentials read back as the kernel has them.
 * ipcx-test: label=unit timeout=30
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/cmsg.h"
#include "sys/err.h"
#include "sys/fd.h"
#include "tsup.h"

#define PART (1u << 20)

static int sv[2];

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 31 + (i >> 12));
}

/* Child: reads all 3 parts slowly, checks every byte and the descriptor. */
static int slow_reader(void *arg)
{
    ino_t want = *(ino_t *)arg;
    close(sv[0]);
    size_t total = 0, nfds_seen = 0;
    static unsigned char buf[65536];
    struct ipcx__deadline d;
    ipcx__deadline_init(&d, 10000);
    while (total < 3 * PART) {
        int fds[2];
        struct ipcx__sock_rx rx = {.fds = fds, .fds_cap = 2};
        struct iovec iov = {buf, sizeof buf};
        ssize_t n = ipcx__sock_recvmsg(sv[1], &iov, 1, &rx, &d);
        TSUP_CHILD_CHECK(n > 0);
        if (rx.nfds) {
            TSUP_CHILD_CHECK(total == 0 && rx.nfds == 1);
            struct stat st;
            TSUP_CHILD_CHECK(fstat(fds[0], &st) == 0 && st.st_ino == want);
            TSUP_CHILD_CHECK(ipcx__fd_is_cloexec(fds[0]) == 1);
            close(fds[0]);
            nfds_seen++;
        }
        for (ssize_t i = 0; i < n; i++)
            TSUP_CHILD_CHECK(buf[i] == pattern(total + (size_t)i));
        total += (size_t)n;
    }
    TSUP_CHILD_CHECK(nfds_seen == 1);
    return 0;
}

Test(cmsg, stream_send_in_parts_resumes_in_order_with_descriptors_first)
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    unsigned char *data = malloc(3 * PART);
    cr_assert_not_null(data);
    for (size_t i = 0; i < 3 * PART; i++)
        data[i] = pattern(i);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    struct stat st;
    fstat(devnull, &st);
    pid_t pid = tsup_fork(slow_reader, &st.st_ino);
    cr_assert_gt(pid, 0);
    close(sv[1]);

    struct iovec iov[3] = {{data, PART}, {data + PART, PART}, {data + 2 * PART, PART}};
    struct ipcx__deadline d;
    ipcx__deadline_init(&d, 10000);
    ssize_t n = ipcx__sock_sendmsg(sv[0], iov, 3, &devnull, 1, NULL, 0, true, &d);
    cr_assert_eq(n, (ssize_t)(3 * PART), "%s", ipcx_errname((int)n));
    cr_assert_eq(iov[1].iov_len, PART, "the caller's iovecs are left alone");
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    close(devnull);
    close(sv[0]);
    free(data);
}

Test(cmsg, counts_out_of_range_are_refused_up_front)
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    struct ipcx__deadline d;
    ipcx__deadline_init(&d, 100);
    struct iovec iov[IPCX__SOCK_MAX_IOV + 1];
    char c = 'x';
    for (int i = 0; i <= IPCX__SOCK_MAX_IOV; i++)
        iov[i] = (struct iovec){&c, 1};
    int fds[IPCX__SOCK_MAX_FDS + 1];
    for (int i = 0; i <= IPCX__SOCK_MAX_FDS; i++)
        fds[i] = sv[0];
    cr_assert_eq(
        ipcx__sock_sendmsg(sv[0], iov, IPCX__SOCK_MAX_IOV + 1, NULL, 0, NULL, 0, false, &d),
        IPCX_EINVAL);
    cr_assert_eq(ipcx__sock_sendmsg(sv[0], iov, 1, fds, IPCX__SOCK_MAX_FDS + 1, NULL, 0, false, &d),
                 IPCX_EINVAL);
    cr_assert_eq(ipcx__sock_sendmsg(sv[0], iov, 0, fds, 1, NULL, 0, true, &d), IPCX_EINVAL,
                 "descriptors on a stream need a byte");
    cr_assert_eq(ipcx__sock_sendmsg(sv[0], NULL, 1, NULL, 0, NULL, 0, false, &d), IPCX_EINVAL);
    struct ipcx__sock_rx rx = {.fds = fds, .fds_cap = IPCX__SOCK_MAX_FDS + 1};
    cr_assert_eq(ipcx__sock_recvmsg(sv[1], iov, 1, &rx, &d), IPCX_EINVAL);
    rx.fds = NULL;
    rx.fds_cap = 1;
    cr_assert_eq(ipcx__sock_recvmsg(sv[1], iov, 1, &rx, &d), IPCX_EINVAL);
    ipcx__deadline_init(&d, 0);
    cr_assert_eq(ipcx__sock_recvmsg(sv[1], iov, 1, NULL, &d), IPCX_ETIMEDOUT, "nothing was sent");
    close(sv[0]);
    close(sv[1]);
}

Test(cmsg, peer_credentials_and_groups_are_the_kernels)
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    struct ipcx_cred c;
    cr_assert_eq(ipcx__sock_peer_cred(sv[0], &c), 0);
    cr_assert_eq(c.pid, getpid());
    cr_assert_eq(c.uid, geteuid());
    cr_assert_eq(c.gid, getegid());
    gid_t *g;
    size_t n;
    cr_assert_eq(ipcx__sock_peer_groups(sv[0], &g, &n), 0);
    gid_t mine[256];
    int m = getgroups(256, mine);
    cr_assert_eq((int)n, m);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (int j = 0; j < m; j++)
            found |= g[i] == mine[j];
        cr_assert(found, "group %u", (unsigned)g[i]);
    }
    free(g);
    struct ipcx_cred seen;
    cr_assert_eq(ipcx__sock_peer_allowed(sv[0], NULL, &seen), 0);
    cr_assert_eq(seen.pid, getpid());

    int un = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_eq(ipcx__sock_peer_cred(un, &c), IPCX_ENOTCONN, "no peer, no credentials");
    cr_assert_eq(ipcx__sock_peer_allowed(un, NULL, NULL), IPCX_ENOTCONN, "and no admission");
    int pfd = ipcx__sock_peer_pidfd(un);
    cr_assert(pfd == IPCX_ENOTCONN || pfd == IPCX_ENOTSUP, "%s", ipcx_errname(pfd));
    close(un);
    close(sv[0]);
    close(sv[1]);
}
