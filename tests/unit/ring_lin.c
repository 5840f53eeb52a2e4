/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linearizability of goc_ring_t. First the checker itself (stress/
 * lincheck.c) on hand-made histories: it accepts linearizable ones and
 * rejects non-linearizable ones (so it can fail), including the one
 * history shape only the documented slots model allows. Then short rounds
 * of real threads on small rings, every history checked.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "../harness.h"
#include "../../stress/ring_lin.h"

/* Hand-made operations: push/pop with [inv, res] times. */
#define PUSH(v, ok, a, b)               \
	{                               \
		LC_PUSH, ok, v, a, b, 0 \
	}
#define POP(v, a, b)                     \
	{                                \
		LC_POP, true, v, a, b, 0 \
	}
#define POP_EMPTY(a, b)                   \
	{                                 \
		LC_POP, false, 0, a, b, 0 \
	}

static enum lc_result
check(const struct lc_op *ops, int n, size_t cap, enum lc_model m)
{
	return lc_check(ops, n, cap, m, NULL);
}

#define CHECK_BOTH(ops, cap, want)                                            \
	do {                                                                  \
		int n_ = (int)GOC_ARRAY_SIZE(ops);                            \
		expect_str_eq(lc_result_name(check(ops, n_, cap, LC_STRICT)), \
			      lc_result_name(want));                          \
		expect_str_eq(lc_result_name(check(ops, n_, cap, LC_SLOTS)),  \
			      lc_result_name(want));                          \
	} while (0)

GOC_TEST(checker_accepts_sequential)
{
	const struct lc_op h[] = {
		PUSH(1, true, 1, 2),   PUSH(2, true, 3, 4),
		PUSH(3, false, 5, 6),  POP(1, 7, 8),
		POP(2, 9, 10),         POP_EMPTY(11, 12),
		PUSH(4, true, 13, 14), POP(4, 15, 16),
	};
	CHECK_BOTH(h, 2, LC_LINEARIZABLE);
}

GOC_TEST(checker_accepts_overlap_reordering)
{
	/* push 1 overlaps everything, so it may take effect first. */
	const struct lc_op h[] = {
		PUSH(1, true, 1, 20),
		PUSH(2, true, 2, 3),
		POP(1, 4, 5),
		POP(2, 6, 7),
	};
	CHECK_BOTH(h, 2, LC_LINEARIZABLE);
	/* A pop overlapping a push may see it or not. */
	const struct lc_op h2[] = {
		POP_EMPTY(1, 4),
		PUSH(7, true, 2, 3),
		POP(7, 5, 6),
	};
	CHECK_BOTH(h2, 1, LC_LINEARIZABLE);
}

GOC_TEST(checker_rejects_fifo_violation)
{
	const struct lc_op h[] = {
		PUSH(1, true, 1, 2),
		PUSH(2, true, 3, 4),
		POP(2, 5, 6),
	};
	CHECK_BOTH(h, 4, LC_NOT_LINEARIZABLE);
}

GOC_TEST(checker_rejects_lost_and_duplicated_values)
{
	const struct lc_op empty_with_value[] = {
		PUSH(1, true, 1, 2),
		POP_EMPTY(3, 4),
	};
	CHECK_BOTH(empty_with_value, 2, LC_NOT_LINEARIZABLE);
	const struct lc_op twice[] = {
		PUSH(1, true, 1, 2),
		POP(1, 3, 4),
		POP(1, 5, 6),
	};
	CHECK_BOTH(twice, 2, LC_NOT_LINEARIZABLE);
	const struct lc_op invented[] = {
		PUSH(1, true, 1, 2),
		POP(9, 3, 4),
	};
	CHECK_BOTH(invented, 2, LC_NOT_LINEARIZABLE);
	const struct lc_op from_failed_push[] = {
		PUSH(1, true, 1, 2),
		PUSH(2, false, 3, 4),
		POP(1, 5, 6),
		POP(2, 7, 8),
	};
	CHECK_BOTH(from_failed_push, 1, LC_NOT_LINEARIZABLE);
}

GOC_TEST(checker_rejects_false_full)
{
	/* Nothing in progress, one value in a ring of two: not full. */
	const struct lc_op h[] = {
		PUSH(1, true, 1, 2),
		PUSH(2, false, 3, 4),
	};
	CHECK_BOTH(h, 2, LC_NOT_LINEARIZABLE);
	/* A concurrent pop that already returned holds no slot. */
	const struct lc_op h2[] = {
		PUSH(1, true, 1, 2),
		PUSH(2, true, 3, 4),
		POP(1, 5, 6),
		PUSH(3, false, 7, 8),
	};
	CHECK_BOTH(h2, 2, LC_NOT_LINEARIZABLE);
}

GOC_TEST(checker_slots_model)
{
	/*
	 * Full ring of two (a, b). Pop 1 takes a and stalls until 100; pop
	 * 2 takes b; push c succeeds; push d finds no free slot, since pop
	 * 1 still holds a's. No sequential FIFO explains "full" with only
	 * c inside, but the slots model does.
	 */
	const struct lc_op h[] = {
		PUSH(1, true, 1, 2),   PUSH(2, true, 3, 4),
		POP(1, 10, 100),       POP(2, 20, 30),
		PUSH(3, true, 40, 50), PUSH(4, false, 60, 70),
	};
	int n = (int)GOC_ARRAY_SIZE(h);
	expect_str_eq(lc_result_name(check(h, n, 2, LC_STRICT)),
		      lc_result_name(LC_NOT_LINEARIZABLE));
	expect_str_eq(lc_result_name(check(h, n, 2, LC_SLOTS)),
		      lc_result_name(LC_LINEARIZABLE));
	/* Had pop 1 returned before push d, nothing would hold a slot. */
	struct lc_op h2[GOC_ARRAY_SIZE(h)];
	memcpy(h2, h, sizeof(h));
	h2[2].res = 55;
	expect_str_eq(lc_result_name(check(h2, n, 2, LC_SLOTS)),
		      lc_result_name(LC_NOT_LINEARIZABLE));
}

GOC_TEST(checker_malformed)
{
	const struct lc_op backwards[] = {PUSH(1, true, 2, 1)};
	expect_int_eq(check(backwards, 1, 1, LC_STRICT), LC_MALFORMED);
	const struct lc_op dup[] = {PUSH(1, true, 1, 2), PUSH(1, true, 3, 4)};
	expect_int_eq(check(dup, 2, 2, LC_STRICT), LC_MALFORMED);
	expect_int_eq(check(dup, 2, LC_MAX_CAP + 1, LC_STRICT), LC_MALFORMED);
}

/* Everything concurrent: the memo keeps the search small. */
GOC_TEST(checker_wide_overlap)
{
	struct lc_op h[16];
	int n = 0;
	long states;

	/* 8 pushes and 8 pops, all overlapping; the pops return the values
	 * in reverse: still linearizable (push order is free). */
	for (int i = 0; i < 8; i++)
		h[n++] = (struct lc_op){LC_PUSH,
					true,
					(uint64_t)i + 1,
					(uint64_t)i + 1,
					1000 + (uint64_t)i,
					0};
	for (int i = 0; i < 8; i++)
		h[n++] = (struct lc_op){LC_POP,
					true,
					8 - (uint64_t)i,
					100 + (uint64_t)i,
					2000 + (uint64_t)i,
					1};
	expect_int_eq(lc_check(h, n, 4, LC_STRICT, &states), LC_LINEARIZABLE);
	goc_test_note("%ld states to accept", states);
	/* One pop returns a value nobody pushed: every interleaving must
	 * be refuted (about 30000 states with the memo). */
	h[15].value = 99;
	expect_int_eq(lc_check(h, n, 4, LC_STRICT, &states),
		      LC_NOT_LINEARIZABLE);
	goc_test_note("%ld states to reject", states);
}

/* ---- real threads --------------------------------------------------- */

static void
rounds(int threads, int ops, size_t cap, bool one_cpu, long count)
{
	struct rl_config c = {threads, ops, cap, one_cpu, NULL};
	struct rl_runner rn = {0};
	struct rl_stats st = {0};

	rl_start(&rn, &c);
	for (long i = 0; i < goc_test_scaled(count) && st.failures < 3; i++)
		rl_round(&rn, &st);
	rl_stop(&rn);
	expect_int_eq(st.failures, 0);
	goc_test_note("%d threads x %d ops, cap %zu%s: %ld rounds, %ld only "
		      "under the slots model, at most %ld states",
		      threads, ops, cap, one_cpu ? ", one CPU" : "", st.rounds,
		      st.slots_only, st.max_states);
}

GOC_TEST(ring_histories)
{
	rounds(3, 6, 1, false, 1500);
	rounds(4, 6, 2, false, 1500);
	rounds(4, 8, 4, false, 1000);
	rounds(8, 6, 2, false, 500);
}

GOC_TEST(ring_histories_one_cpu)
{
#ifndef HAVE_PTHREAD_SETAFFINITY_NP
	goc_test_skip("no pthread_setaffinity_np");
#endif
	rounds(3, 6, 1, true, 1000);
	rounds(4, 6, 2, true, 1000);
}
