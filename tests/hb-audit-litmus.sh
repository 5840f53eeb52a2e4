#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The atomics' litmus tests (tests/unit/atomic) under qemu-aarch64 on two
# CPU models: "max" (LSE atomics, so libgcc's outline helpers take CASAL,
# LDADDAL, ...) and "cortex-a53" (armv8.0 without LSE: the helpers' LL/SC
# loops). Native runs and other hosts skip: the audit's disassembly
# (tests/hb-audit.sh) covers the instructions, this covers both paths
# running. qemu-user on x86 shows only x86-strength ordering, so these
# runs prove the logic and the instruction selection, not weak-memory
# behaviour (docs/HACKING.md).
case ${GOC_TEST_WRAPPER:-} in
*qemu-aarch64*) ;;
*)
	echo "1..0 # SKIP not an aarch64 build under qemu"
	exit 0
	;;
esac
qemu=${GOC_TEST_WRAPPER%%qemu-aarch64*}qemu-aarch64
rest=${GOC_TEST_WRAPPER#*qemu-aarch64}
# LeakSanitizer needs ptrace, which qemu-user lacks (tests/run-test).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
echo "1..2"
i=0
status=0
for cpu in max cortex-a53; do
	i=$((i + 1))
	# shellcheck disable=SC2086 # rest holds qemu's other arguments
	out=$($qemu -cpu $cpu $rest ./tests/unit/atomic 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	if [ $rc -eq 0 ]; then
		echo "ok $i - tests/unit/atomic under qemu-aarch64 -cpu $cpu"
	else
		echo "not ok $i - tests/unit/atomic under qemu-aarch64 -cpu $cpu (exit $rc)"
		status=1
	fi
done
exit $status
