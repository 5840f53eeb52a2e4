/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Deadlock detection (Go's checkdead) and the stack overflow of a
 * goroutine started with goc_go, guard and canary, in a re-executed
 * process.
 */
#include <stdio.h>

#include <goconc.h>

#include "../harness.h"
#include "internal/compiler.h"
#include "sched/runtime2.h"

static void
forever(void *arg)
{
	(void)arg;
	goc__park(NULL, NULL, GOC_WAIT_TEST);
}

static int
deadlocked_main(void *arg)
{
	(void)arg;
	goc_go(forever, NULL);
	goc__park(NULL, NULL, GOC_WAIT_CHAN_RECEIVE);
	return 0;
}

static void
deadlock(void)
{
	goc_run(deadlocked_main, NULL);
}

static void
deadlock_layout(void)
{
	goc_run(deadlocked_main, NULL);
}

GOC_TEST(all_goroutines_asleep)
{
	expect_fatal(deadlock, "all goroutines are asleep - deadlock!");
	/* Go's layout: blank line, then every goroutine with its state. */
	expect_death(deadlock_layout, "deadlock!\n\n");
	expect_death(deadlock_layout, "[chan receive]:");
	expect_death(deadlock_layout, "[test]:");
}

static int
sleeping_main(void *arg)
{
	(void)arg;
	/* Not a deadlock: a timer will wake it. */
	goc_sleep(20 * GOC_MILLISECOND);
	return 5;
}

GOC_TEST(sleeping_is_not_deadlock)
{
	expect_int_eq(goc_run(sleeping_main, NULL), 5);
}

/* ---- stack overflow of a goroutine ------------------------------------ */

/* 0: dive until the guard stops it; else stop (and yield) below this. */
static volatile uintptr_t stop_below;

/*
 * Recursion with a 1 KiB frame that can be neither dropped nor turned
 * into a loop. Not instrumented by ASan, which could move buf to a fake
 * stack (detect_stack_use_after_return) instead of this one.
 */
static GOC_NOINLINE __attribute__((no_sanitize("address"))) int
dive(volatile char *prev, int depth)
{
	volatile char buf[1024];

	/* Every byte, as a real frame's locals would: a canary in the
	 * middle of an unwritten buffer would go unnoticed. */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)depth;
	buf[sizeof(buf) - 1] = prev != NULL ? prev[0] : 0;
	if (stop_below != 0 && (uintptr_t)buf < stop_below) {
		/* Past the end of the stack: the canary is gone. The switch
		 * away is where the scheduler looks. */
		goc_yield();
		return buf[0];
	}
	return dive(buf, depth + 1) + buf[sizeof(buf) - 1];
}

static void
diver(void *arg)
{
	bool canary = arg != NULL;
	struct goc_stack *s = &goc__getg()->stack;

	if (canary)
		/* A few KiB past lo: over the canary, within reach. */
		stop_below = (uintptr_t)s->lo - 4096;
	dive(NULL, 0);
}

static void
parked_forever(void *arg)
{
	(void)arg;
	goc__park(NULL, NULL, GOC_WAIT_TEST);
}

static int
overflow_main(void *arg)
{
	/* Other goroutines around, parked, so the diver is one of many. */
	for (int i = 0; i < 8; i++)
		goc_go(parked_forever, NULL);
	goc_go_opts_t o = {.name = "diver"};
	goc_go_opts(diver, arg, &o);
	goc_sleep(60 * GOC_SECOND);
	return 0;
}

static void
goroutine_overflow_guarded(void)
{
	goc_run(overflow_main, NULL);
}

static void
goroutine_overflow_canary(void)
{
	/* No guard budget: every stack gets a canary. */
	goc__stack_set_guard_budget(0);
	goc_run(overflow_main, (void *)1);
}

GOC_TEST(goroutine_stack_overflow_guarded)
{
	char limit[96];

	snprintf(limit, sizeof(limit),
		 "runtime: goroutine stack exceeds %zu-byte limit\n",
		 goc__stack_round_size(0));
	expect_fatal(goroutine_overflow_guarded, "stack overflow");
	expect_death(goroutine_overflow_guarded, limit);
	expect_death(goroutine_overflow_guarded, " (diver) stack [0x");
	expect_death(goroutine_overflow_guarded, "[running]:");
}

GOC_TEST(goroutine_stack_overflow_canary)
{
	char limit[96];

	snprintf(limit, sizeof(limit),
		 "runtime: goroutine stack exceeds %zu-byte limit\n",
		 goc__stack_round_size(0));
	expect_fatal(goroutine_overflow_canary, "stack overflow");
	expect_death(goroutine_overflow_canary, limit);
	expect_death(goroutine_overflow_canary, " (diver) stack [0x");
	/* The one-time notice came first. */
	expect_death(goroutine_overflow_canary, "get a canary instead");
}
