/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Channel and select benchmarks, following the definitions of Go's
 * runtime/chan_test.go benchmarks of the same names (twins in
 * bench/go/chan_test.go). b->procs is GOMAXPROCS; where Go uses
 * b.RunParallel, b->procs goroutines share b->n iterations.
 *
 *   ChanSync             two goroutines ping-pong on an unbuffered channel
 *   ChanProdCons0/10/100 GOMAXPROCS producers and consumers, cap 0/10/100
 *   ChanUncontended      per worker: 100 sends then 100 receives, own chan
 *   ChanContended        the same on one shared channel
 *   ChanNonblocking      non-blocking receive from an empty channel
 *   SelectUncontended    two-case select ping-pong on own channels
 *   SelectSyncContended  3-case sends vs 3-case receives, unbuffered
 *   SelectProdCons       producers/consumers through 3-case selects
 *   ChanPopular          1000 selects parked on one shared channel
 */
#include <goconc.h>

#include "bench.h"

#define CALLS_PER_SCHED 1000

/* Go's model of local work (foo *= 2; foo /= 2), kept by the compiler. */
static inline void
local_work(int *foo, int n)
{
	for (int i = 0; i < n; i++) {
		*foo *= 2;
		*foo /= 2;
		__asm__ volatile("" : "+r"(*foo));
	}
}

/* ---- RunParallel emulation -------------------------------------------- */

struct par {
	void (*body)(struct par *p, long n);
	long n;
	int procs;
	goc_chan_t *shared;
	goc_chan_t *done;
	goc_atomic_int64_t next; /* worker index */
};

static void
par_worker(void *arg)
{
	struct par *p = arg;
	int64_t id = goc_atomic_int64_add(&p->next, 1) - 1;
	long n = p->n / p->procs + (id < p->n % p->procs ? 1 : 0);
	p->body(p, n);
	goc_chan_send(p->done, NULL);
}

static int
par_main(void *arg)
{
	struct par *p = arg;
	for (int i = 0; i < p->procs; i++)
		goc_go(par_worker, p);
	for (int i = 0; i < p->procs; i++)
		goc_chan_recv(p->done, NULL);
	return 0;
}

static void
run_parallel(goc_bench_t *b, void (*body)(struct par *, long),
	     goc_chan_t *shared)
{
	struct par p = {.body = body,
			.n = b->n,
			.procs = b->procs,
			.shared = shared,
			.done = goc_chan_make(0, (size_t)b->procs)};
	int old = goc_maxprocs(b->procs);
	goc_bench_reset_timer(b);
	goc_run(par_main, &p);
	goc_bench_stop_timer(b);
	goc_maxprocs(old);
	goc_chan_release(p.done);
}

/* ---- ChanNonblocking -------------------------------------------------- */

static void
nonblocking_body(struct par *p, long n)
{
	(void)p;
	goc_chan_t *c = goc_chan_make(sizeof(int), 0);
	int v;
	for (long i = 0; i < n; i++) {
		goc_case_t cs[] = {GOC_RECV(c, &v)};
		goc_select_try(cs, 1);
	}
	goc_chan_release(c);
}

GOC_BENCH(ChanNonblocking)
{
	run_parallel(b, nonblocking_body, NULL);
}

/* ---- SelectUncontended ------------------------------------------------ */

static void
select_uncontended_body(struct par *p, long n)
{
	(void)p;
	goc_chan_t *c1 = goc_chan_make(sizeof(int), 1);
	goc_chan_t *c2 = goc_chan_make(sizeof(int), 1);
	int v = 0;
	goc_chan_send(c1, &v);
	for (long i = 0; i < n; i++) {
		goc_case_t cs[] = {GOC_RECV(c1, &v), GOC_RECV(c2, &v)};
		if (goc_select(cs, 2) == 0)
			goc_chan_send(c2, &v);
		else
			goc_chan_send(c1, &v);
	}
	goc_chan_release(c1);
	goc_chan_release(c2);
}

GOC_BENCH(SelectUncontended)
{
	run_parallel(b, select_uncontended_body, NULL);
}

/* ---- SelectSyncContended ---------------------------------------------- */

struct ssc {
	goc_chan_t *c[3];
	goc_chan_t *done; /* closed at the end */
	goc_chan_t *exited;
};

static struct ssc ssc;

static void
ssc_sender(void *arg)
{
	(void)arg;
	int v = 0;
	for (;;) {
		goc_case_t cs[] = {
			GOC_SEND(ssc.c[0], &v), GOC_SEND(ssc.c[1], &v),
			GOC_SEND(ssc.c[2], &v), GOC_RECV(ssc.done, NULL)};
		if (goc_select(cs, 4) == 3)
			break;
	}
	goc_chan_send(ssc.exited, NULL);
}

static void
ssc_body(struct par *p, long n)
{
	(void)p;
	goc_go(ssc_sender, NULL);
	int v;
	for (long i = 0; i < n; i++) {
		goc_case_t cs[] = {GOC_RECV(ssc.c[0], &v),
				   GOC_RECV(ssc.c[1], &v),
				   GOC_RECV(ssc.c[2], &v)};
		goc_select(cs, 3);
	}
}

static int
ssc_main(void *arg)
{
	struct par *p = arg;
	par_main(p);
	goc_chan_close(ssc.done);
	for (int i = 0; i < p->procs; i++)
		goc_chan_recv(ssc.exited, NULL);
	return 0;
}

GOC_BENCH(SelectSyncContended)
{
	for (int i = 0; i < 3; i++)
		ssc.c[i] = goc_chan_make(sizeof(int), 0);
	ssc.done = goc_chan_make(0, 0);
	ssc.exited = goc_chan_make(0, (size_t)b->procs);
	struct par p = {.body = ssc_body,
			.n = b->n,
			.procs = b->procs,
			.done = goc_chan_make(0, (size_t)b->procs)};
	int old = goc_maxprocs(b->procs);
	goc_bench_reset_timer(b);
	goc_run(ssc_main, &p);
	goc_bench_stop_timer(b);
	goc_maxprocs(old);
	for (int i = 0; i < 3; i++)
		goc_chan_release(ssc.c[i]);
	goc_chan_release(ssc.done);
	goc_chan_release(ssc.exited);
	goc_chan_release(p.done);
}

/* ---- ChanUncontended, ChanContended ----------------------------------- */

static void
chan_c100_body(struct par *p, long n)
{
	goc_chan_t *c = p->shared ? p->shared : goc_chan_make(sizeof(int), 100);
	int v = 0;
	for (long i = 0; i < n; i++) {
		for (int k = 0; k < 100; k++)
			goc_chan_send(c, &v);
		for (int k = 0; k < 100; k++)
			goc_chan_recv(c, &v);
	}
	if (p->shared == NULL)
		goc_chan_release(c);
}

GOC_BENCH(ChanUncontended)
{
	run_parallel(b, chan_c100_body, NULL);
}

GOC_BENCH(ChanContended)
{
	goc_chan_t *c = goc_chan_make(sizeof(int), 100 * (size_t)b->procs);
	run_parallel(b, chan_c100_body, c);
	goc_chan_release(c);
}

/* ---- ChanSync --------------------------------------------------------- */

struct sync_args {
	goc_atomic_int64_t n;
	goc_chan_t *c, *myc;
};

static void
sync_worker(void *arg)
{
	struct sync_args *a = arg;
	int v = 0;
	for (;;) {
		int64_t i = goc_atomic_int64_add(&a->n, -1);
		if (i < 0)
			break;
		for (int g = 0; g < CALLS_PER_SCHED; g++) {
			if (i % 2 == 0) {
				goc_chan_recv(a->myc, &v);
				goc_chan_send(a->myc, &v);
			} else {
				goc_chan_send(a->myc, &v);
				goc_chan_recv(a->myc, &v);
			}
		}
	}
	goc_chan_send(a->c, NULL);
}

static int
sync_main(void *arg)
{
	struct sync_args *a = arg;
	for (int p = 0; p < 2; p++)
		goc_go(sync_worker, a);
	for (int p = 0; p < 2; p++)
		goc_chan_recv(a->c, NULL);
	return 0;
}

GOC_BENCH(ChanSync)
{
	/* Go: procs = 2; N = b.N / CallsPerSched / procs * procs batches,
	 * an even number, so the two workers pair up. */
	struct sync_args a;
	goc_atomic_int64_store(&a.n, b->n / CALLS_PER_SCHED / 2 * 2);
	a.c = goc_chan_make(0, 2);
	a.myc = goc_chan_make(sizeof(int), 0);
	int old = goc_maxprocs(b->procs);
	goc_bench_reset_timer(b);
	goc_run(sync_main, &a);
	goc_bench_stop_timer(b);
	goc_maxprocs(old);
	goc_chan_release(a.c);
	goc_chan_release(a.myc);
}

/* ---- ChanProdCons ----------------------------------------------------- */

struct pc_args {
	goc_atomic_int64_t n;
	goc_chan_t *c, *myc, *myclose;
	int local;
	bool select;
	int procs;
};

static void
pc_producer(void *arg)
{
	struct pc_args *a = arg;
	int foo = 0, one = 1, zero = 0;
	goc_chan_t *timer = a->select ? goc_after(GOC_HOUR) : NULL;
	while (goc_atomic_int64_add(&a->n, -1) >= 0) {
		for (int g = 0; g < CALLS_PER_SCHED; g++) {
			local_work(&foo, a->local);
			if (a->select) {
				goc_case_t cs[] = {GOC_SEND(a->myc, &one),
						   GOC_RECV(timer, NULL),
						   GOC_RECV(a->myclose, NULL)};
				goc_select(cs, 3);
			} else {
				goc_chan_send(a->myc, &one);
			}
		}
	}
	goc_chan_send(a->myc, &zero);
	bool r = foo == 42;
	goc_chan_send(a->c, &r);
	goc_chan_release(timer);
}

static void
pc_consumer(void *arg)
{
	struct pc_args *a = arg;
	int foo = 0, v = 0;
	goc_chan_t *timer = a->select ? goc_after(GOC_HOUR) : NULL;
	for (;;) {
		if (a->select) {
			goc_case_t cs[] = {GOC_RECV(a->myc, &v),
					   GOC_RECV(timer, NULL),
					   GOC_RECV(a->myclose, NULL)};
			if (goc_select(cs, 3) == 0 && v == 0)
				break;
		} else {
			goc_chan_recv(a->myc, &v);
			if (v == 0)
				break;
		}
		local_work(&foo, a->local);
	}
	bool r = foo == 42;
	goc_chan_send(a->c, &r);
	goc_chan_release(timer);
}

static int
pc_main(void *arg)
{
	struct pc_args *a = arg;
	for (int p = 0; p < a->procs; p++) {
		goc_go(pc_producer, a);
		goc_go(pc_consumer, a);
	}
	bool r;
	for (int p = 0; p < 2 * a->procs; p++)
		goc_chan_recv(a->c, &r);
	return 0;
}

static void
prodcons(goc_bench_t *b, size_t cap, int local, bool select)
{
	struct pc_args a = {
		.local = local, .select = select, .procs = b->procs};
	goc_atomic_int64_store(&a.n, b->n / CALLS_PER_SCHED);
	a.c = goc_chan_make(sizeof(bool), 2 * (size_t)b->procs);
	a.myc = goc_chan_make(sizeof(int), cap);
	a.myclose = goc_chan_make(0, 0);
	int old = goc_maxprocs(b->procs);
	goc_bench_reset_timer(b);
	goc_run(pc_main, &a);
	goc_bench_stop_timer(b);
	goc_maxprocs(old);
	goc_chan_release(a.c);
	goc_chan_release(a.myc);
	goc_chan_release(a.myclose);
}

GOC_BENCH(ChanProdCons0)
{
	prodcons(b, 0, 0, false);
}

GOC_BENCH(ChanProdCons10)
{
	prodcons(b, 10, 0, false);
}

GOC_BENCH(ChanProdCons100)
{
	prodcons(b, 100, 0, false);
}

GOC_BENCH(SelectProdCons)
{
	prodcons(b, 128, 100, true);
}

/* ---- ChanPopular ------------------------------------------------------ */

/*
 * Go's BenchmarkChanPopular: 1000 goroutines each select on one shared
 * channel (never sent on) and a channel of their own; the main goroutine
 * sends b->n rounds of one value to every goroutine's channel. Every
 * select parks on the popular channel too, so the cost of queueing on and
 * unlinking from a channel with 1000 waiters shows.
 */
#define POPULAR_N 1000

struct popular_args {
	goc_chan_t *c;            /* the popular channel */
	goc_chan_t *d[POPULAR_N]; /* one per goroutine */
	goc_wg_t wg;
	long rounds;
};

struct popular_worker {
	struct popular_args *a;
	goc_chan_t *d;
};

static void
popular_worker(void *arg)
{
	struct popular_worker *w = arg;
	bool v;
	for (long i = 0; i < w->a->rounds; i++) {
		goc_case_t cs[] = {GOC_RECV(w->a->c, &v), GOC_RECV(w->d, &v)};
		goc_select(cs, 2);
	}
	goc_wg_done(&w->a->wg);
}

static int
popular_main(void *arg)
{
	struct popular_args *a = arg;
	static struct popular_worker w[POPULAR_N];
	goc_wg_add(&a->wg, POPULAR_N);
	for (int j = 0; j < POPULAR_N; j++) {
		w[j].a = a;
		w[j].d = a->d[j];
		goc_go(popular_worker, &w[j]);
	}
	bool t = true;
	for (long i = 0; i < a->rounds; i++)
		for (int j = 0; j < POPULAR_N; j++)
			goc_chan_send(a->d[j], &t);
	goc_wg_wait(&a->wg);
	return 0;
}

GOC_BENCH(ChanPopular)
{
	static struct popular_args a;
	a.c = goc_chan_make(sizeof(bool), 0);
	for (int j = 0; j < POPULAR_N; j++)
		a.d[j] = goc_chan_make(sizeof(bool), 0);
	a.wg = (goc_wg_t)GOC_WG_INIT;
	a.rounds = b->n;
	int old = goc_maxprocs(b->procs);
	goc_bench_reset_timer(b);
	goc_run(popular_main, &a);
	goc_bench_stop_timer(b);
	goc_maxprocs(old);
	goc_chan_release(a.c);
	for (int j = 0; j < POPULAR_N; j++)
		goc_chan_release(a.d[j]);
}
