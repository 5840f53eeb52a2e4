/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Runtime locks and notes over futexes (after Go's runtime/lock_futex.go:
 * lock2/unlock2 with a short active spin, then a passive one, then a
 * futex sleep; notesleep/notewakeup).
 */
#include "config.h"

#include "internal/arch.h"
#include "internal/panic.h"
#include "os/os.h"
#include "sched/lock.h"

enum { UNLOCKED = 0, LOCKED = 1, SLEEPING = 2 };
enum { ACTIVE_SPIN = 4, ACTIVE_SPIN_CNT = 30, PASSIVE_SPIN = 1 };

void
goc__lock(struct goc_rtlock *l)
{
	GOC_SIM_POINT();
	/* Acquire pairs with the release exchange in goc__unlock(). */
	uint32_t v = __atomic_exchange_n(&l->key, LOCKED, __ATOMIC_ACQUIRE);
	if (v == UNLOCKED)
		return;
	/*
	 * v is the state we must restore if we take the lock: if it was
	 * SLEEPING, others may sleep and unlock must wake one.
	 */
	uint32_t wait = v;
	for (;;) {
		for (int i = 0; i < ACTIVE_SPIN; i++) {
			GOC_SIM_SPIN();
			while (__atomic_load_n(&l->key, __ATOMIC_RELAXED) ==
			       UNLOCKED) {
				uint32_t exp = UNLOCKED;
				if (__atomic_compare_exchange_n(
					    &l->key, &exp, wait, false,
					    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
					return;
			}
			for (int k = 0; k < ACTIVE_SPIN_CNT; k++)
				goc_arch_pause();
		}
		for (int i = 0; i < PASSIVE_SPIN; i++) {
			while (__atomic_load_n(&l->key, __ATOMIC_RELAXED) ==
			       UNLOCKED) {
				uint32_t exp = UNLOCKED;
				if (__atomic_compare_exchange_n(
					    &l->key, &exp, wait, false,
					    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
					return;
			}
			goc_os_usleep(0);
		}
		/* Sleep: announce ourselves, and take it if it came free. */
		v = __atomic_exchange_n(&l->key, SLEEPING, __ATOMIC_ACQUIRE);
		if (v == UNLOCKED)
			return;
		wait = SLEEPING;
		goc_os_futex_wait(&l->key, SLEEPING, -1);
	}
}

void
goc__unlock(struct goc_rtlock *l)
{
	GOC_SIM_POINT();
	/* Release pairs with the acquiring exchange/CAS in goc__lock(). */
	uint32_t v = __atomic_exchange_n(&l->key, UNLOCKED, __ATOMIC_RELEASE);
	if (v == UNLOCKED)
		goc__throw("unlock of unlocked lock");
	if (v == SLEEPING)
		goc_os_futex_wake(&l->key, 1);
}

void
goc__noteclear(struct goc_note *n)
{
	__atomic_store_n(&n->key, 0, __ATOMIC_RELAXED);
}

void
goc__notewakeup(struct goc_note *n)
{
	/* Release: the sleeper sees everything done before the wakeup. */
	uint32_t old = __atomic_exchange_n(&n->key, 1, __ATOMIC_RELEASE);
	if (old != 0)
		goc__throw("notewakeup - double wakeup");
	goc_os_futex_wake(&n->key, 1);
}

void
goc__notesleep(struct goc_note *n)
{
	/* Acquire pairs with the release exchange in goc__notewakeup(). */
	while (__atomic_load_n(&n->key, __ATOMIC_ACQUIRE) == 0)
		goc_os_futex_wait(&n->key, 0, -1);
}

bool
goc__notetsleep(struct goc_note *n, int64_t ns)
{
	if (ns < 0) {
		goc__notesleep(n);
		return true;
	}
	if (ns == 0)
		GOC_SIM_SPIN(); /* a poll: a caller may loop on it */
	int64_t now = goc_os_nanotime();
	/* A far timer (a deadline near INT64_MAX) must not overflow. */
	int64_t deadline = ns > INT64_MAX - now ? INT64_MAX : now + ns;
	while (__atomic_load_n(&n->key, __ATOMIC_ACQUIRE) == 0) {
		int64_t left = deadline - goc_os_nanotime();
		if (left <= 0)
			return false;
		goc_os_futex_wait(&n->key, 0, left);
	}
	return true;
}
