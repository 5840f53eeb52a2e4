/* SPDX-License-Identifier: BSD-2-Clause */
/* <goconc/sync.h> must compile alone, before any other header. */
#include <goconc/sync.h>
#include <goconc/sync.h> /* and be idempotent */

int goc_test_hdr_sync(void);
int
goc_test_hdr_sync(void)
{
	goc_mutex_t m = GOC_MUTEX_INIT;
	goc_wg_t wg = GOC_WG_INIT;
	return m._state == 0 && wg._state == 0 &&
	       sizeof(goc_once_t) >= sizeof(goc_mutex_t);
}
