/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_ring_t torture: the exactly-once, per-producer FIFO and no-lost-slot
 * invariants of stress/ring_mpmc.h over random producer/consumer counts
 * (up to 8 + 8 threads on however few CPUs), capacities and value counts,
 * with random pauses and yields injected between operations, for
 * GOC_STRESS_SECONDS (1 s in make check; `make stress STRESS_SECONDS=N`).
 * Half the time goes to runs with every thread pinned to one CPU, where
 * threads are preempted in the middle of their operations.
 */
#include "config.h"

#include <time.h>

#include "../tests/harness.h"
#include "ring_mpmc.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
torture(double seconds, bool one_cpu)
{
	static const size_t caps[] = {1, 2, 4, 8, 64, 1024};
	static const unsigned delays[] = {0, 3, 15, 255};
	double end = now_s() + seconds;
	long runs = 0, values = 0;

	goc_test_set_timeout(seconds * 4 + 120);
	do {
		uint64_t r = goc_test_rand();
		struct rm_config c = {
			.np = 1 + (int)(r & 7),
			.nc = 1 + (int)((r >> 3) & 7),
			.cap = caps[(r >> 6) % GOC_ARRAY_SIZE(caps)],
			.one_cpu = one_cpu,
			.delay_mask = delays[(r >> 12) & 3],
		};
		long budget = goc_test_scaled(one_cpu ? 4000 : 20000);
		c.per_producer =
			1 + (long)((r >> 16) % (uint64_t)budget) / c.np;
		if (!rm_run(&c)) {
			goc_test_note("failing run: %dP%dC cap %zu, %ld values "
				      "each, delay mask %u%s",
				      c.np, c.nc, c.cap, c.per_producer,
				      c.delay_mask, one_cpu ? ", one CPU" : "");
			break;
		}
		runs++;
		values += c.np * c.per_producer;
	} while (now_s() < end);
	goc_test_note("%ld runs, %ld values%s", runs, values,
		      one_cpu ? " (one CPU)" : "");
}

GOC_TEST(mpmc_random)
{
	torture(goc_test_stress_seconds() / 2, false);
}

GOC_TEST(mpmc_random_one_cpu)
{
#ifndef HAVE_PTHREAD_SETAFFINITY_NP
	goc_test_skip("no pthread_setaffinity_np");
#endif
	torture(goc_test_stress_seconds() / 2, true);
}
