#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# clang-format (version 14, the one .clang-format is written for) over the
# project's C and C++ sources: `make format` rewrites them, `make
# format-check` lists the ones that differ and fails.
#
# Usage: tools/format.sh --check|--fix
# The files: what git tracks (in a git checkout) or what lies in the tree
# (an unpacked tarball), ending in .c, .h or .cc, except bench/go/ and
# fuzz/corpus/ and headers configure generates from a .in template
# (templates hold @VAR@ placeholders, which clang-format would break).
set -eu
mode=${1:-}
case $mode in
--check | --fix) ;;
*)
	echo "usage: $0 --check|--fix" >&2
	exit 2
	;;
esac
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
	echo "format: $CLANG_FORMAT not found (Debian package clang-format)" >&2
	exit 1
fi
if ! "$CLANG_FORMAT" --version | grep -q 'version 14\.'; then
	echo "format: warning: $("$CLANG_FORMAT" --version | head -n 1) is not clang-format 14; its output may differ" >&2
fi

if [ "$(git rev-parse --show-toplevel 2>/dev/null || :)" = "$(pwd -P)" ]; then
	list() { git ls-files; }
else
	list() {
		find . \( -name .git -o -name '_*' -o -name 'build*' \
			-o -name 'libgoconc-*' -o -name autom4te.cache \) -prune \
			-o -type f -print | sed 's|^\./||'
	}
fi
files=$(list | grep -E '\.(c|h|cc)$' | grep -v -E '^(bench/go|fuzz/corpus)/' |
	while read -r f; do
		[ -f "$f" ] && [ ! -f "$f.in" ] && echo "$f"
	done)

bad=0
n=0
for f in $files; do
	n=$((n + 1))
	if [ "$mode" = --fix ]; then
		"$CLANG_FORMAT" -i "$f"
	elif ! "$CLANG_FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "format-check: $f is not clang-formatted"
		bad=1
	fi
done
if [ "$mode" = --check ]; then
	if [ $bad = 0 ]; then
		echo "format-check: ok ($n files)"
	else
		echo "format-check: run 'make format' (or clang-format -i FILE)" >&2
	fi
fi
exit $bad
