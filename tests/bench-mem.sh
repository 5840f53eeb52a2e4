#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make check: the benchmark driver's allocation counting (-benchmem,
# bench/bench.c) still counts. One benchmark that allocates on every
# operation (CommonParentCancel: a child context each) must report
# B/op > 0 and allocs/op >= 1; one that allocates nothing per operation
# (MutexUncontended: lock and unlock) must report 0 and 0; the columns
# are Go's, and absent without -benchmem. Builds whose benchmarks cannot
# count (a sanitizer's allocator) say so and the test skips.
run() {
	# shellcheck disable=SC2086 # GOC_TEST_WRAPPER: a command and its flags
	$GOC_TEST_WRAPPER "$@"
}
for p in bench/context bench/sync; do
	if [ ! -x "$p" ]; then
		echo "Bail out! $p not built"
		exit 1
	fi
done

alloc=$(run ./bench/context -bench=CommonParentCancel -benchtime=1000x \
	-cpu=1 -benchmem) || {
	echo "Bail out! bench/context -benchmem failed"
	exit 1
}
# Only a build without the counting skips; one where it is built in but
# does not count ("malloc does not reach bench/bench.c") fails below.
case $alloc in
*"# -benchmem: no allocation counting in this build"*)
	echo "1..0 # SKIP no allocation counting in this build (sanitizer)"
	exit 0 ;;
esac
# 100000 operations: a few goroutine records the run itself makes
# (hundreds of bytes) are 0 per operation, as in Go.
noalloc=$(run ./bench/sync -bench=MutexUncontended -benchtime=100000x \
	-cpu=1 -benchmem) || {
	echo "Bail out! bench/sync -benchmem failed"
	exit 1
}
plain=$(run ./bench/sync -bench=MutexUncontended -benchtime=1000x -cpu=1) || {
	echo "Bail out! bench/sync failed"
	exit 1
}

echo "1..4"
n=0
check() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
	fi
}
# line OUTPUT NAME: the result line of benchmark NAME (-1: one P).
line() {
	printf '%s\n' "$1" | grep "^Benchmark$2-1[[:space:]]" | head -n 1
}
# field LINE UNIT: the number before UNIT.
field() {
	printf '%s\n' "$1" | awk -v u="$2" '{
		for (i = 2; i <= NF; i++)
			if ($i == u) { print $(i - 1); exit } }'
}

a=$(line "$alloc" CommonParentCancel)
ab=$(field "$a" B/op)
aa=$(field "$a" allocs/op)
[ -n "$ab" ] && [ -n "$aa" ] && [ "$ab" -gt 0 ] && [ "$aa" -ge 1 ]
check $? "CommonParentCancel allocates: ${ab:-no} B/op, ${aa:-no} allocs/op (want > 0, >= 1)"

z=$(line "$noalloc" MutexUncontended)
zb=$(field "$z" B/op)
za=$(field "$z" allocs/op)
[ "$zb" = 0 ] && [ "$za" = 0 ]
check $? "MutexUncontended allocates nothing: ${zb:-no} B/op, ${za:-no} allocs/op (want 0, 0)"

# Go's layout: name, N, ns/op, then a tab and "%8d B/op", a tab and
# "%8d allocs/op" at the end of the line (testing.BenchmarkResult).
tab=$(printf '\t')
ok=1
for l in "$a" "$z"; do
	case $l in
	*"ns/op$tab"*" B/op$tab"*" allocs/op") ;;
	*) ok=0 ;;
	esac
	printf '%s\n' "$l" | grep -Eq \
		"^Benchmark[A-Za-z]+-1 +[0-9]+ +[0-9.]+ ns/op$tab +[0-9]+ B/op$tab +[0-9]+ allocs/op\$" ||
		ok=0
done
[ "$ok" = 1 ]
check $? "the result lines end as Go's: ns/op<TAB>%8d B/op<TAB>%8d allocs/op"

p=$(line "$plain" MutexUncontended)
[ -n "$p" ] && [ -z "$(field "$p" B/op)" ]
check $? "without -benchmem no B/op column"
