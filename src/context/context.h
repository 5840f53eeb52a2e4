/* SPDX-License-Identifier: BSD-2-Clause */
/* Context internals the white-box tests inspect (tests/unit/context.c). */
#ifndef GOC_CONTEXT_CONTEXT_H
#define GOC_CONTEXT_CONTEXT_H

#include "goconc/context.h"

/* The number of contexts registered in ctx's children set (Go's
 * len(c.children)); 0 for a context that cannot be cancelled. */
int goc__ctx_nchildren(goc_ctx_t *ctx);

#endif /* GOC_CONTEXT_CONTEXT_H */
