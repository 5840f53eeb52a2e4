#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The goroutine API suites under more schedules (--enable-sim): each
# suite under GOC_SIM_API_SEEDS PRNG seeds (default 8) and as many PCT
# runs (depths 2 and 3), one TAP line per run. make check runs each suite
# once under seed 1 already; this widens the net. A failure names the
# command that replays it.
n=${GOC_SIM_API_SEEDS:-8}
suites="sched chan select sync timer context"
total=0
for s in $suites; do total=$((total + 2 * n)); done
echo "1..$total"
i=0
fail=0
for s in $suites; do
	seed=2
	while [ "$seed" -le $((n + 1)) ]; do
		for pct in 0 $((2 + seed % 2)); do
			i=$((i + 1))
			if [ "$pct" = 0 ]; then
				env=""
				what="seed $seed"
			else
				env="GOCONC_SIM_PCT=$pct"
				what="seed $seed pct $pct"
			fi
			out=$(env GOC_TEST_SIM=1 GOCONC_SIM_SEED=$seed $env \
				${GOC_TEST_WRAPPER:-} ./tests/api/$s 2>&1)
			rc=$?
			if [ $rc -eq 0 ] && ! printf '%s\n' "$out" |
				grep -q '^not ok'; then
				echo "ok $i - $s $what"
			else
				fail=1
				rp="$seed"
				[ "$pct" != 0 ] && rp="-p $pct $seed"
				echo "not ok $i - $s $what (replay:" \
					"tools/replay $rp tests/api/$s)"
				printf '%s\n' "$out" | grep -E \
					'^not ok|^# .*failed|fatal error|panic:|^sim:' |
					head -n 10 | sed 's/^/# /'
			fi
		done
		seed=$((seed + 1))
	done
done
exit 0
