/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_once_t and goc_once_value_t, after Go 1.25 sync/once.go (Do,
 * doSlow) and sync/oncefunc.go (OnceValue).
 *
 * _done is 0 until fn has returned, then 1 for ever (atomic). The slow
 * path runs fn under _m, so concurrent callers wait for it; _done is set
 * only after fn returns (Go's deferred store), so no caller returns before
 * fn has finished. A panicking fn aborts the program in libgoconc (no
 * recover), which settles Go's "panicking f counts as returned" rule.
 *
 * Memory model: the store-release of _done after fn pairs with the
 * load-acquire of the fast path: fn's effects are visible to every caller
 * that sees 1. Callers on the slow path are ordered by _m.
 *
 * Race builds (rt/race.h): as Go's atomic done flag, setting it releases
 * the Once and every caller that sees it set acquires it.
 */
/* This file defines the out-of-line functions the header's inline fast
 * paths stand in for. */
#define GOC_NO_INLINE 1
#include "goconc/sync.h"
#include "rt/race.h"

void
goc_once_do(goc_once_t *o, void (*fn)(void *), void *arg)
{
	/* Acquire pairs with the release store below. */
	if (__atomic_load_n(&o->_done, __ATOMIC_ACQUIRE) != 0) {
		goc__race_acquire(o);
		return;
	}
	goc_mutex_lock(&o->_m);
	/* Under _m, which orders this read after any earlier store. */
	if (__atomic_load_n(&o->_done, __ATOMIC_RELAXED) == 0) {
		fn(arg);
		goc__race_release(o);
		/* Release: publishes fn's effects to the fast path. */
		__atomic_store_n(&o->_done, 1, __ATOMIC_RELEASE);
	}
	goc_mutex_unlock(&o->_m);
}

bool
goc_once_done(goc_once_t *o)
{
	/* Acquire: a true answer makes fn's effects visible. */
	if (__atomic_load_n(&o->_done, __ATOMIC_ACQUIRE) == 0)
		return false;
	goc__race_acquire(o);
	return true;
}

static void
once_value_run(void *p)
{
	goc_once_value_t *ov = p;

	/* Written before _done's release store in goc_once_do. */
	ov->_value = ov->_fn(ov->_arg);
}

void *
goc_once_value_get(goc_once_value_t *ov)
{
	goc_once_do(&ov->_once, once_value_run, ov);
	/* goc_once_do's acquire (or _m) ordered this read after the write. */
	return ov->_value;
}
