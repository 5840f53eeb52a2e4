# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh disable=SC2034,SC2154 # sets and reads the caller's variables
#
# lib.sh: what the benchmark scripts share. bench/compare.sh,
# bench/suite.sh and bench/workloads.sh source it from their own folder
# (. "$(dirname "$0")/lib.sh"), then call these with srcdir (the source
# tree), builddir (the build tree, where they run), res (raw results,
# bench/results of the build tree) and go (the go tool, or "") set.
# POSIX sh; every name it defines starts with bench_.

# bench_commit: the source tree's short commit, or "unknown".
bench_commit() {
	(cd "$srcdir" && git rev-parse --short HEAD 2>/dev/null) || echo unknown
}

# bench_loadavg: the 1, 5 and 15 minute load averages, or "?".
bench_loadavg() {
	cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"
}

# bench_go ARGS...: the go tool in bench/go of the source tree, offline
# (GOPROXY=off: the twins use the standard library alone), its build
# cache and GOPATH in bench/go of the build tree, so that nothing outside
# the build tree is written.
bench_go() {
	mkdir -p "$builddir/bench/go"
	(cd "$srcdir/bench/go" &&
	    GOCACHE=$builddir/bench/go/cache GOPATH=$builddir/bench/go/path \
	    GOFLAGS=-mod=mod GOPROXY=off GO111MODULE=on GOTOOLCHAIN=local \
	    "$go" "$@")
}

# bench_go_twins: builds the Go twins' test binary once, into
# bench/go/bench.test of the build tree (its log: $res/go-build.txt).
# Sets gobin (the binary, or "" without one), gostate ("" when it
# built, else what the tables say instead: "Go not installed", "Go build
# failed") and goversion (`go version`, or "").
bench_go_twins() {
	gostate="Go not installed"
	gobin=
	goversion=
	if [ -n "$go" ] && [ -x "$go" ]; then
		goversion=$("$go" version 2>/dev/null || echo go)
		if bench_go test -c -o "$builddir/bench/go/bench.test" . \
		    >"$res/go-build.txt" 2>&1; then
			gobin=$builddir/bench/go/bench.test
			gostate=
		else
			gostate="Go build failed"
			cat "$res/go-build.txt" >&2
		fi
	fi
}

# bench_wait_quiet S: on a shared machine, waits until nothing else is
# runnable (/proc/loadavg's running count is 1, this shell, three seconds
# in a row), at most S seconds (0: no wait). Adds the seconds waited to
# bench_waited.
bench_waited=0
bench_wait_quiet() {
	[ "$1" -gt 0 ] && [ -r /proc/loadavg ] || return 0
	bench_w=0
	bench_calm=0
	while [ "$bench_w" -lt "$1" ] && [ "$bench_calm" -lt 3 ]; do
		read -r _ _ _ bench_running _ </proc/loadavg
		bench_running=${bench_running%%/*}
		if [ "$bench_running" -le 1 ]; then
			bench_calm=$((bench_calm + 1))
		else
			bench_calm=0
		fi
		sleep 1
		bench_w=$((bench_w + 1))
	done
	bench_waited=$((bench_waited + bench_w))
}

# bench_save_meta FILE VAR...: the variables as shell assignments, quoted,
# into FILE, for a later -norun to source.
bench_save_meta() {
	bench_meta=$1
	shift
	for bench_v in "$@"; do
		eval "bench_val=\$$bench_v"
		printf "%s='%s'\n" "$bench_v" \
			"$(printf '%s' "$bench_val" | sed "s/'/'\\\\''/g")"
	done >"$bench_meta"
}

# bench_awk: awk functions for the tables, to put before an awk program.
# Results are kept as val[key, metric, i] for i = 1..cnt[key].
#   norm(name)           Go drops the -1 of GOMAXPROCS=1: put it back
#   median(key, metric)  the median over the runs, "" with none; every run
#                        has the metric (ns/op)
#   median_of(key, m)    the median over the runs that have the metric
#                        (B/op, fill%...), "" with none
#   fmtint(v)            an integer as one, else one decimal
#   mem_cell(key)        "B/op (allocs/op)" medians, "–" without them
bench_awk='
function norm(name) {
	if (name !~ /-[0-9]+$/)
		name = name "-1"
	return name
}
function bench_sort_median(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	if (n % 2)
		return a[(n + 1) / 2]
	return (a[n / 2] + a[n / 2 + 1]) / 2
}
function median(key, which,    n, i, a) {
	n = cnt[key]
	if (n == 0)
		return ""
	for (i = 1; i <= n; i++)
		a[i] = val[key, which, i] + 0
	return bench_sort_median(a, n)
}
function median_of(key, which,    n, i, a) {
	n = 0
	for (i = 1; i <= cnt[key]; i++)
		if ((key, which, i) in val)
			a[++n] = val[key, which, i] + 0
	if (n == 0)
		return ""
	return bench_sort_median(a, n)
}
function fmtint(v) {
	v += 0
	return v == int(v) ? sprintf("%d", v) : sprintf("%.1f", v)
}
function mem_cell(key,    b, n) {
	b = median_of(key, "B/op")
	n = median_of(key, "allocs/op")
	if (b == "")
		return "–"
	return fmtint(b) " (" (n == "" ? "?" : fmtint(n)) ")"
}
'
