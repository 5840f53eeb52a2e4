# SPDX-License-Identifier: BSD-2-Clause
# Test tiers (STYLE C9): unit (white-box, internal library), api (black
# box through <goconc.h>), death (re-executed panics), short stress runs.
check_LIBRARIES += tests/libharness.a
tests_libharness_a_SOURCES = tests/harness.c tests/harness.h
tests_libharness_a_CFLAGS = $(AM_CFLAGS)

# White-box programs link the internal library; black-box ones the public.
UNIT_LDADD = tests/libharness.a libgoconc_internal.la $(CK_LIBS) -lpthread
API_LDADD = tests/libharness.a libgoconc.la -lpthread
LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/atomic
tests_unit_atomic_SOURCES = tests/unit/atomic.c

API_TESTS += tests/api/atomic_value tests/api/headers
tests_api_atomic_value_SOURCES = tests/api/atomic_value.c
tests_api_atomic_value_LDADD = $(API_LDADD)
tests_api_headers_SOURCES = tests/api/headers.c tests/api/headers_cxx.cc \
	$(HEADER_TUS)
tests_api_headers_LDADD = $(API_LDADD)

DEATH_TESTS += tests/death/atomic
tests_death_atomic_SOURCES = tests/death/atomic.c
tests_death_atomic_LDADD = $(API_LDADD)

# Each public header compiled alone, as C, by its own translation unit.
HEADER_TUS = \
	tests/api/hdr_goconc.c \
	tests/api/hdr_common.c \
	tests/api/hdr_atomic.c \
	tests/api/hdr_ring.c \
	tests/api/hdr_sync.c \
	tests/api/hdr_map.c \
	tests/api/hdr_sched.c \
	tests/api/hdr_chan.c \
	tests/api/hdr_select.c \
	tests/api/hdr_context.c

# The race-detector suite: Go's runtime/race testdata cases, each in a
# re-executed child under ThreadSanitizer. Only --enable-race builds it.
RACE_TESTS = tests/race/chan tests/race/sync
tests_race_chan_SOURCES = tests/race/chan.c tests/race/race.h
tests_race_chan_LDADD = $(API_LDADD)
tests_race_sync_SOURCES = tests/race/sync.c tests/race/race.h
tests_race_sync_LDADD = $(API_LDADD)
if ENABLE_RACE
check_PROGRAMS += $(RACE_TESTS)
TESTS += $(RACE_TESTS)
endif
# The chaos build (--enable-chaos): make check-chaos runs the torture
# suite and the blocking-primitive tests with GOCONC_CHAOS set (seed 1
# unless given), 4 Ps, pinned to one CPU (GOC_TEST_WRAPPER).
tests_unit_chaos_SOURCES = tests/unit/chaos.c
CHAOS_TESTS = tests/unit/chaos $(STRESS_TESTS) tests/api/chan tests/api/select \
	tests/api/sync tests/api/sched tests/api/timer tests/api/context
if ENABLE_CHAOS
check_PROGRAMS += tests/unit/chaos
TESTS += tests/unit/chaos
endif
GOC_CHAOS_SEED ?= 1
check-chaos:
	$(MAKE) $(AM_MAKEFLAGS) $(check_PROGRAMS)
	GOCONC_CHAOS=$(GOC_CHAOS_SEED) GOCONC_MAXPROCS=4 \
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(CHAOS_TESTS)' \
		GOC_TEST_WRAPPER='taskset -c 0 $(GOC_TEST_WRAPPER)'
PHONY_TARGETS += check-chaos

# make check-race: just the race suite (a race build's other tests check
# the library's own edges too, but do not speak for Go's Race* cases).
check-race:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(RACE_TESTS)'
PHONY_TARGETS += check-race

check_PROGRAMS += $(UNIT_TESTS) $(API_TESTS) $(DEATH_TESTS) \
	$(STRESS_TESTS) $(FUZZ_REPLAY_TESTS) $(BENCHES) $(EXAMPLES)
TESTS += $(UNIT_TESTS) $(API_TESTS) $(DEATH_TESTS) $(STRESS_TESTS) \
	$(FUZZ_REPLAY_TESTS)
EXTRA_DIST += tests/run-test
include tests/hb-audit.mk
include tests/fault/local.mk
