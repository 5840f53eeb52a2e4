# SPDX-License-Identifier: BSD-2-Clause
# Scheduler (src/sched/) and the OS layer it stands on (src/os/).
libgoconc_internal_la_SOURCES += \
	src/os/linux.c \
	src/sched/stack.c \
	src/sched/lock.c \
	src/sched/runq.c \
	src/sched/proc.c \
	src/sched/mp.c \
	src/sched/newproc.c \
	src/sched/lifecycle.c \
	src/sched/foreign.c \
	src/sched/sysmon.c \
	src/sched/time.c \
	src/sched/tls.c \
	src/sched/dump.c
noinst_HEADERS += \
	src/os/os.h \
	src/sched/stack.h \
	src/sched/lock.h \
	src/sched/proc.h \
	src/sched/runtime2.h
goconcinclude_HEADERS += include/goconc/sched.h

# Stack tests are white-box (goc__stack_* is internal), the death test too.
UNIT_TESTS += tests/unit/stack tests/unit/runq tests/unit/sched
tests_unit_stack_SOURCES = tests/unit/stack.c
tests_unit_runq_SOURCES = tests/unit/runq.c
tests_unit_sched_SOURCES = tests/unit/sched.c
API_TESTS += tests/api/sched
tests_api_sched_SOURCES = tests/api/sched.c
tests_api_sched_LDADD = $(API_LDADD)
DEATH_TESTS += tests/death/stack tests/death/sched
tests_death_stack_SOURCES = tests/death/stack.c
tests_death_stack_LDADD = $(UNIT_LDADD)
tests_death_sched_SOURCES = tests/death/sched.c
tests_death_sched_LDADD = $(UNIT_LDADD)

STRESS_TESTS += stress/sched
stress_sched_SOURCES = stress/sched.c
stress_sched_LDADD = $(UNIT_LDADD)

BENCHES += bench/sched
bench_sched_SOURCES = bench/sched.c
bench_sched_LDADD = $(BENCH_LDADD)
EXTRA_DIST += bench/go/sched_test.go

# The deterministic simulation replaces part of src/os/ (--enable-sim).
include src/sim/local.mk
