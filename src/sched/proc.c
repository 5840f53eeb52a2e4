/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The scheduler: Ms, Ps, the scheduling loop, goroutine creation and
 * exit, park and ready. Follows Go 1.25 runtime/proc.go (schedule,
 * findRunnable, stealWork, stopm, startm, handoffp, wakep, resetspinning,
 * newproc, goexit0, gopark/park_m, goready, checkdead, procresize,
 * LockOSThread). Design notes: docs/design/scheduler.md.
 *
 * This file: the scheduler state, the scheduling loop (find a runnable
 * goroutine, steal, execute, mcall), park, ready and yield. The rest of
 * the scheduler lives beside it (sched/proc.h lists who does what): Ps
 * and Ms in mp.c, goroutine creation and exit in newproc.c, start-up,
 * deadlock detection and shutdown in lifecycle.c, foreign threads and
 * LockOSThread in foreign.c.
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

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "goconc/sched.h"
#include "os/os.h"
#include "rt/fiber.h"
#include "rt/race.h"
#include "sched/proc.h"
#include "sched/runtime2.h"

struct goc_sched goc__sched;

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

/* ---- helpers -------------------------------------------------------- */

/*
 * goc__fastrand: Go's cheaprand, a wyrand step on a per-thread state.
 * The state is thread-local and touched only inside this out-of-line
 * function, so no TLS address outlives a context switch (a goroutine may
 * resume on another thread); any thread's stream is as good as another.
 */
uint32_t
goc__fastrand(void)
{
#ifdef GOC_SIM
	return goc__sim_rand32(); /* steal and select order: the sim decides */
#else
	static __thread uint64_t state;
	uint64_t s = state;

	if (GOC_UNLIKELY(s == 0))
		s = (uint64_t)goc_os_nanotime() ^ (uintptr_t)&state;
	s += 0xa0761d6478bd642fULL;
	state = s;
	unsigned __int128 t =
		(unsigned __int128)s * (s ^ 0xe7037ed1a0b428dbULL);
	return (uint32_t)((uint64_t)(t >> 64) ^ (uint64_t)t);
#endif
}

/* ---- the scheduling loop ---------------------------------------------- */

/*
 * Try every other P, in random order, four rounds (Go's stealWork).
 * "Every" includes Ps beyond a lowered gomaxprocs that are still running
 * (goc_maxprocs does not stop the world): a goroutine spawned or readied
 * there sits on that P's queue, and if the running goroutine never
 * parks, a thief is the only way it runs.
 */
static struct goc_g *
stealwork(struct goc_m *m, bool *inherit)
{
	struct goc_p *pp = m->p;
	int32_t n = __atomic_load_n(&goc__sched.nallp, __ATOMIC_ACQUIRE);

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
	goc__timers_poll(pp);
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
		goc__pdestroy(pp);
	} else {
		goc__pidleput(pp);
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
		/* And every local run queue (beyond gomaxprocs too, see
		 * stealwork). */
		int32_t nall = __atomic_load_n(&s->nallp, __ATOMIC_ACQUIRE);
		for (int32_t i = 0; i < nall; i++) {
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

/*
 * make_current makes gp, taken off pp's queues, the running G of m:
 * its status, its stack at the first run, the P's schedtick (unless gp
 * inherits the time slice) and the thread's stack-owner record for the
 * fault handler. execute() and goc__direct_next() then switch to it.
 */
static inline __attribute__((always_inline)) void
make_current(struct goc_m *m, struct goc_p *pp, struct goc_g *gp, bool inherit)
{
	m->curg = gp;
	gp->m = m;
	goc__casgstatus(gp, GOC_G_RUNNABLE, GOC_G_RUNNING);
	if (GOC_UNLIKELY(gp->stack_want != 0))
		goc__gstart_stack(pp, gp); /* its first run */
	if (!inherit)
		__atomic_store_n(&pp->schedtick, pp->schedtick + 1,
				 __ATOMIC_RELAXED);
	goc__stack_set_current(&gp->stack, gp->goid, gp->name);
}

/*
 * Switch from g0 into gp; returns the G that switches back to g0 (mcall):
 * gp, or one that gp (or a successor) switched to directly.
 */
static struct goc_g *
execute(struct goc_m *m, struct goc_g *gp, bool inherit)
{
	make_current(m, m->p, gp, inherit);
	goc__fiber_switch(&m->g0, &gp->fiber);
	gp = m->curg;
	goc__stack_set_current(NULL, 0, NULL);
	if (!goc__stack_check(&gp->stack))
		goc__stack_overflow(gp->goid, gp->name, &gp->stack);
	return gp;
}

/* mcall: switch from the running G to its M's g0, which runs fn(m, g).
 * m is the caller's goc__getm(), taken with no switch since. Back on
 * this G (on whatever M), the step a direct switch left is finished. */
static void
mcall(struct goc_m *m, void (*fn)(struct goc_m *, struct goc_g *))
{
	struct goc_g *gp = m->curg;

	m->mcall_fn = fn;
	goc__fiber_switch(&gp->fiber, &m->g0);
	goc__direct_finish();
}

/* ---- direct switches -------------------------------------------------- */

/*
 * A goroutine that blocks, yields or exits switches to g0, whose
 * schedule() picks the next goroutine: two context switches per hand-off.
 * When the next goroutine is at hand in this P's local queue and nothing
 * else needs g0 (no timers on the P, the global queue not due its turn,
 * the P within GOMAXPROCS, no locked goroutine either side), the running
 * G switches straight to it instead, and the step g0 would have run for
 * the leaving G (gosched_m, park_direct_m, goexit0) runs on the arriving
 * G's stack the moment it lands, before anything else there: until its
 * registers are saved, nothing may make the leaving G findable (queue
 * it, unlock what its wait registered under, free it). Every place where
 * a G resumes (after a switch in mcall, in a direct switch, at the top of
 * gmain, after exitsyscall0) calls goc__direct_finish first.
 *
 * goc__direct_next takes the next G as schedule() would (runnext first,
 * inheriting the time slice, then the local queue; schedtick counted the
 * same), makes it this M's running G and records fn for it to finish
 * for gp. NULL: no G at hand; fall back to mcall. Out of line: it writes
 * thread-local state, and its caller switches right after.
 */
GOC_NOINLINE struct goc_g *
goc__direct_next(struct goc_m *m, struct goc_g *gp,
		 void (*fn)(struct goc_m *, struct goc_g *))
{
	struct goc_sched *s = &goc__sched;
	struct goc_p *pp = m->p;
	bool inherit = false;

	if (m->lockedg != NULL || pp == NULL)
		return NULL;
	/* Acquire on timer0when as goc__timers_poll's; gomaxprocs as
	 * schedule()'s. runqsize: a hint, as in schedule(). */
	if (__atomic_load_n(&pp->timer0when, __ATOMIC_ACQUIRE) != 0 ||
	    (__atomic_load_n(&s->runqsize, __ATOMIC_RELAXED) > 0 &&
	     pp->schedtick % 61 == 0) ||
	    pp->id >= __atomic_load_n(&s->gomaxprocs, __ATOMIC_ACQUIRE))
		return NULL;
	struct goc_g *next = goc__runq_get(pp, &inherit);
	if (next == NULL)
		return NULL;
	if (GOC_UNLIKELY(next->lockedm != NULL)) {
		/* Only its own M may run it: schedule() hands it over. */
		goc__runq_put(pp, next, true);
		return NULL;
	}
	if (fn == goc__goexit0 && next->stack_want != 0 &&
	    next->stack.lo != NULL && pp->exitseq - next->exitstamp > 2) {
		/*
		 * A first run, after an exit, of a G that kept its stack from
		 * a life that ended a while ago (a cold stack) goes through
		 * g0 after all: there goexit0 puts the warm stack of the G that
		 * left on the free list before the newcomer swaps its cold one
		 * for it. A G with no stack, or with the stack of a G that
		 * exited just before, switches directly; a chain of spawns and
		 * exits then alternates between two warm stacks. g0 runs next
		 * right after goexit0, as taken here.
		 */
		m->exit_next = next;
		m->exit_next_inherit = inherit;
		return NULL;
	}
	m->dsw_fn = fn;
	m->dsw_g = gp;
	/* On a goroutine's stack, this writes the thread's stack-owner
	 * record; it returns before any switch, so no caller keeps the
	 * thread-local address. */
	make_current(m, pp, next, inherit);
	return next;
}

/*
 * goc__direct_finish runs, on a G that just resumed, the step a direct
 * switch to it left for the G that switched (nothing when g0 resumed it).
 * It reads the M afresh: the G may have resumed on another thread.
 */
GOC_NOINLINE void
goc__direct_finish(void)
{
	struct goc_m *m = goc__getm();
	void (*fn)(struct goc_m *, struct goc_g *) = m->dsw_fn;

	if (fn == NULL)
		return;
	struct goc_g *gp = m->dsw_g;
	m->dsw_fn = NULL;
	m->dsw_g = NULL;
	gp->m = NULL;
	if (!goc__stack_check(&gp->stack))
		goc__stack_overflow(gp->goid, gp->name, &gp->stack);
	fn(m, gp);
}

/*
 * switch_out: the running G (m's, taken with no switch since) gives up
 * its M, to the next G directly when one is at hand (which then runs
 * direct_fn for it) or through g0 (which runs g0_fn); returns once the G
 * runs again.
 */
static inline __attribute__((always_inline)) void
switch_out(struct goc_m *m, void (*direct_fn)(struct goc_m *, struct goc_g *),
	   void (*g0_fn)(struct goc_m *, struct goc_g *))
{
	struct goc_g *gp = m->curg;
	struct goc_g *next = goc__direct_next(m, gp, direct_fn);

	if (next != NULL) {
		goc__fiber_switch(&gp->fiber, &next->fiber);
		goc__direct_finish();
		return;
	}
	mcall(m, g0_fn);
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
		goc__resetspinning(m);
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
			goc__checkdead();
			goc__unlock(&s->lock);
			goc__notesleep(&m->park);
			goc__noteclear(&m->park);
			/* Our waker took us off nmidlelocked (below). */
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
				goc__pdestroy(pp);
				stopm_from_schedule(m);
				if (m->p == NULL) {
					goc__lock(&s->lock);
					struct goc_p *p2 = goc__pidleget();
					goc__unlock(&s->lock);
					if (p2 != NULL)
						goc__acquirep(m, p2);
					/* Woken by the timer clock with every P
					 * busy: those Ps run their due timers
					 * themselves, so wait for work, not for
					 * the clock again (an overdue timer
					 * would make that a busy loop). */
					while (m->p == NULL)
						goc__stopm(m, false);
				}
				continue;
			}
			gp = NULL;
			inherit = false;
			/* Due timers first, as Go's findRunnable does. */
			goc__timers_poll(pp);
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
				goc__resetspinning(m);
			if (gp->lockedm != NULL && gp->lockedm != m) {
				/* Hand our P to the G's own M and sleep. */
				struct goc_m *lm = gp->lockedm;
				struct goc_p *mine = goc__releasep(m);
				/*
				 * Go's startlockedm: lm counts as running
				 * before it is woken, so that checkdead in our
				 * stopm cannot find no M running while lm has
				 * yet to wake (a false "deadlock!").
				 */
				goc__lock(&s->lock);
				s->nmidlelocked--;
				goc__unlock(&s->lock);
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
			gp = execute(m, gp, inherit);
			void (*fn)(struct goc_m *, struct goc_g *) =
				m->mcall_fn;
			m->mcall_fn = NULL;
			m->curg = NULL;
			gp->m = NULL;
			fn(m, gp);
			if (m->exiting)
				return;
			if (m->exit_next != NULL) {
				/* Taken by the G that exited (direct switches).
				 */
				gp = m->exit_next;
				inherit = m->exit_next_inherit;
				m->exit_next = NULL;
				continue;
			}
			/* A step may hand back a G to run at once. */
			gp = m->curg;
			if (gp == NULL)
				break;
			m->curg = NULL;
			inherit = true;
		}
	}
}

void *
goc__mstart(void *arg)
{
	struct goc_m *m = arg;

	/* Race builds: an M's own stack runs only the runtime; what it
	 * touches through the C library is the runtime's business, not
	 * the program's (goroutines are separate fibers). */
	goc__race_ignore_begin();
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
	goc__mexit(m);
}

/* ---- park and ready --------------------------------------------------- */

/* Parks gp (its context saved) and runs its unlock function; false if
 * that called the wait off, leaving gp runnable. */
static bool
park_commit(struct goc_m *m, struct goc_g *gp)
{
	goc__casgstatus(gp, GOC_G_RUNNING, GOC_G_WAITING);
	bool (*unlockf)(struct goc_g *, void *) = m->waitunlockf;
	void *lock = m->waitlock;
	m->waitunlockf = NULL;
	m->waitlock = NULL;
	if (unlockf != NULL && !unlockf(gp, lock)) {
		goc__casgstatus(gp, GOC_G_WAITING, GOC_G_RUNNABLE);
		return false;
	}
	return true;
}

static void
park_m(struct goc_m *m, struct goc_g *gp)
{
	/* The wait was called off: run the G again at once. */
	if (!park_commit(m, gp))
		m->curg = gp;
}

/* park_m after a direct switch: a called-off G runs next. */
static void
park_direct_m(struct goc_m *m, struct goc_g *gp)
{
	if (!park_commit(m, gp))
		goc__runq_put(m->p, gp, true);
}

/* Foreign threads park on a futex in their stand-in G. */
static void
park_foreign(struct goc_g *gp, bool (*unlockf)(struct goc_g *, void *),
	     void *lock)
{
	goc__casgstatus(gp, GOC_G_RUNNING, GOC_G_WAITING);
	if (unlockf != NULL && !unlockf(gp, lock)) {
		goc__casgstatus(gp, GOC_G_WAITING, GOC_G_RUNNING);
		return;
	}
	/* Acquire pairs with the release store in goc__ready(). */
	while (__atomic_load_n(&gp->parkkey, __ATOMIC_ACQUIRE) == 0)
		goc_os_futex_wait(&gp->parkkey, 0, -1);
	__atomic_store_n(&gp->parkkey, 0, __ATOMIC_RELAXED);
	goc__casgstatus(gp, GOC_G_RUNNABLE, GOC_G_RUNNING);
}

void
goc__park(bool (*unlockf)(struct goc_g *, void *), void *lock,
	  enum goc_waitreason reason)
{
	struct goc_m *m = goc__getm();

	if (m == NULL || m->curg == NULL) {
		struct goc_g *fg = goc__foreign_g();
		fg->waitreason = (uint8_t)reason;
		fg->waitsince = goc__wait_stamp();
		park_foreign(fg, unlockf, lock);
		return;
	}
	struct goc_g *gp = m->curg;
	gp->waitreason = (uint8_t)reason;
	/* Sysmon's clock: only goroutine dumps read it (in minutes), and
	 * a clock read is a large part of a channel hand-off. */
	gp->waitsince = goc__wait_stamp();
	m->waitunlockf = unlockf;
	m->waitlock = lock;
	switch_out(m, park_direct_m, park_m);
}

void
goc__ready(struct goc_g *gp)
{
	goc__casgstatus(gp, GOC_G_WAITING, GOC_G_RUNNABLE);
	if (gp->foreign) {
		/*
		 * Once parkkey reads 1 the thread may return, exit and free
		 * its stand-in G (foreign_exit) before our futex_wake is
		 * issued. Pin the G across the wake: the increment is ordered
		 * before the thread can see parkkey (the release store below
		 * publishes it), and foreign_exit waits for the release
		 * decrement before it frees.
		 */
		__atomic_add_fetch(&gp->wakers, 1, __ATOMIC_RELAXED);
		/* Release pairs with the acquire load in park_foreign(). */
		__atomic_store_n(&gp->parkkey, 1, __ATOMIC_RELEASE);
		goc_os_futex_wake(&gp->parkkey, 1);
		__atomic_sub_fetch(&gp->wakers, 1, __ATOMIC_RELEASE);
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
	goc__casgstatus(gp, GOC_G_RUNNING, GOC_G_RUNNABLE);
	/*
	 * Go puts the G on the global queue, behind everything queued. While
	 * that queue is empty, the tail of the local queue gives the same
	 * order on this P without the global lock; when it is not, the G
	 * goes behind it as in Go, or a goroutine yielding in a loop would
	 * let the global queue through one G per 61 schedules. Relaxed: a
	 * hint, read as schedule() reads it.
	 */
	if (__atomic_load_n(&goc__sched.runqsize, __ATOMIC_RELAXED) > 0)
		goc__globrunq_put(gp);
	else
		goc__runq_put(m->p, gp, false);
}

void
goc_yield(void)
{
	struct goc_m *m = goc__getm();

	if (m == NULL || m->curg == NULL) {
		GOC_SIM_SPIN();
		sched_yield();
		return;
	}
	GOC_SIM_SPIN(); /* a yield lets another thread go first too */
	switch_out(m, gosched_m, gosched_m);
}
