/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Typed atomics: every operation and order, Go's atomic tests in spirit
 * (after Go's TestSwapInt32, TestAddInt64, TestCompareAndSwapUint64 with
 * guard words around the value; TestHammer32/64; hammerStoreLoad's torn
 * read check), and the store-buffering and message-passing litmus tests.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <goconc/atomic.h>

#include "../harness.h"
#include "internal/arch.h"

#define MAGIC32 0xdedbeefu
#define MAGIC64 0xdeddeadbeefbeefull

/* Guard words around each value catch writes of the wrong width. */
struct g32 {
	uint32_t before;
	goc_atomic_uint32_t v;
	uint32_t after;
};
struct g64 {
	uint64_t before;
	goc_atomic_uint64_t v;
	uint64_t after;
};

GOC_TEST(ops_int32_with_guards)
{
	struct {
		uint32_t before;
		goc_atomic_int32_t v;
		uint32_t after;
	} x = {MAGIC32, GOC_ATOMIC_INIT(0), MAGIC32};

	/* Deltas 1, 2, 4, ... 2^30 (Go doubles until the int overflows,
	 * which C leaves undefined, so the bound is explicit). */
	for (uint32_t d = 1; d <= (1u << 30); d *= 2) {
		int32_t delta = (int32_t)d;
		int32_t old = goc_atomic_int32_load(&x.v);
		expect_int_eq(goc_atomic_int32_add(&x.v, delta), old + delta);
		expect_int_eq(goc_atomic_int32_swap(&x.v, delta), old + delta);
		expect_int_eq(goc_atomic_int32_load(&x.v), delta);
	}
	goc_atomic_int32_store(&x.v, -5);
	expect_int_eq(goc_atomic_int32_sub(&x.v, 3), -8);
	expect_true(goc_atomic_int32_cas(&x.v, -8, 17));
	expect_false(goc_atomic_int32_cas(&x.v, -8, 18));
	expect_int_eq(goc_atomic_int32_load_relaxed(&x.v), 17);
	/* Go 1.23 And/Or return the old value. */
	expect_int_eq(goc_atomic_int32_and(&x.v, 0x11), 17);
	expect_int_eq(goc_atomic_int32_load(&x.v), 17 & 0x11);
	expect_int_eq(goc_atomic_int32_or(&x.v, 0x100), 17 & 0x11);
	expect_int_eq(goc_atomic_int32_load(&x.v), (17 & 0x11) | 0x100);
	expect_uint_eq(x.before, MAGIC32);
	expect_uint_eq(x.after, MAGIC32);
}

GOC_TEST(ops_uint64_with_guards)
{
	struct g64 x = {MAGIC64, GOC_ATOMIC_INIT(0), MAGIC64};

	for (uint64_t delta = 1; delta + delta > delta; delta += delta) {
		uint64_t old = goc_atomic_uint64_load_acq(&x.v);
		expect_uint_eq(goc_atomic_uint64_add_acq_rel(&x.v, delta),
			       old + delta);
		expect_uint_eq(goc_atomic_uint64_swap_acq(&x.v, delta),
			       old + delta);
	}
	goc_atomic_uint64_store_rel(&x.v, 1ull << 40);
	expect_true(goc_atomic_uint64_cas_rel(&x.v, 1ull << 40, 3));
	expect_true(goc_atomic_uint64_cas_acq(&x.v, 3, 4));
	expect_true(goc_atomic_uint64_cas_acq_rel(&x.v, 4, 5));
	expect_true(goc_atomic_uint64_cas_relaxed(&x.v, 5, 6));
	expect_false(goc_atomic_uint64_cas(&x.v, 5, 7));
	/* Unsigned decrement wraps as Go's AddUint64(&x, ^uint64(0)). */
	goc_atomic_uint64_store_relaxed(&x.v, 0);
	expect_uint_eq(goc_atomic_uint64_add(&x.v, ~0ull), UINT64_MAX);
	expect_uint_eq(goc_atomic_uint64_or_relaxed(&x.v, 1), UINT64_MAX);
	expect_uint_eq(goc_atomic_uint64_and_rel(&x.v, 0xf0), UINT64_MAX);
	expect_uint_eq(goc_atomic_uint64_load(&x.v), 0xf0);
	expect_uint_eq(x.before, MAGIC64);
	expect_uint_eq(x.after, MAGIC64);
}

GOC_TEST(ops_other_types)
{
	struct g32 u = {MAGIC32, GOC_ATOMIC_INIT(7), MAGIC32};
	goc_atomic_int64_t i = GOC_ATOMIC_INIT(INT64_MIN);
	goc_atomic_uintptr_t up = GOC_ATOMIC_INIT(0);
	goc_atomic_bool_t b = GOC_ATOMIC_INIT(false);
	goc_atomic_ptr_t p = GOC_ATOMIC_INIT(NULL);
	int obj1, obj2;

	expect_uint_eq(goc_atomic_uint32_sub_relaxed(&u.v, 8), UINT32_MAX);
	expect_uint_eq(u.before, MAGIC32);
	expect_uint_eq(u.after, MAGIC32);
	expect_int_eq(goc_atomic_int64_add(&i, -1), INT64_MAX); /* wraps */
	expect_uint_eq(goc_atomic_uintptr_add(&up, 16), 16);
	expect_false(goc_atomic_bool_swap(&b, true));
	expect_true(goc_atomic_bool_load(&b));
	expect_false(goc_atomic_bool_cas(&b, false, true));
	expect_true(goc_atomic_bool_cas_acq_rel(&b, true, false));
	expect_ptr_eq(goc_atomic_ptr_swap(&p, &obj1), NULL);
	expect_true(goc_atomic_ptr_cas(&p, &obj1, &obj2));
	expect_false(goc_atomic_ptr_cas(&p, &obj1, NULL));
	expect_ptr_eq(goc_atomic_ptr_load_acq(&p), &obj2);
	goc_atomic_ptr_store_relaxed(&p, NULL);
	expect_ptr_eq(goc_atomic_ptr_load_relaxed(&p), NULL);
}

GOC_TEST(padding)
{
	struct two {
		GOC_PADDED(goc_atomic_uint64_t) head;
		GOC_PADDED(goc_atomic_uint64_t) tail;
	} t;

	expect_uint_eq(sizeof(t.head) % GOC_CACHELINE, 0);
	expect_uint_ge((uintptr_t)&t.tail - (uintptr_t)&t.head, GOC_CACHELINE);
	expect_uint_eq(((uintptr_t)&t.tail) % GOC_CACHELINE, 0);
	expect_uint_eq(_Alignof(goc_atomic_uint64_t), 8);
	expect_uint_eq(_Alignof(goc_atomic_int64_t), 8);
}

/* ---- Hammer: concurrent adds lose nothing (Go's TestHammer32/64). ---- */

struct hammer {
	goc_atomic_uint32_t u32;
	goc_atomic_uint64_t u64;
	goc_atomic_uint64_t cas64;
	long iters;
};

static void *
hammer_thread(void *arg)
{
	struct hammer *h = arg;
	for (long i = 0; i < h->iters; i++) {
		goc_atomic_uint32_add(&h->u32, 1);
		goc_atomic_uint64_add_relaxed(&h->u64, 1);
		for (;;) { /* a CAS loop increment, as Go's hammerCompareAndSwap
			    */
			uint64_t v = goc_atomic_uint64_load_relaxed(&h->cas64);
			if (goc_atomic_uint64_cas(&h->cas64, v, v + 1))
				break;
		}
	}
	return NULL;
}

GOC_TEST(hammer)
{
	enum { NT = 4 };
	struct hammer h = {.iters = goc_test_scaled(200000)};
	pthread_t t[NT];

	for (int i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, hammer_thread, &h);
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	expect_uint_eq(goc_atomic_uint32_load(&h.u32), NT * h.iters);
	expect_uint_eq(goc_atomic_uint64_load(&h.u64), NT * h.iters);
	expect_uint_eq(goc_atomic_uint64_load(&h.cas64), NT * h.iters);
}

/* ---- No torn 64-bit reads (Go's hammerStoreLoadUint64). ---- */

struct torn {
	goc_atomic_uint64_t v;
	goc_atomic_bool_t stop;
	goc_atomic_uint64_t bad;
};

static void *
torn_writer(void *arg)
{
	struct torn *t = arg;
	for (uint64_t i = 1; !goc_atomic_bool_load_relaxed(&t->stop); i++) {
		uint32_t half = (uint32_t)(i * 0x9e3779b9u);
		goc_atomic_uint64_store(&t->v, ((uint64_t)half << 32) | half);
	}
	return NULL;
}

GOC_TEST(no_torn_64bit_reads)
{
	struct torn t = {0};
	pthread_t w;

	pthread_create(&w, NULL, torn_writer, &t);
	long n = goc_test_scaled(2000000);
	for (long i = 0; i < n; i++) {
		uint64_t v = goc_atomic_uint64_load(&t.v);
		if ((uint32_t)v != (uint32_t)(v >> 32))
			goc_atomic_uint64_add(&t.bad, 1);
	}
	goc_atomic_bool_store(&t.stop, true);
	pthread_join(w, NULL);
	expect_uint_eq(goc_atomic_uint64_load(&t.bad), 0);
}

/* ---- Litmus tests. Two threads meet at a spinning barrier per round. --- */

struct litmus {
	goc_atomic_uint32_t gen; /* round number, bumped by the last arrival */
	goc_atomic_uint32_t arrive; /* arrivals so far */
	long rounds;
	int32_t data;
	goc_atomic_int32_t flag;
	long mp_bad;
};

static void
round_barrier(struct litmus *l, uint32_t round)
{
	/* Both threads arrive; the last one opens the next round. */
	if (goc_atomic_uint32_add(&l->arrive, 1) == 2 * (round + 1))
		goc_atomic_uint32_store(&l->gen, round + 1);
	while (goc_atomic_uint32_load(&l->gen) <= round)
		goc_arch_pause();
}

/*
 * Store buffering, litmus7 style: each round both threads sweep the same
 * array of independent (x, y) cells without synchronising, so they race on
 * many cells at once; a barrier separates rounds. Thread 0 does x = 1;
 * r0 = y, thread 1 does y = 1; r1 = x. Sequential consistency forbids
 * r0 == r1 == 0 in any cell.
 */
enum { SB_CELLS = 4096 };

struct sb {
	struct litmus l;
	int relaxed;
	goc_atomic_int32_t x[SB_CELLS], y[SB_CELLS];
	int32_t r0[SB_CELLS], r1[SB_CELLS];
	long both_zero;
};

static void
sb_run(struct sb *t, int me)
{
	goc_atomic_int32_t *mine = me ? t->y : t->x;
	goc_atomic_int32_t *other = me ? t->x : t->y;
	int32_t *res = me ? t->r1 : t->r0;

	for (uint32_t r = 0; r < (uint32_t)t->l.rounds; r++) {
		round_barrier(&t->l, 3 * r);
		if (t->relaxed) {
			for (int i = 0; i < SB_CELLS; i++) {
				goc_atomic_int32_store_relaxed(&mine[i], 1);
				res[i] = goc_atomic_int32_load_relaxed(
					&other[i]);
			}
		} else {
			for (int i = 0; i < SB_CELLS; i++) {
				goc_atomic_int32_store(&mine[i], 1);
				res[i] = goc_atomic_int32_load(&other[i]);
			}
		}
		round_barrier(&t->l, 3 * r + 1);
		/* Thread 0 tallies and resets while thread 1 waits. */
		if (me == 0) {
			for (int i = 0; i < SB_CELLS; i++) {
				t->both_zero += t->r0[i] == 0 && t->r1[i] == 0;
				goc_atomic_int32_store_relaxed(&t->x[i], 0);
				goc_atomic_int32_store_relaxed(&t->y[i], 0);
			}
		}
		round_barrier(&t->l, 3 * r + 2);
	}
}

static void *
sb_peer(void *arg)
{
	sb_run(arg, 1);
	return NULL;
}

static long
run_sb(int relaxed, long rounds)
{
	struct sb *t = calloc(1, sizeof(*t));
	pthread_t th;
	long n;

	t->relaxed = relaxed;
	t->l.rounds = rounds;
	pthread_create(&th, NULL, sb_peer, t);
	sb_run(t, 0);
	pthread_join(th, NULL);
	n = t->both_zero;
	free(t);
	return n;
}

GOC_TEST(litmus_store_buffering)
{
	long rounds = goc_test_scaled(200);
	const char *wrapper = getenv("GOC_TEST_WRAPPER");

	/*
	 * qemu-user on an x86 host translates aarch64's STLR followed by
	 * LDAR without the StoreLoad fence the architecture implies, so an
	 * emulated run shows r0 == r1 == 0 that real hardware forbids: the
	 * emulator, not the code, is below the model there (SPEC §10 "Weak
	 * memory"). Native runs, on every arch, assert it.
	 */
	if (wrapper != NULL && strstr(wrapper, "qemu") != NULL)
		goc_test_skip("seq_cst store buffering is not modelled by "
			      "qemu-user on this host");
	/* SB: seq_cst forbids r0 == r1 == 0 (Go's atomics are seq_cst). */
	expect_int_eq(run_sb(0, rounds), 0);
	/* Relaxed allows it, and x86's store buffer shows it when the two
	 * threads truly overlap: reported, never asserted, as it proves
	 * only that the test can see reordering where hardware does it. */
	goc_test_note("relaxed SB: r0 == r1 == 0 in %ld of %ld cells",
		      run_sb(1, rounds), rounds * SB_CELLS);
}

static void *
mp_consumer(void *arg)
{
	struct litmus *l = arg;
	for (uint32_t r = 0; r < (uint32_t)l->rounds; r++) {
		round_barrier(l, 2 * r);
		while (goc_atomic_int32_load_acq(&l->flag) != (int32_t)r + 1)
			goc_arch_pause();
		/* Plain read: the acquire above makes it race-free. */
		if (l->data != (int32_t)r * 3 + 1)
			l->mp_bad++;
		round_barrier(l, 2 * r + 1);
	}
	return NULL;
}

GOC_TEST(litmus_message_passing)
{
	struct litmus l = {.rounds = goc_test_scaled(100000)};
	pthread_t t;

	pthread_create(&t, NULL, mp_consumer, &l);
	for (uint32_t r = 0; r < (uint32_t)l.rounds; r++) {
		round_barrier(&l, 2 * r);
		l.data = (int32_t)r * 3 + 1; /* plain write, published below */
		goc_atomic_int32_store_rel(&l.flag, (int32_t)r + 1);
		round_barrier(&l, 2 * r + 1);
	}
	pthread_join(t, NULL);
	expect_int_eq(l.mp_bad, 0);
}
