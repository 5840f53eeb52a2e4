/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small goroutine programs run under the deterministic simulation
 * (--enable-sim) with many seeds, each checked by invariants: channels
 * (no value lost or duplicated, FIFO per sender), select with and without
 * default, mutual exclusion, WaitGroup, Cond, timers against virtual
 * time, a clean goc_shutdown (no goroutine leaked); plus determinism (one
 * seed, one trace) and Go's deadlock verdict.
 *
 * Every run is a forked child that starts the runtime from scratch, so a
 * failing seed replays exactly:
 *   GOCONC_SIM_SEED=S [GOCONC_SIM_PCT=D] tests/sim/programs <case>
 * runs only that seed (tools/replay does this). GOC_SIM_SEEDS sets the
 * sweep (default 200 seeds, times GOC_TEST_SCALE).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <goconc.h>

#include "../harness.h"
#include "sim/sim.h"

/* ---- the programs --------------------------------------------------- */

#define NPROD 3
#define NCONS 2
#define NVAL  12

struct chanprog {
	goc_chan_t *c;
	goc_wg_t prod, cons;
	goc_mutex_t mu;
	uint8_t seen[NPROD][NVAL];
	int bad;
};

static void
producer(void *arg)
{
	struct chanprog *p = *(struct chanprog **)arg;
	int id = (int)((intptr_t *)arg)[1];

	for (int i = 0; i < NVAL; i++) {
		int v = id << 8 | i;
		goc_chan_send(p->c, &v);
	}
	goc_wg_done(&p->prod);
	free(arg);
}

static void
consumer(void *arg)
{
	struct chanprog *p = arg;
	int last[NPROD];
	int v;

	for (int i = 0; i < NPROD; i++)
		last[i] = -1;
	while (goc_chan_recv(p->c, &v)) {
		int id = v >> 8, i = v & 0xff;
		goc_mutex_lock(&p->mu);
		if (id >= NPROD || i >= NVAL || p->seen[id][i]++ != 0)
			p->bad |= 1; /* out of range or duplicated */
		goc_mutex_unlock(&p->mu);
		/* One channel is FIFO: a receiver sees each sender in order. */
		if (i <= last[id])
			p->bad |= 2;
		last[id] = i;
	}
	goc_wg_done(&p->cons);
}

static void
closer(void *arg)
{
	struct chanprog *p = arg;
	goc_wg_wait(&p->prod);
	goc_chan_close(p->c);
}

static int
chan_program(size_t cap)
{
	struct chanprog *p = calloc(1, sizeof(*p));
	p->c = goc_chan_make(sizeof(int), cap);
	goc_wg_add(&p->prod, NPROD);
	goc_wg_add(&p->cons, NCONS);
	for (int i = 0; i < NPROD; i++) {
		intptr_t *a = malloc(2 * sizeof(*a));
		a[0] = (intptr_t)p;
		a[1] = i;
		goc_go(producer, a);
	}
	for (int i = 0; i < NCONS; i++)
		goc_go(consumer, p);
	goc_go(closer, p);
	goc_wg_wait(&p->cons);
	int bad = p->bad;
	for (int i = 0; i < NPROD; i++)
		for (int j = 0; j < NVAL; j++)
			if (p->seen[i][j] != 1)
				bad |= 4; /* lost */
	goc_chan_release(p->c);
	free(p);
	return bad;
}

static int
prog_unbuffered(void *arg)
{
	(void)arg;
	return chan_program(0);
}

static int
prog_buffered(void *arg)
{
	(void)arg;
	return chan_program(2);
}

struct selprog {
	goc_chan_t *a, *b, *quit;
	goc_wg_t wg;
	int sent_a, sent_b;
};

static void
sel_sender(void *arg)
{
	struct selprog *s = arg;
	for (int i = 0; i < NVAL; i++) {
		int v = i;
		goc_case_t cs[2] = {GOC_SEND(s->a, &v), GOC_SEND(s->b, &v)};
		int k = goc_select(cs, 2);
		if (k == 0)
			__atomic_add_fetch(&s->sent_a, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&s->sent_b, 1, __ATOMIC_RELAXED);
	}
	goc_wg_done(&s->wg);
}

static void
sel_quitter(void *arg)
{
	struct selprog *s = arg;
	goc_wg_wait(&s->wg);
	goc_chan_close(s->quit);
}

static int
prog_select(void *arg)
{
	struct selprog s = {0};
	int got_a = 0, got_b = 0, defaults = 0, bad = 0;

	(void)arg;
	s.a = goc_chan_make(sizeof(int), 0);
	s.b = goc_chan_make(sizeof(int), 1);
	s.quit = goc_chan_make(0, 0);
	goc_wg_add(&s.wg, 2);
	goc_go(sel_sender, &s);
	goc_go(sel_sender, &s);
	goc_go(sel_quitter, &s);
	for (;;) {
		int v;
		bool ok;
		goc_case_t cs[3] = {GOC_RECV(s.a, &v), GOC_RECV(s.b, &v),
				    GOC_RECV_OK(s.quit, NULL, &ok)};
		/* Every third round without blocking: default only when no
		 * case is ready. */
		int k = (got_a + got_b + defaults) % 3 == 0
				? goc_select_try(cs, 3)
				: goc_select(cs, 3);
		if (k < 0) {
			defaults++;
			continue;
		}
		if (k == 0)
			got_a++;
		else if (k == 1)
			got_b++;
		else {
			if (ok)
				bad |= 1;
			break;
		}
	}
	/* quit closes after both senders finished, but b may still hold
	 * one buffered value. */
	int v;
	while (goc_chan_try_recv(s.b, &v) == 1)
		got_b++;
	if (got_a != s.sent_a || got_b != s.sent_b || got_a + got_b != 2 * NVAL)
		bad |= 2;
	goc_chan_release(s.a);
	goc_chan_release(s.b);
	goc_chan_release(s.quit);
	return bad;
}

/* Plain senders on two channels, one select receiving from both: the two
 * channel locks differ, so two senders can race to complete the one
 * parked select (the claim step decides; GOC_INJECT_BUG_SELECT_CLAIM
 * breaks it). */
struct sel2prog {
	goc_chan_t *c[2];
};

static void
sel2_sender(void *arg)
{
	goc_chan_t *c = arg;
	for (int i = 0; i < NVAL; i++)
		goc_chan_send(c, &i);
}

static int
prog_select_two(void *arg)
{
	struct sel2prog s;
	int got[2] = {0, 0}, next[2] = {0, 0}, bad = 0;

	(void)arg;
	for (int i = 0; i < 2; i++) {
		s.c[i] = goc_chan_make(sizeof(int), 0);
		goc_go(sel2_sender, s.c[i]);
	}
	/* A lost value leaves this loop waiting forever: the simulation
	 * then reports Go's deadlock, which fails the seed. */
	while (got[0] + got[1] < 2 * NVAL) {
		int v[2] = {-1, -1};
		goc_case_t cs[2] = {GOC_RECV(s.c[0], &v[0]),
				    GOC_RECV(s.c[1], &v[1])};
		int k = goc_select(cs, 2);
		if (v[k] != next[k]++ || v[1 - k] != -1)
			bad |= 1;
		got[k]++;
	}
	for (int i = 0; i < 2; i++)
		goc_chan_release(s.c[i]);
	return bad;
}

#define NLOCKERS 4
#define NINCR    8

struct mutexprog {
	goc_mutex_t mu;
	goc_wg_t wg;
	int inside, count, bad;
};

static void
locker(void *arg)
{
	struct mutexprog *m = arg;
	for (int i = 0; i < NINCR; i++) {
		goc_mutex_lock(&m->mu);
		if (m->inside++ != 0)
			m->bad = 1;
		goc_yield(); /* hold it across a reschedule */
		m->count++;
		m->inside--;
		goc_mutex_unlock(&m->mu);
	}
	goc_wg_done(&m->wg);
}

static int
prog_mutex(void *arg)
{
	struct mutexprog m = {0};

	(void)arg;
	goc_wg_add(&m.wg, NLOCKERS);
	for (int i = 0; i < NLOCKERS; i++)
		goc_go(locker, &m);
	goc_wg_wait(&m.wg);
	return m.bad | (m.count != NLOCKERS * NINCR ? 2 : 0);
}

struct condprog {
	goc_mutex_t mu;
	goc_cond_t cond;
	goc_wg_t wg;
	int queue, taken, done, bad;
};

static void
cond_consumer(void *arg)
{
	struct condprog *c = arg;
	goc_mutex_lock(&c->mu);
	for (;;) {
		while (c->queue == 0 && !c->done)
			goc_cond_wait(&c->cond, &c->mu);
		if (c->queue == 0)
			break;
		c->queue--;
		c->taken++;
	}
	goc_mutex_unlock(&c->mu);
	goc_wg_done(&c->wg);
}

static int
prog_cond(void *arg)
{
	struct condprog c = {0};

	(void)arg;
	goc_cond_init(&c.cond, &c.mu);
	goc_wg_add(&c.wg, 3);
	for (int i = 0; i < 3; i++)
		goc_go(cond_consumer, &c);
	for (int i = 0; i < NVAL; i++) {
		goc_mutex_lock(&c.mu);
		c.queue++;
		goc_cond_signal(&c.cond);
		goc_mutex_unlock(&c.mu);
	}
	goc_mutex_lock(&c.mu);
	c.done = 1;
	goc_cond_broadcast(&c.cond);
	goc_mutex_unlock(&c.mu);
	goc_wg_wait(&c.wg);
	return (c.taken != NVAL ? 1 : 0) | (c.queue != 0 ? 2 : 0);
}

struct timerprog {
	goc_wg_t wg;
	int bad;
};

static void
sleeper(void *arg)
{
	struct timerprog *t = *(struct timerprog **)arg;
	int64_t d = ((int64_t *)arg)[1];
	int64_t start = goc_now();

	goc_sleep(d);
	if (goc_now() - start < d)
		t->bad |= 1;
	int64_t at = goc_now();
	goc_chan_t *c = goc_after(d);
	goc_chan_recv(c, NULL);
	if (goc_now() - at < d)
		t->bad |= 2;
	goc_chan_release(c);
	goc_wg_done(&t->wg);
	free(arg);
}

static int
prog_timers(void *arg)
{
	struct timerprog t = {0};

	(void)arg;
	goc_wg_add(&t.wg, 4);
	for (int i = 0; i < 4; i++) {
		int64_t *a = malloc(2 * sizeof(*a));
		a[0] = (int64_t)(intptr_t)&t;
		a[1] = (int64_t)(i + 1) * 1000 * 1000; /* 1 to 4 ms */
		goc_go(sleeper, a);
	}
	goc_wg_wait(&t.wg);
	return t.bad;
}

/* Two virtual minutes asleep, with only sysmon ticking meanwhile: a
 * long sleep, not a hang. */
static int
prog_long_sleep(void *arg)
{
	(void)arg;
	int64_t start = goc_now();
	goc_sleep((int64_t)120 * 1000 * 1000 * 1000);
	return goc_now() - start >= (int64_t)120 * 1000 * 1000 * 1000 ? 0 : 1;
}

/* Never finishes: main waits for a value nobody sends. */
static int
prog_deadlock(void *arg)
{
	(void)arg;
	goc_chan_t *c = goc_chan_make(sizeof(int), 0);
	int v;
	goc_chan_recv(c, &v);
	return 1;
}

/* ---- running a seed in a child ------------------------------------------ */

struct outcome {
	int status;         /* waitpid status */
	uint64_t hash, dec; /* the child's trace */
	char err[8192];     /* the start of its stderr, when captured */
};

static void
run_seed(int (*prog)(void *), uint64_t seed, int pct, bool capture,
	 struct outcome *o)
{
	int res[2], err[2] = {-1, -1};

	memset(o, 0, sizeof(*o));
	if (pipe(res) != 0 || (capture && pipe(err) != 0))
		goc_test_fail("pipe failed");
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		close(res[0]);
		if (capture) {
			close(err[0]);
			dup2(err[1], 2);
		}
		if (pct > 0)
			goc__sim_restart_pct(seed, pct, 0);
		else
			goc__sim_restart_seed(seed);
		int rc = goc_run(prog, NULL);
		/* Goroutines may still be on their way out: give them a
		 * virtual second, then any left are leaked. */
		for (int i = 0; goc_num_goroutine() > 0 && i < 1000; i++)
			goc_sleep(1000 * 1000);
		if (goc_shutdown() != 0)
			rc |= 0x40; /* a goroutine leaked */
		uint64_t out[2] = {goc__sim_trace_hash(), goc__sim_decisions()};
		if (write(res[1], out, sizeof(out)) != sizeof(out))
			rc |= 0x80;
		exit(rc);
	}
	close(res[1]);
	if (capture)
		close(err[1]);
	uint64_t in[2];
	if (read(res[0], in, sizeof(in)) == sizeof(in)) {
		o->hash = in[0];
		o->dec = in[1];
	}
	if (capture) {
		size_t n = 0;
		ssize_t r;
		while ((r = read(err[0], o->err + n, sizeof(o->err) - 1 - n)) >
		       0)
			n += (size_t)r;
		o->err[n] = 0;
		close(err[0]);
	}
	close(res[0]);
	waitpid(pid, &o->status, 0);
}

static long
nseeds(void)
{
	const char *e = getenv("GOC_SIM_SEEDS");
	return e != NULL ? atol(e) : goc_test_scaled(200);
}

/* Runs prog with seeds 1..N (PRNG), and a quarter as many with PCT at
 * depths 2 and 3; or only GOCONC_SIM_SEED when that is set. */
static void
sweep(const char *name, int (*prog)(void *))
{
	struct outcome o;
	const char *only = getenv("GOCONC_SIM_SEED");
	const char *pcte = getenv("GOCONC_SIM_PCT");
	long n = nseeds();
	int failures = 0;

	for (long i = 0; i < n + n / 2 && failures < 3; i++) {
		uint64_t seed = (uint64_t)(i < n ? i + 1 : i - n + 1);
		int pct = i < n ? 0 : (int)(2 + (i & 1));
		if (only != NULL) {
			if (i > 0)
				break;
			seed = strtoull(only, NULL, 0);
			pct = pcte != NULL ? atoi(pcte) : 0;
		}
		run_seed(prog, seed, pct, false, &o);
		if (only != NULL)
			goc_test_note("%s seed=%llu pct=%d decisions=%llu "
				      "trace=%016llx",
				      name, (unsigned long long)seed, pct,
				      (unsigned long long)o.dec,
				      (unsigned long long)o.hash);
		if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0) {
			failures++;
			goc_test_fail("%s: seed %llu pct %d: %s %d (replay: "
				      "GOCONC_SIM_SEED=%llu%s%.0d "
				      "tests/sim/programs %s)",
				      name, (unsigned long long)seed, pct,
				      WIFEXITED(o.status) ? "exit" : "signal",
				      WIFEXITED(o.status)
					      ? WEXITSTATUS(o.status)
					      : WTERMSIG(o.status),
				      (unsigned long long)seed,
				      pct ? " GOCONC_SIM_PCT=" : "", pct, name);
		}
	}
}

GOC_TEST(unbuffered_channel)
{
	sweep("unbuffered_channel", prog_unbuffered);
}

GOC_TEST(buffered_channel)
{
	sweep("buffered_channel", prog_buffered);
}

GOC_TEST(select_fan_in)
{
	sweep("select_fan_in", prog_select);
}

GOC_TEST(select_two_senders)
{
	sweep("select_two_senders", prog_select_two);
}

GOC_TEST(mutex_exclusion)
{
	sweep("mutex_exclusion", prog_mutex);
}

GOC_TEST(cond_queue)
{
	sweep("cond_queue", prog_cond);
}

GOC_TEST(timers_virtual_time)
{
	sweep("timers_virtual_time", prog_timers);
}

/* One seed, one schedule: the same seed twice gives the same trace, and
 * other seeds give other traces (the schedule really varies). */
GOC_TEST(same_seed_same_trace)
{
	struct outcome a, b, c;
	int (*progs[])(void *) = {prog_unbuffered, prog_select, prog_mutex};

	for (size_t p = 0; p < sizeof(progs) / sizeof(*progs); p++) {
		for (int pct = 0; pct <= 3; pct += 3) {
			run_seed(progs[p], 42, pct, false, &a);
			run_seed(progs[p], 42, pct, false, &b);
			require_true(WIFEXITED(a.status) &&
				     WEXITSTATUS(a.status) == 0);
			expect_u64_eq(a.hash, b.hash);
			expect_u64_eq(a.dec, b.dec);
			expect_uint_gt(a.dec, 0);
			int differ = 0;
			for (uint64_t s = 43; s < 47; s++) {
				run_seed(progs[p], s, pct, false, &c);
				differ += c.hash != a.hash;
			}
			expect_int_gt(differ, 0);
		}
	}
}

/* Go's verdict, whatever the schedule. */
GOC_TEST(deadlock_reported)
{
	struct outcome o, o2;
	long n = goc_test_scaled(20);

	for (uint64_t seed = 1; seed <= (uint64_t)n; seed++) {
		run_seed(prog_deadlock, seed, 0, true, &o);
		expect_true(WIFSIGNALED(o.status) &&
			    WTERMSIG(o.status) == SIGABRT);
		if (strstr(o.err, "fatal error: all goroutines are asleep - "
				  "deadlock!") == NULL)
			goc_test_fail("seed %llu: stderr: %s",
				      (unsigned long long)seed, o.err);
		/* The failure names the seed that replays it. */
		expect_true(strstr(o.err, "sim: seed=") != NULL);
		run_seed(prog_deadlock, seed, 0, true, &o2);
		expect_str_eq(o.err, o2.err);
	}
}

GOC_TEST(long_sleep_is_not_a_hang)
{
	struct outcome o;

	for (uint64_t seed = 1; seed <= 5; seed++) {
		run_seed(prog_long_sleep, seed, 0, false, &o);
		expect_true(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
	}
}

/* A real process would hang here silently (a thread outside goc_run
 * waits for a value nobody sends, so Go's deadlock check does not
 * apply); the simulation says so and names the seed. */
GOC_TEST(hang_reported)
{
	int err[2];
	char buf[4096];
	size_t n = 0;
	ssize_t r;
	int status;

	require_int_eq(pipe(err), 0);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		close(err[0]);
		dup2(err[1], 2);
		goc__sim_restart_seed(7);
		goc_chan_t *c = goc_chan_make(sizeof(int), 0);
		int v;
		goc_chan_recv(c, &v);
		exit(0);
	}
	close(err[1]);
	while ((r = read(err[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(err[0]);
	waitpid(pid, &status, 0);
	expect_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	if (strstr(buf, "(the program hangs)") == NULL ||
	    strstr(buf, "sim: seed=7") == NULL)
		goc_test_fail("stderr: %s", buf);
}
