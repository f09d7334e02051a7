/* SPDX-License-Identifier: MIT */
/*
 * test_conform_shm_adaptive.c: the transport conformance suite (conform.h) on
 * shm:// with both ends in the adaptive waiting mode (conform_shm.h).
 * ipcx-test: label=transport timeout=180
 */
#define CONFORM_SHM_WAIT IPCX_LINK_WAIT_ADAPTIVE
#include "conform_shm.h"
