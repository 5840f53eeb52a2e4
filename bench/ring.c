/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_ring benchmarks. The throughput workloads (NPmC, capacity 1024,
 * spin-then-yield back-off, checksum and per-producer FIFO verified every
 * run, fill% reported) are defined in ring_harness.h and run unchanged on
 * ck_ring by peers/ck_ring.c; the Go twins in go/ring_test.go run them on
 * a buffered channel of capacity 1024. `make bench-compare` puts the three
 * side by side.
 */
#include <stdio.h>
#include <stdlib.h>

#include <goconc/ring.h>

#include "bench.h"

#define RH_NAME       ring
#define RH_QUEUE      goc_ring_t
#define RH_PUSH(q, v) goc_ring_push(q, v)
#define RH_POP(q, pv) goc_ring_pop(q, pv)
#define RH_LEN(q)     goc_ring_len(q)
#include "ring_harness.h"

static void
ring_init(goc_ring_t *r)
{
	if (goc_ring_init(r, RH_CAPACITY) != 0) {
		fprintf(stderr, "goc_ring_init: out of memory\n");
		abort();
	}
}

static void
ring_throughput(goc_bench_t *b, int np, int nc)
{
	goc_ring_t r;
	ring_init(&r);
	ring_run(b, &r, goc_ring_cap(&r), np, nc);
	goc_ring_destroy(&r);
}

/*
 * One thread pushes a value and pops it back: the uncontended cost of a
 * push plus a pop on an empty ring (ck's latency benchmark, timed per
 * pair rather than with rdtsc).
 */
GOC_BENCH(RingPushPop)
{
	goc_ring_t r;
	ring_init(&r);
	goc_bench_reset_timer(b);
	for (long i = 0; i < b->n; i++) {
		void *v = (void *)(uintptr_t)(i + 1), *w = NULL;
		if (!goc_ring_push(&r, v) || !goc_ring_pop(&r, &w) || w != v) {
			fprintf(stderr,
				"FAIL: RingPushPop: pushed %p, got %p\n", v, w);
			abort();
		}
	}
	goc_bench_stop_timer(b);
	goc_ring_destroy(&r);
}

/* One producer, one consumer: pinned to two CPUs when procs >= 2. */
GOC_BENCH(Ring1P1C)
{
	ring_throughput(b, 1, 1);
}

/* Two and two: oversubscribed on a 2-CPU machine. */
GOC_BENCH(Ring2P2C)
{
	ring_throughput(b, 2, 2);
}

/* Four and four: 8 threads on 2 CPUs, where ck_ring MPMC livelocks. */
GOC_BENCH(Ring4P4C)
{
	ring_throughput(b, 4, 4);
}
