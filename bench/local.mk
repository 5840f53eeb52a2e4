# SPDX-License-Identifier: BSD-2-Clause
# Microbenchmarks (Go's output format), built by make check so they cannot
# rot, run by make bench. Each benchmark program links bench/libbench.a.
check_LIBRARIES += bench/libbench.a
bench_libbench_a_SOURCES = bench/bench.c bench/bench.h
BENCH_LDADD = bench/libbench.a libgoconc_internal.la $(CK_LIBS) -lpthread

BENCH_ARGS ?=
bench: $(BENCHES)
	@for b in $(BENCHES); do \
		GOC_BENCH_COMMIT=`cd $(top_srcdir) && git rev-parse --short HEAD 2>/dev/null` \
		$(GOC_TEST_WRAPPER) ./$$b $(BENCH_ARGS) || exit 1; done
