/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Timer channels, after Go's time/sleep_test.go and tick_test.go
 * (TestAfter, TestTimerStopStress-style stop before expiry, TestReset,
 * TestTicker, TestAfterFunc, the Go 1.23 TestChan* cases: no stale value
 * after Stop or Reset, len/cap 0). Durations are short; the only waits are
 * on the timer channels themselves.
 */
#include <goconc.h>

#include "../harness.h"

#define MS GOC_MILLISECOND

static int
after_main(void *arg)
{
	(void)arg;
	int64_t start = goc_now();
	goc_chan_t *c = goc_after(5 * MS);
	expect_uint_eq(goc_chan_len(c), 0);
	expect_uint_eq(goc_chan_cap(c), 0);
	int64_t when = 0;
	expect_true(goc_chan_recv(c, &when));
	expect_int_ge(when, start + 5 * MS);
	expect_int_ge(goc_now(), start + 5 * MS);
	goc_chan_release(c);
	/* A select with a timeout: the never-ready case loses. */
	goc_chan_t *never = goc_chan_make(sizeof(int), 0);
	goc_chan_t *to = goc_after(2 * MS);
	int v;
	goc_case_t cs[] = {GOC_RECV(never, &v), GOC_RECV(to, &when)};
	expect_int_eq(goc_select(cs, 2), 1);
	goc_chan_release(to);
	goc_chan_release(never);
	/* Released before it fires: nothing leaks or crashes. */
	goc_chan_release(goc_after(1 * MS));
	goc_sleep(3 * MS);
	return 0;
}

GOC_TEST(after)
{
	expect_int_eq(goc_run(after_main, NULL), 0);
}

static int
timer_main(void *arg)
{
	(void)arg;
	int64_t v;
	/* Stop before expiry: true, and nothing ever arrives. */
	goc_timer_t *t = goc_timer_new(GOC_SECOND);
	goc_chan_t *c = goc_timer_chan(t);
	expect_true(goc_timer_stop(t));
	expect_false(goc_timer_stop(t));
	expect_int_eq(goc_chan_try_recv(c, &v), GOC_CHAN_WOULDBLOCK);

	/* Reset a stopped timer: it fires after the new duration. */
	int64_t start = goc_now();
	expect_false(goc_timer_reset(t, 3 * MS));
	expect_true(goc_chan_recv(c, &v));
	expect_int_ge(v, start + 3 * MS);
	expect_false(goc_timer_stop(t)); /* fired and received */

	/* Fired but not received: Stop discards the value and reports it
	 * (Go 1.23: no stale value after Stop). */
	expect_false(goc_timer_reset(t, 1 * MS));
	goc_sleep(5 * MS);
	expect_true(goc_timer_stop(t));
	expect_int_eq(goc_chan_try_recv(c, &v), GOC_CHAN_WOULDBLOCK);

	/* Same through Reset: the stale value is gone, the new one comes. */
	expect_false(goc_timer_reset(t, 1 * MS));
	goc_sleep(5 * MS);
	start = goc_now();
	expect_true(goc_timer_reset(t, 4 * MS));
	expect_int_eq(goc_chan_try_recv(c, &v), GOC_CHAN_WOULDBLOCK);
	expect_true(goc_chan_recv(c, &v));
	expect_int_ge(v, start + 4 * MS);
	goc_timer_release(t);
	return 0;
}

GOC_TEST(timer_stop_reset)
{
	expect_int_eq(goc_run(timer_main, NULL), 0);
}

static int
stale_main(void *arg)
{
	(void)arg;
	/* Reset racing expiry: after Reset returns, a receive never sees
	 * a value of the earlier arming (Go 1.23 TestChanStale-like). */
	long n = goc_test_scaled(300);
	goc_timer_t *t = goc_timer_new(GOC_HOUR);
	goc_chan_t *c = goc_timer_chan(t);
	long stale = 0;
	for (long i = 0; i < n; i++) {
		goc_timer_reset(t, (int64_t)(i % 5) * 20 * GOC_MICROSECOND);
		for (int k = 0; k < (int)(i % 7); k++)
			goc_yield();
		goc_timer_reset(t, GOC_HOUR);
		int64_t v;
		if (goc_chan_try_recv(c, &v) != GOC_CHAN_WOULDBLOCK)
			stale++;
		goc_case_t cs[] = {GOC_RECV(c, &v)};
		if (goc_select_try(cs, 1) >= 0)
			stale++;
	}
	goc_timer_release(t);
	return (int)stale;
}

GOC_TEST(no_stale_value_after_reset)
{
	int old = goc_maxprocs(2);
	expect_int_eq(goc_run(stale_main, NULL), 0);
	goc_maxprocs(old);
}

static int
ticker_main(void *arg)
{
	(void)arg;
	int64_t d = 2 * MS, prev = goc_now(), v;
	goc_ticker_t *tk = goc_ticker_new(d);
	goc_chan_t *c = goc_ticker_chan(tk);
	for (int i = 0; i < 5; i++) {
		expect_true(goc_chan_recv(c, &v));
		expect_int_ge(v, prev); /* ticks move forward */
		prev = v;
	}
	/* Stopped: no tick prepared before the stop is received later. */
	goc_ticker_stop(tk);
	expect_int_eq(goc_chan_try_recv(c, &v), GOC_CHAN_WOULDBLOCK);
	goc_sleep(3 * d);
	expect_int_eq(goc_chan_try_recv(c, &v), GOC_CHAN_WOULDBLOCK);
	/* Reset restarts it with the new period. */
	int64_t start = goc_now();
	goc_ticker_reset(tk, 3 * MS);
	expect_true(goc_chan_recv(c, &v));
	expect_int_ge(v, start + 3 * MS);
	goc_ticker_release(tk);
	return 0;
}

GOC_TEST(ticker)
{
	expect_int_eq(goc_run(ticker_main, NULL), 0);
}

struct af {
	goc_chan_t *c;
	uint64_t caller;
};

static void
af_fn(void *arg)
{
	struct af *a = arg;
	uint64_t id = goc_id();
	goc_chan_send(a->c, &id);
}

static int
afterfunc_main(void *arg)
{
	(void)arg;
	struct af a = {goc_chan_make(sizeof(uint64_t), 1), goc_id()};
	goc_timer_t *t = goc_after_func(2 * MS, af_fn, &a);
	expect_ptr_eq(goc_timer_chan(t), NULL);
	uint64_t id = 0;
	goc_chan_recv(a.c, &id);
	/* It ran in a goroutine of its own. */
	expect_uint_ne(id, 0);
	expect_uint_ne(id, a.caller);
	expect_false(goc_timer_stop(t));
	goc_timer_release(t);
	/* Stopped in time: it never runs. */
	t = goc_after_func(GOC_SECOND, af_fn, &a);
	expect_true(goc_timer_stop(t));
	/* Reset re-arms it. */
	expect_false(goc_timer_reset(t, 1 * MS));
	goc_chan_recv(a.c, &id);
	goc_timer_release(t);
	expect_int_eq(goc_chan_try_recv(a.c, &id), GOC_CHAN_WOULDBLOCK);
	goc_chan_release(a.c);
	return 0;
}

GOC_TEST(after_func)
{
	expect_int_eq(goc_run(afterfunc_main, NULL), 0);
}

GOC_TEST(timer_from_plain_thread)
{
	/* A thread that is not a goroutine waits on a timer channel. */
	goc_timer_t *t = goc_timer_new(2 * MS);
	int64_t v;
	expect_true(goc_chan_recv(goc_timer_chan(t), &v));
	goc_timer_release(t);
	goc_chan_t *c = goc_after(1 * MS);
	expect_true(goc_chan_recv(c, &v));
	goc_chan_release(c);
}
