/* SPDX-License-Identifier: BSD-2-Clause */
/* aarch64 definitions for the arch contract (src/internal/arch.h). */
#ifndef GOC_ARCH_AARCH64_H
#define GOC_ARCH_AARCH64_H

#define GOC_ARCH_HAVE_PAUSE 1
static inline void
goc_arch_pause(void)
{
	/* ISB stalls longer than YIELD, which most cores treat as a NOP. */
	__asm__ __volatile__("isb" ::: "memory");
}

#endif /* GOC_ARCH_AARCH64_H */
