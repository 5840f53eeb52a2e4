/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target over the deterministic simulation (--enable-sim): the
 * input is a goroutine program and, after it, the schedule.
 *
 * Program (one byte each, taken modulo the range):
 *   nprod (1-3) producers, nchan (1-3) channels and a capacity (0-3)
 *   for each, ncons (1-3) consumers, then per producer a length (0-7)
 *   and that many operations; an operation byte's low three bits:
 *     0-2  send the next value on channel (byte >> 3) % nchan
 *     3    select-send it on two channels (one of them fires)
 *     4    try-send (select with default): a refused value is not sent
 *     5    lock the shared mutex, bump a counter, yield, unlock
 *     6    yield
 *     7    sleep (byte >> 3) microseconds of virtual time
 *   Consumers receive from every channel with select (a closed channel's
 *   case is disabled), blocking or, on odd consumers, non-blocking with a
 *   yield; a closer goroutine closes all channels once every producer is
 *   done (WaitGroup).
 * Schedule: the remaining bytes drive the simulation's choices
 * (goc__sim_restart_bytes); when they run out, a PRNG seeded by their
 * hash decides.
 *
 * Oracles: every value sent is received exactly once and none that was
 * not sent; each consumer sees each producer's values on a channel in
 * send order (FIFO); the mutex excludes and the counter adds up; every
 * goroutine finishes (no leak: goc_shutdown succeeds); and the program,
 * which cannot deadlock, is never reported deadlocked (that fatal error
 * aborts, a crash like any other mismatch).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <goconc.h>

#include "sim/sim.h"
#include "sim_settle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXP   3
#define MAXC   3
#define MAXOPS 8

struct prog {
	int nprod, nchan, ncons;
	size_t cap[MAXC];
	int nops[MAXP];
	uint8_t ops[MAXP][MAXOPS];
	/* run state */
	goc_chan_t *ch[MAXC];
	goc_wg_t prod_wg, cons_wg;
	goc_mutex_t mu;
	int inside, count, want_count;
	/* sent[p][c]: values producer p sent on channel c (seq 0..n-1) */
	int sent[MAXP][MAXC];
	uint8_t got[MAXP][MAXC][MAXOPS];
};

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz/sim_chan: %s\n", what);
	abort();
}

/* A value: producer, channel and sequence number packed in an int. */
static int
pack(int p, int c, int seq)
{
	return p << 16 | c << 8 | seq;
}

struct pargs {
	struct prog *g;
	int id;
};

static void
producer(void *arg)
{
	struct pargs *a = arg;
	struct prog *g = a->g;
	int p = a->id;

	for (int i = 0; i < g->nops[p]; i++) {
		uint8_t op = g->ops[p][i];
		int c = (op >> 3) % g->nchan, c2 = (c + 1) % g->nchan;
		int v;
		switch (op & 7) {
		case 0:
		case 1:
		case 2:
			v = pack(p, c, g->sent[p][c]);
			goc_chan_send(g->ch[c], &v);
			g->sent[p][c]++;
			break;
		case 3: {
			/* The value names its channel, so it is built per case.
			 */
			int v1 = pack(p, c, g->sent[p][c]);
			int v2 = pack(p, c2, g->sent[p][c2]);
			goc_case_t cs[2] = {GOC_SEND(g->ch[c], &v1),
					    GOC_SEND(g->ch[c2], &v2)};
			int k = goc_select(cs, c == c2 ? 1 : 2);
			g->sent[p][k == 0 ? c : c2]++;
			break;
		}
		case 4: {
			v = pack(p, c, g->sent[p][c]);
			goc_case_t cs[1] = {GOC_SEND(g->ch[c], &v)};
			if (goc_select_try(cs, 1) == 0)
				g->sent[p][c]++;
			break;
		}
		case 5:
			goc_mutex_lock(&g->mu);
			if (g->inside++ != 0)
				fail("two goroutines inside the mutex");
			goc_yield();
			g->count++;
			g->inside--;
			goc_mutex_unlock(&g->mu);
			break;
		case 6:
			goc_yield();
			break;
		default:
			goc_sleep((int64_t)(op >> 3) * 1000);
			break;
		}
	}
	free(a);
	goc_wg_done(&g->prod_wg);
}

static void
consumer(void *arg)
{
	struct pargs *a = arg;
	struct prog *g = a->g;
	bool open[MAXC];
	int last[MAXP][MAXC];
	int nopen = g->nchan;

	memset(last, 0xff, sizeof(last));
	for (int c = 0; c < g->nchan; c++)
		open[c] = true;
	while (nopen > 0) {
		int v[MAXC];
		bool ok[MAXC];
		goc_case_t cs[MAXC];
		for (int c = 0; c < g->nchan; c++)
			cs[c] = goc_case_recv(open[c] ? g->ch[c] : NULL, &v[c],
					      &ok[c]);
		int k;
		if (a->id & 1) {
			k = goc_select_try(cs, (size_t)g->nchan);
			if (k < 0) {
				goc_yield();
				continue;
			}
		} else {
			k = goc_select(cs, (size_t)g->nchan);
		}
		if (!ok[k]) {
			open[k] = false;
			nopen--;
			continue;
		}
		int p = v[k] >> 16, c = (v[k] >> 8) & 0xff, seq = v[k] & 0xff;
		if (p >= g->nprod || c != k || seq >= MAXOPS)
			fail("a value that was never sent");
		goc_mutex_lock(&g->mu);
		if (g->got[p][c][seq]++ != 0)
			fail("a value received twice");
		goc_mutex_unlock(&g->mu);
		if (seq <= last[p][c])
			fail("a channel reordered one sender's values");
		last[p][c] = seq;
	}
	free(a);
	goc_wg_done(&g->cons_wg);
}

static void
closer(void *arg)
{
	struct prog *g = arg;
	goc_wg_wait(&g->prod_wg);
	for (int c = 0; c < g->nchan; c++)
		goc_chan_close(g->ch[c]);
}

static int
prog_main(void *arg)
{
	struct prog *g = arg;

	for (int c = 0; c < g->nchan; c++)
		g->ch[c] = goc_chan_make(sizeof(int), g->cap[c]);
	goc_wg_add(&g->prod_wg, g->nprod);
	goc_wg_add(&g->cons_wg, g->ncons);
	for (int i = 0; i < g->ncons; i++) {
		struct pargs *a = malloc(sizeof(*a));
		*a = (struct pargs){g, i};
		goc_go(consumer, a);
	}
	for (int i = 0; i < g->nprod; i++) {
		struct pargs *a = malloc(sizeof(*a));
		*a = (struct pargs){g, i};
		goc_go(producer, a);
	}
	goc_go(closer, g);
	goc_wg_wait(&g->cons_wg);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prog *g = calloc(1, sizeof(*g));
	size_t i = 0;
#define NEXT() (i < size ? data[i++] : 0)

	g->nprod = 1 + NEXT() % MAXP;
	g->nchan = 1 + NEXT() % MAXC;
	for (int c = 0; c < g->nchan; c++)
		g->cap[c] = NEXT() % 4;
	g->ncons = 1 + NEXT() % 3;
	for (int p = 0; p < g->nprod; p++) {
		g->nops[p] = NEXT() % MAXOPS;
		for (int k = 0; k < g->nops[p]; k++) {
			g->ops[p][k] = NEXT();
			if ((g->ops[p][k] & 7) == 5)
				g->want_count++;
		}
	}
#undef NEXT
	goc__sim_restart_bytes(data + i, size - i);
	goc_run(prog_main, g);
	const char *why = sim_settle();
	if (why != NULL)
		fail(why);
	for (int p = 0; p < g->nprod; p++)
		for (int c = 0; c < g->nchan; c++)
			for (int s = 0; s < MAXOPS; s++)
				if (g->got[p][c][s] != (s < g->sent[p][c]))
					fail("a sent value was lost");
	if (g->count != g->want_count)
		fail("the mutex counter does not add up");
	for (int c = 0; c < g->nchan; c++)
		goc_chan_release(g->ch[c]);
	free(g);
	return 0;
}
