/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The OS contract: everything the runtime needs from the kernel, in one
 * place (STYLE C5). linux.c implements it with futexes and /proc; nothing
 * outside src/os/ calls a Linux-only API.
 *
 *   goc_os_nanotime()             CLOCK_MONOTONIC in nanoseconds
 *   goc_os_futex_wait(a, v, ns)   sleep while *a == v (ns < 0: no limit)
 *   goc_os_futex_wake(a, n)       wake up to n sleepers on a
 *   goc_os_ncpu()                 CPUs in the affinity mask, capped by the
 *                                 cgroup v2 CPU limit rounded up
 *   goc_os_gettid()               the kernel thread id
 *   goc_os_usleep(us)             a short real sleep (spin back-off only)
 *   goc_os_thread_start(...)      a new OS thread (the only place the
 *                                 runtime creates one), with _join and
 *                                 _exit
 */
#ifndef GOC_OS_OS_H
#define GOC_OS_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "goconc/common.h"
#include "sim/sim.h" /* GOC_SIM_POINT; --enable-sim replaces this layer */

int64_t goc_os_nanotime(void);

/*
 * Asymmetric fences (membarrier(2), MEMBARRIER_CMD_PRIVATE_EXPEDITED):
 * goc_os_membarrier_register asks the kernel for them once and says
 * whether they work here (not on kernels before 4.14, nor under
 * emulators that lack the call, nor in simulation builds);
 * goc_os_membarrier then makes every thread of the process that is
 * running execute a full memory barrier before it returns, so that code
 * on the other side may order its store before its load with a compiler
 * barrier alone. Only after a successful goc_os_membarrier_register.
 */
bool goc_os_membarrier_register(void);
void goc_os_membarrier(void);

/*
 * goc_os_futex_wait blocks while *addr == val, for at most timeout_ns
 * (negative: forever). Returns 0 when woken or when *addr != val on
 * entry, GOC_ETIMEDOUT on timeout. Spurious returns happen: callers loop.
 * Private futexes: the word must not be shared between processes.
 */
int goc_os_futex_wait(uint32_t *addr, uint32_t val, int64_t timeout_ns);
/* goc_os_futex_wake wakes at most n threads sleeping on addr. */
void goc_os_futex_wake(uint32_t *addr, int n);

/* goc_os_ncpu is the default GOMAXPROCS (Go 1.25 rule, minimum 1). */
int goc_os_ncpu(void);
/* goc_os_cgroup_cpu_limit parses a cgroup v2 cpu.max line into CPUs,
 * rounded up; 0 means no limit. Exposed for tests. */
int goc_os_cgroup_cpu_limit(const char *cpu_max_line);

long goc_os_gettid(void);

/* An OS thread, as goc_os_thread_start names it (opaque). */
typedef uintptr_t goc_os_thread_t;

/*
 * goc_os_thread_start runs fn(arg) on a new OS thread whose stack is
 * stack_size bytes (0: the system default). A detached thread cleans up
 * after itself; any other must be joined. Returns 0 or an errno value.
 */
int goc_os_thread_start(goc_os_thread_t *t, void *(*fn)(void *), void *arg,
			size_t stack_size, bool detached);
/* goc_os_thread_join waits for a thread started without detached. */
void goc_os_thread_join(goc_os_thread_t t);
/* goc_os_thread_exit ends the calling thread (started by
 * goc_os_thread_start). */
GOC_NORETURN void goc_os_thread_exit(void);
void goc_os_usleep(uint32_t us);

#endif /* GOC_OS_OS_H */
