/* SPDX-License-Identifier: MIT */
/*
 * ipcx/signal.h: signals as a message-passing mechanism.
 *
 * Sending: to a process by pid, or race-free through a pidfd (a descriptor
 * that names one process for good: it can never reach a later process that
 * reuses the pid). A realtime signal sent with ipcx_signal_queue() carries
 * an int value. Native semantics stay: standard signals coalesce (a burst
 * of one signal while it is pending is delivered once); realtime signals
 * queue, each with its value, in the order they were sent; when several
 * different signals are pending, the lowest-numbered goes first.
 *
 * Receiving: a watcher (signalfd) turns the signals of a set into readable
 * records: pollable, with a timeout, each giving the signal number, how it
 * was sent, the sender's pid and uid and the value. The library never
 * installs a signal handler and never changes a disposition. For a watcher
 * to see a signal, that signal must be blocked in every thread of the
 * process (otherwise the kernel delivers it the usual way, by the
 * disposition): block it with ipcx_signal_block() early in main, before
 * creating threads, which inherit the mask.
 *
 * Identity: for signals sent with kill() or a pidfd without a value, the
 * kernel fills in the sender's pid and uid. For queued signals
 * (ipcx_signal_queue, ipcx_signal_queue_pidfd, sigqueue) the sender's C
 * library fills them in and the kernel lets a process that may signal the
 * receiver at all put any pid there: trust them as much as the senders.
 *
 * Persistence: process. A pending signal lives in the receiving process
 * and is lost when it exits.
 */
#ifndef IPCX_SIGNAL_H
#define IPCX_SIGNAL_H

#include <signal.h>
#include <sys/select.h> /* sigset_t, which POSIX puts here too: also in strict ISO C modes */
#include <sys/types.h>

#include <ipcx/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ipcx_sigwatch;

/* One received signal. */
struct ipcx_siginfo {
    int signo;  /* the signal number */
    int code;   /* how it was sent: SI_USER (kill, pidfd), SI_QUEUE (queued), SI_TKILL, ... */
    pid_t pid;  /* sender's process id (see "Identity" above) */
    uid_t uid;  /* sender's real user id */
    int value;  /* the value of a queued signal, 0 otherwise */
    int status; /* SIGCHLD: the child's exit status or signal */
};

/*
 * Sends `sig` (1 to SIGRTMAX, or 0 to check only that the process exists
 * and may be signalled) to the process `pid` (> 0: this call never targets
 * process groups or every process). Errors: IPCX_EINVAL (pid <= 0, bad
 * signal number, including the two the C library reserves below SIGRTMIN),
 * IPCX_ESRCH, IPCX_EPERM.
 */
IPCX_API int ipcx_signal_send(pid_t pid, int sig);

/*
 * Returns a pidfd for process `pid` (close-on-exec, owned by the caller,
 * closed with close()), or IPCX_EINVAL, IPCX_ESRCH, IPCX_EMFILE. Once it
 * exists, signals sent through it reach that process or nobody.
 */
IPCX_API int ipcx_signal_pidfd_open(pid_t pid);

/*
 * Sends `sig` (0 to SIGRTMAX) to the process `pidfd` refers to. Errors:
 * IPCX_EINVAL, IPCX_EBADF (not a pidfd), IPCX_ESRCH (the process has
 * exited, even if its pid has since been reused), IPCX_EPERM.
 */
IPCX_API int ipcx_signal_send_pidfd(int pidfd, int sig);

/*
 * Queues `sig` (1 to SIGRTMAX; realtime signals queue, standard ones still
 * coalesce) with `value` to process `pid` (> 0). Errors: as
 * ipcx_signal_send(), and IPCX_EAGAIN when the receiver's queue of pending
 * signals is full (RLIMIT_SIGPENDING).
 */
IPCX_API int ipcx_signal_queue(pid_t pid, int sig, int value);

/* Queues `sig` with `value` to the process `pidfd` refers to; errors as above. */
IPCX_API int ipcx_signal_queue_pidfd(int pidfd, int sig, int value);

/*
 * Blocks the signals of `set` in the calling thread (pthread_sigmask), and
 * stores the previous mask in *old if not NULL. Threads created afterwards
 * inherit the mask. SIGKILL and SIGSTOP cannot be blocked (silently
 * ignored by the kernel). Returns 0 or IPCX_EINVAL.
 */
IPCX_API int ipcx_signal_block(const sigset_t *set, sigset_t *old);

/* Unblocks the signals of `set` in the calling thread; *old as above. */
IPCX_API int ipcx_signal_unblock(const sigset_t *set, sigset_t *old);

/* Sets the calling thread's mask back to `old` (from block or unblock). */
IPCX_API int ipcx_signal_restore(const sigset_t *old);

/*
 * Creates a watcher for the signals of `set`; close it with
 * ipcx_sigwatch_close(). The signals must be blocked (see above) in every
 * thread; the watcher does not block them itself, and refuses a set with
 * a signal that the calling thread has not blocked (the one mask it can
 * see; the other threads are the caller's to get right). Errors:
 * IPCX_EINVAL (NULL, an empty set, SIGKILL or SIGSTOP in it, a signal of
 * the set not blocked in the calling thread), IPCX_EMFILE, IPCX_ENOMEM. Not
 * thread-safe: one thread at a time reads a watcher. After fork, the
 * child's copy reads the child's own signals; it is closed by exec.
 */
IPCX_API int ipcx_sigwatch_create(struct ipcx_sigwatch **out, const sigset_t *set);

/*
 * Takes the next signal of the watcher's set pending for the calling thread
 * or the process, waiting up to `timeout_ms` for one, and fills *info.
 * Returns the signal number (> 0), IPCX_ETIMEDOUT, IPCX_EAGAIN (none and
 * IPCX_NOWAIT), or IPCX_EINVAL.
 */
IPCX_API int ipcx_sigwatch_recv(struct ipcx_sigwatch *w, struct ipcx_siginfo *info, int timeout_ms);

/*
 * The watcher's descriptor (non-blocking, close-on-exec): readable (POLLIN)
 * while a signal of the set is pending. Borrowed. -1 for NULL.
 */
IPCX_API int ipcx_sigwatch_fd(const struct ipcx_sigwatch *w);

/*
 * Closes the watcher. Signals of its set stay blocked and pending ones stay
 * pending: unblocking them (ipcx_signal_unblock) lets their dispositions
 * act. NULL is ignored.
 */
IPCX_API void ipcx_sigwatch_close(struct ipcx_sigwatch *w);

#ifdef __cplusplus
}
#endif

#endif
