/* SPDX-License-Identifier: MIT */
/*
 * mech/signal.c: sending signals (by pid, by pidfd, with a value) and
 * receiving them through signalfd watchers.
 *
 * Nothing here installs a handler or touches a disposition: receiving is
 * done by reading a signalfd, which takes pending signals off the queue the
 * way sigwaitinfo() would, and which is a descriptor, so it has a deadline
 * (ipcx__poll1) and can be polled with other descriptors.
 *
 * Signal numbers are checked here rather than left to the kernel: the C
 * library reserves two realtime signals below SIGRTMIN for itself, and
 * sending one of those would break it in the receiver.
 */
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <ipcx/error.h>
#include <ipcx/signal.h>

#include "sys/deadline.h"
#include "sys/err.h"
#include "sys/fd.h"

struct ipcx_sigwatch {
    int fd;
};

/* A signal a process may send and receive: standard, or SIGRTMIN..SIGRTMAX. */
static bool usable_signal(int sig)
{
    return (sig >= 1 && sig < 32) || (sig >= SIGRTMIN && sig <= SIGRTMAX);
}

static bool sendable(int sig)
{
    return sig == 0 || usable_signal(sig);
}

IPCX_API int ipcx_signal_send(pid_t pid, int sig)
{
    if (pid <= 0 || !sendable(sig))
        return IPCX_EINVAL;
    return kill(pid, sig) < 0 ? ipcx__errno() : 0;
}

IPCX_API int ipcx_signal_pidfd_open(pid_t pid)
{
    if (pid <= 0)
        return IPCX_EINVAL;
    int fd = pidfd_open(pid, 0); /* always close-on-exec */
    return fd < 0 ? ipcx__errno() : fd;
}

IPCX_API int ipcx_signal_send_pidfd(int pidfd, int sig)
{
    if (!sendable(sig))
        return IPCX_EINVAL;
    if (pidfd < 0)
        return IPCX_EBADF;
    return pidfd_send_signal(pidfd, sig, NULL, 0) < 0 ? ipcx__errno() : 0;
}

IPCX_API int ipcx_signal_queue(pid_t pid, int sig, int value)
{
    if (pid <= 0 || !usable_signal(sig))
        return IPCX_EINVAL;
    union sigval v = {.sival_int = value};
    return sigqueue(pid, sig, v) < 0 ? ipcx__errno() : 0;
}

IPCX_API int ipcx_signal_queue_pidfd(int pidfd, int sig, int value)
{
    if (!usable_signal(sig))
        return IPCX_EINVAL;
    if (pidfd < 0)
        return IPCX_EBADF;
    /* What sigqueue() sends, through the pidfd: the kernel accepts a
     * caller-filled siginfo for another process only with a negative
     * si_code such as SI_QUEUE. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = value;
    return pidfd_send_signal(pidfd, sig, &si, 0) < 0 ? ipcx__errno() : 0;
}

static int mask(int how, const sigset_t *set, sigset_t *old)
{
    if (!set)
        return IPCX_EINVAL;
    int rc = pthread_sigmask(how, set, old);
    return rc ? ipcx__err(rc) : 0;
}

IPCX_API int ipcx_signal_block(const sigset_t *set, sigset_t *old)
{
    return mask(SIG_BLOCK, set, old);
}

IPCX_API int ipcx_signal_unblock(const sigset_t *set, sigset_t *old)
{
    return mask(SIG_UNBLOCK, set, old);
}

IPCX_API int ipcx_signal_restore(const sigset_t *old)
{
    return mask(SIG_SETMASK, old, NULL);
}

IPCX_API int ipcx_sigwatch_create(struct ipcx_sigwatch **out, const sigset_t *set)
{
    if (!out || !set)
        return IPCX_EINVAL;
    if (sigismember(set, SIGKILL) == 1 || sigismember(set, SIGSTOP) == 1)
        return IPCX_EINVAL;
    /* A signal that is not blocked is delivered by its disposition (or
     * taken by sigwait elsewhere) before the watcher could see it: a watcher
     * for it would wait for nothing, so it is refused. Only the calling
     * thread's mask can be checked; the other threads are the caller's. */
    sigset_t blocked;
    int e = pthread_sigmask(SIG_BLOCK, NULL, &blocked);
    if (e)
        return ipcx__err(e);
    bool any = false;
    for (int s = 1; s <= SIGRTMAX; s++) {
        if (!usable_signal(s) || sigismember(set, s) != 1)
            continue;
        if (sigismember(&blocked, s) != 1)
            return IPCX_EINVAL;
        any = true;
    }
    if (!any)
        return IPCX_EINVAL;

    struct ipcx_sigwatch *w = malloc(sizeof *w);
    if (!w)
        return IPCX_ENOMEM;
    w->fd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (w->fd < 0) {
        int rc = ipcx__errno();
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

IPCX_API int ipcx_sigwatch_recv(struct ipcx_sigwatch *w, struct ipcx_siginfo *info, int timeout_ms)
{
    struct ipcx__deadline d;
    if (!w || !info || ipcx__deadline_init(&d, timeout_ms) < 0)
        return IPCX_EINVAL;
    struct signalfd_siginfo ssi;
    /* A signalfd read returns whole records or fails: never a partial one. */
    ssize_t n = ipcx__read_deadline(w->fd, &ssi, sizeof ssi, &d);
    if (n < 0)
        return (int)ipcx__deadline_map(n, timeout_ms);
    if (n != (ssize_t)sizeof ssi)
        return IPCX_EIO;
    info->signo = (int)ssi.ssi_signo;
    info->code = ssi.ssi_code;
    info->pid = (pid_t)ssi.ssi_pid;
    info->uid = (uid_t)ssi.ssi_uid;
    info->value = ssi.ssi_int;
    info->status = ssi.ssi_status;
    return info->signo;
}

IPCX_API int ipcx_sigwatch_fd(const struct ipcx_sigwatch *w)
{
    return w ? w->fd : -1;
}

IPCX_API void ipcx_sigwatch_close(struct ipcx_sigwatch *w)
{
    if (!w)
        return;
    ipcx__close(w->fd);
    free(w);
}
