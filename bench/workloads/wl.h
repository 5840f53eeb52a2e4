/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers shared by the whole-program workloads (bench/workloads/NAME.c):
 * positional integer arguments, resident-set size, and a common failure
 * exit. Each workload has a Go twin in bench/go/workloads/<name>/main.go
 * that takes the same arguments and prints the same lines, so that
 * bench/workloads.sh can time both with hyperfine and compare them.
 *
 * Conventions of every workload: the checked result goes to stdout (one
 * line), measures (peak RSS, completed jobs) to stderr as key=value
 * pairs, the exit status is 0 only when the result checked out.
 */
#ifndef GOC_BENCH_WL_H
#define GOC_BENCH_WL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

/* The i-th positional argument as a long in [lo, hi], or def if absent. */
static inline long
wl_arg(int argc, char **argv, int i, long def, long lo, long hi)
{
	char *end;
	long v;

	if (i >= argc)
		return def;
	errno = 0;
	v = strtol(argv[i], &end, 10);
	if (errno != 0 || end == argv[i] || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "%s: argument %d: '%s' is not in [%ld, %ld]\n",
			argv[0], i, argv[i], lo, hi);
		exit(2);
	}
	return v;
}

/* Peak resident set size of this process in KiB (ru_maxrss on Linux). */
static inline long
wl_peak_rss_kib(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return ru.ru_maxrss;
}

/* Current resident set size in bytes (/proc/self/statm), or -1. */
static inline long
wl_rss_bytes(void)
{
	long pages = 0, rss = -1;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss < 0 ? -1 : rss * sysconf(_SC_PAGESIZE);
}

/* Reports a failed check and exits with status 1. */
#define WL_FAIL(...)                                   \
	do {                                           \
		fprintf(stderr, "FAIL: " __VA_ARGS__); \
		fputc('\n', stderr);                   \
		exit(1);                               \
	} while (0)

#endif /* GOC_BENCH_WL_H */
