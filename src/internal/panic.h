/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The three failure shapes past a status code (STYLE C8):
 *   goc_panic   a caller's contract violation, in Go's words (public)
 *   goc_fatal   an unrecoverable user error, "fatal error: ..." (public)
 *   goc_throw   a runtime bug: "fatal error: runtime: ..."
 * All print Go's layout on stderr, run the panic hook, then abort().
 */
#ifndef GOC_INTERNAL_PANIC_H
#define GOC_INTERNAL_PANIC_H

#include "goconc/common.h"

GOC_NORETURN void goc__throw(const char *msg);
GOC_NORETURN void goc__throwf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
GOC_NORETURN void goc__assert_fail(const char *cond, const char *file, int line,
				   const char *func);
/* Like goc_panic but the message is formatted (printf). */
GOC_NORETURN void goc__panicf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * goc__traceback_hook, when set by the scheduler, prints the current
 * goroutine's header and the other goroutines (all = true for fatal
 * errors and GOCONC_TRACEBACK=all). Until then the failing thread's
 * backtrace is printed.
 */
extern void (*goc__traceback_hook)(int fd, bool all);

#endif /* GOC_INTERNAL_PANIC_H */
