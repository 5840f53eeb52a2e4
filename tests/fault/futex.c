/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Spurious futex wake-ups (--enable-faults): with every futex wait
 * returning at once at random (GOC_FAULT_FUTEX, one in two), the blocking
 * primitives must still behave: nothing lost or duplicated on channels,
 * mutual exclusion, WaitGroup waits for all, sleeps and timers never end
 * early. The waits that use futexes are those of plain threads (foreign
 * threads blocking on the library), idle Ms and the M that sleeps until
 * the next timer, so every case has a plain thread in it.
 */
#include "config.h"

#include <pthread.h>

#include "fault_test.h"

static void
arm_spurious(void)
{
	goc__fault_arm_random(GOC_FAULT_FUTEX, 2, goc_test_seed());
}

static void
check_fired(void)
{
	uint64_t fired = goc__fault_fired(GOC_FAULT_FUTEX);
	goc__fault_disarm_all();
	goc_test_note("%" PRIu64 " spurious futex returns of %" PRIu64, fired,
		      goc__fault_count(GOC_FAULT_FUTEX));
	expect_uint_gt(fired, 0);
}

/* ---- channels: a goroutine and a plain thread trade in order ------ */

struct pingpong {
	goc_chan_t *ping, *pong;
	long n;
	bool bad; /* (atomic) */
	goc_wg_t wg;
};

static void *
thread_echo(void *arg)
{
	struct pingpong *pp = arg;
	int64_t v;
	for (long i = 0; i < pp->n; i++) {
		if (!goc_chan_recv(pp->ping, &v) || v != i)
			__atomic_store_n(&pp->bad, true, __ATOMIC_RELAXED);
		goc_chan_send(pp->pong, &v);
	}
	return NULL;
}

static void
chan_g(void *arg)
{
	struct pingpong *pp = arg;
	int64_t v;
	for (long i = 0; i < pp->n; i++) {
		v = i;
		goc_chan_send(pp->ping, &v);
		if (!goc_chan_recv(pp->pong, &v) || v != i)
			__atomic_store_n(&pp->bad, true, __ATOMIC_RELAXED);
	}
	goc_wg_done(&pp->wg);
}

GOC_TEST(chan_pingpong)
{
	struct pingpong pp = {.ping = goc_chan_make(sizeof(int64_t), 0),
			      .pong = goc_chan_make(sizeof(int64_t), 1),
			      .n = goc_test_scaled(3000)};
	pthread_t t;
	require_ptr_ne(pp.ping, NULL);
	require_ptr_ne(pp.pong, NULL);
	arm_spurious();
	/* Not under goc_run: the plain thread may not have blocked (and
	 * registered) before the goroutine does, which would read as a
	 * deadlock (SPEC §10). Spawning from this thread registers it. */
	goc_wg_add(&pp.wg, 1);
	require_int_eq(goc_go(chan_g, &pp), 0);
	require_int_eq(pthread_create(&t, NULL, thread_echo, &pp), 0);
	goc_wg_wait(&pp.wg);
	pthread_join(t, NULL);
	check_fired();
	expect_false(pp.bad);
	goc_chan_release(pp.ping);
	goc_chan_release(pp.pong);
}

/* ---- mutex: goroutines and plain threads share a counter ---------- */

struct counter {
	goc_mutex_t mu;
	long value; /* guarded by mu, non-atomic on purpose */
	long per;
	goc_wg_t wg;
};

static void
add_many(struct counter *c)
{
	for (long i = 0; i < c->per; i++) {
		goc_mutex_lock(&c->mu);
		long v = c->value;
		if (i % 64 == 0)
			goc_yield();
		c->value = v + 1;
		goc_mutex_unlock(&c->mu);
	}
}

static void
add_g(void *arg)
{
	add_many(arg);
	goc_wg_done(&((struct counter *)arg)->wg);
}

static void *
add_thread(void *arg)
{
	add_many(arg);
	return NULL;
}

/*
 * Not under goc_run: a plain thread that holds the mutex before it ever
 * blocks is not registered with the runtime, and goroutines waiting for
 * it would read as a deadlock (SPEC §10: detection assumes registered
 * foreign threads). Spawning from this thread registers it.
 */
GOC_TEST(mutex_counter)
{
	struct counter c = {.per = goc_test_scaled(5000)};
	pthread_t t[2];
	goc_maxprocs(2);
	arm_spurious();
	for (int i = 0; i < 4; i++) {
		goc_wg_add(&c.wg, 1);
		require_int_eq(goc_go(add_g, &c), 0);
	}
	for (int i = 0; i < 2; i++)
		require_int_eq(pthread_create(&t[i], NULL, add_thread, &c), 0);
	add_many(&c);
	goc_wg_wait(&c.wg);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	check_fired();
	goc_mutex_lock(&c.mu);
	expect_int_eq(c.value, 7 * c.per);
	goc_mutex_unlock(&c.mu);
}

/* ---- WaitGroup: a plain thread waits for goroutines that sleep ---- */

static int done_count; /* (atomic) */

static void
sleeper(void *arg)
{
	goc_sleep(GOC_MILLISECOND);
	__atomic_add_fetch(&done_count, 1, __ATOMIC_RELAXED);
	goc_wg_done(arg);
}

GOC_TEST(waitgroup)
{
	goc_wg_t wg = {0};
	int n = (int)goc_test_scaled(64);
	arm_spurious();
	for (int i = 0; i < n; i++) {
		goc_wg_add(&wg, 1);
		require_int_eq(goc_go(sleeper, &wg), 0);
	}
	goc_wg_wait(&wg);
	/* Relaxed: goc_wg_wait is synchronized after every goc_wg_done. */
	expect_int_eq(__atomic_load_n(&done_count, __ATOMIC_RELAXED), n);
	check_fired();
}

/* ---- sleeps and timers never end early ---------------------------- */

static int64_t slept_min; /* (atomic) the shortest goroutine sleep seen */

static void
timed_sleep(void *arg)
{
	for (int i = 0; i < 10; i++) {
		int64_t t0 = goc_now();
		goc_sleep(2 * GOC_MILLISECOND);
		int64_t d = goc_now() - t0;
		int64_t m = __atomic_load_n(&slept_min, __ATOMIC_RELAXED);
		/* Relaxed: a minimum, read after goc_wg_wait. */
		while (d < m && !__atomic_compare_exchange_n(
					&slept_min, &m, d, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
	goc_wg_done(arg);
}

GOC_TEST(sleep_and_timers)
{
	goc_wg_t wg = {0};
	slept_min = INT64_MAX;
	arm_spurious();
	for (int i = 0; i < 4; i++) {
		goc_wg_add(&wg, 1);
		require_int_eq(goc_go(timed_sleep, &wg), 0);
	}
	/* This thread: plain sleeps and timer channels. */
	for (int i = 0; i < 10; i++) {
		int64_t t0 = goc_now();
		goc_sleep(2 * GOC_MILLISECOND);
		expect_int_ge(goc_now() - t0, 2 * GOC_MILLISECOND);
		t0 = goc_now();
		goc_chan_t *c = goc_after(2 * GOC_MILLISECOND);
		require_ptr_ne(c, NULL);
		int64_t when = 0;
		expect_true(goc_chan_recv(c, &when));
		expect_int_ge(when - t0, 2 * GOC_MILLISECOND);
		goc_chan_release(c);
	}
	goc_wg_wait(&wg);
	expect_int_ge(__atomic_load_n(&slept_min, __ATOMIC_RELAXED),
		      2 * GOC_MILLISECOND);
	check_fired();
}

/* ---- Cond: a bounded queue between a goroutine and a plain thread - */

#define QCAP 4

struct queue {
	goc_mutex_t mu;
	goc_cond_t not_empty, not_full;
	long items, produced, taken, n;
};

static void
producer(void *arg)
{
	struct queue *q = arg;
	goc_mutex_lock(&q->mu);
	while (q->produced < q->n) {
		while (q->items == QCAP)
			goc_cond_wait(&q->not_full, NULL);
		q->items++;
		q->produced++;
		goc_cond_signal(&q->not_empty);
	}
	goc_mutex_unlock(&q->mu);
}

GOC_TEST(cond)
{
	struct queue q = {.n = goc_test_scaled(5000)};
	goc_cond_init(&q.not_empty, &q.mu);
	goc_cond_init(&q.not_full, &q.mu);
	arm_spurious();
	require_int_eq(goc_go(producer, &q), 0);
	goc_mutex_lock(&q.mu);
	while (q.taken < q.n) {
		while (q.items == 0)
			goc_cond_wait(&q.not_empty, NULL);
		/* Never more than was produced, nor than fits. */
		expect_int_le(q.items, QCAP);
		expect_int_le(q.taken + q.items, q.produced);
		q.taken += q.items;
		q.items = 0;
		goc_cond_signal(&q.not_full);
	}
	goc_mutex_unlock(&q.mu);
	expect_int_eq(q.taken, q.n);
	check_fired();
}
