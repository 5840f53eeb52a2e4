# SPDX-License-Identifier: BSD-2-Clause
# Go's context package (src/context/): cancellation trees, deadlines,
# values, causes, WithoutCancel, AfterFunc.
libgoconc_internal_la_SOURCES += src/context/context.c
goconcinclude_HEADERS += include/goconc/context.h

API_TESTS += tests/api/context
tests_api_context_SOURCES = tests/api/context.c
tests_api_context_LDADD = $(API_LDADD)
DEATH_TESTS += tests/death/context
tests_death_context_SOURCES = tests/death/context.c
tests_death_context_LDADD = $(API_LDADD)

STRESS_TESTS += stress/context
stress_context_SOURCES = stress/context.c
stress_context_LDADD = $(API_LDADD)

BENCHES += bench/context
bench_context_SOURCES = bench/context.c
bench_context_LDADD = $(BENCH_LDADD)
EXTRA_DIST += bench/go/context_test.go

noinst_HEADERS += src/context/context.h
UNIT_TESTS += tests/unit/context
tests_unit_context_SOURCES = tests/unit/context.c
