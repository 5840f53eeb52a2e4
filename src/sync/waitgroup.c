/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_wg_t, after Go 1.25 sync/waitgroup.go (Add, Done, Wait, Go).
 *
 * State: one 64-bit word (atomic, seq_cst), the counter in the high 32
 * bits (signed) and the number of parked waiters in the low 32, plus a
 * semaphore the waiters sleep on.
 *
 * Invariants: waiters are counted only while the counter is positive;
 * the Add that brings the counter to zero with waiters present is the
 * only writer at that moment (no Add or Wait may race it: that is the
 * documented misuse Go detects), resets the word to 0 and releases the
 * semaphore once per waiter. A waiter that wakes finds the word 0 unless
 * the group was reused too early.
 *
 * Memory model: Done's atomic add (release side) is read by the add that
 * reaches zero, whose semrelease is acquired by the woken waiter; a Wait
 * that returns without sleeping reads the counter's 0 with a seq_cst load
 * that observes every Done's add.
 *
 * Race builds (rt/race.h) report Go's edges: every Done (a negative Add)
 * releases the group, every Wait that returns acquires it; the Add that
 * starts a round from zero reads the semaphore word and the first waiter
 * writes it, so an Add racing a Wait is reported as Go reports it.
 */
/* This file defines the out-of-line functions the header's inline fast
 * paths stand in for. */
#define GOC_NO_INLINE 1
#include <stdlib.h>

#include "goconc/sched.h"
#include "goconc/sync.h"
#include "rt/race.h"
#include "sched/runtime2.h"
#include "sync/sema.h"

void
goc_wg_add(goc_wg_t *wg, int delta)
{
	if (delta < 0)
		goc__race_release(wg);
	GOC_SIM_POINT();
	uint64_t state = __atomic_add_fetch(
		&wg->_state, (uint64_t)(int64_t)delta << 32, __ATOMIC_SEQ_CST);

	goc_wg_add_slow(wg, delta, state);
}

/* The rest of Add once the counter has moved (the inline fast path in
 * sync.h comes here unless the result is plainly fine). */
void
goc_wg_add_slow(goc_wg_t *wg, int delta, uint64_t state)
{
	int32_t v = (int32_t)(state >> 32);
	uint32_t w = (uint32_t)state;

	if (GOC_RACE_ENABLED && delta > 0 && v == delta)
		goc__race_read(&wg->_sema, sizeof(wg->_sema),
			       GOC_RACE_CALLERPC());
	if (v < 0)
		goc_panic("sync: negative WaitGroup counter");
	if (w != 0 && delta > 0 && v == delta)
		goc_panic("sync: WaitGroup misuse: Add called concurrently "
			  "with Wait");
	if (v > 0 || w == 0)
		return;
	/* Counter zero with waiters: nobody may change the state now. */
	if (__atomic_load_n(&wg->_state, __ATOMIC_SEQ_CST) != state)
		goc_panic("sync: WaitGroup misuse: Add called concurrently "
			  "with Wait");
	__atomic_store_n(&wg->_state, 0, __ATOMIC_SEQ_CST);
	for (; w != 0; w--)
		goc__semrelease(&wg->_sema, false);
}

void
goc_wg_done(goc_wg_t *wg)
{
	goc_wg_add(wg, -1);
}

void
goc_wg_wait(goc_wg_t *wg)
{
	uint64_t state = __atomic_load_n(&wg->_state, __ATOMIC_SEQ_CST);

	for (;;) {
		if ((int32_t)(state >> 32) == 0) {
			goc__race_acquire(wg);
			return;
		}
		/* Count ourselves as a waiter. */
		if (__atomic_compare_exchange_n(&wg->_state, &state, state + 1,
						false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST)) {
			if (GOC_RACE_ENABLED && (uint32_t)state == 0)
				goc__race_write(&wg->_sema, sizeof(wg->_sema),
						GOC_RACE_CALLERPC());
			goc__semacquire(&wg->_sema, false,
					GOC_WAIT_SYNC_WAITGROUP_WAIT);
			if (__atomic_load_n(&wg->_state, __ATOMIC_SEQ_CST) != 0)
				goc_panic("sync: WaitGroup is reused before "
					  "previous Wait has returned");
			goc__race_acquire(wg);
			return;
		}
	}
}

struct wg_go {
	goc_wg_t *wg;
	void (*fn)(void *);
	void *arg;
};

static void
wg_go_main(void *p)
{
	struct wg_go a = *(struct wg_go *)p;

	free(p);
	a.fn(a.arg);
	goc_wg_done(a.wg);
}

int
goc_wg_go(goc_wg_t *wg, void (*fn)(void *), void *arg)
{
	struct wg_go *a = malloc(sizeof(*a));

	if (a == NULL)
		return GOC_ENOMEM;
	a->wg = wg;
	a->fn = fn;
	a->arg = arg;
	goc_wg_add(wg, 1);
	int err = goc_go(wg_go_main, a);
	if (err != 0) {
		free(a);
		goc_wg_done(wg);
	}
	return err;
}
