/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The architecture contract (arch/README.md is the long form). Each
 * arch/<arch>/goc_arch.h may provide:
 *   goc_arch_pause()       the spin-wait hint (PAUSE, YIELD, ...)
 * Anything it does not provide gets the portable definition below
 * (musl's #ifndef idiom). Nothing outside arch/ and this header tests
 * __x86_64__ and friends.
 */
#ifndef GOC_INTERNAL_ARCH_H
#define GOC_INTERNAL_ARCH_H

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

#endif /* GOC_INTERNAL_ARCH_H */
