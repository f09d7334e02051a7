/* SPDX-License-Identifier: MIT */
/*
 * sys/cmsg.c: sendmsg/recvmsg with a deadline, descriptor passing and peer
 * credentials.
 *
 * Every call is non-blocking in the kernel (MSG_DONTWAIT) and waits with
 * ipcx__poll1() for what is left of the deadline, so the caller's socket may
 * be in either mode and the deadline is kept across signals. Whether a call
 * waits before its first attempt or after it follows the descriptor's last
 * call (ipcx__io_first(), fd.h): two system calls per message that has to
 * be waited for, one per message already there.
 *
 * Receiving descriptors is where leaks hide. The kernel installs as many of
 * a message's descriptors as fit in the control buffer and sets MSG_CTRUNC
 * when some did not fit (or when the receiver hit its descriptor limit);
 * those that were installed are ours to close. So a receive walks every
 * control message, collects every descriptor, and either hands all of them
 * to the caller or closes all of them: there is no partial outcome. They
 * are installed with MSG_CMSG_CLOEXEC, so not even a concurrent fork+exec
 * in another thread can inherit one.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sys/cmsg.h"
#include "sys/cred.h"
#include "sys/err.h"
#include "sys/fd.h"

/*
 * Values from the kernel's uapi headers that an older C library may lack.
 * SO_PEERPIDFD has this value on every architecture using the generic
 * socket option numbers; elsewhere it stays undefined and the pidfd query
 * reports IPCX_ENOTSUP.
 */
#if !defined(SO_PEERPIDFD) && !defined(__alpha__) && !defined(__mips__) && !defined(__hppa__) && \
    !defined(__sparc__)
#define SO_PEERPIDFD 77
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

/* Room for the largest descriptor set plus one set of credentials. */
#define CTL_FDS_SPACE  CMSG_SPACE(sizeof(int) * IPCX__SOCK_MAX_FDS)
#define CTL_CRED_SPACE CMSG_SPACE(sizeof(struct ucred))

union ctl_buf {
    char buf[CTL_FDS_SPACE + CTL_CRED_SPACE];
    struct cmsghdr align;
};

/*
 * A datagram sent to an unconnected peer whose queue is full fails with
 * EAGAIN while poll() reports the socket writable (its own buffer has room),
 * so waiting on readiness alone would spin. When that happens the wait backs
 * off: 50 us, doubling to 5 ms, never past the deadline.
 */
static void backoff_sleep(unsigned *us, const struct ipcx__deadline *d)
{
    *us = *us ? (*us >= 2500 ? 5000 : *us * 2) : 50;
    int64_t ns = (int64_t)*us * 1000;
    int64_t left = ipcx__deadline_remaining_ns(d);
    if (ns > left)
        ns = left;
    struct timespec ts = {(time_t)(ns / IPCX__NS_PER_S), (long)(ns % IPCX__NS_PER_S)};
    nanosleep(&ts, NULL);
}

/*
 * Sets SO_RCVTIMEO or SO_SNDTIMEO (`opt`) to at most what is left of the
 * deadline (none for no limit). `cache` holds what the socket has now, in
 * microseconds (0: none, -1: unknown); a timeout at most 2 ms shorter than
 * what is left is kept, so a caller that passes the same timeout every
 * time makes no extra call. A shorter kernel timeout only makes the caller
 * loop; a longer one is never set.
 */
static int set_timeo(int sock, int opt, int64_t *cache, const struct ipcx__deadline *d)
{
    int64_t want = 0;
    if (!ipcx__deadline_is_forever(d)) {
        int64_t left = ipcx__deadline_remaining_ns(d) / 1000;
        if (left < 1)
            left = 1;
        if (*cache > 0 && *cache <= left && *cache >= left - 2000)
            return 0;
        want = left;
    } else if (*cache == 0) {
        return 0;
    }
    struct timeval tv = {(time_t)(want / 1000000), (suseconds_t)(want % 1000000)};
    if (setsockopt(sock, SOL_SOCKET, opt, &tv, sizeof tv) < 0) {
        *cache = -1;
        return ipcx__errno();
    }
    *cache = want;
    return 0;
}

/* MSG_DONTWAIT, or 0 with the kernel's timeout set for a kernel-timed wait. */
static int wait_flag(int sock, int opt, int64_t *kt, const struct ipcx__deadline *d, int *rc)
{
    *rc = 0;
    if (!kt || ipcx__deadline_expired(d))
        return MSG_DONTWAIT;
    *rc = set_timeo(sock, opt, kt, d);
    return 0;
}

static ssize_t send_common(int sock, const struct iovec *iov, int iovcnt, const int *fds,
                           size_t nfds, const void *addr, socklen_t addrlen, bool stream,
                           int64_t *kt, const struct ipcx__deadline *d)
{
    if (iovcnt < 0 || iovcnt > IPCX__SOCK_MAX_IOV || (iovcnt && !iov))
        return IPCX_EINVAL;
    if (nfds > IPCX__SOCK_MAX_FDS || (nfds && !fds))
        return IPCX_EINVAL;
    struct iovec v[IPCX__SOCK_MAX_IOV];
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len && !iov[i].iov_base)
            return IPCX_EINVAL;
        if (iov[i].iov_len > (size_t)SSIZE_MAX - total)
            return IPCX_EINVAL;
        total += iov[i].iov_len;
        v[i] = iov[i];
    }
    /* A stream carries descriptors with a byte; with none they would not go. */
    if (stream && nfds && total == 0)
        return IPCX_EINVAL;

    union ctl_buf ctl;
    if (nfds) {
        memset(ctl.buf, 0, CMSG_SPACE(sizeof(int) * nfds));
        struct cmsghdr *c = &ctl.align;
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }

    struct iovec *cur = v;
    int left_iov = iovcnt;
    size_t sent = 0;
    bool fds_pending = nfds > 0;
    unsigned backoff_us = 0;
    /* With the kernel's timeout the call itself waits: no poll first. */
    int r = kt ? 0 : ipcx__io_first(sock, IPCX__IO_TX, POLLOUT, d);
    if (r < 0)
        return r;
    bool waited = r > 0;
    for (;;) {
        struct msghdr m = {0};
        m.msg_name = (void *)addr;
        m.msg_namelen = addrlen;
        m.msg_iov = cur;
        m.msg_iovlen = (size_t)left_iov;
        if (fds_pending) {
            m.msg_control = ctl.buf;
            m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        }
        int rc;
        int wflag = wait_flag(sock, SO_SNDTIMEO, kt, d, &rc);
        if (rc < 0)
            return sent ? (ssize_t)sent : rc;
        ssize_t n = sendmsg(sock, &m, wflag | MSG_NOSIGNAL);
        if (n >= 0) {
            fds_pending = false;
            sent += (size_t)n;
            if (!stream || sent >= total)
                return (ssize_t)sent;
            /* A stream took part of it: step past what went. */
            size_t skip = (size_t)n;
            while (left_iov > 0 && skip >= cur->iov_len) {
                skip -= cur->iov_len;
                cur++;
                left_iov--;
            }
            if (left_iov > 0) {
                cur->iov_base = (char *)cur->iov_base + skip;
                cur->iov_len -= skip;
            }
            backoff_us = 0;
            waited = false;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return sent ? (ssize_t)sent : ipcx__errno();
        if (ipcx__deadline_expired(d))
            return sent ? (ssize_t)sent : IPCX_ETIMEDOUT;
        if (kt)
            continue; /* the kernel's timeout ran out before ours */
        if (waited)
            backoff_sleep(&backoff_us, d);
        r = ipcx__io_wait(sock, IPCX__IO_TX, POLLOUT, d);
        if (r < 0)
            return sent ? (ssize_t)sent : r;
        waited = true;
    }
}

ssize_t ipcx__sock_sendmsg(int sock, const struct iovec *iov, int iovcnt, const int *fds,
                           size_t nfds, const void *addr, socklen_t addrlen, bool stream,
                           const struct ipcx__deadline *d)
{
    return send_common(sock, iov, iovcnt, fds, nfds, addr, addrlen, stream, NULL, d);
}

ssize_t ipcx__sock_sendmsg_kt(int sock, const struct iovec *iov, int iovcnt, const int *fds,
                              size_t nfds, int64_t *timeo, const struct ipcx__deadline *d)
{
    return send_common(sock, iov, iovcnt, fds, nfds, NULL, 0, true, timeo, d);
}

static void close_all(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ipcx__close(fds[i]);
}

/*
 * Walks the control messages of a completed recvmsg. Every descriptor found
 * goes into rx->fds while there is room and is closed otherwise. Returns
 * true when every descriptor found fitted.
 */
static bool take_control(struct msghdr *m, struct ipcx__sock_rx *rx)
{
    bool fitted = true;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_len < CMSG_LEN(0))
            continue;
        size_t payload = c->cmsg_len - CMSG_LEN(0);
        if (c->cmsg_type == SCM_RIGHTS || c->cmsg_type == SCM_PIDFD) {
            size_t n = payload / sizeof(int);
            for (size_t i = 0; i < n; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                if (c->cmsg_type == SCM_RIGHTS && rx && rx->nfds < rx->fds_cap) {
                    rx->fds[rx->nfds++] = fd;
                } else {
                    ipcx__close(fd);
                    if (c->cmsg_type == SCM_RIGHTS)
                        fitted = false;
                }
            }
        } else if (c->cmsg_type == SCM_CREDENTIALS && payload >= sizeof(struct ucred) && rx) {
            struct ucred uc;
            memcpy(&uc, CMSG_DATA(c), sizeof uc);
            rx->has_cred = true;
            rx->cred.pid = uc.pid;
            rx->cred.uid = uc.uid;
            rx->cred.gid = uc.gid;
        }
    }
    return fitted;
}

static ssize_t recv_common(int sock, const struct iovec *iov, int iovcnt, struct ipcx__sock_rx *rx,
                           int64_t *kt, const struct ipcx__deadline *d)
{
    if (iovcnt < 0 || iovcnt > IPCX__SOCK_MAX_IOV || (iovcnt && !iov))
        return IPCX_EINVAL;
    size_t cap = 0;
    if (rx) {
        if (rx->fds_cap > IPCX__SOCK_MAX_FDS || (rx->fds_cap && !rx->fds))
            return IPCX_EINVAL;
        cap = rx->fds_cap;
        rx->nfds = 0;
        rx->has_cred = false;
    }
    /*
     * Room for `cap` descriptors and one set of credentials. The kernel may
     * pack more descriptors into the space meant for credentials; those are
     * found over `cap` and treated as a truncation below.
     */
    union ctl_buf ctl;
    size_t ctl_len = CMSG_SPACE(sizeof(int) * (cap ? cap : 1)) + CTL_CRED_SPACE;

    int r = kt ? 0 : ipcx__io_first(sock, IPCX__IO_RX, POLLIN, d);
    if (r < 0)
        return r;
    for (;;) {
        struct msghdr m = {0};
        m.msg_iov = (struct iovec *)iov;
        m.msg_iovlen = (size_t)iovcnt;
        m.msg_control = ctl.buf;
        m.msg_controllen = ctl_len;
        if (rx && rx->addr) {
            m.msg_name = rx->addr;
            m.msg_namelen = rx->addrlen;
        }
        int rc;
        int wflag = wait_flag(sock, SO_RCVTIMEO, kt, d, &rc);
        if (rc < 0)
            return rc;
        ssize_t n = recvmsg(sock, &m, wflag | MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return ipcx__errno();
            if (kt) {
                if (ipcx__deadline_expired(d))
                    return IPCX_ETIMEDOUT;
                continue; /* the kernel's timeout ran out before ours */
            }
            r = ipcx__io_wait(sock, IPCX__IO_RX, POLLIN, d);
            if (r < 0)
                return r;
            continue;
        }
        bool fitted = take_control(&m, rx);
        if (rx && rx->addr)
            rx->addrlen = m.msg_namelen;
        if (!fitted || (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC))) {
            if (rx) {
                close_all(rx->fds, rx->nfds);
                rx->nfds = 0;
            }
            return (m.msg_flags & MSG_TRUNC) ? IPCX_ETRUNC : IPCX_ECTRUNC;
        }
        return n;
    }
}

ssize_t ipcx__sock_recvmsg(int sock, const struct iovec *iov, int iovcnt, struct ipcx__sock_rx *rx,
                           const struct ipcx__deadline *d)
{
    return recv_common(sock, iov, iovcnt, rx, NULL, d);
}

ssize_t ipcx__sock_recvmsg_kt(int sock, const struct iovec *iov, int iovcnt,
                              struct ipcx__sock_rx *rx, int64_t *timeo,
                              const struct ipcx__deadline *d)
{
    return recv_common(sock, iov, iovcnt, rx, timeo, d);
}

ssize_t ipcx__sock_peek_size(int sock, const struct ipcx__deadline *d)
{
    int r = ipcx__io_first(sock, IPCX__IO_RX, POLLIN, d);
    if (r < 0)
        return r;
    for (;;) {
        struct msghdr m = {0};
        ssize_t n = recvmsg(sock, &m, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return ipcx__errno();
        r = ipcx__io_wait(sock, IPCX__IO_RX, POLLIN, d);
        if (r < 0)
            return r;
    }
}

int ipcx__sock_peer_cred(int sock, struct ipcx_cred *out)
{
    struct ucred uc;
    socklen_t len = sizeof uc;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
        return ipcx__errno();
    /* The kernel reports "no peer" as uid and gid -1 (unconnected, datagram). */
    if (len < sizeof uc || (uc.uid == (uid_t)-1 && uc.gid == (gid_t)-1))
        return IPCX_ENOTCONN;
    out->pid = uc.pid;
    out->uid = uc.uid;
    out->gid = uc.gid;
    return 0;
}

int ipcx__sock_peer_groups(int sock, gid_t **groups, size_t *ngroups)
{
    *groups = NULL;
    *ngroups = 0;
    size_t room = 32;
    for (int tries = 0; tries < 4; tries++) {
        gid_t *g = calloc(room, sizeof *g);
        if (!g)
            return IPCX_ENOMEM;
        socklen_t len = (socklen_t)(room * sizeof *g);
        if (getsockopt(sock, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0) {
            *ngroups = len / sizeof *g;
            if (*ngroups)
                *groups = g;
            else
                free(g);
            return 0;
        }
        int e = errno;
        free(g);
        if (e != ERANGE)
            return e == ENOPROTOOPT ? IPCX_ENOTSUP : ipcx__err(e);
        /* The kernel said how much it needs; groups can change, so retry a few times. */
        room = len / sizeof *g + 1;
    }
    return IPCX_ERANGE;
}

int ipcx__sock_peer_pidfd(int sock)
{
#ifdef SO_PEERPIDFD
    int fd = -1;
    socklen_t len = sizeof fd;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &fd, &len) < 0) {
        switch (errno) {
        case ENOPROTOOPT:
            return IPCX_ENOTSUP;
        case ENODATA:
            return IPCX_ENOTCONN;
        default:
            return ipcx__errno();
        }
    }
    if (fd < 0 || len != sizeof fd)
        return IPCX_EIO;
    /* pidfds are born close-on-exec; make sure, since the caller relies on it. */
    int rc = ipcx__fd_set_cloexec(fd);
    if (rc < 0) {
        ipcx__close(fd);
        return rc;
    }
    return fd;
#else
    (void)sock;
    return IPCX_ENOTSUP;
#endif
}

int ipcx__sock_peer_allowed(int sock, const struct ipcx_cred_policy *policy, struct ipcx_cred *cred)
{
    struct ipcx_cred c;
    int rc = ipcx__sock_peer_cred(sock, &c);
    if (rc < 0)
        return rc;
    if (cred)
        *cred = c;
    rc = ipcx__cred_check_groups(policy, &c, NULL, 0);
    if (rc != IPCX_EPOLICY || !ipcx__cred_policy_wants_groups(policy))
        return rc;
    /* Not admitted by uid or primary group: the supplementary groups may. */
    gid_t *groups;
    size_t n;
    rc = ipcx__sock_peer_groups(sock, &groups, &n);
    if (rc < 0)
        return rc == IPCX_ENOTSUP ? IPCX_EPOLICY : rc;
    rc = ipcx__cred_check_groups(policy, &c, groups, n);
    free(groups);
    return rc;
}

/* accept(2): these mean a queued connection died; the next one may be fine. */
static bool accept_transient(int e)
{
    switch (e) {
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
        return true;
    default:
        return false;
    }
}

int ipcx__sock_accept(int lsock, const struct ipcx__deadline *d)
{
    for (;;) {
        int fd = accept4(lsock, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0)
            return fd;
        if (accept_transient(errno))
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return ipcx__errno();
        int rc = ipcx__poll1(lsock, POLLIN, d);
        if (rc < 0)
            return rc;
    }
}
