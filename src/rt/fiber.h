/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fibers: a saved context (internal/arch.h) plus what ASan, TSan and
 * Valgrind must be told when the stack under the running code changes.
 * Every switch in the runtime goes through here; in builds without a
 * sanitizer or Valgrind the annotations compile to nothing and a fiber
 * switch is exactly goc__ctx_switch.
 *
 *   goc__fiber_init_thread(f)       f stands for the calling thread's own
 *                                   stack (an M's g0, a test's main)
 *   goc__fiber_make(f, lo, size, entry, arg)
 *                                   a new fiber that will run entry(arg)
 *                                   on [lo, lo + size)
 *   goc__fiber_entered(f)           first thing entry does on its stack
 *   goc__fiber_switch(from, to)     suspend from, resume to
 *   goc__fiber_exit(from, to)       leave from for good, resume to
 *   goc__fiber_destroy(f)           forget a fiber that is not running
 *
 * goc__fiber_switch_begin/_end split goc__fiber_switch around a raw
 * switch done elsewhere (an assembly helper that performs the switch
 * itself); begin must come immediately before it and end immediately
 * after, in the same function.
 *
 * What each tool needs (reference/testing.md §2):
 *  - ASan: __sanitizer_start_switch_fiber before leaving a stack (with
 *    the destination's bounds; NULL for the fake stack when leaving for
 *    good), __sanitizer_finish_switch_fiber first thing on the new one.
 *    A thread's own stack bounds are learned from the first finish that
 *    follows a switch away from it, so the thread fiber needs no OS call.
 *    Fiber stacks are LeakSanitizer root regions while they exist, as LSan
 *    does not scan mmap'd memory, and are unpoisoned when destroyed so
 *    stale redzones do not fire when the memory is reused. One gap:
 *    with detect_stack_use_after_return, LSan scans only the running
 *    fiber's fake stack, and the sanitizer API does not give the extent
 *    of a parked one, so an object referenced only from a suspended
 *    fiber's fake frames reads as leaked.
 *  - TSan: each fiber is a TSan fiber; __tsan_switch_to_fiber runs
 *    immediately before the switch. Switches synchronise (the default
 *    flags): program order on one thread is real happens-before, which is
 *    what the --enable-sanitizer=thread build checks (SPEC §10). The
 *    --enable-race build (rt/race.h) switches with no_sync instead: the
 *    program sees only the edges the runtime reports, Go's.
 *  - Valgrind (--enable-valgrind): fiber stacks are registered, so
 *    memcheck does not take a switch for a huge stack-pointer move.
 *
 * Everything here is always_inline, deliberately: an instrumented wrapper
 * around the switch would run TSan's function entry on one fiber and the
 * matching exit on another, underflowing the new fiber's shadow stack
 * (testing.md §2.3 pitfalls 1 and 2). Inlined, the annotation and the
 * switch sit in the caller's frame, which is entered and left on the same
 * fiber.
 *
 * Ownership: a fiber is used by one thread at a time, the one running it
 * or switching to it; the caller's scheduler orders these hand-offs.
 */
#ifndef GOC_RT_FIBER_H
#define GOC_RT_FIBER_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>

#include "internal/arch.h"
#include "internal/compiler.h"
#include "internal/panic.h"
#include "rt/race.h"

#if GOC_ASAN_ENABLED
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif
#if GOC_TSAN_ENABLED
#include <sanitizer/tsan_interface.h>
#endif
#ifdef GOC_VALGRIND
#include <valgrind/valgrind.h>
#endif

#define GOC_FIBER_INLINE static inline __attribute__((always_inline))

struct goc_fiber {
	struct goc_ctx ctx; /* (owner) registers while suspended */
	bool thread;        /* (immutable) a thread's own stack */
#if GOC_ASAN_ENABLED
	const void *stack_lo;  /* (owner) 0 for a thread until learned */
	size_t stack_size;     /* (owner) */
	void *asan_fake_stack; /* (owner) parked while suspended, else 0 */
	struct goc_fiber *asan_prev; /* (switcher) who switched to us last */
#endif
#if GOC_TSAN_ENABLED || GOC_RACE_ENABLED
	void *tsan_fiber; /* (immutable) created here, or the thread's */
#endif
#ifdef GOC_VALGRIND
	unsigned vg_stack_id; /* (immutable) */
#endif
};

/* goc__fiber_init_thread makes f stand for the caller's own stack. */
GOC_FIBER_INLINE void
goc__fiber_init_thread(struct goc_fiber *f)
{
	*f = (struct goc_fiber){.thread = true};
#if GOC_TSAN_ENABLED
	f->tsan_fiber = __tsan_get_current_fiber();
#elif GOC_RACE_ENABLED
	f->tsan_fiber = goc__race_fiber_current();
#endif
}

/*
 * goc__fiber_make prepares f to run entry(arg) on [lo, lo + size) at the
 * first switch to it; entry calls goc__fiber_entered(f) first and never
 * returns (see goc__ctx_make).
 */
GOC_FIBER_INLINE void
goc__fiber_make(struct goc_fiber *f, void *lo, size_t size,
		void (*entry)(void *), void *arg)
{
	*f = (struct goc_fiber){.thread = false};
	goc__ctx_make(&f->ctx, lo, size, entry, arg);
#if GOC_ASAN_ENABLED
	f->stack_lo = lo;
	f->stack_size = size;
	__lsan_register_root_region(lo, size);
#endif
#if GOC_TSAN_ENABLED
	f->tsan_fiber = __tsan_create_fiber(0);
#elif GOC_RACE_ENABLED
	/* Created by the spawning goroutine: TSan orders the creation
	 * before the fiber's first step, which is Go's rule for `go`. */
	f->tsan_fiber = goc__race_fiber_create();
#endif
#ifdef GOC_VALGRIND
	f->vg_stack_id = VALGRIND_STACK_REGISTER(lo, (char *)lo + size);
#endif
}

/* Records the bounds of the stack the running code just came from. */
GOC_FIBER_INLINE void
goc__fiber_asan_learn(struct goc_fiber *self, const void *lo, size_t size)
{
#if GOC_ASAN_ENABLED
	struct goc_fiber *prev = self->asan_prev;
	if (prev != NULL && prev->stack_size == 0) {
		prev->stack_lo = lo;
		prev->stack_size = size;
	}
#endif
	(void)self;
	(void)lo;
	(void)size;
}

/* goc__fiber_entered is the first call an entry function makes. */
GOC_FIBER_INLINE void
goc__fiber_entered(struct goc_fiber *self)
{
#if GOC_ASAN_ENABLED
	const void *lo;
	size_t size;
	/* A fresh fiber has no fake stack to restore. */
	__sanitizer_finish_switch_fiber(NULL, &lo, &size);
	goc__fiber_asan_learn(self, lo, size);
#endif
	(void)self;
}

/*
 * goc__fiber_switch_begin announces the switch from -> to. Nothing may
 * run between it and the switch itself but uninstrumented code.
 */
GOC_FIBER_INLINE void
goc__fiber_switch_begin(struct goc_fiber *from, struct goc_fiber *to)
{
#if GOC_ASAN_ENABLED
	/* Switching to a thread fiber means it switched away earlier, and
	 * the finish after that switch learned its bounds. */
	to->asan_prev = from;
	__sanitizer_start_switch_fiber(&from->asan_fake_stack, to->stack_lo,
				       to->stack_size);
#endif
#if GOC_TSAN_ENABLED
	__tsan_switch_to_fiber(to->tsan_fiber, 0);
#elif GOC_RACE_ENABLED
	goc__race_fiber_switch(to->tsan_fiber);
#endif
	(void)from;
	(void)to;
}

/* goc__fiber_switch_end runs on self's stack right after it resumes. */
GOC_FIBER_INLINE void
goc__fiber_switch_end(struct goc_fiber *self)
{
#if GOC_ASAN_ENABLED
	const void *lo;
	size_t size;
	__sanitizer_finish_switch_fiber(self->asan_fake_stack, &lo, &size);
	/* The fake stack is current again, no longer parked: a destroy
	 * must not free it a second time after an exit freed it. */
	self->asan_fake_stack = NULL;
	goc__fiber_asan_learn(self, lo, size);
#endif
	(void)self;
}

/*
 * goc__fiber_switch suspends from (the running fiber) and resumes to; it
 * returns when something switches back to from.
 */
GOC_FIBER_INLINE void
goc__fiber_switch(struct goc_fiber *from, struct goc_fiber *to)
{
	goc__fiber_switch_begin(from, to);
	goc__ctx_switch(&from->ctx, &to->ctx);
	goc__fiber_switch_end(from);
}

/*
 * goc__fiber_exit leaves from for good and resumes to. ASan frees from's
 * fake stack now; from itself is destroyed later, by code running on
 * another fiber (a running fiber cannot be destroyed).
 */
GOC_FIBER_INLINE GOC_NORETURN void
goc__fiber_exit(struct goc_fiber *from, struct goc_fiber *to)
{
#if GOC_ASAN_ENABLED
	to->asan_prev = from;
	__sanitizer_start_switch_fiber(NULL, to->stack_lo, to->stack_size);
#endif
#if GOC_TSAN_ENABLED
	__tsan_switch_to_fiber(to->tsan_fiber, 0);
#elif GOC_RACE_ENABLED
	goc__race_fiber_switch(to->tsan_fiber);
#endif
	goc__ctx_switch(&from->ctx, &to->ctx);
	goc__throw("fiber resumed after exit");
}

/*
 * goc__fiber_destroy releases what the tools hold for f, which must not
 * be running. f may have exited, be suspended, or never have run; its
 * stack may be unmapped or reused afterwards.
 */
GOC_FIBER_INLINE void
goc__fiber_destroy(struct goc_fiber *f)
{
	if (f->thread)
		return;
#if GOC_ASAN_ENABLED
	if (f->asan_fake_stack != NULL) {
		/*
		 * A suspended fiber still owns a fake stack. Make it current
		 * for a moment, without moving the real stack pointer, and
		 * leave it for good, which frees it (folly's freeFakeStack).
		 */
		void *saved;
		const void *lo;
		size_t size;
		__sanitizer_start_switch_fiber(&saved, NULL, 0);
		__sanitizer_finish_switch_fiber(f->asan_fake_stack, &lo, &size);
		__sanitizer_start_switch_fiber(NULL, lo, size);
		__sanitizer_finish_switch_fiber(saved, NULL, NULL);
		f->asan_fake_stack = NULL;
	}
	__lsan_unregister_root_region(f->stack_lo, f->stack_size);
	ASAN_UNPOISON_MEMORY_REGION(f->stack_lo, f->stack_size);
#endif
#if GOC_TSAN_ENABLED
	__tsan_destroy_fiber(f->tsan_fiber);
	f->tsan_fiber = NULL;
#elif GOC_RACE_ENABLED
	goc__race_fiber_destroy(f->tsan_fiber);
	f->tsan_fiber = NULL;
#endif
#ifdef GOC_VALGRIND
	VALGRIND_STACK_DEREGISTER(f->vg_stack_id);
#endif
}

#endif /* GOC_RT_FIBER_H */
