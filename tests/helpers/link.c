/* SPDX-License-Identifier: MIT */
/*
 * link.c: helper modes for the link tests: a program at the far end of a
 * link it was handed across exec.
 */
#include <ipcx/error.h>
#include <ipcx/link.h>

#include "helper.h"

/* pipe_echo URL: dials URL and sends every message back, until the peer
 * closes in order (exit 0) or dies (exit 4); any other end exits 1. */
TSUP_HELPER(pipe_echo)
{
    if (argc < 2)
        return 2;
    struct ipcx_link *k;
    if (ipcx_link_dial(&k, argv[1], NULL, 0) != 0)
        return 3;
    int rc;
    for (;;) {
        struct ipcx_msg m;
        rc = ipcx_link_recv(k, &m, 10000);
        if (rc < 0)
            break;
        struct ipcx_msg out = m;
        out.nfds = 0;
        rc = ipcx_link_send(k, &out, 10000);
        ipcx_msg_release(&m);
        if (rc < 0)
            break;
    }
    ipcx_link_close(k);
    return rc == IPCX_ECLOSED ? 0 : rc == IPCX_EPEERDEAD ? 4 : 1;
}
