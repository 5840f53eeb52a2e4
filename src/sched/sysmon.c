/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sysmon and system calls, after Go 1.25 runtime/proc.go (sysmon, retake,
 * entersyscall, exitsyscall, exitsyscall0).
 *
 * sysmon is one thread outside the scheduler (it holds no P and is not
 * counted as a running M by deadlock detection). It wakes every 20 µs,
 * backing off to 10 ms while nothing happens, and:
 *  - retakes a P whose M has been in a system call for a whole sysmon
 *    tick (at least 20 µs), handing it to another M, so one blocking
 *    call cannot stop the other goroutines even with GOMAXPROCS=1;
 *  - notes a P that has run the same goroutine for 10 ms or more without
 *    scheduling (Go would preempt it; libgoconc has no asynchronous
 *    preemption, so it is only reported, in the dump and schedtrace);
 *  - starts an M when a timer is overdue and Ps are idle;
 *  - runs the periodic goc_pool_t cycle (sync/pool.c).
 *
 * Invariant: a P in GOC_P_SYSCALL has no M (p->m == NULL) and is its
 * former M's oldp; exactly one of that M (on exit) and sysmon (retake)
 * wins the CAS out of GOC_P_SYSCALL.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goconc/sched.h"
#include "internal/panic.h"
#include "os/os.h"
#include "sched/proc.h"
#include "sched/runtime2.h"

#define SYSMON_MIN_US    20
#define SYSMON_MAX_US    10000
#define FORCE_PREEMPT_NS (10 * 1000 * 1000)

struct goc_sysmon_clock goc__sysmon_clock;

static goc_os_thread_t sysmon_thread;
static struct goc_note sysmon_stop_note;
static bool sysmon_running;
static int64_t schedtrace_ms; /* GOCONC_DEBUG=schedtrace=MS */
static bool scheddetail;      /* GOCONC_DEBUG=scheddetail=1 */

/* Number of Ps sysmon saw running one goroutine for 10 ms or more. */
static uint32_t nlongrunning;

static void
parse_debug(void)
{
	const char *env = getenv("GOCONC_DEBUG");
	if (env == NULL)
		return;
	char *copy = strdup(env), *save = NULL;
	for (char *kv = strtok_r(copy, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		if (strncmp(kv, "schedtrace=", 11) == 0)
			schedtrace_ms = atoll(kv + 11);
		else if (strncmp(kv, "scheddetail=", 12) == 0)
			scheddetail = atoi(kv + 12) != 0;
	}
	free(copy);
}

/* Go's retake: returns how many Ps were retaken or noted. */
static int
retake(int64_t now)
{
	struct goc_sched *s = &goc__sched;
	int32_t n = __atomic_load_n(&s->gomaxprocs, __ATOMIC_ACQUIRE);
	int taken = 0;

	for (int32_t i = 0; i < n; i++) {
		struct goc_p *pp = s->allp[i];
		if (pp == NULL)
			continue;
		uint32_t st = __atomic_load_n(&pp->status, __ATOMIC_ACQUIRE);
		if (st == GOC_P_RUNNING) {
			uint32_t t = __atomic_load_n(&pp->schedtick,
						     __ATOMIC_RELAXED);
			if (pp->sysmon_schedtick != t) {
				pp->sysmon_schedtick = t;
				pp->sysmon_schedwhen = now;
			} else if (pp->sysmon_schedwhen + FORCE_PREEMPT_NS <=
					   now &&
				   pp->sysmon_schedwhen != 0) {
				/* Would be preempted in Go: only noted. */
				__atomic_add_fetch(&nlongrunning, 1,
						   __ATOMIC_RELAXED);
				pp->sysmon_schedwhen = now;
				taken++;
			}
		} else if (st == GOC_P_SYSCALL) {
			uint32_t t = __atomic_load_n(&pp->syscalltick,
						     __ATOMIC_RELAXED);
			if (pp->sysmon_syscalltick != t) {
				/* A new system call: give it one tick. */
				pp->sysmon_syscalltick = t;
				pp->sysmon_syscallwhen = now;
				continue;
			}
			/*
			 * Leave it if it has nothing to do and others are
			 * looking for work anyway, unless it has been 10 ms
			 * (Go's retake rule).
			 */
			if (goc__runq_empty(pp) &&
			    __atomic_load_n(&s->nmspinning, __ATOMIC_SEQ_CST) +
					    __atomic_load_n(&s->npidle,
							    __ATOMIC_SEQ_CST) >
				    0 &&
			    pp->sysmon_syscallwhen + FORCE_PREEMPT_NS > now)
				continue;
			uint32_t exp = GOC_P_SYSCALL;
			/* Acq_rel: we now own the P; pairs with the release
			 * store in goc_syscall_enter and the CAS in exit. */
			if (__atomic_compare_exchange_n(
				    &pp->status, &exp, GOC_P_IDLE, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
				pp->syscalltick++;
				goc__handoffp(pp);
				taken++;
			}
		}
	}
	return taken;
}

void
goc__schedtrace(int64_t start, int64_t now, bool detail)
{
	struct goc_sched *s = &goc__sched;
	char buf[4096];
	int off;

	goc__lock(&s->lock);
	off = snprintf(buf, sizeof(buf),
		       "SCHED %lldms: gomaxprocs=%d idleprocs=%d threads=%d "
		       "spinningthreads=%d needspinning=0 idlethreads=%d "
		       "runqueue=%d [",
		       (long long)((now - start) / 1000000), s->gomaxprocs,
		       __atomic_load_n(&s->npidle, __ATOMIC_RELAXED),
		       s->mnext - s->nmfreed,
		       __atomic_load_n(&s->nmspinning, __ATOMIC_RELAXED),
		       s->nmidle, s->runqsize);
	for (int32_t i = 0; i < s->gomaxprocs && off < (int)sizeof(buf) - 16;
	     i++)
		off += snprintf(buf + off, sizeof(buf) - (size_t)off, "%s%u",
				i ? " " : "", goc__runq_len(s->allp[i]));
	snprintf(buf + off, sizeof(buf) - (size_t)off, "] longrunning=%u\n",
		 __atomic_load_n(&nlongrunning, __ATOMIC_RELAXED));
	if (detail) {
		for (int32_t i = 0; i < s->gomaxprocs; i++) {
			struct goc_p *pp = s->allp[i];
			struct goc_m *m = pp->m;
			fprintf(stderr,
				"  P%d: status=%u schedtick=%u syscalltick=%u "
				"m=%d runqsize=%u gfreecnt=%d timers=%d\n",
				pp->id, pp->status, pp->schedtick,
				pp->syscalltick, m ? m->id : -1,
				goc__runq_len(pp), pp->ngfree, pp->ntimers);
		}
		for (struct goc_m *m = s->allm; m; m = m->alllink)
			if (!m->dead)
				fprintf(stderr,
					"  M%d: p=%d curg=%lld spinning=%d "
					"blocked=%d lockedg=%lld\n",
					m->id, m->p ? m->p->id : -1,
					m->curg ? (long long)m->curg->goid : -1,
					m->spinning, m->blocked,
					m->lockedg ? (long long)m->lockedg->goid
						   : -1);
	}
	goc__unlock(&s->lock);
	fputs(buf, stderr);
}

static void *
sysmon(void *arg)
{
	int64_t delay = SYSMON_MIN_US, idle = 0;
	int64_t start = goc_os_nanotime(), lasttrace = start;

	(void)arg;
	/* Race builds: sysmon runs only the runtime (see goc__mstart). */
	goc__race_ignore_begin();
	for (;;) {
		if (goc__notetsleep(&sysmon_stop_note, delay * 1000))
			return NULL;
		int64_t now = goc_os_nanotime();
		/* Relaxed: see goc__wait_stamp(). */
		__atomic_store_n(&goc__sysmon_clock.now, now, __ATOMIC_RELAXED);
		if (retake(now) != 0)
			idle = 0;
		else
			idle++;
		/* Go: 20 µs for the first 1 ms of idleness, then doubling. */
		if (idle == 0)
			delay = SYSMON_MIN_US;
		else if (idle > 50 && delay < SYSMON_MAX_US)
			delay *= 2;
		if (delay > SYSMON_MAX_US)
			delay = SYSMON_MAX_US;
		/* An overdue timer with Ps idle: make sure an M runs it. */
		int64_t next = goc__timers_next();
		if (next != 0 && next < now)
			goc__wakep();
		/* The periodic pool cycle (GOCONC_POOLSWEEP). */
		goc__pool_sysmon(now);
		if (schedtrace_ms > 0 &&
		    now - lasttrace >= schedtrace_ms * 1000000) {
			lasttrace = now;
			goc__schedtrace(start, now, scheddetail);
		}
	}
}

void
goc__sysmon_start(void)
{
	parse_debug();
	/* Relaxed: see goc__wait_stamp(). */
	__atomic_store_n(&goc__sysmon_clock.now, goc_os_nanotime(),
			 __ATOMIC_RELAXED);
	goc__noteclear(&sysmon_stop_note);
	int rc = goc_os_thread_start(&sysmon_thread, sysmon, NULL, 0, false);
	if (rc != 0)
		goc__newosproc_failed(1, rc);
	sysmon_running = true;
}

void
goc__sysmon_stop(void)
{
	if (!sysmon_running)
		return;
	goc__notewakeup(&sysmon_stop_note);
	goc_os_thread_join(sysmon_thread);
	sysmon_running = false;
}

/* ---- system calls ----------------------------------------------------- */

void
goc_syscall_enter(void)
{
	struct goc_m *m = goc__getm();

	if (m == NULL || m->curg == NULL)
		return; /* a foreign thread holds no P */
	struct goc_g *gp = m->curg;
	struct goc_p *pp = m->p;
	__atomic_store_n(&pp->syscalltick, pp->syscalltick + 1,
			 __ATOMIC_RELAXED);
	gp->waitsince = goc_os_nanotime();
	uint32_t exp = GOC_G_RUNNING;
	__atomic_compare_exchange_n(&gp->status, &exp, GOC_G_SYSCALL, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	m->oldp = pp;
	m->p = NULL;
	pp->m = NULL;
	/* Release: sysmon's acquire CAS sees the P fully detached. */
	__atomic_store_n(&pp->status, GOC_P_SYSCALL, __ATOMIC_RELEASE);
}

static void
exitsyscall0(struct goc_m *m, struct goc_g *gp)
{
	struct goc_sched *s = &goc__sched;

	/* No P: queue the goroutine globally and park this M. */
	uint32_t exp = GOC_G_SYSCALL;
	if (!__atomic_compare_exchange_n(&gp->status, &exp, GOC_G_RUNNABLE,
					 false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		goc__throw("exitsyscall0: bad goroutine status");
	goc__lock(&s->lock);
	struct goc_p *pp = goc__pidleget();
	if (pp == NULL) {
		/* Queued under the same lock as the failed pidleget, so a P
		 * going idle meanwhile cannot miss it. */
		goc__globrunq_putbatch_locked(gp, gp, 1);
		goc__unlock(&s->lock);
		/* A locked goroutine's M waits for it in schedule() instead. */
		if (m->lockedg == NULL)
			goc__stopm(m, true);
		return; /* back in schedule(), with a P or to find one */
	}
	goc__unlock(&s->lock);
	goc__acquirep(m, pp);
	/* Run it right away (the scheduler loop picks up m->curg). */
	m->curg = gp;
}

void
goc_syscall_exit(void)
{
	struct goc_m *m = goc__getm();

	if (m == NULL || m->curg == NULL)
		return;
	struct goc_g *gp = m->curg;
	struct goc_p *pp = m->oldp;
	m->oldp = NULL;
	uint32_t exp = GOC_P_SYSCALL;
	/* Fast path: our P is still waiting for us. Acquire pairs with the
	 * release store in goc_syscall_enter (and sysmon's handoff). */
	if (pp != NULL &&
	    __atomic_compare_exchange_n(&pp->status, &exp, GOC_P_IDLE, false,
					__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		goc__acquirep(m, pp);
		__atomic_store_n(&pp->syscalltick, pp->syscalltick + 1,
				 __ATOMIC_RELAXED);
		goto running;
	}
	/* Any idle P. */
	goc__lock(&goc__sched.lock);
	struct goc_p *p2 = goc__pidleget();
	goc__unlock(&goc__sched.lock);
	if (p2 != NULL) {
		goc__acquirep(m, p2);
		goto running;
	}
	/* None: give the goroutine to the scheduler and wait for a P. */
	m->mcall_fn = exitsyscall0;
	goc__fiber_switch(&gp->fiber, &m->g0);
	goc__direct_finish();
	return;
running:;
	uint32_t gs = GOC_G_SYSCALL;
	__atomic_compare_exchange_n(&gp->status, &gs, GOC_G_RUNNING, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}
