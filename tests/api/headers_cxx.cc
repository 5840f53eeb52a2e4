/* SPDX-License-Identifier: BSD-2-Clause */
/* Every public header compiles as C++ and its inline code works there. */
#include <goconc.h>
#include <goconc/common.h>
#include <goconc/atomic.h>
#include <goconc/ring.h>
#include <goconc/sched.h>

extern "C" int goc_test_cxx_atomics(void);

extern "C" int
goc_test_cxx_atomics(void)
{
	goc_atomic_int64_t a = GOC_ATOMIC_INIT(5);
	goc_atomic_ptr_t p = GOC_ATOMIC_INIT(nullptr);
	int x = 0;
	int ok = 1;
	ok &= goc_atomic_int64_add(&a, 2) == 7;
	ok &= goc_atomic_int64_cas(&a, 7, 9);
	ok &= goc_atomic_int64_load_acq(&a) == 9;
	goc_atomic_ptr_store_rel(&p, &x);
	ok &= goc_atomic_ptr_load(&p) == &x;
	ok &= goc_strerror(GOC_ENOMEM) != nullptr;
	return ok;
}
