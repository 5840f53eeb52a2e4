/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_mutex_t, after Go 1.25 internal/sync/mutex.go (Lock, lockSlow,
 * TryLock, Unlock, unlockSlow) and runtime/proc.go (sync_runtime_canSpin,
 * sync_runtime_doSpin). See docs/design/sync.md.
 *
 * State word (all atomic, seq_cst as Go's atomics):
 *   bit 0      MUTEX_LOCKED    the mutex is held
 *   bit 1      MUTEX_WOKEN     a woken or spinning waiter is on its way;
 *                              Unlock need not wake another
 *   bit 2      MUTEX_STARVING  starvation mode: Unlock hands ownership to
 *                              the first waiter, newcomers queue
 *   bits 3..31 waiters         goroutines parked (or about to park) on
 *                              _sema
 *
 * Invariants: in starvation mode the locked bit stays clear while
 * ownership passes by hand-off (the woken waiter sets it); a woken waiter
 * clears WOKEN when it next updates the state; the waiter count never
 * goes below zero. Normal mode lets newcomers barge (fast), starvation
 * mode is entered by a waiter that waited over 1 ms and left by the first
 * waiter that waited less or was the last.
 */
/* This file defines the out-of-line functions the header's inline fast
 * paths stand in for. */
#define GOC_NO_INLINE 1
#include "goconc/sync.h"
#include "rt/race.h"

#include "goconc/sched.h"
#include "internal/arch.h"
#include "internal/panic.h"
#include "os/os.h"
#include "sched/runtime2.h"
#include "sync/sema.h"

enum {
	MUTEX_LOCKED = 1,
	MUTEX_WOKEN = 2,
	MUTEX_STARVING = 4,
	MUTEX_WAITER_SHIFT = 3,
	ACTIVE_SPIN = 4,     /* spin rounds (runtime active_spin) */
	ACTIVE_SPIN_CNT = 30 /* pauses per round (active_spin_cnt) */
};

#define STARVATION_THRESHOLD_NS ((int64_t)1000000)

static int ncpu;

/*
 * can_spin is Go's sync_runtime_canSpin: spin only when it can help:
 * a few rounds, on a multicore machine, with GOMAXPROCS > 1, at least one
 * other P running (not idle, not spinning), and this P's local run queue
 * empty (otherwise run that work instead).
 */
static bool
can_spin(int iter)
{
	int n = __atomic_load_n(&ncpu, __ATOMIC_RELAXED);

	if (n == 0) {
		/* Racing initialisations store the same value: relaxed. */
		n = goc_os_ncpu();
		__atomic_store_n(&ncpu, n, __ATOMIC_RELAXED);
	}
	if (iter >= ACTIVE_SPIN || n <= 1)
		return false;
	/* Scheduler counters are hints here; relaxed reads as Go's. */
	int32_t procs =
		__atomic_load_n(&goc__sched.gomaxprocs, __ATOMIC_RELAXED);
	int32_t idle = __atomic_load_n(&goc__sched.npidle, __ATOMIC_RELAXED);
	int32_t spinning =
		__atomic_load_n(&goc__sched.nmspinning, __ATOMIC_RELAXED);
	if (procs <= idle + spinning + 1)
		return false;
	struct goc_m *m = goc__getm();
	if (m != NULL && m->p != NULL && !goc__runq_empty(m->p))
		return false;
	return true;
}

static void
do_spin(void)
{
	GOC_SIM_SPIN();
	for (int i = 0; i < ACTIVE_SPIN_CNT; i++)
		goc_arch_pause();
}

static int32_t
load_state(goc_mutex_t *m)
{
	return __atomic_load_n(&m->_state, __ATOMIC_SEQ_CST);
}

static bool
cas_state(goc_mutex_t *m, int32_t old, int32_t new)
{
	GOC_SIM_POINT();
	return __atomic_compare_exchange_n(&m->_state, &old, new, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static void GOC_NOINLINE
lock_slow(goc_mutex_t *m)
{
	int64_t wait_start = 0;
	bool starving = false;
	bool awoke = false;
	int iter = 0;
	int32_t old = load_state(m);

	for (;;) {
		/* Spin in normal mode only: in starvation mode ownership is
		 * handed to a waiter, so spinning cannot win the lock. */
		if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == MUTEX_LOCKED &&
		    can_spin(iter)) {
			/* Set WOKEN so that Unlock does not wake others
			 * while this one is about to take the lock. */
			if (!awoke && (old & MUTEX_WOKEN) == 0 &&
			    (old >> MUTEX_WAITER_SHIFT) != 0 &&
			    cas_state(m, old, old | MUTEX_WOKEN))
				awoke = true;
			do_spin();
			iter++;
			old = load_state(m);
			continue;
		}
		int32_t new = old;
		/* Don't grab a starving mutex: newcomers must queue. */
		if ((old & MUTEX_STARVING) == 0)
			new |= MUTEX_LOCKED;
		if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) != 0)
			new += 1 << MUTEX_WAITER_SHIFT;
		/* Switch to starvation mode, unless the mutex is free (the
		 * unlocker expects waiters in starvation mode). */
		if (starving && (old & MUTEX_LOCKED) != 0)
			new |= MUTEX_STARVING;
		if (awoke) {
			if ((new &MUTEX_WOKEN) == 0)
				goc_fatal("sync: inconsistent mutex state");
			new &= ~MUTEX_WOKEN;
		}
		if (!cas_state(m, old, new)) {
			old = load_state(m);
			continue;
		}
		if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == 0)
			return; /* locked with the CAS */
		/* A waiter that has waited before goes to the front. */
		bool lifo = wait_start != 0;
		if (wait_start == 0)
			wait_start = goc_now();
		goc__semacquire(&m->_sema, lifo, GOC_WAIT_SYNC_MUTEX_LOCK);
		starving = starving ||
			   goc_now() - wait_start > STARVATION_THRESHOLD_NS;
		old = load_state(m);
		if ((old & MUTEX_STARVING) != 0) {
			/* Ownership was handed to us, but the state is not
			 * yet locked and still counts us as a waiter. */
			if ((old & (MUTEX_LOCKED | MUTEX_WOKEN)) != 0 ||
			    (old >> MUTEX_WAITER_SHIFT) == 0)
				goc_fatal("sync: inconsistent mutex state");
			int32_t delta =
				MUTEX_LOCKED - (1 << MUTEX_WAITER_SHIFT);
			/* Leave starvation mode if we did not starve or are
			 * the last waiter: staying would make the next
			 * unlock/lock pair hand off needlessly. */
			if (!starving || (old >> MUTEX_WAITER_SHIFT) == 1)
				delta -= MUTEX_STARVING;
			__atomic_add_fetch(&m->_state, delta, __ATOMIC_SEQ_CST);
			return;
		}
		awoke = true;
		iter = 0;
	}
}

/*
 * Race builds (rt/race.h) report Go's edges: Unlock releases the mutex,
 * Lock and a successful TryLock acquire it, and both read the state word,
 * so that overwriting a mutex in use is a race, as in Go.
 */
void
goc_mutex_lock(goc_mutex_t *m)
{
	goc__race_read(&m->_state, sizeof(m->_state), GOC_RACE_CALLERPC());
	/* Fast path: grab an unlocked mutex. */
	if (!cas_state(m, 0, MUTEX_LOCKED))
		lock_slow(m);
	goc__race_acquire(m);
}

void
goc_mutex_lock_slow(goc_mutex_t *m)
{
	lock_slow(m);
}

bool
goc_mutex_try_lock(goc_mutex_t *m)
{
	int32_t old = load_state(m);

	if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) != 0)
		return false;
	/* There may be a goroutine waiting for the mutex, but we are
	 * running now and may grab it before it wakes. */
	if (!cas_state(m, old, old | MUTEX_LOCKED))
		return false;
	goc__race_acquire(m);
	return true;
}

static void GOC_NOINLINE
unlock_slow(goc_mutex_t *m, int32_t new)
{
	if (((new + MUTEX_LOCKED) & MUTEX_LOCKED) == 0)
		goc_fatal("sync: unlock of unlocked mutex");
	if ((new &MUTEX_STARVING) != 0) {
		/* Starvation mode: hand ownership to the first waiter and
		 * yield so it runs at once. The locked bit stays clear; the
		 * waiter sets it. Newcomers see STARVING and queue. */
		goc__semrelease(&m->_sema, true);
		return;
	}
	int32_t old = new;
#ifdef GOC_INJECT_BUG_MUTEX_WAKE
	/* Test-only (docs/testing.md, "The injected mutex bug"): a wake-up
	 * is dropped when the CAS below succeeds only on a retry, after
	 * another goroutine changed the state in between (another unlock
	 * racing this one). The waiter count is lowered and WOKEN set, but
	 * nobody is woken, so WOKEN stays set and the waiters sleep for
	 * good. */
	bool retried = false;
#endif
	for (;;) {
		/* Nobody to wake, or someone already woken or spinning, or
		 * the mutex was taken again: nothing to do. */
		if ((old >> MUTEX_WAITER_SHIFT) == 0 ||
		    (old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING)) != 0)
			return;
		/* Take one waiter off the count and wake it. */
		new = (old - (1 << MUTEX_WAITER_SHIFT)) | MUTEX_WOKEN;
		if (cas_state(m, old, new)) {
#ifdef GOC_INJECT_BUG_MUTEX_WAKE
			if (retried)
				return;
#endif
			goc__semrelease(&m->_sema, false);
			return;
		}
		old = load_state(m);
#ifdef GOC_INJECT_BUG_MUTEX_WAKE
		retried = true;
#endif
	}
}

void
goc_mutex_unlock(goc_mutex_t *m)
{
	goc__race_read(&m->_state, sizeof(m->_state), GOC_RACE_CALLERPC());
	goc__race_release(m);
	/* Fast path: drop the lock bit. seq_cst: releases the critical
	 * section to the next locker's CAS. */
	GOC_SIM_POINT();
	int32_t new =
		__atomic_add_fetch(&m->_state, -MUTEX_LOCKED, __ATOMIC_SEQ_CST);
	if (new != 0)
		unlock_slow(m, new);
}

void
goc_mutex_unlock_slow(goc_mutex_t *m, int32_t new_state)
{
	unlock_slow(m, new_state);
}

static void
locker_lock(void *obj)
{
	goc_mutex_lock(obj);
}

static void
locker_unlock(void *obj)
{
	goc_mutex_unlock(obj);
}

goc_locker_t
goc_mutex_locker(goc_mutex_t *m)
{
	goc_locker_t l = {locker_lock, locker_unlock, m};
	return l;
}
