/* SPDX-License-Identifier: BSD-2-Clause */
/* The test harness (see harness.h): case registry, TAP, watchdog, deaths. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_TIMEOUT 120.0

static struct goc_test *tests;
static int ntests;

static struct goc_test *current;
static int current_index;
static pthread_t case_thread;
static jmp_buf case_jmp;
static int case_failed;  /* (atomic) */
static int case_skipped; /* (case thread) */
static const char *skip_reason;
static uint64_t run_seed;
static uint64_t case_seed;
static double scale = 1.0;
static double timeout_mult = 1.0;
static const char *self_path;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

void
goc__test_register(struct goc_test *t)
{
	/* Keep source order: insert sorted by file, then line. */
	struct goc_test **pp = &tests;
	while (*pp != NULL &&
	       (strcmp((*pp)->file, t->file) < 0 ||
		(strcmp((*pp)->file, t->file) == 0 && (*pp)->line < t->line)))
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	ntests++;
}

void
goc_test_note(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	fputs("# ", stdout);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void
finish_case_line(bool ok, const char *directive)
{
	pthread_mutex_lock(&out_lock);
	printf("%s %d - %s%s\n", ok ? "ok" : "not ok", current_index,
	       current->name, directive ? directive : "");
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

void
goc__test_fail(const char *file, int line, bool fatal, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	goc_test_note("%s:%d: %s: %s (seed %" PRIu64 ", replay with "
		      "GOC_TEST_SEED=%" PRIu64 " %s %s)",
		      file, line, fatal ? "require failed" : "expect failed",
		      msg, run_seed, run_seed, self_path ? self_path : "",
		      current ? current->name : "");
	__atomic_store_n(&case_failed, 1, __ATOMIC_RELAXED);
	if (!fatal)
		return;
	if (pthread_equal(pthread_self(), case_thread))
		longjmp(case_jmp, 1);
	/* A require on another thread cannot unwind the case: end the run. */
	finish_case_line(false, NULL);
	printf("Bail out! require failed on a helper thread\n");
	fflush(stdout);
	_exit(1);
}

void
goc_test_skip(const char *reason)
{
	case_skipped = 1;
	skip_reason = reason;
	longjmp(case_jmp, 1);
}

bool
goc_test_failed(void)
{
	return __atomic_load_n(&case_failed, __ATOMIC_RELAXED) != 0;
}

/* ---- randomness ---------------------------------------------------- */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

uint64_t
goc_test_seed(void)
{
	return case_seed;
}

static __thread uint64_t rng_state;
static __thread uint64_t rng_epoch; /* which case seeded this thread */
static uint64_t rng_streams;        /* (atomic) */
static uint64_t case_epoch;

uint64_t
goc_test_rand(void)
{
	/* Each thread gets its own stream, derived from the case seed. */
	if (rng_epoch != __atomic_load_n(&case_epoch, __ATOMIC_ACQUIRE)) {
		rng_epoch = __atomic_load_n(&case_epoch, __ATOMIC_ACQUIRE);
		uint64_t s =
			__atomic_fetch_add(&rng_streams, 1, __ATOMIC_RELAXED);
		rng_state = case_seed ^ (s * 0xd1b54a32d192ed03ULL);
	}
	return splitmix64(&rng_state);
}

double
goc_test_scale(void)
{
	return scale;
}

long
goc_test_scaled(long n)
{
	double v = (double)n * scale;
	return v < 1.0 ? 1 : (long)v;
}

double
goc_test_stress_seconds(void)
{
	const char *s = getenv("GOC_STRESS_SECONDS");
	double v = s ? strtod(s, NULL) : 1.0;
	return v > 0 ? v : 1.0;
}

/* ---- watchdog ------------------------------------------------------ */

static double case_timeout;

void
goc_test_set_timeout(double seconds)
{
	case_timeout = seconds;
	unsigned s = (unsigned)(seconds * timeout_mult + 0.999);
	alarm(s ? s : 1);
}

static void
write_str(const char *s)
{
	ssize_t r = write(1, s, strlen(s));
	(void)r;
}

/* The goroutine dump, when the test links the runtime. */
extern void goc_dump(void) __attribute__((weak));

static void
on_alarm(int sig)
{
	char num[32];
	int i = 0, n = current_index;
	char tmp[16];

	(void)sig;
	do
		tmp[i++] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	int j = 0;
	while (i > 0)
		num[j++] = tmp[--i];
	num[j] = 0;
	write_str("not ok ");
	write_str(num);
	write_str(" - ");
	write_str(current ? current->name : "?");
	write_str(" # watchdog: case timed out\n");
	/* If the runtime is linked in, show where every goroutine is. */
	if (goc_dump != NULL)
		goc_dump();
	write_str("Bail out! watchdog fired\n");
	_exit(1);
}

/* ---- death tests --------------------------------------------------- */

/* Offsets from this anchor identify a function in a re-executed child. */
static void
anchor(void)
{
}

static char **
split_words(char *copy, int *n)
{
	char **v = calloc(strlen(copy) / 2 + 2, sizeof(*v));
	int k = 0;
	for (char *tok = strtok(copy, " \t"); tok; tok = strtok(NULL, " \t"))
		v[k++] = tok;
	*n = k;
	return v;
}

char *
goc_test_read_all(int fd)
{
	size_t cap = 1 << 16, len = 0;
	char *text = malloc(cap);
	for (;;) {
		if (len + 1 >= cap)
			text = realloc(text, cap *= 2);
		ssize_t r = read(fd, text + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	text[len] = 0;
	return text;
}

/*
 * Runs fn alone in a re-executed child (GOC_TEST_WRAPPER in front), with
 * extra "NAME=value" environment entries, and collects its stderr.
 * Returns false (after recording a failure) when the child could not run.
 */
static bool
run_child(void (*fn)(void), const char *mode, const char *const *extra_env,
	  int *status, char **stderr_out, const char *file, int line)
{
	char arg[64];
	long off = (long)((char *)(uintptr_t)fn - (char *)(uintptr_t)anchor);
	snprintf(arg, sizeof(arg), "--goc-%s=%lx", mode, off);

	const char *wrapper = getenv("GOC_TEST_WRAPPER");
	int nw = 0;
	char *words = strdup(wrapper ? wrapper : "");
	char **w = split_words(words, &nw);
	char **argv = calloc((size_t)nw + 3, sizeof(*argv));
	for (int i = 0; i < nw; i++)
		argv[i] = w[i];
	argv[nw] = (char *)self_path;
	argv[nw + 1] = arg;
	argv[nw + 2] = NULL;

	/* The environment: ours, with the extra entries replacing ours. */
	size_t nenv = 0, nextra = 0;
	while (environ[nenv] != NULL)
		nenv++;
	while (extra_env != NULL && extra_env[nextra] != NULL)
		nextra++;
	char **envp = calloc(nenv + nextra + 1, sizeof(*envp));
	size_t k = 0;
	for (size_t i = 0; i < nenv; i++) {
		bool replaced = false;
		for (size_t j = 0; j < nextra; j++) {
			size_t len = strcspn(extra_env[j], "=") + 1;
			if (strncmp(environ[i], extra_env[j], len) == 0)
				replaced = true;
		}
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (size_t j = 0; j < nextra; j++)
		envp[k++] = (char *)extra_env[j];
	envp[k] = NULL;

	bool ok = false;
	int pfd[2];
	if (pipe(pfd) != 0) {
		goc__test_fail(file, line, false, "pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		goc__test_fail(file, line, false, "spawn %s: %s", argv[0],
			       strerror(rc));
		goto out;
	}
	char *text = goc_test_read_all(pfd[0]);
	close(pfd[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	*stderr_out = text;
	ok = true;
out:
	free(envp);
	free(words);
	free(w);
	free(argv);
	return ok;
}

void
goc__test_expect_death(void (*fn)(void), const char *kind, const char *msg,
		       const char *file, int line)
{
	int status;
	char *out;
	if (!run_child(fn, "death", NULL, &status, &out, file, line))
		return;
	char want[512];
	snprintf(want, sizeof(want), "%s%s", kind, msg);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
		goc__test_fail(
			file, line, false,
			"death of %s: want SIGABRT, got %s %d; stderr:\n%s",
			want, WIFSIGNALED(status) ? "signal" : "exit",
			WIFSIGNALED(status) ? WTERMSIG(status)
					    : WEXITSTATUS(status),
			out);
	} else if (strstr(out, want) == NULL) {
		goc__test_fail(file, line, false,
			       "death: stderr lacks \"%s\"; stderr:\n%s", want,
			       out);
	}
	free(out);
}

#define RACE_REPORT "WARNING: ThreadSanitizer: data race"

void
goc__test_expect_race(void (*fn)(void), bool race, const char *file, int line)
{
	/* Stop at the first report; a clean child must exit 0. */
	static const char *const env[] = {
		"TSAN_OPTIONS=halt_on_error=1:exitcode=66:"
		"report_signal_unsafe=0",
		NULL};
	int status;
	char *out;
	if (!run_child(fn, "run", env, &status, &out, file, line))
		return;
	bool reported = strstr(out, RACE_REPORT) != NULL;
	bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (race && !reported)
		goc__test_fail(file, line, false,
			       "want a data race report, got %s %d and "
			       "stderr:\n%s",
			       WIFSIGNALED(status) ? "signal" : "exit",
			       WIFSIGNALED(status) ? WTERMSIG(status)
						   : WEXITSTATUS(status),
			       out);
	else if (!race && (reported || !clean_exit))
		goc__test_fail(file, line, false,
			       "want no race report and exit 0, got %s %d "
			       "and stderr:\n%s",
			       WIFSIGNALED(status) ? "signal" : "exit",
			       WIFSIGNALED(status) ? WTERMSIG(status)
						   : WEXITSTATUS(status),
			       out);
	free(out);
}

static int
run_death_child(const char *spec, bool death)
{
	long off = (long)strtoull(spec, NULL, 16);
	void (*fn)(void) =
		(void (*)(void))(uintptr_t)((char *)(uintptr_t)anchor + off);
	fn();
	if (!death)
		return 0;
	fprintf(stderr, "death test function returned without aborting\n");
	return 3;
}

/* ---- main ---------------------------------------------------------- */

static bool
selected(const struct goc_test *t, const char *filter)
{
	return filter == NULL || strcmp(filter, t->name) == 0;
}

int
main(int argc, char **argv)
{
	const char *s;

	self_path = argv[0];
	if ((s = getenv("GOC_TEST_SCALE")) != NULL && strtod(s, NULL) > 0)
		scale = strtod(s, NULL);
	if ((s = getenv("GOC_TEST_TIMEOUT_MULTIPLIER")) != NULL &&
	    strtod(s, NULL) > 0)
		timeout_mult = strtod(s, NULL);
	if (argc > 1 && strncmp(argv[1], "--goc-death=", 12) == 0)
		return run_death_child(argv[1] + 12, true);
	if (argc > 1 && strncmp(argv[1], "--goc-run=", 10) == 0)
		return run_death_child(argv[1] + 10, false);
	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (struct goc_test *t = tests; t; t = t->next)
			printf("%s\n", t->name);
		return 0;
	}
	const char *filter = argc > 1 ? argv[1] : getenv("GOC_TEST_FILTER");
	if (filter != NULL && *filter == 0)
		filter = NULL;

	if ((s = getenv("GOC_TEST_SEED")) != NULL && *s)
		run_seed = strtoull(s, NULL, 0);
	else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^
			     ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
		run_seed = splitmix64(&x) & 0xffffffffffffULL;
	}

	int planned = 0;
	for (struct goc_test *t = tests; t; t = t->next)
		planned += selected(t, filter);
	printf("# seed: %" PRIu64 " (replay with GOC_TEST_SEED=%" PRIu64
	       "), scale %g\n",
	       run_seed, run_seed, scale);
	printf("1..%d\n", planned);
	fflush(stdout);
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);

	int failed = 0;
	case_thread = pthread_self();
	for (struct goc_test *t = tests; t; t = t->next) {
		if (!selected(t, filter))
			continue;
		current = t;
		current_index++;
		case_seed = run_seed ^ hash_name(t->name);
		__atomic_add_fetch(&case_epoch, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&case_failed, 0, __ATOMIC_RELAXED);
		case_skipped = 0;
		goc_test_set_timeout(DEFAULT_TIMEOUT);
		if (setjmp(case_jmp) == 0)
			t->fn();
		alarm(0);
		if (case_skipped) {
			char d[256];
			snprintf(d, sizeof(d), " # SKIP %s", skip_reason);
			finish_case_line(true, d);
		} else {
			bool ok = !goc_test_failed();
			failed += !ok;
			finish_case_line(ok, NULL);
		}
	}
	current = NULL;
	return failed ? 1 : 0;
}
