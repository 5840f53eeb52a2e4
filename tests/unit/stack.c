/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Goroutine stacks (src/sched/stack.c), white-box: sizes and rounding,
 * GOCONC_STACKSIZE and GOCONC_STACKGUARD, the pool (reuse, trimming,
 * bounds, none under TSan, ASan poisoning), the canary, the guard budget
 * in both modes, RSS of untouched and parked stacks, tens of thousands
 * of stacks against vm.max_map_count, concurrent use and the per-thread
 * signal set-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../harness.h"
#include "internal/compiler.h"
#include "sched/stack.h"

#if GOC_ASAN_ENABLED
#include <sanitizer/asan_interface.h>
#endif

static size_t
page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* The guard (or cushion) below lo: GOC_STACK_GUARD_SIZE in pages. */
static size_t
guard_size(void)
{
	size_t p = page_size();
	return (GOC_STACK_GUARD_SIZE + p - 1) / p * p;
}

/* Back to the defaults: no settings, default budget and pool, empty. */
static void
reset(void)
{
	unsetenv("GOCONC_STACKSIZE");
	unsetenv("GOCONC_STACKGUARD");
	goc__stack_reconfigure();
	goc__stack_set_pool_max(GOC_STACK_POOL_CAP);
}

static long
count_maps(void)
{
	char buf[65536];
	long n = 0;
	ssize_t r;
	int fd = open("/proc/self/maps", O_RDONLY);

	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

/* The permissions ("rw-p") of the mapping holding addr; false if none. */
static bool
map_perms(const void *addr, char perms[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	char p[5];
	bool found = false;

	if (f == NULL)
		return false;
	while (fscanf(f, "%lx-%lx %4s%*[^\n]", &lo, &hi, p) == 3) {
		if ((uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			memcpy(perms, p, 5);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Whether the page holding addr is mapped at all (mincore says). */
static bool
page_mapped(const void *addr)
{
	unsigned char v;
	uintptr_t p = (uintptr_t)addr & ~(uintptr_t)(page_size() - 1);

	return mincore((void *)p, 1, &v) == 0 || errno != ENOMEM;
}

static bool
page_resident(const void *addr)
{
	unsigned char v = 0;
	uintptr_t p = (uintptr_t)addr & ~(uintptr_t)(page_size() - 1);

	return mincore((void *)p, 1, &v) == 0 && (v & 1);
}

static long
rss_bytes(void)
{
	long size, res;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL || fscanf(f, "%ld %ld", &size, &res) != 2)
		res = -1;
	if (f != NULL)
		fclose(f);
	return res * (long)page_size();
}

/* Captures what the code between begin and end writes to stderr. */
static int saved_stderr = -1;
static FILE *capture_file;

static void
capture_begin(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	saved_stderr = dup(2);
	dup2(fileno(capture_file), 2);
}

static void
capture_end(char *buf, size_t cap)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	rewind(capture_file);
	size_t n = fread(buf, 1, cap - 1, capture_file);
	buf[n] = 0;
	fclose(capture_file);
}

static int
count_char(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static uintptr_t *
top_word(const struct goc_stack *s)
{
	return (uintptr_t *)((char *)s->lo + s->size) - 1;
}

GOC_TEST(sizes_and_rounding)
{
	struct goc_stack s;
	size_t page = page_size();
	char perms[5];

	reset();
	expect_uint_eq(goc__stack_default_size(), GOC_STACK_DEFAULT_SIZE);
	require_int_eq(goc__stack_alloc(&s, 0), 0);
	expect_uint_eq(s.size, GOC_STACK_DEFAULT_SIZE);
	expect_true(s.guarded);
	expect_ptr_eq(s.lo, (char *)s.map + guard_size());
	expect_uint_eq(s.map_size, s.size + guard_size());
	expect_uint_eq((uintptr_t)s.lo % page, 0);
	require_true(map_perms(s.map, perms));
	expect_str_eq(perms, "---p");
	require_true(map_perms((char *)s.lo - 1, perms));
	expect_str_eq(perms, "---p");
	require_true(map_perms(s.lo, perms));
	expect_str_eq(perms, "rw-p");
	/* Both ends are usable. */
	((volatile char *)s.lo)[0] = 1;
	*top_word(&s) = 2;
	expect_true(goc__stack_check(&s));
	goc__stack_free(&s);
	expect_ptr_eq(s.map, NULL);

	static const struct {
		size_t ask, want;
	} cases[] = {
		{1, GOC_STACK_MIN_SIZE},
		{GOC_STACK_MIN_SIZE - 1, GOC_STACK_MIN_SIZE},
		{GOC_STACK_MIN_SIZE, GOC_STACK_MIN_SIZE},
		{GOC_STACK_MIN_SIZE + 1, 0 /* MIN + page */},
		{100000, 0 /* rounded up to a page */},
		{1 << 20, 1 << 20},
		{GOC_STACK_MAX_SIZE, GOC_STACK_MAX_SIZE},
	};
	for (size_t i = 0; i < GOC_ARRAY_SIZE(cases); i++) {
		size_t want = cases[i].want;
		if (want == 0)
			want = (cases[i].ask + page - 1) / page * page;
		expect_uint_eq(goc__stack_round_size(cases[i].ask), want);
		require_int_eq(goc__stack_alloc(&s, cases[i].ask), 0);
		expect_uint_eq(s.size, want);
		expect_uint_eq(s.map_size, want + guard_size());
		goc__stack_free(&s);
	}
	expect_uint_eq(goc__stack_round_size(0), GOC_STACK_DEFAULT_SIZE);
	expect_uint_eq(goc__stack_round_size((size_t)GOC_STACK_MAX_SIZE + 1),
		       0);
	/* Too big is an error, and leaves nothing behind. */
	s.map = &s;
	expect_int_eq(goc__stack_alloc(&s, (size_t)GOC_STACK_MAX_SIZE + 1),
		      GOC_EINVAL);
	expect_ptr_eq(s.map, NULL);
	expect_uint_eq(s.size, 0);
	goc__stack_free(&s); /* a zeroed struct: nothing to do */
}

GOC_TEST(parse_size)
{
	static const struct {
		const char *in;
		size_t want;
	} cases[] = {
		{"65536", 65536},
		{"16384", 16384},
		{"64k", 65536},
		{"64K", 65536},
		{"1m", 1 << 20},
		{"1M", 1 << 20},
		{"2048k", 2 << 20},
		{"100000", 100000},
		{"1024m", GOC_STACK_MAX_SIZE},
		{"1073741824", GOC_STACK_MAX_SIZE},
		/* invalid */
		{"", 0},
		{"k", 0},
		{"abc", 0},
		{"64kb", 0},
		{"64KiB", 0},
		{"2g", 0},
		{"-65536", 0},
		{"+65536", 0},
		{" 64k", 0},
		{"64k ", 0},
		{"0", 0},
		{"1k", 0},    /* below the minimum */
		{"16383", 0}, /* below the minimum */
		{"1025m", 0}, /* above the maximum */
		{"4096m", 0}, /* above the maximum */
		{"1073741825", 0},
		{"99999999999999999999999", 0}, /* overflows */
		{"18446744073709551616k", 0},
	};

	for (size_t i = 0; i < GOC_ARRAY_SIZE(cases); i++) {
		size_t got = goc__stack_parse_size(cases[i].in);
		if (got != cases[i].want)
			goc_test_fail("parse_size(\"%s\") = %zu, want %zu",
				      cases[i].in, got, cases[i].want);
	}
	expect_uint_eq(goc__stack_parse_size(NULL), 0);
}

GOC_TEST(env_stacksize)
{
	struct goc_stack s;
	char err[1024];

	setenv("GOCONC_STACKSIZE", "128k", 1);
	goc__stack_reconfigure();
	expect_uint_eq(goc__stack_default_size(), 128 * 1024);
	require_int_eq(goc__stack_alloc(&s, 0), 0);
	expect_uint_eq(s.size, 128 * 1024);
	goc__stack_free(&s);

	/* Rounded up to whole pages. */
	setenv("GOCONC_STACKSIZE", "100000", 1);
	goc__stack_reconfigure();
	expect_uint_eq(goc__stack_default_size(),
		       (100000 + page_size() - 1) / page_size() * page_size());

	/* Invalid: one clear line on stderr, and the default. */
	setenv("GOCONC_STACKSIZE", "12q", 1);
	capture_begin();
	goc__stack_reconfigure();
	capture_end(err, sizeof(err));
	expect_uint_eq(goc__stack_default_size(), GOC_STACK_DEFAULT_SIZE);
	expect_true(strstr(err, "goconc: ignoring GOCONC_STACKSIZE=\"12q\"") ==
		    err);
	expect_true(strstr(err, "k or m") != NULL);
	expect_int_eq(count_char(err, '\n'), 1);

	/* Out of range is invalid too. */
	setenv("GOCONC_STACKSIZE", "4k", 1);
	capture_begin();
	goc__stack_reconfigure();
	capture_end(err, sizeof(err));
	expect_uint_eq(goc__stack_default_size(), GOC_STACK_DEFAULT_SIZE);
	expect_true(strstr(err, "GOCONC_STACKSIZE=\"4k\"") != NULL);

	/* Empty means unset: no warning. */
	setenv("GOCONC_STACKSIZE", "", 1);
	capture_begin();
	goc__stack_reconfigure();
	capture_end(err, sizeof(err));
	expect_str_eq(err, "");
	expect_uint_eq(goc__stack_default_size(), GOC_STACK_DEFAULT_SIZE);
	reset();
}

GOC_TEST(strict_mode)
{
	struct goc_stack s, t;
	struct goc_stack_stats st0, st;
	char err[1024];

	reset();
	setenv("GOCONC_STACKGUARD", "strict", 1);
	goc__stack_reconfigure();
	goc__stack_stats(&st0);
	/* No room for another guard: refused, nothing changes. */
	goc__stack_set_guard_budget(st0.guard_used);
	capture_begin();
	expect_int_eq(goc__stack_alloc(&s, 0), GOC_EAGAIN);
	expect_int_eq(goc__stack_alloc(&s, 1 << 20), GOC_EAGAIN);
	capture_end(err, sizeof(err));
	expect_ptr_eq(s.map, NULL);
	expect_str_eq(err, ""); /* no "canary" notice in strict mode */
	goc__stack_stats(&st);
	expect_uint_eq(st.guarded, st0.guarded);
	expect_uint_eq(st.unguarded, st0.unguarded);
	expect_uint_eq(st.guard_used, st0.guard_used);

	/* Room for one: one guarded stack, then refusal again. */
	goc__stack_set_guard_budget(st0.guard_used + 1);
	require_int_eq(goc__stack_alloc(&s, 0), 0);
	expect_true(s.guarded);
	expect_int_eq(goc__stack_alloc(&t, 0), GOC_EAGAIN);
	/* A freed (pooled) guarded stack is still handed out. */
	goc__stack_free(&s);
	require_int_eq(goc__stack_alloc(&s, 0), 0);
	expect_true(s.guarded);
	goc__stack_free(&s);

	/* Anything but "strict" is warned about and ignored. */
	setenv("GOCONC_STACKGUARD", "bogus", 1);
	capture_begin();
	goc__stack_reconfigure();
	capture_end(err, sizeof(err));
	expect_true(
		strstr(err, "goconc: ignoring GOCONC_STACKGUARD=\"bogus\"") ==
		err);
	expect_int_eq(count_char(err, '\n'), 1);
	goc__stack_stats(&st0);
	goc__stack_set_guard_budget(st0.guard_used);
	capture_begin();
	require_int_eq(goc__stack_alloc(&s, 0), 0); /* not strict: canary */
	capture_end(err, sizeof(err));
	expect_false(s.guarded);
	goc__stack_free(&s);
	reset();
}

GOC_TEST(pool_reuse)
{
	struct goc_stack a, b, c;
	struct goc_stack_stats st;

	if (GOC_TSAN_ENABLED)
		goc_test_skip("TSan builds never pool (see no_pool)");
	reset();
	require_int_eq(goc__stack_alloc(&a, 0), 0);
	void *lo = a.lo;
	uintptr_t *top = top_word(&a);
	*top = 0x5ca1ab1e;
	((volatile char *)a.lo)[100] = 7;
	expect_true(page_resident(top));
	goc__stack_free(&a);
	goc__stack_stats(&st);
	expect_uint_eq(st.pooled, 1);
	expect_uint_eq(st.guarded, 0);
	/* Pooled: still mapped, but trimmed, so it holds no memory. */
	expect_true(page_mapped(lo));
	expect_false(page_resident(lo));
	expect_false(page_resident(top));
#if GOC_ASAN_ENABLED
	expect_true(__asan_address_is_poisoned(top));
	expect_true(__asan_address_is_poisoned(lo));
#endif

	/* Reused: the same stack, unpoisoned, zero again. */
	require_int_eq(goc__stack_alloc(&b, 0), 0);
	expect_ptr_eq(b.lo, lo);
	expect_true(b.guarded);
	expect_uint_eq(*top, 0);
	expect_uint_eq(((volatile char *)b.lo)[100], 0);
#if GOC_ASAN_ENABLED
	expect_false(__asan_address_is_poisoned(top));
	expect_false(__asan_address_is_poisoned(lo));
#endif
	goc__stack_stats(&st);
	expect_uint_eq(st.pooled, 0);
	expect_uint_eq(st.guarded, 1);

	/* Other sizes are unmapped, never pooled. */
	require_int_eq(goc__stack_alloc(&c, 1 << 20), 0);
	void *clo = c.lo;
	goc__stack_free(&c);
	expect_false(page_mapped(clo));
	goc__stack_free(&b);
	goc__stack_stats(&st);
	expect_uint_eq(st.pooled, 1);
	goc__stack_pool_drain();
	goc__stack_stats(&st);
	expect_uint_eq(st.pooled, 0);
	expect_false(page_mapped(lo));
}

GOC_TEST(pool_bounded)
{
	struct goc_stack s[10];
	struct goc_stack_stats st;

	if (GOC_TSAN_ENABLED)
		goc_test_skip("TSan builds never pool (see no_pool)");
	reset();
	expect_uint_eq(goc__stack_set_pool_max(4), GOC_STACK_POOL_CAP);
	for (int i = 0; i < 10; i++)
		require_int_eq(goc__stack_alloc(&s[i], 0), 0);
	void *first = s[0].lo, *last = s[9].lo;
	for (int i = 0; i < 10; i++)
		goc__stack_free(&s[i]);
	goc__stack_stats(&st);
	expect_uint_eq(st.pooled, 4);
	expect_uint_eq(st.guarded, 0);
	expect_uint_eq(st.guard_used, 4);
	/* The first four freed were kept; the rest were unmapped. */
	expect_true(page_mapped(first));
	expect_false(page_mapped(last));
	/* Lowering the bound unmaps the excess. */
	expect_uint_eq(goc__stack_set_pool_max(2), 4);
	goc__stack_stats(&st);
	expect_uint_eq(st.pooled, 2);
	expect_uint_eq(st.guard_used, 2);
	/* More than the cap is capped. */
	goc__stack_set_pool_max(GOC_STACK_POOL_CAP * 4);
	expect_uint_eq(goc__stack_set_pool_max(GOC_STACK_POOL_CAP),
		       GOC_STACK_POOL_CAP);
	reset();
	goc__stack_stats(&st);
	expect_uint_eq(st.pooled, 0);
	expect_uint_eq(st.guard_used, 0);
}

/* What TSan builds always do: free unmaps, alloc maps afresh. */
GOC_TEST(no_pool)
{
	struct goc_stack a;
	struct goc_stack_stats st;

	reset();
	if (GOC_TSAN_ENABLED)
		expect_uint_eq(goc__stack_set_pool_max(16), 0); /* ignored */
	else
		expect_uint_eq(goc__stack_set_pool_max(0), GOC_STACK_POOL_CAP);
	for (int i = 0; i < 3; i++) {
		require_int_eq(goc__stack_alloc(&a, 0), 0);
		void *lo = a.lo;
		*top_word(&a) = 1;
		goc__stack_free(&a);
		goc__stack_stats(&st);
		expect_uint_eq(st.pooled, 0);
		expect_uint_eq(st.guard_used, 0);
		expect_false(page_mapped(lo));
	}
	reset();
}

GOC_TEST(canary)
{
	struct goc_stack g, u;
	struct goc_stack_stats st0, st;
	char perms[5], err[1024];

	reset();
	require_int_eq(goc__stack_alloc(&g, 0), 0);
	require_true(g.guarded);
	goc__stack_stats(&st0);
	goc__stack_set_guard_budget(st0.guard_used);
	capture_begin();
	require_int_eq(goc__stack_alloc(&u, 0), 0);
	capture_end(err, sizeof(err));
	expect_false(u.guarded);
	expect_true(strstr(err, "canary") != NULL);
	goc__stack_stats(&st);
	expect_uint_eq(st.unguarded, st0.unguarded + 1);
	expect_uint_eq(st.guarded, st0.guarded);
	/* The guard region below lo is a read-write cushion. */
	expect_ptr_eq(u.lo, (char *)u.map + guard_size());
	require_true(map_perms(u.map, perms));
	expect_str_eq(perms, "rw-p");

	/* Intact canary; each word, when hit, is noticed. */
	expect_true(goc__stack_check(&u));
	volatile uintptr_t *w = u.lo;
	for (int i = 0; i < GOC_STACK_CANARY_WORDS; i++) {
		uintptr_t keep = w[i];
		expect_uint_ne(keep, 0);
		w[i] = 0;
		expect_false(goc__stack_check(&u));
		w[i] = keep ^ 1;
		expect_false(goc__stack_check(&u));
		w[i] = keep;
		expect_true(goc__stack_check(&u));
	}
	/* A guarded stack is checked by its guard, not a canary. */
	((volatile uintptr_t *)g.lo)[0] = 0;
	expect_true(goc__stack_check(&g));

	if (!GOC_TSAN_ENABLED) {
		/* A pooled unguarded stack gets its canary back on reuse. */
		void *ulo = u.lo;
		w[0] = 0;
		goc__stack_free(&u);
		require_int_eq(goc__stack_alloc(&u, 0), 0);
		expect_ptr_eq(u.lo, ulo);
		expect_false(u.guarded);
		expect_true(goc__stack_check(&u));
		/* With room in the budget again, it is upgraded in place. */
		goc__stack_free(&u);
		goc__stack_set_guard_budget(st0.guard_used + 1);
		require_int_eq(goc__stack_alloc(&u, 0), 0);
		expect_ptr_eq(u.lo, ulo);
		expect_true(u.guarded);
		require_true(map_perms(u.map, perms));
		expect_str_eq(perms, "---p");
	}
	goc__stack_free(&u);
	goc__stack_free(&g);
	reset();
}

GOC_TEST(budget_switch)
{
	struct goc_stack s[5];
	struct goc_stack_stats st0, st;
	char err[2048];

	reset();
	goc__stack_stats(&st0);
	expect_uint_eq(st0.budget,
		       st0.max_map_count * 3 / 4 / (GOC_TSAN_ENABLED ? 4 : 2));
	expect_uint_eq(goc__stack_set_guard_budget(st0.guard_used + 3),
		       st0.budget);
	capture_begin();
	for (int i = 0; i < 5; i++)
		require_int_eq(goc__stack_alloc(&s[i], 0), 0);
	capture_end(err, sizeof(err));
	for (int i = 0; i < 5; i++)
		expect_int_eq(s[i].guarded, i < 3);
	goc__stack_stats(&st);
	expect_uint_eq(st.guarded, st0.guarded + 3);
	expect_uint_eq(st.unguarded, st0.unguarded + 2);
	expect_uint_eq(st.guard_used, st.budget);
	/* Said once, on one line, when the first canary was given out. */
	expect_true(strstr(err, "goconc: ") == err);
	expect_true(strstr(err, "vm.max_map_count=") != NULL);
	expect_true(strstr(err, "GOCONC_STACKGUARD=strict") != NULL);
	expect_int_eq(count_char(err, '\n'), 1);

	/* Freeing a guarded stack makes room for the next one. */
	goc__stack_free(&s[0]);
	goc__stack_set_pool_max(0);
	goc__stack_free(&s[1]);
	struct goc_stack t;
	require_int_eq(goc__stack_alloc(&t, 0), 0);
	expect_true(t.guarded);
	goc__stack_free(&t);
	for (int i = 2; i < 5; i++)
		goc__stack_free(&s[i]);
	goc__stack_stats(&st);
	expect_uint_eq(st.guarded, st0.guarded);
	expect_uint_eq(st.unguarded, st0.unguarded);
	reset();
}

/* Average RSS added per stack over n stacks, parked or untouched. */
static double
rss_per_stack(struct goc_stack *s, long n, bool touch_top)
{
	long before = rss_bytes();

	for (long i = 0; i < n; i++) {
		if (goc__stack_alloc(&s[i], 0) != 0) {
			goc_test_fail("alloc %ld failed", i);
			return -1;
		}
		/* A parked goroutine has used the top of its stack. */
		if (touch_top)
			memset((char *)s[i].lo + s[i].size - 1024, 0x55, 1024);
	}
	long after = rss_bytes();
	for (long i = 0; i < n; i++)
		goc__stack_free(&s[i]);
	goc__stack_pool_drain();
	return (double)(after - before) / (double)n;
}

GOC_TEST(rss_of_stacks)
{
	long n = goc_test_scaled(5000);
	struct goc_stack *s = calloc((size_t)n, sizeof(*s));
	struct goc_stack_stats st;
	double page = (double)page_size();
	/*
	 * TSan's mmap interceptor writes the shadow of every new mapping
	 * (a page per stack, measured) and shadows each written page with
	 * two more; ASan and native builds commit nothing extra.
	 */
	double map_extra = GOC_TSAN_ENABLED ? page : 0;
	double touch_extra = GOC_TSAN_ENABLED ? 2 * page : 0;
	double slack = GOC_TSAN_ENABLED || GOC_ASAN_ENABLED ? 2048 : 512;

	require_ptr_ne(s, NULL);
	reset();
	goc__stack_stats(&st);
	require_uint_ge(st.budget - st.guard_used, (uint64_t)n);
	rss_per_stack(s, n, true); /* warm up: the array, page tables */
	double g_idle = rss_per_stack(s, n, false);
	double g_parked = rss_per_stack(s, n, true);
	goc__stack_set_guard_budget(0);
	double u_idle = rss_per_stack(s, n, false);
	double u_parked = rss_per_stack(s, n, true);
	goc_test_note("RSS per stack over %ld: guarded %.0f B untouched, "
		      "%.0f B parked; unguarded %.0f B untouched, %.0f B "
		      "parked",
		      n, g_idle, g_parked, u_idle, u_parked);
	expect_true(g_idle <= map_extra + slack);
	expect_true(g_parked <= map_extra + page + touch_extra + slack);
	expect_true(u_idle <= map_extra + page + touch_extra + slack);
	expect_true(u_parked <= map_extra + 2 * (page + touch_extra) + slack);
	free(s);
	reset();
}

/* SPEC §4 "Scale": many stacks, and no mapping-limit failure. */
GOC_TEST(many_stacks)
{
	long n = goc_test_scaled(50000);
	struct goc_stack *s = calloc((size_t)n, sizeof(*s));
	struct goc_stack_stats st0, st;
	char err[2048];

	require_ptr_ne(s, NULL);
	goc_test_set_timeout(300);
	reset();
	goc__stack_stats(&st0);
	long maps0 = count_maps();
	capture_begin();
	for (long i = 0; i < n; i++)
		if (goc__stack_alloc(&s[i], 0) != 0) {
			capture_end(err, sizeof(err));
			goc_test_abort("stack %ld of %ld: allocation failed", i,
				       n);
		}
	capture_end(err, sizeof(err));
	long maps = count_maps() - maps0;
	goc__stack_stats(&st);
	uint64_t room = st0.budget - st0.guard_used;
	uint64_t want_g = (uint64_t)n < room ? (uint64_t)n : room;
	expect_uint_eq(st.guarded, st0.guarded + want_g);
	expect_uint_eq(st.unguarded, st0.unguarded + (uint64_t)n - want_g);
	expect_int_eq(strlen(err) > 0, (uint64_t)n > room);
	goc_test_note("%ld stacks: %" PRIu64 " guarded, %" PRIu64
		      " unguarded, %ld more mappings (max_map_count %" PRIu64
		      ")",
		      n, st.guarded, st.unguarded, maps, st.max_map_count);
	expect_int_lt(maps0 + maps, (long)st.max_map_count);
	/* Guarded stacks cost two mappings; runs of unguarded ones, one. */
	if (!GOC_TSAN_ENABLED)
		expect_int_le(maps, (long)(2 * want_g) + 64 +
					    ((long)n - (long)want_g) / 16);
	for (long i = 0; i < n; i++)
		goc__stack_free(&s[i]);
	goc__stack_pool_drain();
	goc__stack_stats(&st);
	expect_uint_eq(st.guarded, st0.guarded);
	expect_uint_eq(st.unguarded, st0.unguarded);
	expect_uint_eq(st.pooled, 0);
	free(s);
	reset();
}

#define HOLD 8

struct churn {
	long iters;
	uintptr_t tag;
	int failures;
};

static void *
churn_thread(void *arg)
{
	struct churn *c = arg;
	struct goc_stack held[HOLD];
	uint64_t x = c->tag;

	memset(held, 0, sizeof(held));
	for (long i = 0; i < c->iters; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		struct goc_stack *s = &held[(x >> 33) % HOLD];
		if (s->map != NULL) {
			/* Nobody else was handed this stack meanwhile. */
			uintptr_t *lo =
				(uintptr_t *)s->lo + GOC_STACK_CANARY_WORDS;
			if (*top_word(s) != c->tag + (uintptr_t)s->lo ||
			    *lo != c->tag)
				c->failures++;
			if (!goc__stack_check(s))
				c->failures++;
			goc__stack_free(s);
			continue;
		}
		size_t size = (x >> 40) % 4 == 0 ? 32 * 1024 : 0;
		if (goc__stack_alloc(s, size) != 0) {
			c->failures++;
			continue;
		}
		*top_word(s) = c->tag + (uintptr_t)s->lo;
		((uintptr_t *)s->lo)[GOC_STACK_CANARY_WORDS] = c->tag;
	}
	for (int i = 0; i < HOLD; i++)
		goc__stack_free(&held[i]);
	return NULL;
}

GOC_TEST(concurrent_churn)
{
	enum { NT = 4 };
	pthread_t t[NT];
	struct churn c[NT];
	struct goc_stack_stats st0, st;

	reset();
	goc__stack_set_pool_max(16);
	goc__stack_stats(&st0);
	/* Some stacks guarded, some not: both kinds go through the pool. */
	goc__stack_set_guard_budget(st0.guard_used + NT * HOLD / 2);
	for (int i = 0; i < NT; i++) {
		c[i].iters = goc_test_scaled(20000);
		c[i].tag = ((uintptr_t)(i + 1) << 48) ^ goc_test_seed();
		c[i].failures = 0;
		require_int_eq(pthread_create(&t[i], NULL, churn_thread, &c[i]),
			       0);
	}
	for (int i = 0; i < NT; i++) {
		pthread_join(t[i], NULL);
		expect_int_eq(c[i].failures, 0);
	}
	goc__stack_stats(&st);
	expect_uint_eq(st.guarded, st0.guarded);
	expect_uint_eq(st.unguarded, st0.unguarded);
	expect_uint_le(st.pooled, 16);
	expect_uint_le(st.guard_used, st.budget);
	reset();
}

static void *
thread_init_thread(void *arg)
{
	stack_t before, during, after;
	struct sigaction sa;
	int *failures = arg;

	sigaltstack(NULL, &before);
	if (goc__stack_thread_init() != 0)
		++*failures;
	sigaltstack(NULL, &during);
	if (during.ss_flags & SS_DISABLE)
		++*failures;
	if (during.ss_size < 16 * 1024)
		++*failures;
	sigaction(SIGSEGV, NULL, &sa);
	if (!(sa.sa_flags & SA_ONSTACK) || !(sa.sa_flags & SA_SIGINFO))
		++*failures;
	sigaction(SIGBUS, NULL, &sa);
	if (!(sa.sa_flags & SA_ONSTACK) || !(sa.sa_flags & SA_SIGINFO))
		++*failures;
	/* Idempotent. */
	if (goc__stack_thread_init() != 0)
		++*failures;
	goc__stack_thread_exit();
	/* Back to what the thread had (nothing, or the sanitizer's). */
	sigaltstack(NULL, &after);
	if ((after.ss_flags & SS_DISABLE) != (before.ss_flags & SS_DISABLE))
		++*failures;
	if (!(before.ss_flags & SS_DISABLE) && after.ss_sp != before.ss_sp)
		++*failures;
	return NULL;
}

GOC_TEST(thread_init)
{
	pthread_t t;
	int failures = 0;

	for (int i = 0; i < 3; i++) {
		require_int_eq(
			pthread_create(&t, NULL, thread_init_thread, &failures),
			0);
		pthread_join(t, NULL);
	}
	expect_int_eq(failures, 0);
}

/*
 * Slabs (goc__stack_alloc_slab). Slabs are never unmapped, so these
 * tests look at differences in the counters, never at absolute values.
 * Under TSan the slab path is the lone-stack path (no reuse).
 */
GOC_TEST(slab_guarded)
{
	struct goc_stack s[3], t;
	struct goc_stack_stats st0, st;
	char perms[5];
	size_t size = GOC_STACK_DEFAULT_SIZE;

	reset();
	goc__stack_stats(&st0);
	require_uint_ge(st0.budget - st0.guard_used, 64);
	for (int i = 0; i < 3; i++) {
		require_int_eq(goc__stack_alloc_slab(&s[i], 0), 0);
		expect_uint_eq(s[i].size, size);
		expect_true(s[i].guarded);
		/* The guard below every stack is PROT_NONE, the stack not. */
		require_true(map_perms((char *)s[i].lo - 1, perms));
		expect_str_eq(perms, "---p");
		require_true(map_perms(s[i].lo, perms));
		expect_str_eq(perms, "rw-p");
		expect_true(goc__stack_check(&s[i]));
		*top_word(&s[i]) = 7;
	}
	goc__stack_stats(&st);
	expect_uint_eq(st.guarded, st0.guarded + 3);
	uint64_t guard_used = st.guard_used;
	if (GOC_TSAN_ENABLED) {
		expect_false(s[0].slab);
		for (int i = 0; i < 3; i++)
			goc__stack_free(&s[i]);
		reset();
		return;
	}
	/* One slab, slots in address order, guard between neighbours. */
	expect_true(s[0].slab);
	expect_uint_eq(st.slabs, st0.slabs + (st0.slab_free < 3 ? 1 : 0));
	if (st0.slab_free == 0) {
		expect_ptr_eq(s[1].lo, (char *)s[0].lo + size + guard_size());
		expect_ptr_eq(s[2].lo, (char *)s[1].lo + size + guard_size());
	}
	/* Free: back on the list, trimmed, still mapped; reused LIFO. */
	void *lo = s[2].lo;
	uintptr_t *top = top_word(&s[2]);
	goc__stack_free(&s[2]);
	expect_ptr_eq(s[2].map, NULL);
	goc__stack_stats(&st);
	expect_uint_eq(st.guarded, st0.guarded + 2);
	expect_true(page_mapped(lo));
	expect_false(page_resident(top));
#if GOC_ASAN_ENABLED
	expect_true(__asan_address_is_poisoned(top));
#endif
	require_int_eq(goc__stack_alloc_slab(&t, 0), 0);
	expect_ptr_eq(t.lo, lo);
	expect_true(t.guarded);
	expect_uint_eq(*top_word(&t), 0);
	/* The pool drain leaves slabs alone. */
	goc__stack_free(&t);
	goc__stack_pool_drain();
	expect_true(page_mapped(lo));
	for (int i = 0; i < 2; i++)
		goc__stack_free(&s[i]);
	goc__stack_stats(&st);
	expect_uint_eq(st.guarded, st0.guarded);
	/* Freed slab stacks keep their guards, and their place in the
	 * budget, for the next ones. */
	expect_uint_eq(st.guard_used, guard_used);
	expect_uint_eq(st.slab_free,
		       st0.slab_free + (st0.slab_free < 3 ? 64 : 0));
	reset();
}

/* Another size than the default: a lone stack. */
GOC_TEST(slab_other_size)
{
	struct goc_stack s;

	reset();
	require_int_eq(goc__stack_alloc_slab(&s, 1 << 20), 0);
	expect_false(s.slab);
	expect_uint_eq(s.size, 1 << 20);
	goc__stack_free(&s);
	expect_int_eq(goc__stack_alloc_slab(&s, (size_t)GOC_STACK_MAX_SIZE + 1),
		      GOC_EINVAL);
	reset();
}

GOC_TEST(slab_canary)
{
	struct goc_stack s[4];
	struct goc_stack_stats st0, st;
	char perms[5], err[1024];
	size_t size = GOC_STACK_DEFAULT_SIZE;

	if (GOC_TSAN_ENABLED) {
		goc_test_skip("no slabs under TSan");
		return;
	}
	reset();
	/* Drain the free guarded slots and spend the budget. */
	goc__stack_stats(&st0);
	struct goc_stack *held = calloc(st0.slab_free + 1, sizeof(*held));
	require_ptr_ne(held, NULL);
	size_t nheld = 0;
	goc__stack_set_guard_budget(st0.guard_used);
	capture_begin();
	for (;;) {
		require_int_eq(goc__stack_alloc_slab(&held[nheld], 0), 0);
		if (!held[nheld].guarded) {
			/* The first canary stack: give it back. */
			goc__stack_free(&held[nheld]);
			break;
		}
		nheld++;
		require_uint_le(nheld, st0.slab_free);
	}
	goc__stack_stats(&st0);
	for (int i = 0; i < 4; i++) {
		require_int_eq(goc__stack_alloc_slab(&s[i], 0), 0);
		expect_false(s[i].guarded);
		expect_true(s[i].slab);
		expect_true(goc__stack_check(&s[i]));
	}
	capture_end(err, sizeof(err));
	goc__stack_stats(&st);
	expect_uint_eq(st.unguarded, st0.unguarded + 4);
	/* Neighbours: each canary sits just below a page boundary, on the
	 * page holding the top of the stack beneath. */
	for (int i = 0; i < 3; i++) {
		if ((char *)s[i + 1].lo != (char *)s[i].lo + size)
			continue; /* not adjacent (reused slots) */
		uintptr_t canary_page =
			(uintptr_t)s[i + 1].lo & ~(page_size() - 1);
		uintptr_t top_page =
			((uintptr_t)s[i].lo + size - 1) & ~(page_size() - 1);
		expect_uint_eq(canary_page, top_page);
	}
	require_true(map_perms(s[1].lo, perms));
	expect_str_eq(perms, "rw-p");
	/* Overflow of s[1] into its canary is caught; s[0] unaffected. */
	uintptr_t *w = s[1].lo;
	uintptr_t keep = w[0];
	w[0] = 0;
	expect_false(goc__stack_check(&s[1]));
	w[0] = keep;
	expect_true(goc__stack_check(&s[1]));
	/* A parked neighbour's top survives freeing (and trimming) s[1],
	 * and so does s[2]'s canary on s[1]'s top page. */
	*top_word(&s[0]) = 42;
	memset((char *)s[1].lo + size - 1024, 0x55, 1024);
	goc__stack_free(&s[1]);
	expect_uint_eq(*top_word(&s[0]), 42);
	expect_true(goc__stack_check(&s[0]));
	expect_true(goc__stack_check(&s[2]));
	/* Strict mode: free guarded slots still serve, then GOC_EAGAIN. */
	setenv("GOCONC_STACKGUARD", "strict", 1);
	goc__stack_reconfigure();
	goc__stack_stats(&st);
	goc__stack_set_guard_budget(st.guard_used);
	struct goc_stack x;
	if (nheld > 0) {
		void *lo = held[nheld - 1].lo;
		goc__stack_free(&held[--nheld]);
		require_int_eq(goc__stack_alloc_slab(&x, 0), 0);
		expect_ptr_eq(x.lo, lo);
		expect_true(x.guarded);
		held[nheld++] = x;
	}
	expect_int_eq(goc__stack_alloc_slab(&x, 0), GOC_EAGAIN);
	expect_ptr_eq(x.map, NULL);
	unsetenv("GOCONC_STACKGUARD");
	for (int i = 0; i < 4; i++)
		goc__stack_free(&s[i]);
	while (nheld > 0)
		goc__stack_free(&held[--nheld]);
	free(held);
	reset();
}
