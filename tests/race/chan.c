/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The race detector on channels and select: Go's runtime/race/testdata
 * chan_test.go cases. Each runs alone in a re-executed child under
 * ThreadSanitizer (--enable-race build); a Race case must draw a data
 * race report, a NoRace case must exit cleanly without one. Go's
 * closures become globals (one case per process). Cases that recover
 * from a panic in Go have no C form and are left out.
 *
 * Sleeps here only make the racy interleaving the likely one, as in Go's
 * cases; the verdict never depends on them (TSan reports a missing
 * happens-before edge whatever the timing).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <goconc.h>

#include "race.h"

/* Not static: the compiler must keep every store to them, as a Go
 * closure's captured variables are kept (a never-read static is dead). */
int v, v1, v2, x, data;
goc_chan_t *c, *c1, *c2, *c3, *done, *compl ;

static void
send_int(goc_chan_t *ch, int val)
{
	goc_chan_send(ch, &val);
}

static int
recv_int(goc_chan_t *ch)
{
	int val = 0;
	goc_chan_recv(ch, &val);
	return val;
}

static void
set_v1_send(void *a)
{
	(void)a;
	v = 1;
	send_int(c, 0);
}

RACE_CASE(NoRaceChanSync, expect_no_race)
{
	(void)arg;
	c = goc_chan_make(sizeof(int), 0);
	goc_go(set_v1_send, NULL);
	recv_int(c);
	v = 2;
	return 0;
}

static void
send_set_v2(void *a)
{
	(void)a;
	send_int(c, 0);
	v = 2;
}

RACE_CASE(NoRaceChanSyncRev, expect_no_race)
{
	(void)arg;
	c = goc_chan_make(sizeof(int), 0);
	goc_go(send_set_v2, NULL);
	v = 1;
	recv_int(c);
	return 0;
}

RACE_CASE(NoRaceChanAsync, expect_no_race)
{
	(void)arg;
	c = goc_chan_make(sizeof(int), 10);
	goc_go(set_v1_send, NULL);
	recv_int(c);
	v = 2;
	return 0;
}

static void
send_set_v1(void *a)
{
	(void)a;
	send_int(c, 0);
	v = 1;
}

RACE_CASE(RaceChanAsyncRev, expect_race)
{
	(void)arg;
	c = goc_chan_make(sizeof(int), 10);
	goc_go(send_set_v1, NULL);
	v = 2;
	recv_int(c);
	return 0;
}

static void
set_v1_close(void *a)
{
	(void)a;
	v = 1;
	goc_chan_close(c);
}

RACE_CASE(NoRaceChanAsyncCloseRecv2, expect_no_race)
{
	(void)arg;
	c = goc_chan_make(sizeof(int), 10);
	goc_go(set_v1_close, NULL);
	int e;
	goc_chan_recv(c, &e);
	v = 2;
	return 0;
}

RACE_CASE(NoRaceChanAsyncCloseRecv3, expect_no_race)
{
	(void)arg;
	c = goc_chan_make(sizeof(int), 10);
	goc_go(set_v1_close, NULL);
	int e;
	while (goc_chan_recv(c, &e))
		;
	v = 2;
	return 0;
}

RACE_CASE(NoRaceChanSyncCloseRecv2, expect_no_race)
{
	(void)arg;
	c = goc_chan_make(sizeof(int), 0);
	goc_go(set_v1_close, NULL);
	int e;
	goc_chan_recv(c, &e);
	v = 2;
	return 0;
}

/* The same through a non-blocking receive that sees the close. */
RACE_CASE(NoRaceChanSyncCloseTryRecv, expect_no_race)
{
	(void)arg;
	c = goc_chan_make(sizeof(int), 0);
	goc_go(set_v1_close, NULL);
	int e;
	while (goc_chan_try_recv(c, &e) != GOC_CHAN_CLOSED)
		goc_yield();
	v = 2;
	return 0;
}

/* Go's TestRaceChanSendLen: len gives no happens-before edge. */
RACE_CASE(RaceChanSendLen, expect_race)
{
	(void)arg;
	c = goc_chan_make(sizeof(int), 10);
	goc_go(set_v1_send, NULL);
	while (goc_chan_len(c) == 0)
		goc_yield();
	v = 2;
	return 0;
}

static void
set_v1_recv(void *a)
{
	(void)a;
	v = 1;
	recv_int(c);
}

RACE_CASE(RaceChanRecvLen, expect_race)
{
	(void)arg;
	c = goc_chan_make(sizeof(int), 10);
	send_int(c, 1);
	goc_go(set_v1_recv, NULL);
	while (goc_chan_len(c) != 0)
		goc_yield();
	v = 2;
	return 0;
}

static void
sendsend_a(void *a)
{
	(void)a;
	v1 = 1;
	int one = 1;
	goc_case_t cs[] = {GOC_SEND(c, &one)};
	if (goc_select_try(cs, 1) < 0)
		v2 = 2;
	send_int(compl, 1);
}

static void
sendsend_b(void *a)
{
	(void)a;
	v2 = 1;
	int one = 1;
	goc_case_t cs[] = {GOC_SEND(c, &one)};
	if (goc_select_try(cs, 1) < 0)
		v1 = 2;
	send_int(compl, 1);
}

RACE_CASE(RaceChanSendSend, expect_race)
{
	(void)arg;
	compl = goc_chan_make(sizeof(int), 2);
	c = goc_chan_make(sizeof(int), 1);
	goc_go(sendsend_a, NULL);
	goc_go(sendsend_b, NULL);
	recv_int(compl );
	recv_int(compl );
	return 0;
}

struct msg {
	int x;
};
static goc_chan_t *cp;

static void
send_ptr(void *a)
{
	(void)a;
	static struct msg m;
	m.x = 1;
	struct msg *p = &m;
	goc_chan_send(cp, &p);
}

RACE_CASE(NoRaceChanPtr, expect_no_race)
{
	(void)arg;
	cp = goc_chan_make(sizeof(struct msg *), 0);
	goc_go(send_ptr, NULL);
	struct msg *m;
	goc_chan_recv(cp, &m);
	m->x = 2;
	return 0;
}

static void
wrong_send1(void *a)
{
	(void)a;
	v1 = 1;
	send_int(c, 1);
}

static void
wrong_send2(void *a)
{
	(void)a;
	v2 = 2;
	send_int(c, 2);
}

RACE_CASE(RaceChanWrongSend, expect_race)
{
	(void)arg;
	c = goc_chan_make(sizeof(int), 2);
	goc_go(wrong_send1, NULL);
	goc_go(wrong_send2, NULL);
	goc_sleep(10 * 1000 * 1000);
	if (recv_int(c) == 1)
		v2 = 3;
	else
		v1 = 3;
	return 0;
}

static void
send_one_done(void *a)
{
	(void)a;
	send_int(c, 1);
	send_int(compl, 1);
}

static void
sleep_close_done(void *a)
{
	(void)a;
	goc_sleep(10 * 1000 * 1000);
	goc_chan_close(c);
	send_int(compl, 1);
}

/* Go's TestRaceChanSendClose: a send and a close are not ordered. */
RACE_CASE(RaceChanSendClose, expect_race)
{
	(void)arg;
	compl = goc_chan_make(sizeof(int), 2);
	c = goc_chan_make(sizeof(int), 1);
	goc_go(send_one_done, NULL);
	goc_go(sleep_close_done, NULL);
	recv_int(compl );
	recv_int(compl );
	return 0;
}

static void
select_send_x_async(void *a)
{
	(void)a;
	int one = 1;
	goc_case_t cs[] = {GOC_SEND(c1, &x), GOC_SEND(c3, &one)};
	goc_select(cs, 2);
	send_int(done, 1);
}

RACE_CASE(RaceSelectReadWriteAsync, expect_race)
{
	(void)arg;
	done = goc_chan_make(sizeof(int), 0);
	c1 = goc_chan_make(sizeof(int), 10);
	c2 = goc_chan_make(sizeof(int), 10);
	c3 = goc_chan_make(sizeof(int), 0);
	send_int(c2, 1);
	goc_go(select_send_x_async, NULL);
	int one = 1;
	goc_case_t cs[] = {GOC_RECV(c2, &x), GOC_SEND(c3, &one)};
	goc_select(cs, 2);
	recv_int(done);
	return 0;
}

static void
recv_c1(void *a)
{
	(void)a;
	recv_int(c1);
}

static void
send_c2(void *a)
{
	(void)a;
	send_int(c2, 1);
}

RACE_CASE(RaceSelectReadWriteSync, expect_race)
{
	(void)arg;
	done = goc_chan_make(sizeof(int), 0);
	c1 = goc_chan_make(sizeof(int), 0);
	c2 = goc_chan_make(sizeof(int), 0);
	c3 = goc_chan_make(sizeof(int), 0);
	goc_go(recv_c1, NULL);
	goc_go(send_c2, NULL);
	goc_go(select_send_x_async, NULL);
	int one = 1;
	goc_case_t cs[] = {GOC_RECV(c2, &x), GOC_SEND(c3, &one)};
	goc_select(cs, 2);
	recv_int(done);
	return 0;
}

static void
select_send_x_c1_c2(void *a)
{
	(void)a;
	int one = 1;
	goc_case_t cs[] = {GOC_SEND(c1, &x), GOC_SEND(c2, &one)};
	goc_select(cs, 2);
	send_int(done, 1);
}

RACE_CASE(NoRaceSelectReadWriteAsync, expect_no_race)
{
	(void)arg;
	done = goc_chan_make(sizeof(int), 0);
	c1 = goc_chan_make(sizeof(int), 0);
	c2 = goc_chan_make(sizeof(int), 0);
	goc_go(select_send_x_c1_c2, NULL);
	int one = 1;
	goc_case_t cs[] = {GOC_RECV(c1, &x), GOC_SEND(c2, &one)};
	goc_select(cs, 2);
	recv_int(done);
	return 0;
}

static void
send_x_c1_done(void *a)
{
	(void)a;
	goc_chan_send(c1, &x);
	send_int(done, 1);
}

RACE_CASE(RaceChanReadWriteAsync, expect_race)
{
	(void)arg;
	done = goc_chan_make(sizeof(int), 0);
	c1 = goc_chan_make(sizeof(int), 10);
	c2 = goc_chan_make(sizeof(int), 10);
	send_int(c2, 10);
	goc_go(send_x_c1_done, NULL);
	goc_chan_recv(c2, &x);
	recv_int(done);
	return 0;
}

RACE_CASE(RaceChanReadWriteSync, expect_race)
{
	(void)arg;
	done = goc_chan_make(sizeof(int), 0);
	c1 = goc_chan_make(sizeof(int), 0);
	c2 = goc_chan_make(sizeof(int), 0);
	goc_go(recv_c1, NULL);
	goc_go(send_c2, NULL);
	goc_go(send_x_c1_done, NULL);
	goc_chan_recv(c2, &x);
	recv_int(done);
	return 0;
}

RACE_CASE(NoRaceChanReadWriteAsync, expect_no_race)
{
	(void)arg;
	done = goc_chan_make(sizeof(int), 0);
	c1 = goc_chan_make(sizeof(int), 10);
	goc_go(send_x_c1_done, NULL);
	goc_chan_recv(c1, &x);
	recv_int(done);
	return 0;
}

struct task {
	void (*f)(void);
	goc_chan_t *done;
};
static goc_chan_t *queue;

static void
worker(void *a)
{
	(void)a;
	struct task t;
	goc_chan_recv(queue, &t);
	t.f();
	send_int(t.done, 1);
}

static void
set_x(void)
{
	x = 1;
}

RACE_CASE(NoRaceProducerConsumerUnbuffered, expect_no_race)
{
	(void)arg;
	queue = goc_chan_make(sizeof(struct task), 0);
	goc_go(worker, NULL);
	struct task t = {set_x, goc_chan_make(sizeof(int), 1)};
	goc_chan_send(queue, &t);
	recv_int(t.done);
	return x == 1 ? 0 : 1;
}

static goc_chan_t *mtx;

static void
chan_mutex_worker(void *a)
{
	(void)a;
	send_int(mtx, 1);
	data = 42;
	recv_int(mtx);
	send_int(done, 1);
}

RACE_CASE(NoRaceChanMutex, expect_no_race)
{
	(void)arg;
	done = goc_chan_make(sizeof(int), 0);
	mtx = goc_chan_make(sizeof(int), 1);
	goc_go(chan_mutex_worker, NULL);
	send_int(mtx, 1);
	data = 43;
	recv_int(mtx);
	recv_int(done);
	return 0;
}

static goc_chan_t *aux;

static void
select_lock(void)
{
	int one = 1, e;
	goc_case_t cs[] = {GOC_SEND(mtx, &one), GOC_RECV(aux, &e)};
	goc_select(cs, 2);
}

static void
select_unlock(void)
{
	int e, f;
	goc_case_t cs[] = {GOC_RECV(mtx, &e), GOC_RECV(aux, &f)};
	goc_select(cs, 2);
}

static void
select_mutex_worker(void *a)
{
	(void)a;
	select_lock();
	data = 42;
	select_unlock();
	send_int(done, 1);
}

RACE_CASE(NoRaceSelectMutex, expect_no_race)
{
	(void)arg;
	done = goc_chan_make(sizeof(int), 0);
	mtx = goc_chan_make(sizeof(int), 1);
	aux = goc_chan_make(sizeof(int), 0);
	goc_go(select_mutex_worker, NULL);
	select_lock();
	data = 43;
	select_unlock();
	recv_int(done);
	return 0;
}

/* A channel of capacity 2 is no mutex: both can be inside at once. */
RACE_CASE(RaceChanSem, expect_race)
{
	(void)arg;
	done = goc_chan_make(sizeof(int), 0);
	mtx = goc_chan_make(sizeof(int), 2);
	goc_go(chan_mutex_worker, NULL);
	send_int(mtx, 1);
	data = 43;
	recv_int(mtx);
	recv_int(done);
	return 0;
}

#define WG_N 10
int wgdata[WG_N];
static goc_chan_t *chanwg;

static void
wg_worker(void *a)
{
	wgdata[(intptr_t)a] = 42;
	recv_int(chanwg);
}

RACE_CASE(NoRaceChanWaitGroup, expect_no_race)
{
	(void)arg;
	chanwg = goc_chan_make(sizeof(int), WG_N / 2);
	for (intptr_t i = 0; i < WG_N; i++) {
		send_int(chanwg, 1);
		goc_go(wg_worker, (void *)i);
	}
	for (size_t i = 0; i < goc_chan_cap(chanwg); i++)
		send_int(chanwg, 1);
	int sum = 0;
	for (int i = 0; i < WG_N; i++)
		sum += wgdata[i];
	return sum == 42 * WG_N ? 0 : 1;
}

static goc_chan_t *cip;

static void
blocked_sender(void *a)
{
	(void)a;
	static int i;
	i = 42;
	int *p = &i;
	goc_chan_send(cip, &p);
}

/* The sender synchronizes with the receiver even when it was blocked. */
RACE_CASE(NoRaceBlockedSendSync, expect_no_race)
{
	(void)arg;
	cip = goc_chan_make(sizeof(int *), 1);
	int *p = NULL;
	goc_chan_send(cip, &p);
	goc_go(blocked_sender, NULL);
	goc_sleep(10 * 1000 * 1000);
	goc_chan_recv(cip, &p);
	goc_chan_recv(cip, &p);
	return *p == 42 ? 0 : 1;
}

RACE_CASE(NoRaceBlockedSelectSendSync, expect_no_race)
{
	(void)arg;
	cip = goc_chan_make(sizeof(int *), 1);
	int *p = NULL;
	goc_chan_send(cip, &p);
	goc_go(blocked_sender, NULL);
	goc_sleep(10 * 1000 * 1000);
	goc_chan_recv(cip, &p);
	goc_chan_t *never = goc_chan_make(sizeof(int), 0);
	int e;
	goc_case_t cs[] = {GOC_RECV(cip, &p), GOC_RECV(never, &e)};
	goc_select(cs, 2);
	return *p == 42 ? 0 : 1;
}

/* C passes values by pointer: a receive into a variable another goroutine
 * reads unsynchronised is a race the receiver makes. */
static void
read_x_done(void *a)
{
	(void)a;
	v = x;
	send_int(done, 1);
}

RACE_CASE(RaceChanRecvIntoShared, expect_race)
{
	(void)arg;
	done = goc_chan_make(sizeof(int), 0);
	c = goc_chan_make(sizeof(int), 1);
	send_int(c, 5);
	goc_go(read_x_done, NULL);
	goc_chan_recv(c, &x);
	recv_int(done);
	return 0;
}
