/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: goc_map_t operation sequences checked against a
 * sequential model (an array indexed by key), differentially, as Go's
 * TestMapMatchesRWMutex does.
 *
 * Keys are the integers 0..31 (goc_map_type_int), values are non-zero
 * integers made from the input. Each operation takes two bytes: the
 * first's low four bits pick the operation, its high four bits and the
 * second byte's low bit the key, the second byte the value:
 *   0  load            5  swap
 *   1  store           6  compare_and_swap (old: the model's value or a
 *   2  load_or_store                        wrong one, by a value bit)
 *   3  load_and_delete 7  compare_and_delete (the same)
 *   4  delete          8  range: every present key exactly once
 *   9  clear           10 many loads of one key (promotes the dirty map)
 *   11 release and make a new map (models empty)
 * Every result must match the model; range must visit the model's keys,
 * each once, with its values. A mismatch prints the step and aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <goconc/common.h>
#include <goconc/map.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NKEYS 32

struct model {
	uintptr_t v[NKEYS]; /* 0: absent */
};

static void
mismatch(size_t step, const char *what, uintptr_t got, uintptr_t want)
{
	fprintf(stderr, "fuzz/map: step %zu: %s: got %#lx, want %#lx\n", step,
		what, (unsigned long)got, (unsigned long)want);
	abort();
}

static void *
K(unsigned k)
{
	return (void *)(uintptr_t)k;
}

static void *
V(uintptr_t v)
{
	return (void *)v;
}

struct seen {
	const struct model *m;
	int count[NKEYS];
	size_t step;
};

static bool
range_fn(const void *key, void *val, void *arg)
{
	struct seen *s = arg;
	uintptr_t k = (uintptr_t)key;

	if (k >= NKEYS)
		mismatch(s->step, "range key in range", k, NKEYS);
	if (++s->count[k] != 1)
		mismatch(s->step, "range visits a key once", k, 1);
	if ((uintptr_t)val != s->m->v[k])
		mismatch(s->step, "range value", (uintptr_t)val, s->m->v[k]);
	return true;
}

static goc_map_t *
new_map(void)
{
	goc_map_t *m = goc_map_new(&goc_map_type_int);
	if (m == NULL) {
		fprintf(stderr, "fuzz/map: goc_map_new failed\n");
		abort();
	}
	return m;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model md = {{0}};
	goc_map_t *m = new_map();

	for (size_t i = 0, step = 0; i + 1 < size; i += 2, step++) {
		unsigned op = data[i] & 15;
		unsigned k =
			((data[i] >> 4) | ((data[i + 1] & 1u) << 4)) % NKEYS;
		uintptr_t val = (uintptr_t)data[i + 1] + 1 + (step << 9);
		uintptr_t have = md.v[k];
		void *got = NULL;
		int r;

		switch (op) {
		case 0:
			if (goc_map_load(m, K(k), &got) != (have != 0))
				mismatch(step, "load found", have == 0, have);
			if (have != 0 && (uintptr_t)got != have)
				mismatch(step, "load value", (uintptr_t)got,
					 have);
			break;
		case 1:
			if (goc_map_store(m, K(k), V(val)) != 0)
				mismatch(step, "store", 1, 0);
			md.v[k] = val;
			break;
		case 2:
			r = goc_map_load_or_store(m, K(k), V(val), &got);
			if (r != (have != 0))
				mismatch(step, "load_or_store loaded",
					 (uintptr_t)r, have != 0);
			if ((uintptr_t)got != (have != 0 ? have : val))
				mismatch(step, "load_or_store actual",
					 (uintptr_t)got,
					 have != 0 ? have : val);
			if (have == 0)
				md.v[k] = val;
			break;
		case 3:
			if (goc_map_load_and_delete(m, K(k), &got) !=
			    (have != 0))
				mismatch(step, "load_and_delete found",
					 have == 0, have);
			if (have != 0 && (uintptr_t)got != have)
				mismatch(step, "load_and_delete value",
					 (uintptr_t)got, have);
			md.v[k] = 0;
			break;
		case 4:
			goc_map_delete(m, K(k));
			md.v[k] = 0;
			break;
		case 5:
			r = goc_map_swap(m, K(k), V(val), &got);
			if (r != (have != 0))
				mismatch(step, "swap loaded", (uintptr_t)r,
					 have != 0);
			if (have != 0 && (uintptr_t)got != have)
				mismatch(step, "swap previous", (uintptr_t)got,
					 have);
			md.v[k] = val;
			break;
		case 6: {
			/* old: the present value, or one that is not. */
			uintptr_t old = (val & 2) ? have : have + 1;
			bool want = have != 0 && old == have;
			r = goc_map_compare_and_swap(m, K(k), V(old), V(val));
			if (r != (int)want)
				mismatch(step, "compare_and_swap", (uintptr_t)r,
					 want);
			if (want)
				md.v[k] = val;
			break;
		}
		case 7: {
			uintptr_t old = (val & 2) ? have : have + 1;
			bool want = have != 0 && old == have;
			if (goc_map_compare_and_delete(m, K(k), V(old)) != want)
				mismatch(step, "compare_and_delete", !want,
					 want);
			if (want)
				md.v[k] = 0;
			break;
		}
		case 8: {
			struct seen s = {&md, {0}, step};
			if (goc_map_range(m, range_fn, &s) != 0)
				mismatch(step, "range", 1, 0);
			for (unsigned j = 0; j < NKEYS; j++)
				if (s.count[j] != (md.v[j] != 0))
					mismatch(step, "range visited",
						 (uintptr_t)s.count[j],
						 md.v[j] != 0);
			break;
		}
		case 9:
			goc_map_clear(m);
			for (unsigned j = 0; j < NKEYS; j++)
				md.v[j] = 0;
			break;
		case 10:
			for (int n = 0; n < 40; n++)
				if (goc_map_load(m, K(k), NULL) != (have != 0))
					mismatch(step, "repeated load",
						 have == 0, have);
			break;
		case 11:
			goc_map_release(m);
			m = new_map();
			for (unsigned j = 0; j < NKEYS; j++)
				md.v[j] = 0;
			break;
		default:
			break; /* 12-15: no operation */
		}
	}
	goc_map_release(m);
	return 0;
}
