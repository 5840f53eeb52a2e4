/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * panic, fatal and throw: Go's failure output (runtime/panic.go printpanics,
 * fatalthrow; runtime/traceback.go), then the user's hook, then abort().
 *
 * Layout (SPEC §10), all on stderr:
 *
 *     panic: send on closed channel
 *     <blank line>
 *     goroutine 7 [running]:
 *     <traceback>
 *
 * A second failure while one is being reported does not print again: from
 * the hook (the same thread) it aborts at once, as Go's "panic during
 * panic" does; from another thread it first gives the reporter time to
 * finish (Go's dopanic_m lets the first one print).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_EXECINFO_H
#include <execinfo.h>
#endif

#include "goconc/common.h"
#include "internal/panic.h"

void (*goc__traceback_hook)(int fd, bool all);

/* The hook is set by the program before failures can happen; it is read
 * once per failure. Atomic because a failing thread may race a setter. */
static goc_panic_hook_t panic_hook;
static void *panic_hook_arg;
static int failing; /* (atomic) set by the first failure */
/* This thread is reporting a failure (a nested one is reported at once). */
static __thread bool failing_here;

goc_panic_hook_t
goc_set_panic_hook(goc_panic_hook_t fn, void *arg)
{
	__atomic_store_n(&panic_hook_arg, arg, __ATOMIC_RELAXED);
	/* Release: the argument is visible to whoever loads the hook. */
	return __atomic_exchange_n(&panic_hook, fn, __ATOMIC_ACQ_REL);
}

static void
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void
write_str(int fd, const char *s)
{
	write_all(fd, s, strlen(s));
}

static void
print_traceback(int fd, bool all)
{
	if (goc__traceback_hook != NULL) {
		goc__traceback_hook(fd, all);
		return;
	}
	/* No scheduler: the caller is not a goroutine (goc_id() == 0). */
	write_str(fd, "goroutine 0 [running]:\n");
#ifdef HAVE_BACKTRACE
	void *frames[64];
	int n = backtrace(frames, 64);
	/* Skip this function and the reporter that called it. */
	if (n > 2)
		backtrace_symbols_fd(frames + 2, n - 2, fd);
#endif
}

static GOC_NORETURN void
report(const char *kind, const char *msg, bool all)
{
	if (__atomic_exchange_n(&failing, 1, __ATOMIC_ACQ_REL) != 0) {
		/*
		 * Go's dopanic_m: while another thread reports its failure,
		 * let it print what it has to (its abort ends the process).
		 * Bounded, so that a reporter stuck behind a lock this
		 * thread holds cannot hang the process.
		 */
		for (int i = 0; !failing_here && i < 500; i++) {
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		write_str(2, "panic during panic\n");
		abort();
	}
	failing_here = true;
	write_str(2, kind);
	write_str(2, ": ");
	write_str(2, msg);
	write_str(2, "\n\n");
	print_traceback(2, all);
	goc_panic_hook_t hook = __atomic_load_n(&panic_hook, __ATOMIC_ACQUIRE);
	if (hook != NULL)
		hook(kind, msg,
		     __atomic_load_n(&panic_hook_arg, __ATOMIC_RELAXED));
	abort();
}

static bool
traceback_all(void)
{
	const char *t = getenv("GOCONC_TRACEBACK");
	return t != NULL &&
	       (strcmp(t, "all") == 0 || strcmp(t, "system") == 0 ||
		strcmp(t, "crash") == 0);
}

void
goc_panic(const char *msg)
{
	report("panic", msg, traceback_all());
}

void
goc_fatal(const char *msg)
{
	report("fatal error", msg, true);
}

void
goc__panicf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	report("panic", buf, traceback_all());
}

void
goc__throw(const char *msg)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "runtime: %s", msg);
	report("fatal error", buf, true);
}

void
goc__throwf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	goc__throw(buf);
}

void
goc__assert_fail(const char *cond, const char *file, int line, const char *func)
{
	char buf[512];

	/* Details first, then the final line (Go's HACKING.md advice). */
	snprintf(buf, sizeof(buf), "%s:%d: %s: assertion failed: %s\n", file,
		 line, func, cond);
	write_str(2, buf);
	goc__throw("assertion failed");
}
