/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Goroutine stacks: fixed-size mmap'd regions, lazily committed by the
 * kernel, with a PROT_NONE guard below while the guard budget lasts and
 * a canary beyond it (SPEC §10 "Stack guard budget").
 *
 * Go grows stacks by copying (runtime/stack.go); C cannot relocate
 * frames, so a libgoconc stack has a fixed size chosen at spawn and an
 * overflow is fatal ("stack overflow"), never silent corruption.
 *
 * Layout of one stack mapping (addresses grow upwards):
 *
 *     map              lo                                 hi = lo + size
 *     | guard         | usable stack ...  <- grows down   |
 *
 * Every mapping has a guard region below lo, GOC_STACK_GUARD_SIZE
 * rounded up to a page. Larger than one page, it also stops frames with
 * a local buffer of a few KiB (char path[PATH_MAX]) that would step over
 * a single guard page into the next mapping; it costs address space
 * only. On a guarded stack it is PROT_NONE. Beyond the guard budget (or
 * when the kernel refuses the mprotect) it stays read-write, a cushion
 * that keeps an overflow of that size off the neighbouring mapping, and
 * the lowest words of the usable region hold a canary, checked by
 * goc__stack_check() at every switch.
 *
 * The scheduler's default-size stacks come from slabs of many stacks per
 * mapping instead (goc__stack_alloc_slab; stack.c, "Slabs"): a guarded
 * slab repeats the layout above, a canary slab packs stacks back to back
 * with no cushion.
 */
#ifndef GOC_SCHED_STACK_H
#define GOC_SCHED_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "goconc/common.h"

/*
 * One stack. The struct is owned by whoever holds the stack (the g it
 * runs, or the pool); nothing in it is shared.
 */
struct goc_stack {
	void *lo;        /* lowest usable address */
	size_t size;     /* usable bytes; the stack pointer starts at lo+size */
	void *map;       /* the whole mapping (guard included) */
	size_t map_size; /* bytes mapped */
	bool guarded;    /* the guard below lo is PROT_NONE */
	bool slab;       /* a slot of a slab (goc__stack_alloc_slab) */
};

/* The default usable size (see stack.c for the reasoning) and bounds. */
#define GOC_STACK_DEFAULT_SIZE (64 * 1024)
#define GOC_STACK_MIN_SIZE     (16 * 1024)
#define GOC_STACK_MAX_SIZE     (1024 * 1024 * 1024)
#define GOC_STACK_GUARD_SIZE   (16 * 1024)

/* Words of canary at lo on an unguarded stack. */
#define GOC_STACK_CANARY_WORDS 8

/*
 * goc__stack_init reads GOCONC_STACKSIZE and GOCONC_STACKGUARD and
 * computes the guard budget from vm.max_map_count. Idempotent and
 * thread-safe; the functions below that need the settings call it.
 */
void goc__stack_init(void);

/* goc__stack_default_size is the size a goroutine gets unless it asks. */
size_t goc__stack_default_size(void);

/*
 * goc__stack_round_size is the usable size goc__stack_alloc(s, size)
 * gives (0 means the default), or 0 when size exceeds GOC_STACK_MAX_SIZE.
 * Callers that cache stacks compare sizes through it.
 */
size_t goc__stack_round_size(size_t size);

/*
 * goc__stack_alloc gets a stack of at least size usable bytes (0 means
 * the default; smaller than GOC_STACK_MIN_SIZE means the minimum; rounded
 * up to whole pages), from the pool when one of that size is free.
 * Returns 0; GOC_EINVAL when size exceeds GOC_STACK_MAX_SIZE; GOC_ENOMEM
 * when mmap fails; GOC_EAGAIN when the guard budget is spent and
 * GOCONC_STACKGUARD=strict forbids unguarded stacks. On failure *s is
 * zeroed.
 */
int goc__stack_alloc(struct goc_stack *s, size_t size);

/*
 * goc__stack_alloc_slab is goc__stack_alloc for the scheduler: a stack of
 * the default size comes from a slab, many stacks to one mmap (stack.c,
 * "Slabs"), so spawning needs no system call while a slab has free
 * slots; other sizes, and every stack under TSan, come from
 * goc__stack_alloc. Same results and errors.
 */
int goc__stack_alloc_slab(struct goc_stack *s, size_t size);

/*
 * goc__stack_lazy_ok says whether the scheduler may defer allocating a
 * stack of this (rounded) size until the goroutine first runs: only when
 * goc__stack_alloc_slab could fail for no reason but memory (the default
 * size, not strict mode), and never under TSan or the race build, where a
 * fiber is made by the goroutine that spawns it.
 */
bool goc__stack_lazy_ok(size_t size);

/*
 * goc__stack_lazy_default: the default stack size when goc__stack_lazy_ok
 * holds for it, else 0; one load for the common spawn. Valid once
 * goc__stack_init has run (the runtime's start runs it).
 */
extern size_t goc__stack_lazy_size;

static inline size_t
goc__stack_lazy_default(void)
{
	/* Relaxed: a hint, as goc__stack_lazy_ok's reads. */
	return __atomic_load_n(&goc__stack_lazy_size, __ATOMIC_RELAXED);
}

/*
 * goc__stack_free returns a stack to the pool (trimmed with madvise) or
 * unmaps it, and zeroes *s; a slab slot goes back to its free list,
 * trimmed, and stays mapped. Freeing a zeroed struct does nothing. Under
 * TSan stacks are always unmapped, never pooled: a reused stack reads as
 * a race (reference/testing.md §2.3 pitfall 5).
 */
void goc__stack_free(struct goc_stack *s);

/* goc__stack_pool_drain unmaps every pooled stack (shutdown, tests). */
void goc__stack_pool_drain(void);

/*
 * goc__stack_check is false if an unguarded stack's canary was hit; it is
 * always true for a guarded stack. The scheduler calls it when it
 * switches away from a goroutine, and reports a false result with
 * goc__stack_overflow().
 */
bool goc__stack_check_canary(const struct goc_stack *s);

static inline bool
goc__stack_check(const struct goc_stack *s)
{
	return s->guarded || goc__stack_check_canary(s);
}

/*
 * goc__stack_overflow prints Go's stack overflow report for goroutine
 * goid (name may be NULL) running on s, then aborts:
 *
 *     runtime: goroutine stack exceeds 65536-byte limit
 *     runtime: goroutine 7 (name) stack [0x7f..., 0x7f...)
 *     fatal error: stack overflow
 *
 *     goroutine 7 [running]:
 *
 * It only calls async-signal-safe functions (the guard-page handler uses
 * it too).
 */
GOC_NORETURN void goc__stack_overflow(uint64_t goid, const char *name,
				      const struct goc_stack *s);

/*
 * Fault attribution. The scheduler tells the stack layer which goroutine
 * each thread is running (goc__stack_set_current, called at every
 * switch, with NULL when the thread runs its own stack), so the
 * SIGSEGV/SIGBUS handler, running on an alternate signal stack, can tell
 * a guard-page hit from any other fault and report "stack overflow"
 * naming the goroutine. name must stay valid while s is current.
 */
struct goc_stack_owner {
	const struct goc_stack *stack;
	uint64_t goid;
	const char *name; /* may be NULL */
};
/*
 * Each thread's current owner, written only by that thread and read by
 * its fault handler: relaxed atomics (C11 allows only lock-free atomics
 * in signal handlers) ordered against the handler by signal fences.
 * initial-exec TLS: the first touch of a global-dynamic variable in a
 * shared library may call malloc, which a signal handler must not.
 */
extern __thread struct goc_stack_owner goc__stack_owner
	__attribute__((tls_model("initial-exec")));

/*
 * goc__stack_set_current records s as this thread's current stack.
 * Inline, so the TLS address may be computed once per caller: call it
 * only from code that runs on a thread's own stack (the scheduler on
 * g0), or from a function that returns before any switch (the
 * scheduler's direct switches), never where a goroutine may resume on
 * another thread before the caller returns.
 */
static inline void
goc__stack_set_current(const struct goc_stack *s, uint64_t goid,
		       const char *name)
{
	struct goc_stack_owner *o = &goc__stack_owner;

	/*
	 * The handler may interrupt this thread between any two stores:
	 * hide the stack while the goroutine's identity changes. Signal
	 * fences are enough, as only this thread's handler reads these.
	 */
	__atomic_store_n(&o->stack, NULL, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&o->goid, goid, __ATOMIC_RELAXED);
	__atomic_store_n(&o->name, name, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&o->stack, s, __ATOMIC_RELAXED);
}

/*
 * goc__stack_thread_init installs the SIGSEGV/SIGBUS handler (once per
 * process) and gives this thread an alternate signal stack unless it has
 * one already. Every thread that runs goroutines calls it first. Returns
 * 0 or GOC_ENOMEM. goc__stack_thread_exit undoes the per-thread part.
 */
int goc__stack_thread_init(void);
void goc__stack_thread_exit(void);

/* Counters for tests and the debug dump. */
struct goc_stack_stats {
	uint64_t guarded;    /* live stacks with a PROT_NONE guard */
	uint64_t unguarded;  /* live stacks with only a canary */
	uint64_t pooled;     /* free stacks kept for reuse (slab slots too) */
	uint64_t slabs;      /* slabs mapped */
	uint64_t slab_free;  /* free slab slots */
	uint64_t budget;     /* guarded stacks allowed */
	uint64_t guard_used; /* guarded stacks mapped (live or pooled) */
	uint64_t max_map_count; /* vm.max_map_count the budget came from */
};
void goc__stack_stats(struct goc_stack_stats *st);

/*
 * Knobs for white-box tests (and, later, the debug settings). They may be
 * called at any time; stacks already handed out keep what they have.
 *
 * goc__stack_parse_size parses a GOCONC_STACKSIZE value (decimal bytes
 * with an optional k, K, m or M suffix, within the bounds above) and
 * returns it unrounded, or 0 when it is invalid.
 *
 * goc__stack_reconfigure drains the pool and reads the environment and
 * vm.max_map_count again, warning on stderr about invalid settings.
 *
 * goc__stack_set_guard_budget sets the budget (guarded stacks mapped at
 * once) and re-arms the one-time notice; goc__stack_set_pool_max bounds
 * the pool (at most GOC_STACK_POOL_CAP; always 0 under TSan) and unmaps
 * the excess. Both return the previous value.
 */
#define GOC_STACK_POOL_CAP 1024
size_t goc__stack_parse_size(const char *s);
void goc__stack_reconfigure(void);
uint64_t goc__stack_set_guard_budget(uint64_t n);
size_t goc__stack_set_pool_max(size_t n);

#endif /* GOC_SCHED_STACK_H */
