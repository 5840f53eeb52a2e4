/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Assertions in three levels (never <assert.h>, which NDEBUG changes):
 *   GOC_ASSERT            GOC_DEBUG >= 1, cheap checks
 *   GOC_ASSERT_INTERNAL   GOC_DEBUG >= 2, ownership and lock ranks
 *   GOC_ASSERT_EXPENSIVE  GOC_DEBUG >= 3, whole-structure walks
 * A failed assertion is a runtime bug: it throws.
 */
#ifndef GOC_INTERNAL_ASSERT_H
#define GOC_INTERNAL_ASSERT_H

#include "config.h"
#include "internal/compiler.h"
#include "internal/panic.h"

static const int goc_debug GOC_UNUSED = GOC_DEBUG;

#define GOC__ASSERT_LEVEL(level, cond)                                         \
	do {                                                                   \
		if (goc_debug >= (level) && GOC_UNLIKELY(!(cond)))             \
			goc__assert_fail(#cond, __FILE__, __LINE__, __func__); \
	} while (0)

#define GOC_ASSERT(cond)           GOC__ASSERT_LEVEL(1, cond)
#define GOC_ASSERT_INTERNAL(cond)  GOC__ASSERT_LEVEL(2, cond)
#define GOC_ASSERT_EXPENSIVE(cond) GOC__ASSERT_LEVEL(3, cond)

#endif /* GOC_INTERNAL_ASSERT_H */
