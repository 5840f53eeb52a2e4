/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Contexts: cancellation trees, deadlines, values, causes, WithoutCancel
 * and AfterFunc, following Go 1.25's package context (context.go).
 *
 * A goc_ctx_t is opaque and reference-counted. Every function that
 * creates one (goc_ctx_with_*, goc_ctx_without_cancel, goc_ctx_custom)
 * returns a new reference the caller releases with goc_ctx_release, or
 * NULL when memory ran out. goc_ctx_background and goc_ctx_todo are
 * static (retain and release do nothing). A child keeps its parent alive,
 * so a parent may be released before its children; cancelling and
 * releasing may happen in any order, from any goroutine or thread.
 *
 * Go's cancel function is goc_ctx_cancel(ctx): it releases nothing, and
 * calling it more than once, or on a context that cannot be cancelled
 * (background, todo, a value or without_cancel context, a custom one),
 * does nothing. As in Go, cancel every context you create once its work
 * is done: a timer keeps an uncancelled deadline context (and what it
 * needs) until the deadline passes, and an after-func registration keeps
 * its context until the context is done or the registration stopped.
 *
 * Errors are status codes (goconc/common.h): GOC_ECANCELED ("context
 * canceled") and GOC_EDEADLINE ("context deadline exceeded"). A cause is
 * a (code, message) pair; the library copies the message. Deadlines are
 * absolute goc_now() nanoseconds; timeouts are durations in nanoseconds.
 *
 * Memory model (as Go's): cancelling a context is synchronized before a
 * receive that observes its done channel closed, and before any
 * goc_ctx_err or goc_ctx_cause call that reports the cancellation.
 * Registering an after-func is synchronized before the function starts.
 */
#ifndef GOCONC_CONTEXT_H
#define GOCONC_CONTEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include <goconc/common.h>
#include <goconc/chan.h>

GOC_BEGIN_DECLS

typedef struct goc_context goc_ctx_t;
typedef struct goc_ctx_after goc_ctx_after_t;

/*
 * goc_ctx_background returns the root context (context.Background): never
 * cancelled, no deadline, no values, done channel NULL. Static.
 */
GOC_API goc_ctx_t *goc_ctx_background(void);
/*
 * goc_ctx_todo returns a second, distinct root (context.TODO) for code
 * that does not know yet which context to use. Static.
 */
GOC_API goc_ctx_t *goc_ctx_todo(void);

/* goc_ctx_retain adds a reference to ctx and returns ctx. */
GOC_API goc_ctx_t *goc_ctx_retain(goc_ctx_t *ctx);
/*
 * goc_ctx_release drops a reference (NULL is ignored). It never cancels;
 * the context is freed once no reference, child or timer holds it.
 */
GOC_API void goc_ctx_release(goc_ctx_t *ctx);

/*
 * goc_ctx_with_cancel returns a child of parent that is done when
 * goc_ctx_cancel is called on it or when parent is done, whichever comes
 * first (context.WithCancel). Panics "cannot create context from nil
 * parent" if parent is NULL. NULL when memory ran out.
 */
GOC_API goc_ctx_t *goc_ctx_with_cancel(goc_ctx_t *parent);
/*
 * goc_ctx_with_cancel_cause is goc_ctx_with_cancel, for code that will
 * cancel with goc_ctx_cancel_cause (context.WithCancelCause). Any
 * cancellable context accepts a cause in C; this name is kept for Go
 * readers.
 */
GOC_API goc_ctx_t *goc_ctx_with_cancel_cause(goc_ctx_t *parent);
/*
 * goc_ctx_with_deadline returns a child of parent that is also done, with
 * GOC_EDEADLINE, once goc_now() reaches deadline (context.WithDeadline).
 * If parent's deadline is already earlier, the child is a plain
 * cancellable context (its deadline is parent's). A deadline that has
 * passed gives a context that is done at once. The deadline timer costs
 * no goroutine until it fires.
 */
GOC_API goc_ctx_t *goc_ctx_with_deadline(goc_ctx_t *parent, int64_t deadline);
/*
 * goc_ctx_with_deadline_cause is goc_ctx_with_deadline whose cause, when
 * the deadline passes, is (code, msg) instead of GOC_EDEADLINE
 * (context.WithDeadlineCause). code 0 means no cause; msg may be NULL.
 */
GOC_API goc_ctx_t *goc_ctx_with_deadline_cause(goc_ctx_t *parent,
					       int64_t deadline, int code,
					       const char *msg);
/* goc_ctx_with_timeout is goc_ctx_with_deadline(parent, goc_now() + d). */
GOC_API goc_ctx_t *goc_ctx_with_timeout(goc_ctx_t *parent, int64_t d);
/* goc_ctx_with_timeout_cause: goc_ctx_with_deadline_cause(now + d, ...). */
GOC_API goc_ctx_t *goc_ctx_with_timeout_cause(goc_ctx_t *parent, int64_t d,
					      int code, const char *msg);
/*
 * goc_ctx_with_value returns a child of parent in which goc_ctx_value(key)
 * is val (context.WithValue); other keys, cancellation and deadline come
 * from parent. Keys compare as pointers: use the address of an object of
 * your own, so packages cannot collide. Panics "nil key" when key is
 * NULL, "cannot create context from nil parent" when parent is.
 */
GOC_API goc_ctx_t *goc_ctx_with_value(goc_ctx_t *parent, const void *key,
				      void *val);
/*
 * goc_ctx_without_cancel returns a child of parent that keeps parent's
 * values but is never cancelled and has no deadline (context.
 * WithoutCancel): its done channel is NULL and its error 0.
 */
GOC_API goc_ctx_t *goc_ctx_without_cancel(goc_ctx_t *parent);

/*
 * goc_ctx_cancel cancels ctx with GOC_ECANCELED (Go's CancelFunc): ctx
 * and every descendant are done when it returns, ctx leaves its parent,
 * and its deadline timer is stopped. It releases nothing.
 */
GOC_API void goc_ctx_cancel(goc_ctx_t *ctx);
/*
 * goc_ctx_cancel_cause is goc_ctx_cancel recording (code, msg) as the
 * cause (context.CancelCauseFunc); code 0 means no cause (the cause is
 * then GOC_ECANCELED). msg is copied; NULL means goc_strerror(code). If
 * memory runs out the message is dropped and the code kept.
 */
GOC_API void goc_ctx_cancel_cause(goc_ctx_t *ctx, int code, const char *msg);

/*
 * goc_ctx_done returns ctx's done channel, closed when ctx is cancelled
 * (Context.Done), for goc_chan_recv or a goc_select receive case; NULL for
 * a context that can never be cancelled. The channel is borrowed: valid
 * while ctx lives (goc_chan_retain it to keep it longer). It is created
 * on first use; a context cancelled before anyone asked shares one closed
 * channel. Running out of memory creating it is the fatal error
 * "runtime: out of memory".
 */
GOC_API goc_chan_t *goc_ctx_done(goc_ctx_t *ctx);
/*
 * goc_ctx_err returns 0 while ctx is not done, then GOC_ECANCELED or
 * GOC_EDEADLINE (Context.Err). Once it is non-zero, ctx's done channel is
 * closed, and it never changes again.
 */
GOC_API int goc_ctx_err(goc_ctx_t *ctx);
/*
 * goc_ctx_cause returns the code of the cause ctx was cancelled with
 * (context.Cause): the cause given to goc_ctx_cancel_cause or a *_cause
 * constructor on ctx or the ancestor that cancelled it, else the error.
 * 0 while not cancelled. Where no cancellable context is found, the
 * answer is goc_ctx_err(ctx), as Go's. If msg is not NULL it receives the
 * message (borrowed, valid while ctx lives), NULL with a 0 code.
 */
GOC_API int goc_ctx_cause(goc_ctx_t *ctx, const char **msg);
/*
 * goc_ctx_deadline stores ctx's deadline in *deadline and returns true,
 * or returns false when ctx has none (Context.Deadline).
 */
GOC_API bool goc_ctx_deadline(goc_ctx_t *ctx, int64_t *deadline);
/*
 * goc_ctx_value returns the value the nearest goc_ctx_with_value ancestor
 * (or ctx itself) associates with key, or NULL (Context.Value). The walk
 * costs one step per ancestor.
 */
GOC_API void *goc_ctx_value(goc_ctx_t *ctx, const void *key);
/*
 * goc_ctx_name returns Go's name of ctx's kind: "context.Background",
 * "context.TODO", "context.WithCancel", "context.WithDeadline",
 * "context.WithValue", "context.WithoutCancel" or "context.Custom".
 */
GOC_API const char *goc_ctx_name(goc_ctx_t *ctx);

/*
 * goc_ctx_after_func arranges for fn(arg) to run on its own goroutine
 * once ctx is done (context.AfterFunc); at once if it already is. fn runs
 * at most once. Returns a new reference to the registration (release it
 * with goc_ctx_after_release; releasing does not stop it), or NULL when
 * memory ran out. Panics "cannot create context from nil parent" when
 * ctx is NULL.
 */
GOC_API goc_ctx_after_t *goc_ctx_after_func(goc_ctx_t *ctx, void (*fn)(void *),
					    void *arg);
/*
 * goc_ctx_after_stop stops the registration (the stop function):
 * true if this call prevented fn from running, false if fn was already
 * started or the registration already stopped. It does not wait for fn.
 */
GOC_API bool goc_ctx_after_stop(goc_ctx_after_t *a);
/* goc_ctx_after_release drops the reference goc_ctx_after_func returned. */
GOC_API void goc_ctx_after_release(goc_ctx_after_t *a);

/*
 * goc_sleep_ctx sleeps for d nanoseconds or until ctx is done, whichever
 * comes first: the pattern for a blocking call that takes a context.
 * Returns 0 after a full sleep, goc_ctx_err(ctx) when ctx ended it, or
 * GOC_ENOMEM when no timer could be made.
 */
GOC_API int goc_sleep_ctx(goc_ctx_t *ctx, int64_t d);

/*
 * Custom contexts: a Context implementation of your own (Go lets any
 * type implement the interface). goc_ctx_custom wraps impl with ops, and
 * optionally a parent it is derived from. Each operation may be NULL,
 * meaning "as parent" (or "none" without a parent); value returns true
 * when it knows key, otherwise the lookup goes on in parent.
 *
 * A cancellable child of a custom context registers with the nearest
 * library context found through parent when the custom context's done
 * channel is that context's (nothing to watch); otherwise one goroutine
 * per child waits on both done channels, as Go's propagateCancel does for
 * foreign parents, unless the custom context provides after_func and
 * after_stop (Go 1.21's afterFuncer). free(impl) runs when the last
 * reference goes.
 */
typedef struct goc_ctx_ops {
	goc_chan_t *(*done)(void *impl);
	int (*err)(void *impl);
	bool (*deadline)(void *impl, int64_t *deadline);
	bool (*value)(void *impl, const void *key, void **val);
	void (*free)(void *impl);
	/*
	 * Optional, both or neither (Go 1.21's AfterFunc method): after_func
	 * arranges for fn(arg) to be called once impl is done (at once, even
	 * before it returns, if it already is), stores a handle and returns
	 * true, or false if it could not (the child's constructor then
	 * returns NULL). after_stop undoes one arrangement: true if fn will
	 * not be called. The library calls after_stop at most once per
	 * handle, possibly while fn runs (it must then return false). With
	 * them, children of this context need no watcher goroutine.
	 */
	bool (*after_func)(void *impl, void (*fn)(void *), void *arg,
			   void **handle);
	bool (*after_stop)(void *impl, void *handle);
} goc_ctx_ops_t;

GOC_API goc_ctx_t *goc_ctx_custom(goc_ctx_t *parent, const goc_ctx_ops_t *ops,
				  void *impl);

GOC_END_DECLS

#endif /* GOCONC_CONTEXT_H */
