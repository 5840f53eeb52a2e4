/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private parts of goc_ring_t (src/lf/ring.c) that white-box tests use.
 */
#ifndef GOC_LF_RING_H
#define GOC_LF_RING_H

#include <stddef.h>
#include <stdint.h>

/*
 * GOC__RING_CAS2 is 1 when ring.c is SCQP (one ring of {tag, pointer}
 * entries changed by a double-width CAS: x86_64, aarch64) and 0 when it
 * is SCQD (two rings of indices: riscv64, or built with -DGOC_RING_SCQD).
 * GOC__RING_VALUE_BYTES is what one unit of capacity costs in memory.
 */
#if !defined(GOC_RING_SCQD) && \
	(defined(__x86_64__) || defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_16))
#define GOC__RING_CAS2        1
#define GOC__RING_VALUE_BYTES 32
#else
#define GOC__RING_CAS2        0
#define GOC__RING_VALUE_BYTES 40
#endif

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

#if GOC__RING_CAS2
/*
 * goc__ring_set_tail stores t where pushes start looking for the first
 * unfilled position (SCQP's tail), as a push that stored it late would:
 * t must be at most the number of values pushed into r so far. Tests use
 * it to check that pushes and goc_ring_len find their way from a stale
 * tail; r must not be in use by other threads.
 */
struct goc_ring;
void goc__ring_set_tail(struct goc_ring *r, uint64_t t);
#endif

#endif /* GOC_LF_RING_H */
