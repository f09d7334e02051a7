/* SPDX-License-Identifier: MIT */
/*
 * test_frame.c: the byte-stream frame header: its exact wire layout
 * (little-endian, as docs/design/links.md describes it), round trips, and
 * every malformed header refused before a body would be read.
 * ipcx-test: label=unit timeout=30
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <string.h>

#include <ipcx/error.h>

#include "link/frame.h"

static const uint8_t expected[32] = {
    'I',  'P',  'X',  'F',  1,    32,   0,    2,    /* magic, version, hdr_len, flags, nfds */
    0x04, 0x03, 0x02, 0x01,                         /* body_len 0x01020304 */
    31,   0,    0,    0,                            /* priority, reserved */
    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* type */
    0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01, /* id */
};

static struct ipcx_msg sample(void)
{
    struct ipcx_msg m = {0};
    m.size = 0x01020304;
    m.type = 0x0102030405060708L;
    m.priority = 31;
    m.id = 0x0123456789abcdefull;
    m.nfds = 2;
    return m;
}

Test(frame, wire_layout_is_little_endian)
{
    struct ipcx_msg m = sample();
    uint8_t h[IPCX__FRAME_HDR];
    ipcx__frame_encode(h, &m);
    cr_assert_eq(memcmp(h, expected, sizeof h), 0);
}

Test(frame, round_trip)
{
    struct ipcx_msg m = sample();
    uint8_t h[IPCX__FRAME_HDR];
    ipcx__frame_encode(h, &m);
    struct ipcx__frame f;
    cr_assert_eq(ipcx__frame_decode(h, sizeof h, 0x01020304, IPCX_MSG_MAX_FDS, &f), 0);
    cr_assert_eq(f.hdr_len, 32);
    cr_assert_eq(f.flags, 0);
    cr_assert_eq(f.nfds, 2);
    cr_assert_eq(f.body_len, 0x01020304u);
    cr_assert_eq(f.priority, 31);
    cr_assert_eq(f.type, 0x0102030405060708L);
    cr_assert_eq(f.id, 0x0123456789abcdefull);

    ipcx__frame_encode_goodbye(h);
    cr_assert_eq(ipcx__frame_decode(h, sizeof h, 0, 0, &f), 0);
    cr_assert_eq(f.flags, IPCX__FRAME_GOODBYE);
}

Test(frame, partial_header_asks_for_more)
{
    uint8_t h[IPCX__FRAME_HDR];
    struct ipcx_msg m = sample();
    ipcx__frame_encode(h, &m);
    struct ipcx__frame f;
    for (size_t n = 0; n < sizeof h; n++)
        cr_assert_eq(ipcx__frame_decode(h, n, UINT32_MAX, IPCX_MSG_MAX_FDS, &f), 1, "%zu", n);
    /* A longer header (a later extension) waits for all of it. */
    h[5] = 40;
    cr_assert_eq(ipcx__frame_decode(h, 32, UINT32_MAX, IPCX_MSG_MAX_FDS, &f), 1);
    cr_assert_eq(f.hdr_len, 40);
    uint8_t longer[40] = {0};
    memcpy(longer, h, 32);
    cr_assert_eq(ipcx__frame_decode(longer, 40, UINT32_MAX, IPCX_MSG_MAX_FDS, &f), 0);
    cr_assert_eq(f.hdr_len, 40);
}

static int decode_with(size_t off, uint8_t value, size_t max_body, unsigned max_fds)
{
    uint8_t h[IPCX__FRAME_HDR];
    struct ipcx_msg m = sample();
    m.size = 100;
    ipcx__frame_encode(h, &m);
    h[off] = value;
    struct ipcx__frame f;
    return ipcx__frame_decode(h, sizeof h, max_body, max_fds, &f);
}

Test(frame, malformed_headers_refused)
{
    cr_assert_eq(decode_with(0, 'i', 1000, 16), IPCX_EPROTO); /* magic */
    cr_assert_eq(decode_with(4, 2, 1000, 16), IPCX_EVERSION); /* version */
    cr_assert_eq(decode_with(4, 0, 1000, 16), IPCX_EVERSION);
    cr_assert_eq(decode_with(5, 16, 1000, 16), IPCX_EPROTO); /* header too short */
    cr_assert_eq(decode_with(5, 33, 1000, 16), IPCX_EPROTO); /* not a multiple of 8 */
    cr_assert_eq(decode_with(5, 0, 1000, 16), IPCX_EPROTO);
    cr_assert_eq(decode_with(6, 0x02, 1000, 16), IPCX_EPROTO); /* unknown flag */
    cr_assert_eq(decode_with(6, 0x01, 1000, 16), IPCX_EPROTO); /* goodbye with a body */
    cr_assert_eq(decode_with(7, 17, 1000, 16), IPCX_EPROTO);   /* too many descriptors */
    cr_assert_eq(decode_with(7, 1, 1000, 0), IPCX_EPROTO);     /* none allowed here */
    cr_assert_eq(decode_with(12, 32, 1000, 16), IPCX_EPROTO);  /* priority */
    cr_assert_eq(decode_with(13, 1, 1000, 16), IPCX_EPROTO);   /* reserved */
    cr_assert_eq(decode_with(15, 1, 1000, 16), IPCX_EPROTO);
    cr_assert_eq(decode_with(23, 0x80, 1000, 16), IPCX_EPROTO); /* negative type */
    cr_assert_eq(decode_with(8, 100, 99, 16), IPCX_EPROTO);     /* longer than the largest */
    cr_assert_eq(decode_with(8, 100, 100, 16), 0);
    /* The fixed part is judged as soon as it is there. */
    uint8_t bad[4] = {'X', 'X', 'X', 'X'};
    struct ipcx__frame f;
    cr_assert_eq(ipcx__frame_decode(bad, 4, 1000, 16, &f), IPCX_EPROTO);
}
