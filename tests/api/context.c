/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Contexts through <goconc.h>: ports of Go's context tests
 * (context/context_test.go, x_test.go and afterfunc_test.go, Go 1.25;
 * each case names the one it follows), plus what C adds: release order,
 * foreign threads, and the memory-model edge of cancellation.
 *
 * Every case runs under goc_run. Waiting is done on the done channels
 * themselves or on atomics with goc_yield; deadlines are the workload,
 * never the synchronisation.
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

static void
wait_until(int *p, int want)
{
	while (load(p) < want)
		goc_yield();
}

static bool
closed(goc_chan_t *d)
{
	return d != NULL && goc_chan_try_recv(d, NULL) == GOC_CHAN_CLOSED;
}

/* Blocks until ctx is done (the test watchdog catches a hang). */
static void
wait_done(goc_ctx_t *ctx)
{
	goc_chan_t *d = goc_ctx_done(ctx);
	require_ptr_ne(d, NULL);
	expect_false(goc_chan_recv(d, NULL));
}

static int
run(int (*fn)(void *))
{
	return goc_run(fn, NULL);
}

/*
 * "otherContext" of Go's tests: a custom context that only wraps its
 * parent, with every operation delegated (a foreign Context type
 * embedding a library one).
 */
static const goc_ctx_ops_t wrap_ops = {0};

static goc_ctx_t *
other(goc_ctx_t *parent)
{
	return goc_ctx_custom(parent, &wrap_ops, NULL);
}

/* ---- roots ------------------------------------------------------------ */

/* After Go's TestBackground and TestTODO. */
GOC_TEST(background_todo)
{
	goc_ctx_t *b = goc_ctx_background(), *t = goc_ctx_todo();
	int64_t d;

	require_ptr_ne(b, NULL);
	expect_ptr_ne(b, t);
	expect_ptr_eq(goc_ctx_background(), b);
	for (int i = 0; i < 2; i++) {
		goc_ctx_t *c = i ? t : b;
		expect_ptr_eq(goc_ctx_done(c), NULL);
		expect_int_eq(goc_ctx_err(c), 0);
		expect_false(goc_ctx_deadline(c, &d));
		expect_ptr_eq(goc_ctx_value(c, &d), NULL);
		expect_int_eq(goc_ctx_cause(c, NULL), 0);
		expect_ptr_eq(goc_ctx_retain(c), c);
		goc_ctx_release(c); /* static: nothing happens */
		goc_ctx_cancel(c);  /* cannot be cancelled */
		expect_int_eq(goc_ctx_err(c), 0);
	}
	expect_str_eq(goc_ctx_name(b), "context.Background");
	expect_str_eq(goc_ctx_name(t), "context.TODO");
	goc_ctx_release(NULL);
}

/* ---- WithCancel ------------------------------------------------------- */

/* After Go's TestWithCancel: cancel reaches every descendant, through a
 * foreign wrapper too, before it returns. */
static int
with_cancel_main(void *arg)
{
	(void)arg;
	goc_ctx_t *c1 = goc_ctx_with_cancel(goc_ctx_background());
	require_ptr_ne(c1, NULL);
	expect_str_eq(goc_ctx_name(c1), "context.WithCancel");
	goc_ctx_t *o = other(c1);
	goc_ctx_t *c2 = goc_ctx_with_cancel(o);
	goc_ctx_t *all[3] = {c1, o, c2};

	for (int i = 0; i < 3; i++) {
		goc_chan_t *d = goc_ctx_done(all[i]);
		expect_ptr_ne(d, NULL);
		expect_false(closed(d));
		expect_int_eq(goc_ctx_err(all[i]), 0);
	}
	goc_ctx_cancel(c1);
	for (int i = 0; i < 3; i++) {
		expect_true(closed(goc_ctx_done(all[i])));
		expect_int_eq(goc_ctx_err(all[i]), GOC_ECANCELED);
	}
	goc_ctx_cancel(c1); /* idempotent */
	goc_ctx_cancel(c2);
	expect_int_eq(goc_ctx_err(c2), GOC_ECANCELED);
	goc_ctx_release(c2);
	goc_ctx_release(o);
	goc_ctx_release(c1);
	return 0;
}

GOC_TEST(with_cancel)
{
	expect_int_eq(run(with_cancel_main), 0);
}

/* After Go's TestWithCancelCanceledParent: a child of a cancelled parent
 * is done at once, with the parent's error and cause. */
static int
canceled_parent_main(void *arg)
{
	(void)arg;
	goc_ctx_t *p = goc_ctx_with_cancel_cause(goc_ctx_background());
	goc_ctx_cancel_cause(p, -100, "parent cause");
	goc_ctx_t *v = goc_ctx_with_value(p, &p, p);
	goc_ctx_t *kids[3] = {
		goc_ctx_with_cancel(p),
		goc_ctx_with_cancel(v),
		goc_ctx_with_timeout(v, GOC_SECOND * 3600),
	};
	for (int i = 0; i < 3; i++) {
		const char *msg;
		expect_true(closed(goc_ctx_done(kids[i])));
		expect_int_eq(goc_ctx_err(kids[i]), GOC_ECANCELED);
		expect_int_eq(goc_ctx_cause(kids[i], &msg), -100);
		expect_str_eq(msg, "parent cause");
		goc_ctx_release(kids[i]);
	}
	goc_ctx_release(v);
	goc_ctx_release(p);
	return 0;
}

GOC_TEST(with_cancel_canceled_parent)
{
	expect_int_eq(run(canceled_parent_main), 0);
}

/* After Go's TestParentFinishesChild, black-box half: every kind of
 * child is done when its parent is cancelled; the parent is not done
 * when its children are. */
static void
noop(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

static int
parent_finishes_child_main(void *arg)
{
	(void)arg;
	int ran = 0;
	goc_ctx_t *parent = goc_ctx_with_cancel(goc_ctx_background());
	goc_ctx_t *cancel_child = goc_ctx_with_cancel(parent);
	goc_ctx_t *value_child = goc_ctx_with_value(parent, &ran, &ran);
	goc_ctx_t *timer_child =
		goc_ctx_with_timeout(value_child, GOC_SECOND * 3600);
	goc_ctx_after_t *after = goc_ctx_after_func(parent, noop, &ran);
	goc_ctx_t *kids[3] = {cancel_child, value_child, timer_child};

	for (int i = 0; i < 3; i++) {
		expect_false(closed(goc_ctx_done(kids[i])));
		expect_int_eq(goc_ctx_err(kids[i]), 0);
	}
	goc_ctx_cancel(parent);
	expect_int_eq(goc_ctx_err(parent), GOC_ECANCELED);
	for (int i = 0; i < 3; i++) {
		expect_true(closed(goc_ctx_done(kids[i])));
		expect_int_eq(goc_ctx_err(kids[i]), GOC_ECANCELED);
	}
	wait_until(&ran, 1);
	expect_false(goc_ctx_after_stop(after));
	goc_ctx_after_release(after);
	/* Release in creation order: children keep parents alive. */
	goc_ctx_release(parent);
	goc_ctx_release(cancel_child);
	goc_ctx_release(value_child);
	goc_ctx_release(timer_child);
	return 0;
}

GOC_TEST(parent_finishes_child)
{
	expect_int_eq(run(parent_finishes_child_main), 0);
}

/* After Go's TestChildFinishesFirst: cancelling a child leaves its
 * parent alone, under a cancellable and a never-cancelled parent. */
static int
child_first_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2; i++) {
		goc_ctx_t *root = i ? goc_ctx_with_cancel(goc_ctx_background())
				    : goc_ctx_background();
		goc_ctx_t *parent = goc_ctx_with_cancel(root);
		goc_ctx_t *child = goc_ctx_with_cancel(parent);
		goc_ctx_cancel(child);
		expect_int_eq(goc_ctx_err(child), GOC_ECANCELED);
		expect_true(closed(goc_ctx_done(child)));
		expect_int_eq(goc_ctx_err(parent), 0);
		expect_false(closed(goc_ctx_done(parent)));
		goc_ctx_cancel(root);
		goc_ctx_cancel(parent);
		expect_int_eq(goc_ctx_err(parent), GOC_ECANCELED);
		expect_int_eq(goc_ctx_err(child), GOC_ECANCELED);
		goc_ctx_release(child);
		goc_ctx_release(parent);
		goc_ctx_release(root);
	}
	return 0;
}

GOC_TEST(child_finishes_first)
{
	expect_int_eq(run(child_first_main), 0);
}

/* ---- deadlines -------------------------------------------------------- */

static void
expect_deadline_fires(goc_ctx_t *ctx, int64_t deadline)
{
	wait_done(ctx);
	expect_int_ge(goc_now(), deadline);
	expect_int_eq(goc_ctx_err(ctx), GOC_EDEADLINE);
	expect_int_eq(goc_ctx_cause(ctx, NULL), GOC_EDEADLINE);
}

/* After Go's TestDeadline and TestTimeout: the deadline fires; a later
 * child deadline is capped by the parent's; passed deadlines fire at
 * once. */
static int
deadline_main(void *arg)
{
	(void)arg;
	int64_t d, ms = GOC_MILLISECOND;
	int64_t dl = goc_now() + 20 * ms;
	goc_ctx_t *c = goc_ctx_with_deadline(goc_ctx_background(), dl);
	require_ptr_ne(c, NULL);
	expect_str_eq(goc_ctx_name(c), "context.WithDeadline");
	expect_true(goc_ctx_deadline(c, &d));
	expect_int_eq(d, dl);
	expect_deadline_fires(c, dl);
	goc_ctx_release(c);

	/* Through a foreign wrapper. */
	dl = goc_now() + 20 * ms;
	c = goc_ctx_with_deadline(goc_ctx_background(), dl);
	goc_ctx_t *o = other(c);
	goc_ctx_t *c2 = goc_ctx_with_deadline(o, goc_now() + 3600 * GOC_SECOND);
	expect_true(goc_ctx_deadline(c2, &d));
	expect_int_eq(d, dl); /* the parent's is sooner */
	expect_deadline_fires(c2, dl);
	expect_int_eq(goc_ctx_err(o), GOC_EDEADLINE);
	goc_ctx_release(c2);
	goc_ctx_release(o);
	goc_ctx_release(c);

	/* A child deadline sooner than the parent's is its own. */
	c = goc_ctx_with_timeout(goc_ctx_background(), 3600 * GOC_SECOND);
	dl = goc_now() + 10 * ms;
	c2 = goc_ctx_with_deadline(c, dl);
	expect_true(goc_ctx_deadline(c2, &d));
	expect_int_eq(d, dl);
	expect_deadline_fires(c2, dl);
	expect_int_eq(goc_ctx_err(c), 0);
	goc_ctx_cancel(c);
	goc_ctx_release(c2);
	goc_ctx_release(c);

	/* Passed, and exactly now: done before the constructor returns. */
	int64_t past[2] = {goc_now() - 1, goc_now()};
	for (int i = 0; i < 2; i++) {
		c = goc_ctx_with_deadline(goc_ctx_background(), past[i]);
		expect_int_eq(goc_ctx_err(c), GOC_EDEADLINE);
		expect_true(closed(goc_ctx_done(c)));
		goc_ctx_release(c);
	}
	c = goc_ctx_with_timeout(goc_ctx_background(), 0);
	expect_int_eq(goc_ctx_err(c), GOC_EDEADLINE);
	goc_ctx_release(c);
	c = goc_ctx_with_timeout(goc_ctx_background(), -GOC_SECOND);
	expect_int_eq(goc_ctx_err(c), GOC_EDEADLINE);
	goc_ctx_release(c);

	/* The timeout form; a huge timeout does not overflow. */
	c = goc_ctx_with_timeout(goc_ctx_background(), 20 * ms);
	expect_true(goc_ctx_deadline(c, &d));
	expect_deadline_fires(c, d);
	goc_ctx_release(c);
	c = goc_ctx_with_timeout(goc_ctx_background(), INT64_MAX);
	expect_true(goc_ctx_deadline(c, &d));
	expect_int_eq(d, INT64_MAX);
	expect_int_eq(goc_ctx_err(c), 0);
	goc_ctx_cancel(c);
	goc_ctx_release(c);

	/* Values and cancel parents report the deadline above them. */
	c = goc_ctx_with_deadline(goc_ctx_background(), INT64_MAX - 1);
	goc_ctx_t *v = goc_ctx_with_value(c, &d, NULL);
	c2 = goc_ctx_with_cancel(v);
	expect_true(goc_ctx_deadline(c2, &d));
	expect_int_eq(d, INT64_MAX - 1);
	goc_ctx_cancel(c);
	goc_ctx_release(c2);
	goc_ctx_release(v);
	goc_ctx_release(c);
	return 0;
}

GOC_TEST(deadline_and_timeout)
{
	expect_int_eq(run(deadline_main), 0);
}

/* After Go's TestCanceledTimeout: cancelling a deadline context gives
 * canceled, not deadline exceeded; the timer no longer fires. */
static int
canceled_timeout_main(void *arg)
{
	(void)arg;
	goc_ctx_t *c = goc_ctx_with_timeout(goc_ctx_background(), GOC_SECOND);
	goc_ctx_t *o = other(c);
	goc_ctx_t *c2 = goc_ctx_with_timeout(o, 2 * GOC_SECOND);
	goc_ctx_cancel(c2);
	wait_done(c2);
	expect_int_eq(goc_ctx_err(c2), GOC_ECANCELED);
	expect_int_eq(goc_ctx_cause(c2, NULL), GOC_ECANCELED);
	expect_int_eq(goc_ctx_err(c), 0);
	goc_ctx_cancel(c);
	expect_int_eq(goc_ctx_err(c), GOC_ECANCELED);
	goc_ctx_release(c2);
	goc_ctx_release(o);
	goc_ctx_release(c);
	return 0;
}

GOC_TEST(canceled_timeout)
{
	expect_int_eq(run(canceled_timeout_main), 0);
}

/* ---- values ----------------------------------------------------------- */

/* After Go's TestValues: lookup, shadowing, keys compared by identity
 * (Go: distinct key types with equal values are distinct keys). */
static char k1, k2, k3;

GOC_TEST(values)
{
	int one = 1, two = 2, three = 3, shadow = 4;
	goc_ctx_t *bg = goc_ctx_background();

	expect_ptr_eq(goc_ctx_value(bg, &k1), NULL);
	goc_ctx_t *c1 = goc_ctx_with_value(bg, &k1, &one);
	expect_str_eq(goc_ctx_name(c1), "context.WithValue");
	expect_ptr_eq(goc_ctx_value(c1, &k1), &one);
	expect_ptr_eq(goc_ctx_value(c1, &k2), NULL);
	goc_ctx_t *c2 = goc_ctx_with_value(c1, &k2, &two);
	expect_ptr_eq(goc_ctx_value(c2, &k1), &one);
	expect_ptr_eq(goc_ctx_value(c2, &k2), &two);
	expect_ptr_eq(goc_ctx_value(c2, &k3), NULL);
	goc_ctx_t *c3 = goc_ctx_with_value(c2, &k3, &three);
	goc_ctx_t *c4 = goc_ctx_with_value(c3, &k1, &shadow);
	expect_ptr_eq(goc_ctx_value(c4, &k1), &shadow);
	expect_ptr_eq(goc_ctx_value(c3, &k1), &one);
	expect_ptr_eq(goc_ctx_value(c4, &k2), &two);
	expect_ptr_eq(goc_ctx_value(c4, &k3), &three);
	/* Through cancel, deadline, without_cancel and custom nodes. */
	goc_ctx_t *cc = goc_ctx_with_cancel(c4);
	goc_ctx_t *tc = goc_ctx_with_timeout(cc, 3600 * GOC_SECOND);
	goc_ctx_t *wc = goc_ctx_without_cancel(tc);
	goc_ctx_t *oc = other(wc);
	expect_ptr_eq(goc_ctx_value(oc, &k1), &shadow);
	expect_ptr_eq(goc_ctx_value(oc, &k3), &three);
	/* A value may be NULL, which reads as absent (as Go's nil). */
	goc_ctx_t *c5 = goc_ctx_with_value(oc, &k2, NULL);
	expect_ptr_eq(goc_ctx_value(c5, &k2), NULL);
	/* Value nodes are transparent to cancellation. */
	expect_int_eq(goc_ctx_err(c4), 0);
	expect_ptr_eq(goc_ctx_done(c4), NULL);
	goc_ctx_t *vc = goc_ctx_with_value(tc, &k2, &two);
	expect_ptr_eq(goc_ctx_done(vc), goc_ctx_done(tc));
	goc_ctx_cancel(cc);
	expect_int_eq(goc_ctx_err(vc), GOC_ECANCELED);
	goc_ctx_t *all[] = {c1, c2, c3, c4, cc, tc, wc, oc, c5, vc};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		goc_ctx_release(all[i]);
}

/* ---- trees ------------------------------------------------------------ */

struct sim {
	goc_ctx_t **nodes;
	int n;
	goc_wg_t wg;
	int started;
};

struct sim_arg {
	struct sim *s;
	int i;
};

static void
sim_cancel(void *arg)
{
	struct sim_arg *a = arg;
	__atomic_add_fetch(&a->s->started, 1, __ATOMIC_SEQ_CST);
	wait_until(&a->s->started, a->s->n);
	goc_ctx_cancel(a->s->nodes[a->i]);
	goc_wg_done(&a->s->wg);
}

/* After Go's TestSimultaneousCancels: a random tree cancelled from every
 * node at once; every node done, no deadlock. */
static int
simultaneous_main(void *arg)
{
	(void)arg;
	struct sim s = {0};
	s.n = (int)goc_test_scaled(100);
	if (s.n < 10)
		s.n = 10;
	s.nodes = calloc((size_t)s.n, sizeof(*s.nodes));
	struct sim_arg *args = calloc((size_t)s.n, sizeof(*args));
	s.nodes[0] = goc_ctx_with_cancel(goc_ctx_background());
	for (int i = 1; i < s.n; i++) {
		goc_ctx_t *p = s.nodes[goc_test_rand() % (uint64_t)i];
		if (goc_test_rand() % 4 == 0)
			s.nodes[i] = goc_ctx_with_timeout(p, 3600 * GOC_SECOND);
		else
			s.nodes[i] = goc_ctx_with_cancel(p);
	}
	goc_wg_add(&s.wg, s.n);
	for (int i = 0; i < s.n; i++) {
		args[i].s = &s;
		args[i].i = i;
		require_int_eq(goc_go(sim_cancel, &args[i]), 0);
	}
	goc_wg_wait(&s.wg);
	for (int i = 0; i < s.n; i++) {
		expect_true(closed(goc_ctx_done(s.nodes[i])));
		expect_int_eq(goc_ctx_err(s.nodes[i]), GOC_ECANCELED);
	}
	for (int i = 0; i < s.n; i++)
		goc_ctx_release(s.nodes[i]);
	free(s.nodes);
	free(args);
	return 0;
}

GOC_TEST(simultaneous_cancels)
{
	expect_int_eq(goc_maxprocs(2) > 0, 1);
	expect_int_eq(run(simultaneous_main), 0);
}

struct interlock {
	goc_ctx_t *parent, *child;
	goc_wg_t wg;
};

static void
interlock_fn(void *arg)
{
	struct interlock *il = arg;
	goc_chan_recv(goc_ctx_done(il->parent), NULL);
	goc_ctx_cancel(il->child);
	goc_wg_done(&il->wg);
}

/* After Go's TestInterlockedCancels: a child cancelled from a goroutine
 * woken by its parent's done channel; no deadlock on the parent. */
static int
interlocked_main(void *arg)
{
	(void)arg;
	struct interlock il = {0};
	il.parent = goc_ctx_with_cancel(goc_ctx_background());
	il.child = goc_ctx_with_cancel(il.parent);
	goc_ctx_done(il.parent);
	goc_wg_add(&il.wg, 1);
	require_int_eq(goc_go(interlock_fn, &il), 0);
	goc_ctx_cancel(il.parent);
	wait_done(il.child);
	goc_wg_wait(&il.wg);
	goc_ctx_release(il.child);
	goc_ctx_release(il.parent);
	return 0;
}

GOC_TEST(interlocked_cancels)
{
	expect_int_eq(run(interlocked_main), 0);
}

/* After Go's TestLayersCancel and TestLayersTimeout (testLayers): random
 * stacks of value, cancel and timeout layers; values survive, and
 * cancelling (or a deadline) ends every layer below. */
static int
layers_main(void *arg)
{
	bool timeout = arg != NULL;
	enum { N = 40 };
	static char keys[N];
	goc_ctx_t *layer[N + 1];
	int cancels[N], ncancel = 0;
	int64_t dl = goc_now() + 20 * GOC_MILLISECOND;

	for (int iter = 0; iter < (int)goc_test_scaled(20) + 1; iter++) {
		layer[0] = goc_ctx_background();
		ncancel = 0;
		bool timed = false;
		for (int i = 0; i < N; i++) {
			goc_ctx_t *p = layer[i];
			switch (goc_test_rand() % 3) {
			case 0:
				layer[i + 1] = goc_ctx_with_value(p, &keys[i],
								  &keys[i]);
				break;
			case 1:
				layer[i + 1] = goc_ctx_with_cancel(p);
				cancels[ncancel++] = i + 1;
				break;
			default:
				if (timeout) {
					layer[i + 1] =
						goc_ctx_with_deadline(p, dl);
					timed = true;
				} else {
					layer[i + 1] = goc_ctx_with_timeout(
						p, 3600 * GOC_SECOND);
					cancels[ncancel++] = i + 1;
				}
				break;
			}
			require_ptr_ne(layer[i + 1], NULL);
		}
		goc_ctx_t *top = layer[N];
		for (int i = 0; i < N; i++) {
			void *v = goc_ctx_value(top, &keys[i]);
			expect_true(v == NULL || v == &keys[i]);
		}
		if (timeout && timed) {
			wait_done(top);
			expect_int_eq(goc_ctx_err(top), GOC_EDEADLINE);
		} else if (ncancel > 0) {
			int at = cancels[goc_test_rand() % (uint64_t)ncancel];
			expect_int_eq(goc_ctx_err(top), 0);
			goc_ctx_cancel(layer[at]);
			for (int i = at; i <= N; i++)
				expect_int_eq(goc_ctx_err(layer[i]),
					      GOC_ECANCELED);
		}
		for (int i = 0; i < ncancel; i++)
			goc_ctx_cancel(layer[cancels[i]]);
		/* Release top-down and bottom-up on alternate rounds. */
		for (int i = 1; i <= N; i++)
			goc_ctx_release(layer[iter % 2 ? i : N + 1 - i]);
	}
	return 0;
}

GOC_TEST(layers_cancel)
{
	expect_int_eq(goc_run(layers_main, NULL), 0);
}

GOC_TEST(layers_timeout)
{
	static int yes;
	expect_int_eq(goc_run(layers_main, &yes), 0);
}

/* A tree far deeper than a goroutine stack could recurse through. */
static int
deep_main(void *arg)
{
	(void)arg;
	int depth = (int)goc_test_scaled(20000);
	goc_ctx_t **chain = calloc((size_t)depth, sizeof(*chain));
	goc_ctx_t *root = goc_ctx_with_cancel(goc_ctx_background());
	goc_ctx_t *p = root;
	for (int i = 0; i < depth; i++)
		p = chain[i] = goc_ctx_with_cancel(p);
	goc_ctx_cancel(root);
	expect_int_eq(goc_ctx_err(chain[depth - 1]), GOC_ECANCELED);
	/* Released root first: the last release frees the whole chain. */
	goc_ctx_release(root);
	for (int i = 0; i < depth; i++)
		goc_ctx_release(chain[i]);
	/* And a chain released without being cancelled. */
	p = goc_ctx_with_cancel(goc_ctx_background());
	for (int i = 0; i < depth; i++) {
		goc_ctx_t *c = goc_ctx_with_cancel(p);
		goc_ctx_release(p);
		p = c;
	}
	goc_ctx_release(p);
	free(chain);
	return 0;
}

GOC_TEST(deep_tree)
{
	expect_int_eq(run(deep_main), 0);
}

/* ---- causes ----------------------------------------------------------- */

static void
expect_cause(goc_ctx_t *ctx, int err, int cause, const char *msg)
{
	const char *m = "unset";
	expect_int_eq(goc_ctx_err(ctx), err);
	expect_int_eq(goc_ctx_cause(ctx, &m), cause);
	expect_str_eq(m, msg);
}

/* After Go's TestCause (the table, case by case). */
static int
cause_main(void *arg)
{
	(void)arg;
	goc_ctx_t *bg = goc_ctx_background();
	const char *cn = "context canceled", *dn = "context deadline exceeded";

	/* Background: no error, no cause. */
	expect_cause(bg, 0, 0, NULL);

	/* WithCancel, cancelled: cause is the error. */
	goc_ctx_t *c = goc_ctx_with_cancel(bg);
	expect_cause(c, 0, 0, NULL);
	goc_ctx_cancel(c);
	expect_cause(c, GOC_ECANCELED, GOC_ECANCELED, cn);
	goc_ctx_release(c);

	/* WithCancelCause with no cause. */
	c = goc_ctx_with_cancel_cause(bg);
	goc_ctx_cancel_cause(c, 0, "ignored");
	expect_cause(c, GOC_ECANCELED, GOC_ECANCELED, cn);
	goc_ctx_release(c);

	/* WithCancelCause with a cause; the message is copied. */
	char buf[16] = "finished";
	c = goc_ctx_with_cancel_cause(bg);
	goc_ctx_cancel_cause(c, -101, buf);
	buf[0] = 'X';
	expect_cause(c, GOC_ECANCELED, -101, "finished");
	/* A later cancel changes nothing. */
	goc_ctx_cancel_cause(c, -102, "later");
	expect_cause(c, GOC_ECANCELED, -101, "finished");
	goc_ctx_release(c);

	/* A code without message reads as goc_strerror. */
	c = goc_ctx_with_cancel_cause(bg);
	goc_ctx_cancel_cause(c, GOC_EDEADLINE, NULL);
	expect_cause(c, GOC_ECANCELED, GOC_EDEADLINE, dn);
	goc_ctx_release(c);

	/* Parent cancelled with a cause: the child inherits it. */
	goc_ctx_t *p = goc_ctx_with_cancel_cause(bg);
	c = goc_ctx_with_cancel_cause(p);
	goc_ctx_t *v = goc_ctx_with_value(c, &p, NULL);
	goc_ctx_cancel_cause(p, -103, "parent");
	expect_cause(c, GOC_ECANCELED, -103, "parent");
	expect_cause(v, GOC_ECANCELED, -103, "parent");
	/* Child cancelled after the parent: the parent's cause stays. */
	goc_ctx_cancel_cause(c, -104, "child");
	expect_cause(c, GOC_ECANCELED, -103, "parent");
	goc_ctx_release(v);
	goc_ctx_release(c);
	goc_ctx_release(p);

	/* Child cancelled first keeps its own cause. */
	p = goc_ctx_with_cancel_cause(bg);
	c = goc_ctx_with_cancel_cause(p);
	goc_ctx_cancel_cause(c, -104, "child");
	goc_ctx_cancel_cause(p, -103, "parent");
	expect_cause(c, GOC_ECANCELED, -104, "child");
	expect_cause(p, GOC_ECANCELED, -103, "parent");
	goc_ctx_release(c);
	goc_ctx_release(p);

	/* WithTimeoutCause: the deadline passes with the cause. */
	c = goc_ctx_with_timeout_cause(bg, 0, -105, "too slow");
	expect_cause(c, GOC_EDEADLINE, -105, "too slow");
	goc_ctx_release(c);
	c = goc_ctx_with_timeout_cause(bg, GOC_MILLISECOND, -105, "too slow");
	wait_done(c);
	expect_cause(c, GOC_EDEADLINE, -105, "too slow");
	goc_ctx_release(c);

	/* WithTimeoutCause cancelled before the deadline: plain cancel. */
	c = goc_ctx_with_timeout_cause(bg, 3600 * GOC_SECOND, -105, "slow");
	goc_ctx_cancel(c);
	expect_cause(c, GOC_ECANCELED, GOC_ECANCELED, cn);
	goc_ctx_release(c);

	/* WithTimeout (no cause) that fires: cause is the error. */
	c = goc_ctx_with_timeout(bg, 0);
	expect_cause(c, GOC_EDEADLINE, GOC_EDEADLINE, dn);
	goc_ctx_release(c);

	/* Stacked timeouts: the parent's fires first, its cause wins. */
	p = goc_ctx_with_timeout_cause(bg, GOC_MILLISECOND, -106, "outer");
	c = goc_ctx_with_timeout_cause(p, 3600 * GOC_SECOND, -107, "inner");
	wait_done(c);
	expect_cause(c, GOC_EDEADLINE, -106, "outer");
	goc_ctx_release(c);
	goc_ctx_release(p);

	/* Stacked: the child's is sooner, its cause wins. */
	p = goc_ctx_with_timeout_cause(bg, 3600 * GOC_SECOND, -106, "outer");
	c = goc_ctx_with_timeout_cause(p, 0, -107, "inner");
	expect_cause(c, GOC_EDEADLINE, -107, "inner");
	expect_cause(p, 0, 0, NULL);
	goc_ctx_cancel(p);
	goc_ctx_release(c);
	goc_ctx_release(p);

	/* WithoutCancel: no cause even after the parent's cancel. */
	p = goc_ctx_with_cancel_cause(bg);
	c = goc_ctx_without_cancel(p);
	goc_ctx_cancel_cause(p, -108, "gone");
	expect_cause(c, 0, 0, NULL);
	goc_ctx_release(c);
	goc_ctx_release(p);

	/* Cancel that is not the cause's owner: a with_cancel under a
	 * cancelled cause parent made later. */
	p = goc_ctx_with_cancel_cause(bg);
	goc_ctx_cancel_cause(p, -109, "early");
	c = goc_ctx_with_timeout(p, 0);
	expect_cause(c, GOC_ECANCELED, -109, "early");
	goc_ctx_release(c);
	goc_ctx_release(p);
	return 0;
}

GOC_TEST(cause)
{
	expect_int_eq(run(cause_main), 0);
}

struct race {
	goc_ctx_t *ctx;
	int stop;
	int seen;
	goc_wg_t wg;
};

static void
cause_poller(void *arg)
{
	struct race *r = arg;
	while (!load(&r->stop)) {
		const char *m;
		int code = goc_ctx_cause(r->ctx, &m);
		if (code != 0) {
			expect_int_eq(code, -110);
			expect_str_eq(m, "raced");
			expect_int_eq(goc_ctx_err(r->ctx), GOC_ECANCELED);
			__atomic_store_n(&r->seen, 1, __ATOMIC_SEQ_CST);
			break;
		}
		goc_yield();
	}
	goc_wg_done(&r->wg);
}

/* After Go's TestCauseRace: Cause polled while the cancel happens. */
static int
cause_race_main(void *arg)
{
	(void)arg;
	struct race r = {0};
	r.ctx = goc_ctx_with_cancel_cause(goc_ctx_background());
	goc_wg_add(&r.wg, 4);
	for (int i = 0; i < 4; i++)
		goc_go(cause_poller, &r);
	goc_yield();
	goc_ctx_cancel_cause(r.ctx, -110, "raced");
	goc_wg_wait(&r.wg);
	expect_int_eq(r.seen, 1);
	goc_ctx_release(r.ctx);
	return 0;
}

GOC_TEST(cause_race)
{
	goc_maxprocs(2);
	expect_int_eq(run(cause_race_main), 0);
}

static void
cancel_parent_fn(void *arg)
{
	struct race *r = arg;
	goc_yield();
	goc_ctx_cancel_cause(r->ctx, -111, "simultaneous");
	goc_wg_done(&r->wg);
}

/* After Go's TestWithCancelSimultaneouslyCanceledParent: a child made
 * while its parent is being cancelled carries the parent's cause. */
static int
simul_parent_main(void *arg)
{
	(void)arg;
	for (int iter = 0; iter < (int)goc_test_scaled(200) + 1; iter++) {
		struct race r = {0};
		r.ctx = goc_ctx_with_cancel_cause(goc_ctx_background());
		goc_wg_add(&r.wg, 1);
		require_int_eq(goc_go(cancel_parent_fn, &r), 0);
		goc_ctx_t *c = goc_ctx_with_cancel(r.ctx);
		goc_ctx_t *t = goc_ctx_with_timeout(r.ctx, 3600 * GOC_SECOND);
		const char *m;
		wait_done(c);
		wait_done(t);
		expect_int_eq(goc_ctx_cause(c, &m), -111);
		expect_str_eq(m, "simultaneous");
		expect_int_eq(goc_ctx_cause(t, NULL), -111);
		goc_wg_wait(&r.wg);
		goc_ctx_release(c);
		goc_ctx_release(t);
		goc_ctx_release(r.ctx);
	}
	return 0;
}

GOC_TEST(with_cancel_simultaneously_canceled_parent)
{
	goc_maxprocs(2);
	expect_int_eq(run(simul_parent_main), 0);
}

/* ---- WithoutCancel ---------------------------------------------------- */

/* After Go's TestWithoutCancel: values kept, no deadline, never done;
 * children under it are not cancelled by the original parent. */
static int
without_cancel_main(void *arg)
{
	(void)arg;
	int64_t d;
	goc_ctx_t *p =
		goc_ctx_with_timeout(goc_ctx_background(), 3600 * GOC_SECOND);
	goc_ctx_t *v = goc_ctx_with_value(p, &k1, &k2);
	goc_ctx_t *w = goc_ctx_without_cancel(v);
	expect_str_eq(goc_ctx_name(w), "context.WithoutCancel");
	expect_false(goc_ctx_deadline(w, &d));
	expect_ptr_eq(goc_ctx_done(w), NULL);
	expect_ptr_eq(goc_ctx_value(w, &k1), &k2);
	goc_ctx_t *c = goc_ctx_with_cancel(w);
	goc_ctx_cancel(p);
	expect_int_eq(goc_ctx_err(v), GOC_ECANCELED);
	expect_int_eq(goc_ctx_err(w), 0);
	expect_int_eq(goc_ctx_cause(w, NULL), 0);
	expect_int_eq(goc_ctx_err(c), 0);
	expect_false(closed(goc_ctx_done(c)));
	goc_ctx_cancel(w); /* cannot be cancelled */
	expect_int_eq(goc_ctx_err(w), 0);
	goc_ctx_cancel(c);
	expect_int_eq(goc_ctx_err(c), GOC_ECANCELED);
	goc_ctx_release(p);
	goc_ctx_release(v);
	goc_ctx_release(c);
	goc_ctx_release(w);
	return 0;
}

GOC_TEST(without_cancel)
{
	expect_int_eq(run(without_cancel_main), 0);
}

/* ---- AfterFunc -------------------------------------------------------- */

struct af {
	int ran;
	uint64_t gid;
	goc_chan_t *block; /* fn waits on it when set */
};

static void
af_fn(void *arg)
{
	struct af *a = arg;
	a->gid = goc_id();
	if (a->block != NULL)
		goc_chan_recv(a->block, NULL);
	__atomic_add_fetch(&a->ran, 1, __ATOMIC_SEQ_CST);
}

/* After Go's TestAfterFuncCalledAfterCancel, ...AfterTimeout,
 * ...Immediately, ...NotCalledAfterStop, TestAfterFuncCalledAsynchronously
 * and TestAfterFuncStopTwice (afterfunc_test.go). */
static int
after_func_main(void *arg)
{
	(void)arg;
	goc_ctx_t *bg = goc_ctx_background();

	/* Called after cancel, on its own goroutine, once. */
	struct af a = {0};
	goc_ctx_t *c = goc_ctx_with_cancel(bg);
	goc_ctx_after_t *h = goc_ctx_after_func(c, af_fn, &a);
	require_ptr_ne(h, NULL);
	goc_yield();
	expect_int_eq(load(&a.ran), 0);
	goc_ctx_cancel(c);
	wait_until(&a.ran, 1);
	expect_uint_ne(a.gid, goc_id());
	expect_false(goc_ctx_after_stop(h));
	goc_ctx_cancel(c);
	goc_yield();
	expect_int_eq(load(&a.ran), 1);
	goc_ctx_after_release(h);
	goc_ctx_release(c);

	/* Called after a timeout. */
	struct af b = {0};
	c = goc_ctx_with_timeout(bg, GOC_MILLISECOND);
	h = goc_ctx_after_func(c, af_fn, &b);
	wait_until(&b.ran, 1);
	expect_int_eq(goc_ctx_err(c), GOC_EDEADLINE);
	goc_ctx_after_release(h);
	goc_ctx_release(c);

	/* Called at once under a context that is already done. */
	struct af d = {0};
	c = goc_ctx_with_cancel(bg);
	goc_ctx_cancel(c);
	h = goc_ctx_after_func(c, af_fn, &d);
	wait_until(&d.ran, 1);
	expect_false(goc_ctx_after_stop(h));
	goc_ctx_after_release(h);
	goc_ctx_release(c);

	/* Stopped before cancel: never called; stop is true once. */
	struct af e = {0};
	c = goc_ctx_with_cancel(bg);
	h = goc_ctx_after_func(c, af_fn, &e);
	expect_true(goc_ctx_after_stop(h));
	expect_false(goc_ctx_after_stop(h));
	goc_ctx_cancel(c);
	for (int i = 0; i < 10; i++)
		goc_yield();
	expect_int_eq(load(&e.ran), 0);
	goc_ctx_after_release(h);
	goc_ctx_release(c);

	/* Asynchronous: cancel returns while fn is still blocked. */
	struct af f = {0};
	f.block = goc_chan_make(0, 0);
	c = goc_ctx_with_cancel(bg);
	h = goc_ctx_after_func(c, af_fn, &f);
	goc_ctx_cancel(c); /* would deadlock if it waited for fn */
	expect_int_eq(load(&f.ran), 0);
	goc_chan_close(f.block);
	wait_until(&f.ran, 1);
	goc_chan_release(f.block);
	goc_ctx_after_release(h);
	goc_ctx_release(c);

	/* Released without stop: still runs when the context is done,
	 * and under a value node, through the nearest canceller. */
	struct af g = {0};
	c = goc_ctx_with_cancel(bg);
	goc_ctx_t *v = goc_ctx_with_value(c, &k1, NULL);
	h = goc_ctx_after_func(v, af_fn, &g);
	goc_ctx_after_release(h);
	goc_ctx_release(v);
	goc_ctx_cancel(c);
	wait_until(&g.ran, 1);
	goc_ctx_release(c);

	/* Under a context that is never cancelled: stop still works. */
	struct af k = {0};
	h = goc_ctx_after_func(bg, af_fn, &k);
	expect_true(goc_ctx_after_stop(h));
	goc_ctx_after_release(h);
	expect_int_eq(load(&k.ran), 0);
	return 0;
}

GOC_TEST(after_func)
{
	expect_int_eq(run(after_func_main), 0);
}

struct stop_race {
	goc_ctx_t *ctx;
	goc_ctx_after_t *h;
	struct af a;
	int stopped;
	goc_wg_t wg;
};

static void
race_cancel(void *arg)
{
	struct stop_race *s = arg;
	goc_ctx_cancel(s->ctx);
	goc_wg_done(&s->wg);
}

static void
race_stop(void *arg)
{
	struct stop_race *s = arg;
	if (goc_ctx_after_stop(s->h))
		__atomic_add_fetch(&s->stopped, 1, __ATOMIC_SEQ_CST);
	goc_wg_done(&s->wg);
}

/* After Go's TestAfterFuncStopCallsRace-style races: cancel and two
 * stops at once; exactly one of "fn ran" and "a stop returned true". */
static int
after_race_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < (int)goc_test_scaled(2000) + 1; i++) {
		struct stop_race s = {0};
		s.ctx = goc_ctx_with_cancel(goc_ctx_background());
		s.h = goc_ctx_after_func(s.ctx, af_fn, &s.a);
		goc_wg_add(&s.wg, 3);
		goc_go(race_stop, &s);
		goc_go(race_cancel, &s);
		goc_go(race_stop, &s);
		goc_wg_wait(&s.wg);
		if (load(&s.stopped) == 0)
			wait_until(&s.a.ran, 1);
		for (int y = 0; y < 3; y++)
			goc_yield();
		expect_int_eq(load(&s.stopped) + load(&s.a.ran), 1);
		goc_ctx_after_release(s.h);
		goc_ctx_release(s.ctx);
		if (goc_test_failed())
			break;
	}
	return 0;
}

GOC_TEST(after_func_stop_race)
{
	goc_maxprocs(2);
	expect_int_eq(run(after_race_main), 0);
}

/* ---- custom contexts -------------------------------------------------- */

/* A foreign context with its own done channel (Go's myCtx/myDoneCtx). */
struct mine {
	goc_chan_t *done;
	int err;
	int freed;
};

static goc_chan_t *
mine_done(void *impl)
{
	return ((struct mine *)impl)->done;
}

static int
mine_err(void *impl)
{
	return load(&((struct mine *)impl)->err);
}

static bool
mine_value(void *impl, const void *key, void **val)
{
	if (key != &k3)
		return false;
	*val = impl;
	return true;
}

static bool
mine_deadline(void *impl, int64_t *d)
{
	(void)impl;
	*d = 12345;
	return true;
}

static void
mine_free(void *impl)
{
	((struct mine *)impl)->freed = 1;
}

static const goc_ctx_ops_t mine_ops = {
	.done = mine_done,
	.err = mine_err,
	.deadline = mine_deadline,
	.value = mine_value,
	.free = mine_free,
};

static void
mine_cancel(struct mine *m)
{
	__atomic_store_n(&m->err, GOC_ECANCELED, __ATOMIC_SEQ_CST);
	goc_chan_close(m->done);
}

static void
wait_goroutines(int n)
{
	while (goc_num_goroutine() > n)
		goc_yield();
}

/* The goroutines an earlier test left exiting (their last steps come
 * after what that test waited for) would inflate a count taken now and
 * let wait_goroutines() return while one of ours still runs: counts are
 * taken once only main is left. */
static int
settled_count(void)
{
	wait_goroutines(1);
	return goc_num_goroutine();
}

/* After Go's XTestCustomContextGoroutines: a goroutine is started only
 * for a foreign parent whose done channel is its own, never for library
 * parents or wrappers of them; and it goes away with the child. */
static int
custom_main(void *arg)
{
	(void)arg;
	int base = settled_count();
	int64_t d;

	/* Library parents: no goroutine. */
	goc_ctx_t *p = goc_ctx_with_cancel(goc_ctx_background());
	goc_ctx_t *c = goc_ctx_with_cancel(p);
	goc_ctx_t *o = other(p);
	goc_ctx_t *c2 = goc_ctx_with_cancel(o);
	goc_ctx_t *c3 = goc_ctx_with_timeout(o, 3600 * GOC_SECOND);
	expect_int_eq(goc_num_goroutine(), base);
	expect_str_eq(goc_ctx_name(o), "context.Custom");
	goc_ctx_cancel(p);
	expect_int_eq(goc_ctx_err(c2), GOC_ECANCELED);
	expect_int_eq(goc_ctx_err(c3), GOC_ECANCELED);
	goc_ctx_t *rel[] = {p, c, o, c2, c3};
	for (int i = 0; i < 5; i++)
		goc_ctx_release(rel[i]);

	/* A foreign done channel: one goroutine per child, gone once the
	 * child is cancelled. */
	struct mine m = {goc_chan_make(0, 0), 0, 0};
	goc_ctx_t *f = goc_ctx_custom(NULL, &mine_ops, &m);
	expect_true(goc_ctx_deadline(f, &d));
	expect_int_eq(d, 12345);
	expect_ptr_eq(goc_ctx_value(f, &k3), &m);
	c = goc_ctx_with_cancel(f);
	expect_int_eq(goc_num_goroutine(), base + 1);
	expect_true(goc_ctx_deadline(c, &d));
	expect_ptr_eq(goc_ctx_value(c, &k3), &m);
	goc_ctx_cancel(c);
	wait_goroutines(base);
	goc_ctx_release(c);

	/* The foreign context's cancellation reaches the child through the
	 * goroutine, with its error. */
	c = goc_ctx_with_cancel(f);
	goc_ctx_t *gc = goc_ctx_with_cancel(c); /* registers in c */
	expect_int_eq(goc_num_goroutine(), base + 1);
	struct af a = {0};
	goc_ctx_after_t *h = goc_ctx_after_func(f, af_fn, &a);
	expect_int_eq(goc_num_goroutine(), base + 2);
	mine_cancel(&m);
	wait_done(gc);
	expect_int_eq(goc_ctx_err(c), GOC_ECANCELED);
	expect_int_eq(goc_ctx_cause(c, NULL), GOC_ECANCELED);
	wait_until(&a.ran, 1);
	wait_goroutines(base);
	/* A child of a done foreign context is done at once. */
	goc_ctx_t *late = goc_ctx_with_cancel(f);
	expect_int_eq(goc_ctx_err(late), GOC_ECANCELED);
	expect_int_eq(goc_num_goroutine(), base);
	/* Cause of a foreign context without parent is its error. */
	expect_int_eq(goc_ctx_cause(f, NULL), GOC_ECANCELED);
	goc_ctx_after_release(h);
	goc_ctx_release(late);
	goc_ctx_release(gc);
	goc_ctx_release(c);
	expect_int_eq(m.freed, 0);
	goc_ctx_release(f);
	expect_int_eq(m.freed, 1);
	goc_chan_release(m.done);
	return 0;
}

GOC_TEST(custom_context)
{
	expect_int_eq(run(custom_main), 0);
}

/* A foreign context that offers AfterFunc (Go 1.21's afterFuncer, as in
 * Go's TestCustomContextGoroutines' afterFuncContext): a list of
 * callbacks run by its own cancel. */
enum { HOOKS = 8 };

struct hooker {
	goc_mutex_t mu;
	goc_chan_t *done;
	int err;
	void (*fn[HOOKS])(void *); /* (mu) */
	void *arg[HOOKS];          /* (mu) */
	int registered, stops, stopped;
};

static goc_chan_t *
hooker_done(void *impl)
{
	return ((struct hooker *)impl)->done;
}

static int
hooker_err(void *impl)
{
	return load(&((struct hooker *)impl)->err);
}

static bool
hooker_after(void *impl, void (*fn)(void *), void *arg, void **handle)
{
	struct hooker *h = impl;
	goc_mutex_lock(&h->mu);
	bool done = h->err != 0;
	int slot = -1;
	for (int i = 0; i < HOOKS && !done; i++) {
		if (h->fn[i] == NULL) {
			h->fn[i] = fn;
			h->arg[i] = arg;
			slot = i;
			break;
		}
	}
	h->registered++;
	goc_mutex_unlock(&h->mu);
	if (done) {
		fn(arg); /* already done: at once */
		*handle = NULL;
		return true;
	}
	*handle = (void *)(intptr_t)(slot + 1);
	return slot >= 0;
}

static bool
hooker_stop(void *impl, void *handle)
{
	struct hooker *h = impl;
	int slot = (int)(intptr_t)handle - 1;
	bool stopped = false;
	goc_mutex_lock(&h->mu);
	h->stops++;
	if (slot >= 0 && h->fn[slot] != NULL) {
		h->fn[slot] = NULL;
		h->stopped++;
		stopped = true;
	}
	goc_mutex_unlock(&h->mu);
	return stopped;
}

static void
hooker_cancel(struct hooker *h)
{
	void (*fn[HOOKS])(void *);
	void *arg[HOOKS];
	goc_mutex_lock(&h->mu);
	__atomic_store_n(&h->err, GOC_ECANCELED, __ATOMIC_SEQ_CST);
	for (int i = 0; i < HOOKS; i++) {
		fn[i] = h->fn[i];
		arg[i] = h->arg[i];
		h->fn[i] = NULL;
	}
	goc_mutex_unlock(&h->mu);
	goc_chan_close(h->done);
	for (int i = 0; i < HOOKS; i++)
		if (fn[i] != NULL)
			fn[i](arg[i]);
}

static const goc_ctx_ops_t hooker_ops = {
	.done = hooker_done,
	.err = hooker_err,
	.after_func = hooker_after,
	.after_stop = hooker_stop,
};

static int
custom_after_main(void *arg)
{
	(void)arg;
	int base = settled_count();
	struct hooker h = {0};
	h.done = goc_chan_make(0, 0);
	goc_ctx_t *f = goc_ctx_custom(NULL, &hooker_ops, &h);

	/* A child cancelled first stops its registration. */
	goc_ctx_t *c = goc_ctx_with_cancel(f);
	expect_int_eq(h.registered, 1);
	expect_int_eq(goc_num_goroutine(), base);
	goc_ctx_cancel(c);
	expect_int_eq(h.stops, 1);
	expect_int_eq(h.stopped, 1);
	goc_ctx_release(c);

	/* Released without cancel: the registration keeps it until the
	 * custom context is done, like a watcher would. */
	c = goc_ctx_with_timeout(f, 3600 * GOC_SECOND);
	goc_ctx_t *gc = goc_ctx_with_cancel(c);
	goc_ctx_t *c2 = goc_ctx_with_cancel(f);
	expect_int_eq(h.registered, 3);
	expect_int_eq(goc_num_goroutine(), base);
	goc_ctx_release(c2);
	hooker_cancel(&h);
	expect_int_eq(goc_ctx_err(c), GOC_ECANCELED);
	expect_int_eq(goc_ctx_err(gc), GOC_ECANCELED);
	expect_int_eq(goc_ctx_cause(gc, NULL), GOC_ECANCELED);
	/* Cancelled through the hook: no stop is needed or made. */
	goc_ctx_cancel(c);
	expect_int_eq(h.stops, 1);

	/* Registering with a context already done cancels at once. */
	goc_ctx_t *late = goc_ctx_with_cancel(f);
	expect_int_eq(goc_ctx_err(late), GOC_ECANCELED);
	expect_int_eq(goc_num_goroutine(), base);
	goc_ctx_release(late);
	goc_ctx_release(gc);
	goc_ctx_release(c);
	goc_ctx_release(f);
	goc_chan_release(h.done);
	return 0;
}

GOC_TEST(custom_context_after_func)
{
	expect_int_eq(run(custom_after_main), 0);
}

/* ---- blocking with a context ------------------------------------------ */

static int
sleep_main(void *arg)
{
	(void)arg;
	expect_int_eq(goc_sleep_ctx(goc_ctx_background(), GOC_MICROSECOND), 0);
	goc_ctx_t *c = goc_ctx_with_cancel(goc_ctx_background());
	expect_int_eq(goc_sleep_ctx(c, GOC_MICROSECOND), 0);
	goc_ctx_cancel(c);
	expect_int_eq(goc_sleep_ctx(c, 3600 * GOC_SECOND), GOC_ECANCELED);
	goc_ctx_release(c);
	c = goc_ctx_with_timeout(goc_ctx_background(), GOC_MILLISECOND);
	expect_int_eq(goc_sleep_ctx(c, 3600 * GOC_SECOND), GOC_EDEADLINE);
	goc_ctx_release(c);
	return 0;
}

GOC_TEST(sleep_ctx)
{
	expect_int_eq(run(sleep_main), 0);
}

/* ---- C lifetimes, foreign threads, memory model ----------------------- */

struct hb {
	goc_ctx_t *ctx;
	long data; /* plain: written before cancel, read after done */
};

static void *
hb_thread(void *arg)
{
	struct hb *h = arg;
	h->data = 42;
	goc_ctx_cancel(h->ctx);
	return NULL;
}

static void
hb_reader(void *arg)
{
	struct hb *h = arg;
	goc_chan_recv(goc_ctx_done(h->ctx), NULL);
	expect_int_eq(h->data, 42);
}

/* Cancel is synchronized before a receive that sees done closed, and
 * before a non-zero Err; from a foreign thread too (TSan checks). */
static int
hb_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++) {
		struct hb h = {goc_ctx_with_cancel(goc_ctx_background()), 0};
		goc_wg_t wg = GOC_WG_INIT;
		/* Made here: a goroutine that has to wait for a context lock
		 * held by a plain thread looks deadlocked to the detector
		 * (SPEC §10: it cannot see the thread). */
		goc_ctx_done(h.ctx);
		goc_wg_go(&wg, hb_reader, &h);
		pthread_t t;
		pthread_create(&t, NULL, hb_thread, &h);
		while (goc_ctx_err(h.ctx) == 0)
			goc_yield();
		expect_int_eq(h.data, 42);
		goc_wg_wait(&wg);
		pthread_join(t, NULL);
		goc_ctx_release(h.ctx);
	}
	return 0;
}

/* --enable-sim runs every M on one OS thread and cannot host raw ones. */
static void
skip_in_simulation(void)
{
	if (getenv("GOC_TEST_SIM") != NULL)
		goc_test_skip("raw threads are not simulated");
}

GOC_TEST(cancel_happens_before_done)
{
	skip_in_simulation();
	expect_int_eq(run(hb_main), 0);
}

/* Without goc_run: a plain thread creates, waits on and cancels. */
static void *
foreign_waiter(void *arg)
{
	goc_ctx_t *c = arg;
	goc_chan_recv(goc_ctx_done(c), NULL);
	expect_int_eq(goc_ctx_err(c), GOC_EDEADLINE);
	return NULL;
}

GOC_TEST(foreign_threads)
{
	skip_in_simulation();
	goc_ctx_t *c =
		goc_ctx_with_timeout(goc_ctx_background(), 5 * GOC_MILLISECOND);
	goc_ctx_t *c2 = goc_ctx_with_cancel(c);
	pthread_t t;
	pthread_create(&t, NULL, foreign_waiter, c2);
	pthread_join(t, NULL);
	expect_int_eq(goc_ctx_err(c), GOC_EDEADLINE);
	goc_ctx_release(c);
	goc_ctx_release(c2);
	expect_int_eq(goc_sleep_ctx(goc_ctx_background(), 1), 0);
}

/* Release before cancel, cancel after the parent's release, a done
 * channel kept past its context: nothing leaks (LSan) or dangles. */
static int
lifetime_main(void *arg)
{
	(void)arg;
	goc_ctx_t *p = goc_ctx_with_cancel(goc_ctx_background());
	goc_ctx_t *c = goc_ctx_with_timeout(p, 3600 * GOC_SECOND);
	goc_ctx_t *v = goc_ctx_with_value(c, &k1, NULL);
	goc_ctx_t *g = goc_ctx_with_cancel(v);
	goc_chan_t *d = goc_chan_retain(goc_ctx_done(g));
	goc_ctx_release(p);
	goc_ctx_release(v);
	goc_ctx_cancel(c); /* reaches g through the released v */
	expect_true(closed(d));
	goc_ctx_release(g);
	goc_ctx_release(c);
	expect_true(closed(d));
	goc_chan_release(d);

	/* A released uncancelled child leaves its parent's set; the
	 * parent's cancel later does not touch it. */
	p = goc_ctx_with_cancel(goc_ctx_background());
	for (int i = 0; i < 100; i++)
		goc_ctx_release(goc_ctx_with_cancel(p));
	c = goc_ctx_with_timeout(p, 3600 * GOC_SECOND);
	goc_ctx_cancel(c);
	goc_ctx_release(c);
	goc_ctx_cancel(p);
	goc_ctx_release(p);
	/* A retained context survives its creator's release. */
	p = goc_ctx_with_cancel(goc_ctx_background());
	expect_ptr_eq(goc_ctx_retain(p), p);
	goc_ctx_release(p);
	goc_ctx_cancel(p);
	expect_int_eq(goc_ctx_err(p), GOC_ECANCELED);
	goc_ctx_release(p);
	return 0;
}

GOC_TEST(lifetimes)
{
	expect_int_eq(run(lifetime_main), 0);
}
