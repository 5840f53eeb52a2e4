# SPDX-License-Identifier: BSD-2-Clause
# Simulation tests (--enable-sim): goroutine programs under many seeds,
# determinism, deadlock verdicts. Other tests see GOC_TEST_SIM=1 and skip
# what the simulation cannot do (raw threads).
if ENABLE_SIM
AM_TESTS_ENVIRONMENT += GOC_TEST_SIM=1; export GOC_TEST_SIM; \
	GOC_SIM_TESTS='$(GOC_SIM_TESTS)'; export GOC_SIM_TESTS;
GOC_SIM_TESTS = tests/api/sched tests/api/chan tests/api/select \
	tests/api/sync tests/api/timer tests/api/context tests/sim/programs \
	fuzz/replay_sim_chan fuzz/replay_sim_sync tests/sim/seeds.sh
UNIT_TESTS += tests/sim/programs
# The API suites under more seeds and PCT (a script over their binaries).
TESTS += tests/sim/seeds.sh
tests_sim_programs_SOURCES = tests/sim/programs.c
# Goroutine programs from fuzz input, over the simulation (fuzz/sim_chan.c):
# make check replays the corpus; --enable-fuzz adds the libFuzzer binary.
FUZZ_REPLAY_TESTS += fuzz/replay_sim_chan
fuzz_replay_sim_chan_SOURCES = fuzz/replay.c fuzz/sim_chan.c fuzz/sim_settle.h
fuzz_replay_sim_chan_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"sim_chan"'
fuzz_replay_sim_chan_LDADD = $(UNIT_LDADD)
# Sync primitives, contexts and deadlock verdicts against a model
# (fuzz/sim_sync.c), the same way.
FUZZ_REPLAY_TESTS += fuzz/replay_sim_sync
fuzz_replay_sim_sync_SOURCES = fuzz/replay.c fuzz/sim_sync.c fuzz/sim_settle.h
fuzz_replay_sim_sync_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"sim_sync"'
fuzz_replay_sim_sync_LDADD = $(UNIT_LDADD)
if ENABLE_FUZZ
FUZZ_TARGETS += fuzz/fuzz_sim_sync
# The sync primitives are compiled into the target, so that libFuzzer
# sees their coverage (their slow paths' branches guide it).
fuzz_fuzz_sim_sync_SOURCES = fuzz/sim_sync.c fuzz/sim_settle.h \
	src/sync/mutex.c \
	src/sync/rwmutex.c src/sync/cond.c src/sync/sema.c \
	src/sync/waitgroup.c
fuzz_fuzz_sim_sync_CFLAGS = $(AM_CFLAGS) $(GOC_ARCH_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_sim_sync_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_fuzz_sim_sync_LDADD = libgoconc_internal.la $(CK_LIBS) -lpthread
FUZZ_TARGETS += fuzz/fuzz_sim_chan
fuzz_fuzz_sim_chan_SOURCES = fuzz/sim_chan.c fuzz/sim_settle.h
fuzz_fuzz_sim_chan_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_sim_chan_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_fuzz_sim_chan_LDADD = libgoconc_internal.la $(CK_LIBS) -lpthread
endif
endif
EXTRA_DIST += tools/replay docs/testing.md tests/sim/seeds.sh
