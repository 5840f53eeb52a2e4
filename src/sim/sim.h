/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The deterministic simulation (configure --enable-sim; SPEC §7, §10).
 *
 * In a simulation build the OS layer of os.h (the clock, futexes, short
 * sleeps and thread creation) is implemented by src/sim/sim.c instead of
 * src/os/linux.c: every thread the runtime starts (each M, sysmon) is a
 * fiber multiplexed on the one OS thread that started the runtime, time
 * is virtual, and every choice (which simulated thread runs next at each
 * decision point, which futex waiter a wake-up picks, spurious wake-ups,
 * goc__fastrand) is drawn from one source: a seeded PRNG, PCT, or a byte
 * buffer supplied by a fuzzer. The runtime's algorithms are unchanged;
 * only the layer under them is replaced.
 *
 *   GOC_SIM_POINT()    a decision point: the simulation may switch to
 *                      another simulated thread here. Runtime locks,
 *                      atomic read-modify-writes on shared scheduler,
 *                      channel and sync state carry one.
 *   GOC_SIM_SPIN()     a decision point inside a spin loop: another
 *                      runnable thread is preferred, so the thread the
 *                      spinner waits for makes progress (a spin that does
 *                      not reach a point hangs the simulation, SPEC §10).
 *
 * Both compile to nothing in a normal build.
 *
 * Environment (read when the simulation starts):
 *   GOCONC_SIM_SEED=N       seed of the PRNG source (default 1)
 *   GOCONC_SIM_PCT=D        PCT with bug depth D instead of the PRNG
 *   GOCONC_SIM_PCT_STEPS=K  PCT's estimate of the run length (20000)
 *   GOCONC_SIM_NCPU=N       the CPU count the simulated OS reports (4)
 *   GOCONC_SIM_VERBOSE=1    print the replay line at every exit
 *
 * A process that dies (abort) or exits non-zero prints
 *   sim: seed=S pct=D decisions=N trace=H
 * on stderr: rerun with GOCONC_SIM_SEED=S (tools/replay) to replay it.
 */
#ifndef GOC_SIM_SIM_H
#define GOC_SIM_SIM_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef GOC_SIM

enum goc_sim_kind {
	GOC_SIM_KIND_POINT = 0, /* may switch */
	GOC_SIM_KIND_SPIN = 1,  /* should switch if anything else can run */
};

void goc__sim_point(int kind);

#define GOC_SIM_POINT() goc__sim_point(GOC_SIM_KIND_POINT)
#define GOC_SIM_SPIN()  goc__sim_point(GOC_SIM_KIND_SPIN)

struct goc_m;
/* The running M of the running simulated thread (tls.c in sim mode). */
struct goc_m *goc__sim_getm(void);
void goc__sim_setm(struct goc_m *m);

/* A 32-bit draw from the decision source (goc__fastrand in sim mode). */
uint32_t goc__sim_rand32(void);

/* The CPU count the simulated OS reports. */
int goc__sim_ncpu(void);

/*
 * Control, for tests and fuzzers. Each restart call resets the virtual
 * clock, the decision counter and the trace hash and selects a source;
 * call it while the runtime is shut down (goc_shutdown) or not yet
 * started, from the thread that runs the simulation.
 */
void goc__sim_restart_seed(uint64_t seed);
void goc__sim_restart_pct(uint64_t seed, int depth, uint64_t steps);
/* Draws come from data (one byte each, wider when needed); once it is
 * used up, from a PRNG seeded by a hash of data. data must stay valid
 * until the next restart. */
void goc__sim_restart_bytes(const uint8_t *data, size_t size);

/* Decisions taken so far, and a hash of every decision and its range. */
uint64_t goc__sim_decisions(void);
uint64_t goc__sim_trace_hash(void);
/* The seed of the current PRNG source (or the hash for bytes). */
uint64_t goc__sim_seed(void);
/* Simulated threads alive now (the starting thread included). */
int goc__sim_threads(void);
/* Prints the replay line to stderr. */
void goc__sim_print_replay(void);

#elif defined(GOC_CHAOS)

/*
 * The chaos build (configure --enable-chaos; src/rt/chaos.c): real
 * threads, and with GOCONC_CHAOS=seed set every decision point may yield
 * the CPU or stall for a few microseconds, at random, so that rare
 * interleavings turn up in real-thread torture runs.
 */
void goc__chaos_point(int spin);
/* Points perturbed so far in this process (for tests). */
uint64_t goc__chaos_perturbed(void);

#define GOC_SIM_POINT() goc__chaos_point(0)
#define GOC_SIM_SPIN()  goc__chaos_point(1)

#else /* neither */

#define GOC_SIM_POINT() ((void)0)
#define GOC_SIM_SPIN()  ((void)0)

#endif /* GOC_SIM */

#endif /* GOC_SIM_SIM_H */
