/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pool deque and chain, after Go 1.25 sync/poolqueue.go (pushHead,
 * popHead, popTail of poolDequeue and poolChain). See poolchain.h for the
 * contract and docs/design/sync.md for the pool around it.
 *
 * Invariants of a ring:
 *  - tail <= head (mod 2^32) and head - tail <= size;
 *  - slots in [tail, head) hold values, except that a slot a pop_tail
 *    has claimed (tail moved past it) may still hold its value until that
 *    pop_tail clears it; push_head treats such a slot as full;
 *  - only the owner moves head; head and tail change together in one CAS
 *    whenever both ends race for the last value.
 */
#include "sync/poolchain.h"

#include <stdlib.h>

#define DEQUEUE_BITS  32
#define DEQUEUE_LIMIT ((uint32_t)1 << 30) /* Go's dequeueLimit */
#define CHAIN_FIRST   8

static inline uint32_t
ht_head(uint64_t ht)
{
	return (uint32_t)(ht >> DEQUEUE_BITS);
}

static inline uint32_t
ht_tail(uint64_t ht)
{
	return (uint32_t)ht;
}

static inline uint64_t
ht_pack(uint32_t head, uint32_t tail)
{
	return (uint64_t)head << DEQUEUE_BITS | tail;
}

struct goc_pooldequeue *
goc__pooldequeue_new(uint32_t size)
{
	struct goc_pooldequeue *d =
		calloc(1, sizeof(*d) + (size_t)size * sizeof(void *));

	if (d != NULL)
		d->size = size;
	return d;
}

bool
goc__pooldequeue_push_head(struct goc_pooldequeue *d, void *val)
{
	/* Relaxed: only the owner moves head, and a stale tail only makes
	 * the ring look fuller than it is. */
	uint64_t ht = __atomic_load_n(&d->headtail, __ATOMIC_RELAXED);
	uint32_t head = ht_head(ht), tail = ht_tail(ht);

	if (tail + d->size == head)
		return false; /* full */
	void **slot = &d->vals[head & (d->size - 1)];
	/*
	 * A pop_tail may have claimed this slot (moved tail past it) but not
	 * yet read and cleared it: the ring is still full. Acquire pairs
	 * with the release store of NULL in pop_tail, so its read of the old
	 * value happens before our write below.
	 */
	if (__atomic_load_n(slot, __ATOMIC_ACQUIRE) != NULL)
		return false;
	/* Relaxed: published by the release add below. */
	__atomic_store_n(slot, val, __ATOMIC_RELAXED);
	/* Release: the slot's value happens before any pop that sees the
	 * new head (pairs with the acquire loads in pop_tail). */
	__atomic_add_fetch(&d->headtail, (uint64_t)1 << DEQUEUE_BITS,
			   __ATOMIC_RELEASE);
	return true;
}

void *
goc__pooldequeue_pop_head(struct goc_pooldequeue *d)
{
	void **slot;
	uint64_t ht = __atomic_load_n(&d->headtail, __ATOMIC_RELAXED);

	for (;;) {
		uint32_t head = ht_head(ht), tail = ht_tail(ht);
		if (tail == head)
			return NULL;
		/* Claim the head slot. The CAS decides a race with pop_tail
		 * for the last value; relaxed suffices because the owner
		 * wrote the slot itself. */
		head--;
		if (__atomic_compare_exchange_n(
			    &d->headtail, &ht, ht_pack(head, tail), false,
			    __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			slot = &d->vals[head & (d->size - 1)];
			break;
		}
	}
	/* The slot is ours alone now (no pop_tail can reach it, head moved
	 * below it). */
	void *val = __atomic_load_n(slot, __ATOMIC_RELAXED);
	__atomic_store_n(slot, NULL, __ATOMIC_RELAXED);
	return val;
}

void *
goc__pooldequeue_pop_tail(struct goc_pooldequeue *d)
{
	void **slot;
	/* Acquire: pairs with push_head's release add, so a value counted
	 * in head is visible in its slot. */
	uint64_t ht = __atomic_load_n(&d->headtail, __ATOMIC_ACQUIRE);

	for (;;) {
		uint32_t head = ht_head(ht), tail = ht_tail(ht);
		if (tail == head)
			return NULL;
		/* Claim the tail slot; acquire on both outcomes for the
		 * same reason as the load above. */
		if (__atomic_compare_exchange_n(
			    &d->headtail, &ht, ht_pack(head, tail + 1), false,
			    __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
			slot = &d->vals[tail & (d->size - 1)];
			break;
		}
	}
	void *val = __atomic_load_n(slot, __ATOMIC_RELAXED);
	/* Release: our read above happens before push_head reuses the slot
	 * (pairs with its acquire load of the slot). */
	__atomic_store_n(slot, NULL, __ATOMIC_RELEASE);
	return val;
}

bool
goc__poolchain_push_head(struct goc_poolchain *c, void *val)
{
	struct goc_pooldequeue *d = c->head;

	if (d == NULL) {
		d = goc__pooldequeue_new(CHAIN_FIRST);
		if (d == NULL)
			return false;
		c->head = d;
		c->first = d;
		/* Release: the new segment is initialised before a thief
		 * reaches it through tail (pairs with pop_tail's acquire). */
		__atomic_store_n(&c->tail, d, __ATOMIC_RELEASE);
	}
	if (goc__pooldequeue_push_head(d, val))
		return true;
	/* The head segment is full: add one twice its size. */
	uint32_t size = d->size * 2;
	if (size > DEQUEUE_LIMIT)
		size = DEQUEUE_LIMIT;
	struct goc_pooldequeue *d2 = goc__pooldequeue_new(size);
	if (d2 == NULL)
		return false;
	/* Relaxed: d2 is published by the release store of d->next. */
	__atomic_store_n(&d2->prev, d, __ATOMIC_RELAXED);
	/* Release: d2's initialisation happens before a thief follows
	 * d->next to it (pairs with the acquire load in pop_tail). */
	__atomic_store_n(&d->next, d2, __ATOMIC_RELEASE);
	c->head = d2;
	return goc__pooldequeue_push_head(d2, val);
}

void *
goc__poolchain_pop_head(struct goc_poolchain *c)
{
	for (struct goc_pooldequeue *d = c->head; d != NULL;) {
		void *val = goc__pooldequeue_pop_head(d);
		if (val != NULL)
			return val;
		/* Empty: look at older segments (thieves may not have
		 * drained them). Acquire pairs with the release store of
		 * NULL by a pop_tail that dropped the segment before it (the
		 * segment is drained either way; it only saves a visit). */
		d = __atomic_load_n(&d->prev, __ATOMIC_ACQUIRE);
	}
	return NULL;
}

void *
goc__poolchain_pop_tail(struct goc_poolchain *c)
{
	/* Acquire: pairs with the release stores that publish a segment. */
	struct goc_pooldequeue *d = __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE);

	while (d != NULL) {
		/*
		 * Load next before popping: if the pop then finds d empty
		 * and next was NULL, the chain was empty at that point (a
		 * push after it goes to d or to a segment we would have
		 * seen). Loading it after could skip a value pushed into
		 * d between the two. Acquire pairs with push_head's release
		 * store of next.
		 */
		struct goc_pooldequeue *d2 =
			__atomic_load_n(&d->next, __ATOMIC_ACQUIRE);
		void *val = goc__pooldequeue_pop_tail(d);
		if (val != NULL)
			return val;
		if (d2 == NULL)
			return NULL;
		/*
		 * d is drained and never pushed to again (the owner moved
		 * to d2): drop it from the tail so that later pops skip it.
		 * Losing the CAS means another thief dropped it. The segment
		 * itself is freed only with the whole chain.
		 */
		struct goc_pooldequeue *exp = d;
		if (__atomic_compare_exchange_n(&c->tail, &exp, d2, false,
						__ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			/* Release: pairs with pop_head's acquire of prev. */
			__atomic_store_n(&d2->prev, NULL, __ATOMIC_RELEASE);
		d = d2;
	}
	return NULL;
}

void
goc__poolchain_free(struct goc_poolchain *c)
{
	struct goc_pooldequeue *d = c->first;

	while (d != NULL) {
		/* No concurrent user: relaxed. */
		struct goc_pooldequeue *next =
			__atomic_load_n(&d->next, __ATOMIC_RELAXED);
		free(d);
		d = next;
	}
	c->head = c->first = NULL;
	__atomic_store_n(&c->tail, NULL, __ATOMIC_RELAXED);
}
