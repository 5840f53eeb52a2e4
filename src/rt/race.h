/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The race detector's view of the runtime (the --enable-race build).
 *
 * In a race build the library itself is not instrumented: ThreadSanitizer
 * sees only the program's own memory accesses, each goroutine is a TSan
 * fiber, and fiber switches carry no synchronisation (no_sync). The
 * runtime then tells TSan about exactly the happens-before edges Go's
 * memory model promises, at the places Go's race build does (raceacquire,
 * racerelease, raceacquireg, racereleaseg in Go's runtime and sync
 * packages):
 *
 *   goc__race_acquire(a)        the running goroutine acquires sync object a
 *   goc__race_release(a)        ... releases into a (TSan joins clocks)
 *   goc__race_acquireg(sg, a)   the same on behalf of sg->g, which is
 *   goc__race_releaseg(sg, a)   parked on sudog sg and whose waker holds
 *                               the lock sg is queued under
 *   goc__race_park(sg)          a waiter about to park on sg publishes
 *                               its clock for the relay below
 *   goc__race_wake(sg)          the woken waiter takes what its waker left
 *   goc__race_read(p, n, pc)    the program read / wrote n bytes at p
 *   goc__race_write(p, n, pc)   through a library call made at pc
 *   goc__race_ignore_begin/end  the library's own copies of user memory
 *                               (elements moved through a channel) are
 *                               invisible, as the Go runtime's memmove is
 *
 * acquireg and releaseg switch TSan's notion of the current fiber to the
 * parked goroutine's for the one call: a parked fiber is not wired to any
 * thread, and its waker owns it until goc__ready. A foreign thread that
 * blocks is still a running TSan thread, so for it the waker cannot act
 * in its name; it relays instead: the thread releases into its sudog
 * before it sleeps (park), the waker acquires and releases through that
 * sudog, and the thread acquires from it when it wakes (wake).
 *
 * Sync objects are addresses that no program code reads or writes (a
 * channel's buffer slots, its header, a mutex's address): TSan keeps
 * their clocks in its meta map, not in shadow memory.
 *
 * Every entry point resolves the TSan interface weakly, so a race build of
 * the library linked into a program without ThreadSanitizer works and
 * reports nothing. Outside race builds all of this compiles to nothing.
 */
#ifndef GOC_RT_RACE_H
#define GOC_RT_RACE_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>

struct goc_sudog;

#ifdef GOC_RACE
#define GOC_RACE_ENABLED 1

void goc__race_acquire(const void *addr);
void goc__race_release(const void *addr);
void goc__race_acquireg(struct goc_sudog *sg, const void *addr);
void goc__race_releaseg(struct goc_sudog *sg, const void *addr);
void goc__race_park(struct goc_sudog *sg);
void goc__race_wake(struct goc_sudog *sg);
void goc__race_read(const void *p, size_t n, const void *pc);
void goc__race_write(const void *p, size_t n, const void *pc);
void goc__race_ignore_begin(void);
void goc__race_ignore_end(void);
/* The TSan fiber API for src/rt/fiber.h (NULL without TSan). */
void *goc__race_fiber_current(void);
void *goc__race_fiber_create(void);
void goc__race_fiber_switch(void *fiber);
void goc__race_fiber_destroy(void *fiber);

/* The caller's return address, for reports that name the user's call. */
#define GOC_RACE_CALLERPC() __builtin_return_address(0)

#else /* !GOC_RACE */
#define GOC_RACE_ENABLED    0

static inline void
goc__race_acquire(const void *a)
{
	(void)a;
}
static inline void
goc__race_release(const void *a)
{
	(void)a;
}
static inline void
goc__race_acquireg(struct goc_sudog *sg, const void *a)
{
	(void)sg;
	(void)a;
}
static inline void
goc__race_releaseg(struct goc_sudog *sg, const void *a)
{
	(void)sg;
	(void)a;
}
static inline void
goc__race_park(struct goc_sudog *sg)
{
	(void)sg;
}
static inline void
goc__race_wake(struct goc_sudog *sg)
{
	(void)sg;
}
static inline void
goc__race_read(const void *p, size_t n, const void *pc)
{
	(void)p;
	(void)n;
	(void)pc;
}
static inline void
goc__race_write(const void *p, size_t n, const void *pc)
{
	(void)p;
	(void)n;
	(void)pc;
}
static inline void
goc__race_ignore_begin(void)
{
}
static inline void
goc__race_ignore_end(void)
{
}
#define GOC_RACE_CALLERPC() NULL
#endif /* GOC_RACE */

#endif /* GOC_RT_RACE_H */
