/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The children sets of cancellable contexts, white-box: after Go's
 * TestParentFinishesChild, TestChildFinishesFirst and TestCancelRemoves
 * (context_test.go, which read c.children), plus what C adds: a child
 * released without being cancelled leaves its parent's set.
 */
#include "context/context.h"

#include <goconc.h>

#include "../harness.h"

static void
nop(void *arg)
{
	(void)arg;
}

static int
remove_main(void *arg)
{
	(void)arg;
	/* After Go's TestCancelRemoves. */
	goc_ctx_t *ctx = goc_ctx_with_cancel(goc_ctx_background());
	expect_int_eq(goc__ctx_nchildren(ctx), 0);
	goc_ctx_t *c = goc_ctx_with_cancel(ctx);
	expect_int_eq(goc__ctx_nchildren(ctx), 1);
	goc_ctx_cancel(c);
	expect_int_eq(goc__ctx_nchildren(ctx), 0);
	goc_ctx_release(c);
	c = goc_ctx_with_timeout(ctx, 3600 * GOC_SECOND);
	expect_int_eq(goc__ctx_nchildren(ctx), 1);
	goc_ctx_cancel(c);
	expect_int_eq(goc__ctx_nchildren(ctx), 0);
	goc_ctx_release(c);
	goc_ctx_after_t *a = goc_ctx_after_func(ctx, nop, NULL);
	expect_int_eq(goc__ctx_nchildren(ctx), 1);
	expect_true(goc_ctx_after_stop(a));
	expect_int_eq(goc__ctx_nchildren(ctx), 0);
	goc_ctx_after_release(a);

	/* Released without cancel: leaves the set (no leak). */
	c = goc_ctx_with_cancel(ctx);
	goc_ctx_t *v = goc_ctx_with_value(ctx, &c, NULL);
	goc_ctx_t *t = goc_ctx_with_timeout(v, 3600 * GOC_SECOND);
	expect_int_eq(goc__ctx_nchildren(ctx), 2);
	goc_ctx_release(c);
	expect_int_eq(goc__ctx_nchildren(ctx), 1);
	goc_ctx_cancel(t);
	goc_ctx_release(t);
	goc_ctx_release(v);
	expect_int_eq(goc__ctx_nchildren(ctx), 0);

	/* An after-func registration outlives its released handle. */
	a = goc_ctx_after_func(ctx, nop, NULL);
	goc_ctx_after_release(a);
	expect_int_eq(goc__ctx_nchildren(ctx), 1);
	goc_ctx_cancel(ctx);
	expect_int_eq(goc__ctx_nchildren(ctx), 0);
	goc_ctx_release(ctx);
	return 0;
}

GOC_TEST(cancel_removes)
{
	expect_int_eq(goc_run(remove_main, NULL), 0);
}

static int
parent_main(void *arg)
{
	(void)arg;
	/* After Go's TestParentFinishesChild: the set holds exactly the
	 * cancellable children (through value nodes), and is cleared by
	 * the parent's cancel. */
	goc_ctx_t *parent = goc_ctx_with_cancel(goc_ctx_background());
	goc_ctx_t *cancel_child = goc_ctx_with_cancel(parent);
	goc_ctx_t *value_child = goc_ctx_with_value(parent, &parent, NULL);
	goc_ctx_t *timer_child =
		goc_ctx_with_timeout(value_child, 3600 * GOC_SECOND);
	goc_ctx_t *without = goc_ctx_without_cancel(parent);
	goc_ctx_t *under_without = goc_ctx_with_cancel(without);
	goc_ctx_after_t *after = goc_ctx_after_func(parent, nop, NULL);
	expect_int_eq(goc__ctx_nchildren(parent), 3);
	expect_int_eq(goc__ctx_nchildren(value_child), 0);
	expect_int_eq(goc__ctx_nchildren(without), 0);
	goc_ctx_cancel(parent);
	expect_int_eq(goc__ctx_nchildren(parent), 0);
	expect_int_eq(goc_ctx_err(under_without), 0);

	/* Children of a cancelled parent are never registered. */
	goc_ctx_t *late = goc_ctx_with_cancel(parent);
	expect_int_eq(goc__ctx_nchildren(parent), 0);
	expect_int_eq(goc_ctx_err(late), GOC_ECANCELED);

	goc_ctx_t *all[] = {parent,  cancel_child,  value_child, timer_child,
			    without, under_without, late};
	goc_ctx_cancel(under_without);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		goc_ctx_release(all[i]);
	goc_ctx_after_release(after);

	/* After Go's TestChildFinishesFirst. */
	for (int i = 0; i < 2; i++) {
		goc_ctx_t *root = i ? goc_ctx_with_cancel(goc_ctx_background())
				    : goc_ctx_background();
		goc_ctx_t *p = goc_ctx_with_cancel(root);
		goc_ctx_t *c = goc_ctx_with_cancel(p);
		expect_int_eq(goc__ctx_nchildren(root), i);
		expect_int_eq(goc__ctx_nchildren(p), 1);
		goc_ctx_cancel(c);
		expect_int_eq(goc__ctx_nchildren(p), 0);
		expect_int_eq(goc_ctx_err(p), 0);
		goc_ctx_cancel(p);
		expect_int_eq(goc__ctx_nchildren(root), 0);
		goc_ctx_release(c);
		goc_ctx_release(p);
		goc_ctx_cancel(root);
		goc_ctx_release(root);
	}
	return 0;
}

GOC_TEST(parent_finishes_child)
{
	expect_int_eq(goc_run(parent_main, NULL), 0);
}
