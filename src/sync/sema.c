/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The semaphore table and the notify list, after Go 1.25 runtime/sema.go
 * (semacquire1, semrelease1, semaRoot, notifyList*). See
 * docs/design/sync.md.
 *
 * A semaphore is any uint32_t: its value is the count. The waiters of all
 * addresses live in a fixed table of SEMTABSZ roots, chosen by hashing the
 * address. Within a root, each distinct address waited on has one sudog on
 * the root's list (next/prev); the other waiters on that address hang off
 * it in FIFO order (waitlink, with waittail on the first). Go keeps the
 * distinct addresses of a root in a treap; libgoconc keeps a list, which
 * is as good while few distinct addresses collide in one of 251 roots (the
 * common case) and is a known limit otherwise (docs/design/sync.md).
 *
 * Invariants (under root->lock):
 *   - every sudog on a root is parked (its G is WAITING) on s->elem, and
 *     is removed by the semrelease that readies it, under the lock;
 *   - root->nwait counts those sudogs; it is written under the lock but
 *     read without it (atomic), see the Dekker pair below;
 *   - s->ticket is 0 while queued; a releaser sets it to 1 (after
 *     dequeueing, before readying) to hand the count over directly.
 *
 * The lost-wake-up rule is a Dekker pair on two seq_cst locations:
 * semacquire increments nwait and then tries *addr; semrelease increments
 * *addr and then reads nwait. Either the acquirer sees the count or the
 * releaser sees the waiter.
 *
 * Never goc__ready() a G while holding a root lock: dequeue, unlock, then
 * ready.
 */
#include "sync/sema.h"

#include <string.h>

#include "goconc/sched.h"
#include "internal/compiler.h"
#include "internal/panic.h"
#include "sched/lock.h"
#include "sched/runtime2.h"

#define SEMTABSZ 251

struct semaroot {
	struct goc_rtlock lock;
	uint32_t nwait;         /* (lock for writes, atomic) waiters queued */
	struct goc_sudog *head; /* (lock) one sudog per distinct address */
};

static struct {
	struct semaroot root;
	char pad[GOC_CACHELINE - sizeof(struct semaroot)];
} semtable[SEMTABSZ] GOC_ALIGNED(GOC_CACHELINE);

static struct semaroot *
semroot(uint32_t *addr)
{
#ifdef GOC_SIM
	return &semtable[0].root; /* no address hashing: replays exactly */
#endif
	return &semtable[((uintptr_t)addr >> 3) % SEMTABSZ].root;
}

/* The G that will park: the running goroutine or a foreign stand-in. */
static struct goc_g *
self_g(void)
{
	struct goc_g *gp = goc__getg();
	return gp != NULL ? gp : goc__foreign_g();
}

static bool
cansemacquire(uint32_t *addr)
{
	/* seq_cst: one side of the Dekker pair with root->nwait. */
	GOC_SIM_POINT();
	uint32_t v = __atomic_load_n(addr, __ATOMIC_SEQ_CST);

	while (v != 0) {
		if (__atomic_compare_exchange_n(addr, &v, v - 1, false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return true;
	}
	return false;
}

/* Puts s where t is on the root's list of distinct addresses. */
static void
replace(struct semaroot *root, struct goc_sudog *t, struct goc_sudog *s)
{
	s->prev = t->prev;
	s->next = t->next;
	if (s->prev != NULL)
		s->prev->next = s;
	else
		root->head = s;
	if (s->next != NULL)
		s->next->prev = s;
	t->next = NULL;
	t->prev = NULL;
}

/* Queues s as a waiter on addr (semaRoot.queue). Under root->lock. */
static void
queue(struct semaroot *root, uint32_t *addr, struct goc_sudog *s, bool lifo)
{
	s->elem = addr;
	s->next = NULL;
	s->prev = NULL;
	s->waitlink = NULL;
	s->waittail = NULL;
	for (struct goc_sudog *t = root->head; t != NULL; t = t->next) {
		if (t->elem != addr)
			continue;
		if (lifo) {
			/* s becomes the first waiter; t and its followers
			 * hang off s. */
			replace(root, t, s);
			s->waitlink = t;
			s->waittail = t->waittail != NULL ? t->waittail : t;
			t->waittail = NULL;
		} else {
			if (t->waittail == NULL)
				t->waitlink = s;
			else
				t->waittail->waitlink = s;
			t->waittail = s;
		}
		return;
	}
	s->next = root->head;
	if (root->head != NULL)
		root->head->prev = s;
	root->head = s;
}

/* Removes and returns the first waiter on addr, or NULL (semaRoot.dequeue).
 * Under root->lock. */
static struct goc_sudog *
dequeue(struct semaroot *root, uint32_t *addr)
{
	struct goc_sudog *s = root->head;

	while (s != NULL && s->elem != addr)
		s = s->next;
	if (s == NULL)
		return NULL;
	struct goc_sudog *t = s->waitlink;
	if (t != NULL) {
		/* The next waiter on addr takes s's place. */
		replace(root, s, t);
		t->waittail = s->waittail == t ? NULL : s->waittail;
	} else {
		if (s->prev != NULL)
			s->prev->next = s->next;
		else
			root->head = s->next;
		if (s->next != NULL)
			s->next->prev = s->prev;
	}
	s->next = NULL;
	s->prev = NULL;
	s->waitlink = NULL;
	s->waittail = NULL;
	return s;
}

static bool
unlock_rtlock(struct goc_g *gp, void *lock)
{
	(void)gp;
	goc__unlock(lock);
	return true;
}

void
goc__semacquire(uint32_t *addr, bool lifo, enum goc_waitreason reason)
{
	if (cansemacquire(addr))
		return;

	struct semaroot *root = semroot(addr);
	struct goc_sudog s;

	memset(&s, 0, sizeof(s));
	s.g = self_g();
	s.acquiretime = 0;
	for (;;) {
		goc__lock(&root->lock);
		/* Announce the waiter before looking at the count (Dekker). */
		__atomic_add_fetch(&root->nwait, 1, __ATOMIC_SEQ_CST);
		if (cansemacquire(addr)) {
			__atomic_sub_fetch(&root->nwait, 1, __ATOMIC_SEQ_CST);
			goc__unlock(&root->lock);
			return;
		}
		s.ticket = 0;
		queue(root, addr, &s, lifo);
		goc__park(unlock_rtlock, &root->lock, reason);
		/* The releaser dequeued s before readying this G; the ready
		 * (run queue or futex word, release/acquire) orders its write
		 * of s.ticket before this read. */
		if (s.ticket != 0 || cansemacquire(addr))
			return;
	}
}

void
goc__semrelease(uint32_t *addr, bool handoff)
{
	struct semaroot *root = semroot(addr);

	GOC_SIM_POINT();
	__atomic_add_fetch(addr, 1, __ATOMIC_SEQ_CST);
	/* The other half of the Dekker pair: no waiter, no work. */
	if (__atomic_load_n(&root->nwait, __ATOMIC_SEQ_CST) == 0)
		return;
	goc__lock(&root->lock);
	if (__atomic_load_n(&root->nwait, __ATOMIC_SEQ_CST) == 0) {
		goc__unlock(&root->lock);
		return;
	}
	struct goc_sudog *s = dequeue(root, addr);
	if (s != NULL)
		__atomic_sub_fetch(&root->nwait, 1, __ATOMIC_SEQ_CST);
	goc__unlock(&root->lock);
	if (s == NULL)
		return;
	if (s->ticket != 0)
		goc__throw("corrupted semaphore ticket");
	if (handoff && cansemacquire(addr))
		s->ticket = 1;
	/* s dies as soon as its G runs: read what we need first. */
	bool yield = s->ticket == 1;
	goc__ready(s->g);
	/* Hand-off: the woken G sits in runnext; give it the P now so that
	 * it runs before anyone can barge (Go's goyield). */
	if (yield && goc__getg() != NULL)
		goc_yield();
}

/* ---- notify list (Cond) ------------------------------------------------ */

/* a < b in ticket order, wrap-around safe. */
static bool
less(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

uint32_t
goc__notifylist_add(struct goc_notifylist *l)
{
	/* seq_cst: the waiter's ticket is taken while it holds L; a
	 * Signal that does not see it (wait == notify) had nothing to wake.
	 */
	return __atomic_fetch_add(&l->wait, 1, __ATOMIC_SEQ_CST);
}

void
goc__notifylist_wait(struct goc_notifylist *l, uint32_t ticket)
{
	goc__lock(&l->lock);
	/* Already notified (a Signal came between add and wait). */
	if (less(ticket, l->notify)) {
		goc__unlock(&l->lock);
		return;
	}
	struct goc_sudog s;

	memset(&s, 0, sizeof(s));
	s.g = self_g();
	s.ticket = ticket;
	if (l->tail == NULL)
		l->head = &s;
	else
		l->tail->next = &s;
	l->tail = &s;
	goc__park(unlock_rtlock, &l->lock, GOC_WAIT_SYNC_COND_WAIT);
}

void
goc__notifylist_notify_all(struct goc_notifylist *l)
{
	/* Fast path: nobody took a ticket since the last notify. Both loads
	 * seq_cst, pairing with the add in goc__notifylist_add. */
	if (__atomic_load_n(&l->wait, __ATOMIC_SEQ_CST) ==
	    __atomic_load_n(&l->notify, __ATOMIC_SEQ_CST))
		return;
	goc__lock(&l->lock);
	struct goc_sudog *s = l->head;
	l->head = NULL;
	l->tail = NULL;
	__atomic_store_n(&l->notify,
			 __atomic_load_n(&l->wait, __ATOMIC_SEQ_CST),
			 __ATOMIC_SEQ_CST);
	goc__unlock(&l->lock);
	while (s != NULL) {
		struct goc_sudog *next = s->next;
		s->next = NULL;
		goc__ready(s->g); /* s may be gone from here on */
		s = next;
	}
}

void
goc__notifylist_notify_one(struct goc_notifylist *l)
{
	if (__atomic_load_n(&l->wait, __ATOMIC_SEQ_CST) ==
	    __atomic_load_n(&l->notify, __ATOMIC_SEQ_CST))
		return;
	goc__lock(&l->lock);
	uint32_t t = l->notify;
	if (t == __atomic_load_n(&l->wait, __ATOMIC_SEQ_CST)) {
		goc__unlock(&l->lock);
		return;
	}
	__atomic_store_n(&l->notify, t + 1, __ATOMIC_SEQ_CST);
	/* The waiter with ticket t may not have queued yet: then it will
	 * see notify > t in goc__notifylist_wait and not sleep. */
	for (struct goc_sudog *p = NULL, *s = l->head; s != NULL;
	     p = s, s = s->next) {
		if (s->ticket != t)
			continue;
		if (p != NULL)
			p->next = s->next;
		else
			l->head = s->next;
		if (l->tail == s)
			l->tail = p;
		goc__unlock(&l->lock);
		s->next = NULL;
		goc__ready(s->g);
		return;
	}
	goc__unlock(&l->lock);
}
