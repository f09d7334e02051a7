/* SPDX-License-Identifier: MIT */
/*
 * link/stream.c: framed messages over a byte stream (see stream.h).
 *
 * Receiving: bytes are read into a per-link buffer as many as the kernel
 * has (up to IPCX__STREAM_RBUF), so a run of small messages costs one read
 * for several of them and a single small message one read for its header
 * and body together. A body larger than the buffer is read straight into
 * the message's own allocation, which is made only after the header was
 * checked against the largest message; after such a message the next read
 * takes only a header, so that a stream of large messages is not copied
 * twice. The state of a frame in progress
 * survives a receive that times out.
 *
 * Sending: header and body go in one writev/sendmsg. What a deadline cut
 * off is kept and sent first next time, so frames never interleave.
 */
#include "link/stream.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>

#include "sys/fd.h"

int ipcx__stream_init(struct ipcx__stream *s, const struct ipcx__stream_io *io)
{
    s->io = io;
    atomic_init(&s->goodbye, false);
    return 0;
}

int ipcx__stream_max_msg(const struct ipcx_link_opts *opts, size_t *out)
{
    size_t v = opts && opts->max_msg ? opts->max_msg : IPCX__STREAM_MAX_MSG;
    if ((uint64_t)v > UINT32_MAX)
        return IPCX_EINVAL;
    *out = v;
    return 0;
}

static bool peer_gone(long rc)
{
    return rc == IPCX_EPIPE || rc == IPCX_ECONNRESET || rc == IPCX_ENOTCONN || rc == IPCX_ESHUTDOWN;
}

/* What a send tells once the peer is gone: closed in order, or not. */
static int gone_code(struct ipcx__stream *s)
{
    return atomic_load(&s->goodbye) ? IPCX_ECLOSED : IPCX_EPEERDEAD;
}

static int send_fail(struct ipcx__stream *s, long rc)
{
    if (peer_gone(rc)) {
        s->wstate = IPCX_EPEERDEAD;
        return gone_code(s);
    }
    return (int)rc;
}

static int flush_tail(struct ipcx__stream *s, const struct ipcx__deadline *dl)
{
    while (s->tail) {
        struct iovec v = {s->tail + s->tail_off, s->tail_len - s->tail_off};
        ssize_t n = s->io->writev(s, &v, 1, NULL, 0, dl);
        if (n < 0)
            return (int)n;
        s->tail_off += (size_t)n;
        if (s->tail_off == s->tail_len) {
            free(s->tail);
            s->tail = NULL;
            s->tail_len = s->tail_off = 0;
        }
    }
    return 0;
}

/* Keeps the part of header+body after `sent` for the next send. */
static int keep_tail(struct ipcx__stream *s, const uint8_t *hdr, const struct ipcx_msg *m,
                     size_t sent)
{
    size_t rest = IPCX__FRAME_HDR + m->size - sent;
    s->tail = malloc(rest);
    if (!s->tail) {
        /* Half a frame is in the stream and the rest cannot be kept: this
         * link can never send again. */
        s->wstate = IPCX_ENOMEM;
        return IPCX_ENOMEM;
    }
    size_t off = 0;
    if (sent < IPCX__FRAME_HDR) {
        off = IPCX__FRAME_HDR - sent;
        memcpy(s->tail, hdr + sent, off);
    }
    size_t from = sent > IPCX__FRAME_HDR ? sent - IPCX__FRAME_HDR : 0;
    if (m->size > from)
        memcpy(s->tail + off, (const uint8_t *)m->data + from, m->size - from);
    s->tail_len = rest;
    s->tail_off = 0;
    return 0;
}

int ipcx__stream_send(struct ipcx_link *k, const struct ipcx_msg *m,
                      const struct ipcx__deadline *dl)
{
    struct ipcx__stream *s = (struct ipcx__stream *)k;
    if (s->wstate)
        return s->wstate == IPCX_EPEERDEAD ? gone_code(s) : s->wstate;
    int rc = flush_tail(s, dl);
    if (rc < 0)
        return send_fail(s, rc);
    uint8_t hdr[IPCX__FRAME_HDR];
    ipcx__frame_encode(hdr, m);
    struct iovec iov[2] = {{hdr, sizeof hdr}, {m->data, m->size}};
    ssize_t n = s->io->writev(s, iov, m->size ? 2 : 1, m->fds, m->nfds, dl);
    if (n < 0)
        return send_fail(s, n);
    if ((size_t)n < IPCX__FRAME_HDR + m->size)
        return keep_tail(s, hdr, m, (size_t)n);
    return 0;
}

int ipcx__stream_flush(struct ipcx_link *k, const struct ipcx__deadline *dl)
{
    struct ipcx__stream *s = (struct ipcx__stream *)k;
    if (!s->tail)
        return 0;
    if (s->wstate)
        return s->wstate == IPCX_EPEERDEAD ? gone_code(s) : s->wstate;
    int rc = flush_tail(s, dl);
    return rc < 0 ? send_fail(s, rc) : 0;
}

/* Bytes of the current frame still missing from the buffer. */
static size_t needed(const struct ipcx__stream *s)
{
    size_t avail = s->rend - s->rpos;
    size_t want = s->have_hdr ? s->hdr.body_len : IPCX__FRAME_HDR_MAX;
    return want > avail ? want - avail : 1;
}

/* Reads more into the buffer. Returns the count, 0 at end, or a code. */
static ssize_t fill(struct ipcx__stream *s, const struct ipcx__deadline *dl)
{
    if (s->rpos == s->rend) {
        s->rpos = s->rend = 0;
    } else if (IPCX__STREAM_RBUF - s->rend < needed(s)) {
        memmove(s->rbuf, s->rbuf + s->rpos, s->rend - s->rpos);
        s->rend -= s->rpos;
        s->rpos = 0;
    }
    size_t got = 0;
    ssize_t n = s->io->read(s, s->rbuf + s->rend, IPCX__STREAM_RBUF - s->rend, s->pend + s->npend,
                            IPCX__STREAM_PEND_FDS - s->npend, &got, dl);
    if (n > 0)
        s->rend += (size_t)n;
    s->npend += (unsigned)got;
    return n;
}

/* The end of the stream or a read error, as a receive reports it. */
static int read_end(struct ipcx__stream *s, ssize_t n)
{
    if (n == 0 || peer_gone(n)) {
        s->rstate = IPCX_EPEERDEAD;
        return IPCX_EPEERDEAD;
    }
    if (n == IPCX_ECTRUNC)
        return IPCX_EPROTO; /* more descriptors than any frame carries */
    return (int)n;
}

static void deliver(struct ipcx__stream *s, struct ipcx_msg *m, uint8_t *body)
{
    m->data = body;
    m->size = s->hdr.body_len;
    m->type = s->hdr.type;
    m->priority = s->hdr.priority;
    m->id = s->hdr.id;
    m->flags = IPCX_MSG_OWNED;
    s->big = s->body != NULL;
    m->nfds = s->nfds;
    memcpy(m->fds, s->fds, sizeof(int) * s->nfds);
    s->nfds = 0;
    s->have_hdr = false;
    s->body = NULL;
    s->body_got = 0;
}

/* Takes the header at the read position. Returns 0, 1 (need more) or a code. */
static int take_header(struct ipcx__stream *s)
{
    struct ipcx__frame f;
    unsigned max_fds = (s->base.caps.flags & IPCX_LINK_FDS) ? IPCX_MSG_MAX_FDS : 0;
    int rc =
        ipcx__frame_decode(s->rbuf + s->rpos, s->rend - s->rpos, s->base.caps.max_msg, max_fds, &f);
    if (rc != 0)
        return rc;
    if (f.flags & IPCX__FRAME_GOODBYE) {
        s->rpos += f.hdr_len;
        s->rstate = IPCX_ECLOSED;
        atomic_store(&s->goodbye, true);
        return IPCX_ECLOSED;
    }
    /* The descriptors came with the frame's first byte, already read. */
    if (f.nfds > s->npend)
        return IPCX_EPROTO;
    memcpy(s->fds, s->pend, sizeof(int) * f.nfds);
    memmove(s->pend, s->pend + f.nfds, sizeof(int) * (s->npend - f.nfds));
    s->npend -= f.nfds;
    s->nfds = f.nfds;
    s->rpos += f.hdr_len;
    s->hdr = f;
    s->have_hdr = true;
    return 0;
}

/* A large body: allocated once its length was checked, then filled. */
static int start_large(struct ipcx__stream *s)
{
    s->body = malloc(s->hdr.body_len);
    if (!s->body)
        return IPCX_ENOMEM;
    size_t avail = s->rend - s->rpos;
    size_t take = avail < s->hdr.body_len ? avail : s->hdr.body_len;
    memcpy(s->body, s->rbuf + s->rpos, take);
    s->rpos += take;
    s->body_got = take;
    return 0;
}

int ipcx__stream_recv(struct ipcx_link *k, struct ipcx_msg *m, const struct ipcx__deadline *dl)
{
    struct ipcx__stream *s = (struct ipcx__stream *)k;
    if (s->rstate)
        return s->rstate;
    if (!s->rbuf && !(s->rbuf = malloc(IPCX__STREAM_RBUF)))
        return IPCX_ENOMEM;
    for (;;) {
        if (!s->have_hdr) {
            int rc = take_header(s);
            if (rc < 0)
                return rc;
            if (rc == 1)
                goto more;
        }
        size_t len = s->hdr.body_len;
        if (len <= IPCX__STREAM_RBUF) {
            if (s->rend - s->rpos >= len) {
                uint8_t *body = NULL;
                if (len && !(body = malloc(len)))
                    return IPCX_ENOMEM;
                if (len)
                    memcpy(body, s->rbuf + s->rpos, len);
                s->rpos += len;
                deliver(s, m, body);
                return 0;
            }
            goto more;
        }
        if (!s->body) {
            int rc = start_large(s);
            if (rc < 0)
                return rc;
        }
        while (s->body_got < len) {
            size_t got = 0;
            ssize_t n = s->io->read(s, s->body + s->body_got, len - s->body_got, s->pend + s->npend,
                                    IPCX__STREAM_PEND_FDS - s->npend, &got, dl);
            s->npend += (unsigned)got;
            if (n <= 0)
                return read_end(s, n);
            s->body_got += (size_t)n;
        }
        deliver(s, m, s->body);
        return 0;
    more:;
        ssize_t n = fill(s, dl);
        if (n <= 0)
            return read_end(s, n);
    }
}

int ipcx__stream_arm(struct ipcx_link *k)
{
    struct ipcx__stream *s = (struct ipcx__stream *)k;
    if (s->rstate)
        return 1;
    if (!s->rbuf)
        return 0;
    size_t avail = s->rend - s->rpos;
    if (!s->have_hdr) {
        struct ipcx__frame f;
        unsigned max_fds = (s->base.caps.flags & IPCX_LINK_FDS) ? IPCX_MSG_MAX_FDS : 0;
        int rc = ipcx__frame_decode(s->rbuf + s->rpos, avail, s->base.caps.max_msg, max_fds, &f);
        if (rc != 0)
            return rc < 0 ? 1 : 0;
        return f.body_len <= avail - f.hdr_len || (f.flags & IPCX__FRAME_GOODBYE);
    }
    if (s->body)
        return s->body_got == s->hdr.body_len;
    return s->hdr.body_len <= IPCX__STREAM_RBUF && avail >= s->hdr.body_len;
}

void ipcx__stream_close(struct ipcx_link *k)
{
    struct ipcx__stream *s = (struct ipcx__stream *)k;
    if ((s->base.caps.flags & IPCX_LINK_SEND) && !s->wstate && !k->broken) {
        struct ipcx__deadline dl;
        ipcx__deadline_init(&dl, IPCX__STREAM_LINGER_MS);
        if (flush_tail(s, &dl) == 0) {
            uint8_t hdr[IPCX__FRAME_HDR];
            ipcx__frame_encode_goodbye(hdr);
            struct iovec v = {hdr, sizeof hdr};
            (void)s->io->writev(s, &v, 1, NULL, 0, &dl);
        }
    }
    free(s->rbuf);
    free(s->body);
    free(s->tail);
    for (unsigned i = 0; i < s->nfds; i++)
        ipcx__close(s->fds[i]);
    for (unsigned i = 0; i < s->npend; i++)
        ipcx__close(s->pend[i]);
    s->io->destroy(s);
}
