/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Chaos (configure --enable-chaos, GOCONC_CHAOS=seed): random yields and
 * short stalls at the runtime's decision points (GOC_SIM_POINT and
 * GOC_SIM_SPIN in src/sim/sim.h: runtime locks, run-queue CASes, the
 * select claim, semaphore and mutex state changes).
 *
 * A real-thread run has few preemptions inside the runtime's critical
 * windows; a stall there stretches the window so that other threads run
 * through it, which is how a race that needs 16 cores to show turns up on
 * two. The real-thread torture suite (stress/) runs under it in CI.
 *
 * Without GOCONC_CHAOS (or with GOCONC_CHAOS=0) a point costs one relaxed
 * load. With a seed, each thread draws from its own xorshift stream
 * (seed mixed with the thread's id), so runs differ by thread timing but
 * the mix of perturbations is the seed's. GOCONC_CHAOS_RATE=N (default
 * 64) perturbs about one point in N; of those, three in four yield the
 * CPU and one in four stalls 1-50 us. A spin point (a loop waiting on
 * another thread) yields every time it is perturbed.
 */
#include "config.h"

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "os/os.h"
#include "sim/sim.h"

/* 0: not read yet; 1: off; 2: on. Relaxed: a racing first read only
 * parses the environment twice, with the same result. */
static int chaos_state;
static uint64_t chaos_seed;
static uint32_t chaos_rate = 64;
static __thread uint64_t chaos_rng;
/* Relaxed: a statistic for tests. */
static uint64_t chaos_hits;

uint64_t
goc__chaos_perturbed(void)
{
	return __atomic_load_n(&chaos_hits, __ATOMIC_RELAXED);
}

static int
chaos_init(void)
{
	const char *s = getenv("GOCONC_CHAOS");
	const char *r = getenv("GOCONC_CHAOS_RATE");
	int st = 1;

	if (s != NULL && *s != 0 && strtoull(s, NULL, 0) != 0) {
		chaos_seed = strtoull(s, NULL, 0);
		st = 2;
	}
	if (r != NULL && strtoul(r, NULL, 0) > 0)
		chaos_rate = (uint32_t)strtoul(r, NULL, 0);
	__atomic_store_n(&chaos_state, st, __ATOMIC_RELAXED);
	return st;
}

static uint32_t
chaos_next(void)
{
	uint64_t x = chaos_rng;

	if (x == 0) {
		/* splitmix64 of seed and thread id: a per-thread stream. */
		x = chaos_seed +
		    0x9e3779b97f4a7c15ULL * (uint64_t)(goc_os_gettid() + 1);
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
		x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
		x ^= x >> 31;
		if (x == 0)
			x = 1;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	chaos_rng = x;
	return (uint32_t)(x >> 32);
}

void
goc__chaos_point(int spin)
{
	int st = __atomic_load_n(&chaos_state, __ATOMIC_RELAXED);

	if (st == 0)
		st = chaos_init();
	if (st != 2)
		return;
	uint32_t r = chaos_next();
	if (r % chaos_rate != 0)
		return;
	__atomic_add_fetch(&chaos_hits, 1, __ATOMIC_RELAXED);
	if (spin || (r >> 16) % 4 != 0) {
		sched_yield();
		return;
	}
	goc_os_usleep(1 + (r >> 8) % 50);
}
