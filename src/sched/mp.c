/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Ps and Ms: acquiring and releasing a P, the idle lists, starting,
 * stopping and waking Ms, handing a P off, and resizing GOMAXPROCS at run
 * time. Follows Go 1.25 runtime/proc.go (acquirep, releasep, pidleput,
 * pidleget, mput, mget, newm, stopm, startm, handoffp, wakep,
 * resetspinning, procresize). The invariants and the parking protocol
 * are described at the top of proc.c.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "goconc/sched.h"
#include "os/os.h"
#include "sched/proc.h"
#include "sched/runtime2.h"

/* ---- Ps --------------------------------------------------------------- */

void
goc__acquirep(struct goc_m *m, struct goc_p *pp)
{
	if (m->p != NULL || pp->m != NULL)
		goc__throw("acquirep: already in go");
	m->p = pp;
	pp->m = m;
	/* Release: pairs with sysmon's and stealers' acquire loads. */
	__atomic_store_n(&pp->status, GOC_P_RUNNING, __ATOMIC_RELEASE);
}

struct goc_p *
goc__releasep(struct goc_m *m)
{
	struct goc_p *pp = m->p;
	if (pp == NULL || pp->m != m)
		goc__throw("releasep: invalid p state");
	m->p = NULL;
	pp->m = NULL;
	__atomic_store_n(&pp->status, GOC_P_IDLE, __ATOMIC_RELEASE);
	return pp;
}

/* pidleput puts pp on the idle list. sched.lock held. */
void
goc__pidleput(struct goc_p *pp)
{
	struct goc_sched *s = &goc__sched;

	if (!goc__runq_empty(pp))
		goc__throw("pidleput: P has non-empty run queue");
	pp->link = s->pidle;
	s->pidle = pp;
	/* Seq_cst: one side of the Dekker pair with wakep (see top). */
	__atomic_add_fetch(&s->npidle, 1, __ATOMIC_SEQ_CST);
}

/* pidleget takes an idle P, or NULL. sched.lock held. */
struct goc_p *
goc__pidleget(void)
{
	struct goc_sched *s = &goc__sched;
	struct goc_p *pp = s->pidle;

	if (pp != NULL) {
		s->pidle = pp->link;
		pp->link = NULL;
		__atomic_sub_fetch(&s->npidle, 1, __ATOMIC_SEQ_CST);
	}
	return pp;
}

struct goc_p *
goc__palloc(int32_t id)
{
	struct goc_p *pp = goc__xcalloc(1, sizeof(*pp));

	pp->id = id;
	pp->status = GOC_P_IDLE;
	pp->fastrand = (uint64_t)goc_os_nanotime() * (uint64_t)(id + 1);
	return pp;
}

/*
 * pdestroy empties a P beyond gomaxprocs: its queue goes to the global
 * queue, its timers to P 0, its dead Gs to the global free list. The
 * caller owns pp (released it, or took it off the idle list) and does
 * not hold sched.lock.
 */
void
goc__pdestroy(struct goc_p *pp)
{
	bool inherit;
	struct goc_g *gp;

	bool moved = false;
	while ((gp = goc__runq_get(pp, &inherit)) != NULL) {
		goc__globrunq_put(gp);
		moved = true;
	}
	int64_t when = __atomic_load_n(&pp->timer0when, __ATOMIC_ACQUIRE);
	goc__timers_move(pp, goc__sched.allp[0]);
	goc__lock(&goc__sched.gflock);
	while ((gp = pp->gfree) != NULL) {
		pp->gfree = gp->schedlink;
		goc__gfree_push_locked(gp);
	}
	pp->ngfree = 0;
	goc__unlock(&goc__sched.gflock);
	/*
	 * goc_maxprocs may have grown again meanwhile: then the P lives on
	 * as an idle one. Decided under sched.lock, where goc_maxprocs
	 * revives only dead Ps, so exactly one of us puts it back.
	 */
	goc__lock(&goc__sched.lock);
	if (pp->id < goc__sched.gomaxprocs) {
		__atomic_store_n(&pp->status, GOC_P_IDLE, __ATOMIC_RELEASE);
		goc__pidleput(pp);
	} else {
		__atomic_store_n(&pp->status, GOC_P_DEAD, __ATOMIC_RELEASE);
	}
	goc__unlock(&goc__sched.lock);
	/* The moved work must not wait for an M that may never come: its
	 * goroutines went to the global queue, its timers to P 0. */
	if (moved)
		goc__wakep();
	if (when != 0)
		goc__timer_kick(when);
}

/* ---- Ms --------------------------------------------------------------- */

/* mput puts m on the idle list. sched.lock held. */
static void
mput(struct goc_m *m)
{
	m->schedlink = goc__sched.midle;
	goc__sched.midle = m;
	goc__sched.nmidle++;
	goc__checkdead();
}

/* mget takes an idle M, or NULL. sched.lock held. */
struct goc_m *
goc__mget(void)
{
	struct goc_m *m = goc__sched.midle;

	if (m != NULL) {
		goc__sched.midle = m->schedlink;
		goc__sched.nmidle--;
		if (goc__sched.timerm == m)
			goc__sched.timerm = NULL;
	}
	return m;
}

/* munlink removes m from the idle list if it is there. sched.lock held. */
static bool
munlink(struct goc_m *m)
{
	for (struct goc_m **pp = &goc__sched.midle; *pp; pp = &(*pp)->schedlink)
		if (*pp == m) {
			*pp = m->schedlink;
			goc__sched.nmidle--;
			return true;
		}
	return false;
}

/* The M's thread ends (shutdown, or its locked goroutine exited). */
void
goc__mexit(struct goc_m *m)
{
	goc__stack_thread_exit();
	goc__setm(NULL);
	/* m stays on allm (dumps walk it); shutdown frees it once nmfreed
	 * counts it, so this is the last touch. */
	goc__lock(&goc__sched.lock);
	m->dead = true;
	/* Atomic store: tests and dumps read it without the lock. */
	__atomic_store_n(&goc__sched.nmfreed, goc__sched.nmfreed + 1,
			 __ATOMIC_RELEASE);
	goc__unlock(&goc__sched.lock);
	goc_os_thread_exit();
}

static void
newm(struct goc_p *pp, bool spinning)
{
	struct goc_sched *s = &goc__sched;
	struct goc_m *m = goc__xcalloc(1, sizeof(*m));

	m->nextp = pp;
	m->spinning = spinning;
	goc__lock(&s->lock);
	m->id = s->mnext++;
	m->alllink = s->allm;
	s->allm = m;
	goc__unlock(&s->lock);

	/* g0 runs only the scheduler; 256 KiB is ample. */
	int rc = goc_os_thread_start(&m->thread, goc__mstart, m, 256 * 1024,
				     true);
	if (rc != 0)
		goc__newosproc_failed(m->id + 1, rc);
}

/* Go's newosproc failure report (os_linux.go), word for word. */
void
goc__newosproc_failed(int32_t mcount, int err)
{
	fprintf(stderr,
		"runtime: failed to create new OS thread (have %d already; "
		"errno=%d)\n",
		(int)mcount, err);
	if (err == EAGAIN)
		fputs("runtime: may need to increase max user processes "
		      "(ulimit -u)\n",
		      stderr);
	goc_fatal("newosproc");
}

/*
 * stopm parks the M until startm hands it a P (returned acquired), or,
 * for the M that sleeps until the next timer, until that time (returns
 * with no P). Go's stopm, plus the timer sleep Go does in netpoll.
 */
void
goc__stopm(struct goc_m *m, bool timer_ok)
{
	struct goc_sched *s = &goc__sched;

	if (m->p != NULL)
		goc__throw("stopm holding p");
	if (m->spinning)
		goc__throw("stopm spinning");
	goc__lock(&s->lock);
	if (s->shutting_down) {
		goc__unlock(&s->lock);
		goc__mexit(m);
	}
	int64_t next = goc__timers_next();
	int64_t wait = -1;
	if (timer_ok && next != 0 &&
	    (s->timerm == NULL || next < s->timerm_until)) {
		s->timerm = m;
		s->timerm_until = next;
		wait = next - goc_os_nanotime();
		if (wait < 0)
			wait = 0;
	}
	m->blocked = true;
	mput(m);
	goc__unlock(&s->lock);

	bool woken = goc__notetsleep(&m->park, wait);
	if (!woken) {
		goc__lock(&s->lock);
		if (munlink(m)) {
			/* Timed out: nobody handed us anything. */
			if (s->timerm == m)
				s->timerm = NULL;
			m->blocked = false;
			goc__unlock(&s->lock);
			return;
		}
		goc__unlock(&s->lock);
		/* Someone took us off the list: their wakeup is coming. */
		goc__notesleep(&m->park);
	}
	goc__noteclear(&m->park);
	m->blocked = false;
	if (__atomic_load_n(&s->shutting_down, __ATOMIC_ACQUIRE))
		goc__mexit(m);
	if (m->nextp != NULL) {
		goc__acquirep(m, m->nextp);
		m->nextp = NULL;
	}
}

/*
 * goc__timer_kick wakes the M sleeping until the next timer if a timer
 * due at `when` comes before it planned to wake; with no such M, it makes
 * sure an idle P gets an M to watch the clock.
 */
void
goc__timer_kick(int64_t when)
{
	struct goc_sched *s = &goc__sched;

	goc__lock(&s->lock);
	struct goc_m *m = s->timerm;
	if (m != NULL && when < s->timerm_until) {
		/* Off the idle list, so nobody else wakes it too. */
		munlink(m);
		s->timerm = NULL;
		m->nextp = NULL;
		goc__unlock(&s->lock);
		goc__notewakeup(&m->park);
		return;
	}
	goc__unlock(&s->lock);
	if (m == NULL)
		goc__wakep();
}

/*
 * startm gives pp (or an idle P, if pp is NULL) to an idle or new M. If
 * spinning, the caller already counted the new M in nmspinning.
 */
void
goc__startm(struct goc_p *pp, bool spinning)
{
	struct goc_sched *s = &goc__sched;

	goc__lock(&s->lock);
	if (pp == NULL) {
		pp = goc__pidleget();
		if (pp == NULL) {
			goc__unlock(&s->lock);
			if (spinning)
				__atomic_sub_fetch(&s->nmspinning, 1,
						   __ATOMIC_SEQ_CST);
			return;
		}
	}
	if (s->shutting_down) {
		/* No new work starts while the runtime is being torn down. */
		goc__pidleput(pp);
		goc__unlock(&s->lock);
		if (spinning)
			__atomic_sub_fetch(&s->nmspinning, 1, __ATOMIC_SEQ_CST);
		return;
	}
	struct goc_m *m = goc__mget();
	goc__unlock(&s->lock);
	if (m == NULL) {
		newm(pp, spinning);
		return;
	}
	m->spinning = spinning;
	m->nextp = pp;
	goc__notewakeup(&m->park);
}

/* handoffp gives away a P whose M is blocked (Go's handoffp). */
void
goc__handoffp(struct goc_p *pp)
{
	struct goc_sched *s = &goc__sched;

	if (pp->id >= __atomic_load_n(&s->gomaxprocs, __ATOMIC_ACQUIRE)) {
		goc__pdestroy(pp);
		return;
	}
	/* Work to do: start an M for it. */
	if (!goc__runq_empty(pp) ||
	    __atomic_load_n(&s->runqsize, __ATOMIC_RELAXED) != 0) {
		goc__startm(pp, false);
		return;
	}
	/* No spinning or idle M: be the one that looks for work. */
	if (__atomic_load_n(&s->nmspinning, __ATOMIC_SEQ_CST) +
			    __atomic_load_n(&s->npidle, __ATOMIC_SEQ_CST) ==
		    0 &&
	    __atomic_fetch_add(&s->nmspinning, 1, __ATOMIC_SEQ_CST) == 0) {
		goc__startm(pp, true);
		return;
	}
	goc__lock(&s->lock);
	if (s->runqsize != 0) {
		goc__unlock(&s->lock);
		goc__startm(pp, false);
		return;
	}
	goc__pidleput(pp);
	goc__unlock(&s->lock);
	/* Timers on this P now wait on an idle P: make sure a sleeping M
	 * knows when to wake. */
	if (__atomic_load_n(&pp->timer0when, __ATOMIC_ACQUIRE) != 0)
		goc__wakep();
}

/* goc__wakep's slow half: some P is idle. */
void
goc__wakep_slow(void)
{
	struct goc_sched *s = &goc__sched;
	int32_t zero = 0;

	GOC_SIM_POINT();
	/* Seq_cst: the Dekker pair with findrunnable, as in goc__wakep. */
	if (__atomic_load_n(&s->nmspinning, __ATOMIC_SEQ_CST) != 0 ||
	    !__atomic_compare_exchange_n(&s->nmspinning, &zero, 1, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return;
	goc__startm(NULL, true);
}

void
goc__resetspinning(struct goc_m *m)
{
	struct goc_sched *s = &goc__sched;

	m->spinning = false;
	int32_t n = __atomic_sub_fetch(&s->nmspinning, 1, __ATOMIC_SEQ_CST);
	if (n < 0)
		goc__throw("findrunnable: negative nmspinning");
	/* We were the last spinner and found work: another M should look for
	 * more, as Go's resetspinning does. */
	if (n == 0)
		goc__wakep();
}

/* ---- GOMAXPROCS ------------------------------------------------------- */

int
goc_maxprocs(int n)
{
	struct goc_sched *s = &goc__sched;

	goc__runtime_init();
	goc__lock(&s->lock);
	int old = s->gomaxprocs;
	if (n <= 0 || n == old) {
		goc__unlock(&s->lock);
		return old;
	}
	if (n > GOC_MAXPROCS_LIMIT)
		n = GOC_MAXPROCS_LIMIT;
	if (n > old) {
		for (int i = old; i < n; i++) {
			if (s->allp[i] == NULL) {
				s->allp[i] = goc__palloc(i);
				goc__pidleput(s->allp[i]);
				continue;
			}
			/* Revive only dead Ps: one beyond the old limit whose
			 * M has not noticed yet just keeps running. */
			if (__atomic_load_n(&s->allp[i]->status,
					    __ATOMIC_ACQUIRE) == GOC_P_DEAD) {
				__atomic_store_n(&s->allp[i]->status,
						 GOC_P_IDLE, __ATOMIC_RELEASE);
				goc__pidleput(s->allp[i]);
			}
		}
		__atomic_store_n(&s->gomaxprocs, n, __ATOMIC_RELEASE);
		if (n > s->nallp)
			/* Release: the new Ps are set up before thieves
			 * that see the count look at them. */
			__atomic_store_n(&s->nallp, n, __ATOMIC_RELEASE);
		goc__unlock(&s->lock);
		goc__wakep();
		return old;
	}
	/* Shrink: idle Ps beyond n die now; running ones when their M next
	 * schedules (schedule() checks), in-syscall ones on exit or retake. */
	__atomic_store_n(&s->gomaxprocs, n, __ATOMIC_RELEASE);
	struct goc_p **pp = &s->pidle;
	while (*pp != NULL) {
		struct goc_p *p = *pp;
		/* The limit now, not n: while the lock was dropped for a
		 * pdestroy, a concurrent goc_maxprocs may have grown it
		 * again, and pdestroy then put its P back on the idle list;
		 * against n we would take it off and destroy it for ever. */
		if (p->id >= s->gomaxprocs) {
			*pp = p->link;
			p->link = NULL;
			__atomic_sub_fetch(&s->npidle, 1, __ATOMIC_SEQ_CST);
			goc__unlock(&s->lock);
			goc__pdestroy(p);
			goc__lock(&s->lock);
			pp = &s->pidle;
			continue;
		}
		pp = &p->link;
	}
	goc__unlock(&s->lock);
	return old;
}
