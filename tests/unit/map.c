/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_map_t (src/sync/map.c): ports of Go's sync/map_test.go
 * (TestMapMatchesRWMutex as a differential check against a plain locked
 * model over random operations, TestConcurrentRange, TestIssue40999 as
 * a reclamation check, TestMapRangeNestedCall,
 * TestCompareAndSwap_NonExistingKey, TestMapClear), plus what C adds:
 * every key copy and every value the map owns is freed exactly once, by
 * the hooks, and concurrent goroutines and threads on disjoint and
 * shared keys.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <goconc.h>
#include <goconc/map.h>

#include "../harness.h"
#include "sync/map.h"

#define K(i) ((const void *)(intptr_t)(i))
#define V(i) ((void *)(intptr_t)(i))

static long
lload(long *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

/* ---- single-threaded semantics ---------------------------------------- */

GOC_TEST(map_basic)
{
	goc_map_t *m = goc_map_new(&goc_map_type_int);
	void *v = NULL;

	require_true(m != NULL);
	expect_false(goc_map_load(m, K(1), &v));
	expect_int_eq(goc_map_store(m, K(1), V(10)), 0);
	expect_true(goc_map_load(m, K(1), &v));
	expect_ptr_eq(v, V(10));
	/* LoadOrStore: loaded. */
	expect_int_eq(goc_map_load_or_store(m, K(1), V(11), &v), 1);
	expect_ptr_eq(v, V(10));
	/* LoadOrStore: stored. */
	expect_int_eq(goc_map_load_or_store(m, K(2), V(20), &v), 0);
	expect_ptr_eq(v, V(20));
	/* Swap. */
	expect_int_eq(goc_map_swap(m, K(2), V(21), &v), 1);
	expect_ptr_eq(v, V(20));
	expect_int_eq(goc_map_swap(m, K(3), V(30), &v), 0);
	/* CompareAndSwap. */
	expect_int_eq(goc_map_compare_and_swap(m, K(3), V(31), V(32)), 0);
	expect_int_eq(goc_map_compare_and_swap(m, K(3), V(30), V(33)), 1);
	expect_true(goc_map_load(m, K(3), &v));
	expect_ptr_eq(v, V(33));
	/* CompareAndDelete. */
	expect_false(goc_map_compare_and_delete(m, K(3), V(30)));
	expect_true(goc_map_compare_and_delete(m, K(3), V(33)));
	expect_false(goc_map_load(m, K(3), NULL));
	/* LoadAndDelete and Delete. */
	expect_true(goc_map_load_and_delete(m, K(2), &v));
	expect_ptr_eq(v, V(21));
	expect_false(goc_map_load_and_delete(m, K(2), &v));
	goc_map_delete(m, K(1));
	expect_false(goc_map_load(m, K(1), NULL));
	/* A zero key and a NULL value are ordinary. */
	expect_int_eq(goc_map_store(m, K(0), NULL), 0);
	v = V(1);
	expect_true(goc_map_load(m, K(0), &v));
	expect_true(v == NULL);
	goc_map_release(m);
}

/* After Go's TestCompareAndSwap_NonExistingKey. */
GOC_TEST(map_cas_absent)
{
	goc_map_t *m = goc_map_new(&goc_map_type_int);

	require_true(m != NULL);
	expect_int_eq(goc_map_compare_and_swap(m, K(7), NULL, V(42)), 0);
	expect_false(goc_map_load(m, K(7), NULL));
	expect_false(goc_map_compare_and_delete(m, K(7), NULL));
	goc_map_release(m);
}

static bool
count_fn(const void *key, void *val, void *arg)
{
	(void)key;
	(void)val;
	(*(long *)arg)++;
	return true;
}

static long
map_len(goc_map_t *m)
{
	long n = 0;

	goc_map_range(m, count_fn, &n);
	return n;
}

/* After Go's TestMapClear (and Clear on an empty map changing nothing). */
GOC_TEST(map_clear)
{
	goc_map_t *m = goc_map_new(&goc_map_type_int);

	require_true(m != NULL);
	goc_map_clear(m);
	expect_int_eq(map_len(m), 0);
	for (int i = 0; i < 100; i++)
		goc_map_store(m, K(i), V(i));
	/* Some promoted to read, some only dirty. */
	for (int i = 0; i < 300; i++)
		goc_map_load(m, K(i % 50), NULL);
	for (int i = 100; i < 120; i++)
		goc_map_store(m, K(i), V(i));
	expect_int_eq(map_len(m), 120);
	goc_map_clear(m);
	expect_int_eq(map_len(m), 0);
	expect_false(goc_map_load(m, K(5), NULL));
	expect_false(goc_map_load(m, K(110), NULL));
	goc_map_store(m, K(5), V(5));
	expect_int_eq(map_len(m), 1);
	goc_map_release(m);
}

struct nested {
	goc_map_t *m;
	int depth;
	long seen;
};

static bool
nested_inner(const void *key, void *val, void *arg)
{
	struct nested *n = arg;
	void *v;

	/* Every operation works inside Range's callback. */
	if (!goc_map_load(n->m, key, &v) || v != val)
		goc__test_fail(__FILE__, __LINE__, false, "inner load");
	n->seen++;
	return true;
}

static bool
nested_outer(const void *key, void *val, void *arg)
{
	struct nested *n = arg;
	intptr_t k = (intptr_t)key;

	(void)val;
	struct nested in = {n->m, 1, 0};
	goc_map_range(n->m, nested_inner, &in);
	if (in.seen != 3)
		goc__test_fail(__FILE__, __LINE__, false, "inner saw %ld",
			       in.seen);
	goc_map_store(n->m, key, V(k * 10));
	goc_map_load_or_store(n->m, K(k + 100), V(0), NULL);
	goc_map_delete(n->m, K(k + 100));
	n->seen++;
	return true;
}

/* After Go's TestMapRangeNestedCall. */
GOC_TEST(map_range_nested)
{
	goc_map_t *m = goc_map_new(&goc_map_type_int);
	struct nested n = {m, 0, 0};

	require_true(m != NULL);
	for (int i = 1; i <= 3; i++)
		goc_map_store(m, K(i), V(i));
	goc_map_range(m, nested_outer, &n);
	expect_int_eq(n.seen, 3);
	for (int i = 1; i <= 3; i++) {
		void *v;
		expect_true(goc_map_load(m, K(i), &v));
		expect_ptr_eq(v, V(i * 10));
	}
	expect_int_eq(map_len(m), 3);
	goc_map_release(m);
}

static bool
stop_fn(const void *key, void *val, void *arg)
{
	(void)key;
	(void)val;
	return ++*(long *)arg < 2;
}

GOC_TEST(map_range_stops)
{
	goc_map_t *m = goc_map_new(&goc_map_type_int);
	long n = 0;

	require_true(m != NULL);
	for (int i = 0; i < 10; i++)
		goc_map_store(m, K(i), V(i));
	goc_map_range(m, stop_fn, &n);
	expect_int_eq(n, 2);
	goc_map_release(m);
}

GOC_TEST(map_string_keys)
{
	goc_map_t *m = goc_map_new(&goc_map_type_str);
	char buf[32];
	void *v;

	require_true(m != NULL);
	for (int i = 0; i < 200; i++) {
		snprintf(buf, sizeof(buf), "key-%d", i);
		/* The map copies the key: the buffer is reused. */
		expect_int_eq(goc_map_store(m, buf, V(i)), 0);
	}
	for (int i = 0; i < 200; i++) {
		snprintf(buf, sizeof(buf), "key-%d", i);
		expect_true(goc_map_load(m, buf, &v));
		expect_ptr_eq(v, V(i));
	}
	expect_false(goc_map_load(m, "key-200", NULL));
	goc_map_release(m);
}

/* ---- the differential model ------------------------------------------- */

/*
 * Counting hooks: every key copy and every value the map owns must be
 * freed exactly once; values are heap boxes holding a number, handed out
 * as new boxes (val_copy) that the test frees.
 */
static long keys_made, keys_freed, vals_made, vals_freed;

static uint64_t
ck_hash(const void *key)
{
	uint64_t k = (uint64_t)(*(const long *)key);

	return k * 0x9e3779b97f4a7c15ULL;
}

static bool
ck_equal(const void *a, const void *b)
{
	return *(const long *)a == *(const long *)b;
}

static void *
ck_copy(const void *key)
{
	long *k = malloc(sizeof(*k));

	if (k != NULL) {
		*k = *(const long *)key;
		__atomic_add_fetch(&keys_made, 1, __ATOMIC_SEQ_CST);
	}
	return k;
}

static void
ck_free(void *key)
{
	__atomic_add_fetch(&keys_freed, 1, __ATOMIC_SEQ_CST);
	free(key);
}

static void *
cv_new(long v)
{
	long *p = malloc(sizeof(*p));

	if (p == NULL)
		abort();
	*p = v;
	__atomic_add_fetch(&vals_made, 1, __ATOMIC_SEQ_CST);
	return p;
}

static void *
cv_copy(void *val)
{
	return cv_new(*(long *)val);
}

static void
cv_free(void *val)
{
	__atomic_add_fetch(&vals_freed, 1, __ATOMIC_SEQ_CST);
	free(val);
}

static bool
cv_equal(const void *a, const void *b)
{
	return *(const long *)a == *(const long *)b;
}

static const goc_map_type_t counted_type = {ck_hash, ck_equal, ck_copy, ck_free,
					    cv_copy, cv_free,  cv_equal};

static long
take(void *val)
{
	long v = *(long *)val;

	cv_free(val);
	return v;
}

#define MODEL_KEYS 64

struct model {
	bool present[MODEL_KEYS];
	long val[MODEL_KEYS];
};

static bool
model_range(const void *key, void *val, void *arg)
{
	struct model *seen = arg;
	long k = *(const long *)key;

	if (k < 0 || k >= MODEL_KEYS || seen->present[k])
		goc__test_fail(__FILE__, __LINE__, false, "range key %ld", k);
	else {
		seen->present[k] = true;
		seen->val[k] = *(long *)val;
	}
	return true;
}

/* After Go's TestMapMatchesRWMutex / TestMapMatchesDeepCopy: random
 * operations on the map and on a plain model must agree. */
GOC_TEST(map_model)
{
	goc_map_t *m = goc_map_new(&counted_type);
	struct model md = {{0}, {0}};
	long ops = goc_test_scaled(200000);

	require_true(m != NULL);
	for (long i = 0; i < ops; i++) {
		uint64_t r = goc_test_rand();
		long k = (long)(r % MODEL_KEYS);
		long nv = (long)((r >> 8) % 1000);
		void *out = NULL;
		int op = (int)((r >> 24) % 10);
		switch (op) {
		case 0:
		case 1: /* load: often, to drive promotion */
		case 2: {
			bool ok = goc_map_load(m, &k, &out);
			expect_true(ok == md.present[k]);
			if (ok)
				expect_int_eq(take(out), md.val[k]);
			break;
		}
		case 3:
			expect_int_eq(goc_map_store(m, &k, cv_new(nv)), 0);
			md.present[k] = true;
			md.val[k] = nv;
			break;
		case 4: {
			void *nvp = cv_new(nv);
			int ret = goc_map_load_or_store(m, &k, nvp, &out);
			expect_int_eq(ret, md.present[k] ? 1 : 0);
			if (ret == 1) {
				cv_free(nvp); /* not stored: still ours */
				expect_int_eq(take(out), md.val[k]);
			} else {
				expect_int_eq(take(out), nv);
				md.present[k] = true;
				md.val[k] = nv;
			}
			break;
		}
		case 5: {
			bool ok = goc_map_load_and_delete(m, &k, &out);
			expect_true(ok == md.present[k]);
			if (ok)
				expect_int_eq(take(out), md.val[k]);
			md.present[k] = false;
			break;
		}
		case 6: {
			int ret = goc_map_swap(m, &k, cv_new(nv), &out);
			expect_int_eq(ret, md.present[k] ? 1 : 0);
			if (ret == 1)
				expect_int_eq(take(out), md.val[k]);
			md.present[k] = true;
			md.val[k] = nv;
			break;
		}
		case 7: {
			long old = (r >> 40) % 2 ? md.val[k] : -1;
			void *nvp = cv_new(nv);
			int ret = goc_map_compare_and_swap(m, &k, &old, nvp);
			bool want = md.present[k] && md.val[k] == old;
			expect_int_eq(ret, want ? 1 : 0);
			if (ret == 1)
				md.val[k] = nv;
			else
				cv_free(nvp);
			break;
		}
		case 8: {
			long old = (r >> 40) % 2 ? md.val[k] : -1;
			bool ok = goc_map_compare_and_delete(m, &k, &old);
			bool want = md.present[k] && md.val[k] == old;
			expect_true(ok == want);
			if (ok)
				md.present[k] = false;
			break;
		}
		default:
			if ((r >> 40) % 50 == 0) {
				goc_map_clear(m);
				memset(&md, 0, sizeof(md));
			} else if ((r >> 40) % 10 == 0) {
				struct model seen = {{0}, {0}};
				goc_map_range(m, model_range, &seen);
				for (int j = 0; j < MODEL_KEYS; j++) {
					expect_true(seen.present[j] ==
						    md.present[j]);
					if (seen.present[j])
						expect_int_eq(seen.val[j],
							      md.val[j]);
				}
			} else {
				goc_map_delete(m, &k);
				md.present[k] = false;
			}
		}
		if (goc_test_failed())
			break;
	}
	goc_map_release(m);
	goc__map_reclaim();
	/* Every key copy and value freed exactly once. */
	expect_int_eq(lload(&keys_freed), lload(&keys_made));
	expect_int_eq(lload(&vals_freed), lload(&vals_made));
}

/* After Go's TestIssue40999: deleted entries do not pile up. */
GOC_TEST(map_reclaims)
{
	goc_map_t *m = goc_map_new(&counted_type);
	long n = goc_test_scaled(100000);

	require_true(m != NULL);
	goc__map_reclaim();
	long k0 = lload(&keys_freed), v0 = lload(&vals_freed);
	long km = lload(&keys_made), vm = lload(&vals_made);
	for (long i = 0; i < n; i++) {
		goc_map_store(m, &i, cv_new(i));
		if (i % 3 == 0)
			goc_map_load(m, &i, NULL);
		goc_map_delete(m, &i);
	}
	goc__map_reclaim();
	/* At most the live tables' worth of entries may wait. */
	long kwait = (lload(&keys_made) - km) - (lload(&keys_freed) - k0);
	long vwait = (lload(&vals_made) - vm) - (lload(&vals_freed) - v0);
	expect_int_le(kwait, 1000);
	expect_int_eq(vwait, 0);
	goc_map_release(m);
	goc__map_reclaim();
	expect_int_eq(lload(&keys_freed), lload(&keys_made));
	expect_int_eq(lload(&vals_freed), lload(&vals_made));
}

/* ---- concurrency ------------------------------------------------------ */

struct conc {
	goc_map_t *m;
	long iters;
	int stop;       /* (atomic) */
	long range_bad; /* (atomic) */
	goc_wg_t wg;
	goc_wg_t rwg;
	long winners[16]; /* (atomic) load_or_store stores per shared key */
};

#define CONC_KEYS 128

struct range_seen {
	unsigned char seen[CONC_KEYS * 16];
	long bad;
};

static bool
conc_range_fn(const void *key, void *val, void *arg)
{
	struct range_seen *s = arg;
	intptr_t k = (intptr_t)key;

	/* Each key at most once; a value is always k * multiplier. */
	if (k < 0 || k >= (intptr_t)sizeof(s->seen) || s->seen[k]++ != 0 ||
	    ((intptr_t)val % (k + 1)) != 0)
		s->bad++;
	return true;
}

/* After Go's TestConcurrentRange: writers store key -> key*i while
 * rangers check that no key shows up twice in one pass. */
static void
conc_ranger(void *arg)
{
	struct conc *c = arg;

	while (!__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST)) {
		struct range_seen *s = calloc(1, sizeof(*s));
		goc_map_range(c->m, conc_range_fn, s);
		if (s->bad != 0)
			__atomic_add_fetch(&c->range_bad, s->bad,
					   __ATOMIC_SEQ_CST);
		free(s);
		goc_yield();
	}
	goc_wg_done(&c->rwg);
}

/* Each worker owns keys w*CONC_KEYS.. and checks them against a local
 * model; all share keys 0..15 through load_or_store/delete. */
static void
conc_body(struct conc *c, int w)
{
	long base = CONC_KEYS * (w + 1);
	bool present[CONC_KEYS] = {0};
	long val[CONC_KEYS] = {0};
	uint64_t r = (uint64_t)w * 0x9e3779b97f4a7c15ULL + 1;

	for (long i = 0; i < c->iters; i++) {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		int k = (int)((r >> 33) % CONC_KEYS);
		intptr_t key = base + k, mult = (intptr_t)(r >> 50) + 1;
		void *v;
		switch ((r >> 20) % 6) {
		case 0:
			goc_map_store(c->m, K(key), V((key + 1) * mult));
			present[k] = true;
			val[k] = (key + 1) * mult;
			break;
		case 1:
		case 2:
			if (goc_map_load(c->m, K(key), &v) != present[k] ||
			    (present[k] && (intptr_t)v != val[k]))
				goc__test_fail(__FILE__, __LINE__, false,
					       "worker %d key %ld", w,
					       (long)key);
			break;
		case 3:
			goc_map_delete(c->m, K(key));
			present[k] = false;
			break;
		case 4: {
			int sk = (int)(r % 16);
			if (goc_map_load_or_store(c->m, K(sk), V(sk + 1),
						  NULL) == 0)
				__atomic_add_fetch(&c->winners[sk], 1,
						   __ATOMIC_SEQ_CST);
			break;
		}
		default: {
			int sk = (int)(r % 16);
			if (goc_map_compare_and_delete(c->m, K(sk), V(sk + 1)))
				__atomic_sub_fetch(&c->winners[sk], 1,
						   __ATOMIC_SEQ_CST);
		}
		}
		if (i % 64 == 0)
			goc_yield();
	}
}

static int conc_ids; /* (atomic) */

static void
conc_worker(void *arg)
{
	struct conc *c = arg;

	conc_body(c, __atomic_fetch_add(&conc_ids, 1, __ATOMIC_SEQ_CST));
	goc_wg_done(&c->wg);
}

static void *
conc_thread(void *arg)
{
	struct conc *c = arg;

	conc_body(c, 14);
	goc__map_reclaim();
	return NULL;
}

static int
conc_main(void *arg)
{
	struct conc *c = arg;
	pthread_t th;

	goc_wg_add(&c->rwg, 2);
	goc_go(conc_ranger, c);
	goc_go(conc_ranger, c);
	require_int_eq(pthread_create(&th, NULL, conc_thread, c), 0);
	goc_wg_add(&c->wg, 8);
	for (int i = 0; i < 8; i++)
		goc_go(conc_worker, c);
	goc_wg_wait(&c->wg);
	pthread_join(th, NULL);
	__atomic_store_n(&c->stop, 1, __ATOMIC_SEQ_CST);
	goc_wg_wait(&c->rwg);
	return 0;
}

GOC_TEST(map_concurrent)
{
	struct conc *c = calloc(1, sizeof(*c));

	require_true(c != NULL);
	goc_test_set_timeout(120);
	c->m = goc_map_new(&goc_map_type_int);
	require_true(c->m != NULL);
	c->iters = goc_test_scaled(30000);
	int old = goc_maxprocs(2);
	expect_int_eq(goc_run(conc_main, c), 0);
	goc_maxprocs(old);
	expect_int_eq(lload(&c->range_bad), 0);
	/* Shared keys: present exactly when stores outnumber deletes. */
	for (int sk = 0; sk < 16; sk++) {
		void *v;
		bool ok = goc_map_load(c->m, K(sk), &v);
		expect_int_eq(lload(&c->winners[sk]), ok ? 1 : 0);
	}
	goc_map_release(c->m);
	free(c);
}

/* ---- memory model ----------------------------------------------------- */

/*
 * Go's memory model for Map: a write operation is synchronized before
 * any read operation that observes its effect. Plain payloads handed
 * over through store, load_or_store and swap; the TSan build checks the
 * edges (a goroutine writer, a foreign-thread writer).
 */
struct mm {
	goc_map_t *m;
	long payload[3];
};

static void
mm_writer(void *arg)
{
	struct mm *s = arg;

	s->payload[0] = 42;
	goc_map_store(s->m, K(0), &s->payload[0]);
	s->payload[1] = 43;
	goc_map_load_or_store(s->m, K(1), &s->payload[1], NULL);
}

static void *
mm_thread(void *arg)
{
	struct mm *s = arg;

	s->payload[2] = 44;
	goc_map_swap(s->m, K(2), &s->payload[2], NULL);
	return NULL;
}

static int
mm_main(void *arg)
{
	struct mm *s = arg;
	pthread_t th;

	goc_go(mm_writer, s);
	require_int_eq(pthread_create(&th, NULL, mm_thread, s), 0);
	for (int k = 0; k < 3; k++) {
		void *v;
		while (!goc_map_load(s->m, K(k), &v))
			goc_yield();
		expect_int_eq(*(long *)v, 42 + k);
	}
	pthread_join(th, NULL);
	return 0;
}

GOC_TEST(map_write_happens_before_read)
{
	for (int i = 0; i < 20; i++) {
		struct mm *s = calloc(1, sizeof(*s));
		require_true(s != NULL);
		s->m = goc_map_new(&goc_map_type_int);
		require_true(s->m != NULL);
		int old = goc_maxprocs(2);
		expect_int_eq(goc_run(mm_main, s), 0);
		goc_maxprocs(old);
		goc_map_release(s->m);
		free(s);
	}
}
