# SPDX-License-Identifier: BSD-2-Clause
# Scheduler (src/sched/): goroutine stacks so far; the scheduler core
# joins this fragment.
libgoconc_internal_la_SOURCES += src/sched/stack.c
noinst_HEADERS += src/sched/stack.h

# Stack tests are white-box (goc__stack_* is internal), the death test too.
UNIT_TESTS += tests/unit/stack
tests_unit_stack_SOURCES = tests/unit/stack.c
DEATH_TESTS += tests/death/stack
tests_death_stack_SOURCES = tests/death/stack.c
tests_death_stack_LDADD = $(UNIT_LDADD)
