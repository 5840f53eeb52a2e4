/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * aarch64 definitions for the arch contract (src/internal/arch.h). This
 * header is also included by ctx.S, so everything C sits below the
 * __ASSEMBLER__ test and the offsets above it are plain numbers.
 *
 * A suspended context is its stack pointer alone: goc__ctx_switch stores
 * the callee-saved state on the stack it leaves (AAPCS64 6.1.1 and
 * 6.1.2: x19-x28, the frame pointer x29, the link register x30, the low
 * halves d8-d15 of v8-v15, and FPCR) and keeps the resulting stack
 * pointer in struct goc_ctx. The frame, from the saved sp upwards:
 *
 *     +0   x19    goc__ctx_make puts entry here
 *     +8   x20    goc__ctx_make puts arg here
 *     +16  x21 ... +72 x28
 *     +80  x29    0 in a fresh context, ending frame-pointer walks
 *     +88  x30    where the switch returns (goc__ctx_start when fresh)
 *     +96  d8 ... +152 d15
 *     +160 FPCR
 *     +168 padding, keeping sp 16-byte aligned
 *
 * x18 is the platform register and is not saved. A traceback of a parked
 * goroutine starts from GOC_CTX_FRAME_PC and GOC_CTX_FRAME_FP.
 */
#ifndef GOC_ARCH_AARCH64_H
#define GOC_ARCH_AARCH64_H

#define GOC_ARCH_HAVE_PAUSE 1
#define GOC_ARCH_HAVE_CTX   1

/* Frame records for tracebacks: {previous fp, return address} at fp. */
#define GOC_ARCH_FP_NEXT_OFF 0
#define GOC_ARCH_FP_RET_OFF  8

/* struct goc_ctx layout. */
#define GOC_CTX_SP   0
#define GOC_CTX_SIZE 8

/* The switch frame on a suspended stack, offsets from the saved sp. */
#define GOC_CTX_FRAME_X19  0
#define GOC_CTX_FRAME_X20  8
#define GOC_CTX_FRAME_X21  16
#define GOC_CTX_FRAME_X23  32
#define GOC_CTX_FRAME_X25  48
#define GOC_CTX_FRAME_X27  64
#define GOC_CTX_FRAME_FP   80
#define GOC_CTX_FRAME_PC   88
#define GOC_CTX_FRAME_D8   96
#define GOC_CTX_FRAME_D10  112
#define GOC_CTX_FRAME_D12  128
#define GOC_CTX_FRAME_D14  144
#define GOC_CTX_FRAME_FPCR 160
#define GOC_CTX_FRAME_SIZE 176

#ifndef __ASSEMBLER__
#include <stddef.h>

static inline void
goc_arch_pause(void)
{
	/* ISB stalls longer than YIELD, which most cores treat as a NOP. */
	__asm__ __volatile__("isb" ::: "memory");
}

struct goc_ctx {
	/* (owner) the stack pointer of the suspended frame described above;
	 * meaningless while the context runs. */
	void *sp;
};

_Static_assert(offsetof(struct goc_ctx, sp) == GOC_CTX_SP, "GOC_CTX_SP");
_Static_assert(sizeof(struct goc_ctx) == GOC_CTX_SIZE, "GOC_CTX_SIZE");
/* Twelve integer registers, then eight d registers, then FPCR. */
_Static_assert(GOC_CTX_FRAME_FP == 10 * 8 && GOC_CTX_FRAME_D8 == 12 * 8 &&
		       GOC_CTX_FRAME_FPCR == GOC_CTX_FRAME_D8 + 8 * 8,
	       "GOC_CTX_FRAME_*");
/* sp must stay 16-byte aligned at all times on aarch64. */
_Static_assert(GOC_CTX_FRAME_SIZE % 16 == 0 &&
		       GOC_CTX_FRAME_SIZE >= GOC_CTX_FRAME_FPCR + 8,
	       "GOC_CTX_FRAME_SIZE");
#endif /* !__ASSEMBLER__ */

#endif /* GOC_ARCH_AARCH64_H */
