/* SPDX-License-Identifier: BSD-2-Clause */
/* riscv64 definitions for the arch contract (src/internal/arch.h). */
#ifndef GOC_ARCH_RISCV64_H
#define GOC_ARCH_RISCV64_H

#define GOC_ARCH_HAVE_PAUSE 1
static inline void
goc_arch_pause(void)
{
	/* Zihintpause PAUSE, encoded as a FENCE hint: a NOP without it. */
	__asm__ __volatile__(".4byte 0x0100000f" ::: "memory");
}

#endif /* GOC_ARCH_RISCV64_H */
