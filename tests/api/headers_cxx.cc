/* SPDX-License-Identifier: BSD-2-Clause */
/* Every public header compiles as C++ and its inline code works there. */
#include <goconc.h>
#include <goconc/common.h>
#include <goconc/atomic.h>
#include <goconc/ring.h>
#include <goconc/sched.h>
#include <goconc/sync.h>
#include <goconc/chan.h>
#include <goconc/select.h>

extern "C" int goc_test_cxx_atomics(void);
extern "C" int goc_test_cxx_select(void);

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

/* The case builders are inline functions, usable from C++. */
extern "C" int
goc_test_cxx_select(void)
{
	int v = 0;
	bool ok = false;
	goc_case_t cs[] = {GOC_SEND(nullptr, &v),
			   GOC_RECV_OK(nullptr, &v, &ok)};
	return goc_select_try(cs, 2) == -1 && cs[1].dir == GOC_CASE_RECV;
}

/* The sync types are embeddable and zero-initialisable from C++ too. */
extern "C" int goc_test_cxx_sync(void);
extern "C" int
goc_test_cxx_sync(void)
{
	goc_mutex_t m = GOC_MUTEX_INIT;
	goc_rwmutex_t rw = GOC_RWMUTEX_INIT;
	goc_wg_t wg = GOC_WG_INIT;
	goc_once_t once = GOC_ONCE_INIT;
	goc_cond_t c = GOC_COND_INIT;
	int ok = goc_mutex_try_lock(&m);
	goc_mutex_unlock(&m);
	ok &= goc_rwmutex_try_rlock(&rw);
	goc_rwmutex_runlock(&rw);
	goc_wg_wait(&wg);
	ok &= !goc_once_done(&once);
	goc_cond_signal(&c);
	return ok;
}
