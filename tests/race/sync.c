/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The race detector on sync, atomics and timers: Go's runtime/race
 * testdata mutex_test.go, rwmutex_test.go, waitgroup_test.go,
 * sync_test.go and atomic_test.go cases (see tests/race/chan.c for the
 * rules), and context's edges. Cases that recover from a panic in Go
 * have no C form.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <goconc.h>

#include "race.h"

/* Not static: the compiler must keep every store (see chan.c). */
int x, y, data3[3];
goc_chan_t *ch;
goc_mutex_t mu, mu1, mu2;
goc_rwmutex_t rw;
goc_wg_t wg;

static void
send1(void)
{
	int t = 1;
	goc_chan_send(ch, &t);
}

static void
recv1(void)
{
	int t;
	goc_chan_recv(ch, &t);
}

/* ---- Mutex -------------------------------------------------------- */

static void
locked_x1(void *a)
{
	(void)a;
	goc_mutex_lock(&mu);
	x = 1;
	goc_mutex_unlock(&mu);
	send1();
}

static void
locked_x2(void *a)
{
	(void)a;
	goc_mutex_lock(&mu);
	x = 2;
	goc_mutex_unlock(&mu);
	send1();
}

RACE_CASE(NoRaceMutex, expect_no_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 2);
	goc_go(locked_x1, NULL);
	goc_go(locked_x2, NULL);
	recv1();
	recv1();
	return 0;
}

static void
x1_then_lock(void *a)
{
	(void)a;
	x = 1;
	goc_mutex_lock(&mu);
	goc_mutex_unlock(&mu);
	send1();
}

static void
x2_then_lock(void *a)
{
	(void)a;
	x = 2;
	goc_mutex_lock(&mu);
	goc_mutex_unlock(&mu);
	send1();
}

RACE_CASE(RaceMutex, expect_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 2);
	goc_go(x1_then_lock, NULL);
	goc_go(x2_then_lock, NULL);
	recv1();
	recv1();
	return 0;
}

static void
mu1_x1(void *a)
{
	(void)a;
	goc_mutex_lock(&mu1);
	x = 1;
	goc_mutex_unlock(&mu1);
	send1();
}

static void
mu2_x2(void *a)
{
	(void)a;
	goc_mutex_lock(&mu2);
	x = 2;
	goc_mutex_unlock(&mu2);
	send1();
}

RACE_CASE(RaceMutex2, expect_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 2);
	goc_go(mu1_x1, NULL);
	goc_go(mu2_x2, NULL);
	recv1();
	recv1();
	return 0;
}

static void
x1_unlock(void *a)
{
	(void)a;
	x = 1;
	goc_mutex_unlock(&mu);
	send1();
}

/* Go's TestNoRaceMutexSemaphore: unlocked by another goroutine. */
RACE_CASE(NoRaceMutexSemaphore, expect_no_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 2);
	goc_mutex_lock(&mu);
	goc_go(x1_unlock, NULL);
	goc_go(locked_x2, NULL);
	recv1();
	recv1();
	return 0;
}

static void
try_locked_x1(void *a)
{
	(void)a;
	while (!goc_mutex_try_lock(&mu))
		goc_yield();
	x = 1;
	goc_mutex_unlock(&mu);
	send1();
}

RACE_CASE(NoRaceMutexTryLock, expect_no_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 2);
	goc_go(try_locked_x1, NULL);
	goc_go(locked_x2, NULL);
	recv1();
	recv1();
	return 0;
}

static void
overwrite_mu(void *a)
{
	(void)a;
	mu = (goc_mutex_t)GOC_MUTEX_INIT;
	send1();
}

/* Go's TestRaceMutexOverwrite. */
RACE_CASE(RaceMutexOverwrite, expect_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 1);
	goc_go(overwrite_mu, NULL);
	goc_mutex_lock(&mu);
	recv1();
	return 0;
}

/* ---- RWMutex ------------------------------------------------------ */

static void
rw_writer(void *a)
{
	goc_rwmutex_lock(&rw);
	x = (int)(intptr_t)a;
	goc_rwmutex_unlock(&rw);
	send1();
}

static void
rw_reader(void *a)
{
	(void)a;
	goc_rwmutex_rlock(&rw);
	y = x;
	goc_rwmutex_runlock(&rw);
	send1();
}

RACE_CASE(NoRaceRWMutex, expect_no_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 3);
	goc_go(rw_writer, (void *)1);
	goc_go(rw_writer, (void *)2);
	goc_go(rw_reader, NULL);
	recv1();
	recv1();
	recv1();
	return 0;
}

static void
rw_reader_writes(void *a)
{
	goc_rwmutex_rlock(&rw);
	x = (int)(intptr_t)a;
	goc_rwmutex_runlock(&rw);
	send1();
}

/* Go's TestRaceRWMutexMultipleReaders: readers do not exclude readers. */
RACE_CASE(RaceRWMutexMultipleReaders, expect_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 2);
	goc_go(rw_reader_writes, (void *)1);
	goc_go(rw_reader_writes, (void *)2);
	recv1();
	recv1();
	return 0;
}

/* ---- WaitGroup ---------------------------------------------------- */

static void
x_done(void *a)
{
	x = (int)(intptr_t)a;
	goc_wg_done(&wg);
}

RACE_CASE(NoRaceWaitGroup2, expect_no_race)
{
	(void)arg;
	goc_wg_add(&wg, 1);
	goc_go(x_done, (void *)1);
	goc_wg_wait(&wg);
	x = 2;
	return 0;
}

RACE_CASE(RaceWaitGroup, expect_race)
{
	(void)arg;
	for (intptr_t i = 0; i < 2; i++) {
		goc_wg_add(&wg, 1);
		goc_go(x_done, (void *)i);
	}
	goc_wg_wait(&wg);
	return 0;
}

/* Go's TestRaceWaitGroup2: correct usage, still a race. */
RACE_CASE(RaceWaitGroup2, expect_race)
{
	(void)arg;
	goc_wg_add(&wg, 2);
	goc_go(x_done, (void *)1);
	goc_go(x_done, (void *)2);
	goc_wg_wait(&wg);
	return 0;
}

static void
data_done(void *a)
{
	data3[(intptr_t)a]++;
	goc_wg_done(&wg);
}

/* Go's TestNoRaceWaitGroupReuse. */
RACE_CASE(NoRaceWaitGroupReuse, expect_no_race)
{
	(void)arg;
	for (int try = 0; try < 3; try++) {
		goc_wg_add(&wg, 3);
		for (intptr_t p = 0; p < 3; p++)
			goc_go(data_done, (void *)p);
		goc_wg_wait(&wg);
		for (int p = 0; p < 3; p++)
			data3[p]++;
	}
	return data3[0] == 6 ? 0 : 1;
}

static void
wait_then_read(void *a)
{
	(void)a;
	goc_wg_wait(&wg);
	if (data3[0] + data3[1] + data3[2] != 3 * 42)
		abort();
	send1();
}

static void
data_set_done(void *a)
{
	data3[(intptr_t)a] = 42;
	goc_wg_done(&wg);
}

/* Go's TestNoRaceWaitGroupMultipleWait3. */
RACE_CASE(NoRaceWaitGroupMultipleWait3, expect_no_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 3);
	goc_wg_add(&wg, 3);
	for (intptr_t p = 0; p < 3; p++)
		goc_go(data_set_done, (void *)p);
	for (int p = 0; p < 3; p++)
		goc_go(wait_then_read, NULL);
	for (int p = 0; p < 3; p++)
		recv1();
	return 0;
}

static void
wg_go_x1(void *a)
{
	(void)a;
	x = 1;
}

RACE_CASE(NoRaceWaitGroupGo, expect_no_race)
{
	(void)arg;
	goc_wg_go(&wg, wg_go_x1, NULL);
	goc_wg_wait(&wg);
	x = 2;
	return 0;
}

/* ---- Cond, Once --------------------------------------------------- */

goc_cond_t cond;
int condition;

static void
cond_signaller(void *a)
{
	(void)a;
	x = 1;
	goc_mutex_lock(&mu);
	condition = 1;
	goc_cond_signal(&cond);
	goc_mutex_unlock(&mu);
}

RACE_CASE(NoRaceCond, expect_no_race)
{
	(void)arg;
	goc_cond_init(&cond, &mu);
	goc_go(cond_signaller, NULL);
	goc_mutex_lock(&mu);
	while (condition != 1)
		goc_cond_wait(&cond, &mu);
	goc_mutex_unlock(&mu);
	x = 2;
	return 0;
}

goc_once_t once;

static void
once_fn(void *a)
{
	(void)a;
	x = 42;
}

static void
once_reader(void *a)
{
	(void)a;
	goc_once_do(&once, once_fn, NULL);
	if (x != 42)
		abort();
	send1();
}

RACE_CASE(NoRaceOnce, expect_no_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 2);
	goc_go(once_reader, NULL);
	goc_go(once_reader, NULL);
	goc_once_do(&once, once_fn, NULL);
	if (x != 42)
		abort();
	recv1();
	recv1();
	return 0;
}

/* ---- Pool --------------------------------------------------------- */

goc_pool_t pool;
int pooled;

static void
pool_putter(void *a)
{
	(void)a;
	pooled = 7;
	goc_pool_put(&pool, &pooled);
	send1();
}

/* A Put is ordered before the Get that returns the same object. One P,
 * so the object the putter leaves in its P's private slot is the one the
 * getter finds (private slots are not stolen). */
RACE_CASE(NoRacePoolPutGet, expect_no_race)
{
	(void)arg;
	goc_maxprocs(1);
	ch = goc_chan_make(sizeof(int), 1);
	goc_pool_init(&pool, NULL, NULL, NULL);
	goc_go(pool_putter, NULL);
	int *p;
	while ((p = goc_pool_get(&pool)) == NULL)
		goc_yield();
	*p = 8;
	recv1();
	goc_pool_destroy(&pool);
	return 0;
}

/* ---- atomic value, AfterFunc -------------------------------------- */

goc_atomic_value_t box;
static const char box_tag[] = "int";

static void
box_publisher(void *a)
{
	(void)a;
	x = 5;
	goc_atomic_value_store(&box, box_tag, &x);
}

RACE_CASE(NoRaceAtomicValue, expect_no_race)
{
	(void)arg;
	goc_go(box_publisher, NULL);
	int *p;
	while ((p = goc_atomic_value_load(&box)) == NULL)
		goc_yield();
	return *p == 5 ? 0 : 1;
}

static void
after_x1_send(void *a)
{
	(void)a;
	x = 1;
	send1();
}

static void
after_x2_send(void *a)
{
	(void)a;
	x = 2;
	send1();
}

/* Go's TestNoRaceAfterFunc3: the caller's writes reach the function. */
RACE_CASE(NoRaceAfterFunc3, expect_no_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 1);
	x = 0;
	goc_timer_t *t = goc_after_func(10 * 1000 * 1000, after_x1_send, NULL);
	recv1();
	goc_timer_release(t);
	return 0;
}

/* Go's TestRaceAfterFunc3: two functions are not ordered. */
RACE_CASE(RaceAfterFunc3, expect_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 2);
	goc_timer_t *t1 = goc_after_func(10 * 1000 * 1000, after_x1_send, NULL);
	goc_timer_t *t2 = goc_after_func(20 * 1000 * 1000, after_x2_send, NULL);
	recv1();
	recv1();
	goc_timer_release(t1);
	goc_timer_release(t2);
	return 0;
}

/* ---- go statement ------------------------------------------------- */

static void
reads_x(void *a)
{
	(void)a;
	y = x;
	send1();
}

RACE_CASE(NoRaceGoStatement, expect_no_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 1);
	x = 3;
	goc_go(reads_x, NULL);
	recv1();
	return 0;
}

RACE_CASE(RaceGoStatementAfter, expect_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 1);
	goc_go(reads_x, NULL);
	x = 3;
	recv1();
	return 0;
}

/* ---- context ------------------------------------------------------ */

goc_ctx_t *cctx;

static void
x1_cancel(void *a)
{
	(void)a;
	x = 1;
	goc_ctx_cancel(cctx);
}

/* Cancel closes done: a receive that sees it is ordered after. */
RACE_CASE(NoRaceContextDone, expect_no_race)
{
	(void)arg;
	cctx = goc_ctx_with_cancel(goc_ctx_background());
	goc_go(x1_cancel, NULL);
	goc_chan_recv(goc_ctx_done(cctx), NULL);
	x = 2;
	goc_ctx_release(cctx);
	return 0;
}

/* Err reports the cancel under the context's lock (Go's Err): ordered. */
RACE_CASE(NoRaceContextErr, expect_no_race)
{
	(void)arg;
	cctx = goc_ctx_with_cancel(goc_ctx_background());
	goc_go(x1_cancel, NULL);
	while (goc_ctx_err(cctx) == 0)
		goc_yield();
	x = 2;
	goc_ctx_release(cctx);
	return 0;
}

static void
x1_then_done(void *a)
{
	(void)a;
	goc_chan_recv(goc_ctx_done(cctx), NULL);
	x = 1;
	send1();
}

/* Two goroutines released by the same cancel are not ordered. */
RACE_CASE(RaceContextTwoWaiters, expect_race)
{
	(void)arg;
	ch = goc_chan_make(sizeof(int), 2);
	cctx = goc_ctx_with_cancel(goc_ctx_background());
	goc_go(x1_then_done, NULL);
	goc_go(x1_then_done, NULL);
	goc_ctx_cancel(cctx);
	recv1();
	recv1();
	goc_ctx_release(cctx);
	return 0;
}
