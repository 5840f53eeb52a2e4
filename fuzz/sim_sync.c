/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target over the deterministic simulation (--enable-sim): sync
 * primitives, contexts and Go's deadlock verdict. The input is a program
 * and, after it, the schedule (goc__sim_restart_bytes: the remaining
 * bytes drive the simulation's choices, then a PRNG seeded by their hash).
 * The first byte's low bit picks one of two kinds of program. Each byte
 * below is taken modulo its range; a missing byte reads as 0.
 *
 * Kind 0, sync and contexts (cannot deadlock):
 *   nctx (1-6) contexts: node 0 is with_cancel(background); each other
 *   node one byte: parent (byte % i), bit 3 makes it with_timeout, whose
 *   timeout is the next byte % 64 times 5 us of virtual time (0: done at
 *   once). Then a work channel capacity (0-2), nw (1-4) workers with
 *   0-8 operations each (the low four bits pick it, the high four are
 *   its argument a), and 0-4 canceller operations.
 *     0,14,15 lock the mutex, check exclusion, yield if a & 1, unlock
 *     1     a burst: lock and unlock the mutex 1 + a % 4 times in a row
 *     2     try-lock the mutex, the same when it succeeds
 *     3     RWMutex write section (no reader or writer inside)
 *     4     RWMutex read section (no writer inside)
 *     5     Cond put: 1 + a % 3 tokens under the mutex, then one
 *           signal per token, or a broadcast when a & 4
 *     6     Cond take: wait (in a predicate loop) until a token is
 *           there, take it
 *     7     wait for context a % nctx to be done
 *     8     select on that context's done channel and the work channel
 *     9     start a goroutine (goc_wg_go) that waits for that context
 *     10    sleep a microseconds
 *     11    yield
 *     12    goc_sleep_ctx(that context, a microseconds)
 *     13    try-lock the RWMutex for reading (a & 1) or writing
 *   The main goroutine sends one value on the work channel per operation
 *   8 (select against the root's done channel), closes it, and puts one
 *   token per take (each with its own signal), so every take can end.
 *   The canceller runs its operations (even byte: cancel node (byte >> 1)
 *   % nctx; odd: sleep (byte >> 1) % 32 us), then waits for each deadline
 *   node to be done, then cancels the root.
 *   Oracles: mutual exclusion (mutex, RWMutex writers against everyone);
 *   Cond never loses a wake-up (a taker left asleep after its token was
 *   put and signalled is Go's deadlock: the fatal error aborts); a
 *   context is done exactly when a cancel of itself or an ancestor
 *   started, or a deadline of itself or an ancestor passed: when
 *   goc_ctx_cancel returns every descendant is done (err set, done
 *   channel closed), no other context is done unless its own ancestry
 *   explains it, GOC_ECANCELED needs a cancel and GOC_EDEADLINE a passed
 *   deadline (virtual time at or after it); every deadline fires (the
 *   canceller waits for it); each work value is received once; the
 *   counters and the token count add up; every goroutine ends (no leak:
 *   goc_shutdown succeeds).
 *
 * Kind 1, a program that may deadlock, checked against a model:
 *   nch (1-2) channels, each a capacity (0-2), nw (2-3) workers with 0-5
 *   operations and the main goroutine with 0-3 (which then waits for
 *   every worker with a WaitGroup). An operation byte: (low four bits) %
 *   10 picks it, channel (byte >> 4) % nch:
 *     0 send, 1 receive, 2 try-send, 3 try-receive (select with default),
 *     4 select-receive on the channel and the next one, 5 select-send,
 *     6 the mutex: lock, or unlock if this goroutine holds it (one that
 *       ends holding it leaves it locked), 7 Cond wait (lock, one wait,
 *       unlock: no predicate, so a wait nobody signals is for good),
 *     8 Cond signal, 9 Cond broadcast (each under the Cond's mutex).
 *   The model (model_explore) runs every interleaving of the abstract
 *   program: channel buffers as counts, rendezvous of an unbuffered
 *   send with a receive as one joint step, a try operation that may fail
 *   while a partner has not parked yet, Signal waking any one waiter.
 *   It returns whether the program can complete, whether it can
 *   deadlock (a state where some goroutine is unfinished and nothing can
 *   move: Go's "all goroutines are asleep"), and the final states
 *   (buffer counts, the mutex) a completing run can leave.
 *   A program that cannot deadlock runs here; one that can runs in a
 *   forked child whose panic hook turns the runtime's deadlock verdict
 *   into an exit status (fuzz coverage of the child is lost; the model's
 *   is not). Oracles: the runtime reports a deadlock only when the model
 *   allows one, completes only when the model allows it, leaves a final
 *   state the model allows, and leaks no goroutine.
 *
 * A failure aborts (libFuzzer keeps the input); the simulation prints its
 * replay line (trace hash). fuzz/replay_sim_sync replays the corpus.
 */
/* Every Mutex, RWMutex and WaitGroup call goes through the library, so
 * each reaches the simulation's decision points. */
#define GOC_NO_INLINE 1
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <goconc.h>

#include "sim/sim.h"
#include "sim_settle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* In a forked child (kind 1) a failure is an exit status for the parent
 * to report, not a crash of libFuzzer's own. */
static bool in_child;
#define CHILD_FAIL_EXIT 2
#define DEADLOCK_EXIT   3

static void fail(const char *what);

/* sim_settle's verdict (fuzz/sim_settle.h), a failure if any. */
static void
shutdown_and_settle(void)
{
	const char *why = sim_settle();

	if (why != NULL)
		fail(why);
}

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz/sim_sync: %s\n", what);
	if (in_child) {
		goc__sim_print_replay();
		_exit(CHILD_FAIL_EXIT);
	}
	abort();
}

/* ==== kind 0: sync primitives and contexts ============================ */

#define MAXCTX  6
#define MAXW    4
#define MAXOPS  8
#define MAXCAN  4
#define MAXKIDS (MAXW * MAXOPS)
#define MAXVALS (MAXW * MAXOPS)

struct sprog;
struct sargs {
	struct sprog *g;
	int id; /* a worker's index, a kid's context node */
};

struct sprog {
	int nctx, nw, ncan, workcap;
	int parent[MAXCTX];
	int64_t timeout[MAXCTX]; /* -1: a cancel node */
	int nops[MAXW];
	uint8_t ops[MAXW][MAXOPS];
	uint8_t can[MAXCAN];
	int want_cs, want_puts, want_takes, nvals;
	/* run state */
	goc_ctx_t *ctx[MAXCTX];
	int64_t deadline[MAXCTX]; /* own absolute deadline, or INT64_MAX */
	bool cancel_started[MAXCTX];
	goc_chan_t *work;
	goc_mutex_t mu;
	goc_rwmutex_t rw;
	goc_cond_t cond;
	goc_wg_t wg;
	int inside, cs, readers, writers, tokens, puts, takes;
	int nkids, tries;
	struct sargs kid[MAXKIDS];
	uint8_t got[MAXVALS + 1];
	int sent;
};

static bool
is_ancestor(const struct sprog *g, int a, int n)
{
	for (;;) {
		if (n == a)
			return true;
		if (n == 0)
			return false;
		n = g->parent[n];
	}
}

/*
 * ctx_check: node n's error err was read before now: it must be 0 unless
 * a cancel of n or an ancestor started, or one of their deadlines is at
 * or before now; GOC_ECANCELED needs the cancel, GOC_EDEADLINE the
 * deadline. must_be_done: err may not be 0.
 */
static void
ctx_check(const struct sprog *g, int n, int err, int64_t now, bool must_be_done)
{
	bool cancelled = false, expired = false;

	for (int a = n;; a = g->parent[a]) {
		if (g->cancel_started[a])
			cancelled = true;
		if (g->deadline[a] <= now)
			expired = true;
		if (a == 0)
			break;
	}
	if (err == 0) {
		if (must_be_done)
			fail("a context is not done after its cancel or "
			     "deadline");
		return;
	}
	if (err == GOC_ECANCELED && !cancelled)
		fail("a context was cancelled with no cancel of it or an "
		     "ancestor (a non-descendant was reached)");
	else if (err == GOC_EDEADLINE && !expired)
		fail("a context's deadline fired before its virtual time");
	else if (err != GOC_ECANCELED && err != GOC_EDEADLINE)
		fail("a context reports an unknown error");
}

/* Waits for node n to be done and checks why. */
static void
ctx_wait(struct sprog *g, int n)
{
	int v;
	if (goc_chan_recv(goc_ctx_done(g->ctx[n]), &v))
		fail("a done channel delivered a value");
	int err = goc_ctx_err(g->ctx[n]);
	ctx_check(g, n, err, goc_now(), true);
}

static void
cs_enter(struct sprog *g, bool yield)
{
	if (g->inside++ != 0)
		fail("two goroutines inside the mutex");
	if (yield)
		goc_yield();
	g->cs++;
	g->inside--;
}

static void
kid_wait(void *arg)
{
	struct sargs *a = arg;
	ctx_wait(a->g, a->id);
}

static void
sworker(void *arg)
{
	struct sargs *a = arg;
	struct sprog *g = a->g;
	int w = a->id;

	for (int i = 0; i < g->nops[w]; i++) {
		uint8_t op = g->ops[w][i];
		int x = op >> 4, n = x % g->nctx;
		switch (op & 15) {
		case 0:
		case 14:
		case 15:
			goc_mutex_lock(&g->mu);
			cs_enter(g, x & 1);
			goc_mutex_unlock(&g->mu);
			break;
		case 1:
			for (int k = 0; k <= x % 4; k++) {
				goc_mutex_lock(&g->mu);
				cs_enter(g, false);
				goc_mutex_unlock(&g->mu);
			}
			break;
		case 2:
			if (goc_mutex_try_lock(&g->mu)) {
				g->tries++;
				cs_enter(g, x & 1);
				goc_mutex_unlock(&g->mu);
			}
			break;
		case 3:
			goc_rwmutex_lock(&g->rw);
			if (g->writers++ != 0 || g->readers != 0)
				fail("an RWMutex writer is not alone");
			goc_yield();
			g->writers--;
			goc_rwmutex_unlock(&g->rw);
			break;
		case 4:
			goc_rwmutex_rlock(&g->rw);
			if (g->writers != 0)
				fail("an RWMutex reader beside a writer");
			g->readers++;
			goc_yield();
			g->readers--;
			goc_rwmutex_runlock(&g->rw);
			break;
		case 5: {
			int k = 1 + x % 3;
			goc_mutex_lock(&g->mu);
			g->tokens += k;
			g->puts += k;
			if (x & 4)
				goc_cond_broadcast(&g->cond);
			else
				for (int j = 0; j < k; j++)
					goc_cond_signal(&g->cond);
			goc_mutex_unlock(&g->mu);
			break;
		}
		case 6:
			goc_mutex_lock(&g->mu);
			while (g->tokens == 0)
				goc_cond_wait(&g->cond, &g->mu);
			g->tokens--;
			g->takes++;
			goc_mutex_unlock(&g->mu);
			break;
		case 7:
			ctx_wait(g, n);
			break;
		case 8: {
			int v = 0, dv;
			bool ok = false;
			goc_case_t cs[2] = {
				GOC_RECV(goc_ctx_done(g->ctx[n]), &dv),
				GOC_RECV_OK(g->work, &v, &ok)};
			if (goc_select(cs, 2) == 0) {
				ctx_check(g, n, goc_ctx_err(g->ctx[n]),
					  goc_now(), true);
			} else if (ok) {
				if (v < 1 || v > g->nvals)
					fail("a work value that was never "
					     "sent");
				if (g->got[v]++ != 0)
					fail("a work value received twice");
			}
			break;
		}
		case 9: {
			int k = g->nkids++;
			g->kid[k] = (struct sargs){g, n};
			if (goc_wg_go(&g->wg, kid_wait, &g->kid[k]) != 0)
				fail("goc_wg_go failed");
			break;
		}
		case 10:
			goc_sleep((int64_t)x * 1000);
			break;
		case 11:
			goc_yield();
			break;
		case 12: {
			int64_t d = (int64_t)x * 1000, t0 = goc_now();
			int r = goc_sleep_ctx(g->ctx[n], d);
			int64_t t1 = goc_now();
			if (r == 0) {
				if (t1 - t0 < d)
					fail("goc_sleep_ctx returned early");
			} else {
				ctx_check(g, n, r, t1, true);
			}
			break;
		}
		default: /* 13 */
			if (x & 1) {
				if (goc_rwmutex_try_rlock(&g->rw)) {
					if (g->writers != 0)
						fail("an RWMutex try-reader "
						     "beside a writer");
					goc_rwmutex_runlock(&g->rw);
				}
			} else if (goc_rwmutex_try_lock(&g->rw)) {
				if (g->writers != 0 || g->readers != 0)
					fail("an RWMutex try-writer is not "
					     "alone");
				goc_rwmutex_unlock(&g->rw);
			}
			break;
		}
	}
	goc_wg_done(&g->wg);
}

/* After goc_ctx_cancel(x) returns: x's subtree is done, and every other
 * node is done only if its own ancestry explains it. */
static void
check_after_cancel(struct sprog *g, int x)
{
	for (int n = 0; n < g->nctx; n++) {
		int err = goc_ctx_err(g->ctx[n]);
		int64_t now = goc_now();
		bool desc = is_ancestor(g, x, n);
		ctx_check(g, n, err, now, desc);
		if (desc) {
			int v;
			if (goc_chan_try_recv(goc_ctx_done(g->ctx[n]), &v) !=
			    GOC_CHAN_CLOSED)
				fail("a cancelled context's done channel is "
				     "not closed");
		}
	}
}

static void
cancel_node(struct sprog *g, int x)
{
	g->cancel_started[x] = true;
	goc_ctx_cancel(g->ctx[x]);
	check_after_cancel(g, x);
}

static void
canceller(void *arg)
{
	struct sprog *g = arg;

	for (int i = 0; i < g->ncan; i++) {
		uint8_t b = g->can[i];
		if ((b & 1) == 0)
			cancel_node(g, (b >> 1) % g->nctx);
		else
			goc_sleep((int64_t)((b >> 1) % 32) * 1000);
	}
	/* Every deadline fires: wait for each deadline node. */
	for (int n = 0; n < g->nctx; n++)
		if (g->timeout[n] >= 0)
			ctx_wait(g, n);
	cancel_node(g, 0);
	goc_wg_done(&g->wg);
}

static int
sprog_main(void *arg)
{
	struct sprog *g = arg;
	struct sargs args[MAXW];

	for (int n = 0; n < g->nctx; n++) {
		goc_ctx_t *p =
			n == 0 ? goc_ctx_background() : g->ctx[g->parent[n]];
		g->deadline[n] = INT64_MAX;
		if (g->timeout[n] >= 0) {
			/* Its own deadline, or an earlier ancestor's. */
			int64_t inherited = INT64_MAX;
			for (int a = g->parent[n];; a = g->parent[a]) {
				if (g->deadline[a] < inherited)
					inherited = g->deadline[a];
				if (a == 0)
					break;
			}
			int64_t t = g->timeout[n], start = goc_now();
			g->ctx[n] = goc_ctx_with_timeout(p, t);
			int64_t end = goc_now(), dl = 0;
			if (g->ctx[n] == NULL ||
			    !goc_ctx_deadline(g->ctx[n], &dl))
				fail("a timeout context has no deadline");
			if (!(dl == inherited && inherited <= end + t) &&
			    !(dl >= start + t && dl <= end + t))
				fail("a timeout context's deadline is wrong");
			g->deadline[n] = dl;
		} else {
			g->ctx[n] = goc_ctx_with_cancel(p);
			if (g->ctx[n] == NULL)
				fail("goc_ctx_with_cancel failed");
		}
	}
	g->work = goc_chan_make(sizeof(int), (size_t)g->workcap);
	goc_cond_init(&g->cond, &g->mu);
	goc_wg_add(&g->wg, g->nw + 1);
	for (int w = 0; w < g->nw; w++) {
		args[w] = (struct sargs){g, w};
		goc_go(sworker, &args[w]);
	}
	goc_go(canceller, g);
	for (int v = 1; v <= g->nvals; v++) {
		int dv;
		goc_case_t cs[2] = {GOC_SEND(g->work, &v),
				    GOC_RECV(goc_ctx_done(g->ctx[0]), &dv)};
		if (goc_select(cs, 2) == 1)
			break;
		g->sent = v;
	}
	goc_chan_close(g->work);
	/* One token per take, each with its own signal: a take that comes
	 * before the put it would need (even its own worker's) still ends,
	 * and a lost signal still leaves a taker asleep. */
	for (int k = 0; k < g->want_takes; k++) {
		goc_mutex_lock(&g->mu);
		g->tokens++;
		g->puts++;
		goc_cond_signal(&g->cond);
		goc_mutex_unlock(&g->mu);
	}
	goc_wg_wait(&g->wg);
	/* Values the selects did not take are still buffered. */
	int v;
	while (goc_chan_recv(g->work, &v)) {
		if (v < 1 || v > g->nvals || g->got[v]++ != 0)
			fail("a buffered work value was never sent or twice");
	}
	for (int n = 0; n < g->nctx; n++) {
		ctx_check(g, n, goc_ctx_err(g->ctx[n]), goc_now(), true);
		goc_ctx_release(g->ctx[n]);
	}
	goc_chan_release(g->work);
	return 0;
}

static void
run_sync(const uint8_t *data, size_t size)
{
	struct sprog *g = calloc(1, sizeof(*g));
	size_t i = size > 0 ? 1 : 0; /* byte 0 picked the kind */
#define NEXT() (i < size ? data[i++] : 0)

	if (g == NULL)
		fail("out of memory");
	g->nctx = 1 + NEXT() % MAXCTX;
	g->timeout[0] = -1;
	for (int n = 1; n < g->nctx; n++) {
		uint8_t b = NEXT();
		g->parent[n] = b % n;
		g->timeout[n] = (b & 8) ? (int64_t)(NEXT() % 64) * 5000 : -1;
	}
	g->workcap = NEXT() % 3;
	g->nw = 1 + NEXT() % MAXW;
	for (int w = 0; w < g->nw; w++) {
		g->nops[w] = NEXT() % (MAXOPS + 1);
		for (int k = 0; k < g->nops[w]; k++) {
			uint8_t op = g->ops[w][k] = NEXT();
			switch (op & 15) {
			case 0:
			case 14:
			case 15:
				g->want_cs++;
				break;
			case 1:
				g->want_cs += 1 + (op >> 4) % 4;
				break;
			case 5:
				g->want_puts += 1 + (op >> 4) % 3;
				break;
			case 6:
				g->want_takes++;
				break;
			case 8:
				g->nvals++;
				break;
			default:
				break;
			}
		}
	}
	g->ncan = NEXT() % (MAXCAN + 1);
	for (int k = 0; k < g->ncan; k++)
		g->can[k] = NEXT();
#undef NEXT
	goc__sim_restart_bytes(data + i, size - i);
	goc_run(sprog_main, g);
	shutdown_and_settle();
	if (g->cs != g->want_cs + g->tries)
		fail("the mutex counter does not add up");
	if (g->takes != g->want_takes ||
	    g->puts != g->want_puts + g->want_takes ||
	    g->tokens != g->puts - g->takes)
		fail("the Cond token count does not add up");
	for (int v = 1; v <= g->nvals; v++)
		if (g->got[v] != (v <= g->sent))
			fail("a work value was lost");
	free(g);
}

/* ==== kind 1: programs that may deadlock, and their model ============= */

#define DG   4 /* goroutines: main (0) and up to three workers */
#define DOPS 6 /* operations per goroutine (main: 3) */
#define DCH  2

enum {
	D_SEND,
	D_RECV,
	D_TRYSEND,
	D_TRYRECV,
	D_SELRECV,
	D_SELSEND,
	D_LOCK, /* the mutex op resolves to lock or unlock */
	D_CWAIT,
	D_CSIG,
	D_CBCAST,
	D_UNLOCK
};

struct dprog {
	int ng, nch;
	int cap[DCH];
	int nops[DG];
	uint8_t op[DG][DOPS], ch[DG][DOPS];
	/* model results */
	bool can_complete, can_deadlock;
	uint32_t finals; /* bit (held + 2 * (count0 + 3 * count1)) */
	/* run state */
	goc_chan_t *c[DCH];
	goc_mutex_t mu, cmu;
	goc_cond_t cond;
	goc_wg_t wg;
};

/*
 * Model state, packed: pc (3 bits) per goroutine, a Cond-waiting bit per
 * goroutine, a 2-bit buffer count per channel and the mutex's held bit.
 */
#define S_PC(s, i)  (((s) >> (3 * (i))) & 7)
#define S_CW(s, i)  (((s) >> (12 + (i))) & 1)
#define S_CNT(s, c) (((s) >> (16 + 2 * (c))) & 3)
#define S_HELD(s)   (((s) >> 20) & 1)
#define S_BITS      21
#define PC_INC(i)   ((uint32_t)1 << (3 * (i)))
#define CW_BIT(i)   ((uint32_t)1 << (12 + (i)))
#define CNT_INC(c)  ((uint32_t)1 << (16 + 2 * (c)))
#define HELD_BIT    ((uint32_t)1 << 20)

static uint64_t model_seen[((size_t)1 << S_BITS) / 64];
static uint32_t model_stack[(size_t)1 << S_BITS];
static size_t model_sp;

static void
model_push(uint32_t s)
{
	if (model_seen[s >> 6] & ((uint64_t)1 << (s & 63)))
		return;
	model_seen[s >> 6] |= (uint64_t)1 << (s & 63);
	model_stack[model_sp++] = s;
}

/* The channels goroutine i's operation at pc may send on (bit per
 * channel) as a blocking operation (parks) or a try. */
static unsigned
model_sends(const struct dprog *g, int i, int pc, bool *blocking)
{
	int o = g->op[i][pc], c = g->ch[i][pc];
	*blocking = o != D_TRYSEND;
	if (o == D_SEND || o == D_TRYSEND)
		return 1u << c;
	if (o == D_SELSEND)
		return (1u << c) | (1u << ((c + 1) % g->nch));
	return 0;
}

static unsigned
model_recvs(const struct dprog *g, int i, int pc, bool *blocking)
{
	int o = g->op[i][pc], c = g->ch[i][pc];
	*blocking = o != D_TRYRECV;
	if (o == D_RECV || o == D_TRYRECV)
		return 1u << c;
	if (o == D_SELRECV)
		return (1u << c) | (1u << ((c + 1) % g->nch));
	return 0;
}

/* Pushes every successor of s; returns whether there was one. */
static bool
model_step(const struct dprog *g, uint32_t s)
{
	bool any = false;

	for (int i = 0; i < g->ng; i++) {
		int pc = S_PC(s, i);
		if (pc >= g->nops[i] || S_CW(s, i))
			continue;
		int o = g->op[i][pc];
		bool blk;
		unsigned snd = model_sends(g, i, pc, &blk);
		unsigned rcv = model_recvs(g, i, pc, &blk);
		uint32_t next = s + PC_INC(i);
		/* Buffered channels: one goroutine's step. */
		for (int c = 0; c < g->nch; c++) {
			if (g->cap[c] == 0)
				continue;
			if ((snd >> c & 1) && (int)S_CNT(s, c) < g->cap[c]) {
				model_push(next + CNT_INC(c));
				any = true;
			}
			if ((rcv >> c & 1) && S_CNT(s, c) > 0) {
				model_push(next - CNT_INC(c));
				any = true;
			}
		}
		/* Unbuffered: a send meets a receive of another goroutine,
		 * at least one of them parked (two tries never meet). */
		for (int c = 0; c < g->nch; c++) {
			if (g->cap[c] != 0 || (snd >> c & 1) == 0)
				continue;
			bool sblk = o != D_TRYSEND;
			for (int j = 0; j < g->ng; j++) {
				int pj = S_PC(s, j);
				if (j == i || pj >= g->nops[j] || S_CW(s, j))
					continue;
				bool rblk;
				unsigned r = model_recvs(g, j, pj, &rblk);
				if ((r >> c & 1) && (sblk || rblk)) {
					model_push(next + PC_INC(j));
					any = true;
				}
			}
		}
		switch (o) {
		case D_TRYSEND:
		case D_TRYRECV: {
			/* Fails when nothing is ready; on an unbuffered
			 * channel also while the partner has not parked. */
			int c = g->ch[i][pc];
			bool ready = o == D_TRYSEND
					     ? (int)S_CNT(s, c) < g->cap[c]
					     : S_CNT(s, c) > 0;
			if (g->cap[c] == 0 || !ready) {
				model_push(next);
				any = true;
			}
			break;
		}
		case D_LOCK:
			if (!S_HELD(s)) {
				model_push(next | HELD_BIT);
				any = true;
			}
			break;
		case D_UNLOCK:
			model_push(next & ~HELD_BIT);
			any = true;
			break;
		case D_CWAIT:
			/* Lock, take a ticket, unlock and sleep: one step
			 * (the Cond's mutex is free between steps). */
			model_push(s | CW_BIT(i));
			any = true;
			break;
		case D_CSIG: {
			bool woke = false;
			for (int j = 0; j < g->ng; j++)
				if (S_CW(s, j)) {
					model_push((next & ~CW_BIT(j)) +
						   PC_INC(j));
					woke = true;
				}
			if (!woke)
				model_push(next);
			any = true;
			break;
		}
		case D_CBCAST: {
			uint32_t t = next;
			for (int j = 0; j < g->ng; j++)
				if (S_CW(s, j))
					t = (t & ~CW_BIT(j)) + PC_INC(j);
			model_push(t);
			any = true;
			break;
		}
		default:
			break;
		}
	}
	return any;
}

static void
model_explore(struct dprog *g)
{
	memset(model_seen, 0, sizeof(model_seen));
	model_sp = 0;
	g->can_complete = g->can_deadlock = false;
	g->finals = 0;
	model_push(0);
	while (model_sp > 0) {
		uint32_t s = model_stack[--model_sp];
		if (model_step(g, s))
			continue;
		bool done = true;
		for (int i = 0; i < g->ng; i++)
			if ((int)S_PC(s, i) < g->nops[i])
				done = false;
		if (done) {
			g->can_complete = true;
			g->finals |= 1u << (S_HELD(s) + 2 * (S_CNT(s, 0) +
							     3 * S_CNT(s, 1)));
		} else {
			g->can_deadlock = true;
		}
	}
}

struct dargs {
	struct dprog *g;
	int id;
};

static void
drun_ops(struct dprog *g, int i)
{
	for (int k = 0; k < g->nops[i]; k++) {
		int c = g->ch[i][k], c2 = (c + 1) % g->nch;
		int v = i, v2 = i;
		switch (g->op[i][k]) {
		case D_SEND:
			goc_chan_send(g->c[c], &v);
			break;
		case D_RECV:
			if (!goc_chan_recv(g->c[c], &v))
				fail("a receive on an open channel failed");
			break;
		case D_TRYSEND: {
			goc_case_t cs[1] = {GOC_SEND(g->c[c], &v)};
			(void)goc_select_try(cs, 1);
			break;
		}
		case D_TRYRECV: {
			goc_case_t cs[1] = {GOC_RECV(g->c[c], &v)};
			(void)goc_select_try(cs, 1);
			break;
		}
		case D_SELRECV: {
			goc_case_t cs[2] = {GOC_RECV(g->c[c], &v),
					    GOC_RECV(g->c[c2], &v2)};
			(void)goc_select(cs, c == c2 ? 1 : 2);
			break;
		}
		case D_SELSEND: {
			goc_case_t cs[2] = {GOC_SEND(g->c[c], &v),
					    GOC_SEND(g->c[c2], &v2)};
			(void)goc_select(cs, c == c2 ? 1 : 2);
			break;
		}
		case D_LOCK:
			goc_mutex_lock(&g->mu);
			break;
		case D_UNLOCK:
			goc_mutex_unlock(&g->mu);
			break;
		case D_CWAIT:
			goc_mutex_lock(&g->cmu);
			goc_cond_wait(&g->cond, &g->cmu);
			goc_mutex_unlock(&g->cmu);
			break;
		case D_CSIG:
			goc_mutex_lock(&g->cmu);
			goc_cond_signal(&g->cond);
			goc_mutex_unlock(&g->cmu);
			break;
		default: /* D_CBCAST */
			goc_mutex_lock(&g->cmu);
			goc_cond_broadcast(&g->cond);
			goc_mutex_unlock(&g->cmu);
			break;
		}
	}
}

static void
dworker(void *arg)
{
	struct dargs *a = arg;
	drun_ops(a->g, a->id);
	goc_wg_done(&a->g->wg);
}

static int
dprog_main(void *arg)
{
	struct dprog *g = arg;
	struct dargs args[DG];

	for (int c = 0; c < g->nch; c++)
		g->c[c] = goc_chan_make(sizeof(int), (size_t)g->cap[c]);
	goc_cond_init(&g->cond, &g->cmu);
	goc_wg_add(&g->wg, g->ng - 1);
	for (int i = 1; i < g->ng; i++) {
		args[i] = (struct dargs){g, i};
		goc_go(dworker, &args[i]);
	}
	drun_ops(g, 0);
	goc_wg_wait(&g->wg);
	return 0;
}

/* Runs the program to completion and checks the final state. */
static void
drun(struct dprog *g, const uint8_t *sched, size_t n)
{
	goc__sim_restart_bytes(sched, n);
	goc_run(dprog_main, g);
	shutdown_and_settle();
	if (!g->can_complete)
		fail("a program the model says always deadlocks completed");
	size_t c0 = goc_chan_len(g->c[0]);
	size_t c1 = g->nch > 1 ? goc_chan_len(g->c[1]) : 0;
	bool held = !goc_mutex_try_lock(&g->mu);
	if (!held)
		goc_mutex_unlock(&g->mu);
	if ((g->finals >> (held + 2 * (c0 + 3 * c1)) & 1) == 0)
		fail("a final state (buffers, mutex) the model does not "
		     "allow");
	for (int c = 0; c < g->nch; c++)
		goc_chan_release(g->c[c]);
}

static const char deadlock_msg[] = "all goroutines are asleep - deadlock!";

static void
deadlock_hook(const char *kind, const char *msg, void *arg)
{
	(void)arg;
	if (strcmp(kind, "fatal error") == 0 && strcmp(msg, deadlock_msg) == 0)
		_exit(DEADLOCK_EXIT);
	goc__sim_print_replay();
	_exit(CHILD_FAIL_EXIT);
}

static int child_err = -1; /* the children's stderr (a memfd) */

/* Runs a program that can deadlock in a child; checks its verdict. */
static void
drun_forked(struct dprog *g, const uint8_t *sched, size_t n)
{
	if (child_err < 0) {
		child_err = memfd_create("sim_sync_child", MFD_CLOEXEC);
		if (child_err < 0)
			fail("memfd_create failed");
	}
	if (ftruncate(child_err, 0) != 0 || lseek(child_err, 0, SEEK_SET) != 0)
		fail("cannot reset the child's stderr");
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		fail("fork failed");
	if (pid == 0) {
		/* libFuzzer's crash handlers stay the parent's. */
		static const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL,
					   SIGFPE};
		for (size_t k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
			signal(sigs[k], SIG_DFL);
		in_child = true;
		dup2(child_err, 2);
		goc_set_panic_hook(deadlock_hook, NULL);
		drun(g, sched, n);
		_exit(0);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid failed");
	if (WIFEXITED(st) && WEXITSTATUS(st) == DEADLOCK_EXIT &&
	    g->can_deadlock)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return; /* completed, final state checked in the child */
	char buf[4096];
	ssize_t r;
	lseek(child_err, 0, SEEK_SET);
	fprintf(stderr,
		"fuzz/sim_sync: the child (model: %s%s) ended with status "
		"%#x and said:\n",
		g->can_complete ? "can complete " : "",
		g->can_deadlock ? "can deadlock" : "", (unsigned)st);
	while ((r = read(child_err, buf, sizeof(buf))) > 0)
		if (write(2, buf, (size_t)r) != r)
			break;
	fail("the runtime's verdict is not the model's (the run's own "
	     "sim: line is the child's, above)");
}

static void
run_deadlock(const uint8_t *data, size_t size)
{
	struct dprog *g = calloc(1, sizeof(*g));
	size_t i = size > 0 ? 1 : 0; /* byte 0 picked the kind */
#define NEXT() (i < size ? data[i++] : 0)

	if (g == NULL)
		fail("out of memory");
	g->nch = 1 + NEXT() % DCH;
	for (int c = 0; c < g->nch; c++)
		g->cap[c] = NEXT() % 3;
	g->ng = 3 + NEXT() % 2;
	for (int k = 0; k < g->ng; k++) {
		bool held = false;
		g->nops[k] = NEXT() % (k == 0 ? 4 : DOPS);
		for (int j = 0; j < g->nops[k]; j++) {
			uint8_t b = NEXT();
			int o = (b & 15) % 10;
			if (o == D_LOCK) {
				if (held)
					o = D_UNLOCK;
				held = !held;
			}
			g->op[k][j] = (uint8_t)o;
			g->ch[k][j] = (uint8_t)((b >> 4) % g->nch);
		}
	}
#undef NEXT
	model_explore(g);
	if (!g->can_complete && !g->can_deadlock)
		fail("the model found no outcome");
	if (g->can_deadlock)
		drun_forked(g, data + i, size - i);
	else
		drun(g, data + i, size - i);
	free(g);
}

/*
 * The first context in a process cancelled before anyone asked for its
 * done channel creates the process-wide closed channel they all share
 * (src/context/context.c, closedchan, as Go's), and that channel's make
 * and close are decision points later runs do not take: an input would
 * run differently alone than in a campaign. Every process makes it
 * first, so each input replays alone with its campaign's trace.
 */
static int
warm_main(void *arg)
{
	goc_ctx_t *c = goc_ctx_with_cancel(goc_ctx_background());

	(void)arg;
	if (c == NULL)
		fail("goc_ctx_with_cancel failed");
	goc_ctx_cancel(c);
	if (goc_ctx_done(c) == NULL)
		fail("a cancelled context has no done channel");
	goc_ctx_release(c);
	return 0;
}

static void
warm_up(void)
{
	static bool warm;

	if (warm)
		return;
	warm = true;
	goc__sim_restart_seed(1);
	goc_run(warm_main, NULL);
	shutdown_and_settle();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	warm_up();
	if (size > 0 && (data[0] & 1))
		run_deadlock(data, size);
	else
		run_sync(data, size);
	return 0;
}
