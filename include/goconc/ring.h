/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_ring_t: a bounded multi-producer multi-consumer FIFO of pointers.
 *
 * Lock-free in the strict sense: a thread stopped anywhere inside an
 * operation (preempted, or frozen by a signal) never keeps other threads
 * from completing theirs. The algorithm is based on SCQ (Nikolaev, DISC
 * 2019): on x86_64 and aarch64 one ring of entries holding a {cycle,
 * pointer} pair changed by a double-width CAS, a push claiming and
 * filling its entry in one CAS; elsewhere (riscv64 for one) SCQ itself,
 * with tickets from head and tail and the pointers stored by indirection
 * through a second ring of free slots; see src/lf/ring.c. Capacity is a
 * power of two fixed at init; every operation is non-blocking (push and
 * pop return false instead of waiting; a pop that finds the ring empty,
 * or a push that finds it full, may first pause for a few CPU pause
 * hints, in case the other side is about to publish a value or free a
 * slot). Channels are the blocking queue.
 *
 * Synchronization table ("-": may run concurrently; "X": must not):
 *
 *              push  pop  len  cap  init  destroy
 *   push        -     -    -    -    X      X
 *   pop         -     -    -    -    X      X
 *   len, cap    -     -    -    -    X      X
 *   init        X     X    X    X    X      X
 *   destroy     X     X    X    X    X      X
 *
 * init and destroy need the ring to themselves; publish an initialised
 * ring to other threads the usual way (a thread start, a mutex, a release
 * store and acquire load).
 *
 * Semantics. Successful pushes and pops, and pops that report empty, are
 * linearizable: each takes effect at one moment between its call and its
 * return, in one order consistent with a sequential FIFO, so values come
 * out in the order they went in, each exactly once, and a pop reports
 * empty only if at some moment during the call the ring held no value.
 * A push reports full when no slot was free: the ring held capacity
 * values, counting the slot each push or pop still in progress may hold
 * (a push from its call until its value is in, a pop from taking its
 * value until it returns). Without concurrent operations that is exactly
 * "capacity values in the ring"; on x86_64 and aarch64 it always is.
 *
 * Memory model: a push synchronizes before the pop that returns its value
 * (a release on publishing, an acquire on taking), so what the pushing
 * thread wrote before goc_ring_push(r, v) is visible to the thread whose
 * goc_ring_pop returned v, as with a send and the matching receive of a
 * Go channel. Failed pushes and pops, len and cap synchronize with
 * nothing.
 *
 * A goc_ring_t must not be copied or moved once initialised; its zero
 * value is not a usable ring (goc_ring_init it first).
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
	void *_impl; /* the rings and slots, one cache-aligned block */
	size_t _cap; /* the capacity given to goc_ring_init */
} goc_ring_t;

/*
 * goc_ring_init sets up r to hold up to capacity pointers (32 bytes of
 * memory per slot on x86_64 and aarch64, 40 elsewhere). It returns 0, or
 * GOC_ENOMEM when memory ran out (r is then untouched). It panics unless
 * capacity is a power of two from 1 to 2^30: "goc_ring_init: capacity is
 * 0 ...", "goc_ring_init: capacity N is not a power of two",
 * "goc_ring_init: capacity N out of range ...".
 */
GOC_API int goc_ring_init(goc_ring_t *r, size_t capacity);

/*
 * goc_ring_destroy frees r's storage; r must not be in use. Values still
 * in the ring are dropped (they are the caller's pointers). Destroying a
 * zero-valued ring, or one already destroyed, does nothing.
 */
GOC_API void goc_ring_destroy(goc_ring_t *r);

/*
 * goc_ring_push appends v, which may be any pointer, NULL included. It
 * returns false, leaving r unchanged, when the ring is full (see above).
 * It never blocks and never allocates.
 */
GOC_API bool goc_ring_push(goc_ring_t *r, void *v);

/*
 * goc_ring_pop removes the oldest value and stores it in *v. It returns
 * false, leaving *v untouched, when the ring is empty. It never blocks.
 */
GOC_API bool goc_ring_pop(goc_ring_t *r, void **v);

/*
 * goc_ring_len returns the number of values in r, from 0 to the capacity.
 * It is a snapshot for monitoring: while other threads push and pop it
 * may be off by the operations in progress, and after a pop was held up
 * in the middle of its operation it may count a value more than a pop
 * would find, until the next pop that finds the ring empty. Without
 * concurrent operations, and after that, it is exact.
 */
GOC_API size_t goc_ring_len(const goc_ring_t *r);

/* goc_ring_cap returns the capacity given to goc_ring_init. */
GOC_API size_t goc_ring_cap(const goc_ring_t *r);

GOC_END_DECLS

#endif /* GOCONC_RING_H */
