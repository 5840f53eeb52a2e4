/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The runtime semaphore under the sync primitives (Go 1.25
 * runtime/sema.go): semacquire/semrelease on any uint32_t address, and
 * the ticket-based notify list under goc_cond_t.
 */
#ifndef GOC_SYNC_SEMA_H
#define GOC_SYNC_SEMA_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/runtime2.h"

/*
 * goc__semacquire waits until *addr > 0 and then decrements it. lifo
 * queues the caller at the front of addr's waiters (a mutex waiter that
 * has already waited once). Never allocates.
 */
void goc__semacquire(uint32_t *addr, bool lifo, enum goc_waitreason reason);
/*
 * goc__semrelease increments *addr and wakes the first waiter. handoff
 * passes the count straight to that waiter (which cannot lose it to a
 * barging newcomer) and yields the caller's time slice to it.
 */
void goc__semrelease(uint32_t *addr, bool handoff);

/* The notify list of a Cond (runtime/sema.go notifyList). */
struct goc_notifylist {
	uint32_t wait;   /* (atomic) next ticket to hand out */
	uint32_t notify; /* (lock; atomic read) next ticket to notify */
	struct goc_rtlock lock;
	struct goc_sudog *head; /* (lock) waiters */
	struct goc_sudog *tail; /* (lock) */
};

uint32_t goc__notifylist_add(struct goc_notifylist *l);
void goc__notifylist_wait(struct goc_notifylist *l, uint32_t ticket);
void goc__notifylist_notify_one(struct goc_notifylist *l);
void goc__notifylist_notify_all(struct goc_notifylist *l);

#endif /* GOC_SYNC_SEMA_H */
