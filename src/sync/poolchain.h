/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-P deque under goc_pool_t, after Go 1.25 sync/poolqueue.go
 * (poolDequeue, poolChain): a single-producer, multi-consumer chain of
 * ring segments. The owner pushes and pops at the head; any thread pops
 * at the tail. Segments start at 8 slots and double (up to 2^30) when the
 * head one is full.
 *
 * Synchronization table ("X": must not run concurrently; "-": may):
 *
 *                    push_head  pop_head  pop_tail
 *   push_head (owner)    X         X         -
 *   pop_head  (owner)    X         X         -
 *   pop_tail  (any)      -         -         -
 *
 * Memory: Go lets the garbage collector take a drained tail segment. C
 * has none, so segments are never freed while the chain is in use: a
 * drained tail is only unlinked from the tail pointer (no later pop looks
 * at it again) and every segment stays reachable from `first` until
 * goc__poolchain_free, which the pool calls only after a grace period in
 * which no P can still be inside an operation on the chain. No segment is
 * ever reused, so there is no ABA on the segment pointers.
 *
 * NULL cannot be stored (it marks an empty slot); goc_pool_put drops
 * NULL as Go's Put drops nil.
 */
#ifndef GOC_SYNC_POOLCHAIN_H
#define GOC_SYNC_POOLCHAIN_H

#include <stdbool.h>
#include <stdint.h>

/*
 * One ring: head and tail are packed into one 64-bit word (head in the
 * high half) so that both ends are updated by one atomic operation.
 */
struct goc_pooldequeue {
	uint64_t headtail;            /* (atomic) head << 32 | tail */
	uint32_t size;                /* (immutable) a power of two */
	struct goc_pooldequeue *next; /* (atomic) newer segment; owner sets */
	struct goc_pooldequeue *prev; /* (atomic) older segment; NULL once
					 dropped from the tail */
	void *vals[];                 /* (atomic slots) NULL when free */
};

struct goc_poolchain {
	struct goc_pooldequeue *head;  /* (owner) where pushes go */
	struct goc_pooldequeue *tail;  /* (atomic) where pop_tail starts */
	struct goc_pooldequeue *first; /* (owner) oldest, for freeing */
};

/*
 * goc__poolchain_push_head adds val (not NULL) at the head; owner only.
 * False when a new segment could not be allocated (val not stored).
 */
bool goc__poolchain_push_head(struct goc_poolchain *c, void *val);
/* goc__poolchain_pop_head takes the newest value, or NULL; owner only. */
void *goc__poolchain_pop_head(struct goc_poolchain *c);
/* goc__poolchain_pop_tail takes the oldest value, or NULL; any thread. */
void *goc__poolchain_pop_tail(struct goc_poolchain *c);
/*
 * goc__poolchain_free frees every segment; nobody may use the chain any
 * more. Values still in it are not touched: drain them first.
 */
void goc__poolchain_free(struct goc_poolchain *c);

/* The ring alone (for tests): a fixed-size dequeue of size slots. */
struct goc_pooldequeue *goc__pooldequeue_new(uint32_t size);
bool goc__pooldequeue_push_head(struct goc_pooldequeue *d, void *val);
void *goc__pooldequeue_pop_head(struct goc_pooldequeue *d);
void *goc__pooldequeue_pop_tail(struct goc_pooldequeue *d);

#endif /* GOC_SYNC_POOLCHAIN_H */
