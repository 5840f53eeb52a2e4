/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Whole-program workload: ping-pong at 1 .. N worker pairs.
 *
 *   pingpong [PAIRS [ROUNDS]]          defaults 1, 200000
 *
 * PAIRS independent pairs of goroutines; in each, the pinger sends
 * 0 .. ROUNDS - 1 on an unbuffered channel and waits for each reply on a
 * second unbuffered channel, the ponger answers every value v with v + 1
 * until the first channel is closed. Every round trip is two hand-offs
 * between goroutines that park in turn. A WaitGroup counts the 2 * PAIRS
 * goroutines; then the main goroutine checks that every pinger summed
 * the replies to ROUNDS (ROUNDS + 1) / 2.
 *
 * Prints the total on stdout (checked). The Go twin is
 * bench/go/workloads/pingpong/main.go. bench/workloads.sh runs it at
 * several pair counts with the same ROUNDS * PAIRS, so the work stays
 * the same while the parallelism grows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <goconc.h>

#include "wl.h"

struct pair {
	goc_chan_t *ping, *pong;
	long rounds;
	uint64_t sum;
	goc_wg_t *wg;
};

static void
pinger(void *arg)
{
	struct pair *p = arg;
	uint64_t sum = 0;

	for (long i = 0; i < p->rounds; i++) {
		uint64_t v = (uint64_t)i;

		goc_chan_send(p->ping, &v);
		goc_chan_recv(p->pong, &v);
		sum += v;
	}
	goc_chan_close(p->ping);
	p->sum = sum;
	goc_wg_done(p->wg);
}

static void
ponger(void *arg)
{
	struct pair *p = arg;
	uint64_t v;

	while (goc_chan_recv(p->ping, &v)) {
		v++;
		goc_chan_send(p->pong, &v);
	}
	goc_wg_done(p->wg);
}

struct args {
	long pairs, rounds;
	uint64_t total;
	int bad;
};

static int
pingpong_main(void *arg)
{
	struct args *a = arg;
	struct pair *ps = calloc((size_t)a->pairs, sizeof(*ps));
	goc_wg_t wg = GOC_WG_INIT;
	uint64_t want = (uint64_t)a->rounds * (uint64_t)(a->rounds + 1) / 2;

	if (ps == NULL)
		WL_FAIL("pingpong: out of memory");
	goc_wg_add(&wg, (int)(2 * a->pairs));
	for (long k = 0; k < a->pairs; k++) {
		ps[k].ping = goc_chan_make(sizeof(uint64_t), 0);
		ps[k].pong = goc_chan_make(sizeof(uint64_t), 0);
		if (ps[k].ping == NULL || ps[k].pong == NULL)
			WL_FAIL("pingpong: out of memory for a channel");
		ps[k].rounds = a->rounds;
		ps[k].wg = &wg;
		if (goc_go(ponger, &ps[k]) != 0 || goc_go(pinger, &ps[k]) != 0)
			WL_FAIL("pingpong: goc_go failed");
	}
	goc_wg_wait(&wg);
	for (long k = 0; k < a->pairs; k++) {
		if (ps[k].sum != want)
			a->bad++;
		a->total += ps[k].sum;
		goc_chan_release(ps[k].ping);
		goc_chan_release(ps[k].pong);
	}
	free(ps);
	return 0;
}

int
main(int argc, char **argv)
{
	struct args a = {0};

	a.pairs = wl_arg(argc, argv, 1, 1, 1, 1000000);
	a.rounds = wl_arg(argc, argv, 2, 200000, 0, 1000000000);
	if (goc_run(pingpong_main, &a) != 0)
		WL_FAIL("pingpong: goc_run failed");
	printf("sum=%llu\n", (unsigned long long)a.total);
	if (a.bad != 0)
		WL_FAIL("pingpong: %d of %ld pairs summed wrong", a.bad,
			a.pairs);
	return 0;
}
