/* SPDX-License-Identifier: MIT */
/*
 * transport/shm.c: the shm:// transport: two shared-memory rings per link,
 * set up over a Unix stream socket that then stays open as the liveness
 * channel.
 *
 * Relies on: the Unix socket mechanism (mech/unix.c) and the socket helpers
 * of sys/cmsg.h for the set-up (credentials, descriptor passing); memfd
 * regions with seals (mech/region.c); the ring (ring/ring.c) for the data;
 * eventfds and a multi-descriptor wait (sys/waitfd.h) for sleeping.
 *
 * Set-up (wire format in docs/design/ring.md, "shm:// transport"): the
 * listener accepts a connection, checks the dialer's credentials against
 * its policy and refuses with a small refusal message before anything is
 * created; otherwise it creates a memfd holding a header and two rings, two
 * eventfds, seals the memfd against shrinking, growing and further seals,
 * and sends one hello message carrying the three descriptors. It never
 * waits for the dialer, so a dialer that stalls or sends garbage costs the
 * listener nothing but that link. The dialer checks the listener's
 * credentials, the hello, the descriptors (eventfds), the seals and size of
 * the memfd and every field of the header before attaching to the rings.
 *
 * Guarantees: the hot path is the ring's: a send is reserve + copy +
 * commit, a receive is peek + one malloc + copy + release, with no system
 * call while the other side keeps up (busy and adaptive modes). A side
 * looks at the socket only when it is about to sleep, every millisecond of
 * a busy-mode spin, and every slice of a sleep for room, so a peer's death
 * (socket hang-up without a goodbye) is noticed within milliseconds by a
 * blocked call. What a peer wrote to the rings is checked by the ring.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>
#include <ipcx/region.h>
#include <ipcx/ring.h>
#include <ipcx/unix.h>

#include "link/link.h"
#include "sys/backoff.h"
#include "sys/cmsg.h"
#include "sys/cred.h"
#include "sys/fd.h"
#include "sys/waitfd.h"

/* ---- wire formats (docs/design/ring.md, "shm:// transport") ------------- */

#define SHM_VERSION   1
#define HELLO_MAGIC   0x48585049u /* "IPXH" little-endian */
#define HEADER_MAGIC  0x53585049u /* "IPXS" little-endian */
#define HELLO_OK      0
#define HELLO_REFUSED 1
#define HEADER_BLOCK  128u    /* the header's room; rings start after it */
#define GOODBYE       0x47    /* 'G': the sender closes in order */
#define ID_FLAG       0x8000u /* record priority bit: an 8-byte id leads the payload */
#define ID_BYTES      8u
#define DEFAULT_RING  (1u << 20)
#define ADDR_PREFIX   "@ipcx.shm."
#define SPIN_NS       50000   /* adaptive: spin this long before sleeping */
#define BUSY_CHECK_NS 1000000 /* busy: look at the socket this often */
#define ROOM_SLICE_MS 10      /* longest futex sleep between socket checks */
#define NFDS_HELLO    3

struct shm_hello {
    uint32_t magic;
    uint16_t version;
    uint16_t status;      /* HELLO_OK or HELLO_REFUSED */
    uint64_t region_size; /* bytes of the memfd (0 when refused) */
};

struct shm_header {
    uint32_t magic;
    uint16_t version;
    uint16_t header_size; /* sizeof(struct shm_header) */
    uint64_t region_size;
    uint64_t ring_offset[2]; /* [0] listener to dialer, [1] dialer to listener */
    uint64_t ring_size[2];
    uint64_t max_msg; /* largest body either side sends */
    uint32_t flags;   /* 0 */
    uint32_t reserved;
};

_Static_assert(sizeof(struct shm_hello) == 16, "hello size");
_Static_assert(sizeof(struct shm_header) == 64, "header size");

/* ---- objects ----------------------------------------------------------- */

enum peer_state { PEER_LIVE = 0, PEER_CLOSED, PEER_DEAD };

struct shm_link {
    struct ipcx_link base;
    struct ipcx_unix *u; /* dialer: the connection handle; listener side: NULL */
    int sock;            /* the connection (owned through `u` when set) */
    int efd[2];          /* eventfds of ring 0 and ring 1 */
    int rx_efd;          /* the one of efd[] the receive ring signals */
    int epfd;            /* base.fd: the receive ring's eventfd + the socket */
    struct ipcx_region *region;
    struct ipcx_ring *tx, *rx;
    int wait;    /* enum ipcx_link_wait, DEFAULT folded into ADAPTIVE */
    int peer;    /* enum peer_state */
    int garbage; /* the peer wrote something other than a goodbye */
    struct ipcx_cred cred;
};

struct shm_listener {
    struct ipcx_listener base;
    struct ipcx_unix *u;
    struct ipcx_cred_policy policy;
    size_t cap;
    size_t max_msg;
    int wait;
    char rest[IPCX__URL_MAX];
};

extern const struct ipcx__transport ipcx__transport_shm;

#define SHM_FLAGS                                                               \
    (IPCX_LINK_SEND | IPCX_LINK_RECV | IPCX_LINK_ORDERED | IPCX_LINK_RELIABLE | \
     IPCX_LINK_PEER_DEATH | IPCX_LINK_CRED)

static int fold_wait(enum ipcx_link_wait w)
{
    return w == IPCX_LINK_WAIT_DEFAULT ? IPCX_LINK_WAIT_ADAPTIVE : (int)w;
}

/* The socket address of a URL's rest: a path as is, a name in the abstract
 * namespace under the ipcx.shm. prefix. */
static int url_addr(const struct ipcx__url *url, char *addr, size_t size)
{
    const char *rest = url->rest;
    if (!url->had_slashes || rest[0] == '\0')
        return IPCX_EBADURL;
    int n = rest[0] == '/' ? snprintf(addr, size, "%s", rest)
                           : snprintf(addr, size, "%s%s", ADDR_PREFIX, rest);
    /* An address that does not fit in sun_path is malformed, as for unix://. */
    if (n < 0 || (size_t)n >= size || n > IPCX_UNIX_ADDR_MAX - 2)
        return IPCX_EBADURL;
    return 0;
}

static size_t round_pow2(size_t n)
{
    size_t p = IPCX_RING_MIN_CAPACITY;
    while (p < n)
        p <<= 1;
    return p;
}

/* ---- liveness ----------------------------------------------------------- */

/* Looks at the socket without waiting (one system call while nothing is
 * there, the usual case; a second to read what came). Updates
 * k->peer: a goodbye byte means an orderly close, end of stream or a reset
 * without one means death, anything else is a protocol violation. Returns
 * 0, or IPCX_EPROTO. */
static int check_peer(struct shm_link *k)
{
    if (k->peer != PEER_LIVE)
        return k->garbage ? IPCX_EPROTO : 0;
    struct ipcx__deadline now;
    ipcx__deadline_init(&now, 0);
    struct pollfd pf = {.fd = k->sock, .events = POLLIN};
    int r = ipcx__poll_deadline(&pf, 1, &now);
    if (r == IPCX_ETIMEDOUT)
        return 0;
    unsigned char buf[16];
    struct iovec iov = {buf, sizeof buf};
    ssize_t n = ipcx__sock_recvmsg(k->sock, &iov, 1, NULL, &now);
    if (n == IPCX_ETIMEDOUT || n == IPCX_EAGAIN)
        return 0;
    if (n == 1 && buf[0] == GOODBYE) {
        k->peer = PEER_CLOSED;
        return 0;
    }
    if (n == 0 || n == IPCX_ECONNRESET || n == IPCX_EPIPE) {
        k->peer = PEER_DEAD;
        return 0;
    }
    /* Garbage, descriptors, or an error on our own socket: the link can no
     * longer tell its peer's state. */
    k->peer = PEER_DEAD;
    k->garbage = 1;
    return IPCX_EPROTO;
}

/* What a call reports once the peer is gone and nothing is left to take. */
static int gone_code(const struct shm_link *k)
{
    if (k->garbage)
        return IPCX_EPROTO;
    return k->peer == PEER_CLOSED ? IPCX_ECLOSED : IPCX_EPEERDEAD;
}

/* A ring code as the link reports it: the ring says EPIPE when the other
 * end closed its side in order. */
static int ring_code(int rc)
{
    return rc == IPCX_EPIPE ? IPCX_ECLOSED : rc;
}

/* ---- send -------------------------------------------------------------- */

/* Waits for room for `len` bytes, then reserves it. Spins first (busy,
 * adaptive), looking at the socket only now and then; sleeps on the ring's
 * futex in slices, looking at the socket between them. */
static int wait_room(struct shm_link *k, size_t len, void **p, const struct ipcx__deadline *dl)
{
    int rc;
    if (ipcx__deadline_expired(dl)) {
        if ((rc = check_peer(k)) < 0)
            return rc;
        return k->peer != PEER_LIVE ? gone_code(k) : IPCX_EAGAIN;
    }
    if (k->wait != IPCX_LINK_WAIT_BLOCK) {
        int64_t start = ipcx__now_ns();
        int64_t next_check = start + BUSY_CHECK_NS;
        int64_t spin_end = k->wait == IPCX_LINK_WAIT_BUSY ? INT64_MAX : start + SPIN_NS;
        for (unsigned i = 1;; i++) {
            ipcx__cpu_relax();
            rc = ipcx_ring_reserve(k->tx, len, p, IPCX_NOWAIT);
            if (rc != IPCX_EAGAIN)
                return ring_code(rc);
            if ((i & 127) == 0) {
                int64_t now = ipcx__now_ns();
                if (now >= dl->at_ns)
                    return IPCX_ETIMEDOUT;
                if (now >= spin_end)
                    break;
                if (now >= next_check) {
                    next_check = now + BUSY_CHECK_NS;
                    if ((rc = check_peer(k)) < 0)
                        return rc;
                    if (k->peer != PEER_LIVE)
                        return gone_code(k);
                }
            }
        }
    }
    for (;;) {
        if ((rc = check_peer(k)) < 0)
            return rc;
        if (k->peer != PEER_LIVE) {
            /* Closed in order: the ring may say so more precisely. */
            rc = ipcx_ring_reserve(k->tx, len, p, IPCX_NOWAIT);
            return rc == IPCX_EAGAIN ? gone_code(k) : ring_code(rc);
        }
        int ms = ipcx__deadline_remaining_ms(dl);
        if (ms < 0 || ms > ROOM_SLICE_MS)
            ms = ROOM_SLICE_MS;
        rc = ipcx_ring_reserve(k->tx, len, p, ms > 0 ? ms : IPCX_NOWAIT);
        if (rc == IPCX_ETIMEDOUT || rc == IPCX_EAGAIN) {
            if (ipcx__deadline_expired(dl))
                return IPCX_ETIMEDOUT;
            continue;
        }
        return ring_code(rc);
    }
}

static int shm_send(struct ipcx_link *base, const struct ipcx_msg *m,
                    const struct ipcx__deadline *dl)
{
    struct shm_link *k = (struct shm_link *)base;
    if (k->peer != PEER_LIVE)
        return gone_code(k);
    size_t extra = m->id ? ID_BYTES : 0;
    size_t len = m->size + extra;
    void *p;
    int rc = ipcx_ring_reserve(k->tx, len, &p, IPCX_NOWAIT);
    if (rc == IPCX_EAGAIN)
        rc = wait_room(k, len, &p, dl);
    if (rc < 0)
        return ring_code(rc);
    unsigned char *dst = p;
    if (extra)
        memcpy(dst, &m->id, ID_BYTES);
    if (m->size)
        memcpy(dst + extra, m->data, m->size);
    struct ipcx_ring_meta meta = {.type = m->type,
                                  .priority = (uint16_t)(m->priority | (extra ? ID_FLAG : 0))};
    return ipcx_ring_commit(k->tx, len, &meta);
}

/* ---- receive ----------------------------------------------------------- */

/* The peer is gone: take a message committed before, or report why not. */
static int last_look(struct shm_link *k, struct ipcx_ring_view *v)
{
    int rc = ipcx_ring_peek(k->rx, v, IPCX_NOWAIT);
    return rc == IPCX_EAGAIN ? gone_code(k) : ring_code(rc);
}

/* Waits for a message: spins first (busy, adaptive), then arms the ring's
 * eventfd and sleeps in one poll on it and the socket. */
static int wait_message(struct shm_link *k, struct ipcx_ring_view *v,
                        const struct ipcx__deadline *dl)
{
    int rc;
    if (k->peer != PEER_LIVE)
        return last_look(k, v);
    if (ipcx__deadline_expired(dl)) {
        /* A receive that does not wait still reports a peer that went:
         * an event loop woken by the socket must not see EAGAIN forever. */
        if ((rc = check_peer(k)) < 0)
            return rc;
        return k->peer != PEER_LIVE ? last_look(k, v) : IPCX_EAGAIN;
    }
    if (k->wait != IPCX_LINK_WAIT_BLOCK) {
        int64_t start = ipcx__now_ns();
        int64_t next_check = start + BUSY_CHECK_NS;
        int64_t spin_end = k->wait == IPCX_LINK_WAIT_BUSY ? INT64_MAX : start + SPIN_NS;
        for (unsigned i = 1;; i++) {
            ipcx__cpu_relax();
            rc = ipcx_ring_peek(k->rx, v, IPCX_NOWAIT);
            if (rc != IPCX_EAGAIN)
                return ring_code(rc);
            if ((i & 127) == 0) {
                int64_t now = ipcx__now_ns();
                if (now >= dl->at_ns)
                    return IPCX_ETIMEDOUT;
                if (now >= spin_end)
                    break;
                if (now >= next_check) {
                    next_check = now + BUSY_CHECK_NS;
                    if ((rc = check_peer(k)) < 0)
                        return rc;
                    if (k->peer != PEER_LIVE)
                        return last_look(k, v);
                }
            }
        }
    }
    for (;;) {
        rc = ipcx_ring_arm(k->rx);
        if (rc != 0)
            return rc > 0 ? ipcx_ring_peek(k->rx, v, IPCX_NOWAIT) : ring_code(rc);
        struct pollfd pf[2] = {{.fd = k->rx_efd, .events = POLLIN},
                               {.fd = k->sock, .events = POLLIN}};
        rc = ipcx__poll_deadline(pf, 2, dl);
        if (rc < 0)
            return rc;
        if (pf[1].revents) {
            if ((rc = check_peer(k)) < 0)
                return rc;
            if (k->peer != PEER_LIVE)
                return last_look(k, v);
        }
    }
}

static int shm_recv(struct ipcx_link *base, struct ipcx_msg *m, const struct ipcx__deadline *dl)
{
    struct shm_link *k = (struct shm_link *)base;
    struct ipcx_ring_view v;
    int rc = ipcx_ring_peek(k->rx, &v, IPCX_NOWAIT);
    if (rc == IPCX_EAGAIN)
        rc = wait_message(k, &v, dl);
    if (rc < 0)
        return ring_code(rc);
    /* Attributes and lengths come from shared memory: check them. */
    size_t extra = (v.meta.priority & ID_FLAG) ? ID_BYTES : 0;
    unsigned prio = v.meta.priority & ~ID_FLAG;
    if (prio > IPCX_MSG_PRIO_MAX || v.meta.type < 0 || v.len < extra ||
        v.len - extra > k->base.caps.max_msg)
        return IPCX_EPROTO;
    size_t size = v.len - extra;
    void *body = NULL;
    if (size) {
        body = malloc(size);
        if (!body)
            return IPCX_ENOMEM; /* the message stays in the ring */
        memcpy(body, (const unsigned char *)v.data + extra, size);
    }
    if (extra)
        memcpy(&m->id, v.data, ID_BYTES);
    ipcx_ring_release(k->rx);
    m->data = body;
    m->size = size;
    m->type = (long)v.meta.type;
    m->priority = prio;
    m->flags = IPCX_MSG_OWNED;
    return 0;
}

static int shm_arm(struct ipcx_link *base)
{
    struct shm_link *k = (struct shm_link *)base;
    if (k->peer != PEER_LIVE)
        return 1;
    int rc = ipcx_ring_arm(k->rx);
    /* A message, a closed or broken ring: a receive returns at once. */
    return rc == 0 ? 0 : 1;
}

static int shm_peer_cred(const struct ipcx_link *base, struct ipcx_cred *out)
{
    const struct shm_link *k = (const struct shm_link *)base;
    *out = k->cred;
    return 0;
}

/* ---- set-up and teardown ----------------------------------------------- */

static struct shm_link *link_new(void)
{
    struct shm_link *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->base.tp = &ipcx__transport_shm;
    k->base.fd = -1;
    k->sock = -1;
    k->efd[0] = k->efd[1] = -1;
    k->epfd = -1;
    return k;
}

/* Frees everything; with `goodbye`, first tells the peer this end closes
 * in order (closed flags in both rings, then a goodbye byte). */
static void link_free(struct shm_link *k, int goodbye)
{
    if (!k)
        return;
    /* Closing a ring sets its closed flag and wakes the peer by futex or
     * eventfd: the eventfds are still open here. */
    ipcx_ring_close(k->tx);
    ipcx_ring_close(k->rx);
    if (goodbye && k->sock >= 0 && k->peer == PEER_LIVE) {
        struct ipcx__deadline now;
        ipcx__deadline_init(&now, 0);
        unsigned char bye = GOODBYE;
        struct iovec iov = {&bye, 1};
        (void)ipcx__sock_sendmsg(k->sock, &iov, 1, NULL, 0, NULL, 0, false, &now);
    }
    if (k->u)
        ipcx_unix_close(k->u);
    else
        ipcx__close(k->sock);
    ipcx__close(k->epfd);
    ipcx__close(k->efd[0]);
    ipcx__close(k->efd[1]);
    ipcx_region_close(k->region);
    free(k);
}

static void shm_close(struct ipcx_link *base)
{
    link_free((struct shm_link *)base, 1);
}

/* The rings of a mapped, checked region: `self` is 0 for the listener (it
 * produces into ring 0), 1 for the dialer. */
static int attach(struct shm_link *k, const struct shm_header *h, int self, int wait)
{
    unsigned char *base = ipcx_region_addr(k->region);
    int out = self, in = 1 - self;
    /* The producer handle sleeps for room on the ring's futex (in slices,
     * see wait_room); the consumer handle is only ever asked without
     * waiting, so its mode does not matter. */
    struct ipcx_ring_opts po = {.wait = IPCX_RING_BLOCK};
    int rc = ipcx_ring_attach(&k->tx, base + h->ring_offset[out], h->ring_size[out],
                              IPCX_RING_PRODUCER, &po);
    if (rc == 0)
        rc = ipcx_ring_attach(&k->rx, base + h->ring_offset[in], h->ring_size[in],
                              IPCX_RING_CONSUMER, NULL);
    if (rc == 0)
        rc = ipcx_ring_set_eventfd(k->tx, k->efd[out]);
    if (rc == 0)
        rc = ipcx_ring_set_eventfd(k->rx, k->efd[in]);
    if (rc < 0)
        return rc;
    if (h->max_msg == 0 || h->max_msg + ID_BYTES > ipcx_ring_max_message(k->tx) ||
        h->max_msg + ID_BYTES > ipcx_ring_max_message(k->rx))
        return IPCX_EPROTO;
    k->rx_efd = k->efd[in];
    int fds[2] = {k->rx_efd, k->sock};
    rc = ipcx__epoll_new(fds, 2);
    if (rc < 0)
        return rc;
    k->epfd = rc;
    k->wait = wait;
    k->base.fd = k->epfd;
    k->base.caps.flags = SHM_FLAGS;
    k->base.caps.max_msg = (size_t)h->max_msg;
    return 0;
}

/* ---- listener ---------------------------------------------------------- */

static int shm_listen(struct ipcx_listener **out, const struct ipcx__url *url,
                      const struct ipcx_link_opts *opts)
{
    char addr[IPCX_UNIX_ADDR_MAX + 16];
    int rc = url_addr(url, addr, sizeof addr);
    if (rc < 0)
        return rc;
    if (opts->mode & ~0777u)
        return IPCX_EINVAL;
    size_t cap;
    if (opts->ring_bytes) {
        if (opts->ring_bytes < IPCX_RING_MIN_CAPACITY || opts->ring_bytes > IPCX_RING_MAX_CAPACITY)
            return IPCX_EINVAL;
        cap = round_pow2(opts->ring_bytes);
    } else {
        /* Large enough for the largest message asked for. */
        cap = DEFAULT_RING;
        if (opts->max_msg > IPCX_RING_MAX_CAPACITY - IPCX_RING_RECORD_HEADER - ID_BYTES)
            return IPCX_EINVAL;
        if (opts->max_msg)
            cap = round_pow2(opts->max_msg + IPCX_RING_RECORD_HEADER + ID_BYTES);
        if (cap < DEFAULT_RING)
            cap = DEFAULT_RING;
    }
    size_t ring_max = cap - IPCX_RING_RECORD_HEADER - ID_BYTES;
    if (opts->max_msg > ring_max)
        return IPCX_EINVAL;
    if ((rc = ipcx__cred_policy_valid(opts->policy)) < 0)
        return rc;

    struct shm_listener *l = calloc(1, sizeof *l);
    if (!l)
        return IPCX_ENOMEM;
    l->base.tp = &ipcx__transport_shm;
    l->base.fd = -1;
    l->cap = cap;
    l->max_msg = opts->max_msg ? opts->max_msg : ring_max;
    l->wait = fold_wait(opts->wait);
    snprintf(l->rest, sizeof l->rest, "%s", url->rest);
    if ((rc = ipcx__cred_policy_copy(&l->policy, opts->policy)) < 0) {
        free(l);
        return rc;
    }
    /* Connections are checked here, against our copy of the policy, so
     * that a refused dialer hears why: the socket itself admits anyone. */
    static const struct ipcx_cred_policy any = {.flags = IPCX_CRED_ANY};
    struct ipcx_unix_opts uo = {.mode = opts->mode, .policy = &any};
    rc = ipcx_unix_listen(&l->u, addr, IPCX_UNIX_STREAM, &uo);
    if (rc < 0)
        goto fail;
    l->base.fd = ipcx_unix_fd(l->u);
    *out = &l->base;
    return 0;
fail:
    ipcx__cred_policy_free(&l->policy);
    free(l);
    return rc;
}

static int send_hello(int sock, uint16_t status, uint64_t size, const int *fds, size_t nfds)
{
    struct shm_hello h = {HELLO_MAGIC, SHM_VERSION, status, size};
    struct iovec iov = {&h, sizeof h};
    struct ipcx__deadline now;
    ipcx__deadline_init(&now, 0);
    /* A new connection's send buffer is empty: the hello fits at once. */
    ssize_t n = ipcx__sock_sendmsg(sock, &iov, 1, fds, nfds, NULL, 0, true, &now);
    if (n < 0)
        return (int)n;
    return n == (ssize_t)sizeof h ? 0 : IPCX_EPIPE;
}

/* Creates the memory, the eventfds and the rings of a new link for an
 * admitted connection `sock` (taken over), and hands them to the dialer. */
static int serve(struct shm_listener *l, int sock, const struct ipcx_cred *cred,
                 struct shm_link **out)
{
    struct shm_link *k = link_new();
    if (!k) {
        ipcx__close(sock);
        return IPCX_ENOMEM;
    }
    k->sock = sock;
    k->cred = *cred;
    size_t fp = ipcx_ring_footprint(l->cap);
    struct shm_header h = {
        .magic = HEADER_MAGIC,
        .version = SHM_VERSION,
        .header_size = sizeof h,
        .region_size = HEADER_BLOCK + 2 * (uint64_t)fp,
        .ring_offset = {HEADER_BLOCK, HEADER_BLOCK + fp},
        .ring_size = {fp, fp},
        .max_msg = l->max_msg,
    };
    int rc = ipcx_region_create_memfd(&k->region, "ipcx-shm", (size_t)h.region_size, NULL);
    if (rc < 0)
        goto fail;
    unsigned char *base = ipcx_region_addr(k->region);
    for (int i = 0; i < 2; i++)
        if ((rc = ipcx_ring_format(base + h.ring_offset[i], fp, l->cap)) < 0)
            goto fail;
    memcpy(base, &h, sizeof h);
    rc = ipcx_region_seal(k->region,
                          IPCX_REGION_SEAL_SHRINK | IPCX_REGION_SEAL_GROW | IPCX_REGION_SEAL_SEAL);
    if (rc < 0)
        goto fail;
    for (int i = 0; i < 2; i++) {
        if ((k->efd[i] = ipcx__eventfd_new()) < 0) {
            rc = k->efd[i];
            goto fail;
        }
    }
    if ((rc = attach(k, &h, 0, l->wait)) < 0)
        goto fail;
    int fds[NFDS_HELLO] = {ipcx_region_fd(k->region), k->efd[0], k->efd[1]};
    if ((rc = send_hello(sock, HELLO_OK, h.region_size, fds, NFDS_HELLO)) < 0)
        goto fail;
    *out = k;
    return 0;
fail:
    link_free(k, 0);
    return rc;
}

/* Errors that concern one connection only: the listener goes on. */
static int connection_error(int rc)
{
    return rc == IPCX_EPIPE || rc == IPCX_ECONNRESET || rc == IPCX_ENOTCONN || rc == IPCX_EPOLICY ||
           rc == IPCX_ETIMEDOUT || rc == IPCX_EAGAIN;
}

static int shm_accept(struct ipcx_listener *base, struct ipcx_link **out,
                      const struct ipcx__deadline *dl)
{
    struct shm_listener *l = (struct shm_listener *)base;
    int nowait = ipcx__deadline_expired(dl);
    for (;;) {
        int sock = ipcx__sock_accept(l->base.fd, dl);
        if (sock < 0)
            return sock == IPCX_ETIMEDOUT && nowait ? IPCX_EAGAIN : sock;
        struct ipcx_cred cred = {0};
        int rc = ipcx__sock_peer_allowed(sock, &l->policy, &cred);
        if (rc == IPCX_EPOLICY) {
            /* Refused before anything exists for it: say so, and go on. */
            (void)send_hello(sock, HELLO_REFUSED, 0, NULL, 0);
            ipcx__close(sock);
            continue;
        }
        if (rc < 0) {
            ipcx__close(sock);
            if (connection_error(rc))
                continue;
            return rc;
        }
        struct shm_link *k;
        rc = serve(l, sock, &cred, &k);
        if (rc == 0) {
            *out = &k->base;
            return 0;
        }
        if (!connection_error(rc))
            return rc;
    }
}

static int shm_listener_url(const struct ipcx_listener *base, char *buf, size_t size)
{
    const struct shm_listener *l = (const struct shm_listener *)base;
    int n = snprintf(buf, size, "shm://%s", l->rest);
    if (n < 0 || (size_t)n >= size)
        return IPCX_ENAMETOOLONG;
    return n;
}

static void shm_listener_close(struct ipcx_listener *base)
{
    struct shm_listener *l = (struct shm_listener *)base;
    ipcx_unix_close(l->u);
    ipcx__cred_policy_free(&l->policy);
    free(l);
}

/* ---- dialer ------------------------------------------------------------ */

/* Receives the hello and its descriptors (a stream: the 16 bytes may come
 * in parts; the descriptors come with the first). */
static int recv_hello(int sock, struct shm_hello *h, int *fds, size_t *nfds,
                      const struct ipcx__deadline *dl)
{
    size_t got = 0;
    *nfds = 0;
    while (got < sizeof *h) {
        struct iovec iov = {(unsigned char *)h + got, sizeof *h - got};
        struct ipcx__sock_rx rx = {.fds = fds, .fds_cap = NFDS_HELLO};
        ssize_t n = ipcx__sock_recvmsg(sock, &iov, 1, got ? NULL : &rx, dl);
        if (n < 0)
            return n == IPCX_ECTRUNC ? IPCX_EPROTO : (int)n;
        if (got == 0)
            *nfds = rx.nfds;
        if (n == 0)
            return IPCX_ECONNRESET; /* the listener closed without a word */
        got += (size_t)n;
    }
    return 0;
}

/* Reads the header once into `h` and checks every field against the
 * region it claims to describe. */
static int read_header(const struct ipcx_region *r, struct shm_header *h)
{
    size_t size = ipcx_region_size(r);
    if (size < HEADER_BLOCK)
        return IPCX_EPROTO;
    memcpy(h, ipcx_region_addr(r), sizeof *h);
    if (h->magic != HEADER_MAGIC)
        return IPCX_EPROTO;
    if (h->version != SHM_VERSION)
        return IPCX_EVERSION;
    if (h->header_size != sizeof *h || h->region_size != size || h->flags != 0)
        return IPCX_EPROTO;
    for (int i = 0; i < 2; i++) {
        uint64_t off = h->ring_offset[i], len = h->ring_size[i];
        if (off < HEADER_BLOCK || off % 128 || len > size || off > size - len)
            return IPCX_EPROTO;
    }
    /* The rings must not overlap. */
    int lo = h->ring_offset[0] <= h->ring_offset[1] ? 0 : 1;
    if (h->ring_offset[lo] + h->ring_size[lo] > h->ring_offset[1 - lo])
        return IPCX_EPROTO;
    return 0;
}

static int shm_dial(struct ipcx_link **out, const struct ipcx__url *url,
                    const struct ipcx_link_opts *opts, const struct ipcx__deadline *dl)
{
    char addr[IPCX_UNIX_ADDR_MAX + 16];
    int rc = url_addr(url, addr, sizeof addr);
    if (rc < 0)
        return rc;
    int nowait = ipcx__deadline_expired(dl);
    int fds[NFDS_HELLO] = {-1, -1, -1};
    size_t nfds = 0;
    struct shm_link *k = link_new();
    if (!k)
        return IPCX_ENOMEM;
    struct ipcx_unix_opts uo = {.policy = opts->policy};
    rc = ipcx_unix_connect(&k->u, addr, IPCX_UNIX_STREAM, &uo, ipcx__deadline_remaining_ms(dl));
    if (rc < 0)
        goto fail;
    k->sock = ipcx_unix_fd(k->u);
    if ((rc = ipcx_unix_peer_cred(k->u, &k->cred)) < 0)
        goto fail;
    struct shm_hello h;
    if ((rc = recv_hello(k->sock, &h, fds, &nfds, dl)) < 0)
        goto fail;
    if (h.magic != HELLO_MAGIC) {
        rc = IPCX_EPROTO;
        goto fail;
    }
    if (h.version != SHM_VERSION) {
        rc = IPCX_EVERSION;
        goto fail;
    }
    if (h.status == HELLO_REFUSED && nfds == 0) {
        rc = IPCX_EPOLICY;
        goto fail;
    }
    if (h.status != HELLO_OK || nfds != NFDS_HELLO || h.region_size < HEADER_BLOCK ||
        h.region_size > (uint64_t)SIZE_MAX) {
        rc = IPCX_EPROTO;
        goto fail;
    }
    for (int i = 1; i < NFDS_HELLO; i++) {
        rc = ipcx__fd_is_eventfd(fds[i]);
        if (rc <= 0) {
            rc = rc == 0 ? IPCX_EPROTO : rc;
            goto fail;
        }
    }
    /* Seals first, then the size (ipcx_region_open_fd's order): the size
     * checked can no longer change, so no access ever raises SIGBUS. */
    rc = ipcx_region_open_fd(&k->region, fds[0], (size_t)h.region_size,
                             IPCX_REGION_SEAL_SHRINK | IPCX_REGION_SEAL_GROW, NULL);
    if (rc < 0) {
        if (rc == IPCX_EPERM || rc == IPCX_ERANGE || rc == IPCX_ENODEV)
            rc = IPCX_EPROTO;
        goto fail;
    }
    ipcx__close(fds[0]); /* the region holds its own duplicate */
    fds[0] = -1;
    k->efd[0] = fds[1];
    k->efd[1] = fds[2];
    fds[1] = fds[2] = -1;
    struct shm_header hdr;
    if ((rc = read_header(k->region, &hdr)) < 0)
        goto fail;
    if ((rc = attach(k, &hdr, 1, fold_wait(opts->wait))) < 0) {
        if (rc == IPCX_EINVAL || rc == IPCX_EBADF)
            rc = IPCX_EPROTO;
        goto fail;
    }
    *out = &k->base;
    return 0;
fail:
    for (int i = 0; i < NFDS_HELLO; i++)
        ipcx__close(fds[i]);
    link_free(k, 0);
    if (rc == IPCX_ETIMEDOUT && nowait)
        rc = IPCX_EAGAIN;
    return rc;
}

const struct ipcx__transport ipcx__transport_shm = {
    .scheme = "shm",
    .dial_flags = SHM_FLAGS,
    .listen_flags = SHM_FLAGS,
    .dial = shm_dial,
    .listen = shm_listen,
    .accept = shm_accept,
    .listener_url = shm_listener_url,
    .listener_close = shm_listener_close,
    .send = shm_send,
    .recv = shm_recv,
    .arm = shm_arm,
    .peer_cred = shm_peer_cred,
    .close = shm_close,
};
