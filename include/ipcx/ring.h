/* SPDX-License-Identifier: MIT */
/*
 * ipcx/ring.h: the shared-memory message ring, ipcx's fast path.
 *
 * A ring carries variable-length messages one way, from one producer to one
 * consumer, through memory both can map (a memfd, POSIX or System V shared
 * memory, an anonymous shared mapping inherited across fork). The layout is
 * versioned and described field by field in docs/design/ring.md.
 *
 * - Single producer, single consumer: no locks, no compare-and-swap on the
 *   hot path. Each side owns its index; a handle is used by one thread at a
 *   time (callers serialise if they share one).
 * - Zero-copy: ipcx_ring_reserve() gives space to write in place,
 *   ipcx_ring_commit() publishes it; ipcx_ring_peek() gives a view of the
 *   next message, ipcx_ring_release() frees it. ipcx_ring_send() and
 *   ipcx_ring_recv() copy in and out.
 * - Waiting, per handle: busy-poll, adaptive (bounded spin, then sleep on a
 *   futex; the other side makes a wake-up system call only when this side
 *   really sleeps) or blocking (sleep at once). Every wait takes a timeout.
 * - The peer is untrusted: every index, length and flag read from shared
 *   memory is read once and checked before use. A violation marks the
 *   handle broken: that call and every later one return IPCX_EPROTO. A peer
 *   can make this side wait (until its timeout), never crash it or make it
 *   read or write outside the ring.
 *
 * Persistence: that of the memory the ring lives in. The ring holds no
 * descriptors and no process-wide state; after fork, a child must not use
 * a handle its parent also uses (one producer, one consumer).
 */
#ifndef IPCX_RING_H
#define IPCX_RING_H

#include <stddef.h>
#include <stdint.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ipcx_ring;

/* The version of the shared layout this library reads and writes. */
#define IPCX_RING_LAYOUT_VERSION 2

/* Smallest and largest data capacity of a ring (bytes, powers of two). */
#define IPCX_RING_MIN_CAPACITY 4096u
#define IPCX_RING_MAX_CAPACITY (1u << 30)

/* Bytes each message costs in the ring beyond its payload (before padding). */
#define IPCX_RING_RECORD_HEADER 24u

/* Which end of the ring a handle is. */
enum ipcx_ring_role {
    IPCX_RING_PRODUCER = 1,
    IPCX_RING_CONSUMER = 2,
};

/* How a handle waits when the ring is empty (consumer) or full (producer). */
enum ipcx_ring_wait {
    IPCX_RING_ADAPTIVE = 0, /* spin for spin_us, then sleep on a futex (default) */
    IPCX_RING_BUSY = 1,     /* spin until ready or timed out; never sleeps */
    IPCX_RING_BLOCK = 2,    /* sleep on a futex at once */
};

/* Options of a handle. Zero-initialise; zero means the default. */
struct ipcx_ring_opts {
    int wait;         /* enum ipcx_ring_wait */
    unsigned spin_us; /* adaptive: how long to spin before sleeping (default 50) */
};

/* Attributes that travel with a message. */
struct ipcx_ring_meta {
    int64_t type;      /* free for the user: the channel layer uses System V rules */
    uint16_t priority; /* free for the user: higher is more urgent */
};

/* A received message, borrowed from the ring until ipcx_ring_release(). */
struct ipcx_ring_view {
    const void *data; /* points into shared memory: the producer could change it */
    size_t len;
    struct ipcx_ring_meta meta;
};

/* Counters of one handle (this process's side only). */
struct ipcx_ring_stats {
    uint64_t messages;       /* committed (producer) or released (consumer) */
    uint64_t bytes;          /* payload bytes of those messages */
    uint64_t futex_waits;    /* times this side slept */
    uint64_t futex_wakes;    /* wake-up system calls this side made for the peer */
    uint64_t eventfd_writes; /* producer: eventfd notifications written */
};

/*
 * The memory a ring of `capacity` data bytes needs, header included, or 0
 * if capacity is not a power of two within the limits above.
 */
IPCX_API size_t ipcx_ring_footprint(size_t capacity);

/*
 * Formats `mem` (of `mem_size` bytes, 64-byte aligned, zero or not) as an
 * empty ring with `capacity` data bytes. Only the creator calls this, before
 * any handle is attached. Errors: IPCX_EINVAL (NULL, misaligned, capacity
 * not a power of two within the limits), IPCX_ENOSPC (mem_size smaller than
 * ipcx_ring_footprint(capacity)).
 */
IPCX_API int ipcx_ring_format(void *mem, size_t mem_size, size_t capacity);

/*
 * Attaches a handle to the ring in `mem` as `role`. The header is checked
 * against `mem_size` (magic, version, layout size, capacity); the values are
 * copied and never read from shared memory again. Destroy with
 * ipcx_ring_close(). The memory must stay mapped until then.
 * Errors: IPCX_EINVAL (bad arguments), IPCX_EPROTO (not a ring, or a
 * header that does not fit the memory), IPCX_EVERSION (another layout
 * version), IPCX_ENOMEM.
 */
IPCX_API int ipcx_ring_attach(struct ipcx_ring **out, void *mem, size_t mem_size, int role,
                              const struct ipcx_ring_opts *opts);

/*
 * Marks this end closed in shared memory, wakes the peer, and frees the
 * handle (the memory is not unmapped). The peer's later calls see
 * IPCX_EPIPE once nothing more can arrive. NULL is ignored.
 */
IPCX_API void ipcx_ring_close(struct ipcx_ring *ring);

/* The largest payload one message can have in this ring. */
IPCX_API size_t ipcx_ring_max_message(const struct ipcx_ring *ring);

/*
 * Producer: reserves room for a message of `len` bytes and sets *ptr to
 * where its payload goes (8-byte aligned). Waits for room until the
 * timeout. Nothing is visible to the consumer until ipcx_ring_commit(); a
 * second reserve replaces an uncommitted one. Errors: IPCX_EMSGSIZE (len
 * over ipcx_ring_max_message()), IPCX_EAGAIN (IPCX_NOWAIT and no room),
 * IPCX_ETIMEDOUT, IPCX_EPIPE (consumer closed), IPCX_EPROTO, IPCX_EINVAL
 * (wrong role).
 */
IPCX_API int ipcx_ring_reserve(struct ipcx_ring *ring, size_t len, void **ptr, int timeout_ms);

/*
 * Producer: publishes the reserved message with `len` bytes (at most what
 * was reserved) and attributes `meta` (NULL: zeros), waking the consumer if
 * it sleeps. Errors: IPCX_EINVAL (nothing reserved, len too large).
 */
IPCX_API int ipcx_ring_commit(struct ipcx_ring *ring, size_t len,
                              const struct ipcx_ring_meta *meta);

/* Producer: copies `len` bytes in as one message (reserve + copy + commit). */
IPCX_API int ipcx_ring_send(struct ipcx_ring *ring, const void *buf, size_t len,
                            const struct ipcx_ring_meta *meta, int timeout_ms);

/*
 * Consumer: waits until a message is there and describes it in *view,
 * without consuming it; calling it again gives the same message. Errors:
 * IPCX_EAGAIN (IPCX_NOWAIT and empty), IPCX_ETIMEDOUT, IPCX_EPIPE (the
 * producer closed and everything it sent was consumed), IPCX_EPROTO.
 */
IPCX_API int ipcx_ring_peek(struct ipcx_ring *ring, struct ipcx_ring_view *view, int timeout_ms);

/*
 * Consumer: frees the message last returned by ipcx_ring_peek(), waking
 * the producer if it sleeps for room. Errors: IPCX_EINVAL (no message).
 */
IPCX_API int ipcx_ring_release(struct ipcx_ring *ring);

/*
 * Consumer: copies the next message into `buf` (capacity `cap`) and
 * consumes it; returns its length. A message larger than `cap` is left in
 * the ring and IPCX_EMSGSIZE is returned, with *needed (if not NULL) set to
 * its length. `meta` (may be NULL) receives its attributes. Errors: as
 * ipcx_ring_peek().
 */
IPCX_API long ipcx_ring_recv(struct ipcx_ring *ring, void *buf, size_t cap,
                             struct ipcx_ring_meta *meta, size_t *needed, int timeout_ms);

/*
 * Makes the ring pollable. Both ends call this with their descriptor of one
 * shared eventfd, created with EFD_NONBLOCK (and passed to the peer like any
 * descriptor). The descriptor is borrowed: the ring never closes it; -1
 * detaches it. Errors: IPCX_EBADF, IPCX_EINVAL (a blocking descriptor).
 */
IPCX_API int ipcx_ring_set_eventfd(struct ipcx_ring *ring, int efd);

/*
 * Consumer, in an event loop: call before waiting for the eventfd to
 * become readable. Returns 1 when a message is already there (do not wait:
 * receive it), 0 when armed (wait for POLLIN on the eventfd, then receive
 * with IPCX_NOWAIT until IPCX_EAGAIN, then arm again), or a negative code
 * (IPCX_EPIPE once the producer closed and the ring is drained,
 * IPCX_EPROTO, IPCX_EINVAL without an eventfd). The producer writes the
 * eventfd only when the consumer is armed, once per arming.
 */
IPCX_API int ipcx_ring_arm(struct ipcx_ring *ring);

/* This handle's counters. */
IPCX_API void ipcx_ring_get_stats(const struct ipcx_ring *ring, struct ipcx_ring_stats *stats);

#ifdef __cplusplus
}
#endif

#endif
