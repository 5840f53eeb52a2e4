/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The portable context switch, on POSIX ucontext (getcontext,
 * makecontext, swapcontext), selected by --with-arch=generic and used on
 * any cpu without an arch/<arch>/ctx.S. Slower than the assembly (glibc's
 * swapcontext makes a sigprocmask system call per switch) but it needs
 * nothing from the cpu, so CI builds it to keep the contract honest and
 * analyzers read it instead of assembly.
 *
 * What a switch saves is what glibc saves: on x86_64 the callee-saved
 * registers, the whole FP environment (fnstenv/fldenv, MXCSR) and the
 * signal mask. So here the x87 and MXCSR exception flags are per context,
 * unlike the assembly backends; the contract leaves the flags unspecified.
 */
#include "config.h"

#include <stdint.h>
#include <ucontext.h>

#include "internal/arch.h"
#include "internal/compiler.h"
#include "internal/panic.h"

/*
 * makecontext passes only int arguments, so each pointer travels as two
 * 32-bit halves (a pointer in one long argument works on glibc x86_64
 * but is not portable).
 */
static void
ctx_start(unsigned entry_hi, unsigned entry_lo, unsigned arg_hi,
	  unsigned arg_lo)
{
	uintptr_t e = ((uintptr_t)entry_hi << 16 << 16) | entry_lo;
	uintptr_t a = ((uintptr_t)arg_hi << 16 << 16) | arg_lo;
	void (*entry)(void *) = (void (*)(void *))e;

	entry((void *)a);
	goc__ctx_entry_returned();
}

void
goc__ctx_make(struct goc_ctx *ctx, void *stack_base, size_t stack_size,
	      void (*entry)(void *), void *arg)
{
	uintptr_t e = (uintptr_t)entry;
	uintptr_t a = (uintptr_t)arg;

	/* getcontext also captures the caller's FP control state, which the
	 * new context inherits as the contract says. */
	if (getcontext(&ctx->uc) != 0)
		goc__throw("getcontext failed");
	ctx->uc.uc_stack.ss_sp = stack_base;
	ctx->uc.uc_stack.ss_size = stack_size;
	ctx->uc.uc_link = NULL;
	/* Shifting by 16 twice keeps the code valid where uintptr_t is 32
	 * bits wide. */
	makecontext(&ctx->uc, (void (*)(void))ctx_start, 4,
		    (unsigned)(e >> 16 >> 16), (unsigned)e,
		    (unsigned)(a >> 16 >> 16), (unsigned)a);
	/*
	 * makecontext has laid out the stack; uc_stack is not read again by
	 * glibc, but ASan's swapcontext interceptor reads it and clears the
	 * shadow of that whole stack at every switch, erasing the redzones
	 * of frames still live on it. The fiber annotations (rt/fiber.h)
	 * tell ASan about the switch instead.
	 */
	ctx->uc.uc_stack.ss_sp = NULL;
	ctx->uc.uc_stack.ss_size = 0;
}

/*
 * The switch is not instrumented: TSan would record its entry on one
 * fiber and its exit on another (testing.md §2.3 pitfall 1). clang needs
 * disable_sanitizer_instrumentation for that, as no_sanitize("thread")
 * keeps the entry and exit hooks; gcc's no_sanitize drops them too.
 */
#if __has_attribute(disable_sanitizer_instrumentation)
#define CTX_UNINSTRUMENTED __attribute__((disable_sanitizer_instrumentation))
#elif GOC_TSAN_ENABLED
#define CTX_UNINSTRUMENTED __attribute__((no_sanitize("thread")))
#else
#define CTX_UNINSTRUMENTED
#endif

CTX_UNINSTRUMENTED void
goc__ctx_switch(struct goc_ctx *from, struct goc_ctx *to)
{
	/* swapcontext leaves uc_stack alone; clear it for the reason given
	 * in goc__ctx_make, since from may be a thread's own context whose
	 * struct was never initialised. */
	from->uc.uc_stack.ss_sp = NULL;
	from->uc.uc_stack.ss_size = 0;
	if (swapcontext(&from->uc, &to->uc) != 0)
		goc__throw("swapcontext failed");
}
