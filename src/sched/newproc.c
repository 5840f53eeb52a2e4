/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Goroutines: creation (newproc, goc_go), the first and last frames of
 * every goroutine (gmain, goexit0), the per-P and global free lists of
 * dead Gs, and goc_run's main goroutine. Follows Go 1.25
 * runtime/proc.go (newproc1, gfget, gfput, goexit0).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "goconc/sched.h"
#include "os/os.h"
#include "rt/fiber.h"
#include "rt/race.h"
#include "sched/proc.h"
#include "sched/runtime2.h"

/* Adds 1 to a counter only its P's owner writes and others read: no
 * locked instruction. */
#define owner_add(c, order)                                               \
	__atomic_store_n((c), __atomic_load_n((c), __ATOMIC_RELAXED) + 1, \
			 (order))

/* ---- free lists ------------------------------------------------------- */

/*
 * The global free list of dead Gs. Pushed and popped under gflock; the
 * head is also read without the lock as a hint (is it worth locking?),
 * so it is written with atomic stores.
 */
void
goc__gfree_push_locked(struct goc_g *gp)
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

void
goc__gfput(struct goc_p *pp, struct goc_g *gp)
{
	if (pp->ngfree >= 63) {
		/*
		 * Move half to the global list (Go keeps 32 local), before
		 * pushing gp: the G just freed stays at the head, its stack
		 * the warm one the next goroutine to start takes
		 * (goc__gstart_stack).
		 */
		goc__lock(&goc__sched.gflock);
		while (pp->ngfree > 31) {
			struct goc_g *old = pp->gfree;
			pp->gfree = old->schedlink;
			pp->ngfree--;
			goc__gfree_push_locked(old);
		}
		goc__unlock(&goc__sched.gflock);
	}
	gp->schedlink = pp->gfree;
	pp->gfree = gp;
	pp->ngfree++;
}

/*
 * Race builds: the next goroutine on this stack is unrelated to the one
 * that just died, so TSan must forget what the stack held. Mapping fresh
 * pages over it (with the runtime's accesses ignored) resets its shadow.
 */
static void
race_stack_reset(struct goc_stack *st)
{
#if GOC_RACE_ENABLED
	if (st->lo == NULL)
		return;
	goc__race_ignore_begin();
	void *p = mmap(st->lo, st->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	goc__race_ignore_end();
	if (p == MAP_FAILED)
		goc__throw("race: cannot reset a goroutine stack");
#else
	(void)st;
#endif
}

/* The first frame of every goroutine. */
static void
gmain(void *arg)
{
	struct goc_g *gp = arg;

	goc__fiber_entered(&gp->fiber);
	goc__direct_finish();
	gp->fn(gp->arg);
	/* The last switch off this stack: the next G or g0 runs goexit0. */
	struct goc_m *m = goc__getm();
	struct goc_g *next = goc__direct_next(m, gp, goc__goexit0);
	if (next != NULL)
		goc__fiber_exit(&gp->fiber, &next->fiber);
	m->mcall_fn = goc__goexit0;
	goc__fiber_exit(&gp->fiber, &m->g0);
}

void
goc__goexit0(struct goc_m *m, struct goc_g *gp)
{
	goc__casgstatus(gp, GOC_G_RUNNING, GOC_G_DEAD);
	gp->waitreason = GOC_WAIT_ZERO;
	gp->param = NULL;
	gp->fn = NULL;
	gp->arg = NULL;
	gp->name = NULL;
	bool locked = gp->lockedm != NULL;
	gp->lockedm = NULL;
	gp->lockedext = 0;
	m->lockedg = NULL;
	/* Release: pairs with goc__gcount's acquire (its start is ordered
	 * before). m->p is this M's own P. */
	owner_add(&m->p->gended, __ATOMIC_RELEASE);
	gp->exitstamp = ++m->p->exitseq;
	goc__fiber_destroy(&gp->fiber);
	race_stack_reset(&gp->stack);
	if (gp->exit_notify != NULL) {
		/* Release pairs with the acquire load in goc_run(). */
		__atomic_store_n(gp->exit_notify, 1, __ATOMIC_RELEASE);
		goc_os_futex_wake(gp->exit_notify, 1);
		gp->exit_notify = NULL;
	}
	goc__gfput(m->p, gp);
	if (locked) {
		/* Go: a goroutine that exits locked takes its thread along. */
		goc__handoffp(goc__releasep(m));
		m->exiting = true;
	}
}

/*
 * goc__gstart_stack settles the stack of a goroutine that never ran, on
 * g0 of the M about to run it, which holds pp. The stack is chosen at the
 * first run rather than at goc_go, so that a burst of spawns that outruns
 * the goroutines it starts costs a G each, not a stack each (a page
 * fault and a slab slot, or a cold stack from the G cache): the goroutine
 * takes the stack the last goroutine to exit on this P left on the free
 * list, which is warm, and leaves that dead G its own stack if it had
 * one. Only when no allocation can fail for a reason goc_go would report
 * (goc__stack_lazy_ok: the default size, not strict mode), so an error
 * here is out of memory, fatal as in Go.
 */
void
goc__gstart_stack(struct goc_p *pp, struct goc_g *gp)
{
	struct goc_g *dg = pp->gfree;
	size_t size = gp->stack_want;

	/* Normally the head is the G that exited last. After a direct
	 * switch to us the G that left is not on the list yet (its goexit0
	 * runs once we are on our stack), and the head may be a G whose
	 * stack a start through g0 took: the other warm stack is then an
	 * entry or two further. */
	for (int i = 0; i < 3 && dg != NULL && dg->stack.lo == NULL; i++)
		dg = dg->schedlink;
	if (dg != NULL && dg->stack.lo != NULL && dg->stack.size == size) {
		struct goc_stack mine = gp->stack;
		gp->stack = dg->stack;
		dg->stack = mine;
	} else if (gp->stack.lo == NULL &&
		   goc__stack_alloc_slab(&gp->stack, size) != 0) {
		goc__throw("out of memory allocating a goroutine stack");
	}
	gp->stack_want = 0;
	goc__fiber_make(&gp->fiber, gp->stack.lo, gp->stack.size, gmain, gp);
}

/* Go's _GoidCacheBatch: ids a P takes from sched.goidgen at a time. */
#define GOID_BATCH 16

static uint64_t
newgoid(struct goc_p *pp)
{
	struct goc_sched *s = &goc__sched;

	/* Relaxed: goidgen only hands out distinct numbers. */
	if (pp == NULL)
		return __atomic_add_fetch(&s->goidgen, 1, __ATOMIC_RELAXED);
	if (GOC_UNLIKELY(pp->goidcache == pp->goidcacheend)) {
		pp->goidcacheend = __atomic_add_fetch(&s->goidgen, GOID_BATCH,
						      __ATOMIC_RELAXED) +
				   1;
		pp->goidcache = pp->goidcacheend - GOID_BATCH;
	}
	return pp->goidcache++;
}

/*
 * goc__gcount counts live goroutines (goc_num_goroutine, goc_shutdown)
 * from the per-P counts of starts and ends. Ends are summed first: a
 * goroutine's start happens before its end (the goc_go edge), so the
 * acquire load that counts an end makes its start visible to the loads
 * that follow, on any P, including one made after the first loop read
 * nallp (hence read again). So the result never misses a goroutine
 * alive throughout the call, and is exact when none starts or ends
 * meanwhile.
 */
int64_t
goc__gcount(void)
{
	struct goc_sched *s = &goc__sched;
	uint64_t ended = 0, started = 0;

	/* Acquire: allp entries below nallp are published. */
	int32_t n = __atomic_load_n(&s->nallp, __ATOMIC_ACQUIRE);
	for (int32_t i = 0; i < n; i++)
		if (s->allp[i] != NULL)
			ended += __atomic_load_n(&s->allp[i]->gended,
						 __ATOMIC_ACQUIRE);
	started = __atomic_load_n(&s->gstarted_nop, __ATOMIC_RELAXED);
	n = __atomic_load_n(&s->nallp, __ATOMIC_ACQUIRE);
	for (int32_t i = 0; i < n; i++)
		if (s->allp[i] != NULL)
			started += __atomic_load_n(&s->allp[i]->gstarted,
						   __ATOMIC_RELAXED);
	return (int64_t)(started - ended);
}

int
goc__newproc(void (*fn)(void *), void *arg, const goc_go_opts_t *o, void *pc,
	     bool is_main)
{
	struct goc_sched *s = &goc__sched;
	struct goc_m *m = goc__getm();
	struct goc_p *pp = m != NULL ? m->p : NULL;
	struct goc_g *parent = m != NULL ? m->curg : NULL;
	/* The size goc__stack_alloc will give, so cached Gs match (the
	 * default is kept rounded); lazy: settled at the first run. */
	size_t size;
	bool lazy;
	if (o == NULL || o->stack_size == 0) {
		size = goc__stack_lazy_default();
		lazy = size != 0;
		if (!lazy)
			size = goc__stack_default_size();
	} else {
		size = goc__stack_round_size(o->stack_size);
		lazy = goc__stack_lazy_ok(size);
	}
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
	gp->stack_want = 0;
	if (lazy) {
		/* Its stack is settled when it first runs (goc__gstart_stack);
		 * a stack cached with the G stays with it until then. */
		gp->stack_want = size;
	} else if (gp->stack.lo == NULL) {
		int rc = goc__stack_alloc_slab(&gp->stack, size);
		if (rc != 0) {
			/* Keep the G for later; it has no stack. */
			memset(&gp->stack, 0, sizeof(gp->stack));
			if (pp != NULL)
				goc__gfput(pp, gp);
			else {
				goc__lock(&s->gflock);
				goc__gfree_push_locked(gp);
				goc__unlock(&s->gflock);
			}
			return rc;
		}
	}
	gp->fn = fn;
	gp->arg = arg;
	gp->name = o != NULL ? o->name : NULL;
	gp->goid = newgoid(pp);
	gp->parent_goid = parent != NULL ? parent->goid : 0;
	gp->created_pc = pc;
	gp->waitreason = GOC_WAIT_ZERO;
	gp->schedlink = NULL;
	if (gp->stack_want == 0)
		goc__fiber_make(&gp->fiber, gp->stack.lo, gp->stack.size, gmain,
				gp);
	/* Relaxed: goc__gcount's acquire of an end orders it (see there). */
	if (pp != NULL)
		owner_add(&pp->gstarted, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&s->gstarted_nop, 1, __ATOMIC_RELAXED);
	/* Release: the goroutine's start is synchronized after goc_go. */
	goc__casgstatus(gp, GOC_G_DEAD, GOC_G_RUNNABLE);
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
	return goc__newproc(fn, arg, o, __builtin_return_address(0), false);
}

int
goc_go(void (*fn)(void *), void *arg)
{
	goc__runtime_init();
	return goc__newproc(fn, arg, NULL, __builtin_return_address(0), false);
}

/* ---- goc_run ------------------------------------------------------------ */

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
	/* Race builds: main_fn's return happens before goc_run's. */
	goc__race_release(st);
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
	int rc = goc__newproc(run_main, &st, &o, __builtin_return_address(0),
			      true);
	if (rc != 0)
		return rc;
	while (__atomic_load_n(&st.done, __ATOMIC_ACQUIRE) == 0)
		goc_os_futex_wait(&st.done, 0, -1);
	goc__race_acquire(&st);
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
	int64_t n = goc__gcount();
	return n > 0 ? (int)n : 0;
}
