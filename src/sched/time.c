/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Timers on per-P heaps and goc_sleep, after Go 1.25 runtime/time.go
 * (a 4-ary min-heap per P, run by the scheduler as time passes; an idle
 * M sleeps until the earliest timer) and time.Sleep (resetForSleep: the
 * timer is armed only once the goroutine is parked, so it cannot fire
 * early).
 *
 * Invariants, under p->timerslock:
 *  - p->timers[0 .. ntimers) is a 4-ary min-heap on when, and
 *    t->idx is each timer's position; t->p == p.
 *  - p->timer0when is timers[0]->when, or 0 when the heap is empty.
 *  - A timer is on at most one heap; t->idx == -1 when on none.
 * A timer's function runs with no lock held, on the M that found it due.
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "goconc/sched.h"
#include "internal/panic.h"
#include "os/os.h"
#include "sched/runtime2.h"

static void
heap_set(struct goc_p *pp, int32_t i, struct goc_timer *t)
{
	pp->timers[i] = t;
	t->idx = i;
}

static void
sift_up(struct goc_p *pp, int32_t i)
{
	struct goc_timer *t = pp->timers[i];
	while (i > 0) {
		int32_t parent = (i - 1) / 4;
		if (pp->timers[parent]->when <= t->when)
			break;
		heap_set(pp, i, pp->timers[parent]);
		i = parent;
	}
	heap_set(pp, i, t);
}

static void
sift_down(struct goc_p *pp, int32_t i)
{
	struct goc_timer *t = pp->timers[i];
	int32_t n = pp->ntimers;
	for (;;) {
		int32_t c = 4 * i + 1, best = -1;
		for (int32_t k = c; k < c + 4 && k < n; k++)
			if (best < 0 ||
			    pp->timers[k]->when < pp->timers[best]->when)
				best = k;
		if (best < 0 || pp->timers[best]->when >= t->when)
			break;
		heap_set(pp, i, pp->timers[best]);
		i = best;
	}
	heap_set(pp, i, t);
}

static void
update_timer0(struct goc_p *pp)
{
	/* Release: an M reading timer0when without the lock then takes the
	 * lock before touching the heap, so relaxed would do; release keeps
	 * the published time ordered after the heap change for sysmon. */
	__atomic_store_n(&pp->timer0when,
			 pp->ntimers > 0 ? pp->timers[0]->when : 0,
			 __ATOMIC_RELEASE);
}

static void
heap_remove(struct goc_p *pp, struct goc_timer *t)
{
	int32_t i = t->idx;
	int32_t last = --pp->ntimers;
	t->idx = -1;
	/* Release: pairs with the acquire load in goc__timer_del(), which
	 * reads t->p before taking that P's lock. */
	__atomic_store_n(&t->p, NULL, __ATOMIC_RELEASE);
	if (i != last) {
		heap_set(pp, i, pp->timers[last]);
		if (i > 0 &&
		    pp->timers[i]->when < pp->timers[(i - 1) / 4]->when)
			sift_up(pp, i);
		else
			sift_down(pp, i);
	}
	pp->timers[last] = NULL;
}

static void
heap_push(struct goc_p *pp, struct goc_timer *t)
{
	if (pp->ntimers == pp->timerscap) {
		int32_t cap = pp->timerscap ? pp->timerscap * 2 : 16;
		struct goc_timer **nt =
			realloc(pp->timers, (size_t)cap * sizeof(*nt));
		if (nt == NULL)
			goc__throw("out of memory growing a timer heap");
		pp->timers = nt;
		pp->timerscap = cap;
	}
	__atomic_store_n(&t->p, pp, __ATOMIC_RELEASE);
	pp->timers[pp->ntimers] = t;
	t->idx = pp->ntimers++;
	sift_up(pp, t->idx);
}

void
goc__timer_add(struct goc_timer *t, int64_t when)
{
	struct goc_m *m = goc__getm();
	struct goc_p *pp =
		m != NULL && m->p != NULL ? m->p : goc__sched.allp[0];

	goc__lock(&pp->timerslock);
	if (__atomic_load_n(&t->p, __ATOMIC_RELAXED) != NULL)
		goc__throw("timer_add: timer already armed");
	t->when = when;
	t->seq++;
	heap_push(pp, t);
	bool first = pp->timers[0] == t;
	update_timer0(pp);
	goc__unlock(&pp->timerslock);
	if (first)
		goc__timer_kick(when);
}

bool
goc__timer_del(struct goc_timer *t)
{
	for (;;) {
		struct goc_p *pp = __atomic_load_n(&t->p, __ATOMIC_ACQUIRE);
		if (pp == NULL)
			return false;
		goc__lock(&pp->timerslock);
		if (__atomic_load_n(&t->p, __ATOMIC_RELAXED) != pp) {
			/* Moved or fired meanwhile: look again. */
			goc__unlock(&pp->timerslock);
			continue;
		}
		heap_remove(pp, t);
		t->seq++;
		update_timer0(pp);
		goc__unlock(&pp->timerslock);
		return true;
	}
}

int64_t
goc__timers_check(struct goc_p *pp, int64_t now)
{
	int64_t next = __atomic_load_n(&pp->timer0when, __ATOMIC_ACQUIRE);
	if (next == 0)
		return 0;
	/* now == 0: read the clock only when a timer exists. */
	if (now == 0)
		now = goc_os_nanotime();
	if (next > now)
		return next;
	goc__lock(&pp->timerslock);
	while (pp->ntimers > 0 && pp->timers[0]->when <= now) {
		struct goc_timer *t = pp->timers[0];
		heap_remove(pp, t);
		if (t->period > 0) {
			t->when += t->period;
			if (t->when <= now)
				t->when = now + t->period;
			heap_push(pp, t);
		}
		void (*f)(void *, int64_t) = t->f;
		void *arg = t->arg;
		update_timer0(pp);
		goc__unlock(&pp->timerslock);
		f(arg, now);
		goc__lock(&pp->timerslock);
	}
	next = pp->ntimers > 0 ? pp->timers[0]->when : 0;
	goc__unlock(&pp->timerslock);
	return next;
}

int64_t
goc__timers_next(void)
{
	struct goc_sched *s = &goc__sched;
	int32_t n = __atomic_load_n(&s->gomaxprocs, __ATOMIC_ACQUIRE);
	int64_t next = 0;

	for (int32_t i = 0; i < n; i++) {
		struct goc_p *pp = s->allp[i];
		if (pp == NULL)
			continue;
		int64_t w = __atomic_load_n(&pp->timer0when, __ATOMIC_ACQUIRE);
		if (w != 0 && (next == 0 || w < next))
			next = w;
	}
	return next;
}

void
goc__timers_move(struct goc_p *from, struct goc_p *to)
{
	if (from == to)
		return;
	/* Lock in id order: the only place two heap locks are held. */
	struct goc_p *a = from->id < to->id ? from : to;
	struct goc_p *b = from->id < to->id ? to : from;
	goc__lock(&a->timerslock);
	goc__lock(&b->timerslock);
	while (from->ntimers > 0) {
		struct goc_timer *t = from->timers[from->ntimers - 1];
		heap_remove(from, t);
		heap_push(to, t);
	}
	update_timer0(from);
	update_timer0(to);
	goc__unlock(&b->timerslock);
	goc__unlock(&a->timerslock);
}

/* ---- sleep ------------------------------------------------------------ */

static void
sleep_fire(void *arg, int64_t now)
{
	(void)now;
	goc__ready(arg);
}

/* Arms the sleep timer once the goroutine is parked (Go's
 * resetForSleep): runs on g0 as park's unlock step. */
static bool
sleep_arm(struct goc_g *gp, void *arg)
{
	struct goc_timer *t = &gp->sleeptimer;
	t->f = sleep_fire;
	t->arg = gp;
	t->period = 0;
	goc__timer_add(t, *(int64_t *)arg);
	return true;
}

void
goc_sleep(int64_t ns)
{
	/* Go: a zero or negative duration returns at once. */
	if (ns <= 0)
		return;
	struct goc_g *gp = goc__getg();
	if (gp == NULL) {
		/* A foreign thread just sleeps. */
		int64_t now = goc_os_nanotime();
		int64_t until = ns > INT64_MAX - now ? INT64_MAX : now + ns;
		for (;;) {
			int64_t left = until - goc_os_nanotime();
			if (left <= 0)
				return;
			struct timespec ts = {left / 1000000000,
					      left % 1000000000};
#ifdef GOC_SIM
			/* Virtual time: the simulation's sleep. */
			goc_os_usleep((uint32_t)(left / 1000 + 1));
			(void)ts;
#else
			nanosleep(&ts, NULL);
#endif
		}
	}
	int64_t now = goc_os_nanotime();
	int64_t when = ns > INT64_MAX - now ? INT64_MAX : now + ns;
	goc__park(sleep_arm, &when, GOC_WAIT_SLEEP);
}

int64_t
goc_now(void)
{
	return goc_os_nanotime();
}
