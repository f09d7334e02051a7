/* SPDX-License-Identifier: MIT */
/*
 * ipcx.h: the umbrella header. Including it gives every family of the API;
 * each family can also be included alone from <ipcx/...>.
 */
#ifndef IPCX_H
#define IPCX_H

#include <ipcx/common.h>
#include <ipcx/cred.h>
#include <ipcx/error.h>
#include <ipcx/inet.h>
#include <ipcx/unix.h>

#endif
