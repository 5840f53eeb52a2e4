/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The chaos build (--enable-chaos): GOCONC_CHAOS=seed perturbs the
 * runtime's decision points, and the runtime still works under it.
 */
#include <stdint.h>
#include <stdlib.h>

#include <goconc.h>

#include "../harness.h"
#include "sim/sim.h"

/* Read once per process by the first decision point: set it before the
 * runtime (or anything else in the library) runs. Every point perturbed
 * (rate 1), so each case sees them. */
__attribute__((constructor)) static void
chaos_env(void)
{
	setenv("GOCONC_CHAOS", "12345", 0);
	setenv("GOCONC_CHAOS_RATE", "1", 1);
}

GOC_TEST(points_are_perturbed)
{
	uint64_t before = goc__chaos_perturbed();
	for (int i = 0; i < 100; i++)
		goc__chaos_point(0);
	expect_u64_eq(goc__chaos_perturbed() - before, 100);
}

struct pp {
	goc_chan_t *a, *b;
	long n;
};

static void
ponger(void *arg)
{
	struct pp *p = arg;
	long v;
	while (goc_chan_recv(p->a, &v))
		goc_chan_send(p->b, &v);
}

static int
pingpong_main(void *arg)
{
	struct pp *p = arg;
	goc_go(ponger, p);
	for (long i = 0; i < p->n; i++) {
		long v = i, w = -1;
		goc_chan_send(p->a, &v);
		goc_chan_recv(p->b, &w);
		if (w != i)
			return 1;
	}
	goc_chan_close(p->a);
	return 0;
}

/* Channels, parking and the scheduler's locks under chaos: values come
 * back in order, and the decision points were really perturbed. */
GOC_TEST(pingpong_under_chaos)
{
	struct pp p = {goc_chan_make(sizeof(long), 0),
		       goc_chan_make(sizeof(long), 0), goc_test_scaled(2000)};
	uint64_t before = goc__chaos_perturbed();
	expect_int_eq(goc_run(pingpong_main, &p), 0);
	expect_uint_gt(goc__chaos_perturbed() - before, (uintmax_t)p.n);
	goc_chan_release(p.a);
	goc_chan_release(p.b);
}
