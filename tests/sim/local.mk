# SPDX-License-Identifier: BSD-2-Clause
# Simulation tests (--enable-sim): goroutine programs under many seeds,
# determinism, deadlock verdicts. Other tests see GOC_TEST_SIM=1 and skip
# what the simulation cannot do (raw threads).
if ENABLE_SIM
AM_TESTS_ENVIRONMENT += GOC_TEST_SIM=1; export GOC_TEST_SIM; \
	GOC_SIM_TESTS='$(GOC_SIM_TESTS)'; export GOC_SIM_TESTS;
GOC_SIM_TESTS = tests/api/sched tests/api/chan tests/api/select \
	tests/api/sync tests/api/timer tests/sim/programs
UNIT_TESTS += tests/sim/programs
tests_sim_programs_SOURCES = tests/sim/programs.c
endif
EXTRA_DIST += tools/replay
