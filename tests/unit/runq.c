/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Run queues without the scheduler, after Go's TestRunqueue
 * (runtime/proc_test.go: runqput/runqget ordering and the local queue
 * overflowing into the global one) and TestSchedLocalQueueSteal (a thief
 * and the owner race on one queue; nothing is lost or duplicated).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "sched/runtime2.h"

static struct goc_g *
mkgs(int n)
{
	struct goc_g *gs = calloc((size_t)n, sizeof(*gs));
	for (int i = 0; i < n; i++)
		gs[i].goid = (uint64_t)i + 1;
	return gs;
}

static struct goc_p *
mkp(int32_t id)
{
	struct goc_p *pp = calloc(1, sizeof(*pp));
	pp->id = id;
	return pp;
}

GOC_TEST(runq_fifo_and_runnext)
{
	struct goc_p *p = mkp(0);
	struct goc_g *gs = mkgs(10);
	bool inherit;

	expect_true(goc__runq_empty(p));
	for (int i = 0; i < 5; i++)
		expect_true(goc__runq_put(p, &gs[i], false));
	/* runnext jumps the queue and inherits the time slice. */
	expect_true(goc__runq_put(p, &gs[5], true));
	expect_uint_eq(goc__runq_len(p), 6);
	expect_ptr_eq(goc__runq_get(p, &inherit), &gs[5]);
	expect_true(inherit);
	/* A second runnext kicks the first to the tail. */
	expect_true(goc__runq_put(p, &gs[6], true));
	expect_true(goc__runq_put(p, &gs[7], true));
	expect_ptr_eq(goc__runq_get(p, &inherit), &gs[7]);
	for (int i = 0; i < 5; i++) {
		expect_ptr_eq(goc__runq_get(p, &inherit), &gs[i]);
		expect_false(inherit);
	}
	expect_ptr_eq(goc__runq_get(p, &inherit), &gs[6]);
	expect_ptr_eq(goc__runq_get(p, &inherit), NULL);
	expect_true(goc__runq_empty(p));
	free(gs);
	free(p);
}

GOC_TEST(runq_overflow_moves_half_to_global)
{
	struct goc_p *p = mkp(0);
	struct goc_g *gs = mkgs(GOC_RUNQ_SIZE + 1);
	bool inherit;

	goc__sched.gomaxprocs = 1;
	for (int i = 0; i < GOC_RUNQ_SIZE; i++)
		expect_true(goc__runq_put(p, &gs[i], false));
	/* Full: half the queue and the new G go to the global queue. */
	expect_false(goc__runq_put(p, &gs[GOC_RUNQ_SIZE], false));
	expect_int_eq(goc__sched.runqsize, GOC_RUNQ_SIZE / 2 + 1);
	expect_uint_eq(goc__runq_len(p), GOC_RUNQ_SIZE / 2);
	/* The local queue keeps the newer half, in order. */
	for (int i = GOC_RUNQ_SIZE / 2; i < GOC_RUNQ_SIZE; i++)
		expect_ptr_eq(goc__runq_get(p, &inherit), &gs[i]);
	/* The global queue holds the older half, then the new G. */
	int seen = 0;
	while (goc__sched.runqsize > 0) {
		goc__lock(&goc__sched.lock);
		struct goc_g *gp = goc__globrunq_get(p, 1);
		goc__unlock(&goc__sched.lock);
		int want = seen < GOC_RUNQ_SIZE / 2 ? seen : GOC_RUNQ_SIZE;
		expect_ptr_eq(gp, &gs[want]);
		seen++;
	}
	expect_int_eq(seen, GOC_RUNQ_SIZE / 2 + 1);
	expect_true(goc__runq_empty(p));
	free(gs);
	free(p);
}

GOC_TEST(runq_steal_half)
{
	struct goc_p *victim = mkp(0), *thief = mkp(1);
	struct goc_g *gs = mkgs(6);
	bool inherit;

	for (int i = 0; i < 6; i++)
		goc__runq_put(victim, &gs[i], false);
	/* The thief takes half (the oldest three) and runs the last. */
	expect_ptr_eq(goc__runq_steal(thief, victim, false), &gs[2]);
	expect_uint_eq(goc__runq_len(thief), 2);
	expect_uint_eq(goc__runq_len(victim), 3);
	expect_ptr_eq(goc__runq_get(thief, &inherit), &gs[0]);
	expect_ptr_eq(goc__runq_get(thief, &inherit), &gs[1]);
	expect_ptr_eq(goc__runq_get(victim, &inherit), &gs[3]);
	/* runnext is stolen only when asked. */
	struct goc_p *v2 = mkp(2);
	goc__runq_put(v2, &gs[5], true);
	expect_ptr_eq(goc__runq_steal(thief, v2, false), NULL);
	expect_ptr_eq(goc__runq_steal(thief, v2, true), &gs[5]);
	free(gs);
	free(victim);
	free(thief);
	free(v2);
}

/* The owner puts and gets while thieves steal: every G exactly once. */
struct race {
	struct goc_p *owner;
	struct goc_p *thieves[3];
	struct goc_g *gs;
	int n;
	uint32_t *seen; /* (atomic) per G */
	uint32_t done;  /* (atomic) */
};

static void
mark(struct race *r, struct goc_g *gp)
{
	__atomic_add_fetch(&r->seen[gp->goid - 1], 1, __ATOMIC_RELAXED);
}

static void *
thief_main(void *arg)
{
	struct race *r = ((void **)arg)[0];
	struct goc_p *me = ((void **)arg)[1];
	bool inherit;

	for (;;) {
		bool done = __atomic_load_n(&r->done, __ATOMIC_ACQUIRE);
		struct goc_g *gp =
			goc__runq_steal(me, r->owner, goc_test_rand() % 4 == 0);
		if (gp != NULL)
			mark(r, gp);
		while ((gp = goc__runq_get(me, &inherit)) != NULL)
			mark(r, gp);
		if (done && goc__runq_empty(r->owner))
			return NULL;
	}
}

GOC_TEST(runq_steal_race)
{
	struct race r = {0};
	pthread_t t[3];
	void *args[3][2];
	bool inherit;

	r.n = (int)goc_test_scaled(200000);
	r.gs = mkgs(r.n);
	r.seen = calloc((size_t)r.n, sizeof(*r.seen));
	r.owner = mkp(0);
	goc__sched.gomaxprocs = 1;
	for (int i = 0; i < 3; i++) {
		r.thieves[i] = mkp(i + 1);
		args[i][0] = &r;
		args[i][1] = r.thieves[i];
		pthread_create(&t[i], NULL, thief_main, args[i]);
	}
	for (int i = 0; i < r.n; i++) {
		goc__runq_put(r.owner, &r.gs[i], goc_test_rand() % 8 == 0);
		if (goc_test_rand() % 3 == 0) {
			struct goc_g *gp = goc__runq_get(r.owner, &inherit);
			if (gp != NULL)
				mark(&r, gp);
		}
	}
	__atomic_store_n(&r.done, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	struct goc_g *gp;
	while ((gp = goc__runq_get(r.owner, &inherit)) != NULL)
		mark(&r, gp);
	/* Overflow may have sent some to the global queue. */
	while (goc__sched.runqsize > 0) {
		goc__lock(&goc__sched.lock);
		gp = goc__globrunq_get(r.owner, 1);
		goc__unlock(&goc__sched.lock);
		mark(&r, gp);
	}
	int bad = 0;
	for (int i = 0; i < r.n; i++)
		if (r.seen[i] != 1 && bad++ < 5)
			goc_test_fail("G %d seen %u times", i + 1, r.seen[i]);
	expect_int_eq(bad, 0);
	for (int i = 0; i < 3; i++)
		free(r.thieves[i]);
	free(r.owner);
	free(r.seen);
	free(r.gs);
}
