/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The goc_ring_t exactly-once torture, shared by tests/unit/ring.c (short
 * fixed runs) and stress/ring.c (time-boxed runs with injected delays).
 *
 * np producers push per_producer values each, nc consumers pop until all
 * np * per_producer values are out. A value encodes (producer, sequence),
 * sequences 1, 2, ... per producer. Checked:
 *  - every popped value is one some producer pushed (no garbage, no NULL);
 *  - each consumer sees each producer's values in increasing order (the
 *    ring is FIFO, so values of one producer leave in the order they went
 *    in, and a consumer's pops are ordered);
 *  - every value comes out exactly once (a bitmap per producer, set with
 *    fetch-or: a bit already set is a duplicate; a bit never set a loss);
 *  - afterwards the ring is empty, len is 0, and it still holds exactly
 *    cap values in FIFO order (no index was lost or duplicated inside).
 * Options: pin every thread to one CPU (so that threads preempt each
 * other in the middle of operations), and random delays (pauses or
 * yields) between operations.
 *
 * Include after harness.h; call rm_run(&cfg). Failures are reported
 * through the harness; rm_run returns false if any was.
 */
#ifndef GOC_STRESS_RING_MPMC_H
#define GOC_STRESS_RING_MPMC_H

#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#include <goconc/ring.h>

#include "internal/arch.h"

#define RM_MAX_THREADS 64

struct rm_config {
	int np, nc;          /* producers and consumers, 1..RM_MAX_THREADS */
	size_t cap;          /* ring capacity (a power of two) */
	long per_producer;   /* values each producer pushes */
	bool one_cpu;        /* pin every thread to the first allowed CPU */
	unsigned delay_mask; /* inject a delay when rand & mask == 0; 0: off */
};

struct rm_shared {
	const struct rm_config *cfg;
	goc_ring_t ring;
	uint64_t *seen;     /* np bitmaps of per_producer + 1 bits (atomic) */
	size_t words;       /* words per bitmap */
	long total;         /* np * per_producer */
	long popped;        /* (atomic) values popped so far */
	long dup, bad, ooo; /* (atomic) error counts */
	int start;          /* (atomic) released by the main thread */
	int cpu;            /* for one_cpu, or -1 */
};

struct rm_thread {
	struct rm_shared *sh;
	int id;
	pthread_t tid;
};

static inline uintptr_t
rm_encode(const struct rm_config *c, int p, long seq)
{
	return (uintptr_t)seq * (uintptr_t)c->np + (uintptr_t)p + 1;
}

static inline void
rm_delay(const struct rm_config *c)
{
	if (c->delay_mask == 0)
		return;
	uint64_t r = goc_test_rand();
	if ((r & c->delay_mask) != 0)
		return;
	if ((r >> 32) & 1) {
		sched_yield();
		return;
	}
	for (unsigned i = (unsigned)(r >> 40) & 1023; i > 0; i--)
		goc_arch_pause();
}

/* After a failed push or pop: pause a little, then let others run. */
static inline void
rm_backoff(unsigned *spins)
{
	if (++*spins < 16)
		goc_arch_pause();
	else
		sched_yield();
}

static inline void
rm_thread_start(struct rm_shared *sh)
{
#ifdef HAVE_PTHREAD_SETAFFINITY_NP
	if (sh->cpu >= 0) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(sh->cpu, &one);
		pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	}
#endif
	/* Acquire pairs with the main thread's release: the set-up. */
	while (!__atomic_load_n(&sh->start, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void *
rm_producer(void *arg)
{
	struct rm_thread *t = arg;
	struct rm_shared *sh = t->sh;
	const struct rm_config *c = sh->cfg;

	rm_thread_start(sh);
	for (long seq = 1; seq <= c->per_producer; seq++) {
		unsigned spins = 0;
		void *v = (void *)rm_encode(c, t->id, seq);
		while (!goc_ring_push(&sh->ring, v))
			rm_backoff(&spins);
		rm_delay(c);
	}
	return NULL;
}

static void
rm_take(struct rm_shared *sh, long *last, uintptr_t v)
{
	const struct rm_config *c = sh->cfg;

	if (v == 0) {
		__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
		return;
	}
	int p = (int)((v - 1) % (uintptr_t)c->np);
	long seq = (long)((v - 1) / (uintptr_t)c->np);
	if (seq < 1 || seq > c->per_producer) {
		__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
		return;
	}
	if (seq <= last[p])
		__atomic_fetch_add(&sh->ooo, 1, __ATOMIC_RELAXED);
	last[p] = seq;
	uint64_t bit = (uint64_t)1 << (seq % 64);
	uint64_t *w = &sh->seen[(size_t)p * sh->words + (size_t)seq / 64];
	/* Relaxed: the bitmap is only read after the threads are joined. */
	if (__atomic_fetch_or(w, bit, __ATOMIC_RELAXED) & bit)
		__atomic_fetch_add(&sh->dup, 1, __ATOMIC_RELAXED);
}

static void *
rm_consumer(void *arg)
{
	struct rm_thread *t = arg;
	struct rm_shared *sh = t->sh;
	const struct rm_config *c = sh->cfg;
	long *last = calloc((size_t)c->np, sizeof(*last));

	rm_thread_start(sh);
	for (;;) {
		unsigned spins = 0;
		void *v;
		while (!goc_ring_pop(&sh->ring, &v)) {
			/* Relaxed: only a termination test. */
			if (__atomic_load_n(&sh->popped, __ATOMIC_RELAXED) >=
			    sh->total)
				goto out;
			rm_backoff(&spins);
		}
		rm_take(sh, last, (uintptr_t)v);
		__atomic_fetch_add(&sh->popped, 1, __ATOMIC_RELAXED);
		rm_delay(c);
	}
out:
	free(last);
	return NULL;
}

/* The first CPU this process may run on, or -1. */
static inline int
rm_first_cpu(void)
{
#ifdef HAVE_PTHREAD_SETAFFINITY_NP
	cpu_set_t all;
	if (sched_getaffinity(0, sizeof(all), &all) == 0)
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &all))
				return c;
#endif
	return -1;
}

static bool
rm_run(const struct rm_config *c)
{
	struct rm_shared sh = {0};
	struct rm_thread th[2 * RM_MAX_THREADS];
	int n = c->np + c->nc;
	bool ok = true;

	require_true(c->np >= 1 && c->np <= RM_MAX_THREADS);
	require_true(c->nc >= 1 && c->nc <= RM_MAX_THREADS);
	sh.cfg = c;
	sh.cpu = c->one_cpu ? rm_first_cpu() : -1;
	sh.total = (long)c->np * c->per_producer;
	sh.words = (size_t)c->per_producer / 64 + 1;
	sh.seen = calloc((size_t)c->np * sh.words, sizeof(uint64_t));
	require_true(sh.seen != NULL);
	require_int_eq(goc_ring_init(&sh.ring, c->cap), 0);

	for (int i = 0; i < n; i++) {
		th[i].sh = &sh;
		th[i].id = i < c->np ? i : i - c->np;
		require_int_eq(
			pthread_create(&th[i].tid, NULL,
				       i < c->np ? rm_producer : rm_consumer,
				       &th[i]),
			0);
	}
	/* Release: the ring and the bitmaps are set up. */
	__atomic_store_n(&sh.start, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < n; i++)
		pthread_join(th[i].tid, NULL);

	if (sh.bad || sh.dup || sh.ooo) {
		goc_test_fail("%dP%dC cap %zu: %ld garbage, %ld duplicate, "
			      "%ld out-of-order values",
			      c->np, c->nc, c->cap, sh.bad, sh.dup, sh.ooo);
		ok = false;
	}
	for (int p = 0; p < c->np && ok; p++)
		for (long seq = 1; seq <= c->per_producer; seq++) {
			uint64_t w = sh.seen[(size_t)p * sh.words +
					     (size_t)seq / 64];
			if (!(w & ((uint64_t)1 << (seq % 64)))) {
				goc_test_fail("%dP%dC cap %zu: value %ld of "
					      "producer %d lost",
					      c->np, c->nc, c->cap, seq, p);
				ok = false;
				break;
			}
		}

	/* Quiescent now: empty, and every slot still there, in order. */
	void *v = NULL;
	if (goc_ring_pop(&sh.ring, &v)) {
		goc_test_fail("ring not empty after all values: %p", v);
		ok = false;
	}
	if (goc_ring_len(&sh.ring) != 0) {
		goc_test_fail("len %zu after the last pop failed",
			      goc_ring_len(&sh.ring));
		ok = false;
	}
	for (size_t i = 0; i < c->cap; i++)
		if (!goc_ring_push(&sh.ring, (void *)(i + 1))) {
			goc_test_fail("push %zu of %zu failed afterwards", i,
				      c->cap);
			ok = false;
			break;
		}
	if (ok && goc_ring_push(&sh.ring, (void *)1)) {
		goc_test_fail("push beyond capacity %zu succeeded", c->cap);
		ok = false;
	}
	for (size_t i = 0; i < c->cap && ok; i++)
		if (!goc_ring_pop(&sh.ring, &v) || v != (void *)(i + 1)) {
			goc_test_fail("refill pop %zu: got %p", i, v);
			ok = false;
		}

	goc_ring_destroy(&sh.ring);
	free(sh.seen);
	return ok;
}

#endif /* GOC_STRESS_RING_MPMC_H */
