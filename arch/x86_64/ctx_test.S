/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86_64 helpers for tests/unit/arch.c (contract in arch/ctx_test.h). The
 * file is built on every cpu and is empty except on x86_64.
 *
 * Register values are seed + k * K for k = 1, 2, ..., K an odd constant,
 * so every register gets a different value and the two helpers, given
 * different seeds, never agree on any of them.
 */
#if defined(__x86_64__)

#define K 0x9e3779b97f4a7c15

/* Control state while checking: round down, FTZ, DAZ; x87 truncating,
 * double precision. While clobbering: round up; x87 down, single. */
#define CHK_MXCSR 0xbfc0
#define CLB_MXCSR 0x5f80
#define CHK_FPUCW 0x0e7f
#define CLB_FPUCW 0x047f
/* The bits compared: MXCSR less its exception flags, the x87 control
 * word's rounding, precision and mask fields. */
#define MXCSR_CTRL 0xffc0
#define FPUCW_CTRL 0x0f3f

	.text

/* Pushes the callee-saved registers; 24 more bytes keep rsp aligned. */
.macro SAVE_CALLEE
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r12, 0
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r13, 0
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r14, 0
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r15, 0
	subq	$24, %rsp
	.cfi_adjust_cfa_offset 24
	stmxcsr	8(%rsp)
	fnstcw	12(%rsp)
.endm

.macro RESTORE_CALLEE
	ldmxcsr	8(%rsp)
	fldcw	12(%rsp)
	addq	$24, %rsp
	.cfi_adjust_cfa_offset -24
	popq	%r15
	.cfi_adjust_cfa_offset -8
	popq	%r14
	.cfi_adjust_cfa_offset -8
	popq	%r13
	.cfi_adjust_cfa_offset -8
	popq	%r12
	.cfi_adjust_cfa_offset -8
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	popq	%rbp
	.cfi_adjust_cfa_offset -8
.endm

/* Loads seed + k * K (k = 1..6) into the six registers; seed in rdx. */
.macro FILL
	movabsq	$K, %rcx
	movq	%rdx, %rax
	addq	%rcx, %rax
	movq	%rax, %rbx
	addq	%rcx, %rax
	movq	%rax, %rbp
	addq	%rcx, %rax
	movq	%rax, %r12
	addq	%rcx, %rax
	movq	%rax, %r13
	addq	%rcx, %rax
	movq	%rax, %r14
	addq	%rcx, %rax
	movq	%rax, %r15
.endm

/* Sets bit \bit of eax unless \reg holds the next value in rdx. */
.macro CHECK reg, bit
	addq	%rcx, %rdx
	cmpq	%rdx, \reg
	je	1f
	orl	$(1 << \bit), %eax
1:
.endm

/* uint64_t goc__arch_test_check_regs(from, to, seed) */
	.globl	goc__arch_test_check_regs
	.type	goc__arch_test_check_regs, @function
	.p2align 4
goc__arch_test_check_regs:
	.cfi_startproc
	SAVE_CALLEE
	movq	%rdx, 0(%rsp)
	FILL
	movl	$CHK_MXCSR, 16(%rsp)
	ldmxcsr	16(%rsp)
	movw	$CHK_FPUCW, 20(%rsp)
	fldcw	20(%rsp)

	call	goc__ctx_switch@PLT

	xorl	%eax, %eax
	movabsq	$K, %rcx
	movq	0(%rsp), %rdx
	CHECK	%rbx, 0
	CHECK	%rbp, 1
	CHECK	%r12, 2
	CHECK	%r13, 3
	CHECK	%r14, 4
	CHECK	%r15, 5
	stmxcsr	16(%rsp)
	movl	16(%rsp), %ecx
	andl	$MXCSR_CTRL, %ecx
	cmpl	$(CHK_MXCSR & MXCSR_CTRL), %ecx
	je	1f
	orl	$(1 << 6), %eax
1:
	fnstcw	20(%rsp)
	movzwl	20(%rsp), %ecx
	andl	$FPUCW_CTRL, %ecx
	cmpl	$(CHK_FPUCW & FPUCW_CTRL), %ecx
	je	1f
	orl	$(1 << 7), %eax
1:
	RESTORE_CALLEE
	ret
	.cfi_endproc
	.size	goc__arch_test_check_regs, .-goc__arch_test_check_regs

/* void goc__arch_test_clobber_regs(from, to, junk) */
	.globl	goc__arch_test_clobber_regs
	.type	goc__arch_test_clobber_regs, @function
	.p2align 4
goc__arch_test_clobber_regs:
	.cfi_startproc
	SAVE_CALLEE
	/*
	 * junk's low bits choose whether MXCSR and the x87 control word
	 * differ from the checker's, so that each may differ alone.
	 */
	movl	$CLB_MXCSR, 16(%rsp)
	testb	$1, %dl
	jz	1f
	movl	$CHK_MXCSR, 16(%rsp)
1:
	movw	$CLB_FPUCW, 20(%rsp)
	testb	$2, %dl
	jz	1f
	movw	$CHK_FPUCW, 20(%rsp)
1:
	ldmxcsr	16(%rsp)
	fldcw	20(%rsp)
	FILL
	call	goc__ctx_switch@PLT
	RESTORE_CALLEE
	ret
	.cfi_endproc
	.size	goc__arch_test_clobber_regs, .-goc__arch_test_clobber_regs

/* uintptr_t goc__arch_test_caller_sp(void) */
	.globl	goc__arch_test_caller_sp
	.type	goc__arch_test_caller_sp, @function
	.p2align 4
goc__arch_test_caller_sp:
	.cfi_startproc
	leaq	8(%rsp), %rax
	ret
	.cfi_endproc
	.size	goc__arch_test_caller_sp, .-goc__arch_test_caller_sp

#endif /* __x86_64__ */

	.section .note.GNU-stack,"",%progbits
