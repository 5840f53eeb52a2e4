/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Microbenchmarks in Go's format, so benchstat reads libgoconc and Go side
 * by side:
 *
 *     BenchmarkName-P   N   X ns/op   [extra metrics]
 *
 * A benchmark is a function run with b->n iterations; the driver grows n
 * (as Go's testing.B does: 1, then predicted from the last run, at most
 * 100x growth, rounded up) until one run lasts -benchtime (default 1s).
 *
 *   GOC_BENCH(Name) { for (long i = 0; i < b->n; i++) ...; }
 *
 * b->procs is the worker count for this run (-cpu=1,2,4 runs each
 * benchmark once per value, Go's -cpu flag). Command line: -bench=REGEXP
 * (POSIX extended, matched against "BenchmarkName" as Go matches its
 * names; "." or nothing for all), -benchtime=1s or 1000x, -count=N,
 * -cpu=LIST, -benchmem (Go's: B/op and allocs/op on every line) and
 * -deadline=10s (how long one run may take before a benchmark that
 * watches goc_bench_deadline() gives up). The first lines state machine,
 * commit, compiler and configure flags.
 *
 * B/op and allocs/op count the heap allocations (malloc and its kin,
 * from any thread) made while the timer runs, divided by b->n as Go
 * does; bench.c interposes the allocator to count them. Goroutine stacks
 * (mmap'd slabs) are not heap allocations, as in Go. Builds with a
 * sanitizer keep the sanitizer's allocator, and runs under valgrind
 * bypass the counting: both print no B/op (a "#" line says so).
 */
#ifndef GOC_BENCH_H
#define GOC_BENCH_H

#include <stdint.h>

typedef struct goc_bench {
	long n;     /* iterations to run */
	int procs;  /* worker count for this run */
	void *priv; /* driver state */
} goc_bench_t;

struct goc_bench_desc {
	const char *name; /* without "Benchmark" */
	void (*fn)(goc_bench_t *b);
	int line;
	struct goc_bench_desc *next;
};

void goc__bench_register(struct goc_bench_desc *d);

#define GOC_BENCH(bname)                                                     \
	static void goc_bench_fn_##bname(goc_bench_t *b);                    \
	static struct goc_bench_desc goc_bench_desc_##bname = {              \
		#bname, goc_bench_fn_##bname, __LINE__, 0};                  \
	__attribute__((constructor)) static void goc_bench_reg_##bname(void) \
	{                                                                    \
		goc__bench_register(&goc_bench_desc_##bname);                \
	}                                                                    \
	static void goc_bench_fn_##bname(goc_bench_t *b)

/* Timer control, as testing.B: exclude set-up from the measurement. */
void goc_bench_reset_timer(goc_bench_t *b);
void goc_bench_stop_timer(goc_bench_t *b);
void goc_bench_start_timer(goc_bench_t *b);
/*
 * Reports B/op and allocs/op for this benchmark even without -benchmem
 * (b.ReportAllocs). Call it before the timed part, as in Go.
 */
void goc_bench_report_allocs(goc_bench_t *b);
/* Adds "V unit" to the result line (b.ReportMetric), e.g. "Mitems/s". */
void goc_bench_report_metric(goc_bench_t *b, double v, const char *unit);
/* Monotonic nanoseconds. */
int64_t goc_bench_now(void);

/*
 * goc_bench_deadline is the goc_bench_now() time at which this run should
 * give up (its start plus -deadline=, 10 s by default). A benchmark that can
 * hang (a livelocking peer) watches it and calls goc_bench_skipf.
 */
int64_t goc_bench_deadline(goc_bench_t *b);

/*
 * goc_bench_skipf marks this run as not completed. Instead of a result
 * line the driver prints "# BenchmarkName-P: <message>", a comment that
 * benchstat ignores, and goes on with the next -count or -cpu run.
 */
void goc_bench_skipf(goc_bench_t *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* GOC_BENCH_H */
