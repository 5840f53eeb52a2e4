/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers of the fault-injection suite (--enable-faults; src/rt/fault.h).
 *
 * Each injected failure runs in a forked child, so every child starts
 * with a runtime that was never started (the parent process never starts
 * it: SPEC §10 forbids forking a running runtime) and so a failure that
 * kills the child, hangs it or leaks in it is seen from outside:
 *
 *   fault_child(fn, arg, &out)   runs fn(arg) in a child with a watchdog
 *                                (SIGALRM, default action); the child
 *                                exits with fn's result through exit(),
 *                                so LeakSanitizer checks it in ASan
 *                                builds. Returns the wait status, and
 *                                the child's stderr in out.
 *   fault_sweep(...)             runs fn in a child for n = 1, 2, ...
 *                                with the nth call of kind armed to fail,
 *                                until a child reports that its nth call
 *                                never came (FAULT_DONE).
 *
 * fn reports one of these exit codes.
 */
#ifndef GOC_TESTS_FAULT_TEST_H
#define GOC_TESTS_FAULT_TEST_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <goconc.h>

#include "../harness.h"
#include "rt/fault.h"

enum {
	FAULT_DONE = 0, /* the armed call never came: the sweep is over */
	FAULT_OK = 10,  /* the call failed; the API reported it properly
			 * (or recovered) and the runtime kept working */
	FAULT_BAD = 11, /* a wrong result (fn printed why on stderr) */
};

#define FAULT_TSAN_WARNING "WARNING: ThreadSanitizer:"

/*
 * Whether every ThreadSanitizer report in out comes from the goroutine
 * dump of a fatal error, which reads other goroutines without their
 * locks on purpose (src/sched/dump.c, as Go's forEachGRace): the process
 * is dying, and the runtime may hold those locks itself.
 */
static inline bool
fault_tsan_only_dump(const char *out)
{
	const char *w = strstr(out, FAULT_TSAN_WARNING);
	while (w != NULL) {
		const char *next = strstr(w + 1, FAULT_TSAN_WARNING);
		const char *d = strstr(w, "goc__dump_all");
		if (d == NULL || (next != NULL && d > next))
			return false;
		w = next;
	}
	return true;
}

/* A sanitizer's report in a child's stderr (LeakSanitizer changes the
 * exit status of a leaking child to 1 or 23, so look for the words). */
static inline bool
fault_sanitizer_report(const char *out, bool died)
{
	if (strstr(out, "ThreadSanitizer") != NULL &&
	    !(died && fault_tsan_only_dump(out)))
		return true;
	return strstr(out, "LeakSanitizer") != NULL ||
	       strstr(out, "AddressSanitizer") != NULL ||
	       strstr(out, "runtime error:") != NULL;
}

/* Seconds a child may run before its watchdog kills it (a hang). */
static inline unsigned
fault_child_timeout(void)
{
	const char *s = getenv("GOC_TEST_TIMEOUT_MULTIPLIER");
	double m = s != NULL && strtod(s, NULL) > 0 ? strtod(s, NULL) : 1;
	return (unsigned)(20 * m + 0.5);
}

static inline int
fault_child(int (*fn)(void *), void *arg, char **out)
{
	int pfd[2];
	*out = NULL;
	if (pipe(pfd) != 0) {
		goc_test_fail("pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		goc_test_fail("fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		/* The harness's watchdog prints TAP; a child just dies. */
		signal(SIGALRM, SIG_DFL);
		alarm(fault_child_timeout());
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		int r = fn(arg);
		fflush(stderr);
		exit(r);
	}
	close(pfd[1]);
	char *text = goc_test_read_all(pfd[0]);
	close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*out = text;
	return status;
}

/* What a child under fault_sweep reads to know what to fail. */
struct fault_arm {
	int kind;
	uint64_t n;
};

static inline void
fault_arm_nth(const struct fault_arm *a)
{
	goc__fault_arm(a->kind, a->n, a->n);
}

/* In a child: the armed call never came (the sweep may stop). */
static inline bool
fault_unfired(const struct fault_arm *a)
{
	return goc__fault_fired(a->kind) == 0;
}

/*
 * Sweeps n = 1, 2, ... up to max_n: fn(a) runs in a child with a->n set
 * and must itself arm (fault_arm_nth) around the operation under test,
 * then return FAULT_DONE, FAULT_OK or FAULT_BAD. A child that aborts
 * passes when its stderr holds one of the allowed fatal messages (NULL
 * terminated; NULL allows none). Returns the number of armed calls the
 * operation made (the sweep's last n less one).
 */
static inline uint64_t
fault_sweep(const char *what, int (*fn)(void *), int kind, uint64_t max_n,
	    const char *const *fatal_ok)
{
	struct fault_arm a = {kind, 0};
	uint64_t fatals = 0;
	for (a.n = 1; a.n <= max_n; a.n++) {
		char *out;
		int st = fault_child(fn, &a, &out);
		if (st == -1)
			return a.n - 1;
		bool done = false, ok = false;
		const char *why = "";
		if (WIFEXITED(st)) {
			int c = WEXITSTATUS(st);
			done = c == FAULT_DONE;
			ok = done || c == FAULT_OK;
			why = c == FAULT_BAD ? "a wrong result"
					     : "an unexpected exit";
		} else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM) {
			why = "a hang (child watchdog)";
		} else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT) {
			why = "an abort without an allowed fatal message";
			for (int i = 0; fatal_ok != NULL && fatal_ok[i]; i++)
				if (strstr(out, fatal_ok[i]) != NULL)
					ok = true;
			fatals += ok;
		} else {
			why = "a crash";
		}
		if (ok && fault_sanitizer_report(out, WIFSIGNALED(st))) {
			ok = false;
			why = "a sanitizer report (a leak?)";
		}
		if (!ok)
			goc_test_fail("%s: failing call %" PRIu64
				      " of kind %d gave %s (status 0x%x); "
				      "stderr:\n%s",
				      what, a.n, kind, why, (unsigned)st, out);
		free(out);
		if (done || !ok)
			break;
	}
	if (a.n > max_n)
		goc_test_note("%s: stopped at %" PRIu64 " calls", what, max_n);
	goc_test_note("%s: kind %d: %" PRIu64 " calls failed one by one, "
		      "%" PRIu64 " fatal",
		      what, kind, a.n - 1, fatals);
	return a.n - 1;
}

#endif /* GOC_TESTS_FAULT_TEST_H */
