/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Common definitions: export macro, status codes, panic hook.
 *
 * Failures come in three shapes (SPEC §3): a returned status (a negative
 * GOC_E* code or false), a Go-style panic, or a fatal error. Both of the
 * latter print Go's layout on stderr, call the hook installed with
 * goc_set_panic_hook(), then abort().
 */
#ifndef GOCONC_COMMON_H
#define GOCONC_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
#define GOC_BEGIN_DECLS extern "C" {
#define GOC_END_DECLS   }
#else
#define GOC_BEGIN_DECLS
#define GOC_END_DECLS
#endif

#define GOC_API      __attribute__((visibility("default")))
#define GOC_NORETURN __attribute__((noreturn))
#define GOC_INLINE   static inline __attribute__((always_inline))

GOC_BEGIN_DECLS

/*
 * Status codes. Every code is negative; 0 means success. The X-macro
 * lets callers build their own tables: XX(name, value, message).
 */
#define GOC_ERRNO_MAP(XX)                                  \
	XX(ENOMEM, -1, "out of memory")                    \
	XX(EAGAIN, -2, "resource temporarily unavailable") \
	XX(EINVAL, -3, "invalid argument")                 \
	XX(ECANCELED, -4, "context canceled")              \
	XX(EDEADLINE, -5, "context deadline exceeded")     \
	XX(EBUSY, -6, "resource busy")                     \
	XX(ECLOSED, -7, "closed")                          \
	XX(ETIMEDOUT, -8, "timed out")

enum goc_errno {
#define GOC__ERRNO_ENUM(name, value, msg) GOC_##name = (value),
	GOC_ERRNO_MAP(GOC__ERRNO_ENUM)
#undef GOC__ERRNO_ENUM
};

/*
 * goc_strerror returns a static message for a GOC_E* code ("unknown
 * error" for anything else). goc_err_name returns the code's name, such
 * as "GOC_ENOMEM".
 */
GOC_API const char *goc_strerror(int err);
GOC_API const char *goc_err_name(int err);

/*
 * goc_panic_hook_t is called after a panic or fatal error has been printed
 * and before the process aborts. kind is "panic" or "fatal error"; msg is
 * Go's message. The hook may log or flush; it must not return into the
 * failing code (the process aborts when it returns).
 */
typedef void (*goc_panic_hook_t)(const char *kind, const char *msg, void *arg);

/* goc_set_panic_hook installs fn (NULL removes it); returns the old hook. */
GOC_API goc_panic_hook_t goc_set_panic_hook(goc_panic_hook_t fn, void *arg);

/*
 * goc_panic reports a contract violation in Go's words and aborts:
 * "panic: <msg>", a blank line, the goroutine header and a traceback.
 * It is what the library itself calls; programs may call it too.
 */
GOC_API GOC_NORETURN void goc_panic(const char *msg);

/* goc_fatal reports an unrecoverable error ("fatal error: <msg>"). */
GOC_API GOC_NORETURN void goc_fatal(const char *msg);

GOC_END_DECLS

#endif /* GOCONC_COMMON_H */
