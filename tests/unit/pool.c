/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_pool_t and its deque chain (src/sync/pool.c, poolchain.c): ports of
 * Go's sync/pool_test.go (TestPool, TestPoolNew, TestPoolGC and
 * TestPoolRelease as cycle tests driven by goc_pool_sweep, TestPoolStress,
 * TestPoolDequeue, TestPoolChain), plus what C adds: free_fn accounting
 * (every object made is freed exactly once), threads without a P, and
 * GOMAXPROCS growing under a pool.
 *
 * Sysmon's periodic cycles are off (goc__pool_set_sweep_ms(0)) except in
 * the cases that want them, so that a cycle cannot fall between a put and
 * the get that checks it.
 */
#include <pthread.h>
#include <stdlib.h>

#include <goconc.h>

#include "../harness.h"
#include "sync/pool.h"
#include "sync/poolchain.h"

#define MAGIC_LIVE 0x600dU
#define MAGIC_DEAD 0xdeadU

struct obj {
	uint32_t magic;
	int inuse; /* (atomic) 1 while a getter holds it */
	long data; /* plain: handed over by put/get */
};

struct counts {
	long made;  /* (atomic) */
	long freed; /* (atomic) */
};

static void *
obj_new(void *arg)
{
	struct counts *c = arg;
	struct obj *o = calloc(1, sizeof(*o));

	if (o == NULL)
		abort();
	o->magic = MAGIC_LIVE;
	__atomic_add_fetch(&c->made, 1, __ATOMIC_SEQ_CST);
	return o;
}

static void
obj_free(void *x, void *arg)
{
	struct counts *c = arg;
	struct obj *o = x;

	if (o->magic != MAGIC_LIVE ||
	    __atomic_load_n(&o->inuse, __ATOMIC_SEQ_CST) != 0)
		abort(); /* freed twice, or while held */
	o->magic = MAGIC_DEAD;
	__atomic_add_fetch(&c->freed, 1, __ATOMIC_SEQ_CST);
	free(o);
}

static long
load(long *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static int
run_procs(int procs, int (*fn)(void *), void *arg)
{
	int old = goc_maxprocs(procs);
	int r = goc_run(fn, arg);
	goc_maxprocs(old);
	return r;
}

/* ---- the deque and the chain ------------------------------------------ */

/*
 * After Go's TestPoolDequeue and TestPoolChain: one producer pushes
 * 1..n at the head (and now and then pops one back), consumers pop at the
 * tail; every value must come out exactly once.
 */
struct dq_test {
	struct goc_pooldequeue *d; /* or chain */
	struct goc_poolchain *c;
	long n;
	int *seen;  /* (atomic) times each value came out */
	long taken; /* (atomic) */
	int stop;   /* (atomic) producer done */
};

static void
dq_record(struct dq_test *t, void *v)
{
	long i = (long)(uintptr_t)v;

	if (i < 1 || i > t->n) {
		goc__test_fail(__FILE__, __LINE__, false, "bad value %ld", i);
		return;
	}
	__atomic_add_fetch(&t->seen[i], 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&t->taken, 1, __ATOMIC_SEQ_CST);
}

static void *
dq_consumer(void *arg)
{
	struct dq_test *t = arg;

	for (;;) {
		void *v = t->d != NULL ? goc__pooldequeue_pop_tail(t->d)
				       : goc__poolchain_pop_tail(t->c);
		if (v != NULL) {
			dq_record(t, v);
			continue;
		}
		if (__atomic_load_n(&t->stop, __ATOMIC_SEQ_CST) &&
		    load(&t->taken) == t->n)
			return NULL;
		sched_yield();
	}
}

static void
dq_run(struct dq_test *t)
{
	enum { NCONS = 3 };
	pthread_t th[NCONS];

	t->seen = calloc((size_t)t->n + 1, sizeof(int));
	require_true(t->seen != NULL);
	for (int i = 0; i < NCONS; i++)
		require_int_eq(pthread_create(&th[i], NULL, dq_consumer, t), 0);
	uint64_t r = goc_test_rand();
	for (long i = 1; i <= t->n; i++) {
		void *v = (void *)(uintptr_t)i;
		for (;;) {
			bool ok = t->d != NULL
					  ? goc__pooldequeue_push_head(t->d, v)
					  : goc__poolchain_push_head(t->c, v);
			if (ok)
				break;
			/* Full ring: a consumer must make room. */
			sched_yield();
		}
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		if ((r >> 60) == 0) {
			/* Pop one back at the head now and then, as Go's
			 * producer does. */
			void *w = t->d != NULL ? goc__pooldequeue_pop_head(t->d)
					       : goc__poolchain_pop_head(t->c);
			if (w != NULL)
				dq_record(t, w);
		}
	}
	__atomic_store_n(&t->stop, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < NCONS; i++)
		pthread_join(th[i], NULL);
	expect_int_eq(load(&t->taken), t->n);
	long bad = 0;
	for (long i = 1; i <= t->n; i++)
		bad += t->seen[i] != 1;
	expect_int_eq(bad, 0);
	free(t->seen);
}

GOC_TEST(pool_dequeue)
{
	struct dq_test t = {0};

	t.d = goc__pooldequeue_new(16);
	require_true(t.d != NULL);
	t.n = goc_test_scaled(200000);
	dq_run(&t);
	expect_true(goc__pooldequeue_pop_tail(t.d) == NULL);
	expect_true(goc__pooldequeue_pop_head(t.d) == NULL);
	free(t.d);
}

GOC_TEST(pool_chain)
{
	struct goc_poolchain c = {0};
	struct dq_test t = {0};

	t.c = &c;
	t.n = goc_test_scaled(200000);
	dq_run(&t);
	expect_true(goc__poolchain_pop_tail(&c) == NULL);
	expect_true(goc__poolchain_pop_head(&c) == NULL);
	goc__poolchain_free(&c);
}

/* A ring refuses the push that would overflow it; order at both ends. */
GOC_TEST(pool_dequeue_order)
{
	struct goc_pooldequeue *d = goc__pooldequeue_new(4);

	require_true(d != NULL);
	for (uintptr_t i = 1; i <= 4; i++)
		expect_true(goc__pooldequeue_push_head(d, (void *)i));
	expect_false(goc__pooldequeue_push_head(d, (void *)5));
	expect_ptr_eq(goc__pooldequeue_pop_tail(d), (void *)1);
	expect_ptr_eq(goc__pooldequeue_pop_head(d), (void *)4);
	expect_true(goc__pooldequeue_push_head(d, (void *)6));
	expect_ptr_eq(goc__pooldequeue_pop_head(d), (void *)6);
	expect_ptr_eq(goc__pooldequeue_pop_tail(d), (void *)2);
	expect_ptr_eq(goc__pooldequeue_pop_tail(d), (void *)3);
	expect_true(goc__pooldequeue_pop_tail(d) == NULL);
	free(d);

	/* The chain grows past its first ring and keeps FIFO at the tail. */
	struct goc_poolchain c = {0};
	for (uintptr_t i = 1; i <= 100; i++)
		expect_true(goc__poolchain_push_head(&c, (void *)i));
	for (uintptr_t i = 1; i <= 50; i++)
		expect_ptr_eq(goc__poolchain_pop_tail(&c), (void *)i);
	for (uintptr_t i = 100; i > 50; i--)
		expect_ptr_eq(goc__poolchain_pop_head(&c), (void *)i);
	expect_true(goc__poolchain_pop_head(&c) == NULL);
	goc__poolchain_free(&c);
}

/* ---- the pool --------------------------------------------------------- */

struct pool_case {
	goc_pool_t p;
	struct counts c;
};

static int
pool_basic_main(void *arg)
{
	(void)arg;
	goc_pool_t p;
	struct counts c = {0};
	int a = 1, b = 2, cc = 3;

	goc_pool_init(&p, NULL, NULL, NULL);
	expect_true(goc_pool_get(&p) == NULL);
	goc_pool_put(&p, &a);
	goc_pool_put(&p, &b);
	/* Private slot first, then the head of the chain. */
	expect_ptr_eq(goc_pool_get(&p), &a);
	expect_ptr_eq(goc_pool_get(&p), &b);
	expect_true(goc_pool_get(&p) == NULL);
	goc_pool_put(&p, NULL); /* ignored */
	expect_true(goc_pool_get(&p) == NULL);
	/* Enough to spill into the chain. */
	for (int i = 0; i < 100; i++)
		goc_pool_put(&p, &cc);
	/* After one cycle the victim cache keeps them... */
	goc_pool_sweep();
	expect_ptr_eq(goc_pool_get(&p), &cc);
	/* ...and a second drops them. */
	goc_pool_sweep();
	expect_true(goc_pool_get(&p) == NULL);
	goc_pool_destroy(&p);
	(void)c;
	return 0;
}

/* After Go's TestPool. */
GOC_TEST(pool_basic)
{
	goc__pool_set_sweep_ms(0);
	expect_int_eq(run_procs(1, pool_basic_main, NULL), 0);
}

static void *
seq_new(void *arg)
{
	long *n = arg;

	*n += 1;
	return (void *)(uintptr_t)*n;
}

static int
pool_new_main(void *arg)
{
	(void)arg;
	goc_pool_t p;
	long n = 0;

	goc_pool_init(&p, seq_new, NULL, &n);
	expect_ptr_eq(goc_pool_get(&p), (void *)1);
	expect_ptr_eq(goc_pool_get(&p), (void *)2);
	goc_pool_put(&p, (void *)42);
	expect_ptr_eq(goc_pool_get(&p), (void *)42);
	expect_ptr_eq(goc_pool_get(&p), (void *)3);
	goc_pool_destroy(&p);
	return 0;
}

/* After Go's TestPoolNew. */
GOC_TEST(pool_new)
{
	goc__pool_set_sweep_ms(0);
	expect_int_eq(run_procs(1, pool_new_main, NULL), 0);
}

struct fill {
	struct pool_case *pc;
	int n;
	goc_wg_t *wg;
};

static void
fill_fn(void *arg)
{
	struct fill *f = arg;
	void *objs[64];

	for (int i = 0; i < f->n; i++)
		objs[i] = goc_pool_get(&f->pc->p);
	for (int i = 0; i < f->n; i++)
		goc_pool_put(&f->pc->p, objs[i]);
	goc_wg_done(f->wg);
}

static int
pool_cycle_main(void *arg)
{
	struct pool_case *pc = arg;
	goc_wg_t wg = GOC_WG_INIT;
	struct fill f[4];

	/* Fill from several goroutines (on several Ps where they run). */
	for (int i = 0; i < 4; i++) {
		f[i] = (struct fill){pc, 50, &wg};
		goc_wg_add(&wg, 1);
		goc_go(fill_fn, &f[i]);
	}
	goc_wg_wait(&wg);
	long made = load(&pc->c.made);
	expect_int_ge(made, 50);
	expect_int_eq(load(&pc->c.freed), 0);
	/* One cycle: everything moves to the victim cache, nothing freed. */
	goc_pool_sweep();
	expect_int_eq(load(&pc->c.freed), 0);
	/* Two: the victim cache is freed, every object exactly once. */
	goc_pool_sweep();
	expect_int_eq(load(&pc->c.freed), made);
	/* And the pool works on. */
	void *x = goc_pool_get(&pc->p);
	expect_true(x != NULL);
	goc_pool_put(&pc->p, x);
	return 0;
}

/* After Go's TestPoolGC and TestPoolRelease: two cycles free every
 * pooled object, through free_fn, exactly once. */
GOC_TEST(pool_cycle_frees)
{
	struct pool_case pc = {0};

	goc__pool_set_sweep_ms(0);
	goc_pool_init(&pc.p, obj_new, obj_free, &pc.c);
	expect_int_eq(run_procs(2, pool_cycle_main, &pc), 0);
	goc_pool_destroy(&pc.p);
	expect_int_eq(load(&pc.c.freed), load(&pc.c.made));
}

/* A get after one cycle finds the object in the victim cache, a put
 * after it lands in the new primary generation. */
static int
pool_victim_main(void *arg)
{
	struct pool_case *pc = arg;

	void *x = goc_pool_get(&pc->p);
	goc_pool_put(&pc->p, x);
	goc_pool_sweep();
	expect_ptr_eq(goc_pool_get(&pc->p), x);
	goc_pool_put(&pc->p, x);
	goc_pool_sweep(); /* x back in the victim */
	goc_pool_sweep(); /* and freed */
	expect_int_eq(load(&pc->c.freed), 1);
	return 0;
}

GOC_TEST(pool_victim)
{
	struct pool_case pc = {0};

	goc__pool_set_sweep_ms(0);
	goc_pool_init(&pc.p, obj_new, obj_free, &pc.c);
	expect_int_eq(run_procs(1, pool_victim_main, &pc), 0);
	goc_pool_destroy(&pc.p);
	expect_int_eq(load(&pc.c.made), 1);
	expect_int_eq(load(&pc.c.freed), 1);
}

/* ---- threads without a P ---------------------------------------------- */

static void *
foreign_putter(void *arg)
{
	struct pool_case *pc = arg;
	void *x = goc_pool_get(&pc->p);

	((struct obj *)x)->data = 7;
	goc_pool_put(&pc->p, x);
	/* The stash gives it back to this thread. */
	void *y = goc_pool_get(&pc->p);
	if (y != x)
		goc__test_fail(__FILE__, __LINE__, false, "stash lost it");
	goc_pool_put(&pc->p, y);
	return NULL;
}

static int
pool_foreign_main(void *arg)
{
	struct pool_case *pc = arg;

	/* A goroutine finds what the thread left in the stash. */
	struct obj *o = goc_pool_get(&pc->p);
	expect_int_eq(load(&pc->c.made), 1);
	expect_int_eq(o->data, 7);
	goc_pool_put(&pc->p, o);
	return 0;
}

GOC_TEST(pool_foreign)
{
	struct pool_case pc = {0};
	pthread_t th;

	goc__pool_set_sweep_ms(0);
	goc_pool_init(&pc.p, obj_new, obj_free, &pc.c);
	require_int_eq(pthread_create(&th, NULL, foreign_putter, &pc), 0);
	pthread_join(th, NULL);
	expect_int_eq(run_procs(1, pool_foreign_main, &pc), 0);
	/* Stashes cycle too. */
	goc_pool_sweep();
	goc_pool_sweep();
	expect_int_eq(load(&pc.c.freed), 1);
	goc_pool_destroy(&pc.p);
	expect_int_eq(load(&pc.c.freed), load(&pc.c.made));
}

/* ---- stress ----------------------------------------------------------- */

/*
 * After Go's TestPoolStress, with the invariants C can check: no object
 * is handed to two getters at once (inuse), its data travels with it
 * (plain field, checked by TSan), every object made is freed exactly
 * once; with cycles running concurrently (a sweeper goroutine, sysmon at
 * 1 ms), GOMAXPROCS changing, and a foreign thread joining in.
 */
struct stress {
	struct pool_case pc;
	long iters;
	int stop;       /* (atomic) */
	goc_wg_t wg;    /* workers of a round */
	goc_wg_t swept; /* the sweeper */
};

static void
stress_body(struct stress *s, long tag)
{
	for (long i = 0; i < s->iters; i++) {
		struct obj *o = goc_pool_get(&s->pc.p);
		int exp = 0;
		if (!__atomic_compare_exchange_n(&o->inuse, &exp, 1, false,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST)) {
			goc__test_fail(__FILE__, __LINE__, false,
				       "object handed to two getters");
			return;
		}
		if (o->magic != MAGIC_LIVE)
			goc__test_fail(__FILE__, __LINE__, false,
				       "freed object handed out");
		o->data = tag * 1000000 + i;
		if (i % 7 == 0)
			goc_yield();
		if (o->data != tag * 1000000 + i)
			goc__test_fail(__FILE__, __LINE__, false,
				       "object changed while held");
		__atomic_store_n(&o->inuse, 0, __ATOMIC_SEQ_CST);
		goc_pool_put(&s->pc.p, o);
	}
}

static long stress_tags; /* (atomic) */

static void
stress_worker(void *arg)
{
	struct stress *s = arg;

	stress_body(s, __atomic_add_fetch(&stress_tags, 1, __ATOMIC_SEQ_CST));
	goc_wg_done(&s->wg);
}

static void
stress_sweeper(void *arg)
{
	struct stress *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
		goc_pool_sweep();
		goc_yield();
	}
	goc_wg_done(&s->swept);
}

static void *
stress_foreign(void *arg)
{
	struct stress *s = arg;

	stress_body(s, 999);
	return NULL;
}

static int
stress_main(void *arg)
{
	struct stress *s = arg;
	pthread_t th;

	goc_wg_add(&s->swept, 1);
	goc_go(stress_sweeper, s);
	require_int_eq(pthread_create(&th, NULL, stress_foreign, s), 0);
	for (int round = 0; round < 3; round++) {
		/* Grow and shrink GOMAXPROCS between rounds. */
		goc_maxprocs(round == 1 ? 4 : 2);
		goc_wg_add(&s->wg, 8);
		for (int i = 0; i < 8; i++)
			goc_go(stress_worker, s);
		goc_wg_wait(&s->wg);
	}
	pthread_join(th, NULL);
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	goc_wg_wait(&s->swept);
	return 0;
}

GOC_TEST(pool_stress)
{
	struct stress *s = calloc(1, sizeof(*s));

	require_true(s != NULL);
	goc_test_set_timeout(120);
	int64_t old = goc__pool_set_sweep_ms(1);
	goc_pool_init(&s->pc.p, obj_new, obj_free, &s->pc.c);
	s->iters = goc_test_scaled(20000);
	expect_int_eq(run_procs(2, stress_main, s), 0);
	goc__pool_set_sweep_ms(old);
	goc_pool_destroy(&s->pc.p);
	expect_int_gt(load(&s->pc.c.made), 0);
	expect_int_eq(load(&s->pc.c.freed), load(&s->pc.c.made));
	free(s);
}

/* ---- memory model ----------------------------------------------------- */

/*
 * Go's memory model for Pool: a call to Put(x) is synchronized before a
 * call to Get returning that same x. The payload is plain data, so the
 * TSan build checks the edge (through the private slot, a steal, and the
 * foreign stash).
 */
struct litmus {
	goc_pool_t p;
	long payload[3];
	long dummy;
};

static void
litmus_put(void *arg)
{
	struct litmus *l = arg;

	/* A P's private slot is not stealable (as in Go): fill it first so
	 * that the payload lands in the chain, which the main goroutine can
	 * steal from when this runs on the other P. */
	goc_pool_put(&l->p, &l->dummy);
	l->payload[0] = 42;
	goc_pool_put(&l->p, &l->payload[0]);
}

static void *
litmus_foreign(void *arg)
{
	struct litmus *l = arg;

	l->payload[2] = 44;
	goc_pool_put(&l->p, &l->payload[2]);
	return NULL;
}

static int
litmus_main(void *arg)
{
	struct litmus *l = arg;
	pthread_t th;
	int got = 0;

	goc_go(litmus_put, l);
	require_int_eq(pthread_create(&th, NULL, litmus_foreign, l), 0);
	l->payload[1] = 43;
	goc_pool_put(&l->p, &l->payload[1]);
	while (got < 3) {
		long *x = goc_pool_get(&l->p);
		if (x == NULL || x == &l->dummy) {
			goc_yield();
			continue;
		}
		/* Plain read of what the putter wrote before its put. */
		expect_int_eq(*x, 42 + (x - l->payload));
		got++;
	}
	pthread_join(th, NULL);
	return 0;
}

GOC_TEST(pool_put_happens_before_get)
{
	for (int i = 0; i < 20; i++) {
		struct litmus *l = calloc(1, sizeof(*l));
		require_true(l != NULL);
		goc__pool_set_sweep_ms(0);
		goc_pool_init(&l->p, NULL, NULL, NULL);
		expect_int_eq(run_procs(2, litmus_main, l), 0);
		goc_pool_destroy(&l->p);
		free(l);
	}
}
