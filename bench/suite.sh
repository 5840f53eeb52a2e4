#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# suite.sh: every libgoconc benchmark program against its Go twins, in one
# run, as a Markdown table with ratios and SPEC §6 targets, plus plots.
# `make bench-compare` calls it from the build directory; by hand:
#
#   bench/suite.sh [-count N] [-benchtime 1s] [-cpu 1,2] [-deadline 10s]
#                  [-quiet SECONDS] [-go /usr/bin/go|""] [-srcdir DIR]
#                  [-out FILE] [-plots DIR] [-norun] PROGRAM...
#
# A PROGRAM under bench/peers/ is a peer library running the same
# workloads under prefixed names (bench/peers/boost_fiber prints
# BenchmarkBoostFiberChanSync-2 ...): its numbers become a column beside
# libgoconc's rows of the same name, with the ratio.
#
# For each PROGRAM (bench/chan, bench/sync, ...) it asks the program for
# its benchmark names (-list) and runs the Go benchmarks of the same
# names from the Go twins (bench/go, built once into the build directory,
# offline). Passes alternate one -count=1 run of the program and one of
# its twins, -count times, so that load from other users of the machine
# lands on both alike; each cell is the median over the passes with the
# [min–max] spread. Both sides run with -benchmem: the table gives B/op
# (allocs/op) beside ns/op, medians too (0 (0) where a side allocates
# nothing). Raw outputs go to bench/results/suite-*.txt (benchstat
# reads them). Ratios are libgoconc / Go, lower is better; the target of
# each benchmark comes from bench/targets.txt (SPEC §6). A name with no
# Go twin (Go 1.19 lacks the API, or Go has no such benchmark) reports
# absolute numbers and says so. With gnuplot installed it draws the
# ratios (ratios.svg, ratios.png) and, per program, ns/op against P
# (scaling-PROGRAM.svg, .png) into -plots (docs/bench in the build tree).
#
# -quiet S: before each pass wait up to S seconds until nothing else is
# runnable (three seconds in a row). -norun: tables and plots again from
# bench/results.
set -eu
. "$(dirname "$0")/lib.sh"

count=3
benchtime=1s
cpu=1,2
deadline=10s
quiet=0
norun=0
go=${GO-$(command -v go 2>/dev/null || true)}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
out=docs/bench/suite.md
plots=docs/bench

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
	-plots) plots=$2; shift 2 ;;
	-norun) norun=1; shift ;;
	-*) echo "usage: $0 [-count N] [-benchtime D] [-cpu LIST] [-deadline D] [-quiet S] [-go PATH] [-srcdir DIR] [-out FILE] [-plots DIR] [-norun] PROGRAM..." >&2
	    exit 2 ;;
	*) break ;;
	esac
done

builddir=$(pwd)
res=$builddir/bench/results
mkdir -p "$res"

if [ "$norun" = 1 ]; then
	if [ ! -r "$res/suite-meta" ]; then
		echo "suite.sh: no results in $res to show (run without -norun)" >&2
		exit 1
	fi
	. "$res/suite-meta"
else
	[ $# -gt 0 ] || { echo "suite.sh: no benchmark programs given" >&2; exit 2; }
	programs=
	for p in "$@"; do
		if [ ! -x "$p" ]; then
			echo "suite.sh: $builddir/$p not built" >&2
			exit 1
		fi
		programs="$programs $p"
	done

	commit=$(bench_commit)
	GOC_BENCH_COMMIT=$commit
	export GOC_BENCH_COMMIT

	bench_go_twins
	gonames=
	[ -n "$gobin" ] && gonames=$("$gobin" -test.list='^Benchmark' 2>/dev/null || true)

	for p in $programs; do
		b=$(basename "$p")
		: >"$res/suite-$b.txt"
		: >"$res/suite-$b-go.txt"
	done
	load_before=$(bench_loadavg)
	i=1
	while [ "$i" -le "$count" ]; do
		for p in $programs; do
			b=$(basename "$p")
			bench_wait_quiet "$quiet"
			echo "suite.sh: pass $i of $count: $b" >&2
			# -benchmem: B/op (the peers have no allocation count)
			mem=-benchmem
			case $p in */peers/*) mem= ;; esac
			# shellcheck disable=SC2086 # $mem: one flag or none
			"./$p" -benchtime="$benchtime" -cpu="$cpu" $mem \
				-deadline="$deadline" -count=1 >>"$res/suite-$b.txt"
			case $p in */peers/*) continue ;; esac
			[ -n "$gobin" ] || continue
			# The twins: the program's names that Go has.
			# (Sub-benchmarks: the top-level name selects them all.)
			re=
			for n in $("./$p" -list | sed 's|/.*||' | sort -u); do
				if printf '%s\n' "$gonames" | grep -qx "$n"; then
					re="$re${re:+|}$n"
				fi
			done
			[ -n "$re" ] || continue
			(cd "$srcdir/bench/go" && "$gobin" -test.run='^$' \
				-test.bench="^($re)\$" -test.benchtime="$benchtime" \
				-test.cpu="$cpu" -test.count=1 -test.benchmem) \
				>>"$res/suite-$b-go.txt"
		done
		i=$((i + 1))
	done
	load_after=$(bench_loadavg)
	date=$(date -u '+%Y-%m-%d %H:%M UTC')
	waited=$bench_waited
	bench_save_meta "$res/suite-meta" count benchtime cpu deadline quiet \
		waited load_before load_after commit gostate goversion date \
		programs
fi
mkdir -p "$(dirname "$out")" "$plots"

first=$(for p in $programs; do echo "$res/suite-$(basename "$p").txt"; break; done)
machine=$(sed -n 's/^# machine: //p' "$first" | head -n 1)
cpuname=$(sed -n 's/^cpu: //p' "$first" | head -n 1)
compiler=$(sed -n 's/^# compiler: //p' "$first" | head -n 1)

files=
peerfiles=
for p in $programs; do
	b=$(basename "$p")
	case $p in
	*/peers/*) peerfiles="$peerfiles $res/suite-$b.txt" ;;
	*) files="$files $res/suite-$b.txt $res/suite-$b-go.txt" ;;
	esac
done

# The table, and tab-separated data for the plots (ratios.dat: name,
# ratio, target; scaling-PROGRAM.dat: P, name, libgoconc ns, Go ns).
# shellcheck disable=SC2086
awk -v cpus="$cpu" -v count="$count" -v gostate="$gostate" \
    -v deadline="$deadline" -v machine="$machine" -v cpuname="$cpuname" \
    -v compiler="$compiler" -v commit="$commit" -v goversion="$goversion" \
    -v benchtime="$benchtime" -v lb="$load_before" -v la="$load_after" \
    -v quiet="$quiet" -v waited="$waited" -v date="$date" \
    -v targets="$srcdir/bench/targets.txt" -v plots="$plots" \
    -v peerlist="boost_fiber:BoostFiber:Boost.Fiber" "$bench_awk"'
function fmtns(v) {
	v += 0
	if (v >= 100)
		return sprintf("%.0f", v)
	if (v >= 10)
		return sprintf("%.1f", v)
	return sprintf("%.2f", v)
}
function cell(key,    m, i, lo, hi, v) {
	m = median(key, "ns")
	if (m == "")
		return dnf[key] > 0 ? sprintf("did not complete in %s", deadline) : "–"
	for (i = 1; i <= cnt[key]; i++) {
		v = val[key, "ns", i] + 0
		if (i == 1 || v < lo) lo = v
		if (i == 1 || v > hi) hi = v
	}
	return fmtns(m) (cnt[key] > 1 ? " [" fmtns(lo) "–" fmtns(hi) "]" : "")
}
function target(name,    i, base) {
	base = name
	sub(/-[0-9]+$/, "", base)
	sub(/^Benchmark/, "", base)
	for (i = 1; i <= ntgt; i++)
		if (base ~ ("^" tpat[i] "$"))
			return tval[i]
	return ""
}
BEGIN {
	# peers: "file:prefix:label ..."
	np = split(peerlist, PL, " ")
	for (i = 1; i <= np; i++) {
		split(PL[i], q, ":")
		PEERNAME[q[1]] = q[3]; PEERPFX[q[1]] = q[2]; PEERS[i] = q[1]
	}
	printf "" > (plots "/ratios.dat")
	while ((getline line < targets) > 0) {
		if (line ~ /^[ \t]*(#|$)/)
			continue
		split(line, tf, /[ \t]+/)
		p = tf[1]
		gsub(/\*/, ".*", p)
		ntgt++
		tpat[ntgt] = p
		tval[ntgt] = tf[2]
	}
}
FNR == 1 {
	src = FILENAME; sub(/.*\/suite-/, "", src); sub(/\.txt$/, "", src)
	isgo = src ~ /-go$/
	ispeer = (src in PEERNAME)
	prog = src; sub(/-go$/, "", prog)
	if (!ispeer && !(prog in seenprog)) { seenprog[prog] = 1; progs[++nprog] = prog }
}
ispeer && /^Benchmark/ {
	# BenchmarkBoostFiberChanSync-2 -> BenchmarkChanSync-2 @ peer
	key = norm($1)
	sub("^Benchmark" PEERPFX[src], "Benchmark", key)
	key = key "@" src
	k = ++cnt[key]
	val[key, "ns", k] = $3
	haspeer[src] = 1
	next
}
/^Benchmark/ {
	key = norm($1)
	if (!isgo && !((prog, key) in seen)) {
		seen[prog, key] = 1
		order[prog, ++nkeys[prog]] = key
	}
	if (isgo)
		key = key "@go"
	k = ++cnt[key]
	val[key, "ns", k] = $3
	for (f = 5; f < NF; f += 2)
		if ($(f + 1) != "ns/op") {
			m = $(f + 1)
			if (!((key, m) in hasm)) {
				hasm[key, m] = 1
				mlist[key] = mlist[key] " " m
			}
			val[key, m, k] = $f
			mcnt[key, m]++
		}
	next
}
/^# Benchmark/ {
	key = $2; sub(/:$/, "", key)
	if (isgo) key = key "@go"
	dnf[key]++
	next
}
END {
	print "# libgoconc vs Go: the benchmark suite"
	print ""
	printf "Generated by `make bench-compare` (bench/suite.sh), %s.\n", date
	printf "Machine: %s; cpu: %s; commit %s; %s; %s.\n", machine, cpuname, commit, compiler, ((goversion == "") ? "no Go" : goversion)
	printf "Method: %s passes, each one -count=1 run of a program then of its Go twins, -benchtime=%s, -cpu=%s; load average %s before, %s after", count, benchtime, cpus, lb, la
	if (quiet > 0)
		printf "; each pass first waited up to %s s for a quiet machine (%s s in all)", quiet, waited
	print "."
	print "Cells: median ns/op [min–max]. Ratio: libgoconc / Go (lower is better). Target: SPEC §6 (bench/targets.txt)."
	print "B/op (allocs/op): medians of -benchmem, heap bytes and allocations per operation while timed (C: malloc and its kin, counted by bench/bench.c; Go: runtime.MemStats); goroutine stacks are in neither."
	met = 0; missed = 0; untested = 0
	for (pi = 1; pi <= nprog; pi++) {
		prog = progs[pi]
		printf "\n## bench/%s\n\n", prog
		# peer columns: the peers that ran any row of this program
		npc = 0
		for (i = 1; i <= np; i++)
			for (k = 1; k <= nkeys[prog]; k++)
				if (cnt[order[prog, k] "@" PEERS[i]] > 0) {
					PC[++npc] = PEERS[i]
					break
				}
		hdr = "| Benchmark | libgoconc ns/op | Go ns/op | ratio | target | | libgoconc B/op (allocs) | Go B/op (allocs) |"
		sep = "|---|---:|---:|---:|---:|---|---:|---:|"
		for (i = 1; i <= npc; i++) {
			hdr = hdr " " PEERNAME[PC[i]] " ns/op | libgoconc/" PEERNAME[PC[i]] " |"
			sep = sep "---:|---:|"
		}
		print hdr
		print sep
		dat = plots "/scaling-" prog ".dat"
		printf "" > dat
		for (k = 1; k <= nkeys[prog]; k++) {
			key = order[prog, k]
			a = median(key, "ns")
			g = median(key "@go", "ns")
			r = (a != "" && g != "" && g > 0) ? a / g : ""
			t = target(key)
			verdict = ""
			if (gostate != "" )
				gocell = gostate
			else if (cnt[key "@go"] == 0 && dnf[key "@go"] == 0)
				gocell = "no Go twin"
			else
				gocell = cell(key "@go")
			if (r != "" && t != "") {
				if (r <= t + 0) { verdict = "met"; met++ }
				else { verdict = "**missed**"; missed++ }
			} else if (t != "")
				untested++
			gomem = (gostate != "" || cnt[key "@go"] == 0) ? "–" : mem_cell(key "@go")
			printf "| %s | %s | %s | %s | %s | %s | %s | %s |", substr(key, 10), cell(key), gocell, (r == "" ? "–" : sprintf("%.2f", r)), (t == "" ? "–" : "≤ " t), verdict, mem_cell(key), gomem
			for (i = 1; i <= npc; i++) {
				pk = key "@" PC[i]
				pm = median(pk, "ns")
				printf " %s | %s |", cell(pk), ((a != "" && pm != "" && pm > 0) ? sprintf("%.2f", a / pm) : "–")
			}
			printf "\n"
			if (r != "")
				printf "%s\t%.4f\t%s\n", substr(key, 10), r, (t == "" ? "NaN" : t) > (plots "/ratios.dat")
			pp = key; sub(/.*-/, "", pp)
			base = substr(key, 10); sub(/-[0-9]+$/, "", base)
			printf "%s\t%s\t%s\t%s\n", pp, base, (a == "" ? "NaN" : a), (g == "" ? "NaN" : g) > dat
		}
		close(dat)
		# other metrics (RSS, bytes, fill...), libgoconc and Go
		first = 1
		for (k = 1; k <= nkeys[prog]; k++) {
			key = order[prog, k]
			n = split(mlist[key], ms, " ")
			for (j = 1; j <= n; j++) {
				if (ms[j] == "B/op" || ms[j] == "allocs/op")
					continue
				if (first) {
					print ""
					print "| Benchmark | metric | libgoconc | Go |"
					print "|---|---|---:|---:|"
					first = 0
				}
				m = ms[j]
				gm = ((key "@go", m) in hasm) ? median2(key "@go", m) : "–"
				printf "| %s | %s | %s | %s |\n", substr(key, 10), m, median2(key, m), gm
			}
		}
	}
	printf "\nTargets: %d met, %d missed, %d without a ratio.\n", met, missed, untested
}
function median2(key, m,    v) {
	v = median_of(key, m)
	return v == "" ? "–" : fmtns(v)
}
' $peerfiles $files >"$out.tmp"
mv "$out.tmp" "$out"

# Plots, when gnuplot is there: the ratios, and ns/op against P.
if command -v gnuplot >/dev/null 2>&1 && [ -s "$plots/ratios.dat" ]; then
	# One row per benchmark, its bar drawn from 1 (parity) to the
	# ratio, so the canvas grows with the number of rows.
	nrows=$(wc -l <"$plots/ratios.dat")
	height=$((100 + 12 * nrows))
	for term in "svg size 1000,$height dynamic" "pngcairo size 1000,$height"; do
		ext=${term%% *}
		[ "$ext" = pngcairo ] && ext=png
		gnuplot <<EOF 2>/dev/null || echo "suite.sh: gnuplot could not draw $ext" >&2
set terminal $term
set output "$plots/ratios.$ext"
set title "libgoconc / Go (left of 1: libgoconc faster; points: SPEC §6 target)"
set style fill solid 0.6
set ytics font ",7" nomirror
set yrange [$nrows:-1]
set logscale x 2
set grid xtics
set key off
set datafile separator "\t"
lo(r) = r < 1 ? r : 1
hi(r) = r < 1 ? 1 : r
plot "$plots/ratios.dat" using 2:0:(lo(\$2)):(hi(\$2)):(\$0-0.35):(\$0+0.35):ytic(1) with boxxyerror lc rgb "#3060a0", \
     "" using 3:0 with points pt 7 ps 0.5 lc rgb "#c03030"
EOF
		for d in "$plots"/scaling-*.dat; do
			[ -s "$d" ] || continue
			name=$(basename "$d" .dat)
			gnuplot <<EOF 2>/dev/null || true
set terminal $term
set output "$plots/$name.$ext"
set title "$name: ns/op against GOMAXPROCS (solid libgoconc, dashed Go)"
set logscale y 10
set xlabel "P"
set ylabel "ns/op"
set grid
set key outside right font ",7"
set datafile separator "\t"
names = system("cut -f2 '$d' | sort -u | tr '\\\\n' ' '")
sel(n) = sprintf("< awk -F'\\\\t' '\$2==\"%s\"' '$d'", n)
plot for [i=1:words(names)] sel(word(names, i)) using 1:3 with linespoints lc i title word(names, i), \
     for [i=1:words(names)] sel(word(names, i)) using 1:4 with linespoints dt 2 lc i notitle
EOF
		done
	done
fi
cat "$out"
case $out in /*) ;; *) out=$builddir/$out ;; esac
echo "suite.sh: table in $out, plots in $plots, raw results in $res" >&2
