# SPDX-License-Identifier: BSD-2-Clause
# Fuzz targets (STYLE C9). Every target's committed corpus
# (fuzz/corpus/<target>/) is replayed by make check through
# fuzz/replay_<target>, which needs no libFuzzer. With --enable-fuzz
# (CC=clang), fuzz/fuzz_<target> is the libFuzzer binary and
# `make fuzz FUZZ_SECONDS=N` fuzzes each target for N seconds, starting
# from the corpus; new inputs go to fuzz/work/<target>/ in the build tree
# (merge the good ones into the corpus with -merge=1 and commit them).
FUZZ_REPLAY_TESTS += fuzz/replay_ring
fuzz_replay_ring_SOURCES = fuzz/replay.c fuzz/ring.c
fuzz_replay_ring_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"ring"'
fuzz_replay_ring_LDADD = $(UNIT_LDADD)

# goc_map_t against a model map, and the pool's deque (ring and chain)
# against a model deque.
FUZZ_REPLAY_TESTS += fuzz/replay_map fuzz/replay_pooldeque
fuzz_replay_map_SOURCES = fuzz/replay.c fuzz/map.c
fuzz_replay_map_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"map"'
fuzz_replay_map_LDADD = $(UNIT_LDADD)
fuzz_replay_pooldeque_SOURCES = fuzz/replay.c fuzz/pooldeque.c
fuzz_replay_pooldeque_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET='"pooldeque"'
fuzz_replay_pooldeque_LDADD = $(UNIT_LDADD)

EXTRA_DIST += fuzz/corpus

FUZZ_SECONDS ?= 60
if ENABLE_FUZZ
FUZZ_TARGETS += fuzz/fuzz_ring
noinst_PROGRAMS += $(FUZZ_TARGETS)
# ring.c is compiled into the target so that libFuzzer sees its coverage.
fuzz_fuzz_ring_SOURCES = fuzz/ring.c src/lf/ring.c
fuzz_fuzz_ring_CFLAGS = $(AM_CFLAGS) $(GOC_ARCH_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_ring_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_fuzz_ring_LDADD = libgoconc_internal.la $(CK_LIBS) -lpthread
# The code under test is compiled into each target, as ring.c above.
FUZZ_TARGETS += fuzz/fuzz_map fuzz/fuzz_pooldeque
fuzz_fuzz_map_SOURCES = fuzz/map.c src/sync/map.c
fuzz_fuzz_map_CFLAGS = $(AM_CFLAGS) $(GOC_ARCH_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_map_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_fuzz_map_LDADD = libgoconc_internal.la $(CK_LIBS) -lpthread
fuzz_fuzz_pooldeque_SOURCES = fuzz/pooldeque.c src/sync/poolchain.c
fuzz_fuzz_pooldeque_CFLAGS = $(AM_CFLAGS) $(GOC_ARCH_CFLAGS) -fsanitize=fuzzer
fuzz_fuzz_pooldeque_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
fuzz_fuzz_pooldeque_LDADD = libgoconc_internal.la $(CK_LIBS) -lpthread

fuzz: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
		name=`basename $$t | sed 's/^fuzz_//'`; \
		mkdir -p fuzz/work/$$name || exit 1; \
		echo "fuzz: $$name for $(FUZZ_SECONDS) s"; \
		$(GOC_TEST_WRAPPER) ./$$t -max_total_time=$(FUZZ_SECONDS) \
			-print_final_stats=1 fuzz/work/$$name \
			$(top_srcdir)/fuzz/corpus/$$name || exit 1; \
	done
else
fuzz:
	@echo "make fuzz needs a build configured with --enable-fuzz (and CC=clang)" >&2; exit 1
endif
PHONY_TARGETS += fuzz
clean-local: clean-local-fuzz
clean-local-fuzz:
	-rm -rf fuzz/work
PHONY_TARGETS += clean-local-fuzz
