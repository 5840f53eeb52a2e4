/* SPDX-License-Identifier: BSD-2-Clause */
/* <goconc/select.h> must compile alone, before any other header. */
#include <goconc/select.h>
#include <goconc/select.h> /* and be idempotent */

int goc_test_hdr_select(void);
int
goc_test_hdr_select(void)
{
	int v = 0;
	goc_case_t k = GOC_SEND((goc_chan_t *)0, &v);
	return k.dir == GOC_CASE_SEND && k.elem == &v;
}
