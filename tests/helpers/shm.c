/* SPDX-License-Identifier: MIT */
/*
 * shm.c: helper modes for the shm:// transport tests: an unrelated process
 * (fork + exec) that dials and echoes.
 */
#include <stdio.h>

#include <ipcx.h>

#include "helper.h"

/* shm_echo URL: dials URL and echoes every message until the link closes. */
TSUP_HELPER(shm_echo)
{
    if (argc < 2)
        return 2;
    struct ipcx_link *k;
    int rc = ipcx_link_dial(&k, argv[1], NULL, 5000);
    if (rc != 0) {
        fprintf(stderr, "shm_echo: dial: %s\n", ipcx_errname(rc));
        return 3;
    }
    for (;;) {
        struct ipcx_msg m;
        rc = ipcx_link_recv(k, &m, 10000);
        if (rc == IPCX_ECLOSED)
            break;
        if (rc != 0 || ipcx_link_send(k, &m, 10000) != 0) {
            fprintf(stderr, "shm_echo: %s\n", ipcx_errname(rc));
            return 4;
        }
        ipcx_msg_release(&m);
    }
    ipcx_link_close(k);
    return 0;
}
