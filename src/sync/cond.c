/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_cond_t, after Go 1.25 sync/cond.go (Wait, Signal, Broadcast,
 * copyChecker) over the ticket-based notify list of runtime/sema.go.
 *
 * The first five fields of goc_cond_t are a struct goc_notifylist (the
 * layout is checked below). A waiter takes a ticket while it holds L,
 * unlocks L and sleeps until its ticket is notified; Signal notifies the
 * oldest ticket (FIFO), Broadcast all of them. A ticket notified before
 * its owner went to sleep is never lost: the owner sees notify > ticket
 * and does not sleep.
 *
 * _l (L) is written once, by goc_cond_init*, or by the first wait that
 * names a mutex (CAS on _l.obj); then read-only. _checker holds the
 * Cond's own address once used (CAS from 0): a copy has a stale value
 * and panics "sync.Cond is copied".
 */
#include <stddef.h>

#include "goconc/sync.h"
#include "sched/runtime2.h"
#include "sync/sema.h"

_Static_assert(offsetof(goc_cond_t, _wait) ==
		       offsetof(struct goc_notifylist, wait),
	       "cond layout");
_Static_assert(offsetof(goc_cond_t, _notify) ==
		       offsetof(struct goc_notifylist, notify),
	       "cond layout");
_Static_assert(offsetof(goc_cond_t, _lock) ==
		       offsetof(struct goc_notifylist, lock),
	       "cond layout");
_Static_assert(offsetof(goc_cond_t, _head) ==
		       offsetof(struct goc_notifylist, head),
	       "cond layout");
_Static_assert(offsetof(goc_cond_t, _tail) ==
		       offsetof(struct goc_notifylist, tail),
	       "cond layout");

static struct goc_notifylist *
notifylist(goc_cond_t *c)
{
	return (struct goc_notifylist *)(void *)c;
}

static void
copy_check(goc_cond_t *c)
{
	uintptr_t self = (uintptr_t)&c->_checker;
	/* Relaxed: the value is only ever 0 or an address, compared. */
	uintptr_t v = __atomic_load_n(&c->_checker, __ATOMIC_RELAXED);

	if (v == self)
		return;
	if (v == 0 &&
	    __atomic_compare_exchange_n(&c->_checker, &v, self, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	if (v != self) /* v was reloaded by the failed CAS */
		goc_panic("sync.Cond is copied");
}

static void
mutex_lock(void *obj)
{
	goc_mutex_lock(obj);
}

static void
mutex_unlock(void *obj)
{
	goc_mutex_unlock(obj);
}

void
goc_cond_init(goc_cond_t *c, goc_mutex_t *mu)
{
	goc_cond_t zero = GOC_COND_INIT;

	*c = zero;
	c->_l.lock = mutex_lock;
	c->_l.unlock = mutex_unlock;
	c->_l.obj = mu;
	c->_checker = (uintptr_t)&c->_checker;
}

void
goc_cond_init_locker(goc_cond_t *c, goc_locker_t l)
{
	goc_cond_t zero = GOC_COND_INIT;

	*c = zero;
	c->_l = l;
	c->_checker = (uintptr_t)&c->_checker;
}

void
goc_cond_wait(goc_cond_t *c, goc_mutex_t *mu)
{
	copy_check(c);
	/* Acquire pairs with the release CAS below (another waiter's
	 * binding): then _l.lock and _l.unlock are visible too. */
	void *obj = __atomic_load_n(&c->_l.obj, __ATOMIC_ACQUIRE);
	if (obj == NULL) {
		if (mu == NULL)
			goc_panic("sync: Cond.Wait with no Locker");
		/* First use binds L. The functions are the same for every
		 * binder, so racing plain stores of them would be benign;
		 * make them atomic anyway so TSan agrees. */
		__atomic_store_n(&c->_l.lock, mutex_lock, __ATOMIC_RELAXED);
		__atomic_store_n(&c->_l.unlock, mutex_unlock, __ATOMIC_RELAXED);
		void *expect = NULL;
		if (!__atomic_compare_exchange_n(&c->_l.obj, &expect, mu, false,
						 __ATOMIC_RELEASE,
						 __ATOMIC_ACQUIRE) &&
		    expect != mu)
			goc_panic("sync: Cond used with a different Locker");
		obj = mu;
	} else if (mu != NULL && mu != obj) {
		goc_panic("sync: Cond used with a different Locker");
	}
	void (*lockf)(void *) = __atomic_load_n(&c->_l.lock, __ATOMIC_RELAXED);
	void (*unlockf)(void *) =
		__atomic_load_n(&c->_l.unlock, __ATOMIC_RELAXED);

	uint32_t t = goc__notifylist_add(notifylist(c));
	unlockf(obj);
	goc__notifylist_wait(notifylist(c), t);
	lockf(obj);
}

void
goc_cond_signal(goc_cond_t *c)
{
	copy_check(c);
	goc__notifylist_notify_one(notifylist(c));
}

void
goc_cond_broadcast(goc_cond_t *c)
{
	copy_check(c);
	goc__notifylist_notify_all(notifylist(c));
}
