# SPDX-License-Identifier: BSD-2-Clause
# Channels, select and timer channels (src/chan/).
libgoconc_internal_la_SOURCES += \
	src/chan/chan.c \
	src/chan/select.c \
	src/chan/timerchan.c
noinst_HEADERS += src/chan/chan.h
goconcinclude_HEADERS += include/goconc/chan.h include/goconc/select.h

API_TESTS += tests/api/chan tests/api/select tests/api/timer
tests_api_chan_SOURCES = tests/api/chan.c
tests_api_chan_LDADD = $(API_LDADD)
tests_api_select_SOURCES = tests/api/select.c
tests_api_select_LDADD = $(API_LDADD)
tests_api_timer_SOURCES = tests/api/timer.c
tests_api_timer_LDADD = $(API_LDADD)
DEATH_TESTS += tests/death/chan
tests_death_chan_SOURCES = tests/death/chan.c
tests_death_chan_LDADD = $(UNIT_LDADD)

STRESS_TESTS += stress/chan
stress_chan_SOURCES = stress/chan.c
stress_chan_LDADD = $(API_LDADD)

BENCHES += bench/chan
bench_chan_SOURCES = bench/chan.c
bench_chan_LDADD = $(BENCH_LDADD)
EXTRA_DIST += bench/go/chan_test.go
