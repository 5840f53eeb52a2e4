/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Timer channels: goc_after, goc_timer_*, goc_ticker_*, goc_after_func.
 *
 * Follows Go 1.23+ time/sleep.go, time/tick.go and runtime/time.go
 * (newTimer, stopTimer, resetTimer, sendTime, goFunc, timer.stop/reset
 * with the sendLock and seq that give "no stale value after Stop or
 * Reset"). They ride the scheduler's per-P timer heaps (sched/time.c).
 * Design notes: docs/design/channels.md.
 */
#include <stdint.h>
#include <stdlib.h>

#include "goconc/chan.h"
#include "goconc/sched.h"
#include "internal/panic.h"
#include "rt/race.h"
#include "chan/chan.h"
#include "sched/lock.h"
#include "sched/runtime2.h"

/*
 * Invariants and protocol:
 *  - x->lock (Go's timer lock and sendLock in one) orders every Stop,
 *    Reset and firing of one timer. Lock order: x->lock, then the
 *    channel's lock or a timer heap's lock (never the other way round).
 *  - Each insertion of x->t into a heap holds one reference; it is
 *    dropped by exactly one of: the firing of that insertion (fire()),
 *    or a goc__timer_del that removed it.
 *  - x->armed and x->when describe the current arming. A firing is
 *    stale (does nothing) unless armed && when <= now, where now is the
 *    time the heap read before it popped the timer. Stop clears armed;
 *    Reset sets when to a goc_now() read after the heap removal (or
 *    after the pop of an in-flight firing), so a firing popped before
 *    the Reset has now < when and is ignored: Go's seq check.
 *  - The channel has a one-element buffer (len/cap read 0, as Go 1.23).
 *    Stop and Reset drain it under x->lock, and firings send under
 *    x->lock, so no value prepared before a Stop or Reset is received
 *    after it returns.
 */
struct goc_chtimer {
	struct goc_rtlock lock; /* guards the fields tagged (lock) */
	struct goc_timer t;     /* (lock to arm/disarm) the heap timer */
	bool armed;             /* (lock) a firing is expected */
	int64_t when;           /* (lock) deadline of the current arming */
	int64_t period;         /* (lock) ticker period; 0 for a timer */
	struct goc_hchan *c;    /* (immutable) NULL for goc_after_func */
	void (*fn)(void *);     /* (immutable) goc_after_func's function */
	void *arg;              /* (immutable) */
	uint64_t refs;          /* (atomic) users + heap insertions */
};

static inline struct goc_chtimer *
T(goc_timer_t *t)
{
	return (struct goc_chtimer *)(void *)t;
}

static inline struct goc_chtimer *
K(goc_ticker_t *t)
{
	return (struct goc_chtimer *)(void *)t;
}

static void
unref(struct goc_chtimer *x)
{
	/* Acq_rel: all uses happen before the free. */
	if (__atomic_sub_fetch(&x->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	goc_chan_release((goc_chan_t *)x->c);
	/* Race builds: the program never touches this memory itself. */
	goc__race_ignore_begin();
	free(x);
	goc__race_ignore_end();
}

static int64_t
deadline(int64_t d)
{
	int64_t now = goc_now();
	if (d > 0 && d > INT64_MAX - now)
		return INT64_MAX;
	return now + d;
}

/* Under x->lock. */
/*
 * Race builds (rt/race.h): arming releases the timer and an AfterFunc
 * goroutine acquires it before it calls fn, so goc_after_func and
 * goc_timer_reset happen before the function runs, as in Go.
 */
static void
arm(struct goc_chtimer *x, int64_t when)
{
	goc__race_release(x);
	x->armed = true;
	x->when = when;
	/* Relaxed: the reference is made while another is held. */
	__atomic_add_fetch(&x->refs, 1, __ATOMIC_RELAXED);
	goc__timer_add(&x->t, when);
}

/* Under x->lock: stops the arming and drains a buffered value. Returns
 * whether a firing was pending or a value was discarded (Go's stop). */
static bool
disarm(struct goc_chtimer *x)
{
	bool pending = x->armed;
	x->armed = false;
	if (goc__timer_del(&x->t))
		__atomic_sub_fetch(&x->refs, 1,
				   __ATOMIC_RELAXED); /* not last */
	int64_t stale;
	if (x->c != NULL && goc__chanrecv(x->c, &stale, false) == GOC_CHAN_OK)
		pending = true;
	return pending;
}

#if GOC_RACE_ENABLED
/* Race builds start goc_after_func's function through this, holding a
 * reference, so that it acquires the arming first. */
static void
after_func_main(void *arg)
{
	struct goc_chtimer *x = arg;

	goc__race_acquire(x);
	x->fn(x->arg);
	unref(x);
}
#endif

/* The heap timer's function: runs on a scheduler thread, no lock held. */
static void
fire(void *arg, int64_t now)
{
	struct goc_chtimer *x = arg;

	goc__lock(&x->lock);
	if (x->armed && x->when <= now) {
		if (x->period > 0) {
			int64_t next = x->when + x->period;
			if (next <= now)
				next = now + x->period;
			arm(x, next);
		} else {
			x->armed = false;
		}
		if (x->c != NULL) {
			/* A full buffer drops the tick (Go's sendTime). */
			goc__chansend(x->c, &now, false);
		} else {
#if GOC_RACE_ENABLED
			/* Relaxed: made while this insertion's is held. */
			__atomic_add_fetch(&x->refs, 1, __ATOMIC_RELAXED);
			int err = goc_go(after_func_main, x);
#else
			int err = goc_go(x->fn, x->arg);
#endif
			if (err != 0)
				goc__throw("time: cannot start the AfterFunc "
					   "goroutine");
		}
	}
	goc__unlock(&x->lock);
	unref(x); /* this insertion's reference */
}

static struct goc_chtimer *
newtimer(bool with_chan, void (*fn)(void *), void *arg)
{
	goc__runtime_init();
	goc__race_ignore_begin();
	struct goc_chtimer *x = calloc(1, sizeof(*x));
	goc__race_ignore_end();
	if (x == NULL)
		return NULL;
	if (with_chan) {
		x->c = goc__chan_make_timer(sizeof(int64_t));
		if (x->c == NULL) {
			free(x);
			return NULL;
		}
	}
	x->fn = fn;
	x->arg = arg;
	x->t.f = fire;
	x->t.arg = x;
	x->t.idx = -1;
	x->refs = 1;
	return x;
}

/* ---- goc_after -------------------------------------------------------- */

goc_chan_t *
goc_after(int64_t d)
{
	struct goc_chtimer *x = newtimer(true, NULL, NULL);
	if (x == NULL)
		return NULL;
	goc_chan_t *c = goc_chan_retain((goc_chan_t *)x->c);
	goc__lock(&x->lock);
	arm(x, deadline(d));
	goc__unlock(&x->lock);
	unref(x); /* the armed insertion keeps it until it fires */
	return c;
}

/* ---- timers ----------------------------------------------------------- */

goc_timer_t *
goc_timer_new(int64_t d)
{
	struct goc_chtimer *x = newtimer(true, NULL, NULL);
	if (x == NULL)
		return NULL;
	goc__lock(&x->lock);
	arm(x, deadline(d));
	goc__unlock(&x->lock);
	return (goc_timer_t *)x;
}

goc_timer_t *
goc_after_func(int64_t d, void (*fn)(void *), void *arg)
{
	struct goc_chtimer *x = newtimer(false, fn, arg);
	if (x == NULL)
		return NULL;
	goc__lock(&x->lock);
	arm(x, deadline(d));
	goc__unlock(&x->lock);
	return (goc_timer_t *)x;
}

goc_chan_t *
goc_timer_chan(goc_timer_t *t)
{
	return (goc_chan_t *)T(t)->c;
}

bool
goc_timer_stop(goc_timer_t *t)
{
	struct goc_chtimer *x = T(t);
	goc__lock(&x->lock);
	bool pending = disarm(x);
	goc__unlock(&x->lock);
	return pending;
}

bool
goc_timer_reset(goc_timer_t *t, int64_t d)
{
	struct goc_chtimer *x = T(t);
	goc__lock(&x->lock);
	bool pending = disarm(x);
	/* The deadline is read after the disarm (see the invariants). */
	arm(x, deadline(d));
	goc__unlock(&x->lock);
	return pending;
}

void
goc_timer_release(goc_timer_t *t)
{
	if (t == NULL)
		return;
	goc_timer_stop(t);
	unref(T(t));
}

/* ---- tickers ---------------------------------------------------------- */

goc_ticker_t *
goc_ticker_new(int64_t d)
{
	if (d <= 0)
		goc_panic("non-positive interval for NewTicker");
	struct goc_chtimer *x = newtimer(true, NULL, NULL);
	if (x == NULL)
		return NULL;
	goc__lock(&x->lock);
	x->period = d;
	arm(x, deadline(d));
	goc__unlock(&x->lock);
	return (goc_ticker_t *)x;
}

goc_chan_t *
goc_ticker_chan(goc_ticker_t *t)
{
	return (goc_chan_t *)K(t)->c;
}

void
goc_ticker_stop(goc_ticker_t *t)
{
	struct goc_chtimer *x = K(t);
	goc__lock(&x->lock);
	disarm(x);
	goc__unlock(&x->lock);
}

void
goc_ticker_reset(goc_ticker_t *t, int64_t d)
{
	if (d <= 0)
		goc_panic("non-positive interval for Ticker.Reset");
	struct goc_chtimer *x = K(t);
	goc__lock(&x->lock);
	disarm(x);
	x->period = d;
	arm(x, deadline(d));
	goc__unlock(&x->lock);
}

void
goc_ticker_release(goc_ticker_t *t)
{
	if (t == NULL)
		return;
	goc_ticker_stop(t);
	unref(K(t));
}
