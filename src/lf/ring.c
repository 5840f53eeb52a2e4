/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_ring_t: a bounded multi-producer multi-consumer ring of pointers,
 * lock-free in the strict sense (a thread stopped anywhere inside an
 * operation never keeps the others from completing theirs).
 *
 * Algorithm: SCQ, R. Nikolaev, "A Scalable, Portable, and Memory-Efficient
 * Lock-Free FIFO Queue", DISC 2019 (arXiv 1908.04511), in its SCQD form:
 * two SCQ rings of indices over an array of n data slots. The free ring
 * (fq) starts holding every index, the allocated ring (aq) starts empty.
 *
 *   push(v): i = fq.dequeue() (none: full); data[i] = v; aq.enqueue(i)
 *   pop():   i = aq.dequeue() (none: empty); v = data[i]; fq.enqueue(i)
 *
 * One SCQ ring holds at most n indices in 2n entries. Tickets come from
 * fetch-and-add on head (dequeue) and tail (enqueue); ticket t names entry
 * map(t mod 2n) in cycle t / 2n. An entry is one 64-bit word
 *
 *   [ cycle | safe | index ]     index: log2(n) + 1 bits, all ones = empty
 *
 * changed only by single-width CAS and fetch-or:
 *  - an enqueuer with ticket t writes {cycle(t), 1, i} into an empty entry
 *    of an older cycle, if the entry is safe or no dequeuer has taken
 *    ticket t yet (head <= t); otherwise it takes a new ticket;
 *  - a dequeuer with ticket h takes an entry of cycle(h) (fetch-or sets
 *    the index to empty); finding an empty entry of an older cycle it
 *    moves the entry to cycle(h), so the late enqueuer of ticket h fails
 *    and retries; finding an older cycle's value it clears the safe bit,
 *    so no enqueuer of a later cycle fills the entry once that value is
 *    gone unless head shows its dequeuer is still to come.
 * Nobody waits for anybody: a dequeuer that finds its entry not yet
 * filled spins a bounded number of times, then moves on.
 *
 * Empty rings: a dequeue that finds nothing decrements threshold; every
 * successful enqueue resets it to 3n - 1, which bounds the failed
 * dequeues that can pass while some value is still in the ring (the
 * paper's livelock argument). With threshold < 0 a dequeue answers
 * "empty" after a single load. Before taking a ticket, a dequeue peeks at
 * the entry of the current head ticket: when that is not ready and tail
 * <= head, the ring is empty without burning a ticket, so an idle
 * consumer polls read-only instead of writing the producers' lines.
 *
 * Layout: head, threshold and tail of each ring sit on their own
 * GOC_CACHELINE-sized lines; map() rotates the ticket's entry bits so
 * that consecutive tickets land GOC_CACHELINE bytes apart, and the free
 * ring hands out data indices in an order spread the same way, so
 * neighbouring operations never share a line. Capacity is a power of two,
 * 1 to 2^30; a ring of capacity n takes 40n bytes plus a few lines.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goconc/ring.h"
#include "goconc/features.h"
#include "internal/arch.h"
#include "internal/compiler.h"
#include "internal/panic.h"
#include "lf/ring.h"

/*
 * Invariants (for each of aq and fq; n is the capacity):
 *  - At most n indices are in a ring at any time: push moves an index from
 *    fq to aq, pop moves it back, and each index is in at most one ring or
 *    held by one operation in between. This is the SCQ precondition.
 *  - data[i] is written only by the push that holds index i (after fq
 *    gave it out and before aq takes it) and read only by the pop that
 *    holds i (after aq gave it out and before fq takes it back). So data
 *    needs no atomics: the entry CAS that publishes i to the other ring is
 *    a release and the load that takes it out is an acquire.
 *  - head and tail only grow (64-bit tickets: no wrap in practice); an
 *    entry's cycle only grows; the index of an entry of a given cycle is
 *    set once (by the enqueuer of that cycle) and cleared once.
 *  - threshold < 0 implies the ring was empty at some point after the
 *    last successful enqueue reset it.
 *
 * Memory order. SCQ's proofs assume sequential consistency across head,
 * tail, threshold and the entries. Every read-modify-write of head, tail
 * and threshold, and every load of them that an emptiness decision
 * compares across locations, is seq_cst: on x86_64 a locked instruction is
 * a full barrier whatever order is asked, and on aarch64 acq_rel and
 * seq_cst read-modify-writes are the same LSE/LL-SC forms, so this costs
 * nothing over acq_rel where it matters. Entries are weaker, each use
 * justified where it occurs: their loads are acquire (they take the
 * index, and the data it guards, from the release CAS that wrote it); the
 * CASes that write them are acq_rel; the fetch-or that consumes one is
 * relaxed.
 */

/* Dequeue spins this many times for an enqueuer that holds its ticket. */
#define RING_SPIN 64

/*
 * map() keeps runs of RING_GROUP consecutive tickets in neighbouring
 * entries and spreads the runs GOC_CACHELINE bytes apart (SCQ's remap
 * with RING_GROUP 1). A run fills one hardware line, so a producer and a
 * consumer far apart move a line once per RING_GROUP values instead of
 * once per value, while threads that take neighbouring tickets at the
 * same moment still spread over lines in groups.
 */
#ifndef RING_GROUP
#define RING_GROUP 8
#endif
#ifndef RING_DSPREAD
#define RING_DSPREAD 1
#endif

/* Index entries (and data pointers) per padding unit. */
#define ENTRIES_PER_LINE (GOC_CACHELINE / sizeof(uint64_t))
#define DATA_PER_LINE    (GOC_CACHELINE / sizeof(void *))

#define CAP_MAX ((size_t)1 << 30)

_Static_assert((RING_GROUP & (RING_GROUP - 1)) == 0 &&
		       RING_GROUP <= ENTRIES_PER_LINE,
	       "RING_GROUP must be a power of two within one line");

/* One SCQ ring of indices. Each counter has its own line. */
struct scq {
	/* (atomic) next dequeue ticket; fetch-and-add by dequeuers */
	uint64_t head GOC_ALIGNED(GOC_CACHELINE);
	/* (atomic) 3n - 1 after an enqueue, -1 per failed dequeue */
	int64_t threshold GOC_ALIGNED(GOC_CACHELINE);
	/* (atomic) next enqueue ticket; fetch-and-add by enqueuers, moved
	 * forward by a dequeuer that overtook it (catch_up) */
	uint64_t tail GOC_ALIGNED(GOC_CACHELINE);
};

struct scqd {
	/* (immutable) written by goc_ring_init, read by every operation */
	uint64_t *aq_ent; /* 2n entries of aq */
	uint64_t *fq_ent; /* 2n entries of fq */
	void **data;      /* n slots, see the invariants */
	uint64_t cap;     /* n */
	uint64_t emask;   /* 2n - 1: ticket to entry; also the empty index */
	uint64_t safe;    /* 2n: the safe bit */
	uint64_t low;     /* 4n - 1: index and safe bits */
	int64_t thr_max;  /* 3n - 1 */
	uint64_t hmask;   /* map(): the run number's bits */
	unsigned gshift;  /* map(): log2(RING_GROUP) */
	unsigned rot;     /* map(): run number rotation, or 0 */
	unsigned spread;  /* map(): 0 when the ring fits one line */

	struct scq aq GOC_ALIGNED(GOC_CACHELINE);
	struct scq fq;
};

void *(*goc__ring_alloc_hook)(size_t align, size_t size);

/* map: ticket to entry, a rotation of the run number (see RING_GROUP). */
static inline uint64_t *
entry_of(const struct scqd *q, uint64_t *ent, uint64_t ticket)
{
	uint64_t i = ticket & q->emask, run = i >> q->gshift;

	run = (run >> q->rot) | ((run << q->spread) & q->hmask);
	return &ent[(run << q->gshift) | (i & (RING_GROUP - 1))];
}

/*
 * cycle_tag is ticket's cycle in an entry's cycle bits with every lower
 * bit set: comparable with (entry | low). Tags compare by signed
 * difference, so the entries' initial all-ones tag is cycle -1.
 */
static inline uint64_t
cycle_tag(const struct scqd *q, uint64_t ticket)
{
	return (ticket << 1) | q->low;
}

static inline bool
before(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) < 0;
}

static void
scq_enqueue(const struct scqd *q, struct scq *s, uint64_t *ent, uint64_t idx)
{
	for (;;) {
		/* seq_cst: the ticket order is what dequeuers compare head
		 * and tail against (see the memory-order note above). */
		uint64_t t = __atomic_fetch_add(&s->tail, 1, __ATOMIC_SEQ_CST);
		uint64_t tc = cycle_tag(q, t);
		uint64_t *p = entry_of(q, ent, t);
		/*
		 * Nearly always the entry is still empty and safe from the
		 * previous cycle: try that value first, so that the common
		 * case is one read-modify-write of the line (a load first
		 * would fetch it shared, then upgrade it).
		 */
		uint64_t e = cycle_tag(q, t - 2 * q->cap);

		for (;;) {
			/* Release publishes idx and data[idx] to the
			 * dequeuer's acquire load. Acquire on failure: the
			 * unsafe case below reads head, which must see the
			 * ticket of the dequeuer whose acq_rel CAS cleared
			 * the safe bit. */
			if (__atomic_compare_exchange_n(
				    p, &e, tc ^ q->emask ^ idx, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				/* seq_cst, as in the paper: the reset is
				 * ordered after the entry CAS for dequeuers
				 * that count failures against it. */
				if (__atomic_load_n(&s->threshold,
						    __ATOMIC_SEQ_CST) !=
				    q->thr_max)
					__atomic_store_n(&s->threshold,
							 q->thr_max,
							 __ATOMIC_SEQ_CST);
				return;
			}
			uint64_t ec = e | q->low;
			if (!before(ec, tc))
				break; /* a dequeuer of our cycle was here */
			if (e != ec) {
				if (e != (ec ^ q->safe))
					break; /* an older value is still here
						*/
				/* Unsafe: usable only while our dequeuer is
				 * still to come. seq_cst: compared with the
				 * ticket order (see above). */
				uint64_t h = __atomic_load_n(&s->head,
							     __ATOMIC_SEQ_CST);
				if ((int64_t)(h - t) > 0)
					break;
			}
		}
	}
}

/* A dequeuer that overtook tail moves it up to head (SCQ catchup). */
static void
catch_up(struct scq *s, uint64_t t, uint64_t h)
{
	/* seq_cst throughout: tail and head compared across locations. */
	while (!__atomic_compare_exchange_n(
		&s->tail, &t, h, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		h = __atomic_load_n(&s->head, __ATOMIC_SEQ_CST);
		if ((int64_t)(t - h) >= 0)
			return;
	}
}

/*
 * maybe_empty peeks at the entry of the current head ticket. When that is
 * not ready and tail <= head, every ticket enqueuers hold has been handed
 * to a dequeuer: at the moment tail was read the ring was empty (values
 * still in entries belong to dequeuers that took their tickets earlier).
 */
static inline bool
maybe_empty(const struct scqd *q, struct scq *s, uint64_t *ent)
{
	/* seq_cst: head, then tail, compared across locations. */
	uint64_t h = __atomic_load_n(&s->head, __ATOMIC_SEQ_CST);
	/* Relaxed: only a hint; a stale entry just means a wasted check. */
	uint64_t e = __atomic_load_n(entry_of(q, ent, h), __ATOMIC_RELAXED);

	if ((e | q->low) == cycle_tag(q, h))
		return false;
	return (int64_t)(__atomic_load_n(&s->tail, __ATOMIC_SEQ_CST) - h) <= 0;
}

/* scq_dequeue returns the oldest index, or -1 when the ring is empty. */
static int64_t
scq_dequeue(const struct scqd *q, struct scq *s, uint64_t *ent)
{
	/* seq_cst: see the memory-order note. */
	if (__atomic_load_n(&s->threshold, __ATOMIC_SEQ_CST) < 0)
		return -1;
	if (maybe_empty(q, s, ent))
		return -1;

	for (;;) {
		uint64_t h = __atomic_fetch_add(&s->head, 1, __ATOMIC_SEQ_CST);
		uint64_t hc = cycle_tag(q, h);
		uint64_t *p = entry_of(q, ent, h);
		/* Acquire pairs with the enqueuer's release CAS: the index
		 * and data[index] it published. */
		uint64_t e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		unsigned spins = 0;

		for (;;) {
			uint64_t ec = e | q->low, ne;

			if (ec == hc) {
				/* Ours. Relaxed: the acquire load above took
				 * the index; this only marks the entry
				 * consumed, and the entry's next writer
				 * (a later cycle's enqueuer) needs nothing
				 * from us but the entry itself. */
				__atomic_fetch_or(p, q->emask,
						  __ATOMIC_RELAXED);
				return (int64_t)(e & q->emask);
			}
			if (!before(ec, hc))
				break; /* we are a whole cycle late */
			if ((e | q->safe) != ec) {
				/* An older cycle's value, its dequeuer not
				 * done: leave it, but mark the entry
				 * unsafe. */
				ne = e & ~q->safe;
				if (ne == e)
					break;
			} else {
				/*
				 * Empty, older cycle. If an enqueuer holds
				 * ticket h (tail > h) it is about to fill
				 * the entry: give it a bounded number of
				 * tries before closing the entry for this
				 * cycle (its enqueuer then retries).
				 */
				if (spins == 0 &&
				    (int64_t)(__atomic_load_n(
						      &s->tail,
						      __ATOMIC_SEQ_CST) -
					      h) <= 0)
					spins = RING_SPIN;
				if (spins < RING_SPIN) {
					spins++;
					goc_arch_pause();
					e = __atomic_load_n(p,
							    __ATOMIC_ACQUIRE);
					continue;
				}
				ne = hc ^ (~e & q->safe);
			}
			/* acq_rel: release so that an enqueuer that reads
			 * the unsafe mark also sees our head ticket (see
			 * scq_enqueue); acquire on failure because the
			 * retry may take an index from the new value. */
			if (__atomic_compare_exchange_n(p, &e, ne, false,
							__ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				break;
		}

		/* Ticket h gave nothing. seq_cst: tail against head. */
		uint64_t t = __atomic_load_n(&s->tail, __ATOMIC_SEQ_CST);
		if ((int64_t)(t - (h + 1)) <= 0) {
			catch_up(s, t, h + 1);
			__atomic_fetch_sub(&s->threshold, 1, __ATOMIC_SEQ_CST);
			return -1;
		}
		if (__atomic_fetch_sub(&s->threshold, 1, __ATOMIC_SEQ_CST) <= 0)
			return -1;
	}
}

static unsigned
log2_exact(uint64_t x)
{
	return (unsigned)__builtin_ctzll(x);
}

static size_t
round_line(size_t n)
{
	return (n + GOC_CACHELINE - 1) & ~(size_t)(GOC_CACHELINE - 1);
}

size_t
goc__ring_footprint(size_t capacity)
{
	size_t ent, data;

	/* capacity <= 2^30: 16 * capacity overflows only a 32-bit size_t. */
	if (capacity > SIZE_MAX / 2 / 2 / sizeof(uint64_t))
		return 0;
	ent = round_line(2 * capacity * sizeof(uint64_t));
	data = round_line(capacity * sizeof(void *));
	if (ent > (SIZE_MAX - data - sizeof(struct scqd)) / 2)
		return 0;
	return round_line(sizeof(struct scqd)) + 2 * ent + data;
}

static void *
ring_alloc(size_t size)
{
	void *p;

	if (goc__ring_alloc_hook != NULL)
		return goc__ring_alloc_hook(GOC_CACHELINE, size);
	if (posix_memalign(&p, GOC_CACHELINE, size) != 0)
		return NULL;
	return p;
}

/* A rotation of the low bits bits of x by shift, spreading neighbours. */
static uint64_t
spread_index(uint64_t x, unsigned bits, unsigned shift)
{
	uint64_t mask = ((uint64_t)1 << bits) - 1;

	if (bits <= shift)
		return x & mask;
	return ((x & mask) >> (bits - shift)) | ((x << shift) & mask);
}

int
goc_ring_init(goc_ring_t *r, size_t capacity)
{
	struct scqd *q;
	size_t size, ent_bytes;
	unsigned order, line_shift;

	if (capacity == 0)
		goc_panic("goc_ring_init: capacity is 0 (want a power of two "
			  "from 1 to 2^30)");
	if (capacity > CAP_MAX)
		goc__panicf("goc_ring_init: capacity %zu out of range (want a "
			    "power of two from 1 to 2^30)",
			    capacity);
	if ((capacity & (capacity - 1)) != 0)
		goc__panicf("goc_ring_init: capacity %zu is not a power of two",
			    capacity);

	size = goc__ring_footprint(capacity);
	if (size == 0)
		return GOC_ENOMEM;
	q = ring_alloc(size);
	if (q == NULL)
		return GOC_ENOMEM;

	memset(q, 0, sizeof(*q));
	ent_bytes = round_line(2 * capacity * sizeof(uint64_t));
	q->aq_ent = (uint64_t *)((char *)q + round_line(sizeof(*q)));
	q->fq_ent = (uint64_t *)((char *)q->aq_ent + ent_bytes);
	q->data = (void **)((char *)q->fq_ent + ent_bytes);
	q->cap = capacity;
	q->emask = 2 * capacity - 1;
	q->safe = 2 * capacity;
	q->low = 4 * capacity - 1;
	q->thr_max = (int64_t)(3 * capacity - 1);
	order = log2_exact(capacity);
	line_shift = log2_exact(ENTRIES_PER_LINE);
	q->gshift = log2_exact(RING_GROUP);
	if (order + 1 > line_shift) {
		/* 2^(order+1-gshift) runs; rotate so that consecutive runs
		 * are ENTRIES_PER_LINE entries apart. */
		q->hmask = ((uint64_t)1 << (order + 1 - q->gshift)) - 1;
		q->spread = line_shift - q->gshift;
		q->rot = order + 1 - q->gshift - q->spread;
	} else {
		q->hmask = (2 * capacity - 1) >> q->gshift;
	}

	/* aq: empty, every entry "empty, cycle -1". */
	memset(q->aq_ent, 0xff, 2 * capacity * sizeof(uint64_t));
	q->aq.threshold = -1;

	/* fq: tickets 0..n-1 hold the indices in cycle 0, the rest of the
	 * entries are empty; indices go out spread over the data lines. */
	memset(q->fq_ent, 0xff, 2 * capacity * sizeof(uint64_t));
	for (uint64_t t = 0; t < capacity; t++) {
		uint64_t i = RING_DSPREAD
				     ? spread_index(t, order,
						    log2_exact(DATA_PER_LINE))
				     : t;
		*entry_of(q, q->fq_ent, t) = cycle_tag(q, t) ^ q->emask ^ i;
	}
	q->fq.tail = capacity;
	q->fq.threshold = q->thr_max;

	/* Plain stores: the ring is published to other threads by whatever
	 * hands them r (a thread start, a release store), per the API. */
	r->_impl = q;
	r->_cap = capacity;
	return 0;
}

void
goc_ring_destroy(goc_ring_t *r)
{
	free(r->_impl);
	r->_impl = NULL;
	r->_cap = 0;
}

bool
goc_ring_push(goc_ring_t *r, void *v)
{
	struct scqd *q = r->_impl;
	int64_t i = scq_dequeue(q, &q->fq, q->fq_ent);

	if (i < 0)
		return false;
	q->data[i] = v; /* ours until aq.enqueue: see the invariants */
	scq_enqueue(q, &q->aq, q->aq_ent, (uint64_t)i);
	return true;
}

bool
goc_ring_pop(goc_ring_t *r, void **v)
{
	struct scqd *q = r->_impl;
	int64_t i = scq_dequeue(q, &q->aq, q->aq_ent);

	if (i < 0)
		return false;
	*v = q->data[i]; /* ours until fq.enqueue: see the invariants */
	scq_enqueue(q, &q->fq, q->fq_ent, (uint64_t)i);
	return true;
}

size_t
goc_ring_len(const goc_ring_t *r)
{
	const struct scqd *q = r->_impl;
	/* Relaxed: a snapshot for monitoring, documented as such. Head is
	 * read first so that a concurrent pop cannot make the difference
	 * look larger than it was. */
	uint64_t h = __atomic_load_n(&q->aq.head, __ATOMIC_RELAXED);
	uint64_t t = __atomic_load_n(&q->aq.tail, __ATOMIC_RELAXED);
	int64_t d = (int64_t)(t - h);

	if (d <= 0)
		return 0;
	return (uint64_t)d > q->cap ? (size_t)q->cap : (size_t)d;
}

size_t
goc_ring_cap(const goc_ring_t *r)
{
	return r->_cap;
}
