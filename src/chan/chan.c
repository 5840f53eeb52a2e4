/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Channels: make, send, receive, close, len, cap.
 *
 * Follows Go 1.25 runtime/chan.go (makechan, chansend, send, chanrecv,
 * recv, closechan, full, empty, waitq.enqueue/dequeue). Blocking select
 * lives in select.c, timer channels in timerchan.c. Design notes:
 * docs/design/channels.md.
 */
#include "chan/chan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goconc/chan.h"
#include "internal/panic.h"
#include "rt/race.h"
#include "sched/runtime2.h"

/*
 * Invariants: see struct goc_hchan in chan.h. The rules of this file:
 *  - A waiter's sudog lives on the waiter's stack. It is linked into a
 *    queue and unlinked only under the channel's lock; whoever unlinks
 *    it for a real operation (or close) fills in success and elem, then
 *    readies the G after unlocking. Nobody touches a sudog after
 *    readying its G.
 *  - A select waiter sits on several queues at once. Dequeuing it is a
 *    claim: the CAS of g->selectdone from 0 to 1 (Go's selectDone). A
 *    dequeuer that loses the CAS drops the sudog and tries the next;
 *    the select goroutine unlinks its remaining sudogs itself.
 *  - Never goc__ready() a G while holding c->lock: collect, unlock,
 *    ready (ready may take the scheduler's locks).
 *  - Race builds (rt/race.h) report Go's edges where Go's chan.go does:
 *    each buffer slot is a sync object acquired and released by the
 *    send that fills it and the receive that drains it (so the kth
 *    receive is ordered before the (k+cap)th send completes); a direct
 *    hand-off synchronises both parties through slot 0 (racesync); close
 *    writes and releases the channel's race address, which sends read
 *    and receives that see the close acquire. The library's own copies
 *    of elements are hidden from TSan; the program's read of a sent
 *    value and write of a received one are reported at the call.
 */

/* Largest buffer: what malloc can be asked for, less the header. */
#define MAXALLOC ((size_t)PTRDIFF_MAX - sizeof(struct goc_hchan) - 64)
#define BUFALIGN 16

static struct goc_hchan *
makechan(size_t elem_size, size_t cap, bool panics)
{
	if (elem_size >= 65536)
		goc_fatal("makechan: invalid channel element type");
	/* A capacity above PTRDIFF_MAX is a negative size converted. */
	if (cap > (size_t)PTRDIFF_MAX ||
	    (elem_size != 0 && cap > MAXALLOC / elem_size)) {
		if (panics)
			goc_panic("makechan: size out of range");
		return NULL;
	}
	size_t hdr = (sizeof(struct goc_hchan) + BUFALIGN - 1) &
		     ~(size_t)(BUFALIGN - 1);
	size_t mem = elem_size * cap;
	/* Race builds: the program never touches this memory itself. */
	goc__race_ignore_begin();
	struct goc_hchan *c = calloc(1, hdr + mem);
	goc__race_ignore_end();
	if (c == NULL)
		return NULL;
	/* Zero-size buffers point at the header: never dereferenced. */
	c->buf = (char *)c + (mem != 0 ? hdr : 0);
	c->elemsize = (uint32_t)elem_size;
	c->dataqsiz = cap;
	c->refs = 1;
	return c;
}

goc_chan_t *
goc_chan_make(size_t elem_size, size_t cap)
{
	return (goc_chan_t *)makechan(elem_size, cap, true);
}

struct goc_hchan *
goc__chan_make_timer(size_t elem_size)
{
	struct goc_hchan *c = makechan(elem_size, 1, false);
	if (c != NULL)
		c->timer = true;
	return c;
}

goc_chan_t *
goc_chan_retain(goc_chan_t *cc)
{
	struct goc_hchan *c = goc__hchan(cc);
	/* Relaxed: a new reference is made from one already held, which
	 * keeps the channel alive; nothing is published (as any refcount).
	 */
	if (c != NULL)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return cc;
}

void
goc_chan_release(goc_chan_t *cc)
{
	struct goc_hchan *c = goc__hchan(cc);
	if (c == NULL)
		return;
	/* Acq_rel: every use through other references happens before the
	 * free (release by each dropper, acquire by the last). */
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	goc__lock(&c->lock);
	bool waiters = c->sendq.first != NULL || c->recvq.first != NULL;
	goc__unlock(&c->lock);
	/* Goroutines parked on it keep it reachable, as Go's GC would. */
	if (!waiters) {
		goc__race_ignore_begin();
		free(c);
		goc__race_ignore_end();
	}
}

/* ---- wait queues ------------------------------------------------------ */

/* Relaxed stores of first: the lock orders them for locked readers; the
 * lock-free readers in full()/empty() only need an untorn value (see
 * there). */
static inline void
set_first(struct goc_waitq *q, struct goc_sudog *sg)
{
	__atomic_store_n(&q->first, sg, __ATOMIC_RELAXED);
}

void
goc__waitq_enqueue(struct goc_waitq *q, struct goc_sudog *sg)
{
	sg->next = NULL;
	struct goc_sudog *x = q->last;
	if (x == NULL) {
		sg->prev = NULL;
		set_first(q, sg);
		q->last = sg;
		return;
	}
	sg->prev = x;
	x->next = sg;
	q->last = sg;
}

struct goc_sudog *
goc__waitq_take(struct goc_waitq *q)
{
	for (;;) {
		struct goc_sudog *sg = q->first;
		if (sg == NULL)
			return NULL;
		struct goc_sudog *y = sg->next;
		if (y == NULL) {
			set_first(q, NULL);
			q->last = NULL;
		} else {
			y->prev = NULL;
			set_first(q, y);
			sg->next = NULL;
		}
		/*
		 * A select waiter is claimed by exactly one channel: whoever
		 * wins the CAS completes it; a loser has already dropped the
		 * sudog from this queue and looks at the next one. Seq_cst is
		 * the default; the CAS is the point two channels race on.
		 */
		if (sg->isselect) {
			uint32_t zero = 0;
			GOC_SIM_POINT();
#ifdef GOC_INJECT_BUG_SELECT_CLAIM
			/* Test-only bug (docs/testing.md): a claim that is not
			 * atomic, so two channels can both complete one select.
			 */
			if (__atomic_load_n(&sg->g->selectdone,
					    __ATOMIC_SEQ_CST))
				continue;
			GOC_SIM_POINT();
			__atomic_store_n(&sg->g->selectdone, 1,
					 __ATOMIC_SEQ_CST);
			(void)zero;
#else
			if (!__atomic_compare_exchange_n(
				    &sg->g->selectdone, &zero, 1, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				continue;
#endif
		}
		return sg;
	}
}

void
goc__waitq_remove(struct goc_waitq *q, struct goc_sudog *sg)
{
	struct goc_sudog *x = sg->prev, *y = sg->next;
	if (x != NULL) {
		if (y != NULL) {
			x->next = y;
			y->prev = x;
		} else {
			x->next = NULL;
			q->last = x;
		}
	} else if (y != NULL) {
		y->prev = NULL;
		set_first(q, y);
	} else if (q->first == sg) {
		set_first(q, NULL);
		q->last = NULL;
	} else {
		/* Not queued: a losing dequeuer already dropped it. */
		return;
	}
	sg->next = NULL;
	sg->prev = NULL;
}

/* ---- locked steps ----------------------------------------------------- */

void
goc__chan_zero(struct goc_hchan *c, void *ep)
{
	if (c->elemsize != 0 && ep != NULL) {
		goc__race_ignore_begin();
		memset(ep, 0, c->elemsize);
		goc__race_ignore_end();
	}
}

/* ---- race detector edges (no-ops outside --enable-race) --------------- */

/* Send and close conflict at this address (Go's c.raceaddr()); it is
 * also the sync object close releases. Distinct from slot 0. */
static inline const void *
raceaddr(struct goc_hchan *c)
{
	return &c->buf;
}

const void *
goc__chan_raceaddr(struct goc_hchan *c)
{
	return raceaddr(c);
}

/* Go's racesync: a hand-off on an unbuffered channel orders both ways. */
static inline void
race_sync(struct goc_hchan *c, struct goc_sudog *sg)
{
	if (!GOC_RACE_ENABLED)
		return;
	const void *b0 = c->buf;
	goc__race_release(b0);
	goc__race_acquireg(sg, b0);
	goc__race_releaseg(sg, b0);
	goc__race_acquire(b0);
}

void
goc__chan_race_closed(struct goc_hchan *c)
{
	goc__race_acquire(raceaddr(c));
}

/*
 * Go's send(): a receiver is waiting, so the value goes straight from
 * the sender's memory into the receiver's (stack-to-stack for goroutines;
 * stacks never move). The buffer must be empty.
 */
struct goc_g *
goc__chan_send_direct(struct goc_hchan *c, struct goc_sudog *sg, const void *ep)
{
	if (c->dataqsiz == 0) {
		race_sync(c, sg);
	} else if (GOC_RACE_ENABLED) {
		/* As if through the (empty) buffer: Go moves the indices
		 * only in race builds, and so does this. */
		goc__chan_race_notify(c, c->recvx, NULL);
		goc__chan_race_notify(c, c->recvx, sg);
		if (++c->recvx == c->dataqsiz)
			c->recvx = 0;
		c->sendx = c->recvx;
	}
	goc__chan_copy(c, sg->elem, ep);
	sg->elem = NULL;
	sg->success = true;
	sg->g->param = sg;
	return sg->g;
}

/*
 * Go's recv(): a sender is waiting. Unbuffered: copy from the sender.
 * Buffered (then full): take the head, put the sender's value at the
 * tail, which is the slot just freed.
 */
struct goc_g *
goc__chan_recv_direct(struct goc_hchan *c, struct goc_sudog *sg, void *ep)
{
	if (c->dataqsiz == 0) {
		race_sync(c, sg);
		goc__chan_copy(c, ep, sg->elem);
	} else {
		goc__chan_race_notify(c, c->recvx, NULL);
		goc__chan_race_notify(c, c->recvx, sg);
		void *qp = goc__chan_slot(c, c->recvx);
		goc__chan_copy(c, ep, qp);
		goc__chan_copy(c, qp, sg->elem);
		if (++c->recvx == c->dataqsiz)
			c->recvx = 0;
		c->sendx = c->recvx;
	}
	sg->elem = NULL;
	sg->success = true;
	sg->g->param = sg;
	return sg->g;
}

/* ---- parking ---------------------------------------------------------- */

/* park's unlock step: runs on g0 (or the foreign thread) once the G is
 * WAITING, so a waker that takes the lock sees a fully parked G. */
static bool
chanparkcommit(struct goc_g *gp, void *lock)
{
	(void)gp;
	goc__unlock(lock);
	return true;
}

void
goc__block_forever(enum goc_waitreason reason)
{
	for (;;)
		goc__park(NULL, NULL, reason);
}

/* ---- send ------------------------------------------------------------- */

static bool chansend_locked(struct goc_hchan *c, const void *ep, bool block);

bool
goc__chansend(struct goc_hchan *c, const void *ep, bool block)
{
	if (c == NULL) {
		if (!block)
			return false;
		goc__block_forever(GOC_WAIT_CHAN_SEND_NIL);
	}
	/*
	 * Fast path: a non-blocking send on an open, full channel fails
	 * without the lock. Relaxed reads (Go's argument): closed is read
	 * first; if it is seen open and the channel is then seen full, at
	 * the moment of the full() read the channel was both open (it never
	 * reopens) and full, so failing is linearizable there.
	 */
	if (!block && goc__chan_send_fails_fast(c))
		return false;
	return chansend_locked(c, ep, block);
}

/*
 * The locked part of a send, out of line so that the fast path above
 * needs no stack frame (the sudog lives in this one's).
 */
static GOC_NOINLINE bool
chansend_locked(struct goc_hchan *c, const void *ep, bool block)
{
	goc__lock(&c->lock);
	if (c->closed != 0) {
		goc__unlock(&c->lock);
		goc_panic("send on closed channel");
	}
	struct goc_sudog *sg = goc__waitq_dequeue(&c->recvq);
	if (sg != NULL) {
		struct goc_g *gp = goc__chan_send_direct(c, sg, ep);
		goc__unlock(&c->lock);
		goc__ready(gp);
		return true;
	}
	if (c->qcount < c->dataqsiz) {
		goc__chan_buf_put(c, ep);
		goc__unlock(&c->lock);
		return true;
	}
	if (!block) {
		goc__unlock(&c->lock);
		return false;
	}

	struct goc_g *gp = goc__chan_curg();
	struct goc_sudog me = {0};
	me.g = gp;
	me.elem = (void *)ep;
	me.c = c;
	gp->param = NULL;
	goc__waitq_enqueue(&c->sendq, &me);
	goc__race_park(&me);
	goc__park(chanparkcommit, &c->lock, GOC_WAIT_CHAN_SEND);
	goc__race_wake(&me);
	/* Woken by a receiver (success) or by close. */
	if (!me.success)
		goc_panic("send on closed channel");
	return true;
}

/* The program's side of a send, for the race detector: it reads the
 * value and the channel (a send racing a close is a race, as in Go). */
void
goc__chan_race_send(struct goc_hchan *c, const void *ep, const void *pc)
{
	if (GOC_RACE_ENABLED && c != NULL) {
		goc__race_read(ep, c->elemsize, pc);
		goc__race_read(raceaddr(c), 1, pc);
	}
}

/* The program's side of a receive that delivered (or zeroed) *ep. */
void
goc__chan_race_recv(struct goc_hchan *c, void *ep, const void *pc)
{
	if (GOC_RACE_ENABLED && c != NULL)
		goc__race_write(ep, c->elemsize, pc);
}

void
goc_chan_send(goc_chan_t *c, const void *elem)
{
	goc__chan_race_send(goc__hchan(c), elem, GOC_RACE_CALLERPC());
	goc__chansend(goc__hchan(c), elem, true);
}

bool
goc_chan_try_send(goc_chan_t *c, const void *elem)
{
	struct goc_hchan *h = goc__hchan(c);
	goc__chan_race_send(h, elem, GOC_RACE_CALLERPC());
	if (h != NULL && goc__chan_send_fails_fast(h))
		return false;
	return goc__chansend(h, elem, false);
}

/* ---- receive ---------------------------------------------------------- */

static int chanrecv_locked(struct goc_hchan *c, void *ep, bool block);

int
goc__chanrecv(struct goc_hchan *c, void *ep, bool block)
{
	if (c == NULL) {
		if (!block)
			return GOC_CHAN_WOULDBLOCK;
		goc__block_forever(GOC_WAIT_CHAN_RECEIVE_NIL);
	}
	/*
	 * Fast path: a non-blocking receive on an empty channel. If it is
	 * open, fail (empty and open at the moment of the acquire load in
	 * empty(), since closed never goes back to 0). If it is closed,
	 * look again: a value sent before the close must still be
	 * delivered (Go's re-check). The acquire load of closed pairs with
	 * the store-release in goc_chan_close, so everything before the
	 * close, including the last sends, is visible to the re-check, and
	 * the close is synchronized before this receive.
	 */
	if (!block && goc__chan_empty(c)) {
		if (__atomic_load_n(&c->closed, __ATOMIC_ACQUIRE) == 0)
			return GOC_CHAN_WOULDBLOCK;
		if (goc__chan_empty(c)) {
			goc__race_acquire(raceaddr(c));
			goc__chan_zero(c, ep);
			return GOC_CHAN_CLOSED;
		}
	}
	return chanrecv_locked(c, ep, block);
}

/* The locked part of a receive, out of line (see chansend_locked). */
static GOC_NOINLINE int
chanrecv_locked(struct goc_hchan *c, void *ep, bool block)
{
	goc__lock(&c->lock);
	if (c->closed != 0 && c->qcount == 0) {
		goc__race_acquire(raceaddr(c));
		goc__unlock(&c->lock);
		goc__chan_zero(c, ep);
		return GOC_CHAN_CLOSED;
	}
	struct goc_sudog *sg = goc__waitq_dequeue(&c->sendq);
	if (sg != NULL) {
		struct goc_g *gp = goc__chan_recv_direct(c, sg, ep);
		goc__unlock(&c->lock);
		goc__ready(gp);
		return GOC_CHAN_OK;
	}
	if (c->qcount > 0) {
		goc__chan_buf_take(c, ep);
		goc__unlock(&c->lock);
		return GOC_CHAN_OK;
	}
	if (!block) {
		goc__unlock(&c->lock);
		return GOC_CHAN_WOULDBLOCK;
	}

	struct goc_g *gp = goc__chan_curg();
	struct goc_sudog me = {0};
	me.g = gp;
	me.elem = ep;
	me.c = c;
	gp->param = NULL;
	goc__waitq_enqueue(&c->recvq, &me);
	goc__race_park(&me);
	goc__park(chanparkcommit, &c->lock, GOC_WAIT_CHAN_RECEIVE);
	goc__race_wake(&me);
	/* The sender or close has filled (or zeroed) *ep already. */
	return me.success ? GOC_CHAN_OK : GOC_CHAN_CLOSED;
}

bool
goc_chan_recv(goc_chan_t *c, void *elem)
{
	int r = goc__chanrecv(goc__hchan(c), elem, true);
	goc__chan_race_recv(goc__hchan(c), elem, GOC_RACE_CALLERPC());
	return r == GOC_CHAN_OK;
}

int
goc_chan_try_recv(goc_chan_t *c, void *elem)
{
	struct goc_hchan *h = goc__hchan(c);
	if (h != NULL && goc__chan_recv_fails_fast(h))
		return GOC_CHAN_WOULDBLOCK;
	int r = goc__chanrecv(h, elem, false);
	if (r != GOC_CHAN_WOULDBLOCK)
		goc__chan_race_recv(goc__hchan(c), elem, GOC_RACE_CALLERPC());
	return r;
}

/* ---- close ------------------------------------------------------------ */

void
goc_chan_close(goc_chan_t *cc)
{
	struct goc_hchan *c = goc__hchan(cc);
	if (c == NULL)
		goc_panic("close of nil channel");

	goc__lock(&c->lock);
	if (c->closed != 0) {
		goc__unlock(&c->lock);
		goc_panic("close of closed channel");
	}
	/* Race builds: close writes the channel (sends read it) and
	 * publishes everything before it to whoever sees it closed. */
	goc__race_write(raceaddr(c), 1, GOC_RACE_CALLERPC());
	goc__race_release(raceaddr(c));
	/* Release pairs with the acquire load in chanrecv's fast path. */
	__atomic_store_n(&c->closed, 1, __ATOMIC_RELEASE);

	/* Collect every waiter through schedlink (unused while WAITING). */
	struct goc_g *list = NULL;
	struct goc_sudog *sg;
	while ((sg = goc__waitq_dequeue(&c->recvq)) != NULL) {
		goc__race_acquireg(sg, raceaddr(c));
		goc__chan_zero(c, sg->elem);
		sg->elem = NULL;
		sg->success = false;
		sg->g->param = sg;
		sg->g->schedlink = list;
		list = sg->g;
	}
	while ((sg = goc__waitq_dequeue(&c->sendq)) != NULL) {
		goc__race_acquireg(sg, raceaddr(c));
		sg->elem = NULL;
		sg->success = false;
		sg->g->param = sg;
		sg->g->schedlink = list;
		list = sg->g;
	}
	goc__unlock(&c->lock);

	while (list != NULL) {
		struct goc_g *gp = list;
		list = gp->schedlink;
		gp->schedlink = NULL;
		goc__ready(gp);
	}
}

/* ---- len, cap --------------------------------------------------------- */

size_t
goc_chan_len(goc_chan_t *cc)
{
	struct goc_hchan *c = goc__hchan(cc);
	if (c == NULL || c->timer)
		return 0;
	/* Relaxed: a snapshot, as Go's len(ch) (a plain racy read there). */
	return (size_t)__atomic_load_n(&c->qcount, __ATOMIC_RELAXED);
}

size_t
goc_chan_cap(goc_chan_t *cc)
{
	struct goc_hchan *c = goc__hchan(cc);
	if (c == NULL || c->timer)
		return 0;
	return (size_t)c->dataqsiz;
}
