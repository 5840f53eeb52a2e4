/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The semaphore table (src/sync/sema.c), white box: FIFO wake order, the
 * LIFO re-queue, addresses sharing a root, hand-off (after Go's
 * runtime/sema_test.go TestSemaHandoff), and the Dekker pair under
 * contention. One P makes the interleavings deterministic: a goroutine
 * readied by a release waits in runnext until the releaser yields.
 */
#include <goconc.h>

#include "../harness.h"
#include "sched/runtime2.h"
#include "sync/sema.h"

struct waiter {
	uint32_t *sema;
	bool lifo;
	int id;
	int *order;
	int *n;
	int started; /* (atomic) set just before it blocks */
};

static void
acquire_and_record(void *arg)
{
	struct waiter *w = arg;

	__atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
	goc__semacquire(w->sema, w->lifo, GOC_WAIT_SEMACQUIRE);
	w->order[__atomic_fetch_add(w->n, 1, __ATOMIC_SEQ_CST)] = w->id;
}

static void
spawn_parked(struct waiter *w)
{
	goc_go(acquire_and_record, w);
	/*
	 * One P: once it has started, it has parked (it gives up the P only
	 * by parking). One yield is usually enough, but the scheduler's
	 * fairness rule (the global queue first every 61st tick) can run
	 * this goroutine again first, so wait for the start.
	 */
	while (__atomic_load_n(&w->started, __ATOMIC_SEQ_CST) == 0)
		goc_yield();
}

static void
drain(uint32_t *sema, int *n, int want)
{
	/* One at a time: readying several at once would reorder them in
	 * the run queue (each new runnext pushes the last one back). */
	for (int i = 0; i < want; i++) {
		goc__semrelease(sema, false);
		while (__atomic_load_n(n, __ATOMIC_SEQ_CST) < i + 1)
			goc_yield();
	}
}

static int
fifo_main(void *arg)
{
	(void)arg;
	uint32_t sema = 0;
	int order[8] = {0}, n = 0;
	struct waiter w[8];

	for (int i = 0; i < 8; i++) {
		w[i] = (struct waiter){&sema, false, i, order, &n, 0};
		spawn_parked(&w[i]);
	}
	expect_int_eq(n, 0);
	drain(&sema, &n, 8);
	for (int i = 0; i < 8; i++)
		expect_int_eq(order[i], i);
	expect_uint_eq(sema, 0);
	return 0;
}

GOC_TEST(sema_fifo)
{
	int old = goc_maxprocs(1);
	goc_run(fifo_main, NULL);
	goc_maxprocs(old);
}

static int
lifo_main(void *arg)
{
	(void)arg;
	uint32_t sema = 0;
	int order[4] = {0}, n = 0;
	struct waiter w[4];

	w[0] = (struct waiter){&sema, false, 0, order, &n, 0};
	w[1] = (struct waiter){&sema, false, 1, order, &n, 0};
	w[2] = (struct waiter){&sema, true, 2, order, &n, 0};
	w[3] = (struct waiter){&sema, false, 3, order, &n, 0};
	for (int i = 0; i < 4; i++)
		spawn_parked(&w[i]);
	drain(&sema, &n, 4);
	/* The LIFO waiter goes to the front; FIFO behind it. */
	expect_int_eq(order[0], 2);
	expect_int_eq(order[1], 0);
	expect_int_eq(order[2], 1);
	expect_int_eq(order[3], 3);
	return 0;
}

GOC_TEST(sema_lifo_requeue)
{
	int old = goc_maxprocs(1);
	goc_run(lifo_main, NULL);
	goc_maxprocs(old);
}

static int
collide_main(void *arg)
{
	(void)arg;
	/* 251 roots hashed on addr >> 3: these two share a root. */
	static uint32_t semas[251 * 2 + 1];
	uint32_t *a = &semas[0], *b = &semas[251 * 2];
	int order[4] = {0}, n = 0;
	struct waiter w[4] = {
		{a, false, 0, order, &n, 0},
		{b, false, 1, order, &n, 0},
		{a, false, 2, order, &n, 0},
		{b, true, 3, order, &n, 0},
	};

	for (int i = 0; i < 4; i++)
		spawn_parked(&w[i]);
	goc__semrelease(b, false);
	while (__atomic_load_n(&n, __ATOMIC_SEQ_CST) < 1)
		goc_yield();
	expect_int_eq(order[0], 3);
	goc__semrelease(a, false);
	while (__atomic_load_n(&n, __ATOMIC_SEQ_CST) < 2)
		goc_yield();
	goc__semrelease(a, false);
	while (__atomic_load_n(&n, __ATOMIC_SEQ_CST) < 3)
		goc_yield();
	expect_int_eq(order[1], 0);
	expect_int_eq(order[2], 2);
	goc__semrelease(b, false);
	while (__atomic_load_n(&n, __ATOMIC_SEQ_CST) < 4)
		goc_yield();
	expect_int_eq(order[3], 1);
	return 0;
}

GOC_TEST(sema_shared_root)
{
	int old = goc_maxprocs(1);
	goc_run(collide_main, NULL);
	goc_maxprocs(old);
}

struct handoff {
	uint32_t sema;
	int woke;
};

static void
handoff_waiter(void *arg)
{
	struct handoff *h = arg;
	goc__semacquire(&h->sema, false, GOC_WAIT_SEMACQUIRE);
	__atomic_store_n(&h->woke, 1, __ATOMIC_SEQ_CST);
}

static int
handoff_main(void *arg)
{
	(void)arg;
	for (int handoff = 0; handoff <= 1; handoff++) {
		struct handoff h = {0, 0};
		goc_go(handoff_waiter, &h);
		goc_yield();
		goc__semrelease(&h.sema, handoff);
		/* With hand-off the waiter has run already, and the count
		 * went to it; without, it waits in runnext. */
		expect_int_eq(__atomic_load_n(&h.woke, __ATOMIC_SEQ_CST),
			      handoff);
		while (!__atomic_load_n(&h.woke, __ATOMIC_SEQ_CST))
			goc_yield();
		expect_uint_eq(h.sema, 0);
	}
	return 0;
}

/* After Go's TestSemaHandoff. */
GOC_TEST(sema_handoff)
{
	int old = goc_maxprocs(1);
	goc_run(handoff_main, NULL);
	goc_maxprocs(old);
}

struct conc {
	uint32_t sema;
	long iters;
	int done;
	int inside;
	int bad;
};

static void
conc_worker(void *arg)
{
	struct conc *c = arg;

	for (long i = 0; i < c->iters; i++) {
		goc__semacquire(&c->sema, i % 7 == 0, GOC_WAIT_SEMACQUIRE);
		if (__atomic_add_fetch(&c->inside, 1, __ATOMIC_SEQ_CST) > 2)
			__atomic_add_fetch(&c->bad, 1, __ATOMIC_SEQ_CST);
		__atomic_sub_fetch(&c->inside, 1, __ATOMIC_SEQ_CST);
		goc__semrelease(&c->sema, i % 5 == 0);
	}
	__atomic_add_fetch(&c->done, 1, __ATOMIC_SEQ_CST);
}

static int
conc_main(void *arg)
{
	struct conc *c = arg;

	for (int i = 0; i < 8; i++)
		goc_go(conc_worker, c);
	while (__atomic_load_n(&c->done, __ATOMIC_SEQ_CST) < 8)
		goc_yield();
	return 0;
}

/* A counting semaphore of 2 shared by 8 goroutines: never more than 2
 * inside, and no wake-up lost (a lost one deadlocks, which goc_run
 * reports). */
GOC_TEST(sema_counting)
{
	struct conc c = {.sema = 2, .iters = goc_test_scaled(20000)};
	int old = goc_maxprocs(2);

	goc_run(conc_main, &c);
	goc_maxprocs(old);
	expect_int_eq(c.bad, 0);
	expect_uint_eq(c.sema, 2);
}
