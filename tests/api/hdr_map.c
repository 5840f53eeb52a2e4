/* SPDX-License-Identifier: BSD-2-Clause */
/* <goconc/map.h> must compile alone, before any other header. */
#include <goconc/map.h>
#include <goconc/map.h> /* and be idempotent */

int goc_test_hdr_map(void);
int
goc_test_hdr_map(void)
{
	const goc_map_type_t *t = &goc_map_type_int;
	return t != NULL && sizeof(goc_map_type_t) > 0;
}
