/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Epoch-based reclamation: the library's one wrapper over Concurrency
 * Kit's ck_epoch (Debian libck-dev 0.7.1). A bump to a fixed ck changes
 * this file and epoch.c only.
 *
 * Readers bracket every access to shared nodes with goc__epoch_begin and
 * goc__epoch_end. A writer that unlinks a node retires it with
 * goc__epoch_retire; its free callback runs only after every read section
 * that might still see the node has ended (a grace period), from
 * goc__epoch_barrier (or goc__epoch_unregister) on the retiring thread.
 *
 *     struct goc_epoch ep;                     (one per structure or global)
 *     goc__epoch_init(&ep);
 *     struct goc_epoch_record *rec = goc__epoch_register(&ep);  (per thread)
 *     goc__epoch_begin(rec); ... read ... goc__epoch_end(rec);
 *     unlink(n); goc__epoch_retire(rec, &n->retire, free_node);
 *     goc__epoch_barrier(rec);                 (now and then, not in a section)
 *     goc__epoch_unregister(rec);              (thread exit)
 *
 * What the wrapper adds to ck 0.7.1:
 *  - An acquire fence right after ck_epoch_begin. 0.7.1 orders the record's
 *    store before its load of the global epoch but not that load before
 *    the section's own loads; on aarch64 and other weakly ordered CPUs a
 *    node pointer could then be read before the epoch is observed, and be
 *    freed under the reader (fixed upstream in ck 1faa673, 2026).
 *  - No ck_epoch_poll: in 0.7.1 it dispatches a bucket before scanning
 *    the records (fixed upstream in d1b348c). Reclamation is
 *    ck_epoch_synchronize followed by ck_epoch_reclaim, both blocking
 *    until a grace period has passed.
 *  - ThreadSanitizer annotations. ck's atomics are inline assembly TSan
 *    cannot see, so a node freed after a grace period would read as a race
 *    with the readers that used it. goc__epoch_end releases the epoch,
 *    goc__epoch_retire releases the node, and before a callback runs the
 *    reclaimer acquires both (GOC_TSAN_ENABLED builds only).
 *  - goc__epoch_unregister dispatches pending callbacks (ck_epoch_unregister
 *    would drop them), and goc__epoch_destroy frees the records.
 *
 * Rules: a record belongs to one thread at a time; sections nest; never
 * call synchronize, barrier or unregister inside a section (it would wait
 * for itself); a retired node must already be unreachable for new readers.
 */
#ifndef GOC_LF_EPOCH_H
#define GOC_LF_EPOCH_H

#include <stdbool.h>
#include <stddef.h>

#include <ck_epoch.h>

#include "internal/compiler.h"

#if GOC_TSAN_ENABLED
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#endif

struct goc_epoch {
	ck_epoch_t ck; /* (ck) global epoch and the list of records */
};

struct goc_epoch_record {
	ck_epoch_record_t ck; /* (owner thread) cache-line aligned by ck */
};

/*
 * goc_epoch_entry is embedded in a node to retire it. fn receives the
 * entry; goc_container_of gives the node.
 */
struct goc_epoch_entry {
	ck_epoch_entry_t ck;
	void (*fn)(struct goc_epoch_entry *e); /* (retiring thread) */
};

/* goc__epoch_init sets up an epoch with no records. */
void goc__epoch_init(struct goc_epoch *ep);

/*
 * goc__epoch_destroy frees every record of ep. No thread may use ep any
 * more, and every record must have been unregistered.
 */
void goc__epoch_destroy(struct goc_epoch *ep);

/*
 * goc__epoch_register gives the calling thread a record, reusing one an
 * exited thread unregistered. NULL when memory ran out.
 */
struct goc_epoch_record *goc__epoch_register(struct goc_epoch *ep);

/*
 * goc__epoch_unregister waits for a grace period, runs the record's
 * pending callbacks, and makes the record free for reuse. Not in a
 * section.
 */
void goc__epoch_unregister(struct goc_epoch_record *rec);

/* goc__epoch_begin opens a read section (sections nest). */
static inline void
goc__epoch_begin(struct goc_epoch_record *rec)
{
	ck_epoch_begin(&rec->ck, NULL);
	/*
	 * ck 0.7.1 lacks this fence: the section's loads must not be
	 * satisfied before ck_epoch_begin's load of the global epoch, or a
	 * reader could read a node pointer, then observe an epoch in which
	 * that node's grace period already ended. On x86_64 (TSO) it is a
	 * compiler barrier; on aarch64 a DMB ISHLD. It pairs with the full
	 * fence ck_epoch_synchronize executes before scanning the records.
	 */
#if defined(__GNUC__) && !defined(__clang__) && GOC_TSAN_ENABLED
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#endif
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
#if defined(__GNUC__) && !defined(__clang__) && GOC_TSAN_ENABLED
#pragma GCC diagnostic pop
#endif
}

/* goc__epoch_end closes the innermost read section. */
static inline void
goc__epoch_end(struct goc_epoch_record *rec)
{
#if GOC_TSAN_ENABLED
	/* Everything this section read happens before any callback that a
	 * later grace period allows (acquired in epoch.c). */
	__tsan_release(rec->ck.global);
#endif
	ck_epoch_end(&rec->ck, NULL);
}

/* The ck callback behind goc__epoch_retire (epoch.c); not for direct use. */
void goc__epoch_dispatch(ck_epoch_entry_t *ce);

/*
 * goc__epoch_retire defers fn(e) until a grace period has passed; the
 * node holding e must be unreachable for sections that begin from now
 * on. Runs in O(1), never blocks, never allocates.
 */
static inline void
goc__epoch_retire(struct goc_epoch_record *rec, struct goc_epoch_entry *e,
		  void (*fn)(struct goc_epoch_entry *e))
{
	e->fn = fn;
#if GOC_TSAN_ENABLED
	/* The node's last writes (the unlink included) happen before fn. */
	__tsan_release(e);
#endif
	ck_epoch_call(&rec->ck, &e->ck, goc__epoch_dispatch);
}

/*
 * goc__epoch_synchronize returns once every section that was open when it
 * was called has ended. Not in a section.
 */
void goc__epoch_synchronize(struct goc_epoch_record *rec);

/*
 * goc__epoch_barrier waits for a grace period, then runs every callback
 * rec has pending. Not in a section.
 */
void goc__epoch_barrier(struct goc_epoch_record *rec);

/*
 * goc__epoch_barrier_wait is goc__epoch_barrier that calls wait(arg)
 * each time it finds a section still blocking the grace period (to yield
 * or park instead of spinning).
 */
void goc__epoch_barrier_wait(struct goc_epoch_record *rec,
			     void (*wait)(void *arg), void *arg);

/* goc__epoch_pending is the number of rec's callbacks not yet run. */
unsigned goc__epoch_pending(const struct goc_epoch_record *rec);

#endif /* GOC_LF_EPOCH_H */
