/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: goc_ring_t operation sequences checked against a
 * sequential model (a plain FIFO array).
 *
 * Input: the first byte picks the capacity (1 << (byte % 11), 1..1024);
 * each further byte is one operation, its low three bits the kind:
 *   0-2  push one value (NULL when bit 3 is set, else the next number)
 *   3    pop one value
 *   4    push up to (byte >> 3) values, stopping at the first refusal
 *   5    pop up to (byte >> 3) values, stopping at the first refusal
 *   6    check len and cap
 *   7    destroy, and init again with capacity 1 << ((byte >> 3) % 11)
 * Every result must match the model: push refused exactly when the model
 * holds cap values, pop refused exactly when it is empty and otherwise
 * returning the model's oldest value, len and cap equal. A mismatch
 * prints the step and aborts (a crash for libFuzzer, a failed case for
 * the corpus replay in make check).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <goconc/ring.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct model {
	uintptr_t v[1024];
	size_t head, n, cap;
};

static void
mismatch(size_t step, const char *what, uintptr_t got, uintptr_t want)
{
	fprintf(stderr, "fuzz/ring: step %zu: %s: got %#lx, want %#lx\n", step,
		what, (unsigned long)got, (unsigned long)want);
	abort();
}

static void
ring_init(goc_ring_t *r, struct model *m, unsigned order)
{
	m->cap = (size_t)1 << (order % 11);
	m->head = 0;
	m->n = 0;
	if (goc_ring_init(r, m->cap) != 0) {
		fprintf(stderr, "fuzz/ring: goc_ring_init(%zu) failed\n",
			m->cap);
		abort();
	}
}

/* One push; false when the ring (and the model) refused it. */
static bool
push(goc_ring_t *r, struct model *m, uintptr_t v, size_t step)
{
	bool ok = goc_ring_push(r, (void *)v);
	if (ok != (m->n < m->cap))
		mismatch(step, "push accepted", ok, m->n < m->cap);
	if (ok)
		m->v[(m->head + m->n++) % m->cap] = v;
	return ok;
}

static bool
pop(goc_ring_t *r, struct model *m, size_t step)
{
	void *v = (void *)(uintptr_t)0xdead;
	bool ok = goc_ring_pop(r, &v);
	if (ok != (m->n > 0))
		mismatch(step, "pop succeeded", ok, m->n > 0);
	if (!ok) {
		if (v != (void *)(uintptr_t)0xdead)
			mismatch(step, "failed pop wrote", (uintptr_t)v,
				 0xdead);
		return false;
	}
	if ((uintptr_t)v != m->v[m->head])
		mismatch(step, "popped value", (uintptr_t)v, m->v[m->head]);
	m->head = (m->head + 1) % m->cap;
	m->n--;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	goc_ring_t r;
	uintptr_t next = 1;

	if (size == 0)
		return 0;
	ring_init(&r, &m, data[0]);
	for (size_t i = 1; i < size; i++) {
		uint8_t b = data[i];
		unsigned count = b >> 3;

		switch (b & 7) {
		case 0:
		case 1:
		case 2:
			push(&r, &m, (b & 8) ? 0 : next++, i);
			break;
		case 3:
			pop(&r, &m, i);
			break;
		case 4:
			while (count-- > 0 && push(&r, &m, next++, i))
				;
			break;
		case 5:
			while (count-- > 0 && pop(&r, &m, i))
				;
			break;
		case 6:
			if (goc_ring_len(&r) != m.n)
				mismatch(i, "len", goc_ring_len(&r), m.n);
			if (goc_ring_cap(&r) != m.cap)
				mismatch(i, "cap", goc_ring_cap(&r), m.cap);
			break;
		case 7:
			goc_ring_destroy(&r);
			ring_init(&r, &m, count);
			break;
		}
	}
	/* Drain: everything left comes out in order, then nothing. */
	while (pop(&r, &m, size))
		;
	goc_ring_destroy(&r);
	return 0;
}
