/* SPDX-License-Identifier: BSD-2-Clause */
/* The benchmark driver (see bench.h), after Go's testing/benchmark.go. */
#include "bench.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

/*
 * Allocation accounting (-benchmem, goc_bench_report_allocs): the bench
 * programs define malloc, calloc, realloc, reallocarray, posix_memalign,
 * aligned_alloc, memalign, valloc and pvalloc themselves. An executable's
 * definitions come first in symbol lookup, so every call in the process
 * lands here (the library's, libc's own, other libraries'), and each
 * forwards to glibc's allocator through its __libc_* entry point, then
 * counts the block. free is glibc's: B/op counts allocations, not live
 * bytes, as Go's does (runtime.MemStats TotalAlloc and Mallocs).
 *
 * What is counted is what Go's B/op would count for the same operation:
 * heap blocks, at the size asked for (Go rounds up to its size classes,
 * so for one same-sized object Go's figure can be a little higher), one
 * allocation per successful call; a realloc to a non-zero size counts as
 * one allocation of the new size. Goroutine stacks are mmap'd slabs
 * (src/sched/stack.c) and are not counted, as Go's stacks are not in its
 * B/op either.
 *
 * Counters are per thread, so counting costs a thread-local add and no
 * shared cache line: a thread claims a slot on its first counted
 * allocation and gives it back when it exits (a pthread key destructor);
 * the slot keeps its totals, and the next thread to claim it adds to
 * them, so the sum over all slots only grows. Timer start and stop take
 * that sum, as Go's timer reads MemStats. Until -benchmem or a
 * goc_bench_report_allocs turns counting on, each allocation pays one
 * relaxed load and a branch.
 *
 * Sanitizers bring allocators of their own, which must see every
 * allocation and free: with one (or off glibc) there is no interposition
 * and no B/op (bench/local.mk defines GOC_BENCH_NO_ALLOC_HOOK when the
 * build's flags name -fsanitize). Valgrind redirects malloc past these
 * definitions at run time: acct_enable's probe notices, and again no
 * B/op.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer) || __has_feature(hwaddress_sanitizer)
#define GOC_BENCH_NO_ALLOC_HOOK 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
	defined(__SANITIZE_HWADDRESS__) || !defined(__GLIBC__)
#ifndef GOC_BENCH_NO_ALLOC_HOOK
#define GOC_BENCH_NO_ALLOC_HOOK 1
#endif
#endif

#ifndef GOC_BENCH_NO_ALLOC_HOOK
#define GOC_BENCH_ALLOC_HOOK 1

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t nmemb, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);

/* One thread's counts. Padded so that no two threads share a line. */
struct acct {
	uint64_t bytes;    /* (atomic) written by the owner thread only */
	uint64_t allocs;   /* (atomic) written by the owner thread only */
	int owned;         /* (atomic) 1 while a thread holds the slot */
	struct acct *next; /* (immutable once on acct_list) */
} __attribute__((aligned(64)));

static struct acct *acct_list; /* (atomic) every slot, push-only */
static uint64_t spill_bytes;   /* (atomic) counts made without a slot */
static uint64_t spill_allocs;  /* (atomic) */
static int acct_on;            /* (atomic) 0 -> 1 once: counting */
static pthread_key_t acct_key; /* its destructor gives the slot back */
static int acct_key_ok;        /* (set before main) the key exists */
static __thread struct acct *acct_mine; /* this thread's slot */
static __thread int acct_claiming;      /* inside acct_claim */

static void
acct_release(void *p)
{
	struct acct *a = p;
	acct_mine = NULL;
	/*
	 * Release: the next owner's acquiring CAS on owned sees this
	 * thread's last counts, so its load-add-store goes on from them.
	 */
	__atomic_store_n(&a->owned, 0, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void
acct_init(void)
{
	acct_key_ok = pthread_key_create(&acct_key, acct_release) == 0;
}

/* A slot for this thread: a free one, else a new one; NULL if none. */
static struct acct *
acct_claim(void)
{
	struct acct *a;
	if (acct_claiming || !acct_key_ok)
		return NULL;
	acct_claiming = 1;
	/* Acquire: pairs with the release push below (a->next, zeroes). */
	for (a = __atomic_load_n(&acct_list, __ATOMIC_ACQUIRE); a != NULL;
	     a = a->next) {
		int free_slot = 0;
		/*
		 * Acquire on success: pairs with acct_release's store, so
		 * this thread sees the last owner's counts. Relaxed on
		 * failure: nothing was read.
		 */
		if (__atomic_load_n(&a->owned, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(&a->owned, &free_slot, 1, 0,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
	}
	if (a == NULL) {
		a = __libc_memalign(sizeof(*a), sizeof(*a));
		if (a == NULL) {
			acct_claiming = 0;
			return NULL;
		}
		memset(a, 0, sizeof(*a));
		a->owned = 1;
		a->next = __atomic_load_n(&acct_list, __ATOMIC_RELAXED);
		/*
		 * Release: a reader that finds a on the list sees its zeroed
		 * counts and its next. Relaxed on failure: a->next is
		 * reloaded by the CAS and published by the retry.
		 */
		while (!__atomic_compare_exchange_n(&acct_list, &a->next, a, 1,
						    __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED))
			;
	}
	/* No allocation: the key is among the first 32 of the process. */
	pthread_setspecific(acct_key, a);
	acct_mine = a;
	acct_claiming = 0;
	return a;
}

static inline void
acct_add(size_t size)
{
	/*
	 * Relaxed: acct_on is set before the first timed region starts,
	 * by the driver (before any benchmark runs) or by the benchmark
	 * itself; a thread started later learns of it through whatever
	 * started the thread.
	 */
	if (__builtin_expect(!__atomic_load_n(&acct_on, __ATOMIC_RELAXED), 1))
		return;
	struct acct *a = acct_mine;
	if (__builtin_expect(a == NULL, 0) && (a = acct_claim()) == NULL) {
		/* Relaxed: a statistic, read as acct_totals says. */
		__atomic_add_fetch(&spill_bytes, size, __ATOMIC_RELAXED);
		__atomic_add_fetch(&spill_allocs, 1, __ATOMIC_RELAXED);
		return;
	}
	/*
	 * Relaxed loads and stores, no read-modify-write: only this
	 * thread writes its slot; acct_totals reads it from others.
	 */
	__atomic_store_n(&a->bytes,
			 __atomic_load_n(&a->bytes, __ATOMIC_RELAXED) + size,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&a->allocs,
			 __atomic_load_n(&a->allocs, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

/*
 * The totals so far. Relaxed loads: the allocations of a timed region
 * happen before the timer stops (the benchmark's workers finish, and are
 * waited for, before it calls goc_bench_stop_timer or returns), so by
 * coherence these loads see them; allocations by other threads running
 * at the same moment (the runtime's own) land on either side of the
 * line, as they do in Go.
 */
static void
acct_totals(uint64_t *bytes, uint64_t *allocs)
{
	uint64_t b = __atomic_load_n(&spill_bytes, __ATOMIC_RELAXED);
	uint64_t n = __atomic_load_n(&spill_allocs, __ATOMIC_RELAXED);
	/* Acquire: pairs with acct_claim's release push. */
	for (struct acct *a = __atomic_load_n(&acct_list, __ATOMIC_ACQUIRE);
	     a != NULL; a = a->next) {
		b += __atomic_load_n(&a->bytes, __ATOMIC_RELAXED);
		n += __atomic_load_n(&a->allocs, __ATOMIC_RELAXED);
	}
	*bytes = b;
	*allocs = n;
}

/*
 * Turns counting on and checks that it counts: under valgrind or an
 * LD_PRELOADed allocator, malloc calls are redirected past the
 * definitions below and every B/op would read 0. Returns whether counting
 * is on; the first time it is not, prints a "#" line that says so. Called
 * by the driver and from benchmarks, one at a time.
 */
static int
acct_enable(void)
{
	static int probed; /* 1: counting works, -1: it does not */
	if (probed == 0) {
		uint64_t b0, n0, b1, n1;
		void *(*volatile alloc)(size_t) = malloc;
		/* Relaxed: see acct_add. */
		__atomic_store_n(&acct_on, 1, __ATOMIC_RELAXED);
		acct_totals(&b0, &n0);
		void *p = alloc(1);
		acct_totals(&b1, &n1);
		free(p);
		probed = n1 != n0 ? 1 : -1;
		if (probed < 0) {
			__atomic_store_n(&acct_on, 0, __ATOMIC_RELAXED);
			printf("# -benchmem: no allocation counting: malloc "
			       "does not reach bench/bench.c (valgrind or a "
			       "preloaded allocator?), no B/op\n");
			fflush(stdout);
		}
	}
	return probed > 0;
}

void *
malloc(size_t size)
{
	void *p = __libc_malloc(size);
	if (p != NULL)
		acct_add(size);
	return p;
}

void *
calloc(size_t nmemb, size_t size)
{
	void *p = __libc_calloc(nmemb, size);
	if (p != NULL)
		acct_add(nmemb * size); /* no overflow: it succeeded */
	return p;
}

void *
realloc(void *old, size_t size)
{
	void *p = __libc_realloc(old, size);
	if (p != NULL && size > 0)
		acct_add(size);
	return p;
}

void *
reallocarray(void *old, size_t nmemb, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(nmemb, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(old, total);
}

void *
memalign(size_t align, size_t size)
{
	void *p = __libc_memalign(align, size);
	if (p != NULL)
		acct_add(size);
	return p;
}

void *
aligned_alloc(size_t align, size_t size)
{
	/* glibc's rule: any power of two. */
	if (align == 0 || (align & (align - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	return memalign(align, size);
}

int
posix_memalign(void **out, size_t align, size_t size)
{
	if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0 ||
	    align == 0)
		return EINVAL;
	int saved = errno;
	void *p = memalign(align, size);
	if (p == NULL) {
		errno = saved;
		return ENOMEM;
	}
	*out = p;
	return 0;
}

void *
valloc(size_t size)
{
	void *p = __libc_valloc(size);
	if (p != NULL)
		acct_add(size);
	return p;
}

void *
pvalloc(size_t size)
{
	void *p = __libc_pvalloc(size);
	if (p != NULL)
		acct_add(size);
	return p;
}
#endif /* GOC_BENCH_ALLOC_HOOK */

struct state {
	int64_t start;    /* when the timer last started, or -1 */
	int64_t elapsed;  /* accumulated ns */
	int64_t deadline; /* goc_bench_now() time to give up at */
	int skipped;      /* goc_bench_skipf was called */
	char why[256];
	int nmetrics;
	double metric[4];
	const char *unit[4];
	int report_allocs;   /* goc_bench_report_allocs was called */
	uint64_t mem_bytes0; /* totals when the timer last started */
	uint64_t mem_allocs0;
	uint64_t mem_bytes; /* counted while the timer ran */
	uint64_t mem_allocs;
};

static struct goc_bench_desc *benches;
static int64_t deadline_ns = 10000000000; /* -deadline= */
static int benchmem;                      /* -benchmem */

/* Counting is on: the timer functions take the totals. */
static int
mem_counting(void)
{
#ifdef GOC_BENCH_ALLOC_HOOK
	/* Relaxed: set by this driver or the benchmark, see acct_add. */
	return __atomic_load_n(&acct_on, __ATOMIC_RELAXED);
#else
	return 0;
#endif
}

static void
mem_totals(uint64_t *bytes, uint64_t *allocs)
{
#ifdef GOC_BENCH_ALLOC_HOOK
	acct_totals(bytes, allocs);
#else
	*bytes = 0;
	*allocs = 0;
#endif
}

static void
mem_start(struct state *s)
{
	if (mem_counting())
		mem_totals(&s->mem_bytes0, &s->mem_allocs0);
}

static void
mem_stop(struct state *s)
{
	if (mem_counting()) {
		uint64_t b, n;
		mem_totals(&b, &n);
		s->mem_bytes += b - s->mem_bytes0;
		s->mem_allocs += n - s->mem_allocs0;
	}
}

void
goc__bench_register(struct goc_bench_desc *d)
{
	struct goc_bench_desc **pp = &benches;
	while (*pp != NULL && (*pp)->line < d->line)
		pp = &(*pp)->next;
	d->next = *pp;
	*pp = d;
}

int64_t
goc_bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
goc_bench_start_timer(goc_bench_t *b)
{
	struct state *s = b->priv;
	if (s->start < 0) {
		mem_start(s);
		s->start = goc_bench_now();
	}
}

void
goc_bench_stop_timer(goc_bench_t *b)
{
	struct state *s = b->priv;
	if (s->start >= 0) {
		s->elapsed += goc_bench_now() - s->start;
		s->start = -1;
		mem_stop(s);
	}
}

void
goc_bench_reset_timer(goc_bench_t *b)
{
	struct state *s = b->priv;
	s->elapsed = 0;
	s->mem_bytes = 0;
	s->mem_allocs = 0;
	if (s->start >= 0) {
		mem_start(s);
		s->start = goc_bench_now();
	}
	s->nmetrics = 0;
}

void
goc_bench_report_allocs(goc_bench_t *b)
{
	struct state *s = b->priv;
	s->report_allocs = 1;
#ifdef GOC_BENCH_ALLOC_HOOK
	/*
	 * The threads this benchmark starts from here on learn that
	 * counting is on through their start; the timed region counts
	 * from here.
	 */
	if (!mem_counting() && acct_enable() && s->start >= 0)
		mem_start(s);
#endif
}

void
goc_bench_report_metric(goc_bench_t *b, double v, const char *unit)
{
	struct state *s = b->priv;
	for (int i = 0; i < s->nmetrics; i++)
		if (strcmp(s->unit[i], unit) == 0) {
			s->metric[i] = v;
			return;
		}
	if (s->nmetrics < 4) {
		s->metric[s->nmetrics] = v;
		s->unit[s->nmetrics++] = unit;
	}
}

int64_t
goc_bench_deadline(goc_bench_t *b)
{
	struct state *s = b->priv;
	return s->deadline;
}

void
goc_bench_skipf(goc_bench_t *b, const char *fmt, ...)
{
	struct state *s = b->priv;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	s->skipped = 1;
}

static int64_t
run_once(struct goc_bench_desc *d, int procs, long n, struct state *s)
{
	goc_bench_t b = {.n = n, .procs = procs, .priv = s};
	s->elapsed = 0;
	s->nmetrics = 0;
	s->skipped = 0;
	s->mem_bytes = 0;
	s->mem_allocs = 0;
	mem_start(s);
	s->start = goc_bench_now();
	s->deadline = s->start + deadline_ns;
	d->fn(&b);
	goc_bench_stop_timer(&b);
	return s->elapsed;
}

/* Go's roundUp: 1, 2, 3, 5 times a power of ten. */
static long
round_up(long n)
{
	long base = 1;
	while (base * 10 <= n)
		base *= 10;
	if (n <= base)
		return base;
	if (n <= 2 * base)
		return 2 * base;
	if (n <= 3 * base)
		return 3 * base;
	if (n <= 5 * base)
		return 5 * base;
	return 10 * base;
}

/* A Go duration as seconds: 1.5s, 500ms, 2m (a bare number is seconds). */
static double
parse_seconds(const char *v)
{
	char *end;
	double x = strtod(v, &end);
	if (strcmp(end, "ms") == 0)
		return x * 1e-3;
	if (strcmp(end, "us") == 0 || strcmp(end, "\xc2\xb5s") == 0)
		return x * 1e-6;
	if (strcmp(end, "ns") == 0)
		return x * 1e-9;
	if (strcmp(end, "m") == 0)
		return x * 60;
	return x;
}

static void
print_header(void)
{
	struct utsname u;
	char cpu[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f != NULL) {
		char line[512];
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "model name", 10) == 0) {
				char *c = strchr(line, ':');
				if (c) {
					snprintf(cpu, sizeof(cpu), "%s", c + 2);
					cpu[strcspn(cpu, "\n")] = 0;
				}
				break;
			}
		fclose(f);
	}
	uname(&u);
	printf("goos: linux\ngoarch: %s\npkg: libgoconc\ncpu: %s\n", u.machine,
	       cpu);
	printf("# machine: %s %s, %ld cpus\n", u.nodename, u.release,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("# commit: %s\n", getenv("GOC_BENCH_COMMIT")
					 ? getenv("GOC_BENCH_COMMIT")
					 : "unknown");
	printf("# compiler: %s\n", __VERSION__);
	printf("# configure: %s\n", GOC_CONFIGURE_ARGS);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	const char *filter = NULL;
	double benchtime = 1.0;
	long fixed_n = 0;
	int count = 1;
	int cpus[16] = {1};
	int ncpus = 1;
	const char *envcpu = getenv("GOC_BENCH_CPU");

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "-test.", 6) == 0)
			a += 5;
		if (strncmp(a, "-bench=", 7) == 0)
			filter = a + 7;
		else if (strncmp(a, "-benchtime=", 11) == 0) {
			const char *v = a + 11;
			if (v[strlen(v) - 1] == 'x')
				fixed_n = atol(v);
			else
				benchtime = parse_seconds(v);
		} else if (strncmp(a, "-count=", 7) == 0)
			count = atoi(a + 7);
		else if (strncmp(a, "-cpu=", 5) == 0)
			envcpu = a + 5;
		else if (strncmp(a, "-deadline=", 10) == 0)
			deadline_ns = (int64_t)(parse_seconds(a + 10) * 1e9);
		else if (strcmp(a, "-benchmem") == 0 ||
			 strcmp(a, "-benchmem=true") == 0)
			benchmem = 1;
		else if (strcmp(a, "-benchmem=false") == 0)
			benchmem = 0;
		else if (strcmp(a, "-list") == 0) {
			/* The names, one per line (Go's -test.list). */
			for (struct goc_bench_desc *d = benches; d; d = d->next)
				printf("Benchmark%s\n", d->name);
			return 0;
		} else {
			fprintf(stderr,
				"usage: %s [-bench=REGEXP] [-benchtime=1s|Nx] "
				"[-count=N] [-cpu=1,2,4] [-deadline=10s] "
				"[-benchmem] [-list]\n",
				argv[0]);
			return 2;
		}
	}
	if (envcpu != NULL) {
		ncpus = 0;
		char *copy = strdup(envcpu);
		for (char *t = strtok(copy, ","); t && ncpus < 16;
		     t = strtok(NULL, ","))
			if (atoi(t) > 0)
				cpus[ncpus++] = atoi(t);
		free(copy);
		if (ncpus == 0)
			cpus[ncpus++] = 1;
	}
	/* Go's -bench=. means all; treat "." and "" as no filter. */
	if (filter != NULL && (strcmp(filter, ".") == 0 || *filter == 0))
		filter = NULL;
	/* As Go's -bench: a regular expression (POSIX extended here) that
	 * the benchmark's full name, "Benchmark" included, must match. */
	regex_t re;
	if (filter != NULL) {
		int rc = regcomp(&re, filter, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char why[256];
			regerror(rc, &re, why, sizeof(why));
			fprintf(stderr, "%s: invalid regexp for -bench: %s\n",
				argv[0], why);
			return 2;
		}
	}

	print_header();
#ifdef GOC_BENCH_ALLOC_HOOK
	if (benchmem)
		acct_enable();
#else
	if (benchmem)
		printf("# -benchmem: no allocation counting in this build "
		       "(sanitizer or not glibc), no B/op\n");
#endif
	for (struct goc_bench_desc *d = benches; d; d = d->next) {
		if (filter != NULL) {
			char full[256];
			snprintf(full, sizeof(full), "Benchmark%s", d->name);
			if (regexec(&re, full, 0, NULL, 0) != 0)
				continue;
		}
		for (int c = 0; c < ncpus; c++) {
			for (int k = 0; k < count; k++) {
				struct state s = {0};
				long n = 1;
				int64_t ns;
				if (fixed_n > 0) {
					n = fixed_n;
					ns = run_once(d, cpus[c], n, &s);
				} else {
					int64_t goal =
						(int64_t)(benchtime * 1e9);
					ns = run_once(d, cpus[c], n, &s);
					while (!s.skipped && ns < goal &&
					       n < 1000000000L) {
						long prev = n;
						double per =
							ns > 0 ? (double)ns /
									 prev
							       : 1;
						long next = (long)(goal / per *
								   1.2);
						if (next > 100 * prev)
							next = 100 * prev;
						if (next <= prev)
							next = prev + 1;
						n = round_up(next);
						ns = run_once(d, cpus[c], n,
							      &s);
					}
				}
				char name[256];
				snprintf(name, sizeof(name), "Benchmark%s-%d",
					 d->name, cpus[c]);
				if (s.skipped) {
					printf("# %s: %s\n", name, s.why);
					fflush(stdout);
					continue;
				}
				printf("%-40s %10ld %12.2f ns/op", name, n,
				       (double)ns / (double)n);
				for (int m = 0; m < s.nmetrics; m++)
					printf(" %12.2f %s", s.metric[m],
					       s.unit[m]);
				if ((benchmem || s.report_allocs) &&
				    mem_counting())
					/* Go's MemString, integer division */
					printf("\t%8lld B/op\t%8lld allocs/op",
					       (long long)(s.mem_bytes /
							   (uint64_t)n),
					       (long long)(s.mem_allocs /
							   (uint64_t)n));
				printf("\n");
				fflush(stdout);
			}
		}
	}
	if (filter != NULL)
		regfree(&re);
	return 0;
}
