/* SPDX-License-Identifier: MIT */
/*
 * test_conform_shm_block.c: the transport conformance suite (conform.h) on
 * shm:// with both ends in the block waiting mode (conform_shm.h).
 * ipcx-test: label=transport timeout=180
 */
#define CONFORM_SHM_WAIT IPCX_LINK_WAIT_BLOCK
#include "conform_shm.h"
