/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the scheduler's source files share among themselves and nobody
 * else needs (runtime2.h is the interface the rest of the runtime uses):
 *
 *   proc.c       the scheduling loop, park, ready, yield
 *   mp.c         Ps and Ms: idle lists, start, stop, hand-off, wakep,
 *                goc_maxprocs
 *   newproc.c    goroutine creation and exit, the G free lists, goc_run
 *   lifecycle.c  lazy start, deadlock detection, goc_shutdown
 *   foreign.c    foreign threads and LockOSThread
 */
#ifndef GOC_SCHED_PROC_H
#define GOC_SCHED_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "goconc/sched.h"
#include "internal/panic.h"
#include "sched/runtime2.h"

/* The most Ps goc_maxprocs accepts; allp is allocated once at this size
 * so that stealers may walk it without a lock. */
#define GOC_MAXPROCS_LIMIT 1024

static inline void *
goc__xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (p == NULL)
		goc__throw("out of memory allocating scheduler state");
	return p;
}

static inline uint32_t
goc__readgstatus(struct goc_g *gp)
{
	return __atomic_load_n(&gp->status, __ATOMIC_ACQUIRE);
}

/*
 * goc__casgstatus moves gp from old to new (Go's casgstatus) and throws
 * if gp was not in old. Every transition is made by the one party that
 * owns the G at that moment: its own M (running -> waiting, runnable or
 * dead; dead -> runnable in newproc), the M that took it off a run queue
 * (runnable -> running: the queue's CAS hands it over), or the readier
 * that took it off a wait queue under that queue's lock or won a
 * select's claim (waiting -> runnable). Nobody else writes the status
 * (goroutine dumps only read it), so the change needs no locked
 * instruction, as Go's would without its GC's scan bits: an acquire
 * load to check, a release store to publish the G's saved state to
 * whoever next sees the new status.
 */
static inline void
goc__casgstatus(struct goc_g *gp, uint32_t old, uint32_t new)
{
	GOC_SIM_POINT();
	uint32_t cur = __atomic_load_n(&gp->status, __ATOMIC_ACQUIRE);
	if (GOC_UNLIKELY(cur != old))
		goc__throwf("casgstatus: goroutine %llu: bad status %u, "
			    "want %u -> %u",
			    (unsigned long long)gp->goid, cur, old, new);
	__atomic_store_n(&gp->status, new, __ATOMIC_RELEASE);
}

/* proc.c */
void *goc__mstart(void *arg); /* an M thread's body */

/* mp.c */
struct goc_p *goc__palloc(int32_t id);
void goc__pidleput(struct goc_p *pp);          /* sched.lock held */
void goc__pdestroy(struct goc_p *pp);          /* sched.lock not held */
struct goc_m *goc__mget(void);                 /* sched.lock held */
GOC_NORETURN void goc__mexit(struct goc_m *m); /* the M's thread ends */
void goc__resetspinning(struct goc_m *m);
/* A thread could not be started: Go's report, then "newosproc". */
GOC_NORETURN void goc__newosproc_failed(int32_t mcount, int err);

/* newproc.c */
void goc__gfree_push_locked(struct goc_g *gp); /* gflock held */
void goc__gfput(struct goc_p *pp, struct goc_g *gp);
void goc__gstart_stack(struct goc_p *pp, struct goc_g *gp);
int goc__newproc(void (*fn)(void *), void *arg, const goc_go_opts_t *o,
		 void *pc, bool is_main);

/* lifecycle.c */
void goc__checkdead(void); /* sched.lock held */

/* foreign.c */
void goc__foreign_init(void); /* once, under the init lock */

#endif /* GOC_SCHED_PROC_H */
