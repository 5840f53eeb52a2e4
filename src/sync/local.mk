# SPDX-License-Identifier: BSD-2-Clause
# Go's sync package (src/sync/): the semaphore table and the primitives.
libgoconc_internal_la_SOURCES += \
	src/sync/sema.c \
	src/sync/mutex.c \
	src/sync/rwmutex.c \
	src/sync/waitgroup.c \
	src/sync/once.c \
	src/sync/cond.c \
	src/sync/poolchain.c \
	src/sync/pool.c \
	src/sync/map.c
noinst_HEADERS += src/sync/sema.h src/sync/poolchain.h src/sync/pool.h \
	src/sync/map.h
goconcinclude_HEADERS += include/goconc/sync.h include/goconc/map.h

API_TESTS += tests/api/sync
tests_api_sync_SOURCES = tests/api/sync.c
tests_api_sync_LDADD = $(API_LDADD)
UNIT_TESTS += tests/unit/sema
tests_unit_sema_SOURCES = tests/unit/sema.c
DEATH_TESTS += tests/death/sync
tests_death_sync_SOURCES = tests/death/sync.c
tests_death_sync_LDADD = $(API_LDADD)

BENCHES += bench/sync
bench_sync_SOURCES = bench/sync.c
bench_sync_LDADD = $(BENCH_LDADD)
EXTRA_DIST += bench/go/sync_test.go bench/go/pool_test.go

STRESS_TESTS += stress/sync
stress_sync_SOURCES = stress/sync.c
stress_sync_LDADD = $(API_LDADD)

UNIT_TESTS += tests/unit/pool
tests_unit_pool_SOURCES = tests/unit/pool.c
UNIT_TESTS += tests/unit/map
tests_unit_map_SOURCES = tests/unit/map.c

BENCHES += bench/sync_map
bench_sync_map_SOURCES = bench/sync_map.c
bench_sync_map_LDADD = $(BENCH_LDADD)
EXTRA_DIST += bench/go/map_test.go

STRESS_TESTS += stress/sync_pool
stress_sync_pool_SOURCES = stress/sync_pool.c
stress_sync_pool_LDADD = $(API_LDADD)
