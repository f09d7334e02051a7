/* SPDX-License-Identifier: MIT */
/*
 * sys/version.c: the library's version, compiled in, so that a program can
 * compare the headers it was built with against the library it runs with.
 */
#include <ipcx/common.h>

IPCX_API int ipcx_version(void)
{
    return IPCX_VERSION_NUMBER;
}

IPCX_API const char *ipcx_version_string(void)
{
    return IPCX_VERSION_STRING;
}
