/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * riscv64 helpers for tests/unit/arch.c (contract in arch/ctx_test.h).
 * The file is built on every cpu and is empty except on riscv64.
 *
 * Register values are seed + k * K for k = 1, 2, ..., K an odd constant,
 * so every register gets a different value and the two helpers, given
 * different seeds, never agree on any of them.
 */
#if defined(__riscv) && __riscv_xlen == 64

#define K 0x9e3779b97f4a7c15

/* frm while checking: round up (RUP); while clobbering: down (RDN). */
#define CHK_FRM 3
#define CLB_FRM 2

/* ra, s0-s11, fs0-fs11, the seed and the caller's frm, rounded to 16. */
#define FRAME   224
#define S(n)    (8 + 8 * (n))
#define FS(n)   (104 + 8 * (n))
#define SEED    200
#define OLD_FRM 208

	.text

.macro SAVE_CALLEE
	addi	sp, sp, -FRAME
	.cfi_def_cfa_offset FRAME
	sd	ra, 0(sp)
	.cfi_rel_offset ra, 0
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	sd	s\n, S(\n)(sp)
	fsd	fs\n, FS(\n)(sp)
	.endr
	frrm	t0
	sd	t0, OLD_FRM(sp)
.endm

.macro RESTORE_CALLEE
	ld	t0, OLD_FRM(sp)
	fsrm	t0
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	ld	s\n, S(\n)(sp)
	fld	fs\n, FS(\n)(sp)
	.endr
	ld	ra, 0(sp)
	addi	sp, sp, FRAME
	.cfi_def_cfa_offset 0
.endm

/* Loads seed + k * K into s0-s11 and fs0-fs11; seed in a2. */
.macro FILL
	li	t2, K
	mv	t0, a2
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	add	t0, t0, t2
	mv	s\n, t0
	.endr
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	add	t0, t0, t2
	fmv.d.x	fs\n, t0
	.endr
.endm

/* Sets bit \bit of t3 unless \reg holds the next value (t0 + K). */
.macro CHECK reg, bit
	add	t0, t0, t2
	beq	\reg, t0, 1f
	li	t4, (1 << \bit)
	or	t3, t3, t4
1:
.endm
.macro CHECKD reg, bit
	fmv.x.d	t5, \reg
	CHECK	t5, \bit
.endm

/* uint64_t goc__arch_test_check_regs(from, to, seed) */
	.globl	goc__arch_test_check_regs
	.type	goc__arch_test_check_regs, @function
	.p2align 2
goc__arch_test_check_regs:
	.cfi_startproc
	SAVE_CALLEE
	sd	a2, SEED(sp)
	FILL
	li	t0, CHK_FRM
	fsrm	t0

	call	goc__ctx_switch

	li	t3, 0
	li	t2, K
	ld	t0, SEED(sp)
	CHECK	s0, 0
	CHECK	s1, 1
	CHECK	s2, 2
	CHECK	s3, 3
	CHECK	s4, 4
	CHECK	s5, 5
	CHECK	s6, 6
	CHECK	s7, 7
	CHECK	s8, 8
	CHECK	s9, 9
	CHECK	s10, 10
	CHECK	s11, 11
	CHECKD	fs0, 12
	CHECKD	fs1, 13
	CHECKD	fs2, 14
	CHECKD	fs3, 15
	CHECKD	fs4, 16
	CHECKD	fs5, 17
	CHECKD	fs6, 18
	CHECKD	fs7, 19
	CHECKD	fs8, 20
	CHECKD	fs9, 21
	CHECKD	fs10, 22
	CHECKD	fs11, 23
	frrm	t5
	li	t4, CHK_FRM
	beq	t5, t4, 1f
	li	t4, (1 << 24)
	or	t3, t3, t4
1:
	RESTORE_CALLEE
	mv	a0, t3
	ret
	.cfi_endproc
	.size	goc__arch_test_check_regs, .-goc__arch_test_check_regs

/* void goc__arch_test_clobber_regs(from, to, junk) */
	.globl	goc__arch_test_clobber_regs
	.type	goc__arch_test_clobber_regs, @function
	.p2align 2
goc__arch_test_clobber_regs:
	.cfi_startproc
	SAVE_CALLEE
	/* junk's low bit chooses whether frm differs from the checker's. */
	li	t0, CLB_FRM
	andi	t1, a2, 1
	beqz	t1, 1f
	li	t0, CHK_FRM
1:
	fsrm	t0
	FILL
	call	goc__ctx_switch
	RESTORE_CALLEE
	ret
	.cfi_endproc
	.size	goc__arch_test_clobber_regs, .-goc__arch_test_clobber_regs

/* uintptr_t goc__arch_test_caller_sp(void) */
	.globl	goc__arch_test_caller_sp
	.type	goc__arch_test_caller_sp, @function
	.p2align 2
goc__arch_test_caller_sp:
	.cfi_startproc
	mv	a0, sp
	ret
	.cfi_endproc
	.size	goc__arch_test_caller_sp, .-goc__arch_test_caller_sp

#endif /* __riscv && __riscv_xlen == 64 */

	.section .note.GNU-stack,"",%progbits
