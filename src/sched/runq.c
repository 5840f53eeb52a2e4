/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Run queues, after Go 1.25 runtime/proc.go: runqput, runqputslow,
 * runqget, runqgrab, runqsteal, globrunqput, globrunqget.
 *
 * Invariants:
 *  - Only the owner P writes runqtail and the slots (single producer);
 *    the owner and thieves take from runqhead with a CAS (multi consumer).
 *  - 0 <= runqtail - runqhead <= GOC_RUNQ_SIZE, in uint32 arithmetic.
 *  - runnext holds at most one G, which is on no other queue. Only the
 *    owner puts a G there (a plain store when it is empty, a CAS that
 *    kicks the old one out otherwise); the owner and thieves take it
 *    with a CAS to NULL.
 *  - A G is on at most one queue at a time.
 *
 * Slots are read by thieves while the owner may be writing a slot that
 * lies outside the range they grab; slot accesses are therefore relaxed
 * atomics (a plain access would be a C11 data race that TSan reports).
 */
#include "config.h"

#include "internal/arch.h"
#include "internal/assert.h"
#include "os/os.h"
#include "sched/runtime2.h"

/*
 * goc__runq_putslow moves half the local queue plus gp to the global queue
 * (Go's runqputslow). Called by the owner with a full local queue.
 * Returns false if a thief made room meanwhile (the caller retries).
 */
bool
goc__runq_putslow(struct goc_p *pp, struct goc_g *gp, uint32_t h, uint32_t t)
{
	enum { N = GOC_RUNQ_SIZE / 2 };
	struct goc_g *batch[N + 1];
	uint32_t n = t - h;

	n = n / 2;
	if (n != N)
		goc__throw("runqputslow: queue is not full");
	for (uint32_t i = 0; i < n; i++)
		batch[i] = goc__runq_slot_load(pp, h + i);
	/* Release: pairs with thieves' acquire of runqhead; commits the
	 * consumption of the slots we just read. */
	if (!__atomic_compare_exchange_n(&pp->runqhead, &h, h + n, false,
					 __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return false;
	batch[n] = gp;
	for (uint32_t i = 0; i < n; i++)
		batch[i]->schedlink = batch[i + 1];
	batch[n]->schedlink = NULL;
	goc__globrunq_putbatch(batch[0], batch[n], (int32_t)n + 1);
	return true;
}

bool
goc__runq_empty(struct goc_p *pp)
{
	/*
	 * Go's runqempty: runnext can move into the queue between our loads,
	 * so re-read tail to be sure we saw a consistent snapshot.
	 */
	for (;;) {
		uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
		uint32_t t = __atomic_load_n(&pp->runqtail, __ATOMIC_ACQUIRE);
		struct goc_g *next =
			__atomic_load_n(&pp->runnext, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&pp->runqtail, __ATOMIC_ACQUIRE) == t)
			return h == t && next == NULL;
	}
}

uint32_t
goc__runq_len(struct goc_p *pp)
{
	uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
	uint32_t t = __atomic_load_n(&pp->runqtail, __ATOMIC_ACQUIRE);
	uint32_t n = t - h;
	if (n > GOC_RUNQ_SIZE)
		n = 0; /* an inconsistent snapshot; only for traces */
	return n + (__atomic_load_n(&pp->runnext, __ATOMIC_RELAXED) != NULL);
}

/*
 * runqgrab copies half of the victim's queue into batch (Go's runqgrab).
 * Returns the number taken; 0 if the victim is empty.
 */
static uint32_t
runq_grab(struct goc_p *victim, struct goc_g **batch, bool steal_runnext)
{
	for (;;) {
		GOC_SIM_POINT();
		/* Acquire both: the slots between them are published. */
		uint32_t h =
			__atomic_load_n(&victim->runqhead, __ATOMIC_ACQUIRE);
		uint32_t t =
			__atomic_load_n(&victim->runqtail, __ATOMIC_ACQUIRE);
		uint32_t n = t - h;
		n = n - n / 2;
		if (n == 0) {
			if (!steal_runnext)
				return 0;
			struct goc_g *next = __atomic_load_n(&victim->runnext,
							     __ATOMIC_ACQUIRE);
			if (next == NULL)
				return 0;
			/*
			 * The victim is likely about to run it (it just readied
			 * it in a ping-pong): give it a moment, as Go does with
			 * usleep(3), unless the victim's M is idle.
			 */
			if (__atomic_load_n(&victim->status,
					    __ATOMIC_RELAXED) == GOC_P_RUNNING)
				goc_os_usleep(3);
			if (!__atomic_compare_exchange_n(
				    &victim->runnext, &next, NULL, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				continue;
			batch[0] = next;
			return 1;
		}
		/* A snapshot with h and t from different moments: retry. */
		if (n > GOC_RUNQ_SIZE / 2)
			continue;
		for (uint32_t i = 0; i < n; i++)
			batch[i] = goc__runq_slot_load(victim, h + i);
		GOC_SIM_POINT();
		/* Release: pairs with the owner's acquire of runqhead in
		 * runq_put, so it does not overwrite slots we read. */
		if (__atomic_compare_exchange_n(&victim->runqhead, &h, h + n,
						false, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			return n;
	}
}

struct goc_g *
goc__runq_steal(struct goc_p *pp, struct goc_p *victim, bool steal_runnext)
{
	struct goc_g *batch[GOC_RUNQ_SIZE / 2];
	uint32_t n = runq_grab(victim, batch, steal_runnext);
	if (n == 0)
		return NULL;
	/* Run the last stolen G; queue the others on our own ring. */
	struct goc_g *gp = batch[--n];
	if (n == 0)
		return gp;
	uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
	uint32_t t = __atomic_load_n(&pp->runqtail, __ATOMIC_RELAXED);
	if (t - h + n >= GOC_RUNQ_SIZE)
		goc__throw("runqsteal: runq overflow");
	for (uint32_t i = 0; i < n; i++)
		goc__runq_slot_store(pp, t + i, batch[i]);
	/* Release: publishes the copied slots. */
	__atomic_store_n(&pp->runqtail, t + n, __ATOMIC_RELEASE);
	return gp;
}

/* ---- The global run queue, under sched.lock. ------------------------ */

void
goc__globrunq_putbatch_locked(struct goc_g *head, struct goc_g *tail, int32_t n)
{
	struct goc_sched *s = &goc__sched;

	tail->schedlink = NULL;
	if (s->runqtail != NULL)
		s->runqtail->schedlink = head;
	else
		s->runqhead = head;
	s->runqtail = tail;
	/* Relaxed: readers of runqsize without the lock only use it as a
	 * hint and take the lock before touching the list. */
	__atomic_store_n(&s->runqsize, s->runqsize + n, __ATOMIC_RELAXED);
}

void
goc__globrunq_putbatch(struct goc_g *head, struct goc_g *tail, int32_t n)
{
	goc__lock(&goc__sched.lock);
	goc__globrunq_putbatch_locked(head, tail, n);
	goc__unlock(&goc__sched.lock);
}

void
goc__globrunq_put(struct goc_g *gp)
{
	goc__globrunq_putbatch(gp, gp, 1);
}

/*
 * Takes a batch from the global queue: one G to run, and up to
 * min(len/gomaxprocs + 1, max, half a local queue) - 1 more onto pp's
 * local queue (Go's globrunqget). Call with sched.lock held.
 */
struct goc_g *
goc__globrunq_get(struct goc_p *pp, int32_t max)
{
	struct goc_sched *s = &goc__sched;
	int32_t size = s->runqsize;

	if (size == 0)
		return NULL;
	int32_t n = size / s->gomaxprocs + 1;
	if (n > size)
		n = size;
	if (max > 0 && n > max)
		n = max;
	if (n > GOC_RUNQ_SIZE / 2)
		n = GOC_RUNQ_SIZE / 2;
	__atomic_store_n(&s->runqsize, size - n, __ATOMIC_RELAXED);

	struct goc_g *gp = s->runqhead;
	s->runqhead = gp->schedlink;
	if (s->runqhead == NULL)
		s->runqtail = NULL;
	for (n--; n > 0; n--) {
		struct goc_g *g1 = s->runqhead;
		s->runqhead = g1->schedlink;
		if (s->runqhead == NULL)
			s->runqtail = NULL;
		goc__runq_put(pp, g1, false);
	}
	return gp;
}
