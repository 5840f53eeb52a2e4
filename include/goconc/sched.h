/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Goroutines and the scheduler (Go's runtime package, Go 1.25 semantics).
 *
 * The runtime starts lazily on the first call that needs it; goc_run()
 * is the tidy entry point: it boots the runtime, runs main_fn as a
 * goroutine, waits for it and returns its result. Goroutines run on an
 * M:N scheduler with GOMAXPROCS processors (GOCONC_MAXPROCS, default: the
 * CPUs in the affinity mask capped by the cgroup v2 limit).
 *
 * Deliberate differences from Go: stacks have a fixed size chosen at
 * spawn (default 64 KiB, GOCONC_STACKSIZE; C frames cannot be moved, so
 * stacks cannot grow) and an overflow is a fatal "stack overflow";
 * goroutines are only preempted at blocking calls and goc_yield() (no
 * asynchronous preemption).
 */
#ifndef GOCONC_SCHED_H
#define GOCONC_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include <goconc/common.h>

GOC_BEGIN_DECLS

/* Durations are int64_t nanoseconds, as Go's time.Duration. */
#define GOC_NANOSECOND  ((int64_t)1)
#define GOC_MICROSECOND ((int64_t)1000)
#define GOC_MILLISECOND ((int64_t)1000000)
#define GOC_SECOND      ((int64_t)1000000000)
#define GOC_MINUTE      (60 * GOC_SECOND)
#define GOC_HOUR        (60 * GOC_MINUTE)

/* Options for goc_go_opts; zero-initialise and set what you need. */
typedef struct goc_go_opts {
	size_t stack_size; /* usable stack bytes; 0: the default */
	const char *name;  /* shown in dumps; copied by reference, keep alive */
} goc_go_opts_t;

/*
 * goc_run boots the runtime if needed, runs main_fn(arg) as a goroutine
 * and blocks the calling thread until it returns; returns its result.
 * While it runs, the runtime detects global deadlock ("all goroutines are
 * asleep - deadlock!"). It may be called again after it returns;
 * goroutines still parked when main_fn returns stay parked. Returns
 * GOC_ENOMEM or GOC_EAGAIN if the main goroutine could not be created.
 */
GOC_API int goc_run(int (*main_fn)(void *), void *arg);

/*
 * goc_go starts fn(arg) as a new goroutine (Go's go statement). Returns
 * 0, GOC_ENOMEM, or GOC_EAGAIN (no stack could be had, or
 * GOCONC_STACKGUARD=strict refused one). The goroutine's start is
 * synchronized after the goc_go call (Go's memory model).
 */
GOC_API int goc_go(void (*fn)(void *), void *arg);
/* goc_go_opts is goc_go with a stack size and a name. */
GOC_API int goc_go_opts(void (*fn)(void *), void *arg,
			const goc_go_opts_t *opts);

/* goc_yield lets other goroutines run (runtime.Gosched). */
GOC_API void goc_yield(void);

/* goc_sleep pauses the goroutine for at least ns (time.Sleep); ns <= 0
 * returns at once. On a foreign thread it sleeps the thread. */
GOC_API void goc_sleep(int64_t ns);

/* goc_now is CLOCK_MONOTONIC in nanoseconds; deadlines use this clock. */
GOC_API int64_t goc_now(void);

/* goc_id is the running goroutine's id, or 0 on a foreign thread. */
GOC_API uint64_t goc_id(void);

/* goc_maxprocs sets GOMAXPROCS when n > 0; returns the previous value. */
GOC_API int goc_maxprocs(int n);

/* goc_num_goroutine is the number of live goroutines. */
GOC_API int goc_num_goroutine(void);

/*
 * goc_lock_os_thread wires the calling goroutine to its OS thread until
 * a matching number of goc_unlock_os_thread calls; a goroutine that
 * exits while locked takes the thread with it (Go's LockOSThread).
 */
GOC_API void goc_lock_os_thread(void);
GOC_API void goc_unlock_os_thread(void);

/*
 * goc_syscall_enter / goc_syscall_exit bracket a blocking system call or
 * long foreign computation: the goroutine's processor is handed to other
 * goroutines if the call lasts (Go's entersyscall / exitsyscall).
 */
GOC_API void goc_syscall_enter(void);
GOC_API void goc_syscall_exit(void);

/*
 * goc_shutdown stops the runtime's threads and frees its memory. Returns
 * GOC_EBUSY (and does nothing) while goroutines remain.
 */
GOC_API int goc_shutdown(void);

/* goc_dump prints every goroutine to stderr (as SIGQUIT does). */
GOC_API void goc_dump(void);

GOC_END_DECLS

#endif /* GOCONC_SCHED_H */
