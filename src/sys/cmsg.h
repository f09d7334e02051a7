/* SPDX-License-Identifier: MIT */
/*
 * sys/cmsg.h: socket messages with a deadline, descriptor passing
 * (SCM_RIGHTS), and what the kernel knows about a socket's peer
 * (SO_PEERCRED, SO_PEERGROUPS, SO_PEERPIDFD).
 *
 * These are the only functions in the library that build or parse control
 * messages. The public Unix socket API (mech/unix.c) wraps them, and so can
 * any later layer that passes descriptors or checks a peer (the shm://
 * transport hands its memfd over a Unix socket and checks who asked).
 *
 * Guarantees:
 * - Sends never raise SIGPIPE (MSG_NOSIGNAL): a gone peer is IPCX_EPIPE.
 * - Sends and receives never block in the kernel: they use MSG_DONTWAIT and
 *   wait for readiness with ipcx__poll1() until the deadline, so the socket
 *   may be blocking or not.
 * - Received descriptors are close-on-exec from the moment they exist
 *   (MSG_CMSG_CLOEXEC). When the kernel truncated the control data
 *   (MSG_CTRUNC), or a datagram did not fit (MSG_TRUNC), every descriptor
 *   that did arrive is closed before the call fails: a failed receive never
 *   leaves the caller a descriptor to account for.
 */
#ifndef IPCX_SYS_CMSG_H
#define IPCX_SYS_CMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <ipcx/cred.h>

#include "sys/deadline.h"

/* Most descriptors one message can carry (the kernel's SCM_MAX_FD). */
#define IPCX__SOCK_MAX_FDS 253

/* Most iovec entries the helpers take for one message. */
#define IPCX__SOCK_MAX_IOV 16

/*
 * Sends `iov` (iovcnt entries, up to IPCX__SOCK_MAX_IOV) and, with its first
 * byte, the `nfds` descriptors `fds` (up to IPCX__SOCK_MAX_FDS; the sender
 * keeps its own copies). `addr`/`addrlen` name the destination of a datagram
 * (NULL/0 otherwise). Waits for room until the deadline.
 *
 * stream = false (datagram, seqpacket): one sendmsg, all or nothing; returns
 * the message length.
 * stream = true: keeps sending the rest until every byte went; returns the
 * total, or fewer bytes (> 0) when the deadline passed or an error came
 * after part of it went (the descriptors went with the first part).
 *
 * Returns a negative code when nothing was sent (and no descriptor went):
 * IPCX_ETIMEDOUT, IPCX_EPIPE, IPCX_EMSGSIZE, IPCX_EBADF (a bad descriptor
 * among `fds`), IPCX_EINVAL (counts out of range, descriptors with no byte
 * to carry them), ...
 */
ssize_t ipcx__sock_sendmsg(int sock, const struct iovec *iov, int iovcnt, const int *fds,
                           size_t nfds, const void *addr, socklen_t addrlen, bool stream,
                           const struct ipcx__deadline *d);

/* What a receive brings besides the bytes. Zero-initialise, then fill the ins. */
struct ipcx__sock_rx {
    int *fds;          /* in: room for fds_cap descriptors (NULL when fds_cap is 0) */
    size_t fds_cap;    /* in: at most IPCX__SOCK_MAX_FDS */
    size_t nfds;       /* out: descriptors received, now owned by the caller */
    void *addr;        /* in: where to put the sender's address (may be NULL) */
    socklen_t addrlen; /* in: room at addr; out: the address's length */
    bool has_cred;     /* out: the message carried SCM_CREDENTIALS (SO_PASSCRED) */
    struct ipcx_cred cred;
};

/*
 * Receives one message (datagram, seqpacket) or what is available (stream)
 * into `iov`, waiting until the deadline. `rx` may be NULL when no
 * descriptors are expected: a message that carries some then fails with
 * IPCX_ECTRUNC (the kernel closes them).
 *
 * Returns the byte count (0: end of stream, or an empty message), or
 * IPCX_ETIMEDOUT, IPCX_ECTRUNC (more descriptors than fds_cap, or the
 * receiver's descriptor limit was reached: the ones that arrived are
 * closed, rx->nfds is 0), IPCX_ETRUNC (a message longer than `iov`: its
 * rest is discarded by the kernel, its descriptors are closed), or another
 * negative code.
 */
ssize_t ipcx__sock_recvmsg(int sock, const struct iovec *iov, int iovcnt, struct ipcx__sock_rx *rx,
                           const struct ipcx__deadline *d);

/*
 * Kernel-timed variants for a connected stream socket in blocking mode,
 * used by one sender and one receiver: the wait happens inside sendmsg or
 * recvmsg, bounded by SO_SNDTIMEO / SO_RCVTIMEO set to at most what is left
 * of the deadline, so a call that has to wait costs one system call instead
 * of three (try, poll, try again). `timeo` caches the socket's current
 * timeout for that direction (start it at -1); the option is only set again
 * when the deadline calls for a shorter or a much longer one. The kernel
 * counts these timeouts in scheduler ticks: a wait may end up to one tick
 * after the deadline, never before it. An expired deadline (IPCX_NOWAIT)
 * makes one MSG_DONTWAIT attempt. Returns and errors as
 * ipcx__sock_sendmsg() (stream) and ipcx__sock_recvmsg().
 */
ssize_t ipcx__sock_sendmsg_kt(int sock, const struct iovec *iov, int iovcnt, const int *fds,
                              size_t nfds, int64_t *timeo, const struct ipcx__deadline *d);
ssize_t ipcx__sock_recvmsg_kt(int sock, const struct iovec *iov, int iovcnt,
                              struct ipcx__sock_rx *rx, int64_t *timeo,
                              const struct ipcx__deadline *d);

/*
 * Waits until a message is queued on a datagram or seqpacket socket and
 * returns its length without consuming it (0 also for an orderly shutdown
 * of a seqpacket peer), IPCX_ETIMEDOUT, or another negative code.
 */
ssize_t ipcx__sock_peek_size(int sock, const struct ipcx__deadline *d);

/*
 * Accepts a connection on the non-blocking listener `lsock`, waiting for
 * one until the deadline. Errors that only mean a queued connection died
 * before it was taken (ECONNABORTED, and the network errors accept(2) may
 * pass on) are skipped. Returns the new socket, non-blocking and
 * close-on-exec, or a negative code (IPCX_ETIMEDOUT at the deadline).
 */
int ipcx__sock_accept(int lsock, const struct ipcx__deadline *d);

/*
 * The peer's credentials as the kernel recorded them when the connection
 * was made (SO_PEERCRED). Returns 0, IPCX_ENOTCONN when the kernel has none
 * (an unconnected socket, a datagram socket), or another negative code.
 */
int ipcx__sock_peer_cred(int sock, struct ipcx_cred *out);

/*
 * The peer's supplementary groups (SO_PEERGROUPS) in a newly allocated
 * array the caller frees (*groups may be NULL when *ngroups is 0). Returns
 * 0 or a negative code (IPCX_ENOTSUP where the kernel lacks the option).
 */
int ipcx__sock_peer_groups(int sock, gid_t **groups, size_t *ngroups);

/*
 * A pidfd (close-on-exec) for the peer process, from SO_PEERPIDFD (Linux
 * 6.5 and later), which names the very process that connected even if its
 * pid has since been reused. Returns the descriptor, which the caller owns
 * and closes, or IPCX_ENOTSUP where the kernel does not offer it (no unsafe
 * fallback through the bare pid is attempted), IPCX_ENOTCONN where there is
 * no connected peer, IPCX_ESRCH when the kernel no longer has the process,
 * or another negative code.
 */
int ipcx__sock_peer_pidfd(int sock);

/*
 * Checks the peer of a connected Unix socket against `policy` (NULL: the
 * default policy: same effective uid). Reads SO_PEERCRED and, when the
 * policy lists groups, SO_PEERGROUPS. Returns 0 when admitted, IPCX_EPOLICY
 * when refused, or another negative code (which also means: do not admit).
 * When `cred` is not NULL it receives the peer's credentials.
 */
int ipcx__sock_peer_allowed(int sock, const struct ipcx_cred_policy *policy,
                            struct ipcx_cred *cred);

#endif
