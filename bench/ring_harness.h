/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bounded-queue throughput harness shared by bench/ring.c (goc_ring)
 * and bench/peers/ck_ring.c (Concurrency Kit's ck_ring), so that both run
 * exactly the same workload.
 *
 * Workload NPmC: np producer threads and nc consumer threads move b->n
 * items in total (producer p pushes its share, consumer c pops its share;
 * the shares add up to b->n), so ns/op is the time per item moved and
 * "Mitems/s" the throughput. Capacity is RH_CAPACITY (1024). A producer
 * that finds the queue full, or a consumer that finds it empty, spins with
 * a pause hint up to RH_SPIN times, then calls sched_yield() until it
 * succeeds (lock-free.md §2.3: yield alone is 2-8x slower and noisy).
 *
 * Placement (the occupancy regime is reported, not forced): b->procs is
 * the number of CPUs the run may use (the first procs CPUs of the
 * process's affinity mask, as GOMAXPROCS is the number of Ps for the Go
 * twins). When every thread gets its own CPU they are pinned, producer 0
 * next to consumer 0 (P0 on CPU0, C0 on CPU1, ...); otherwise all threads
 * share the procs CPUs unpinned (oversubscribed, CFS decides). The run
 * starts with the queue empty. Consumers sample the queue's length every
 * RH_SAMPLE items and report the mean as "fill%" of capacity, which tells
 * the near-empty regime (one cache-line transfer per item) from the
 * near-full one (transfers batched), lock-free.md §2.4.
 *
 * Verification, every run: an item is (producer << 40 | sequence), with
 * sequences 1, 2, ... per producer. Each consumer checks that the items
 * it sees from one producer come in increasing order (FIFO per producer)
 * and sums the items and their squares; the totals must match the items
 * pushed, or the benchmark aborts with a message.
 *
 * GOC_BENCH_RING_STATS=1 in the environment adds a "# " line per run with
 * the failed pushes (full) and pops (empty) per item and how many of them
 * ended in sched_yield.
 *
 * Watchdog: a run that passes goc_bench_deadline() is stopped (workers
 * see a flag in their back-off loops, so threads stuck in a queue's own
 * internal spin finish once the others stop) and reported through
 * goc_bench_skipf as "did not complete in T s", a "# " comment line.
 *
 * Use: define RH_NAME (a prefix), RH_QUEUE (the queue type), RH_PUSH(q, v)
 * and RH_POP(q, pv) (non-blocking, true on success; v is void *, pv is
 * void **), RH_LEN(q) (approximate length), then include this header; it
 * defines RH_NAME_run(b, q, np, nc) and undefines the macros. It may be
 * included again for another queue.
 */
#ifndef GOC_BENCH_RING_HARNESS_H
#define GOC_BENCH_RING_HARNESS_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "internal/arch.h"

#define RH_CAPACITY 1024
#define RH_SPIN     128 /* pause hints before the first sched_yield */
#define RH_SAMPLE   256 /* items between two length samples */
#define RH_SEQ_BITS 40  /* item = producer << RH_SEQ_BITS | sequence */
#define RH_MAX_THR  64  /* producers + consumers */
#define RH_GRACE_NS 10000000000LL /* after the deadline, to drain */

struct rh_run;

/* One worker's arguments and results, on its own cache lines. */
struct rh_worker {
	struct rh_run *run;
	void *q;
	int id;     /* producer or consumer index */
	long quota; /* items to push or pop */
	long fails; /* failed pushes (full) or pops (empty) */
	long yields;
	/* results (consumers) */
	long got;
	uint64_t sum, sumsq;
	uint64_t fill_sum;
	long fill_samples;
	long bad_order;
	long bad;          /* items that no producer pushed */
	uint64_t bad_item; /* the first of them */
	uint64_t *last;    /* last sequence seen per producer */
	pthread_t tid;
	int cpu; /* pinned CPU, or -1 */
} __attribute__((aligned(128)));

struct rh_run {
	int np, nc;
	cpu_set_t cpus; /* the procs CPUs */
	/* written once by the main thread, read in the workers' loops */
	int go __attribute__((aligned(128)));
	int stop;
	/* counted up by workers at start */
	int ready __attribute__((aligned(128)));
	char pad[128 - sizeof(int)];
};

/*
 * rh_backoff is called after a failed push or pop. It returns true when
 * the run was stopped by the watchdog.
 */
static inline bool
rh_backoff(struct rh_worker *w, unsigned *spins)
{
	if (__atomic_load_n(&w->run->stop, __ATOMIC_RELAXED))
		return true;
	w->fails++;
	if (*spins < RH_SPIN) {
		goc_arch_pause();
		(*spins)++;
	} else {
		w->yields++;
		sched_yield();
	}
	return false;
}

static inline void
rh_worker_start(struct rh_worker *w)
{
	struct rh_run *run = w->run;
	if (w->cpu >= 0) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(w->cpu, &one);
		pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	} else {
		pthread_setaffinity_np(pthread_self(), sizeof(run->cpus),
				       &run->cpus);
	}
	__atomic_fetch_add(&run->ready, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&run->go, __ATOMIC_ACQUIRE))
		sched_yield();
}

static inline uint64_t
rh_item(int producer, long seq)
{
	return (uint64_t)producer << RH_SEQ_BITS | (uint64_t)seq;
}

/* A consumer's check and accounting of one item. */
static inline void
rh_take(struct rh_worker *w, uint64_t x)
{
	uint64_t p = x >> RH_SEQ_BITS;
	uint64_t seq = x & (((uint64_t)1 << RH_SEQ_BITS) - 1);
	if (p >= (uint64_t)w->run->np || seq == 0) {
		if (w->bad++ == 0)
			w->bad_item = x;
		return;
	}
	if (seq <= w->last[p])
		w->bad_order++;
	w->last[p] = seq;
	w->sum += x;
	w->sumsq += x * x;
}

static long
rh_share(long n, int k, int i)
{
	return n / k + (i < n % k);
}

/* Sum and sum of squares (mod 2^64) of the items producer p pushes. */
static void
rh_expect(int p, long cnt, uint64_t *sum, uint64_t *sumsq)
{
	unsigned __int128 a = (unsigned __int128)p << RH_SEQ_BITS;
	unsigned __int128 c = (unsigned __int128)cnt;
	unsigned __int128 s1 = c * (c + 1) / 2;
	unsigned __int128 s2 = c * (c + 1) * (2 * c + 1) / 6;
	*sum += (uint64_t)(c * a + s1);
	*sumsq += (uint64_t)(c * a * a + 2 * a * s1 + s2);
}

/* The first procs CPUs this process may run on. */
static void
rh_cpus(int procs, cpu_set_t *set, int *list, int *nlist)
{
	cpu_set_t all;
	CPU_ZERO(set);
	*nlist = 0;
	if (sched_getaffinity(0, sizeof(all), &all) != 0) {
		CPU_ZERO(&all);
		CPU_SET(0, &all);
	}
	for (int c = 0; c < CPU_SETSIZE && *nlist < procs; c++)
		if (CPU_ISSET(c, &all)) {
			CPU_SET(c, set);
			list[(*nlist)++] = c;
		}
}

static struct timespec
rh_realtime_at(int64_t mono_deadline)
{
	struct timespec ts;
	int64_t left = mono_deadline - goc_bench_now();
	if (left < 0)
		left = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t ns = (int64_t)ts.tv_nsec + left % 1000000000;
	ts.tv_sec += left / 1000000000 + ns / 1000000000;
	ts.tv_nsec = ns % 1000000000;
	return ts;
}

static void
rh_fail(const char *what, goc_bench_t *b, int np, int nc)
{
	fprintf(stderr,
		"FAIL: ring benchmark %dP%dC, n=%ld, procs=%d: %s\n"
		"the queue lost, duplicated, corrupted or reordered items\n",
		np, nc, b->n, b->procs, what);
	abort();
}

/*
 * rh_execute runs one NPmC measurement: set-up outside the timer, the
 * threads released together, joined under the watchdog, then verified.
 */
static void
rh_execute(goc_bench_t *b, void *q, size_t cap, int np, int nc,
	   void *(*producer)(void *), void *(*consumer)(void *))
{
	struct rh_run run;
	struct rh_worker *w;
	int cpulist[CPU_SETSIZE], ncpu, nthr = np + nc;
	bool stopped = false;

	if (nthr > RH_MAX_THR || np < 1 || nc < 1) {
		fprintf(stderr, "ring harness: bad thread counts\n");
		abort();
	}
	memset(&run, 0, sizeof(run));
	run.np = np;
	run.nc = nc;
	rh_cpus(b->procs, &run.cpus, cpulist, &ncpu);
	w = aligned_alloc(128, sizeof(*w) * (size_t)nthr);
	if (w == NULL) {
		fprintf(stderr, "ring harness: out of memory\n");
		abort();
	}
	memset(w, 0, sizeof(*w) * (size_t)nthr);
	for (int i = 0; i < nthr; i++) {
		bool prod = i < np;
		int id = prod ? i : i - np;
		/* P0 C0 P1 C1 ... on CPUs 0 1 2 3 ... when each has one */
		int slot = prod ? 2 * id : 2 * id + 1;
		if (np != nc)
			slot = i;
		w[i].run = &run;
		w[i].q = q;
		w[i].id = id;
		w[i].quota = rh_share(b->n, prod ? np : nc, id);
		w[i].cpu = nthr <= ncpu ? cpulist[slot] : -1;
		if (!prod) {
			w[i].last = calloc((size_t)np, sizeof(uint64_t));
			if (w[i].last == NULL) {
				fprintf(stderr,
					"ring harness: out of memory\n");
				abort();
			}
		}
	}
	for (int i = 0; i < nthr; i++)
		if (pthread_create(&w[i].tid, NULL,
				   i < np ? producer : consumer, &w[i]) != 0) {
			fprintf(stderr,
				"ring harness: pthread_create failed\n");
			abort();
		}
	while (__atomic_load_n(&run.ready, __ATOMIC_ACQUIRE) < nthr)
		sched_yield();

	goc_bench_reset_timer(b);
	int64_t t0 = goc_bench_now();
	__atomic_store_n(&run.go, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < nthr; i++) {
		if (!stopped) {
			struct timespec ts =
				rh_realtime_at(goc_bench_deadline(b));
			if (pthread_timedjoin_np(w[i].tid, NULL, &ts) == 0)
				continue;
			stopped = true;
			__atomic_store_n(&run.stop, 1, __ATOMIC_RELAXED);
		}
		struct timespec ts =
			rh_realtime_at(goc_bench_now() + RH_GRACE_NS);
		if (pthread_timedjoin_np(w[i].tid, NULL, &ts) != 0) {
			printf("# ring harness: %dP%dC threads still stuck "
			       "%lld "
			       "s after being stopped; exiting\n",
			       np, nc, RH_GRACE_NS / 1000000000);
			fflush(stdout);
			_exit(0);
		}
	}
	goc_bench_stop_timer(b);
	int64_t t1 = goc_bench_now();

	uint64_t sum = 0, sumsq = 0, esum = 0, esumsq = 0, fill = 0;
	long got = 0, samples = 0, bad_order = 0;
	long pfails = 0, pyields = 0, cfails = 0, cyields = 0;
	for (int i = 0; i < np; i++) {
		pfails += w[i].fails;
		pyields += w[i].yields;
	}
	for (int i = np; i < nthr; i++) {
		if (w[i].bad != 0) {
			char m[96];
			snprintf(m, sizeof(m), "consumer %d got bad item %#llx",
				 w[i].id, (unsigned long long)w[i].bad_item);
			rh_fail(m, b, np, nc);
		}
		sum += w[i].sum;
		sumsq += w[i].sumsq;
		got += w[i].got;
		fill += w[i].fill_sum;
		samples += w[i].fill_samples;
		bad_order += w[i].bad_order;
		cfails += w[i].fails;
		cyields += w[i].yields;
		free(w[i].last);
	}
	for (int p = 0; p < np; p++)
		rh_expect(p, w[p].quota, &esum, &esumsq);
	free(w);
	if (bad_order != 0) {
		char m[96];
		snprintf(m, sizeof(m),
			 "%ld items out of order for their producer",
			 bad_order);
		rh_fail(m, b, np, nc);
	}
	if (stopped) {
		goc_bench_skipf(
			b,
			"did not complete in %.0f s (-deadline): %ld of "
			"%ld items moved, %dP%dC on %d CPUs, "
			"capacity %zu",
			(double)(goc_bench_deadline(b) - t0) / 1e9, got, b->n,
			np, nc, ncpu, cap);
		return;
	}
	if (got != b->n || sum != esum || sumsq != esumsq) {
		char m[160];
		snprintf(m, sizeof(m),
			 "checksum: %ld items (want %ld), sum %#llx (want "
			 "%#llx), sum of squares %#llx (want %#llx)",
			 got, b->n, (unsigned long long)sum,
			 (unsigned long long)esum, (unsigned long long)sumsq,
			 (unsigned long long)esumsq);
		rh_fail(m, b, np, nc);
	}
	if (getenv("GOC_BENCH_RING_STATS") != NULL)
		printf("# %dP%dC procs=%d n=%ld: per item %.3f full pushes "
		       "(%.3f yields), %.3f empty pops (%.3f yields)\n",
		       np, nc, b->procs, b->n, (double)pfails / (double)b->n,
		       (double)pyields / (double)b->n,
		       (double)cfails / (double)b->n,
		       (double)cyields / (double)b->n);
	goc_bench_report_metric(
		b, t1 > t0 ? (double)b->n * 1e3 / (double)(t1 - t0) : 0,
		"Mitems/s");
	goc_bench_report_metric(b,
				samples ? 100.0 * (double)fill /
						  (double)samples / (double)cap
					: 0,
				"fill%");
}

#endif /* GOC_BENCH_RING_HARNESS_H */

#ifdef RH_NAME
#define RH_CAT2(a, b) a##_##b
#define RH_CAT(a, b)  RH_CAT2(a, b)
#define RH_FN(x)      RH_CAT(RH_NAME, x)

static void *
RH_FN(producer)(void *arg)
{
	struct rh_worker *w = arg;
	RH_QUEUE *q = w->q;
	long quota = w->quota;
	rh_worker_start(w);
	for (long s = 1; s <= quota; s++) {
		void *v = (void *)(uintptr_t)rh_item(w->id, s);
		unsigned spins = 0;
		while (!RH_PUSH(q, v))
			if (rh_backoff(w, &spins))
				return NULL;
	}
	return NULL;
}

static void *
RH_FN(consumer)(void *arg)
{
	struct rh_worker *w = arg;
	RH_QUEUE *q = w->q;
	long quota = w->quota;
	rh_worker_start(w);
	for (long k = 0; k < quota; k++) {
		void *v;
		unsigned spins = 0;
		while (!RH_POP(q, &v))
			if (rh_backoff(w, &spins))
				return NULL;
		rh_take(w, (uint64_t)(uintptr_t)v);
		w->got++;
		if ((k & (RH_SAMPLE - 1)) == 0) {
			w->fill_sum += RH_LEN(q);
			w->fill_samples++;
		}
	}
	return NULL;
}

static void
RH_FN(run)(goc_bench_t *b, RH_QUEUE *q, size_t cap, int np, int nc)
{
	rh_execute(b, q, cap, np, nc, RH_FN(producer), RH_FN(consumer));
}

#undef RH_CAT2
#undef RH_CAT
#undef RH_FN
#undef RH_NAME
#undef RH_QUEUE
#undef RH_PUSH
#undef RH_POP
#undef RH_LEN
#endif /* RH_NAME */
