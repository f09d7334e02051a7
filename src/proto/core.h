/* SPDX-License-Identifier: MIT */
/*
 * proto/core.h: the inside of a channel (ipcx/chan.h), shared by the files
 * of src/proto: chan.c (the public calls), peer.c (peers, events, sending
 * to one peer), reader.c (reading links in the caller's thread) and
 * service.c (the thread that accepts peers and flushes send queues).
 *
 * Locking. One mutex `mu` guards the channel's state: the peer list, the
 * receive queue, events, subscriptions, rendezvous waits, statistics. It
 * is never held across a call that can block in the kernel for long. Each
 * peer has `send_mu`, which serialises the senders of its link (a link
 * allows one sender and one receiver at a time) and guards its send
 * queue. `mu` may be held while taking `send_mu` for a non-blocking
 * attempt (trylock only); never the other way round. Receiving is
 * serialised by the `reading` flag: one thread at a time reads the links
 * (the reader), the others wait on `cv` and find what it queued.
 *
 * Peers are reference counted under `mu`: the peer list holds one
 * reference, every thread using a peer without `mu` held another. A peer
 * that fails is removed from the list at once (event, statistics), and
 * its link is closed when the last reference goes.
 */
#ifndef IPCX_PROTO_CORE_H
#define IPCX_PROTO_CORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ipcx/chan.h>
#include <ipcx/link.h>

#include "proto/msgq.h"
#include "proto/wire.h"
#include "sys/deadline.h"

#define IPCX__CHAN_DEFAULT_CAPACITY 1024
#define IPCX__CHAN_EVENTS           256  /* events kept; the oldest go first */
#define IPCX__CHAN_BATCH            256  /* most messages one draining read takes */
#define IPCX__HANDSHAKE_MS          5000 /* a dialer has this long to say hello */
#define IPCX__FLUSH_MS              10   /* the service thread retries queued sends */

struct ipcx__peer {
    uint32_t id;
    int endpoint;
    struct ipcx_link *link;
    unsigned caps;    /* IPCX_LINK_* of the link */
    size_t max_msg;   /* of the link */
    int refs;         /* under mu */
    bool gone;        /* removed from the channel (under mu) */
    bool maybe_ready; /* reader's hint: a receive may find a message */
    bool has_cred;
    struct ipcx_cred cred;
    pthread_mutex_t send_mu;
    struct ipcx__msgq sendq; /* FIFO, under send_mu */
    bool tail;               /* the link holds the rest of a sent message (counted in queued) */
};

struct ipcx__endpoint {
    int id;
    struct ipcx_listener *lis; /* a listener; NULL for a dialed peer */
    uint32_t peer;             /* dialed: the peer */
    bool closing;              /* listener: the service thread must close it */
    struct ipcx__endpoint *next;
};

/* A rendezvous send waiting for the receiver to take its message. */
struct ipcx__await {
    uint64_t seq;
    uint32_t peer; /* 0: from any peer */
    int state;     /* 0 waiting, 1 acknowledged, < 0 the peer left with that code */
    struct ipcx__await *next;
};

struct ipcx__sub {
    unsigned char *prefix;
    size_t len;
};

struct ipcx_chan {
    enum ipcx_pattern pattern;
    size_t capacity;
    enum ipcx_full full;
    size_t max_msg;
    unsigned flags;
    bool started; /* a listen or dial happened: capacity is fixed */

    pthread_mutex_t mu;
    pthread_cond_t cv; /* any change a waiter may care about */

    struct ipcx__peer **peers;
    size_t npeers, peers_cap;
    size_t rr, rx_rr; /* round-robin positions for sending and reading */
    uint32_t next_peer;
    bool pair_reserved; /* PAIR: a peer is being set up */
    bool had_peer;

    struct ipcx__endpoint *eps;
    int next_endpoint;
    size_t nlisteners;

    struct ipcx__msgq rxq;
    bool prio_seen;

    struct ipcx_chan_event events[IPCX__CHAN_EVENTS];
    size_t ev_head, ev_count;

    struct ipcx__await *awaits;
    struct ipcx__sub *subs;
    size_t nsubs;

    bool reading, reader_polling;
    int wake_reader; /* eventfd: ends the reader's poll (peers changed) */
    int wake_thread; /* eventfd: ends the service thread's poll */
    pthread_t thread;
    bool thread_on, stopping;

    uint64_t next_req, next_seq;

    /* Statistics; the counters are atomics so that senders need no lock. */
    atomic_uint_fast64_t sent, received, dropped, lost, filtered;
    uint64_t peers_joined, peers_left;
    atomic_size_t queued; /* messages in every send queue */
};

/* peer.c */
void ipcx__chan_event_push(struct ipcx_chan *c, enum ipcx_chan_event_kind kind, uint32_t peer,
                           int endpoint, int reason, const struct ipcx__peer *p);
int ipcx__peer_join(struct ipcx_chan *c, struct ipcx_link *k, int endpoint, uint32_t *id);
void ipcx__peer_gone(struct ipcx_chan *c, struct ipcx__peer *p, int reason);
void ipcx__peer_unref(struct ipcx_chan *c, struct ipcx__peer *p);
struct ipcx__peer *ipcx__peer_find(struct ipcx_chan *c, uint32_t id);
bool ipcx__link_failed(int rc);
void ipcx__chan_wake_reader(struct ipcx_chan *c);
int ipcx__chan_wait(struct ipcx_chan *c, const struct ipcx__deadline *dl);

/* How far peer_send may go (see peer.c). */
enum ipcx__send_stage {
    IPCX__SEND_TRY,    /* only straight onto the link, without waiting */
    IPCX__SEND_ROOM,   /* ... or into the send queue if it has room */
    IPCX__SEND_POLICY, /* ... or whatever the full-queue policy says */
};
int ipcx__peer_send(struct ipcx_chan *c, struct ipcx__peer *p, const struct ipcx_msg *w,
                    const struct ipcx__deadline *dl, enum ipcx__send_stage stage);
int ipcx__peer_flush(struct ipcx_chan *c, struct ipcx__peer *p, const struct ipcx__deadline *dl);
void ipcx__peer_send_ack(struct ipcx__peer *p, uint64_t seq);
int ipcx__link_send_dl(struct ipcx_link *k, const struct ipcx_msg *m,
                       const struct ipcx__deadline *dl);
int ipcx__link_recv_dl(struct ipcx_link *k, struct ipcx_msg *m, const struct ipcx__deadline *dl);

/* reader.c */
struct ipcx__rxinfo {
    struct ipcx__peer *peer; /* holds a reference when want_ack */
    uint64_t seq;
    bool want_ack;
};
bool ipcx__rx_blocked(const struct ipcx_chan *c);
void ipcx__rx_enqueue(struct ipcx_chan *c, struct ipcx__qnode *n);
void ipcx__rx_trim(struct ipcx_chan *c);
int ipcx__reader_step(struct ipcx_chan *c, const struct ipcx__deadline *dl, bool drain,
                      struct ipcx_msg *direct, struct ipcx__rxinfo *info);

/* service.c */
int ipcx__service_ensure(struct ipcx_chan *c);
void ipcx__service_stop(struct ipcx_chan *c);
int ipcx__handshake_dial(struct ipcx_chan *c, struct ipcx_link *k, const struct ipcx__deadline *dl);

/* chan.c */
void ipcx__chan_set_reason(const char *why);

#endif
