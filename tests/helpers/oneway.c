/* SPDX-License-Identifier: MIT */
/*
 * oneway.c: helper modes for the tests of the one-way transports (fifo://,
 * mq://, sysv://, udp://): an unrelated program dialing a listener the
 * test made. Exits 0 when everything it did worked, 1 on a usage error, 10
 * or more at the first failed step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx.h>

#include "helper.h"

/*
 * ow_send URL COUNT TAG: dials URL and sends COUNT messages: message i has
 * type TAG, id i, priority 0 and the body "TAG:i".
 */
TSUP_HELPER(ow_send)
{
    if (argc != 4)
        return 1;
    int count = atoi(argv[2]);
    long tag = atol(argv[3]);
    struct ipcx_link *k;
    if (ipcx_link_dial(&k, argv[1], NULL, 5000) != 0)
        return 10;
    for (int i = 0; i < count; i++) {
        char body[64];
        int n = snprintf(body, sizeof body, "%ld:%d", tag, i);
        struct ipcx_msg m = ipcx_msg_of(body, (size_t)n);
        m.type = tag;
        m.id = (uint64_t)i;
        if (ipcx_link_send(k, &m, 5000) != 0)
            return 11;
    }
    ipcx_link_close(k);
    return 0;
}
