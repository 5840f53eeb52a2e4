/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The context layer's fatal paths (src/internal/arch.h, src/rt/fiber.h):
 * an entry function that returns, and a fiber resumed after it exited.
 * Both are runtime bugs, so they throw ("fatal error: runtime: ...").
 */
#include "config.h"

#include <stdlib.h>

#include "../harness.h"
#include "internal/arch.h"
#include "rt/fiber.h"

#define STACK_SIZE (256 * 1024)

static struct goc_fiber main_fiber, co_fiber;

static void
returning_entry(void *arg)
{
	goc__fiber_entered(&co_fiber);
	(void)arg;
}

static void
entry_returns(void)
{
	void *stack = malloc(STACK_SIZE);

	goc__fiber_init_thread(&main_fiber);
	goc__fiber_make(&co_fiber, stack, STACK_SIZE, returning_entry, NULL);
	goc__fiber_switch(&main_fiber, &co_fiber);
}

static void
exiting_entry(void *arg)
{
	goc__fiber_entered(&co_fiber);
	(void)arg;
	goc__fiber_exit(&co_fiber, &main_fiber);
}

static void
resumed_after_exit(void)
{
	void *stack = malloc(STACK_SIZE);

	goc__fiber_init_thread(&main_fiber);
	goc__fiber_make(&co_fiber, stack, STACK_SIZE, exiting_entry, NULL);
	goc__fiber_switch(&main_fiber, &co_fiber);
	/* It exited; resuming it again is the bug. */
	goc__fiber_switch(&main_fiber, &co_fiber);
}

GOC_TEST(entry_returned)
{
	expect_fatal(entry_returns, "runtime: goroutine entry returned");
}

GOC_TEST(fiber_resumed_after_exit)
{
	expect_fatal(resumed_after_exit, "runtime: fiber resumed after exit");
}
