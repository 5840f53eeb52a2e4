/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_rwmutex_t, after Go 1.25 sync/rwmutex.go (RLock, TryRLock,
 * RUnlock, rUnlockSlow, Lock, TryLock, Unlock, RLocker).
 *
 * The reader-count trick: _reader_count is the number of readers, minus
 * RWMUTEX_MAX_READERS (2^30) while a writer is pending or active, so one
 * atomic add tells a reader whether it may enter. A writer first takes _w
 * (excluding other writers), then subtracts 2^30 and learns how many
 * readers are still inside; those departing readers count _reader_wait
 * down and the last releases _writer_sem. Readers that arrive meanwhile
 * sleep on _reader_sem; Unlock adds 2^30 back and releases them.
 *
 * All fields are atomic (seq_cst, as Go's). Invariants: _reader_count >
 * -2^30 - 2^30 and < 2^30; _reader_wait >= 0 while a writer waits.
 */
/* This file defines the out-of-line functions the header's inline fast
 * paths stand in for. */
#define GOC_NO_INLINE 1
#include "goconc/sync.h"
#include "rt/race.h"

#include "sched/runtime2.h"
#include "sync/sema.h"

#define RWMUTEX_MAX_READERS (1 << 30)

void
goc_rwmutex_rlock_slow(goc_rwmutex_t *rw)
{
	/* A writer is pending: wait for it. */
	goc__semacquire(&rw->_reader_sem, false, GOC_WAIT_SYNC_RWMUTEX_RLOCK);
}

/*
 * Race builds (rt/race.h) report Go's edges: the writer's Unlock releases
 * readerSem, which RLock and Lock acquire; RUnlock releases (merging)
 * writerSem, which Lock acquires. Readers are not ordered among
 * themselves. Each entry point reads the writer mutex's state word.
 */
static inline void
race_touch(goc_rwmutex_t *rw, const void *pc)
{
	goc__race_read(&rw->_w._state, sizeof(rw->_w._state), pc);
}

void
goc_rwmutex_rlock(goc_rwmutex_t *rw)
{
	race_touch(rw, GOC_RACE_CALLERPC());
	if (__atomic_add_fetch(&rw->_reader_count, 1, __ATOMIC_SEQ_CST) < 0)
		goc_rwmutex_rlock_slow(rw);
	goc__race_acquire(&rw->_reader_sem);
}

bool
goc_rwmutex_try_rlock(goc_rwmutex_t *rw)
{
	int32_t c = __atomic_load_n(&rw->_reader_count, __ATOMIC_SEQ_CST);

	for (;;) {
		if (c < 0)
			return false;
		if (__atomic_compare_exchange_n(&rw->_reader_count, &c, c + 1,
						false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST)) {
			goc__race_acquire(&rw->_reader_sem);
			return true;
		}
	}
}

static void GOC_NOINLINE
runlock_slow(goc_rwmutex_t *rw, int32_t r)
{
	if (r + 1 == 0 || r + 1 == -RWMUTEX_MAX_READERS)
		goc_fatal("sync: RUnlock of unlocked RWMutex");
	/* A writer is pending: the last departing reader wakes it. */
	if (__atomic_sub_fetch(&rw->_reader_wait, 1, __ATOMIC_SEQ_CST) == 0)
		goc__semrelease(&rw->_writer_sem, false);
}

void
goc_rwmutex_runlock(goc_rwmutex_t *rw)
{
	race_touch(rw, GOC_RACE_CALLERPC());
	goc__race_release(&rw->_writer_sem);
	int32_t r = __atomic_sub_fetch(&rw->_reader_count, 1, __ATOMIC_SEQ_CST);

	if (r < 0)
		runlock_slow(rw, r);
}

void
goc_rwmutex_runlock_slow(goc_rwmutex_t *rw, int32_t r)
{
	runlock_slow(rw, r);
}

void
goc_rwmutex_lock(goc_rwmutex_t *rw)
{
	goc_mutex_lock(&rw->_w);
	/* Announce the writer; r is the number of readers inside. */
	int32_t r = __atomic_sub_fetch(&rw->_reader_count, RWMUTEX_MAX_READERS,
				       __ATOMIC_SEQ_CST) +
		    RWMUTEX_MAX_READERS;
	if (r != 0 &&
	    __atomic_add_fetch(&rw->_reader_wait, r, __ATOMIC_SEQ_CST) != 0)
		goc__semacquire(&rw->_writer_sem, false,
				GOC_WAIT_SYNC_RWMUTEX_LOCK);
	goc__race_acquire(&rw->_reader_sem);
	goc__race_acquire(&rw->_writer_sem);
}

bool
goc_rwmutex_try_lock(goc_rwmutex_t *rw)
{
	if (!goc_mutex_try_lock(&rw->_w))
		return false;
	int32_t zero = 0;
	if (!__atomic_compare_exchange_n(&rw->_reader_count, &zero,
					 -RWMUTEX_MAX_READERS, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		goc_mutex_unlock(&rw->_w);
		return false;
	}
	goc__race_acquire(&rw->_reader_sem);
	goc__race_acquire(&rw->_writer_sem);
	return true;
}

void
goc_rwmutex_unlock(goc_rwmutex_t *rw)
{
	race_touch(rw, GOC_RACE_CALLERPC());
	goc__race_release(&rw->_reader_sem);
	/* Tell readers there is no active writer any more. */
	int32_t r = __atomic_add_fetch(&rw->_reader_count, RWMUTEX_MAX_READERS,
				       __ATOMIC_SEQ_CST);
	if (r >= RWMUTEX_MAX_READERS)
		goc_fatal("sync: Unlock of unlocked RWMutex");
	/* Unblock the readers that arrived while the writer was in. */
	for (int32_t i = 0; i < r; i++)
		goc__semrelease(&rw->_reader_sem, false);
	goc_mutex_unlock(&rw->_w);
}

static void
rlocker_lock(void *obj)
{
	goc_rwmutex_rlock(obj);
}

static void
rlocker_unlock(void *obj)
{
	goc_rwmutex_runlock(obj);
}

goc_locker_t
goc_rwmutex_rlocker(goc_rwmutex_t *rw)
{
	goc_locker_t l = {rlocker_lock, rlocker_unlock, rw};
	return l;
}
