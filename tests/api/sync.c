/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Mutex, RWMutex, WaitGroup, Once and Cond through <goconc.h>: ports of
 * Go's src/sync tests (mutex_test.go, rwmutex_test.go, waitgroup_test.go,
 * once_test.go, cond_test.go; each case names the one it follows), the
 * memory-model edges Go documents for them (doc/go_mem.html; plain data
 * handed over, so the TSan build checks each edge), and foreign threads
 * using every primitive together with goroutines.
 *
 * Waiting without a primitive under test is done on atomics with
 * goc_yield; sleeps are only ever workload (the fairness hog).
 */
#include <pthread.h>
#include <stdlib.h>

#include <goconc.h>

#include "../harness.h"

static int
load(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static int
inc(int *p)
{
	return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}

static void
wait_until(int *p, int want)
{
	while (load(p) < want)
		goc_yield();
}

/* Runs fn under goc_run with procs Ps. */
static int
run_procs(int procs, int (*fn)(void *), void *arg)
{
	int old = goc_maxprocs(procs);
	int r = goc_run(fn, arg);
	goc_maxprocs(old);
	return r;
}

/* ---- Mutex ------------------------------------------------------------ */

/* After Go's TestMutex: TryLock rules. */
GOC_TEST(mutex_try_lock)
{
	goc_mutex_t m = GOC_MUTEX_INIT;

	expect_true(goc_mutex_try_lock(&m));
	expect_false(goc_mutex_try_lock(&m));
	goc_mutex_unlock(&m);
	expect_true(goc_mutex_try_lock(&m));
	goc_mutex_unlock(&m);
	goc_mutex_lock(&m);
	expect_false(goc_mutex_try_lock(&m));
	goc_mutex_unlock(&m);
}

struct hammer {
	goc_mutex_t m;
	goc_wg_t wg;
	long iters;
	long counter; /* (m) plain on purpose */
};

static void
hammer_mutex(void *arg)
{
	struct hammer *h = arg;

	for (long i = 0; i < h->iters; i++) {
		if (i % 3 == 0) {
			if (goc_mutex_try_lock(&h->m)) {
				h->counter++;
				goc_mutex_unlock(&h->m);
			} else {
				goc_mutex_lock(&h->m);
				h->counter++;
				goc_mutex_unlock(&h->m);
			}
			continue;
		}
		goc_mutex_lock(&h->m);
		h->counter++;
		goc_mutex_unlock(&h->m);
	}
	goc_wg_done(&h->wg);
}

static int
mutex_hammer_main(void *arg)
{
	struct hammer *h = arg;

	goc_wg_add(&h->wg, 10);
	for (int i = 0; i < 10; i++)
		goc_go(hammer_mutex, h);
	goc_wg_wait(&h->wg);
	return 0;
}

/* After Go's TestMutex (HammerMutex): 10 goroutines x 1000 iterations,
 * TryLock every third, at 1 and 2 Ps. */
GOC_TEST(mutex_hammer)
{
	for (int procs = 1; procs <= 2; procs++) {
		struct hammer h = {.iters = goc_test_scaled(1000) * 10};
		run_procs(procs, mutex_hammer_main, &h);
		expect_int_eq(h.counter, 10 * h.iters);
	}
}

struct fair {
	goc_mutex_t m;
	int stop;
	int got;
	int hog_done;
};

static void
fair_hog(void *arg)
{
	struct fair *f = arg;

	while (!load(&f->stop)) {
		goc_mutex_lock(&f->m);
		goc_sleep(100 * GOC_MICROSECOND); /* workload, not sync */
		goc_mutex_unlock(&f->m);
	}
	inc(&f->hog_done);
}

static void
fair_waiter(void *arg)
{
	struct fair *f = arg;

	for (int i = 0; i < 10; i++) {
		goc_sleep(100 * GOC_MICROSECOND);
		goc_mutex_lock(&f->m);
		goc_mutex_unlock(&f->m);
	}
	inc(&f->got);
}

static int
fair_main(void *arg)
{
	struct fair *f = arg;
	int64_t deadline = goc_now() + 10 * GOC_SECOND;

	goc_go(fair_hog, f);
	goc_go(fair_waiter, f);
	while (!load(&f->got) && goc_now() < deadline)
		goc_sleep(GOC_MILLISECOND);
	__atomic_store_n(&f->stop, 1, __ATOMIC_SEQ_CST);
	wait_until(&f->hog_done, 1);
	if (!load(&f->got)) {
		/* Unblock the waiter so that goc_run can finish. */
		wait_until(&f->got, 1);
		return 1;
	}
	return 0;
}

/* After Go's TestMutexFairness: a waiter gets the lock 10 times within
 * 10 s against a hog that releases it only briefly (starvation mode). */
GOC_TEST(mutex_fairness)
{
	struct fair f = {0};

	goc_test_set_timeout(60);
	expect_int_eq(run_procs(2, fair_main, &f), 0);
}

struct mm {
	goc_mutex_t m;
	goc_wg_t wg;
	long x, y; /* (m) plain: the edge under test */
	long iters;
	int bad;
};

static void
mm_mutex_worker(void *arg)
{
	struct mm *s = arg;

	for (long i = 0; i < s->iters; i++) {
		goc_mutex_lock(&s->m);
		if (s->x != s->y)
			inc(&s->bad);
		s->x++;
		s->y++;
		goc_mutex_unlock(&s->m);
	}
	goc_wg_done(&s->wg);
}

static int
mm_mutex_main(void *arg)
{
	struct mm *s = arg;

	goc_wg_add(&s->wg, 4);
	for (int i = 0; i < 4; i++)
		goc_go(mm_mutex_worker, s);
	goc_wg_wait(&s->wg);
	return 0;
}

/* Memory model: the n-th Unlock is synchronized before the m-th Lock
 * returns (n < m). Plain x and y never seen apart; TSan sees the edge. */
GOC_TEST(mutex_memory_model)
{
	struct mm s = {.iters = goc_test_scaled(20000)};

	run_procs(2, mm_mutex_main, &s);
	expect_int_eq(s.bad, 0);
	expect_int_eq(s.x, 4 * s.iters);
}

/* ---- RWMutex ---------------------------------------------------------- */

struct readers {
	goc_rwmutex_t rw;
	int n;
	int inside;
	int done;
};

static void
parallel_reader(void *arg)
{
	struct readers *r = arg;

	goc_rwmutex_rlock(&r->rw);
	inc(&r->inside);
	/* Every reader must get in while this one holds its read lock. */
	wait_until(&r->inside, r->n);
	goc_rwmutex_runlock(&r->rw);
	inc(&r->done);
}

static int
parallel_readers_main(void *arg)
{
	struct readers *r = arg;

	for (int i = 0; i < r->n; i++)
		goc_go(parallel_reader, r);
	wait_until(&r->done, r->n);
	return 0;
}

/* After Go's TestParallelReaders: (readers, procs) = (1,4), (3,4), (4,2). */
GOC_TEST(rwmutex_parallel_readers)
{
	static const int cases[][2] = {{1, 4}, {3, 4}, {4, 2}};

	for (size_t i = 0; i < 3; i++) {
		struct readers r = {.n = cases[i][0]};
		run_procs(cases[i][1], parallel_readers_main, &r);
		expect_int_eq(r.done, r.n);
	}
}

/* After Go's TestRWMutex: the TryLock / TryRLock matrix. */
GOC_TEST(rwmutex_try)
{
	goc_rwmutex_t m = GOC_RWMUTEX_INIT;

	goc_rwmutex_lock(&m);
	expect_false(goc_rwmutex_try_lock(&m));
	expect_false(goc_rwmutex_try_rlock(&m));
	goc_rwmutex_unlock(&m);
	expect_true(goc_rwmutex_try_lock(&m));
	expect_false(goc_rwmutex_try_lock(&m));
	expect_false(goc_rwmutex_try_rlock(&m));
	goc_rwmutex_unlock(&m);
	expect_true(goc_rwmutex_try_rlock(&m));
	expect_false(goc_rwmutex_try_lock(&m));
	expect_true(goc_rwmutex_try_rlock(&m));
	goc_rwmutex_runlock(&m);
	goc_rwmutex_runlock(&m);
	goc_rwmutex_lock(&m);
	goc_rwmutex_unlock(&m);
}

struct rwhammer {
	goc_rwmutex_t rw;
	goc_wg_t wg;
	int activity;
	int bad;
	long iters;
	long shared; /* (rw) plain: written by writers, read by readers */
	int readers;
};

static void
rw_reader(void *arg)
{
	struct rwhammer *h = arg;

	for (long i = 0; i < h->iters; i++) {
		goc_rwmutex_rlock(&h->rw);
		int n = __atomic_add_fetch(&h->activity, 1, __ATOMIC_SEQ_CST);
		if (n < 1 || n >= 10000)
			inc(&h->bad);
		(void)*(volatile long *)&h->shared;
		for (int j = 0; j < 20; j++)
			;
		__atomic_sub_fetch(&h->activity, 1, __ATOMIC_SEQ_CST);
		goc_rwmutex_runlock(&h->rw);
	}
	goc_wg_done(&h->wg);
}

static void
rw_writer(void *arg)
{
	struct rwhammer *h = arg;

	for (long i = 0; i < h->iters; i++) {
		goc_rwmutex_lock(&h->rw);
		int n = __atomic_add_fetch(&h->activity, 10000,
					   __ATOMIC_SEQ_CST);
		if (n != 10000)
			inc(&h->bad);
		h->shared++;
		__atomic_sub_fetch(&h->activity, 10000, __ATOMIC_SEQ_CST);
		goc_rwmutex_unlock(&h->rw);
	}
	goc_wg_done(&h->wg);
}

static int
rw_hammer_main(void *arg)
{
	struct rwhammer *h = arg;
	int readers = h->readers;

	goc_wg_add(&h->wg, 2 + readers);
	goc_go(rw_writer, h);
	for (int i = 0; i < readers / 2; i++)
		goc_go(rw_reader, h);
	goc_go(rw_writer, h);
	for (int i = readers / 2; i < readers; i++)
		goc_go(rw_reader, h);
	goc_wg_wait(&h->wg);
	return 0;
}

/* After Go's TestRWMutex (HammerRWMutex): readers add 1 and writers
 * 10000 to an activity counter; a reader must never see a writer, a
 * writer nobody. procs x readers over {1,4} x {1,3,10}. */
GOC_TEST(rwmutex_hammer)
{
	static const int procs[] = {1, 4};
	static const int readers[] = {1, 3, 10};

	for (size_t p = 0; p < 2; p++) {
		for (size_t r = 0; r < 3; r++) {
			struct rwhammer h = {.iters = goc_test_scaled(1000)};
			h.readers = readers[r];
			run_procs(procs[p], rw_hammer_main, &h);
			expect_int_eq(h.bad, 0);
			expect_int_eq(h.shared, 2 * h.iters);
		}
	}
}

/* After Go's TestRLocker: the RLocker's lock is a read lock: it excludes
 * writers and admits other readers. */
GOC_TEST(rwmutex_rlocker)
{
	goc_rwmutex_t rw = GOC_RWMUTEX_INIT;
	goc_locker_t rl = goc_rwmutex_rlocker(&rw);

	rl.lock(rl.obj);
	expect_false(goc_rwmutex_try_lock(&rw));
	expect_true(goc_rwmutex_try_rlock(&rw));
	goc_rwmutex_runlock(&rw);
	rl.unlock(rl.obj);
	expect_true(goc_rwmutex_try_lock(&rw));
	goc_rwmutex_unlock(&rw);
}

struct rwmm {
	goc_rwmutex_t rw;
	int started, done;
	long data; /* (rw) */
	long seen;
};

static void
rwmm_reader(void *arg)
{
	struct rwmm *s = arg;

	inc(&s->started);
	goc_rwmutex_rlock(&s->rw);
	s->seen = s->data; /* after the writer's Unlock */
	goc_rwmutex_runlock(&s->rw);
	inc(&s->done);
}

static int
rwmm_main(void *arg)
{
	struct rwmm *s = arg;

	goc_rwmutex_lock(&s->rw);
	goc_go(rwmm_reader, s);
	wait_until(&s->started, 1);
	s->data = 42;
	goc_rwmutex_unlock(&s->rw);
	wait_until(&s->done, 1);
	goc_rwmutex_lock(&s->rw); /* after the reader's RUnlock */
	expect_int_eq(s->seen, 42);
	s->data = 0;
	goc_rwmutex_unlock(&s->rw);
	return 0;
}

/* Memory model: Unlock before the RLock that follows it, RUnlock before
 * the next Lock. */
GOC_TEST(rwmutex_memory_model)
{
	for (int i = 0; i < goc_test_scaled(200); i++) {
		struct rwmm s = {0};
		run_procs(2, rwmm_main, &s);
	}
}

/* ---- WaitGroup -------------------------------------------------------- */

struct wgt {
	goc_wg_t *wg1, *wg2;
	int exited;
};

static void
wg_worker(void *arg)
{
	struct wgt *t = arg;

	goc_wg_done(t->wg1);
	goc_wg_wait(t->wg2);
	inc(&t->exited);
}

static int
wg_main(void *arg)
{
	struct wgt *t = arg;
	const int n = 16;

	for (int round = 0; round < 8; round++) {
		t->exited = 0;
		goc_wg_add(t->wg1, n);
		goc_wg_add(t->wg2, n);
		for (int i = 0; i < n; i++)
			goc_go(wg_worker, t);
		goc_wg_wait(t->wg1);
		for (int i = 0; i < n; i++) {
			if (load(&t->exited) != 0)
				goc_test_fail("WaitGroup released group too "
					      "soon");
			goc_wg_done(t->wg2);
		}
		wait_until(&t->exited, n);
	}
	return 0;
}

/* After Go's TestWaitGroup: testWaitGroup 8 times on the same groups
 * (reuse once Wait has returned), at 1 and 2 Ps. */
GOC_TEST(waitgroup)
{
	for (int procs = 1; procs <= 2; procs++) {
		goc_wg_t wg1 = GOC_WG_INIT, wg2 = GOC_WG_INIT;
		struct wgt t = {&wg1, &wg2, 0};
		run_procs(procs, wg_main, &t);
	}
}

struct wgrace {
	goc_wg_t wg;
	int n1, n2;
};

static void
wgrace_1(void *arg)
{
	struct wgrace *r = arg;
	inc(&r->n1);
	goc_wg_done(&r->wg);
}

static void
wgrace_2(void *arg)
{
	struct wgrace *r = arg;
	inc(&r->n2);
	goc_wg_done(&r->wg);
}

static int
wgrace_main(void *arg)
{
	long n = (long)(intptr_t)arg;

	for (long i = 0; i < n; i++) {
		struct wgrace r = {GOC_WG_INIT, 0, 0};
		goc_wg_add(&r.wg, 2);
		goc_go(wgrace_1, &r);
		goc_go(wgrace_2, &r);
		goc_wg_wait(&r.wg);
		if (load(&r.n1) != 1 || load(&r.n2) != 1)
			goc_test_fail("spurious wakeup from Wait");
	}
	return 0;
}

/* After Go's TestWaitGroupRace: no spurious wake-up; both Dones' effects
 * are visible when Wait returns. */
GOC_TEST(waitgroup_race)
{
	run_procs(2, wgrace_main, (void *)(intptr_t)goc_test_scaled(1000));
}

/* After Go's TestWaitGroupAlign: the state may sit at any alignment the
 * type allows inside a user struct. */
GOC_TEST(waitgroup_align)
{
	struct {
		char x;
		goc_wg_t wg;
	} s = {0, GOC_WG_INIT};

	goc_wg_add(&s.wg, 1);
	goc_wg_done(&s.wg);
	goc_wg_wait(&s.wg);
}

struct wggo {
	goc_wg_t wg;
	long plain[8];
};

static void
wggo_fn(void *arg)
{
	long *p = arg;
	*p = 7;
}

static int
wggo_main(void *arg)
{
	struct wggo *s = arg;

	for (int i = 0; i < 8; i++)
		expect_int_eq(goc_wg_go(&s->wg, wggo_fn, &s->plain[i]), 0);
	goc_wg_wait(&s->wg);
	/* Memory model: each Done before the Wait it unblocks. */
	for (int i = 0; i < 8; i++)
		expect_int_eq(s->plain[i], 7);
	return 0;
}

/* Go 1.25's WaitGroup.Go. */
GOC_TEST(waitgroup_go)
{
	struct wggo s = {GOC_WG_INIT, {0}};
	run_procs(2, wggo_main, &s);
}

/* ---- Once ------------------------------------------------------------- */

struct oncet {
	goc_once_t once;
	goc_wg_t wg;
	long value; /* plain: written by f, read by every caller */
	int calls;
	int bad;
};

static void
once_f(void *arg)
{
	struct oncet *o = arg;
	inc(&o->calls);
	goc_yield(); /* let the others pile up on the slow path */
	o->value++;
}

static void
once_caller(void *arg)
{
	struct oncet *o = arg;

	goc_once_do(&o->once, once_f, o);
	if (o->value != 1)
		inc(&o->bad);
	goc_wg_done(&o->wg);
}

static int
once_main(void *arg)
{
	struct oncet *o = arg;

	goc_wg_add(&o->wg, 10);
	for (int i = 0; i < 10; i++)
		goc_go(once_caller, o);
	goc_wg_wait(&o->wg);
	return 0;
}

/* After Go's TestOnce: 10 concurrent Do run f exactly once and every
 * caller observes f's effect (memory model: f's return before any Do's
 * return). */
GOC_TEST(once)
{
	for (int i = 0; i < goc_test_scaled(50); i++) {
		struct oncet o = {0};
		run_procs(2, once_main, &o);
		expect_int_eq(o.calls, 1);
		expect_int_eq(o.bad, 0);
		expect_true(goc_once_done(&o.once));
	}
}

static void *
make_value(void *arg)
{
	inc(arg);
	return arg;
}

/* After Go's TestOnceValue: computed once, same result for all. */
GOC_TEST(once_value)
{
	int n = 0;
	goc_once_value_t ov = GOC_ONCE_VALUE_INIT(make_value, &n);

	expect_ptr_eq(goc_once_value_get(&ov), &n);
	expect_ptr_eq(goc_once_value_get(&ov), &n);
	expect_int_eq(n, 1);
}

/* ---- Cond ------------------------------------------------------------- */

struct condt {
	goc_mutex_t m;
	goc_cond_t c;
	int running;
	int awake;
	int exit; /* (m) */
	int order[128];
	int seen[256];
	long data;
	/* The waiters' ends: t lives on the test's stack, and a waiter's
	 * last unlock may still be running when main moves on. */
	goc_wg_t done;
};

static void
cond_signal_waiter(void *arg)
{
	struct condt *t = arg;

	goc_mutex_lock(&t->m);
	inc(&t->running);
	goc_cond_wait(&t->c, NULL);
	inc(&t->awake);
	goc_mutex_unlock(&t->m);
	goc_wg_done(&t->done);
}

static int
cond_signal_main(void *arg)
{
	struct condt *t = arg;
	const int n = 2;

	goc_wg_add(&t->done, n);
	for (int i = 0; i < n; i++)
		goc_go(cond_signal_waiter, t);
	wait_until(&t->running, n);
	for (int k = 1; k <= n; k++) {
		/* Everyone has a ticket once we can take m. */
		goc_mutex_lock(&t->m);
		expect_int_eq(load(&t->awake), k - 1);
		goc_cond_signal(&t->c);
		goc_mutex_unlock(&t->m);
		wait_until(&t->awake, k);
		for (int y = 0; y < 10; y++)
			goc_yield();
		expect_int_eq(load(&t->awake), k); /* one per Signal */
	}
	goc_cond_signal(&t->c); /* no waiters: a no-op */
	goc_wg_wait(&t->done);
	return 0;
}

/* After Go's TestCondSignal. */
GOC_TEST(cond_signal)
{
	struct condt t = {0};

	goc_cond_init(&t.c, &t.m);
	run_procs(2, cond_signal_main, &t);
}

static void
cond_gen_waiter(void *arg)
{
	struct condt *t = arg;

	goc_mutex_lock(&t->m);
	int me = load(&t->running);
	inc(&t->running);
	goc_cond_wait(&t->c, &t->m); /* binds L at first use */
	t->order[load(&t->awake)] = me;
	inc(&t->awake);
	goc_mutex_unlock(&t->m);
	goc_wg_done(&t->done);
}

static int
cond_gen_main(void *arg)
{
	struct condt *t = arg;
	const int n = 100;

	goc_wg_add(&t->done, n);
	for (int i = 0; i < n; i++) {
		goc_go(cond_gen_waiter, t);
		wait_until(&t->running, i + 1);
		/* Taking m proves waiter i holds its ticket. */
		goc_mutex_lock(&t->m);
		goc_mutex_unlock(&t->m);
	}
	for (int i = 0; i < n; i++) {
		goc_cond_signal(&t->c);
		wait_until(&t->awake, i + 1);
		goc_mutex_lock(&t->m);
		if (t->order[i] != i)
			goc_test_fail("wrong goroutine woke up: want %d, "
				      "got %d",
				      i, t->order[i]);
		goc_mutex_unlock(&t->m);
	}
	goc_wg_wait(&t->done);
	return 0;
}

/* After Go's TestCondSignalGenerations: Signal wakes in FIFO order. */
GOC_TEST(cond_signal_generations)
{
	struct condt t = {0};
	run_procs(2, cond_gen_main, &t);
}

struct bcast {
	goc_mutex_t m;
	goc_cond_t c;
	int n;
	int running, awake;
	int exit;  /* (m) */
	int *seen; /* (m) */
	int twice;
	/* The waiters' ends: b lives on the test's stack, and a waiter's
	 * last unlock may still be running when main holds m again. */
	goc_wg_t done;
};

static void
bcast_waiter(void *arg)
{
	struct bcast *b = arg;

	/* Counted as running only under the lock, which cond_wait releases
	 * atomically: main, once it holds the lock, knows every counted
	 * waiter waits (Go's test sends on `running` under the lock too). */
	goc_mutex_lock(&b->m);
	int g = inc(&b->running) - 1;
	int round = 0;
	while (!b->exit) {
		if (round++ > 0)
			inc(&b->running);
		goc_cond_wait(&b->c, NULL);
		if (b->seen[g] != round - 1)
			b->twice++;
		b->seen[g] = round;
		inc(&b->awake);
	}
	goc_mutex_unlock(&b->m);
	goc_wg_done(&b->done);
}

static int
bcast_main(void *arg)
{
	struct bcast *b = arg;
	int n = b->n;

	goc_wg_add(&b->done, n);
	for (int i = 0; i < n; i++)
		goc_go(bcast_waiter, b);
	for (int r = 0; r < n; r++) {
		wait_until(&b->running, n * (r + 1));
		goc_mutex_lock(&b->m);
		if (r == n - 1)
			b->exit = 1;
		if (load(&b->awake) != n * r)
			goc_test_fail("goroutine not asleep");
		goc_cond_broadcast(&b->c);
		goc_mutex_unlock(&b->m);
		wait_until(&b->awake, n * (r + 1));
	}
	goc_mutex_lock(&b->m);
	expect_int_eq(b->twice, 0);
	for (int i = 0; i < n; i++)
		expect_int_eq(b->seen[i], n);
	goc_mutex_unlock(&b->m);
	goc_wg_wait(&b->done);
	return 0;
}

/* After Go's TestCondBroadcast: n waiters, n rounds, each wakes exactly
 * once per Broadcast (n = 200 scaled). */
GOC_TEST(cond_broadcast)
{
	struct bcast b = {.n = (int)goc_test_scaled(200)};

	if (b.n < 2)
		b.n = 2;
	b.seen = calloc((size_t)b.n, sizeof(int));
	goc_cond_init(&b.c, &b.m);
	run_procs(2, bcast_main, &b);
	free(b.seen);
}

struct steal {
	goc_mutex_t m;
	goc_cond_t c;
	int state; /* 0 start, 1 waiter ready, 2 woken */
	int done;  /* (m) */
	int stealer_in, stealer_out;
};

static void
steal_waiter(void *arg)
{
	struct steal *s = arg;

	goc_mutex_lock(&s->m);
	__atomic_store_n(&s->state, 1, __ATOMIC_SEQ_CST);
	goc_cond_wait(&s->c, NULL);
	goc_mutex_unlock(&s->m);
	__atomic_store_n(&s->state, 2, __ATOMIC_SEQ_CST);
}

static void
steal_stealer(void *arg)
{
	struct steal *s = arg;

	goc_mutex_lock(&s->m);
	inc(&s->stealer_in);
	while (!s->done)
		goc_cond_wait(&s->c, NULL);
	goc_mutex_unlock(&s->m);
	inc(&s->stealer_out);
}

static void
steal_broadcaster(void *arg)
{
	goc_cond_broadcast(arg);
}

static int
steal_main(void *arg)
{
	long iters = (long)(intptr_t)arg;

	for (long i = 0; i < iters; i++) {
		struct steal s = {0};
		goc_cond_init(&s.c, &s.m);
		goc_go(steal_waiter, &s);
		wait_until(&s.state, 1);
		goc_mutex_lock(&s.m); /* the waiter is inside Wait now */
		goc_mutex_unlock(&s.m);
		/* A Broadcast must wake the waiter that was already waiting,
		 * whatever a new waiter racing in does. */
		goc_go(steal_broadcaster, &s.c);
		goc_go(steal_stealer, &s);
		wait_until(&s.state, 2);
		wait_until(&s.stealer_in, 1);
		goc_mutex_lock(&s.m);
		s.done = 1;
		goc_cond_broadcast(&s.c);
		goc_mutex_unlock(&s.m);
		wait_until(&s.stealer_out, 1);
	}
	return 0;
}

/* After Go's TestCondSignalStealing. */
GOC_TEST(cond_signal_stealing)
{
	run_procs(2, steal_main, (void *)(intptr_t)goc_test_scaled(1000));
}

struct condmm {
	goc_mutex_t m;
	goc_cond_t c;
	int ready;
	long data; /* plain: written before Signal, outside m */
	long seen;
};

static void
condmm_waiter(void *arg)
{
	struct condmm *s = arg;

	goc_mutex_lock(&s->m);
	__atomic_store_n(&s->ready, 1, __ATOMIC_SEQ_CST);
	goc_cond_wait(&s->c, NULL); /* no spurious wake-ups */
	goc_mutex_unlock(&s->m);
	s->seen = s->data;
	__atomic_store_n(&s->ready, 2, __ATOMIC_SEQ_CST);
}

static int
condmm_main(void *arg)
{
	struct condmm *s = arg;

	goc_go(condmm_waiter, s);
	while (load(&s->ready) != 1)
		goc_yield();
	goc_mutex_lock(&s->m);
	goc_mutex_unlock(&s->m);
	s->data = 42;
	goc_cond_signal(&s->c);
	while (load(&s->ready) != 2)
		goc_yield();
	return 0;
}

/* Memory model: Signal is synchronized before the Wait it unblocks
 * (data written before the Signal, without the lock, is seen). */
GOC_TEST(cond_memory_model)
{
	for (int i = 0; i < goc_test_scaled(200); i++) {
		struct condmm s = {0};
		goc_cond_init(&s.c, &s.m);
		run_procs(2, condmm_main, &s);
		expect_int_eq(s.seen, 42);
	}
}

/* ---- foreign threads -------------------------------------------------- */

struct mixed {
	goc_mutex_t m;
	goc_rwmutex_t rw;
	goc_once_t once;
	goc_cond_t c;
	goc_wg_t wg;      /* counts everyone */
	goc_wg_t go_wait; /* a thread Done, a goroutine Wait */
	goc_wg_t th_wait; /* a goroutine Done, a thread Wait */
	long counter;     /* (m) */
	long rwdata;      /* (rw) */
	int once_calls;
	int turn; /* (m) cond ping-pong */
	long iters;
};

struct mixed_arg {
	struct mixed *s;
	int me;
};

static void
mixed_once(void *arg)
{
	inc(arg);
}

static void
mixed_work(struct mixed *s, int me)
{
	goc_once_do(&s->once, mixed_once, &s->once_calls);
	for (long i = 0; i < s->iters; i++) {
		goc_mutex_lock(&s->m);
		s->counter++;
		goc_mutex_unlock(&s->m);
		if (i % 4 == 0) {
			goc_rwmutex_lock(&s->rw);
			s->rwdata++;
			goc_rwmutex_unlock(&s->rw);
		} else {
			goc_rwmutex_rlock(&s->rw);
			(void)*(volatile long *)&s->rwdata;
			goc_rwmutex_runlock(&s->rw);
		}
	}
	/* Cond ping-pong between the four participants, in turn. */
	for (int r = 0; r < 8; r++) {
		goc_mutex_lock(&s->m);
		while (s->turn % 4 != me)
			goc_cond_wait(&s->c, NULL);
		s->turn++;
		goc_cond_broadcast(&s->c);
		goc_mutex_unlock(&s->m);
	}
}

static void *
mixed_thread(void *arg)
{
	struct mixed *s = ((struct mixed_arg *)arg)->s;
	int me = ((struct mixed_arg *)arg)->me;

	if (me == 2)
		goc_wg_done(&s->go_wait);
	if (me == 3)
		goc_wg_wait(&s->th_wait); /* a goroutine's Done */
	mixed_work(s, me);
	goc_wg_done(&s->wg);
	return NULL;
}

static void
mixed_goroutine(void *arg)
{
	struct mixed *s = ((struct mixed_arg *)arg)->s;
	int me = ((struct mixed_arg *)arg)->me;

	if (me == 0)
		goc_wg_done(&s->th_wait);
	if (me == 1)
		goc_wg_wait(&s->go_wait); /* a foreign thread's Done */
	mixed_work(s, me);
	goc_wg_done(&s->wg);
}

/* Every primitive used at once by two goroutines and two foreign threads:
 * mutual exclusion, rwmutex, once, cond, and WaitGroups both ways. */
GOC_TEST(foreign_threads)
{
	if (getenv("GOC_TEST_SIM") != NULL) /* --enable-sim: one OS thread */
		goc_test_skip("raw threads are not simulated");
	struct mixed s = {.iters = goc_test_scaled(5000)};
	struct mixed_arg a[4];
	pthread_t th[2];

	goc_cond_init(&s.c, &s.m);
	goc_wg_add(&s.wg, 4);
	goc_wg_add(&s.go_wait, 1);
	goc_wg_add(&s.th_wait, 1);
	for (int i = 0; i < 4; i++) {
		a[i].s = &s;
		a[i].me = i;
	}
	goc_go(mixed_goroutine, &a[0]);
	goc_go(mixed_goroutine, &a[1]);
	pthread_create(&th[0], NULL, mixed_thread, &a[2]);
	pthread_create(&th[1], NULL, mixed_thread, &a[3]);
	goc_wg_wait(&s.wg); /* the main thread is foreign too */
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	expect_int_eq(s.counter, 4 * s.iters);
	expect_int_eq(s.rwdata, 4 * ((s.iters + 3) / 4));
	expect_int_eq(s.once_calls, 1);
	expect_int_eq(s.turn, 32);
}
