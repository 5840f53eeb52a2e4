/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The context-switch contract (src/internal/arch.h) through the fiber
 * wrappers the runtime uses (src/rt/fiber.h), on whichever backend this
 * build has: values survive ping-pongs and chains of switches, every
 * callee-saved register and the floating-point control state survive a
 * switch, entry starts on an aligned stack near its top, deep recursion
 * works on a fiber stack, unwinding stops at the trampoline, fibers are
 * created and destroyed in every state, and a fiber moves between
 * threads (as goroutines move between Ms), after liburcu's test_arch.c.
 *
 * Every switch goes through rt/fiber.h, so the same cases run under
 * ASan and TSan. require_* is used only on the main stack: it longjmps.
 */
#include "config.h"

#include <fenv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unwind.h>

#include "../harness.h"
#include "ctx_test.h"
#include "internal/arch.h"
#include "internal/compiler.h"
#include "rt/fiber.h"

#if GOC_ASAN_ENABLED
#include <sanitizer/lsan_interface.h>
#endif

#ifdef GOC_VALGRIND
#include <valgrind/valgrind.h>
/* Valgrind runs FP code in the default control state whatever MXCSR and
 * the x87 control word say, so checks of that state step aside. */
#define UNDER_VALGRIND (RUNNING_ON_VALGRIND != 0)
#else
#define UNDER_VALGRIND 0
#endif

#define STACK_SIZE (256 * 1024)

#if GOC_ASAN_ENABLED
/*
 * ASan's fake stacks (detect_stack_use_after_return) are off by default
 * in gcc 12 and clang 14, yet only they exercise the fake-stack hand-off
 * in rt/fiber.h, so this program turns them on. ASAN_OPTIONS overrides.
 */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "detect_stack_use_after_return=1";
}
#endif

/* ---- stacks and coroutines -------------------------------------------- */

/* A stack is mapped fresh for every fiber, with a guard page below it
 * (and never reused, which TSan would read as a race between fibers). */
struct test_stack {
	void *map;
	size_t map_size;
	void *lo;
	size_t size;
};

static bool
stack_alloc(struct test_stack *s, size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	size = (size + page - 1) / page * page;
	s->map_size = size + page;
	s->map = mmap(NULL, s->map_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->map == MAP_FAILED)
		return false;
	if (mprotect(s->map, page, PROT_NONE) != 0) {
		munmap(s->map, s->map_size);
		return false;
	}
	s->lo = (char *)s->map + page;
	s->size = size;
	return true;
}

static void
stack_free(struct test_stack *s)
{
	munmap(s->map, s->map_size);
}

struct co {
	struct goc_fiber f;
	struct goc_fiber *back; /* where co_yield and the exit go */
	struct goc_fiber *next; /* where switch_ring goes */
	struct test_stack stack;
	void (*body)(struct co *c);
	int id;
	bool finished;
	bool stop;
	int64_t in, out, sum;
	uint64_t bad;
	void *p;
};

static void
co_entry(void *arg)
{
	struct co *c = arg;

	goc__fiber_entered(&c->f);
	c->body(c);
	c->finished = true;
	goc__fiber_exit(&c->f, c->back);
}

/* Maps c's stack; the fiber runs body on [lo, lo + size) within it. */
static bool
co_init_at(struct co *c, int id, void (*body)(struct co *), size_t map,
	   size_t lo_skip, size_t hi_skip)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->body = body;
	if (!stack_alloc(&c->stack, map))
		return false;
	goc__fiber_make(&c->f, (char *)c->stack.lo + lo_skip,
			c->stack.size - lo_skip - hi_skip, co_entry, c);
	return true;
}

static bool
co_init(struct co *c, int id, void (*body)(struct co *), size_t size)
{
	return co_init_at(c, id, body, size, 0, 0);
}

static void
co_free(struct co *c)
{
	goc__fiber_destroy(&c->f);
	stack_free(&c->stack);
}

/* Runs c until it yields or exits. */
static void
co_resume(struct goc_fiber *self, struct co *c)
{
	c->back = self;
	goc__fiber_switch(self, &c->f);
}

static void co_yield (struct co *c)
{
	goc__fiber_switch(&c->f, c->back);
}

/* ---- round trips -------------------------------------------------------- */

static void
ping_body(struct co *c)
{
	int64_t sum = 0; /* lives on this stack across every switch */

	for (;;) {
		int64_t v = c->in;
		if (v < 0)
			break;
		sum += v;
		c->out = v * 3 + c->id;
		co_yield (c);
	}
	c->sum = sum;
}

GOC_TEST(ping_pong_values)
{
	struct goc_fiber self;
	struct co cs[3];
	long rounds = goc_test_scaled(20000);
	long bad = 0;

	goc__fiber_init_thread(&self);
	for (int i = 0; i < 3; i++)
		require_true(co_init(&cs[i], i, ping_body, STACK_SIZE));
	for (long r = 0; r < rounds; r++) {
		for (int i = 0; i < 3; i++) {
			cs[i].in = r;
			cs[i].out = -1;
			co_resume(&self, &cs[i]);
			if (cs[i].out != r * 3 + i && bad++ == 0)
				expect_int_eq(cs[i].out, r * 3 + i);
		}
	}
	expect_int_eq(bad, 0);
	for (int i = 0; i < 3; i++) {
		cs[i].in = -1;
		co_resume(&self, &cs[i]);
		expect_true(cs[i].finished);
		expect_int_eq(cs[i].sum, (int64_t)rounds * (rounds - 1) / 2);
		co_free(&cs[i]);
	}
}

static uint64_t ring_token;

/* Each fiber switches straight to the next, never through main. */
static void
ring_body(struct co *c)
{
	while (!c->stop) {
		ring_token = ring_token * 31 + (uint64_t)c->id + 1;
		goc__fiber_switch(&c->f, c->next);
	}
	/* Exits chain along the ring too; the last one lands in main. */
	c->back = c->next;
}

GOC_TEST(switch_ring)
{
	enum { N = 4 };
	struct goc_fiber self;
	struct co cs[N];
	long rounds = goc_test_scaled(10000);
	uint64_t want = 0;
	long bad = 0;

	goc__fiber_init_thread(&self);
	for (int i = 0; i < N; i++)
		require_true(co_init(&cs[i], i, ring_body, STACK_SIZE));
	for (int i = 0; i < N; i++)
		cs[i].next = i + 1 < N ? &cs[i + 1].f : &self;
	ring_token = 0;
	for (long r = 0; r < rounds; r++) {
		goc__fiber_switch(&self, &cs[0].f);
		for (int i = 0; i < N; i++)
			want = want * 31 + (uint64_t)i + 1;
		if (ring_token != want && bad++ == 0)
			expect_u64_eq(ring_token, want);
		want = ring_token;
	}
	expect_int_eq(bad, 0);
	for (int i = 0; i < N; i++)
		cs[i].stop = true;
	goc__fiber_switch(&self, &cs[0].f);
	for (int i = 0; i < N; i++) {
		expect_true(cs[i].finished);
		co_free(&cs[i]);
	}
}

/* ---- registers ---------------------------------------------------------- */

static void
report_regs(const char *who, uint64_t mask)
{
	for (unsigned i = 0; i < GOC_ARRAY_SIZE(goc__arch_test_reg_names); i++)
		if (mask & ((uint64_t)1 << i))
			goc_test_fail("%s: %s did not survive the switch", who,
				      goc__arch_test_reg_names[i]);
}

/*
 * Odd rounds: this fiber checks while main clobbers. Even rounds: the
 * other way round. Either side forgetting a register shows.
 */
static void
regs_body(struct co *c)
{
	for (int64_t r = 0; !c->stop; r++) {
		uint64_t seed = (uint64_t)c->in;
		goc__fiber_switch_begin(&c->f, c->back);
		if (r % 2 == 0) {
			goc__arch_test_clobber_regs(&c->f.ctx, &c->back->ctx,
						    ~seed);
		} else {
			c->bad |= goc__arch_test_check_regs(
				&c->f.ctx, &c->back->ctx, seed);
		}
		goc__fiber_switch_end(&c->f);
	}
}

GOC_TEST(callee_saved_registers)
{
	struct goc_fiber self;
	struct co cs[2];
	long rounds = goc_test_scaled(2000);
	uint64_t bad = 0;

	if (!GOC_ARCH_TEST_HELPERS)
		goc_test_skip("no register helpers for this cpu");
	goc__fiber_init_thread(&self);
	for (int i = 0; i < 2; i++)
		require_true(co_init(&cs[i], i, regs_body, STACK_SIZE));
	for (long r = 0; r < 2 * rounds; r++) {
		struct co *c = &cs[r / 2 % 2];
		uint64_t seed = goc_test_rand();
		c->in = (int64_t)seed;
		c->back = &self;
		goc__fiber_switch_begin(&self, &c->f);
		if (r % 2 == 0)
			bad |= goc__arch_test_check_regs(&self.ctx, &c->f.ctx,
							 seed);
		else
			goc__arch_test_clobber_regs(&self.ctx, &c->f.ctx,
						    ~seed);
		goc__fiber_switch_end(&self);
	}
	if (UNDER_VALGRIND) {
		bad &= ~(uint64_t)GOC_ARCH_TEST_CONTROL_BITS;
		for (int i = 0; i < 2; i++)
			cs[i].bad &= ~(uint64_t)GOC_ARCH_TEST_CONTROL_BITS;
	}
	report_regs("main", bad);
	for (int i = 0; i < 2; i++) {
		report_regs("fiber", cs[i].bad);
		cs[i].stop = true;
		co_resume(&self, &cs[i]);
		expect_true(cs[i].finished);
		co_free(&cs[i]);
	}
}

/*
 * Twelve doubles stay live across every switch on both sides, more than
 * fit in caller-saved registers, so the compiler keeps them in the
 * callee-saved floating-point registers (d8-d15 on aarch64, fs0-fs11 on
 * riscv64) or spills them; the other side's values then sit in the same
 * registers. Each value comes from a volatile read, so the compiler
 * cannot recompute it after the switch instead of keeping it.
 */
static GOC_NOINLINE uint64_t
fp_pressure(struct goc_fiber *self, struct goc_fiber *other,
	    volatile double *vs, long switches)
{
	double v0 = vs[0] * 1.5, v1 = vs[1] * 1.5, v2 = vs[2] * 1.5;
	double v3 = vs[3] * 1.5, v4 = vs[4] * 1.5, v5 = vs[5] * 1.5;
	double v6 = vs[6] * 1.5, v7 = vs[7] * 1.5, v8 = vs[8] * 1.5;
	double v9 = vs[9] * 1.5, v10 = vs[10] * 1.5, v11 = vs[11] * 1.5;
	uint64_t bad = 0;

	for (long i = 0; i < switches; i++) {
		goc__fiber_switch(self, other);
		bad += (v0 != vs[0] * 1.5) + (v1 != vs[1] * 1.5) +
		       (v2 != vs[2] * 1.5) + (v3 != vs[3] * 1.5) +
		       (v4 != vs[4] * 1.5) + (v5 != vs[5] * 1.5) +
		       (v6 != vs[6] * 1.5) + (v7 != vs[7] * 1.5) +
		       (v8 != vs[8] * 1.5) + (v9 != vs[9] * 1.5) +
		       (v10 != vs[10] * 1.5) + (v11 != vs[11] * 1.5);
	}
	return bad;
}

static volatile double fp_main_vals[12], fp_co_vals[12];

static void
fp_pressure_body(struct co *c)
{
	c->bad = fp_pressure(&c->f, c->back, fp_co_vals, c->in);
}

GOC_TEST(fp_registers_survive)
{
	struct goc_fiber self;
	struct co c;
	long switches = goc_test_scaled(5000);

	for (int i = 0; i < 12; i++) {
		fp_main_vals[i] = 1.0 + i * 0.125;
		fp_co_vals[i] = -1000.0 - i * 3.75;
	}
	goc__fiber_init_thread(&self);
	require_true(co_init(&c, 0, fp_pressure_body, STACK_SIZE));
	c.back = &self;
	/* Main's last switch finds the fiber after its loop; it exits. */
	c.in = switches - 1;
	uint64_t bad = fp_pressure(&self, &c.f, fp_main_vals, switches);
	expect_uint_eq(bad, 0);
	expect_true(c.finished);
	expect_uint_eq(c.bad, 0);
	co_free(&c);
}

/* ---- floating-point control state --------------------------------------- */

static volatile double fp_one = 1.0, fp_three = 3.0;
static volatile long double fp_lone = 1.0L, fp_lthree = 3.0L;

struct fp_mode {
	int mode;
	double q;       /* 1/3 in doubles (SSE on x86_64) */
	long double lq; /* 1/3 in long doubles (x87 on x86_64) */
};

static void
fp_measure(struct fp_mode *m)
{
	m->q = fp_one / fp_three;
	m->lq = fp_lone / fp_lthree;
}

/* Whether the running context is in mode m, by every measure. */
static bool
fp_in_mode(const struct fp_mode *m)
{
	struct fp_mode now;

	fp_measure(&now);
	return fegetround() == m->mode && now.q == m->q && now.lq == m->lq;
}

#if defined(FE_UPWARD) && defined(FE_DOWNWARD) && defined(FE_TOWARDZERO)
#define HAVE_FP_MODES 1
static struct fp_mode fp_modes[4] = {
	{FE_TONEAREST, 0, 0},
	{FE_UPWARD, 0, 0},
	{FE_DOWNWARD, 0, 0},
	{FE_TOWARDZERO, 0, 0},
};
#else
#define HAVE_FP_MODES 0
static struct fp_mode fp_modes[4];
#endif

/* c->id picks the mode; the first one is inherited, not set. */
static void
fp_mode_body(struct co *c)
{
	const struct fp_mode *m = &fp_modes[c->id];

	if (c->id != 1)
		fesetround(m->mode);
	while (!c->stop) {
		if (!fp_in_mode(m))
			c->bad++;
		co_yield (c);
	}
}

GOC_TEST(fp_control_state)
{
	struct goc_fiber self;
	struct co cs[3];
	long rounds = goc_test_scaled(2000);
	uint64_t bad = 0;

	if (!HAVE_FP_MODES)
		goc_test_skip("no directed rounding modes");
	if (UNDER_VALGRIND)
		goc_test_skip("Valgrind ignores rounding modes");
	for (int i = 0; i < 4; i++) {
		require_int_eq(fesetround(fp_modes[i].mode), 0);
		fp_measure(&fp_modes[i]);
	}
	/* The measures must tell the modes apart, or the test proves
	 * nothing. */
	require_true(fp_modes[1].q != fp_modes[2].q);
	require_true(fp_modes[1].lq != fp_modes[2].lq);

	goc__fiber_init_thread(&self);
	/* cs[0] runs in FE_UPWARD because main is in it at make time. */
	fesetround(fp_modes[1].mode);
	require_true(co_init(&cs[0], 1, fp_mode_body, STACK_SIZE));
	require_true(co_init(&cs[1], 2, fp_mode_body, STACK_SIZE));
	require_true(co_init(&cs[2], 3, fp_mode_body, STACK_SIZE));
	fesetround(fp_modes[0].mode);
	for (long r = 0; r < rounds; r++) {
		for (int i = 0; i < 3; i++) {
			co_resume(&self, &cs[i]);
			if (!fp_in_mode(&fp_modes[0]))
				bad++;
		}
	}
	expect_uint_eq(bad, 0);
	for (int i = 0; i < 3; i++) {
		cs[i].stop = true;
		co_resume(&self, &cs[i]);
		expect_true(cs[i].finished);
		expect_uint_eq(cs[i].bad, 0);
		co_free(&cs[i]);
	}
	fesetround(fp_modes[0].mode);
}

/* ---- stacks ------------------------------------------------------------- */

/* c->p and c->in are the bounds the fiber was made with. */
static void
align_body(struct co *c)
{
	GOC_ALIGNED(16) volatile char buf[16];
	uintptr_t lo = (uintptr_t)c->p;
	uintptr_t top = lo + (uintptr_t)c->in;
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);

	buf[0] = 1;
	/* Under ASan buf may live on a fake stack; aligned even there. */
	if ((uintptr_t)buf % 16 != 0)
		c->bad |= 1;
	if (GOC_ARCH_TEST_HELPERS) {
		uintptr_t sp = goc__arch_test_caller_sp();
		if (sp % 16 != 0)
			c->bad |= 2;
		if (sp < lo || sp >= top || top - sp > 4096)
			c->bad |= 4;
	}
	if (fp < lo || fp >= top)
		c->bad |= 8;
}

GOC_TEST(entry_stack_alignment)
{
	struct goc_fiber self;
	struct co c;
	static const char *const what[] = {
		"aligned local misaligned",
		"sp at the call misaligned",
		"sp not near the top of the stack",
		"frame outside the stack",
	};

	goc__fiber_init_thread(&self);
	/* Every misalignment of the stack's top, from both ends. */
	for (size_t b = 0; b < 24; b += 7) {
		for (size_t e = 0; e < 16; e++) {
			require_true(co_init_at(&c, 0, align_body, STACK_SIZE,
						b, e));
			c.p = (char *)c.stack.lo + b;
			c.in = (int64_t)(c.stack.size - b - e);
			co_resume(&self, &c);
			expect_true(c.finished);
			for (unsigned i = 0; i < 4; i++)
				if (c.bad & (1u << i))
					goc_test_fail("base+%zu, top-%zu: %s",
						      b, e, what[i]);
			co_free(&c);
		}
	}
}

#define DEEP_DEPTH 20000
#define DEEP_EVERY 1000

/* Frames of a few hundred bytes; it yields every DEEP_EVERY levels. */
static GOC_NOINLINE int64_t
recurse(struct co *c, int64_t depth)
{
	volatile unsigned char pad[200];
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);

	pad[0] = (unsigned char)depth;
	pad[199] = (unsigned char)(depth >> 8);
	if (fp < (uintptr_t)c->p)
		c->p = (void *)fp;
	if (depth % DEEP_EVERY == 0) {
		c->out = depth;
		co_yield (c);
	}
	int64_t below = depth == 0 ? 0 : recurse(c, depth - 1);
	return below + pad[0] + 256 * pad[199];
}

static void
deep_body(struct co *c)
{
	c->p = (void *)UINTPTR_MAX;
	c->sum = recurse(c, DEEP_DEPTH);
}

GOC_TEST(deep_recursion)
{
	struct goc_fiber self;
	struct co c;

	goc__fiber_init_thread(&self);
	require_true(co_init(&c, 0, deep_body, 16 * 1024 * 1024));
	/* It stops at each multiple of DEEP_EVERY on the way down. */
	for (int64_t want = DEEP_DEPTH; want >= 0; want -= DEEP_EVERY) {
		co_resume(&self, &c);
		require_false(c.finished);
		expect_int_eq(c.out, want);
	}
	co_resume(&self, &c);
	require_true(c.finished);
	expect_int_eq(c.sum, (int64_t)DEEP_DEPTH * (DEEP_DEPTH + 1) / 2);
	/* The frames really were on the fiber's stack, and deep in it. */
	uintptr_t top = (uintptr_t)c.stack.lo + c.stack.size;
	expect_uint_ge((uintptr_t)c.p, (uintptr_t)c.stack.lo);
	/* At least a return address and a frame pointer per frame (ASan's
	 * fake stacks may hold the arrays elsewhere). */
	expect_uint_ge(top - (uintptr_t)c.p, (uintptr_t)DEEP_DEPTH * 16);
	co_free(&c);
}

/* ---- unwinding ---------------------------------------------------------- */

#define UNWIND_MAX 64

struct unwind_walk {
	int n;
	void *ip[UNWIND_MAX];
};

static _Unwind_Reason_Code
unwind_frame(struct _Unwind_Context *ctx, void *arg)
{
	struct unwind_walk *w = arg;

	if (w->n == UNWIND_MAX)
		return _URC_NORMAL_STOP;
	w->ip[w->n++] = (void *)_Unwind_GetIP(ctx);
	return _URC_NO_REASON;
}

static GOC_NOINLINE void
unwind_here(struct co *c)
{
	struct unwind_walk *w = c->p;

	c->out = _Unwind_Backtrace(unwind_frame, w);
	__asm__ __volatile__("" ::: "memory"); /* not a tail call */
}

static void
unwind_body(struct co *c)
{
	unwind_here(c);
}

/*
 * Unwinding a fiber's stack must end at the trampoline, whose return
 * address is undefined (_URC_END_OF_STACK), after unwind_here,
 * unwind_body, co_entry and the trampoline (plus glibc's own frames for
 * the generic backend). A trampoline without that mark repeats itself
 * forever on aarch64 and riscv64, where the return address is a
 * register, and on x86_64 reads a return address from above the top of
 * the stack; there lie words that look like return addresses into
 * unwind_here, so reading past the top shows. (glibc's backtrace()
 * stops at a repeated frame on its own, so it would hide the first.)
 */
GOC_TEST(unwind_stops_at_trampoline)
{
	enum { ABOVE = 256 };
	struct goc_fiber self;
	struct co c;
	struct unwind_walk w = {0};
	void *planted = (void *)((uintptr_t)unwind_here + 8);

	goc__fiber_init_thread(&self);
	require_true(co_init_at(&c, 0, unwind_body, STACK_SIZE, 0, ABOVE));
	void **above = (void **)((char *)c.stack.lo + c.stack.size - ABOVE);
	for (size_t i = 0; i < ABOVE / sizeof(void *); i++)
		above[i] = planted;
	c.p = &w;
	co_resume(&self, &c);
	expect_true(c.finished);
	expect_int_eq(c.out, _URC_END_OF_STACK);
	expect_int_ge(w.n, 4);
	expect_int_le(w.n, 8);
	for (int i = 0; i < w.n; i++)
		if (w.ip[i] == planted)
			goc_test_fail("frame %d came from above the stack", i);
	co_free(&c);
}

/* ---- lifecycle ---------------------------------------------------------- */

static void
count_body(struct co *c)
{
	c->out++;
	if (c->in)
		co_yield (c);
}

/*
 * Fibers made and destroyed in every state: run to the end, never run
 * (a spawn that fails later; TSan has crashed on destroying fibers never
 * switched to), and suspended for good (its ASan fake stack is freed by
 * the destroy).
 */
GOC_TEST(fiber_lifecycle)
{
	struct goc_fiber self;
	struct co c;
	long n = goc_test_scaled(1000);
	long ran = 0;

	goc__fiber_init_thread(&self);
	for (long i = 0; i < n; i++) {
		require_true(co_init(&c, 0, count_body, 64 * 1024));
		switch (i % 4) {
		case 0:
		case 1:
			co_resume(&self, &c);
			expect_true(c.finished);
			break;
		case 2:
			break;
		case 3:
			c.in = 1;
			co_resume(&self, &c);
			expect_false(c.finished);
			break;
		}
		ran += c.out;
		co_free(&c);
	}
	/* Cases 0, 1 and 3 each run their fiber once. */
	expect_int_eq(ran, n / 4 * 3 + (n % 4 > 0) + (n % 4 > 1));
}

/* ---- sanitizers --------------------------------------------------------- */

#if GOC_ASAN_ENABLED
static void
hold_body(struct co *c)
{
	/*
	 * The only reference goes into the fiber's stack memory, well below
	 * the live frames: a local variable could sit in an ASan fake frame
	 * instead, which LSan scans only while its fiber runs.
	 */
	void **slot = (void **)c->stack.lo + 64;

	*slot = malloc(4096);
	c->out = *slot != NULL;
	co_yield (c);
	free(*slot);
}
#endif

/*
 * LeakSanitizer does not scan mmap'd memory, so a suspended fiber's stack
 * must be a root region (rt/fiber.h) or what only it references reads as
 * leaked.
 */
GOC_TEST(suspended_stack_is_leak_root)
{
#if GOC_ASAN_ENABLED
	struct goc_fiber self;
	struct co c;

	goc__fiber_init_thread(&self);
	require_true(co_init(&c, 0, hold_body, STACK_SIZE));
	co_resume(&self, &c);
	require_int_eq(c.out, 1);
	expect_int_eq(__lsan_do_recoverable_leak_check(), 0);
	co_resume(&self, &c);
	expect_true(c.finished);
	co_free(&c);
#else
	goc_test_skip("not an ASan build");
#endif
}

/* ---- threads ------------------------------------------------------------ */

/*
 * pthread_self() is declared const, so a compiler may reuse one call's
 * result across a switch that moved the fiber to another thread; the
 * volatile asm makes every call count (QEMU's coroutine TLS lesson,
 * testing.md §2.2).
 */
static GOC_NOINLINE pthread_t
current_thread(void)
{
	pthread_t t = pthread_self();
	__asm__ __volatile__("" : "+r"(t));
	return t;
}

struct migrate {
	struct co c;
	pthread_t first, second;
	int mode_seen;
	bool other_mode_ok;
};

static void
migrate_body(struct co *c)
{
	struct migrate *m = goc_container_of(c, struct migrate, c);
	int64_t local = 42; /* must travel along with the stack */

	fesetround(fp_modes[1].mode);
	m->first = current_thread();
	co_yield (c);
	m->second = current_thread();
	m->mode_seen = fegetround();
	c->sum = local;
}

static void *
migrate_thread(void *arg)
{
	struct migrate *m = arg;
	struct goc_fiber self;

	goc__fiber_init_thread(&self);
	co_resume(&self, &m->c);
	/* The fiber's rounding mode stays with the fiber. */
	m->other_mode_ok = fegetround() == fp_modes[0].mode;
	return NULL;
}

GOC_TEST(fiber_moves_between_threads)
{
	struct migrate m;
	pthread_t a, b;

	if (!HAVE_FP_MODES)
		goc_test_skip("no directed rounding modes");
	memset(&m, 0, sizeof(m));
	require_true(co_init(&m.c, 0, migrate_body, STACK_SIZE));
	require_int_eq(pthread_create(&a, NULL, migrate_thread, &m), 0);
	require_int_eq(pthread_join(a, NULL), 0);
	expect_false(m.c.finished);
	expect_true(m.other_mode_ok || UNDER_VALGRIND);
	require_int_eq(pthread_create(&b, NULL, migrate_thread, &m), 0);
	require_int_eq(pthread_join(b, NULL), 0);
	expect_true(m.c.finished);
	expect_true(m.other_mode_ok || UNDER_VALGRIND);
	expect_true(pthread_equal(m.first, a));
	expect_true(pthread_equal(m.second, b));
	if (!UNDER_VALGRIND)
		expect_int_eq(m.mode_seen, fp_modes[1].mode);
	expect_int_eq(m.c.sum, 42);
	co_free(&m.c);
}
