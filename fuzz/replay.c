/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Replays a fuzz target's committed corpus through its
 * LLVMFuzzerTestOneInput as a harness test case, so make check keeps every
 * input the fuzzer ever found interesting passing without libFuzzer.
 * Built once per target with FUZZ_TARGET naming it; the corpus is
 * $top_srcdir/fuzz/corpus/<target>/ (the test environment exports
 * top_srcdir), or the directory given as GOC_FUZZ_CORPUS. A target
 * reports a mismatch by aborting; the file being replayed was printed
 * just before.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/harness.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the fuzz target (-DFUZZ_TARGET=\"ring\")"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

GOC_TEST(replay_corpus)
{
	char dir[4096];
	const char *env = getenv("GOC_FUZZ_CORPUS");
	const char *top = getenv("top_srcdir");

	if (env != NULL)
		snprintf(dir, sizeof(dir), "%s", env);
	else
		snprintf(dir, sizeof(dir), "%s/fuzz/corpus/%s",
			 top != NULL ? top : ".", FUZZ_TARGET);
	DIR *d = opendir(dir);
	if (d == NULL) {
		goc_test_abort("cannot open corpus %s (set top_srcdir or "
			       "GOC_FUZZ_CORPUS)",
			       dir);
		return;
	}
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		require_ptr_ne(names, NULL);
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	expect_uint_gt(n, 0);

	size_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "rb");
		if (f == NULL) {
			goc_test_fail("cannot open %s", path);
			continue;
		}
		uint8_t *buf = NULL;
		size_t len = 0, cap = 0, got;
		do {
			if (len == cap) {
				cap = cap ? cap * 2 : 4096;
				buf = realloc(buf, cap);
				require_ptr_ne(buf, NULL);
			}
			got = fread(buf + len, 1, cap - len, f);
			len += got;
		} while (got > 0);
		fclose(f);
		/* Printed first, so that a crash names its input. */
		fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
		LLVMFuzzerTestOneInput(buf, len);
		bytes += len;
		free(buf);
		free(names[i]);
	}
	free(names);
	goc_test_note("%zu inputs, %zu bytes from %s", n, bytes, dir);
}
