#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# workloads.sh: the whole-program workloads (bench/workloads/*.c) against
# their Go twins (bench/go/workloads/<name>/main.go), timed with
# hyperfine, and the memory measures, as one Markdown report.
# `make bench-workloads` (and `make bench-compare`) calls it from the build
# directory; by hand, from a build directory where `make check` (or
# `make bench-workloads`) has built bench/workloads/*:
#
#   bench/workloads.sh [-runs N] [-warmup N] [-go /usr/bin/go|""]
#                      [-hyperfine PATH|""] [-cc "gcc ..."] [-srcdir DIR]
#                      [-out FILE] [-plots DIR] [-pairs 1,2,4,8,16]
#                      [-small] [-norun]
#
# The Go twins are built once into bench/go/workloads-bin/ of the build tree
# (GOCACHE and GOPATH there too, offline: GOPROXY=off). Each workload runs
# once first, C and Go, to check its result (the programs check their own
# sums and exit 1 when wrong; where both print the same result line, the
# two lines are compared too). Then `hyperfine -N --warmup W --runs N`
# times the C program and its twin with identical arguments
# (--export-json, --export-markdown and --export-csv into bench/results/
# wl-*.*); the report gives the median, the [min–max] spread, the standard
# deviation and the ratio of medians libgoconc / Go (lower is better).
# The fan-out tree's peak RSS and the number of jobs the deadline-cut
# worker pool completes are medians of three further runs (their stderr).
# bench/workloads/mem measures bytes per channel and per context, three
# runs each side, medians.
#
# Without Go the report has the C side alone and says so; without
# hyperfine every program is timed by this script instead (date +%s%N
# around each run, same warm-up and run counts), and the report says so.
# With gnuplot installed it also draws, into -plots (the folder of -out
# by default), the wall-clock and CPU ratio per workload
# (workloads-ratios.svg, .png) and ping-pong time against the number of
# pairs (workloads-pingpong.svg, .png).
# -small: parameters a tenth of the default size (a quick check of the
# script itself; the numbers mean little). -norun: the report again from
# bench/results.
set -eu
. "$(dirname "$0")/lib.sh"

runs=10
warmup=2
go=${GO-$(command -v go 2>/dev/null || true)}
hyperfine=$(command -v hyperfine 2>/dev/null || true)
cc=${CC:-cc}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
out=docs/bench/workloads.md
plots=
pairs=1,2,4,8,16
small=0
norun=0

while [ $# -gt 0 ]; do
	case $1 in
	-runs) runs=$2; shift 2 ;;
	-warmup) warmup=$2; shift 2 ;;
	-go) go=$2; shift 2 ;;
	-hyperfine) hyperfine=$2; shift 2 ;;
	-cc) cc=$2; shift 2 ;;
	-srcdir) srcdir=$(cd "$2" && pwd); shift 2 ;;
	-out) out=$2; shift 2 ;;
	-plots) plots=$2; shift 2 ;;
	-pairs) pairs=$2; shift 2 ;;
	-small) small=1; shift ;;
	-norun) norun=1; shift ;;
	*) echo "usage: $0 [-runs N] [-warmup N] [-go PATH] [-hyperfine PATH] [-cc CC] [-srcdir DIR] [-out FILE] [-plots DIR] [-pairs LIST] [-small] [-norun]" >&2
	   exit 2 ;;
	esac
done

builddir=$(pwd)
[ -n "$plots" ] || plots=$(dirname "$out")
res=$builddir/bench/results
wl=bench/workloads
gowl=$builddir/bench/go/workloads-bin
mkdir -p "$res" "$gowl" "$(dirname "$out")" "$plots"
if [ "$norun" = 0 ]; then
	for p in fanout pipeline pingpong pool mem; do
		if [ ! -x "$wl/$p" ]; then
			echo "workloads.sh: $builddir/$wl/$p not built (make check or make bench-workloads)" >&2
			exit 1
		fi
	done
fi

# ---- parameters -------------------------------------------------------
# Sized for about 0.2-2 s a run on the 2-CPU machine of docs/bench.md.
fan_depth=6 fan_branch=10
pipe_stages=8 pipe_items=1000000 pipe_cap=64
pp_total=1000000
pool_workers=8 pool_jobs=1000000 pool_work=200 pool_cut_ms=500
mem_n=1000000
memcases="chan:0 chan:1 chan:64 ctx:parent ctx:background"
if [ "$small" = 1 ]; then
	fan_depth=5 pipe_items=100000 pp_total=100000 pool_jobs=100000
	pool_cut_ms=100 mem_n=100000
fi

# ---- tools ------------------------------------------------------------
if [ "$norun" = 0 ]; then
	commit=$(bench_commit)
	ccversion=$($cc --version 2>/dev/null | head -n 1 || echo "$cc")
	cpuname=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
	ncpu=$(nproc 2>/dev/null || echo "?")
	machine="$(uname -srm), $ncpu CPUs${cpuname:+ ($cpuname)}"

	gostate=
	goversion=
	if [ -z "$go" ] || [ ! -x "$go" ]; then
		gostate="Go not installed: the C side alone"
		echo "workloads.sh: $gostate" >&2
	else
		goversion=$("$go" version 2>/dev/null || echo go)
		for p in fanout pipeline pingpong pool mem; do
			if ! bench_go build -o "$gowl/$p" "./workloads/$p" \
			    >"$res/wl-go-build.txt" 2>&1; then
				cat "$res/wl-go-build.txt" >&2
				gostate="Go build failed: the C side alone"
				echo "workloads.sh: $gostate" >&2
				break
			fi
		done
	fi
	if [ -n "$hyperfine" ] && [ -x "$hyperfine" ]; then
		timer=$("$hyperfine" --version 2>/dev/null | head -n 1)
	else
		hyperfine=
		timer="hyperfine not installed: timed by bench/workloads.sh (date +%s%N)"
		echo "workloads.sh: $timer" >&2
	fi
fi

# ---- helpers ----------------------------------------------------------
# fallback_time CSV NAME1 CMD1 [NAME2 CMD2]: what hyperfine --export-csv
# writes, measured with date(1): warm-up runs, then $runs timed runs.
fallback_time() {
	csv=$1
	shift
	echo "command,mean,stddev,median,user,system,min,max" >"$csv"
	while [ $# -ge 2 ]; do
		name=$1 cmd=$2
		shift 2
		i=0
		while [ "$i" -lt "$warmup" ]; do
			$cmd >/dev/null 2>&1 || return 1
			i=$((i + 1))
		done
		: >"$csv.times"
		i=0
		while [ "$i" -lt "$runs" ]; do
			t0=$(date +%s%N)
			$cmd >/dev/null 2>&1 || return 1
			t1=$(date +%s%N)
			echo "$(((t1 - t0) / 1000))" >>"$csv.times"
			i=$((i + 1))
		done
		sort -n "$csv.times" | awk -v name="$name" '
			{ t[NR] = $1 / 1e6; s += t[NR]; q += t[NR] * t[NR] }
			END {
				m = s / NR
				v = (NR > 1) ? (q - NR * m * m) / (NR - 1) : 0
				med = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
				printf "%s,%.9f,%.9f,%.9f,0,0,%.9f,%.9f\n", name, m, sqrt(v > 0 ? v : 0), med, t[1], t[NR]
			}' >>"$csv"
		rm -f "$csv.times"
	done
}

# median KEY FILE: the median of every KEY=value in FILE.
median() {
	sed -n "s/.*[ :]$1=\([0-9.-]*\).*/\1/p; s/^$1=\([0-9.-]*\).*/\1/p" "$2" |
	    sort -n | awk '{ v[NR] = $1 }
		END { if (NR == 0) print "–"; else if (NR % 2) print v[(NR + 1) / 2];
		      else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

rows=$res/wl-rows.txt
# run LABEL PROGRAM ARGS: check, then time, one C/Go pair; appends a row
# "label|program args|check|csv" to $rows.
run() {
	label=$1 prog=$2 args=$3
	check=ok cfail='' gfail='' havego=''
	"$wl/$prog" $args >"$res/wl-$label-c.out" 2>"$res/wl-$label-c.err" ||
		cfail="C FAILED"
	if [ -z "$gostate" ]; then
		havego=1
		"$gowl/$prog" $args >"$res/wl-$label-go.out" \
			2>"$res/wl-$label-go.err" || gfail="Go FAILED"
	fi
	if [ -n "$cfail$gfail" ]; then
		check="$cfail${cfail:+${gfail:+, }}$gfail"
	elif [ -n "$havego" ] && [ "$label" != pool-deadline ] &&
	    ! cmp -s "$res/wl-$label-c.out" "$res/wl-$label-go.out"; then
		check="results differ"
	fi
	case $check in
	*FAILED*)
		cat "$res/wl-$label-c.err" "$res/wl-$label-go.err" 2>/dev/null >&2 || :
		echo "workloads.sh: $label: $check" >&2
		echo "$label|$prog $args|$check|" >>"$rows"
		return 0 ;;
	esac
	echo "workloads.sh: $label: $prog $args" >&2
	csv=$res/wl-$label.csv
	if [ -n "$hyperfine" ]; then
		set -- -n libgoconc "$wl/$prog $args"
		[ -n "$havego" ] && set -- "$@" -n Go "$gowl/$prog $args"
		"$hyperfine" -N --style basic --warmup "$warmup" --runs "$runs" \
			--export-json "$res/wl-$label.json" \
			--export-markdown "$res/wl-$label.md" \
			--export-csv "$csv" "$@" >&2 || check="hyperfine failed"
	else
		set -- libgoconc "$wl/$prog $args"
		[ -n "$havego" ] && set -- "$@" Go "$gowl/$prog $args"
		fallback_time "$csv" "$@" || check="a timed run failed"
	fi
	echo "$label|$prog $args|$check|$csv" >>"$rows"
}

# sample LABEL PROGRAM ARGS: three more runs each side, stdout and stderr
# kept in $res/wl-LABEL-{c,go}.samples.
sample() {
	: >"$res/wl-$1-c.samples"
	: >"$res/wl-$1-go.samples"
	for i in 1 2 3; do
		"$wl/$2" $3 >>"$res/wl-$1-c.samples" 2>&1 || :
		[ -n "$gostate" ] ||
			"$gowl/$2" $3 >>"$res/wl-$1-go.samples" 2>&1 || :
	done
}

# ---- the runs ---------------------------------------------------------
if [ "$norun" = 0 ]; then
	: >"$rows"
	load_before=$(bench_loadavg)
	start=$(date -u '+%Y-%m-%d %H:%M UTC')

	run fanout fanout "$fan_depth $fan_branch"
	sample fanout fanout "$fan_depth $fan_branch"
	run pipeline-unbuffered pipeline "$pipe_stages $pipe_items 0"
	run pipeline-buffered pipeline "$pipe_stages $pipe_items $pipe_cap"
	for k in $(echo "$pairs" | tr ',' ' '); do
		run "pingpong-$k" pingpong "$k $((pp_total / k))"
	done
	run pool-all pool "$pool_workers $pool_jobs $pool_work 600000"
	run pool-deadline pool "$pool_workers 1000000000 $pool_work $pool_cut_ms"
	sample pool-deadline pool "$pool_workers 1000000000 $pool_work $pool_cut_ms"

	for m in $memcases; do
		what=${m%%:*} arg=${m#*:}
		: >"$res/wl-mem-$what-$arg-c.txt"
		: >"$res/wl-mem-$what-$arg-go.txt"
		for i in 1 2 3; do
			"$wl/mem" "$what" "$mem_n" "$arg" \
				>>"$res/wl-mem-$what-$arg-c.txt" 2>&1 || :
			[ -n "$gostate" ] || "$gowl/mem" "$what" "$mem_n" "$arg" \
				>>"$res/wl-mem-$what-$arg-go.txt" 2>&1 || :
		done
	done
	load_after=$(bench_loadavg)
	bench_save_meta "$res/wl-meta" commit ccversion machine gostate \
		goversion timer hyperfine warmup runs start load_before \
		load_after fan_depth fan_branch pipe_stages pipe_items pipe_cap \
		pp_total pool_workers pool_jobs pool_work pool_cut_ms mem_n \
		memcases
else
	if [ ! -r "$res/wl-meta" ]; then
		echo "workloads.sh: no results in $res to show (run without -norun)" >&2
		exit 1
	fi
	. "$res/wl-meta"
fi

# ---- the report -------------------------------------------------------
# field CSV COMMAND COLUMN: one number from a hyperfine CSV (seconds).
field() {
	awk -F, -v cmd="$2" -v col="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == cmd { print $c[col]; exit }' "$1" 2>/dev/null
}
# cell CSV COMMAND: "median s [min–max] ±stddev", or "–".
cell() {
	m=$(field "$1" "$2" median)
	if [ -z "$m" ]; then
		echo "–"
		return
	fi
	awk -v m="$m" -v lo="$(field "$1" "$2" min)" \
	    -v hi="$(field "$1" "$2" max)" -v sd="$(field "$1" "$2" stddev)" \
	    'BEGIN { printf "%.3f [%.3f–%.3f] ±%.3f", m, lo, hi, sd }'
}
# cpu CSV COMMAND: mean user + system CPU seconds per run, or "–".
cpu() {
	awk -v u="$(field "$1" "$2" user)" -v s="$(field "$1" "$2" system)" \
	    'BEGIN { if (u == "" || u + s == 0) print "–"; else printf "%.3f", u + s }'
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "" || b == "" || a == "–" || b == "–" || b + 0 == 0) print "–";
		else printf "%.2f", a / b }'
}

{
	echo "# Whole-program workloads: libgoconc vs Go"
	echo
	echo "Machine: $machine; commit $commit; $ccversion; ${goversion:-no Go}; $timer."
	echo "Run $start; load average $load_before before, $load_after after."
	if [ -n "$hyperfine" ]; then
		how="\`hyperfine -N --warmup $warmup --runs $runs\` times"
	else
		how="this script ($warmup warm-up runs, $runs timed runs, date +%s%N) times"
	fi
	echo "Method: each workload runs once on each side to check its result, then"
	echo "$how the C program and its Go"
	echo "twin with the same arguments (all C runs, then all Go runs); GOMAXPROCS is"
	echo "the CPU count on both sides. Times in seconds: median [min–max] ±standard"
	echo "deviation; ratio = libgoconc median / Go median (lower is better). CPU:"
	echo "mean user + system seconds per run (hyperfine's), less sensitive than the"
	echo "wall-clock time to other load on the machine, and its ratio."
	[ -z "$gostate" ] || { echo; echo "**$gostate.**"; }
	echo
	echo "| Workload | Arguments | libgoconc (s) | Go (s) | libgoconc/Go | CPU libgoconc | CPU Go | CPU ratio | Check |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
	: >"$plots/workloads-ratios.dat"
	: >"$plots/workloads-pingpong.dat"
	while IFS='|' read -r label cmd check csv; do
		c=– g=– r=– cc=– cg=– cr=–
		if [ -n "$csv" ]; then
			c=$(cell "$csv" libgoconc)
			g=$(cell "$csv" Go)
			r=$(ratio "$(field "$csv" libgoconc median)" \
				"$(field "$csv" Go median)")
			cc=$(cpu "$csv" libgoconc)
			cg=$(cpu "$csv" Go)
			cr=$(ratio "$cc" "$cg")
		fi
		echo "| $label | \`$cmd\` | $c | $g | $r | $cc | $cg | $cr | $check |"
		# For the plots: tab-separated, "–" where a value is missing.
		[ "$r" = – ] || printf '%s\t%s\t%s\n' "$label" "$r" "$cr" \
			>>"$plots/workloads-ratios.dat"
		case $label in
		pingpong-*)
			[ -z "$csv" ] || printf '%s\t%s\t%s\n' "${label#pingpong-}" \
				"$(field "$csv" libgoconc median)" \
				"$(field "$csv" Go median)" \
				>>"$plots/workloads-pingpong.dat" ;;
		esac
	done <"$rows"
	echo
	echo "Workloads (bench/workloads/*.c, Go twins in bench/go/workloads/):"
	echo "fanout DEPTH BRANCH is a goroutine tree summing its leaves up through"
	echo "one channel per inner node; pipeline STAGES ITEMS CAP passes ITEMS values"
	echo "through STAGES goroutines joined by channels of capacity CAP;"
	echo "pingpong PAIRS ROUNDS runs PAIRS pairs doing ROUNDS round trips each over"
	echo "unbuffered channels (the same $pp_total round trips in all); pool WORKERS"
	echo "JOBS WORK DEADLINE_MS is a worker pool under a context deadline."
	echo
	echo "## Fan-out tree: peak RSS"
	echo
	fc=$(median peak_rss_kib "$res/wl-fanout-c.samples")
	fg=$(median peak_rss_kib "$res/wl-fanout-go.samples")
	ng=$(median goroutines "$res/wl-fanout-c.samples")
	echo "| | libgoconc | Go | libgoconc/Go |"
	echo "|---|---:|---:|---:|"
	awk -v c="$fc" -v g="$fg" -v n="$ng" -v r="$(ratio "$fc" "$fg")" 'BEGIN {
		f = "%.1f"
		d = "–"
		printf "| peak RSS (MiB), %s goroutines | %s | %s | %s |\n", n,
			(c == d) ? d : sprintf(f, c / 1024),
			(g == d) ? d : sprintf(f, g / 1024), r
		printf "| peak RSS per goroutine (bytes) | %s | %s | %s |\n",
			(c == d || n == d) ? d : sprintf("%.0f", c * 1024 / n),
			(g == d || n == d) ? d : sprintf("%.0f", g * 1024 / n), r
	}'
	echo
	echo "Medians of three runs (getrusage ru_maxrss at exit); the whole process,"
	echo "runtime included."
	echo
	echo "## Worker pool cut short by its deadline"
	echo
	pc=$(median completed "$res/wl-pool-deadline-c.samples")
	pg=$(median completed "$res/wl-pool-deadline-go.samples")
	ec=$(median elapsed_ms "$res/wl-pool-deadline-c.samples")
	eg=$(median elapsed_ms "$res/wl-pool-deadline-go.samples")
	echo "| Deadline $pool_cut_ms ms, $pool_workers workers | libgoconc | Go | libgoconc/Go |"
	echo "|---|---:|---:|---:|"
	echo "| jobs completed | $pc | $pg | $(ratio "$pc" "$pg") |"
	echo "| pool start to last worker out (ms) | $ec | $eg | $(ratio "$ec" "$eg") |"
	echo
	echo "Medians of three runs; more jobs is better; the elapsed time shows how"
	echo "soon after the deadline every worker noticed and left."
	echo
	echo "## Memory per channel and per context"
	echo
	echo "bench/workloads/mem makes $mem_n objects and keeps them alive; bytes per"
	echo "object from the RSS delta (/proc/self/statm) and the heap delta (C:"
	echo "glibc mallinfo2 uordblks; Go: runtime.MemStats.HeapAlloc after"
	echo "runtime.GC()); medians of three runs. RSS per parked goroutine is"
	echo "measured by stress/sched (docs/bench.md, \"Scheduler\")."
	echo
	echo "| Object | libgoconc RSS B | libgoconc heap B | Go RSS B | Go heap B | RSS libgoconc/Go | libgoconc ns/make | Go ns/make |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	for m in $memcases; do
		what=${m%%:*} arg=${m#*:}
		fc=$res/wl-mem-$what-$arg-c.txt
		fg=$res/wl-mem-$what-$arg-go.txt
		case $what in
		chan) name="channel, capacity $arg (uint64)" ;;
		*) name="WithCancel child of $( [ "$arg" = parent ] && echo "a cancellable parent" || echo Background)" ;;
		esac
		rc=$(median rss_bytes_per "$fc") hc=$(median heap_bytes_per "$fc")
		rg=$(median rss_bytes_per "$fg") hg=$(median heap_bytes_per "$fg")
		echo "| $name | $rc | $hc | $rg | $hg | $(ratio "$rc" "$rg") | $(median ns_per "$fc") | $(median ns_per "$fg") |"
	done
	echo
	echo "Raw outputs: bench/results/wl-* in the build tree (hyperfine JSON,"
	echo "Markdown and CSV per workload)."
} >"$out"

# Plots, when gnuplot is there.
if command -v gnuplot >/dev/null 2>&1 && [ -s "$plots/workloads-ratios.dat" ]; then
	for term in "svg size 900,500 dynamic" "pngcairo size 900,500"; do
		ext=${term%% *}
		[ "$ext" = pngcairo ] && ext=png
		gnuplot <<EOF 2>/dev/null || echo "workloads.sh: gnuplot could not draw $ext" >&2
set terminal $term
set output "$plots/workloads-ratios.$ext"
set title "Whole-program workloads: libgoconc / Go (lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.6
set xtics rotate by -45 font ",8"
set yrange [0:*]
set grid ytics
set key top left
set datafile separator "\t"
set datafile missing "–"
plot "$plots/workloads-ratios.dat" using 2:xtic(1) title "wall clock" lc rgb "#3060a0", \
     "" using 3 title "CPU time" lc rgb "#60a030"
EOF
		[ -s "$plots/workloads-pingpong.dat" ] || continue
		gnuplot <<EOF 2>/dev/null || echo "workloads.sh: gnuplot could not draw $ext" >&2
set terminal $term
set output "$plots/workloads-pingpong.$ext"
set title "Ping-pong, $pp_total round trips in all: median time against pairs"
set logscale x 2
set xlabel "pairs"
set ylabel "seconds"
set yrange [0:*]
set grid
set datafile separator "\t"
set datafile missing "–"
plot "$plots/workloads-pingpong.dat" using 1:2 with linespoints title "libgoconc", \
     "" using 1:3 with linespoints dt 2 title "Go"
EOF
	done
fi
cat "$out"
