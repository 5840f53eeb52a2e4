# SPDX-License-Identifier: BSD-2-Clause
# The aarch64 happens-before audit (SPEC §10 "Weak memory"): the sources
# that hold the table's points (tests/hb-audit.txt) compiled three ways,
# disassembled by tools/hb-audit.sh in make check. Other hosts build none
# of it and the test skips.
HB_AUDIT_SOURCES = src/lf/ring.c src/sched/lock.c src/sched/proc.c \
	src/sched/runq.c src/chan/chan.c src/sync/sema.c src/sync/mutex.c \
	src/rt/atomic_value.c tests/hb-audit-points.c
if ARCH_AARCH64
# outline: libgcc's __aarch64_* helpers (gcc's default here), chosen at
# run time; v80: armv8.0 LL/SC inline; lse: armv8.1 LSE inline.
HB_AUDIT_LIBS = tests/libhb_outline.a tests/libhb_v80.a tests/libhb_lse.a
check_LIBRARIES += $(HB_AUDIT_LIBS)
tests_libhb_outline_a_SOURCES = $(HB_AUDIT_SOURCES)
tests_libhb_outline_a_CFLAGS = $(libgoconc_internal_la_CFLAGS) \
	-moutline-atomics
tests_libhb_v80_a_SOURCES = $(HB_AUDIT_SOURCES)
tests_libhb_v80_a_CFLAGS = $(libgoconc_internal_la_CFLAGS) \
	-march=armv8-a -mno-outline-atomics
tests_libhb_lse_a_SOURCES = $(HB_AUDIT_SOURCES)
tests_libhb_lse_a_CFLAGS = $(libgoconc_internal_la_CFLAGS) \
	-march=armv8.1-a -mno-outline-atomics
else
HB_AUDIT_LIBS =
endif

# The audit scripts are shell: they run through $(SHELL), not the qemu
# wrapper tests/run-test adds, and speak TAP like the C tests.
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_DRIVER_FLAGS = $(LOG_DRIVER_FLAGS)
SH_LOG_COMPILER = env OBJDUMP='$(OBJDUMP)' HB_AUDIT_LIBS='$(HB_AUDIT_LIBS)' \
	$(SHELL)
TESTS += tests/hb-audit.sh tests/hb-audit-litmus.sh
EXTRA_DIST += tests/hb-audit.sh tests/hb-audit-litmus.sh tests/hb-audit.txt \
	tools/hb-audit.sh
