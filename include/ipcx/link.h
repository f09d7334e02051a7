/* SPDX-License-Identifier: MIT */
/*
 * ipcx/link.h: a link carries whole messages (ipcx/msg.h) between two
 * parties over any transport, chosen by URL. Channels (ipcx/chan.h) are
 * built from links; a program that needs one conduit to one peer can use a
 * link directly.
 *
 * URLs (a transport is one scheme):
 *   pipe:RFD,WFD      descriptors inherited from a parent (either may be
 *                     "-" for a one-way link); see ipcx_link_pipe_urls()
 *   fifo:///path      a FIFO; the listener creates it and reads, dialers
 *                     write (one way)
 *   mq:///name        a POSIX message queue; the listener creates it
 *   sysv://KEY        a System V message queue (KEY decimal or 0x hex);
 *                     the listener creates it
 *   unix:///path      a Unix stream socket on a path
 *   unix://@name      ... or in the abstract namespace
 *   tcp://host:port   TCP (numeric addresses and "localhost"; [v6]:port)
 *   udp://host:port   UDP datagrams (one way: dialers send)
 *   shm://name        shared-memory rings set up over a Unix socket
 *                     (abstract "@ipcx.shm.name" unless the name starts
 *                     with '/', then that path)
 * A malformed URL or an unknown scheme gives IPCX_EBADURL.
 *
 * What each link can do is in its capabilities (ipcx_link_caps()). The
 * flags are also known before anything is opened (ipcx_link_scheme_caps()),
 * so a channel refuses a pattern a transport cannot serve at listen or dial
 * time, not at the first send.
 *
 * Messages: a send puts the whole message or nothing; a receive returns
 * one whole message. A message larger than the link's largest gives
 * IPCX_EMSGSIZE at send. Byte-stream transports carry each message in a
 * versioned frame whose declared length is checked against the largest
 * message before anything is allocated; anything a peer sends that breaks
 * the protocol gives IPCX_EPROTO and closes that link (only that link).
 * When the peer closes in order, receive returns IPCX_ECLOSED once every
 * message sent before was delivered; when it dies or the connection breaks,
 * IPCX_EPEERDEAD. Transports that cannot observe their peer (kernel queues,
 * UDP) say so in their capabilities.
 *
 * Blocking: every call that can block takes `timeout_ms` (ipcx/common.h).
 * ipcx_link_fd() is readable when a receive may succeed without blocking or
 * the peer's state changed; call ipcx_link_arm() before each wait on it.
 *
 * Threads: one thread may send while another receives on the same link;
 * two senders (or two receivers) at once must serialise themselves.
 * ipcx_link_close() must not race with any other call. Fork and exec:
 * every descriptor is close-on-exec; a link is used by one process (use the
 * pipe: scheme to hand descriptors to a child).
 */
#ifndef IPCX_LINK_H
#define IPCX_LINK_H

#include <stddef.h>

#include <ipcx/common.h>
#include <ipcx/cred.h>
#include <ipcx/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ipcx_link;
struct ipcx_listener;

/* Capability flags. */
#define IPCX_LINK_SEND        0x001u /* this end can send */
#define IPCX_LINK_RECV        0x002u /* this end can receive */
#define IPCX_LINK_ORDERED     0x004u /* messages arrive in the order sent */
#define IPCX_LINK_RELIABLE    0x008u /* nothing is lost while both sides live */
#define IPCX_LINK_FDS         0x010u /* descriptors travel with messages */
#define IPCX_LINK_NATIVE_TYPE 0x020u /* the kernel keeps `type` (System V) */
#define IPCX_LINK_NATIVE_PRIO 0x040u /* the kernel orders by `priority` (POSIX mq) */
#define IPCX_LINK_PEER_DEATH  0x080u /* the peer's death or close is observed */
#define IPCX_LINK_CRED        0x100u /* the peer's credentials are known */
#define IPCX_LINK_SHARED                                   \
    0x200u /* several dialers share one kernel object: the \
              listener sees them as one link */

struct ipcx_link_caps {
    unsigned flags; /* IPCX_LINK_* */
    size_t max_msg; /* largest body in bytes */
};

/* Waiting modes of a shm:// ring (see ipcx/ring.h). */
enum ipcx_link_wait {
    IPCX_LINK_WAIT_DEFAULT = 0, /* adaptive */
    IPCX_LINK_WAIT_BUSY,
    IPCX_LINK_WAIT_ADAPTIVE,
    IPCX_LINK_WAIT_BLOCK,
};

/* Options; zero-initialised means the defaults. */
struct ipcx_link_opts {
    const struct ipcx_cred_policy *policy; /* who may connect; NULL: same uid */
    unsigned mode;                         /* mode of created names; 0: 0600 */
    size_t max_msg;                        /* 0: the transport's default */
    size_t ring_bytes;                     /* shm://: bytes per direction; 0: 1 MiB */
    enum ipcx_link_wait wait;              /* shm://: waiting mode */
    unsigned flags;                        /* none defined yet: must be 0 */
};

/*
 * Flags a link of `url`'s scheme has at a dialing end (`listener` false)
 * or at a listening end's accepted links (`listener` true), before anything
 * is opened. Returns the flags (> 0) or IPCX_EBADURL.
 */
IPCX_API int ipcx_link_scheme_caps(const char *url, int listener);

/*
 * Connects to the listener at `url`. Blocks up to `timeout_ms` for the
 * connection and its set-up (credential checks, hand-over of shared
 * memory). Errors: IPCX_EBADURL, IPCX_ECONNREFUSED / IPCX_ENOENT (nobody
 * listens), IPCX_EPOLICY (the listener's credentials refused), IPCX_EPROTO,
 * IPCX_EVERSION, IPCX_ETIMEDOUT, IPCX_EINVAL.
 */
IPCX_API int ipcx_link_dial(struct ipcx_link **out, const char *url,
                            const struct ipcx_link_opts *opts, int timeout_ms);

/*
 * Creates a listener at `url` (exclusively: an existing name gives
 * IPCX_EEXIST or IPCX_EADDRINUSE). Never blocks.
 */
IPCX_API int ipcx_link_listen(struct ipcx_listener **out, const char *url,
                              const struct ipcx_link_opts *opts);

/*
 * Waits up to `timeout_ms` for the next peer and returns its link. Peers
 * refused by the policy are closed before anything is shared with them
 * and never returned. On a one-way shared transport (IPCX_LINK_SHARED) the
 * first accept returns the one link all dialers write into, later ones
 * wait until the deadline.
 */
IPCX_API int ipcx_link_accept(struct ipcx_listener *l, struct ipcx_link **out, int timeout_ms);

/* Readable when ipcx_link_accept() may not block. */
IPCX_API int ipcx_listener_fd(const struct ipcx_listener *l);

/*
 * The listener's URL as it can be dialed (a port chosen by the kernel
 * filled in). Returns its length (> 0), or a negative code when `size`
 * is too small.
 */
IPCX_API int ipcx_listener_url(const struct ipcx_listener *l, char *buf, size_t size);

/* Closes the listener and removes the name it created. Links stay open. */
IPCX_API void ipcx_listener_close(struct ipcx_listener *l);

/*
 * Sends one message, waiting up to `timeout_ms` for room. Returns 0, or
 * IPCX_EMSGSIZE, IPCX_EAGAIN / IPCX_ETIMEDOUT, IPCX_EPEERDEAD,
 * IPCX_ECLOSED, IPCX_ENOTSUP (descriptors on a link without
 * IPCX_LINK_FDS; a receive-only end), IPCX_EINVAL.
 */
IPCX_API int ipcx_link_send(struct ipcx_link *k, const struct ipcx_msg *m, int timeout_ms);

/*
 * Writes what an earlier successful send left unwritten. A byte-stream
 * link (unix, tcp, pipe) whose send ran out of time in the middle of a
 * frame keeps the rest of that frame (the message counts as sent) and
 * writes it first at the next send, or at close; a program that may not
 * send again soon calls this to push it out, waiting up to `timeout_ms`.
 * Returns 0 when nothing is left (at once, without a system call, when
 * nothing was, and always on other transports), IPCX_EAGAIN /
 * IPCX_ETIMEDOUT when some still is, or a send's errors
 * (IPCX_EPEERDEAD, IPCX_ECLOSED). Counts as a send for thread safety.
 */
IPCX_API int ipcx_link_flush(struct ipcx_link *k, int timeout_ms);

/*
 * Receives the next message into `m` (owned: release it). Returns 0, or
 * IPCX_EAGAIN / IPCX_ETIMEDOUT, IPCX_ECLOSED, IPCX_EPEERDEAD, IPCX_EPROTO.
 */
IPCX_API int ipcx_link_recv(struct ipcx_link *k, struct ipcx_msg *m, int timeout_ms);

/* Readable when a receive may not block, or the peer's state changed. */
IPCX_API int ipcx_link_fd(const struct ipcx_link *k);

/*
 * Prepares a wait on ipcx_link_fd(): returns 1 if a receive would not block
 * right now (do not wait), 0 when the descriptor will become readable on
 * the next message or change of the peer, or a negative code.
 */
IPCX_API int ipcx_link_arm(struct ipcx_link *k);

/* This link's capabilities. */
IPCX_API int ipcx_link_caps(const struct ipcx_link *k, struct ipcx_link_caps *out);

/* The peer's credentials; IPCX_ENOTSUP where the transport does not know them. */
IPCX_API int ipcx_link_peer_cred(const struct ipcx_link *k, struct ipcx_cred *out);

/* The scheme of this link ("unix", "shm", ...), a static string. */
IPCX_API const char *ipcx_link_scheme(const struct ipcx_link *k);

/*
 * Closes the link; the peer's receive returns IPCX_ECLOSED after the
 * messages already sent. Byte-stream transports (unix, tcp, pipe) write a
 * goodbye frame and may wait up to 1 s for room in the kernel's buffer
 * when the peer is slow to read; a peer that took nothing in that time sees
 * IPCX_EPEERDEAD instead. Nothing else blocks.
 */
IPCX_API void ipcx_link_close(struct ipcx_link *k);

/* Bytes a URL from ipcx_link_pipe_urls() may need, NUL included. */
#define IPCX_LINK_PIPE_URL_MAX 112

/*
 * Makes two pipes for a parent and a child it will fork: `parent` and
 * `child` receive the URL each side dials ("pipe:R,W?close=..."). Every
 * descriptor is close-on-exec. Each URL lists the other side's
 * descriptors (with the pipe's inode number); dialing it closes those that
 * still are these pipes, so after fork the parent dials `parent`, the
 * child dials `child`, and each then holds only its own ends: when either
 * dies or closes, the other sees it. A child that execs a program instead
 * calls ipcx_link_pipe_inherit(child) between fork and exec and hands the
 * program the `child` URL (its close list then closes nothing the program
 * owns: the numbers are checked against the inodes). Until the parent
 * dials, it holds all four descriptors. Returns 0, IPCX_ERANGE when a URL
 * does not fit in `size` bytes (IPCX_LINK_PIPE_URL_MAX always suffices;
 * nothing is left open then), IPCX_EINVAL, IPCX_EMFILE.
 *
 * Dialing a pipe: URL adopts its descriptors: the link owns them and
 * closes them. Dial checks that RFD is the read end and WFD the write end
 * of a pipe or FIFO (IPCX_EINVAL otherwise, IPCX_EBADF when not open)
 * before adopting either; after those checks only a resource error
 * (IPCX_ENOMEM, IPCX_EMFILE) can fail it, and then the descriptors are
 * closed. pipe: has no listener: ipcx_link_listen() gives IPCX_ENOTSUP.
 */
IPCX_API int ipcx_link_pipe_urls(char *parent, char *child, size_t size);

/*
 * In a child between fork and exec: clears close-on-exec on the
 * descriptors a pipe: URL names, so that the program finds them. Uses only
 * async-signal-safe calls. Returns 0, IPCX_EBADURL, IPCX_EBADF.
 */
IPCX_API int ipcx_link_pipe_inherit(const char *url);

#ifdef __cplusplus
}
#endif

#endif
