/* SPDX-License-Identifier: BSD-2-Clause */
/* <goconc/context.h> must compile alone, before any other header. */
#include <goconc/context.h>
#include <goconc/context.h> /* and be idempotent */

int goc_test_hdr_context(void);
int
goc_test_hdr_context(void)
{
	goc_ctx_ops_t ops = {0};
	goc_ctx_t *(*mk)(goc_ctx_t *) = goc_ctx_with_cancel;
	return ops.done == NULL && mk != NULL;
}
