/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The peer: Concurrency Kit's ck_ring on exactly the goc_ring workloads
 * (../ring_harness.h). CkRingSPSC1P1C is the baseline goc_ring's 1P1C is
 * held to; the MPMC runs show where a ticket-ordered producer side stalls:
 * a producer preempted between reserving a slot and committing it blocks
 * every later producer in ck's own spin (lock-free.md §1.4), and with more
 * threads than CPUs the run may not finish. The harness's watchdog stops
 * such a run at -deadline and prints a "# ... did not complete" comment
 * instead of a result line.
 *
 * ck_ring_init(1024) holds 1023 items (one slot tells full from empty).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ck_ring.h>

#include "../bench.h"

struct ckq {
	ck_ring_t ring; /* c_head and p_tail/p_head on their own lines */
	ck_ring_buffer_t *buf;
};

#define RH_NAME       spsc
#define RH_QUEUE      struct ckq
#define RH_PUSH(q, v) ck_ring_enqueue_spsc(&(q)->ring, (q)->buf, v)
#define RH_POP(q, pv) ck_ring_dequeue_spsc(&(q)->ring, (q)->buf, pv)
#define RH_LEN(q)     ck_ring_size(&(q)->ring)
#include "../ring_harness.h"

#define RH_NAME       mpmc
#define RH_QUEUE      struct ckq
#define RH_PUSH(q, v) ck_ring_enqueue_mpmc(&(q)->ring, (q)->buf, v)
#define RH_POP(q, pv) ck_ring_dequeue_mpmc(&(q)->ring, (q)->buf, pv)
#define RH_LEN(q)     ck_ring_size(&(q)->ring)
#include "../ring_harness.h"

static struct ckq *
ckq_new(void)
{
	/* aligned_alloc wants a multiple of the alignment (ASan checks) */
	struct ckq *q = aligned_alloc(128, (sizeof(*q) + 127) / 128 * 128);
	size_t bytes = sizeof(ck_ring_buffer_t) * RH_CAPACITY;
	if (q == NULL || (q->buf = aligned_alloc(128, bytes)) == NULL) {
		fprintf(stderr, "ck_ring peer: out of memory\n");
		abort();
	}
	memset(q->buf, 0, bytes);
	ck_ring_init(&q->ring, RH_CAPACITY);
	return q;
}

static void
ckq_free(struct ckq *q)
{
	free(q->buf);
	free(q);
}

/* As RingPushPop, on the SPSC and MPMC paths. */
GOC_BENCH(CkRingSPSCPushPop)
{
	struct ckq *q = ckq_new();
	goc_bench_reset_timer(b);
	for (long i = 0; i < b->n; i++) {
		void *v = (void *)(uintptr_t)(i + 1), *w = NULL;
		if (!ck_ring_enqueue_spsc(&q->ring, q->buf, v) ||
		    !ck_ring_dequeue_spsc(&q->ring, q->buf, &w) || w != v) {
			fprintf(stderr, "FAIL: CkRingSPSCPushPop\n");
			abort();
		}
	}
	goc_bench_stop_timer(b);
	ckq_free(q);
}

GOC_BENCH(CkRingMPMCPushPop)
{
	struct ckq *q = ckq_new();
	goc_bench_reset_timer(b);
	for (long i = 0; i < b->n; i++) {
		void *v = (void *)(uintptr_t)(i + 1), *w = NULL;
		if (!ck_ring_enqueue_mpmc(&q->ring, q->buf, v) ||
		    !ck_ring_dequeue_mpmc(&q->ring, q->buf, &w) || w != v) {
			fprintf(stderr, "FAIL: CkRingMPMCPushPop\n");
			abort();
		}
	}
	goc_bench_stop_timer(b);
	ckq_free(q);
}

/* The baseline for goc_ring's Ring1P1C. */
GOC_BENCH(CkRingSPSC1P1C)
{
	struct ckq *q = ckq_new();
	spsc_run(b, q, RH_CAPACITY - 1, 1, 1);
	ckq_free(q);
}

GOC_BENCH(CkRingMPMC1P1C)
{
	struct ckq *q = ckq_new();
	mpmc_run(b, q, RH_CAPACITY - 1, 1, 1);
	ckq_free(q);
}

GOC_BENCH(CkRingMPMC2P2C)
{
	struct ckq *q = ckq_new();
	mpmc_run(b, q, RH_CAPACITY - 1, 2, 2);
	ckq_free(q);
}

/* Oversubscribed: may not complete (watchdog). */
GOC_BENCH(CkRingMPMC4P4C)
{
	struct ckq *q = ckq_new();
	mpmc_run(b, q, RH_CAPACITY - 1, 4, 4);
	ckq_free(q);
}
