#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# compare.sh: goc_ring vs Go's buffered channel vs ck_ring, in one run.
# `make bench-compare` calls it from the build directory; by hand:
#
#   bench/compare.sh [-count N] [-benchtime 1s] [-cpu 1,2] [-deadline 10s]
#                    [-quiet SECONDS] [-go /usr/bin/go|""] [-srcdir DIR]
#                    [-out FILE] [-norun]
#
# It builds the Go twins (bench/go) once into the build directory (GOCACHE
# and GOPATH there too, offline), then runs the C ring benchmarks
# (bench/ring), the ck_ring peer (bench/peers/ck_ring) and the Go twins
# -count times in rotation, one -count=1 pass of each at a time, so that
# load from other users of the machine lands on all three alike. Raw
# outputs go to bench/results/*.txt (benchstat reads them); the Markdown
# table of medians goes to stdout and to -out (docs/bench/ring.md in the
# build directory; docs/bench.md in the source tree holds curated
# results). Without Go the Go column says "Go not installed". All three
# run with -benchmem; a last table gives B/op (allocs/op).
#
# -quiet S: on a shared machine, before each pass wait up to S seconds
# until nothing else is runnable (/proc/loadavg's running count is 1, this
# script's own shell, three seconds in a row).
#
# -norun: no benchmarks, only the table again from bench/results.
set -eu
. "$(dirname "$0")/lib.sh"

count=5
benchtime=1s
cpu=1,2
deadline=10s
quiet=0
norun=0
go=${GO-$(command -v go 2>/dev/null || true)}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
out=docs/bench/ring.md

while [ $# -gt 0 ]; do
	case $1 in
	-count) count=$2; shift 2 ;;
	-benchtime) benchtime=$2; shift 2 ;;
	-cpu) cpu=$2; shift 2 ;;
	-deadline) deadline=$2; shift 2 ;;
	-quiet) quiet=$2; shift 2 ;;
	-go) go=$2; shift 2 ;;
	-srcdir) srcdir=$(cd "$2" && pwd); shift 2 ;;
	-out) out=$2; shift 2 ;;
	-norun) norun=1; shift ;;
	*) echo "usage: $0 [-count N] [-benchtime D] [-cpu LIST] [-deadline D] [-quiet S] [-go PATH] [-srcdir DIR] [-out FILE] [-norun]" >&2
	   exit 2 ;;
	esac
done

builddir=$(pwd)
res=$builddir/bench/results
if [ "$norun" = 1 ]; then
	if [ ! -r "$res/meta" ]; then
		echo "compare.sh: no results in $res to show (run without -norun)" >&2
		exit 1
	fi
	. "$res/meta"
else
	for b in bench/ring bench/peers/ck_ring; do
		if [ ! -x "$b" ]; then
			echo "compare.sh: $builddir/$b not built (make bench/ring bench/peers/ck_ring)" >&2
			exit 1
		fi
	done
	mkdir -p "$res"
	: >"$res/ring.txt"
	: >"$res/ck_ring.txt"
	: >"$res/go.txt"

	commit=$(bench_commit)
	GOC_BENCH_COMMIT=$commit
	export GOC_BENCH_COMMIT

	# The Go twins: built once, offline, everything under the build directory.
	bench_go_twins

	load_before=$(bench_loadavg)
	i=1
	while [ "$i" -le "$count" ]; do
		bench_wait_quiet "$quiet"
		echo "compare.sh: pass $i of $count" >&2
		./bench/ring -bench=Ring -benchtime="$benchtime" -cpu="$cpu" \
			-deadline="$deadline" -count=1 -benchmem >>"$res/ring.txt"
		./bench/peers/ck_ring -bench=CkRing -benchtime="$benchtime" \
			-cpu="$cpu" -deadline="$deadline" -count=1 -benchmem \
			>>"$res/ck_ring.txt"
		if [ -n "$gobin" ]; then
			(cd "$srcdir/bench/go" && "$gobin" -test.run='^$' \
				-test.bench=Ring -test.benchtime="$benchtime" \
				-test.cpu="$cpu" -test.count=1 -test.benchmem) \
				>>"$res/go.txt"
		fi
		i=$((i + 1))
	done
	load_after=$(bench_loadavg)
	date=$(date -u '+%Y-%m-%d %H:%M UTC')
	waited=$bench_waited
	# what the table states, for -norun (shell assignments, quoted)
	bench_save_meta "$res/meta" count benchtime cpu deadline quiet waited \
		load_before load_after commit gostate goversion date
fi
mkdir -p "$(dirname "$out")"

machine=$(sed -n 's/^# machine: //p' "$res/ring.txt" | head -n 1)
cpuname=$(sed -n 's/^cpu: //p' "$res/ring.txt" | head -n 1)
compiler=$(sed -n 's/^# compiler: //p' "$res/ring.txt" | head -n 1)

# Medians per benchmark name (Go drops the -1 suffix: put it back; Go's
# results are keyed name@go) and "did not complete" counts, then the table.
awk -v cpus="$cpu" -v count="$count" -v gostate="$gostate" \
    -v deadline="$deadline" -v machine="$machine" -v cpuname="$cpuname" \
    -v compiler="$compiler" -v commit="$commit" -v goversion="$goversion" \
    -v benchtime="$benchtime" -v lb="$load_before" -v la="$load_after" \
    -v quiet="$quiet" -v waited="$waited" \
    -v date="$date" "$bench_awk"'
function spread(key, which,    i, lo, hi, v) {
	for (i = 1; i <= cnt[key]; i++) {
		v = val[key, which, i] + 0
		if (i == 1 || v < lo)
			lo = v
		if (i == 1 || v > hi)
			hi = v
	}
	return cnt[key] > 1 ? sprintf(" [%.1f–%.1f]", lo, hi) : ""
}
function cell(key,    m, s) {
	m = median(key, "ns")
	if (m == "" && dnf[key] == 0)
		return "–"
	if (m == "")
		return sprintf("did not complete in %s (%d/%d runs)", deadline, dnf[key], dnf[key])
	s = sprintf("%.2f", m) spread(key, "ns")
	if (dnf[key] > 0)
		s = s sprintf(" (%d/%d runs did not complete in %s)", dnf[key], dnf[key] + cnt[key], deadline)
	return s
}
function ratio(a, b,    x, y) {
	x = median(a, "ns"); y = median(b, "ns")
	if (x == "" || y == "" || y == 0)
		return "–"
	return sprintf("%.2f", x / y)
}
function fill(key,    m) {
	m = median_of(key, "fill")
	return m == "" ? "–" : sprintf("%.0f%%", m)
}
FNR == 1 { src = FILENAME; sub(/.*\//, "", src); sub(/\.txt$/, "", src) }
/^Benchmark/ {
	key = norm($1)
	if (src == "go")
		key = key "@go"
	k = ++cnt[key]
	val[key, "ns", k] = $3
	for (f = 5; f < NF; f += 2)
		if ($(f + 1) == "fill%")
			val[key, "fill", k] = $f
		else if ($(f + 1) == "B/op" || $(f + 1) == "allocs/op")
			val[key, $(f + 1), k] = $f
	next
}
/^# Benchmark.*did not complete/ {
	key = $2; sub(/:$/, "", key)
	dnf[key]++
	next
}
END {
	n = split(cpus, P, ",")
	split("PushPop 1P1C 2P2C 4P4C", W, " ")
	print "# goc_ring vs Go channel vs ck_ring"
	print ""
	printf "Generated by `make bench-compare` (bench/compare.sh), %s.\n", date
	printf "Machine: %s; cpu: %s; commit %s; %s; %s.\n", machine, cpuname, commit, compiler, ((goversion == "") ? "no Go" : goversion)
	printf "Method: -count=%s passes in rotation (C ring, ck_ring, Go), -benchtime=%s, medians shown; load average %s before, %s after", count, benchtime, lb, la
	if (quiet > 0)
		printf "; each pass first waited up to %s s for a quiet machine (%s s in all)", quiet, waited
	print "."
	print "Cells: median ns/op [min–max] over the runs that completed."
	print "Workload: NPmC over a capacity-1024 queue, ns per item moved (bench/ring_harness.h); procs = CPUs the threads may use (C) = GOMAXPROCS (Go); threads pinned one per CPU when they fit, else unpinned."
	print ""
	print "| Benchmark | libgoconc ns/op | Go ns/op | libgoconc/Go | ck_ring SPSC ns/op | ck_ring MPMC ns/op | libgoconc/ck SPSC |"
	print "|---|---:|---:|---:|---:|---:|---:|"
	for (w = 1; w <= 4; w++)
		for (p = 1; p <= n; p++) {
			sfx = W[w] "-" P[p]
			lib = "BenchmarkRing" sfx
			spsc = "BenchmarkCkRingSPSC" sfx
			mpmc = "BenchmarkCkRingMPMC" sfx
			gocell = gostate != "" ? gostate : cell(lib "@go")
			gor = gostate != "" ? "–" : ratio(lib, lib "@go")
			printf "| Ring%s | %s | %s | %s | %s | %s | %s |\n", sfx, cell(lib), gocell, gor, cell(spsc), cell(mpmc), ratio(lib, spsc)
		}
	print ""
	print "Occupancy (median fill% of capacity, sampled by consumers every 256 items):"
	print ""
	print "| Benchmark | libgoconc | Go | ck_ring SPSC | ck_ring MPMC |"
	print "|---|---:|---:|---:|---:|"
	for (w = 2; w <= 4; w++)
		for (p = 1; p <= n; p++) {
			sfx = W[w] "-" P[p]
			lib = "BenchmarkRing" sfx
			printf "| Ring%s | %s | %s | %s | %s |\n", sfx, fill(lib), ((gostate != "") ? "–" : fill(lib "@go")), fill("BenchmarkCkRingSPSC" sfx), fill("BenchmarkCkRingMPMC" sfx)
		}
	print ""
	print "Allocations (-benchmem: median B/op (allocs/op) while timed; C: malloc and its kin, counted by bench/bench.c; Go: runtime.MemStats):"
	print ""
	print "| Benchmark | libgoconc | Go | ck_ring SPSC | ck_ring MPMC |"
	print "|---|---:|---:|---:|---:|"
	for (w = 1; w <= 4; w++)
		for (p = 1; p <= n; p++) {
			sfx = W[w] "-" P[p]
			lib = "BenchmarkRing" sfx
			printf "| Ring%s | %s | %s | %s | %s |\n", sfx, mem_cell(lib), ((gostate != "") ? "–" : mem_cell(lib "@go")), mem_cell("BenchmarkCkRingSPSC" sfx), mem_cell("BenchmarkCkRingMPMC" sfx)
		}
	print ""
	print "Acceptance:"
	print ""
	last = P[n]
	lib = "BenchmarkRing1P1C-" last
	spsc = "BenchmarkCkRingSPSC1P1C-" last
	a = median(lib, "ns"); b = median(spsc, "ns")
	if (a == "" || b == "")
		printf "- 1P1C-%s: not measured.\n", last
	else
		printf "- 1P1C-%s: goc_ring %.2f ns/item vs ck_ring SPSC %.2f ns/item, ratio %.2f: %s.\n", last, a, b, a / b, ((a <= b) ? "PASS (at least ck_ring SPSC throughput)" : "FAIL (slower than ck_ring SPSC)")
	lib = "BenchmarkRing4P4C-" last
	mpmc = "BenchmarkCkRingMPMC4P4C-" last
	printf "- 4P4C-%s: goc_ring completed %d of %d runs%s; ck_ring MPMC completed %d of %d (%d did not complete in %s).\n", last, cnt[lib], cnt[lib] + dnf[lib], ((dnf[lib] == 0 && cnt[lib] > 0) ? " (PASS)" : " (FAIL)"), cnt[mpmc], cnt[mpmc] + dnf[mpmc], dnf[mpmc], deadline
}
' "$res/ring.txt" "$res/ck_ring.txt" "$res/go.txt" >"$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
echo "compare.sh: table in $builddir/$out, raw results in $res" >&2
