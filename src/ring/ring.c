/* SPDX-License-Identifier: MIT */
/*
 * ring/ring.c: the single-producer single-consumer message ring.
 *
 * Relies on: a memory area both processes map (the caller's business), the
 * futex helpers of src/sys for sleeping, and x86/ARM cache coherence with
 * C11 acquire/release ordering.
 *
 * Guarantees: messages arrive whole and in order; each side trusts only its
 * own index, kept in private memory, and checks everything it reads from
 * the shared area before using it; a busy stream makes no system calls.
 *
 * The consumer does not read the producer's head index at all: it watches
 * the sequence word of the record at its own position, which the producer
 * writes last. The record's first cache line therefore carries both the
 * "it is there" signal and the start of the payload, and a small message
 * crosses between cores in one or two cache-line transfers instead of three
 * (head, record, payload). The producer caches the consumer's tail and
 * reads it again only when its cached view says the ring is full.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ipcx/error.h>
#include <ipcx/ring.h>

#include "ring/layout.h"
#include "sys/backoff.h"
#include "sys/deadline.h"
#include "sys/futex.h"

struct ipcx_ring {
    struct ring_producer *prod;
    struct ring_consumer *cons;
    struct ring_wait *wait;
    unsigned char *data;
    uint64_t cap;
    uint64_t mask;
    uint64_t max_payload;
    int role;
    int wait_mode;
    int64_t spin_ns;
    int broken;
    int efd; /* borrowed eventfd, or -1 */
    /* Producer: head; consumer: tail. Authoritative, never read back. */
    uint64_t pos;
    /* Producer: the consumer's tail as last read and checked. */
    uint64_t tail_cache;
    /* Producer: the open reservation. */
    int reserved;
    size_t res_len;
    /* Consumer: the message under view and the bytes it occupies. */
    int viewing;
    uint64_t view_bytes;
    struct ipcx_ring_view view;
    struct ipcx_ring_stats stats;
};

#define LOAD_ACQ(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define LOAD_RLX(p)     __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define STORE_RLX(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* Asks for the line at `p` in exclusive state, ready to be written: a hint
 * that never faults (any address may be given). */
static inline void prefetch_for_write(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("prefetchw (%0)" ::"r"(p));
#else
    __builtin_prefetch(p, 1, 3);
#endif
}

static inline uint64_t align_up(uint64_t n)
{
    return (n + RING_ALIGN - 1) & ~(uint64_t)(RING_ALIGN - 1);
}

static int valid_capacity(size_t capacity)
{
    return capacity >= IPCX_RING_MIN_CAPACITY && capacity <= IPCX_RING_MAX_CAPACITY &&
           (capacity & (capacity - 1)) == 0;
}

IPCX_API size_t ipcx_ring_footprint(size_t capacity)
{
    return valid_capacity(capacity) ? RING_DATA_OFF + capacity : 0;
}

IPCX_API int ipcx_ring_format(void *mem, size_t mem_size, size_t capacity)
{
    if (!mem || ((uintptr_t)mem & 63) || !valid_capacity(capacity))
        return IPCX_EINVAL;
    if (mem_size < ipcx_ring_footprint(capacity))
        return IPCX_ENOSPC;
    unsigned char *base = mem;
    /* Zero everything: a stale record from earlier use of this memory could
     * otherwise carry a sequence word that looks current. */
    memset(base, 0, RING_DATA_OFF + capacity);
    struct ring_info *info = mem;
    info->version = IPCX_RING_LAYOUT_VERSION;
    info->info_size = sizeof *info;
    info->data_offset = RING_DATA_OFF;
    info->record_header = RING_REC_HDR;
    info->capacity = capacity;
    info->record_align = RING_ALIGN;
    /* The magic goes last: a reader that sees it sees a whole header. */
    STORE_REL(&info->magic, RING_MAGIC);
    return 0;
}

IPCX_API int ipcx_ring_attach(struct ipcx_ring **out, void *mem, size_t mem_size, int role,
                              const struct ipcx_ring_opts *opts)
{
    static const struct ipcx_ring_opts defaults = {0};
    if (!out)
        return IPCX_EINVAL;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (!mem || ((uintptr_t)mem & 63) || mem_size < RING_DATA_OFF ||
        (role != IPCX_RING_PRODUCER && role != IPCX_RING_CONSUMER) || opts->wait < 0 ||
        opts->wait > IPCX_RING_BLOCK || opts->spin_us > 1000000)
        return IPCX_EINVAL;

    /* Read every header field once, into private memory, then check. */
    struct ring_info *shared = mem;
    struct ring_info info;
    info.magic = LOAD_ACQ(&shared->magic);
    info.version = LOAD_RLX(&shared->version);
    info.info_size = LOAD_RLX(&shared->info_size);
    info.data_offset = LOAD_RLX(&shared->data_offset);
    info.record_header = LOAD_RLX(&shared->record_header);
    info.capacity = LOAD_RLX(&shared->capacity);
    info.record_align = LOAD_RLX(&shared->record_align);
    info.reserved = LOAD_RLX(&shared->reserved);
    if (info.magic != RING_MAGIC)
        return IPCX_EPROTO;
    if (info.version != IPCX_RING_LAYOUT_VERSION)
        return IPCX_EVERSION;
    if (info.info_size != sizeof info || info.data_offset != RING_DATA_OFF ||
        info.record_header != RING_REC_HDR || info.record_align != RING_ALIGN ||
        info.reserved != 0 || !valid_capacity(info.capacity) ||
        info.capacity > mem_size - RING_DATA_OFF)
        return IPCX_EPROTO;

    unsigned char *base = mem;
    struct ring_producer *prod = (void *)(base + RING_BLOCK);
    struct ring_consumer *cons = (void *)(base + 2 * RING_BLOCK);
    uint64_t head = LOAD_ACQ(&prod->head);
    uint64_t tail = LOAD_ACQ(&cons->tail);
    if (tail > head || head - tail > info.capacity || (head | tail) % RING_ALIGN)
        return IPCX_EPROTO;

    struct ipcx_ring *r = calloc(1, sizeof *r);
    if (!r)
        return IPCX_ENOMEM;
    r->prod = prod;
    r->cons = cons;
    r->wait = (void *)(base + 3 * RING_BLOCK);
    r->data = base + RING_DATA_OFF;
    r->cap = info.capacity;
    r->mask = info.capacity - 1;
    r->max_payload = info.capacity - RING_REC_HDR;
    r->role = role;
    r->wait_mode = opts->wait;
    r->spin_ns = (int64_t)(opts->spin_us ? opts->spin_us : 50) * 1000;
    r->pos = role == IPCX_RING_PRODUCER ? head : tail;
    r->tail_cache = tail;
    r->efd = -1;
    *out = r;
    return 0;
}

/* Wakes the other side if it announced that it sleeps on `word`. The caller
 * has issued a full barrier after publishing, so the flag read here cannot
 * be older than the publication (the sleeper's side of the handshake is in
 * sleep_on()). */
static void wake_peer(struct ipcx_ring *r, uint32_t *flag, uint32_t *word)
{
    if (LOAD_RLX(flag)) {
        __atomic_fetch_add(word, 1, __ATOMIC_RELEASE);
        ipcx__futex_wake(word, 1, true);
        r->stats.futex_wakes++;
    }
}

/* Wakes the consumer by every means it may be waiting: its futex, and its
 * eventfd if it armed one. Whoever clears the armed flag writes the eventfd,
 * so a burst of messages makes one write, not one per message. */
static void wake_consumer(struct ipcx_ring *r)
{
    wake_peer(r, &r->wait->consumer_sleeping, &r->wait->data_futex);
    uint32_t armed = 1;
    if (r->efd >= 0 && LOAD_RLX(&r->wait->consumer_armed) &&
        __atomic_compare_exchange_n(&r->wait->consumer_armed, &armed, 0, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_RELAXED)) {
        uint64_t one = 1;
        if (write(r->efd, &one, sizeof one) == sizeof one)
            r->stats.eventfd_writes++;
    }
}

IPCX_API void ipcx_ring_close(struct ipcx_ring *r)
{
    if (!r)
        return;
    if (r->role == IPCX_RING_PRODUCER) {
        STORE_REL(&r->wait->producer_closed, 1);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        wake_consumer(r);
    } else {
        STORE_REL(&r->wait->consumer_closed, 1);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        wake_peer(r, &r->wait->producer_sleeping, &r->wait->space_futex);
    }
    free(r);
}

IPCX_API size_t ipcx_ring_max_message(const struct ipcx_ring *r)
{
    return r ? (size_t)r->max_payload : 0;
}

IPCX_API void ipcx_ring_get_stats(const struct ipcx_ring *r, struct ipcx_ring_stats *stats)
{
    if (r && stats)
        *stats = r->stats;
}

static int broken(struct ipcx_ring *r)
{
    r->broken = 1;
    return IPCX_EPROTO;
}

/* A probe says whether the awaited condition holds: 1 yes, 0 not yet, or a
 * negative code that ends the wait. */
typedef int (*probe_fn)(struct ipcx_ring *r, uint64_t want);

/*
 * Announces that this side sleeps, checks once more, and sleeps on `word`.
 * Paired with wake_peer(): this side stores its flag then reads the shared
 * state; the other publishes the state then reads the flag; with a full
 * barrier on both sides at least one of them sees the other's write.
 */
static int sleep_on(struct ipcx_ring *r, probe_fn probe, uint64_t want, uint32_t *flag,
                    uint32_t *word, const struct ipcx__deadline *d)
{
    uint32_t seen = LOAD_ACQ(word);
    STORE_RLX(flag, 1);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    int rc = probe(r, want);
    if (rc == 0) {
        r->stats.futex_waits++;
        rc = ipcx__futex_wait(word, seen, d, true);
        if (rc == 0)
            rc = probe(r, want);
        else if (rc != IPCX_ETIMEDOUT)
            rc = 0; /* an unexpected futex error: fall back to re-checking */
    }
    STORE_RLX(flag, 0);
    return rc;
}

/* Spins of the first phase, before the clock is read at all: a reply that
 * comes within about a microsecond costs no clock read. */
#define FIRST_SPINS 256

static int wait_for(struct ipcx_ring *r, probe_fn probe, uint64_t want, uint32_t *flag,
                    uint32_t *word, int timeout_ms)
{
    int rc = probe(r, want);
    if (rc)
        return rc < 0 ? rc : 0;
    if (timeout_ms == IPCX_NOWAIT)
        return IPCX_EAGAIN;
    if (timeout_ms < IPCX_FOREVER)
        return IPCX_EINVAL;

    if (r->wait_mode != IPCX_RING_BLOCK) {
        for (unsigned i = 0; i < FIRST_SPINS; i++) {
            ipcx__cpu_relax();
            rc = probe(r, want);
            if (rc)
                return rc < 0 ? rc : 0;
        }
    }
    /* The deadline starts here rather than at entry: the difference is the
     * first spin phase, well under the millisecond resolution of timeouts. */
    struct ipcx__deadline d;
    ipcx__deadline_init(&d, timeout_ms);
    if (r->wait_mode != IPCX_RING_BLOCK) {
        int64_t spin_end = r->wait_mode == IPCX_RING_BUSY ? INT64_MAX : ipcx__now_ns() + r->spin_ns;
        for (unsigned i = 1;; i++) {
            ipcx__cpu_relax();
            rc = probe(r, want);
            if (rc)
                return rc < 0 ? rc : 0;
            if ((i & 127) == 0) {
                int64_t now = ipcx__now_ns();
                if (now >= d.at_ns)
                    return IPCX_ETIMEDOUT;
                if (now >= spin_end)
                    break;
            }
        }
    }
    for (;;) {
        rc = sleep_on(r, probe, want, flag, word, &d);
        if (rc)
            return rc < 0 ? rc : 0;
        if (ipcx__deadline_expired(&d))
            return IPCX_ETIMEDOUT;
    }
}

/* ---- producer ---------------------------------------------------------- */

/* Room for `want` more bytes at head? Reads the consumer's tail only when
 * the cached copy says no, and checks it: it may only move forward, stay
 * a multiple of RING_ALIGN, and never pass what was produced. */
static int probe_room(struct ipcx_ring *r, uint64_t want)
{
    if (LOAD_RLX(&r->wait->consumer_closed))
        return IPCX_EPIPE;
    if (r->cap - (r->pos - r->tail_cache) >= want)
        return 1;
    uint64_t tail = LOAD_ACQ(&r->cons->tail);
    if (tail < r->tail_cache || tail > r->pos || tail % RING_ALIGN)
        return broken(r);
    r->tail_cache = tail;
    return r->cap - (r->pos - tail) >= want;
}

static int wait_room(struct ipcx_ring *r, uint64_t want, int timeout_ms)
{
    return wait_for(r, probe_room, want, &r->wait->producer_sleeping, &r->wait->space_futex,
                    timeout_ms);
}

/*
 * Publishes a record header whose payload is in place: the sequence word is
 * written last, with a full barrier, then the consumer is woken if it
 * sleeps.
 *
 * Then it asks for the second line of the next record in exclusive state.
 * The next message's stores go to its first line (payload start, header,
 * sequence word) and to the lines after it; by TSO they become visible in
 * program order, so a second line still to be fetched would hold back the
 * sequence word behind it, and the consumer polling the first line would
 * take it back between the producer's stores. With the second line already
 * owned, the first line is written in one burst. The first line itself is
 * left alone: the consumer polls it.
 */
static void publish(struct ipcx_ring *r, struct ring_record *rec, uint64_t at, uint64_t bytes)
{
    __atomic_exchange_n(&rec->seq, at + 1, __ATOMIC_SEQ_CST);
    r->pos = at + bytes;
    STORE_RLX(&r->prod->head, r->pos);
    prefetch_for_write(r->data + ((r->pos + RING_ALIGN) & r->mask));
    wake_consumer(r);
}

IPCX_API int ipcx_ring_reserve(struct ipcx_ring *r, size_t len, void **ptr, int timeout_ms)
{
    if (!r || !ptr || r->role != IPCX_RING_PRODUCER)
        return IPCX_EINVAL;
    if (r->broken)
        return IPCX_EPROTO;
    if (len > r->max_payload)
        return IPCX_EMSGSIZE;
    r->reserved = 0;
    uint64_t need = align_up(RING_REC_HDR + len);
    uint64_t off = r->pos & r->mask;
    if (r->cap - off < need) {
        /* The record must be contiguous: fill the rest of the data area
         * with padding the consumer skips, and start again at offset 0. The
         * gap is a multiple of RING_ALIGN, so it always holds a header. */
        uint64_t gap = r->cap - off;
        int rc = wait_room(r, gap, timeout_ms);
        if (rc < 0)
            return rc;
        struct ring_record *pad = (void *)(r->data + off);
        pad->len = (uint32_t)(gap - RING_REC_HDR);
        pad->flags = RING_FLAG_PAD;
        pad->priority = 0;
        pad->type = 0;
        publish(r, pad, r->pos, gap);
        off = 0;
    }
    int rc = wait_room(r, need, timeout_ms);
    if (rc < 0)
        return rc;
    r->reserved = 1;
    r->res_len = len;
    *ptr = r->data + off + RING_REC_HDR;
    return 0;
}

IPCX_API int ipcx_ring_commit(struct ipcx_ring *r, size_t len, const struct ipcx_ring_meta *meta)
{
    if (!r || r->role != IPCX_RING_PRODUCER || !r->reserved || len > r->res_len)
        return IPCX_EINVAL;
    struct ring_record *rec = (void *)(r->data + (r->pos & r->mask));
    rec->len = (uint32_t)len;
    rec->flags = 0;
    rec->priority = meta ? meta->priority : 0;
    rec->type = meta ? meta->type : 0;
    r->reserved = 0;
    publish(r, rec, r->pos, align_up(RING_REC_HDR + len));
    r->stats.messages++;
    r->stats.bytes += len;
    return 0;
}

IPCX_API int ipcx_ring_send(struct ipcx_ring *r, const void *buf, size_t len,
                            const struct ipcx_ring_meta *meta, int timeout_ms)
{
    if (!buf && len)
        return IPCX_EINVAL;
    void *dst;
    int rc = ipcx_ring_reserve(r, len, &dst, timeout_ms);
    if (rc < 0)
        return rc;
    if (len)
        memcpy(dst, buf, len);
    return ipcx_ring_commit(r, len, meta);
}

/* ---- consumer ---------------------------------------------------------- */

/* Consumes `bytes` at tail: publishes the new tail and wakes the producer if
 * it waits for room. */
static void advance(struct ipcx_ring *r, uint64_t bytes)
{
    r->pos += bytes;
    __atomic_exchange_n(&r->cons->tail, r->pos, __ATOMIC_SEQ_CST);
    wake_peer(r, &r->wait->producer_sleeping, &r->wait->space_futex);
}

/* Is a message at tail? Skips padding on the way, checks every field of the
 * record header it reads (once), and fills r->view. */
static int probe_message(struct ipcx_ring *r, uint64_t unused)
{
    (void)unused;
    for (;;) {
        /* pos is this side's own, a multiple of RING_ALIGN: room >= 64. */
        uint64_t off = r->pos & r->mask;
        uint64_t room = r->cap - off;
        struct ring_record *rec = (void *)(r->data + off);
        if (LOAD_ACQ(&rec->seq) != r->pos + 1) {
            if (!LOAD_ACQ(&r->wait->producer_closed))
                return 0;
            /* Closed: a last record may have been committed just before. */
            if (LOAD_ACQ(&rec->seq) != r->pos + 1)
                return IPCX_EPIPE;
        }
        uint32_t len = LOAD_RLX(&rec->len);
        uint16_t flags = LOAD_RLX(&rec->flags);
        if (flags & ~RING_FLAGS_KNOWN)
            return broken(r);
        if (flags & RING_FLAG_PAD) {
            if ((uint64_t)len + RING_REC_HDR != room)
                return broken(r);
            advance(r, room);
            continue;
        }
        if ((uint64_t)len + RING_REC_HDR > room)
            return broken(r);
        r->view.data = rec + 1;
        r->view.len = len;
        r->view.meta.priority = LOAD_RLX(&rec->priority);
        r->view.meta.type = LOAD_RLX(&rec->type);
        r->view_bytes = align_up(RING_REC_HDR + len);
        r->viewing = 1;
        return 1;
    }
}

IPCX_API int ipcx_ring_peek(struct ipcx_ring *r, struct ipcx_ring_view *view, int timeout_ms)
{
    if (!r || !view || r->role != IPCX_RING_CONSUMER)
        return IPCX_EINVAL;
    if (r->broken)
        return IPCX_EPROTO;
    if (!r->viewing) {
        int rc = wait_for(r, probe_message, 0, &r->wait->consumer_sleeping, &r->wait->data_futex,
                          timeout_ms);
        if (rc < 0)
            return rc;
    }
    *view = r->view;
    return 0;
}

IPCX_API int ipcx_ring_release(struct ipcx_ring *r)
{
    if (!r || r->role != IPCX_RING_CONSUMER || !r->viewing)
        return IPCX_EINVAL;
    r->viewing = 0;
    r->stats.messages++;
    r->stats.bytes += r->view.len;
    advance(r, r->view_bytes);
    return 0;
}

IPCX_API int ipcx_ring_set_eventfd(struct ipcx_ring *r, int efd)
{
    if (!r)
        return IPCX_EINVAL;
    if (efd >= 0) {
        int fl = fcntl(efd, F_GETFL);
        if (fl < 0)
            return IPCX_EBADF;
        if (!(fl & O_NONBLOCK))
            return IPCX_EINVAL;
    }
    r->efd = efd < 0 ? -1 : efd;
    return 0;
}

IPCX_API int ipcx_ring_arm(struct ipcx_ring *r)
{
    if (!r || r->role != IPCX_RING_CONSUMER || r->efd < 0)
        return IPCX_EINVAL;
    if (r->broken)
        return IPCX_EPROTO;
    if (r->viewing)
        return 1;
    /* Drain wake-ups already delivered, then announce and look once more:
     * the same handshake as sleep_on(), with the eventfd as the bed. */
    uint64_t count;
    while (read(r->efd, &count, sizeof count) == sizeof count)
        ;
    STORE_RLX(&r->wait->consumer_armed, 1);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    int rc = probe_message(r, 0);
    if (rc != 0)
        STORE_RLX(&r->wait->consumer_armed, 0);
    return rc;
}

IPCX_API long ipcx_ring_recv(struct ipcx_ring *r, void *buf, size_t cap,
                             struct ipcx_ring_meta *meta, size_t *needed, int timeout_ms)
{
    if (!buf && cap)
        return IPCX_EINVAL;
    struct ipcx_ring_view v;
    int rc = ipcx_ring_peek(r, &v, timeout_ms);
    if (rc < 0)
        return rc;
    if (needed)
        *needed = v.len;
    if (v.len > cap)
        return IPCX_EMSGSIZE;
    if (v.len)
        memcpy(buf, v.data, v.len);
    if (meta)
        *meta = v.meta;
    ipcx_ring_release(r);
    return (long)v.len;
}
