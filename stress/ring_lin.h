/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linearizability rounds for a bounded FIFO queue, shared by
 * tests/unit/ring_lin.c (a fixed number of rounds) and stress/ring_lin.c
 * (time-boxed) for goc_ring_t, and stress/chan_lin.c for a buffered
 * channel's non-blocking operations (struct rl_queue says which).
 *
 * A round: a fresh ring of small capacity, prefilled with 0..cap values
 * by the main thread, then `threads` persistent worker threads released
 * together each run ops_per_thread random pushes and pops (with random
 * pauses and yields between them), recording invocation and response
 * times from one shared atomic counter (so "returned before invoked" is a
 * happens-before fact, not a clock reading), the operation, its value and
 * its result. The history is checked with lincheck.c: first against the
 * strict sequential bounded FIFO; a history only the documented slots
 * model explains ("full" while operations in progress hold slots) is
 * counted, not failed, for a queue that documents it (the ring; a
 * channel does not); anything else fails and is printed.
 *
 * Include after harness.h.
 */
#ifndef GOC_STRESS_RING_LIN_H
#define GOC_STRESS_RING_LIN_H

#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <goconc/ring.h>

#include "internal/arch.h"
#include "lincheck.h"

#define RL_MAX_THREADS 8
#define RL_MAX_OPS     12 /* per thread */

/* The queue under test: non-blocking push and pop of non-zero values. */
struct rl_queue {
	const char *name;
	bool slots_model; /* "full" may count slots in progress */
	void *(*make)(size_t cap);
	void (*destroy)(void *q);
	bool (*push)(void *q, uint64_t v);
	bool (*pop)(void *q, uint64_t *v);
};

static void *
rl_ring_make(size_t cap)
{
	goc_ring_t *r = malloc(sizeof(*r));
	if (r != NULL && goc_ring_init(r, cap) != 0) {
		free(r);
		r = NULL;
	}
	return r;
}

static void
rl_ring_destroy(void *q)
{
	goc_ring_destroy(q);
	free(q);
}

static bool
rl_ring_push(void *q, uint64_t v)
{
	return goc_ring_push(q, (void *)(uintptr_t)v);
}

static bool
rl_ring_pop(void *q, uint64_t *v)
{
	void *p = NULL;
	bool ok = goc_ring_pop(q, &p);
	*v = (uint64_t)(uintptr_t)p;
	return ok;
}

static const struct rl_queue rl_ring_queue = {"goc_ring",   true,
					      rl_ring_make, rl_ring_destroy,
					      rl_ring_push, rl_ring_pop};

struct rl_config {
	int threads;                  /* 1..RL_MAX_THREADS */
	int ops_per_thread;           /* 1..RL_MAX_OPS */
	size_t cap;                   /* 1..LC_MAX_CAP, a power of two */
	bool one_cpu;                 /* pin every thread to one CPU */
	const struct rl_queue *queue; /* NULL: goc_ring_t */
};

struct rl_stats {
	long rounds;
	long slots_only; /* explained only by the slots model */
	long failures;
	long max_states;
};

struct rl_worker {
	struct rl_runner *rn;
	int id;
	pthread_t tid;
	struct lc_op ops[RL_MAX_OPS];
} __attribute__((aligned(128)));

struct rl_runner {
	const struct rl_config *cfg;
	const struct rl_queue *q;
	void *ring;     /* (gen) the round's queue */
	uint64_t clock; /* (atomic) the history's time */
	unsigned gen;   /* (atomic) round number; ~0u: exit */
	int done;       /* (atomic) workers finished with the round */
	int cpu;        /* for one_cpu, or -1 */
	uint64_t base;  /* (gen) first value of the round */
	struct rl_worker w[RL_MAX_THREADS];
};

static inline uint64_t
rl_now(struct rl_runner *rn)
{
	/* seq_cst: one total order of events across threads. */
	return __atomic_add_fetch(&rn->clock, 1, __ATOMIC_SEQ_CST);
}

static void *
rl_worker_main(void *arg)
{
	struct rl_worker *w = arg;
	struct rl_runner *rn = w->rn;
	const struct rl_config *c = rn->cfg;
	unsigned seen = 0;

#ifdef HAVE_PTHREAD_SETAFFINITY_NP
	if (rn->cpu >= 0) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(rn->cpu, &one);
		pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	}
#endif
	for (;;) {
		unsigned g;
		/* Acquire pairs with the release in rl_round: the ring. */
		while ((g = __atomic_load_n(&rn->gen, __ATOMIC_ACQUIRE)) ==
		       seen)
			sched_yield();
		if (g == ~0u)
			return NULL;
		seen = g;
		for (int i = 0; i < c->ops_per_thread; i++) {
			struct lc_op *o = &w->ops[i];
			uint64_t r = goc_test_rand();
			o->thread = w->id;
			for (unsigned k = (unsigned)(r >> 40) & 127; k; k--)
				goc_arch_pause();
			if (((r >> 8) & 15) == 0)
				sched_yield();
			if (r & 1) {
				uint64_t v = 0;
				o->kind = LC_POP;
				o->inv = rl_now(rn);
				o->ok = rn->q->pop(rn->ring, &v);
				o->res = rl_now(rn);
				o->value = v;
			} else {
				o->kind = LC_PUSH;
				o->value = rn->base + (uint64_t)w->id * 64 +
					   (uint64_t)i + 1;
				o->inv = rl_now(rn);
				o->ok = rn->q->push(rn->ring, o->value);
				o->res = rl_now(rn);
			}
		}
		/* Release pairs with rl_round's acquire: the records. */
		__atomic_fetch_add(&rn->done, 1, __ATOMIC_RELEASE);
	}
}

static bool
rl_start(struct rl_runner *rn, const struct rl_config *c)
{
	require_true(c->threads >= 1 && c->threads <= RL_MAX_THREADS);
	require_true(c->ops_per_thread >= 1 && c->ops_per_thread <= RL_MAX_OPS);
	require_true(c->cap >= 1 && c->cap <= LC_MAX_CAP);
	require_true((size_t)(c->threads * c->ops_per_thread) + c->cap <=
		     LC_MAX_OPS);
	rn->cfg = c;
	rn->q = c->queue != NULL ? c->queue : &rl_ring_queue;
	rn->cpu = -1;
#ifdef HAVE_PTHREAD_SETAFFINITY_NP
	if (c->one_cpu) {
		cpu_set_t all;
		if (sched_getaffinity(0, sizeof(all), &all) == 0)
			for (int k = 0; k < CPU_SETSIZE && rn->cpu < 0; k++)
				if (CPU_ISSET(k, &all))
					rn->cpu = k;
	}
#endif
	for (int i = 0; i < c->threads; i++) {
		rn->w[i].rn = rn;
		rn->w[i].id = i;
		require_int_eq(pthread_create(&rn->w[i].tid, NULL,
					      rl_worker_main, &rn->w[i]),
			       0);
	}
	return true;
}

static void
rl_stop(struct rl_runner *rn)
{
	__atomic_store_n(&rn->gen, ~0u, __ATOMIC_RELEASE);
	for (int i = 0; i < rn->cfg->threads; i++)
		pthread_join(rn->w[i].tid, NULL);
}

/* One round; returns false (after reporting) if it was not linearizable. */
static bool
rl_round(struct rl_runner *rn, struct rl_stats *st)
{
	const struct rl_config *c = rn->cfg;
	struct lc_op ops[LC_MAX_OPS];
	int n = 0;
	long states;
	void *ring = rn->q->make(c->cap);

	require_true(ring != NULL);
	rn->ring = ring;
	rn->base = (uint64_t)(st->rounds + 1) << 12;
	/* Prefill: pushes that return before any worker starts. */
	int pre = (int)(goc_test_rand() % (c->cap + 1));
	for (int i = 0; i < pre; i++) {
		struct lc_op *o = &ops[n++];
		o->kind = LC_PUSH;
		o->thread = -1;
		o->value = rn->base + 4000 + (uint64_t)i;
		o->inv = rl_now(rn);
		o->ok = rn->q->push(ring, o->value);
		o->res = rl_now(rn);
	}
	__atomic_store_n(&rn->done, 0, __ATOMIC_RELAXED);
	/* Release: the ring and the round's values, to the workers. */
	__atomic_add_fetch(&rn->gen, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&rn->done, __ATOMIC_ACQUIRE) < c->threads)
		sched_yield();
	for (int t = 0; t < c->threads; t++)
		for (int i = 0; i < c->ops_per_thread; i++)
			ops[n++] = rn->w[t].ops[i];
	rn->q->destroy(ring);
	st->rounds++;

	enum lc_result r = lc_check(ops, n, c->cap, LC_STRICT, &states);
	if (states > st->max_states)
		st->max_states = states;
	if (r == LC_LINEARIZABLE)
		return true;
	if (r == LC_NOT_LINEARIZABLE && rn->q->slots_model) {
		r = lc_check(ops, n, c->cap, LC_SLOTS, &states);
		if (r == LC_LINEARIZABLE) {
			st->slots_only++;
			return true;
		}
	}
	static char buf[8192];
	lc_format(ops, n, buf, sizeof(buf));
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		goc_test_note("%s", line);
	goc_test_fail("%s round %ld (%d threads, cap %zu): %s (history above)",
		      rn->q->name, st->rounds, c->threads, c->cap,
		      lc_result_name(r));
	st->failures++;
	return false;
}

static inline double
rl_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * rl_histories runs rounds of random shapes for about `seconds` (slices of
 * 50 ms per shape) on queue (NULL: goc_ring_t), and expects no failure.
 */
static inline void
rl_histories(double seconds, bool one_cpu, const struct rl_queue *queue)
{
	static const struct {
		int threads, ops;
		size_t cap;
	} shapes[] = {
		{2, 10, 1}, {3, 6, 1}, {3, 8, 2}, {4, 6, 2},
		{4, 8, 4},  {6, 6, 2}, {8, 6, 1}, {8, 6, 8},
	};
	double end = rl_now_s() + seconds;
	struct rl_stats total = {0};

	goc_test_set_timeout(seconds * 4 + 120);
	do {
		uint64_t r = goc_test_rand();
		int k = (int)(r % GOC_ARRAY_SIZE(shapes));
		struct rl_config c = {shapes[k].threads, shapes[k].ops,
				      shapes[k].cap, one_cpu, queue};
		struct rl_runner rn = {0};
		struct rl_stats st = {0};
		double slice = rl_now_s() + 0.05;

		rl_start(&rn, &c);
		do
			rl_round(&rn, &st);
		while (st.failures == 0 && rl_now_s() < slice);
		rl_stop(&rn);
		total.rounds += st.rounds;
		total.slots_only += st.slots_only;
		total.failures += st.failures;
		if (st.max_states > total.max_states)
			total.max_states = st.max_states;
	} while (total.failures == 0 && rl_now_s() < end);
	expect_int_eq(total.failures, 0);
	goc_test_note("%s: %ld histories%s, %ld explained only by the slots "
		      "model, at most %ld states",
		      queue != NULL ? queue->name : rl_ring_queue.name,
		      total.rounds, one_cpu ? " (one CPU)" : "",
		      total.slots_only, total.max_states);
}

#endif /* GOC_STRESS_RING_LIN_H */
