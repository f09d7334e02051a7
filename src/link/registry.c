/* SPDX-License-Identifier: MIT */
/*
 * link/registry.c: the one list of transports. Adding a transport is one
 * line here and one file in src/transport/; nothing else changes.
 */
#include <string.h>

#include "link/link.h"

extern const struct ipcx__transport ipcx__transport_fifo;
extern const struct ipcx__transport ipcx__transport_mq;
extern const struct ipcx__transport ipcx__transport_pipe;
extern const struct ipcx__transport ipcx__transport_shm;
extern const struct ipcx__transport ipcx__transport_sysv;
extern const struct ipcx__transport ipcx__transport_tcp;
extern const struct ipcx__transport ipcx__transport_udp;
extern const struct ipcx__transport ipcx__transport_unix;

static const struct ipcx__transport *const transports[] = {
    &ipcx__transport_fifo, /* fifo:///path */
    &ipcx__transport_mq,   /* mq:///name */
    &ipcx__transport_pipe, /* pipe:RFD,WFD */
    &ipcx__transport_shm,  /* shm://name */
    &ipcx__transport_sysv, /* sysv://KEY */
    &ipcx__transport_tcp,  /* tcp://host:port */
    &ipcx__transport_udp,  /* udp://host:port */
    &ipcx__transport_unix, /* unix:///path, unix://@name */
    NULL,                  /* end */
};

const struct ipcx__transport *ipcx__transport_find(const char *scheme, size_t len)
{
    for (size_t i = 0; transports[i]; i++)
        if (strlen(transports[i]->scheme) == len && memcmp(transports[i]->scheme, scheme, len) == 0)
            return transports[i];
    return NULL;
}
