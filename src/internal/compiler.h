/* SPDX-License-Identifier: BSD-2-Clause */
/* Compiler helpers used throughout the library. */
#ifndef GOC_INTERNAL_COMPILER_H
#define GOC_INTERNAL_COMPILER_H

#include <stddef.h>

#include "goconc/features.h"

#define GOC_LIKELY(x)           __builtin_expect(!!(x), 1)
#define GOC_UNLIKELY(x)         __builtin_expect(!!(x), 0)
#define GOC_NOINLINE            __attribute__((noinline))
#define GOC_UNUSED              __attribute__((unused))
#define GOC_HIDDEN              __attribute__((visibility("hidden")))
#define GOC_ALIGNED(n)          __attribute__((aligned(n)))
#define GOC_CACHELINE_PAD(name) char name[GOC_CACHELINE]
#define goc_container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))
#define GOC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Sanitizer detection: gcc defines __SANITIZE_*__, clang has __has_feature. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer)
#define GOC_TSAN_ENABLED 1
#else
#define GOC_TSAN_ENABLED 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define GOC_ASAN_ENABLED 1
#else
#define GOC_ASAN_ENABLED 0
#endif

#endif /* GOC_INTERNAL_COMPILER_H */
