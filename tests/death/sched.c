/* SPDX-License-Identifier: BSD-2-Clause */
/* Deadlock detection (Go's checkdead), in a re-executed process. */
#include <goconc.h>

#include "../harness.h"
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
