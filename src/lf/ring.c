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
 *    so that no enqueuer of a later cycle fills the entry once that value
 *    is gone, unless head shows that its dequeuer is still to come.
 * Nobody waits for anybody: a dequeuer that finds its entry not yet
 * filled spins a bounded number of times, then moves on.
 *
 * Empty rings. A dequeue that finds nothing decrements threshold; every
 * successful enqueue resets it to 3n - 1, which bounds the failed
 * dequeues that can pass while a value is still in the ring (the paper's
 * livelock argument). With threshold < 0 a dequeue answers "empty" after
 * one load. Before taking a ticket, a dequeue also peeks at the entry of
 * the current head ticket: when that is not ready and tail <= head, the
 * ring is empty without burning a ticket, so that a consumer polling an
 * empty ring only reads, and never writes the producers' lines.
 *
 * Layout. head, threshold and tail of each ring sit on lines of their own
 * (GOC_CACHELINE). map() keeps runs of RING_GROUP consecutive tickets in
 * one hardware line and puts consecutive runs a padding unit apart (SCQ's
 * remap, which with runs of 1 spreads every ticket); the free ring hands
 * out data indices a padding unit apart. On the 2-CPU CI machine, with
 * one producer and one consumer, runs of 8 ran about 3x faster than runs
 * of 1 and as fast as no remap at all (bench/ring.c, Ring1P1C), while
 * neighbouring tickets of concurrent threads still land on different
 * lines in groups.
 *
 * Capacity is a power of two from 1 to 2^30; a ring of capacity n takes
 * 40n bytes (2 x 2n entries, n data slots) plus a few lines.
 */
#include "config.h"

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
 *    a release, and the load that takes it out is an acquire.
 *  - head and tail only grow (64-bit tickets: no wrap in practice); an
 *    entry's cycle only grows; the index of an entry of a given cycle is
 *    set once (by the enqueuer of that cycle) and cleared once (by its
 *    dequeuer).
 *  - threshold < 0 implies the ring was empty at some moment after the
 *    last successful enqueue reset it.
 *
 * Memory order. SCQ's proofs assume sequential consistency across head,
 * tail, threshold and the entries. Every read-modify-write of head, tail
 * and threshold, and every load of them that an emptiness decision
 * compares across locations, is seq_cst: on x86_64 a locked instruction is
 * a full barrier whatever order is asked, and on aarch64 acq_rel and
 * seq_cst read-modify-writes are the same LSE or LL/SC forms, so this
 * costs nothing over acq_rel. Entries are weaker, each use justified
 * where it occurs: loads are acquire (they take an index, and the data it
 * guards, from the release CAS that wrote it), the CASes that write them
 * are acq_rel, and the fetch-or that consumes one is relaxed.
 */

/* A dequeue spins this many times for an enqueuer that holds its ticket. */
#define RING_SPIN 64

/* Consecutive tickets per run of entries: 64 bytes, one hardware line. */
#define RING_GROUP 8

/* Index entries and data pointers per padding unit. */
#define ENTRIES_PER_LINE (GOC_CACHELINE / sizeof(uint64_t))
#define DATA_PER_LINE    (GOC_CACHELINE / sizeof(void *))

#define CAP_MAX ((size_t)1 << 30)

_Static_assert((RING_GROUP & (RING_GROUP - 1)) == 0 &&
		       RING_GROUP <= ENTRIES_PER_LINE,
	       "RING_GROUP must be a power of two within one line");

/*
 * A permutation of [0, 2^bits): runs of 2^g neighbours stay together and
 * consecutive runs land a padding unit apart (a rotation of the run
 * number). The identity when the whole range fits one unit.
 */
struct spread {
	uint64_t mask;  /* 2^bits - 1 */
	uint64_t rmask; /* the run number's bits, 0 for the identity */
	unsigned g;     /* log2 of the run length */
	unsigned rot;   /* right rotation of the run number ... */
	unsigned sh;    /* ... and its complement */
};

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
	uint64_t *aq_ent;   /* 2n entries of aq */
	uint64_t *fq_ent;   /* 2n entries of fq */
	void **data;        /* n slots, see the invariants */
	uint64_t cap;       /* n */
	uint64_t emask;     /* 2n - 1: the index field; all ones is empty */
	uint64_t safe;      /* 2n: the safe bit */
	uint64_t low;       /* 4n - 1: index and safe bits */
	int64_t thr_max;    /* 3n - 1 */
	struct spread emap; /* ticket to entry */
	struct spread dmap; /* the order fq hands out data indices */

	struct scq aq GOC_ALIGNED(GOC_CACHELINE);
	struct scq fq;
};

void *(*goc__ring_alloc_hook)(size_t align, size_t size);

static inline uint64_t
spread_apply(const struct spread *sp, uint64_t x)
{
	uint64_t run;

	x &= sp->mask;
	run = x >> sp->g;
	run = (run >> sp->rot) | ((run << sp->sh) & sp->rmask);
	return (run << sp->g) | (x & (((uint64_t)1 << sp->g) - 1));
}

static void
spread_init(struct spread *sp, unsigned bits, unsigned g, unsigned unit)
{
	memset(sp, 0, sizeof(*sp));
	sp->mask = ((uint64_t)1 << bits) - 1;
	sp->g = g < bits ? g : bits;
	if (bits > unit && unit > sp->g) {
		sp->sh = unit - sp->g;
		sp->rot = bits - sp->g - sp->sh;
		sp->rmask = ((uint64_t)1 << (bits - sp->g)) - 1;
	}
}

static inline uint64_t *
entry_of(const struct scqd *q, uint64_t *ent, uint64_t ticket)
{
	return &ent[spread_apply(&q->emap, ticket)];
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

/*
 * fill tries to put idx into ticket t's entry *p; false when the entry
 * cannot take it for cycle(t) (a dequeuer of that cycle came first, an
 * older value is still there, or the entry is unsafe and t's dequeuer has
 * gone by), and the enqueuer must take another ticket.
 */
static bool
fill(const struct scqd *q, struct scq *s, uint64_t *p, uint64_t t, uint64_t idx)
{
	uint64_t tc = cycle_tag(q, t);
	/*
	 * Nearly always the entry is still empty and safe from the previous
	 * cycle: try that value first, so that the common case is one
	 * read-modify-write of the line (a load first would fetch it
	 * shared, then upgrade it).
	 */
	uint64_t e = cycle_tag(q, t - 2 * q->cap);

	for (;;) {
		/* Release publishes idx and data[idx] to the dequeuer's
		 * acquire load. Acquire on failure: the unsafe case below
		 * reads head, which must see the ticket of the dequeuer
		 * whose acq_rel CAS cleared the safe bit. */
		if (__atomic_compare_exchange_n(p, &e, tc ^ q->emask ^ idx,
						false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return true;
		uint64_t ec = e | q->low;
		if (!before(ec, tc))
			return false; /* a dequeuer of our cycle came */
		if (e == (ec ^ q->safe)) {
			/* Empty but unsafe: usable only while our dequeuer
			 * is still to come. seq_cst: compared with the
			 * ticket order (see the memory-order note). */
			uint64_t h =
				__atomic_load_n(&s->head, __ATOMIC_SEQ_CST);
			if ((int64_t)(h - t) > 0)
				return false;
		} else if (e != ec) {
			return false; /* an older value is still here */
		}
	}
}

static void
scq_enqueue(const struct scqd *q, struct scq *s, uint64_t *ent, uint64_t idx)
{
	uint64_t t;

	/* seq_cst: the ticket order is what dequeuers compare head and tail
	 * against (see the memory-order note above). */
	do
		t = __atomic_fetch_add(&s->tail, 1, __ATOMIC_SEQ_CST);
	while (!fill(q, s, entry_of(q, ent, t), t, idx));
	/* seq_cst, as in the paper: the reset is ordered after the entry
	 * CAS for the dequeuers that count failures against it. */
	if (__atomic_load_n(&s->threshold, __ATOMIC_SEQ_CST) != q->thr_max)
		__atomic_store_n(&s->threshold, q->thr_max, __ATOMIC_SEQ_CST);
}

/* A dequeuer that overtook tail moves it up to head (SCQ's catchup). */
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

/* An enqueuer holds ticket h but has not filled its entry yet. */
static inline bool
enqueuer_due(struct scq *s, uint64_t h)
{
	/* seq_cst: compared with head's ticket order. */
	return (int64_t)(__atomic_load_n(&s->tail, __ATOMIC_SEQ_CST) - h) > 0;
}

/*
 * settle takes the index in ticket h's entry *p, or, when the entry has
 * none for cycle(h), leaves it such that no enqueuer fills it for
 * cycle(h) any more; it returns the index, or -1.
 */
static int64_t
settle(const struct scqd *q, struct scq *s, uint64_t *p, uint64_t h)
{
	uint64_t hc = cycle_tag(q, h);
	/* Acquire pairs with the enqueuer's release CAS: the index and
	 * data[index] it published. */
	uint64_t e = __atomic_load_n(p, __ATOMIC_ACQUIRE), ne;
	unsigned spins = 0;

	for (;;) {
		uint64_t ec = e | q->low;

		if (ec == hc) {
			/* Ours. Relaxed: the acquire load took the index;
			 * this only marks the entry consumed, and the
			 * entry's next writer (a later cycle's enqueuer)
			 * needs nothing from us but the entry itself. */
			__atomic_fetch_or(p, q->emask, __ATOMIC_RELAXED);
			return (int64_t)(e & q->emask);
		}
		if (!before(ec, hc))
			return -1; /* we are a whole cycle late */
		if ((e | q->safe) != ec) {
			/* An older cycle's value whose dequeuer is not done:
			 * leave it, but clear the safe bit. */
			ne = e & ~q->safe;
			if (ne == e)
				return -1;
		} else {
			/* Empty, older cycle. An enqueuer holding ticket h
			 * is about to fill it: give it a bounded number of
			 * tries, then close the entry for this cycle (that
			 * enqueuer then takes another ticket). */
			if (spins == 0 && !enqueuer_due(s, h))
				spins = RING_SPIN;
			if (spins < RING_SPIN) {
				spins++;
				goc_arch_pause();
				e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
				continue;
			}
			ne = hc ^ (~e & q->safe); /* cycle(h), safe kept */
		}
		/* acq_rel: release so that an enqueuer that reads the
		 * unsafe mark also sees our head ticket (fill());
		 * acquire on failure because the retry may take an index
		 * from the new value. */
		if (__atomic_compare_exchange_n(p, &e, ne, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return -1;
	}
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
		int64_t idx = settle(q, s, entry_of(q, ent, h), h);

		if (idx >= 0)
			return idx;
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
	if (ent > (SIZE_MAX - data - round_line(sizeof(struct scqd))) / 2)
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

int
goc_ring_init(goc_ring_t *r, size_t capacity)
{
	struct scqd *q;
	size_t size, ent_bytes;
	unsigned order;

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
	spread_init(&q->emap, order + 1, log2_exact(RING_GROUP),
		    log2_exact(ENTRIES_PER_LINE));
	spread_init(&q->dmap, order, 0, log2_exact(DATA_PER_LINE));

	/* aq: empty, every entry "empty, safe, cycle -1" (all ones). */
	memset(q->aq_ent, 0xff, 2 * capacity * sizeof(uint64_t));
	q->aq.threshold = -1;

	/* fq: tickets 0..n-1 hold every index in cycle 0; the other
	 * entries are empty. */
	memset(q->fq_ent, 0xff, 2 * capacity * sizeof(uint64_t));
	for (uint64_t t = 0; t < capacity; t++)
		*entry_of(q, q->fq_ent, t) =
			cycle_tag(q, t) ^ q->emask ^ spread_apply(&q->dmap, t);
	q->fq.tail = capacity;
	q->fq.threshold = q->thr_max;

	/* Plain stores: the ring reaches other threads through whatever
	 * publishes r to them (see ring.h). */
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
	/* Relaxed: a snapshot for monitoring (ring.h says so). A pop or
	 * push between the two loads makes it off by one either way; the
	 * result is clamped to [0, cap]. */
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
