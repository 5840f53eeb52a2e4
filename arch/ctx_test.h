/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Assembly helpers for tests/unit/arch.c, one file per cpu
 * (arch/<cpu>/ctx_test.S). They are chosen by the cpu the test is built
 * for, not by the context backend, so the --with-arch=generic build runs
 * the same register checks against the ucontext switch. On a cpu without
 * helpers GOC_ARCH_TEST_HELPERS is 0 and those checks are skipped.
 *
 *   goc__arch_test_check_regs(from, to, seed)
 *       loads known values, derived from seed, into every callee-saved
 *       register (integer and floating-point) and a non-default
 *       floating-point control state, calls goc__ctx_switch(from, to),
 *       and when resumed returns a mask of what did not survive: bit i
 *       set means goc__arch_test_reg_names[i] changed.
 *   goc__arch_test_clobber_regs(from, to, junk)
 *       fills the same registers with values derived from junk and sets
 *       a control state in which each register (MXCSR, the x87 control
 *       word; FPCR; frm) differs from the checker's or not, by the low
 *       bits of junk, then calls goc__ctx_switch(from, to).
 *       Both restore the caller's registers and control state before
 *       returning, as the ABI demands. GOC_ARCH_TEST_CONTROL_BITS are
 *       the mask bits that stand for control state.
 *   goc__arch_test_caller_sp()
 *       the stack pointer at the call site in its caller, which the ABI
 *       keeps 16-byte aligned on all three cpus.
 */
#ifndef GOC_ARCH_CTX_TEST_H
#define GOC_ARCH_CTX_TEST_H

#include <stdint.h>

#include "internal/arch.h"

#if defined(__x86_64__)
#define GOC_ARCH_TEST_HELPERS 1
static const char *const goc__arch_test_reg_names[] = {
	"rbx", "rbp", "r12", "r13", "r14", "r15", "mxcsr", "x87 cw",
};
#define GOC_ARCH_TEST_CONTROL_BITS 0xc0u
#elif defined(__aarch64__)
#define GOC_ARCH_TEST_HELPERS      1
static const char *const goc__arch_test_reg_names[] = {
	"x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28",
	"x29", "d8",  "d9",  "d10", "d11", "d12", "d13", "d14", "d15", "fpcr",
};
#define GOC_ARCH_TEST_CONTROL_BITS (1u << 19)
#elif defined(__riscv) && __riscv_xlen == 64
#define GOC_ARCH_TEST_HELPERS      1
static const char *const goc__arch_test_reg_names[] = {
	"s0",  "s1",  "s2",  "s3",  "s4",   "s5",   "s6",  "s7",  "s8",
	"s9",  "s10", "s11", "fs0", "fs1",  "fs2",  "fs3", "fs4", "fs5",
	"fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "frm",
};
#define GOC_ARCH_TEST_CONTROL_BITS (1u << 24)
#else
#define GOC_ARCH_TEST_HELPERS      0
static const char *const goc__arch_test_reg_names[] = {""};
#define GOC_ARCH_TEST_CONTROL_BITS 0u
#endif

uint64_t goc__arch_test_check_regs(struct goc_ctx *from, struct goc_ctx *to,
				   uint64_t seed);
void goc__arch_test_clobber_regs(struct goc_ctx *from, struct goc_ctx *to,
				 uint64_t junk);
uintptr_t goc__arch_test_caller_sp(void);

#endif /* GOC_ARCH_CTX_TEST_H */
