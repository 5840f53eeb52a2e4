/* SPDX-License-Identifier: BSD-2-Clause */
/* <goconc/atomic.h> must compile alone, before any other header. */
#include <goconc/atomic.h>
#include <goconc/atomic.h> /* and be idempotent */

int goc_test_hdr_atomic(void);
int
goc_test_hdr_atomic(void)
{
	return 1;
}
