/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * riscv64 (LP64D) context switch: goc__ctx_make, goc__ctx_switch and the
 * start trampoline goc__ctx_start. The contract is in
 * src/internal/arch.h; the frame layout in goc_arch.h.
 *
 * The floating-point rounding mode (frm) belongs to each context, as it
 * belongs to each thread; a new context inherits its creator's at
 * goc__ctx_make, as pthread_create does. The accrued exception flags
 * (fflags) stay with the thread. frm is written only when the two
 * contexts' modes differ, which is rare, since writing a CSR may
 * serialise the pipeline.
 */
#include "goc_arch.h"

#if !defined(__riscv_flen) || __riscv_flen < 64
#error "riscv64 context switch needs the D extension (LP64D)"
#endif

/* Stores / loads s<n> and fs<n> at their frame slots. */
#define SAVE_S(n)    sd s##n, GOC_CTX_FRAME_S(n)(sp); \
	.cfi_rel_offset s##n, GOC_CTX_FRAME_S(n)
#define LOAD_S(n)    ld s##n, GOC_CTX_FRAME_S(n)(sp); .cfi_restore s##n
#define SAVE_FS(n)   fsd fs##n, GOC_CTX_FRAME_FS(n)(sp); \
	.cfi_rel_offset fs##n, GOC_CTX_FRAME_FS(n)
#define LOAD_FS(n)   fld fs##n, GOC_CTX_FRAME_FS(n)(sp); .cfi_restore fs##n
#define ZERO_S(n)    sd zero, GOC_CTX_FRAME_S(n)(t0)
#define ZERO_FS(n)   sd zero, GOC_CTX_FRAME_FS(n)(t0)

	.text

/*
 * void goc__ctx_switch(struct goc_ctx *from, struct goc_ctx *to)
 *
 * Stores ra, the s and fs registers and frm below sp, keeps sp in
 * from->sp, loads to->sp and reloads to's. The CFI stays right across
 * the stack change because both stacks hold the same frame.
 */
	.globl	goc__ctx_switch
	.hidden	goc__ctx_switch
	.type	goc__ctx_switch, @function
	.p2align 2
goc__ctx_switch:
	.cfi_startproc
	addi	sp, sp, -GOC_CTX_FRAME_SIZE
	.cfi_def_cfa_offset GOC_CTX_FRAME_SIZE
	sd	ra, GOC_CTX_FRAME_PC(sp)
	.cfi_rel_offset ra, GOC_CTX_FRAME_PC
	SAVE_S(0)
	SAVE_S(1)
	SAVE_S(2)
	SAVE_S(3)
	SAVE_S(4)
	SAVE_S(5)
	SAVE_S(6)
	SAVE_S(7)
	SAVE_S(8)
	SAVE_S(9)
	SAVE_S(10)
	SAVE_S(11)
	SAVE_FS(0)
	SAVE_FS(1)
	SAVE_FS(2)
	SAVE_FS(3)
	SAVE_FS(4)
	SAVE_FS(5)
	SAVE_FS(6)
	SAVE_FS(7)
	SAVE_FS(8)
	SAVE_FS(9)
	SAVE_FS(10)
	SAVE_FS(11)
	frrm	t0
	sd	t0, GOC_CTX_FRAME_FRM(sp)

	sd	sp, GOC_CTX_SP(a0)
	ld	sp, GOC_CTX_SP(a1)

	ld	t1, GOC_CTX_FRAME_FRM(sp)
	beq	t0, t1, 1f
	fsrm	t1
1:
	ld	t1, GOC_CTX_FRAME_PC(sp)
	.cfi_register ra, t1
	LOAD_S(0)
	LOAD_S(1)
	LOAD_S(2)
	LOAD_S(3)
	LOAD_S(4)
	LOAD_S(5)
	LOAD_S(6)
	LOAD_S(7)
	LOAD_S(8)
	LOAD_S(9)
	LOAD_S(10)
	LOAD_S(11)
	LOAD_FS(0)
	LOAD_FS(1)
	LOAD_FS(2)
	LOAD_FS(3)
	LOAD_FS(4)
	LOAD_FS(5)
	LOAD_FS(6)
	LOAD_FS(7)
	LOAD_FS(8)
	LOAD_FS(9)
	LOAD_FS(10)
	LOAD_FS(11)
	addi	sp, sp, GOC_CTX_FRAME_SIZE
	.cfi_def_cfa_offset 0
	/*
	 * Jump through t1 rather than return through ra: a jalr on ra (or
	 * t0) pops the return-address stack, which predicts our own caller,
	 * never to's, so it would mispredict at every switch (measured on
	 * x86_64, where the same change halves the switch time). ra itself
	 * is dead in the caller once the call returns.
	 */
	jr	t1
	.cfi_endproc
	.size	goc__ctx_switch, .-goc__ctx_switch

/*
 * void goc__ctx_make(struct goc_ctx *ctx, void *stack_base,
 *                    size_t stack_size, void (*entry)(void *), void *arg)
 *
 * Writes a switch frame at the 16-byte aligned top of the stack that
 * returns to goc__ctx_start with entry in s1, arg in s2, a zero frame
 * pointer, zero in the other registers and the caller's frm.
 */
	.globl	goc__ctx_make
	.hidden	goc__ctx_make
	.type	goc__ctx_make, @function
	.p2align 2
goc__ctx_make:
	.cfi_startproc
	add	t0, a1, a2
	andi	t0, t0, -16
	addi	t0, t0, -GOC_CTX_FRAME_SIZE
	lla	t1, goc__ctx_start
	sd	t1, GOC_CTX_FRAME_PC(t0)
	sd	zero, GOC_CTX_FRAME_FP(t0)
	sd	a3, GOC_CTX_FRAME_S1(t0)
	sd	a4, GOC_CTX_FRAME_S2(t0)
	ZERO_S(3)
	ZERO_S(4)
	ZERO_S(5)
	ZERO_S(6)
	ZERO_S(7)
	ZERO_S(8)
	ZERO_S(9)
	ZERO_S(10)
	ZERO_S(11)
	ZERO_FS(0)
	ZERO_FS(1)
	ZERO_FS(2)
	ZERO_FS(3)
	ZERO_FS(4)
	ZERO_FS(5)
	ZERO_FS(6)
	ZERO_FS(7)
	ZERO_FS(8)
	ZERO_FS(9)
	ZERO_FS(10)
	ZERO_FS(11)
	frrm	t1
	sd	t1, GOC_CTX_FRAME_FRM(t0)
	sd	t0, GOC_CTX_SP(a0)
	ret
	.cfi_endproc
	.size	goc__ctx_make, .-goc__ctx_make

/*
 * The first code a fresh context runs, reached by goc__ctx_switch's ret
 * with sp at the aligned top of the stack. There is no caller: the
 * return address is undefined, which ends unwinding here (gdb,
 * backtrace()), and s0 is 0 for frame-pointer walkers.
 */
	.globl	goc__ctx_start
	.hidden	goc__ctx_start
	.type	goc__ctx_start, @function
	.p2align 2
goc__ctx_start:
	.cfi_startproc
	.cfi_undefined ra
	mv	a0, s2
	jalr	s1
	/* entry must never return; report it if it does. */
	call	goc__ctx_entry_returned
	unimp
	.cfi_endproc
	.size	goc__ctx_start, .-goc__ctx_start

	.section .note.GNU-stack,"",%progbits
