# SPDX-License-Identifier: BSD-2-Clause
include_HEADERS += include/goconc.h
goconcinclude_HEADERS += \
	include/goconc/common.h \
	include/goconc/atomic.h \
	include/goconc/ring.h
nodist_goconcinclude_HEADERS += \
	include/goconc/version.h \
	include/goconc/features.h
EXTRA_DIST += include/goconc/version.h.in include/goconc/features.h.in
