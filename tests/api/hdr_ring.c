/* SPDX-License-Identifier: BSD-2-Clause */
/* <goconc/ring.h> must compile alone, before any other header. */
#include <goconc/ring.h>
#include <goconc/ring.h> /* and be idempotent */

int goc_test_hdr_ring(void);
int
goc_test_hdr_ring(void)
{
	return 1;
}
