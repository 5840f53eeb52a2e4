/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Foreign threads (threads the library did not create) and
 * LockOSThread. A foreign thread that blocks gets a stand-in G, created
 * on first use and freed when the thread exits; it parks on a futex in
 * that G (proc.c, goc__park). A registered foreign thread keeps deadlock
 * detection off (SPEC §10), since it may wake a goroutine at any time.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>

#include "goconc/sched.h"
#include "sched/proc.h"
#include "sched/runtime2.h"

static pthread_key_t foreign_key;
static bool key_made;
static __thread struct goc_g *tls_foreign;

/* ---- foreign threads -------------------------------------------------- */

static void
foreign_exit(void *arg)
{
	struct goc_g *fg = arg;

	__atomic_sub_fetch(&goc__sched.nforeign, 1, __ATOMIC_SEQ_CST);
	/* A goc__ready that let this thread run may not have issued its
	 * futex_wake yet: wait until it is done with fg. Acquire pairs with
	 * its release decrement. The window is a system call long. */
	while (__atomic_load_n(&fg->wakers, __ATOMIC_ACQUIRE) != 0)
		sched_yield();
	free(fg);
}

/* Called once by goc__runtime_init under its lock; the key outlives
 * goc_shutdown so that threads registered before it still unregister. */
void
goc__foreign_init(void)
{
	if (!key_made) {
		pthread_key_create(&foreign_key, foreign_exit);
		key_made = true;
	}
}

struct goc_g *
goc__foreign_g(void)
{
	if (tls_foreign != NULL)
		return tls_foreign;
	goc__runtime_init();
	struct goc_g *fg = goc__xcalloc(1, sizeof(*fg));
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
