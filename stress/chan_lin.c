/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Channel linearizability, time-boxed: rounds of 2-8 plain threads doing
 * a few random non-blocking sends and receives (goc_chan_try_send,
 * goc_chan_try_recv) on buffered channels of capacity 1-8, each history
 * checked by lincheck.c against the strict sequential bounded FIFO (see
 * ring_lin.h). A channel has no "slots in progress" allowance: a
 * non-blocking send fails only if the channel was full at some moment
 * during it, and a receive reports empty only if it was empty. Half the
 * time every thread is pinned to one CPU.
 */
#include "config.h"

#include <goconc.h>

#include "../tests/harness.h"
#include "ring_lin.h"

static void *
chan_make(size_t cap)
{
	return goc_chan_make(sizeof(uint64_t), cap);
}

static void
chan_destroy(void *q)
{
	goc_chan_release(q);
}

static bool
chan_push(void *q, uint64_t v)
{
	return goc_chan_try_send(q, &v);
}

static bool
chan_pop(void *q, uint64_t *v)
{
	*v = 0;
	return goc_chan_try_recv(q, v) == GOC_CHAN_OK;
}

static const struct rl_queue chan_queue = {"goc_chan",   false,     chan_make,
					   chan_destroy, chan_push, chan_pop};

GOC_TEST(histories)
{
	rl_histories(goc_test_stress_seconds() / 2, false, &chan_queue);
}

GOC_TEST(histories_one_cpu)
{
#ifndef HAVE_PTHREAD_SETAFFINITY_NP
	goc_test_skip("no pthread_setaffinity_np");
#endif
	rl_histories(goc_test_stress_seconds() / 2, true, &chan_queue);
}
