/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the race-detector suite (tests/race/). */
#ifndef GOC_TESTS_RACE_H
#define GOC_TESTS_RACE_H

#include <stdio.h>
#include <stdlib.h>

#include <goconc.h>

#include "../harness.h"

/*
 * RACE_CASE(Name, expect_race or expect_no_race) { body of main }: the
 * body runs as the main goroutine of a fresh runtime in a re-executed
 * child; a non-zero return fails the case (the child exits with it).
 */
#define RACE_CASE(name, verdict)                                            \
	static int name##_main(void *);                                     \
	static void name##_child(void)                                      \
	{                                                                   \
		int rc_ = goc_run(name##_main, NULL);                       \
		if (rc_ != 0) {                                             \
			fprintf(stderr, #name ": main returned %d\n", rc_); \
			exit(rc_);                                          \
		}                                                           \
	}                                                                   \
	GOC_TEST(name)                                                      \
	{                                                                   \
		verdict(name##_child);                                      \
	}                                                                   \
	static int name##_main(void *arg)

#endif /* GOC_TESTS_RACE_H */
