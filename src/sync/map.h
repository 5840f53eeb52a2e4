/* SPDX-License-Identifier: BSD-2-Clause */
/* goc_map_t internals that tests reach (sync/map.c). */
#ifndef GOC_SYNC_MAP_H
#define GOC_SYNC_MAP_H

/*
 * goc__map_reclaim waits for a grace period and frees everything the
 * calling thread's map operations retired (tests; normally it happens in
 * batches). Not inside a map operation.
 */
void goc__map_reclaim(void);

#endif /* GOC_SYNC_MAP_H */
