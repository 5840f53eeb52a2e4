# SPDX-License-Identifier: BSD-2-Clause
# Architecture layer: context switch per arch (arch/README.md). The
# backend is chosen by configure (--with-arch); the test helpers in
# arch/<cpu>/ctx_test.S are built for every cpu and assemble to nothing
# except on their own, so the generic backend is checked by them too.
noinst_HEADERS += \
	arch/x86_64/goc_arch.h \
	arch/aarch64/goc_arch.h \
	arch/riscv64/goc_arch.h \
	arch/ctx_test.h \
	src/rt/fiber.h
EXTRA_DIST += arch/README.md

libgoconc_internal_la_SOURCES += arch/ctx_common.c
if ARCH_X86_64
libgoconc_internal_la_SOURCES += arch/x86_64/ctx.S
endif
if ARCH_AARCH64
libgoconc_internal_la_SOURCES += arch/aarch64/ctx.S
endif
if ARCH_RISCV64
libgoconc_internal_la_SOURCES += arch/riscv64/ctx.S
endif
if ARCH_GENERIC
libgoconc_internal_la_SOURCES += arch/generic/ctx.c
endif

ARCH_TEST_HELPERS = \
	arch/x86_64/ctx_test.S \
	arch/aarch64/ctx_test.S \
	arch/riscv64/ctx_test.S

UNIT_TESTS += tests/unit/arch
tests_unit_arch_SOURCES = tests/unit/arch.c $(ARCH_TEST_HELPERS)
tests_unit_arch_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/arch
# The unwinding case needs CFI for its C frames too, which riscv64 gcc
# does not emit by default.
tests_unit_arch_CFLAGS = $(AM_CFLAGS) -fasynchronous-unwind-tables
# fegetround and fesetround live in libm.
tests_unit_arch_LDADD = $(UNIT_LDADD) -lm

DEATH_TESTS += tests/death/arch
tests_death_arch_SOURCES = tests/death/arch.c
tests_death_arch_LDADD = $(UNIT_LDADD)

BENCHES += bench/switch
bench_switch_SOURCES = bench/switch.c
bench_switch_LDADD = $(BENCH_LDADD)
