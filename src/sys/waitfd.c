/* SPDX-License-Identifier: MIT */
/*
 * sys/waitfd.c: eventfds, epoll sets and multi-descriptor waits (see
 * sys/waitfd.h). Relies on the deadline helpers so that a wait interrupted
 * by a signal resumes with what is left of its deadline.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/err.h"
#include "sys/fd.h"
#include "sys/waitfd.h"

int ipcx__eventfd_new(void)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd >= 0 ? fd : ipcx__errno();
}

int ipcx__fd_is_eventfd(int fd)
{
    if (fd < 0)
        return IPCX_EBADF;
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n >= 0) {
        link[n] = '\0';
        return strcmp(link, "anon_inode:[eventfd]") == 0;
    }
    if (errno != ENOENT && errno != EACCES)
        return ipcx__errno();
    struct stat a, b;
    if (fstat(fd, &a) < 0)
        return ipcx__errno();
    int ref = ipcx__eventfd_new();
    if (ref < 0)
        return ref;
    int rc = fstat(ref, &b) < 0 ? ipcx__errno() : 0;
    ipcx__close(ref);
    if (rc < 0)
        return rc;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int ipcx__epoll_new(const int *fds, size_t n)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return ipcx__errno();
    for (size_t i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
            int rc = ipcx__errno();
            ipcx__close(ep);
            return rc;
        }
    }
    return ep;
}
