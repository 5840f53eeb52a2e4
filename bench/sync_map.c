/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_map_t benchmarks, mirroring Go's src/sync/map_bench_test.go (the
 * sync.Map runs) with twins in bench/go/map_test.go. Each one is
 * RunParallel over b->procs Ps, worker w starting its counter i at
 * w * b->n as Go's benchMap does; keys and values are integers
 * (goc_map_type_int). Swap*, CompareAndSwap* and CompareAndDelete* have
 * no twin on Go 1.19 (added in Go 1.20): absolute numbers only.
 */
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <goconc.h>
#include <goconc/map.h>

#include "bench.h"

#define K(i) ((const void *)(intptr_t)(i))
#define V(i) ((void *)(intptr_t)(i))

typedef void (*perg_fn)(goc_map_t *m, long i, long n);

struct mpar {
	goc_bench_t *b;
	goc_map_t *m;
	perg_fn perg;
	goc_wg_t wg;
	int next; /* (atomic) worker ids */
	int workers;
};

static void
mpar_worker(void *arg)
{
	struct mpar *p = arg;
	int id = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
	long n = p->b->n / p->workers + (id < p->b->n % p->workers);

	p->perg(p->m, (long)id * p->b->n, n);
	goc_wg_done(&p->wg);
}

static int
mpar_main(void *arg)
{
	struct mpar *p = arg;

	goc_wg_add(&p->wg, p->workers);
	goc_bench_reset_timer(p->b);
	for (int i = 0; i < p->workers; i++)
		goc_go(mpar_worker, p);
	goc_wg_wait(&p->wg);
	goc_bench_stop_timer(p->b);
	return 0;
}

/* bench_map is Go's benchMap for the sync.Map case. */
static void
bench_map(goc_bench_t *b, void (*setup)(goc_map_t *m), perg_fn perg)
{
	goc_map_t *m = goc_map_new(&goc_map_type_int);
	struct mpar p = {b, m, perg, GOC_WG_INIT, 0, b->procs};
	int old = goc_maxprocs(b->procs);

	if (m == NULL)
		abort();
	if (setup != NULL)
		setup(m);
	goc_run(mpar_main, &p);
	goc_maxprocs(old);
	goc_map_release(m);
#if defined(__GLIBC__)
	/* glibc defers consolidating the chunks just freed (a million for
	 * LoadOrStoreUnique) to the next malloc of the arena that owned
	 * them, which would land, seconds long, inside the next timed run. */
	malloc_trim(0);
#endif
}

static void
prime(goc_map_t *m, long hits)
{
	for (long i = 0; i < hits; i++)
		goc_map_load_or_store(m, K(i), V(i), NULL);
	/* Get the map into a steady state (read table promoted). */
	for (long i = 0; i < hits * 2; i++)
		goc_map_load(m, K(i % hits), NULL);
}

static void
setup_1023(goc_map_t *m)
{
	prime(m, 1023);
}

static void
setup_1(goc_map_t *m)
{
	prime(m, 1);
}

static void
setup_128(goc_map_t *m)
{
	prime(m, 128);
}

static void
setup_zero(goc_map_t *m)
{
	goc_map_load_or_store(m, K(0), V(0), NULL);
}

static void
setup_1024(goc_map_t *m)
{
	for (long i = 0; i < 1024; i++)
		goc_map_store(m, K(i), V(i));
}

static void
load_hits(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++)
		goc_map_load(m, K(i % 1024), NULL);
}

GOC_BENCH(LoadMostlyHits)
{
	bench_map(b, setup_1023, load_hits);
}

GOC_BENCH(LoadMostlyMisses)
{
	bench_map(b, setup_1, load_hits);
}

static void
los_balanced(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++) {
		long j = i % 256;
		if (j < 128) {
			if (goc_map_load_or_store(m, K(j), V(i), NULL) != 1)
				abort();
		} else if (goc_map_load_or_store(m, K(i), V(i), NULL) != 0) {
			abort();
		}
	}
}

GOC_BENCH(LoadOrStoreBalanced)
{
	bench_map(b, setup_128, los_balanced);
}

static void
los_unique(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++)
		goc_map_load_or_store(m, K(i), V(i), NULL);
}

GOC_BENCH(LoadOrStoreUnique)
{
	bench_map(b, NULL, los_unique);
}

static void
los_collision(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++)
		goc_map_load_or_store(m, K(0), V(0), NULL);
}

GOC_BENCH(LoadOrStoreCollision)
{
	bench_map(b, setup_zero, los_collision);
}

static void
lad_collision(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++)
		if (goc_map_load_and_delete(m, K(0), NULL))
			goc_map_store(m, K(0), V(0));
}

GOC_BENCH(LoadAndDeleteCollision)
{
	bench_map(b, setup_zero, lad_collision);
}

static bool
range_true(const void *k, void *v, void *arg)
{
	(void)k;
	(void)v;
	(void)arg;
	return true;
}

static void
range_body(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++)
		goc_map_range(m, range_true, NULL);
}

GOC_BENCH(Range)
{
	bench_map(b, setup_1024, range_body);
}

/* Store a new value whenever the map has just been promoted, otherwise
 * load a unique missing key: every load takes the lock. */
static void
adversarial_alloc(goc_map_t *m, long i, long n)
{
	long stores = 0, since = 0;

	for (long e = i + n; i < e; i++) {
		goc_map_load(m, K(i), NULL);
		if (++since > stores) {
			goc_map_load_or_store(m, K(i), V(stores), NULL);
			since = 0;
			stores++;
		}
	}
}

GOC_BENCH(AdversarialAlloc)
{
	bench_map(b, NULL, adversarial_alloc);
}

static bool
delete_first(const void *k, void *v, void *arg)
{
	(void)v;
	goc_map_delete(arg, k);
	return false;
}

/* Periodically delete one key and add another in a large map: loads
 * take the lock and the map is copied again and again. */
static void
adversarial_delete(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++) {
		goc_map_load(m, K(i), NULL);
		if (i % 1024 == 0) {
			goc_map_range(m, delete_first, m);
			goc_map_store(m, K(i), V(i));
		}
	}
}

GOC_BENCH(AdversarialDelete)
{
	bench_map(b, setup_1024, adversarial_delete);
}

static void
delete_collision(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++)
		goc_map_delete(m, K(0));
}

GOC_BENCH(DeleteCollision)
{
	bench_map(b, setup_zero, delete_collision);
}

static void
swap_collision(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++)
		goc_map_swap(m, K(0), V(0), NULL);
}

GOC_BENCH(SwapCollision)
{
	bench_map(b, setup_zero, swap_collision);
}

static long swap_hits; /* hits for swap_hits_body (set before the run) */

static void
swap_hits_body(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++) {
		if (i % 1024 < swap_hits) {
			long v = i % 1024;
			goc_map_swap(m, K(v), V(v), NULL);
		} else {
			goc_map_swap(m, K(i), V(i), NULL);
			goc_map_delete(m, K(i));
		}
	}
}

GOC_BENCH(SwapMostlyHits)
{
	swap_hits = 1023;
	bench_map(b, setup_1023, swap_hits_body);
}

GOC_BENCH(SwapMostlyMisses)
{
	swap_hits = 1;
	bench_map(b, setup_1, swap_hits_body);
}

static void
cas_collision(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++)
		if (goc_map_compare_and_swap(m, K(0), V(0), V(42)) == 1)
			goc_map_compare_and_swap(m, K(0), V(42), V(0));
}

GOC_BENCH(CompareAndSwapCollision)
{
	bench_map(b, setup_zero, cas_collision);
}

static void
cas_no_key(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++)
		if (goc_map_compare_and_swap(m, K(i), V(0), V(0)) == 1)
			goc_map_delete(m, K(i));
}

GOC_BENCH(CompareAndSwapNoExistingKey)
{
	bench_map(b, NULL, cas_no_key);
}

static void
cas_not_equal(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++)
		goc_map_compare_and_swap(m, K(0), V(1), V(2));
}

GOC_BENCH(CompareAndSwapValueNotEqual)
{
	bench_map(b, setup_zero, cas_not_equal);
}

static void
cas_hits_body(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++) {
		long v = i % 1024 < swap_hits ? i % 1024 : i;
		goc_map_compare_and_swap(m, K(v), V(v), V(v));
	}
}

GOC_BENCH(CompareAndSwapMostlyHits)
{
	swap_hits = 1023;
	bench_map(b, setup_1023, cas_hits_body);
}

GOC_BENCH(CompareAndSwapMostlyMisses)
{
	swap_hits = 1;
	bench_map(b, setup_1, cas_hits_body);
}

static void
cad_collision(goc_map_t *m, long i, long n)
{
	for (long e = i + n; i < e; i++)
		if (goc_map_compare_and_delete(m, K(0), V(0)))
			goc_map_store(m, K(0), V(0));
}

GOC_BENCH(CompareAndDeleteCollision)
{
	bench_map(b, setup_zero, cad_collision);
}
