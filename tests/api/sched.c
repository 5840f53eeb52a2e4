/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The scheduler through the public API: goc_run, goc_go, goc_yield,
 * goc_sleep, goc_maxprocs, system calls, foreign threads. After Go's
 * runtime/proc_test.go (TestGoroutineParallelism, TestYieldProgress,
 * TestBlockedSyscall-style hand-off, TestNumGoroutine) and
 * TestTimerFairness-style starvation checks. Waiting is done on atomics
 * with goc_yield (never sleeps standing in for synchronisation).
 */
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <goconc.h>

#include "../harness.h"

static void
wait_for(goc_atomic_int64_t *v, int64_t want)
{
	while (goc_atomic_int64_load(v) < want)
		goc_yield();
}

/* ---- goc_run ---------------------------------------------------------- */

static int
return_arg(void *arg)
{
	return (int)(intptr_t)arg;
}

GOC_TEST(run_returns_main_result)
{
	expect_int_eq(goc_run(return_arg, (void *)42), 42);
	/* goc_run may be called again after it returns. */
	expect_int_eq(goc_run(return_arg, (void *)7), 7);
}

static int
main_id(void *arg)
{
	*(uint64_t *)arg = goc_id();
	return 0;
}

GOC_TEST(goroutine_ids)
{
	uint64_t a = 0, b = 0;

	expect_uint_eq(goc_id(), 0); /* this thread is not a goroutine */
	goc_run(main_id, &a);
	goc_run(main_id, &b);
	expect_uint_ne(a, 0);
	expect_uint_gt(b, a); /* ids are never reused */
}

/* ---- spawning --------------------------------------------------------- */

struct counter {
	goc_atomic_int64_t n;
	goc_atomic_int64_t sum;
};

static void
count_one(void *arg)
{
	struct counter *c = arg;
	goc_atomic_int64_add(&c->sum, (int64_t)goc_id() % 7);
	goc_atomic_int64_add(&c->n, 1);
}

static int
spawn_many(void *arg)
{
	struct counter *c = arg;
	long n = goc_test_scaled(20000);

	for (long i = 0; i < n; i++)
		if (goc_go(count_one, c) != 0)
			return -1;
	wait_for(&c->n, n);
	return (int)n;
}

GOC_TEST(spawn_many_goroutines)
{
	struct counter c = {0};
	int n = goc_run(spawn_many, &c);

	expect_int_gt(n, 0);
	expect_int_eq(goc_atomic_int64_load(&c.n), n);
}

static void
nested(void *arg)
{
	struct counter *c = arg;
	/* A chain: each goroutine starts the next (CreateGoroutines). */
	if (goc_atomic_int64_add(&c->sum, 1) < goc_test_scaled(5000))
		goc_go(nested, c);
	else
		goc_atomic_int64_store(&c->n, 1);
}

static int
chain(void *arg)
{
	struct counter *c = arg;
	goc_go(nested, c);
	wait_for(&c->n, 1);
	return 0;
}

GOC_TEST(spawn_chain)
{
	struct counter c = {0};
	goc_run(chain, &c);
	expect_int_eq(goc_atomic_int64_load(&c.sum), goc_test_scaled(5000));
}

static void
opts_child(void *arg)
{
	goc_atomic_int64_store(arg, 1);
}

static int
spawn_with_opts(void *arg)
{
	goc_atomic_int64_t *done = arg;
	goc_go_opts_t o = {.stack_size = 256 * 1024, .name = "big"};
	if (goc_go_opts(opts_child, done, &o) != 0)
		return -1;
	wait_for(done, 1);
	return 0;
}

GOC_TEST(spawn_with_options)
{
	goc_atomic_int64_t done = GOC_ATOMIC_INIT(0);
	expect_int_eq(goc_run(spawn_with_opts, &done), 0);
}

/* ---- parallelism and yielding ---------------------------------------- */

struct par {
	goc_atomic_int64_t arrived;
	goc_atomic_int64_t left;
	int64_t want;
};

static void
par_worker(void *arg)
{
	struct par *p = arg;
	/* Spin without yielding: only true parallelism lets all arrive. */
	goc_atomic_int64_add(&p->arrived, 1);
	while (goc_atomic_int64_load(&p->arrived) < p->want)
		;
	goc_atomic_int64_add(&p->left, 1);
}

static int
parallel_main(void *arg)
{
	struct par *p = arg;
	for (int64_t i = 0; i < p->want - 1; i++)
		goc_go(par_worker, p);
	par_worker(p);
	/* p outlives every worker's last look at it. */
	wait_for(&p->left, p->want);
	return 0;
}

GOC_TEST(gomaxprocs_goroutines_run_in_parallel)
{
	if (getenv("GOC_TEST_SIM") != NULL) /* --enable-sim: one OS thread */
		goc_test_skip("spins without yielding: needs real parallelism");
	/* After Go's TestGoroutineParallelism, with 2 Ps. */
	struct par p = {.want = 2};
	int old = goc_maxprocs(2);
	goc_run(parallel_main, &p);
	expect_int_eq(goc_atomic_int64_load(&p.arrived), 2);
	expect_int_eq(goc_maxprocs(old), 2);
}

struct flag {
	goc_atomic_int64_t set;
	goc_atomic_int64_t spins;
};

static void
setter(void *arg)
{
	goc_atomic_int64_store(&((struct flag *)arg)->set, 1);
}

static int
yield_main(void *arg)
{
	struct flag *f = arg;
	goc_go(setter, f);
	/* With one P the setter runs only if yielding lets it. */
	while (goc_atomic_int64_load(&f->set) == 0) {
		goc_atomic_int64_add(&f->spins, 1);
		goc_yield();
	}
	return 0;
}

GOC_TEST(yield_lets_others_run)
{
	struct flag f = {0};
	int old = goc_maxprocs(1);
	goc_run(yield_main, &f);
	goc_maxprocs(old);
	expect_int_eq(goc_atomic_int64_load(&f.set), 1);
}

/*
 * A goroutine that yields in a loop while the global queue holds work:
 * with one P, a burst of spawns overflows the local queue (256) into the
 * global one, and the yielder must go behind that work as Go's Gosched
 * does, not keep the P to itself and let the global queue through one G
 * per 61 schedules. Yields are counted, not timed: behind the queue, each
 * yield lets a whole batch run.
 */
#if defined(__SANITIZE_THREAD__)
#define SCHED_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SCHED_TSAN 1
#endif
#endif
#ifndef SCHED_TSAN
#define SCHED_TSAN 0
#endif

struct yield_burst {
	long n;
	goc_atomic_int64_t ran;
	long yields;
};

static void
burst_count(void *arg)
{
	goc_atomic_int64_add(&((struct yield_burst *)arg)->ran, 1);
}

static int
yield_burst_main(void *arg)
{
	struct yield_burst *y = arg;
	for (long i = 0; i < y->n; i++)
		goc_go(burst_count, y);
	while (goc_atomic_int64_load(&y->ran) < y->n) {
		y->yields++;
		goc_yield();
	}
	return 0;
}

GOC_TEST(yield_goes_behind_the_global_queue)
{
	struct yield_burst y = {.n = goc_test_scaled(20000)};
	if (y.n < 2000)
		y.n = 2000; /* well past the local queue's 256 */
#if SCHED_TSAN
	/* A stack per spawn under TSan, each shadowed: stay well within
	 * vm.max_map_count (tests/unit/sched.c, spawn_burst_shares_stacks). */
	y.n = 4000;
#endif
	int old = goc_maxprocs(1);
	goc_run(yield_burst_main, &y);
	goc_maxprocs(old);
	expect_int_eq(goc_atomic_int64_load(&y.ran), y.n);
	goc_test_note("%ld goroutines ran in %ld yields of main", y.n,
		      y.yields);
	/* One G per 61 yields would take about 61 yields per G. */
	expect_int_le(y.yields, y.n / 16);
}

/* ---- time ------------------------------------------------------------- */

static int
sleep_main(void *arg)
{
	int64_t t0 = goc_now();
	goc_sleep(5 * GOC_MILLISECOND);
	*(int64_t *)arg = goc_now() - t0;
	goc_sleep(0);  /* returns at once */
	goc_sleep(-1); /* likewise */
	return 0;
}

GOC_TEST(sleep_waits_at_least_the_duration)
{
	int64_t took = 0;
	goc_run(sleep_main, &took);
	expect_int_ge(took, 5 * GOC_MILLISECOND);
}

struct pingpong {
	goc_atomic_int64_t stop;
	goc_atomic_int64_t gone; /* goroutines done with the struct */
	goc_atomic_int64_t rounds;
};

static void
ponger(void *arg)
{
	struct pingpong *pp = arg;
	while (goc_atomic_int64_load(&pp->stop) == 0) {
		goc_atomic_int64_add(&pp->rounds, 1);
		goc_yield();
	}
	goc_atomic_int64_add(&pp->gone, 1);
}

static void
sleeper(void *arg)
{
	struct pingpong *pp = arg;
	goc_sleep(GOC_MILLISECOND);
	goc_atomic_int64_store(&pp->stop, 1);
	goc_atomic_int64_add(&pp->gone, 1);
}

static int
timer_fairness_main(void *arg)
{
	struct pingpong *pp = arg;
	goc_go(ponger, pp);
	goc_go(ponger, pp);
	goc_go(sleeper, pp);
	ponger(pp);
	/* pp lives in the test's frame: wait for the others to let go. */
	wait_for(&pp->gone, 4);
	return 0;
}

GOC_TEST(timers_not_starved_by_busy_goroutines)
{
	/* Three goroutines yield to each other on one P; the sleeper's
	 * timer must still fire (the watchdog fails the case if not). */
	struct pingpong pp = {0};
	int old = goc_maxprocs(1);
	goc_run(timer_fairness_main, &pp);
	goc_maxprocs(old);
	expect_int_eq(goc_atomic_int64_load(&pp.stop), 1);
}

static void
many_sleepers(void *arg)
{
	goc_atomic_int64_t *n = arg;
	goc_sleep((int64_t)(goc_test_rand() % 2000) * GOC_MICROSECOND);
	goc_atomic_int64_add(n, 1);
}

static int
sleepers_main(void *arg)
{
	long n = goc_test_scaled(2000);
	for (long i = 0; i < n; i++)
		goc_go(many_sleepers, arg);
	wait_for(arg, n);
	return (int)n;
}

GOC_TEST(many_timers)
{
	goc_atomic_int64_t n = GOC_ATOMIC_INIT(0);
	int want = goc_run(sleepers_main, &n);
	expect_int_eq(goc_atomic_int64_load(&n), want);
}

/* ---- system calls ----------------------------------------------------- */

struct blocked {
	uint32_t word; /* futex */
	goc_atomic_int64_t other_ran;
};

static void
blocker(void *arg)
{
	struct blocked *b = arg;
	goc_syscall_enter();
	/* A real blocking system call, until the other goroutine wakes us. */
	while (__atomic_load_n(&b->word, __ATOMIC_ACQUIRE) == 0)
		syscall(SYS_futex, &b->word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL,
			0);
	goc_syscall_exit();
	goc_atomic_int64_add(&b->other_ran, 10);
}

static void
waker(void *arg)
{
	struct blocked *b = arg;
	__atomic_store_n(&b->word, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &b->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	/* Last touch of b, which lives in the test's frame. */
	goc_atomic_int64_add(&b->other_ran, 1);
}

static int
syscall_main(void *arg)
{
	struct blocked *b = arg;
	goc_go(blocker, b);
	goc_yield(); /* let the blocker enter its system call */
	goc_go(waker, b);
	wait_for(&b->other_ran, 11);
	return 0;
}

GOC_TEST(blocking_syscall_hands_off_the_p)
{
	if (getenv("GOC_TEST_SIM") != NULL) /* --enable-sim: one OS thread */
		goc_test_skip("a real blocking futex blocks the simulation");
	/* One P: the waker can only run if sysmon retakes the P from the
	 * M blocked in the system call. */
	struct blocked b = {0};
	int old = goc_maxprocs(1);
	goc_run(syscall_main, &b);
	goc_maxprocs(old);
	expect_int_eq(goc_atomic_int64_load(&b.other_ran), 11);
}

/* ---- foreign threads -------------------------------------------------- */

static void *
foreign_spawner(void *arg)
{
	struct counter *c = arg;
	for (int i = 0; i < 100; i++)
		goc_go(count_one, c);
	goc_sleep(GOC_MILLISECOND); /* a foreign thread just sleeps */
	return NULL;
}

GOC_TEST(foreign_threads_spawn_goroutines)
{
	if (getenv("GOC_TEST_SIM") != NULL) /* --enable-sim: one OS thread */
		goc_test_skip("raw threads are not simulated");
	struct counter c = {0};
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, foreign_spawner, &c);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	/* Goroutines run without goc_run once the runtime is up. */
	while (goc_atomic_int64_load(&c.n) < 200)
		sched_yield();
	expect_int_eq(goc_atomic_int64_load(&c.n), 200);
}

/* ---- LockOSThread ----------------------------------------------------- */

struct locked {
	long tids[4];
	goc_atomic_int64_t done;
};

static void
locked_worker(void *arg)
{
	struct locked *l = arg;
	goc_lock_os_thread();
	l->tids[0] = syscall(SYS_gettid);
	goc_yield();
	l->tids[1] = syscall(SYS_gettid);
	goc_sleep(100 * GOC_MICROSECOND);
	l->tids[2] = syscall(SYS_gettid);
	goc_unlock_os_thread();
	goc_atomic_int64_store(&l->done, 1);
}

struct busy {
	goc_atomic_int64_t stop;
	goc_atomic_int64_t left;
};

static void
busy(void *arg)
{
	struct busy *b = arg;
	while (goc_atomic_int64_load(&b->stop) == 0)
		goc_yield();
	goc_atomic_int64_sub(&b->left, 1);
}

static int
locked_main(void *arg)
{
	struct locked *l = arg;
	struct busy b = {GOC_ATOMIC_INIT(0), GOC_ATOMIC_INIT(2)};
	/* Others compete for the Ps meanwhile. */
	goc_go(busy, &b);
	goc_go(busy, &b);
	goc_go(locked_worker, l);
	wait_for(&l->done, 1);
	goc_atomic_int64_store(&b.stop, 1);
	/* b lives in this frame: wait until nobody looks at it. */
	while (goc_atomic_int64_load(&b.left) > 0)
		goc_yield();
	return 0;
}

GOC_TEST(lock_os_thread_keeps_the_thread)
{
	struct locked l = {0};
	goc_run(locked_main, &l);
	expect_int_ne(l.tids[0], 0);
	expect_int_eq(l.tids[1], l.tids[0]);
	expect_int_eq(l.tids[2], l.tids[0]);
}

/* ---- counts ----------------------------------------------------------- */

static void
parked_until(void *arg)
{
	goc_atomic_int64_t *stop = arg;
	while (goc_atomic_int64_load(stop) == 0)
		goc_sleep(50 * GOC_MICROSECOND);
}

static int
num_goroutine_main(void *arg)
{
	goc_atomic_int64_t stop = GOC_ATOMIC_INIT(0);
	/* Earlier cases' goroutines may still be on their way out: a count
	 * taken meanwhile would move under us. */
	while (goc_num_goroutine() > 1)
		goc_yield();
	int base = goc_num_goroutine();
	for (int i = 0; i < 10; i++)
		goc_go(parked_until, &stop);
	*(int *)arg = goc_num_goroutine() - base;
	goc_atomic_int64_store(&stop, 1);
	/* Wait for every goroutine but this one, earlier cases' included. */
	while (goc_num_goroutine() > 1)
		goc_yield();
	return 0;
}

GOC_TEST(num_goroutine)
{
	int delta = 0;
	goc_run(num_goroutine_main, &delta);
	expect_int_eq(delta, 10);
	/* All gone: shutdown succeeds, and the runtime restarts lazily. */
	expect_int_eq(goc_shutdown(), 0);
	expect_int_eq(goc_run(return_arg, (void *)3), 3);
}
