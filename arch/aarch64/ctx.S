/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * aarch64 (AAPCS64) context switch: goc__ctx_make, goc__ctx_switch and
 * the start trampoline goc__ctx_start. The contract is in
 * src/internal/arch.h; the frame layout in goc_arch.h.
 *
 * Floating-point control state (FPCR: rounding mode, flush-to-zero,
 * default NaN) belongs to each context, as it belongs to each thread; a
 * new context inherits its creator's at goc__ctx_make, as pthread_create
 * does. The cumulative exception flags (FPSR) stay with the thread.
 * Writing FPCR may synchronise the pipeline, so it is written only when
 * the two contexts' values differ, which is rare.
 *
 * No BTI landing pads or pointer authentication: the build does not ask
 * for branch protection, and a switch would have to re-sign the return
 * address for the new stack.
 */
#include "goc_arch.h"

	.text

/*
 * void goc__ctx_switch(struct goc_ctx *from, struct goc_ctx *to)
 *
 * Stores the callee-saved registers and FPCR below sp, keeps sp in
 * from->sp, loads to->sp and reloads to's. The CFI stays right across
 * the stack change because both stacks hold the same frame.
 */
	.globl	goc__ctx_switch
	.hidden	goc__ctx_switch
	.type	goc__ctx_switch, %function
	.p2align 4
goc__ctx_switch:
	.cfi_startproc
	sub	sp, sp, #GOC_CTX_FRAME_SIZE
	.cfi_def_cfa_offset GOC_CTX_FRAME_SIZE
	stp	x19, x20, [sp, #GOC_CTX_FRAME_X19]
	stp	x21, x22, [sp, #GOC_CTX_FRAME_X21]
	stp	x23, x24, [sp, #GOC_CTX_FRAME_X23]
	stp	x25, x26, [sp, #GOC_CTX_FRAME_X25]
	stp	x27, x28, [sp, #GOC_CTX_FRAME_X27]
	stp	x29, x30, [sp, #GOC_CTX_FRAME_FP]
	stp	d8, d9, [sp, #GOC_CTX_FRAME_D8]
	stp	d10, d11, [sp, #GOC_CTX_FRAME_D10]
	stp	d12, d13, [sp, #GOC_CTX_FRAME_D12]
	stp	d14, d15, [sp, #GOC_CTX_FRAME_D14]
	.cfi_rel_offset x19, GOC_CTX_FRAME_X19
	.cfi_rel_offset x20, GOC_CTX_FRAME_X20
	.cfi_rel_offset x21, GOC_CTX_FRAME_X21
	.cfi_rel_offset x22, GOC_CTX_FRAME_X21 + 8
	.cfi_rel_offset x23, GOC_CTX_FRAME_X23
	.cfi_rel_offset x24, GOC_CTX_FRAME_X23 + 8
	.cfi_rel_offset x25, GOC_CTX_FRAME_X25
	.cfi_rel_offset x26, GOC_CTX_FRAME_X25 + 8
	.cfi_rel_offset x27, GOC_CTX_FRAME_X27
	.cfi_rel_offset x28, GOC_CTX_FRAME_X27 + 8
	.cfi_rel_offset x29, GOC_CTX_FRAME_FP
	.cfi_rel_offset x30, GOC_CTX_FRAME_PC
	.cfi_rel_offset d8, GOC_CTX_FRAME_D8
	.cfi_rel_offset d9, GOC_CTX_FRAME_D8 + 8
	.cfi_rel_offset d10, GOC_CTX_FRAME_D10
	.cfi_rel_offset d11, GOC_CTX_FRAME_D10 + 8
	.cfi_rel_offset d12, GOC_CTX_FRAME_D12
	.cfi_rel_offset d13, GOC_CTX_FRAME_D12 + 8
	.cfi_rel_offset d14, GOC_CTX_FRAME_D14
	.cfi_rel_offset d15, GOC_CTX_FRAME_D14 + 8
	mrs	x9, fpcr
	str	x9, [sp, #GOC_CTX_FRAME_FPCR]

	mov	x10, sp
	str	x10, [x0, #GOC_CTX_SP]
	ldr	x10, [x1, #GOC_CTX_SP]
	mov	sp, x10

	ldr	x10, [sp, #GOC_CTX_FRAME_FPCR]
	cmp	x9, x10
	b.eq	1f
	msr	fpcr, x10
1:
	ldp	x19, x20, [sp, #GOC_CTX_FRAME_X19]
	ldp	x21, x22, [sp, #GOC_CTX_FRAME_X21]
	ldp	x23, x24, [sp, #GOC_CTX_FRAME_X23]
	ldp	x25, x26, [sp, #GOC_CTX_FRAME_X25]
	ldp	x27, x28, [sp, #GOC_CTX_FRAME_X27]
	ldp	x29, x30, [sp, #GOC_CTX_FRAME_FP]
	ldp	d8, d9, [sp, #GOC_CTX_FRAME_D8]
	ldp	d10, d11, [sp, #GOC_CTX_FRAME_D10]
	ldp	d12, d13, [sp, #GOC_CTX_FRAME_D12]
	ldp	d14, d15, [sp, #GOC_CTX_FRAME_D14]
	add	sp, sp, #GOC_CTX_FRAME_SIZE
	.cfi_def_cfa_offset 0
	.cfi_restore x19
	.cfi_restore x20
	.cfi_restore x21
	.cfi_restore x22
	.cfi_restore x23
	.cfi_restore x24
	.cfi_restore x25
	.cfi_restore x26
	.cfi_restore x27
	.cfi_restore x28
	.cfi_restore x29
	.cfi_restore x30
	.cfi_restore d8
	.cfi_restore d9
	.cfi_restore d10
	.cfi_restore d11
	.cfi_restore d12
	.cfi_restore d13
	.cfi_restore d14
	.cfi_restore d15
	/*
	 * Branch rather than return: the return stack predicts our own
	 * caller, never to's, so a ret would mispredict at every switch,
	 * while the indirect predictor learns where switches go (measured
	 * on x86_64, where the same change halves the switch time).
	 */
	br	x30
	.cfi_endproc
	.size	goc__ctx_switch, .-goc__ctx_switch

/*
 * void goc__ctx_make(struct goc_ctx *ctx, void *stack_base,
 *                    size_t stack_size, void (*entry)(void *), void *arg)
 *
 * Writes a switch frame at the 16-byte aligned top of the stack that
 * returns to goc__ctx_start with entry in x19, arg in x20, a zero frame
 * pointer, zero in the other registers and the caller's FPCR.
 */
	.globl	goc__ctx_make
	.hidden	goc__ctx_make
	.type	goc__ctx_make, %function
	.p2align 4
goc__ctx_make:
	.cfi_startproc
	add	x9, x1, x2
	and	x9, x9, #~15
	sub	x9, x9, #GOC_CTX_FRAME_SIZE
	stp	x3, x4, [x9, #GOC_CTX_FRAME_X19]
	stp	xzr, xzr, [x9, #GOC_CTX_FRAME_X21]
	stp	xzr, xzr, [x9, #GOC_CTX_FRAME_X23]
	stp	xzr, xzr, [x9, #GOC_CTX_FRAME_X25]
	stp	xzr, xzr, [x9, #GOC_CTX_FRAME_X27]
	adr	x10, goc__ctx_start
	stp	xzr, x10, [x9, #GOC_CTX_FRAME_FP]
	stp	xzr, xzr, [x9, #GOC_CTX_FRAME_D8]
	stp	xzr, xzr, [x9, #GOC_CTX_FRAME_D10]
	stp	xzr, xzr, [x9, #GOC_CTX_FRAME_D12]
	stp	xzr, xzr, [x9, #GOC_CTX_FRAME_D14]
	mrs	x10, fpcr
	stp	x10, xzr, [x9, #GOC_CTX_FRAME_FPCR]
	str	x9, [x0, #GOC_CTX_SP]
	ret
	.cfi_endproc
	.size	goc__ctx_make, .-goc__ctx_make

/*
 * The first code a fresh context runs, reached by goc__ctx_switch's ret
 * with sp at the aligned top of the stack. There is no caller: the
 * return address is undefined, which ends unwinding here (gdb,
 * backtrace()), and x29 is 0 for frame-pointer walkers.
 */
	.globl	goc__ctx_start
	.hidden	goc__ctx_start
	.type	goc__ctx_start, %function
	.p2align 4
goc__ctx_start:
	.cfi_startproc
	.cfi_undefined x30
	mov	x0, x20
	blr	x19
	/* entry must never return; report it if it does. */
	bl	goc__ctx_entry_returned
	brk	#0x3e8
	.cfi_endproc
	.size	goc__ctx_start, .-goc__ctx_start

	.section .note.GNU-stack,"",%progbits
