/* SPDX-License-Identifier: MIT */
/*
 * mech/unix.c: Unix domain sockets (stream, seqpacket, datagram) on
 * filesystem paths and abstract names.
 *
 * Relies on sys/cmsg.c for every send and receive (deadlines, descriptor
 * passing, credentials) and on sys/cred.c for the admission policy.
 *
 * Guarantees, beyond those of ipcx/unix.h: descriptors are close-on-exec
 * and non-blocking from creation; a constructor that fails leaves nothing
 * behind (no descriptor, no path); a path is only ever removed when it is a
 * socket that refused a connection (stale), or the one this handle created.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <ipcx/error.h>
#include <ipcx/unix.h>

#include "sys/cmsg.h"
#include "sys/cred.h"
#include "sys/deadline.h"
#include "sys/err.h"
#include "sys/fd.h"

struct ipcx_unix {
    int fd;
    enum ipcx_unix_type type;
    bool listener;
    bool passcred;   /* SO_PASSCRED is on: datagrams carry their sender's credentials */
    bool has_policy; /* listener: `policy` holds the caller's policy (else the default) */
    unsigned flags;
    char *path;  /* filesystem path this handle created, or NULL */
    pid_t owner; /* the process that created `path` */
    dev_t dev;   /* identity of the node at `path` */
    ino_t ino;
    struct ipcx_cred_policy policy;
};

#define KNOWN_FLAGS  IPCX_UNIX_KEEP_PATH
#define DEFAULT_MODE 0600u
#define SUN_OFF      offsetof(struct sockaddr_un, sun_path)
#define SUN_MAX      sizeof(((struct sockaddr_un *)0)->sun_path)

/* IPCX_NOWAIT on an operation that would block says EAGAIN, not ETIMEDOUT. */
static int sock_type(enum ipcx_unix_type t)
{
    switch (t) {
    case IPCX_UNIX_STREAM:
        return SOCK_STREAM;
    case IPCX_UNIX_SEQPACKET:
        return SOCK_SEQPACKET;
    case IPCX_UNIX_DGRAM:
        return SOCK_DGRAM;
    }
    return -1;
}

static int check_opts(const struct ipcx_unix_opts *o)
{
    if (!o)
        return 0;
    if ((o->mode & ~0777u) || (o->flags & ~KNOWN_FLAGS) || o->backlog < 0)
        return IPCX_EINVAL;
    return ipcx__cred_policy_valid(o->policy);
}

/* Turns "/path" or "@name" into a sockaddr_un. */
static int parse_addr(const char *addr, struct sockaddr_un *sa, socklen_t *len, bool *abstract)
{
    if (!addr || !addr[0])
        return IPCX_EINVAL;
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    size_t n = strnlen(addr, SUN_MAX + 2);
    if (addr[0] == '@') {
        n--;
        if (n == 0)
            return IPCX_EINVAL;
        if (n > SUN_MAX - 1)
            return IPCX_ENAMETOOLONG;
        memcpy(sa->sun_path + 1, addr + 1, n);
        *len = (socklen_t)(SUN_OFF + 1 + n);
        *abstract = true;
        return 0;
    }
    if (n >= SUN_MAX)
        return IPCX_ENAMETOOLONG;
    memcpy(sa->sun_path, addr, n + 1);
    *len = (socklen_t)(SUN_OFF + n + 1);
    *abstract = false;
    return 0;
}

/*
 * Writes an address as a string: "/path", "@name", or "" for no name or an
 * abstract name with a NUL byte in it (no string can say it, and a shorter
 * string would name another socket). Returns the length or
 * IPCX_ENAMETOOLONG.
 */
static int format_addr(const struct sockaddr_un *sa, socklen_t len, char *buf, size_t size)
{
    if (size == 0)
        return IPCX_ENAMETOOLONG;
    buf[0] = '\0';
    if (len <= SUN_OFF || sa->sun_family != AF_UNIX)
        return 0;
    size_t n = len - SUN_OFF;
    if (n > SUN_MAX)
        n = SUN_MAX;
    if (sa->sun_path[0] == '\0') {
        n--;
        if (n == 0 || memchr(sa->sun_path + 1, '\0', n))
            return 0;
        if (n + 2 > size)
            return IPCX_ENAMETOOLONG;
        buf[0] = '@';
        memcpy(buf + 1, sa->sun_path + 1, n);
        buf[n + 1] = '\0';
        return (int)n + 1;
    }
    n = strnlen(sa->sun_path, n);
    if (n + 1 > size)
        return IPCX_ENAMETOOLONG;
    memcpy(buf, sa->sun_path, n);
    buf[n] = '\0';
    return (int)n;
}

static struct ipcx_unix *handle_new(int fd, enum ipcx_unix_type type)
{
    struct ipcx_unix *s = calloc(1, sizeof *s);
    if (s) {
        s->fd = fd;
        s->type = type;
    }
    return s;
}

/*
 * Decides about a path that bind() found taken. Returns 0 when the caller
 * should try bind() again (the path was a stale socket, now removed, or it
 * vanished), or the code to fail with.
 */
static int take_over_stale(const char *path, const struct sockaddr_un *sa, socklen_t len, int stype)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : ipcx__errno();
    if (!S_ISSOCK(st.st_mode))
        return IPCX_EEXIST; /* a file, a directory, a symbolic link: never ours to remove */

    /* Is anybody there? Only "connection refused" means nobody is. */
    int probe = socket(AF_UNIX, stype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (probe < 0)
        return ipcx__errno();
    int r = connect(probe, (const struct sockaddr *)sa, len);
    int e = errno;
    ipcx__close(probe);
    if (r == 0)
        return IPCX_EADDRINUSE;
    switch (e) {
    case ECONNREFUSED:
        break;
    case ENOENT:
        return 0;
    case EAGAIN:      /* a live listener with a full backlog */
    case EINPROGRESS: /* (not on Linux, but would mean the same) */
    case EPROTOTYPE:  /* a live socket of another type */
        return IPCX_EADDRINUSE;
    default:
        return ipcx__err(e);
    }

    /* Stale. Remove it only if the name still refers to the node we probed. */
    struct stat again;
    if (lstat(path, &again) < 0)
        return errno == ENOENT ? 0 : ipcx__errno();
    if (again.st_dev != st.st_dev || again.st_ino != st.st_ino)
        return 0; /* replaced meanwhile: look again */
    if (unlink(path) < 0 && errno != ENOENT)
        return ipcx__errno();
    return 0;
}

/*
 * Sets exactly `mode` on the node at `path`, which must be the node
 * identified by dev/ino. The umask may have taken bits from the mode the
 * node was born with; this only adds them back.
 */
static int set_exact_mode(const char *path, dev_t dev, ino_t ino, mode_t mode)
{
    int o = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (o < 0)
        return ipcx__errno();
    struct stat st;
    int rc = 0;
    if (fstat(o, &st) < 0) {
        rc = ipcx__errno();
    } else if (st.st_dev != dev || st.st_ino != ino || !S_ISSOCK(st.st_mode)) {
        rc = IPCX_EEXIST; /* replaced since bind(): not ours to touch */
    } else if ((st.st_mode & 07777) != mode) {
        /* chmod through the descriptor: the very node checked above. */
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", o);
        if (chmod(proc, mode) < 0)
            rc = ipcx__errno();
    }
    ipcx__close(o);
    return rc;
}

/*
 * Binds `fd` to a filesystem path with no window: the node is created with
 * the socket's own mode minus the umask, and the socket's mode is set to
 * `mode` first. Takes over a stale socket at the path; refuses everything
 * else. On success records the node's identity in `s`.
 */
static int bind_path(struct ipcx_unix *s, const char *path, const struct sockaddr_un *sa,
                     socklen_t len, int stype, mode_t mode)
{
    if (fchmod(s->fd, mode) < 0)
        return ipcx__errno();
    int rc = IPCX_EADDRINUSE;
    for (int attempt = 0; attempt < 4; attempt++) {
        if (bind(s->fd, (const struct sockaddr *)sa, len) == 0) {
            rc = 0;
            break;
        }
        if (errno != EADDRINUSE)
            return ipcx__errno();
        rc = take_over_stale(path, sa, len, stype);
        if (rc < 0)
            return rc;
        rc = IPCX_EADDRINUSE;
    }
    if (rc < 0)
        return rc;

    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
        return IPCX_EADDRINUSE; /* replaced within microseconds of bind(); do not touch */
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->path = strdup(path);
    if (!s->path)
        return IPCX_ENOMEM;
    s->owner = getpid();
    return set_exact_mode(path, s->dev, s->ino, mode);
}

/* Removes the path a handle created, if this process created it and it is still that node. */
static void remove_path(struct ipcx_unix *s)
{
    if (!s->path || (s->flags & IPCX_UNIX_KEEP_PATH) || getpid() != s->owner)
        return;
    struct stat st;
    if (lstat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
        unlink(s->path);
}

static void handle_free(struct ipcx_unix *s)
{
    ipcx__close(s->fd);
    ipcx__cred_policy_free(&s->policy);
    free(s->path);
    free(s);
}

static int set_passcred(int fd)
{
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
        return ipcx__errno();
    return 0;
}

/* Creates a named socket: listening (stream, seqpacket) or bound (datagram). */
static int open_named(struct ipcx_unix **out, const char *addr, enum ipcx_unix_type type,
                      const struct ipcx_unix_opts *opts, bool listen_it)
{
    if (!out)
        return IPCX_EINVAL;
    *out = NULL;
    int stype = sock_type(type);
    int rc = check_opts(opts);
    if (stype < 0 || rc < 0)
        return IPCX_EINVAL;
    struct sockaddr_un sa;
    socklen_t len = 0;
    bool abstract = false;
    if (addr || listen_it) {
        rc = parse_addr(addr, &sa, &len, &abstract);
        if (rc < 0)
            return rc;
    }

    struct ipcx_unix *s = NULL;
    int fd = socket(AF_UNIX, stype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return ipcx__errno();
    s = handle_new(fd, type);
    if (!s) {
        ipcx__close(fd);
        return IPCX_ENOMEM;
    }
    s->flags = opts ? opts->flags : 0;
    if (listen_it && opts && opts->policy) {
        rc = ipcx__cred_policy_copy(&s->policy, opts->policy);
        if (rc < 0)
            goto fail;
        s->has_policy = true;
    }
    if (type == IPCX_UNIX_DGRAM) {
        rc = set_passcred(fd);
        if (rc < 0)
            goto fail;
        s->passcred = true;
    }

    if (!addr && !listen_it) {
        /* Autobind: the kernel picks a free abstract name. */
        sa_family_t fam = AF_UNIX;
        if (bind(fd, (const struct sockaddr *)&fam, sizeof fam) < 0) {
            rc = ipcx__errno();
            goto fail;
        }
    } else if (abstract) {
        if (bind(fd, (const struct sockaddr *)&sa, len) < 0) {
            rc = ipcx__errno();
            goto fail;
        }
    } else {
        mode_t mode = (opts && opts->mode) ? (mode_t)opts->mode : DEFAULT_MODE;
        rc = bind_path(s, addr, &sa, len, stype, mode);
        if (rc < 0)
            goto fail;
    }

    if (listen_it) {
        int backlog = (opts && opts->backlog) ? opts->backlog : SOMAXCONN;
        if (listen(fd, backlog) < 0) {
            rc = ipcx__errno();
            goto fail;
        }
        s->listener = true;
    }
    *out = s;
    return 0;

fail:
    s->flags &= ~IPCX_UNIX_KEEP_PATH; /* a failed constructor leaves no path behind */
    remove_path(s);
    handle_free(s);
    return rc;
}

IPCX_API int ipcx_unix_listen(struct ipcx_unix **out, const char *addr, enum ipcx_unix_type type,
                              const struct ipcx_unix_opts *opts)
{
    if (out)
        *out = NULL;
    if (type == IPCX_UNIX_DGRAM)
        return IPCX_EINVAL;
    return open_named(out, addr, type, opts, true);
}

IPCX_API int ipcx_unix_bind(struct ipcx_unix **out, const char *addr,
                            const struct ipcx_unix_opts *opts)
{
    return open_named(out, addr, IPCX_UNIX_DGRAM, opts, false);
}

IPCX_API int ipcx_unix_accept(struct ipcx_unix *l, struct ipcx_unix **out, int timeout_ms)
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
    rc = ipcx__sock_peer_allowed(fd, l->has_policy ? &l->policy : NULL, NULL);
    if (rc < 0) {
        ipcx__close(fd);
        return rc;
    }
    struct ipcx_unix *s = handle_new(fd, l->type);
    if (!s) {
        ipcx__close(fd);
        return IPCX_ENOMEM;
    }
    *out = s;
    return 0;
}

/*
 * connect() for stream and seqpacket, bounded by the deadline. A Unix
 * listener with a full backlog makes a non-blocking connect fail with
 * EAGAIN, and poll() cannot wait for room (an unconnected socket always
 * polls writable). A blocking connect does wait, on the listener, for as
 * long as SO_SNDTIMEO allows: so the socket is made blocking for the
 * connect, with SO_SNDTIMEO set to what is left of the deadline.
 */
static int connect_deadline(int fd, const struct sockaddr_un *sa, socklen_t len,
                            const struct ipcx__deadline *d)
{
    int rc = 0;
    bool timeo_set = false;
    for (;;) {
        int64_t left = ipcx__deadline_remaining_ns(d);
        if (left == 0) {
            rc = ipcx__fd_set_nonblock(fd, true);
            if (rc < 0)
                break;
        } else {
            struct timeval tv = {0, 0}; /* no limit */
            if (left != INT64_MAX) {
                int64_t us = (left + 999) / 1000;
                tv.tv_sec = (time_t)(us / 1000000);
                tv.tv_usec = (suseconds_t)(us % 1000000);
            }
            if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0) {
                rc = ipcx__errno();
                break;
            }
            timeo_set = true;
        }
        if (connect(fd, (const struct sockaddr *)sa, len) == 0) {
            rc = 0;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (ipcx__deadline_expired(d)) {
                rc = IPCX_ETIMEDOUT;
                break;
            }
            continue;
        }
        rc = ipcx__errno();
        break;
    }
    if (timeo_set) {
        struct timeval zero = {0, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof zero);
    }
    return rc;
}

IPCX_API int ipcx_unix_connect(struct ipcx_unix **out, const char *addr, enum ipcx_unix_type type,
                               const struct ipcx_unix_opts *opts, int timeout_ms)
{
    if (out)
        *out = NULL;
    int stype = sock_type(type);
    if (!out || stype < 0 || check_opts(opts) < 0)
        return IPCX_EINVAL;
    struct ipcx__deadline d;
    int rc = ipcx__deadline_init(&d, timeout_ms);
    if (rc < 0)
        return rc;
    struct sockaddr_un sa;
    socklen_t len;
    bool abstract;
    rc = parse_addr(addr, &sa, &len, &abstract);
    if (rc < 0)
        return rc;

    int fd = socket(AF_UNIX, stype | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ipcx__errno();
    struct ipcx_unix *s = handle_new(fd, type);
    if (!s) {
        ipcx__close(fd);
        return IPCX_ENOMEM;
    }
    if (type == IPCX_UNIX_DGRAM) {
        /* A name of our own, so that the peer can answer. */
        sa_family_t fam = AF_UNIX;
        rc = set_passcred(fd);
        if (rc < 0)
            goto fail;
        s->passcred = true;
        if (bind(fd, (const struct sockaddr *)&fam, sizeof fam) < 0 ||
            connect(fd, (const struct sockaddr *)&sa, len) < 0) {
            rc = ipcx__errno();
            goto fail;
        }
    } else {
        rc = connect_deadline(fd, &sa, len, &d);
        if (rc < 0) {
            rc = (int)ipcx__deadline_map(rc, timeout_ms);
            goto fail;
        }
    }
    rc = ipcx__fd_set_nonblock(fd, true);
    if (rc < 0)
        goto fail;
    if (type != IPCX_UNIX_DGRAM) {
        rc = ipcx__sock_peer_allowed(fd, opts ? opts->policy : NULL, NULL);
        if (rc < 0)
            goto fail;
    }
    *out = s;
    return 0;

fail:
    handle_free(s);
    return rc;
}

IPCX_API int ipcx_unix_pair(struct ipcx_unix **a, struct ipcx_unix **b, enum ipcx_unix_type type)
{
    if (a)
        *a = NULL;
    if (b)
        *b = NULL;
    int stype = sock_type(type);
    if (!a || !b || stype < 0)
        return IPCX_EINVAL;
    int sv[2];
    if (socketpair(AF_UNIX, stype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
        return ipcx__errno();
    struct ipcx_unix *x = handle_new(sv[0], type);
    struct ipcx_unix *y = x ? handle_new(sv[1], type) : NULL;
    int rc = (x && y) ? 0 : IPCX_ENOMEM;
    if (rc == 0 && type == IPCX_UNIX_DGRAM) {
        rc = set_passcred(sv[0]);
        if (rc == 0)
            rc = set_passcred(sv[1]);
        x->passcred = y->passcred = true;
    }
    if (rc < 0) {
        if (x)
            handle_free(x);
        else
            ipcx__close(sv[0]);
        if (y)
            handle_free(y);
        else
            ipcx__close(sv[1]);
        return rc;
    }
    *a = x;
    *b = y;
    return 0;
}

/* Checks the common arguments of a data call; starts the deadline. */
static int data_call(const struct ipcx_unix *s, const void *buf, size_t len, int timeout_ms,
                     struct ipcx__deadline *d)
{
    if (!s || s->listener || (len && !buf) || len > (size_t)SSIZE_MAX)
        return IPCX_EINVAL;
    return ipcx__deadline_init(d, timeout_ms);
}

static ssize_t send_common(struct ipcx_unix *s, const struct sockaddr_un *to, socklen_t tolen,
                           const void *buf, size_t len, const int *fds, size_t nfds, int timeout_ms,
                           const struct ipcx__deadline *d)
{
    struct iovec iov = {(void *)buf, len};
    ssize_t n =
        ipcx__sock_sendmsg(s->fd, &iov, 1, fds, nfds, to, tolen, s->type == IPCX_UNIX_STREAM, d);
    return ipcx__deadline_map(n, timeout_ms);
}

IPCX_API ssize_t ipcx_unix_send(struct ipcx_unix *s, const void *buf, size_t len, int timeout_ms)
{
    struct ipcx__deadline d;
    int rc = data_call(s, buf, len, timeout_ms, &d);
    if (rc < 0)
        return rc;
    return send_common(s, NULL, 0, buf, len, NULL, 0, timeout_ms, &d);
}

IPCX_API ssize_t ipcx_unix_sendto(struct ipcx_unix *s, const char *addr, const void *buf,
                                  size_t len, int timeout_ms)
{
    struct ipcx__deadline d;
    int rc = data_call(s, buf, len, timeout_ms, &d);
    if (rc < 0)
        return rc;
    if (s->type != IPCX_UNIX_DGRAM)
        return IPCX_EINVAL;
    struct sockaddr_un sa;
    socklen_t salen;
    bool abstract;
    rc = parse_addr(addr, &sa, &salen, &abstract);
    if (rc < 0)
        return rc;
    return send_common(s, &sa, salen, buf, len, NULL, 0, timeout_ms, &d);
}

IPCX_API ssize_t ipcx_unix_send_fds(struct ipcx_unix *s, const void *buf, size_t len,
                                    const int *fds, size_t nfds, int timeout_ms)
{
    struct ipcx__deadline d;
    int rc = data_call(s, buf, len, timeout_ms, &d);
    if (rc < 0)
        return rc;
    if (len == 0 || !fds || nfds == 0 || nfds > IPCX_UNIX_MAX_FDS)
        return IPCX_EINVAL;
    return send_common(s, NULL, 0, buf, len, fds, nfds, timeout_ms, &d);
}

static ssize_t recv_common(struct ipcx_unix *s, void *buf, size_t len, struct ipcx__sock_rx *rx,
                           int timeout_ms, const struct ipcx__deadline *d)
{
    struct iovec iov = {buf, len};
    ssize_t n = ipcx__sock_recvmsg(s->fd, &iov, 1, rx, d);
    return ipcx__deadline_map(n, timeout_ms);
}

IPCX_API ssize_t ipcx_unix_recv(struct ipcx_unix *s, void *buf, size_t len, int timeout_ms)
{
    struct ipcx__deadline d;
    int rc = data_call(s, buf, len, timeout_ms, &d);
    if (rc < 0)
        return rc;
    return recv_common(s, buf, len, NULL, timeout_ms, &d);
}

IPCX_API ssize_t ipcx_unix_recvfrom(struct ipcx_unix *s, void *buf, size_t len, char *from,
                                    size_t fromsize, struct ipcx_cred *cred, int timeout_ms)
{
    struct ipcx__deadline d;
    int rc = data_call(s, buf, len, timeout_ms, &d);
    if (rc < 0)
        return rc;
    if (from && fromsize == 0)
        return IPCX_EINVAL;
    if (cred && !s->passcred)
        return IPCX_ENOTSUP;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    struct ipcx__sock_rx rx = {0};
    rx.addr = &sa;
    rx.addrlen = sizeof sa;
    ssize_t n = recv_common(s, buf, len, &rx, timeout_ms, &d);
    if (n < 0)
        return n;
    if (cred) {
        if (!rx.has_cred)
            return IPCX_EIO; /* SO_PASSCRED is on: the kernel always stamps datagrams */
        *cred = rx.cred;
    }
    if (from) {
        rc = format_addr(&sa, rx.addrlen, from, fromsize);
        if (rc < 0)
            return rc;
    }
    return n;
}

IPCX_API ssize_t ipcx_unix_recv_fds(struct ipcx_unix *s, void *buf, size_t len, int *fds,
                                    size_t *nfds, int timeout_ms)
{
    if (!nfds)
        return IPCX_EINVAL;
    size_t cap = *nfds;
    *nfds = 0;
    struct ipcx__deadline d;
    int rc = data_call(s, buf, len, timeout_ms, &d);
    if (rc < 0)
        return rc;
    if (cap && !fds)
        return IPCX_EINVAL;
    struct ipcx__sock_rx rx = {0};
    rx.fds = fds;
    rx.fds_cap = cap > IPCX_UNIX_MAX_FDS ? IPCX_UNIX_MAX_FDS : cap;
    ssize_t n = recv_common(s, buf, len, &rx, timeout_ms, &d);
    if (n >= 0)
        *nfds = rx.nfds;
    return n;
}

IPCX_API ssize_t ipcx_unix_next_size(struct ipcx_unix *s, int timeout_ms)
{
    if (!s || s->listener || s->type == IPCX_UNIX_STREAM)
        return IPCX_EINVAL;
    struct ipcx__deadline d;
    int rc = ipcx__deadline_init(&d, timeout_ms);
    if (rc < 0)
        return rc;
    ssize_t n = ipcx__sock_peek_size(s->fd, &d);
    return ipcx__deadline_map(n, timeout_ms);
}

IPCX_API int ipcx_unix_shutdown(struct ipcx_unix *s)
{
    if (!s || s->listener)
        return IPCX_EINVAL;
    if (shutdown(s->fd, SHUT_WR) < 0)
        return ipcx__errno();
    return 0;
}

IPCX_API int ipcx_unix_peer_cred(struct ipcx_unix *s, struct ipcx_cred *out)
{
    if (!s || !out)
        return IPCX_EINVAL;
    if (s->listener || s->type == IPCX_UNIX_DGRAM)
        return IPCX_ENOTCONN;
    return ipcx__sock_peer_cred(s->fd, out);
}

IPCX_API int ipcx_unix_peer_pidfd(struct ipcx_unix *s)
{
    if (!s)
        return IPCX_EINVAL;
    if (s->listener || s->type == IPCX_UNIX_DGRAM)
        return IPCX_ENOTCONN;
    return ipcx__sock_peer_pidfd(s->fd);
}

IPCX_API int ipcx_unix_peer_check(struct ipcx_unix *s, const struct ipcx_cred_policy *policy)
{
    if (!s || ipcx__cred_policy_valid(policy) < 0)
        return IPCX_EINVAL;
    if (s->listener || s->type == IPCX_UNIX_DGRAM)
        return IPCX_ENOTCONN;
    return ipcx__sock_peer_allowed(s->fd, policy, NULL);
}

IPCX_API int ipcx_unix_addr(struct ipcx_unix *s, char *buf, size_t size)
{
    if (!s || !buf || size == 0)
        return IPCX_EINVAL;
    struct sockaddr_un sa;
    socklen_t len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    if (getsockname(s->fd, (struct sockaddr *)&sa, &len) < 0)
        return ipcx__errno();
    return format_addr(&sa, len, buf, size);
}

IPCX_API enum ipcx_unix_type ipcx_unix_get_type(const struct ipcx_unix *s)
{
    return s ? s->type : IPCX_UNIX_STREAM;
}

IPCX_API int ipcx_unix_fd(const struct ipcx_unix *s)
{
    return s ? s->fd : -1;
}

IPCX_API void ipcx_unix_close(struct ipcx_unix *s)
{
    if (!s)
        return;
    remove_path(s);
    handle_free(s);
}
