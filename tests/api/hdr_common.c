/* SPDX-License-Identifier: BSD-2-Clause */
/* <goconc/common.h> must compile alone, before any other header. */
#include <goconc/common.h>
#include <goconc/common.h> /* and be idempotent */

int goc_test_hdr_common(void);
int
goc_test_hdr_common(void)
{
	return 1;
}
