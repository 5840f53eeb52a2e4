/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_ring_t (src/lf/ring.c): sequential semantics against a model,
 * capacity boundaries, allocation failure, concurrent exactly-once
 * delivery with more threads than CPUs and on one CPU, and progress while
 * another thread is frozen in the middle of an operation (the strict
 * lock-freedom the ring promises).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <goconc/ring.h>

#include "../harness.h"
#include "internal/compiler.h"
#include "lf/ring.h"
#include "../../stress/ring_mpmc.h"

static void *
val(uintptr_t x)
{
	return (void *)x;
}

/* Fills r to exactly cap, checks full, drains in order, checks empty. */
static void
fill_and_drain(goc_ring_t *r, size_t cap, uintptr_t base)
{
	void *v;

	for (size_t i = 0; i < cap; i++)
		require_true(goc_ring_push(r, val(base + i)));
	expect_uint_eq(goc_ring_len(r), cap);
	expect_false(goc_ring_push(r, val(1)));
	expect_false(goc_ring_push(r, NULL));
	expect_uint_eq(goc_ring_len(r), cap);
	for (size_t i = 0; i < cap; i++) {
		require_true(goc_ring_pop(r, &v));
		require_ptr_eq(v, val(base + i));
	}
	expect_uint_eq(goc_ring_len(r), 0);
	v = val(7);
	expect_false(goc_ring_pop(r, &v));
	expect_ptr_eq(v, val(7)); /* untouched on failure */
}

GOC_TEST(fifo_and_boundaries)
{
	goc_ring_t r;

	require_int_eq(goc_ring_init(&r, 8), 0);
	expect_uint_eq(goc_ring_cap(&r), 8);
	expect_uint_eq(goc_ring_len(&r), 0);
	void *v;
	expect_false(goc_ring_pop(&r, &v));
	for (int round = 0; round < 5; round++)
		fill_and_drain(&r, 8, 100 * (uintptr_t)round + 1);
	/* Partial fills keep order across the wrap. */
	for (uintptr_t i = 1; i <= 5; i++)
		require_true(goc_ring_push(&r, val(i)));
	for (uintptr_t i = 1; i <= 3; i++) {
		require_true(goc_ring_pop(&r, &v));
		expect_ptr_eq(v, val(i));
	}
	for (uintptr_t i = 6; i <= 11; i++)
		require_true(goc_ring_push(&r, val(i)));
	expect_false(goc_ring_push(&r, val(12)));
	expect_uint_eq(goc_ring_len(&r), 8);
	for (uintptr_t i = 4; i <= 11; i++) {
		require_true(goc_ring_pop(&r, &v));
		expect_ptr_eq(v, val(i));
	}
	expect_false(goc_ring_pop(&r, &v));
	goc_ring_destroy(&r);
}

GOC_TEST(null_values)
{
	goc_ring_t r;
	void *v;

	require_int_eq(goc_ring_init(&r, 4), 0);
	require_true(goc_ring_push(&r, NULL));
	require_true(goc_ring_push(&r, val(1)));
	require_true(goc_ring_push(&r, NULL));
	require_true(goc_ring_push(&r, NULL));
	expect_false(goc_ring_push(&r, NULL));
	expect_uint_eq(goc_ring_len(&r), 4);
	v = val(9);
	require_true(goc_ring_pop(&r, &v));
	expect_ptr_eq(v, NULL);
	require_true(goc_ring_pop(&r, &v));
	expect_ptr_eq(v, val(1));
	require_true(goc_ring_pop(&r, &v));
	expect_ptr_eq(v, NULL);
	require_true(goc_ring_pop(&r, &v));
	expect_ptr_eq(v, NULL);
	expect_false(goc_ring_pop(&r, &v));
	goc_ring_destroy(&r);
}

GOC_TEST(capacity_one)
{
	goc_ring_t r;
	void *v;

	require_int_eq(goc_ring_init(&r, 1), 0);
	expect_uint_eq(goc_ring_cap(&r), 1);
	for (uintptr_t i = 1; i <= (uintptr_t)goc_test_scaled(10000); i++) {
		require_true(goc_ring_push(&r, val(i)));
		require_false(goc_ring_push(&r, val(i + 1)));
		expect_uint_eq(goc_ring_len(&r), 1);
		require_true(goc_ring_pop(&r, &v));
		require_ptr_eq(v, val(i));
		require_false(goc_ring_pop(&r, &v));
	}
	goc_ring_destroy(&r);
}

/*
 * A sequential model FIFO beside the ring: q holds the n values from head,
 * in the order they went in. model_op does one push or pop on both and
 * checks the ring against the model; true when a push went in.
 */
struct model {
	goc_ring_t *r;
	uintptr_t *q;
	size_t cap, head, n;
	uintptr_t next;
};

static bool
model_op(struct model *m, bool pushing)
{
	if (pushing) {
		bool ok = goc_ring_push(m->r, val(m->next));
		require_int_eq(ok, m->n < m->cap);
		if (ok) {
			m->q[(m->head + m->n) % m->cap] = m->next;
			m->n++;
		}
		m->next++;
		return ok;
	}
	void *v = NULL;
	bool ok = goc_ring_pop(m->r, &v);
	require_int_eq(ok, m->n > 0);
	if (ok) {
		require_ptr_eq(v, val(m->q[m->head]));
		m->head = (m->head + 1) % m->cap;
		m->n--;
	}
	return false;
}

/*
 * Random operations against a model FIFO, wrapping the ring's cycles many
 * times, for several capacities; runs of pushes and pops are long enough
 * to reach both full and empty often.
 */
GOC_TEST(model_random_ops)
{
	static const size_t caps[] = {1, 2, 4, 16, 128};

	for (size_t k = 0; k < GOC_ARRAY_SIZE(caps); k++) {
		goc_ring_t r;
		struct model m = {.r = &r, .cap = caps[k], .next = 1};
		m.q = calloc(m.cap, sizeof(*m.q));
		long ops = goc_test_scaled(200000);

		require_int_eq(goc_ring_init(&r, m.cap), 0);
		bool pushing = true;
		for (long i = 0; i < ops; i++) {
			uint64_t x = goc_test_rand();
			if ((x & 7) == 0)
				pushing = !pushing;
			if (((x >> 3) & 3) == 0) {
				expect_uint_eq(goc_ring_len(&r), m.n);
				continue;
			}
			model_op(&m, pushing);
		}
		goc_ring_destroy(&r);
		free(m.q);
	}
}

#if GOC__RING_CAS2
/*
 * A push that stores its hint of where pushes start (SCQP's tail) late
 * leaves it behind the first unfilled position, by up to any number of
 * laps round the ring. Pushes must still fill the first unfilled position
 * (FIFO, exact full), and goc_ring_len must still be exact.
 */
GOC_TEST(model_stale_tail)
{
	static const size_t caps[] = {1, 2, 8, 64, 256};

	for (size_t k = 0; k < GOC_ARRAY_SIZE(caps); k++) {
		goc_ring_t r;
		struct model m = {.r = &r, .cap = caps[k], .next = 1};
		m.q = calloc(m.cap, sizeof(*m.q));
		uint64_t pushed = 0;
		long ops = goc_test_scaled(100000);

		require_true(m.q != NULL);
		require_int_eq(goc_ring_init(&r, m.cap), 0);
		bool pushing = true;
		for (long i = 0; i < ops; i++) {
			uint64_t x = goc_test_rand();
			if ((x & 7) == 0)
				pushing = !pushing;
			if (((x >> 3) & 7) == 0) {
				/* Behind by 0 to all the positions used: less
				 * than a lap, or several. */
				uint64_t back = (x >> 6) % (pushed + 1);
				if (((x >> 5) & 1) != 0 && back > 2 * m.cap)
					back = (x >> 6) % (2 * m.cap + 1);
				goc__ring_set_tail(&r, pushed - back);
				expect_uint_eq(goc_ring_len(&r), m.n);
				continue;
			}
			if (model_op(&m, pushing))
				pushed++;
		}
		goc_ring_destroy(&r);
		free(m.q);
	}
}
#endif

GOC_TEST(capacities_small_and_large)
{
	goc_ring_t r;

	for (size_t cap = 1; cap <= ((size_t)1 << 16); cap <<= 1) {
		require_int_eq(goc_ring_init(&r, cap), 0);
		expect_uint_eq(goc_ring_cap(&r), cap);
		fill_and_drain(&r, cap, 1);
		fill_and_drain(&r, cap, 1000000);
		goc_ring_destroy(&r);
	}
	/* A large ring: 32 or 40 MiB natively, smaller under the sanitizers. */
	size_t big = goc_test_scale() < 1 ? (size_t)1 << 18 : (size_t)1 << 20;
	require_int_eq(goc_ring_init(&r, big), 0);
	fill_and_drain(&r, big, 1);
	goc_ring_destroy(&r);
}

GOC_TEST(footprint)
{
	/* 32 (SCQP) or 40 (SCQD) bytes per value plus a few lines; never
	 * overflowing. */
	const size_t per = GOC__RING_VALUE_BYTES;
	size_t one = goc__ring_footprint(1), k = goc__ring_footprint(1024);
	expect_uint_gt(one, per);
	expect_uint_ge(k, per * 1024);
	expect_uint_le(k, per * 1024 + 16 * GOC_CACHELINE);
	size_t max = goc__ring_footprint((size_t)1 << 30);
	if (sizeof(size_t) == 8)
		expect_uint_ge(max, per << 30);
	else
		expect_uint_eq(max, 0);
}

static size_t fail_after; /* allocations that succeed before failing */
static size_t hook_calls;

static void *
failing_alloc(size_t align, size_t size)
{
	void *p;

	hook_calls++;
	if (fail_after == 0)
		return NULL;
	fail_after--;
	return posix_memalign(&p, align, size) == 0 ? p : NULL;
}

GOC_TEST(enomem_from_allocator)
{
	goc_ring_t r = {0};

	goc__ring_alloc_hook = failing_alloc;
	fail_after = 0;
	hook_calls = 0;
	expect_int_eq(goc_ring_init(&r, 64), GOC_ENOMEM);
	expect_uint_eq(hook_calls, 1);
	expect_ptr_eq(r._impl, NULL); /* r untouched */
	fail_after = 1;
	expect_int_eq(goc_ring_init(&r, 64), 0);
	fill_and_drain(&r, 64, 1);
	goc_ring_destroy(&r);
	goc__ring_alloc_hook = NULL;
}

/*
 * The real allocator failing: under a small address-space limit the
 * largest ring (40 GiB) cannot be had. Sanitizer runtimes reserve huge
 * shadow mappings and die rather than return NULL, so this runs natively
 * only.
 */
GOC_TEST(enomem_from_system)
{
	if (GOC_ASAN_ENABLED || GOC_TSAN_ENABLED)
		goc_test_skip("sanitizer allocators abort instead of failing");
	struct rlimit old, lim;
	require_int_eq(getrlimit(RLIMIT_AS, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)8 << 30;
	if (old.rlim_cur != RLIM_INFINITY && old.rlim_cur < lim.rlim_cur)
		lim.rlim_cur = old.rlim_cur;
	require_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
	/* Some environments (qemu-user) ignore the limit: then the ring
	 * would really be built, 40 GiB of it. */
	void *probe = malloc((size_t)16 << 30);
	if (probe != NULL) {
		free(probe);
		setrlimit(RLIMIT_AS, &old);
		goc_test_skip("RLIMIT_AS is not enforced here");
	}
	goc_ring_t r = {0};
	int rc = goc_ring_init(&r, (size_t)1 << 30);
	setrlimit(RLIMIT_AS, &old);
	expect_int_eq(rc, GOC_ENOMEM);
	if (rc == 0)
		goc_ring_destroy(&r);
}

/* ---- concurrent ---------------------------------------------------- */

static void
mpmc(int np, int nc, size_t cap, long per, bool one_cpu)
{
	struct rm_config c = {
		.np = np,
		.nc = nc,
		.cap = cap,
		.per_producer = goc_test_scaled(per),
		.one_cpu = one_cpu,
	};
	rm_run(&c);
}

GOC_TEST(mpmc_1p1c)
{
	mpmc(1, 1, 1024, 400000, false);
	mpmc(1, 1, 2, 100000, false);
	mpmc(1, 1, 1, 50000, false);
}

GOC_TEST(mpmc_2p2c)
{
	mpmc(2, 2, 64, 100000, false);
	mpmc(2, 2, 1, 20000, false);
}

/* More threads than the CI machine's two CPUs. */
GOC_TEST(mpmc_oversubscribed)
{
	mpmc(4, 4, 8, 50000, false);
	mpmc(8, 8, 4, 10000, false);
	mpmc(8, 1, 16, 10000, false);
	mpmc(1, 8, 16, 50000, false);
	mpmc(8, 8, 1024, 20000, false);
}

/* All threads on one CPU: preempted in the middle of operations. */
GOC_TEST(mpmc_one_cpu)
{
#ifndef HAVE_PTHREAD_SETAFFINITY_NP
	goc_test_skip("no pthread_setaffinity_np");
#endif
	mpmc(1, 1, 16, 50000, true);
	mpmc(4, 4, 4, 10000, true);
	mpmc(8, 8, 2, 5000, true);
}

/*
 * Strict lock-freedom: a thread frozen anywhere inside push or pop (a
 * signal handler that waits, delivered at a random moment) must not stop
 * another thread from pushing values and popping them back. A ring that
 * waits for its predecessor (ck_ring MP, Vyukov's queue) fails this: its
 * pops stop at the frozen thread's slot.
 */
static sem_t frozen_sem, thaw_sem;

static void
on_freeze(int sig)
{
	(void)sig;
	sem_post(&frozen_sem);
	while (sem_wait(&thaw_sem) != 0 && errno == EINTR)
		;
}

struct churn {
	goc_ring_t *r;
	int stop;    /* (atomic) */
	long pushed; /* (churn thread) its values pushed */
	long popped; /* (churn thread) its values it popped back */
	long stolen; /* (churn thread) values of the main thread it popped */
};

#define CHURN_TAG ((uintptr_t)1 << (sizeof(uintptr_t) * 8 - 1))

static void *
churn_main(void *arg)
{
	struct churn *c = arg;
	uintptr_t next = 1;

	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		void *v;
		if (goc_ring_push(c->r, (void *)(CHURN_TAG | next))) {
			next++;
			c->pushed++;
		}
		if (goc_ring_pop(c->r, &v)) {
			if ((uintptr_t)v & CHURN_TAG)
				c->popped++;
			else
				c->stolen++;
		}
		/* A call TSan intercepts, where it delivers signals. */
		if ((next & 63) == 0)
			sched_yield();
	}
	return NULL;
}

GOC_TEST(progress_with_frozen_thread)
{
	const size_t cap = 8, want = cap - 2;
	struct sigaction sa = {0}, old;
	goc_ring_t r;
	struct churn c = {0};
	pthread_t tid;
	long mine_pushed = 0, mine_popped = 0, theirs = 0, short_rounds = 0;

	require_int_eq(sem_init(&frozen_sem, 0, 0), 0);
	require_int_eq(sem_init(&thaw_sem, 0, 0), 0);
	sa.sa_handler = on_freeze;
	sigemptyset(&sa.sa_mask);
	require_int_eq(sigaction(SIGUSR1, &sa, &old), 0);
	require_int_eq(goc_ring_init(&r, cap), 0);
	c.r = &r;
	require_int_eq(pthread_create(&tid, NULL, churn_main, &c), 0);

	long rounds = goc_test_scaled(2000);
	for (long round = 0; round < rounds; round++) {
		void *v;
		for (unsigned i = (unsigned)(goc_test_rand() % 2000); i; i--)
			goc_arch_pause();
		pthread_kill(tid, SIGUSR1);
		while (sem_wait(&frozen_sem) != 0 && errno == EINTR)
			;
		/* Frozen, holding at most one slot and one ticket. */
		while (goc_ring_pop(&r, &v)) {
			require_true((uintptr_t)v & CHURN_TAG);
			theirs++;
		}
		uintptr_t base = (uintptr_t)round * 16;
		for (size_t i = 1; i <= want; i++) {
			require_true(goc_ring_push(&r, val(base + i)));
			mine_pushed++;
		}
		/*
		 * All of ours come back in order, except that a pop frozen
		 * after taking its ticket may own the first of them (it
		 * overlaps our push, so it may return it).
		 */
		size_t got = 0, expect_next = 1;
		while (goc_ring_pop(&r, &v)) {
			require_false((uintptr_t)v & CHURN_TAG);
			if (got == 0 && v == val(base + 2))
				expect_next = 2;
			require_ptr_eq(v, val(base + expect_next));
			expect_next++;
			got++;
		}
		mine_popped += (long)got;
		if (got != want) {
			require_uint_eq(got, want - 1);
			short_rounds++;
		}
		sem_post(&thaw_sem);
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELAXED);
	pthread_join(tid, NULL);
	void *v;
	while (goc_ring_pop(&r, &v)) {
		require_true((uintptr_t)v & CHURN_TAG);
		theirs++;
	}
	/* Conservation of both threads' values. */
	expect_int_eq(c.pushed, c.popped + theirs);
	expect_int_eq(mine_pushed, mine_popped + c.stolen);
	expect_int_eq(c.stolen, short_rounds);
	goc_test_note("%ld rounds, %ld with our first value owned by the "
		      "frozen pop",
		      rounds, short_rounds);
	goc_ring_destroy(&r);
	sigaction(SIGUSR1, &old, NULL);
	sem_destroy(&frozen_sem);
	sem_destroy(&thaw_sem);
}
