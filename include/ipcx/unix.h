/* SPDX-License-Identifier: MIT */
/*
 * ipcx/unix.h: Unix domain sockets: stream, seqpacket and datagram, on
 * filesystem paths or in the Linux abstract namespace, with descriptor
 * passing (SCM_RIGHTS) and the peer's credentials.
 *
 * Addresses are strings. "/run/app.sock" or "dir/app.sock" is a filesystem
 * path (at most 107 bytes); "@name" is the abstract name "name" (1 to 107
 * bytes after the '@', no NUL byte), which lives as long as the socket and
 * leaves nothing behind (the kernel keeps one abstract namespace per socket
 * type: a stream and a seqpacket socket may hold the same name). An address buffer of
 * IPCX_UNIX_ADDR_MAX bytes holds any address ipcx reports.
 *
 * Filesystem sockets: a listening or bound path is created with mode 0600,
 * or the mode the caller asks for, and is at no moment reachable by anyone
 * the final mode would refuse. The kernel creates the socket's node with
 * the mode of the socket itself, minus the umask; ipcx sets that mode on the
 * socket (fchmod) before bind(), so the node is born no wider than asked.
 * Where the umask removed bits the caller asked for, the node is widened to
 * the exact mode afterwards, which can only admit later, never earlier.
 * (Binding in a private directory and renaming into place would also close
 * the window, but the socket would keep the temporary name as its address:
 * getsockname() and every datagram's sender address would name a path that
 * no longer exists.)
 * bind() itself never follows a symbolic link and never replaces anything.
 * A path that is already taken is handled so:
 *   - not a socket (a regular file, a directory, a symbolic link, wherever
 *     it points): IPCX_EEXIST, and the path is left alone;
 *   - a socket with a live owner (a connection attempt is accepted, or
 *     answers with anything but "refused"): IPCX_EADDRINUSE (the owner sees
 *     that attempt as a connection that ends at once);
 *   - a socket nobody listens on any more (a dead process's leftover:
 *     connection refused): removed and bound again ("stale takeover"). The
 *     kernel has no "unlink if still this inode": between the final check
 *     (lstat, same inode as probed) and the unlink only a process with write
 *     access to the directory could swap the entry, and in a sticky
 *     directory (/tmp) only its owner can.
 * The path is removed again by ipcx_unix_close() in the process that
 * created it, if it still names the socket ipcx made (same inode), unless
 * IPCX_UNIX_KEEP_PATH is set. Connecting follows symbolic links, like any
 * open().
 *
 * Abstract names have no permissions: anyone in the network namespace can
 * connect to or squat on them. Stream and seqpacket connections are
 * therefore checked on both sides against a credentials policy (ipcx/cred.h):
 * by default the peer must have the caller's effective uid.
 *
 * Blocking and time: every call that can block takes `timeout_ms`
 * (IPCX_FOREVER, IPCX_NOWAIT, or milliseconds). Expiry gives IPCX_ETIMEDOUT;
 * with IPCX_NOWAIT an operation that would block gives IPCX_EAGAIN. Sockets
 * are non-blocking underneath, so ipcx_unix_fd() can go into poll/epoll.
 * Writing to a socket whose peer is gone returns IPCX_EPIPE (for a
 * connected datagram socket, the kernel's IPCX_ECONNREFUSED) and never
 * raises SIGPIPE.
 *
 * Threads: one thread may send while another receives on the same handle;
 * ipcx_unix_close() must not race with any other call on that handle.
 * Fork and exec: every descriptor is close-on-exec. After fork() both
 * processes hold the socket; only the creating process removes the path.
 */
#ifndef IPCX_UNIX_H
#define IPCX_UNIX_H

#include <stddef.h>
#include <sys/types.h>

#include <ipcx/common.h>
#include <ipcx/cred.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes an address string may need, NUL included ('@' + 107 + NUL, rounded). */
#define IPCX_UNIX_ADDR_MAX 110

/* Most descriptors one message can carry (the kernel's limit, SCM_MAX_FD). */
#define IPCX_UNIX_MAX_FDS 253

/* The three kinds of Unix socket. */
enum ipcx_unix_type {
    IPCX_UNIX_STREAM = 0, /* byte stream, connection-oriented */
    IPCX_UNIX_SEQPACKET,  /* messages with boundaries, connection-oriented, ordered */
    IPCX_UNIX_DGRAM,      /* datagrams with boundaries, connectionless */
};

/* Option flags. */
#define IPCX_UNIX_KEEP_PATH 0x1u /* do not remove the filesystem path on close */

/* Options; all zero means the defaults. */
struct ipcx_unix_opts {
    /* Permission bits of a filesystem socket; 0 means 0600. Ignored for
     * abstract names. Only the 0777 bits are allowed. */
    unsigned mode;
    /* Listen backlog; 0 means SOMAXCONN. */
    int backlog;
    /* IPCX_UNIX_* flags. */
    unsigned flags;
    /* Who may be at the other end of a stream or seqpacket connection: the
     * listener checks every accepted peer, a connecting socket checks the
     * listener. NULL: the peer must have the caller's effective uid. Copied:
     * the caller's policy is not kept. Datagram sockets have no connection
     * credentials; check each datagram's sender instead (ipcx_unix_recvfrom). */
    const struct ipcx_cred_policy *policy;
};

/* A Unix socket: a listener, a connection, or a datagram socket. */
struct ipcx_unix;

/*
 * Creates a socket of `type` (stream or seqpacket) listening on `addr`.
 * Non-blocking. On success *out is the listener, closed with
 * ipcx_unix_close(). Errors: IPCX_EINVAL (NULL, empty or malformed address,
 * datagram type, mode outside 0777, unknown flags, bad policy),
 * IPCX_ENAMETOOLONG, IPCX_EADDRINUSE (live owner, or abstract name taken),
 * IPCX_EEXIST (the path exists and is not a socket), IPCX_EACCES, IPCX_ENOENT
 * (missing directory), IPCX_EMFILE... On failure nothing is created and
 * *out is NULL.
 */
IPCX_API int ipcx_unix_listen(struct ipcx_unix **out, const char *addr, enum ipcx_unix_type type,
                              const struct ipcx_unix_opts *opts);

/*
 * Waits until a connection arrives on `listener`, then checks the peer
 * against the listener's policy. On success *out is the new connection,
 * closed with ipcx_unix_close(). Errors: IPCX_ETIMEDOUT, IPCX_EAGAIN
 * (IPCX_NOWAIT and nobody waiting), IPCX_EPOLICY (the peer was refused; its
 * connection is closed, the listener stays usable), IPCX_EINVAL (not a
 * listener), IPCX_EMFILE...
 */
IPCX_API int ipcx_unix_accept(struct ipcx_unix *listener, struct ipcx_unix **out, int timeout_ms);

/*
 * Connects a new socket of `type` to `addr`. Stream and seqpacket: waits
 * while the listener's backlog is full, until the deadline; then checks the
 * listener's credentials against opts->policy. Datagram: the socket is
 * given an abstract name of its own (autobind) so that the peer can reply,
 * and sends go to `addr` by default. On success *out is the connection,
 * closed with ipcx_unix_close(). Errors: IPCX_ENOENT (no such path),
 * IPCX_ECONNREFUSED (nobody listens: abstract name unbound, stale path),
 * IPCX_ETIMEDOUT (backlog stayed full), IPCX_EAGAIN (the same with
 * IPCX_NOWAIT), IPCX_EACCES, IPCX_EPROTOTYPE (a socket of another type),
 * IPCX_EPOLICY (the listener was refused), IPCX_EINVAL, IPCX_ENAMETOOLONG.
 */
IPCX_API int ipcx_unix_connect(struct ipcx_unix **out, const char *addr, enum ipcx_unix_type type,
                               const struct ipcx_unix_opts *opts, int timeout_ms);

/*
 * Creates a datagram socket bound to `addr`, or to an abstract name chosen
 * by the kernel when `addr` is NULL (ipcx_unix_addr() tells which). Like
 * every datagram socket ipcx makes, it receives each datagram's sender
 * credentials (SO_PASSCRED) for ipcx_unix_recvfrom(). Closed with
 * ipcx_unix_close().
 * Errors as for ipcx_unix_listen().
 */
IPCX_API int ipcx_unix_bind(struct ipcx_unix **out, const char *addr,
                            const struct ipcx_unix_opts *opts);

/*
 * Creates two connected sockets of `type` (socketpair), for a process and a
 * child it forks. Both are close-on-exec and closed with ipcx_unix_close().
 * No credentials check: both ends are the caller. Errors: IPCX_EINVAL,
 * IPCX_EMFILE, IPCX_ENFILE.
 */
IPCX_API int ipcx_unix_pair(struct ipcx_unix **a, struct ipcx_unix **b, enum ipcx_unix_type type);

/*
 * Sends `len` bytes. Stream: waits for room until every byte went and
 * returns `len`; if the deadline passes (or the peer goes) after part went,
 * returns that part's length, so the caller knows where the stream stands.
 * Seqpacket and datagram: one message, all or nothing; returns `len`.
 * Errors (nothing sent): IPCX_ETIMEDOUT, IPCX_EAGAIN (IPCX_NOWAIT),
 * IPCX_EPIPE, IPCX_EMSGSIZE (message larger than the socket can take),
 * IPCX_ENOTCONN, IPCX_EDESTADDRREQ (unconnected datagram socket),
 * IPCX_EINVAL.
 */
IPCX_API ssize_t ipcx_unix_send(struct ipcx_unix *s, const void *buf, size_t len, int timeout_ms);

/*
 * Receives into `buf`. Stream: what is available, 1 to `len` bytes, or 0
 * at end of stream. Seqpacket and datagram: exactly one message; returns
 * its length (0 for an empty message, and on seqpacket also when the peer
 * has closed). A message longer than `len` gives IPCX_ETRUNC: `buf` holds
 * its first `len` bytes and the kernel has discarded the rest; ask
 * ipcx_unix_next_size() first when sizes are unknown. A message carrying
 * descriptors gives IPCX_ECTRUNC (they are closed; use ipcx_unix_recv_fds()).
 * Other errors: IPCX_ETIMEDOUT, IPCX_EAGAIN (IPCX_NOWAIT), IPCX_ECONNRESET,
 * IPCX_EINVAL.
 */
IPCX_API ssize_t ipcx_unix_recv(struct ipcx_unix *s, void *buf, size_t len, int timeout_ms);

/*
 * Sends a datagram to `addr` from an unconnected (or connected) datagram
 * socket; as ipcx_unix_send() otherwise. Errors as there, and IPCX_ENOENT,
 * IPCX_ECONNREFUSED for an address nobody has bound. Waits while the
 * receiver's queue is full, until the deadline.
 */
IPCX_API ssize_t ipcx_unix_sendto(struct ipcx_unix *s, const char *addr, const void *buf,
                                  size_t len, int timeout_ms);

/*
 * Receives one datagram as ipcx_unix_recv() does, and reports its sender:
 * `from` (may be NULL) receives the sender's address as a string ("" when
 * the sender has no name, or a name ipcx cannot represent; fromsize
 * IPCX_UNIX_ADDR_MAX always suffices, a smaller buffer that does not fit
 * gives IPCX_ENAMETOOLONG after the datagram was consumed); `cred` (may be
 * NULL) the sender's pid, uid and gid as the kernel stamped them on this
 * datagram (every datagram socket ipcx makes asks for them; on a stream or
 * seqpacket socket the call fails with IPCX_ENOTSUP before anything is
 * received: use ipcx_unix_peer_cred() there).
 */
IPCX_API ssize_t ipcx_unix_recvfrom(struct ipcx_unix *s, void *buf, size_t len, char *from,
                                    size_t fromsize, struct ipcx_cred *cred, int timeout_ms);

/*
 * Sends `len` bytes (at least 1: a byte carries the descriptors) together
 * with the `nfds` descriptors `fds` (1 to IPCX_UNIX_MAX_FDS). The receiver
 * gets duplicates; the caller keeps and still owns its own. On a stream the
 * descriptors travel with the first byte. Returns and errors as
 * ipcx_unix_send(), and IPCX_EBADF when one of `fds` is not open,
 * IPCX_EINVAL when `len` or `nfds` is 0 or `nfds` is over the limit, or the
 * kernel's ETOOMANYREFS when too many descriptors are in flight (nothing
 * is sent in each case).
 */
IPCX_API ssize_t ipcx_unix_send_fds(struct ipcx_unix *s, const void *buf, size_t len,
                                    const int *fds, size_t nfds, int timeout_ms);

/*
 * Receives as ipcx_unix_recv() does, together with the descriptors the
 * message carries. *nfds is, on entry, the room in `fds` (at most
 * IPCX_UNIX_MAX_FDS count) and, on return, how many arrived (0 when none,
 * and on every error). Each received descriptor is close-on-exec from the
 * start and belongs to the caller. If the message carried more descriptors
 * than *nfds allows, or the kernel could not install them all (descriptor
 * limit), every one that did arrive is closed and the call fails with
 * IPCX_ECTRUNC; the message's bytes are consumed (on a stream the bytes are
 * lost: treat the connection as broken). IPCX_ETRUNC as for recv, with the
 * descriptors closed too.
 */
IPCX_API ssize_t ipcx_unix_recv_fds(struct ipcx_unix *s, void *buf, size_t len, int *fds,
                                    size_t *nfds, int timeout_ms);

/*
 * Waits until a message is queued on a seqpacket or datagram socket and
 * returns its length without consuming it, so a buffer of the right size
 * can be found. Errors: IPCX_ETIMEDOUT, IPCX_EAGAIN (IPCX_NOWAIT),
 * IPCX_EINVAL (a stream socket or a listener).
 */
IPCX_API ssize_t ipcx_unix_next_size(struct ipcx_unix *s, int timeout_ms);

/*
 * Ends the sending direction of a connection (shutdown SHUT_WR): the peer
 * reads end of stream once it has received everything sent before.
 * Receiving stays possible. Returns 0 or a negative code.
 */
IPCX_API int ipcx_unix_shutdown(struct ipcx_unix *s);

/*
 * The peer's pid, uid and gid as the kernel recorded them when the
 * connection was made (SO_PEERCRED): the connecting process for a
 * listener's connection, the process that created the listening socket for
 * a connecting one, the other end for a pair. The pid is for information
 * (see ipcx/cred.h). Errors: IPCX_ENOTCONN (datagram socket, listener),
 * IPCX_EINVAL.
 */
IPCX_API int ipcx_unix_peer_cred(struct ipcx_unix *s, struct ipcx_cred *out);

/*
 * A pidfd for the peer process (SO_PEERPIDFD): it refers to the very
 * process that connected, even after its pid was reused, and can be polled
 * for its exit or used with pidfd_send_signal(). Returns the descriptor
 * (close-on-exec; the caller owns it and closes it). Where the kernel does
 * not offer SO_PEERPIDFD (before Linux 6.5) returns IPCX_ENOTSUP: ipcx does
 * not fall back to opening the bare pid, which may name another process by
 * then; the credentials (ipcx_unix_peer_cred) stay available. Other errors:
 * IPCX_ENOTCONN, IPCX_ESRCH (the kernel no longer has the process).
 */
IPCX_API int ipcx_unix_peer_pidfd(struct ipcx_unix *s);

/*
 * Checks the peer of a connection against `policy` (NULL: same effective
 * uid), by uid, primary gid and supplementary groups. Returns 0 when
 * admitted, IPCX_EPOLICY when refused, IPCX_ENOTCONN, IPCX_EINVAL.
 */
IPCX_API int ipcx_unix_peer_check(struct ipcx_unix *s, const struct ipcx_cred_policy *policy);

/*
 * Writes the socket's own address into `buf` ("/path", "@name", or "" for a
 * socket with no name). Returns its length, IPCX_ENAMETOOLONG if `size` is
 * too small (IPCX_UNIX_ADDR_MAX always suffices), IPCX_EINVAL.
 */
IPCX_API int ipcx_unix_addr(struct ipcx_unix *s, char *buf, size_t size);

/* The socket's type. */
IPCX_API enum ipcx_unix_type ipcx_unix_get_type(const struct ipcx_unix *s);

/*
 * The underlying descriptor (non-blocking, close-on-exec), for poll/epoll.
 * It stays owned by the handle: do not close it. -1 for NULL.
 */
IPCX_API int ipcx_unix_fd(const struct ipcx_unix *s);

/*
 * Closes the socket and frees the handle. A listener or bound datagram
 * socket removes its filesystem path when called in the process that
 * created it, if the path still names that socket, unless
 * IPCX_UNIX_KEEP_PATH was given. NULL is ignored. Never blocks.
 */
IPCX_API void ipcx_unix_close(struct ipcx_unix *s);

#ifdef __cplusplus
}
#endif

#endif
