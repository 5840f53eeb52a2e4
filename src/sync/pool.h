/* SPDX-License-Identifier: BSD-2-Clause */
/* goc_pool_t internals that tests reach (sync/pool.c). */
#ifndef GOC_SYNC_POOL_H
#define GOC_SYNC_POOL_H

#include <stdint.h>

/*
 * goc__pool_set_sweep_ms sets the period of sysmon's pool cycles in
 * milliseconds (0: none) and returns the previous one. The first call,
 * or sysmon's first tick, reads GOCONC_POOLSWEEP (default 1000).
 */
int64_t goc__pool_set_sweep_ms(int64_t ms);

#endif /* GOC_SYNC_POOL_H */
