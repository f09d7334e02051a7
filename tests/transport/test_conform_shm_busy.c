/* SPDX-License-Identifier: MIT */
/*
 * test_conform_shm_busy.c: the transport conformance suite (conform.h) on
 * shm:// with both ends in the busy waiting mode (conform_shm.h).
 * ipcx-test: label=transport timeout=180
 */
#define CONFORM_SHM_WAIT IPCX_LINK_WAIT_BUSY
#include "conform_shm.h"
