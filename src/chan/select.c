/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * select (Go 1.25 runtime/select.go: selectgo, sellock, selunlock,
 * selparkcommit; the one-case forms the compiler emits as plain channel
 * operations, selectnbsend/selectnbrecv). Design notes:
 * docs/design/channels.md.
 */
#include <stdint.h>
#include <string.h>

#include "goconc/chan.h"
#include "goconc/select.h"
#include "internal/panic.h"
#include "chan/chan.h"
#include "rt/race.h"
#include "sched/runtime2.h"

/*
 * Invariants and protocol:
 *  - pollorder is a uniform random permutation of the cases with a
 *    non-NULL channel (Fisher-Yates): NULL-channel cases never fire.
 *  - lockorder sorts the same cases by channel address; every select
 *    locks in that order, skipping duplicates, so two selects cannot
 *    deadlock and a channel named twice is locked once.
 *  - Blocking: with every lock held, g->selectdone is reset to 0 and one
 *    sudog per case (on this stack) is queued on its channel. The first
 *    waker to CAS selectdone 0 -> 1 completes its case and readies us;
 *    others drop our sudog (goc__waitq_dequeue). On wake-up we relock
 *    everything and unlink the sudogs still queued, so nobody can reach
 *    this stack once select returns.
 *  - selparkcommit unlocks in reverse lock order and reads this stack
 *    only before each unlock: the woken G relocks from the lowest
 *    address, which is released last, so it cannot return (and reuse
 *    the stack) before g0 is done with it.
 *  - Race builds: the program reads every send case's value and the
 *    channel before anything happens (a C select reads its values
 *    through the pointers it was given, when a partner copies them) and
 *    writes the chosen receive case's variable once it is done; the
 *    channel edges are those of chan.c's locked steps.
 */

/* Cases whose orders live in fixed arrays (beyond: alloca). */
#define SELECT_INLINE 8

#ifdef GOC_SIM
#define GOC_SIM_BUILD 1
#else
#define GOC_SIM_BUILD 0
#endif

/* lockorder sorted by channel address: the lock order (sellock). */
static inline uintptr_t
caddr(const goc_case_t *cases, uint32_t i)
{
	return (uintptr_t)cases[i].chan;
}

static void
sift(const goc_case_t *cases, uint32_t *a, size_t i, size_t n)
{
	for (;;) {
		size_t m = i, l = 2 * i + 1, r = l + 1;
		if (l < n && caddr(cases, a[l]) > caddr(cases, a[m]))
			m = l;
		if (r < n && caddr(cases, a[r]) > caddr(cases, a[m]))
			m = r;
		if (m == i)
			return;
		uint32_t t = a[i];
		a[i] = a[m];
		a[m] = t;
		i = m;
	}
}

static void
sort_lockorder(const goc_case_t *cases, uint32_t *a, size_t n)
{
	if (n <= SELECT_INLINE) {
		/* Few cases (nearly every select): insertion sort, a
		 * handful of compares. */
		for (size_t i = 1; i < n; i++) {
			uint32_t t = a[i];
			uintptr_t ta = caddr(cases, t);
			size_t j = i;
			for (; j > 0 && caddr(cases, a[j - 1]) > ta; j--)
				a[j] = a[j - 1];
			a[j] = t;
		}
		return;
	}
	/* Heapsort beyond, as Go: O(n log n) at any size, no recursion. */
	for (size_t i = n / 2; i-- > 0;)
		sift(cases, a, i, n);
	for (size_t end = n; end-- > 1;) {
		uint32_t t = a[0];
		a[0] = a[end];
		a[end] = t;
		sift(cases, a, 0, end);
	}
}

static void
sellock(const goc_case_t *cases, const uint32_t *lockorder, size_t n)
{
	struct goc_hchan *last = NULL;
	for (size_t t = 0; t < n; t++) {
		struct goc_hchan *c = goc__hchan(cases[lockorder[t]].chan);
		if (c != last)
			goc__lock(&c->lock);
		last = c;
	}
}

static void
selunlock(const goc_case_t *cases, const uint32_t *lockorder, size_t n)
{
	for (size_t t = n; t-- > 0;) {
		struct goc_hchan *c = goc__hchan(cases[lockorder[t]].chan);
		if (t > 0 && goc__hchan(cases[lockorder[t - 1]].chan) == c)
			continue;
		goc__unlock(&c->lock);
	}
}

struct selctx {
	const goc_case_t *cases;
	const uint32_t *lockorder;
	size_t n;
};

/* park's unlock step, on g0 once the G is WAITING (Go's selparkcommit).
 * See the invariants for why reading the G's stack here is safe. */
static bool
selparkcommit(struct goc_g *gp, void *arg)
{
	(void)gp;
	const struct selctx *x = arg;
	selunlock(x->cases, x->lockorder, x->n);
	return true;
}

static inline void
set_ok(goc_case_t *k, bool ok)
{
	if (k->ok != NULL)
		*k->ok = ok;
}

static int
selectgo(goc_case_t *cases, size_t n, bool block)
{
	/*
	 * The orders and the sudogs live on this stack: blocking never
	 * allocates (SPEC §10). Up to SELECT_INLINE cases in fixed arrays;
	 * beyond, alloca (about 112 bytes of stack per case).
	 */
	uint32_t pollbuf[SELECT_INLINE], lockbuf[SELECT_INLINE];
	uint32_t *pollorder = pollbuf, *lockorder = lockbuf;
	if (n > SELECT_INLINE) {
		pollorder = __builtin_alloca(n * sizeof(uint32_t));
		lockorder = __builtin_alloca(n * sizeof(uint32_t));
	}
	size_t norder = 0;

	for (size_t i = 0; i < n; i++) {
		if (cases[i].chan == NULL)
			continue;
		/* Go's shuffle; the first case needs no draw (the
		 * simulation draws anyway: recorded seeds keep their
		 * decisions). */
		uint32_t j = 0;
		if (norder > 0 || GOC_SIM_BUILD)
			j = goc__fastrandn((uint32_t)norder + 1);
		pollorder[norder] = pollorder[j];
		pollorder[j] = (uint32_t)i;
		lockorder[norder] = (uint32_t)i;
		norder++;
	}
	if (norder == 0) {
		if (!block)
			return -1;
		goc__block_forever(n == 0 ? GOC_WAIT_SELECT_NO_CASES
					  : GOC_WAIT_SELECT);
	}
	sort_lockorder(cases, lockorder, norder);
	sellock(cases, lockorder, norder);

	/* Pass 1: look for a case that can proceed now, in poll order. */
	for (size_t t = 0; t < norder; t++) {
		uint32_t i = pollorder[t];
		goc_case_t *k = &cases[i];
		struct goc_hchan *c = goc__hchan(k->chan);
		struct goc_sudog *sg;

		if (k->dir == GOC_CASE_RECV) {
			if ((sg = goc__waitq_dequeue(&c->sendq)) != NULL) {
				struct goc_g *gp =
					goc__chan_recv_direct(c, sg, k->elem);
				selunlock(cases, lockorder, norder);
				goc__ready(gp);
				set_ok(k, true);
				return (int)i;
			}
			if (c->qcount > 0) {
				goc__chan_buf_take(c, k->elem);
				selunlock(cases, lockorder, norder);
				set_ok(k, true);
				return (int)i;
			}
			if (c->closed != 0) {
				goc__chan_race_closed(c);
				selunlock(cases, lockorder, norder);
				goc__chan_zero(c, k->elem);
				set_ok(k, false);
				return (int)i;
			}
		} else {
			if (c->closed != 0) {
				selunlock(cases, lockorder, norder);
				goc_panic("send on closed channel");
			}
			if ((sg = goc__waitq_dequeue(&c->recvq)) != NULL) {
				struct goc_g *gp =
					goc__chan_send_direct(c, sg, k->elem);
				selunlock(cases, lockorder, norder);
				goc__ready(gp);
				return (int)i;
			}
			if (c->qcount < c->dataqsiz) {
				goc__chan_buf_put(c, k->elem);
				selunlock(cases, lockorder, norder);
				return (int)i;
			}
		}
	}
	if (!block) {
		selunlock(cases, lockorder, norder);
		return -1;
	}

	/* Pass 2: queue on every channel, in lock order. */
	struct goc_g *gp = goc__chan_curg();
	struct goc_sudog sgbuf[SELECT_INLINE];
	struct goc_sudog *sgs = sgbuf;
	if (norder > SELECT_INLINE)
		sgs = __builtin_alloca(norder * sizeof(struct goc_sudog));
	/*
	 * Relaxed: every CAS on selectdone happens under the lock of a
	 * channel we hold now, so the unlock orders this store before it.
	 */
	__atomic_store_n(&gp->selectdone, 0, __ATOMIC_RELAXED);
	gp->param = NULL;
	for (size_t t = 0; t < norder; t++) {
		uint32_t i = lockorder[t];
		goc_case_t *k = &cases[i];
		struct goc_hchan *c = goc__hchan(k->chan);
		struct goc_sudog *sg = &sgs[t];
		memset(sg, 0, sizeof(*sg));
		sg->g = gp;
		sg->isselect = true;
		sg->elem = k->elem;
		sg->c = c;
		sg->index = i;
		goc__waitq_enqueue(
			k->dir == GOC_CASE_RECV ? &c->recvq : &c->sendq, sg);
		goc__race_park(sg);
	}
	struct selctx x = {cases, lockorder, norder};
	goc__park(selparkcommit, &x, GOC_WAIT_SELECT);

	/* Pass 3: the waker left its sudog in param; unlink the others. */
	struct goc_sudog *fired = gp->param;
	gp->param = NULL;
	if (fired == NULL)
		goc__throw("select: woken without a case");
	goc__race_wake(fired);
	sellock(cases, lockorder, norder);
	for (size_t t = 0; t < norder; t++) {
		struct goc_sudog *sg = &sgs[t];
		if (sg == fired)
			continue;
		struct goc_hchan *c = sg->c;
		goc__waitq_remove(cases[sg->index].dir == GOC_CASE_RECV
					  ? &c->recvq
					  : &c->sendq,
				  sg);
	}
	selunlock(cases, lockorder, norder);

	goc_case_t *k = &cases[fired->index];
	if (k->dir == GOC_CASE_SEND) {
		if (!fired->success)
			goc_panic("send on closed channel");
	} else {
		set_ok(k, fired->success);
	}
	return (int)fired->index;
}

/* One case: the plain operation (Go compiles it so). */
static int
select1(goc_case_t *k, bool block)
{
	struct goc_hchan *c = goc__hchan(k->chan);
	if (k->dir == GOC_CASE_SEND) {
		if (!block && c != NULL && goc__chan_send_fails_fast(c))
			return -1;
		return goc__chansend(c, k->elem, block) ? 0 : -1;
	}
	if (!block && c != NULL && goc__chan_recv_fails_fast(c))
		return -1;
	int r = goc__chanrecv(c, k->elem, block);
	if (r == GOC_CHAN_WOULDBLOCK)
		return -1;
	set_ok(k, r == GOC_CHAN_OK);
	return 0;
}

/* Race builds: the program's reads before the select, its write after. */
static inline void
race_before(const goc_case_t *cases, size_t n, const void *pc)
{
	if (!GOC_RACE_ENABLED)
		return;
	for (size_t i = 0; i < n; i++)
		if (cases[i].dir == GOC_CASE_SEND)
			goc__chan_race_send(goc__hchan(cases[i].chan),
					    cases[i].elem, pc);
}

static inline int
race_after(goc_case_t *cases, int r, const void *pc)
{
	if (GOC_RACE_ENABLED && r >= 0 && cases[r].dir == GOC_CASE_RECV)
		goc__chan_race_recv(goc__hchan(cases[r].chan), cases[r].elem,
				    pc);
	return r;
}

int
goc_select(goc_case_t *cases, size_t n)
{
	const void *pc = GOC_RACE_CALLERPC();
	race_before(cases, n, pc);
	int r = n == 1 ? select1(cases, true) : selectgo(cases, n, true);
	return race_after(cases, r, pc);
}

int
goc_select_try(goc_case_t *cases, size_t n)
{
	const void *pc = GOC_RACE_CALLERPC();
	race_before(cases, n, pc);
	int r = n == 1 ? select1(cases, false) : selectgo(cases, n, false);
	return race_after(cases, r, pc);
}
