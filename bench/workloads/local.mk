# SPDX-License-Identifier: BSD-2-Clause
# Whole-program workloads (bench/workloads/*.c), each with a Go twin in
# bench/go/workloads/NAME/main.go taking the same arguments. make check
# builds them (so they cannot rot) but never runs them; make
# bench-workloads (and make bench-compare) checks and times every C/Go
# pair with hyperfine (bench/workloads.sh), measures bytes per channel and
# per context (bench/workloads/mem), and writes docs/bench/workloads.md
# in the build tree, with plots (gnuplot) beside it. Knobs: WORKLOAD_RUNS
# (10), WORKLOAD_WARMUP (2), WORKLOAD_PAIRS (ping-pong pair counts,
# 1,2,4,8,16), WORKLOAD_ARGS (more flags for the script: -small, -norun).
WORKLOADS = bench/workloads/fanout bench/workloads/pipeline \
	bench/workloads/pingpong bench/workloads/pool bench/workloads/mem
check_PROGRAMS += $(WORKLOADS)
WORKLOAD_LDADD = libgoconc.la -lpthread

bench_workloads_fanout_SOURCES = bench/workloads/fanout.c bench/workloads/wl.h
bench_workloads_fanout_LDADD = $(WORKLOAD_LDADD)
bench_workloads_pipeline_SOURCES = bench/workloads/pipeline.c \
	bench/workloads/wl.h
bench_workloads_pipeline_LDADD = $(WORKLOAD_LDADD)
bench_workloads_pingpong_SOURCES = bench/workloads/pingpong.c \
	bench/workloads/wl.h
bench_workloads_pingpong_LDADD = $(WORKLOAD_LDADD)
bench_workloads_pool_SOURCES = bench/workloads/pool.c bench/workloads/wl.h
bench_workloads_pool_LDADD = $(WORKLOAD_LDADD)
bench_workloads_mem_SOURCES = bench/workloads/mem.c bench/workloads/wl.h
bench_workloads_mem_LDADD = $(WORKLOAD_LDADD)

WORKLOAD_RUNS ?= 10
WORKLOAD_WARMUP ?= 2
WORKLOAD_PAIRS ?= 1,2,4,8,16
WORKLOAD_ARGS ?=
bench-workloads: $(WORKLOADS)
	$(SHELL) $(top_srcdir)/bench/workloads.sh -runs $(WORKLOAD_RUNS) \
		-warmup $(WORKLOAD_WARMUP) -pairs $(WORKLOAD_PAIRS) \
		-go '$(GO)' -cc '$(CC)' -srcdir $(top_srcdir) \
		-out docs/bench/workloads.md -plots docs/bench $(WORKLOAD_ARGS)
bench-compare: bench-workloads
# Under make -j, the timed parts of bench-compare must not overlap: the
# suite runs first (an order-only prerequisite, only for bench-compare).
bench-workloads: | $(if $(filter bench-compare,$(MAKECMDGOALS)),bench-suite)
PHONY_TARGETS += bench-workloads
EXTRA_DIST += bench/workloads.sh bench/go/workloads/internal/wl/wl.go \
	bench/go/workloads/fanout/main.go bench/go/workloads/pipeline/main.go \
	bench/go/workloads/pingpong/main.go bench/go/workloads/pool/main.go \
	bench/go/workloads/mem/main.go
CLEANFILES += docs/bench/workloads.md docs/bench/workloads-ratios.dat \
	docs/bench/workloads-ratios.svg docs/bench/workloads-ratios.png \
	docs/bench/workloads-pingpong.dat docs/bench/workloads-pingpong.svg \
	docs/bench/workloads-pingpong.png
clean-local: clean-local-bench-workloads
clean-local-bench-workloads:
	-rm -rf bench/go/workloads-bin
PHONY_TARGETS += clean-local-bench-workloads
