/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Runtime locks and notes (Go's runtime lock_futex.go): goc__lock blocks
 * the M (the OS thread), never just the goroutine; user-facing mutexes
 * that park goroutines are goc_mutex_t (sync). Critical sections under a
 * runtime lock are short and never block on anything else.
 *
 * A note is a one-shot event for sleeping and waking one M: notesleep
 * waits until notewakeup; noteclear re-arms it.
 */
#ifndef GOC_SCHED_LOCK_H
#define GOC_SCHED_LOCK_H

#include <stdbool.h>
#include <stdint.h>

struct goc_rtlock {
	uint32_t key; /* (atomic) 0 unlocked, 1 locked, 2 locked + sleepers */
};

struct goc_note {
	uint32_t key; /* (atomic) 0 armed, 1 woken */
};

void goc__lock(struct goc_rtlock *l);
void goc__unlock(struct goc_rtlock *l);

void goc__noteclear(struct goc_note *n);
void goc__notewakeup(struct goc_note *n);
void goc__notesleep(struct goc_note *n);
/* Sleeps at most ns (< 0: forever); true if woken, false on timeout. */
bool goc__notetsleep(struct goc_note *n, int64_t ns);

#endif /* GOC_SCHED_LOCK_H */
