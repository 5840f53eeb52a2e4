/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Channels through the public API, after Go's runtime/chan_test.go
 * (TestChan, TestNonblockRecvRace, TestMultiConsumer,
 * TestShrinkStackDuringBlockedSend's stack-to-stack hand-off),
 * test/chancap.go, test/closedchan.go, test/chan/zerosize.go, and the
 * channel rules of Go's memory model (doc/go_mem.html). Waiting is done on
 * channels or on atomics with goc_yield, never with sleeps.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <goconc.h>

#include "../harness.h"

static void
wait_for(goc_atomic_int64_t *v, int64_t want)
{
	while (goc_atomic_int64_load(v) < want)
		goc_yield();
}

/* Yields a while: used only to give a goroutine that must stay blocked
 * the chance to (wrongly) proceed; never to wait for something. */
static void
yield_some(void)
{
	for (int i = 0; i < 50; i++)
		goc_yield();
}

static long
chan_caps(void)
{
	/* Go runs 0..199, 20 in short mode. */
	long n = goc_test_scaled(20);
	return n < 3 ? 3 : n;
}

/* ---- TestChan --------------------------------------------------------- */

struct blocker {
	goc_chan_t *c;
	goc_atomic_int64_t done;
	int v;
};

static void
recv_blocker(void *arg)
{
	struct blocker *b = arg;
	int v = -1;
	bool ok = goc_chan_recv(b->c, &v);
	b->v = ok ? v : -100;
	goc_atomic_int64_store(&b->done, 1);
}

static void
send_blocker(void *arg)
{
	struct blocker *b = arg;
	int v = 7;
	goc_chan_send(b->c, &v);
	goc_atomic_int64_store(&b->done, 1);
}

struct pc {
	goc_chan_t *c;
	goc_chan_t *done;
	int n;
};

static void
producer(void *arg)
{
	struct pc *p = arg;
	for (int i = 0; i < p->n; i++)
		goc_chan_send(p->c, &i);
	goc_chan_send(p->done, NULL);
}

struct mp {
	goc_chan_t *c;
	goc_chan_t *res;
	int n;
};

static void
mp_producer(void *arg)
{
	struct mp *p = arg;
	/* Copies: once the last value is taken, main may end p's scope. */
	goc_chan_t *c = p->c;
	int n = p->n;
	for (int i = 0; i < n; i++)
		goc_chan_send(c, &i);
}

static void
mp_consumer(void *arg)
{
	struct mp *p = arg;
	int64_t *counts = calloc((size_t)p->n, sizeof(*counts));
	for (int i = 0; i < p->n; i++) {
		int v;
		goc_chan_recv(p->c, &v);
		counts[v]++;
	}
	goc_chan_send(p->res, &counts);
}

static int
chan_main(void *arg)
{
	(void)arg;
	long caps = chan_caps();
	for (size_t cap = 0; cap < (size_t)caps; cap++) {
		/* 1. Receive from an empty channel blocks; a non-blocking one
		 * fails. */
		{
			goc_chan_t *c = goc_chan_make(sizeof(int), cap);
			int v;
			expect_int_eq(goc_chan_try_recv(c, &v),
				      GOC_CHAN_WOULDBLOCK);
			struct blocker b = {.c = c};
			goc_go(recv_blocker, &b);
			yield_some();
			expect_int_eq(goc_atomic_int64_load(&b.done), 0);
			v = 0;
			goc_chan_send(c, &v);
			wait_for(&b.done, 1);
			expect_int_eq(b.v, 0);
			goc_chan_release(c);
		}
		/* 2. Send to a full channel blocks; non-blocking fails. */
		{
			goc_chan_t *c = goc_chan_make(sizeof(int), cap);
			for (size_t i = 0; i < cap; i++) {
				int v = (int)i;
				expect_true(goc_chan_try_send(c, &v));
			}
			int v = 0;
			expect_false(goc_chan_try_send(c, &v));
			struct blocker b = {.c = c};
			goc_go(send_blocker, &b);
			yield_some();
			expect_int_eq(goc_atomic_int64_load(&b.done), 0);
			goc_chan_recv(c, &v);
			wait_for(&b.done, 1);
			goc_chan_release(c);
		}
		/* 3. A closed channel yields its values in order, then zero
		 * and false, repeatedly. */
		{
			goc_chan_t *c = goc_chan_make(sizeof(int), cap);
			for (size_t i = 0; i < cap; i++) {
				int v = (int)i + 1;
				goc_chan_send(c, &v);
			}
			goc_chan_close(c);
			for (size_t i = 0; i < cap; i++) {
				int v = -1;
				expect_true(goc_chan_recv(c, &v));
				expect_int_eq(v, (int)i + 1);
			}
			for (int k = 0; k < 3; k++) {
				int v = 99;
				expect_false(goc_chan_recv(c, &v));
				expect_int_eq(v, 0);
				v = 99;
				expect_int_eq(goc_chan_try_recv(c, &v),
					      GOC_CHAN_CLOSED);
				expect_int_eq(v, 0);
			}
			goc_chan_release(c);
		}
		/* 4. Close unblocks a parked receiver with (0, false). */
		{
			goc_chan_t *c = goc_chan_make(sizeof(int), cap);
			struct blocker b = {.c = c};
			goc_go(recv_blocker, &b);
			yield_some();
			goc_chan_close(c);
			wait_for(&b.done, 1);
			expect_int_eq(b.v, -100);
			goc_chan_release(c);
		}
		/* 5. FIFO order for one sender. */
		{
			goc_chan_t *c = goc_chan_make(sizeof(int), cap);
			goc_chan_t *done = goc_chan_make(0, 0);
			struct pc p = {c, done, 100};
			goc_go(producer, &p);
			for (int i = 0; i < 100; i++) {
				int v = -1;
				expect_true(goc_chan_recv(c, &v));
				expect_int_eq(v, i);
			}
			goc_chan_recv(done, NULL);
			goc_chan_release(c);
			goc_chan_release(done);
		}
		/* 6. 4 producers x n values, 4 consumers: each value arrives
		 * exactly 4 times. */
		{
			int n = (int)goc_test_scaled(1000);
			goc_chan_t *c = goc_chan_make(sizeof(int), cap);
			goc_chan_t *res = goc_chan_make(sizeof(int64_t *), 0);
			struct mp p = {c, res, n};
			for (int i = 0; i < 4; i++) {
				goc_go(mp_producer, &p);
				goc_go(mp_consumer, &p);
			}
			int64_t *total = calloc((size_t)n, sizeof(*total));
			for (int i = 0; i < 4; i++) {
				int64_t *counts;
				goc_chan_recv(res, &counts);
				for (int j = 0; j < n; j++)
					total[j] += counts[j];
				free(counts);
			}
			for (int j = 0; j < n; j++)
				if (total[j] != 4)
					goc_test_fail("cap %zu: value %d seen "
						      "%lld times",
						      cap, j,
						      (long long)total[j]);
			free(total);
			goc_chan_release(c);
			goc_chan_release(res);
		}
		/* 7. len and cap (test/chancap.go). */
		{
			goc_chan_t *c = goc_chan_make(sizeof(int), cap);
			expect_uint_eq(goc_chan_len(c), 0);
			expect_uint_eq(goc_chan_cap(c), cap);
			for (size_t i = 0; i < cap; i++)
				goc_chan_send(c, &(int){1});
			expect_uint_eq(goc_chan_len(c), cap);
			goc_chan_release(c);
		}
	}
	return 0;
}

GOC_TEST(chan_capacity_matrix)
{
	/* After Go's TestChan. */
	expect_int_eq(goc_run(chan_main, NULL), 0);
}

GOC_TEST(chancap_nil)
{
	expect_uint_eq(goc_chan_len(NULL), 0);
	expect_uint_eq(goc_chan_cap(NULL), 0);
	int v = 5;
	expect_false(goc_chan_try_send(NULL, &v));
	expect_int_eq(goc_chan_try_recv(NULL, &v), GOC_CHAN_WOULDBLOCK);
}

GOC_TEST(chan_ops_from_plain_thread)
{
	/* Channel operations work outside any goroutine, without goc_run. */
	goc_chan_t *c = goc_chan_make(sizeof(long), 2);
	long v = 11;
	goc_chan_send(c, &v);
	v = 12;
	expect_true(goc_chan_try_send(c, &v));
	expect_false(goc_chan_try_send(c, &v));
	expect_true(goc_chan_recv(c, &v));
	expect_int_eq(v, 11);
	expect_int_eq(goc_chan_try_recv(c, &v), GOC_CHAN_OK);
	expect_int_eq(v, 12);
	goc_chan_release(goc_chan_retain(c));
	goc_chan_release(c);
}

/* ---- closedchan.go ---------------------------------------------------- */

GOC_TEST(closedchan)
{
	/* After Go's test/closedchan.go (plain, try and select forms of
	 * receive; the panicking sends are in tests/death/chan.c). */
	for (size_t cap = 0; cap < 2; cap++) {
		goc_chan_t *c = goc_chan_make(sizeof(int), cap);
		goc_chan_close(c);
		int v = 3;
		bool ok = true;
		expect_false(goc_chan_recv(c, &v));
		expect_int_eq(v, 0);
		v = 3;
		expect_int_eq(goc_chan_try_recv(c, &v), GOC_CHAN_CLOSED);
		expect_int_eq(v, 0);
		goc_case_t one[] = {GOC_RECV_OK(c, &v, &ok)};
		v = 3;
		expect_int_eq(goc_select_try(one, 1), 0);
		expect_false(ok);
		expect_int_eq(v, 0);
		goc_chan_t *never = goc_chan_make(sizeof(int), 0);
		goc_case_t two[] = {GOC_RECV(never, &v),
				    GOC_RECV_OK(c, &v, &ok)};
		ok = true;
		expect_int_eq(goc_select(two, 2), 1);
		expect_false(ok);
		ok = true;
		expect_int_eq(goc_select_try(two, 2), 1);
		expect_false(ok);
		goc_chan_release(never);
		goc_chan_release(c);
	}
}

/* ---- TestNonblockRecvRace --------------------------------------------- */

struct nbr {
	goc_chan_t *c;
	goc_atomic_int64_t bad;
	goc_chan_t *done;
};

static void
nbr_recv(void *arg)
{
	struct nbr *x = arg;
	int v;
	if (goc_chan_try_recv(x->c, &v) == GOC_CHAN_WOULDBLOCK)
		goc_atomic_int64_add(&x->bad, 1);
	goc_chan_send(x->done, NULL);
}

static int
nbr_main(void *arg)
{
	(void)arg;
	long n = goc_test_scaled(10000);
	struct nbr x = {.done = goc_chan_make(0, 0)};
	for (long i = 0; i < n; i++) {
		x.c = goc_chan_make(sizeof(int), 1);
		goc_chan_send(x.c, &(int){1});
		goc_go(nbr_recv, &x);
		goc_chan_close(x.c);
		goc_chan_recv(x.done, NULL);
		goc_chan_release(x.c);
	}
	goc_chan_release(x.done);
	return (int)goc_atomic_int64_load(&x.bad);
}

GOC_TEST(nonblock_recv_race)
{
	/* A receive racing close never reports "would block": the value was
	 * there before the close (Go's re-check after seeing closed). */
	int old = goc_maxprocs(2);
	expect_int_eq(goc_run(nbr_main, NULL), 0);
	goc_maxprocs(old);
}

/* ---- TestMultiConsumer ------------------------------------------------ */

struct mc {
	goc_chan_t *q, *r;
	goc_atomic_int64_t live;
};

static void
mc_worker(void *arg)
{
	struct mc *m = arg;
	int v;
	while (goc_chan_recv(m->q, &v)) {
		if (v % 3 == 0)
			goc_yield();
		goc_chan_send(m->r, &v);
	}
	if (goc_atomic_int64_add(&m->live, -1) == 0)
		goc_chan_close(m->r);
}

static void
mc_feeder(void *arg)
{
	struct mc *m = arg;
	long n = goc_test_scaled(5000);
	for (int i = 0; i < n; i++)
		goc_chan_send(m->q, &i);
	goc_chan_close(m->q);
}

static int
mc_main(void *arg)
{
	(void)arg;
	const int nwork = 23;
	long n = goc_test_scaled(5000);
	struct mc m = {.q = goc_chan_make(sizeof(int), (size_t)nwork * 3),
		       .r = goc_chan_make(sizeof(int), (size_t)nwork * 3)};
	goc_atomic_int64_store(&m.live, nwork);
	for (int i = 0; i < nwork; i++)
		goc_go(mc_worker, &m);
	goc_go(mc_feeder, &m);
	long count = 0, sum = 0;
	int v;
	while (goc_chan_recv(m.r, &v)) {
		count++;
		sum += v;
	}
	expect_int_eq(count, n);
	expect_int_eq(sum, n * (n - 1) / 2);
	goc_chan_release(m.q);
	goc_chan_release(m.r);
	return 0;
}

GOC_TEST(multi_consumer)
{
	/* After Go's TestMultiConsumer: 23 workers range over a channel. */
	expect_int_eq(goc_run(mc_main, NULL), 0);
}

/* ---- zero-size and large elements ------------------------------------- */

static void
zs_sender(void *arg)
{
	for (int i = 0; i < 100; i++)
		goc_chan_send(arg, NULL);
	goc_chan_close(arg);
}

static int
zerosize_main(void *arg)
{
	(void)arg;
	for (size_t cap = 0; cap < 3; cap++) {
		goc_chan_t *c = goc_chan_make(0, cap);
		expect_uint_eq(goc_chan_cap(c), cap);
		goc_go(zs_sender, c);
		int n = 0;
		while (goc_chan_recv(c, NULL))
			n++;
		expect_int_eq(n, 100);
		goc_chan_release(c);
	}
	/* Huge capacity of zero-size elements needs no memory. */
	goc_chan_t *big = goc_chan_make(0, (size_t)1 << 40);
	expect_true(goc_chan_try_send(big, NULL));
	expect_uint_eq(goc_chan_len(big), 1);
	goc_chan_release(big);
	return 0;
}

GOC_TEST(zero_size_elements)
{
	/* After Go's test/chan/zerosize.go. */
	expect_int_eq(goc_run(zerosize_main, NULL), 0);
}

struct bigelem {
	unsigned char b[65535];
};

static void
big_sender(void *arg)
{
	static struct bigelem e; /* too big for a goroutine stack */
	for (size_t i = 0; i < sizeof(e.b); i++)
		e.b[i] = (unsigned char)(i * 7);
	goc_chan_send(arg, &e);
}

static int
bigelem_main(void *arg)
{
	(void)arg;
	goc_chan_t *c = goc_chan_make(sizeof(struct bigelem), 0);
	expect_ptr_ne(c, NULL);
	struct bigelem *e = calloc(1, sizeof(*e));
	goc_go(big_sender, c);
	goc_chan_recv(c, e);
	size_t bad = 0;
	for (size_t i = 0; i < sizeof(e->b); i++)
		bad += e->b[i] != (unsigned char)(i * 7);
	expect_uint_eq(bad, 0);
	free(e);
	goc_chan_release(c);
	return 0;
}

GOC_TEST(largest_element)
{
	/* 65535 bytes is the largest element Go accepts. */
	expect_int_eq(goc_run(bigelem_main, NULL), 0);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif

GOC_TEST(make_out_of_memory_is_null)
{
#ifdef SANITIZED
	/* Sanitizer allocators abort on huge requests instead. */
	goc_test_skip("sanitizer allocator");
	return;
#endif
	/* Below "size out of range", an allocation that fails is NULL. */
	goc_chan_t *c = goc_chan_make(1, (size_t)1 << 60);
	expect_ptr_eq(c, NULL);
}

/* ---- stack-to-stack hand-off ------------------------------------------ */

static void
stack_recv(void *arg)
{
	/* The receiver's element is on its own (fixed) stack while it is
	 * parked; the sender writes straight into it. */
	long local[4] = {0};
	goc_chan_recv(arg, local);
	goc_chan_send(arg, local);
}

static int
stack_main(void *arg)
{
	(void)arg;
	goc_chan_t *c = goc_chan_make(sizeof(long[4]), 0);
	goc_go(stack_recv, c);
	long v[4] = {1, 2, 3, 4}, w[4] = {0};
	goc_chan_send(c, v);
	goc_chan_recv(c, w);
	expect_int_eq(memcmp(v, w, sizeof(v)), 0);
	goc_chan_release(c);
	return 0;
}

GOC_TEST(direct_handoff_between_stacks)
{
	/* After Go's TestShrinkStackDuringBlockedSend (stacks do not move
	 * here; the pointers into a parked stack must stay valid). */
	expect_int_eq(goc_run(stack_main, NULL), 0);
}

/* ---- foreign threads -------------------------------------------------- */

struct ft {
	goc_chan_t *to_go, *from_go;
	long n;
};

static void *
ft_thread(void *arg)
{
	struct ft *f = arg;
	for (long i = 0; i < f->n; i++) {
		goc_chan_send(f->to_go, &i);
		long r = -1;
		goc_chan_recv(f->from_go, &r);
		if (r != i * 2)
			goc_test_fail("foreign got %ld for %ld", r, i);
	}
	goc_chan_close(f->to_go);
	return NULL;
}

static void
ft_doubler(void *arg)
{
	struct ft *f = arg;
	long v;
	while (goc_chan_recv(f->to_go, &v)) {
		v *= 2;
		goc_chan_send(f->from_go, &v);
	}
	goc_chan_close(f->from_go);
}

GOC_TEST(foreign_threads_and_goroutines)
{
	if (getenv("GOC_TEST_SIM") != NULL) /* --enable-sim: one OS thread */
		goc_test_skip("raw threads are not simulated");
	/* Unbuffered and buffered: a plain thread and a goroutine wake each
	 * other in both directions. */
	for (size_t cap = 0; cap < 2; cap++) {
		struct ft f = {goc_chan_make(sizeof(long), cap),
			       goc_chan_make(sizeof(long), cap),
			       goc_test_scaled(2000)};
		pthread_t t;
		pthread_create(&t, NULL, ft_thread, &f);
		goc_go(ft_doubler, &f);
		pthread_join(t, NULL);
		long v;
		expect_false(goc_chan_recv(f.from_go, &v));
		goc_chan_release(f.to_go);
		goc_chan_release(f.from_go);
	}
}

static void *
ff_sender(void *arg)
{
	for (long i = 0; i < 1000; i++)
		goc_chan_send(arg, &i);
	goc_chan_close(arg);
	return NULL;
}

GOC_TEST(foreign_to_foreign)
{
	if (getenv("GOC_TEST_SIM") != NULL) /* --enable-sim: one OS thread */
		goc_test_skip("raw threads are not simulated");
	/* Two plain threads, no goroutine at all: futex parking both ways. */
	goc_chan_t *c = goc_chan_make(sizeof(long), 0);
	pthread_t t;
	pthread_create(&t, NULL, ff_sender, c);
	long v, want = 0;
	while (goc_chan_recv(c, &v))
		expect_int_eq(v, want++);
	expect_int_eq(want, 1000);
	pthread_join(t, NULL);
	goc_chan_release(c);
}

/* ---- memory model (doc/go_mem.html) ----------------------------------- */

/* Plain (non-atomic) data handed over through channels: a missing edge
 * shows as a wrong value natively and as a race report under TSan. */
struct hb {
	goc_chan_t *c;
	goc_chan_t *done;
	long data[8];
	long n;
};

static void
hb_send_writer(void *arg)
{
	struct hb *h = arg;
	for (int i = 0; i < 8; i++)
		h->data[i] = 100 + i;
	goc_chan_send(h->c, &(int){1});
}

static void
hb_close_writer(void *arg)
{
	struct hb *h = arg;
	for (int i = 0; i < 8; i++)
		h->data[i] = 200 + i;
	goc_chan_close(h->c);
}

static void
hb_unbuf_reader(void *arg)
{
	struct hb *h = arg;
	/* Writes before the receive... */
	for (int i = 0; i < 8; i++)
		h->data[i] = 300 + i;
	goc_chan_recv(h->c, NULL);
	goc_chan_send(h->done, NULL);
}

static void
hb_sem_worker(void *arg)
{
	struct hb *h = arg;
	for (int i = 0; i < 200; i++) {
		goc_chan_send(h->c, NULL); /* acquire: the k+C-th send */
		h->n++;
		goc_chan_recv(h->c, NULL); /* release: the k-th receive */
	}
	goc_chan_send(h->done, NULL);
}

static int
hb_main(void *arg)
{
	(void)arg;
	long rounds = goc_test_scaled(200);
	for (long r = 0; r < rounds; r++) {
		/* A send is synchronized before the completion of the
		 * corresponding receive (buffered and unbuffered). */
		for (size_t cap = 0; cap < 2; cap++) {
			struct hb h = {.c = goc_chan_make(sizeof(int), cap)};
			goc_go(hb_send_writer, &h);
			goc_chan_recv(h.c, NULL);
			for (int i = 0; i < 8; i++)
				expect_int_eq(h.data[i], 100 + i);
			goc_chan_release(h.c);
		}
		/* A close is synchronized before a receive that returns
		 * because the channel is closed (blocking and try forms). */
		{
			struct hb h = {.c = goc_chan_make(sizeof(int), 0)};
			goc_go(hb_close_writer, &h);
			if (r % 2 == 0)
				expect_false(goc_chan_recv(h.c, NULL));
			else
				while (goc_chan_try_recv(h.c, NULL) !=
				       GOC_CHAN_CLOSED)
					goc_yield();
			for (int i = 0; i < 8; i++)
				expect_int_eq(h.data[i], 200 + i);
			goc_chan_release(h.c);
		}
		/* An unbuffered receive is synchronized before the
		 * completion of the corresponding send. */
		{
			struct hb h = {.c = goc_chan_make(0, 0),
				       .done = goc_chan_make(0, 1)};
			goc_go(hb_unbuf_reader, &h);
			goc_chan_send(h.c, NULL);
			for (int i = 0; i < 8; i++)
				expect_int_eq(h.data[i], 300 + i);
			goc_chan_recv(h.done, NULL);
			goc_chan_release(h.c);
			goc_chan_release(h.done);
		}
	}
	/* The k-th receive on a channel of capacity C is synchronized
	 * before the completion of the k+C-th send: a cap-1 channel as a
	 * mutex around a plain counter. */
	struct hb h = {.c = goc_chan_make(0, 1), .done = goc_chan_make(0, 0)};
	for (int i = 0; i < 4; i++)
		goc_go(hb_sem_worker, &h);
	for (int i = 0; i < 4; i++)
		goc_chan_recv(h.done, NULL);
	expect_int_eq(h.n, 800);
	goc_chan_release(h.c);
	goc_chan_release(h.done);
	return 0;
}

GOC_TEST(memory_model_channel_rules)
{
	int old = goc_maxprocs(2);
	expect_int_eq(goc_run(hb_main, NULL), 0);
	goc_maxprocs(old);
}
