/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_ring_t linearizability, time-boxed: rounds of 2-8 threads doing a
 * few random pushes and pops on rings of capacity 1-8, each history
 * checked by lincheck.c (see ring_lin.h), for GOC_STRESS_SECONDS. Half
 * the time every thread is pinned to one CPU.
 */
#include "config.h"

#include "../tests/harness.h"
#include "ring_lin.h"

GOC_TEST(histories)
{
	rl_histories(goc_test_stress_seconds() / 2, false, NULL);
}

GOC_TEST(histories_one_cpu)
{
#ifndef HAVE_PTHREAD_SETAFFINITY_NP
	goc_test_skip("no pthread_setaffinity_np");
#endif
	rl_histories(goc_test_stress_seconds() / 2, true, NULL);
}
