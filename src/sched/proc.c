/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The scheduler: Ms, Ps, the scheduling loop, goroutine creation and
 * exit, park and ready. Follows Go 1.25 runtime/proc.go (schedule,
 * findRunnable, stealWork, stopm, startm, handoffp, wakep, resetspinning,
 * newproc, goexit0, gopark/park_m, goready, checkdead, procresize,
 * LockOSThread). Design notes: docs/design/scheduler.md.
 *
 * Contents: state and helpers; Ps and Ms (acquire, release, idle lists,
 * start, stop, hand-off); the scheduling loop; goroutines (create, exit,
 * park, ready, yield); foreign threads; LockOSThread; the public entry
 * points (goc_run, goc_go, goc_maxprocs, goc_shutdown).
 *
 * Invariants:
 *  - An M runs goroutines only while it holds a P (m->p, p->m, and
 *    p->status == GOC_P_RUNNING agree); an M without a P is idle (on
 *    sched.midle, sleeping on m->park), in a system call, or waiting for
 *    its locked G.
 *  - A P is idle (on sched.pidle), running (held by one M), in a system
 *    call (its M's oldp, no M), or dead (id >= gomaxprocs).
 *  - nmspinning counts Ms with m->spinning set. A spinning M holds a P.
 *  - Every goroutine switch goes through g0: a G saves its context and
 *    resumes its M's g0 (mcall); g0 then runs the requested step and
 *    picks the next G. A G's context is therefore saved before anyone
 *    else can see it parked or runnable.
 *
 * The parking protocol (a Dekker pair, Go's "spinning M" protocol): a
 * producer makes work visible (runqput) and then checks nmspinning and
 * npidle (wakep); an M going idle drops nmspinning and then re-checks every
 * run queue. Both sides use seq_cst on the counter and acquire loads on
 * the queues, so at least one of them sees the other: work is never left
 * with every M asleep.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "goconc/sched.h"
#include "internal/assert.h"
#include "internal/panic.h"
#include "os/os.h"
#include "rt/fiber.h"
#include "sched/runtime2.h"

struct goc_sched goc__sched;

/* The most Ps goc_maxprocs accepts; allp is allocated once at this size
 * so that stealers may walk it without a lock. */
#define MAXPROCS_LIMIT 1024

const char *const goc__waitreason_str[GOC_WAIT_NREASONS] = {
	[GOC_WAIT_ZERO] = "",
	[GOC_WAIT_SLEEP] = "sleep",
	[GOC_WAIT_CHAN_RECEIVE] = "chan receive",
	[GOC_WAIT_CHAN_SEND] = "chan send",
	[GOC_WAIT_CHAN_RECEIVE_NIL] = "chan receive (nil chan)",
	[GOC_WAIT_CHAN_SEND_NIL] = "chan send (nil chan)",
	[GOC_WAIT_SELECT] = "select",
	[GOC_WAIT_SELECT_NO_CASES] = "select (no cases)",
	[GOC_WAIT_SYNC_MUTEX_LOCK] = "sync.Mutex.Lock",
	[GOC_WAIT_SYNC_RWMUTEX_RLOCK] = "sync.RWMutex.RLock",
	[GOC_WAIT_SYNC_RWMUTEX_LOCK] = "sync.RWMutex.Lock",
	[GOC_WAIT_SYNC_WAITGROUP_WAIT] = "sync.WaitGroup.Wait",
	[GOC_WAIT_SYNC_COND_WAIT] = "sync.Cond.Wait",
	[GOC_WAIT_SEMACQUIRE] = "semacquire",
	[GOC_WAIT_LOCKED_THREAD] = "locked to thread",
	[GOC_WAIT_TEST] = "test",
};

static pthread_key_t foreign_key;
static __thread struct goc_g *tls_foreign;

static void schedule(struct goc_m *m);
static void checkdead(void);

/* ---- helpers -------------------------------------------------------- */

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t
goc__fastrand(void)
{
	struct goc_m *m = goc__getm();
	static __thread uint64_t fallback;

	if (m != NULL)
		return (uint32_t)splitmix(&m->fastrand);
	if (fallback == 0)
		fallback = (uint64_t)goc_os_nanotime() ^ (uintptr_t)&fallback;
	return (uint32_t)splitmix(&fallback);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (p == NULL)
		goc__throw("out of memory allocating scheduler state");
	return p;
}

static inline uint32_t
readgstatus(struct goc_g *gp)
{
	return __atomic_load_n(&gp->status, __ATOMIC_ACQUIRE);
}

/*
 * casgstatus moves gp from old to new (Go's casgstatus). Acq_rel: a
 * status change publishes the G's saved state to whoever sees the new
 * status (the readier, a thief) and acquires what they published.
 */
static void
casgstatus(struct goc_g *gp, uint32_t old, uint32_t new)
{
	uint32_t exp = old;
	if (!__atomic_compare_exchange_n(&gp->status, &exp, new, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		goc__throwf("casgstatus: goroutine %llu: bad status %u, "
			    "want %u -> %u",
			    (unsigned long long)gp->goid, exp, old, new);
}

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
static void
pidleput(struct goc_p *pp)
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

static struct goc_p *
palloc(int32_t id)
{
	struct goc_p *pp = xcalloc(1, sizeof(*pp));

	pp->id = id;
	pp->status = GOC_P_IDLE;
	pp->fastrand = (uint64_t)goc_os_nanotime() * (uint64_t)(id + 1);
	return pp;
}

/*
 * The global free list of dead Gs. Pushed and popped under gflock; the
 * head is also read without the lock as a hint (is it worth locking?),
 * so it is written with atomic stores.
 */
static void
gfree_push_locked(struct goc_g *gp)
{
	struct goc_sched *s = &goc__sched;

	gp->schedlink = s->gfree;
	__atomic_store_n(&s->gfree, gp, __ATOMIC_RELAXED);
	s->ngfree++;
}

static struct goc_g *
gfree_pop_locked(void)
{
	struct goc_sched *s = &goc__sched;
	struct goc_g *gp = s->gfree;

	if (gp != NULL) {
		__atomic_store_n(&s->gfree, gp->schedlink, __ATOMIC_RELAXED);
		s->ngfree--;
	}
	return gp;
}

static bool
gfree_nonempty(void)
{
	return __atomic_load_n(&goc__sched.gfree, __ATOMIC_RELAXED) != NULL;
}

/*
 * pdestroy empties a P beyond gomaxprocs: its queue goes to the global
 * queue, its timers to P 0, its dead Gs to the global free list. The
 * caller owns pp (released it, or took it off the idle list) and does
 * not hold sched.lock.
 */
static void
pdestroy(struct goc_p *pp)
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
		gfree_push_locked(gp);
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
		pidleput(pp);
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
	checkdead();
}

/* mget takes an idle M, or NULL. sched.lock held. */
static struct goc_m *
mget(void)
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

static void *mstart(void *arg);

/* The M's thread ends (shutdown, or its locked goroutine exited). */
static GOC_NORETURN void
mexit(struct goc_m *m)
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
	pthread_exit(NULL);
}

static void
newm(struct goc_p *pp, bool spinning)
{
	struct goc_sched *s = &goc__sched;
	struct goc_m *m = xcalloc(1, sizeof(*m));
	pthread_attr_t attr;

	m->nextp = pp;
	m->spinning = spinning;
	goc__lock(&s->lock);
	m->id = s->mnext++;
	m->alllink = s->allm;
	s->allm = m;
	goc__unlock(&s->lock);
	m->fastrand = (uint64_t)goc_os_nanotime() ^ ((uint64_t)m->id << 32);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* g0 runs only the scheduler; 256 KiB is ample. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	int rc = pthread_create(&m->thread, &attr, mstart, m);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		goc_fatal("newosproc: thread exhaustion");
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
		mexit(m);
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
		mexit(m);
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
		pidleput(pp);
		goc__unlock(&s->lock);
		if (spinning)
			__atomic_sub_fetch(&s->nmspinning, 1, __ATOMIC_SEQ_CST);
		return;
	}
	struct goc_m *m = mget();
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
		pdestroy(pp);
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
	pidleput(pp);
	goc__unlock(&s->lock);
	/* Timers on this P now wait on an idle P: make sure a sleeping M
	 * knows when to wake. */
	if (__atomic_load_n(&pp->timer0when, __ATOMIC_ACQUIRE) != 0)
		goc__wakep();
}

void
goc__wakep(void)
{
	struct goc_sched *s = &goc__sched;

	/* Seq_cst: the other side of the Dekker pair in findrunnable. */
	if (__atomic_load_n(&s->npidle, __ATOMIC_SEQ_CST) == 0)
		return;
	int32_t zero = 0;
	if (__atomic_load_n(&s->nmspinning, __ATOMIC_SEQ_CST) != 0 ||
	    !__atomic_compare_exchange_n(&s->nmspinning, &zero, 1, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return;
	goc__startm(NULL, true);
}

static void
resetspinning(struct goc_m *m)
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

/* ---- the scheduling loop ---------------------------------------------- */

/* Try every other P, in random order, four rounds (Go's stealWork). */
static struct goc_g *
stealwork(struct goc_m *m, bool *inherit)
{
	struct goc_p *pp = m->p;
	int32_t n = __atomic_load_n(&goc__sched.gomaxprocs, __ATOMIC_ACQUIRE);

	*inherit = false;
	for (int round = 0; round < 4; round++) {
		bool last = round == 3;
		uint32_t start = goc__fastrand();
		for (int32_t i = 0; i < n; i++) {
			struct goc_p *v = goc__sched.allp[(start + i) % n];
			if (v == pp || v == NULL)
				continue;
			/* Run overdue timers of other Ps in the last round. */
			if (last)
				goc__timers_check(v, goc_os_nanotime());
			struct goc_g *gp = goc__runq_steal(pp, v, last);
			if (gp != NULL)
				return gp;
			if (!goc__runq_empty(pp))
				return goc__runq_get(pp, inherit);
		}
	}
	return NULL;
}

/*
 * findrunnable finds a goroutine to run, blocking the M until one exists
 * (Go's findRunnable). Returns with m->p held.
 */
static struct goc_g *
findrunnable(struct goc_m *m, bool *inherit)
{
	struct goc_sched *s = &goc__sched;
	struct goc_g *gp;

top:;
	struct goc_p *pp = m->p;
	*inherit = false;
	goc__timers_check(pp, 0);
	if ((gp = goc__runq_get(pp, inherit)) != NULL)
		return gp;
	if (__atomic_load_n(&s->runqsize, __ATOMIC_RELAXED) != 0) {
		goc__lock(&s->lock);
		gp = goc__globrunq_get(pp, 0);
		goc__unlock(&s->lock);
		if (gp != NULL)
			return gp;
	}

	/*
	 * Steal, but limit spinning Ms to half the busy Ps: spinning more
	 * only burns CPU (Go's 2*nmspinning < gomaxprocs-npidle rule).
	 */
	int32_t procs = __atomic_load_n(&s->gomaxprocs, __ATOMIC_ACQUIRE);
	if (m->spinning ||
	    2 * __atomic_load_n(&s->nmspinning, __ATOMIC_SEQ_CST) <
		    procs - __atomic_load_n(&s->npidle, __ATOMIC_SEQ_CST)) {
		if (!m->spinning) {
			m->spinning = true;
			__atomic_add_fetch(&s->nmspinning, 1, __ATOMIC_SEQ_CST);
		}
		if ((gp = stealwork(m, inherit)) != NULL)
			return gp;
	}

	/* Nothing. Give up the P, then look once more before sleeping. */
	goc__lock(&s->lock);
	if (s->runqsize != 0) {
		gp = goc__globrunq_get(pp, 0);
		goc__unlock(&s->lock);
		return gp;
	}
	goc__releasep(m);
	if (pp->id >= s->gomaxprocs) {
		goc__unlock(&s->lock);
		pdestroy(pp);
	} else {
		pidleput(pp);
		goc__unlock(&s->lock);
	}

	if (m->spinning) {
		m->spinning = false;
		/* Seq_cst: see "The parking protocol" at the top. */
		if (__atomic_sub_fetch(&s->nmspinning, 1, __ATOMIC_SEQ_CST) < 0)
			goc__throw("findrunnable: negative nmspinning");
		/* Re-check the global queue after dropping nmspinning, as
		 * Go's findrunnable does: a G queued there after our last
		 * look (goc__ready from a foreign thread, say) had its
		 * producer's wakep() see us spinning and wake nobody. */
		goc__lock(&s->lock);
		struct goc_p *gp2 = s->runqsize != 0 ? goc__pidleget() : NULL;
		goc__unlock(&s->lock);
		if (gp2 != NULL) {
			goc__acquirep(m, gp2);
			m->spinning = true;
			__atomic_add_fetch(&s->nmspinning, 1, __ATOMIC_SEQ_CST);
			goto top;
		}
		/* And every local run queue. */
		for (int32_t i = 0; i < procs; i++) {
			struct goc_p *v = s->allp[i];
			if (v == NULL || goc__runq_empty(v))
				continue;
			goc__lock(&s->lock);
			struct goc_p *p2 = goc__pidleget();
			goc__unlock(&s->lock);
			if (p2 != NULL) {
				goc__acquirep(m, p2);
				m->spinning = true;
				__atomic_add_fetch(&s->nmspinning, 1,
						   __ATOMIC_SEQ_CST);
				goto top;
			}
			break;
		}
	}

	bool timer_ok = true;
	for (;;) {
		goc__stopm(m, timer_ok);
		if (m->p != NULL)
			goto top;
		/* Timers that are due but sit on busy Ps run when those Ps
		 * schedule; do not spin on them. */
		timer_ok = false;
		/* Woken by the timer clock with no P: run timers if a P is
		 * free, otherwise a running P will. */
		goc__lock(&s->lock);
		struct goc_p *p2 = goc__pidleget();
		goc__unlock(&s->lock);
		if (p2 != NULL) {
			goc__acquirep(m, p2);
			for (int32_t i = 0; i < procs; i++)
				if (s->allp[i] != NULL)
					goc__timers_check(s->allp[i],
							  goc_os_nanotime());
			goto top;
		}
	}
}

/* Switch from g0 into gp; returns when gp switches back (mcall). */
static void
execute(struct goc_m *m, struct goc_g *gp, bool inherit)
{
	struct goc_p *pp = m->p;

	m->curg = gp;
	gp->m = m;
	casgstatus(gp, GOC_G_RUNNABLE, GOC_G_RUNNING);
	if (!inherit)
		__atomic_store_n(&pp->schedtick, pp->schedtick + 1,
				 __ATOMIC_RELAXED);
	goc__stack_set_current(&gp->stack, gp->goid, gp->name);
	goc__fiber_switch(&m->g0, &gp->fiber);
	goc__stack_set_current(NULL, 0, NULL);
	if (!goc__stack_check(&gp->stack))
		goc__stack_overflow(gp->goid, gp->name, &gp->stack);
}

/* mcall: switch from the running G to its M's g0, which runs fn(m, g). */
static void
mcall(void (*fn)(struct goc_m *, struct goc_g *))
{
	struct goc_m *m = goc__getm();
	struct goc_g *gp = m->curg;

	m->mcall_fn = fn;
	goc__fiber_switch(&gp->fiber, &m->g0);
}

/*
 * An M woken as a spinning M may end up stopping again in schedule()
 * (its P was beyond a shrunk GOMAXPROCS, or it handed its P to a locked
 * goroutine's M): it passes the duty to look for work on first.
 */
static void
stopm_from_schedule(struct goc_m *m)
{
	if (m->spinning)
		resetspinning(m);
	goc__stopm(m, true);
}

/* Start gp on the current P (execute it now), or schedule another. */
static void
schedule(struct goc_m *m)
{
	struct goc_sched *s = &goc__sched;
	struct goc_g *gp;
	bool inherit;

	for (;;) {
		if (m->p == NULL && m->lockedg == NULL) {
			/* Back from a stopm that timed out, with no P. */
			goc__lock(&s->lock);
			struct goc_p *p2 = goc__pidleget();
			goc__unlock(&s->lock);
			if (p2 == NULL) {
				stopm_from_schedule(m);
				continue;
			}
			goc__acquirep(m, p2);
		}
		if (m->lockedg != NULL) {
			/* Our G is locked to us: hand the P on and wait for it.
			 */
			struct goc_g *lg = m->lockedg;
			if (m->p != NULL)
				goc__handoffp(goc__releasep(m));
			goc__lock(&s->lock);
			s->nmidlelocked++;
			checkdead();
			goc__unlock(&s->lock);
			goc__notesleep(&m->park);
			goc__noteclear(&m->park);
			goc__lock(&s->lock);
			s->nmidlelocked--;
			goc__unlock(&s->lock);
			goc__acquirep(m, m->nextp);
			m->nextp = NULL;
			gp = lg;
			inherit = false;
		} else {
			struct goc_p *pp = m->p;
			if (pp->id >=
			    __atomic_load_n(&s->gomaxprocs, __ATOMIC_ACQUIRE)) {
				/* goc_maxprocs shrank past us. */
				goc__releasep(m);
				pdestroy(pp);
				stopm_from_schedule(m);
				if (m->p == NULL) {
					goc__lock(&s->lock);
					struct goc_p *p2 = goc__pidleget();
					goc__unlock(&s->lock);
					if (p2 == NULL)
						continue;
					goc__acquirep(m, p2);
				}
				continue;
			}
			gp = NULL;
			inherit = false;
			/* Due timers first, as Go's findRunnable does. */
			goc__timers_check(pp, 0);
			/* Fairness: look at the global queue now and then. */
			if (pp->schedtick % 61 == 0 &&
			    __atomic_load_n(&s->runqsize, __ATOMIC_RELAXED) >
				    0) {
				goc__lock(&s->lock);
				gp = goc__globrunq_get(pp, 1);
				goc__unlock(&s->lock);
			}
			if (gp == NULL)
				gp = goc__runq_get(pp, &inherit);
			if (gp == NULL)
				gp = findrunnable(m, &inherit);
			if (m->spinning)
				resetspinning(m);
			if (gp->lockedm != NULL && gp->lockedm != m) {
				/* Hand our P to the G's own M and sleep. */
				struct goc_m *lm = gp->lockedm;
				struct goc_p *mine = goc__releasep(m);
				lm->nextp = mine;
				goc__notewakeup(&lm->park);
				stopm_from_schedule(m);
				if (m->p == NULL) {
					goc__lock(&s->lock);
					struct goc_p *p2 = goc__pidleget();
					goc__unlock(&s->lock);
					if (p2 == NULL) {
						stopm_from_schedule(m);
						if (m->p == NULL)
							continue;
					} else {
						goc__acquirep(m, p2);
					}
				}
				continue;
			}
		}
		for (;;) {
			execute(m, gp, inherit);
			void (*fn)(struct goc_m *, struct goc_g *) =
				m->mcall_fn;
			m->mcall_fn = NULL;
			m->curg = NULL;
			gp->m = NULL;
			fn(m, gp);
			if (m->exiting)
				return;
			/* A step may hand back a G to run at once. */
			gp = m->curg;
			if (gp == NULL)
				break;
			m->curg = NULL;
			inherit = true;
		}
	}
}

static void *
mstart(void *arg)
{
	struct goc_m *m = arg;

	goc__setm(m);
	m->tid = goc_os_gettid();
	goc__stack_thread_init();
	goc__fiber_init_thread(&m->g0);
	if (m->nextp != NULL) {
		goc__acquirep(m, m->nextp);
		m->nextp = NULL;
	}
	schedule(m);
	/* Only an M whose locked goroutine exited gets here. */
	mexit(m);
}

/* ---- goroutines ------------------------------------------------------- */

static struct goc_g *
gfget(struct goc_p *pp, size_t stack_size)
{
	struct goc_g *gp = NULL;

	if (pp != NULL && pp->gfree == NULL && gfree_nonempty()) {
		/* Refill the local cache from the global list (Go: 32). */
		goc__lock(&goc__sched.gflock);
		while (pp->ngfree < 32 && (gp = gfree_pop_locked()) != NULL) {
			gp->schedlink = pp->gfree;
			pp->gfree = gp;
			pp->ngfree++;
		}
		goc__unlock(&goc__sched.gflock);
	}
	if (pp != NULL && pp->gfree != NULL) {
		gp = pp->gfree;
		pp->gfree = gp->schedlink;
		pp->ngfree--;
	} else if (pp == NULL && gfree_nonempty()) {
		goc__lock(&goc__sched.gflock);
		gp = gfree_pop_locked();
		goc__unlock(&goc__sched.gflock);
	}
	if (gp == NULL)
		return NULL;
	if (gp->stack.size != stack_size && gp->stack.lo != NULL) {
		/* Wrong size: keep the G, change the stack. */
		goc__stack_free(&gp->stack);
		memset(&gp->stack, 0, sizeof(gp->stack));
	}
	return gp;
}

static void
gfput(struct goc_p *pp, struct goc_g *gp)
{
	gp->schedlink = pp->gfree;
	pp->gfree = gp;
	pp->ngfree++;
	if (pp->ngfree >= 64) {
		/* Move half to the global list (Go keeps 32 local). */
		goc__lock(&goc__sched.gflock);
		while (pp->ngfree > 32) {
			gp = pp->gfree;
			pp->gfree = gp->schedlink;
			pp->ngfree--;
			gfree_push_locked(gp);
		}
		goc__unlock(&goc__sched.gflock);
	}
}

static void goexit0(struct goc_m *m, struct goc_g *gp);

/* The first frame of every goroutine. */
static void
gmain(void *arg)
{
	struct goc_g *gp = arg;

	goc__fiber_entered(&gp->fiber);
	gp->fn(gp->arg);
	/* The last switch off this stack: g0 runs goexit0. */
	struct goc_m *m = goc__getm();
	m->mcall_fn = goexit0;
	goc__fiber_exit(&gp->fiber, &m->g0);
}

static void
goexit0(struct goc_m *m, struct goc_g *gp)
{
	struct goc_sched *s = &goc__sched;

	casgstatus(gp, GOC_G_RUNNING, GOC_G_DEAD);
	gp->waitreason = GOC_WAIT_ZERO;
	gp->param = NULL;
	gp->fn = NULL;
	gp->arg = NULL;
	gp->name = NULL;
	bool locked = gp->lockedm != NULL;
	gp->lockedm = NULL;
	gp->lockedext = 0;
	m->lockedg = NULL;
	__atomic_sub_fetch(&s->ngoroutines, 1, __ATOMIC_RELEASE);
	goc__fiber_destroy(&gp->fiber);
	if (gp->exit_notify != NULL) {
		/* Release pairs with the acquire load in goc_run(). */
		__atomic_store_n(gp->exit_notify, 1, __ATOMIC_RELEASE);
		goc_os_futex_wake(gp->exit_notify, 1);
		gp->exit_notify = NULL;
	}
	gfput(m->p, gp);
	if (locked) {
		/* Go: a goroutine that exits locked takes its thread along. */
		goc__handoffp(goc__releasep(m));
		m->exiting = true;
	}
}

static int
newproc(void (*fn)(void *), void *arg, const goc_go_opts_t *o, void *pc,
	bool is_main)
{
	struct goc_sched *s = &goc__sched;
	struct goc_m *m = goc__getm();
	struct goc_p *pp = m != NULL ? m->p : NULL;
	/* The size goc__stack_alloc will give, so cached Gs match. */
	size_t size = goc__stack_round_size(
		o != NULL && o->stack_size != 0 ? o->stack_size
						: goc__stack_default_size());
	struct goc_g *gp = gfget(pp, size);
	if (gp == NULL) {
		gp = calloc(1, sizeof(*gp));
		if (gp == NULL)
			return GOC_ENOMEM;
		goc__lock(&s->lock);
		gp->alllink = s->allg;
		s->allg = gp;
		goc__unlock(&s->lock);
	}
	if (gp->stack.lo == NULL) {
		int rc = goc__stack_alloc(&gp->stack, size);
		if (rc != 0) {
			/* Keep the G for later; it has no stack. */
			memset(&gp->stack, 0, sizeof(gp->stack));
			if (pp != NULL)
				gfput(pp, gp);
			else {
				goc__lock(&s->gflock);
				gfree_push_locked(gp);
				goc__unlock(&s->gflock);
			}
			return rc;
		}
	}
	gp->fn = fn;
	gp->arg = arg;
	gp->name = o != NULL ? o->name : NULL;
	gp->goid = __atomic_add_fetch(&s->goidgen, 1, __ATOMIC_RELAXED);
	struct goc_g *parent = goc__getg();
	gp->parent_goid = parent != NULL ? parent->goid : 0;
	gp->created_pc = pc;
	gp->waitreason = GOC_WAIT_ZERO;
	gp->schedlink = NULL;
	goc__fiber_make(&gp->fiber, gp->stack.lo, gp->stack.size, gmain, gp);
	__atomic_add_fetch(&s->ngoroutines, 1, __ATOMIC_RELAXED);
	/* Release: the goroutine's start is synchronized after goc_go. */
	casgstatus(gp, GOC_G_DEAD, GOC_G_RUNNABLE);
	if (is_main) {
		/*
		 * goc_run's main goroutine: deadlock checking starts in the
		 * same critical section that queues it, so no M going idle can
		 * see "inside goc_run" without seeing the work.
		 */
		goc__lock(&s->lock);
		s->running_main = true;
		goc__globrunq_putbatch_locked(gp, gp, 1);
		goc__unlock(&s->lock);
	} else if (pp != NULL) {
		goc__runq_put(pp, gp, true);
	} else {
		/* A foreign thread that spawns may spawn or wake again later:
		 * register it, which keeps deadlock detection off. */
		goc__foreign_g();
		goc__globrunq_put(gp);
	}
	goc__wakep();
	return 0;
}

int
goc_go_opts(void (*fn)(void *), void *arg, const goc_go_opts_t *o)
{
	goc__runtime_init();
	return newproc(fn, arg, o, __builtin_return_address(0), false);
}

int
goc_go(void (*fn)(void *), void *arg)
{
	goc__runtime_init();
	return newproc(fn, arg, NULL, __builtin_return_address(0), false);
}

/* ---- park and ready --------------------------------------------------- */

static void
park_m(struct goc_m *m, struct goc_g *gp)
{
	casgstatus(gp, GOC_G_RUNNING, GOC_G_WAITING);
	bool (*unlockf)(struct goc_g *, void *) = m->waitunlockf;
	void *lock = m->waitlock;
	m->waitunlockf = NULL;
	m->waitlock = NULL;
	if (unlockf != NULL && !unlockf(gp, lock)) {
		/* The wait was called off: run the G again at once. */
		casgstatus(gp, GOC_G_WAITING, GOC_G_RUNNABLE);
		m->curg = gp;
	}
}

/* Foreign threads park on a futex in their stand-in G. */
static void
park_foreign(struct goc_g *gp, bool (*unlockf)(struct goc_g *, void *),
	     void *lock)
{
	casgstatus(gp, GOC_G_RUNNING, GOC_G_WAITING);
	if (unlockf != NULL && !unlockf(gp, lock)) {
		casgstatus(gp, GOC_G_WAITING, GOC_G_RUNNING);
		return;
	}
	/* Acquire pairs with the release store in goc__ready(). */
	while (__atomic_load_n(&gp->parkkey, __ATOMIC_ACQUIRE) == 0)
		goc_os_futex_wait(&gp->parkkey, 0, -1);
	__atomic_store_n(&gp->parkkey, 0, __ATOMIC_RELAXED);
	casgstatus(gp, GOC_G_RUNNABLE, GOC_G_RUNNING);
}

void
goc__park(bool (*unlockf)(struct goc_g *, void *), void *lock,
	  enum goc_waitreason reason)
{
	struct goc_m *m = goc__getm();

	if (m == NULL || m->curg == NULL) {
		struct goc_g *fg = goc__foreign_g();
		fg->waitreason = (uint8_t)reason;
		fg->waitsince = goc_os_nanotime();
		park_foreign(fg, unlockf, lock);
		return;
	}
	struct goc_g *gp = m->curg;
	gp->waitreason = (uint8_t)reason;
	gp->waitsince = goc_os_nanotime();
	m->waitunlockf = unlockf;
	m->waitlock = lock;
	mcall(park_m);
}

void
goc__ready(struct goc_g *gp)
{
	casgstatus(gp, GOC_G_WAITING, GOC_G_RUNNABLE);
	if (gp->foreign) {
		/* Release pairs with the acquire load in park_foreign(). */
		__atomic_store_n(&gp->parkkey, 1, __ATOMIC_RELEASE);
		goc_os_futex_wake(&gp->parkkey, 1);
		return;
	}
	struct goc_m *m = goc__getm();
	if (m != NULL && m->p != NULL)
		goc__runq_put(m->p, gp, true);
	else
		goc__globrunq_put(gp);
	goc__wakep();
}

static void
gosched_m(struct goc_m *m, struct goc_g *gp)
{
	casgstatus(gp, GOC_G_RUNNING, GOC_G_RUNNABLE);
	/* The tail of the local queue: everything queued runs first. Go puts
	 * the G on the global queue; the local tail gives the same order on
	 * this P without the global lock. */
	goc__runq_put(m->p, gp, false);
}

void
goc_yield(void)
{
	struct goc_m *m = goc__getm();

	if (m == NULL || m->curg == NULL) {
		sched_yield();
		return;
	}
	mcall(gosched_m);
}

/* ---- foreign threads -------------------------------------------------- */

static void
foreign_exit(void *arg)
{
	struct goc_g *fg = arg;

	__atomic_sub_fetch(&goc__sched.nforeign, 1, __ATOMIC_SEQ_CST);
	free(fg);
}

struct goc_g *
goc__foreign_g(void)
{
	if (tls_foreign != NULL)
		return tls_foreign;
	goc__runtime_init();
	struct goc_g *fg = xcalloc(1, sizeof(*fg));
	fg->foreign = true;
	fg->status = GOC_G_RUNNING;
	tls_foreign = fg;
	__atomic_add_fetch(&goc__sched.nforeign, 1, __ATOMIC_SEQ_CST);
	/* The destructor unregisters the thread when it exits. */
	pthread_setspecific(foreign_key, fg);
	return fg;
}

/* ---- LockOSThread ----------------------------------------------------- */

void
goc_lock_os_thread(void)
{
	struct goc_m *m = goc__getm();

	if (m == NULL || m->curg == NULL)
		return; /* a foreign thread is its own thread already */
	struct goc_g *gp = m->curg;
	if (++gp->lockedext == 0)
		goc__throw("LockOSThread nesting overflow");
	gp->lockedm = m;
	m->lockedg = gp;
}

void
goc_unlock_os_thread(void)
{
	struct goc_m *m = goc__getm();

	if (m == NULL || m->curg == NULL)
		return;
	struct goc_g *gp = m->curg;
	if (gp->lockedext == 0)
		return; /* as Go: unlocking an unlocked goroutine is a no-op */
	if (--gp->lockedext == 0) {
		gp->lockedm = NULL;
		m->lockedg = NULL;
	}
}

/* ---- deadlock detection ---------------------------------------------- */

/*
 * checkdead reports a global deadlock (Go's checkdead): only under
 * goc_run, only with no foreign thread registered (one could wake a
 * goroutine later), and only when no M is running or in a system call
 * and no timer is pending. sched.lock held.
 */
static void
checkdead(void)
{
	struct goc_sched *s = &goc__sched;

	if (!s->running_main ||
	    __atomic_load_n(&s->nforeign, __ATOMIC_SEQ_CST) > 0)
		return;
	int32_t run =
		s->mnext - s->nmfreed - s->nmidle - s->nmidlelocked - s->nmsys;
	if (run > 0)
		return;
	if (run < 0)
		goc__throwf("checkdead: inconsistent counts mcount=%d "
			    "nmidle=%d nmidlelocked=%d nmfreed=%d",
			    s->mnext, s->nmidle, s->nmidlelocked, s->nmfreed);
	if (goc__timers_next() != 0)
		return;
	if (__atomic_load_n(&s->runqsize, __ATOMIC_RELAXED) != 0)
		return;
	for (int32_t i = 0; i < s->gomaxprocs; i++)
		if (s->allp[i] != NULL && !goc__runq_empty(s->allp[i]))
			return;
	goc_fatal("all goroutines are asleep - deadlock!");
}

/* ---- lifecycle -------------------------------------------------------- */

static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;
static bool key_made;

static int
default_procs(void)
{
	const char *env = getenv("GOCONC_MAXPROCS");
	int n = goc_os_ncpu();

	if (env != NULL && *env != 0) {
		char *end;
		long v = strtol(env, &end, 10);
		if (*end == 0 && v > 0 && v <= MAXPROCS_LIMIT)
			n = (int)v;
		else
			fprintf(stderr,
				"goconc: ignoring invalid GOCONC_MAXPROCS=%s\n",
				env);
	}
	return n > MAXPROCS_LIMIT ? MAXPROCS_LIMIT : n;
}

void
goc__runtime_init(void)
{
	struct goc_sched *s = &goc__sched;

	/* Acquire pairs with the release store of started below. */
	if (GOC_LIKELY(__atomic_load_n(&s->started, __ATOMIC_ACQUIRE)))
		return;
	pthread_mutex_lock(&init_mu);
	if (!s->started) {
		int n = default_procs();
		goc__stack_init();
		if (!key_made) {
			pthread_key_create(&foreign_key, foreign_exit);
			key_made = true;
		}
		s->allp = xcalloc(MAXPROCS_LIMIT, sizeof(*s->allp));
		s->gomaxprocs = n;
		for (int i = n - 1; i >= 0; i--) {
			s->allp[i] = palloc(i);
			goc__lock(&s->lock);
			pidleput(s->allp[i]);
			goc__unlock(&s->lock);
		}
		goc__traceback_hook = goc__dump_all;
		goc__dump_install_sigquit();
		goc__sysmon_start();
		__atomic_store_n(&s->started, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&init_mu);
}

struct run_state {
	int (*fn)(void *);
	void *arg;
	int result;
	uint32_t done; /* (atomic) 0 running, 1 main goroutine gone */
};

static void
run_main(void *arg)
{
	struct run_state *st = arg;

	st->result = st->fn(st->arg);
	goc__lock(&goc__sched.lock);
	goc__sched.running_main = false;
	goc__unlock(&goc__sched.lock);
	/* goexit0 tells goc_run once this goroutine is really dead. */
	goc__getg()->exit_notify = &st->done;
}

int
goc_run(int (*main_fn)(void *), void *arg)
{
	struct run_state st = {.fn = main_fn, .arg = arg};

	goc__runtime_init();
	goc_go_opts_t o = {.name = "main"};
	int rc = newproc(run_main, &st, &o, __builtin_return_address(0), true);
	if (rc != 0)
		return rc;
	while (__atomic_load_n(&st.done, __ATOMIC_ACQUIRE) == 0)
		goc_os_futex_wait(&st.done, 0, -1);
	return st.result;
}

uint64_t
goc_id(void)
{
	struct goc_g *gp = goc__getg();
	return gp != NULL ? gp->goid : 0;
}

int
goc_num_goroutine(void)
{
	return (int)__atomic_load_n(&goc__sched.ngoroutines, __ATOMIC_RELAXED);
}

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
	if (n > MAXPROCS_LIMIT)
		n = MAXPROCS_LIMIT;
	if (n > old) {
		for (int i = old; i < n; i++) {
			if (s->allp[i] == NULL) {
				s->allp[i] = palloc(i);
				pidleput(s->allp[i]);
				continue;
			}
			/* Revive only dead Ps: one beyond the old limit whose
			 * M has not noticed yet just keeps running. */
			if (__atomic_load_n(&s->allp[i]->status,
					    __ATOMIC_ACQUIRE) == GOC_P_DEAD) {
				__atomic_store_n(&s->allp[i]->status,
						 GOC_P_IDLE, __ATOMIC_RELEASE);
				pidleput(s->allp[i]);
			}
		}
		__atomic_store_n(&s->gomaxprocs, n, __ATOMIC_RELEASE);
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
		if (p->id >= n) {
			*pp = p->link;
			p->link = NULL;
			__atomic_sub_fetch(&s->npidle, 1, __ATOMIC_SEQ_CST);
			goc__unlock(&s->lock);
			pdestroy(p);
			goc__lock(&s->lock);
			pp = &s->pidle;
			continue;
		}
		pp = &p->link;
	}
	goc__unlock(&s->lock);
	return old;
}

int
goc_shutdown(void)
{
	struct goc_sched *s = &goc__sched;

	pthread_mutex_lock(&init_mu);
	if (!s->started) {
		pthread_mutex_unlock(&init_mu);
		return 0;
	}
	goc__lock(&s->lock);
	if (__atomic_load_n(&s->ngoroutines, __ATOMIC_RELAXED) != 0 ||
	    s->running_main) {
		goc__unlock(&s->lock);
		pthread_mutex_unlock(&init_mu);
		return GOC_EBUSY;
	}
	__atomic_store_n(&s->shutting_down, true, __ATOMIC_RELEASE);
	goc__unlock(&s->lock);
	/* sysmon first: it could otherwise start an M behind our back. */
	goc__sysmon_stop();

	/* Every M ends at its next stopm; wake the sleeping ones until the
	 * last has gone (spinning ones get there on their own). */
	for (;;) {
		goc__lock(&s->lock);
		struct goc_m *m;
		while ((m = mget()) != NULL) {
			m->nextp = NULL;
			goc__notewakeup(&m->park);
		}
		bool done = s->mnext == s->nmfreed;
		goc__unlock(&s->lock);
		if (done)
			break;
		goc_os_usleep(50);
	}

	/* Nothing runs now: free the Ms, Ps, Gs and their stacks. */
	while (s->allm != NULL) {
		struct goc_m *m = s->allm;
		s->allm = m->alllink;
		free(m);
	}
	for (int i = 0; i < MAXPROCS_LIMIT; i++) {
		struct goc_p *pp = s->allp[i];
		if (pp == NULL)
			continue;
		free(pp->timers);
		free(pp);
	}
	free(s->allp);
	while (s->allg != NULL) {
		struct goc_g *gp = s->allg;
		s->allg = gp->alllink;
		if (gp->stack.lo != NULL)
			goc__stack_free(&gp->stack);
		free(gp);
	}
	uint64_t goid = s->goidgen;
	memset(s, 0, sizeof(*s));
	s->goidgen = goid; /* ids stay unique across restarts */
	pthread_mutex_unlock(&init_mu);
	return 0;
}
