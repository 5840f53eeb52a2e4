/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * riscv64 definitions for the arch contract (src/internal/arch.h). This
 * header is also included by ctx.S, so everything C sits below the
 * __ASSEMBLER__ test and the offsets above it are plain numbers.
 *
 * A suspended context is its stack pointer alone: goc__ctx_switch stores
 * the callee-saved state on the stack it leaves (the LP64D calling
 * convention: s0-s11, fs0-fs11, plus ra and the rounding mode frm) and
 * keeps the resulting stack pointer in struct goc_ctx. The frame, from
 * the saved sp upwards:
 *
 *     +0   ra     where the switch returns (goc__ctx_start when fresh)
 *     +8   s0     the frame pointer; 0 in a fresh context
 *     +16  s1     goc__ctx_make puts entry here
 *     +24  s2     goc__ctx_make puts arg here
 *     +32  s3 ... +96 s11
 *     +104 fs0 ... +192 fs11
 *     +200 frm
 *
 * gp and tp belong to the thread and are never switched. A traceback of
 * a parked goroutine starts from GOC_CTX_FRAME_PC and GOC_CTX_FRAME_FP.
 */
#ifndef GOC_ARCH_RISCV64_H
#define GOC_ARCH_RISCV64_H

#define GOC_ARCH_HAVE_PAUSE 1
#define GOC_ARCH_HAVE_CTX   1

/* Frame records for tracebacks: ra at fp - 8, previous fp at fp - 16. */
#define GOC_ARCH_FP_NEXT_OFF (-16)
#define GOC_ARCH_FP_RET_OFF  (-8)

/* struct goc_ctx layout. */
#define GOC_CTX_SP   0
#define GOC_CTX_SIZE 8

/* The switch frame on a suspended stack, offsets from the saved sp. */
#define GOC_CTX_FRAME_PC   0
#define GOC_CTX_FRAME_FP   8
#define GOC_CTX_FRAME_S1   16
#define GOC_CTX_FRAME_S2   24
#define GOC_CTX_FRAME_FS0  104
#define GOC_CTX_FRAME_FRM  200
#define GOC_CTX_FRAME_SIZE 208

/* The offset of s<n> and fs<n> in the frame. */
#define GOC_CTX_FRAME_S(n)  (GOC_CTX_FRAME_FP + 8 * (n))
#define GOC_CTX_FRAME_FS(n) (GOC_CTX_FRAME_FS0 + 8 * (n))

#ifndef __ASSEMBLER__
#include <stddef.h>

static inline void
goc_arch_pause(void)
{
	/* Zihintpause PAUSE, encoded as a FENCE hint: a NOP without it. */
	__asm__ __volatile__(".4byte 0x0100000f" ::: "memory");
}

struct goc_ctx {
	/* (owner) the stack pointer of the suspended frame described above;
	 * meaningless while the context runs. */
	void *sp;
};

_Static_assert(offsetof(struct goc_ctx, sp) == GOC_CTX_SP, "GOC_CTX_SP");
_Static_assert(sizeof(struct goc_ctx) == GOC_CTX_SIZE, "GOC_CTX_SIZE");
/* ra, twelve s registers, twelve fs registers, frm. */
_Static_assert(GOC_CTX_FRAME_S1 == GOC_CTX_FRAME_S(1) &&
		       GOC_CTX_FRAME_S2 == GOC_CTX_FRAME_S(2) &&
		       GOC_CTX_FRAME_FS0 == GOC_CTX_FRAME_S(12) &&
		       GOC_CTX_FRAME_FRM == GOC_CTX_FRAME_FS(12),
	       "GOC_CTX_FRAME_*");
/* The psABI keeps sp 16-byte aligned. */
_Static_assert(GOC_CTX_FRAME_SIZE % 16 == 0 &&
		       GOC_CTX_FRAME_SIZE >= GOC_CTX_FRAME_FRM + 8,
	       "GOC_CTX_FRAME_SIZE");
#endif /* !__ASSEMBLER__ */

#endif /* GOC_ARCH_RISCV64_H */
