/* SPDX-License-Identifier: BSD-2-Clause */
/* <goconc/sched.h> must compile alone, before any other header. */
#include <goconc/sched.h>
#include <goconc/sched.h> /* and be idempotent */

int goc_test_hdr_sched(void);
int
goc_test_hdr_sched(void)
{
	return GOC_SECOND == 1000 * GOC_MILLISECOND;
}
