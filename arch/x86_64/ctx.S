/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86_64 (System V psABI) context switch: goc__ctx_make, goc__ctx_switch
 * and the start trampoline goc__ctx_start. The contract is in
 * src/internal/arch.h; the frame layout in goc_arch.h.
 *
 * Written after studying the shape of Go's gogo/mcall (runtime/asm_amd64.s)
 * and Boost.Context's jump_fcontext; Go saves almost nothing because its
 * ABI has no callee-saved registers, Boost saves the same set as here.
 *
 * Floating-point control state (MXCSR's control bits and the x87 control
 * word) belongs to each context, as it belongs to each thread: a new
 * context inherits its creator's at goc__ctx_make, as pthread_create does.
 * The sticky exception flags (MXCSR bits 0-5, the x87 status word) stay
 * with the thread. Loading MXCSR and the x87 control word costs more than
 * the rest of the switch, so they are loaded only when the two contexts'
 * control state differs, which is rare.
 */
#include "goc_arch.h"

/* MXCSR bits 0-5 are the exception flags; the rest is control. */
#define MXCSR_FLAGS 0x3f

	.text

/*
 * void goc__ctx_switch(struct goc_ctx *from, struct goc_ctx *to)
 *
 * Pushes the callee-saved registers and the FP control state, stores the
 * stack pointer in from->sp, loads to->sp and pops to's. The CFI stays
 * right across the stack change because both stacks hold the same frame.
 */
	.globl	goc__ctx_switch
	.hidden	goc__ctx_switch
	.type	goc__ctx_switch, @function
	.p2align 4
goc__ctx_switch:
	.cfi_startproc
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
	subq	$8, %rsp
	.cfi_adjust_cfa_offset 8
	stmxcsr	GOC_CTX_FRAME_MXCSR(%rsp)
	fnstcw	GOC_CTX_FRAME_FPUCW(%rsp)
	/*
	 * Keep our control state for the compare below. Each load matches
	 * one store's size: a single 8-byte load of both would defeat store
	 * forwarding and stall for longer than the whole switch takes.
	 */
	movl	GOC_CTX_FRAME_MXCSR(%rsp), %eax
	movzwl	GOC_CTX_FRAME_FPUCW(%rsp), %r8d

	movq	%rsp, GOC_CTX_SP(%rdi)
	movq	GOC_CTX_SP(%rsi), %rsp

	movl	GOC_CTX_FRAME_MXCSR(%rsp), %ecx
	xorl	%eax, %ecx
	testl	$~MXCSR_FLAGS, %ecx
	jnz	.Lload_ctrl
	cmpw	GOC_CTX_FRAME_FPUCW(%rsp), %r8w
	jne	.Lload_ctrl
.Lpop:
	.cfi_remember_state
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	popq	%r15
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r15
	popq	%r14
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r14
	popq	%r13
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r13
	popq	%r12
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r12
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbx
	popq	%rbp
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbp
	/*
	 * Jump rather than return: the return stack buffer predicts our own
	 * caller, never to's, so a ret mispredicts at every switch, while the
	 * indirect-branch predictor learns where switches go (twice as fast
	 * in BenchmarkContextSwitch).
	 */
	popq	%rcx
	.cfi_adjust_cfa_offset -8
	.cfi_register %rip, %rcx
	jmp	*%rcx

	/*
	 * The control state differs: load to's, keeping the current
	 * exception flags (they belong to the thread, see above).
	 */
	.cfi_restore_state
.Lload_ctrl:
	movl	GOC_CTX_FRAME_MXCSR(%rsp), %ecx
	andl	$~MXCSR_FLAGS, %ecx
	andl	$MXCSR_FLAGS, %eax
	orl	%ecx, %eax
	movl	%eax, GOC_CTX_FRAME_MXCSR(%rsp)
	ldmxcsr	GOC_CTX_FRAME_MXCSR(%rsp)
	fldcw	GOC_CTX_FRAME_FPUCW(%rsp)
	jmp	.Lpop
	.cfi_endproc
	.size	goc__ctx_switch, .-goc__ctx_switch

/*
 * void goc__ctx_make(struct goc_ctx *ctx, void *stack_base,
 *                    size_t stack_size, void (*entry)(void *), void *arg)
 *
 * Writes a switch frame at the 16-byte aligned top of the stack whose
 * return address is goc__ctx_start, with entry in r12, arg in r13 and a
 * zero rbp, and the caller's FP control state.
 */
	.globl	goc__ctx_make
	.hidden	goc__ctx_make
	.type	goc__ctx_make, @function
	.p2align 4
goc__ctx_make:
	.cfi_startproc
	leaq	(%rsi,%rdx), %rax
	andq	$-16, %rax
	subq	$GOC_CTX_FRAME_SIZE, %rax
	movl	$0, GOC_CTX_FRAME_FPUCW(%rax)
	stmxcsr	GOC_CTX_FRAME_MXCSR(%rax)
	fnstcw	GOC_CTX_FRAME_FPUCW(%rax)
	movq	$0, GOC_CTX_FRAME_R15(%rax)
	movq	$0, GOC_CTX_FRAME_R14(%rax)
	movq	%r8, GOC_CTX_FRAME_R13(%rax)
	movq	%rcx, GOC_CTX_FRAME_R12(%rax)
	movq	$0, GOC_CTX_FRAME_RBX(%rax)
	movq	$0, GOC_CTX_FRAME_FP(%rax)
	leaq	goc__ctx_start(%rip), %rcx
	movq	%rcx, GOC_CTX_FRAME_PC(%rax)
	movq	%rax, GOC_CTX_SP(%rdi)
	ret
	.cfi_endproc
	.size	goc__ctx_make, .-goc__ctx_make

/*
 * The first code a fresh context runs, reached by goc__ctx_switch's ret
 * with the stack pointer at the aligned top of the stack, so the call
 * below enters entry with rsp = 8 mod 16 as the ABI requires. There is
 * no caller: the return address is undefined, which ends unwinding here
 * (gdb, backtrace()), and rbp is 0 for frame-pointer walkers.
 */
	.globl	goc__ctx_start
	.hidden	goc__ctx_start
	.type	goc__ctx_start, @function
	.p2align 4
goc__ctx_start:
	.cfi_startproc
	.cfi_undefined %rip
	movq	%r13, %rdi
	call	*%r12
	/* entry must never return; report it if it does. */
	call	goc__ctx_entry_returned@PLT
	ud2
	.cfi_endproc
	.size	goc__ctx_start, .-goc__ctx_start

	.section .note.GNU-stack,"",@progbits
