/* SPDX-License-Identifier: MIT */
/*
 * ipcx.h: the umbrella header. Including it gives every family of the API;
 * each family can also be included alone from <ipcx/...>.
 */
#ifndef IPCX_H
#define IPCX_H

#include <ipcx/chan.h>
#include <ipcx/common.h>
#include <ipcx/cred.h>
#include <ipcx/error.h>
#include <ipcx/fifo.h>
#include <ipcx/filelock.h>
#include <ipcx/inet.h>
#include <ipcx/link.h>
#include <ipcx/lock.h>
#include <ipcx/msg.h>
#include <ipcx/pipe.h>
#include <ipcx/posixmq.h>
#include <ipcx/region.h>
#include <ipcx/ring.h>
#include <ipcx/sem.h>
#include <ipcx/signal.h>
#include <ipcx/sysvmsg.h>
#include <ipcx/sysvsem.h>
#include <ipcx/unix.h>

#endif
