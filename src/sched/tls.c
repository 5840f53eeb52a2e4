/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The running M of this thread. A goroutine can resume on another thread
 * after any switch, so every read must really read this thread's
 * variable. Where the thread pointer lives in a general register that a
 * compiler may keep across a call (aarch64's tpidr_el0 read, riscv64's
 * tp-relative addresses, and any __tls_get_addr result), the accessors
 * live here, out of line, so no caller can keep an address computed
 * before a switch; on x86_64 they are inline (runtime2.h).
 */
#include "config.h"

#include "sched/runtime2.h"
#include "sim/sim.h"

__thread struct goc_m *goc__tls_m __attribute__((tls_model("initial-exec")));

#if !GOC_GETM_INLINE
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
	return goc__tls_m;
#endif
}

GOC_NOINLINE struct goc_m *
goc__getm(void)
{
	return this_m();
}

GOC_NOINLINE struct goc_g *
goc__getg(void)
{
	struct goc_m *m = this_m();

	return m != NULL ? m->curg : NULL;
}
#endif

GOC_NOINLINE void
goc__setm(struct goc_m *m)
{
#ifdef GOC_SIM
	goc__sim_setm(m);
#endif
	goc__tls_m = m;
	__asm__ __volatile__("" ::: "memory");
}
