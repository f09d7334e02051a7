/* SPDX-License-Identifier: MIT */
/*
 * version.c: `ipcx version`: the tool's and the library's versions. They
 * differ only when the tool runs against another build of libipcx.
 */
#include <stdio.h>
#include <string.h>

#include <ipcx.h>

#include "commands.h"

int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: ipcx version\n\nPrints the version of the ipcx tool and of the "
               "libipcx it runs with.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "ipcx version: unexpected argument '%s'\n", argv[1]);
        return 2;
    }
    printf("ipcx %s (libipcx %s)\n", IPCX_VERSION_STRING, ipcx_version_string());
    return ipcx_version() == IPCX_VERSION_NUMBER ? 0 : 1;
}
