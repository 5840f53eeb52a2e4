/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_map_t linearizability, time-boxed: rounds of 2-4 plain threads
 * doing a few random operations (load, store, load_or_store,
 * load_and_delete, delete, swap, compare_and_swap, compare_and_delete)
 * on two or three keys of a fresh map, recording invocation and response
 * times from one shared counter. Linearizability is local (Herlihy and
 * Wing): a history of a map is linearizable iff each key's sub-history
 * is, so each key is checked on its own against a sequential register
 * that is absent or holds a value, by a depth-first search for an order
 * that respects real time (Wing and Gong). Stored values are unique, so
 * a load names the store it saw. Half the time every thread is pinned to
 * one CPU. A failure prints the key's history.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <goconc/map.h>

#include "../tests/harness.h"

#define ML_THREADS 4
#define ML_OPS     6 /* per thread */
#define ML_KEYS    3
#define ML_MAXOPS  (ML_THREADS * ML_OPS)

enum ml_kind {
	ML_LOAD,
	ML_STORE,
	ML_LOAD_OR_STORE,
	ML_LOAD_AND_DELETE,
	ML_DELETE,
	ML_SWAP,
	ML_CAS,
	ML_CAD,
	ML_NKINDS
};

static const char *const ml_names[ML_NKINDS] = {
	"load",   "store", "load_or_store",    "load_and_delete",
	"delete", "swap",  "compare_and_swap", "compare_and_delete"};

struct ml_op {
	enum ml_kind kind;
	int key;
	uintptr_t arg; /* value stored (store, load_or_store, swap, CAS new) */
	uintptr_t old; /* CAS / CAD expected value */
	int rc;        /* found / loaded / swapped / deleted */
	uintptr_t out; /* value returned (load, actual, previous) */
	uint64_t inv, res;
	int thread;
};

struct ml_round {
	goc_map_t *m;
	uint64_t clock; /* (atomic) */
	int nthreads;
	int one_cpu;
	unsigned seed;
	struct ml_op ops[ML_THREADS][ML_OPS];
	uintptr_t seen[64]; /* values stored so far, for CAS "old" guesses */
	int nseen;          /* (atomic) */
	int go;             /* (atomic) the workers start together */
	int ready;          /* (atomic) workers waiting at the gate */
};

static uint64_t
ml_now(struct ml_round *r)
{
	/* seq_cst: one total order of events across threads. */
	return __atomic_add_fetch(&r->clock, 1, __ATOMIC_SEQ_CST);
}

struct ml_arg {
	struct ml_round *r;
	int id;
	uint64_t rng;
};

static uint64_t
xs(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void *
ml_worker(void *p)
{
	struct ml_arg *a = p;
	struct ml_round *r = a->r;

#ifdef HAVE_PTHREAD_SETAFFINITY_NP
	if (r->one_cpu) {
		cpu_set_t all, one;
		if (sched_getaffinity(0, sizeof(all), &all) == 0) {
			CPU_ZERO(&one);
			for (int k = 0; k < CPU_SETSIZE; k++)
				if (CPU_ISSET(k, &all)) {
					CPU_SET(k, &one);
					break;
				}
			pthread_setaffinity_np(pthread_self(), sizeof(one),
					       &one);
		}
	}
#endif
	/* Start together, so that the operations overlap. Acquire pairs
	 * with the release store that opens the gate (the round's map). */
	__atomic_add_fetch(&r->ready, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&r->go, __ATOMIC_ACQUIRE) == 0)
		sched_yield();
	for (int i = 0; i < ML_OPS; i++) {
		struct ml_op *o = &r->ops[a->id][i];
		uint64_t x = xs(&a->rng);
		void *out = NULL;

		o->thread = a->id;
		o->kind = (enum ml_kind)(x % ML_NKINDS);
		o->key = (int)((x >> 8) % ML_KEYS);
		/* Unique, non-zero values: thread, op, round bits. */
		o->arg = ((uintptr_t)(a->id + 1) << 16) | (uintptr_t)(i + 1);
		/* Relaxed: a guess; a slot not yet written reads 0, which
		 * matches no value (an absent key never equals it). */
		int n = __atomic_load_n(&r->nseen, __ATOMIC_RELAXED);
		if (n > 64)
			n = 64;
		o->old = n > 0 && (x >> 20) % 4 != 0
				 ? __atomic_load_n(&r->seen[(x >> 24) % n],
						   __ATOMIC_RELAXED)
				 : 0x7777;
		if (((x >> 32) & 7) == 0)
			sched_yield();
		const void *k = (const void *)(intptr_t)o->key;
		o->inv = ml_now(r);
		switch (o->kind) {
		case ML_LOAD:
			o->rc = goc_map_load(r->m, k, &out);
			break;
		case ML_STORE:
			o->rc = goc_map_store(r->m, k, (void *)o->arg) == 0;
			break;
		case ML_LOAD_OR_STORE:
			o->rc = goc_map_load_or_store(r->m, k, (void *)o->arg,
						      &out);
			break;
		case ML_LOAD_AND_DELETE:
			o->rc = goc_map_load_and_delete(r->m, k, &out);
			break;
		case ML_DELETE:
			goc_map_delete(r->m, k);
			o->rc = 1;
			break;
		case ML_SWAP:
			o->rc = goc_map_swap(r->m, k, (void *)o->arg, &out);
			break;
		case ML_CAS:
			o->rc = goc_map_compare_and_swap(
				r->m, k, (void *)o->old, (void *)o->arg);
			break;
		case ML_CAD:
			o->rc = goc_map_compare_and_delete(r->m, k,
							   (void *)o->old);
			break;
		default:
			break;
		}
		o->res = ml_now(r);
		o->out = (uintptr_t)out;
		if (o->kind == ML_STORE || o->kind == ML_LOAD_OR_STORE ||
		    o->kind == ML_SWAP || o->kind == ML_CAS) {
			/* Relaxed: see above. */
			int at = __atomic_fetch_add(&r->nseen, 1,
						    __ATOMIC_RELAXED);
			if (at < 64)
				__atomic_store_n(&r->seen[at], o->arg,
						 __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

/*
 * The sequential register: 0 is absent. Applies o to *v if o's recorded
 * result is what the register gives; reports whether it matched.
 */
static bool
ml_apply(const struct ml_op *o, uintptr_t *v)
{
	uintptr_t cur = *v;

	switch (o->kind) {
	case ML_LOAD:
		return o->rc == (cur != 0) && (cur == 0 || o->out == cur);
	case ML_STORE:
		*v = o->arg;
		return o->rc == 1;
	case ML_LOAD_OR_STORE:
		if (cur != 0)
			return o->rc == 1 && o->out == cur;
		*v = o->arg;
		return o->rc == 0 && o->out == o->arg;
	case ML_LOAD_AND_DELETE:
		*v = 0;
		return o->rc == (cur != 0) && (cur == 0 || o->out == cur);
	case ML_DELETE:
		*v = 0;
		return true;
	case ML_SWAP:
		*v = o->arg;
		return o->rc == (cur != 0) && (cur == 0 || o->out == cur);
	case ML_CAS:
		if (cur != 0 && cur == o->old) {
			*v = o->arg;
			return o->rc == 1;
		}
		return o->rc == 0;
	case ML_CAD:
		if (cur != 0 && cur == o->old) {
			*v = 0;
			return o->rc == 1;
		}
		return o->rc == 0;
	default:
		return false;
	}
}

/* Depth-first search for a linearization of ops[0..n) (one key). */
static bool
ml_search(const struct ml_op *const *ops, int n, uint32_t done, uintptr_t v,
	  long *budget)
{
	if (done == (1u << n) - 1)
		return true;
	if (--*budget < 0)
		return true; /* give up: counted as checked-too-hard */
	/* An op may go next only if no pending op returned before it was
	 * invoked (real-time order). */
	uint64_t min_res = UINT64_MAX;
	for (int i = 0; i < n; i++)
		if (!(done & (1u << i)) && ops[i]->res < min_res)
			min_res = ops[i]->res;
	for (int i = 0; i < n; i++) {
		if (done & (1u << i))
			continue;
		if (ops[i]->inv > min_res)
			continue;
		uintptr_t w = v;
		if (ml_apply(ops[i], &w) &&
		    ml_search(ops, n, done | (1u << i), w, budget))
			return true;
	}
	return false;
}

static long ml_too_hard;

static bool
ml_check_key(struct ml_round *r, int key)
{
	const struct ml_op *ops[ML_MAXOPS];
	int n = 0;
	long budget = 2000000;

	for (int t = 0; t < r->nthreads; t++)
		for (int i = 0; i < ML_OPS; i++)
			if (r->ops[t][i].key == key)
				ops[n++] = &r->ops[t][i];
	bool ok = ml_search(ops, n, 0, 0, &budget);
	if (budget < 0)
		ml_too_hard++;
	if (!ok) {
		for (int i = 0; i < n; i++)
			goc_test_note("key %d: t%d [%llu,%llu] %s arg=%#lx "
				      "old=%#lx -> rc=%d out=%#lx",
				      key, ops[i]->thread,
				      (unsigned long long)ops[i]->inv,
				      (unsigned long long)ops[i]->res,
				      ml_names[ops[i]->kind],
				      (unsigned long)ops[i]->arg,
				      (unsigned long)ops[i]->old, ops[i]->rc,
				      (unsigned long)ops[i]->out);
	}
	return ok;
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
histories(double seconds, bool one_cpu)
{
	double end = now_s() + seconds;
	long rounds = 0, failures = 0;

	goc_test_set_timeout(seconds * 4 + 120);
	ml_too_hard = 0;
	do {
		static struct ml_round r;
		struct ml_arg args[ML_THREADS];
		pthread_t tid[ML_THREADS];

		memset(&r, 0, sizeof(r));
		r.m = goc_map_new(&goc_map_type_int);
		require_true(r.m != NULL);
		r.nthreads = 2 + (int)(goc_test_rand() % (ML_THREADS - 1));
		r.one_cpu = one_cpu;
		for (int t = 0; t < r.nthreads; t++) {
			args[t].r = &r;
			args[t].id = t;
			args[t].rng = goc_test_rand() | 1;
			require_int_eq(pthread_create(&tid[t], NULL, ml_worker,
						      &args[t]),
				       0);
		}
		while (__atomic_load_n(&r.ready, __ATOMIC_RELAXED) < r.nthreads)
			sched_yield();
		/* Release: the map, to the workers (see ml_worker). */
		__atomic_store_n(&r.go, 1, __ATOMIC_RELEASE);
		for (int t = 0; t < r.nthreads; t++)
			pthread_join(tid[t], NULL);
		goc_map_release(r.m);
		rounds++;
		for (int k = 0; k < ML_KEYS; k++)
			if (!ml_check_key(&r, k)) {
				goc_test_fail("round %ld: key %d's history is "
					      "not linearizable (above)",
					      rounds, k);
				failures++;
			}
	} while (failures == 0 && now_s() < end);
	expect_int_eq(failures, 0);
	goc_test_note("goc_map: %ld histories%s, %ld keys past the search "
		      "budget",
		      rounds, one_cpu ? " (one CPU)" : "", ml_too_hard);
}

GOC_TEST(histories)
{
	histories(goc_test_stress_seconds() / 2, false);
}

GOC_TEST(histories_one_cpu)
{
#ifndef HAVE_PTHREAD_SETAFFINITY_NP
	goc_test_skip("no pthread_setaffinity_np");
#endif
	histories(goc_test_stress_seconds() / 2, true);
}

/*
 * The checker can fail: a history with a load that returns a value no
 * store wrote, and one where a load misses a store that completed before
 * it began, are both rejected.
 */
GOC_TEST(checker_rejects_bad_histories)
{
	static struct ml_round r;

	memset(&r, 0, sizeof(r));
	r.nthreads = 2;
	for (int t = 0; t < 2; t++)
		for (int i = 0; i < ML_OPS; i++)
			r.ops[t][i].key = 2; /* out of the way */
	/* t0: store(A) [1,2]; t1: load [3,4] -> absent: stale read. */
	r.ops[0][0] = (struct ml_op){ML_STORE, 0, 0xA, 0, 1, 0, 1, 2, 0};
	r.ops[1][0] = (struct ml_op){ML_LOAD, 0, 0, 0, 0, 0, 3, 4, 1};
	ml_too_hard = 0;
	expect_false(ml_check_key(&r, 0));
	/* t1: load [3,4] -> B, a value nobody stored. */
	r.ops[1][0] = (struct ml_op){ML_LOAD, 0, 0, 0, 1, 0xB, 3, 4, 1};
	expect_false(ml_check_key(&r, 0));
	/* And the right answer passes: load -> A. */
	r.ops[1][0] = (struct ml_op){ML_LOAD, 0, 0, 0, 1, 0xA, 3, 4, 1};
	expect_true(ml_check_key(&r, 0));
	/* Overlapping store and load may read either. */
	r.ops[1][0] = (struct ml_op){ML_LOAD, 0, 0, 0, 0, 0, 1, 4, 1};
	r.ops[0][0].inv = 2;
	r.ops[0][0].res = 3;
	expect_true(ml_check_key(&r, 0));
}
