/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_ring_t: a bounded multi-producer multi-consumer ring of pointers,
 * lock-free in the strict sense (a thread stopped anywhere inside an
 * operation never keeps the others from completing theirs).
 *
 * Algorithm: SCQ, R. Nikolaev, "A Scalable, Portable, and Memory-Efficient
 * Lock-Free FIFO Queue", DISC 2019 (arXiv 1908.04511). Tickets come from
 * head (dequeue) and tail (enqueue); ticket t names entry map(t mod 2n) in
 * cycle t / 2n of a ring of 2n entries that holds at most n values:
 *  - an enqueuer with ticket t fills an empty entry of an older cycle, if
 *    the entry is safe or no dequeuer has taken ticket t yet (head <= t);
 *    otherwise it takes a new ticket;
 *  - a dequeuer with ticket h takes an entry of cycle(h) (marking it
 *    empty); finding an empty entry of an older cycle it moves the entry
 *    to cycle(h), so the late enqueuer of ticket h fails and retries;
 *    finding an older cycle's value it clears the safe bit, so that no
 *    enqueuer of a later cycle fills the entry once that value is gone,
 *    unless head shows that its dequeuer is still to come.
 * Nobody waits for anybody: a dequeuer that finds its entry not yet
 * filled spins a bounded number of times, then moves on.
 *
 * Two forms, chosen at compile time:
 *  - SCQP where the host has a double-width CAS (x86_64 cmpxchg16b,
 *    aarch64 CASP or LDAXP/STLXP): one ring of 2n entries that are
 *    {tag, pointer} pairs, SCQ's cycles and layout with the tickets
 *    replaced by positions that a push claims and fills in one
 *    double-width CAS of its entry (tail is only where pushes start
 *    looking), and a pop takes in one double-width CAS and one CAS of
 *    head: 3 locked read-modify-writes per item moved, nobody ever waits
 *    for a late push, and "full" and "empty" are exact (see its
 *    section).
 *  - SCQD elsewhere (riscv64, or -DGOC_RING_SCQD): SCQ as described
 *    above, two rings of 64-bit indices over an array of n data slots,
 *    the free ring (fq) starting with every index, the allocated ring
 *    (aq) empty;
 *      push(v): i = fq.dequeue() (none: full); data[i] = v; aq.enqueue(i)
 *      pop():   i = aq.dequeue() (none: empty); v = data[i]; fq.enqueue(i)
 *    (8 locked read-modify-writes per item moved). The paragraphs below
 *    are about SCQD; SCQP's section says where it differs.
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
 * Layout. head, threshold and tail sit on lines of their own
 * (GOC_CACHELINE). map() keeps runs of RING_GROUP consecutive tickets in
 * one 64-byte hardware line and puts consecutive runs a padding unit
 * apart (SCQ's remap, which with runs of 1 spreads every ticket), so that
 * one producer and one consumer move a line per run of items while
 * neighbouring tickets of concurrent threads still land on different
 * lines in groups.
 *
 * (SCQP keeps head on a line of its own and tail on another, with the
 * hints of its section.)
 *
 * Capacity is a power of two from 1 to 2^30; a ring of capacity n takes
 * 32n bytes (SCQP: 2n 16-byte entries) or 40n bytes (SCQD: 2 x 2n
 * entries, n data slots) plus a few lines.
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

/* A dequeue spins this many times for an enqueuer that holds its ticket. */
#define RING_SPIN 64

#define CAP_MAX ((size_t)1 << 30)

/* SCQP where a double-width CAS exists (lf/ring.h). */
#define RING_CAS2 GOC__RING_CAS2

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

static inline bool
before(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) < 0;
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

void *(*goc__ring_alloc_hook)(size_t align, size_t size);

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

#if RING_CAS2
/*
 * SCQP: one ring of 2n cells, each a {tag, pointer} pair changed as a
 * whole by a double-width CAS (cas2). Position p (a 64-bit count: the
 * p-th value ever pushed) uses cell map(p mod 2n); a cell's tag is
 * cycle_tag(x) of the last position x that used it, with the empty bit
 * set unless it holds x's value. A push claims and fills position p in
 * one cas2, from "resolved, p - 2n, NULL" to "p, v"; a pop takes it in
 * one cas2, to "resolved, p, NULL". Nobody holds a position it has not
 * filled, so no operation waits for another and none gives a position
 * up (unlike SCQ, whose enqueuers take a ticket first and fill it later,
 * so that dequeuers must wait for them or close the entry).
 *
 * head is exact, and CASed by pops: the first position not resolved
 * (taken), or the one before it while the pop that took that one has yet
 * to move head (anyone who finds head's position resolved helps head
 * past it). tail is only a hint, stored by pushes: at most the first
 * position not filled. A push starts at tail and steps over the
 * positions it finds used.
 *
 * Invariants (n is the capacity):
 *  - head only grows; a cell's tag only grows.
 *  - Positions are filled in order: a push fills p only after it found
 *    p - 1 used (its cas2 failed on it, or it read p - 1's tag) or read
 *    tail = p, which a push stores (release) after filling p - 1. Pops
 *    take them in order the same way (head). So the positions filled so
 *    far are [0, F) and the ones resolved [0, R), with head = R or
 *    R - 1, and R <= F.
 *  - F - R <= n: a push fills p only after reading a lower bound h of R
 *    (head_hint, head_pub or head) with p - h < n (room()). So position
 *    p - 2n, the cell's previous user, is resolved before p is filled: a
 *    push finds its cell "resolved, p - 2n, NULL" unless another push
 *    filled p first (then it steps on).
 *  - Hence "full" is exact: room() reports it when [head, p) holds n
 *    filled positions not resolved (it helps head past a resolved one
 *    first, and reads head only after the hints said full), that is n
 *    values. And "empty" is exact: a pop that finds
 *    head's cell not filled for head sees every position below taken and
 *    none from head on filled.
 *  - The pointer of a full cell was written by the cas2 that wrote its
 *    tag and stays until the cas2 that takes it (writing NULL).
 *
 * Linearization: a successful push or pop at its cas2; a full push at its
 * last read of head, an empty pop at its read of head's cell.
 *
 * Lock-freedom: an operation loops only when a cas2 or CAS failed, or a
 * cell showed a used or resolved position, because another operation
 * filled, took or helped on in between.
 *
 * Hints. Besides head and the cells, which decide everything above, seven
 * words only steer where an operation looks first and what it fetches
 * early; any value in them is safe:
 *  - tail (pushes' line): see above; a stale value costs steps;
 *  - head_hint (pushes' line): a lower bound of R that a push read;
 *  - head_pub (a line of its own): pops store p + 1 after taking p when
 *    p + 1 ends a run of RING_GROUP positions, once per line of values;
 *  - full_at (pushes' line): head_pub when a push last found the ring
 *    full;
 *  - tail_hint (a line of its own): pushes store p + 1 after filling p
 *    when p + 1 ends a run of RING_GROUP positions (one 64-byte line of
 *    cells), so it moves once per line of values;
 *  - tail_seen (pops' line): the last tail_hint a pop read;
 *  - empty_at (pops' line): tail_seen when a pop last found the ring
 *    empty.
 * A pop reads tail_hint only when head has caught up with tail_seen, and
 * when that still says the ring is empty and head's cell is not filled
 * either, it waits up to RING_EMPTY_WAIT pause hints for tail_hint to
 * move before it reads the cell again to decide, unless tail_hint has
 * not moved since a pop last found the ring empty (the pushes are idle,
 * or share the CPU with us: waiting would only delay the answer).
 * Pushes do the same the other way round: one that finds the ring full
 * by head_hint reads head_pub, and when that says full too it waits up
 * to RING_FULL_WAIT pause hints for head_pub to move (unless it has not
 * moved since a push last found the ring full) before it reads head and
 * its cell to decide. At the start of each run both sides fetch for writing the
 * line of cells RING_AHEAD positions on, so that it is theirs before their cas2
 * needs it: a push always (F - R <= n, so their previous positions lie at least
 * n - RING_AHEAD - RING_GROUP below R: the pops are done with them), a pop only
 * when tail_seen shows them filled (the pushes are done).
 *
 * Why (docs/bench.md, Ring1P1C): a cas2 or CAS is a locked instruction,
 * which waits for every earlier store to reach the cache and for its own
 * line to be held exclusively. A push is one of them, a pop two (cas2,
 * CAS of head). When a consumer that found the ring empty reads the cell
 * the producer is filling on every retry, each of the producer's next
 * cas2s waits for the line to come back (a cross-core transfer, 50-300 ns
 * on the machines measured), the producer slows down, and the ring stays
 * nearly empty; a producer that found it full and reads head on every
 * retry does the same to the consumer's CAS of head. Polling tail_hint
 * or head_pub, which the other side writes once per line with a plain
 * store, costs that side at most one such wait per RING_GROUP items;
 * fetching cells ahead takes the remaining transfers off the locked
 * instructions' path without taking a line the other side is about to
 * use.
 *
 * Memory order. cas2 is __sync_val_compare_and_swap on 16 bytes, a full
 * barrier: on x86_64 `lock cmpxchg16b`, on aarch64 CASPAL (LSE),
 * LDAXP/STLXP, or libgcc's __aarch64_cas16_sync choosing one of those at
 * run time. The push's cas2 is the release that publishes the pointer
 * and what the pusher wrote before; the pop's successful cas2 is the
 * acquire that takes them. The plain loads of a cell's halves before a
 * cas2 are relaxed guesses: only a cas2 that succeeded with them as its
 * expected value decides anything; the tag reads that decide empty (pop)
 * or full (room()) are seq_cst, as are head's loads and CASes: those
 * decisions compare head and a cell. tail is stored with release and
 * loaded with acquire, and a push stepping on reads tags with acquire
 * (filling in order, above); so is head_pub (a push that relies on it
 * finds p - 2n resolved). The other hints are relaxed (see "Hints"), and
 * a prefetch orders nothing.
 */

/* Cells per 64-byte hardware line: the run of positions kept together. */
#define RING_GROUP 4

/* A pop that finds the ring empty by tail_hint and head's cell waits up
 * to this many pause hints for tail_hint to move, a push that finds it
 * full by head_pub as many for head_pub ("Hints"). */
#define RING_EMPTY_WAIT 8
#define RING_FULL_WAIT  8

/* Cells fetched ahead, in positions: a multiple of RING_GROUP, used only
 * when the capacity is at least twice as large ("Hints"). */
#define RING_AHEAD 64

/* Cells per padding unit. */
#define CELLS_PER_LINE (GOC_CACHELINE / sizeof(union cell))

#define TAG_EMPTY ((uint64_t)1)

#if defined(__x86_64__)
/* cmpxchg16b: every x86_64 CPU but the first AMD K8 steppings has it. */
#define RING_FN __attribute__((target("cx16")))
#else
#define RING_FN
#endif

typedef unsigned __int128 u128;

/* One cell: the tag in the low half (both hosts are little-endian). */
union cell {
	u128 v;
	struct {
		uint64_t tag;
		uint64_t ptr;
	} h;
} GOC_ALIGNED(16);

_Static_assert(sizeof(union cell) == 16, "a cell is 16 bytes");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "union cell puts the tag in the low half");

struct scqp {
	/* (immutable) written by goc_ring_init, read by every operation */
	union cell *cell;   /* 2n cells */
	uint64_t cap;       /* n */
	uint64_t low;       /* 4n - 1: the bits below the cycle */
	struct spread emap; /* position to cell */
	uint64_t ahead;     /* RING_AHEAD, or 0 for a small ring */

	/* (atomic) the first unresolved position, or the one before while
	 * its resolver has still to move it; CAS by pops and helpers */
	uint64_t head GOC_ALIGNED(GOC_CACHELINE);
	/* (atomic) the last tail_hint a pop read; written by pops */
	uint64_t tail_seen;
	/* (atomic) tail_seen when a pop last found the ring empty */
	uint64_t empty_at;
	/* (atomic) at most the first unfilled position: p + 1, stored by
	 * the push that filled p; where pushes start */
	uint64_t tail GOC_ALIGNED(GOC_CACHELINE);
	/* (atomic) a value head or head_pub had, at most the first
	 * unresolved position: pushes check fullness against it first. On
	 * the pushes' line: only pushes write it. */
	uint64_t head_hint;
	/* (atomic) head_pub when a push last found the ring full */
	uint64_t full_at;
	/* (atomic) p + 1 for a position p that was filled, stored when
	 * p + 1 is a multiple of RING_GROUP; what pops poll ("Hints") */
	uint64_t tail_hint GOC_ALIGNED(GOC_CACHELINE);
	/* (atomic) p + 1 for a position p that was taken, stored when
	 * p + 1 is a multiple of RING_GROUP; what pushes poll ("Hints") */
	uint64_t head_pub GOC_ALIGNED(GOC_CACHELINE);
};

static inline u128
mk(uint64_t tag, uint64_t ptr)
{
	return ((u128)ptr << 64) | tag;
}

static inline RING_FN u128
cas2(union cell *c, u128 expect, u128 desired)
{
	return __sync_val_compare_and_swap(&c->v, expect, desired);
}

/* guess reads a cell's halves, for a cas2's expected value. */
static inline u128
guess(union cell *c)
{
	/* Relaxed: a guess only; the cas2 that uses it checks it whole. */
	uint64_t tag = __atomic_load_n(&c->h.tag, __ATOMIC_RELAXED);
	uint64_t ptr = __atomic_load_n(&c->h.ptr, __ATOMIC_RELAXED);

	return mk(tag, ptr);
}

static inline union cell *
cell_of(const struct scqp *q, uint64_t pos)
{
	return &q->cell[spread_apply(&q->emap, pos)];
}

/* pos's cycle with every lower bit set (see SCQD's cycle_tag): the tag
 * of a resolved cell; a full one has TAG_EMPTY cleared. */
static inline uint64_t
cycle_tag(const struct scqp *q, uint64_t pos)
{
	return (pos << 1) | q->low;
}

/*
 * later_user is the position that last used cell(p), given its tag e (with
 * the low bits set) of a cycle later than p's: p is 2n or more behind, and
 * that position is within 2n of the first unfilled one.
 */
static inline uint64_t
later_user(const struct scqp *q, uint64_t e, uint64_t p)
{
	uint64_t w = 2 * q->cap - 1; /* the position's bits below the cycle */

	return ((e >> 1) & ~w) | (p & w);
}

/* tag_of reads a cell's tag for a decision (empty, full). */
static inline uint64_t
tag_of(union cell *c)
{
	/* seq_cst: compared with head, in one order with the cas2s that
	 * fill and take (see the invariants). */
	return __atomic_load_n(&c->h.tag, __ATOMIC_SEQ_CST);
}

/* advance moves head from h to h + 1 once position h is resolved (by us
 * or by whoever resolved it); nothing to do if someone else already did. */
static inline void
advance(struct scqp *q, uint64_t h)
{
	/* seq_cst: head against the cells' tags. */
	__atomic_compare_exchange_n(&q->head, &h, h + 1, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/*
 * room tells whether a push may fill position p: true only if p - R < n
 * for the first unresolved position R at some moment during the call (so
 * F - R <= n once p is filled), false when [R, p) holds n filled
 * positions (full: p is at most the first unfilled position). A push
 * checks the lower bounds of R it has or the pops publish plainly
 * (head_hint, head_pub) first, and reads head, the pops' CAS line, only
 * when those say full and head_pub does not move for a while ("Hints").
 */
static inline RING_FN bool
room(struct scqp *q, uint64_t p)
{
	int64_t n = (int64_t)q->cap;
	/* Relaxed: a lower bound of R we stored ourselves. */
	uint64_t h = __atomic_load_n(&q->head_hint, __ATOMIC_RELAXED);

	if ((int64_t)(p - h) < n)
		return true;
	/* Acquire: pairs with the pop's release, so that position p - 2n
	 * is resolved for our cas2 too. */
	h = __atomic_load_n(&q->head_pub, __ATOMIC_ACQUIRE);
	/* Relaxed: full_at is a hint. */
	if ((int64_t)(p - h) >= n &&
	    h != __atomic_load_n(&q->full_at, __ATOMIC_RELAXED))
		for (unsigned i = 0;
		     i < RING_FULL_WAIT && (int64_t)(p - h) >= n; i++) {
			goc_arch_pause();
			h = __atomic_load_n(&q->head_pub, __ATOMIC_ACQUIRE);
		}
	if ((int64_t)(p - h) >= n) {
		uint64_t hp = h;

		for (;;) {
			/* seq_cst: compared with head's cell below. */
			h = __atomic_load_n(&q->head, __ATOMIC_SEQ_CST);
			if ((int64_t)(p - h) < n)
				break;
			/* p - head >= n. Full unless position h is resolved
			 * and its pop has yet to move head: then help it. */
			uint64_t e = tag_of(cell_of(q, h));
			if (before(e | q->low, cycle_tag(q, h)) ||
			    e == (cycle_tag(q, h) ^ TAG_EMPTY)) {
				/* Relaxed: a hint ("Hints"). */
				__atomic_store_n(&q->full_at, hp,
						 __ATOMIC_RELAXED);
				return false; /* [head, p): n values */
			}
			advance(q, h);
		}
	}
	/* Relaxed: a lower bound of R, as above. */
	__atomic_store_n(&q->head_hint, h, __ATOMIC_RELAXED);
	return true;
}

static RING_FN bool
scqp_push(struct scqp *q, void *v)
{
	/* Acquire: pairs with the release below, so that the positions
	 * below it are filled for us too (filling in order). */
	uint64_t p = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);

	for (;;) {
		if (!room(q, p))
			return false;
		union cell *c = cell_of(q, p);
		uint64_t pc = cycle_tag(q, p);
		/* Free for p: as position p - 2n's pop left it. */
		u128 expect = mk(cycle_tag(q, p - 2 * q->cap), 0);

		if ((p & (RING_GROUP - 1)) == 0 && q->ahead != 0)
			__builtin_prefetch(cell_of(q, p + q->ahead), 1, 3);
		/* Full barrier: releases v and what the pusher wrote before
		 * to the pop whose cas2 takes it; on failure, the acquire
		 * of the fill (or take) that used p, before we step on. */
		u128 old = cas2(c, expect,
				mk(pc ^ TAG_EMPTY, (uint64_t)(uintptr_t)v));
		if (old == expect) {
			/* Release: whoever starts at p + 1 sees p filled. */
			__atomic_store_n(&q->tail, p + 1, __ATOMIC_RELEASE);
			/* Relaxed: a hint for pops ("Hints"). */
			if (((p + 1) & (RING_GROUP - 1)) == 0)
				__atomic_store_n(&q->tail_hint, p + 1,
						 __ATOMIC_RELAXED);
			return true;
		}
		uint64_t e = (uint64_t)old | q->low;
		if (e == pc) {
			/* Another push filled p: step on, over the positions
			 * whose cells show them used too (a tail stored late
			 * can be far behind). Acquire: those fills are then
			 * before ours (filling in order). */
			do
				p++;
			while ((__atomic_load_n(&cell_of(q, p)->h.tag,
						__ATOMIC_ACQUIRE) |
				q->low) == cycle_tag(q, p));
		} else if (!before(e, pc)) {
			/* A later cycle: p is 2n or more behind (we read tail
			 * long ago, or a late push stored an old value). Go
			 * to the position that used the cell last. */
			p = later_user(q, e, p);
		} else {
			/* An older cycle than p - 2n's, or its value: never,
			 * by room() and filling in order; start again. */
			p = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
		}
	}
}

/*
 * look_ahead is a pop's use of the hints before it works on position h
 * (cell c): when h has caught up with tail_seen it reads tail_hint, and
 * when that says the ring is empty and c is not filled either, it waits a
 * little for tail_hint to move (unless it has not moved since the last
 * pop that found the ring empty); then it fetches the cell q->ahead
 * positions on if tail_seen shows it filled. It decides nothing (see
 * "Hints").
 */
static inline void
look_ahead(struct scqp *q, uint64_t h, union cell *c)
{
	/* Relaxed, all of it: hints only. */
	uint64_t ts = __atomic_load_n(&q->tail_seen, __ATOMIC_RELAXED);

	if ((int64_t)(ts - (h + q->ahead)) <= 0) {
		ts = __atomic_load_n(&q->tail_hint, __ATOMIC_RELAXED);
		if ((int64_t)(ts - h) <= 0 &&
		    ts != __atomic_load_n(&q->empty_at, __ATOMIC_RELAXED) &&
		    __atomic_load_n(&c->h.tag, __ATOMIC_RELAXED) !=
			    (cycle_tag(q, h) ^ TAG_EMPTY))
			for (unsigned i = 0;
			     i < RING_EMPTY_WAIT && (int64_t)(ts - h) <= 0;
			     i++) {
				goc_arch_pause();
				ts = __atomic_load_n(&q->tail_hint,
						     __ATOMIC_RELAXED);
			}
		__atomic_store_n(&q->tail_seen, ts, __ATOMIC_RELAXED);
	}
	if ((h & (RING_GROUP - 1)) == 0 && q->ahead != 0 &&
	    (int64_t)(ts - (h + q->ahead)) > 0)
		__builtin_prefetch(cell_of(q, h + q->ahead), 1, 3);
}

static RING_FN bool
scqp_pop(struct scqp *q, void **v)
{
	for (;;) {
		/* seq_cst: head against the cells' tags. */
		uint64_t h = __atomic_load_n(&q->head, __ATOMIC_SEQ_CST);
		uint64_t hc = cycle_tag(q, h);
		union cell *c = cell_of(q, h);

		look_ahead(q, h, c);

		u128 cur = guess(c), old;

		for (;;) {
			uint64_t e = (uint64_t)cur;

			if (e == (hc ^ TAG_EMPTY)) {
				/* h's value. Full barrier: the acquire that
				 * takes it from the push's cas2. */
				old = cas2(c, cur, mk(hc, 0));
				if (old == cur) {
					*v = (void *)(uintptr_t)(cur >> 64);
					advance(q, h);
					/* Release: a push relying on it finds h
					 * resolved (room()). */
					if (((h + 1) & (RING_GROUP - 1)) == 0)
						__atomic_store_n(
							&q->head_pub, h + 1,
							__ATOMIC_RELEASE);
					return true;
				}
				cur = old; /* taken by another pop */
				continue;
			}
			if (!before(e | q->low, hc))
				break; /* resolved (or h is stale): help on */
			/* Not filled for h, by a guess: decide on the tag
			 * itself (empty: nothing from h on is filled). */
			e = tag_of(c);
			if (before(e | q->low, hc)) {
				/* Relaxed: hints only ("Hints"). */
				__atomic_store_n(
					&q->empty_at,
					__atomic_load_n(&q->tail_seen,
							__ATOMIC_RELAXED),
					__ATOMIC_RELAXED);
				return false;
			}
			cur = guess(c);
		}
		advance(q, h);
	}
}

static size_t
ring_footprint(size_t capacity)
{
	/* capacity <= 2^30: 32 * capacity overflows only a 32-bit size_t. */
	if (capacity > SIZE_MAX / 2 / sizeof(union cell))
		return 0;
	size_t cells = round_line(2 * capacity * sizeof(union cell));
	if (cells > SIZE_MAX - round_line(sizeof(struct scqp)))
		return 0;
	return round_line(sizeof(struct scqp)) + cells;
}

static void
ring_setup(void *mem, size_t capacity)
{
	struct scqp *q = mem;

	memset(q, 0, sizeof(*q));
	q->cell = (union cell *)((char *)q + round_line(sizeof(*q)));
	q->cap = capacity;
	q->low = 4 * capacity - 1;
	q->ahead = capacity >= 2 * RING_AHEAD ? RING_AHEAD : 0;
	spread_init(&q->emap, log2_exact(capacity) + 1, log2_exact(RING_GROUP),
		    log2_exact(CELLS_PER_LINE));
	/* Every cell "resolved, cycle -1, NULL": all ones, then 0. */
	for (uint64_t i = 0; i < 2 * capacity; i++) {
		q->cell[i].h.tag = ~(uint64_t)0;
		q->cell[i].h.ptr = 0;
	}
}

void
goc__ring_set_tail(goc_ring_t *r, uint64_t t)
{
	struct scqp *q = r->_impl;

	/* Release, as a push's store of tail. */
	__atomic_store_n(&q->tail, t, __ATOMIC_RELEASE);
}

bool
goc_ring_push(goc_ring_t *r, void *v)
{
	return scqp_push(r->_impl, v);
}

bool
goc_ring_pop(goc_ring_t *r, void **v)
{
	return scqp_pop(r->_impl, v);
}

size_t
goc_ring_len(const goc_ring_t *r)
{
	const struct scqp *q = r->_impl;
	/* Relaxed: a snapshot for monitoring (ring.h says so). tail, a
	 * lower bound, is moved on as a push would (at most one jump and 2n
	 * steps); the result is clamped to [0, cap]. */
	uint64_t h = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
	uint64_t t = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);

	for (uint64_t i = 0; i < 2 * q->cap + 1; i++) {
		uint64_t e = __atomic_load_n(&cell_of(q, t)->h.tag,
					     __ATOMIC_RELAXED) |
			     q->low;
		if (before(e, cycle_tag(q, t)))
			break;
		t = e == cycle_tag(q, t) ? t + 1 : later_user(q, e, t);
	}
	int64_t d = (int64_t)(t - h);

	if (d <= 0)
		return 0;
	return (uint64_t)d > q->cap ? (size_t)q->cap : (size_t)d;
}

#else /* !RING_CAS2: SCQD */

/* Consecutive tickets per run of entries: 64 bytes, one hardware line. */
#define RING_GROUP       8

/* Index entries and data pointers per padding unit. */
#define ENTRIES_PER_LINE (GOC_CACHELINE / sizeof(uint64_t))
#define DATA_PER_LINE    (GOC_CACHELINE / sizeof(void *))

_Static_assert((RING_GROUP & (RING_GROUP - 1)) == 0 &&
		       RING_GROUP <= ENTRIES_PER_LINE,
	       "RING_GROUP must be a power of two within one line");

/*
 * SCQD invariants (for each of aq and fq; n is the capacity):
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

static size_t
ring_footprint(size_t capacity)
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

static void
ring_setup(void *mem, size_t capacity)
{
	struct scqd *q = mem;
	size_t ent_bytes;
	unsigned order;

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

#endif /* RING_CAS2 */

size_t
goc__ring_footprint(size_t capacity)
{
	return ring_footprint(capacity);
}

int
goc_ring_init(goc_ring_t *r, size_t capacity)
{
	void *q;
	size_t size;

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

	ring_setup(q, capacity);

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

size_t
goc_ring_cap(const goc_ring_t *r)
{
	return r->_cap;
}
