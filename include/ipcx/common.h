/* SPDX-License-Identifier: MIT */
/*
 * ipcx/common.h: what every family of the API shares: the export macro,
 * the timeout convention and the library version.
 *
 * Timeouts: every call that can block takes `int timeout_ms`. IPCX_FOREVER
 * (-1) waits without limit, IPCX_NOWAIT (0) never blocks, a positive value
 * is a number of milliseconds. The library turns it into an absolute
 * CLOCK_MONOTONIC deadline when the call starts, so interruptions by signals
 * and internal retries neither shorten nor extend it. Expiry returns
 * IPCX_ETIMEDOUT (IPCX_EAGAIN for IPCX_NOWAIT where the operation would
 * block). Any other negative value is IPCX_EINVAL.
 */
#ifndef IPCX_COMMON_H
#define IPCX_COMMON_H

#include <ipcx/version.h>

#if defined(IPCX_BUILDING)
#define IPCX_API __attribute__((visibility("default")))
#else
#define IPCX_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Wait without limit. */
#define IPCX_FOREVER (-1)
/* Do not wait at all. */
#define IPCX_NOWAIT 0

/* The library's version as MAJOR*10000 + MINOR*100 + PATCH. */
IPCX_API int ipcx_version(void);

/* The library's version as a static string, "MAJOR.MINOR.PATCH". */
IPCX_API const char *ipcx_version_string(void);

#ifdef __cplusplus
}
#endif

#endif
