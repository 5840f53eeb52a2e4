/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pool and Map torture: rounds of random size (1-4 Ps, 2-12 goroutines,
 * 0-2 foreign threads, GOMAXPROCS changed mid-round) for
 * GOC_STRESS_SECONDS (1 s in make check; `make stress STRESS_SECONDS=N`),
 * with random yields and a goroutine running pool cycles throughout.
 * Invariants checked:
 *   - Pool: no object is handed to two getters at once; an object's data
 *     travels with it; no freed object is handed out; every object made
 *     is freed exactly once by the end (conservation);
 *   - Map: each worker's own keys agree with its private model after
 *     every operation (linearizable per key); a shared counter key moved
 *     only by compare_and_swap ends at the number of successful swaps;
 *     Range never shows a key twice in one pass.
 */
#include <pthread.h>
#include <stdlib.h>

#include <goconc.h>

#include "../tests/harness.h"

#define MAGIC_LIVE 0x600dU
#define MAGIC_DEAD 0xdeadU
#define OWN_KEYS   64
#define COUNTER    ((const void *)(intptr_t)-1)

struct obj {
	uint32_t magic;
	int inuse; /* (atomic) */
	long data; /* plain: travels with the object */
};

struct round {
	goc_pool_t pool;
	long made, freed; /* (atomic) */
	goc_map_t *map;
	long cas_ok; /* (atomic) successful increments of COUNTER */
	long bad;    /* (atomic) invariant violations */
	int stop;    /* (atomic) */
	int next_id; /* (atomic) */
	goc_wg_t wg;
	goc_wg_t swept;
	long iters;
};

static void *
obj_new(void *arg)
{
	struct round *r = arg;
	struct obj *o = calloc(1, sizeof(*o));

	if (o == NULL)
		abort();
	o->magic = MAGIC_LIVE;
	__atomic_add_fetch(&r->made, 1, __ATOMIC_SEQ_CST);
	return o;
}

static void
obj_free(void *x, void *arg)
{
	struct round *r = arg;
	struct obj *o = x;

	if (o->magic != MAGIC_LIVE ||
	    __atomic_load_n(&o->inuse, __ATOMIC_SEQ_CST) != 0)
		__atomic_add_fetch(&r->bad, 1, __ATOMIC_SEQ_CST);
	o->magic = MAGIC_DEAD;
	__atomic_add_fetch(&r->freed, 1, __ATOMIC_SEQ_CST);
	free(o);
}

static void
fail(struct round *r)
{
	__atomic_add_fetch(&r->bad, 1, __ATOMIC_SEQ_CST);
}

struct seen {
	unsigned char k[16 * OWN_KEYS];
	long dup;
};

static bool
range_fn(const void *key, void *val, void *arg)
{
	struct seen *s = arg;
	intptr_t k = (intptr_t)key;

	(void)val;
	if (k >= 0 && k < (intptr_t)sizeof(s->k) && s->k[k]++ != 0)
		s->dup++;
	return true;
}

static void
work(struct round *r, int id, uint64_t seed)
{
	bool present[OWN_KEYS] = {0};
	intptr_t val[OWN_KEYS] = {0};
	intptr_t base = (intptr_t)id * OWN_KEYS;
	uint64_t x = seed | 1;

	for (long i = 0; i < r->iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Pool: exclusive use, data intact. */
		struct obj *o = goc_pool_get(&r->pool);
		int exp = 0;
		if (o->magic != MAGIC_LIVE ||
		    !__atomic_compare_exchange_n(&o->inuse, &exp, 1, false,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST)) {
			fail(r);
			continue;
		}
		o->data = (long)x;
		if (x % 5 == 0)
			goc_yield();
		if (o->data != (long)x)
			fail(r);
		__atomic_store_n(&o->inuse, 0, __ATOMIC_SEQ_CST);
		goc_pool_put(&r->pool, o);
		/* Map: own keys against the model. */
		int k = (int)(x % OWN_KEYS);
		const void *key = (const void *)(base + k);
		void *v;
		switch ((x >> 16) % 5) {
		case 0:
			if (goc_map_store(r->map, key, (void *)(intptr_t)i) !=
			    0)
				fail(r);
			present[k] = true;
			val[k] = (intptr_t)i;
			break;
		case 1:
			if (goc_map_load(r->map, key, &v) != present[k] ||
			    (present[k] && (intptr_t)v != val[k]))
				fail(r);
			break;
		case 2:
			goc_map_delete(r->map, key);
			present[k] = false;
			break;
		case 3: {
			/* The shared counter: read, then CAS +1. */
			void *c = NULL;
			goc_map_load(r->map, COUNTER, &c);
			if (goc_map_compare_and_swap(
				    r->map, COUNTER, c,
				    (void *)((intptr_t)c + 1)) == 1)
				__atomic_add_fetch(&r->cas_ok, 1,
						   __ATOMIC_SEQ_CST);
			break;
		}
		default:
			if (x % 64 == 0) {
				struct seen *s = calloc(1, sizeof(*s));
				if (s == NULL)
					abort();
				goc_map_range(r->map, range_fn, s);
				if (s->dup != 0)
					fail(r);
				free(s);
			}
		}
	}
}

static void
worker(void *arg)
{
	struct round *r = arg;
	int id = __atomic_fetch_add(&r->next_id, 1, __ATOMIC_SEQ_CST);

	work(r, id, goc_test_rand());
	goc_wg_done(&r->wg);
}

static void *
foreign(void *arg)
{
	struct round *r = arg;
	int id = __atomic_fetch_add(&r->next_id, 1, __ATOMIC_SEQ_CST);

	work(r, id, goc_test_rand());
	return NULL;
}

static void
sweeper(void *arg)
{
	struct round *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
		goc_pool_sweep();
		goc_yield();
	}
	goc_wg_done(&r->swept);
}

static int
round_main(void *arg)
{
	struct round *r = arg;
	int ngor = 2 + (int)(goc_test_rand() % 11);
	int nfor = (int)(goc_test_rand() % 3);
	pthread_t th[2];

	goc_wg_add(&r->swept, 1);
	goc_go(sweeper, r);
	for (int i = 0; i < nfor; i++)
		if (pthread_create(&th[i], NULL, foreign, r) != 0)
			abort();
	goc_wg_add(&r->wg, ngor);
	for (int i = 0; i < ngor; i++) {
		goc_go(worker, r);
		if (i == ngor / 2)
			goc_maxprocs(1 + (int)(goc_test_rand() % 4));
	}
	goc_wg_wait(&r->wg);
	for (int i = 0; i < nfor; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&r->stop, 1, __ATOMIC_SEQ_CST);
	goc_wg_wait(&r->swept);
	return 0;
}

GOC_TEST(pool_map_torture)
{
	double secs = goc_test_stress_seconds();
	int64_t end = goc_now() + (int64_t)(secs * 1e9);
	int rounds = 0;

	goc_test_set_timeout(60 + 4 * secs);
	do {
		struct round *r = calloc(1, sizeof(*r));
		require_true(r != NULL);
		goc_pool_init(&r->pool, obj_new, obj_free, r);
		r->map = goc_map_new(&goc_map_type_int);
		require_true(r->map != NULL);
		require_int_eq(goc_map_store(r->map, COUNTER, NULL), 0);
		r->iters = goc_test_scaled(3000);
		int old = goc_maxprocs(1 + (int)(goc_test_rand() % 4));
		expect_int_eq(goc_run(round_main, r), 0);
		goc_maxprocs(old);
		void *c = NULL;
		goc_map_load(r->map, COUNTER, &c);
		expect_int_eq((intptr_t)c, r->cas_ok);
		goc_map_release(r->map);
		goc_pool_destroy(&r->pool);
		expect_int_eq(r->bad, 0);
		expect_int_eq(r->freed, r->made);
		free(r);
		rounds++;
	} while (goc_now() < end && !goc_test_failed());
	goc_test_note("%d rounds", rounds);
}
