/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sync benchmarks, mirroring Go's src/sync benchmarks (mutex_test.go,
 * rwmutex_test.go, waitgroup_test.go, once_test.go, pool_test.go) with
 * twins in bench/go/sync_test.go:
 *
 *   MutexUncontended      RunParallel, one padded mutex per goroutine
 *   Mutex                 RunParallel, one shared mutex
 *   MutexSlack            Mutex with 10 goroutines per P
 *   MutexWork             Mutex plus 100 iterations of local work
 *   MutexSpin             4 goroutines per P; a short critical section
 *                         and a 16 KiB memory walk outside it
 *   RWMutexUncontended    per goroutine: RLock RLock RUnlock RUnlock
 *                         Lock Unlock
 *   RWMutexWrite100       RunParallel: a write lock every 100th, else
 *                         a read lock (Go's benchmarkRWMutex(b, 0, 100))
 *   RWMutexRead           (defined here) RunParallel RLock/RUnlock on one
 *                         shared RWMutex
 *   WaitGroupUncontended  per goroutine: Add(1) Done Wait
 *   WaitGroupAddDone      RunParallel Add(1) Done on one WaitGroup
 *   WaitGroupWait         RunParallel Wait on a WaitGroup at zero
 *   Once                  RunParallel Do on a done Once (Go's
 *                         BenchmarkOnce; OnceUncontended in the brief)
 *   CondSignal            (defined here) two goroutines pass a turn back
 *                         and forth with Signal; ns per pass
 *   CondBroadcast         (defined here) Go's benchmarkCond with 4
 *                         waiters (BenchmarkCond4's workload)
 *   Pool                  RunParallel Put then Get (pool_test.go)
 *   PoolOverflow          RunParallel 100 Puts then 100 Gets
 *   PoolStarvation        RunParallel 67 Puts then 100 Gets (stealing)
 *
 * RunParallel is run_parallel(): b->procs Ps, par goroutines per P, the
 * b->n iterations shared out evenly.
 */
#include <stdlib.h>

#include <goconc.h>

#include "bench.h"

struct par {
	goc_bench_t *b;
	void (*body)(void *ctx, long n, int worker);
	void *ctx;
	int workers;
	goc_wg_t wg;
};

struct par_worker {
	struct par *p;
	int id;
};

static void
par_worker(void *arg)
{
	struct par_worker *w = arg;
	struct par *p = w->p;
	long n = p->b->n / p->workers + (w->id < p->b->n % p->workers);

	p->body(p->ctx, n, w->id);
	goc_wg_done(&p->wg);
}

static int
par_main(void *arg)
{
	struct par *p = arg;
	struct par_worker *ws = calloc((size_t)p->workers, sizeof(*ws));

	goc_wg_add(&p->wg, p->workers);
	goc_bench_reset_timer(p->b);
	for (int i = 0; i < p->workers; i++) {
		ws[i].p = p;
		ws[i].id = i;
		goc_go(par_worker, &ws[i]);
	}
	goc_wg_wait(&p->wg);
	goc_bench_stop_timer(p->b);
	free(ws);
	return 0;
}

static void
run_parallel(goc_bench_t *b, int par, void *ctx,
	     void (*body)(void *ctx, long n, int worker))
{
	struct par p = {b, body, ctx, b->procs * par, GOC_WG_INIT};
	int old = goc_maxprocs(b->procs);

	goc_run(par_main, &p);
	goc_maxprocs(old);
}

/* ---- Mutex ------------------------------------------------------------ */

struct padded_mutex {
	goc_mutex_t m;
	char pad[128];
};

static void
mutex_uncontended(void *ctx, long n, int w)
{
	struct padded_mutex *ms = ctx;

	for (long i = 0; i < n; i++) {
		goc_mutex_lock(&ms[w].m);
		goc_mutex_unlock(&ms[w].m);
	}
}

GOC_BENCH(MutexUncontended)
{
	struct padded_mutex *ms = calloc((size_t)b->procs, sizeof(*ms));
	run_parallel(b, 1, ms, mutex_uncontended);
	free(ms);
}

static void
mutex_shared(void *ctx, long n, int w)
{
	(void)w;
	for (long i = 0; i < n; i++) {
		goc_mutex_lock(ctx);
		goc_mutex_unlock(ctx);
	}
}

GOC_BENCH(Mutex)
{
	goc_mutex_t m = GOC_MUTEX_INIT;
	run_parallel(b, 1, &m, mutex_shared);
}

GOC_BENCH(MutexSlack)
{
	goc_mutex_t m = GOC_MUTEX_INIT;
	run_parallel(b, 10, &m, mutex_shared);
}

static void
mutex_work(void *ctx, long n, int w)
{
	int foo = 0;

	(void)w;
	for (long i = 0; i < n; i++) {
		goc_mutex_lock(ctx);
		goc_mutex_unlock(ctx);
		for (int j = 0; j < 100; j++) {
			/* Kept in a register, as Go's compiler does; the
			 * empty asm stops the loop being folded away. */
			foo *= 2;
			foo /= 2;
			__asm__ __volatile__("" : "+r"(foo));
		}
	}
}

GOC_BENCH(MutexWork)
{
	goc_mutex_t m = GOC_MUTEX_INIT;
	run_parallel(b, 1, &m, mutex_work);
}

struct spin {
	goc_mutex_t m;
	uint64_t acc0, acc1; /* (m) */
};

static void
mutex_spin(void *ctx, long n, int w)
{
	struct spin *s = ctx;
	uint64_t *data = calloc(16 << 10, sizeof(uint64_t));

	(void)w;
	for (long i = 0; i < n; i++) {
		goc_mutex_lock(&s->m);
		s->acc0 -= 100;
		s->acc1 += 100;
		goc_mutex_unlock(&s->m);
		for (int j = 0; j < 16 << 10; j += 4)
			((volatile uint64_t *)data)[j]++;
	}
	free(data);
}

GOC_BENCH(MutexSpin)
{
	struct spin s = {GOC_MUTEX_INIT, 0, 0};
	run_parallel(b, 4, &s, mutex_spin);
}

/* ---- RWMutex ---------------------------------------------------------- */

struct padded_rw {
	goc_rwmutex_t rw;
	char pad[128];
};

static void
rw_uncontended(void *ctx, long n, int w)
{
	goc_rwmutex_t *rw = &((struct padded_rw *)ctx)[w].rw;

	for (long i = 0; i < n; i++) {
		goc_rwmutex_rlock(rw);
		goc_rwmutex_rlock(rw);
		goc_rwmutex_runlock(rw);
		goc_rwmutex_runlock(rw);
		goc_rwmutex_lock(rw);
		goc_rwmutex_unlock(rw);
	}
}

GOC_BENCH(RWMutexUncontended)
{
	struct padded_rw *rws = calloc((size_t)b->procs, sizeof(*rws));
	run_parallel(b, 1, rws, rw_uncontended);
	free(rws);
}

static void
rw_read(void *ctx, long n, int w)
{
	(void)w;
	for (long i = 0; i < n; i++) {
		goc_rwmutex_rlock(ctx);
		goc_rwmutex_runlock(ctx);
	}
}

GOC_BENCH(RWMutexRead)
{
	goc_rwmutex_t rw = GOC_RWMUTEX_INIT;
	run_parallel(b, 1, &rw, rw_read);
}

/*
 * Go's benchmarkRWMutex(b, 0, 100) (BenchmarkRWMutexWrite100): one shared
 * RWMutex, a write lock every 100th iteration of each worker, read locks
 * otherwise, no local work.
 */
static void
rw_write100(void *ctx, long n, int w)
{
	(void)w;
	for (long i = 1; i <= n; i++) {
		if (i % 100 == 0) {
			goc_rwmutex_lock(ctx);
			goc_rwmutex_unlock(ctx);
		} else {
			goc_rwmutex_rlock(ctx);
			goc_rwmutex_runlock(ctx);
		}
	}
}

GOC_BENCH(RWMutexWrite100)
{
	goc_rwmutex_t rw = GOC_RWMUTEX_INIT;
	run_parallel(b, 1, &rw, rw_write100);
}

/* ---- WaitGroup -------------------------------------------------------- */

struct padded_wg {
	goc_wg_t wg;
	char pad[128];
};

static void
wg_uncontended(void *ctx, long n, int w)
{
	goc_wg_t *wg = &((struct padded_wg *)ctx)[w].wg;

	for (long i = 0; i < n; i++) {
		goc_wg_add(wg, 1);
		goc_wg_done(wg);
		goc_wg_wait(wg);
	}
}

GOC_BENCH(WaitGroupUncontended)
{
	struct padded_wg *wgs = calloc((size_t)b->procs, sizeof(*wgs));
	run_parallel(b, 1, wgs, wg_uncontended);
	free(wgs);
}

static void
wg_add_done(void *ctx, long n, int w)
{
	(void)w;
	for (long i = 0; i < n; i++) {
		goc_wg_add(ctx, 1);
		goc_wg_done(ctx);
	}
}

GOC_BENCH(WaitGroupAddDone)
{
	goc_wg_t wg = GOC_WG_INIT;
	run_parallel(b, 1, &wg, wg_add_done);
}

/* Go's BenchmarkWaitGroupWait: Wait on a group whose counter is zero. */
static void
wg_wait(void *ctx, long n, int w)
{
	(void)w;
	for (long i = 0; i < n; i++)
		goc_wg_wait(ctx);
}

GOC_BENCH(WaitGroupWait)
{
	goc_wg_t wg = GOC_WG_INIT;
	run_parallel(b, 1, &wg, wg_wait);
}

/* ---- Once ------------------------------------------------------------- */

static void
nothing(void *arg)
{
	(void)arg;
}

static void
once_do(void *ctx, long n, int w)
{
	(void)w;
	for (long i = 0; i < n; i++)
		goc_once_do(ctx, nothing, NULL);
}

GOC_BENCH(Once)
{
	goc_once_t once = GOC_ONCE_INIT;
	goc_once_do(&once, nothing, NULL);
	run_parallel(b, 1, &once, once_do);
}

/* ---- Cond ------------------------------------------------------------- */

struct condsig {
	goc_mutex_t m;
	goc_cond_t c;
	long turn; /* (m) */
	long n;
};

static void
cond_signal_body(void *ctx, long n, int w)
{
	struct condsig *s = ctx;

	(void)n;
	goc_mutex_lock(&s->m);
	for (;;) {
		while (s->turn < s->n && (s->turn & 1) != w)
			goc_cond_wait(&s->c, NULL);
		if (s->turn >= s->n)
			break;
		s->turn++;
		goc_cond_signal(&s->c);
	}
	goc_cond_signal(&s->c);
	goc_mutex_unlock(&s->m);
}

/* Two goroutines on -cpu Ps pass a turn back and forth; the twin is
 * defined the same way in bench/go/sync_test.go. */
GOC_BENCH(CondSignal)
{
	struct condsig s = {GOC_MUTEX_INIT, GOC_COND_INIT, 0, b->n};
	struct par p = {b, cond_signal_body, &s, 2, GOC_WG_INIT};
	int old = goc_maxprocs(b->procs);

	goc_cond_init(&s.c, &s.m);
	goc_run(par_main, &p);
	goc_maxprocs(old);
}

struct condbc {
	goc_mutex_t m;
	goc_cond_t c;
	int id; /* (m) */
	int waiters;
	long n;
};

static void
cond_bcast_body(void *ctx, long n, int w)
{
	struct condbc *s = ctx;

	(void)n;
	(void)w;
	for (long i = 0; i < s->n; i++) {
		goc_mutex_lock(&s->m);
		if (s->id == -1) {
			goc_mutex_unlock(&s->m);
			break;
		}
		s->id++;
		if (s->id == s->waiters + 1) {
			s->id = 0;
			goc_cond_broadcast(&s->c);
		} else {
			goc_cond_wait(&s->c, NULL);
		}
		goc_mutex_unlock(&s->m);
	}
	goc_mutex_lock(&s->m);
	s->id = -1;
	goc_cond_broadcast(&s->c);
	goc_mutex_unlock(&s->m);
}

/* Go's benchmarkCond(b, 4): five goroutines, the last to arrive in each
 * round broadcasts to the other four. */
GOC_BENCH(CondBroadcast)
{
	struct condbc s = {GOC_MUTEX_INIT, GOC_COND_INIT, 0, 4, b->n};
	struct par p = {b, cond_bcast_body, &s, 5, GOC_WG_INIT};
	int old = goc_maxprocs(b->procs);

	goc_cond_init(&s.c, &s.m);
	goc_run(par_main, &p);
	goc_maxprocs(old);
}

/* ---- Pool ------------------------------------------------------------- */

static void
pool_body(void *ctx, long n, int w)
{
	(void)w;
	for (long i = 0; i < n; i++) {
		goc_pool_put(ctx, (void *)1);
		goc_pool_get(ctx);
	}
}

/* Go's BenchmarkPool: RunParallel Put then Get. */
GOC_BENCH(Pool)
{
	goc_pool_t p;

	goc_pool_init(&p, NULL, NULL, NULL);
	run_parallel(b, 1, &p, pool_body);
	goc_pool_destroy(&p);
}

static void
pool_overflow_body(void *ctx, long n, int w)
{
	(void)w;
	for (long i = 0; i < n; i++) {
		for (int j = 0; j < 100; j++)
			goc_pool_put(ctx, (void *)1);
		for (int j = 0; j < 100; j++)
			goc_pool_get(ctx);
	}
}

/* Go's BenchmarkPoolOverflow: 100 puts, then 100 gets, per iteration. */
GOC_BENCH(PoolOverflow)
{
	goc_pool_t p;

	goc_pool_init(&p, NULL, NULL, NULL);
	run_parallel(b, 1, &p, pool_overflow_body);
	goc_pool_destroy(&p);
}

static void
pool_starvation_body(void *ctx, long n, int w)
{
	/* A third fewer puts than gets: Ps must steal from each other. */
	int count = 100, starved = count - (int)((float)count * 0.33f);

	(void)w;
	for (long i = 0; i < n; i++) {
		for (int j = 0; j < starved; j++)
			goc_pool_put(ctx, (void *)1);
		for (int j = 0; j < count; j++)
			goc_pool_get(ctx);
	}
}

/* Go's BenchmarkPoolStarvation. */
GOC_BENCH(PoolStarvation)
{
	goc_pool_t p;

	goc_pool_init(&p, NULL, NULL, NULL);
	run_parallel(b, 1, &p, pool_starvation_body);
	goc_pool_destroy(&p);
}
