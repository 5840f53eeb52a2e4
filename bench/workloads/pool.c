/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Whole-program workload: a worker pool under a context deadline.
 *
 *   pool [WORKERS [JOBS [WORK [DEADLINE_MS]]]]  defaults 8, 200000, 200,
 *                                               10000
 *
 * The pool runs under goc_ctx_with_timeout(background, DEADLINE_MS). A
 * producer goroutine offers jobs 1 .. JOBS on a channel of capacity
 * WORKERS, each offer a select between the send and the context's done
 * channel, and closes the channel when it stops. WORKERS workers select
 * between that channel and the done channel; a job j costs WORK rounds of
 * xorshift64 seeded with j. A worker stops when the job channel is closed
 * and drained or the context is done. A WaitGroup counts the workers and
 * the producer; then the main goroutine cancels the context (Go's defer
 * cancel()).
 *
 * Two uses: with a deadline far beyond the run every job completes
 * (checked: the count and the sum of the job ids); with a short deadline
 * and more jobs than fit, the deadline cuts the run short and the number
 * of completed jobs is the measure. Prints, on stdout, the completed
 * count, the id sum and the sum of the job results (the same in C and Go
 * when every job runs); on stderr, how the run ended (done or deadline),
 * the completed count and the elapsed time. The Go twin is
 * bench/go/workloads/pool/main.go.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <goconc.h>

#include "wl.h"

struct pool {
	long workers, jobs, work;
	goc_ctx_t *ctx;
	goc_chan_t *jobq;
	goc_wg_t wg;
};

struct worker {
	struct pool *p;
	long done;      /* jobs completed */
	uint64_t idsum; /* sum of their ids */
	uint64_t res;   /* sum of their results (xorshift is linear over
			 * GF(2), so a xor of results would cancel) */
};

static uint64_t
job_work(uint64_t x, long rounds)
{
	for (long i = 0; i < rounds; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

static void
producer(void *arg)
{
	struct pool *p = arg;
	goc_chan_t *done = goc_ctx_done(p->ctx);

	for (long j = 1; j <= p->jobs; j++) {
		uint64_t v = (uint64_t)j;
		goc_case_t cs[2] = {GOC_SEND(p->jobq, &v),
				    GOC_RECV(done, NULL)};

		if (goc_select(cs, 2) == 1)
			break;
	}
	goc_chan_close(p->jobq);
	goc_wg_done(&p->wg);
}

static void
worker_run(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->p;
	goc_chan_t *done = goc_ctx_done(p->ctx);

	for (;;) {
		uint64_t j;
		bool ok;
		goc_case_t cs[2] = {GOC_RECV_OK(p->jobq, &j, &ok),
				    GOC_RECV(done, NULL)};

		if (goc_select(cs, 2) == 1 || !ok)
			break;
		w->res += job_work(j, p->work);
		w->idsum += j;
		w->done++;
	}
	goc_wg_done(&p->wg);
}

struct args {
	long workers, jobs, work, deadline_ms;
	long done;
	uint64_t idsum, res;
	int err;
	int64_t elapsed;
};

static int
pool_main(void *arg)
{
	struct args *a = arg;
	struct pool p = {a->workers, a->jobs, a->work, NULL, NULL, GOC_WG_INIT};
	struct worker *ws = calloc((size_t)a->workers, sizeof(*ws));
	int64_t t0 = goc_now();

	if (ws == NULL)
		WL_FAIL("pool: out of memory");
	p.ctx = goc_ctx_with_timeout(goc_ctx_background(),
				     a->deadline_ms * GOC_MILLISECOND);
	p.jobq = goc_chan_make(sizeof(uint64_t), (size_t)a->workers);
	if (p.ctx == NULL || p.jobq == NULL)
		WL_FAIL("pool: out of memory");
	goc_wg_add(&p.wg, (int)a->workers + 1);
	for (long i = 0; i < a->workers; i++) {
		ws[i].p = &p;
		if (goc_go(worker_run, &ws[i]) != 0)
			WL_FAIL("pool: goc_go failed");
	}
	if (goc_go(producer, &p) != 0)
		WL_FAIL("pool: goc_go failed");
	goc_wg_wait(&p.wg);
	a->elapsed = goc_now() - t0;
	a->err = goc_ctx_err(p.ctx);
	goc_ctx_cancel(p.ctx);
	for (long i = 0; i < a->workers; i++) {
		a->done += ws[i].done;
		a->idsum += ws[i].idsum;
		a->res += ws[i].res;
	}
	goc_ctx_release(p.ctx);
	goc_chan_release(p.jobq);
	free(ws);
	return 0;
}

int
main(int argc, char **argv)
{
	struct args a = {0};
	uint64_t want;

	a.workers = wl_arg(argc, argv, 1, 8, 1, 1000000);
	a.jobs = wl_arg(argc, argv, 2, 200000, 0, 4000000000L);
	a.work = wl_arg(argc, argv, 3, 200, 0, 1000000000);
	a.deadline_ms = wl_arg(argc, argv, 4, 10000, 1, 86400000);
	if (goc_run(pool_main, &a) != 0)
		WL_FAIL("pool: goc_run failed");
	printf("jobs=%ld idsum=%llu res=%016llx\n", a.done,
	       (unsigned long long)a.idsum, (unsigned long long)a.res);
	fprintf(stderr, "ended=%s completed=%ld of %ld elapsed_ms=%.1f\n",
		a.err == GOC_EDEADLINE ? "deadline" : "done", a.done, a.jobs,
		(double)a.elapsed / 1e6);
	if (a.err == 0) {
		want = (uint64_t)a.jobs * (uint64_t)(a.jobs + 1) / 2;
		if (a.done != a.jobs || a.idsum != want)
			WL_FAIL("pool: %ld jobs with id sum %llu, want %ld "
				"and %llu",
				a.done, (unsigned long long)a.idsum, a.jobs,
				(unsigned long long)want);
	} else if (a.err != GOC_EDEADLINE || a.done > a.jobs) {
		WL_FAIL("pool: error %d, %ld of %ld jobs", a.err, a.done,
			a.jobs);
	}
	return 0;
}
