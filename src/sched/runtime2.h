/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The scheduler's structures: g (goroutine), m (OS thread), p (processor)
 * and the global sched, after Go 1.25 runtime/runtime2.go.
 *
 * Ownership in one paragraph: a G is owned by whoever holds it. Running,
 * it belongs to its M. Runnable, it sits on exactly one run queue (a P's
 * local ring, a runnext slot, or the global list) and nobody touches its
 * stack. Waiting, it is recorded on exactly one wait structure, whose
 * owner readies it. Dead, it is on a free list. Status changes are
 * atomic; the transitions are the ones goc_gstatus lists.
 */
#ifndef GOC_SCHED_RUNTIME2_H
#define GOC_SCHED_RUNTIME2_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "internal/arch.h"
#include "internal/compiler.h"
#include "os/os.h"
#include "rt/fiber.h"
#include "sched/lock.h"
#include "sched/stack.h"
#include "sim/sim.h"

enum goc_gstatus {
	/* Allocated, never run, or dead on a free list. Nobody owns its
	 * stack; it is reused by newproc. */
	GOC_G_DEAD = 0,
	/* On a run queue. Not running; nobody may touch its stack. */
	GOC_G_RUNNABLE,
	/* Running on an M; owns its stack; not on any run queue. */
	GOC_G_RUNNING,
	/* In a system call between goc_syscall_enter and _exit; its M may
	 * have lost its P. */
	GOC_G_SYSCALL,
	/* Parked. Recorded on exactly one wait structure that is
	 * responsible for goc__ready()ing it. */
	GOC_G_WAITING,
};

/* Wait reasons, Go's words (runtime2.go waitReasonStrings). */
enum goc_waitreason {
	GOC_WAIT_ZERO = 0,
	GOC_WAIT_SLEEP,
	GOC_WAIT_CHAN_RECEIVE,
	GOC_WAIT_CHAN_SEND,
	GOC_WAIT_CHAN_RECEIVE_NIL,
	GOC_WAIT_CHAN_SEND_NIL,
	GOC_WAIT_SELECT,
	GOC_WAIT_SELECT_NO_CASES,
	GOC_WAIT_SYNC_MUTEX_LOCK,
	GOC_WAIT_SYNC_RWMUTEX_RLOCK,
	GOC_WAIT_SYNC_RWMUTEX_LOCK,
	GOC_WAIT_SYNC_WAITGROUP_WAIT,
	GOC_WAIT_SYNC_COND_WAIT,
	GOC_WAIT_SEMACQUIRE,
	GOC_WAIT_LOCKED_THREAD,
	GOC_WAIT_TEST,
	GOC_WAIT_NREASONS
};
extern const char *const goc__waitreason_str[GOC_WAIT_NREASONS];

struct goc_m;
struct goc_p;
struct goc_g;

/*
 * A timer on a P's heap (Go's runtime timer, simplified to what the
 * runtime needs: a function run on the scheduler when `when` passes).
 * The function runs without any runtime lock held and must not block.
 */
struct goc_timer {
	int64_t when;   /* (heap lock) absolute goc_now() ns */
	int64_t period; /* (heap lock) > 0: re-arm after firing */
	void (*f)(void *arg, int64_t now); /* (immutable while armed) */
	void *arg;                         /* (immutable while armed) */
	struct goc_p *p; /* (heap lock) the P whose heap holds it, or NULL */
	int32_t idx;     /* (heap lock) index in p->timers, -1 if none */
	uint32_t seq;    /* (heap lock) bumped on every arm/disarm */
};

/*
 * A sudog is a goroutine waiting on something: one entry in a channel's
 * send or receive queue, or in a semaphore's wait list (Go's sudog). A
 * goroutine may wait on many at once (select). Blocking calls never
 * allocate (SPEC §10): a sudog lives on the waiting goroutine's own
 * stack, which stays put while it is parked, and it is unlinked by whoever
 * wakes the goroutine (under the lock of the structure it is queued on)
 * before goc__ready().
 */
struct goc_sudog {
	struct goc_g *g;        /* (queue lock) the waiter */
	struct goc_sudog *next; /* (queue lock) */
	struct goc_sudog *prev; /* (queue lock) */
	void *elem; /* (queue lock) data to copy, may be on g's stack */
	void *c;    /* (owner) the channel or semaphore address */
	int64_t acquiretime; /* (queue lock) for contention profiles */
	uint32_t ticket;     /* (queue lock) semaphore FIFO ticket */
	bool isselect;       /* (owner) part of a select */
	bool success;        /* (waker) woken by a real operation, not close */
	struct goc_sudog *parent; /* (queue lock) semaphore tree links */
	struct goc_sudog
		*waitlink; /* (owner) select's list, sema's same-address list */
	struct goc_sudog *waittail; /* (queue lock) sema's same-address tail */
	uint32_t index;             /* (owner) select case index */
};

/* A goroutine, or the stand-in for a foreign thread that blocks. */
struct goc_g {
	struct goc_fiber fiber;  /* (owner) saved context when not running */
	struct goc_stack stack;  /* (owner) */
	size_t stack_want;       /* (owner) size of the stack to get at the
				  * first run; 0 once it has one */
	uint32_t status;         /* (atomic) enum goc_gstatus */
	uint8_t waitreason;      /* (owner) why it is WAITING */
	bool foreign;            /* (immutable) a foreign thread's stand-in */
	bool locked_exit;        /* (owner) exiting while wired to its M */
	uint64_t goid;           /* (immutable while live) */
	int64_t waitsince;       /* (owner) goc_now() when it parked */
	struct goc_m *m;         /* (owner) its M while running */
	struct goc_m *lockedm;   /* (owner) LockOSThread's M */
	uint32_t lockedext;      /* (owner) external LockOSThread count */
	struct goc_g *schedlink; /* (queue owner) global queue, free lists */
	struct goc_g *alllink;   /* (sched.lock) the allgs list */
	void (*fn)(void *);      /* (owner) entry */
	void *arg;               /* (owner) */
	const char *name;        /* (owner) user-given name, or NULL */
	uint64_t parent_goid;    /* (owner) who created it */
	void *created_pc;        /* (owner) return address of the goc_go */
	void *param;             /* (waker) set by whoever readied it */
	uint32_t *exit_notify;   /* (owner) goexit0 sets it to 1 and wakes */
	uint32_t parkkey; /* (atomic) foreign threads: 0 parked, 1 ready */
	/* (atomic) foreign threads: readiers between setting parkkey and
	 * their futex_wake; the G is not freed while it is not 0 */
	uint32_t wakers;
	/* (atomic) select's claim (Go's selectDone): reset to 0 under every
	 * channel lock of a blocking select, CAS 0 -> 1 by its one waker. */
	uint32_t selectdone;
	struct goc_timer sleeptimer; /* (owner) goc_sleep */
	/* (owner) its P's exitseq when it last ended: how warm its stack */
	uint32_t exitstamp;
};

/* A processor: the right to run goroutines, with its local resources. */
#define GOC_RUNQ_SIZE 256
struct goc_p {
	int32_t id;         /* (immutable) */
	uint32_t status;    /* (atomic) GOC_P_* */
	struct goc_m *m;    /* (owner M) */
	struct goc_p *link; /* (sched.lock) idle list */
	uint32_t schedtick; /* (atomic write by owner) incremented per schedule
			     */
	uint32_t syscalltick; /* (atomic write by owner) per syscall */
	/* sysmon's view (sysmon only). */
	uint32_t sysmon_schedtick;
	int64_t sysmon_schedwhen;
	uint32_t sysmon_syscalltick;
	int64_t sysmon_syscallwhen;
	uint32_t runqhead; /* (atomic) consumers CAS it */
	uint32_t runqtail; /* (atomic) written only by the owner */
	struct goc_g *runq[GOC_RUNQ_SIZE]; /* (atomic slots) */
	struct goc_g *runnext; /* (atomic) CAS by owner and thieves */
	struct goc_g *gfree;   /* (owner) dead Gs for reuse */
	int32_t ngfree;        /* (owner) */
	/* Goroutine ids handed out here, taken from sched.goidgen in
	 * batches (Go's goidcache): [goidcache, goidcacheend). */
	uint64_t goidcache;    /* (owner) */
	uint64_t goidcacheend; /* (owner) */
	uint32_t exitseq;      /* (owner) goroutines ended here, mod 2^32 */
	/* (atomic; written by the owner) goroutines started and ended on
	 * this P, for goc__gcount: counting per P costs a spawn and an exit
	 * no locked instruction. */
	uint64_t gstarted;
	uint64_t gended;
	/* Timers: a 4-ary min-heap on when. */
	struct goc_rtlock timerslock;
	struct goc_timer **timers; /* (timerslock) */
	int32_t ntimers;           /* (timerslock) */
	int32_t timerscap;         /* (timerslock) */
	int64_t timer0when;        /* (atomic) when of timers[0], 0 if none */
	uint64_t fastrand;         /* (owner) */
	/* (atomic; written by the running goroutine) odd while it is inside
	 * a goc_pool get or put; the pool cycle waits for it (sync/pool.c) */
	uint32_t poolpin;
	GOC_CACHELINE_PAD(pad);
};

enum goc_pstatus {
	GOC_P_IDLE = 0,
	GOC_P_RUNNING,
	GOC_P_SYSCALL,
	GOC_P_DEAD,
};

/* An OS thread that runs goroutines. */
struct goc_m {
	struct goc_fiber g0;     /* (owner) the scheduler loop's own stack */
	struct goc_g *curg;      /* (owner) the running goroutine */
	struct goc_p *p;         /* (owner) attached P */
	struct goc_p *nextp;     /* (sched.lock) P handed over by startm */
	struct goc_p *oldp;      /* (owner) P held before a syscall */
	struct goc_m *schedlink; /* (sched.lock) idle list */
	struct goc_m *alllink;   /* (sched.lock) all Ms */
	struct goc_g *lockedg;   /* (owner) LockOSThread's G */
	struct goc_note park;    /* sleep/wake of this M */
	bool spinning;           /* (owner) looking for work */
	bool blocked;            /* (owner) sleeping on park */
	bool exiting;            /* (owner) thread ends after this G */
	bool dead;               /* (owner) the thread has exited */
	int32_t id;              /* (immutable) */
	long tid;                /* (immutable) kernel thread id */
	goc_os_thread_t thread;  /* (immutable) */
	/* Work handed to g0 by the G that switched to it (Go's mcall). */
	void (*mcall_fn)(struct goc_m *m, struct goc_g *g);
	/* A direct switch (proc.c): the step dsw_fn(m, dsw_g) that the G
	 * switched to runs as soon as it lands, for the G that left. */
	void (*dsw_fn)(struct goc_m *m, struct goc_g *g); /* (owner) */
	struct goc_g *dsw_g;                              /* (owner) */
	/* A G taken by a G that exited, for g0 to run after goexit0. */
	struct goc_g *exit_next; /* (owner) */
	bool exit_next_inherit;  /* (owner) */
	bool (*waitunlockf)(struct goc_g *g, void *arg);
	void *waitlock;
};

/* Global scheduler state (Go's schedt). */
struct goc_sched {
	struct goc_rtlock lock; /* rank: sched; guards the fields below */
	/* Global run queue. */
	struct goc_g *runqhead, *runqtail; /* (lock) */
	int32_t runqsize;                  /* (lock, atomic read) */
	/* Idle Ms and Ps. */
	struct goc_m *midle;  /* (lock) */
	int32_t nmidle;       /* (lock) */
	int32_t nmidlelocked; /* (lock) Ms blocked waiting for a locked G */
	int32_t mnext;        /* (lock) next M id; also the M count */
	int32_t nmfreed;      /* (lock) Ms that exited */
	int32_t nmsys;        /* (lock) system Ms not counted (sysmon) */
	struct goc_m *allm;   /* (lock) */
	struct goc_p *pidle;  /* (lock) */
	int32_t npidle;       /* (atomic, written under lock) */
	int32_t nmspinning;   /* (atomic) */
	int32_t gomaxprocs;   /* (lock, atomic read) */
	struct goc_p **allp;  /* (lock) gomaxprocs entries */
	/* (lock to write, atomic read) allp entries ever made: Ps beyond
	 * gomaxprocs live on until their M next schedules, and the work on
	 * them must stay within thieves' reach meanwhile. */
	int32_t nallp;
	/* Dead Gs shared between Ps. */
	struct goc_g *gfree; /* (gflock) */
	int32_t ngfree;      /* (gflock) */
	struct goc_rtlock gflock;
	/* All Gs ever created (for dumps and deadlock detection). */
	struct goc_g *allg; /* (lock) */
	/* (atomic) goroutines started where no P was held (foreign
	 * threads, goc_run); they end on a P, counted there (goc__gcount). */
	uint64_t gstarted_nop;
	uint64_t goidgen;   /* (atomic) */
	int32_t nforeign;   /* (atomic) registered foreign threads */
	bool running_main;  /* (lock) inside goc_run: deadlock checks on */
	bool started;       /* (init lock, atomic read) */
	bool shutting_down; /* (lock, atomic read) goc_shutdown running */
	/* Timer sleeping: the one idle M that sleeps until the next timer. */
	struct goc_m *timerm; /* (lock) */
	int64_t timerm_until; /* (lock) */
};

extern struct goc_sched goc__sched;

/* tls.c: this thread's M. Out of line except where a read cannot keep a
 * stale thread pointer across a switch (see tls.c). */
void goc__setm(struct goc_m *m);
extern __thread struct goc_m *goc__tls_m
	__attribute__((tls_model("initial-exec")));

#if defined(__x86_64__) && !defined(GOC_SIM)
/*
 * On x86_64 an initial-exec thread-local read is one load through %fs,
 * which always names the running thread: no thread pointer or address is
 * ever held in a register that a switch to another thread could leave
 * stale, so the reads may be inline. The asm keeps the compiler from
 * reusing a value read before a switch.
 */
#define GOC_GETM_INLINE 1
static inline struct goc_m *
goc__getm(void)
{
	__asm__ __volatile__("" ::: "memory");
	return goc__tls_m;
}

static inline struct goc_g *
goc__getg(void)
{
	struct goc_m *m = goc__getm();

	return m != NULL ? m->curg : NULL;
}
#else
#define GOC_GETM_INLINE 0
struct goc_m *goc__getm(void);
struct goc_g *goc__getg(void);
#endif

/* mp.c */
void goc__acquirep(struct goc_m *m, struct goc_p *pp);
struct goc_p *goc__releasep(struct goc_m *m);
struct goc_p *goc__pidleget(void);
void goc__handoffp(struct goc_p *pp);
void goc__startm(struct goc_p *pp, bool spinning);
void goc__stopm(struct goc_m *m, bool timer_ok);
void goc__timer_kick(int64_t when);
void goc__wakep_slow(void);

/*
 * goc__wakep: new work appeared; start a spinning M on an idle P if
 * there is an idle P and no M is already spinning (Go's wakep). The
 * check of npidle is inline: with every P busy, a spawn or ready pays
 * one load. Seq_cst: the other side of the Dekker pair in findrunnable
 * (an M going idle publishes npidle, then re-checks the queues).
 */
static inline void
goc__wakep(void)
{
	if (__atomic_load_n(&goc__sched.npidle, __ATOMIC_SEQ_CST) == 0)
		return;
	goc__wakep_slow();
}

/* sysmon.c */
void goc__sysmon_start(void);
void goc__sysmon_stop(void);

/*
 * goc_os_nanotime() as of sysmon's last round, which comes at least every
 * 10 ms while the runtime runs (0 before sysmon first starts). Parking
 * stamps a goroutine's wait start with it: only goroutine dumps read the
 * stamp, in minutes, and one load is far cheaper than a clock read on
 * every hand-off. On a line of its own, as sysmon writes it often.
 */
struct goc_sysmon_clock {
	int64_t now; /* (atomic) written by sysmon */
	GOC_CACHELINE_PAD(pad);
} GOC_ALIGNED(GOC_CACHELINE);
extern struct goc_sysmon_clock goc__sysmon_clock;

static inline int64_t
goc__wait_stamp(void)
{
	/* Relaxed: a timestamp for display, ordered with nothing. */
	return __atomic_load_n(&goc__sysmon_clock.now, __ATOMIC_RELAXED);
}
/* Prints Go's schedtrace line (and per-P/M detail) to stderr. */
void goc__schedtrace(int64_t start, int64_t now, bool detail);

/* newproc.c: live goroutines (see there for how exact). */
int64_t goc__gcount(void);

/* lifecycle.c */
void goc__runtime_start(void);

/* goc__runtime_init starts the runtime on first use; inline, since every
 * spawn and most public calls check it. Acquire pairs with the release
 * store of started in goc__runtime_start. */
static inline void
goc__runtime_init(void)
{
	if (GOC_LIKELY(__atomic_load_n(&goc__sched.started, __ATOMIC_ACQUIRE)))
		return;
	goc__runtime_start();
}

/* proc.c */
struct goc_g *goc__direct_next(struct goc_m *m, struct goc_g *gp,
			       void (*fn)(struct goc_m *, struct goc_g *));
void goc__direct_finish(void);
void goc__goexit0(struct goc_m *m, struct goc_g *gp); /* newproc.c */
void goc__ready(struct goc_g *gp);
void goc__park(bool (*unlockf)(struct goc_g *, void *), void *lock,
	       enum goc_waitreason reason);
uint32_t goc__fastrand(void);

/* A draw in [0, n), n > 0 (Go's cheaprandn): multiply-shift, no
 * division. Simulation builds keep the modulo of their decision source,
 * so that recorded seeds replay the same choices. */
static inline uint32_t
goc__fastrandn(uint32_t n)
{
#ifdef GOC_SIM
	return goc__fastrand() % n;
#else
	return (uint32_t)(((uint64_t)goc__fastrand() * n) >> 32);
#endif
}

/* foreign.c */
struct goc_g *goc__foreign_g(void);

/* runq.c */
bool goc__runq_putslow(struct goc_p *pp, struct goc_g *gp, uint32_t h,
		       uint32_t t);

/*
 * Slots are read by thieves while the owner may be writing a slot outside
 * the range they grab: relaxed atomics (a plain access would be a C11
 * data race). Ordering comes from the head and tail loads and stores.
 */
static inline struct goc_g *
goc__runq_slot_load(struct goc_p *pp, uint32_t i)
{
	return __atomic_load_n(&pp->runq[i % GOC_RUNQ_SIZE], __ATOMIC_RELAXED);
}

static inline void
goc__runq_slot_store(struct goc_p *pp, uint32_t i, struct goc_g *gp)
{
	__atomic_store_n(&pp->runq[i % GOC_RUNQ_SIZE], gp, __ATOMIC_RELAXED);
}

/*
 * goc__runq_put (Go's runqput), by pp's owner: gp into runnext (next;
 * the G there before goes to the tail) or at the tail of the local
 * queue; a full queue sends half of itself and gp to the global queue
 * (returns false then). Inline: every yield, ready and spawn comes here.
 */
static inline bool
goc__runq_put(struct goc_p *pp, struct goc_g *gp, bool next)
{
	if (next) {
		struct goc_g *old =
			__atomic_load_n(&pp->runnext, __ATOMIC_RELAXED);
		/*
		 * Only the owner puts a G in runnext; thieves only take one
		 * (a CAS from that G to NULL). So an empty runnext stays empty
		 * until we fill it, and a plain store does: no locked
		 * instruction for the common case. Release: publishes gp to
		 * whoever takes it (the owner's or a thief's acquiring CAS).
		 */
		if (old == NULL) {
			__atomic_store_n(&pp->runnext, gp, __ATOMIC_RELEASE);
			return true;
		}
		/* Kick the old runnext out to the regular queue. Acq_rel:
		 * thieves CAS runnext too (runqgrab). */
		while (!__atomic_compare_exchange_n(&pp->runnext, &old, gp,
						    false, __ATOMIC_ACQ_REL,
						    __ATOMIC_RELAXED))
			;
		if (old == NULL)
			return true;
		gp = old;
	}
	for (;;) {
		/* Acquire: pairs with consumers' release CAS of runqhead, so
		 * slots they read are free to overwrite. */
		uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
		GOC_SIM_POINT();
		/* Relaxed: only this P writes runqtail. */
		uint32_t t = __atomic_load_n(&pp->runqtail, __ATOMIC_RELAXED);
		if (GOC_LIKELY(t - h < GOC_RUNQ_SIZE)) {
			goc__runq_slot_store(pp, t, gp);
			/* Release: makes the slot visible to consumers. */
			__atomic_store_n(&pp->runqtail, t + 1,
					 __ATOMIC_RELEASE);
			return true;
		}
		if (goc__runq_putslow(pp, gp, h, t))
			return false;
	}
}

/*
 * goc__runq_get (Go's runqget), by pp's owner: runnext first (the G
 * inherits the time slice: *inherit_time), then the head of the queue;
 * NULL when both are empty.
 */
static inline struct goc_g *
goc__runq_get(struct goc_p *pp, bool *inherit_time)
{
	struct goc_g *next = __atomic_load_n(&pp->runnext, __ATOMIC_RELAXED);
	/* Acq_rel: thieves CAS runnext too. */
	if (next != NULL &&
	    __atomic_compare_exchange_n(&pp->runnext, &next, NULL, false,
					__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		*inherit_time = true;
		return next;
	}
	for (;;) {
		/* Acquire: pairs with other consumers' release CAS. */
		uint32_t h = __atomic_load_n(&pp->runqhead, __ATOMIC_ACQUIRE);
		uint32_t t = __atomic_load_n(&pp->runqtail, __ATOMIC_RELAXED);
		if (t == h)
			return NULL;
		struct goc_g *gp = goc__runq_slot_load(pp, h);
		GOC_SIM_POINT();
		/* Release: commits the consumption (Go: CasRel). */
		if (__atomic_compare_exchange_n(&pp->runqhead, &h, h + 1, false,
						__ATOMIC_RELEASE,
						__ATOMIC_RELAXED)) {
			*inherit_time = false;
			return gp;
		}
	}
}
struct goc_g *goc__runq_steal(struct goc_p *pp, struct goc_p *victim,
			      bool steal_runnext);
bool goc__runq_empty(struct goc_p *pp);
uint32_t goc__runq_len(struct goc_p *pp);
void goc__globrunq_put(struct goc_g *gp);
void goc__globrunq_putbatch(struct goc_g *head, struct goc_g *tail, int32_t n);
void goc__globrunq_putbatch_locked(struct goc_g *head, struct goc_g *tail,
				   int32_t n);
struct goc_g *goc__globrunq_get(struct goc_p *pp, int32_t max);

/* time.c */
void goc__timer_add(struct goc_timer *t, int64_t when);
bool goc__timer_del(struct goc_timer *t);
/* Runs pp's due timers; now == 0 reads the clock only if a timer exists.
 * Returns the next timer's when, or 0. */
int64_t goc__timers_check(struct goc_p *pp, int64_t now);
/* The schedule loop's check: one load when pp has no timers (the common
 * case), the call otherwise. Acquire, as goc__timers_check's own load. */
static inline void
goc__timers_poll(struct goc_p *pp)
{
	if (__atomic_load_n(&pp->timer0when, __ATOMIC_ACQUIRE) != 0)
		goc__timers_check(pp, 0);
}
int64_t goc__timers_next(void);
void goc__timers_move(struct goc_p *from, struct goc_p *to);

/* sync/pool.c: sysmon runs the periodic pool cycle (GOCONC_POOLSWEEP). */
void goc__pool_sysmon(int64_t now);

/* dump.c */
void goc__dump_all(int fd, bool all);
void goc__dump_install_sigquit(void);

#endif /* GOC_SCHED_RUNTIME2_H */
