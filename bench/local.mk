# SPDX-License-Identifier: BSD-2-Clause
# Microbenchmarks (Go's output format), built by make check so they cannot
# rot, run by make bench. Each benchmark program links bench/libbench.a.
check_LIBRARIES += bench/libbench.a
bench_libbench_a_SOURCES = bench/bench.c bench/bench.h
# bench.c counts allocations for -benchmem by defining malloc and its kin
# (see there); a sanitizer's allocator must see them instead, so builds
# whose flags name -fsanitize go without (and print no B/op).
bench_libbench_a_CPPFLAGS = $(AM_CPPFLAGS) \
	$(if $(findstring -fsanitize,$(CFLAGS) $(GOC_SAN_CFLAGS)),-DGOC_BENCH_NO_ALLOC_HOOK)
BENCH_LDADD = bench/libbench.a libgoconc_internal.la $(CK_LIBS) -lpthread

# goc_ring throughput and push+pop cost (workloads in ring_harness.h).
BENCHES += bench/ring
bench_ring_SOURCES = bench/ring.c bench/ring_harness.h
bench_ring_LDADD = $(BENCH_LDADD)

# Peers: the same workloads on other libraries. Concurrency Kit is always
# present (configure requires libck-dev), so the ck_ring peer always builds.
BENCHES += bench/peers/ck_ring
bench_peers_ck_ring_SOURCES = bench/peers/ck_ring.c bench/ring_harness.h
bench_peers_ck_ring_LDADD = $(BENCH_LDADD)

BENCH_ARGS ?=
bench: $(BENCHES)
	@for b in $(BENCHES); do \
		GOC_BENCH_COMMIT=`cd $(top_srcdir) && git rev-parse --short HEAD 2>/dev/null` \
		$(GOC_TEST_WRAPPER) ./$$b $(BENCH_ARGS) || exit 1; done

# make bench-compare: goc_ring, ck_ring and the Go twins (bench/go) in one
# run, medians of BENCH_COUNT passes, as a Markdown table on stdout and in
# docs/bench/ring.md here in the build tree (docs/bench.md in the source
# tree holds curated results). Go is optional (configure looks for it).
# BENCH_QUIET=S waits up to S seconds before each pass for a quiet machine.
BENCH_COUNT ?= 5
BENCH_TIME ?= 1s
BENCH_CPU ?= 1,2
BENCH_DEADLINE ?= 10s
BENCH_QUIET ?= 0
bench-compare: bench/ring$(EXEEXT) bench/peers/ck_ring$(EXEEXT)
	$(SHELL) $(top_srcdir)/bench/compare.sh -count $(BENCH_COUNT) \
		-benchtime $(BENCH_TIME) -cpu $(BENCH_CPU) \
		-deadline $(BENCH_DEADLINE) -quiet $(BENCH_QUIET) -go '$(GO)' \
		-srcdir $(top_srcdir) -out docs/bench/ring.md
PHONY_TARGETS += bench-compare

EXTRA_DIST += bench/compare.sh bench/go/go.mod bench/go/doc.go \
	bench/go/ring_test.go
CLEANFILES += docs/bench/ring.md
clean-local: clean-local-bench
clean-local-bench:
	-chmod -R u+w bench/go/path 2>/dev/null; \
	rm -rf bench/results bench/go/cache bench/go/path bench/go/bench.test
PHONY_TARGETS += clean-local-bench

# make bench-compare also runs every other benchmark program against its
# Go twins (bench/suite.sh): docs/bench/suite.md here in the build tree,
# with the SPEC §6 targets of bench/targets.txt, and plots (gnuplot) in
# docs/bench/. BENCH_SUITE_COUNT passes (3 by default).
BENCH_SUITE = $(filter-out bench/ring bench/peers/%,$(BENCHES))
# Peers beside them: Boost.Fiber when configure found it.
BENCH_SUITE_PEERS =
if HAVE_BOOST_FIBER
BENCHES += bench/peers/boost_fiber
bench_peers_boost_fiber_SOURCES = bench/peers/boost_fiber.cc
bench_peers_boost_fiber_LDADD = -lboost_fiber -lboost_context -lpthread
BENCH_SUITE_PEERS += bench/peers/boost_fiber
endif
BENCH_SUITE_COUNT ?= 3
bench-suite: $(BENCH_SUITE) $(BENCH_SUITE_PEERS)
	$(SHELL) $(top_srcdir)/bench/suite.sh -count $(BENCH_SUITE_COUNT) \
		-benchtime $(BENCH_TIME) -cpu $(BENCH_CPU) \
		-deadline $(BENCH_DEADLINE) -quiet $(BENCH_QUIET) -go '$(GO)' \
		-srcdir $(top_srcdir) -out docs/bench/suite.md -plots docs/bench \
		$(BENCH_SUITE) $(BENCH_SUITE_PEERS)
bench-compare: bench-suite
PHONY_TARGETS += bench-suite
# make bench-scaling: the suite at 1, 2, 4 ... N workers and the
# workloads, for a machine with many cores (bench/scaling.sh).
bench-scaling:
	$(SHELL) $(top_srcdir)/bench/scaling.sh -srcdir $(top_srcdir)
PHONY_TARGETS += bench-scaling
EXTRA_DIST += bench/suite.sh bench/targets.txt bench/scaling.sh bench/lib.sh

# make check: -benchmem still counts (B/op > 0 where every operation
# allocates, 0 where none does), in Go's layout.
TESTS += tests/bench-mem.sh
EXTRA_DIST += tests/bench-mem.sh
CLEANFILES += docs/bench/suite.md
clean-local-bench-suite:
	-rm -f docs/bench/*.svg docs/bench/*.png docs/bench/*.dat
clean-local: clean-local-bench-suite
PHONY_TARGETS += clean-local-bench-suite
include bench/workloads/local.mk
