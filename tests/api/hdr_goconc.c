/* SPDX-License-Identifier: BSD-2-Clause */
/* <goconc.h> must compile alone, before any other header. */
#include <goconc.h>
#include <goconc.h> /* and be idempotent */

int goc_test_hdr_goconc(void);
int
goc_test_hdr_goconc(void)
{
	return 1;
}
