/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * aarch64 helpers for tests/unit/arch.c (contract in arch/ctx_test.h).
 * The file is built on every cpu and is empty except on aarch64.
 *
 * Register values are seed + k * K for k = 1, 2, ..., K an odd constant,
 * so every register gets a different value and the two helpers, given
 * different seeds, never agree on any of them.
 */
#if defined(__aarch64__)

#define K 0x9e3779b97f4a7c15

/* FPCR while checking: round towards +inf, flush-to-zero, default NaN;
 * while clobbering: round towards -inf. Compared: AHP, DN, FZ, RMode. */
#define CHK_FPCR  0x03400000
#define CLB_FPCR  0x00800000
#define FPCR_CTRL 0x07c00000

#define FRAME 176

	.text

/* Saves what the ABI says we must preserve, and FPCR. */
.macro SAVE_CALLEE
	stp	x29, x30, [sp, #-FRAME]!
	.cfi_def_cfa_offset FRAME
	.cfi_offset x29, -FRAME
	.cfi_offset x30, -FRAME + 8
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, fpcr
	str	x9, [sp, #168]
.endm

.macro RESTORE_CALLEE
	ldr	x9, [sp, #168]
	msr	fpcr, x9
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldp	x29, x30, [sp], #FRAME
	.cfi_def_cfa_offset 0
.endm

/* x9 <- x9 + K, then into the register. */
.macro NEXT reg
	add	x9, x9, x10
	mov	\reg, x9
.endm
.macro NEXTD reg
	add	x9, x9, x10
	fmov	\reg, x9
.endm

/* Loads seed + k * K into x19-x29 and d8-d15; seed in x2. */
.macro FILL
	ldr	x10, =K
	mov	x9, x2
	NEXT	x19
	NEXT	x20
	NEXT	x21
	NEXT	x22
	NEXT	x23
	NEXT	x24
	NEXT	x25
	NEXT	x26
	NEXT	x27
	NEXT	x28
	NEXT	x29
	NEXTD	d8
	NEXTD	d9
	NEXTD	d10
	NEXTD	d11
	NEXTD	d12
	NEXTD	d13
	NEXTD	d14
	NEXTD	d15
.endm

/* Sets bit \bit of x11 unless \reg holds the next value (x13 + K). */
.macro CHECK reg, bit
	add	x13, x13, x12
	cmp	\reg, x13
	b.eq	1f
	orr	x11, x11, #(1 << \bit)
1:
.endm
.macro CHECKD reg, bit
	fmov	x14, \reg
	CHECK	x14, \bit
.endm

/* uint64_t goc__arch_test_check_regs(from, to, seed) */
	.globl	goc__arch_test_check_regs
	.type	goc__arch_test_check_regs, %function
	.p2align 4
goc__arch_test_check_regs:
	.cfi_startproc
	SAVE_CALLEE
	str	x2, [sp, #160]
	FILL
	mov	x9, #CHK_FPCR
	msr	fpcr, x9

	bl	goc__ctx_switch

	mov	x11, #0
	ldr	x12, =K
	ldr	x13, [sp, #160]
	CHECK	x19, 0
	CHECK	x20, 1
	CHECK	x21, 2
	CHECK	x22, 3
	CHECK	x23, 4
	CHECK	x24, 5
	CHECK	x25, 6
	CHECK	x26, 7
	CHECK	x27, 8
	CHECK	x28, 9
	CHECK	x29, 10
	CHECKD	d8, 11
	CHECKD	d9, 12
	CHECKD	d10, 13
	CHECKD	d11, 14
	CHECKD	d12, 15
	CHECKD	d13, 16
	CHECKD	d14, 17
	CHECKD	d15, 18
	mrs	x14, fpcr
	and	x14, x14, #FPCR_CTRL
	mov	x13, #(CHK_FPCR & FPCR_CTRL)
	cmp	x14, x13
	b.eq	1f
	orr	x11, x11, #(1 << 19)
1:
	RESTORE_CALLEE
	mov	x0, x11
	ret
	.cfi_endproc
	.size	goc__arch_test_check_regs, .-goc__arch_test_check_regs

/* void goc__arch_test_clobber_regs(from, to, junk) */
	.globl	goc__arch_test_clobber_regs
	.type	goc__arch_test_clobber_regs, %function
	.p2align 4
goc__arch_test_clobber_regs:
	.cfi_startproc
	SAVE_CALLEE
	/* junk's low bit chooses whether FPCR differs from the checker's. */
	mov	x9, #CLB_FPCR
	mov	x10, #CHK_FPCR
	tst	x2, #1
	csel	x9, x9, x10, eq
	msr	fpcr, x9
	FILL
	bl	goc__ctx_switch
	RESTORE_CALLEE
	ret
	.cfi_endproc
	.size	goc__arch_test_clobber_regs, .-goc__arch_test_clobber_regs

/* uintptr_t goc__arch_test_caller_sp(void) */
	.globl	goc__arch_test_caller_sp
	.type	goc__arch_test_caller_sp, %function
	.p2align 4
goc__arch_test_caller_sp:
	.cfi_startproc
	mov	x0, sp
	ret
	.cfi_endproc
	.size	goc__arch_test_caller_sp, .-goc__arch_test_caller_sp

	.ltorg

#endif /* __aarch64__ */

	.section .note.GNU-stack,"",%progbits
