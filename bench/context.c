/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * context benchmarks, mirroring Go's context/benchmark_test.go (names and
 * workloads; twins in bench/go/context_test.go):
 *
 *   CheckCanceled/Err, /Done     Err, and a select on Done with a
 *                                default, of a cancelled context
 *   ContextCancelDone            RunParallel select-with-default on the
 *                                Done of an open context
 *   CommonParentCancel           RunParallel: WithCancel under one shared
 *                                parent, Value lookup, cancel
 *   WithTimeout/concurrency=N    N contexts with an hour's timeout stay
 *                                armed while RunParallel makes and
 *                                cancels 10 more per iteration
 *   CancelTree/depth=D/Root=R    a chain of D WithCancel contexts under
 *                                Background, an open canceller (cancelled
 *                                after) or a closed one
 *   DeepValueSameGoRoutine/depth=D, DeepValueNewGoRoutine/depth=D
 *                                a missing key looked up through D value
 *                                layers, here or in a new goroutine
 *
 * Go's garbage collector frees what its loops drop; here the same loops
 * release what they make (as a C program must), which is counted.
 * RunParallel is run_parallel(): b->procs Ps, one goroutine per P, the
 * b->n iterations shared out evenly.
 */
#include <stdio.h>
#include <stdlib.h>

#include <goconc.h>

#include "bench.h"

/* Registers fn under a Go sub-benchmark name ("Name/sub=1"). */
#define SUB_BENCH(id, label, fn)                                          \
	static struct goc_bench_desc goc_bench_desc_##id = {label, fn,    \
							    __LINE__, 0}; \
	__attribute__((constructor)) static void goc_bench_reg_##id(void) \
	{                                                                 \
		goc__bench_register(&goc_bench_desc_##id);                \
	}

struct par {
	goc_bench_t *b;
	void (*body)(void *arg, long n);
	void *arg;
	goc_wg_t wg;
};

struct par_w {
	struct par *p;
	long n;
};

static void
par_run(void *arg)
{
	struct par_w *w = arg;
	w->p->body(w->p->arg, w->n);
	goc_wg_done(&w->p->wg);
}

static int
par_main(void *arg)
{
	struct par *p = arg;
	int nw = p->b->procs;
	struct par_w *ws = calloc((size_t)nw, sizeof(*ws));

	goc_wg_add(&p->wg, nw);
	goc_bench_reset_timer(p->b);
	for (int i = 0; i < nw; i++) {
		ws[i].p = p;
		ws[i].n = p->b->n / nw + (i < p->b->n % nw);
		goc_go(par_run, &ws[i]);
	}
	goc_wg_wait(&p->wg);
	goc_bench_stop_timer(p->b);
	free(ws);
	return 0;
}

/* Go's b.RunParallel with GOMAXPROCS = b->procs. */
static void
run_parallel(goc_bench_t *b, void *arg, void (*body)(void *arg, long n))
{
	struct par p = {b, body, arg, GOC_WG_INIT};
	int old = goc_maxprocs(b->procs);
	goc_run(par_main, &p);
	goc_maxprocs(old);
}

/* Runs fn(b) as the main goroutine with b->procs Ps. */
struct single {
	goc_bench_t *b;
	void (*fn)(goc_bench_t *b);
};

static int
single_main(void *arg)
{
	struct single *s = arg;
	s->fn(s->b);
	return 0;
}

static void
run_single(goc_bench_t *b, void (*fn)(goc_bench_t *b))
{
	struct single s = {b, fn};
	int old = goc_maxprocs(b->procs);
	goc_run(single_main, &s);
	goc_maxprocs(old);
}

/* ---- CheckCanceled, ContextCancelDone --------------------------------- */

static volatile int sink;

static void
check_err(goc_bench_t *b)
{
	goc_ctx_t *ctx = goc_ctx_with_cancel(goc_ctx_background());
	goc_ctx_cancel(ctx);
	goc_bench_reset_timer(b);
	for (long i = 0; i < b->n; i++)
		sink = goc_ctx_err(ctx);
	goc_bench_stop_timer(b);
	goc_ctx_release(ctx);
}

static void
check_done(goc_bench_t *b)
{
	goc_ctx_t *ctx = goc_ctx_with_cancel(goc_ctx_background());
	goc_ctx_cancel(ctx);
	goc_bench_reset_timer(b);
	for (long i = 0; i < b->n; i++)
		sink = goc_chan_try_recv(goc_ctx_done(ctx), NULL);
	goc_bench_stop_timer(b);
	goc_ctx_release(ctx);
}

static void
bench_check_err(goc_bench_t *b)
{
	run_single(b, check_err);
}

static void
bench_check_done(goc_bench_t *b)
{
	run_single(b, check_done);
}

SUB_BENCH(check_err, "CheckCanceled/Err", bench_check_err)
SUB_BENCH(check_done, "CheckCanceled/Done", bench_check_done)

static void
cancel_done_body(void *arg, long n)
{
	goc_ctx_t *ctx = arg;
	for (long i = 0; i < n; i++)
		sink = goc_chan_try_recv(goc_ctx_done(ctx), NULL);
}

GOC_BENCH(ContextCancelDone)
{
	goc_ctx_t *ctx = goc_ctx_with_cancel(goc_ctx_background());
	run_parallel(b, ctx, cancel_done_body);
	goc_ctx_cancel(ctx);
	goc_ctx_release(ctx);
}

/* ---- CommonParentCancel ----------------------------------------------- */

static char key;
static char value[] = "value";

static void
common_parent_body(void *arg, long n)
{
	goc_ctx_t *shared = arg;
	int x = 0;
	for (long i = 0; i < n; i++) {
		goc_ctx_t *ctx = goc_ctx_with_cancel(shared);
		if (goc_ctx_value(ctx, &key) != value)
			abort();
		for (int k = 0; k < 100; k++)
			x /= x + 1;
		goc_ctx_cancel(ctx);
		for (int k = 0; k < 100; k++)
			x /= x + 1;
		goc_ctx_release(ctx);
	}
	sink = x;
}

GOC_BENCH(CommonParentCancel)
{
	goc_ctx_t *root = goc_ctx_with_value(goc_ctx_background(), &key, value);
	goc_ctx_t *shared = goc_ctx_with_cancel(root);
	run_parallel(b, shared, common_parent_body);
	goc_ctx_cancel(shared);
	goc_ctx_release(shared);
	goc_ctx_release(root);
}

/* ---- WithTimeout ------------------------------------------------------ */

struct wt {
	goc_ctx_t **held;
	long per;
	goc_wg_t wg;
};

struct wt_fill {
	struct wt *w;
	int i;
};

static void
wt_fill(void *arg)
{
	struct wt_fill *f = arg;
	for (long j = 0; j < f->w->per; j++)
		f->w->held[f->i * f->w->per + j] = goc_ctx_with_timeout(
			goc_ctx_background(), 3600 * GOC_SECOND);
	goc_wg_done(&f->w->wg);
}

static void
wt_body(void *arg, long n)
{
	(void)arg;
	goc_ctx_t *wcf[10];
	for (long i = 0; i < n; i++) {
		for (int k = 0; k < 10; k++)
			wcf[k] = goc_ctx_with_timeout(goc_ctx_background(),
						      3600 * GOC_SECOND);
		for (int k = 0; k < 10; k++) {
			goc_ctx_cancel(wcf[k]);
			goc_ctx_release(wcf[k]);
		}
	}
}

struct wt_run {
	goc_bench_t *b;
	long concurrency;
};

static int
wt_main(void *arg)
{
	struct wt_run *r = arg;
	int procs = r->b->procs;
	struct wt w = {NULL, r->concurrency / procs, GOC_WG_INIT};
	struct wt_fill *fills = calloc((size_t)procs, sizeof(*fills));
	w.held = calloc((size_t)(w.per * procs) + 1, sizeof(*w.held));
	goc_wg_add(&w.wg, procs);
	for (int i = 0; i < procs; i++) {
		fills[i].w = &w;
		fills[i].i = i;
		goc_go(wt_fill, &fills[i]);
	}
	goc_wg_wait(&w.wg);

	struct par p = {r->b, wt_body, NULL, GOC_WG_INIT};
	par_main(&p);

	for (long i = 0; i < w.per * procs; i++) {
		goc_ctx_cancel(w.held[i]);
		goc_ctx_release(w.held[i]);
	}
	free(w.held);
	free(fills);
	return 0;
}

static void
with_timeout(goc_bench_t *b, long concurrency)
{
	struct wt_run r = {b, concurrency};
	int old = goc_maxprocs(b->procs);
	goc_run(wt_main, &r);
	goc_maxprocs(old);
}

static void
wt40(goc_bench_t *b)
{
	with_timeout(b, 40);
}

static void
wt4000(goc_bench_t *b)
{
	with_timeout(b, 4000);
}

static void
wt400000(goc_bench_t *b)
{
	with_timeout(b, 400000);
}

SUB_BENCH(wt40, "WithTimeout/concurrency=40", wt40)
SUB_BENCH(wt4000, "WithTimeout/concurrency=4000", wt4000)
SUB_BENCH(wt400000, "WithTimeout/concurrency=400000", wt400000)

/* ---- CancelTree ------------------------------------------------------- */

/* Go's buildContextTree: a chain of depth WithCancel contexts. Each
 * parent reference is dropped once its child holds it; releasing the
 * leaf frees the chain. */
static void
build_tree(goc_ctx_t *root, int depth)
{
	goc_ctx_t *c = goc_ctx_retain(root);
	for (int d = 0; d < depth; d++) {
		goc_ctx_t *next = goc_ctx_with_cancel(c);
		goc_ctx_release(c);
		c = next;
	}
	goc_ctx_release(c);
}

enum { ROOT_BACKGROUND, ROOT_OPEN, ROOT_CLOSED };

struct tree {
	goc_bench_t *b;
	int depth;
	int root;
};

static int
tree_main(void *arg)
{
	struct tree *t = arg;
	goc_bench_t *b = t->b;
	goc_bench_reset_timer(b);
	for (long i = 0; i < b->n; i++) {
		goc_ctx_t *ctx;
		switch (t->root) {
		case ROOT_BACKGROUND:
			build_tree(goc_ctx_background(), t->depth);
			break;
		case ROOT_OPEN:
			ctx = goc_ctx_with_cancel(goc_ctx_background());
			build_tree(ctx, t->depth);
			goc_ctx_cancel(ctx);
			goc_ctx_release(ctx);
			break;
		default:
			ctx = goc_ctx_with_cancel(goc_ctx_background());
			goc_ctx_cancel(ctx);
			build_tree(ctx, t->depth);
			goc_ctx_release(ctx);
			break;
		}
	}
	goc_bench_stop_timer(b);
	return 0;
}

static void
cancel_tree(goc_bench_t *b, int depth, int root)
{
	struct tree t = {b, depth, root};
	int old = goc_maxprocs(b->procs);
	goc_run(tree_main, &t);
	goc_maxprocs(old);
}

#define TREE(d, r, rname)                                                \
	static void tree_##d##_##r(goc_bench_t *b)                       \
	{                                                                \
		cancel_tree(b, d, r);                                    \
	}                                                                \
	SUB_BENCH(tree_##d##_##r, "CancelTree/depth=" #d "/Root=" rname, \
		  tree_##d##_##r)

TREE(1, ROOT_BACKGROUND, "Background")
TREE(1, ROOT_OPEN, "OpenCanceler")
TREE(1, ROOT_CLOSED, "ClosedCanceler")
TREE(10, ROOT_BACKGROUND, "Background")
TREE(10, ROOT_OPEN, "OpenCanceler")
TREE(10, ROOT_CLOSED, "ClosedCanceler")
TREE(100, ROOT_BACKGROUND, "Background")
TREE(100, ROOT_OPEN, "OpenCanceler")
TREE(100, ROOT_CLOSED, "ClosedCanceler")
TREE(1000, ROOT_BACKGROUND, "Background")
TREE(1000, ROOT_OPEN, "OpenCanceler")
TREE(1000, ROOT_CLOSED, "ClosedCanceler")

/* ---- DeepValue -------------------------------------------------------- */

static char keys[100];
static char missing;

struct deep {
	goc_bench_t *b;
	int depth;
	bool new_goroutine;
	goc_ctx_t *ctx;
	goc_wg_t wg;
};

static void
deep_lookup(void *arg)
{
	struct deep *d = arg;
	if (goc_ctx_value(d->ctx, &missing) != NULL)
		abort();
	goc_wg_done(&d->wg);
}

static int
deep_main(void *arg)
{
	struct deep *d = arg;
	goc_ctx_t *c = goc_ctx_background();
	for (int i = 0; i < d->depth; i++) {
		goc_ctx_t *next = goc_ctx_with_value(c, &keys[i], &keys[i]);
		goc_ctx_release(c);
		c = next;
	}
	d->ctx = c;
	goc_bench_reset_timer(d->b);
	for (long i = 0; i < d->b->n; i++) {
		if (d->new_goroutine) {
			goc_wg_add(&d->wg, 1);
			goc_go(deep_lookup, d);
			goc_wg_wait(&d->wg);
		} else if (goc_ctx_value(c, &missing) != NULL) {
			abort();
		}
	}
	goc_bench_stop_timer(d->b);
	goc_ctx_release(c);
	return 0;
}

static void
deep_value(goc_bench_t *b, int depth, bool new_goroutine)
{
	struct deep d = {b, depth, new_goroutine, NULL, GOC_WG_INIT};
	int old = goc_maxprocs(b->procs);
	goc_run(deep_main, &d);
	goc_maxprocs(old);
}

#define DEEP(d)                                                      \
	static void deep_same_##d(goc_bench_t *b)                    \
	{                                                            \
		deep_value(b, d, false);                             \
	}                                                            \
	static void deep_new_##d(goc_bench_t *b)                     \
	{                                                            \
		deep_value(b, d, true);                              \
	}                                                            \
	SUB_BENCH(deep_new_##d, "DeepValueNewGoRoutine/depth=" #d,   \
		  deep_new_##d)                                      \
	SUB_BENCH(deep_same_##d, "DeepValueSameGoRoutine/depth=" #d, \
		  deep_same_##d)

DEEP(10)
DEEP(20)
DEEP(30)
DEEP(50)
DEEP(100)
