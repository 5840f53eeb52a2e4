/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Stack overflow reports (src/sched/stack.c): a goroutine that runs off
 * its stack dies with Go's "fatal error: stack overflow" naming it, found
 * by the guard (SIGSEGV on the alternate signal stack) or, past the
 * guard budget, by the canary at the next switch. Faults that are not an
 * overflow keep their usual death.
 *
 * Code runs on a goroutine stack as a fiber (src/rt/fiber.h), switched
 * to the way the scheduler does it, sanitizer annotations included.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness.h"
#include "internal/compiler.h"
#include "rt/fiber.h"
#include "sched/stack.h"

/* The thread's own fiber, the goroutine's, and what the goroutine runs. */
static __thread struct goc_fiber back_fiber, run_fiber;
static __thread void (*run_fn)(void);

/*
 * 0: dive until the guard stops it. Otherwise the dive stops once its
 * frames reach below this address, and calls at_bottom.
 */
static volatile uintptr_t stop_below;
static void (*volatile at_bottom)(void);

/*
 * The bottom frames below have large buffers, the commonest real
 * overflow. They are not instrumented by ASan, which would leave
 * redzones unwritten in them or move them to a fake stack
 * (detect_stack_use_after_return).
 */

/* Fills a 4 KiB buffer. */
static GOC_NOINLINE __attribute__((no_sanitize("address"))) void
smash(void)
{
	volatile unsigned char buf[4096];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)i;
}

/* Writes only the far end of a 12 KiB buffer, stepping over pages. */
static GOC_NOINLINE __attribute__((no_sanitize("address"))) void
far_end(void)
{
	volatile unsigned char buf[12 * 1024];

	/* Escaped, so the compiler keeps all of it (clang would not). */
	__asm__ __volatile__("" : : "r"(buf) : "memory");
	buf[0] = 1;
	buf[1] = buf[0];
}

/* Recursion with a frame that is written all over, as real code does. */
static GOC_NOINLINE unsigned
dive(unsigned depth)
{
	volatile unsigned char frame[192];

	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (unsigned char)(depth + i);
	if ((uintptr_t)__builtin_frame_address(0) < stop_below) {
		at_bottom();
		return frame[0];
	}
	return dive(depth + 1) + frame[depth % sizeof(frame)];
}

static void
dive_entry(void)
{
	dive(0);
}

static void
run_entry(void *arg)
{
	(void)arg;
	goc__fiber_entered(&run_fiber);
	run_fn();
	goc__fiber_exit(&run_fiber, &back_fiber);
}

/* Runs fn on s as goroutine goid, the way the scheduler does. */
static void
run_on(struct goc_stack *s, void (*fn)(void), uint64_t goid, const char *name)
{
	run_fn = fn;
	goc__fiber_init_thread(&back_fiber);
	goc__fiber_make(&run_fiber, s->lo, s->size, run_entry, NULL);
	goc__stack_set_current(s, goid, name);
	goc__fiber_switch(&back_fiber, &run_fiber);
	goc__stack_set_current(NULL, 0, NULL);
	goc__fiber_destroy(&run_fiber);
}

static GOC_NORETURN void
setup_failed(const char *what)
{
	fprintf(stderr, "test set-up failed: %s\n", what);
	exit(2);
}

/* A guarded 64 KiB stack, this thread ready for faults. */
static void
guarded_stack(struct goc_stack *s)
{
	if (goc__stack_thread_init() != 0)
		setup_failed("goc__stack_thread_init");
	if (goc__stack_alloc(s, 64 * 1024) != 0 || !s->guarded)
		setup_failed("a guarded stack");
}

static void
overflow_guarded(void)
{
	struct goc_stack s;

	guarded_stack(&s);
	stop_below = 0;
	run_on(&s, dive_entry, 7, "deep");
	setup_failed("the dive returned");
}

static void *
overflow_thread_main(void *arg)
{
	struct goc_stack s;

	(void)arg;
	guarded_stack(&s);
	stop_below = 0;
	run_on(&s, dive_entry, 8, NULL);
	setup_failed("the dive returned");
}

/* The same on a second thread: its own alternate stack and owner. */
static void
overflow_guarded_thread(void)
{
	pthread_t t;
	struct goc_stack s;

	/* This thread runs a goroutine too, which must not be blamed. */
	guarded_stack(&s);
	goc__stack_set_current(&s, 1, "main");
	if (pthread_create(&t, NULL, overflow_thread_main, NULL) != 0)
		setup_failed("pthread_create");
	pthread_join(t, NULL);
	setup_failed("the thread returned");
}

/* Whether [lo, hi) lies in one read-write mapping (/proc/self/maps). */
static bool
writable(uintptr_t lo, uintptr_t hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long a, b;
	char perms[5];
	bool ok = false;

	if (f == NULL)
		return false;
	while (fscanf(f, "%lx-%lx %4s%*[^\n]", &a, &b, perms) == 3)
		if (lo >= a && hi <= b) {
			ok = perms[0] == 'r' && perms[1] == 'w';
			break;
		}
	fclose(f);
	return ok;
}

/*
 * A guarded stack with writable memory right below its mapping, as when
 * another goroutine's stack sits there: a free spot gets a stand-in; a
 * stack that landed in a hole above something else is kept (so the next
 * one goes elsewhere) unless that something is writable.
 */
static void
stack_above_writable(struct goc_stack *s, size_t below)
{
	for (int tries = 0; tries < 16; tries++) {
		guarded_stack(s);
		char *want = (char *)s->map - below;
		if (mmap(want, below, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
			 0) == want)
			return;
		if (writable((uintptr_t)want, (uintptr_t)s->map))
			return;
	}
	setup_failed("a stack with writable memory below it");
}

/*
 * A frame larger than a page entered 1 KiB above lo, which writes only
 * about 11 KiB below lo: past a single guard page, into the mapping below
 * (another goroutine's stack), silently. The 16 KiB guard stops it.
 */
static void
overflow_large_frame(void)
{
	struct goc_stack s;

	stack_above_writable(&s, 16 * 1024);
	stop_below = (uintptr_t)s.lo + 1024;
	at_bottom = far_end;
	run_on(&s, dive_entry, 10, "wide");
	setup_failed("the dive returned");
}

/*
 * Past the budget: the stack has a canary and a read-write cushion
 * below it. The goroutine dives to within 3 KiB of lo, then fills a 4
 * KiB buffer, which runs about 1.5 KiB past lo (into the cushion, so
 * nothing else is hit), and returns; the check at the switch back finds
 * the canary smashed, and the scheduler reports it.
 */
static void
overflow_canary(void)
{
	struct goc_stack s;

	goc__stack_set_guard_budget(0);
	if (goc__stack_alloc(&s, 64 * 1024) != 0 || s.guarded)
		setup_failed("an unguarded stack");
	if (!goc__stack_check(&s))
		setup_failed("a fresh canary");
	stop_below = (uintptr_t)s.lo + 3072;
	at_bottom = smash;
	run_on(&s, dive_entry, 9, "shallow");
	if (!goc__stack_check(&s))
		goc__stack_overflow(9, "shallow", &s);
	setup_failed("the canary did not notice the overflow");
}

GOC_TEST(guard_page_overflow)
{
	expect_fatal(overflow_guarded,
		     "stack overflow\n\ngoroutine 7 [running]:");
	expect_death(overflow_guarded,
		     "runtime: goroutine stack exceeds 65536-byte limit\n"
		     "runtime: goroutine 7 (deep) stack [0x");
}

GOC_TEST(guard_page_overflow_on_thread)
{
	expect_fatal(overflow_guarded_thread,
		     "stack overflow\n\ngoroutine 8 [running]:");
	expect_death(overflow_guarded_thread,
		     "runtime: goroutine stack exceeds 65536-byte limit\n"
		     "runtime: goroutine 8 stack [0x");
}

GOC_TEST(guard_stops_large_frame)
{
	expect_fatal(overflow_large_frame,
		     "stack overflow\n\ngoroutine 10 [running]:");
}

GOC_TEST(canary_overflow)
{
	expect_fatal(overflow_canary,
		     "stack overflow\n\ngoroutine 9 [running]:");
	expect_death(overflow_canary,
		     "runtime: goroutine stack exceeds 65536-byte limit\n"
		     "runtime: goroutine 9 (shallow) stack [0x");
}

/* ---- faults that are not ours -------------------------------------- */

/*
 * Runs fn in a forked child (this test process has no threads) with the
 * handler installed, after pre (if any), and a goroutine current. Returns
 * the wait status; out gets the child's stderr.
 */
static int
run_child(void (*pre)(void), void (*fn)(struct goc_stack *), char *out,
	  size_t cap)
{
	int pfd[2];
	size_t len = 0;
	int status;

	if (pipe(pfd) != 0)
		goc_test_abort("pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		goc_test_abort("fork: %s", strerror(errno));
	if (pid == 0) {
		struct goc_stack s;

		close(pfd[0]);
		dup2(pfd[1], 2);
		if (pre != NULL)
			pre();
		guarded_stack(&s);
		goc__stack_set_current(&s, 5, "innocent");
		fn(&s);
		_exit(3);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t r = read(pfd[0], out + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	out[len] = 0;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/*
 * fn must die of SIGSEGV as it would without the runtime (under a
 * sanitizer: with its SEGV report), and nothing may call it a stack
 * overflow.
 */
static void
expect_plain_segv(void (*fn)(struct goc_stack *), const char *what)
{
	char out[8192];
	int status = run_child(NULL, fn, out, sizeof(out));

	if (strstr(out, "stack overflow") != NULL)
		goc_test_fail("%s: reported as a stack overflow:\n%s", what,
			      out);
	if (GOC_ASAN_ENABLED || GOC_TSAN_ENABLED) {
		/* The sanitizer's handler was there first: it reports. */
		if (strstr(out, "SEGV") == NULL &&
		    !(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV))
			goc_test_fail("%s: no SEGV report; stderr:\n%s", what,
				      out);
	} else if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV) {
		goc_test_fail("%s: want death by SIGSEGV, got %s %d; "
			      "stderr:\n%s",
			      what, WIFSIGNALED(status) ? "signal" : "exit",
			      WIFSIGNALED(status) ? WTERMSIG(status)
						  : WEXITSTATUS(status),
			      out);
	}
}

/* The program's own SIGSEGV handler, installed before the runtime's. */
static void
user_handler(int sig, siginfo_t *si, void *uc)
{
	static const char msg[] = "the program's handler ran\n";

	(void)sig;
	(void)si;
	(void)uc;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(5);
	_exit(42);
}

static void
install_user_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = user_handler;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		setup_failed("sigaction");
}

static void
null_store(struct goc_stack *s)
{
	volatile int *volatile bad = (volatile int *)(uintptr_t)16;

	(void)s;
	*bad = 1;
}

/* Another stack's guard: not the running goroutine's overflow. */
static void
other_guard(struct goc_stack *s)
{
	struct goc_stack t;

	(void)s;
	if (goc__stack_alloc(&t, 0) != 0 || !t.guarded)
		_exit(4);
	*(volatile char *)((char *)t.lo - 1) = 1;
}

/* Overflows the stack the child made current (goroutine 5). */
static void
overflow_here(struct goc_stack *s)
{
	stop_below = 0;
	run_on(s, dive_entry, 5, "innocent");
}

static void
sent_segv(struct goc_stack *s)
{
	(void)s;
	raise(SIGSEGV);
}

GOC_TEST(other_faults_keep_their_death)
{
	expect_plain_segv(null_store, "store to address 16");
	expect_plain_segv(other_guard, "another stack's guard");
	expect_plain_segv(sent_segv, "raise(SIGSEGV)");
}

/* A fault that is not an overflow reaches the handler it replaced. */
GOC_TEST(other_faults_reach_the_previous_handler)
{
	char out[8192];
	int status;

	status = run_child(install_user_handler, null_store, out, sizeof(out));
	expect_true(WIFEXITED(status) && WEXITSTATUS(status) == 42);
	expect_true(strstr(out, "the program's handler ran") != NULL);
	expect_true(strstr(out, "stack overflow") == NULL);

	/* An overflow is still ours. */
	status = run_child(install_user_handler, overflow_here, out,
			   sizeof(out));
	expect_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	expect_true(strstr(out, "fatal error: stack overflow\n\n"
				"goroutine 5 [running]:") != NULL);
	expect_true(strstr(out, "the program's handler ran") == NULL);
}
