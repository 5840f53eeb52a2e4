/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linearizability checking for bounded FIFO histories (see lincheck.h).
 *
 * The search state is the set of operations already linearized (a bit
 * mask) and the queue contents (the push operations whose values are in
 * it, oldest first). An operation may be linearized next when it was
 * invoked before every remaining operation returned (Lowe's "minimal"
 * operations); taking the earliest feasible moment for each operation
 * keeps later choices open, and that moment depends on the mask alone, so
 * (mask, contents) identifies a state and failed states are memoised.
 */
#include "lincheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LC_STATE_BUDGET (1L << 22)

struct memo {
	uint64_t *mask, *code; /* code UINT64_MAX marks a free slot */
	size_t size, used;     /* size is a power of two */
};

struct search {
	const struct lc_op *ops;
	int n;
	size_t cap;
	enum lc_model model;
	int pushed_by[LC_MAX_OPS]; /* pop i: the push of its value, or -1 */
	uint64_t all;
	struct memo memo;
	long states;
	bool too_hard;
	bool nomem;
};

static uint64_t
mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

static bool
memo_grow(struct memo *m)
{
	size_t size = m->size ? m->size * 2 : 1024;
	uint64_t *mask = malloc(size * sizeof(*mask));
	uint64_t *code = malloc(size * sizeof(*code));

	if (mask == NULL || code == NULL) {
		free(mask);
		free(code);
		return false;
	}
	memset(code, 0xff, size * sizeof(*code));
	for (size_t i = 0; i < m->size; i++) {
		if (m->code[i] == UINT64_MAX)
			continue;
		size_t j = mix(m->mask[i], m->code[i]) & (size - 1);
		while (code[j] != UINT64_MAX)
			j = (j + 1) & (size - 1);
		mask[j] = m->mask[i];
		code[j] = m->code[i];
	}
	free(m->mask);
	free(m->code);
	m->mask = mask;
	m->code = code;
	m->size = size;
	return true;
}

/* memo_insert returns false if (mask, code) was already there. */
static bool
memo_insert(struct search *s, uint64_t mask, uint64_t code)
{
	struct memo *m = &s->memo;

	if ((m->used + 1) * 4 > m->size * 3 && !memo_grow(m)) {
		s->nomem = true;
		return false;
	}
	size_t j = mix(mask, code) & (m->size - 1);
	while (m->code[j] != UINT64_MAX) {
		if (m->mask[j] == mask && m->code[j] == code)
			return false;
		j = (j + 1) & (m->size - 1);
	}
	m->mask[j] = mask;
	m->code[j] = code;
	m->used++;
	return true;
}

static uint64_t
encode(const int *q, int len)
{
	uint64_t code = 0;

	for (int k = 0; k < len; k++)
		code |= (uint64_t)(q[k] + 1) << (7 * k);
	return code;
}

/*
 * LC_SLOTS: may push x report "full" at some moment tau in [lo, hi)?
 * Slots held at tau: successful pushes not yet linearized that were
 * invoked by tau, and successful pops already linearized that had not
 * returned by tau. The count only grows at push invocations, so those
 * (and lo) are the moments worth trying.
 */
static bool
slots_full(const struct search *s, uint64_t mask, int x, int qlen, uint64_t lo,
	   uint64_t hi)
{
	const struct lc_op *ops = s->ops;

	for (int c = -1; c < s->n; c++) {
		uint64_t tau = lo;
		if (c >= 0) {
			if (c == x || (mask >> c) & 1 ||
			    ops[c].kind != LC_PUSH || !ops[c].ok ||
			    ops[c].inv <= lo || ops[c].inv >= hi)
				continue;
			tau = ops[c].inv;
		}
		size_t held = 0;
		for (int y = 0; y < s->n; y++) {
			if (y == x || !ops[y].ok)
				continue;
			bool lin = (mask >> y) & 1;
			if (ops[y].kind == LC_PUSH && !lin && ops[y].inv <= tau)
				held++;
			else if (ops[y].kind == LC_POP && lin &&
				 ops[y].res > tau)
				held++;
		}
		if ((size_t)qlen + held >= s->cap)
			return true;
	}
	return false;
}

static bool
search(struct search *s, uint64_t mask, const int *q, int qlen, uint64_t now)
{
	const struct lc_op *ops = s->ops;
	uint64_t minres = UINT64_MAX;

	if (mask == s->all)
		return true;
	if (!memo_insert(s, mask, encode(q, qlen)))
		return false;
	if (++s->states > LC_STATE_BUDGET) {
		s->too_hard = true;
		return false;
	}
	for (int i = 0; i < s->n; i++)
		if (!((mask >> i) & 1) && ops[i].res < minres)
			minres = ops[i].res;

	for (int i = 0; i < s->n && !s->too_hard && !s->nomem; i++) {
		const struct lc_op *o = &ops[i];
		int nq[LC_MAX_CAP];
		int nlen = qlen;
		uint64_t lo = o->inv > now ? o->inv : now;

		if ((mask >> i) & 1 || o->inv >= minres)
			continue;
		memcpy(nq, q, sizeof(int) * (size_t)qlen);
		if (o->kind == LC_PUSH && o->ok) {
			if ((size_t)qlen >= s->cap)
				continue;
			nq[nlen++] = i;
		} else if (o->kind == LC_PUSH) {
			bool full = (size_t)qlen >= s->cap;
			if (!full && s->model == LC_SLOTS)
				full = slots_full(s, mask, i, qlen, lo, minres);
			if (!full)
				continue;
		} else if (o->ok) {
			if (qlen == 0 || q[0] != s->pushed_by[i])
				continue;
			memmove(nq, nq + 1, sizeof(int) * (size_t)--nlen);
		} else if (qlen != 0) {
			continue;
		}
		if (search(s, mask | (uint64_t)1 << i, nq, nlen, lo))
			return true;
	}
	return false;
}

enum lc_result
lc_check(const struct lc_op *ops, int n, size_t cap, enum lc_model model,
	 long *states)
{
	struct search s = {0};
	enum lc_result r;
	bool ok;

	if (states != NULL)
		*states = 0;
	if (n < 0 || n > LC_MAX_OPS || cap < 1 || cap > LC_MAX_CAP)
		return LC_MALFORMED;
	s.ops = ops;
	s.n = n;
	s.cap = cap;
	s.model = model;
	s.all = n == 64 ? UINT64_MAX : ((uint64_t)1 << n) - 1;
	for (int i = 0; i < n; i++) {
		if (ops[i].inv >= ops[i].res)
			return LC_MALFORMED;
		s.pushed_by[i] = -1;
		for (int j = 0; j < n; j++) {
			if (j == i)
				continue;
			if (ops[i].inv == ops[j].inv ||
			    ops[i].inv == ops[j].res ||
			    ops[i].res == ops[j].res)
				return LC_MALFORMED;
			if (ops[j].kind != LC_PUSH ||
			    ops[j].value != ops[i].value)
				continue;
			if (ops[i].kind == LC_PUSH)
				return LC_MALFORMED; /* a value pushed twice */
			if (ops[i].ok)
				s.pushed_by[i] = ops[j].ok ? j : -1;
		}
		/* A pop of a value nobody pushed fails in search(). */
	}
	int q0[LC_MAX_CAP] = {0};
	ok = search(&s, 0, q0, 0, 0);
	if (states != NULL)
		*states = s.states;
	free(s.memo.mask);
	free(s.memo.code);
	if (s.too_hard || s.nomem)
		r = LC_TOO_HARD;
	else
		r = ok ? LC_LINEARIZABLE : LC_NOT_LINEARIZABLE;
	return r;
}

const char *
lc_result_name(enum lc_result r)
{
	switch (r) {
	case LC_LINEARIZABLE:
		return "linearizable";
	case LC_NOT_LINEARIZABLE:
		return "NOT linearizable";
	case LC_MALFORMED:
		return "malformed history";
	case LC_TOO_HARD:
		return "search budget exceeded";
	}
	return "?";
}

void
lc_format(const struct lc_op *ops, int n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; i < n && len < size; i++) {
		const struct lc_op *o = &ops[i];
		int w;
		if (o->kind == LC_PUSH)
			w = snprintf(buf + len, size - len,
				     "  t%d [%llu,%llu] push(%llu) -> %s\n",
				     o->thread, (unsigned long long)o->inv,
				     (unsigned long long)o->res,
				     (unsigned long long)o->value,
				     o->ok ? "ok" : "full");
		else if (o->ok)
			w = snprintf(buf + len, size - len,
				     "  t%d [%llu,%llu] pop() -> %llu\n",
				     o->thread, (unsigned long long)o->inv,
				     (unsigned long long)o->res,
				     (unsigned long long)o->value);
		else
			w = snprintf(buf + len, size - len,
				     "  t%d [%llu,%llu] pop() -> empty\n",
				     o->thread, (unsigned long long)o->inv,
				     (unsigned long long)o->res);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}
