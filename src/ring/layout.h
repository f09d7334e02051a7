/* SPDX-License-Identifier: MIT */
/*
 * ring/layout.h: the shared-memory layout of a ring, version 2. This is a
 * wire format between processes (possibly built from different versions of
 * ipcx): docs/design/ring.md describes it field by field, and a change to it
 * changes IPCX_RING_LAYOUT_VERSION.
 *
 * Each group of fields written by one side sits on its own 128-byte block
 * (two cache lines, so the adjacent-line prefetcher of x86 cores does not
 * drag the other side's line along). Records start on a cache line of their
 * own, so the producer writing one record never touches a line the consumer
 * is still reading from the previous one.
 */
#ifndef IPCX_RING_LAYOUT_H
#define IPCX_RING_LAYOUT_H

#include <stdint.h>

#define RING_MAGIC       0x52585049u /* "IPXR" little-endian */
#define RING_BLOCK       128u
#define RING_DATA_OFF    (4u * RING_BLOCK)
#define RING_ALIGN       64u /* records start on a cache line */
#define RING_REC_HDR     24u
#define RING_FLAG_PAD    0x1u
#define RING_FLAGS_KNOWN RING_FLAG_PAD

/* Block 0: written once by the creator, read once by each side at attach. */
struct ring_info {
    uint32_t magic;
    uint16_t version;
    uint16_t info_size;     /* sizeof(struct ring_info) */
    uint32_t data_offset;   /* RING_DATA_OFF */
    uint32_t record_header; /* RING_REC_HDR */
    uint64_t capacity;      /* data bytes, a power of two */
    uint32_t record_align;  /* RING_ALIGN: records and indices are multiples of it */
    uint32_t reserved;      /* 0 */
};

/* Block 1: written by the producer only. */
struct ring_producer {
    uint64_t head; /* bytes ever committed (informative: the consumer does not need it) */
};

/* Block 2: written by the consumer only. */
struct ring_consumer {
    uint64_t tail; /* bytes ever released: the producer may reuse up to tail + capacity */
};

/* Block 3: the wait words and the closed flags. Written only by a side
 * about to sleep (its flag), waking the other (the futex word) or closing,
 * so a busy stream leaves this block shared and clean in both caches: a
 * side polls it as often as it likes without moving a cache line. */
struct ring_wait {
    uint32_t consumer_sleeping; /* the consumer waits on data_futex */
    uint32_t data_futex;        /* bumped by the producer before waking it */
    uint32_t producer_sleeping; /* the producer waits on space_futex */
    uint32_t space_futex;       /* bumped by the consumer before waking it */
    uint32_t producer_closed;   /* 1 once the producer closed */
    uint32_t consumer_closed;   /* 1 once the consumer closed */
    uint32_t consumer_armed;    /* 1: the consumer polls its eventfd; cleared by the waker */
};

/* A record: RING_REC_HDR bytes of header, then the payload, padded to
 * RING_ALIGN. */
struct ring_record {
    uint64_t seq;   /* position of the record + 1, written last: "it is there" */
    uint32_t len;   /* payload bytes */
    uint16_t flags; /* RING_FLAG_PAD: skip to the end of the data area */
    uint16_t priority;
    int64_t type;
};

_Static_assert(sizeof(struct ring_record) == RING_REC_HDR, "record header size");
_Static_assert(sizeof(struct ring_info) <= RING_BLOCK, "info block");
_Static_assert(RING_ALIGN >= RING_REC_HDR, "every gap at the end holds a padding header");

#endif
