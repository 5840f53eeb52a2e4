/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: the pool's deque (src/sync/poolchain.h), single
 * threaded, against a sequential model (a double-ended queue), for both
 * the fixed-size ring (goc_pooldequeue) and the growing chain of rings
 * (goc_poolchain) that goc_pool_t keeps per P.
 *
 * Input: each byte is one operation, its low two bits the kind:
 *   0  push_head of the next value (up to (byte >> 2) % 8 + 1 of them)
 *   1  pop_head: the newest value, or NULL when empty
 *   2  pop_tail: the oldest value, or NULL when empty
 *   3  with bit 2 clear: drain from the tail, checking order; with bit 2
 *      set: start over with an empty chain and a new ring
 * The ring has 8 slots (a push into a full ring is refused and the model
 * keeps it out); the chain grows, so its pushes always succeed. A
 * mismatch prints the step and aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/poolchain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RING      8
#define MODEL_CAP 4096

struct model {
	uintptr_t v[MODEL_CAP];
	size_t head, n; /* oldest at head, newest at head + n - 1 */
};

static void
mismatch(const char *which, size_t step, const char *what, uintptr_t got,
	 uintptr_t want)
{
	fprintf(stderr,
		"fuzz/pooldeque: %s: step %zu: %s: got %#lx, "
		"want %#lx\n",
		which, step, what, (unsigned long)got, (unsigned long)want);
	abort();
}

static void
m_push(struct model *m, uintptr_t v)
{
	m->v[(m->head + m->n++) % MODEL_CAP] = v;
}

static uintptr_t
m_pop_head(struct model *m)
{
	if (m->n == 0)
		return 0;
	return m->v[(m->head + --m->n) % MODEL_CAP];
}

static uintptr_t
m_pop_tail(struct model *m)
{
	if (m->n == 0)
		return 0;
	uintptr_t v = m->v[m->head];
	m->head = (m->head + 1) % MODEL_CAP;
	m->n--;
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct goc_poolchain chain;
	struct goc_pooldequeue *ring = goc__pooldequeue_new(RING);
	static struct model mc, mr;
	uintptr_t next = 1;

	if (ring == NULL)
		abort();
	memset(&chain, 0, sizeof(chain));
	memset(&mc, 0, sizeof(mc));
	memset(&mr, 0, sizeof(mr));
	for (size_t step = 0; step < size; step++) {
		uint8_t b = data[step];
		uintptr_t got, want;

		switch (b & 3) {
		case 0:
			for (int k = (b >> 2) % 8 + 1; k > 0; k--, next++) {
				if (mc.n < MODEL_CAP / 2) {
					if (!goc__poolchain_push_head(
						    &chain, (void *)next))
						mismatch("chain", step, "push",
							 0, 1);
					m_push(&mc, next);
				}
				bool ok = goc__pooldequeue_push_head(
					ring, (void *)next);
				if (ok != (mr.n < RING))
					mismatch("ring", step, "push accepted",
						 ok, mr.n < RING);
				if (ok)
					m_push(&mr, next);
			}
			break;
		case 1:
			got = (uintptr_t)goc__poolchain_pop_head(&chain);
			if (got != (want = m_pop_head(&mc)))
				mismatch("chain", step, "pop_head", got, want);
			got = (uintptr_t)goc__pooldequeue_pop_head(ring);
			if (got != (want = m_pop_head(&mr)))
				mismatch("ring", step, "pop_head", got, want);
			break;
		case 2:
			got = (uintptr_t)goc__poolchain_pop_tail(&chain);
			if (got != (want = m_pop_tail(&mc)))
				mismatch("chain", step, "pop_tail", got, want);
			got = (uintptr_t)goc__pooldequeue_pop_tail(ring);
			if (got != (want = m_pop_tail(&mr)))
				mismatch("ring", step, "pop_tail", got, want);
			break;
		default:
			if ((b & 4) == 0) {
				do {
					got = (uintptr_t)
						goc__poolchain_pop_tail(&chain);
					want = m_pop_tail(&mc);
					if (got != want)
						mismatch("chain", step, "drain",
							 got, want);
				} while (want != 0);
				break;
			}
			goc__poolchain_free(&chain);
			memset(&chain, 0, sizeof(chain));
			memset(&mc, 0, sizeof(mc));
			free(ring);
			ring = goc__pooldequeue_new(RING);
			if (ring == NULL)
				abort();
			memset(&mr, 0, sizeof(mr));
			break;
		}
	}
	goc__poolchain_free(&chain);
	free(ring);
	return 0;
}
