/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Whole-program workload: a multi-stage pipeline.
 *
 *   pipeline [STAGES [ITEMS [CAP]]]      defaults 8, 200000, 0
 *
 * A source goroutine sends 1 .. ITEMS into the first of STAGES + 1
 * channels of capacity CAP (0: unbuffered), then closes it; stage k
 * (1 .. STAGES) receives each value x from channel k - 1, sends x * 31 + k
 * (mod 2^64) on channel k, and closes channel k when channel k - 1 is
 * closed and drained; the main goroutine adds up what leaves the last
 * channel. A WaitGroup counts the source and the stages, so the channels
 * are released only after every goroutine is done with them.
 *
 * Prints the checksum on stdout, checked against the same arithmetic done
 * sequentially. The Go twin is bench/go/workloads/pipeline/main.go.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <goconc.h>

#include "wl.h"

struct pipe {
	int stages;
	long items;
	long cap;
	goc_chan_t **ch; /* stages + 1 channels */
	goc_wg_t wg;
	uint64_t sum;
};

struct stage {
	struct pipe *p;
	int k;
};

static void
source(void *arg)
{
	struct pipe *p = arg;

	for (long i = 1; i <= p->items; i++) {
		uint64_t v = (uint64_t)i;

		goc_chan_send(p->ch[0], &v);
	}
	goc_chan_close(p->ch[0]);
	goc_wg_done(&p->wg);
}

static void
stage_run(void *arg)
{
	struct stage *s = arg;
	goc_chan_t *in = s->p->ch[s->k - 1], *out = s->p->ch[s->k];
	uint64_t x;

	while (goc_chan_recv(in, &x)) {
		x = x * 31 + (uint64_t)s->k;
		goc_chan_send(out, &x);
	}
	goc_chan_close(out);
	goc_wg_done(&s->p->wg);
}

static int
pipeline_main(void *arg)
{
	struct pipe *p = arg;
	struct stage *st = calloc((size_t)p->stages + 1, sizeof(*st));
	uint64_t x, sum = 0;

	p->ch = calloc((size_t)p->stages + 1, sizeof(*p->ch));
	if (st == NULL || p->ch == NULL)
		WL_FAIL("pipeline: out of memory");
	for (int k = 0; k <= p->stages; k++) {
		p->ch[k] = goc_chan_make(sizeof(uint64_t), (size_t)p->cap);
		if (p->ch[k] == NULL)
			WL_FAIL("pipeline: out of memory for a channel");
	}
	goc_wg_add(&p->wg, p->stages + 1);
	for (int k = 1; k <= p->stages; k++) {
		st[k].p = p;
		st[k].k = k;
		if (goc_go(stage_run, &st[k]) != 0)
			WL_FAIL("pipeline: goc_go failed");
	}
	if (goc_go(source, p) != 0)
		WL_FAIL("pipeline: goc_go failed");
	while (goc_chan_recv(p->ch[p->stages], &x))
		sum += x;
	goc_wg_wait(&p->wg);
	for (int k = 0; k <= p->stages; k++)
		goc_chan_release(p->ch[k]);
	free(p->ch);
	free(st);
	p->sum = sum;
	return 0;
}

int
main(int argc, char **argv)
{
	struct pipe p = {0};
	uint64_t want = 0;

	p.stages = (int)wl_arg(argc, argv, 1, 8, 1, 100000);
	p.items = wl_arg(argc, argv, 2, 200000, 0, 1000000000);
	p.cap = wl_arg(argc, argv, 3, 0, 0, 1 << 20);
	if (goc_run(pipeline_main, &p) != 0)
		WL_FAIL("pipeline: goc_run failed");
	for (long i = 1; i <= p.items; i++) {
		uint64_t x = (uint64_t)i;

		for (int k = 1; k <= p.stages; k++)
			x = x * 31 + (uint64_t)k;
		want += x;
	}
	printf("sum=%llu\n", (unsigned long long)p.sum);
	if (p.sum != want)
		WL_FAIL("pipeline: sum %llu, want %llu",
			(unsigned long long)p.sum, (unsigned long long)want);
	return 0;
}
