# SPDX-License-Identifier: BSD-2-Clause
# Architecture layer: context switch per arch (arch/README.md).
noinst_HEADERS += \
	arch/x86_64/goc_arch.h \
	arch/aarch64/goc_arch.h \
	arch/riscv64/goc_arch.h
