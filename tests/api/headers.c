/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Public headers: each compiles alone as C (tests/api/hdr_*.c) and as C++
 * (headers_cxx.cc), and status codes map to names and messages.
 */
#include <goconc.h>

#include "../harness.h"

int goc_test_cxx_atomics(void);
int goc_test_hdr_goconc(void);
int goc_test_hdr_common(void);
int goc_test_hdr_atomic(void);
int goc_test_hdr_ring(void);
int goc_test_hdr_sched(void);
int goc_test_hdr_sync(void);
int goc_test_hdr_map(void);
int goc_test_cxx_sync(void);
int goc_test_hdr_chan(void);
int goc_test_hdr_select(void);
int goc_test_cxx_select(void);

GOC_TEST(headers_compile_alone_as_c)
{
	expect_int_eq(goc_test_hdr_goconc(), 1);
	expect_int_eq(goc_test_hdr_common(), 1);
	expect_int_eq(goc_test_hdr_atomic(), 1);
	expect_int_eq(goc_test_hdr_ring(), 1);
	expect_int_eq(goc_test_hdr_sched(), 1);
	expect_int_eq(goc_test_hdr_sync(), 1);
	expect_int_eq(goc_test_hdr_map(), 1);
	expect_int_eq(goc_test_hdr_chan(), 1);
	expect_int_eq(goc_test_hdr_select(), 1);
}

GOC_TEST(headers_work_from_cxx)
{
	expect_int_eq(goc_test_cxx_atomics(), 1);
	expect_int_eq(goc_test_cxx_sync(), 1);
	expect_int_eq(goc_test_cxx_select(), 1);
}

GOC_TEST(strerror_and_names)
{
	expect_str_eq(goc_strerror(GOC_ENOMEM), "out of memory");
	expect_str_eq(goc_strerror(GOC_ECANCELED), "context canceled");
	expect_str_eq(goc_strerror(GOC_EDEADLINE), "context deadline exceeded");
	expect_str_eq(goc_strerror(0), "success");
	expect_str_eq(goc_strerror(-9999), "unknown error");
	expect_str_eq(goc_err_name(GOC_EAGAIN), "GOC_EAGAIN");
	expect_str_eq(goc_err_name(12345), "GOC_EUNKNOWN");
	/* Every code is negative and distinct. */
	int codes[] = {
#define XX(name, value, msg) GOC_##name,
		GOC_ERRNO_MAP(XX)
#undef XX
	};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		expect_int_lt(codes[i], 0);
		for (size_t j = 0; j < i; j++)
			expect_int_ne(codes[i], codes[j]);
	}
}

GOC_TEST(version_macros)
{
	expect_int_eq(GOC_VERSION_HEX, (GOC_VERSION_MAJOR << 16) |
					       (GOC_VERSION_MINOR << 8) |
					       GOC_VERSION_PATCH);
	expect_true(GOC_CACHELINE == 64 || GOC_CACHELINE == 128);
}
