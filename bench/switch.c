/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The raw context switch (src/internal/arch.h) through the fiber wrapper
 * the scheduler uses, which adds nothing outside sanitizer builds.
 *
 * BenchmarkContextSwitch: two contexts ping-pong on one thread; one op is
 * one one-way switch (SPEC §6 target: 10 ns or less on x86_64). Go has no
 * twin: its nearest, Gosched between two goroutines, includes the
 * scheduler.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "bench.h"
#include "internal/arch.h"
#include "rt/fiber.h"

#define STACK_SIZE (64 * 1024)

struct pingpong {
	struct goc_fiber main, co;
	bool stop;
};

static void
pong(void *arg)
{
	struct pingpong *pp = arg;

	goc__fiber_entered(&pp->co);
	while (!pp->stop)
		goc__fiber_switch(&pp->co, &pp->main);
	goc__fiber_exit(&pp->co, &pp->main);
}

GOC_BENCH(ContextSwitch)
{
	struct pingpong pp = {.stop = false};
	void *stack = malloc(STACK_SIZE);

	if (stack == NULL)
		abort();
	goc__fiber_init_thread(&pp.main);
	goc__fiber_make(&pp.co, stack, STACK_SIZE, pong, &pp);
	/* The first switch starts the context; keep it out of the timing. */
	goc__fiber_switch(&pp.main, &pp.co);
	goc_bench_reset_timer(b);
	/* Each round trip is two ops. */
	for (long i = 0; i < b->n; i += 2)
		goc__fiber_switch(&pp.main, &pp.co);
	goc_bench_stop_timer(b);
	pp.stop = true;
	goc__fiber_switch(&pp.main, &pp.co);
	goc__fiber_destroy(&pp.co);
	free(stack);
}
