/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * context torture: rounds of random trees (cancel, deadline, value,
 * without_cancel and wrapping custom nodes, and after-funcs; some deadlines
 * fire during the round) attacked at once by goroutines on 1-4 Ps and a foreign
 * thread, for GOC_STRESS_SECONDS (1 s in make check; `make stress
 * STRESS_SECONDS=N`). Each worker holds references to a random view of
 * the tree, cancels nodes of it, creates and drops short-lived children,
 * stops after-funcs and, at a random moment, drops the creation
 * references it owns, so cancels race releases everywhere. Invariants:
 *   - synchronous propagation: when goc_ctx_cancel(x) returns, every
 *     node of the worker's view below x (not behind a without_cancel)
 *     is done: error set and done channel closed;
 *   - an error, once set, is GOC_ECANCELED or GOC_EDEADLINE, never
 *     changes, and comes with a closed done channel;
 *   - after-funcs: each registration ends with exactly one of "fn ran"
 *     or "a stop returned true";
 *   - no leak and no use after free (the ASan/LSan and TSan builds).
 * A deadlock shows as a hang: the case watchdog catches it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <goconc.h>

#include "../tests/harness.h"

enum kind { CANCEL, TIMER, VALUE, WITHOUT };

/* A custom context that only wraps its parent (Go's otherContext): its
 * children register in the library context below it. */
static const goc_ctx_ops_t wrap_ops = {0};

struct node {
	goc_ctx_t *ctx;
	int parent; /* index, -1 for the root's parent (background) */
	enum kind kind;
};

struct round {
	struct node *n;
	int nn;
	goc_ctx_after_t **af;
	int naf;
	int af_ran;     /* (atomic) */
	int af_stopped; /* (atomic) */
	int nworkers;
	goc_wg_t wg;
	int bad; /* (atomic) */
	long ops;
	int thread_done; /* (atomic) the foreign worker finished */
};

#define NVIEW 16

struct worker {
	struct round *r;
	int id;
	uint64_t seed;
	int view[NVIEW]; /* nodes this worker holds a reference to */
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
fail(struct round *r, const char *what, int i)
{
	if (__atomic_fetch_add(&r->bad, 1, __ATOMIC_SEQ_CST) < 5)
		goc_test_fail("node %d: %s", i, what);
}

static bool
closed(goc_chan_t *d)
{
	return d != NULL && goc_chan_try_recv(d, NULL) == GOC_CHAN_CLOSED;
}

/* Whether cancelling node a must cancel node y (a is y's ancestor and
 * no without_cancel lies between them). */
static bool
reaches(struct round *r, int a, int y)
{
	for (int i = y; i >= 0; i = r->n[i].parent) {
		if (i == a)
			return true;
		if (r->n[i].kind == WITHOUT)
			return false;
	}
	return false;
}

static bool
can_cancel(struct round *r, int i)
{
	return r->n[i].kind == CANCEL || r->n[i].kind == TIMER;
}

static void
check_done(struct round *r, int i)
{
	int err = goc_ctx_err(r->n[i].ctx);
	if (err == 0)
		return;
	if (err != GOC_ECANCELED && err != GOC_EDEADLINE)
		fail(r, "bad error", i);
	if (!closed(goc_ctx_done(r->n[i].ctx)))
		fail(r, "error without a closed done channel", i);
	if (goc_ctx_err(r->n[i].ctx) != err)
		fail(r, "error changed", i);
}

static void
af_fn(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

static void
work(struct worker *w)
{
	struct round *r = w->r;
	int nview = NVIEW;
	int *view = w->view;
	bool owned_dropped = false;
	int ops = 200 + (int)(next(&w->seed) % 200);
	int drop_at = (int)(next(&w->seed) % (uint64_t)ops);

	for (int op = 0; op < ops; op++) {
		if (op == drop_at) {
			/* Drop the creation references this worker owns. */
			for (int i = w->id; i < r->nn; i += r->nworkers)
				goc_ctx_release(r->n[i].ctx);
			owned_dropped = true;
		}
		int x = view[next(&w->seed) % (uint64_t)nview];
		switch (next(&w->seed) % 8) {
		case 0:
		case 1:
			if (!can_cancel(r, x))
				break;
			goc_ctx_cancel(r->n[x].ctx);
			for (int k = 0; k < nview; k++) {
				int y = view[k];
				if (!reaches(r, x, y))
					continue;
				if (goc_ctx_err(r->n[y].ctx) == 0 ||
				    !closed(goc_ctx_done(r->n[y].ctx)))
					fail(r,
					     "not done after an ancestor's "
					     "cancel",
					     y);
			}
			break;
		case 2: {
			/* A short-lived child, cancelled and dropped. */
			int before = goc_ctx_err(r->n[x].ctx);
			goc_ctx_t *c =
				next(&w->seed) % 2
					? goc_ctx_with_cancel(r->n[x].ctx)
					: goc_ctx_with_timeout(
						  r->n[x].ctx,
						  GOC_MICROSECOND *
							  (int64_t)(next(&w->seed) %
								    500));
			if (c == NULL)
				break;
			if (before != 0 && goc_ctx_err(c) == 0)
				fail(r, "child of a done context not done", x);
			if (next(&w->seed) % 2)
				goc_ctx_cancel(c);
			goc_ctx_release(c);
			break;
		}
		case 3: {
			int a = (int)(next(&w->seed) % (uint64_t)r->naf);
			if (goc_ctx_after_stop(r->af[a]))
				__atomic_add_fetch(&r->af_stopped, 1,
						   __ATOMIC_SEQ_CST);
			break;
		}
		case 4:
			if (next(&w->seed) % 4 == 0)
				goc_yield();
			break;
		default:
			check_done(r, x);
			break;
		}
	}
	if (!owned_dropped)
		for (int i = w->id; i < r->nn; i += r->nworkers)
			goc_ctx_release(r->n[i].ctx);
	for (int k = 0; k < nview; k++)
		goc_ctx_release(r->n[view[k]].ctx);
	__atomic_add_fetch(&r->ops, ops, __ATOMIC_RELAXED);
}

static void
worker_g(void *arg)
{
	struct worker *w = arg;
	work(w);
	goc_wg_done(&w->r->wg);
}

static void *
worker_t(void *arg)
{
	struct worker *w = arg;
	work(w);
	__atomic_store_n(&w->r->thread_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

struct run_arg {
	uint64_t seed;
	long rounds;
	long ops;
	int bad;
};

static void
one_round(struct run_arg *ra)
{
	struct round r = {0};
	uint64_t s = ra->seed;
	r.nn = (int)goc_test_scaled(1000) + 8;
	r.n = calloc((size_t)r.nn, sizeof(*r.n));
	r.naf = r.nn / 16 + 1;
	r.af = calloc((size_t)r.naf, sizeof(*r.af));
	/* Index 0: a cancellable root under background. */
	r.n[0].ctx = goc_ctx_with_cancel(goc_ctx_background());
	r.n[0].parent = -1;
	r.n[0].kind = CANCEL;
	for (int i = 1; i < r.nn; i++) {
		/* Deep chains and wide fans: parents near i or anywhere. */
		int p = next(&s) % 2 ? i - 1 -
					       (int)(next(&s) %
						     (uint64_t)(i < 4 ? i : 4))
				     : (int)(next(&s) % (uint64_t)i);
		goc_ctx_t *pc = r.n[p].ctx;
		unsigned what = (unsigned)(next(&s) % 20);
		r.n[i].parent = p;
		if (what < 11) {
			r.n[i].kind = CANCEL;
			r.n[i].ctx = goc_ctx_with_cancel(pc);
		} else if (what < 15) {
			r.n[i].kind = TIMER;
			int64_t d = what == 11
					    ? GOC_MICROSECOND *
						      (int64_t)(next(&s) % 3000)
					    : 3600 * GOC_SECOND;
			r.n[i].ctx = goc_ctx_with_timeout(pc, d);
		} else if (what < 18) {
			r.n[i].kind = VALUE;
			r.n[i].ctx = goc_ctx_with_value(pc, &r.n[i], &r.n[i]);
		} else if (what < 19) {
			r.n[i].kind = VALUE; /* as transparent as a value */
			r.n[i].ctx = goc_ctx_custom(pc, &wrap_ops, NULL);
		} else {
			r.n[i].kind = WITHOUT;
			r.n[i].ctx = goc_ctx_without_cancel(pc);
		}
		if (r.n[i].ctx == NULL)
			goc_test_abort("out of memory building the tree");
	}
	for (int a = 0; a < r.naf; a++) {
		int at = (int)(next(&s) % (uint64_t)r.nn);
		r.af[a] = goc_ctx_after_func(r.n[at].ctx, af_fn, &r.af_ran);
	}

	/* A raw thread takes part, except in --enable-sim (one OS thread). */
	int nthreads = getenv("GOC_TEST_SIM") != NULL ? 0 : (int)(next(&s) % 2);
	r.nworkers = 2 + (int)(next(&s) % 7) + nthreads;
	struct worker *ws = calloc((size_t)r.nworkers, sizeof(*ws));
	pthread_t th;
	goc_wg_add(&r.wg, r.nworkers - nthreads);
	for (int i = 0; i < r.nworkers; i++) {
		ws[i].r = &r;
		ws[i].id = i;
		ws[i].seed = next(&s) | 1;
		for (int k = 0; k < NVIEW; k++) {
			ws[i].view[k] = (int)(next(&s) % (uint64_t)r.nn);
			goc_ctx_retain(r.n[ws[i].view[k]].ctx);
		}
	}
	/* Deadline contexts are cancelled at the end (Go's defer cancel),
	 * or their timers would hold them for an hour. */
	goc_ctx_t **timers = calloc((size_t)r.nn, sizeof(*timers));
	int ntimers = 0;
	for (int i = 0; i < r.nn; i++)
		if (r.n[i].kind == TIMER)
			timers[ntimers++] = goc_ctx_retain(r.n[i].ctx);
	for (int i = 0; i < r.nworkers; i++) {
		if (i == 0 && nthreads)
			pthread_create(&th, NULL, worker_t, &ws[i]);
		else if (goc_go(worker_g, &ws[i]) != 0)
			goc_test_abort("goc_go failed");
	}
	/*
	 * The foreign worker is awaited with yields, not parked on: the
	 * deadlock detector cannot see a thread that has not blocked yet
	 * (SPEC §10), so a parked main could be declared deadlocked.
	 */
	if (nthreads) {
		while (!__atomic_load_n(&r.thread_done, __ATOMIC_SEQ_CST))
			goc_yield();
		pthread_join(th, NULL);
	}
	goc_wg_wait(&r.wg);

	/* Every after-func ends stopped or run: stop what is left (those
	 * under a never-cancelled branch), then wait for runs to land. */
	for (int a = 0; a < r.naf; a++) {
		if (goc_ctx_after_stop(r.af[a]))
			__atomic_add_fetch(&r.af_stopped, 1, __ATOMIC_SEQ_CST);
		goc_ctx_after_release(r.af[a]);
	}
	while (__atomic_load_n(&r.af_ran, __ATOMIC_SEQ_CST) +
		       __atomic_load_n(&r.af_stopped, __ATOMIC_SEQ_CST) <
	       r.naf)
		goc_yield();
	if (r.af_ran + r.af_stopped != r.naf)
		fail(&r, "after-func ran and was stopped", -1);
	for (int i = 0; i < ntimers; i++) {
		goc_ctx_cancel(timers[i]);
		goc_ctx_release(timers[i]);
	}
	free(timers);
	ra->ops += r.ops;
	ra->bad += r.bad;
	ra->seed = s;
	free(ws);
	free(r.af);
	free(r.n);
}

static int
torture_main(void *arg)
{
	struct run_arg *ra = arg;
	double secs = goc_test_stress_seconds();
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		one_round(ra);
		ra->rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (ra->bad == 0 &&
		 (double)(t.tv_sec - t0.tv_sec) +
				 (double)(t.tv_nsec - t0.tv_nsec) / 1e9 <
			 secs);
	return 0;
}

GOC_TEST(context_torture)
{
	double secs = goc_test_stress_seconds();
	struct run_arg ra = {goc_test_seed() | 1, 0, 0, 0};

	goc_test_set_timeout(secs * 4 + 120);
	goc_maxprocs(1 + (int)(goc_test_rand() % 4));
	expect_int_eq(goc_run(torture_main, &ra), 0);
	expect_int_eq(ra.bad, 0);
	goc_test_note("%ld rounds, %ld operations", ra.rounds, ra.ops);
}
