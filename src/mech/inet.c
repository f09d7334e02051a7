/* SPDX-License-Identifier: MIT */
/*
 * mech/inet.c: TCP and UDP over IPv4 and IPv6.
 *
 * Relies on sys/cmsg.c for sends and receives with deadlines (MSG_NOSIGNAL,
 * MSG_DONTWAIT + ppoll) and on the C library's getaddrinfo() for names.
 *
 * getaddrinfo() has no timeout, so a name is looked up on a detached helper
 * thread while the caller waits on a condition variable until its deadline.
 * The lookup's state is shared by reference count: whichever of the two
 * lets go last frees it, so a caller that gave up never waits for the
 * thread and the thread never touches freed memory. The helper thread is
 * created with every signal blocked, so it never runs a handler of the
 * application. Numeric addresses and "localhost" are parsed without the
 * name service (getaddrinfo with AI_NUMERICHOST does no lookup).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ipcx/error.h>
#include <ipcx/inet.h>

#include "sys/cmsg.h"
#include "sys/deadline.h"
#include "sys/err.h"
#include "sys/fd.h"

#define KNOWN_FLAGS        (IPCX_INET_NUMERIC | IPCX_INET_DELAY | IPCX_INET_V6ONLY | IPCX_INET_REUSEPORT)
#define DEFAULT_RESOLVE_MS 5000
#define MAX_ADDRS          8
#define MAX_HOST           253 /* the longest DNS name */

struct ipcx_tcp {
    int fd;
    bool listener;
    bool delay; /* keep Nagle's algorithm on accepted connections */
};

struct ipcx_udp {
    int fd;
    int family;
};

static int check_opts(const struct ipcx_inet_opts *o)
{
    if (!o)
        return 0;
    if ((unsigned)o->family > IPCX_INET_V6 || (o->flags & ~KNOWN_FLAGS) || o->backlog < 0 ||
        o->resolve_timeout_ms < 0)
        return IPCX_EINVAL;
    return 0;
}

static int af_of(const struct ipcx_inet_opts *o)
{
    if (o && o->family == IPCX_INET_V4)
        return AF_INET;
    if (o && o->family == IPCX_INET_V6)
        return AF_INET6;
    return AF_UNSPEC;
}

/* ---- addresses ---------------------------------------------------------- */

static void set_port(struct ipcx_inet_addr *a, uint16_t port)
{
    if (a->u.sa.sa_family == AF_INET)
        a->u.in4.sin_port = htons(port);
    else
        a->u.in6.sin6_port = htons(port);
}

static void addr_v4(struct ipcx_inet_addr *a, uint32_t host_order)
{
    memset(a, 0, sizeof *a);
    a->u.in4.sin_family = AF_INET;
    a->u.in4.sin_addr.s_addr = htonl(host_order);
    a->len = sizeof a->u.in4;
}

static void addr_v6(struct ipcx_inet_addr *a, const struct in6_addr *ip)
{
    memset(a, 0, sizeof *a);
    a->u.in6.sin6_family = AF_INET6;
    a->u.in6.sin6_addr = *ip;
    a->len = sizeof a->u.in6;
}

/* Reports an IPv4 peer of a dual-stack socket as the IPv4 address it is. */
static void unmap_v4(struct ipcx_inet_addr *a)
{
    if (a->u.sa.sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&a->u.in6.sin6_addr))
        return;
    struct sockaddr_in in4 = {0};
    in4.sin_family = AF_INET;
    in4.sin_port = a->u.in6.sin6_port;
    memcpy(&in4.sin_addr, &a->u.in6.sin6_addr.s6_addr[12], 4);
    memset(&a->u, 0, sizeof a->u);
    a->u.in4 = in4;
    a->len = sizeof in4;
}

/* Expresses `in` in the family of a socket: IPv4 as ::ffff:a.b.c.d for an IPv6 socket. */
static int to_family(int family, const struct ipcx_inet_addr *in, struct ipcx_inet_addr *out)
{
    *out = *in;
    int f = in->u.sa.sa_family;
    if (f == family)
        return 0;
    if (family == AF_INET6 && f == AF_INET) {
        struct in6_addr ip = IN6ADDR_ANY_INIT;
        ip.s6_addr[10] = 0xff;
        ip.s6_addr[11] = 0xff;
        memcpy(&ip.s6_addr[12], &in->u.in4.sin_addr, 4);
        addr_v6(out, &ip);
        out->u.in6.sin6_port = in->u.in4.sin_port;
        return 0;
    }
    if (family == AF_INET && f == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&in->u.in6.sin6_addr)) {
        unmap_v4(out);
        return 0;
    }
    return IPCX_EAFNOSUPPORT;
}

static bool addr_valid(const struct ipcx_inet_addr *a)
{
    if (!a)
        return false;
    if (a->u.sa.sa_family == AF_INET)
        return a->len == sizeof a->u.in4;
    if (a->u.sa.sa_family == AF_INET6)
        return a->len == sizeof a->u.in6;
    return false;
}

IPCX_API int ipcx_inet_addr_port(const struct ipcx_inet_addr *a)
{
    if (!addr_valid(a))
        return IPCX_EINVAL;
    return ntohs(a->u.sa.sa_family == AF_INET ? a->u.in4.sin_port : a->u.in6.sin6_port);
}

IPCX_API int ipcx_inet_addr_format(const struct ipcx_inet_addr *a, char *buf, size_t size)
{
    if (!addr_valid(a) || !buf || size == 0)
        return IPCX_EINVAL;
    char ip[INET6_ADDRSTRLEN];
    char out[IPCX_INET_ADDR_MAX];
    int n;
    if (a->u.sa.sa_family == AF_INET) {
        inet_ntop(AF_INET, &a->u.in4.sin_addr, ip, sizeof ip);
        n = snprintf(out, sizeof out, "%s:%u", ip, ntohs(a->u.in4.sin_port));
    } else {
        inet_ntop(AF_INET6, &a->u.in6.sin6_addr, ip, sizeof ip);
        char scope[16] = "";
        if (a->u.in6.sin6_scope_id)
            snprintf(scope, sizeof scope, "%%%u", (unsigned)a->u.in6.sin6_scope_id);
        n = snprintf(out, sizeof out, "[%s%s]:%u", ip, scope, ntohs(a->u.in6.sin6_port));
    }
    if (n < 0 || (size_t)n >= size)
        return IPCX_ENAMETOOLONG;
    memcpy(buf, out, (size_t)n + 1);
    return n;
}

/* ---- name resolution ---------------------------------------------------- */

struct lookup {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs; /* the caller and the thread */
    bool done;
    int gai;
    int err;
    struct addrinfo *res;
    struct addrinfo hints;
    char host[MAX_HOST + 1];
};

/* Drops one reference; the last one frees. Called with l->mu held; unlocks it. */
static void lookup_release(struct lookup *l)
{
    int left = --l->refs;
    pthread_mutex_unlock(&l->mu);
    if (left > 0)
        return;
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    if (l->res)
        freeaddrinfo(l->res);
    free(l);
}

static void *lookup_main(void *arg)
{
    struct lookup *l = arg;
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(l->host, NULL, &l->hints, &res);
    int err = errno;
    pthread_mutex_lock(&l->mu);
    l->gai = gai;
    l->err = err;
    l->res = res;
    l->done = true;
    pthread_cond_broadcast(&l->cv);
    lookup_release(l);
    return NULL;
}

static int gai_code(int gai, int err)
{
    switch (gai) {
    case 0:
        return 0;
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
#endif
        return IPCX_ENOENT;
    case EAI_AGAIN:
    case EAI_FAIL:
        return IPCX_EHOSTUNREACH;
    case EAI_MEMORY:
        return IPCX_ENOMEM;
    case EAI_FAMILY:
        return IPCX_EAFNOSUPPORT;
    case EAI_SYSTEM:
        return err ? ipcx__err(err) : IPCX_EIO;
    default:
        return IPCX_EINVAL;
    }
}

/* Looks `host` up on a helper thread; waits for it until the deadline. */
static int lookup_name(const char *host, const struct addrinfo *hints, struct addrinfo **res,
                       const struct ipcx__deadline *d)
{
    if (ipcx__deadline_remaining_ns(d) == 0)
        return IPCX_ETIMEDOUT;
    struct lookup *l = calloc(1, sizeof *l);
    if (!l)
        return IPCX_ENOMEM;
    snprintf(l->host, sizeof l->host, "%s", host);
    l->hints = *hints;
    l->refs = 2;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, &ca);
    pthread_condattr_destroy(&ca);

    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    int rc = pthread_create(&t, &ta, lookup_main, l);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&ta);
    if (rc != 0) {
        pthread_cond_destroy(&l->cv);
        pthread_mutex_destroy(&l->mu);
        free(l);
        return IPCX_ENOMEM;
    }

    pthread_mutex_lock(&l->mu);
    while (!l->done) {
        struct timespec at;
        if (!ipcx__deadline_abs_monotonic(d, &at)) {
            pthread_cond_wait(&l->cv, &l->mu);
            continue;
        }
        if (pthread_cond_timedwait(&l->cv, &l->mu, &at) == ETIMEDOUT && ipcx__deadline_expired(d))
            break;
    }
    if (!l->done) {
        lookup_release(l); /* the thread frees the rest when it is done */
        return IPCX_ETIMEDOUT;
    }
    rc = gai_code(l->gai, l->err);
    *res = l->res;
    l->res = NULL;
    lookup_release(l);
    return rc;
}

static bool is_localhost(const char *h)
{
    return !strcasecmp(h, "localhost") || !strcasecmp(h, "localhost.");
}

/*
 * Resolves into out[0..max). `passive`: a NULL or empty host means the
 * wildcard addresses. Returns the count or a negative code.
 */
static int resolve(struct ipcx_inet_addr *out, size_t max, const char *host, uint16_t port,
                   const struct ipcx_inet_opts *o, bool passive, const struct ipcx__deadline *d)
{
    if (!out || max == 0)
        return IPCX_EINVAL;
    int family = af_of(o);
    size_t n = 0;
    if (!host || !host[0]) {
        if (!passive)
            return IPCX_EINVAL;
        /* The IPv6 wildcard (dual-stack) first: where IPv6 is off, it fails to bind. */
        if (family != AF_INET && n < max)
            addr_v6(&out[n++], &in6addr_any);
        if (family != AF_INET6 && n < max)
            addr_v4(&out[n++], INADDR_ANY);
        for (size_t i = 0; i < n; i++)
            set_port(&out[i], port);
        return (int)n;
    }

    char h[MAX_HOST + 1];
    size_t hl = strnlen(host, MAX_HOST + 3);
    if (host[0] == '[') {
        if (hl < 3 || host[hl - 1] != ']' || hl - 2 > MAX_HOST)
            return IPCX_EINVAL;
        memcpy(h, host + 1, hl - 2);
        h[hl - 2] = '\0';
    } else {
        if (hl > MAX_HOST)
            return IPCX_EINVAL;
        memcpy(h, host, hl + 1);
    }

    if (is_localhost(h)) {
        if (family != AF_INET6 && n < max)
            addr_v4(&out[n++], INADDR_LOOPBACK);
        if (family != AF_INET && n < max)
            addr_v6(&out[n++], &in6addr_loopback);
        for (size_t i = 0; i < n; i++)
            set_port(&out[i], port);
        return (int)n;
    }

    struct addrinfo hints = {0};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM; /* one entry per address */
    hints.ai_flags = AI_NUMERICHOST;
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(h, NULL, &hints, &res);
    int rc;
    if (gai == 0) {
        rc = 0;
    } else if (gai != EAI_NONAME) {
        return gai_code(gai, errno);
    } else if (o && (o->flags & IPCX_INET_NUMERIC)) {
        return IPCX_EINVAL;
    } else if (strchr(h, ':') || strchr(h, '%')) {
        return IPCX_EINVAL; /* not an address, and no name looks like that */
    } else {
        hints.ai_flags = AI_ADDRCONFIG;
        rc = lookup_name(h, &hints, &res, d);
    }
    if (rc < 0) {
        if (res)
            freeaddrinfo(res);
        return rc;
    }
    for (struct addrinfo *ai = res; ai && n < max; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof out[n].u.in4) {
            memset(&out[n], 0, sizeof out[n]);
            memcpy(&out[n].u.in4, ai->ai_addr, sizeof out[n].u.in4);
            out[n].len = sizeof out[n].u.in4;
        } else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof out[n].u.in6) {
            memset(&out[n], 0, sizeof out[n]);
            memcpy(&out[n].u.in6, ai->ai_addr, sizeof out[n].u.in6);
            out[n].len = sizeof out[n].u.in6;
        } else {
            continue;
        }
        set_port(&out[n], port);
        n++;
    }
    freeaddrinfo(res);
    return n ? (int)n : IPCX_ENOENT;
}

IPCX_API int ipcx_inet_resolve(struct ipcx_inet_addr *out, size_t max, const char *host,
                               uint16_t port, const struct ipcx_inet_opts *opts, int timeout_ms)
{
    if (check_opts(opts) < 0)
        return IPCX_EINVAL;
    struct ipcx__deadline d;
    int rc = ipcx__deadline_init(&d, timeout_ms);
    if (rc < 0)
        return rc;
    return (int)ipcx__deadline_map(resolve(out, max, host, port, opts, true, &d), timeout_ms);
}

/* The deadline for resolving in calls that have no timeout of their own. */
static void resolve_deadline(const struct ipcx_inet_opts *o, struct ipcx__deadline *d)
{
    int ms = (o && o->resolve_timeout_ms) ? o->resolve_timeout_ms : DEFAULT_RESOLVE_MS;
    ipcx__deadline_init(d, ms);
}

/* ---- sockets ------------------------------------------------------------ */

static int set_int(int fd, int level, int name, int value)
{
    if (setsockopt(fd, level, name, &value, sizeof value) < 0)
        return ipcx__errno();
    return 0;
}

/*
 * A new non-blocking, close-on-exec socket for `a`'s family, bound to it
 * when `bind_it`. IPv6 sockets get IPV6_V6ONLY set explicitly (from the
 * flag), so the outcome does not depend on the system's bindv6only.
 */
static int open_socket(const struct ipcx_inet_addr *a, int type, unsigned flags, bool reuseaddr,
                       bool bind_it)
{
    int fd = socket(a->u.sa.sa_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return ipcx__errno();
    int rc = 0;
    if (reuseaddr)
        rc = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (rc == 0 && (flags & IPCX_INET_REUSEPORT))
        rc = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    if (rc == 0 && a->u.sa.sa_family == AF_INET6)
        rc = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, (flags & IPCX_INET_V6ONLY) ? 1 : 0);
    if (rc == 0 && bind_it && bind(fd, &a->u.sa, a->len) < 0)
        rc = ipcx__errno();
    if (rc < 0) {
        ipcx__close(fd);
        return rc;
    }
    return fd;
}

/* Keeps the most telling error across several addresses tried. */
static int better_error(int kept, int rc)
{
    if (kept == 0 || kept == IPCX_EAFNOSUPPORT || kept == IPCX_EADDRNOTAVAIL)
        return rc;
    return kept;
}

static int local_addr(int fd, struct ipcx_inet_addr *out)
{
    memset(out, 0, sizeof *out);
    socklen_t len = sizeof out->u;
    if (getsockname(fd, &out->u.sa, &len) < 0)
        return ipcx__errno();
    out->len = len;
    unmap_v4(out);
    return 0;
}

IPCX_API int ipcx_tcp_listen(struct ipcx_tcp **out, const char *host, uint16_t port,
                             const struct ipcx_inet_opts *opts)
{
    if (out)
        *out = NULL;
    if (!out || check_opts(opts) < 0)
        return IPCX_EINVAL;
    struct ipcx__deadline d;
    resolve_deadline(opts, &d);
    struct ipcx_inet_addr addrs[MAX_ADDRS];
    int n = resolve(addrs, MAX_ADDRS, host, port, opts, true, &d);
    if (n < 0)
        return n;
    unsigned flags = opts ? opts->flags : 0;
    int backlog = (opts && opts->backlog) ? opts->backlog : SOMAXCONN;
    int err = 0;
    for (int i = 0; i < n; i++) {
        int fd = open_socket(&addrs[i], SOCK_STREAM, flags, true, true);
        if (fd >= 0 && listen(fd, backlog) < 0) {
            int e = ipcx__errno();
            ipcx__close(fd);
            fd = e;
        }
        if (fd < 0) {
            err = better_error(err, fd);
            continue;
        }
        struct ipcx_tcp *s = calloc(1, sizeof *s);
        if (!s) {
            ipcx__close(fd);
            return IPCX_ENOMEM;
        }
        s->fd = fd;
        s->listener = true;
        s->delay = (flags & IPCX_INET_DELAY) != 0;
        *out = s;
        return 0;
    }
    return err;
}

static int set_nodelay(int fd, bool delay)
{
    return delay ? 0 : set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
}

IPCX_API int ipcx_tcp_accept(struct ipcx_tcp *l, struct ipcx_tcp **out, int timeout_ms)
{
    if (out)
        *out = NULL;
    if (!l || !out || !l->listener)
        return IPCX_EINVAL;
    struct ipcx__deadline d;
    int rc = ipcx__deadline_init(&d, timeout_ms);
    if (rc < 0)
        return rc;
    int fd = ipcx__sock_accept(l->fd, &d);
    if (fd < 0)
        return (int)ipcx__deadline_map(fd, timeout_ms);
    struct ipcx_tcp *s = calloc(1, sizeof *s);
    rc = s ? set_nodelay(fd, l->delay) : IPCX_ENOMEM;
    if (rc < 0) {
        ipcx__close(fd);
        free(s);
        return rc;
    }
    s->fd = fd;
    *out = s;
    return 0;
}

/* One non-blocking connect, completed within the deadline. Returns the fd or a code. */
static int connect_one(const struct ipcx_inet_addr *a, int type, const struct ipcx__deadline *d)
{
    int fd = open_socket(a, type, 0, false, false);
    if (fd < 0)
        return fd;
    int rc = 0;
    if (connect(fd, &a->u.sa, a->len) < 0) {
        if (errno != EINPROGRESS && errno != EINTR) {
            rc = ipcx__errno();
        } else {
            rc = ipcx__poll1(fd, POLLOUT, d);
            if (rc >= 0) {
                int soerr = 0;
                socklen_t len = sizeof soerr;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
                    rc = ipcx__errno();
                else
                    rc = soerr ? ipcx__err(soerr) : 0;
            }
        }
    }
    if (rc < 0) {
        ipcx__close(fd);
        return rc;
    }
    return fd;
}

IPCX_API int ipcx_tcp_connect(struct ipcx_tcp **out, const char *host, uint16_t port,
                              const struct ipcx_inet_opts *opts, int timeout_ms)
{
    if (out)
        *out = NULL;
    if (!out || !host || !host[0] || port == 0 || check_opts(opts) < 0)
        return IPCX_EINVAL;
    struct ipcx__deadline d;
    int rc = ipcx__deadline_init(&d, timeout_ms);
    if (rc < 0)
        return rc;
    struct ipcx_inet_addr addrs[MAX_ADDRS];
    int n = resolve(addrs, MAX_ADDRS, host, port, opts, false, &d);
    if (n < 0)
        return (int)ipcx__deadline_map(n, timeout_ms);
    int err = IPCX_ECONNREFUSED;
    for (int i = 0; i < n; i++) {
        int fd = connect_one(&addrs[i], SOCK_STREAM, &d);
        if (fd == IPCX_ETIMEDOUT)
            return (int)ipcx__deadline_map(fd, timeout_ms);
        if (fd < 0) {
            err = fd;
            continue;
        }
        struct ipcx_tcp *s = calloc(1, sizeof *s);
        rc = s ? set_nodelay(fd, opts && (opts->flags & IPCX_INET_DELAY)) : IPCX_ENOMEM;
        if (rc < 0) {
            ipcx__close(fd);
            free(s);
            return rc;
        }
        s->fd = fd;
        *out = s;
        return 0;
    }
    return err;
}

static int data_call(bool bad, const void *buf, size_t len, int timeout_ms,
                     struct ipcx__deadline *d)
{
    if (bad || (len && !buf) || len > (size_t)SSIZE_MAX)
        return IPCX_EINVAL;
    return ipcx__deadline_init(d, timeout_ms);
}

IPCX_API ssize_t ipcx_tcp_send(struct ipcx_tcp *c, const void *buf, size_t len, int timeout_ms)
{
    struct ipcx__deadline d;
    int rc = data_call(!c || c->listener, buf, len, timeout_ms, &d);
    if (rc < 0)
        return rc;
    struct iovec iov = {(void *)buf, len};
    ssize_t n = ipcx__sock_sendmsg(c->fd, &iov, 1, NULL, 0, NULL, 0, true, &d);
    return ipcx__deadline_map(n, timeout_ms);
}

IPCX_API ssize_t ipcx_tcp_recv(struct ipcx_tcp *c, void *buf, size_t len, int timeout_ms)
{
    struct ipcx__deadline d;
    int rc = data_call(!c || c->listener, buf, len, timeout_ms, &d);
    if (rc < 0)
        return rc;
    struct iovec iov = {buf, len};
    ssize_t n = ipcx__sock_recvmsg(c->fd, &iov, 1, NULL, &d);
    return ipcx__deadline_map(n, timeout_ms);
}

IPCX_API int ipcx_tcp_shutdown(struct ipcx_tcp *c)
{
    if (!c || c->listener)
        return IPCX_EINVAL;
    if (shutdown(c->fd, SHUT_WR) < 0)
        return ipcx__errno();
    return 0;
}

IPCX_API int ipcx_tcp_local_addr(const struct ipcx_tcp *s, struct ipcx_inet_addr *out)
{
    if (!s || !out)
        return IPCX_EINVAL;
    return local_addr(s->fd, out);
}

IPCX_API int ipcx_tcp_peer_addr(const struct ipcx_tcp *c, struct ipcx_inet_addr *out)
{
    if (!c || !out)
        return IPCX_EINVAL;
    memset(out, 0, sizeof *out);
    socklen_t len = sizeof out->u;
    if (getpeername(c->fd, &out->u.sa, &len) < 0)
        return ipcx__errno();
    out->len = len;
    unmap_v4(out);
    return 0;
}

IPCX_API int ipcx_tcp_fd(const struct ipcx_tcp *s)
{
    return s ? s->fd : -1;
}

IPCX_API void ipcx_tcp_close(struct ipcx_tcp *s)
{
    if (!s)
        return;
    ipcx__close(s->fd);
    free(s);
}

/* ---- UDP ---------------------------------------------------------------- */

static int udp_new(struct ipcx_udp **out, int fd, int family)
{
    struct ipcx_udp *u = calloc(1, sizeof *u);
    if (!u) {
        ipcx__close(fd);
        return IPCX_ENOMEM;
    }
    u->fd = fd;
    u->family = family;
    *out = u;
    return 0;
}

IPCX_API int ipcx_udp_open(struct ipcx_udp **out, const char *host, uint16_t port,
                           const struct ipcx_inet_opts *opts)
{
    if (out)
        *out = NULL;
    if (!out || check_opts(opts) < 0)
        return IPCX_EINVAL;
    struct ipcx__deadline d;
    resolve_deadline(opts, &d);
    struct ipcx_inet_addr addrs[MAX_ADDRS];
    int n = resolve(addrs, MAX_ADDRS, host, port, opts, true, &d);
    if (n < 0)
        return n;
    unsigned flags = opts ? opts->flags : 0;
    int err = 0;
    for (int i = 0; i < n; i++) {
        int fd = open_socket(&addrs[i], SOCK_DGRAM, flags, false, true);
        if (fd < 0) {
            err = better_error(err, fd);
            continue;
        }
        return udp_new(out, fd, addrs[i].u.sa.sa_family);
    }
    return err;
}

IPCX_API int ipcx_udp_connect(struct ipcx_udp **out, const char *host, uint16_t port,
                              const struct ipcx_inet_opts *opts, int timeout_ms)
{
    if (out)
        *out = NULL;
    if (!out || !host || !host[0] || port == 0 || check_opts(opts) < 0)
        return IPCX_EINVAL;
    struct ipcx__deadline d;
    int rc = ipcx__deadline_init(&d, timeout_ms);
    if (rc < 0)
        return rc;
    struct ipcx_inet_addr addrs[MAX_ADDRS];
    int n = resolve(addrs, MAX_ADDRS, host, port, opts, false, &d);
    if (n < 0)
        return (int)ipcx__deadline_map(n, timeout_ms);
    int err = 0;
    for (int i = 0; i < n; i++) {
        int fd = connect_one(&addrs[i], SOCK_DGRAM, &d);
        if (fd < 0) {
            err = better_error(err, fd);
            continue;
        }
        return udp_new(out, fd, addrs[i].u.sa.sa_family);
    }
    return err;
}

static ssize_t udp_send(struct ipcx_udp *u, const struct ipcx_inet_addr *to, const void *buf,
                        size_t len, int timeout_ms)
{
    struct ipcx__deadline d;
    int rc = data_call(!u, buf, len, timeout_ms, &d);
    if (rc < 0)
        return rc;
    struct ipcx_inet_addr dst;
    if (to) {
        if (!addr_valid(to))
            return IPCX_EINVAL;
        rc = to_family(u->family, to, &dst);
        if (rc < 0)
            return rc;
    }
    struct iovec iov = {(void *)buf, len};
    ssize_t n = ipcx__sock_sendmsg(u->fd, &iov, 1, NULL, 0, to ? &dst.u.sa : NULL, to ? dst.len : 0,
                                   false, &d);
    return ipcx__deadline_map(n, timeout_ms);
}

IPCX_API ssize_t ipcx_udp_send(struct ipcx_udp *u, const void *buf, size_t len, int timeout_ms)
{
    return udp_send(u, NULL, buf, len, timeout_ms);
}

IPCX_API ssize_t ipcx_udp_sendto(struct ipcx_udp *u, const struct ipcx_inet_addr *to,
                                 const void *buf, size_t len, int timeout_ms)
{
    if (!to)
        return IPCX_EINVAL;
    return udp_send(u, to, buf, len, timeout_ms);
}

IPCX_API ssize_t ipcx_udp_recv(struct ipcx_udp *u, void *buf, size_t len,
                               struct ipcx_inet_addr *from, int timeout_ms)
{
    struct ipcx__deadline d;
    int rc = data_call(!u, buf, len, timeout_ms, &d);
    if (rc < 0)
        return rc;
    struct ipcx_inet_addr src;
    memset(&src, 0, sizeof src);
    struct ipcx__sock_rx rx = {0};
    rx.addr = &src.u;
    rx.addrlen = sizeof src.u;
    struct iovec iov = {buf, len};
    ssize_t n = ipcx__sock_recvmsg(u->fd, &iov, 1, &rx, &d);
    if (n < 0)
        return (int)ipcx__deadline_map((int)n, timeout_ms);
    if (from) {
        src.len = rx.addrlen;
        unmap_v4(&src);
        *from = src;
    }
    return n;
}

IPCX_API int ipcx_udp_local_addr(const struct ipcx_udp *u, struct ipcx_inet_addr *out)
{
    if (!u || !out)
        return IPCX_EINVAL;
    return local_addr(u->fd, out);
}

IPCX_API int ipcx_udp_fd(const struct ipcx_udp *u)
{
    return u ? u->fd : -1;
}

IPCX_API void ipcx_udp_close(struct ipcx_udp *u)
{
    if (!u)
        return;
    ipcx__close(u->fd);
    free(u);
}
