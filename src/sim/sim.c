/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The deterministic simulation (sim.h): the OS contract of os.h (clock,
 * futexes, short sleeps, threads) implemented over fibers on the one OS
 * thread that started the runtime, with virtual time and every choice
 * drawn from a replayable source.
 *
 * Model. A simulated thread is runnable, waiting (on a futex word, a
 * sleep or a join, with an optional virtual deadline) or done. Exactly
 * one runs at a time; it gives the OS thread up only at a decision point
 * (goc__sim_point: runtime locks, the RMWs and spin loops that carry
 * GOC_SIM_POINT/GOC_SIM_SPIN, and every futex, sleep and thread call),
 * where the source picks the next runnable thread, itself included.
 * Every point advances virtual time by a small tick, so deadlines pass
 * while threads poll. When no thread is runnable, time jumps to the
 * earliest deadline; when none has one, the simulated program hangs,
 * which the simulation reports (a real process would hang silently).
 *
 * Sources. PRNG (GOCONC_SIM_SEED): at each point the running thread
 * keeps the CPU for a random run of points, then a uniformly random
 * runnable thread is picked; the longest run (1 to 64 points) is itself
 * drawn from the seed, so seeds range from "switch at every point" to
 * "long quanta". PCT (GOCONC_SIM_PCT=d, Burckhardt et al., ASPLOS 2010):
 * random distinct thread priorities, the highest runnable runs, and at
 * d-1 random points of an estimated run length the running thread drops
 * below every initial priority; a thread at a spin point drops below
 * all. Bytes (fuzzers): a switch takes two bytes, a run length (its low
 * four bits) and a pick, then a PRNG seeded from the bytes' hash takes
 * over. Wake-up order among futex waiters comes from the same source;
 * spurious futex wake-ups (which every caller tolerates, os.h) and
 * goc__fastrand come from the PRNG.
 *
 * Determinism. Nothing here reads real time or depends on addresses; the
 * thread lists are in creation order and waiters are ordered by when
 * they began to wait. A run is a function of the source as long as the
 * program's own allocations are (glibc's malloc is, on one thread).
 *
 * Sanitizers. Switches go through rt/fiber.h. A simulated thread may be
 * suspended on any stack (its own, its M's g0, or a goroutine's), so its
 * fiber record is a save slot: before each switch away, its ASan stack
 * bounds are cleared so that the resumed side learns them from
 * __sanitizer_finish_switch_fiber, and its TSan fiber is set to the
 * running one; the thread's own values are restored before it is
 * destroyed.
 *
 * Not supported: raw pthreads calling into a simulated runtime (fatal),
 * real blocking system calls (they block the whole simulation).
 */
#include "config.h"

#ifdef GOC_SIM

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "goconc/common.h"
#include "internal/panic.h"
#include "os/os.h"
#include "rt/fiber.h"
#include "sim/sim.h"

/* Virtual time starts well above zero: the runtime uses 0 for "none". */
#define START_NS ((int64_t)1 << 32)
/* Virtual time one decision point takes. */
#define TICK_NS 50
/* Virtual time with only daemon threads (sysmon) waking that means the
 * simulated program hangs. */
#define QUIET_LIMIT_NS ((int64_t)60 * 1000 * 1000 * 1000)
/* A spurious futex wake-up happens once in this many waits. */
#define SPURIOUS_ODDS 32
/* Default stack of a simulated thread; sanitizers need more. */
#if GOC_ASAN_ENABLED || GOC_TSAN_ENABLED
#define MIN_STACK ((size_t)1 << 20)
#else
#define MIN_STACK ((size_t)256 << 10)
#endif
#define PCT_MAX_DEPTH 16

enum { T_RUN, T_WAIT, T_DONE };
enum { SRC_PRNG, SRC_PCT, SRC_BYTES };

struct sim_thread {
	struct goc_fiber fiber; /* save slot (see Sanitizers above) */
	int id;                 /* creation order; 0 is the first thread */
	int state;
	uint32_t *waddr;  /* futex word waited on, or NULL */
	int64_t deadline; /* virtual; -1: none */
	uint64_t wseq;    /* when the wait began, for wake order */
	bool timedout;
	bool is_main;
	bool ever_m; /* ran an M: not a daemon like sysmon */
	bool detached;
	uint32_t done; /* 1 once finished; joiners wait on it */
	struct goc_m *m;
	void *(*fn)(void *);
	void *arg;
	void *map; /* the stack mapping, a guard page at the bottom */
	size_t map_size;
	void *stack_lo;
	size_t stack_size;
	void *own_tsan_fiber;
	int64_t prio; /* PCT: the highest runnable runs */
	struct sim_thread *next;
};

static struct {
	bool inited;
	pthread_t owner;
	struct sim_thread mainth;
	struct sim_thread *cur;
	struct sim_thread *live; /* creation order */
	struct sim_thread *zombies;
	int nlive;
	int nextid;
	int64_t now;
	int64_t last_progress; /* when a non-daemon thread last ran */
	uint64_t steps, decisions, hash, wseq, max_steps;
	int src;
	uint64_t seed, rng;
	const uint8_t *bytes;
	size_t nbytes, pos;
	uint32_t run_left, run_max;
	int pct_depth;
	int64_t pct_floor; /* below every priority given so far */
	uint64_t pct_steps;
	uint64_t pct_change[PCT_MAX_DEPTH];
	int ncpu;
	bool verbose, reported;
} sim;

/* ---- source ---------------------------------------------------------- */

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
mix(uint64_t v)
{
	/* FNV-1a over 64-bit words. */
	sim.hash = (sim.hash ^ v) * 0x100000001b3ULL;
}

/* A PRNG draw in [0, n): never from the fuzzer's bytes. */
static uint32_t
draw_rng(uint32_t n)
{
	if (n <= 1)
		return 0;
	uint32_t r = (uint32_t)(splitmix(&sim.rng) % n);
	sim.decisions++;
	mix(((uint64_t)n << 32) | r);
	return r;
}

/* A scheduling draw in [0, n): the fuzzer's next byte if any. */
static uint32_t
draw_sched_byte(void)
{
	if (sim.src == SRC_BYTES && sim.pos < sim.nbytes)
		return sim.bytes[sim.pos++];
	return (uint32_t)(splitmix(&sim.rng) & 0xff);
}

static uint32_t
draw_sched(uint32_t n)
{
	if (n <= 1)
		return 0;
	uint32_t r;
	if (sim.src == SRC_BYTES && sim.pos < sim.nbytes) {
		uint32_t v = sim.bytes[sim.pos++];
		if (n > 256 && sim.pos < sim.nbytes)
			v = v << 8 | sim.bytes[sim.pos++];
		r = v % n;
	} else {
		r = (uint32_t)(splitmix(&sim.rng) % n);
	}
	sim.decisions++;
	mix(((uint64_t)n << 32) | r);
	return r;
}

/* ---- failure reports --------------------------------------------------- */

void
goc__sim_print_replay(void)
{
	char buf[256];
	int n;

	if (sim.src == SRC_BYTES)
		n = snprintf(buf, sizeof(buf),
			     "sim: bytes=%zu hash=%llu decisions=%llu "
			     "steps=%llu trace=%016llx\n",
			     sim.nbytes, (unsigned long long)sim.seed,
			     (unsigned long long)sim.decisions,
			     (unsigned long long)sim.steps,
			     (unsigned long long)sim.hash);
	else
		n = snprintf(buf, sizeof(buf),
			     "sim: seed=%llu pct=%d decisions=%llu steps=%llu "
			     "trace=%016llx (replay: GOCONC_SIM_SEED=%llu%s)\n",
			     (unsigned long long)sim.seed,
			     sim.src == SRC_PCT ? sim.pct_depth : 0,
			     (unsigned long long)sim.decisions,
			     (unsigned long long)sim.steps,
			     (unsigned long long)sim.hash,
			     (unsigned long long)sim.seed,
			     sim.src == SRC_PCT ? " GOCONC_SIM_PCT=<d>" : "");
	if (n > 0) {
		ssize_t w = write(2, buf,
				  (size_t)n < sizeof(buf) ? (size_t)n
							  : sizeof(buf));
		(void)w;
	}
}

static struct sigaction old_abrt;

static void
on_abrt(int sig, siginfo_t *si, void *uc)
{
	if (!sim.reported) {
		sim.reported = true;
		goc__sim_print_replay();
	}
	/* Chain to whoever handled SIGABRT before (libFuzzer saves the
	 * input there); otherwise abort() re-raises with SIG_DFL. */
	if ((old_abrt.sa_flags & SA_SIGINFO) && old_abrt.sa_sigaction != NULL)
		old_abrt.sa_sigaction(sig, si, uc);
	else if (old_abrt.sa_handler != SIG_DFL &&
		 old_abrt.sa_handler != SIG_IGN && old_abrt.sa_handler != NULL)
		old_abrt.sa_handler(sig);
}

static void
on_exit_report(int status, void *arg)
{
	(void)arg;
	if ((status != 0 || sim.verbose) && !sim.reported) {
		sim.reported = true;
		goc__sim_print_replay();
	}
}

static GOC_NORETURN void
sim_fail(const char *what)
{
	fprintf(stderr, "sim: %s\n", what);
	for (struct sim_thread *t = sim.live; t != NULL; t = t->next)
		fprintf(stderr,
			"sim:   thread %d%s%s: %s%s deadline=%lld m=%p\n",
			t->id, t->is_main ? " (main)" : "",
			t->ever_m ? " (M)" : (t->is_main ? "" : " (daemon)"),
			t->state == T_RUN ? "runnable" : "waiting",
			t->state == T_WAIT && t->waddr != NULL ? " on futex"
							       : "",
			(long long)t->deadline, (void *)t->m);
	sim.reported = true;
	goc__sim_print_replay();
	abort();
}

/* ---- set-up ------------------------------------------------------------ */

static uint64_t
env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);
	if (v == NULL || *v == 0)
		return def;
	return strtoull(v, NULL, 0);
}

/* A PCT initial priority: above d, so change points (1..d-1) and
 * demoted spinners (<= 0) fall below it. */
static int64_t
pct_initial(void)
{
	return (int64_t)sim.pct_depth + (int64_t)(splitmix(&sim.rng) >> 24);
}

static void
restart(int src, uint64_t seed)
{
	if (sim.nlive != 1 || sim.cur != &sim.mainth)
		goc__throw("sim: restart with simulated threads alive "
			   "(call goc_shutdown first)");
	sim.src = src;
	sim.seed = seed;
	sim.rng = seed ^ 0x5851f42d4c957f2dULL;
	sim.hash = 0xcbf29ce484222325ULL ^ seed;
	sim.now = START_NS;
	sim.last_progress = START_NS;
	sim.steps = sim.decisions = sim.wseq = 0;
	sim.nextid = 1;
	sim.run_left = 0;
	sim.reported = false;
	/* The longest run of points a thread keeps the CPU: 1 to 64. */
	sim.run_max = 1u << (splitmix(&sim.rng) % 7);
	if (src == SRC_PCT) {
		for (int i = 0; i < sim.pct_depth - 1; i++)
			sim.pct_change[i] =
				1 + splitmix(&sim.rng) % sim.pct_steps;
		sim.mainth.prio = pct_initial();
		sim.pct_floor = 0;
	}
}

static void
sim_init(void)
{
	struct sim_thread *m = &sim.mainth;

	sim.inited = true;
	sim.owner = pthread_self();
	goc__fiber_init_thread(&m->fiber);
	m->is_main = true;
	m->state = T_RUN;
	m->deadline = -1;
	sim.cur = sim.live = m;
	sim.nlive = 1;
	sim.ncpu = (int)env_u64("GOCONC_SIM_NCPU", 4);
	if (sim.ncpu < 1)
		sim.ncpu = 1;
	sim.verbose = env_u64("GOCONC_SIM_VERBOSE", 0) != 0;
	sim.max_steps = env_u64("GOCONC_SIM_MAX_STEPS", 200000000);
	sim.pct_depth = (int)env_u64("GOCONC_SIM_PCT", 0);
	sim.pct_steps = env_u64("GOCONC_SIM_PCT_STEPS", 20000);
	if (sim.pct_steps == 0)
		sim.pct_steps = 1;
	if (sim.pct_depth > PCT_MAX_DEPTH)
		sim.pct_depth = PCT_MAX_DEPTH;
	uint64_t seed = env_u64("GOCONC_SIM_SEED", 1);
	restart(sim.pct_depth > 0 ? SRC_PCT : SRC_PRNG, seed);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_abrt;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGABRT, &sa, &old_abrt);
	on_exit(on_exit_report, NULL);
}

/* Every entry from the runtime: start the simulation on first use, and
 * refuse threads it does not own. */
static inline void
sim_enter(void)
{
	if (GOC_UNLIKELY(!sim.inited))
		sim_init();
	if (GOC_UNLIKELY(!pthread_equal(pthread_self(), sim.owner))) {
		static const char msg[] =
			"sim: a thread the simulation does not own called "
			"into the runtime (raw threads are not simulated)\n";
		ssize_t w = write(2, msg, sizeof(msg) - 1);
		(void)w;
		abort();
	}
}

/* ---- scheduling --------------------------------------------------------- */

static bool
is_daemon(const struct sim_thread *t)
{
	return !t->is_main && !t->ever_m;
}

static void
make_runnable(struct sim_thread *t, bool timedout)
{
	t->state = T_RUN;
	t->waddr = NULL;
	t->deadline = -1;
	t->timedout = timedout;
}

/* Wakes every waiter whose deadline has passed. */
static void
expire(void)
{
	for (struct sim_thread *t = sim.live; t != NULL; t = t->next)
		if (t->state == T_WAIT && t->deadline >= 0 &&
		    t->deadline <= sim.now)
			make_runnable(t, true);
}

/* Frees finished threads; never the running one. */
static void
reap(void)
{
	struct sim_thread **pp = &sim.zombies;
	while (*pp != NULL) {
		struct sim_thread *t = *pp;
		if (t == sim.cur) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
#if GOC_ASAN_ENABLED
		t->fiber.stack_lo = t->stack_lo;
		t->fiber.stack_size = t->stack_size;
#endif
#if GOC_TSAN_ENABLED
		t->fiber.tsan_fiber = t->own_tsan_fiber;
#endif
		goc__fiber_destroy(&t->fiber);
		munmap(t->map, t->map_size);
		t->map = NULL;
		t->next = NULL;
		/* A joinable thread's record lives until the join. */
		if (t->detached)
			free(t);
	}
}

static void
pct_step(void)
{
	for (int i = 0; i < sim.pct_depth - 1; i++)
		if (sim.pct_change[i] == sim.steps) {
			/* Below every initial priority (those are >= d). */
			sim.cur->prio = (int64_t)(sim.pct_depth - 1 - i);
			mix(0x9c7 ^ sim.steps);
		}
}

/*
 * choose picks the next thread to run among the runnable ones (the
 * running thread included when it is runnable); NULL if there is none.
 */
static struct sim_thread *
choose(int kind)
{
	struct sim_thread *cand[64], **c = cand, **heap = NULL;
	uint32_t n = 0, cap = 64;
	struct sim_thread *cur = sim.cur;
	bool cur_ok = cur->state == T_RUN;

	if (cur_ok && kind == GOC_SIM_KIND_POINT && sim.src != SRC_PCT &&
	    sim.run_left > 0) {
		sim.run_left--;
		return cur;
	}
	for (struct sim_thread *t = sim.live; t != NULL; t = t->next) {
		if (t->state != T_RUN)
			continue;
		if (n == cap) {
			cap *= 2;
			struct sim_thread **nc =
				realloc(heap, cap * sizeof(*nc));
			if (nc == NULL)
				goc__throw("sim: out of memory");
			if (heap == NULL)
				memcpy(nc, cand, sizeof(cand));
			heap = c = nc;
		}
		c[n++] = t;
	}
	if (n == 0) {
		free(heap);
		return NULL;
	}
	/* A spinner lets another runnable thread go first. */
	if (kind == GOC_SIM_KIND_SPIN && cur_ok && n > 1) {
		uint32_t j = 0;
		for (uint32_t i = 0; i < n; i++)
			if (c[i] != cur)
				c[j++] = c[i];
		n = j;
	}
	struct sim_thread *pick;
	if (sim.src == SRC_PCT) {
		/* A spinner waits for someone: it drops below everyone, so
		 * the threads it waits for run (PCT assumes no spinning). */
		if (kind == GOC_SIM_KIND_SPIN && cur_ok)
			cur->prio = --sim.pct_floor;
		pick = c[0];
		for (uint32_t i = 1; i < n; i++)
			if (c[i]->prio > pick->prio)
				pick = c[i];
	} else {
		uint32_t b = draw_sched_byte();
		sim.run_left =
			sim.src == SRC_BYTES ? (b & 15) : (b % sim.run_max);
		pick = c[draw_sched(n)];
	}
	free(heap);
	return pick;
}

static void
switch_to(struct sim_thread *next)
{
	struct sim_thread *from = sim.cur;

	sim.cur = next;
	mix(0x5157 ^ ((uint64_t)next->id << 16));
	if (!is_daemon(next))
		sim.last_progress = sim.now;
#if GOC_ASAN_ENABLED
	/* Learned again by the resumed side: whatever stack we are on. */
	from->fiber.stack_lo = NULL;
	from->fiber.stack_size = 0;
#endif
#if GOC_TSAN_ENABLED
	from->fiber.tsan_fiber = __tsan_get_current_fiber();
#endif
	goc__fiber_switch(&from->fiber, &next->fiber);
	reap();
}

/*
 * next_runnable returns the thread to run now, jumping virtual time to
 * the earliest deadline when nothing is runnable, and failing when the
 * simulated program can never go on.
 */
static struct sim_thread *
next_runnable(int kind)
{
	for (;;) {
		expire();
		struct sim_thread *t = choose(kind);
		if (t != NULL)
			return t;
		int64_t when = -1;
		bool waiting_real = false; /* a non-daemon has a deadline */
		for (t = sim.live; t != NULL; t = t->next) {
			if (t->state != T_WAIT || t->deadline < 0)
				continue;
			if (when < 0 || t->deadline < when)
				when = t->deadline;
			if (!is_daemon(t))
				waiting_real = true;
		}
		if (when < 0)
			sim_fail("every simulated thread is blocked for good "
				 "(the program hangs)");
		if (when > sim.now)
			sim.now = when;
		/* A real thread's deadline (a timer M, a long sleep) is
		 * progress to come; sysmon's ticks alone are not. */
		if (waiting_real)
			sim.last_progress = sim.now;
		if (sim.now - sim.last_progress > QUIET_LIMIT_NS)
			sim_fail("only daemon threads ran for a minute of "
				 "virtual time (the program hangs)");
		mix(0x71e ^ (uint64_t)sim.now);
	}
}

/* The running thread has set its wait; run others until it is woken. */
static void
sim_block(void)
{
	struct sim_thread *self = sim.cur;
	struct sim_thread *next = next_runnable(GOC_SIM_KIND_POINT);
	if (next != self)
		switch_to(next);
}

static void
wait_on(uint32_t *addr, int64_t timeout_ns)
{
	struct sim_thread *self = sim.cur;

	self->state = T_WAIT;
	self->waddr = addr;
	self->deadline = -1;
	if (timeout_ns >= 0)
		self->deadline = timeout_ns > INT64_MAX - sim.now
					 ? INT64_MAX
					 : sim.now + timeout_ns;
	self->wseq = ++sim.wseq;
	self->timedout = false;
	sim_block();
}

void
goc__sim_point(int kind)
{
	sim_enter();
	sim.now += TICK_NS;
	if (GOC_UNLIKELY(++sim.steps > sim.max_steps))
		sim_fail("step limit reached (a livelock?); raise "
			 "GOCONC_SIM_MAX_STEPS if the program is just long");
	if (sim.src == SRC_PCT)
		pct_step();
	if (!is_daemon(sim.cur))
		sim.last_progress = sim.now;
	struct sim_thread *next = next_runnable(kind);
	if (next != sim.cur)
		switch_to(next);
}

/* ---- the OS contract ----------------------------------------------------- */

int64_t
goc_os_nanotime(void)
{
	sim_enter();
	return sim.now;
}

int
goc_os_futex_wait(uint32_t *addr, uint32_t val, int64_t timeout_ns)
{
	goc__sim_point(GOC_SIM_KIND_POINT);
	/* Acquire, like the kernel's check under its hash-bucket lock. */
	if (__atomic_load_n(addr, __ATOMIC_ACQUIRE) != val)
		return 0;
	/* A wait that times out at once is a poll: the thread gives up
	 * the CPU, as a spinner does, and comes back timed out. */
	if (timeout_ns == 0) {
		goc__sim_point(GOC_SIM_KIND_SPIN);
		return GOC_ETIMEDOUT;
	}
	/* Spurious wake-ups are part of the contract: callers loop. */
	if (draw_rng(SPURIOUS_ODDS) == 0)
		return 0;
	wait_on(addr, timeout_ns);
	return sim.cur->timedout ? GOC_ETIMEDOUT : 0;
}

void
goc_os_futex_wake(uint32_t *addr, int n)
{
	struct sim_thread *w[64];
	int nw = 0;

	sim_enter();
	for (struct sim_thread *t = sim.live; t != NULL; t = t->next) {
		if (t->state != T_WAIT || t->waddr != addr)
			continue;
		if (nw == 64)
			break;
		/* Insertion by wait order: the list is in creation order. */
		int i = nw++;
		while (i > 0 && w[i - 1]->wseq > t->wseq) {
			w[i] = w[i - 1];
			i--;
		}
		w[i] = t;
	}
	while (n > 0 && nw > 0) {
		uint32_t i = draw_sched((uint32_t)nw);
		make_runnable(w[i], false);
		memmove(&w[i], &w[i + 1],
			(size_t)(nw - 1 - (int)i) * sizeof(*w));
		nw--;
		n--;
	}
	goc__sim_point(GOC_SIM_KIND_POINT);
}

void
goc_os_usleep(uint32_t us)
{
	if (us == 0) {
		goc__sim_point(GOC_SIM_KIND_SPIN);
		return;
	}
	goc__sim_point(GOC_SIM_KIND_POINT);
	wait_on(NULL, (int64_t)us * 1000);
}

int
goc_os_ncpu(void)
{
	sim_enter();
	return sim.ncpu;
}

int
goc__sim_ncpu(void)
{
	return goc_os_ncpu();
}

static void
thread_entry(void *arg)
{
	struct sim_thread *t = arg;

	goc__fiber_entered(&t->fiber);
	reap();
	t->fn(t->arg);
	goc_os_thread_exit();
}

int
goc_os_thread_start(goc_os_thread_t *tp, void *(*fn)(void *), void *arg,
		    size_t stack_size, bool detached)
{
	sim_enter();
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = stack_size < MIN_STACK ? MIN_STACK : stack_size;
	size = (size + page - 1) & ~(page - 1);
	struct sim_thread *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return 11; /* EAGAIN, as pthread_create */
	void *map = mmap(NULL, size + page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED) {
		free(t);
		return 11;
	}
	mprotect(map, page, PROT_NONE);
	t->map = map;
	t->map_size = size + page;
	t->stack_lo = (char *)map + page;
	t->stack_size = size;
	t->fn = fn;
	t->arg = arg;
	t->detached = detached;
	t->id = sim.nextid++;
	t->deadline = -1;
	goc__fiber_make(&t->fiber, t->stack_lo, t->stack_size, thread_entry, t);
#if GOC_TSAN_ENABLED
	t->own_tsan_fiber = t->fiber.tsan_fiber;
#endif
	if (sim.src == SRC_PCT)
		t->prio = pct_initial();
	t->state = T_RUN;
	struct sim_thread **pp = &sim.live;
	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = t;
	sim.nlive++;
	mix(0xc4ea7e ^ (uint64_t)t->id);
	if (tp != NULL)
		*tp = (goc_os_thread_t)(uintptr_t)t;
	goc__sim_point(GOC_SIM_KIND_POINT);
	return 0;
}

void
goc_os_thread_exit(void)
{
	sim_enter();
	struct sim_thread *self = sim.cur;

	if (self->is_main)
		goc__throw("sim: the starting thread cannot exit");
	self->state = T_DONE;
	self->m = NULL;
	__atomic_store_n(&self->done, 1, __ATOMIC_RELEASE);
	for (struct sim_thread *t = sim.live; t != NULL; t = t->next)
		if (t->state == T_WAIT && t->waddr == &self->done)
			make_runnable(t, false);
	/* Off the live list, onto the zombies (freed by whoever runs next). */
	struct sim_thread **pp = &sim.live;
	while (*pp != self)
		pp = &(*pp)->next;
	*pp = self->next;
	sim.nlive--;
	self->next = sim.zombies;
	sim.zombies = self;
	mix(0xe817 ^ (uint64_t)self->id);
	struct sim_thread *next = next_runnable(GOC_SIM_KIND_POINT);
	sim.cur = next;
	if (!is_daemon(next))
		sim.last_progress = sim.now;
	goc__fiber_exit(&self->fiber, &next->fiber);
}

void
goc_os_thread_join(goc_os_thread_t h)
{
	struct sim_thread *t = (struct sim_thread *)(uintptr_t)h;

	sim_enter();
	while (__atomic_load_n(&t->done, __ATOMIC_ACQUIRE) == 0)
		wait_on(&t->done, -1);
	reap();
	if (t->map != NULL)
		goc__throw("sim: joined thread not reaped");
	free(t);
}

/* ---- thread-local M and randomness ------------------------------------- */

struct goc_m *
goc__sim_getm(void)
{
	sim_enter();
	return sim.cur->m;
}

void
goc__sim_setm(struct goc_m *m)
{
	sim_enter();
	sim.cur->m = m;
	if (m != NULL)
		sim.cur->ever_m = true;
}

uint32_t
goc__sim_rand32(void)
{
	sim_enter();
	uint32_t r = (uint32_t)splitmix(&sim.rng);
	sim.decisions++;
	mix(r);
	return r;
}

/* ---- control ------------------------------------------------------------- */

void
goc__sim_restart_seed(uint64_t seed)
{
	sim_enter();
	restart(SRC_PRNG, seed);
}

void
goc__sim_restart_pct(uint64_t seed, int depth, uint64_t steps)
{
	sim_enter();
	if (depth < 1)
		depth = 1;
	if (depth > PCT_MAX_DEPTH)
		depth = PCT_MAX_DEPTH;
	sim.pct_depth = depth;
	sim.pct_steps = steps ? steps : 20000;
	restart(SRC_PCT, seed);
}

void
goc__sim_restart_bytes(const uint8_t *data, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	sim_enter();
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ULL;
	restart(SRC_BYTES, h);
	sim.bytes = data;
	sim.nbytes = size;
	sim.pos = 0;
}

uint64_t
goc__sim_decisions(void)
{
	return sim.decisions;
}

uint64_t
goc__sim_trace_hash(void)
{
	return sim.hash;
}

uint64_t
goc__sim_seed(void)
{
	return sim.seed;
}

int
goc__sim_threads(void)
{
	sim_enter();
	return sim.nlive;
}

#endif /* GOC_SIM */
