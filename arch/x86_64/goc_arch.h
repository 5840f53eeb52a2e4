/* SPDX-License-Identifier: BSD-2-Clause */
/* x86_64 definitions for the arch contract (src/internal/arch.h). */
#ifndef GOC_ARCH_X86_64_H
#define GOC_ARCH_X86_64_H

#define GOC_ARCH_HAVE_PAUSE 1
static inline void
goc_arch_pause(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

#endif /* GOC_ARCH_X86_64_H */
