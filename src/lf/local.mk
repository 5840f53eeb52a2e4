# SPDX-License-Identifier: BSD-2-Clause
# Lock-free core: ring, epoch reclamation.
libgoconc_internal_la_SOURCES += \
	src/lf/ring.c \
	src/lf/epoch.c
noinst_HEADERS += \
	src/lf/ring.h \
	src/lf/epoch.h

# White-box tests (internal library).
UNIT_TESTS += tests/unit/ring tests/unit/epoch tests/unit/ring_lin
tests_unit_ring_SOURCES = tests/unit/ring.c stress/ring_mpmc.h
tests_unit_ring_LDADD = $(UNIT_LDADD)
tests_unit_epoch_SOURCES = tests/unit/epoch.c
tests_unit_epoch_LDADD = $(UNIT_LDADD)
tests_unit_ring_lin_SOURCES = tests/unit/ring_lin.c stress/lincheck.c \
	stress/lincheck.h
tests_unit_ring_lin_LDADD = $(UNIT_LDADD)

# Death tests (public library): goc_ring_init's panics.
DEATH_TESTS += tests/death/ring
tests_death_ring_SOURCES = tests/death/ring.c
tests_death_ring_LDADD = $(API_LDADD)
