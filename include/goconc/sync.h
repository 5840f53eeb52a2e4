/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goconc/sync.h: Go's sync package (Go 1.25 src/sync): Mutex,
 * RWMutex, WaitGroup, Once and Cond.
 *
 * Every type here is embeddable and valid when zero-initialised, like
 * Go's zero values (GOC_MUTEX_INIT and friends are {0}). The fields are
 * public only so that the size is known; they are operated on with the
 * compiler's __atomic builtins inside the library: do not access them.
 * None of these values may be copied after first use.
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

GOC_END_DECLS

#endif /* GOCONC_SYNC_H */
