/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The running M of this thread. A goroutine can resume on another thread
 * after any switch, so every read must really read this thread's
 * variable: the accessors live in their own translation unit and are
 * never inlined, so no caller can keep a thread-local address computed
 * before a switch (a known trap with __tls_get_addr being CSE'd).
 */
#include "config.h"

#include "sched/runtime2.h"
#include "sim/sim.h"

static __thread struct goc_m *tls_m;

GOC_NOINLINE struct goc_m *
goc__getm(void)
{
	struct goc_m *m;

#ifdef GOC_SIM
	return goc__sim_getm(); /* per simulated thread, not per OS thread */
#endif
	/* The asm keeps the compiler from treating this as a pure function
	 * whose result it may reuse across calls. */
	__asm__ __volatile__("" ::: "memory");
	m = tls_m;
	return m;
}

GOC_NOINLINE void
goc__setm(struct goc_m *m)
{
#ifdef GOC_SIM
	goc__sim_setm(m);
#endif
	tls_m = m;
	__asm__ __volatile__("" ::: "memory");
}

GOC_NOINLINE struct goc_g *
goc__getg(void)
{
	struct goc_m *m;

#ifdef GOC_SIM
	m = goc__sim_getm();
#else
	/* As goc__getm, without a second call. */
	__asm__ __volatile__("" ::: "memory");
	m = tls_m;
#endif

	return m != NULL ? m->curg : NULL;
}
