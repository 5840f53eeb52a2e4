/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Happens-before points that live in headers as inline functions, each
 * given a body of its own here so that tools/hb-audit.sh can find it by
 * name in the disassembly (tests/hb-audit.txt lists what each must
 * contain). Compiled only into the aarch64 audit archives (tests/local.mk),
 * never run.
 *
 * The _relaxed wrappers are the audit's negative controls: the table
 * expects them NOT to meet an acquire or release requirement, which
 * shows that the checker can fail (a weakened order looks exactly so).
 */
#include "config.h"

#include <goconc/atomic.h>
#include <goconc/sync.h>

#include "lf/epoch.h"
#include "sched/runtime2.h"

#define HB_FN static __attribute__((noinline, used))

/* One set per width: 32-bit (W registers) and 64-bit (X registers). */
#define HB_ATOMICS(name, T)                                       \
	HB_FN T hb_##name##_load(name##_t *a)                     \
	{                                                         \
		return name##_load(a);                            \
	}                                                         \
	HB_FN T hb_##name##_load_acq(name##_t *a)                 \
	{                                                         \
		return name##_load_acq(a);                        \
	}                                                         \
	HB_FN T hb_##name##_load_relaxed(name##_t *a)             \
	{                                                         \
		return name##_load_relaxed(a);                    \
	}                                                         \
	HB_FN void hb_##name##_store(name##_t *a, T v)            \
	{                                                         \
		name##_store(a, v);                               \
	}                                                         \
	HB_FN void hb_##name##_store_rel(name##_t *a, T v)        \
	{                                                         \
		name##_store_rel(a, v);                           \
	}                                                         \
	HB_FN void hb_##name##_store_relaxed(name##_t *a, T v)    \
	{                                                         \
		name##_store_relaxed(a, v);                       \
	}                                                         \
	HB_FN T hb_##name##_swap(name##_t *a, T v)                \
	{                                                         \
		return name##_swap(a, v);                         \
	}                                                         \
	HB_FN T hb_##name##_swap_acq(name##_t *a, T v)            \
	{                                                         \
		return name##_swap_acq(a, v);                     \
	}                                                         \
	HB_FN T hb_##name##_swap_rel(name##_t *a, T v)            \
	{                                                         \
		return name##_swap_rel(a, v);                     \
	}                                                         \
	HB_FN T hb_##name##_swap_relaxed(name##_t *a, T v)        \
	{                                                         \
		return name##_swap_relaxed(a, v);                 \
	}                                                         \
	HB_FN bool hb_##name##_cas(name##_t *a, T o, T n)         \
	{                                                         \
		return name##_cas(a, o, n);                       \
	}                                                         \
	HB_FN bool hb_##name##_cas_acq(name##_t *a, T o, T n)     \
	{                                                         \
		return name##_cas_acq(a, o, n);                   \
	}                                                         \
	HB_FN bool hb_##name##_cas_rel(name##_t *a, T o, T n)     \
	{                                                         \
		return name##_cas_rel(a, o, n);                   \
	}                                                         \
	HB_FN bool hb_##name##_cas_acq_rel(name##_t *a, T o, T n) \
	{                                                         \
		return name##_cas_acq_rel(a, o, n);               \
	}                                                         \
	HB_FN bool hb_##name##_cas_relaxed(name##_t *a, T o, T n) \
	{                                                         \
		return name##_cas_relaxed(a, o, n);               \
	}                                                         \
	HB_FN T hb_##name##_add(name##_t *a, T d)                 \
	{                                                         \
		return name##_add(a, d);                          \
	}                                                         \
	HB_FN T hb_##name##_add_acq(name##_t *a, T d)             \
	{                                                         \
		return name##_add_acq(a, d);                      \
	}                                                         \
	HB_FN T hb_##name##_add_rel(name##_t *a, T d)             \
	{                                                         \
		return name##_add_rel(a, d);                      \
	}                                                         \
	HB_FN T hb_##name##_add_acq_rel(name##_t *a, T d)         \
	{                                                         \
		return name##_add_acq_rel(a, d);                  \
	}                                                         \
	HB_FN T hb_##name##_add_relaxed(name##_t *a, T d)         \
	{                                                         \
		return name##_add_relaxed(a, d);                  \
	}                                                         \
	HB_FN T hb_##name##_or(name##_t *a, T m)                  \
	{                                                         \
		return name##_or(a, m);                           \
	}                                                         \
	HB_FN T hb_##name##_and(name##_t *a, T m)                 \
	{                                                         \
		return name##_and(a, m);                          \
	}

HB_ATOMICS(goc_atomic_int32, int32_t)
HB_ATOMICS(goc_atomic_uint64, uint64_t)

HB_FN void *
hb_goc_atomic_ptr_load(goc_atomic_ptr_t *a)
{
	return goc_atomic_ptr_load(a);
}

HB_FN void
hb_goc_atomic_ptr_store_rel(goc_atomic_ptr_t *a, void *v)
{
	goc_atomic_ptr_store_rel(a, v);
}

HB_FN void
hb_goc_atomic_fence(void)
{
	goc_atomic_fence();
}

HB_FN void
hb_goc_atomic_fence_acq(void)
{
	goc_atomic_fence_acq();
}

HB_FN void
hb_goc_atomic_fence_rel(void)
{
	goc_atomic_fence_rel();
}

/* The epoch read section's entry, with the fence ck 0.7.1 lacks. */
HB_FN void
hb_epoch_begin(struct goc_epoch_record *rec)
{
	goc__epoch_begin(rec);
}

#if !defined(GOC_NO_INLINE) && !(defined(GOC_BUILD_RACE) && GOC_BUILD_RACE)
/* The sync fast paths goconc/sync.h inlines into the caller. */
HB_FN void
hb_mutex_lock_inline(goc_mutex_t *m)
{
	goc__mutex_lock_inline(m);
}

HB_FN void
hb_mutex_unlock_inline(goc_mutex_t *m)
{
	goc__mutex_unlock_inline(m);
}

HB_FN void
hb_rwmutex_rlock_inline(goc_rwmutex_t *rw)
{
	goc__rwmutex_rlock_inline(rw);
}

HB_FN void
hb_rwmutex_runlock_inline(goc_rwmutex_t *rw)
{
	goc__rwmutex_runlock_inline(rw);
}

HB_FN void
hb_once_do_inline(goc_once_t *o, void (*fn)(void *), void *arg)
{
	goc__once_do_inline(o, fn, arg);
}

HB_FN bool
hb_once_done_inline(goc_once_t *o)
{
	return goc__once_done_inline(o);
}

HB_FN void
hb_wg_add_inline(goc_wg_t *wg, int delta)
{
	goc__wg_add_inline(wg, delta);
}

HB_FN void
hb_wg_done_inline(goc_wg_t *wg)
{
	goc__wg_done_inline(wg);
}

HB_FN void
hb_wg_wait_inline(goc_wg_t *wg)
{
	goc__wg_wait_inline(wg);
}
#endif

/* The run queue's owner paths (inline in sched/runtime2.h). */
HB_FN bool
hb_runq_put(struct goc_p *pp, struct goc_g *gp, bool next)
{
	return goc__runq_put(pp, gp, next);
}

HB_FN struct goc_g *
hb_runq_get(struct goc_p *pp, bool *inherit)
{
	return goc__runq_get(pp, inherit);
}
