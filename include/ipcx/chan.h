/* SPDX-License-Identifier: MIT */
/*
 * ipcx/chan.h: channels: messaging endpoints with a pattern, over any
 * transport (ipcx/link.h). A channel listens on and dials any number of
 * URLs; each connection is a peer. N:1, 1:M and N:M are only a matter of
 * how many URLs each side listens on or dials.
 *
 * Patterns (a channel has one; peers must have the matching one, checked
 * when they connect where the link is two-way):
 *   PAIR        one peer at a time, both directions.
 *   PUB / SUB   a publisher sends every message to every subscriber whose
 *               subscriptions match a prefix of the body; a subscriber
 *               receives only what matches (no subscription: nothing).
 *   PUSH / PULL a pusher sends each message to one puller, taking turns
 *               among its peers (load balancing); a puller takes from all
 *               (fan-in).
 *   REQ / REP   a requester sends requests, each with a fresh id, and may
 *               have many in flight; a replier receives requests (the
 *               message says which peer and id) and sends each reply with
 *               the same `peer` and `id`, which routes it back to the one
 *               requester that asked.
 * A pattern and a transport that cannot work together (pub/sub over a
 * kernel queue that hands each message to one reader, a pattern that must
 * send from the listening end of a one-way link, rendezvous over a link
 * with no way back) fail at listen or dial with IPCX_ENOTSUP;
 * ipcx_chan_last_reason() says why.
 *
 * Queues and full-queue policy: the channel's receive queue and each
 * peer's send queue hold at most `capacity` messages. When a queue is full:
 *   BLOCK        the sender waits (up to its timeout);
 *   FAIL         the send returns IPCX_EAGAIN at once;
 *   DROP_NEWEST  the new message is dropped (counted), the send returns 0;
 *   DROP_OLDEST  the oldest queued message is dropped (counted).
 * A receive queue that is full under BLOCK or FAIL stops reading its links,
 * so the senders feel it through the transport. Capacity 0 is rendezvous:
 * a send returns only once the receiving application has taken the
 * message (the receiver acknowledges it), which needs a two-way link.
 *
 * Attributes: a receive can select by type with the System V rules and
 * always returns the highest priority first, FIFO within a priority; on
 * transports without native support this happens in the receive queue.
 *
 * Events: peers joining and leaving are queued as events (ipcx_chan_event()),
 * and counted in the statistics.
 *
 * Threads: every call is safe from several threads at once, except
 * ipcx_chan_close(). Fork and exec: a channel belongs to the process that
 * opened it; a child must open its own.
 */
#ifndef IPCX_CHAN_H
#define IPCX_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include <ipcx/common.h>
#include <ipcx/cred.h>
#include <ipcx/link.h>
#include <ipcx/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ipcx_chan;

enum ipcx_pattern {
    IPCX_PAIR = 1,
    IPCX_PUB,
    IPCX_SUB,
    IPCX_PUSH,
    IPCX_PULL,
    IPCX_REQ,
    IPCX_REP,
};

enum ipcx_full {
    IPCX_FULL_BLOCK = 0,
    IPCX_FULL_FAIL,
    IPCX_FULL_DROP_NEWEST,
    IPCX_FULL_DROP_OLDEST,
};

/* Selection by type at receive (System V rules). */
enum ipcx_select {
    IPCX_SEL_ANY = 0, /* the first message (by priority, then arrival) */
    IPCX_SEL_EXACT,   /* the first whose type equals `type` */
    IPCX_SEL_UPTO,    /* the first of the lowest type <= `type` */
    IPCX_SEL_EXCEPT,  /* the first whose type differs from `type` */
};

/*
 * Channel flags (`flags` of struct ipcx_chan_opts).
 * IPCX_CHAN_PRIORITY: strict priority order. Before choosing, a receive
 * takes every message its links have ready into the receive queue, so the
 * highest priority among everything that has arrived comes first. This
 * costs one more non-blocking read per receive. Without it a receive whose
 * queue is empty returns the next message a link gives (the fast path);
 * the channel switches to strict order by itself from the first message
 * with a priority above 0 it receives.
 */
#define IPCX_CHAN_PRIORITY 0x1u

/* Options; zero-initialised means the defaults. */
struct ipcx_chan_opts {
    size_t capacity;     /* messages per queue; 0: the default, 1024 (see ipcx_chan_set_capacity) */
    enum ipcx_full full; /* full-queue policy */
    size_t max_msg;      /* largest message; 0: each link's own largest */
    unsigned flags;      /* IPCX_CHAN_*; unknown flags give IPCX_EINVAL */
};

/* Creates a channel with `pattern`. Never blocks. */
IPCX_API int ipcx_chan_open(struct ipcx_chan **out, enum ipcx_pattern pattern,
                            const struct ipcx_chan_opts *opts);

/*
 * Sets the capacity and policy of every queue; 0 means rendezvous. Must
 * be called before the first listen or dial; IPCX_EBUSY after.
 */
IPCX_API int ipcx_chan_set_capacity(struct ipcx_chan *c, size_t capacity, enum ipcx_full full);

/*
 * Listens on `url`; peers that dial it join the channel as they arrive.
 * Returns an endpoint id (> 0) or IPCX_EBADURL, IPCX_ENOTSUP (see
 * ipcx_chan_last_reason()), IPCX_EADDRINUSE, ... Never blocks.
 */
IPCX_API int ipcx_chan_listen(struct ipcx_chan *c, const char *url,
                              const struct ipcx_link_opts *opts);

/*
 * Dials `url`, waiting up to `timeout_ms` for the connection; the peer
 * joins the channel. Returns an endpoint id (> 0) or the link's errors.
 */
IPCX_API int ipcx_chan_dial(struct ipcx_chan *c, const char *url, const struct ipcx_link_opts *opts,
                            int timeout_ms);

/*
 * The URL a listening endpoint can be dialed at (a port the kernel chose
 * filled in), as ipcx_listener_url(): its length. IPCX_ENOENT for an unknown id,
 * IPCX_EINVAL for a dialed endpoint, IPCX_ERANGE when `size` is too short.
 */
IPCX_API int ipcx_chan_endpoint_url(struct ipcx_chan *c, int id, char *buf, size_t size);

/*
 * Stops listening on, or disconnects, endpoint `id` (peers that came
 * through a listener stay). Returns 0, IPCX_ENOENT (no such endpoint, or
 * its peer left already), IPCX_EINVAL. Waits only for the service thread
 * to let go of the listener.
 */
IPCX_API int ipcx_chan_close_endpoint(struct ipcx_chan *c, int id);

/*
 * Sends `m` according to the pattern. Blocks up to `timeout_ms` (for a
 * peer to exist, for room, or for the acknowledgment at capacity 0).
 * On REQ the request id is chosen by the channel and written to m->id.
 * On REP, m->peer and m->id must be those of the request being answered.
 * Returns 0, or IPCX_EAGAIN / IPCX_ETIMEDOUT, IPCX_EMSGSIZE, IPCX_ENOTSUP
 * (SUB and PULL cannot send), IPCX_EINVAL.
 */
IPCX_API int ipcx_chan_send(struct ipcx_chan *c, struct ipcx_msg *m, int timeout_ms);

/*
 * Receives the next message (owned: release it). Returns 0, or
 * IPCX_EAGAIN / IPCX_ETIMEDOUT, IPCX_ENOTSUP (PUB and PUSH cannot
 * receive), IPCX_ECLOSED (PAIR: the peer closed and nothing is left).
 */
IPCX_API int ipcx_chan_recv(struct ipcx_chan *c, struct ipcx_msg *m, int timeout_ms);

/* Like ipcx_chan_recv(), choosing by type (`sel`, `type`). */
IPCX_API int ipcx_chan_recv_select(struct ipcx_chan *c, struct ipcx_msg *m, enum ipcx_select sel,
                                   long type, int timeout_ms);

/* REQ: waits for the reply to request `id`. */
IPCX_API int ipcx_chan_recv_reply(struct ipcx_chan *c, uint64_t id, struct ipcx_msg *m,
                                  int timeout_ms);

/* SUB: adds or removes a topic prefix (an empty prefix matches everything). */
IPCX_API int ipcx_chan_subscribe(struct ipcx_chan *c, const void *prefix, size_t len);
IPCX_API int ipcx_chan_unsubscribe(struct ipcx_chan *c, const void *prefix, size_t len);

enum ipcx_chan_event_kind {
    IPCX_CHAN_PEER_JOINED = 1,
    IPCX_CHAN_PEER_LEFT,
    IPCX_CHAN_PEER_REFUSED, /* connected but never joined: `reason` says why
                               (IPCX_EPROTO pattern mismatch, IPCX_EBUSY a pair
                               that has its peer, IPCX_EVERSION, IPCX_ETIMEDOUT
                               no hello in time) */
};

struct ipcx_chan_event {
    enum ipcx_chan_event_kind kind;
    uint32_t peer; /* the peer's id in this channel */
    int endpoint;  /* the endpoint it came through */
    int reason;    /* LEFT: IPCX_ECLOSED, IPCX_EPEERDEAD, IPCX_EPROTO, ... */
    int has_cred;  /* cred is valid */
    struct ipcx_cred cred;
};

/* Takes the next peer event, waiting up to `timeout_ms`. */
IPCX_API int ipcx_chan_event(struct ipcx_chan *c, struct ipcx_chan_event *ev, int timeout_ms);

struct ipcx_chan_stats {
    uint64_t sent, received;
    uint64_t dropped;  /* by DROP_NEWEST / DROP_OLDEST, both directions */
    uint64_t lost;     /* queued for a peer that left (or at close) before they could leave */
    uint64_t filtered; /* SUB: arrived but matched no subscription */
    uint64_t peers_joined, peers_left;
    unsigned peers; /* connected now */
};

IPCX_API int ipcx_chan_stats(struct ipcx_chan *c, struct ipcx_chan_stats *out);

/* Why the last IPCX_ENOTSUP of this thread happened, a static string. */
IPCX_API const char *ipcx_chan_last_reason(void);

/*
 * Closes every endpoint and frees the channel. Messages still queued for
 * sending get up to `linger_ms` to leave. Never blocks longer.
 */
IPCX_API void ipcx_chan_close(struct ipcx_chan *c, int linger_ms);

#ifdef __cplusplus
}
#endif

#endif
