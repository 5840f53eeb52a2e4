/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The race detector's hooks (see race.h), over ThreadSanitizer's public
 * interface. Only compiled into --enable-race builds.
 */
#include "rt/race.h"

#include <stdint.h>

#include "sched/runtime2.h"

/*
 * TSan's interface, weak: a program built without -fsanitize=thread has
 * none of these, and then every hook does nothing.
 */
extern void __tsan_acquire(void *addr) __attribute__((weak));
extern void __tsan_release(void *addr) __attribute__((weak));
extern void __tsan_read_range_pc(void *addr, unsigned long size, void *pc)
	__attribute__((weak));
extern void __tsan_write_range_pc(void *addr, unsigned long size, void *pc)
	__attribute__((weak));
extern void __tsan_ignore_thread_begin(void) __attribute__((weak));
extern void __tsan_ignore_thread_end(void) __attribute__((weak));
extern void *__tsan_get_current_fiber(void) __attribute__((weak));
extern void *__tsan_create_fiber(unsigned flags) __attribute__((weak));
extern void __tsan_destroy_fiber(void *fiber) __attribute__((weak));
extern void __tsan_switch_to_fiber(void *fiber, unsigned flags)
	__attribute__((weak));

/* __tsan_switch_to_fiber_no_sync: the switch itself orders nothing. */
#define NO_SYNC 1u

static inline bool
have_tsan(void)
{
	return __tsan_acquire != NULL;
}

void
goc__race_acquire(const void *addr)
{
	if (have_tsan())
		__tsan_acquire((void *)(uintptr_t)addr);
}

void
goc__race_release(const void *addr)
{
	if (have_tsan())
		__tsan_release((void *)(uintptr_t)addr);
}

/*
 * Acting for a parked goroutine: make its TSan fiber current for one
 * annotation. Its waker holds the lock it waits under and has not
 * readied it, so no thread runs that fiber meanwhile.
 */
static void
as_fiber(struct goc_g *gp, void (*op)(void *), const void *addr)
{
	void *self = __tsan_get_current_fiber();
	__tsan_switch_to_fiber(gp->fiber.tsan_fiber, NO_SYNC);
	op((void *)(uintptr_t)addr);
	__tsan_switch_to_fiber(self, NO_SYNC);
}

void
goc__race_acquireg(struct goc_sudog *sg, const void *addr)
{
	if (!have_tsan())
		return;
	if (!sg->g->foreign) {
		as_fiber(sg->g, __tsan_acquire, addr);
		return;
	}
	/*
	 * A foreign thread is a live TSan thread even while it sleeps, so
	 * nobody can act in its name: hand the clock over through the
	 * sudog relay its wake hook acquires (the waker acquires it too,
	 * which can only hide races, never invent one).
	 */
	__tsan_acquire((void *)(uintptr_t)addr);
	__tsan_release(sg);
}

void
goc__race_releaseg(struct goc_sudog *sg, const void *addr)
{
	if (!have_tsan())
		return;
	if (!sg->g->foreign) {
		as_fiber(sg->g, __tsan_release, addr);
		return;
	}
	__tsan_acquire(sg);
	__tsan_release((void *)(uintptr_t)addr);
}

void
goc__race_park(struct goc_sudog *sg)
{
	if (have_tsan() && sg->g->foreign)
		__tsan_release(sg);
}

void
goc__race_wake(struct goc_sudog *sg)
{
	if (have_tsan() && sg->g->foreign)
		__tsan_acquire(sg);
}

void
goc__race_read(const void *p, size_t n, const void *pc)
{
	if (have_tsan() && n != 0 && p != NULL)
		__tsan_read_range_pc((void *)(uintptr_t)p, n,
				     (void *)(uintptr_t)pc);
}

void
goc__race_write(const void *p, size_t n, const void *pc)
{
	if (have_tsan() && n != 0 && p != NULL)
		__tsan_write_range_pc((void *)(uintptr_t)p, n,
				      (void *)(uintptr_t)pc);
}

void
goc__race_ignore_begin(void)
{
	if (have_tsan())
		__tsan_ignore_thread_begin();
}

void
goc__race_ignore_end(void)
{
	if (have_tsan())
		__tsan_ignore_thread_end();
}

void *
goc__race_fiber_current(void)
{
	return have_tsan() ? __tsan_get_current_fiber() : NULL;
}

void *
goc__race_fiber_create(void)
{
	return have_tsan() ? __tsan_create_fiber(0) : NULL;
}

void
goc__race_fiber_switch(void *fiber)
{
	if (fiber != NULL)
		__tsan_switch_to_fiber(fiber, NO_SYNC);
}

void
goc__race_fiber_destroy(void *fiber)
{
	if (fiber != NULL)
		__tsan_destroy_fiber(fiber);
}
