/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * select through the public API, after Go's runtime/chan_test.go
 * (TestSelectFairness, TestPseudoRandomSend, TestSelfSelect,
 * TestSelectStress, TestSelectDuplicateChannel, TestNonblockSelectRace,
 * TestNonblockSelectRace2) and test/chan/select3.go, select6.go,
 * select7.go, doubleselect.go. Plus foreign threads in a select.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include <goconc.h>

#include "../harness.h"

static void
yield_some(void)
{
	for (int i = 0; i < 50; i++)
		goc_yield();
}

/* ---- TestSelectFairness ----------------------------------------------- */

static int
fairness_main(void *arg)
{
	(void)arg;
	const int trials = 10000;
	goc_chan_t *c1 = goc_chan_make(sizeof(int), (size_t)trials + 1);
	goc_chan_t *c2 = goc_chan_make(sizeof(int), (size_t)trials + 1);
	goc_chan_t *n1 = goc_chan_make(sizeof(int), 0);
	goc_chan_t *n2 = goc_chan_make(sizeof(int), 0);
	for (int i = 0; i < trials + 1; i++) {
		goc_chan_send(c1, &(int){1});
		goc_chan_send(c2, &(int){2});
	}
	int cnt[2] = {0, 0};
	for (int i = 0; i < trials; i++) {
		int v = 0;
		goc_case_t cs[] = {GOC_RECV(c1, &v), GOC_RECV(c2, &v),
				   GOC_RECV(n1, &v), GOC_RECV(n2, &v)};
		int k = goc_select(cs, 4);
		expect_int_eq(v, k + 1);
		cnt[k]++;
	}
	double r = (double)cnt[0] / trials;
	/* Go's six-nines bound. */
	double bound = 4.891676 / (2 * sqrt((double)trials));
	if (fabs(r - 0.5) > bound)
		goc_test_fail("unfair select: %d vs %d", cnt[0], cnt[1]);
	goc_chan_release(c1);
	goc_chan_release(c2);
	goc_chan_release(n1);
	goc_chan_release(n2);
	return 0;
}

GOC_TEST(select_fairness)
{
	expect_int_eq(goc_run(fairness_main, NULL), 0);
}

/* ---- TestPseudoRandomSend --------------------------------------------- */

struct prs {
	goc_chan_t *c;
	int n;
	int got[2];
	goc_chan_t *done;
};

static void
prs_recv(void *arg)
{
	struct prs *p = arg;
	for (int i = 0; i < p->n; i++) {
		int v;
		goc_chan_recv(p->c, &v);
		p->got[v]++;
	}
	goc_chan_send(p->done, NULL);
}

static int
prs_main(void *arg)
{
	(void)arg;
	for (size_t cap = 0; cap <= 100; cap += 100) {
		struct prs p = {goc_chan_make(sizeof(int), cap),
				100,
				{0, 0},
				goc_chan_make(0, 0)};
		goc_go(prs_recv, &p);
		int one = 1, zero = 0;
		for (int i = 0; i < p.n; i++) {
			goc_case_t cs[] = {GOC_SEND(p.c, &one),
					   GOC_SEND(p.c, &zero)};
			goc_select(cs, 2);
		}
		goc_chan_recv(p.done, NULL);
		if (p.got[0] <= p.n / 10 || p.got[1] <= p.n / 10)
			goc_test_fail("cap %zu: want pseudo-random, got %d "
				      "zeros and %d ones",
				      cap, p.got[0], p.got[1]);
		goc_chan_release(p.c);
		goc_chan_release(p.done);
	}
	return 0;
}

GOC_TEST(pseudo_random_send)
{
	expect_int_eq(goc_run(prs_main, NULL), 0);
}

/* ---- TestSelfSelect --------------------------------------------------- */

struct selfsel {
	goc_chan_t *c;
	size_t cap;
	goc_chan_t *done;
	goc_atomic_int64_t bad;
};

struct selfarg {
	struct selfsel *s;
	int p;
};

static void
self_worker(void *arg)
{
	struct selfarg *a = arg;
	struct selfsel *s = a->s;
	long n = goc_test_scaled(1000);
	for (long i = 0; i < n; i++) {
		int v = -1, me = a->p;
		goc_case_t cs[2];
		if (a->p == 0 || i % 2 == 0) {
			cs[0] = GOC_SEND(s->c, &me);
			cs[1] = GOC_RECV(s->c, &v);
		} else {
			cs[0] = GOC_RECV(s->c, &v);
			cs[1] = GOC_SEND(s->c, &me);
		}
		int k = goc_select(cs, 2);
		bool recv = cs[k].dir == GOC_CASE_RECV;
		if (recv && s->cap == 0 && v == a->p)
			goc_atomic_int64_add(&s->bad, 1);
	}
	goc_chan_send(s->done, NULL);
}

static int
selfsel_main(void *arg)
{
	(void)arg;
	for (size_t cap = 0; cap <= 10; cap += 10) {
		struct selfsel s = {.c = goc_chan_make(sizeof(int), cap),
				    .cap = cap,
				    .done = goc_chan_make(0, 0)};
		struct selfarg a0 = {&s, 0}, a1 = {&s, 1};
		goc_go(self_worker, &a0);
		goc_go(self_worker, &a1);
		goc_chan_recv(s.done, NULL);
		goc_chan_recv(s.done, NULL);
		expect_int_eq(goc_atomic_int64_load(&s.bad), 0);
		goc_chan_release(s.c);
		goc_chan_release(s.done);
	}
	return 0;
}

GOC_TEST(self_select)
{
	/* With cap 0 a goroutine never receives its own value. */
	int old = goc_maxprocs(2);
	expect_int_eq(goc_run(selfsel_main, NULL), 0);
	goc_maxprocs(old);
}

/* ---- TestSelectStress ------------------------------------------------- */

struct stress {
	goc_chan_t *c[4];
	long n;
	goc_chan_t *done;
};

struct sarg {
	struct stress *s;
	int k;
};

static void
ss_sender(void *arg)
{
	struct sarg *a = arg;
	for (long i = 0; i < a->s->n; i++)
		goc_chan_send(a->s->c[a->k], &(int){a->k});
	goc_chan_send(a->s->done, NULL);
}

static void
ss_receiver(void *arg)
{
	struct sarg *a = arg;
	for (long i = 0; i < a->s->n; i++) {
		int v;
		goc_chan_recv(a->s->c[a->k], &v);
	}
	goc_chan_send(a->s->done, NULL);
}

static void
ss_select_sender(void *arg)
{
	struct stress *s = arg;
	long left[4];
	goc_case_t cs[4];
	int v[4] = {0, 1, 2, 3};
	for (int i = 0; i < 4; i++) {
		left[i] = s->n;
		cs[i] = GOC_SEND(s->c[i], &v[i]);
	}
	for (long done = 0; done < 4 * s->n;) {
		int k = goc_select(cs, 4);
		done++;
		if (--left[k] == 0)
			cs[k].chan = NULL; /* Go sets the channel to nil */
	}
	goc_chan_send(s->done, NULL);
}

static void
ss_select_receiver(void *arg)
{
	struct stress *s = arg;
	long left[4];
	goc_case_t cs[4];
	int v;
	for (int i = 0; i < 4; i++) {
		left[i] = s->n;
		cs[i] = GOC_RECV(s->c[i], &v);
	}
	for (long done = 0; done < 4 * s->n;) {
		int k = goc_select(cs, 4);
		done++;
		if (v != k)
			goc_test_fail("case %d received %d", k, v);
		if (--left[k] == 0)
			cs[k].chan = NULL;
	}
	goc_chan_send(s->done, NULL);
}

static int
ss_main(void *arg)
{
	(void)arg;
	size_t caps[4] = {0, 0, 2, 3};
	struct stress s = {.n = goc_test_scaled(2000),
			   .done = goc_chan_make(0, 0)};
	struct sarg a[4];
	for (int i = 0; i < 4; i++) {
		s.c[i] = goc_chan_make(sizeof(int), caps[i]);
		a[i] = (struct sarg){&s, i};
	}
	for (int i = 0; i < 4; i++) {
		goc_go(ss_sender, &a[i]);
		goc_go(ss_receiver, &a[i]);
	}
	goc_go(ss_select_sender, &s);
	goc_go(ss_select_receiver, &s);
	for (int i = 0; i < 10; i++)
		goc_chan_recv(s.done, NULL);
	for (int i = 0; i < 4; i++)
		goc_chan_release(s.c[i]);
	goc_chan_release(s.done);
	return 0;
}

GOC_TEST(select_stress)
{
	/* Passes if nothing deadlocks (the detector would abort). */
	int old = goc_maxprocs(2);
	expect_int_eq(goc_run(ss_main, NULL), 0);
	goc_maxprocs(old);
}

/* ---- TestSelectDuplicateChannel / select6.go -------------------------- */

struct dup {
	goc_chan_t *c, *d, *e;
	int a_got, b_got;
	goc_atomic_int64_t b_parked;
};

static void
dup_a(void *arg)
{
	struct dup *x = arg;
	int v = 0;
	goc_case_t cs[] = {GOC_RECV(x->c, &v), GOC_RECV(x->c, &v),
			   GOC_RECV(x->d, &v)};
	int k = goc_select(cs, 3);
	x->a_got = k == 2 ? v : -1;
	goc_chan_send(x->e, NULL);
}

static void
dup_b(void *arg)
{
	struct dup *x = arg;
	int v = 0;
	goc_atomic_int64_store(&x->b_parked, 1);
	goc_chan_recv(x->c, &v);
	x->b_got = v;
	goc_chan_send(x->e, NULL);
}

static int
dup_main(void *arg)
{
	(void)arg;
	struct dup x = {.c = goc_chan_make(sizeof(int), 0),
			.d = goc_chan_make(sizeof(int), 0),
			.e = goc_chan_make(0, 2)};
	goc_go(dup_a, &x); /* A waits on c twice and on d */
	yield_some();
	goc_go(dup_b, &x); /* B waits on c */
	yield_some();
	goc_chan_send(x.d, &(int){7}); /* wakes A: both of its c waiters go */
	goc_chan_recv(x.e, NULL);
	goc_chan_send(x.c, &(int){8}); /* must reach B */
	goc_chan_recv(x.e, NULL);
	expect_int_eq(x.a_got, 7);
	expect_int_eq(x.b_got, 8);
	goc_chan_release(x.c);
	goc_chan_release(x.d);
	goc_chan_release(x.e);
	return 0;
}

GOC_TEST(select_duplicate_channel)
{
	expect_int_eq(goc_run(dup_main, NULL), 0);
}

/* ---- TestNonblockSelectRace, ...Race2 --------------------------------- */

struct nbs {
	goc_chan_t *c1, *c2, *done;
	int variant;
};

static void
nbs_side(void *arg)
{
	struct nbs *x = arg;
	int v;
	goc_case_t cs[] = {GOC_RECV(x->c1, &v), GOC_RECV(x->c2, &v)};
	if (goc_select_try(cs, 2) < 0)
		goc_chan_send(x->done, &(int){0});
	else
		goc_chan_send(x->done, &(int){1});
}

static int
nbs_main(void *arg)
{
	(void)arg;
	long n = goc_test_scaled(20000);
	long bad = 0;
	for (int variant = 0; variant < 2; variant++) {
		for (long i = 0; i < n; i++) {
			struct nbs x = {goc_chan_make(sizeof(int), 1),
					goc_chan_make(sizeof(int), 1),
					goc_chan_make(sizeof(int), 1), variant};
			goc_chan_send(x.c1, &(int){1});
			goc_go(nbs_side, &x);
			int v;
			/* One of c1/c2 is always ready during the select:
			 * c1 is drained only after c2 is readied. */
			if (variant == 0)
				goc_chan_send(x.c2, &(int){1});
			else
				goc_chan_close(x.c2);
			goc_chan_try_recv(x.c1, &v);
			int ok;
			goc_chan_recv(x.done, &ok);
			bad += !ok;
			goc_chan_release(x.c1);
			goc_chan_release(x.c2);
			goc_chan_release(x.done);
		}
	}
	return (int)bad;
}

GOC_TEST(nonblock_select_race)
{
	/* A non-blocking select acts on one consistent snapshot: it never
	 * takes default while one of its cases was always ready. */
	int old = goc_maxprocs(2);
	expect_int_eq(goc_run(nbs_main, NULL), 0);
	goc_maxprocs(old);
}

/* ---- select3.go, select7.go ------------------------------------------- */

static int
select3_main(void *arg)
{
	(void)arg;
	int v = 1;
	/* Only NULL channels: a non-blocking select takes default. */
	goc_case_t nils[] = {GOC_RECV(NULL, &v), GOC_SEND(NULL, &v)};
	expect_int_eq(goc_select_try(nils, 2), -1);
	expect_int_eq(goc_select_try(NULL, 0), -1);
	/* A NULL case is never chosen, even beside a ready one. */
	goc_chan_t *c = goc_chan_make(sizeof(int), 1);
	for (int i = 0; i < 100; i++) {
		goc_case_t cs[] = {GOC_RECV(NULL, &v), GOC_SEND(c, &v),
				   GOC_SEND(NULL, &v)};
		expect_int_eq(goc_select(cs, 3), 1);
		goc_chan_recv(c, NULL);
	}
	/* Not ready: default. Ready buffered send and receive: no block. */
	goc_chan_t *u = goc_chan_make(sizeof(int), 0);
	goc_case_t nr[] = {GOC_RECV(u, &v), GOC_SEND(u, &v)};
	expect_int_eq(goc_select_try(nr, 2), -1);
	goc_case_t rs[] = {GOC_SEND(c, &v), GOC_RECV(u, &v)};
	expect_int_eq(goc_select_try(rs, 2), 0);
	goc_case_t rr[] = {GOC_RECV(u, &v), GOC_RECV(c, &v)};
	expect_int_eq(goc_select_try(rr, 2), 1);
	goc_chan_release(c);
	goc_chan_release(u);
	return 0;
}

GOC_TEST(select3_nil_and_ready_cases)
{
	expect_int_eq(goc_run(select3_main, NULL), 0);
}

/* select7.go: every sender style against every receiver style. */
struct s7 {
	goc_chan_t *c;
	int style;
	goc_chan_t *done; /* the sender is out of its select: release c */
};

static void
s7_send(void *arg)
{
	struct s7 *x = arg;
	int v = 42;
	goc_chan_t *dummy = goc_chan_make(sizeof(int), 0);
	if (x->style == 0) {
		goc_chan_send(x->c, &v);
	} else if (x->style == 1) {
		goc_case_t cs[] = {GOC_SEND(x->c, &v)};
		goc_select(cs, 1);
	} else {
		goc_case_t cs[] = {GOC_SEND(x->c, &v), GOC_RECV(dummy, NULL)};
		goc_select(cs, 2);
	}
	goc_chan_release(dummy);
	goc_chan_send(x->done, NULL);
}

static int
s7_recv(goc_chan_t *c, int style)
{
	int v = 0;
	goc_chan_t *dummy = goc_chan_make(sizeof(int), 0);
	if (style == 0) {
		goc_chan_recv(c, &v);
	} else if (style == 1) {
		goc_case_t cs[] = {GOC_RECV(c, &v)};
		goc_select(cs, 1);
	} else {
		goc_case_t cs[] = {GOC_SEND(dummy, &v), GOC_RECV(c, &v)};
		goc_select(cs, 2);
	}
	goc_chan_release(dummy);
	return v;
}

static int
select7_main(void *arg)
{
	(void)arg;
	for (int ss = 0; ss < 3; ss++) {
		for (int rs = 0; rs < 3; rs++) {
			for (int order = 0; order < 2; order++) {
				struct s7 x = {goc_chan_make(sizeof(int), 0),
					       ss, goc_chan_make(0, 0)};
				goc_go(s7_send, &x);
				if (order)
					yield_some(); /* sender parks first */
				expect_int_eq(s7_recv(x.c, rs), 42);
				goc_chan_recv(x.done, NULL);
				goc_chan_release(x.c);
				goc_chan_release(x.done);
			}
		}
	}
	return 0;
}

GOC_TEST(select7_all_styles)
{
	expect_int_eq(goc_run(select7_main, NULL), 0);
}

/* ---- doubleselect.go -------------------------------------------------- */

struct dbl {
	goc_chan_t *c[4];
	goc_chan_t *out;
	long n;
	goc_atomic_int64_t muxes;
};

static void
dbl_sender(void *arg)
{
	struct dbl *d = arg;
	for (long i = 1; i <= d->n; i++) {
		goc_case_t cs[4];
		for (int k = 0; k < 4; k++)
			cs[k] = GOC_SEND(d->c[k], &i);
		goc_select(cs, 4);
	}
	for (int k = 0; k < 4; k++)
		goc_chan_close(d->c[k]);
}

struct dmux {
	struct dbl *d;
	int k;
};

static void
dbl_mux(void *arg)
{
	struct dmux *m = arg;
	long v;
	while (goc_chan_recv(m->d->c[m->k], &v))
		goc_chan_send(m->d->out, &v);
	if (goc_atomic_int64_add(&m->d->muxes, -1) == 0)
		goc_chan_close(m->d->out);
}

static int
dbl_main(void *arg)
{
	(void)arg;
	struct dbl d = {.n = goc_test_scaled(10000)};
	for (int k = 0; k < 4; k++)
		d.c[k] = goc_chan_make(sizeof(long), 0);
	d.out = goc_chan_make(sizeof(long), 0);
	goc_atomic_int64_store(&d.muxes, 4);
	struct dmux m[4];
	goc_go(dbl_sender, &d);
	for (int k = 0; k < 4; k++) {
		m[k] = (struct dmux){&d, k};
		goc_go(dbl_mux, &m[k]);
	}
	unsigned char *seen = calloc((size_t)d.n + 1, 1);
	long v, got = 0;
	while (goc_chan_recv(d.out, &v)) {
		if (v < 1 || v > d.n || seen[v]++)
			goc_test_fail("value %ld seen twice or bad", v);
		got++;
	}
	expect_int_eq(got, d.n);
	free(seen);
	for (int k = 0; k < 4; k++)
		goc_chan_release(d.c[k]);
	goc_chan_release(d.out);
	return 0;
}

GOC_TEST(doubleselect)
{
	/* Two cases of one select never both fire (run with 2 procs). */
	int old = goc_maxprocs(2);
	expect_int_eq(goc_run(dbl_main, NULL), 0);
	goc_maxprocs(old);
}

/* ---- many cases (beyond the inline arrays) ---------------------------- */

static void
many_sender(void *arg)
{
	goc_chan_send(arg, &(int){5});
}

static int
many_main(void *arg)
{
	(void)arg;
	enum { N = 40 };
	goc_chan_t *cs[N];
	goc_case_t k[N];
	int v = 0;
	for (int i = 0; i < N; i++) {
		cs[i] = goc_chan_make(sizeof(int), 0);
		k[i] = GOC_RECV(cs[i], &v);
	}
	for (int round = 0; round < N; round++) {
		goc_go(many_sender, cs[(round * 7) % N]);
		expect_int_eq(goc_select(k, N), (round * 7) % N);
		expect_int_eq(v, 5);
	}
	for (int i = 0; i < N; i++)
		goc_chan_release(cs[i]);
	return 0;
}

GOC_TEST(select_many_cases)
{
	expect_int_eq(goc_run(many_main, NULL), 0);
}

/* ---- foreign threads in select ---------------------------------------- */

struct fsel {
	goc_chan_t *a, *b, *quit;
	long n;
};

static void *
fsel_thread(void *arg)
{
	struct fsel *f = arg;
	long ga = 0, gb = 0;
	for (;;) {
		long v;
		bool ok = true;
		goc_case_t cs[] = {GOC_RECV(f->a, &v), GOC_RECV(f->b, &v),
				   GOC_RECV_OK(f->quit, NULL, &ok)};
		int k = goc_select(cs, 3);
		if (k == 0)
			expect_int_eq(v, ga++);
		else if (k == 1)
			expect_int_eq(v, -(gb++));
		else
			break;
	}
	expect_int_eq(ga, f->n);
	expect_int_eq(gb, f->n);
	return NULL;
}

static void
fsel_feed(void *arg)
{
	struct fsel *f = arg;
	for (long i = 0; i < f->n; i++)
		goc_chan_send(f->a, &i);
	goc_chan_send(f->quit, NULL);
}

GOC_TEST(foreign_thread_selects)
{
	if (getenv("GOC_TEST_SIM") != NULL) /* --enable-sim: one OS thread */
		goc_test_skip("raw threads are not simulated");
	struct fsel f = {goc_chan_make(sizeof(long), 0),
			 goc_chan_make(sizeof(long), 0), goc_chan_make(0, 0),
			 goc_test_scaled(2000)};
	pthread_t t;
	pthread_create(&t, NULL, fsel_thread, &f);
	/* b is fed from this (foreign) thread, a from a goroutine; quit is
	 * sent once both are done, so the thread sees every value. */
	for (long i = 0; i < f.n; i++) {
		long v = -i;
		goc_chan_send(f.b, &v);
	}
	goc_go(fsel_feed, &f);
	pthread_join(t, NULL);
	goc_chan_release(f.a);
	goc_chan_release(f.b);
	goc_chan_release(f.quit);
}
