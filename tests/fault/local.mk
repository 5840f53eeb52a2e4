# SPDX-License-Identifier: BSD-2-Clause
# The fault-injection suite (--enable-faults, src/rt/fault.h): each case
# fails the library's nth allocation, mmap, mprotect, thread start or
# futex wait in a forked child. It links the shared library, whose calls
# go through the --wrap'd functions (the internal one's do not).
FAULT_TESTS = tests/fault/alloc tests/fault/threads tests/fault/futex
tests_fault_alloc_SOURCES = tests/fault/alloc.c tests/fault/fault_test.h
tests_fault_alloc_LDADD = $(API_LDADD)
tests_fault_threads_SOURCES = tests/fault/threads.c tests/fault/fault_test.h
tests_fault_threads_LDADD = $(API_LDADD)
tests_fault_futex_SOURCES = tests/fault/futex.c tests/fault/fault_test.h
tests_fault_futex_LDADD = $(API_LDADD)
if ENABLE_FAULTS
check_PROGRAMS += $(FAULT_TESTS)
TESTS += $(FAULT_TESTS)
endif
# make check-faults: just the fault suite (and only its programs built).
if ENABLE_FAULTS
check-faults:
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS='$(FAULT_TESTS)' \
		check_PROGRAMS='$(FAULT_TESTS)'
else
check-faults:
	@echo "check-faults needs a build configured with --enable-faults" >&2
	@exit 1
endif
PHONY_TARGETS += check-faults
