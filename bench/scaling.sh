#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# scaling.sh: the whole benchmark suite at 1, 2, 4, ... N workers, for a
# machine with more cores than the 2 CI has (SPEC §6: results at 1, 2 and
# 16 Ps where a larger machine is available). `make bench-scaling` runs
# it from the build directory; by hand:
#
#   bench/scaling.sh [-max N] [-count N] [-benchtime 1s] [-srcdir DIR]
#
# -max defaults to the CPUs this process may use (nproc). The worker
# counts are the powers of two up to it, plus it. It runs bench/suite.sh
# with that -cpu list over every benchmark program (make bench-suite),
# then the whole-program workloads (make bench-workloads), and leaves the
# tables and the per-program scaling plots (ns/op against P, libgoconc
# solid, Go dashed) in docs/bench/ of the build tree, plus
# docs/bench/scaling.txt saying what ran where. Use a quiet machine:
# the script records the load average before and after.
set -eu
. "$(dirname "$0")/lib.sh"

max=$(nproc 2>/dev/null || echo 2)
count=3
benchtime=1s
srcdir=$(cd "$(dirname "$0")/.." && pwd)

while [ $# -gt 0 ]; do
	case $1 in
	-max) max=$2; shift 2 ;;
	-count) count=$2; shift 2 ;;
	-benchtime) benchtime=$2; shift 2 ;;
	-srcdir) srcdir=$(cd "$2" && pwd); shift 2 ;;
	*) echo "usage: $0 [-max N] [-count N] [-benchtime D] [-srcdir DIR]" >&2
	   exit 2 ;;
	esac
done

cpus=
p=1
while [ "$p" -lt "$max" ]; do
	cpus="$cpus${cpus:+,}$p"
	p=$((p * 2))
done
cpus="$cpus${cpus:+,}$max"

mkdir -p docs/bench
{
	echo "scaling.sh: -cpu=$cpus -count=$count -benchtime=$benchtime"
	echo "machine: $(uname -srm), $(nproc 2>/dev/null || echo '?') CPUs usable"
	sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1
	echo "load average before: $(bench_loadavg)"
	echo "commit: $(bench_commit)"
} >docs/bench/scaling.txt
cat docs/bench/scaling.txt >&2

make bench-suite BENCH_CPU="$cpus" BENCH_SUITE_COUNT="$count" \
	BENCH_TIME="$benchtime"
make bench-workloads
echo "load average after: $(bench_loadavg)" >>docs/bench/scaling.txt
echo "scaling.sh: tables and plots in $(pwd)/docs/bench" >&2
