/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private parts of goc_ring_t (src/lf/ring.c) that white-box tests use.
 */
#ifndef GOC_LF_RING_H
#define GOC_LF_RING_H

#include <stddef.h>

/*
 * goc__ring_alloc_hook, when set, replaces the allocator goc_ring_init
 * uses: it must return memory aligned to align (a power of two, at least
 * sizeof(void *)) that free() accepts, or NULL. Tests set it to inject
 * allocation failures; nothing else may. Not thread-safe: set it only
 * while no goc_ring_init can run.
 */
extern void *(*goc__ring_alloc_hook)(size_t align, size_t size);

/*
 * goc__ring_footprint is the number of bytes goc_ring_init allocates for
 * a ring of the given capacity (a valid one), or 0 when that overflows
 * size_t.
 */
size_t goc__ring_footprint(size_t capacity);

#endif /* GOC_LF_RING_H */
