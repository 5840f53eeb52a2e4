/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fault injection (the --enable-faults build; SPEC §7, issue 7 item 6).
 *
 * The library's own calls to the allocator (malloc, calloc, realloc,
 * posix_memalign, strdup), mmap, mprotect and pthread_create are
 * redirected at link time: libgoconc.so is linked with -Wl,--wrap=NAME,
 * so each of them reaches __wrap_NAME in fault.c, which counts the call
 * under its kind and, when the call is one chosen to fail, fails it the
 * way the system would (NULL or MAP_FAILED or -1 with errno ENOMEM, or
 * EAGAIN from pthread_create). The program's own calls are not wrapped.
 * The futex wait (src/os/linux.c) asks goc__fault_hit(GOC_FAULT_FUTEX)
 * and, when told to, returns at once as a spurious wake-up, which every
 * caller must tolerate.
 *
 * Which calls fail:
 *   GOCONC_FAULTS="malloc=17,mmap=3-,futex=%50,seed=7", read at start-up:
 *     kind=N     the Nth call of that kind (counted from start-up)
 *     kind=N-    the Nth and every later call
 *     kind=N-M   calls N to M
 *     kind=%P    each call with probability 1/P (seeded by seed=S)
 *   kinds: malloc, mmap, mprotect, thread, futex.
 *   goc__fault_arm(kind, first, last) restarts the kind's count and fails
 *   calls first..last from now (last UINT64_MAX: all from first on);
 *   goc__fault_arm(kind, 0, 0) disarms, keeping the counts;
 *   goc__fault_arm_random(kind, one_in, seed) restarts the count too;
 *   goc__fault_count(kind) is the calls since the kind was armed,
 *   goc__fault_fired(kind) how many of them were failed.
 *
 * The control functions are exported from libgoconc.so in faults builds
 * only, for tests/fault; they are not part of the public API. Outside
 * faults builds goc__fault_hit is a constant false and costs nothing.
 */
#ifndef GOC_RT_FAULT_H
#define GOC_RT_FAULT_H

#include "config.h"

#include <stdbool.h>
#include <stdint.h>

enum goc_fault_kind {
	GOC_FAULT_MALLOC, /* malloc, calloc, realloc, posix_memalign, strdup */
	GOC_FAULT_MMAP,   /* mmap */
	GOC_FAULT_MPROTECT, /* mprotect */
	GOC_FAULT_THREAD,   /* pthread_create */
	GOC_FAULT_FUTEX,    /* a futex wait returns at once */
	GOC_FAULT_NKINDS
};

#ifdef GOC_FAULTS
#define GOC_FAULTS_ENABLED 1
#define GOC__FAULT_API     __attribute__((visibility("default")))

/* True when this call of kind is to fail (and counts it as failed). */
GOC__FAULT_API bool goc__fault_hit(int kind);
GOC__FAULT_API void goc__fault_arm(int kind, uint64_t first, uint64_t last);
GOC__FAULT_API void goc__fault_arm_random(int kind, uint32_t one_in,
					  uint64_t seed);
GOC__FAULT_API void goc__fault_disarm_all(void);
GOC__FAULT_API uint64_t goc__fault_count(int kind);
GOC__FAULT_API uint64_t goc__fault_fired(int kind);
#else
#define GOC_FAULTS_ENABLED 0

static inline bool
goc__fault_hit(int kind)
{
	(void)kind;
	return false;
}
#endif

#endif /* GOC_RT_FAULT_H */
