/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The architecture contract (arch/README.md is the long form). Each
 * arch/<arch>/goc_arch.h may provide:
 *   goc_arch_pause()       the spin-wait hint (PAUSE, YIELD, ...)
 *   GOC_ARCH_HAVE_CTX      set when arch/<arch>/ctx.S implements the
 *                          context switch; the header then also defines
 *     struct goc_ctx       the saved context, with GOC_CTX_SP and
 *                          GOC_CTX_SIZE (its layout, which ctx.S uses)
 *                          and GOC_CTX_FRAME_* (the frame a suspended
 *                          context leaves on its stack), checked by
 *                          _Static_assert against the struct
 * and arch/<arch>/ctx.S implements, with hidden visibility:
 *   goc__ctx_make()        prepare a context to run entry(arg)
 *   goc__ctx_switch()      save the running context, resume another
 *   goc__ctx_start         the trampoline a fresh context starts in
 * An arch without GOC_ARCH_HAVE_CTX (and --with-arch=generic on any
 * host) gets the ucontext-based struct goc_ctx below, implemented by
 * arch/generic/ctx.c. arch/ctx_common.c holds the arch-independent part.
 * Anything else goc_arch.h does not provide gets the portable definition
 * below (musl's #ifndef idiom). Nothing outside arch/ and this header
 * tests __x86_64__ and friends.
 *
 * The context switch is the bare mechanism. The sanitizer and Valgrind
 * annotations every switch needs in those builds live in src/rt/fiber.h,
 * which wraps these functions.
 */
#ifndef GOC_INTERNAL_ARCH_H
#define GOC_INTERNAL_ARCH_H

#include <stddef.h>

#include "goconc/common.h"
#include "internal/compiler.h"

#if __has_include("goc_arch.h")
#include "goc_arch.h"
#endif

#ifndef GOC_ARCH_HAVE_PAUSE
static inline void
goc_arch_pause(void)
{
	__asm__ __volatile__("" ::: "memory");
}
#endif

#ifndef GOC_ARCH_HAVE_CTX
#include <ucontext.h>

/*
 * The portable context: all of the registers in a ucontext_t (glibc's
 * swapcontext saves the callee-saved registers, the FP environment and
 * the signal mask, at the cost of a system call per switch).
 */
struct goc_ctx {
	ucontext_t uc; /* (owner) valid while the context is suspended */
};
#endif

/*
 * goc__ctx_make prepares ctx so that the first goc__ctx_switch to it runs
 * entry(arg) on the stack [stack_base, stack_base + stack_size). The
 * stack pointer starts at the top, rounded down to 16 bytes, so that
 * entry sees the alignment its ABI promises; the stack must be large
 * enough for entry and for the frame goc__ctx_switch leaves (under 256
 * bytes on every arch). The new context starts with the caller's
 * floating-point control state (rounding mode and the like), as a new
 * thread does.
 *
 * entry must never return: it leaves by switching away for the last
 * time. If it returns anyway, the trampoline calls
 * goc__ctx_entry_returned(), which throws "goroutine entry returned".
 *
 * ctx needs no other preparation, and a context that only ever switches
 * away (a thread's own stack) needs none at all.
 */
GOC_HIDDEN void goc__ctx_make(struct goc_ctx *ctx, void *stack_base,
			      size_t stack_size, void (*entry)(void *),
			      void *arg);

/*
 * goc__ctx_switch saves the running context into from and resumes to,
 * which is either fresh from goc__ctx_make or suspended by an earlier
 * goc__ctx_switch (on any thread: a context may move between threads).
 * It returns when something later switches back to from. What it saves:
 * the callee-saved integer and floating-point registers, the stack
 * pointer and the floating-point control state (arch/README.md lists
 * them per arch); everything else is clobbered, as by any call. to must
 * not be running, and from must not be resumed before this call has
 * saved it (the caller's scheduler provides that ordering).
 */
GOC_HIDDEN void goc__ctx_switch(struct goc_ctx *from, struct goc_ctx *to);

/*
 * goc__ctx_entry_returned is called by the start trampoline when an
 * entry function returns. It throws: nothing sits above entry on its
 * stack to return to.
 */
GOC_HIDDEN GOC_NORETURN void goc__ctx_entry_returned(void);

#endif /* GOC_INTERNAL_ARCH_H */
