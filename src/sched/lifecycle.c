/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The runtime's life (SPEC §10): lazy start on first use, deadlock
 * detection (Go 1.25 runtime/proc.go checkdead) and goc_shutdown.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goconc/sched.h"
#include "internal/panic.h"
#include "os/os.h"
#include "sched/proc.h"
#include "sched/runtime2.h"

/* ---- deadlock detection ---------------------------------------------- */

/*
 * checkdead reports a global deadlock (Go's checkdead): only under
 * goc_run, only with no foreign thread registered (one could wake a
 * goroutine later), and only when no M is running or in a system call
 * and no timer is pending. sched.lock held.
 */
void
goc__checkdead(void)
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
	for (int32_t i = 0; i < s->nallp; i++)
		if (s->allp[i] != NULL && !goc__runq_empty(s->allp[i]))
			return;
	goc_fatal("all goroutines are asleep - deadlock!");
}

/* ---- lifecycle -------------------------------------------------------- */

static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;

static int
default_procs(void)
{
	const char *env = getenv("GOCONC_MAXPROCS");
	int n = goc_os_ncpu();

	if (env != NULL && *env != 0) {
		char *end;
		long v = strtol(env, &end, 10);
		if (*end == 0 && v > 0 && v <= GOC_MAXPROCS_LIMIT)
			n = (int)v;
		else
			fprintf(stderr,
				"goconc: ignoring invalid GOCONC_MAXPROCS=%s\n",
				env);
	}
	return n > GOC_MAXPROCS_LIMIT ? GOC_MAXPROCS_LIMIT : n;
}

void
goc__runtime_start(void)
{
	struct goc_sched *s = &goc__sched;

	pthread_mutex_lock(&init_mu);
	if (!s->started) {
		int n = default_procs();
		goc__stack_init();
		goc__foreign_init();
		s->allp = goc__xcalloc(GOC_MAXPROCS_LIMIT, sizeof(*s->allp));
		s->gomaxprocs = n;
		__atomic_store_n(&s->nallp, n, __ATOMIC_RELEASE);
		for (int i = n - 1; i >= 0; i--) {
			s->allp[i] = goc__palloc(i);
			goc__lock(&s->lock);
			goc__pidleput(s->allp[i]);
			goc__unlock(&s->lock);
		}
		goc__traceback_hook = goc__dump_all;
		goc__dump_install_sigquit();
		goc__sysmon_start();
		__atomic_store_n(&s->started, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&init_mu);
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
	if (goc__gcount() != 0 || s->running_main) {
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
		while ((m = goc__mget()) != NULL) {
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
	for (int i = 0; i < GOC_MAXPROCS_LIMIT; i++) {
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
