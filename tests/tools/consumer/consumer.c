/* SPDX-License-Identifier: MIT */
/*
 * consumer.c: a program built against an installed ipcx, the way a user
 * would build one. Exits 0 when the library it runs with is the one whose
 * headers it was compiled with and the error model answers.
 */
#include <stdio.h>
#include <string.h>

#include <ipcx.h>

int main(void)
{
    if (ipcx_version() != IPCX_VERSION_NUMBER)
        return 1;
    if (strcmp(ipcx_errname(IPCX_ETIMEDOUT), "IPCX_ETIMEDOUT") != 0)
        return 2;
    printf("consumer: ipcx %s, %s\n", ipcx_version_string(), ipcx_strerror(IPCX_EPEERDEAD));
    return 0;
}
