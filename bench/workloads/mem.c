/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory measures: bytes per channel and per context.
 *
 *   mem chan N CAP              N channels of uint64_t, capacity CAP
 *   mem ctx N parent            N goc_ctx_with_cancel children of one
 *                               cancellable parent
 *   mem ctx N background        N goc_ctx_with_cancel children of
 *                               goc_ctx_background()
 *
 * Inside goc_run, after the runtime is up and the array that keeps the N
 * objects alive is allocated and touched, the program reads its resident
 * set size (/proc/self/statm) and the bytes malloc has handed out
 * (mallinfo2, glibc 2.33 and later), makes the N objects, and reads both
 * again; it prints the deltas divided by N, and the time per object made.
 * Then it cancels and releases everything. The Go twin
 * (bench/go/workloads/mem/main.go) does the same with runtime.MemStats'
 * HeapAlloc (after a runtime.GC()) in place of mallinfo2.
 *
 * RSS per parked goroutine is measured by stress/sched.c (make stress;
 * docs/bench.md, "Scheduler"), not here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <goconc.h>

#include "wl.h"

#if defined(__GLIBC__) && \
	(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#define HAVE_MALLINFO2 1
static long
heap_bytes(void)
{
	return (long)mallinfo2().uordblks;
}
#else
static long
heap_bytes(void)
{
	return -1;
}
#endif

struct args {
	int what; /* 0: chan, 1: ctx under a parent, 2: ctx under background */
	long n, cap;
};

static int
mem_main(void *arg)
{
	struct args *a = arg;
	void **objs = malloc((size_t)a->n * sizeof(*objs));
	goc_ctx_t *parent = NULL;
	long rss0, heap0, rss1, heap1;
	int64_t t0, t1;

	if (objs == NULL)
		WL_FAIL("mem: out of memory");
	memset(objs, 0, (size_t)a->n * sizeof(*objs));
	if (a->what == 1) {
		parent = goc_ctx_with_cancel(goc_ctx_background());
		if (parent == NULL)
			WL_FAIL("mem: out of memory");
	}
	rss0 = wl_rss_bytes();
	heap0 = heap_bytes();
	t0 = goc_now();
	for (long i = 0; i < a->n; i++) {
		if (a->what == 0)
			objs[i] =
				goc_chan_make(sizeof(uint64_t), (size_t)a->cap);
		else if (a->what == 1)
			objs[i] = goc_ctx_with_cancel(parent);
		else
			objs[i] = goc_ctx_with_cancel(goc_ctx_background());
		if (objs[i] == NULL)
			WL_FAIL("mem: out of memory after %ld objects", i);
	}
	t1 = goc_now();
	rss1 = wl_rss_bytes();
	heap1 = heap_bytes();

	if (a->what == 0)
		printf("mem: what=chan cap=%ld", a->cap);
	else
		printf("mem: what=ctx parent=%s",
		       a->what == 1 ? "cancel" : "background");
	printf(" n=%ld rss_bytes_per=%.1f heap_bytes_per=%.1f ns_per=%.1f\n",
	       a->n, (double)(rss1 - rss0) / (double)a->n,
	       heap0 < 0 ? -1.0 : (double)(heap1 - heap0) / (double)a->n,
	       (double)(t1 - t0) / (double)a->n);

	if (parent != NULL)
		goc_ctx_cancel(parent);
	for (long i = 0; i < a->n; i++) {
		if (a->what == 0) {
			goc_chan_release(objs[i]);
		} else {
			goc_ctx_cancel(objs[i]);
			goc_ctx_release(objs[i]);
		}
	}
	goc_ctx_release(parent);
	free(objs);
	return 0;
}

int
main(int argc, char **argv)
{
	struct args a = {0};

	if (argc < 2)
		goto usage;
	a.n = wl_arg(argc, argv, 2, 1000000, 1, 100000000);
	if (strcmp(argv[1], "chan") == 0) {
		a.what = 0;
		a.cap = wl_arg(argc, argv, 3, 0, 0, 1 << 20);
	} else if (strcmp(argv[1], "ctx") == 0) {
		if (argc < 4 || strcmp(argv[3], "parent") == 0)
			a.what = 1;
		else if (strcmp(argv[3], "background") == 0)
			a.what = 2;
		else
			goto usage;
	} else {
		goto usage;
	}
	if (goc_run(mem_main, &a) != 0)
		WL_FAIL("mem: goc_run failed");
	return 0;
usage:
	fprintf(stderr,
		"usage: %s chan [N [CAP]] | ctx [N [parent|background]]\n",
		argv[0]);
	return 2;
}
