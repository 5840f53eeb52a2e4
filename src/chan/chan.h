/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The channel structure (Go 1.25 runtime/chan.go hchan and waitq) and
 * the helpers chan.c, select.c and timerchan.c share. The public
 * goc_chan_t is this struct; see docs/design/channels.md.
 */
#ifndef GOC_CHAN_CHAN_H
#define GOC_CHAN_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "goconc/chan.h"
#include "rt/race.h"
#include "sched/lock.h"
#include "sched/runtime2.h"

/* A FIFO of waiting sudogs (Go's waitq), doubly linked for O(1) unlink. */
struct goc_waitq {
	/* (lock; atomic store) read lock-free by the non-blocking fast
	 * paths of an unbuffered channel (full/empty). */
	struct goc_sudog *first;
	struct goc_sudog *last; /* (lock) */
};

/*
 * Invariants, all under lock:
 *  - sendq and recvq are never both non-empty (a waiter on one side
 *    would have been matched by the arrival on the other), except that
 *    one select goroutine may sit on both sides of one channel.
 *  - Buffered: qcount > 0 implies recvq holds no waiter that could
 *    proceed, and qcount < dataqsiz implies sendq is empty.
 *  - closed changes from 0 to 1 exactly once; once closed, sendq and
 *    recvq are empty (close woke everybody) and stay empty.
 *  - sendx == (recvx + qcount) % dataqsiz.
 */
struct goc_hchan {
	uint64_t qcount;   /* (lock; atomic store) read by fast paths */
	uint64_t dataqsiz; /* (immutable) capacity in elements */
	char *buf;         /* (immutable) dataqsiz slots of elemsize */
	uint32_t elemsize; /* (immutable) < 65536 */
	uint32_t closed;   /* (lock; atomic store-release) fast paths read */
	bool timer;        /* (immutable) a timer's channel: len/cap read 0 */
	uint64_t sendx;    /* (lock) next slot to fill */
	uint64_t recvx;    /* (lock) next slot to drain */
	struct goc_waitq recvq; /* (lock) parked receivers */
	struct goc_waitq sendq; /* (lock) parked senders */
	/* Runtime lock (Go's hchan.lock): guards the fields tagged (lock).
	 * Several are held at once only by select, taken in address order
	 * (sellock). Waiters are dequeued and marked under it, and readied
	 * only after it is released. */
	struct goc_rtlock lock;
	uint64_t refs; /* (atomic) references; the last release frees */
};

static inline struct goc_hchan *
goc__hchan(goc_chan_t *c)
{
	return (struct goc_hchan *)(void *)c;
}

/* ---- lock-free checks (Go's full and empty) --------------------------- */

/*
 * goc__chan_full reports whether a send would block. The reads are
 * relaxed and may be stale; each is one untorn word, so the answer was
 * true at some moment during the call, which is all a failing
 * non-blocking send claims (Go's argument in chansend).
 */
static inline bool
goc__chan_full(struct goc_hchan *c)
{
	if (c->dataqsiz == 0)
		return __atomic_load_n(&c->recvq.first, __ATOMIC_RELAXED) ==
		       NULL;
	return __atomic_load_n(&c->qcount, __ATOMIC_RELAXED) == c->dataqsiz;
}

/*
 * goc__chan_empty reports whether a receive would block. Acquire so that
 * the load of closed that follows in chanrecv's fast path cannot be
 * performed before it (Go relies on the order: empty, then closed).
 */
static inline bool
goc__chan_empty(struct goc_hchan *c)
{
	if (c->dataqsiz == 0)
		return __atomic_load_n(&c->sendq.first, __ATOMIC_ACQUIRE) ==
		       NULL;
	return __atomic_load_n(&c->qcount, __ATOMIC_ACQUIRE) == 0;
}

/*
 * The lock-free "would block" answers of a non-blocking send and receive
 * on a non-nil channel, inlined into the callers that can take them
 * (Go's compiler inlines selectnbsend's and selectnbrecv's checks the
 * same way); false means "ask goc__chansend or goc__chanrecv".
 *
 * Send: closed first, relaxed; if it is seen open and the channel is then
 * seen full, at the moment of the full read the channel was both open
 * (it never reopens) and full, so failing is linearizable there.
 * Receive: empty (acquire, ordering the load of closed after it) and
 * open: the channel was empty and open at the moment of the empty read.
 * A closed empty channel is goc__chanrecv's to answer (it re-checks).
 */
static inline bool
goc__chan_send_fails_fast(struct goc_hchan *c)
{
	return __atomic_load_n(&c->closed, __ATOMIC_RELAXED) == 0 &&
	       goc__chan_full(c);
}

static inline bool
goc__chan_recv_fails_fast(struct goc_hchan *c)
{
	/* Acquire: pairs with goc_chan_close's store-release (what was
	 * written before the close is then visible to the caller). */
	return goc__chan_empty(c) &&
	       __atomic_load_n(&c->closed, __ATOMIC_ACQUIRE) == 0;
}

/* The current goroutine, or a foreign thread's stand-in. */
static inline struct goc_g *
goc__chan_curg(void)
{
	struct goc_g *gp = goc__getg();
	return gp != NULL ? gp : goc__foreign_g();
}

void goc__waitq_enqueue(struct goc_waitq *q, struct goc_sudog *sg);
struct goc_sudog *goc__waitq_take(struct goc_waitq *q);

/* The first waiter, unlinked (Go's dequeue), or NULL; under the channel's
 * lock. The empty case inline: most operations find no waiter. */
static inline struct goc_sudog *
goc__waitq_dequeue(struct goc_waitq *q)
{
	if (q->first == NULL)
		return NULL;
	return goc__waitq_take(q);
}
void goc__waitq_remove(struct goc_waitq *q, struct goc_sudog *sg);

/*
 * Locked steps of a channel operation, shared by chan.c and select.c.
 * Each is called with c->lock held, leaves it held, and returns the G to
 * ready (after the caller has unlocked) or NULL.
 */
struct goc_g *goc__chan_send_direct(struct goc_hchan *c, struct goc_sudog *sg,
				    const void *ep);
struct goc_g *goc__chan_recv_direct(struct goc_hchan *c, struct goc_sudog *sg,
				    void *ep);

static inline void *
goc__chan_slot(struct goc_hchan *c, uint64_t i)
{
	return c->buf + i * c->elemsize;
}

/*
 * The channel's own copies of elements: invisible to the race detector,
 * as Go's typedmemmove is (the program's side is reported at the call).
 * The common sizes as single moves (Go's compiler passes a typed move);
 * memcpy with a constant size is one unaligned load and store.
 */
static inline void
goc__chan_copy(struct goc_hchan *c, void *dst, const void *src)
{
	uint32_t n = c->elemsize;

	if (n == 0 || dst == NULL)
		return;
	goc__race_ignore_begin();
	if (n == 8)
		memcpy(dst, src, 8);
	else if (n == 4)
		memcpy(dst, src, 4);
	else
		memcpy(dst, src, n);
	goc__race_ignore_end();
}

/* Go's racenotify for the current goroutine and, with sg, for the
 * parked partner: one slot, acquire then release. */
static inline void
goc__chan_race_notify(struct goc_hchan *c, uint64_t idx, struct goc_sudog *sg)
{
	if (!GOC_RACE_ENABLED)
		return;
	const void *qp = goc__chan_slot(c, idx);
	if (sg == NULL) {
		goc__race_acquire(qp);
		goc__race_release(qp);
	} else {
		goc__race_acquireg(sg, qp);
		goc__race_releaseg(sg, qp);
	}
}

/* Relaxed store of qcount: see goc__chan_full()/goc__chan_empty(). */
static inline void
goc__chan_set_qcount(struct goc_hchan *c, uint64_t n)
{
	__atomic_store_n(&c->qcount, n, __ATOMIC_RELAXED);
}

/* The buffer's two ends (Go's chansend/chanrecv buffered steps). */
static inline void
goc__chan_buf_put(struct goc_hchan *c, const void *ep)
{
	goc__chan_race_notify(c, c->sendx, NULL);
	goc__chan_copy(c, goc__chan_slot(c, c->sendx), ep);
	if (++c->sendx == c->dataqsiz)
		c->sendx = 0;
	goc__chan_set_qcount(c, c->qcount + 1);
}

static inline void
goc__chan_buf_take(struct goc_hchan *c, void *ep)
{
	goc__chan_race_notify(c, c->recvx, NULL);
	goc__chan_copy(c, ep, goc__chan_slot(c, c->recvx));
	if (++c->recvx == c->dataqsiz)
		c->recvx = 0;
	goc__chan_set_qcount(c, c->qcount - 1);
}
void goc__chan_zero(struct goc_hchan *c, void *ep);

/* Race builds (rt/race.h): the program's side of a send or receive made
 * at pc, the acquire of a receive that found the channel closed, and the
 * address sends and close conflict at. No-ops in other builds. */
void goc__chan_race_send(struct goc_hchan *c, const void *ep, const void *pc);
void goc__chan_race_recv(struct goc_hchan *c, void *ep, const void *pc);
void goc__chan_race_closed(struct goc_hchan *c);
const void *goc__chan_raceaddr(struct goc_hchan *c);

/* Channel ops with a block flag (Go's chansend/chanrecv). */
bool goc__chansend(struct goc_hchan *c, const void *ep, bool block);
int goc__chanrecv(struct goc_hchan *c, void *ep, bool block);

/* A channel for a timer: cap 1 internally, len/cap read 0. */
struct goc_hchan *goc__chan_make_timer(size_t elem_size);

/* Parks forever (Go's gopark(nil, nil, ...) on a nil channel). */
GOC_NORETURN void goc__block_forever(enum goc_waitreason reason);

#endif /* GOC_CHAN_CHAN_H */
