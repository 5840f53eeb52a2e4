/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_ring_t: a bounded multi-producer multi-consumer ring of pointers.
 *
 * Lock-free in the strict sense: a thread stopped in the middle of an
 * operation never blocks the others (SCQ, Nikolaev 2019: FAA on head and
 * tail, single-width CAS on entries, indirection through a free-index
 * ring). Capacity is a power of two fixed at init. Every operation is
 * non-blocking; channels are the blocking queue.
 *
 * Synchronization table ("-": may run concurrently with each other):
 *
 *              push  pop  len  cap  init/destroy
 *   push        -     -    -    -        X
 *   pop         -     -    -    -        X
 *   len/cap     -     -    -    -        X
 *
 * Memory model: a push happens before the pop that returns its value
 * (release on publish, acquire on take), so data written before
 * goc_ring_push(v) is visible after goc_ring_pop returns v.
 */
#ifndef GOCONC_RING_H
#define GOCONC_RING_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include <goconc/common.h>

GOC_BEGIN_DECLS

typedef struct goc_ring {
	/* private: do not access */
	void *_impl;
	size_t _cap;
} goc_ring_t;

/*
 * goc_ring_init sets up r to hold up to capacity pointers. Returns 0, or
 * GOC_ENOMEM when memory ran out. Panics unless capacity is a power of
 * two between 1 and 2^30.
 */
GOC_API int goc_ring_init(goc_ring_t *r, size_t capacity);

/* goc_ring_destroy frees r's storage; r must not be in use. */
GOC_API void goc_ring_destroy(goc_ring_t *r);

/* goc_ring_push appends v (any pointer, NULL included); false if full. */
GOC_API bool goc_ring_push(goc_ring_t *r, void *v);

/* goc_ring_pop removes the oldest value into *v; false if empty. */
GOC_API bool goc_ring_pop(goc_ring_t *r, void **v);

/* goc_ring_len is the number of values, exact only when r is quiescent. */
GOC_API size_t goc_ring_len(const goc_ring_t *r);

/* goc_ring_cap is the capacity given to goc_ring_init. */
GOC_API size_t goc_ring_cap(const goc_ring_t *r);

GOC_END_DECLS

#endif /* GOCONC_RING_H */
