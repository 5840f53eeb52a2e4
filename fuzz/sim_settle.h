/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The end of one simulated run in a fuzz target (fuzz/sim_*.c), before
 * the next input restarts the simulation.
 */
#ifndef GOC_FUZZ_SIM_SETTLE_H
#define GOC_FUZZ_SIM_SETTLE_H

#include <goconc.h>

#include "sim/sim.h"

/*
 * sim_settle waits (in virtual time) for finished goroutines to leave,
 * shuts the runtime down, and runs the last Ms to the end of their
 * simulated threads: goc_shutdown returns once every M has counted
 * itself freed, and the ones still on their way out would make the next
 * input's restart find other threads alive. Returns NULL, or what went
 * wrong (goroutines left behind: a leak or a lost wake-up).
 */
static inline const char *
sim_settle(void)
{
	for (int k = 0; goc_num_goroutine() > 0 && k < 1000; k++)
		goc_sleep(1000 * 1000);
	if (goc_shutdown() != 0)
		return "goroutines left behind (a leak or a lost wake-up)";
	for (int k = 0; goc__sim_threads() > 1; k++) {
		if (k == 100000)
			return "simulated threads outlive goc_shutdown";
		goc__sim_point(GOC_SIM_KIND_SPIN);
	}
	return NULL;
}

#endif /* GOC_FUZZ_SIM_SETTLE_H */
