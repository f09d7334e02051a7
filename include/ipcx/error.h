/* SPDX-License-Identifier: MIT */
/*
 * ipcx/error.h: the error model of every ipcx call.
 *
 * A call returns 0 (or a count) on success and a negative IPCX_E* code on
 * failure; it never reports through errno alone, never prints, never exits.
 * Where the kernel has an errno that means exactly the same thing, the code
 * equals -errno (IPCX_ETIMEDOUT == -ETIMEDOUT), so system errors pass
 * straight through. What the kernel never says (a peer broke the ipcx
 * protocol, the peer process died, the object was closed, a peer's ipcx
 * version is incompatible) has its own code at IPCX_ELIBBASE and below,
 * far from any errno.
 *
 * The list below is the only place where codes are defined: the enum, the
 * names returned by ipcx_errname() and the texts returned by ipcx_strerror()
 * are generated from it.
 */
#ifndef IPCX_ERROR_H
#define IPCX_ERROR_H

#include <errno.h>
#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* First code of the library's own range (codes go down from here). */
#define IPCX_ELIBBASE (-10000)

/* X(NAME, value, text): the codes that mirror an errno. */
#define IPCX_ERRNO_CODES(X)                                                     \
    X(EPERM, -EPERM, "operation not permitted")                                 \
    X(ENOENT, -ENOENT, "no such object")                                        \
    X(ESRCH, -ESRCH, "no such process")                                         \
    X(EINTR, -EINTR, "interrupted by a signal")                                 \
    X(EIO, -EIO, "input/output error")                                          \
    X(ENXIO, -ENXIO, "no such device or address (no reader on the FIFO)")       \
    X(E2BIG, -E2BIG, "argument list too long")                                  \
    X(EBADF, -EBADF, "bad descriptor")                                          \
    X(ECHILD, -ECHILD, "no child process")                                      \
    X(EAGAIN, -EAGAIN, "operation would block")                                 \
    X(ENOMEM, -ENOMEM, "out of memory")                                         \
    X(EACCES, -EACCES, "permission denied")                                     \
    X(EFAULT, -EFAULT, "bad address")                                           \
    X(EBUSY, -EBUSY, "resource busy")                                           \
    X(EEXIST, -EEXIST, "object already exists")                                 \
    X(ENODEV, -ENODEV, "no such device")                                        \
    X(ENOTDIR, -ENOTDIR, "not a directory")                                     \
    X(EISDIR, -EISDIR, "is a directory")                                        \
    X(EINVAL, -EINVAL, "invalid argument")                                      \
    X(ENFILE, -ENFILE, "too many open files in the system")                     \
    X(EMFILE, -EMFILE, "too many open files in this process")                   \
    X(ETXTBSY, -ETXTBSY, "text file busy")                                      \
    X(EFBIG, -EFBIG, "file too large")                                          \
    X(ENOSPC, -ENOSPC, "no space left (or a kernel IPC limit reached)")         \
    X(ESPIPE, -ESPIPE, "illegal seek")                                          \
    X(EROFS, -EROFS, "read-only file system")                                   \
    X(EPIPE, -EPIPE, "the other end is closed (broken pipe)")                   \
    X(ERANGE, -ERANGE, "value out of range")                                    \
    X(EDEADLK, -EDEADLK, "deadlock would occur")                                \
    X(ENAMETOOLONG, -ENAMETOOLONG, "name too long")                             \
    X(ENOLCK, -ENOLCK, "no locks available")                                    \
    X(ENOSYS, -ENOSYS, "function not implemented by the kernel")                \
    X(ELOOP, -ELOOP, "symbolic link refused or too many levels of links")       \
    X(ENOMSG, -ENOMSG, "no message of the desired type")                        \
    X(EIDRM, -EIDRM, "object removed")                                          \
    X(EOVERFLOW, -EOVERFLOW, "value too large for its type")                    \
    X(ENOTSOCK, -ENOTSOCK, "not a socket")                                      \
    X(EDESTADDRREQ, -EDESTADDRREQ, "destination address required")              \
    X(EMSGSIZE, -EMSGSIZE, "message too large")                                 \
    X(EPROTOTYPE, -EPROTOTYPE, "wrong protocol type for socket")                \
    X(ENOPROTOOPT, -ENOPROTOOPT, "protocol option not available")               \
    X(EPROTONOSUPPORT, -EPROTONOSUPPORT, "protocol not supported")              \
    X(ENOTSUP, -ENOTSUP, "not supported by this mechanism")                     \
    X(EAFNOSUPPORT, -EAFNOSUPPORT, "address family not supported")              \
    X(EADDRINUSE, -EADDRINUSE, "address already in use")                        \
    X(EADDRNOTAVAIL, -EADDRNOTAVAIL, "address not available")                   \
    X(ENETDOWN, -ENETDOWN, "network is down")                                   \
    X(ENETUNREACH, -ENETUNREACH, "network unreachable")                         \
    X(ECONNABORTED, -ECONNABORTED, "connection aborted")                        \
    X(ECONNRESET, -ECONNRESET, "connection reset by peer")                      \
    X(ENOBUFS, -ENOBUFS, "no buffer space (or buffer too small)")               \
    X(EISCONN, -EISCONN, "already connected")                                   \
    X(ENOTCONN, -ENOTCONN, "not connected")                                     \
    X(ESHUTDOWN, -ESHUTDOWN, "endpoint shut down")                              \
    X(ETIMEDOUT, -ETIMEDOUT, "timed out")                                       \
    X(ECONNREFUSED, -ECONNREFUSED, "connection refused")                        \
    X(EHOSTUNREACH, -EHOSTUNREACH, "host unreachable")                          \
    X(EALREADY, -EALREADY, "operation already in progress")                     \
    X(EINPROGRESS, -EINPROGRESS, "operation in progress")                       \
    X(ECANCELED, -ECANCELED, "operation canceled")                              \
    X(EOWNERDEAD, -EOWNERDEAD, "lock owner died; protected state needs repair") \
    X(ENOTRECOVERABLE, -ENOTRECOVERABLE, "lock state not recoverable")

/* X(NAME, value, text): the library's own codes, with no errno. */
#define IPCX_LIB_CODES(X)                                                     \
    X(EPROTO, IPCX_ELIBBASE - 1, "peer violated the protocol (link closed)")  \
    X(EPEERDEAD, IPCX_ELIBBASE - 2, "peer process died")                      \
    X(ECLOSED, IPCX_ELIBBASE - 3, "object closed")                            \
    X(EVERSION, IPCX_ELIBBASE - 4, "incompatible layout or protocol version") \
    X(ETRUNC, IPCX_ELIBBASE - 5, "message truncated to fit the buffer")       \
    X(EBADURL, IPCX_ELIBBASE - 6, "malformed or unknown URL")                 \
    X(EPOLICY, IPCX_ELIBBASE - 7, "peer refused by the credentials policy")   \
    X(ECTRUNC, IPCX_ELIBBASE - 8, "descriptors lost: control data truncated")

/* Every code, in one list. */
#define IPCX_ERRORS(X) IPCX_ERRNO_CODES(X) IPCX_LIB_CODES(X)

enum ipcx_error {
    IPCX_OK = 0,
#define IPCX__ERROR_ENUM(name, value, text) IPCX_##name = (value),
    IPCX_ERRORS(IPCX__ERROR_ENUM)
#undef IPCX__ERROR_ENUM
};

/*
 * A static, human-readable text for a code (0 included). Never NULL: an errno
 * that the list does not name gets the C library's description, anything
 * else "unknown error". Thread-safe.
 */
IPCX_API const char *ipcx_strerror(int code);

/*
 * A static name for a code: "IPCX_ETIMEDOUT", "IPCX_OK". Never NULL: an
 * errno that the list does not name gets the C library's name for it
 * ("EKEYEXPIRED"), anything else "IPCX_EUNKNOWN". Thread-safe.
 */
IPCX_API const char *ipcx_errname(int code);

/* Nonzero when `code` mirrors an errno (then -code is that errno). */
IPCX_API int ipcx_err_is_errno(int code);

#ifdef __cplusplus
}
#endif

#endif
