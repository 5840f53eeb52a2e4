/* SPDX-License-Identifier: BSD-2-Clause */
/* goc_ring_init's panics on a capacity out of range, through <goconc.h>. */
#include <stdint.h>
#include <stdio.h>

#include <goconc.h>

#include "../harness.h"

static goc_ring_t r;

static void
cap_zero(void)
{
	goc_ring_init(&r, 0);
}

static void
cap_three(void)
{
	goc_ring_init(&r, 3);
}

static void
cap_not_pow2_large(void)
{
	goc_ring_init(&r, ((size_t)1 << 29) + 1);
}

static void
cap_too_large(void)
{
	goc_ring_init(&r, ((size_t)1 << 30) * 2);
}

static void
cap_max(void)
{
	goc_ring_init(&r, SIZE_MAX);
}

GOC_TEST(init_panics)
{
	expect_panic(cap_zero, "goc_ring_init: capacity is 0 (want a power "
			       "of two from 1 to 2^30)");
	expect_panic(cap_three, "goc_ring_init: capacity 3 is not a power of "
				"two");
	expect_panic(cap_not_pow2_large, "goc_ring_init: capacity 536870913 "
					 "is not a power of two");
	expect_panic(cap_too_large, "goc_ring_init: capacity 2147483648 out "
				    "of range (want a power of two from 1 to "
				    "2^30)");
	char want[128];
	snprintf(want, sizeof(want),
		 "goc_ring_init: capacity %zu out of range (want a power of "
		 "two from 1 to 2^30)",
		 (size_t)SIZE_MAX);
	expect_panic(cap_max, want);
}

/* The largest and smallest capacities are accepted. */
GOC_TEST(init_bounds_accepted)
{
	goc_ring_t one;
	expect_int_eq(goc_ring_init(&one, 1), 0);
	expect_uint_eq(goc_ring_cap(&one), 1);
	goc_ring_destroy(&one);
}
