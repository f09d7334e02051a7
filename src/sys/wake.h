/* SPDX-License-Identifier: MIT */
/*
 * sys/wake.h: what the channels (src/proto), which may not make system
 * calls themselves, need besides sys/wakefd.h and sys/waitfd.h: raising
 * an eventfd so that another thread's poll ends, a helper thread that
 * never receives signals, and the close-on-exec copy of a descriptor a
 * channel keeps with a message it queues.
 */
#ifndef IPCX_SYS_WAKE_H
#define IPCX_SYS_WAKE_H

#include <pthread.h>

/* Makes the eventfd readable (adds one to its counter). Never blocks. */
void ipcx__wake_signal(int fd);

/* A close-on-exec duplicate of `fd` (F_DUPFD_CLOEXEC), or a negative code. */
int ipcx__dup_cloexec(int fd);

/*
 * Starts a joinable thread running fn(arg) with every signal blocked, so
 * that no signal meant for the application is ever delivered to it. The
 * caller's signal mask is unchanged afterwards. Returns 0 or a negative code.
 */
int ipcx__thread_start(pthread_t *out, void *(*fn)(void *), void *arg);

#endif
