/* SPDX-License-Identifier: BSD-2-Clause */
/* Status codes to text (libuv's uv_strerror/uv_err_name shape). */
#include "goconc/common.h"

const char *
goc_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define GOC__ERRNO_MSG(name, value, msg) \
	case GOC_##name:                 \
		return msg;
		GOC_ERRNO_MAP(GOC__ERRNO_MSG)
#undef GOC__ERRNO_MSG
	}
	return "unknown error";
}

const char *
goc_err_name(int err)
{
	switch (err) {
	case 0:
		return "0";
#define GOC__ERRNO_NAME(name, value, msg) \
	case GOC_##name:                  \
		return "GOC_" #name;
		GOC_ERRNO_MAP(GOC__ERRNO_NAME)
#undef GOC__ERRNO_NAME
	}
	return "GOC_EUNKNOWN";
}
