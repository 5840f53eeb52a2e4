/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86_64 definitions for the arch contract (src/internal/arch.h). This
 * header is also included by ctx.S, so everything C sits below the
 * __ASSEMBLER__ test and the offsets above it are plain numbers.
 *
 * A suspended context is its stack pointer alone: goc__ctx_switch pushes
 * the callee-saved state onto the stack it leaves (System V psABI 3.2.1:
 * rbx, rbp, r12-r15, the MXCSR control bits and the x87 control word) and
 * stores the resulting stack pointer in struct goc_ctx. The frame it
 * leaves, from the saved stack pointer upwards:
 *
 *     +0   MXCSR (4 bytes), x87 control word (2 bytes), 2 bytes zero
 *     +8   r15
 *     +16  r14
 *     +24  r13    goc__ctx_make puts arg here
 *     +32  r12    goc__ctx_make puts entry here
 *     +40  rbx
 *     +48  rbp    0 in a fresh context, ending frame-pointer walks
 *     +56  return address (goc__ctx_start in a fresh context)
 *
 * The saved stack pointer is 16-byte aligned. A traceback of a parked
 * goroutine starts from GOC_CTX_FRAME_PC and GOC_CTX_FRAME_FP.
 */
#ifndef GOC_ARCH_X86_64_H
#define GOC_ARCH_X86_64_H

#define GOC_ARCH_HAVE_PAUSE 1
#define GOC_ARCH_HAVE_CTX   1

/* Frame records for tracebacks: {previous fp, return address} at fp. */
#define GOC_ARCH_FP_NEXT_OFF 0
#define GOC_ARCH_FP_RET_OFF  8

/* struct goc_ctx layout. */
#define GOC_CTX_SP   0
#define GOC_CTX_SIZE 8

/* The switch frame on a suspended stack, offsets from the saved sp. */
#define GOC_CTX_FRAME_MXCSR 0
#define GOC_CTX_FRAME_FPUCW 4
#define GOC_CTX_FRAME_R15   8
#define GOC_CTX_FRAME_R14   16
#define GOC_CTX_FRAME_R13   24
#define GOC_CTX_FRAME_R12   32
#define GOC_CTX_FRAME_RBX   40
#define GOC_CTX_FRAME_FP    48
#define GOC_CTX_FRAME_PC    56
#define GOC_CTX_FRAME_SIZE  64

#ifndef __ASSEMBLER__
#include <stddef.h>

static inline void
goc_arch_pause(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

struct goc_ctx {
	/* (owner) the stack pointer of the suspended frame described above;
	 * meaningless while the context runs. */
	void *sp;
};

_Static_assert(offsetof(struct goc_ctx, sp) == GOC_CTX_SP, "GOC_CTX_SP");
_Static_assert(sizeof(struct goc_ctx) == GOC_CTX_SIZE, "GOC_CTX_SIZE");
/* Six pushed registers, the control word slot and the return address. */
_Static_assert(GOC_CTX_FRAME_SIZE == 8 * 8 && GOC_CTX_FRAME_PC == 7 * 8,
	       "GOC_CTX_FRAME_*");
/* The saved sp is aligned, so the frame must keep a 16-byte size. */
_Static_assert(GOC_CTX_FRAME_SIZE % 16 == 0, "GOC_CTX_FRAME_SIZE");
#endif /* !__ASSEMBLER__ */

#endif /* GOC_ARCH_X86_64_H */
