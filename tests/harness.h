/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The libgoconc test harness: TAP output for Automake's tap-driver.
 *
 *   GOC_TEST(name) { ... }         defines a case (run in source order)
 *   expect_*(...)                  records a failure and continues
 *   require_*(...)                 records a failure and ends the case
 *   expect_panic(fn, msg)          fn (void fn(void)) must abort with
 *                                  "panic: msg" on stderr; expect_fatal
 *                                  wants "fatal error: msg"; expect_death
 *                                  any stderr substring
 *   expect_race(fn)                fn, run alone in a re-executed child,
 *   expect_no_race(fn)             must (must not) draw a ThreadSanitizer
 *                                  data race report (race builds)
 *   goc_test_skip(reason)          ends the case as skipped
 *   goc_test_seed(), goc_test_rand()  the case's replayable randomness
 *   goc_test_scaled(n)             n sized by GOC_TEST_SCALE (min 1)
 *   goc_test_stress_seconds()      GOC_STRESS_SECONDS (default 1)
 *   goc_test_set_timeout(s)        this case's watchdog, in seconds
 *
 * Comparisons are typed and print both sides: expect_int_eq (intmax_t),
 * expect_uint_eq / expect_u64_eq (uintmax_t), expect_ptr_eq,
 * expect_str_eq, expect_true, expect_false, and _ne, _lt, _le, _gt, _ge
 * for int and uint.
 *
 * Environment: GOC_TEST_SEED replays a run (the seed is printed first);
 * GOC_TEST_SCALE scales sizes (sanitizer and qemu stages use fractions);
 * GOC_TEST_TIMEOUT_MULTIPLIER stretches every watchdog; GOC_TEST_FILTER
 * or a case name as the first argument runs one case.
 *
 * Death tests re-execute the test binary (GOC_TEST_WRAPPER, such as
 * qemu, in front) for the one function, and check SIGABRT plus stderr.
 * A running runtime is never forked (SPEC §10).
 */
#ifndef GOC_TESTS_HARNESS_H
#define GOC_TESTS_HARNESS_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct goc_test {
	const char *name;
	void (*fn)(void);
	const char *file;
	int line;
	struct goc_test *next;
};

void goc__test_register(struct goc_test *t);

#define GOC_TEST(tname)                                                     \
	static void goc_test_fn_##tname(void);                              \
	static struct goc_test goc_test_desc_##tname = {                    \
		#tname, goc_test_fn_##tname, __FILE__, __LINE__, NULL};     \
	__attribute__((constructor)) static void goc_test_reg_##tname(void) \
	{                                                                   \
		goc__test_register(&goc_test_desc_##tname);                 \
	}                                                                   \
	static void goc_test_fn_##tname(void)

__attribute__((format(printf, 4, 5))) void
goc__test_fail(const char *file, int line, bool fatal, const char *fmt, ...);
__attribute__((noreturn)) void goc_test_skip(const char *reason);
void goc__test_expect_death(void (*fn)(void), const char *kind, const char *msg,
			    const char *file, int line);
void goc__test_expect_race(void (*fn)(void), bool race, const char *file,
			   int line);

uint64_t goc_test_seed(void);
uint64_t goc_test_rand(void); /* thread-safe; per-thread stream */
long goc_test_scaled(long n);
double goc_test_scale(void);
double goc_test_stress_seconds(void);
void goc_test_set_timeout(double seconds);
bool goc_test_failed(void);
/* Reads fd to its end into a NUL-terminated buffer the caller frees. */
char *goc_test_read_all(int fd);
/* Prints a TAP comment line (thread-safe). */
__attribute__((format(printf, 1, 2))) void goc_test_note(const char *fmt, ...);

#define GOC__CMP(T, fmt, a, op, b, fatal)                                    \
	do {                                                                 \
		T goc_a_ = (T)(a);                                           \
		T goc_b_ = (T)(b);                                           \
		if (!(goc_a_ op goc_b_))                                     \
			goc__test_fail(__FILE__, __LINE__, fatal,            \
				       "%s " #op " %s: " fmt " vs " fmt, #a, \
				       #b, goc_a_, goc_b_);                  \
	} while (0)

#define expect_int_eq(a, b)  GOC__CMP(intmax_t, "%jd", a, ==, b, false)
#define expect_int_ne(a, b)  GOC__CMP(intmax_t, "%jd", a, !=, b, false)
#define expect_int_lt(a, b)  GOC__CMP(intmax_t, "%jd", a, <, b, false)
#define expect_int_le(a, b)  GOC__CMP(intmax_t, "%jd", a, <=, b, false)
#define expect_int_gt(a, b)  GOC__CMP(intmax_t, "%jd", a, >, b, false)
#define expect_int_ge(a, b)  GOC__CMP(intmax_t, "%jd", a, >=, b, false)
#define require_int_eq(a, b) GOC__CMP(intmax_t, "%jd", a, ==, b, true)
#define require_int_ne(a, b) GOC__CMP(intmax_t, "%jd", a, !=, b, true)
#define require_int_lt(a, b) GOC__CMP(intmax_t, "%jd", a, <, b, true)
#define require_int_le(a, b) GOC__CMP(intmax_t, "%jd", a, <=, b, true)
#define require_int_gt(a, b) GOC__CMP(intmax_t, "%jd", a, >, b, true)
#define require_int_ge(a, b) GOC__CMP(intmax_t, "%jd", a, >=, b, true)

#define expect_uint_eq(a, b)  GOC__CMP(uintmax_t, "%ju", a, ==, b, false)
#define expect_uint_ne(a, b)  GOC__CMP(uintmax_t, "%ju", a, !=, b, false)
#define expect_uint_lt(a, b)  GOC__CMP(uintmax_t, "%ju", a, <, b, false)
#define expect_uint_le(a, b)  GOC__CMP(uintmax_t, "%ju", a, <=, b, false)
#define expect_uint_gt(a, b)  GOC__CMP(uintmax_t, "%ju", a, >, b, false)
#define expect_uint_ge(a, b)  GOC__CMP(uintmax_t, "%ju", a, >=, b, false)
#define require_uint_eq(a, b) GOC__CMP(uintmax_t, "%ju", a, ==, b, true)
#define require_uint_ne(a, b) GOC__CMP(uintmax_t, "%ju", a, !=, b, true)
#define require_uint_lt(a, b) GOC__CMP(uintmax_t, "%ju", a, <, b, true)
#define require_uint_le(a, b) GOC__CMP(uintmax_t, "%ju", a, <=, b, true)
#define require_uint_gt(a, b) GOC__CMP(uintmax_t, "%ju", a, >, b, true)
#define require_uint_ge(a, b) GOC__CMP(uintmax_t, "%ju", a, >=, b, true)
#define expect_u64_eq(a, b)   expect_uint_eq(a, b)
#define require_u64_eq(a, b)  require_uint_eq(a, b)

#define expect_ptr_eq(a, b)  GOC__CMP(const void *, "%p", a, ==, b, false)
#define expect_ptr_ne(a, b)  GOC__CMP(const void *, "%p", a, !=, b, false)
#define require_ptr_eq(a, b) GOC__CMP(const void *, "%p", a, ==, b, true)
#define require_ptr_ne(a, b) GOC__CMP(const void *, "%p", a, !=, b, true)

#define GOC__BOOL(cond, want, fatal)                               \
	do {                                                       \
		if ((bool)(cond) != (want))                        \
			goc__test_fail(__FILE__, __LINE__, fatal,  \
				       "%s is %s, want %s", #cond, \
				       (want) ? "false" : "true",  \
				       (want) ? "true" : "false"); \
	} while (0)
#define expect_true(c)   GOC__BOOL(c, true, false)
#define expect_false(c)  GOC__BOOL(c, false, false)
#define require_true(c)  GOC__BOOL(c, true, true)
#define require_false(c) GOC__BOOL(c, false, true)

#define GOC__STR(a, b, eq, fatal)                                        \
	do {                                                             \
		const char *goc_a_ = (a), *goc_b_ = (b);                 \
		bool goc_same_ = goc_a_ && goc_b_                        \
					 ? strcmp(goc_a_, goc_b_) == 0   \
					 : goc_a_ == goc_b_;             \
		if (goc_same_ != (eq))                                   \
			goc__test_fail(__FILE__, __LINE__, fatal,        \
				       "%s %s %s: \"%s\" vs \"%s\"", #a, \
				       (eq) ? "==" : "!=", #b,           \
				       goc_a_ ? goc_a_ : "(null)",       \
				       goc_b_ ? goc_b_ : "(null)");      \
	} while (0)
#define expect_str_eq(a, b)  GOC__STR(a, b, true, false)
#define expect_str_ne(a, b)  GOC__STR(a, b, false, false)
#define require_str_eq(a, b) GOC__STR(a, b, true, true)

#define goc_test_fail(...) \
	goc__test_fail(__FILE__, __LINE__, false, __VA_ARGS__)
#define goc_test_abort(...) \
	goc__test_fail(__FILE__, __LINE__, true, __VA_ARGS__)

#define expect_panic(fn, msg) \
	goc__test_expect_death(fn, "panic: ", msg, __FILE__, __LINE__)
#define expect_race(fn)    goc__test_expect_race(fn, true, __FILE__, __LINE__)
#define expect_no_race(fn) goc__test_expect_race(fn, false, __FILE__, __LINE__)
#define expect_fatal(fn, msg) \
	goc__test_expect_death(fn, "fatal error: ", msg, __FILE__, __LINE__)
#define expect_death(fn, text) \
	goc__test_expect_death(fn, "", text, __FILE__, __LINE__)

#endif /* GOC_TESTS_HARNESS_H */
