/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every channel, select and timer panic and fatal error, in a re-executed
 * process (Go's testprog idea), with Go's words: test/closedchan.go,
 * test/chancap.go, runtime/chan.go, select.go, time/tick.go, and nil
 * channels deadlocking under the runtime's detector.
 */
#include <stdint.h>

#include <goconc.h>

#include "../harness.h"

static void
send_closed(void)
{
	goc_chan_t *c = goc_chan_make(sizeof(int), 1);
	goc_chan_close(c);
	goc_chan_send(c, &(int){1});
}

static void
try_send_closed(void)
{
	/* Non-blocking send on a closed channel panics too (closedchan). */
	goc_chan_t *c = goc_chan_make(sizeof(int), 0);
	goc_chan_close(c);
	goc_chan_try_send(c, &(int){1});
}

static void
closer(void *arg)
{
	goc_chan_close(arg);
}

static int
woken_sender_main(void *arg)
{
	(void)arg;
	goc_chan_t *c = goc_chan_make(sizeof(int), 0);
	goc_go(closer, c);
	goc_chan_send(c, &(int){1}); /* parks; close wakes it: panic */
	return 0;
}

static void
sender_woken_by_close(void)
{
	goc_run(woken_sender_main, NULL);
}

static void
select_send_closed(void)
{
	goc_chan_t *c = goc_chan_make(sizeof(int), 0);
	goc_chan_t *never = goc_chan_make(sizeof(int), 0);
	goc_chan_close(c);
	int v = 1;
	goc_case_t cs[] = {GOC_RECV(never, &v), GOC_SEND(c, &v)};
	goc_select(cs, 2);
}

static int
select_woken_main(void *arg)
{
	(void)arg;
	goc_chan_t *c = goc_chan_make(sizeof(int), 0);
	goc_chan_t *never = goc_chan_make(sizeof(int), 0);
	int v = 1;
	goc_case_t cs[] = {GOC_RECV(never, &v), GOC_SEND(c, &v)};
	goc_go(closer, c);
	goc_select(cs, 2); /* parks on both; close wakes the send case */
	return 0;
}

static void
select_sender_woken_by_close(void)
{
	goc_run(select_woken_main, NULL);
}

static void
close_nil(void)
{
	goc_chan_close(NULL);
}

static void
close_closed(void)
{
	goc_chan_t *c = goc_chan_make(sizeof(int), 0);
	goc_chan_close(c);
	goc_chan_close(c);
}

static void
make_overflow(void)
{
	goc_chan_make(16, SIZE_MAX / 8);
}

static void
make_negative(void)
{
	/* A negative int passed as the size (test/chancap.go). */
	goc_chan_make(0, (size_t)(intptr_t)-1);
}

static void
make_too_big(void)
{
	goc_chan_make(1, (size_t)INTPTR_MAX);
}

static void
make_bad_elem(void)
{
	goc_chan_make(65536, 1);
}

static void
ticker_zero(void)
{
	goc_ticker_new(0);
}

static void
ticker_reset_negative(void)
{
	goc_ticker_t *t = goc_ticker_new(GOC_SECOND);
	goc_ticker_reset(t, -1);
}

GOC_TEST(send_on_closed_channel)
{
	expect_panic(send_closed, "send on closed channel");
	expect_panic(try_send_closed, "send on closed channel");
	expect_panic(sender_woken_by_close, "send on closed channel");
	expect_panic(select_send_closed, "send on closed channel");
	expect_panic(select_sender_woken_by_close, "send on closed channel");
}

GOC_TEST(close_panics)
{
	expect_panic(close_nil, "close of nil channel");
	expect_panic(close_closed, "close of closed channel");
	/* Go's layout: blank line, then the goroutine header. */
	expect_death(close_closed, "panic: close of closed channel\n\n");
}

GOC_TEST(makechan_panics)
{
	expect_panic(make_overflow, "makechan: size out of range");
	expect_panic(make_negative, "makechan: size out of range");
	expect_panic(make_too_big, "makechan: size out of range");
	expect_fatal(make_bad_elem, "makechan: invalid channel element type");
}

GOC_TEST(ticker_panics)
{
	expect_panic(ticker_zero, "non-positive interval for NewTicker");
	expect_panic(ticker_reset_negative,
		     "non-positive interval for Ticker.Reset");
}

/* ---- nil channels block forever: under goc_run that is a deadlock ---- */

static int
nil_recv_main(void *arg)
{
	(void)arg;
	goc_chan_recv(NULL, NULL);
	return 0;
}

static int
nil_send_main(void *arg)
{
	(void)arg;
	goc_chan_send(NULL, NULL);
	return 0;
}

static int
empty_select_main(void *arg)
{
	(void)arg;
	goc_select(NULL, 0);
	return 0;
}

static int
nil_select_main(void *arg)
{
	(void)arg;
	int v;
	goc_case_t cs[] = {GOC_RECV(NULL, &v), GOC_SEND(NULL, &v)};
	goc_select(cs, 2);
	return 0;
}

static int
self_select_main(void *arg)
{
	(void)arg;
	/* Send and receive on one channel in one select never match each
	 * other (test/chan/select3.go): it blocks. */
	goc_chan_t *c = goc_chan_make(sizeof(int), 0);
	int v = 1, w;
	goc_case_t cs[] = {GOC_SEND(c, &v), GOC_RECV(c, &w)};
	goc_select(cs, 2);
	return 0;
}

static void
nil_recv(void)
{
	goc_run(nil_recv_main, NULL);
}

static void
nil_send(void)
{
	goc_run(nil_send_main, NULL);
}

static void
empty_select(void)
{
	goc_run(empty_select_main, NULL);
}

static void
nil_select(void)
{
	goc_run(nil_select_main, NULL);
}

static void
self_select(void)
{
	goc_run(self_select_main, NULL);
}

GOC_TEST(nil_channels_block_forever)
{
	const char *dl = "all goroutines are asleep - deadlock!";
	expect_fatal(nil_recv, dl);
	expect_death(nil_recv, "[chan receive (nil chan)]");
	expect_fatal(nil_send, dl);
	expect_death(nil_send, "[chan send (nil chan)]");
	expect_fatal(empty_select, dl);
	expect_death(empty_select, "[select (no cases)]");
	expect_fatal(nil_select, dl);
	expect_death(nil_select, "[select]");
	expect_fatal(self_select, dl);
}
