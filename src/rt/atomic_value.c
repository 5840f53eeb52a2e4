/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_atomic_value_t: Go's sync/atomic.Value (Go 1.25 value.go) with a
 * caller-chosen type tag in place of Go's interface type word.
 *
 * Invariants: _tag goes NULL -> BUSY -> tag exactly once, by the first
 * store, and never changes again. While it is BUSY only the first storer
 * writes _ptr. After that, _ptr only changes by seq_cst stores, swaps and
 * CASes of non-NULL pointers.
 *
 * Race builds (rt/race.h): every operation is a seq_cst atomic on the box,
 * so, as TSan models instrumented atomics, a load acquires the box, a
 * store releases it, and swap and CAS do both.
 */
#include "goconc/atomic.h"
#include "internal/compiler.h"
#include "internal/panic.h"
#include "internal/arch.h"
#include "rt/race.h"

/* A tag no program can own (it is odd and below any mapping). */
#define VALUE_BUSY ((const void *)(uintptr_t)1)

void *
goc_atomic_value_load(const goc_atomic_value_t *v)
{
	/* Acquire pairs with the release store of the tag in first_store(). */
	const void *tag = __atomic_load_n(&v->_tag, __ATOMIC_ACQUIRE);
	if (tag == NULL || tag == VALUE_BUSY)
		return NULL;
	void *p = __atomic_load_n(&v->_ptr, __ATOMIC_SEQ_CST);
	goc__race_acquire(v);
	return p;
}

/*
 * Claims the box for its first store. Returns true if this caller won and
 * must publish; false if a tag is (now) set. Spins while another first
 * store is in progress, as Go does (runtime_procPin + spin).
 */
static bool
claim_first(goc_atomic_value_t *v, const void **tagp)
{
	for (;;) {
		const void *tag = __atomic_load_n(&v->_tag, __ATOMIC_ACQUIRE);
		if (tag == NULL) {
			if (__atomic_compare_exchange_n(
				    &v->_tag, &tag, VALUE_BUSY, false,
				    __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
				return true;
			continue;
		}
		if (tag == VALUE_BUSY) {
			goc_arch_pause();
			continue;
		}
		*tagp = tag;
		return false;
	}
}

static void
publish_first(goc_atomic_value_t *v, const void *tag, void *ptr)
{
	__atomic_store_n(&v->_ptr, ptr, __ATOMIC_SEQ_CST);
	/* Release: a load that sees the tag sees the pointer. */
	__atomic_store_n(&v->_tag, tag, __ATOMIC_RELEASE);
}

void
goc_atomic_value_store(goc_atomic_value_t *v, const void *tag, void *ptr)
{
	const void *have;

	if (ptr == NULL || tag == NULL)
		goc_panic("sync/atomic: store of nil value into Value");
	goc__race_release(v);
	if (claim_first(v, &have)) {
		publish_first(v, tag, ptr);
		return;
	}
	if (have != tag)
		goc_panic("sync/atomic: store of inconsistently typed value "
			  "into Value");
	__atomic_store_n(&v->_ptr, ptr, __ATOMIC_SEQ_CST);
}

void *
goc_atomic_value_swap(goc_atomic_value_t *v, const void *tag, void *ptr)
{
	const void *have;

	if (ptr == NULL || tag == NULL)
		goc_panic("sync/atomic: swap of nil value into Value");
	goc__race_acquire(v);
	goc__race_release(v);
	if (claim_first(v, &have)) {
		publish_first(v, tag, ptr);
		return NULL;
	}
	if (have != tag)
		goc_panic("sync/atomic: swap of inconsistently typed value "
			  "into Value");
	return __atomic_exchange_n(&v->_ptr, ptr, __ATOMIC_SEQ_CST);
}

bool
goc_atomic_value_cas(goc_atomic_value_t *v, const void *tag, void *old_ptr,
		     void *new_ptr)
{
	const void *have;

	if (new_ptr == NULL || tag == NULL)
		goc_panic("sync/atomic: compare and swap of nil value into "
			  "Value");
	goc__race_acquire(v);
	goc__race_release(v);
	for (;;) {
		have = __atomic_load_n(&v->_tag, __ATOMIC_ACQUIRE);
		if (have == NULL) {
			/* Empty: only a CAS from NULL can succeed. */
			if (old_ptr != NULL)
				return false;
			if (claim_first(v, &have)) {
				publish_first(v, tag, new_ptr);
				return true;
			}
			continue; /* someone else stored first; re-check */
		}
		if (have == VALUE_BUSY) {
			goc_arch_pause();
			continue;
		}
		break;
	}
	if (have != tag)
		goc_panic("sync/atomic: compare and swap of inconsistently "
			  "typed value into Value");
	return __atomic_compare_exchange_n(&v->_ptr, &old_ptr, new_ptr, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
