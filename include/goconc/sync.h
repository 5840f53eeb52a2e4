/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goconc/sync.h: Go's sync package (Go 1.25 src/sync): Mutex,
 * RWMutex, WaitGroup, Once, Cond and Pool (Map is in goconc/map.h).
 *
 * Every type here is embeddable and valid when zero-initialised, like
 * Go's zero values (GOC_MUTEX_INIT and friends are {0}). The fields are
 * public only so that the size is known; they are operated on with the
 * compiler's __atomic builtins inside the library: do not access them.
 * None of these values may be copied after first use.
 *
 * Lifetime: Go's garbage collector keeps a sync value alive while any
 * goroutine is still inside a call on it; in C the caller does. An
 * unlock (or Done, Signal, RUnlock) may still be touching its object
 * after the goroutine it let in has returned from Lock (or Wait): an
 * Unlock that hands the mutex to a waiter wakes it after the lock bit
 * is clear. So free or reuse the memory of a Mutex, RWMutex, Cond or
 * WaitGroup only once every call on it has returned, which the last
 * user's exit usually shows (join the goroutines, or wait on a
 * WaitGroup, as with pthread_join). A WaitGroup is the one that shows
 * this of itself: once every goc_wg_wait on it has returned, the
 * goc_wg_done calls that released them are done with it.
 *
 * Every blocking call works from a goroutine (which parks) and from a
 * plain thread the library did not create (which sleeps on a futex), and
 * never allocates.
 *
 * Memory model (Go's words): for a Mutex or RWMutex, the n-th Unlock is
 * synchronized before the m-th Lock returns, for n < m; a failed TryLock
 * synchronizes nothing. The return of f in goc_once_do is synchronized
 * before the return of any goc_once_do. goc_wg_done is synchronized
 * before the return of the goc_wg_wait it unblocks. goc_cond_signal and
 * goc_cond_broadcast are synchronized before the goc_cond_wait they
 * unblock.
 */
#ifndef GOCONC_SYNC_H
#define GOCONC_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include <goconc/common.h>
#include <goconc/features.h>

GOC_BEGIN_DECLS

/* ---- Mutex ------------------------------------------------------------ */

/*
 * goc_mutex_t is a mutual exclusion lock (Go's sync.Mutex) with Go's two
 * modes: normal (newcomers may spin and barge) and starvation (strict
 * FIFO hand-off once a waiter has waited 1 ms). The zero value is an
 * unlocked mutex. A locked mutex is not tied to a goroutine: one may lock
 * it and another unlock it.
 */
typedef struct goc_mutex {
	/* private: do not access */
	int32_t _state; /* locked | woken | starving | waiters << 3 */
	uint32_t _sema;
} goc_mutex_t;

#define GOC_MUTEX_INIT \
	{              \
		0, 0   \
	}

/*
 * goc_mutex_lock locks m, blocking (parking the goroutine, or sleeping a
 * foreign thread) until it is available.
 */
GOC_API void goc_mutex_lock(goc_mutex_t *m);
/*
 * goc_mutex_try_lock tries to lock m without blocking and reports whether
 * it succeeded. A false return synchronizes nothing.
 */
GOC_API bool goc_mutex_try_lock(goc_mutex_t *m);
/*
 * goc_mutex_unlock unlocks m. Unlocking an unlocked mutex is the fatal
 * error "sync: unlock of unlocked mutex".
 */
GOC_API void goc_mutex_unlock(goc_mutex_t *m);

/* ---- RWMutex ---------------------------------------------------------- */

/*
 * goc_rwmutex_t is a reader/writer lock (Go's sync.RWMutex): any number
 * of readers or one writer. A blocked writer excludes new readers (writer
 * priority), so recursive read locking may deadlock. At most 2^30
 * concurrent readers. The zero value is unlocked.
 */
typedef struct goc_rwmutex {
	/* private: do not access */
	goc_mutex_t _w;        /* held by a pending or active writer */
	uint32_t _writer_sem;  /* the writer waits for departing readers */
	uint32_t _reader_sem;  /* readers wait for the writer */
	int32_t _reader_count; /* readers; minus 2^30 while a writer waits */
	int32_t _reader_wait;  /* departing readers the writer waits for */
} goc_rwmutex_t;

#define GOC_RWMUTEX_INIT                   \
	{                                  \
		GOC_MUTEX_INIT, 0, 0, 0, 0 \
	}

/* goc_rwmutex_rlock locks rw for reading; blocks while a writer holds or
 * waits for it. */
GOC_API void goc_rwmutex_rlock(goc_rwmutex_t *rw);
/* goc_rwmutex_try_rlock tries to lock rw for reading without blocking. */
GOC_API bool goc_rwmutex_try_rlock(goc_rwmutex_t *rw);
/* goc_rwmutex_runlock undoes one rlock; without one it is the fatal error
 * "sync: RUnlock of unlocked RWMutex". */
GOC_API void goc_rwmutex_runlock(goc_rwmutex_t *rw);
/* goc_rwmutex_lock locks rw for writing, waiting for readers to leave. */
GOC_API void goc_rwmutex_lock(goc_rwmutex_t *rw);
/* goc_rwmutex_try_lock tries to lock rw for writing without blocking. */
GOC_API bool goc_rwmutex_try_lock(goc_rwmutex_t *rw);
/* goc_rwmutex_unlock unlocks a write lock; without one it is the fatal
 * error "sync: Unlock of unlocked RWMutex". */
GOC_API void goc_rwmutex_unlock(goc_rwmutex_t *rw);

/*
 * goc_locker_t is Go's sync.Locker: any lock with lock and unlock. Used
 * by goc_cond_init_locker; goc_rwmutex_rlocker gives the read half of an
 * RWMutex (Go's RLocker) and goc_mutex_locker a Mutex.
 */
typedef struct goc_locker {
	void (*lock)(void *obj);
	void (*unlock)(void *obj);
	void *obj;
} goc_locker_t;

GOC_API goc_locker_t goc_mutex_locker(goc_mutex_t *m);
GOC_API goc_locker_t goc_rwmutex_rlocker(goc_rwmutex_t *rw);

/* ---- WaitGroup -------------------------------------------------------- */

/*
 * goc_wg_t waits for a collection of tasks to finish (Go's
 * sync.WaitGroup). The zero value has a counter of zero. It may be reused
 * once every goc_wg_wait of the previous round has returned.
 */
typedef struct goc_wg {
	/* private: do not access */
	uint64_t _state; /* counter << 32 | waiters */
	uint32_t _sema;
} goc_wg_t;

#define GOC_WG_INIT  \
	{            \
		0, 0 \
	}

/*
 * goc_wg_add adds delta (which may be negative) to the counter; at zero
 * every waiter is released. Panics: "sync: negative WaitGroup counter";
 * "sync: WaitGroup misuse: Add called concurrently with Wait" when a
 * positive add from zero races a goc_wg_wait.
 */
GOC_API void goc_wg_add(goc_wg_t *wg, int delta);
/* goc_wg_done is goc_wg_add(wg, -1). */
GOC_API void goc_wg_done(goc_wg_t *wg);
/*
 * goc_wg_wait blocks until the counter is zero. Panics "sync: WaitGroup
 * is reused before previous Wait has returned" if the counter rose again
 * before this wait returned.
 */
GOC_API void goc_wg_wait(goc_wg_t *wg);
/*
 * goc_wg_go (Go 1.25 WaitGroup.Go) adds one, runs fn(arg) in a new
 * goroutine and calls goc_wg_done when it returns. Returns 0, or the
 * negative GOC_E* code of goc_go (the counter is then restored).
 */
GOC_API int goc_wg_go(goc_wg_t *wg, void (*fn)(void *), void *arg);

/* ---- Once ------------------------------------------------------------- */

/*
 * goc_once_t performs one action exactly once (Go's sync.Once). The zero
 * value has not run.
 */
typedef struct goc_once {
	/* private: do not access */
	uint32_t _done;
	goc_mutex_t _m;
} goc_once_t;

#define GOC_ONCE_INIT             \
	{                         \
		0, GOC_MUTEX_INIT \
	}

/*
 * goc_once_do calls fn(arg) if and only if goc_once_do is being called
 * for the first time on o. Concurrent callers block until that first fn
 * returns; no call returns before it has. fn calling goc_once_do on the
 * same o deadlocks.
 */
GOC_API void goc_once_do(goc_once_t *o, void (*fn)(void *), void *arg);
/* goc_once_done reports whether o's function has returned. */
GOC_API bool goc_once_done(goc_once_t *o);

/*
 * goc_once_value_t is Go's OnceValue: a lazily computed value. fn runs at
 * most once, on the first goc_once_value_get, and its result is returned
 * to every caller. Initialise with GOC_ONCE_VALUE_INIT(fn, arg).
 */
typedef struct goc_once_value {
	/* private: do not access */
	goc_once_t _once;
	void *(*_fn)(void *arg);
	void *_arg;
	void *_value;
} goc_once_value_t;

#define GOC_ONCE_VALUE_INIT(fn, arg)          \
	{                                     \
		GOC_ONCE_INIT, (fn), (arg), 0 \
	}

GOC_API void *goc_once_value_get(goc_once_value_t *ov);

/* ---- Cond ------------------------------------------------------------- */

/*
 * goc_cond_t is a condition variable (Go's sync.Cond): a rendezvous point
 * for goroutines waiting for an event. Waiters are woken in FIFO order by
 * goc_cond_signal. Each Cond has a Locker L, bound by goc_cond_init or
 * goc_cond_init_locker, or at the first goc_cond_wait that names a mutex.
 * A Cond that is copied after first use panics "sync.Cond is copied".
 */
typedef struct goc_cond {
	/* private: do not access */
	uint32_t _wait;   /* next ticket to hand out */
	uint32_t _notify; /* next ticket to notify */
	uint32_t _lock;   /* runtime lock guarding the list */
	void *_head;      /* waiters, by ticket */
	void *_tail;
	goc_locker_t _l;    /* L */
	uintptr_t _checker; /* its own address once used */
} goc_cond_t;

#define GOC_COND_INIT                       \
	{                                   \
		0, 0, 0, 0, 0, {0, 0, 0}, 0 \
	}

/* goc_cond_init sets c's L to mu. */
GOC_API void goc_cond_init(goc_cond_t *c, goc_mutex_t *mu);
/* goc_cond_init_locker sets c's L to any Locker (an RLocker, say). */
GOC_API void goc_cond_init_locker(goc_cond_t *c, goc_locker_t l);
/*
 * goc_cond_wait atomically unlocks L, suspends the caller until woken by
 * goc_cond_signal or goc_cond_broadcast, then locks L again before
 * returning. L must be held. mu may be NULL when L is already bound; a
 * non-NULL mu binds a Cond that has no L yet, and must be L otherwise
 * (panic "sync: Cond used with a different Locker"). Wait does not wake
 * spuriously, but the condition may have changed again by the time L is
 * re-locked: check it in a loop.
 */
GOC_API void goc_cond_wait(goc_cond_t *c, goc_mutex_t *mu);
/* goc_cond_signal wakes the longest-waiting goroutine, if any. L need not
 * be held. */
GOC_API void goc_cond_signal(goc_cond_t *c);
/* goc_cond_broadcast wakes every waiting goroutine. */
GOC_API void goc_cond_broadcast(goc_cond_t *c);

/* ---- Pool ------------------------------------------------------------- */

/*
 * goc_pool_t is a set of temporary objects that may be individually saved
 * and retrieved (Go's sync.Pool): a cache of allocated but unused items
 * for later reuse, relieving pressure on the allocator. Each P has a
 * private slot and a lock-free deque that other Ps steal from; threads
 * the library did not create share one locked stash.
 *
 * C has no garbage collector, so the pool ages its contents itself: a
 * pool cycle (Go's poolCleanup at each GC) moves every pooled object to a
 * victim cache and frees, through free_fn, whatever was still in the
 * victim cache from the cycle before. An object therefore survives one
 * cycle unused and is freed in the second. Cycles run from the runtime's
 * monitor thread every GOCONC_POOLSWEEP milliseconds (default 1000; 0
 * turns periodic cycles off) and on demand with goc_pool_sweep.
 *
 * goc_pool_t is embeddable; it must be set up with goc_pool_init before
 * use, must not be copied after that, and is torn down with
 * goc_pool_destroy.
 */
typedef struct goc_pool {
	/* private: do not access */
	void *_local;                        /* primary generation */
	void *_victim;                       /* victim generation */
	void *(*_new)(void *arg);            /* New, or NULL */
	void (*_free)(void *obj, void *arg); /* or NULL */
	void *_arg;
	void *_stash;           /* foreign threads' objects */
	void *_stash_victim;    /* and their victim cache */
	void *_retired;         /* generations outgrown by GOMAXPROCS */
	uint32_t _lock;         /* guards the three above and growth */
	uint32_t _stash_len;    /* objects in _stash (hint) */
	struct goc_pool *_next; /* every live pool */
	struct goc_pool *_prev;
} goc_pool_t;

/*
 * goc_pool_init sets up p. new_fn(arg) (Go's New) makes an object when
 * the pool is empty; with NULL, goc_pool_get returns NULL then.
 * free_fn(obj, arg) releases an object the pool drops (in a cycle, in
 * goc_pool_destroy, or when memory for the pool's own bookkeeping ran
 * out); with NULL, dropped objects are simply forgotten. free_fn may run
 * on the runtime's monitor thread: it should only release memory, and
 * must not call goc_pool_init, goc_pool_destroy or goc_pool_sweep.
 */
GOC_API void goc_pool_init(goc_pool_t *p, void *(*new_fn)(void *arg),
			   void (*free_fn)(void *obj, void *arg), void *arg);
/*
 * goc_pool_get selects an arbitrary object, removes it from the pool and
 * returns it; if the pool is empty it returns new_fn(arg) (NULL without
 * new_fn). Like Go, callers should not assume any relation between the
 * objects passed to goc_pool_put and those returned by goc_pool_get. An
 * object is handed to at most one getter per put. Never blocks on other
 * goroutines. Memory model: a goc_pool_put(x) is synchronized before a
 * goc_pool_get returning that same x.
 */
GOC_API void *goc_pool_get(goc_pool_t *p);
/* goc_pool_put adds x to the pool; NULL is ignored (Go's Put(nil)). */
GOC_API void goc_pool_put(goc_pool_t *p, void *x);
/*
 * goc_pool_destroy frees every object left in p through free_fn and
 * releases p's memory. No other call on p may run concurrently or follow
 * (goc_pool_init may set it up again).
 */
GOC_API void goc_pool_destroy(goc_pool_t *p);
/*
 * goc_pool_sweep runs one pool cycle on every pool now: primary to
 * victim, old victim freed. It waits (briefly, spinning) until no P is
 * still inside a get or put that may see the old victim.
 */
GOC_API void goc_pool_sweep(void);

/* ---- Inline fast paths ------------------------------------------------ */

/*
 * The uncontended case of Mutex lock and unlock, RWMutex rlock and
 * runlock, Once do, WaitGroup add and a wait on a zero WaitGroup is one
 * atomic operation, inlined
 * into the caller as Go inlines Mutex.Lock's fast path; everything else
 * goes to the library through the *_slow entry points below, which exist
 * only for these inline functions (they assume the fast path's atomic
 * operation has been done, and are not for direct use). The exported
 * functions of the same names stay available (take their address, or
 * call them as (goc_mutex_lock)(m)). Define GOC_NO_INLINE before
 * including this header to call the library every time; race builds of
 * the library (GOC_BUILD_RACE) always do, so that their annotations see
 * every operation.
 */
GOC_API void goc_mutex_lock_slow(goc_mutex_t *m);
GOC_API void goc_mutex_unlock_slow(goc_mutex_t *m, int32_t new_state);
GOC_API void goc_rwmutex_rlock_slow(goc_rwmutex_t *rw);
GOC_API void goc_rwmutex_runlock_slow(goc_rwmutex_t *rw, int32_t r);
GOC_API void goc_wg_add_slow(goc_wg_t *wg, int delta, uint64_t state);

#if !defined(GOC_NO_INLINE) && !(defined(GOC_BUILD_RACE) && GOC_BUILD_RACE)

GOC_INLINE void
goc__mutex_lock_inline(goc_mutex_t *m)
{
	int32_t unlocked = 0;

	/* Seq_cst, as the library's CAS (Go's atomics). */
	if (__builtin_expect(__atomic_compare_exchange_n(
				     &m->_state, &unlocked, 1, false,
				     __ATOMIC_SEQ_CST, __ATOMIC_RELAXED),
			     1))
		return;
	goc_mutex_lock_slow(m);
}

GOC_INLINE void
goc__mutex_unlock_inline(goc_mutex_t *m)
{
	/* Seq_cst: releases the critical section to the next locker. */
	int32_t n = __atomic_add_fetch(&m->_state, -1, __ATOMIC_SEQ_CST);

	if (__builtin_expect(n != 0, 0))
		goc_mutex_unlock_slow(m, n);
}

GOC_INLINE void
goc__rwmutex_rlock_inline(goc_rwmutex_t *rw)
{
	if (__builtin_expect(__atomic_add_fetch(&rw->_reader_count, 1,
						__ATOMIC_SEQ_CST) < 0,
			     0))
		goc_rwmutex_rlock_slow(rw);
}

GOC_INLINE void
goc__rwmutex_runlock_inline(goc_rwmutex_t *rw)
{
	int32_t r = __atomic_sub_fetch(&rw->_reader_count, 1, __ATOMIC_SEQ_CST);

	if (__builtin_expect(r < 0, 0))
		goc_rwmutex_runlock_slow(rw, r);
}

GOC_INLINE void
goc__once_do_inline(goc_once_t *o, void (*fn)(void *), void *arg)
{
	/* Acquire: pairs with the release store after fn in the library. */
	if (__builtin_expect(__atomic_load_n(&o->_done, __ATOMIC_ACQUIRE) != 0,
			     1))
		return;
	goc_once_do(o, fn, arg);
}

GOC_INLINE bool
goc__once_done_inline(goc_once_t *o)
{
	/* Acquire: as goc__once_do_inline. */
	return __atomic_load_n(&o->_done, __ATOMIC_ACQUIRE) != 0;
}

GOC_INLINE void
goc__wg_add_inline(goc_wg_t *wg, int delta)
{
	uint64_t state = __atomic_add_fetch(
		&wg->_state, (uint64_t)(int64_t)delta << 32, __ATOMIC_SEQ_CST);

	/* No waiters and a positive counter, or back to all zero: done.
	 * Anything else (waiters to wake, misuse to report) is slow. */
	if (__builtin_expect(
		    (uint32_t)state == 0 && (int32_t)(state >> 32) >= 0, 1))
		return;
	goc_wg_add_slow(wg, delta, state);
}

GOC_INLINE void
goc__wg_done_inline(goc_wg_t *wg)
{
	goc__wg_add_inline(wg, -1);
}

GOC_INLINE void
goc__wg_wait_inline(goc_wg_t *wg)
{
	/* Seq_cst, as the library's load (Go's Wait): a zero counter read
	 * here is the one the last goc_wg_done wrote, which synchronizes it
	 * before this return. */
	uint64_t state = __atomic_load_n(&wg->_state, __ATOMIC_SEQ_CST);

	if (__builtin_expect((int32_t)(state >> 32) == 0, 1))
		return;
	goc_wg_wait(wg);
}

#define goc_mutex_lock(m)       goc__mutex_lock_inline(m)
#define goc_mutex_unlock(m)     goc__mutex_unlock_inline(m)
#define goc_rwmutex_rlock(rw)   goc__rwmutex_rlock_inline(rw)
#define goc_rwmutex_runlock(rw) goc__rwmutex_runlock_inline(rw)
#define goc_once_do(o, f, a)    goc__once_do_inline(o, f, a)
#define goc_once_done(o)        goc__once_done_inline(o)
#define goc_wg_add(wg, d)       goc__wg_add_inline(wg, d)
#define goc_wg_done(wg)         goc__wg_done_inline(wg)
#define goc_wg_wait(wg)         goc__wg_wait_inline(wg)

#endif /* inline fast paths */

GOC_END_DECLS

#endif /* GOCONC_SYNC_H */
