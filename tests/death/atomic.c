/* SPDX-License-Identifier: BSD-2-Clause */
/* goc_atomic_value_t panics, in Go's words (sync/atomic/value.go). */
#include <goconc.h>

#include "../harness.h"

static const char tag_a[] = "A", tag_b[] = "B";
static int x;

static void
store_nil(void)
{
	goc_atomic_value_t v = {0};
	goc_atomic_value_store(&v, tag_a, NULL);
}

static void
store_inconsistent(void)
{
	goc_atomic_value_t v = {0};
	goc_atomic_value_store(&v, tag_a, &x);
	goc_atomic_value_store(&v, tag_b, &x);
}

static void
swap_nil(void)
{
	goc_atomic_value_t v = {0};
	goc_atomic_value_swap(&v, tag_a, NULL);
}

static void
swap_inconsistent(void)
{
	goc_atomic_value_t v = {0};
	goc_atomic_value_swap(&v, tag_a, &x);
	goc_atomic_value_swap(&v, tag_b, &x);
}

static void
cas_nil(void)
{
	goc_atomic_value_t v = {0};
	goc_atomic_value_cas(&v, tag_a, NULL, NULL);
}

static void
cas_inconsistent(void)
{
	goc_atomic_value_t v = {0};
	goc_atomic_value_store(&v, tag_a, &x);
	goc_atomic_value_cas(&v, tag_b, &x, &x);
}

static void
plain_panic(void)
{
	goc_panic("boom");
}

static void
plain_fatal(void)
{
	goc_fatal("all goroutines are asleep - deadlock!");
}

GOC_TEST(value_panics)
{
	expect_panic(store_nil, "sync/atomic: store of nil value into Value");
	expect_panic(store_inconsistent, "sync/atomic: store of inconsistently "
					 "typed value into Value");
	expect_panic(swap_nil, "sync/atomic: swap of nil value into Value");
	expect_panic(swap_inconsistent, "sync/atomic: swap of inconsistently "
					"typed value into Value");
	expect_panic(cas_nil,
		     "sync/atomic: compare and swap of nil value into Value");
	expect_panic(cas_inconsistent, "sync/atomic: compare and swap of "
				       "inconsistently typed value into Value");
}

GOC_TEST(failure_layout)
{
	/* Go's layout: message, blank line, goroutine header. */
	expect_death(plain_panic, "panic: boom\n\ngoroutine 0 [running]:\n");
	expect_fatal(plain_fatal, "all goroutines are asleep - deadlock!\n\n");
}
