/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every panic and fatal error of the sync primitives, each in a
 * re-executed process, in Go's words. After Go's TestMutexMisuse (the
 * Mutex and RWMutex cases, fatal and unrecoverable), TestWaitGroupMisuse,
 * TestWaitGroupMisuse2/3 and TestCondCopy.
 */
#include <string.h>

#include <goconc.h>

#include "../harness.h"

static void
mutex_unlock_unlocked(void)
{
	goc_mutex_t m = GOC_MUTEX_INIT;
	goc_mutex_unlock(&m);
}

static void
mutex_double_unlock(void)
{
	goc_mutex_t m = GOC_MUTEX_INIT;
	goc_mutex_lock(&m);
	goc_mutex_unlock(&m);
	goc_mutex_unlock(&m);
}

static void
rw_unlock_unlocked(void)
{
	goc_rwmutex_t m = GOC_RWMUTEX_INIT;
	goc_rwmutex_unlock(&m);
}

static void
rw_unlock_after_rlock(void)
{
	goc_rwmutex_t m = GOC_RWMUTEX_INIT;
	goc_rwmutex_rlock(&m);
	goc_rwmutex_unlock(&m);
}

static void
rw_double_unlock(void)
{
	goc_rwmutex_t m = GOC_RWMUTEX_INIT;
	goc_rwmutex_lock(&m);
	goc_rwmutex_unlock(&m);
	goc_rwmutex_unlock(&m);
}

static void
rw_runlock_unlocked(void)
{
	goc_rwmutex_t m = GOC_RWMUTEX_INIT;
	goc_rwmutex_runlock(&m);
}

static void
rw_runlock_after_lock(void)
{
	goc_rwmutex_t m = GOC_RWMUTEX_INIT;
	goc_rwmutex_lock(&m);
	goc_rwmutex_runlock(&m);
}

static void
rw_double_runlock(void)
{
	goc_rwmutex_t m = GOC_RWMUTEX_INIT;
	goc_rwmutex_rlock(&m);
	goc_rwmutex_runlock(&m);
	goc_rwmutex_runlock(&m);
}

/* After Go's TestMutexMisuse. */
GOC_TEST(mutex_misuse)
{
	expect_fatal(mutex_unlock_unlocked, "sync: unlock of unlocked mutex");
	expect_fatal(mutex_double_unlock, "sync: unlock of unlocked mutex");
	expect_fatal(rw_unlock_unlocked, "sync: Unlock of unlocked RWMutex");
	expect_fatal(rw_unlock_after_rlock, "sync: Unlock of unlocked RWMutex");
	expect_fatal(rw_double_unlock, "sync: Unlock of unlocked RWMutex");
	expect_fatal(rw_runlock_unlocked, "sync: RUnlock of unlocked RWMutex");
	expect_fatal(rw_runlock_after_lock,
		     "sync: RUnlock of unlocked RWMutex");
	expect_fatal(rw_double_runlock, "sync: RUnlock of unlocked RWMutex");
}

static void
wg_negative(void)
{
	goc_wg_t wg = GOC_WG_INIT;
	goc_wg_add(&wg, 1);
	goc_wg_done(&wg);
	goc_wg_done(&wg);
}

/* After Go's TestWaitGroupMisuse. */
GOC_TEST(waitgroup_negative)
{
	expect_panic(wg_negative, "sync: negative WaitGroup counter");
}

static goc_wg_t reuse_wg;
static int reuse_parked;

static void
reuse_waiter(void *arg)
{
	(void)arg;
	__atomic_store_n(&reuse_parked, 1, __ATOMIC_SEQ_CST);
	goc_wg_wait(&reuse_wg);
}

static int
reuse_main(void *arg)
{
	(void)arg;
	goc_wg_add(&reuse_wg, 1);
	goc_go(reuse_waiter, NULL);
	while (!__atomic_load_n(&reuse_parked, __ATOMIC_SEQ_CST) ||
	       (uint32_t)__atomic_load_n(&reuse_wg._state, __ATOMIC_SEQ_CST) ==
		       0)
		goc_yield();
	/* The waiter is counted and parked. Done releases it into runnext;
	 * on one P it cannot run before the Add reuses the group. */
	goc_wg_done(&reuse_wg);
	goc_wg_add(&reuse_wg, 1);
	for (;;)
		goc_yield();
	return 0;
}

static void
wg_reused(void)
{
	goc_maxprocs(1);
	goc_run(reuse_main, NULL);
}

/* After Go's TestWaitGroupMisuse3 (deterministic on one P). */
GOC_TEST(waitgroup_reused)
{
	expect_panic(wg_reused, "sync: WaitGroup is reused before previous "
				"Wait has returned");
}

static void
wg_add_during_wait(void)
{
	goc_wg_t wg = GOC_WG_INIT;
	/* The state a Wait leaves when it counts itself at counter 0 while
	 * the Add that raced it sees waiters (TestWaitGroupMisuse2's window,
	 * forged: the fields are public for size only). */
	wg._state = 1;
	goc_wg_add(&wg, 1);
}

GOC_TEST(waitgroup_add_during_wait)
{
	expect_panic(wg_add_during_wait, "sync: WaitGroup misuse: Add called "
					 "concurrently with Wait");
}

static void
cond_copied(void)
{
	goc_cond_t c = GOC_COND_INIT, c2;
	goc_cond_signal(&c);
	memcpy(&c2, &c, sizeof(c));
	goc_cond_signal(&c2);
}

/* After Go's TestCondCopy. */
GOC_TEST(cond_copy)
{
	expect_panic(cond_copied, "sync.Cond is copied");
}

static void
cond_no_locker(void)
{
	goc_cond_t c = GOC_COND_INIT;
	goc_cond_wait(&c, NULL);
}

static void
cond_two_lockers(void)
{
	goc_mutex_t a = GOC_MUTEX_INIT, b = GOC_MUTEX_INIT;
	goc_cond_t c;
	goc_cond_init(&c, &a);
	goc_mutex_lock(&b);
	goc_cond_wait(&c, &b);
}

GOC_TEST(cond_locker_misuse)
{
	expect_panic(cond_no_locker, "sync: Cond.Wait with no Locker");
	expect_panic(cond_two_lockers,
		     "sync: Cond used with a different Locker");
}
