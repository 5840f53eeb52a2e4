/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Scheduler torture. Two programs in one:
 *  - parked: many goroutines park at once and are all readied; in
 *    `make stress` (GOC_STRESS_SECONDS >= 10) a million of them, which must
 *    fit without kernel tuning (vm.max_map_count) — the RSS per parked
 *    goroutine is reported.
 *  - churn: for the stress duration, goroutines spawn, yield, sleep, park
 *    and ready each other while GOMAXPROCS changes under them; at the end
 *    every goroutine that started has finished and every park was matched
 *    by exactly one ready.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <goconc.h>

#include "../tests/harness.h"
#include "sched/runtime2.h"

static long
rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* A lock-free stack of parked goroutines (param links them). */
struct lot {
	struct goc_g *head; /* (atomic) */
	goc_atomic_int64_t parked;
	goc_atomic_int64_t woke;
};

static bool
lot_push(struct goc_g *gp, void *arg)
{
	struct lot *l = arg;
	struct goc_g *old = __atomic_load_n(&l->head, __ATOMIC_RELAXED);
	do
		gp->param = old;
	while (!__atomic_compare_exchange_n(
		&l->head, &old, gp, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	goc_atomic_int64_add(&l->parked, 1);
	return true;
}

static int64_t
lot_wake_all(struct lot *l)
{
	int64_t n = 0;
	struct goc_g *gp =
		__atomic_exchange_n(&l->head, NULL, __ATOMIC_ACQUIRE);
	while (gp != NULL) {
		struct goc_g *next = gp->param;
		goc__ready(gp);
		gp = next;
		n++;
	}
	return n;
}

static void
park_once(void *arg)
{
	struct lot *l = arg;
	goc__park(lot_push, l, GOC_WAIT_TEST);
	goc_atomic_int64_add(&l->woke, 1);
}

struct parked_args {
	struct lot lot;
	long n;
	long rss_before, rss_parked;
	int spawn_err;
};

static int
parked_main(void *arg)
{
	struct parked_args *a = arg;
	for (long i = 0; i < a->n; i++) {
		int rc = goc_go(park_once, &a->lot);
		if (rc != 0) {
			a->spawn_err = rc;
			a->n = i;
			break;
		}
	}
	while (goc_atomic_int64_load(&a->lot.parked) < a->n)
		goc_yield();
	a->rss_parked = rss_kib();
	int64_t woken = lot_wake_all(&a->lot);
	while (goc_atomic_int64_load(&a->lot.woke) < a->n)
		goc_yield();
	return (int)(woken == a->n);
}

GOC_TEST(parked)
{
	struct parked_args a = {0};
	bool full = goc_test_stress_seconds() >= 10;

	a.n = full ? 1000000 : goc_test_scaled(50000);
	goc_test_set_timeout(full ? 900 : 300);
	a.rss_before = rss_kib();
	expect_int_eq(goc_run(parked_main, &a), 1);
	expect_int_eq(a.spawn_err, 0);
	expect_int_eq(goc_atomic_int64_load(&a.lot.woke), a.n);
	goc_test_note("%ld goroutines parked at once: %.2f KiB RSS each", a.n,
		      a.n ? (double)(a.rss_parked - a.rss_before) / a.n : 0.0);
}

/* ---- churn ------------------------------------------------------------ */

struct churn {
	int64_t deadline;
	goc_atomic_int64_t started, finished;
	goc_atomic_int64_t parks, readies;
	struct lot lot;
};

static void worker(void *arg);

static void
step(struct churn *c, bool may_park)
{
	switch (goc_test_rand() % 6) {
	case 0:
		if (goc_atomic_int64_load(&c->started) -
			    goc_atomic_int64_load(&c->finished) <
		    2000) {
			goc_atomic_int64_add(&c->started, 1);
			if (goc_go(worker, c) != 0)
				goc_atomic_int64_sub(&c->started, 1);
		}
		break;
	case 1:
		goc_yield();
		break;
	case 2:
		goc_sleep((int64_t)(goc_test_rand() % 200) * GOC_MICROSECOND);
		break;
	case 3:
		if (!may_park)
			break;
		goc_atomic_int64_add(&c->parks, 1);
		goc__park(lot_push, &c->lot, GOC_WAIT_TEST);
		break;
	case 4:
		goc_atomic_int64_add(&c->readies, lot_wake_all(&c->lot));
		break;
	default:
		if (goc_test_rand() % 64 == 0)
			goc_maxprocs(1 + (int)(goc_test_rand() % 4));
		break;
	}
}

static void
worker(void *arg)
{
	struct churn *c = arg;
	int n = 1 + (int)(goc_test_rand() % 20);
	for (int i = 0; i < n && goc_now() < c->deadline; i++)
		step(c, true);
	goc_atomic_int64_add(&c->finished, 1);
}

static int
churn_main(void *arg)
{
	struct churn *c = arg;
	while (goc_now() < c->deadline) {
		/* Main never parks: nobody would be left to wake it. */
		step(c, false);
		/* Keep the population up. */
		if (goc_atomic_int64_load(&c->started) -
			    goc_atomic_int64_load(&c->finished) <
		    50) {
			goc_atomic_int64_add(&c->started, 1);
			if (goc_go(worker, c) != 0)
				goc_atomic_int64_sub(&c->started, 1);
		}
	}
	/* Drain: wake every parked goroutine until all have finished. */
	while (goc_atomic_int64_load(&c->finished) <
	       goc_atomic_int64_load(&c->started)) {
		goc_atomic_int64_add(&c->readies, lot_wake_all(&c->lot));
		goc_yield();
	}
	goc_atomic_int64_add(&c->readies, lot_wake_all(&c->lot));
	return 0;
}

GOC_TEST(churn)
{
	struct churn c = {0};
	int old = goc_maxprocs(0);

	c.deadline = goc_now() +
		     (int64_t)(goc_test_stress_seconds() * (double)GOC_SECOND);
	goc_test_set_timeout(goc_test_stress_seconds() + 120);
	goc_run(churn_main, &c);
	goc_maxprocs(old);
	expect_int_eq(goc_atomic_int64_load(&c.finished),
		      goc_atomic_int64_load(&c.started));
	/* Every park was matched by exactly one ready. */
	expect_int_eq(goc_atomic_int64_load(&c.readies),
		      goc_atomic_int64_load(&c.parks));
	goc_test_note("churn: %lld goroutines, %lld parks",
		      (long long)goc_atomic_int64_load(&c.started),
		      (long long)goc_atomic_int64_load(&c.parks));
}
