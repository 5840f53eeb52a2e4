# SPDX-License-Identifier: BSD-2-Clause
# The library: libgoconc_internal.la holds every object (white-box tests
# link it); libgoconc.la is the same code with only GOC_API symbols
# exported (-fvisibility=hidden).
noinst_LTLIBRARIES += libgoconc_internal.la
libgoconc_internal_la_SOURCES = \
	src/rt/error.c \
	src/rt/panic.c \
	src/rt/atomic_value.c
# Frame pointers let goroutine dumps walk parked stacks (src/sched/dump.c).
# Initial-exec TLS: the runtime reads its thread-local state (the thread's
# M, the random state, the map's epoch record) on hot paths, and the
# shared library's default model would call __tls_get_addr for each read;
# the library's few dozen bytes of TLS fit glibc's static TLS reserve even
# when it is loaded with dlopen.
libgoconc_internal_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	-fno-omit-frame-pointer -ftls-model=initial-exec \
	$(GOC_ARCH_CFLAGS) $(GOC_LIB_SAN_CFLAGS)
libgoconc_internal_la_CCASFLAGS = $(AM_CCASFLAGS)
libgoconc_internal_la_LIBADD = $(CK_LIBS) -lpthread
noinst_HEADERS += \
	src/internal/compiler.h \
	src/internal/assert.h \
	src/internal/panic.h \
	src/internal/arch.h \
	src/rt/race.h
# The race detector's hooks (--enable-race; rt/race.h inlines no-ops else).
if ENABLE_RACE
libgoconc_internal_la_SOURCES += src/rt/race.c
endif
# Chaos: yields and stalls at the decision points (--enable-chaos).
if ENABLE_CHAOS
libgoconc_internal_la_SOURCES += src/rt/chaos.c
endif

lib_LTLIBRARIES += libgoconc.la
libgoconc_la_SOURCES =
nodist_EXTRA_libgoconc_la_SOURCES = src/rt/dummy.c
libgoconc_la_LIBADD = libgoconc_internal.la $(CK_LIBS) -lpthread
libgoconc_la_LDFLAGS = -version-info $(GOC_LT_VERSION) $(GOC_SAN_CFLAGS)
# Fault injection (--enable-faults, src/rt/fault.h): the shared library's
# own calls to these go through src/rt/fault.c's __wrap_ functions.
noinst_HEADERS += src/rt/fault.h
if ENABLE_FAULTS
libgoconc_internal_la_SOURCES += src/rt/fault.c
libgoconc_la_LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc \
	-Wl,--wrap=posix_memalign,--wrap=strdup,--wrap=mmap,--wrap=mprotect \
	-Wl,--wrap=pthread_create
endif

include src/lf/local.mk
include src/sched/local.mk
include src/sync/local.mk
include src/chan/local.mk
include src/context/local.mk
