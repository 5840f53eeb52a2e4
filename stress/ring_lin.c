/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_ring_t linearizability, time-boxed: rounds of 2-8 threads doing a
 * few random pushes and pops on rings of capacity 1-8, each history
 * checked by lincheck.c (see ring_lin.h), for GOC_STRESS_SECONDS. Half
 * the time every thread is pinned to one CPU.
 */
#include "config.h"

#include <time.h>

#include "../tests/harness.h"
#include "ring_lin.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
histories(double seconds, bool one_cpu)
{
	static const struct {
		int threads, ops;
		size_t cap;
	} shapes[] = {
		{2, 10, 1}, {3, 6, 1}, {3, 8, 2}, {4, 6, 2},
		{4, 8, 4},  {6, 6, 2}, {8, 6, 1}, {8, 6, 8},
	};
	double end = now_s() + seconds;
	struct rl_stats total = {0};

	goc_test_set_timeout(seconds * 4 + 120);
	do {
		uint64_t r = goc_test_rand();
		int k = (int)(r % GOC_ARRAY_SIZE(shapes));
		struct rl_config c = {shapes[k].threads, shapes[k].ops,
				      shapes[k].cap, one_cpu};
		struct rl_runner rn = {0};
		struct rl_stats st = {0};
		double slice = now_s() + 0.05;

		rl_start(&rn, &c);
		do
			rl_round(&rn, &st);
		while (st.failures == 0 && now_s() < slice);
		rl_stop(&rn);
		total.rounds += st.rounds;
		total.slots_only += st.slots_only;
		total.failures += st.failures;
		if (st.max_states > total.max_states)
			total.max_states = st.max_states;
	} while (total.failures == 0 && now_s() < end);
	expect_int_eq(total.failures, 0);
	goc_test_note("%ld histories%s, %ld explained only by the slots "
		      "model, at most %ld states",
		      total.rounds, one_cpu ? " (one CPU)" : "",
		      total.slots_only, total.max_states);
}

GOC_TEST(histories)
{
	histories(goc_test_stress_seconds() / 2, false);
}

GOC_TEST(histories_one_cpu)
{
#ifndef HAVE_PTHREAD_SETAFFINITY_NP
	goc_test_skip("no pthread_setaffinity_np");
#endif
	histories(goc_test_stress_seconds() / 2, true);
}
