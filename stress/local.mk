# SPDX-License-Identifier: BSD-2-Clause
# Time-boxed torture runs: one second each in make check, as long as you
# like with `make stress STRESS_SECONDS=N` (GOC_STRESS_SECONDS).
STRESS_TESTS += stress/ring stress/ring_lin
stress_ring_SOURCES = stress/ring.c stress/ring_mpmc.h
stress_ring_LDADD = $(UNIT_LDADD)
stress_ring_lin_SOURCES = stress/ring_lin.c stress/ring_lin.h \
	stress/lincheck.c stress/lincheck.h
stress_ring_lin_LDADD = $(UNIT_LDADD)
# Channel histories through the same checker (non-blocking operations).
STRESS_TESTS += stress/chan_lin
stress_chan_lin_SOURCES = stress/chan_lin.c stress/ring_lin.h \
	stress/lincheck.c stress/lincheck.h
stress_chan_lin_LDADD = $(UNIT_LDADD)
# goc_map_t histories, each key checked as a register (locality).
STRESS_TESTS += stress/map_lin
stress_map_lin_SOURCES = stress/map_lin.c
stress_map_lin_LDADD = $(UNIT_LDADD)

STRESS_SECONDS ?= 60
stress: $(STRESS_TESTS)
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(STRESS_TESTS)" \
		GOC_STRESS_SECONDS=$(STRESS_SECONDS)
