/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The arch-independent part of the context layer (src/internal/arch.h):
 * what the start trampolines call when an entry function returns.
 */
#include "config.h"

#include "internal/arch.h"
#include "internal/panic.h"

/*
 * Reached from goc__ctx_start (or the generic trampoline) on the
 * context's own stack, whose outermost frame it is: there is nothing to
 * return to, so a returning entry is a runtime bug, fatal as in Go.
 */
void
goc__ctx_entry_returned(void)
{
	goc__throw("goroutine entry returned");
}
