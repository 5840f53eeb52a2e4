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

/* This thread's M, read afresh: the asm keeps the compiler from treating
 * the read as one it may reuse across calls. Only the out-of-line
 * accessors below use it. */
static inline struct goc_m *
this_m(void)
{
#ifdef GOC_SIM
	return goc__sim_getm(); /* per simulated thread, not per OS thread */
#else
	__asm__ __volatile__("" ::: "memory");
	return tls_m;
#endif
}

GOC_NOINLINE struct goc_m *
goc__getm(void)
{
	return this_m();
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
	struct goc_m *m = this_m();

	return m != NULL ? m->curg : NULL;
}
