# SPDX-License-Identifier: BSD-2-Clause
# The deterministic simulation (--enable-sim): src/sim/sim.c replaces the
# clock, futex, sleep and thread parts of src/os/linux.c.
noinst_HEADERS += src/sim/sim.h
if ENABLE_SIM
libgoconc_internal_la_SOURCES += src/sim/sim.c
else
EXTRA_DIST += src/sim/sim.c
endif
include tests/sim/local.mk
