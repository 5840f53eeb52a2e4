/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Scheduler benchmarks, mirroring Go's runtime benchmarks:
 *
 *   CreateGoroutines          Go's BenchmarkCreateGoroutines: b->procs
 *                             chains, each goroutine starts the next and
 *                             exits; ns per goroutine
 *   CreateGoroutinesParallel  each of b->procs workers spawns its share
 *                             of short goroutines (Go's
 *                             BenchmarkCreateGoroutinesParallel)
 *   Gosched                   two goroutines yield to each other on one
 *                             P; ns per yield (the twin in bench/go is
 *                             defined the same way)
 *   WakeupPingPong            wake-up latency: with GOMAXPROCS=2, two
 *                             goroutines ping-pong a value over two
 *                             unbuffered channels, each parked while
 *                             the other runs, so every send readies a
 *                             parked goroutine (and wakes an idle P to
 *                             look for work); ns per round trip, two
 *                             wake-ups. Defined by libgoconc; the Go
 *                             twin is the same program
 *
 * Completion is awaited with goc_yield on an atomic counter (channels are
 * not used so that only the scheduler is measured), except in
 * WakeupPingPong, whose wake-ups are channel hand-offs as in Go.
 */
#include <goconc.h>

#include "bench.h"

struct chain {
	goc_atomic_int64_t left; /* chains still running */
	goc_atomic_int64_t spawned;
};

struct link {
	struct chain *c;
	long n;
};

static void
chain_step(void *arg)
{
	struct link *l = arg;
	if (l->n == 0) {
		goc_atomic_int64_sub(&l->c->left, 1);
		return;
	}
	/* The link record is reused down the chain: one goroutine at a
	 * time owns it, handed over by goc_go's happens-before edge. */
	l->n--;
	goc_go(chain_step, l);
}

struct create_args {
	long n;
	int procs;
};

static int
create_main(void *arg)
{
	struct create_args *a = arg;
	struct chain c = {0};
	struct link links[64];
	int procs = a->procs < 64 ? a->procs : 64;

	goc_atomic_int64_store(&c.left, procs);
	for (int i = 0; i < procs; i++) {
		links[i].c = &c;
		links[i].n = a->n / procs;
		goc_go(chain_step, &links[i]);
	}
	while (goc_atomic_int64_load(&c.left) > 0)
		goc_yield();
	return 0;
}

GOC_BENCH(CreateGoroutines)
{
	struct create_args a = {b->n, b->procs};
	int old = goc_maxprocs(b->procs);
	goc_bench_reset_timer(b);
	goc_run(create_main, &a);
	goc_bench_stop_timer(b);
	goc_maxprocs(old);
}

static void
noop(void *arg)
{
	goc_atomic_int64_sub(arg, 1);
}

struct par_args {
	long per;
	goc_atomic_int64_t live;
	goc_atomic_int64_t workers;
};

static void
par_worker(void *arg)
{
	struct par_args *a = arg;
	for (long i = 0; i < a->per; i++)
		goc_go(noop, &a->live);
	goc_atomic_int64_sub(&a->workers, 1);
}

static int
par_main(void *arg)
{
	struct par_args *a = arg;
	int procs = goc_maxprocs(0);
	goc_atomic_int64_store(&a->workers, procs);
	for (int i = 0; i < procs; i++)
		goc_go(par_worker, a);
	while (goc_atomic_int64_load(&a->workers) > 0 ||
	       goc_atomic_int64_load(&a->live) > 0)
		goc_yield();
	return 0;
}

GOC_BENCH(CreateGoroutinesParallel)
{
	struct par_args a = {.per = b->n / b->procs};
	goc_atomic_int64_store(&a.live, a.per * b->procs);
	int old = goc_maxprocs(b->procs);
	goc_bench_reset_timer(b);
	goc_run(par_main, &a);
	goc_bench_stop_timer(b);
	goc_maxprocs(old);
}

struct yield_args {
	long n;
	goc_atomic_int64_t done;
};

static void
yielder(void *arg)
{
	struct yield_args *a = arg;
	for (long i = 0; i < a->n / 2; i++)
		goc_yield();
	goc_atomic_int64_add(&a->done, 1);
}

static int
yield_main(void *arg)
{
	struct yield_args *a = arg;
	goc_go(yielder, a);
	yielder(a);
	while (goc_atomic_int64_load(&a->done) < 2)
		goc_yield();
	return 0;
}

GOC_BENCH(Gosched)
{
	struct yield_args a = {.n = b->n};
	/* One P: the pair alternates on it, as Go's twin with
	 * GOMAXPROCS(1). */
	int old = goc_maxprocs(1);
	goc_bench_reset_timer(b);
	goc_run(yield_main, &a);
	goc_bench_stop_timer(b);
	goc_maxprocs(old);
}

struct pingpong {
	long n;
	goc_chan_t *ping, *pong;
};

static void
ponger(void *arg)
{
	struct pingpong *p = arg;
	long v;

	for (long i = 0; i < p->n; i++) {
		goc_chan_recv(p->ping, &v);
		goc_chan_send(p->pong, &v);
	}
}

static int
pingpong_main(void *arg)
{
	struct pingpong *p = arg;
	long v;

	goc_go(ponger, p);
	for (long i = 0; i < p->n; i++) {
		goc_chan_send(p->ping, &i);
		goc_chan_recv(p->pong, &v);
	}
	return 0;
}

GOC_BENCH(WakeupPingPong)
{
	struct pingpong p = {
		.n = b->n,
		.ping = goc_chan_make(sizeof(long), 0),
		.pong = goc_chan_make(sizeof(long), 0),
	};
	/* Two Ps whatever -cpu says, as the Go twin. */
	int old = goc_maxprocs(2);
	goc_bench_reset_timer(b);
	goc_run(pingpong_main, &p);
	goc_bench_stop_timer(b);
	goc_maxprocs(old);
	goc_chan_release(p.ping);
	goc_chan_release(p.pong);
}
