/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Channel torture, time-boxed by GOC_STRESS_SECONDS: producers send
 * (producer id, sequence number) pairs through a mix of plain sends,
 * non-blocking sends and selects over several channels of different
 * capacities; consumers receive with non-blocking receives and selects. Checks
 * exactly-once delivery (every sequence number of every producer arrives once)
 * and per-producer FIFO order on each channel. Some consumers are foreign
 * threads. Random yields shuffle the interleavings.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <goconc.h>

#include "../tests/harness.h"

enum { NCHAN = 3, NPROD = 6, NCONS = 4, NFOREIGN = 2 };

struct item {
	int32_t prod;
	int32_t chan;
	int64_t seq;
};

struct world {
	goc_chan_t *c[NCHAN];
	goc_chan_t *done;
	int64_t deadline;
	int64_t sent[NPROD]; /* (producer p) items sent; read after join */
	unsigned char *seen[NPROD]; /* (atomic bytes) deliveries per seq */
	int64_t cap_seq;
	goc_atomic_int64_t producers;
	goc_atomic_int64_t errors;
};

static struct world W;

static void
maybe_yield(uint64_t r)
{
	if (r % 8 == 0)
		goc_yield();
}

static void
producer(void *arg)
{
	int p = (int)(intptr_t)arg;
	int64_t seq = 0;
	while (seq < W.cap_seq && goc_now() < W.deadline) {
		uint64_t r = goc_test_rand();
		struct item it = {p, 0, seq};
		int how = (int)(r % 3);
		if (how == 0) {
			it.chan = (int)((r >> 8) % NCHAN);
			goc_chan_send(W.c[it.chan], &it);
		} else if (how == 1) {
			it.chan = (int)((r >> 8) % NCHAN);
			if (!goc_chan_try_send(W.c[it.chan], &it))
				continue;
		} else {
			/* The chosen case says which channel got it; the
			 * value names all of them, fixed up by the receiver
			 * from the channel it came from. */
			struct item v[NCHAN];
			goc_case_t cs[NCHAN];
			for (int k = 0; k < NCHAN; k++) {
				v[k] = (struct item){p, k, seq};
				cs[k] = GOC_SEND(W.c[k], &v[k]);
			}
			goc_select(cs, NCHAN);
		}
		seq++;
		maybe_yield(r >> 16);
	}
	W.sent[p] = seq;
	if (goc_atomic_int64_add(&W.producers, -1) == 0)
		for (int k = 0; k < NCHAN; k++)
			goc_chan_close(W.c[k]);
}

static void
got(const struct item *it, int from, int64_t last[NPROD][NCHAN])
{
	if (it->prod < 0 || it->prod >= NPROD || it->chan != from ||
	    it->seq < 0 || it->seq >= W.cap_seq) {
		goc_atomic_int64_add(&W.errors, 1);
		return;
	}
	if (it->seq <= last[it->prod][from])
		goc_atomic_int64_add(&W.errors, 1); /* FIFO broken */
	last[it->prod][from] = it->seq;
	__atomic_add_fetch(&W.seen[it->prod][it->seq], 1, __ATOMIC_RELAXED);
}

static void
consume(void)
{
	int64_t last[NPROD][NCHAN];
	for (int i = 0; i < NPROD; i++)
		for (int k = 0; k < NCHAN; k++)
			last[i][k] = -1;
	bool open[NCHAN] = {true, true, true};
	int nopen = NCHAN;
	while (nopen > 0) {
		uint64_t r = goc_test_rand();
		struct item it;
		if (r % 2 == 0) {
			/* A blocking receive on one channel could wait
			 * forever while every producer blocks on another:
			 * the plain form here is the non-blocking one. */
			int k = (int)((r >> 4) % NCHAN);
			if (!open[k])
				continue;
			int rc = goc_chan_try_recv(W.c[k], &it);
			if (rc == GOC_CHAN_OK) {
				got(&it, k, last);
			} else if (rc == GOC_CHAN_CLOSED) {
				open[k] = false;
				nopen--;
			}
		} else {
			bool ok[NCHAN];
			struct item v[NCHAN];
			goc_case_t cs[NCHAN];
			for (int k = 0; k < NCHAN; k++)
				cs[k] = GOC_RECV_OK(open[k] ? W.c[k] : NULL,
						    &v[k], &ok[k]);
			int k = goc_select(cs, NCHAN);
			if (ok[k])
				got(&v[k], k, last);
			else {
				open[k] = false;
				nopen--;
			}
		}
		maybe_yield(r >> 20);
	}
}

static void
consumer(void *arg)
{
	(void)arg;
	consume();
	goc_chan_send(W.done, NULL);
}

static void *
foreign_consumer(void *arg)
{
	(void)arg;
	consume();
	goc_chan_send(W.done, NULL);
	return NULL;
}

static int
stress_main(void *arg)
{
	(void)arg;
	for (int p = 0; p < NPROD; p++)
		goc_go(producer, (void *)(intptr_t)p);
	for (int i = 0; i < NCONS; i++)
		goc_go(consumer, NULL);
	for (int i = 0; i < NCONS + NFOREIGN; i++)
		goc_chan_recv(W.done, NULL);
	return 0;
}

GOC_TEST(chan_exactly_once)
{
	size_t caps[NCHAN] = {0, 1, 16};
	for (int k = 0; k < NCHAN; k++)
		W.c[k] = goc_chan_make(sizeof(struct item), caps[k]);
	W.done = goc_chan_make(0, NCONS + NFOREIGN);
	W.cap_seq = goc_test_scaled(2000000);
	for (int p = 0; p < NPROD; p++)
		W.seen[p] = calloc((size_t)W.cap_seq, 1);
	goc_atomic_int64_store(&W.producers, NPROD);
	W.deadline = goc_now() + (int64_t)(goc_test_stress_seconds() * 1e9);
	pthread_t t[NFOREIGN];
	for (int i = 0; i < NFOREIGN; i++)
		pthread_create(&t[i], NULL, foreign_consumer, NULL);
	expect_int_eq(goc_run(stress_main, NULL), 0);
	for (int i = 0; i < NFOREIGN; i++)
		pthread_join(t[i], NULL);
	expect_int_eq(goc_atomic_int64_load(&W.errors), 0);
	int64_t total = 0;
	for (int p = 0; p < NPROD; p++) {
		for (int64_t s = 0; s < W.sent[p]; s++)
			if (W.seen[p][s] != 1) {
				goc_test_fail("producer %d seq %lld seen %d "
					      "times",
					      p, (long long)s, W.seen[p][s]);
				break;
			}
		total += W.sent[p];
		free(W.seen[p]);
	}
	expect_int_gt(total, 0);
	printf("# %lld items\n", (long long)total);
	for (int k = 0; k < NCHAN; k++)
		goc_chan_release(W.c[k]);
	goc_chan_release(W.done);
}
