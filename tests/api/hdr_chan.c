/* SPDX-License-Identifier: BSD-2-Clause */
/* <goconc/chan.h> must compile alone, before any other header. */
#include <goconc/chan.h>
#include <goconc/chan.h> /* and be idempotent */

int goc_test_hdr_chan(void);
int
goc_test_hdr_chan(void)
{
	return GOC_CHAN_OK == 1 && GOC_CHAN_WOULDBLOCK < 0;
}
