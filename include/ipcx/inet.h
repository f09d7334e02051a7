/* SPDX-License-Identifier: MIT */
/*
 * ipcx/inet.h: TCP and UDP over IPv4 and IPv6, the way across machines.
 *
 * Hosts are strings: a numeric IPv4 ("127.0.0.1") or IPv6 address ("::1",
 * "[::1]", "fe80::1%eth0"), "localhost", or a name. Numeric addresses and
 * "localhost" (127.0.0.1 and ::1, as RFC 6761 reserves it) never touch the
 * network or the name service. A name is resolved with the system's
 * resolver on a helper thread while the caller waits only until its
 * deadline: a slow or dead name server cannot hold a call past it (the
 * thread finishes the lookup on its own and frees what it used). A NULL or
 * empty host, for a listener or a bound UDP socket, means every local
 * address: the IPv6 wildcard accepting IPv4 too where the machine has IPv6,
 * else 0.0.0.0. Addresses reported back are natural: an IPv4 peer on a
 * dual-stack socket reads as IPv4, never as ::ffff:a.b.c.d.
 *
 * Defaults: TCP connections have TCP_NODELAY (no Nagle delay), listeners
 * have SO_REUSEADDR (a restarted server can bind its port at once). UDP
 * sockets do not get SO_REUSEADDR: on Linux it would let another socket
 * share the port and take part of its datagrams.
 *
 * Blocking and time: every call that can block takes `timeout_ms`
 * (IPCX_FOREVER, IPCX_NOWAIT or milliseconds); a connect's deadline covers
 * resolution and every address tried. Expiry gives IPCX_ETIMEDOUT; with
 * IPCX_NOWAIT an operation that would block gives IPCX_EAGAIN. Sockets are
 * non-blocking underneath (the *_fd() functions give them for poll/epoll).
 * A send to a gone peer returns IPCX_EPIPE or IPCX_ECONNRESET and never
 * raises SIGPIPE.
 *
 * Name resolution errors: IPCX_ENOENT (no such name, or no address of the
 * family asked for), IPCX_EHOSTUNREACH (the name service failed or could not
 * be reached), IPCX_ETIMEDOUT (no answer before the deadline).
 *
 * Threads: one thread may send while another receives on the same handle;
 * *_close() must not race with any other call on that handle. Fork and
 * exec: every descriptor is close-on-exec; after fork() both processes hold
 * the socket. Nothing persists after the last descriptor is closed.
 */
#ifndef IPCX_INET_H
#define IPCX_INET_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which addresses a host may resolve to. */
enum ipcx_inet_family {
    IPCX_INET_ANY = 0, /* IPv4 or IPv6 */
    IPCX_INET_V4,
    IPCX_INET_V6,
};

/* Option flags. */
#define IPCX_INET_NUMERIC   0x1u /* refuse names: numeric addresses and "localhost" only */
#define IPCX_INET_DELAY     0x2u /* TCP: keep Nagle's algorithm (no TCP_NODELAY) */
#define IPCX_INET_V6ONLY    0x4u /* an IPv6 socket does not take IPv4 as well */
#define IPCX_INET_REUSEPORT 0x8u /* SO_REUSEPORT: several sockets share the port */

/* Options; all zero means the defaults. */
struct ipcx_inet_opts {
    enum ipcx_inet_family family;
    /* TCP listen backlog; 0 means SOMAXCONN. */
    int backlog;
    /* IPCX_INET_* flags. */
    unsigned flags;
    /* For calls without a timeout of their own (listen, open): how long a
     * name may take to resolve; 0 means 5000 ms. */
    int resolve_timeout_ms;
};

/* An IPv4 or IPv6 address with its port. */
struct ipcx_inet_addr {
    socklen_t len; /* 0: no address */
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } u;
};

/* Bytes an address string from ipcx_inet_addr_format() may need, NUL included. */
#define IPCX_INET_ADDR_MAX 72

/*
 * Resolves `host` and `port` into up to `max` addresses, in the order to
 * try them. `opts` may be NULL. A NULL or empty host gives the wildcard
 * addresses. Returns how many were written (>= 1), or IPCX_EINVAL (NULL
 * out, max 0, malformed host, unknown flags), IPCX_ENOENT,
 * IPCX_EHOSTUNREACH, IPCX_ETIMEDOUT, IPCX_EAGAIN (a name with IPCX_NOWAIT).
 * Thread-safe.
 */
IPCX_API int ipcx_inet_resolve(struct ipcx_inet_addr *out, size_t max, const char *host,
                               uint16_t port, const struct ipcx_inet_opts *opts, int timeout_ms);

/*
 * Writes "a.b.c.d:port" or "[v6]:port" into `buf`. Returns the length,
 * IPCX_ENAMETOOLONG when `size` is too small (IPCX_INET_ADDR_MAX always
 * suffices), or IPCX_EINVAL.
 */
IPCX_API int ipcx_inet_addr_format(const struct ipcx_inet_addr *a, char *buf, size_t size);

/* The address's port, or IPCX_EINVAL. */
IPCX_API int ipcx_inet_addr_port(const struct ipcx_inet_addr *a);

/* A TCP socket: a listener or a connection. */
struct ipcx_tcp;

/*
 * Creates a TCP listener on `host`:`port` (port 0: the kernel picks one;
 * ipcx_tcp_local_addr() tells which). Tries each address the host resolves
 * to until one binds. Closed with ipcx_tcp_close(). Errors: IPCX_EINVAL,
 * IPCX_EADDRINUSE, IPCX_EADDRNOTAVAIL (not a local address), IPCX_EACCES
 * (a privileged port), resolution errors.
 */
IPCX_API int ipcx_tcp_listen(struct ipcx_tcp **out, const char *host, uint16_t port,
                             const struct ipcx_inet_opts *opts);

/*
 * Waits for a connection on `listener` until the deadline. On success *out
 * is the connection (TCP_NODELAY unless the listener's options said
 * IPCX_INET_DELAY), closed with ipcx_tcp_close(). Network errors the kernel
 * reports for connections that died while queued are skipped. Errors:
 * IPCX_ETIMEDOUT, IPCX_EAGAIN (IPCX_NOWAIT), IPCX_EINVAL, IPCX_EMFILE...
 */
IPCX_API int ipcx_tcp_accept(struct ipcx_tcp *listener, struct ipcx_tcp **out, int timeout_ms);

/*
 * Connects to `host`:`port` (port 1 to 65535), trying each address in turn
 * until one answers, all within one deadline. Closed with ipcx_tcp_close().
 * Errors: IPCX_ECONNREFUSED (every address refused), IPCX_ETIMEDOUT,
 * IPCX_EAGAIN (IPCX_NOWAIT and not connected at once), IPCX_ENETUNREACH,
 * IPCX_EHOSTUNREACH, IPCX_EINVAL, resolution errors.
 */
IPCX_API int ipcx_tcp_connect(struct ipcx_tcp **out, const char *host, uint16_t port,
                              const struct ipcx_inet_opts *opts, int timeout_ms);

/*
 * Sends all `len` bytes, waiting for room until the deadline. Returns
 * `len`; if the deadline passes (or the connection fails) after part
 * went, the length of that part; otherwise a negative code: IPCX_ETIMEDOUT,
 * IPCX_EAGAIN, IPCX_EPIPE, IPCX_ECONNRESET, IPCX_EINVAL.
 */
IPCX_API ssize_t ipcx_tcp_send(struct ipcx_tcp *c, const void *buf, size_t len, int timeout_ms);

/*
 * Receives what is available, 1 to `len` bytes, waiting until the
 * deadline; 0 at end of stream. Errors: IPCX_ETIMEDOUT, IPCX_EAGAIN,
 * IPCX_ECONNRESET, IPCX_EINVAL.
 */
IPCX_API ssize_t ipcx_tcp_recv(struct ipcx_tcp *c, void *buf, size_t len, int timeout_ms);

/* Ends the sending direction (the peer reads end of stream). Returns 0 or a code. */
IPCX_API int ipcx_tcp_shutdown(struct ipcx_tcp *c);

/* The socket's own address (with the port the kernel chose). Returns 0 or a code. */
IPCX_API int ipcx_tcp_local_addr(const struct ipcx_tcp *s, struct ipcx_inet_addr *out);

/* The peer's address. Returns 0, IPCX_ENOTCONN, or another code. */
IPCX_API int ipcx_tcp_peer_addr(const struct ipcx_tcp *c, struct ipcx_inet_addr *out);

/* The descriptor (non-blocking, close-on-exec), owned by the handle; -1 for NULL. */
IPCX_API int ipcx_tcp_fd(const struct ipcx_tcp *s);

/* Closes the socket and frees the handle. NULL is ignored. Never blocks. */
IPCX_API void ipcx_tcp_close(struct ipcx_tcp *s);

/* A UDP socket. */
struct ipcx_udp;

/*
 * Creates a UDP socket bound to `host`:`port` (NULL host: every local
 * address; port 0: the kernel picks). Closed with ipcx_udp_close().
 * Errors as for ipcx_tcp_listen().
 */
IPCX_API int ipcx_udp_open(struct ipcx_udp **out, const char *host, uint16_t port,
                           const struct ipcx_inet_opts *opts);

/*
 * Creates a UDP socket whose datagrams go to `host`:`port` by default and
 * which receives only from there. Resolution is bounded by the deadline.
 * Closed with ipcx_udp_close(). Errors: IPCX_EINVAL, IPCX_ENETUNREACH,
 * resolution errors.
 */
IPCX_API int ipcx_udp_connect(struct ipcx_udp **out, const char *host, uint16_t port,
                              const struct ipcx_inet_opts *opts, int timeout_ms);

/*
 * Sends one datagram to the connected destination, or to `to`. Returns
 * `len`, or IPCX_EMSGSIZE (over 65507 bytes for IPv4 or the path's limit),
 * IPCX_ETIMEDOUT, IPCX_EAGAIN, IPCX_ECONNREFUSED (an earlier datagram on a
 * connected socket found nobody listening), IPCX_EAFNOSUPPORT (an IPv6
 * destination from an IPv4 socket), IPCX_EDESTADDRREQ, IPCX_EINVAL.
 */
IPCX_API ssize_t ipcx_udp_send(struct ipcx_udp *u, const void *buf, size_t len, int timeout_ms);
IPCX_API ssize_t ipcx_udp_sendto(struct ipcx_udp *u, const struct ipcx_inet_addr *to,
                                 const void *buf, size_t len, int timeout_ms);

/*
 * Receives one datagram; `from` (may be NULL) gets the sender's address.
 * Returns its length (0 for an empty datagram). A datagram longer than
 * `len` gives IPCX_ETRUNC: `buf` holds its first `len` bytes, the rest is
 * gone. Errors: IPCX_ETIMEDOUT, IPCX_EAGAIN, IPCX_ECONNREFUSED (connected
 * socket, see above), IPCX_EINVAL.
 */
IPCX_API ssize_t ipcx_udp_recv(struct ipcx_udp *u, void *buf, size_t len,
                               struct ipcx_inet_addr *from, int timeout_ms);

/* The socket's own address. Returns 0 or a code. */
IPCX_API int ipcx_udp_local_addr(const struct ipcx_udp *u, struct ipcx_inet_addr *out);

/* The descriptor (non-blocking, close-on-exec), owned by the handle; -1 for NULL. */
IPCX_API int ipcx_udp_fd(const struct ipcx_udp *u);

/* Closes the socket and frees the handle. NULL is ignored. */
IPCX_API void ipcx_udp_close(struct ipcx_udp *u);

#ifdef __cplusplus
}
#endif

#endif
