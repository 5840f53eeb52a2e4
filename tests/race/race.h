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
 *
 * An expect_race case runs on one P. TSan checks an access against the
 * shadow of earlier ones and then records it, without a lock: two
 * conflicting accesses made at the same instant on two CPUs can each
 * miss the other (a few runs in a hundred here), which would fail a
 * case whose race is certain. On one P the goroutines take turns, so
 * the second access always finds the first; the fiber switches between
 * them order nothing (rt/race.h), so the race is still one. The
 * expect_no_race cases keep every P: there, parallel runs are what
 * could show a spurious report.
 */
#define RACE_PROCS_expect_race    1
#define RACE_PROCS_expect_no_race 0

#define RACE_CASE(name, verdict)                                            \
	static int name##_main(void *);                                     \
	static int name##_start(void *arg_)                                 \
	{                                                                   \
		if (RACE_PROCS_##verdict)                                   \
			goc_maxprocs(1);                                    \
		return name##_main(arg_);                                   \
	}                                                                   \
	static void name##_child(void)                                      \
	{                                                                   \
		int rc_ = goc_run(name##_start, NULL);                      \
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
