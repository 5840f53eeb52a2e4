/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Epoch-based reclamation over ck_epoch: records, grace periods and
 * callbacks. See epoch.h for the contract and for what this wrapper adds
 * to Concurrency Kit 0.7.1.
 */
#include "config.h"

#include <stdlib.h>

#include <ck_stack.h>

#include "internal/compiler.h"
#include "lf/epoch.h"

/*
 * Invariants:
 *  - Every record on ep->ck.records was allocated here (posix_memalign)
 *    and is freed only by goc__epoch_destroy.
 *  - A record is used by one thread between register and unregister;
 *    its pending callbacks are all dispatched before it is unregistered,
 *    so a recycled record starts with none.
 *  - A callback runs only after ck_epoch_synchronize (or _wait) returned
 *    on the thread that runs it, never from ck_epoch_poll.
 */

static inline void
tsan_acquire(void *p)
{
#if GOC_TSAN_ENABLED
	__tsan_acquire(p);
#else
	(void)p;
#endif
}

static inline void
tsan_release(void *p)
{
#if GOC_TSAN_ENABLED
	__tsan_release(p);
#else
	(void)p;
#endif
}

void
goc__epoch_init(struct goc_epoch *ep)
{
	ck_epoch_init(&ep->ck);
}

void
goc__epoch_destroy(struct goc_epoch *ep)
{
	ck_stack_entry_t *cursor, *next;

	for (cursor = CK_STACK_FIRST(&ep->ck.records); cursor != NULL;
	     cursor = next) {
		next = CK_STACK_NEXT(cursor);
		free(goc_container_of(cursor, struct goc_epoch_record,
				      ck.record_next));
	}
	ck_epoch_init(&ep->ck);
}

struct goc_epoch_record *
goc__epoch_register(struct goc_epoch *ep)
{
	ck_epoch_record_t *ck = ck_epoch_recycle(&ep->ck, NULL);
	struct goc_epoch_record *rec;

	if (ck != NULL) {
		rec = goc_container_of(ck, struct goc_epoch_record, ck);
		/* Pairs with the release in goc__epoch_unregister: the
		 * previous owner's plain writes to the record. */
		tsan_acquire(rec);
		return rec;
	}
	if (posix_memalign((void **)&rec, _Alignof(struct goc_epoch_record),
			   sizeof(*rec)) != 0)
		return NULL;
	ck_epoch_register(&ep->ck, &rec->ck, NULL);
	return rec;
}

void
goc__epoch_unregister(struct goc_epoch_record *rec)
{
	/* ck_epoch_unregister forgets pending callbacks: run them first. */
	goc__epoch_barrier(rec);
	tsan_release(rec);
	ck_epoch_unregister(&rec->ck);
}

void
goc__epoch_dispatch(ck_epoch_entry_t *ce)
{
	struct goc_epoch_entry *e =
		goc_container_of(ce, struct goc_epoch_entry, ck);

	/* Pairs with the release in goc__epoch_retire. */
	tsan_acquire(e);
	e->fn(e);
}

/* After a grace period: every ended section happens before what follows. */
static inline void
grace_period_passed(struct goc_epoch_record *rec)
{
	/* Pairs with the release in goc__epoch_end. */
	tsan_acquire(rec->ck.global);
}

void
goc__epoch_synchronize(struct goc_epoch_record *rec)
{
	ck_epoch_synchronize(&rec->ck);
	grace_period_passed(rec);
}

void
goc__epoch_barrier(struct goc_epoch_record *rec)
{
	/* ck_epoch_barrier, with the annotation between its two halves. */
	ck_epoch_synchronize(&rec->ck);
	grace_period_passed(rec);
	ck_epoch_reclaim(&rec->ck);
}

struct wait_ctx {
	void (*wait)(void *arg);
	void *arg;
};

static void
wait_trampoline(ck_epoch_t *global, ck_epoch_record_t *blocker, void *ct)
{
	struct wait_ctx *w = ct;

	(void)global;
	(void)blocker;
	w->wait(w->arg);
}

void
goc__epoch_barrier_wait(struct goc_epoch_record *rec, void (*wait)(void *arg),
			void *arg)
{
	struct wait_ctx w = {wait, arg};

	ck_epoch_synchronize_wait(rec->ck.global, wait_trampoline, &w);
	grace_period_passed(rec);
	ck_epoch_reclaim(&rec->ck);
}

unsigned
goc__epoch_pending(const struct goc_epoch_record *rec)
{
	/* The owner's own count (ck updates it on this thread only). */
	return ck_pr_load_uint(&rec->ck.n_pending);
}
