/* SPDX-License-Identifier: BSD-2-Clause */
/* The benchmark driver (see bench.h), after Go's testing/benchmark.go. */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

struct state {
	int64_t start;    /* when the timer last started, or -1 */
	int64_t elapsed;  /* accumulated ns */
	int64_t deadline; /* goc_bench_now() time to give up at */
	int skipped;      /* goc_bench_skipf was called */
	char why[256];
	int nmetrics;
	double metric[4];
	const char *unit[4];
};

static struct goc_bench_desc *benches;
static int64_t deadline_ns = 10000000000; /* -deadline= */

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
	if (s->start < 0)
		s->start = goc_bench_now();
}

void
goc_bench_stop_timer(goc_bench_t *b)
{
	struct state *s = b->priv;
	if (s->start >= 0) {
		s->elapsed += goc_bench_now() - s->start;
		s->start = -1;
	}
}

void
goc_bench_reset_timer(goc_bench_t *b)
{
	struct state *s = b->priv;
	s->elapsed = 0;
	if (s->start >= 0)
		s->start = goc_bench_now();
	s->nmetrics = 0;
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
		else if (strcmp(a, "-list") == 0) {
			/* The names, one per line (Go's -test.list). */
			for (struct goc_bench_desc *d = benches; d; d = d->next)
				printf("Benchmark%s\n", d->name);
			return 0;
		} else {
			fprintf(stderr,
				"usage: %s [-bench=NAME] [-benchtime=1s|Nx] "
				"[-count=N] [-cpu=1,2,4] [-deadline=10s] "
				"[-list]\n",
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

	print_header();
	for (struct goc_bench_desc *d = benches; d; d = d->next) {
		if (filter != NULL && strstr(d->name, filter) == NULL)
			continue;
		for (int c = 0; c < ncpus; c++) {
			for (int k = 0; k < count; k++) {
				struct state s;
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
				printf("\n");
				fflush(stdout);
			}
		}
	}
	return 0;
}
