#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make check's aarch64 happens-before audit: tools/hb-audit.sh over the
# audit archives tests/local.mk builds (HB_AUDIT_LIBS, empty except in an
# aarch64 build) against the table tests/hb-audit.txt.
if [ -z "${HB_AUDIT_LIBS:-}" ]; then
	echo "1..0 # SKIP not an aarch64 build"
	exit 0
fi
# shellcheck disable=SC2086 # HB_AUDIT_LIBS is a list of paths
exec "${SHELL:-/bin/sh}" "$top_srcdir/tools/hb-audit.sh" \
	"$top_srcdir/tests/hb-audit.txt" $HB_AUDIT_LIBS
