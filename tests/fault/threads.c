/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Thread creation failures (--enable-faults): pthread_create failing on
 * the runtime's nth thread, and a real thread limit (RLIMIT_NPROC, with
 * privileges dropped first: root ignores the limit). Go dies when it
 * cannot create an M, with "runtime: failed to create new OS thread
 * (have N already; errno=E)" and "fatal error: newosproc"; so must the
 * runtime, and never hang waiting for a thread that will not come.
 */
#include "config.h"

#include <grp.h>
#include <sys/resource.h>

#include "fault_test.h"

static const char *const fatal_thread[] = {
	"runtime: failed to create new OS thread", NULL};

/*
 * Needs a new M per goroutine: each locks its thread and parks on the
 * gate, keeping its M, so the next one runs on another M (Go's
 * LockOSThread makes the same demand).
 */
#define LOCKED 12

struct locked {
	goc_wg_t started;
	goc_wg_t finished;
	goc_chan_t *gate;
};

static void
locked_g(void *arg)
{
	struct locked *l = arg;
	goc_lock_os_thread();
	goc_wg_done(&l->started);
	goc_chan_recv(l->gate, NULL);
	goc_unlock_os_thread();
	goc_wg_done(&l->finished);
}

static int
locked_main(void *arg)
{
	struct locked l = {.gate = goc_chan_make(0, 0)};
	(void)arg;
	if (l.gate == NULL)
		return FAULT_BAD;
	for (int i = 0; i < LOCKED; i++) {
		goc_wg_add(&l.started, 1);
		goc_wg_add(&l.finished, 1);
		if (goc_go(locked_g, &l) != 0)
			return FAULT_BAD;
	}
	goc_wg_wait(&l.started);
	goc_chan_close(l.gate);
	goc_wg_wait(&l.finished);
	goc_chan_release(l.gate);
	return FAULT_OK;
}

static int
locked_child(void *arg)
{
	(void)arg;
	return goc_run(locked_main, NULL);
}

/*
 * Regression: the M that handed its P to a locked goroutine's M counted
 * that M as idle until it woke, and its own stopm then found no M running
 * ("all goroutines are asleep - deadlock!" in about half the runs).
 */
GOC_TEST(locked_threads_no_false_deadlock)
{
	for (int i = 0; i < (int)goc_test_scaled(20); i++) {
		char *out;
		int st = fault_child(locked_child, NULL, &out);
		bool ok = WIFEXITED(st) && WEXITSTATUS(st) == FAULT_OK;
		if (!ok)
			goc_test_fail("run %d: status 0x%x, stderr:\n%s", i,
				      (unsigned)st, out);
		free(out);
		if (!ok)
			break;
	}
}

static int
thread_nth_child(void *arg)
{
	const struct fault_arm *a = arg;
	fault_arm_nth(a);
	int r = goc_run(locked_main, NULL);
	goc__fault_disarm_all();
	if (r != FAULT_OK)
		return FAULT_BAD;
	return fault_unfired(a) ? FAULT_DONE : FAULT_OK;
}

GOC_TEST(thread_nth)
{
	goc_test_set_timeout(600);
	/* Every thread the runtime starts, one by one, fails: the process
	 * dies with Go's message. */
	uint64_t n = fault_sweep("thread start", thread_nth_child,
				 GOC_FAULT_THREAD, 64, fatal_thread);
	expect_uint_ge(n, 2);
}

/* Go's message for EAGAIN, and the count of threads it had. */
static void
all_threads_fail(void)
{
	goc__fault_arm(GOC_FAULT_THREAD, 1, UINT64_MAX);
	goc_run(locked_main, NULL);
}

static int
all_fail_child(void *arg)
{
	(void)arg;
	all_threads_fail();
	return FAULT_BAD;
}

GOC_TEST(thread_message)
{
	char *out;
	int st = fault_child(all_fail_child, NULL, &out);
	expect_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	expect_true(strstr(out, "runtime: failed to create new OS thread "
				"(have ") != NULL);
	expect_true(strstr(out, " already; errno=11)\n") != NULL);
	expect_true(strstr(out, "runtime: may need to increase max user "
				"processes (ulimit -u)") != NULL);
	expect_true(strstr(out, "fatal error: newosproc") != NULL);
	if (goc_test_failed())
		goc_test_note("status 0x%x, stderr:\n%s", (unsigned)st, out);
	free(out);
}

/*
 * A real limit. The child becomes nobody (65534), whose threads count
 * against RLIMIT_NPROC, then allows itself a few: fewer than the
 * LOCKED + 2 threads the program needs.
 */
static int
nproc_child(void *arg)
{
	(void)arg;
	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
	    setuid(65534) != 0) {
		fprintf(stderr, "cannot drop privileges: %s\n",
			strerror(errno));
		return FAULT_BAD;
	}
	struct rlimit rl = {6, 6};
	if (setrlimit(RLIMIT_NPROC, &rl) != 0) {
		fprintf(stderr, "setrlimit: %s\n", strerror(errno));
		return FAULT_BAD;
	}
	goc_run(locked_main, NULL);
	/* Not reached: the limit stops the runtime first. */
	fprintf(stderr, "the program ran under RLIMIT_NPROC %d\n",
		(int)rl.rlim_cur);
	_exit(FAULT_BAD);
}

GOC_TEST(rlimit_nproc)
{
	if (geteuid() != 0)
		goc_test_skip("needs root to drop privileges to nobody");
	char *out;
	int st = fault_child(nproc_child, NULL, &out);
	expect_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	expect_true(strstr(out, "runtime: failed to create new OS thread") !=
		    NULL);
	expect_true(strstr(out, "fatal error: newosproc") != NULL);
	if (goc_test_failed())
		goc_test_note("status 0x%x, stderr:\n%s", (unsigned)st, out);
	free(out);
}
