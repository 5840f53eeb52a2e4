/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The context panics, each in a re-executed process, in Go's words:
 * "cannot create context from nil parent" (WithCancel, WithDeadline,
 * WithTimeout, WithValue, WithoutCancel, AfterFunc; Go's
 * TestInvalidDerivedFail and the nil-parent checks) and "nil key"
 * (TestValues' bad keys).
 */
#include <goconc.h>

#include "../harness.h"

static void
cancel_nil(void)
{
	goc_ctx_with_cancel(NULL);
}

static void
cancel_cause_nil(void)
{
	goc_ctx_with_cancel_cause(NULL);
}

static void
deadline_nil(void)
{
	goc_ctx_with_deadline(NULL, goc_now() + GOC_SECOND);
}

static void
deadline_cause_nil(void)
{
	goc_ctx_with_deadline_cause(NULL, 0, -1, "x");
}

static void
timeout_nil(void)
{
	goc_ctx_with_timeout(NULL, GOC_SECOND);
}

static void
timeout_cause_nil(void)
{
	goc_ctx_with_timeout_cause(NULL, GOC_SECOND, -1, NULL);
}

static void
value_nil(void)
{
	static int key;
	goc_ctx_with_value(NULL, &key, NULL);
}

static void
without_cancel_nil(void)
{
	goc_ctx_without_cancel(NULL);
}

static void
after_func_nil(void)
{
	goc_ctx_after_func(NULL, NULL, NULL);
}

GOC_TEST(nil_parent)
{
	static const char msg[] = "cannot create context from nil parent";
	expect_panic(cancel_nil, msg);
	expect_panic(cancel_cause_nil, msg);
	expect_panic(deadline_nil, msg);
	expect_panic(deadline_cause_nil, msg);
	expect_panic(timeout_nil, msg);
	expect_panic(timeout_cause_nil, msg);
	expect_panic(value_nil, msg);
	expect_panic(without_cancel_nil, msg);
	expect_panic(after_func_nil, msg);
}

static void
nil_key(void)
{
	goc_ctx_with_value(goc_ctx_background(), NULL, NULL);
}

static void
nil_key_under_cancel(void)
{
	goc_ctx_t *c = goc_ctx_with_cancel(goc_ctx_background());
	goc_ctx_with_value(c, NULL, c);
}

GOC_TEST(nil_key)
{
	expect_panic(nil_key, "nil key");
	expect_panic(nil_key_under_cancel, "nil key");
}
