/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_atomic_value_t, after Go's TestValue, TestValueLarge,
 * TestValueConcurrent, TestValue_Swap and TestValue_CompareAndSwap.
 */
#include <pthread.h>

#include <goconc.h>

#include "../harness.h"

static const char tag_int[] = "int";

GOC_TEST(value_empty_then_store)
{
	goc_atomic_value_t v = {0};
	int a = 42, b = 43;

	expect_ptr_eq(goc_atomic_value_load(&v), NULL);
	goc_atomic_value_store(&v, tag_int, &a);
	expect_ptr_eq(goc_atomic_value_load(&v), &a);
	goc_atomic_value_store(&v, tag_int, &b);
	expect_ptr_eq(goc_atomic_value_load(&v), &b);
}

GOC_TEST(value_swap)
{
	goc_atomic_value_t v = {0};
	int a, b;

	expect_ptr_eq(goc_atomic_value_swap(&v, tag_int, &a), NULL);
	expect_ptr_eq(goc_atomic_value_swap(&v, tag_int, &b), &a);
	expect_ptr_eq(goc_atomic_value_load(&v), &b);
}

GOC_TEST(value_compare_and_swap)
{
	goc_atomic_value_t v = {0};
	int a, b, c;

	/* An empty Value compares equal to nil only. */
	expect_false(goc_atomic_value_cas(&v, tag_int, &a, &b));
	expect_true(goc_atomic_value_cas(&v, tag_int, NULL, &a));
	expect_false(goc_atomic_value_cas(&v, tag_int, NULL, &b));
	expect_false(goc_atomic_value_cas(&v, tag_int, &c, &b));
	expect_true(goc_atomic_value_cas(&v, tag_int, &a, &b));
	expect_ptr_eq(goc_atomic_value_load(&v), &b);
}

/* Many threads store and load; every load sees a value some store wrote. */
enum { NVALS = 8 };
static int vals[NVALS];
static goc_atomic_value_t shared;
static goc_atomic_uint64_t bad;

static void *
value_hammer(void *arg)
{
	long n = (long)(intptr_t)arg;
	for (long i = 0; i < n; i++) {
		goc_atomic_value_store(&shared, tag_int,
				       &vals[goc_test_rand() % NVALS]);
		int *p = goc_atomic_value_load(&shared);
		if (p == NULL || p < &vals[0] || p >= &vals[NVALS] ||
		    *p != (int)(p - vals) * 7)
			goc_atomic_uint64_add(&bad, 1);
	}
	return NULL;
}

GOC_TEST(value_concurrent)
{
	pthread_t t[4];
	long n = goc_test_scaled(100000);

	for (int i = 0; i < NVALS; i++)
		vals[i] = i * 7;
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, value_hammer, (void *)(intptr_t)n);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	expect_uint_eq(goc_atomic_uint64_load(&bad), 0);
}
