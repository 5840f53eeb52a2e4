/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Goroutine dumps and the traceback printed by panics and fatal errors
 * (Go's runtime/traceback.go layout):
 *
 *     goroutine 7 [chan receive, 2 minutes]:
 *     <frames>
 *     created by goroutine 1 at 0x55d0c0de1234
 *
 * The failing goroutine comes first; others follow for fatal errors,
 * GOCONC_TRACEBACK=all, goc_dump() and SIGQUIT. Output uses write(2)
 * only, so a dump works from a signal handler.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_EXECINFO_H
#include <execinfo.h>
#endif

#include "goconc/sched.h"
#include "os/os.h"
#include "sched/runtime2.h"

static void
put(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static const char *
state_name(struct goc_g *gp)
{
	switch (__atomic_load_n(&gp->status, __ATOMIC_ACQUIRE)) {
	case GOC_G_RUNNABLE:
		return "runnable";
	case GOC_G_RUNNING:
		return "running";
	case GOC_G_SYSCALL:
		return "syscall";
	case GOC_G_WAITING:
		return gp->waitreason < GOC_WAIT_NREASONS
			       ? goc__waitreason_str[gp->waitreason]
			       : "waiting";
	default:
		return "dead";
	}
}

static void
header(int fd, struct goc_g *gp, int64_t now)
{
	char buf[256];
	uint32_t st = __atomic_load_n(&gp->status, __ATOMIC_ACQUIRE);
	int64_t mins = (st == GOC_G_WAITING || st == GOC_G_SYSCALL) &&
				       gp->waitsince != 0
			       ? (now - gp->waitsince) / GOC_MINUTE
			       : 0;

	if (mins >= 1)
		snprintf(buf, sizeof(buf),
			 "goroutine %llu [%s, %lld minutes]:\n",
			 (unsigned long long)gp->goid, state_name(gp),
			 (long long)mins);
	else
		snprintf(buf, sizeof(buf), "goroutine %llu [%s]:\n",
			 (unsigned long long)gp->goid, state_name(gp));
	put(fd, buf);
	if (gp->name != NULL) {
		snprintf(buf, sizeof(buf), "\tname: %s\n", gp->name);
		put(fd, buf);
	}
	if (gp->lockedm != NULL)
		put(fd, "\tlocked to thread\n");
}

/*
 * parked_frames walks a parked goroutine's frame-pointer chain, starting
 * from the frame goc__ctx_switch left on its stack. It stops at the first
 * record outside the goroutine's stack, so frames compiled without frame
 * pointers end the walk early rather than leading it astray. The library
 * itself is built with frame pointers.
 */
static int
parked_frames(struct goc_g *gp, void **pcs, int max)
{
#if defined(GOC_ARCH_HAVE_CTX) && defined(GOC_ARCH_FP_RET_OFF)
	uintptr_t lo = (uintptr_t)gp->stack.lo;
	uintptr_t hi = lo + gp->stack.size;
	uintptr_t sp = (uintptr_t)gp->fiber.ctx.sp;
	int n = 0;

	/* Never ran: no frames yet, and its context is a past life's. */
	if (gp->stack_want != 0)
		return 0;

	if (sp < lo || sp + GOC_CTX_FRAME_SIZE > hi)
		return 0;
	pcs[n++] = *(void **)(sp + GOC_CTX_FRAME_PC);
	uintptr_t fp = *(uintptr_t *)(sp + GOC_CTX_FRAME_FP);
	while (n < max) {
		intptr_t lowest = GOC_ARCH_FP_NEXT_OFF < GOC_ARCH_FP_RET_OFF
					  ? GOC_ARCH_FP_NEXT_OFF
					  : GOC_ARCH_FP_RET_OFF;
		if (fp % sizeof(void *) != 0 ||
		    (intptr_t)fp + lowest < (intptr_t)lo || fp + 16 > hi)
			break;
		void *ret = *(void **)(fp + GOC_ARCH_FP_RET_OFF);
		uintptr_t next = *(uintptr_t *)(fp + GOC_ARCH_FP_NEXT_OFF);
		if (ret == NULL)
			break;
		pcs[n++] = ret;
		if (next <= fp)
			break; /* frames only move towards the stack's top */
		fp = next;
	}
	return n;
#else
	(void)gp;
	(void)pcs;
	(void)max;
	return 0;
#endif
}

static void
footer(int fd, struct goc_g *gp)
{
	char buf[160];

	if (gp->parent_goid != 0)
		snprintf(buf, sizeof(buf),
			 "created by goroutine %llu at %p\n\n",
			 (unsigned long long)gp->parent_goid, gp->created_pc);
	else
		snprintf(buf, sizeof(buf), "created by a thread at %p\n\n",
			 gp->created_pc);
	put(fd, buf);
}

void
goc__dump_all(int fd, bool all)
{
	struct goc_g *cur = goc__getg();
	int64_t now = goc_os_nanotime();

	if (cur != NULL) {
		header(fd, cur, now);
#ifdef HAVE_BACKTRACE
		void *frames[64];
		int n = backtrace(frames, 64);
		if (n > 3)
			backtrace_symbols_fd(frames + 3, n - 3, fd);
#endif
		footer(fd, cur);
	} else if (goc__getm() == NULL) {
		/* A foreign thread (goc_id() == 0) failed. */
		put(fd, "goroutine 0 [running]:\n");
#ifdef HAVE_BACKTRACE
		void *frames[64];
		int n = backtrace(frames, 64);
		if (n > 3)
			backtrace_symbols_fd(frames + 3, n - 3, fd);
#endif
		put(fd, "\n");
	}
	if (!all)
		return;
	/* Racy walk without the lock: we may be dying with it held. */
	for (struct goc_g *gp =
		     __atomic_load_n(&goc__sched.allg, __ATOMIC_ACQUIRE);
	     gp != NULL; gp = gp->alllink) {
		if (gp == cur ||
		    __atomic_load_n(&gp->status, __ATOMIC_ACQUIRE) ==
			    GOC_G_DEAD)
			continue;
		header(fd, gp, now);
		uint32_t st = __atomic_load_n(&gp->status, __ATOMIC_ACQUIRE);
		if (st == GOC_G_WAITING || st == GOC_G_RUNNABLE) {
			/* Its stack is still while it is not running. */
			void *pcs[32];
			int n = parked_frames(gp, pcs, 32);
#ifdef HAVE_BACKTRACE
			if (n > 0)
				backtrace_symbols_fd(pcs, n, fd);
#endif
			(void)n;
		}
		footer(fd, gp);
	}
}

/* Ps and Ms, read without locks (the dump may run in a signal handler). */
static void
dump_sched(int fd)
{
	struct goc_sched *s = &goc__sched;
	char buf[256];

	if (s->allp == NULL)
		return;
	snprintf(buf, sizeof(buf),
		 "sched: gomaxprocs=%d idleprocs=%d threads=%d idlethreads=%d "
		 "spinning=%d runqueue=%d\n",
		 s->gomaxprocs, s->npidle, s->mnext - s->nmfreed, s->nmidle,
		 s->nmspinning, s->runqsize);
	put(fd, buf);
	for (int32_t i = 0; i < s->gomaxprocs; i++) {
		struct goc_p *pp = s->allp[i];
		struct goc_m *m = pp->m;
		snprintf(buf, sizeof(buf),
			 "  P%d: status=%u m=%d runq=%u timers=%d next=%lld\n",
			 pp->id, pp->status, m ? m->id : -1, goc__runq_len(pp),
			 pp->ntimers, (long long)pp->timer0when);
		put(fd, buf);
	}
	for (struct goc_m *m = s->allm; m; m = m->alllink) {
		if (m->dead)
			continue;
		snprintf(buf, sizeof(buf),
			 "  M%d: p=%d curg=%lld spinning=%d blocked=%d\n",
			 m->id, m->p ? m->p->id : -1,
			 m->curg ? (long long)m->curg->goid : -1, m->spinning,
			 m->blocked);
		put(fd, buf);
	}
}

void
goc_dump(void)
{
	goc__dump_all(2, true);
	dump_sched(2);
}

/* SIGQUIT: dump every goroutine and exit with status 2, as Go does. */
static void
on_sigquit(int sig)
{
	(void)sig;
	put(2, "SIGQUIT: quit\n\n");
	goc_dump();
	_exit(2);
}

void
goc__dump_install_sigquit(void)
{
	struct sigaction sa, old;

	/* Only if the program has not claimed SIGQUIT for itself. */
	if (sigaction(SIGQUIT, NULL, &old) != 0 || old.sa_handler != SIG_DFL)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigquit;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGQUIT, &sa, NULL);
}
