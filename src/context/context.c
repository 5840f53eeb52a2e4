/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Contexts: cancellation trees, deadlines, values, causes, WithoutCancel,
 * AfterFunc and foreign (custom) contexts.
 *
 * Follows Go 1.25 context/context.go: emptyCtx, cancelCtx (with
 * propagateCancel, parentCancelCtx, removeChild and the lazily created
 * done channel), timerCtx, valueCtx, withoutCancelCtx, afterFuncCtx and
 * Cause. What C changes (refcounts instead of a garbage collector, an
 * iterative cancel, no channel made just to propagate) is explained in
 * docs/design/context.md.
 *
 * Contents: node types; reference counts; done channels; the cancel
 * walk; propagation; constructors; queries; after-funcs; sleep.
 */
#include "context/context.h"

#include <stdlib.h>
#include <string.h>

#include "goconc/context.h"
#include "goconc/chan.h"
#include "goconc/sched.h"
#include "goconc/select.h"
#include "goconc/sync.h"
#include "internal/compiler.h"
#include "internal/panic.h"
#include "rt/race.h"
#include "sched/runtime2.h"

/*
 * Invariants.
 *  - Every heap node holds one reference on its parent (base.parent) for
 *    its whole life, so ancestors outlive descendants.
 *  - A cancellable node c is linked into the children list of at most
 *    one node, c->registrar (its nearest cancellable ancestor, Go's
 *    parentCancelCtx), and only while neither is cancelled. The link is
 *    weak (destroying c unlinks it) except for after-func nodes, whose
 *    link holds a reference so that fn still runs once the handle is
 *    released (Go's parent map keeps the afterFuncCtx alive).
 *  - c->state goes 0 -> CANCELLING -> err (a negative code) once, under
 *    c->mu; cause_code and cause are written before the first store and
 *    never change after.
 *  - An armed deadline timer holds a reference on its node.
 *
 * Lock order: an ancestor's mu before a descendant's mu (the cancel walk
 * holds the locks of the whole path from the node it cancels down to the
 * node it is visiting, as Go's recursive cancel does); then a timer heap
 * lock (goc__timer_add/del) or a channel's lock (goc_chan_close). Nothing
 * takes a parent's mu while holding a child's. References a walk frees
 * are dropped only after every lock is released, because freeing a node
 * takes its registrar's mu.
 */

enum ctx_kind {
	K_BACKGROUND,
	K_TODO,
	K_WITHOUT,
	K_VALUE,
	K_CUSTOM,
	K_CANCEL, /* cancellable kinds from here on */
	K_TIMER,
	K_AFTER,
};

#define CANCELLING 1 /* state while the done channel is being closed */

/* The done pointer of a context cancelled before anyone asked for it. */
#define DONE_CLOSED ((goc_chan_t *)(uintptr_t)1)

struct goc_context {
	uint8_t kind;  /* (immutable) enum ctx_kind */
	uint32_t refs; /* (atomic) unused for the two roots */
	struct goc_context
		*parent; /* (immutable) a reference; NULL for roots */
};

struct value_ctx {
	struct goc_context base;
	const void *key; /* (immutable) */
	void *val;       /* (immutable) */
};

struct custom_ctx {
	struct goc_context base;
	const goc_ctx_ops_t *ops; /* (immutable) */
	void *impl;               /* (immutable) */
};

/* A copied cause message, shared by every node the cause reached. */
struct cause {
	uint32_t refs; /* (atomic) */
	char msg[];
};

struct cancel_ctx {
	struct goc_context base;
	goc_mutex_t mu;
	int32_t state;       /* (mu to write; atomic) 0, CANCELLING or err */
	int cause_code;      /* (mu; immutable once state != 0) */
	struct cause *cause; /* (mu; immutable once state != 0) or NULL */
	goc_chan_t *done;    /* (mu to write; atomic) NULL, DONE_CLOSED, chan */
	struct cancel_ctx *children; /* (mu) registered descendants */
	/* (immutable once published) where this node is registered */
	struct cancel_ctx *registrar;
	struct cancel_ctx *prev, *next; /* (registrar->mu) siblings */
	bool linked;                    /* (registrar->mu) */
	bool strong;                    /* (immutable) the link holds a ref */
	struct cancel_ctx *up;          /* (walk) node whose mu we came from */
	struct cancel_ctx *unref_next;  /* (walk) deferred release list */
	/* (atomic; set before publication, then claimed once by exchange)
	 * the registration in a custom parent's after_func, or NULL */
	struct watcher *hook;
};

struct timer_ctx {
	struct cancel_ctx c;
	int64_t deadline;       /* (immutable) */
	int dl_code;            /* (immutable) WithDeadlineCause's cause */
	struct cause *dl_cause; /* (immutable) */
	struct goc_timer timer; /* armed and disarmed under c.mu */
	bool armed;             /* (c.mu) */
};

struct goc_ctx_after {
	struct cancel_ctx c;
	void (*fn)(void *); /* (immutable) */
	void *arg;          /* (immutable) */
	uint32_t once;      /* (atomic) 0 -> 1 by whoever runs or stops fn */
};

static struct goc_context background_ctx = {K_BACKGROUND, 0, NULL};
static struct goc_context todo_ctx = {K_TODO, 0, NULL};

static inline struct cancel_ctx *
CC(struct goc_context *c)
{
	return (struct cancel_ctx *)(void *)c;
}

static inline bool
cancellable(const struct goc_context *c)
{
	return c->kind >= K_CANCEL;
}

static void cancel_full(struct cancel_ctx *c, bool remove, int err, int code,
			struct cause *cause);
static void expire(void *arg);
static void hook_stop(struct cancel_ctx *c);
static bool owns_done(goc_chan_t *d);

/* ---- reference counts ------------------------------------------------ */

static struct cause *
cause_new(const char *msg)
{
	size_t n = strlen(msg) + 1;
	struct cause *k = malloc(sizeof(*k) + n);
	if (k == NULL)
		return NULL;
	k->refs = 1;
	memcpy(k->msg, msg, n);
	return k;
}

static void
cause_ref(struct cause *k)
{
	/* Relaxed: the caller already holds a reference (or the lock of a
	 * node that does), so the count cannot reach zero meanwhile. */
	if (k != NULL)
		__atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
}

static void
cause_unref(struct cause *k)
{
	/* Acq_rel: every reader's use happens before the free. */
	if (k != NULL && __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(k);
}

static void
unlink_child(struct cancel_ctx *p, struct cancel_ctx *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		p->children = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	c->linked = false;
}

/* Frees c and walks up while that drops the last reference of a parent;
 * a loop, not recursion, because chains can be thousands deep. */
static void
destroy(struct goc_context *c)
{
	while (c != NULL) {
		struct goc_context *parent = c->parent;

		if (cancellable(c)) {
			struct cancel_ctx *cc = CC(c);
			struct cancel_ctx *reg = cc->registrar;
			if (reg != NULL) {
				/* Weakly linked: leave the registrar's list. A
				 * cancel walk holding reg->mu may be visiting
				 * c; it finishes before we get the lock. */
				goc_mutex_lock(&reg->mu);
				if (cc->linked)
					unlink_child(reg, cc);
				goc_mutex_unlock(&reg->mu);
			}
			/* Plain read: the acq_rel decrement that brought us
			 * here orders every other access before it. */
			if (owns_done(cc->done))
				goc_chan_release(cc->done);
			cause_unref(cc->cause);
			if (c->kind == K_TIMER)
				cause_unref(((struct timer_ctx *)cc)->dl_cause);
		} else if (c->kind == K_CUSTOM) {
			struct custom_ctx *cu = (struct custom_ctx *)c;
			if (cu->ops->free != NULL)
				cu->ops->free(cu->impl);
		}
		/* Race builds: the node (its mutex included, which race
		 * builds annotate) is the library's memory, not the
		 * program's: its free orders nothing against the program. */
		goc__race_ignore_begin();
		free(c);
		goc__race_ignore_end();
		if (parent == NULL || parent->kind <= K_TODO)
			return;
		/* Acq_rel: as in goc_ctx_release. */
		if (__atomic_sub_fetch(&parent->refs, 1, __ATOMIC_ACQ_REL) != 0)
			return;
		c = parent;
	}
}

goc_ctx_t *
goc_ctx_retain(goc_ctx_t *ctx)
{
	/* Relaxed: the caller holds a reference, so this cannot race with
	 * the final release (Go's and every refcount's rule). */
	if (ctx != NULL && ctx->kind > K_TODO)
		__atomic_add_fetch(&ctx->refs, 1, __ATOMIC_RELAXED);
	return ctx;
}

void
goc_ctx_release(goc_ctx_t *ctx)
{
	if (ctx == NULL || ctx->kind <= K_TODO)
		return;
	/* Acq_rel: this owner's uses happen before the decrement (release)
	 * and the freeing thread sees all of them (acquire). */
	if (__atomic_sub_fetch(&ctx->refs, 1, __ATOMIC_ACQ_REL) == 0)
		destroy(ctx);
}

static void *
new_node(size_t size, enum ctx_kind kind, goc_ctx_t *parent)
{
	struct goc_context *c = calloc(1, size);
	if (c == NULL)
		return NULL;
	c->kind = (uint8_t)kind;
	c->refs = 1;
	c->parent = goc_ctx_retain(parent);
	return c;
}

static void
check_parent(goc_ctx_t *parent)
{
	if (parent == NULL)
		goc_panic("cannot create context from nil parent");
}

/* ---- done channels --------------------------------------------------- */

static goc_chan_t *closedchan; /* (atomic) Go's closedchan, made once */

static goc_chan_t *
closed_chan(void)
{
	/* Acquire: pairs with the CAS below, so the close is visible. */
	goc_chan_t *c = __atomic_load_n(&closedchan, __ATOMIC_ACQUIRE);
	if (GOC_LIKELY(c != NULL))
		return c;
	goc_chan_t *mine = goc_chan_make(0, 0);
	if (mine == NULL)
		goc_fatal("runtime: out of memory");
	goc_chan_close(mine);
	/* Acq_rel: publishes our closed channel (release) or reads the
	 * winner's (acquire). */
	if (!__atomic_compare_exchange_n(&closedchan, &c, mine, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		goc_chan_release(mine);
		return c;
	}
	return mine;
}

/* cancel_done's slow path: no channel yet, or the shared closed one. */
static GOC_NOINLINE goc_chan_t *
cancel_done_slow(struct cancel_ctx *c, goc_chan_t *d)
{
	if (d == NULL) {
		goc_mutex_lock(&c->mu);
		d = c->done; /* plain: written only under c->mu */
		if (d == NULL) {
			/* Not cancelled (mark() would have set it). */
			d = goc_chan_make(0, 0);
			if (d == NULL)
				goc_fatal("runtime: out of memory");
			/* Release: pairs with the acquire load in
			 * cancel_done(), publishing the channel's init. */
			__atomic_store_n(&c->done, d, __ATOMIC_RELEASE);
		}
		goc_mutex_unlock(&c->mu);
	}
	if (d == DONE_CLOSED) {
		goc_chan_t *cc = closed_chan();
		/* Remember the shared channel so later calls take the fast
		 * path. Release: as above (cc was made and closed before). */
		__atomic_compare_exchange_n(&c->done, &d, cc, false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
		return cc;
	}
	return d;
}

/* cancelCtx.Done: the channel, made on first use under c->mu. */
static inline goc_chan_t *
cancel_done(struct cancel_ctx *c)
{
	/* Acquire: pairs with the release stores in cancel_done_slow() and
	 * mark(), so the channel's initialisation is visible. */
	goc_chan_t *d = __atomic_load_n(&c->done, __ATOMIC_ACQUIRE);
	if (GOC_LIKELY((uintptr_t)d > (uintptr_t)DONE_CLOSED))
		return d;
	return cancel_done_slow(c, d);
}

/* Whether d is a channel this node owns (not the shared closed one). */
static bool
owns_done(goc_chan_t *d)
{
	/* Relaxed: closedchan is written once, and d == closedchan only
	 * if that write is what d was read from. */
	return d != NULL && d != DONE_CLOSED &&
	       d != __atomic_load_n(&closedchan, __ATOMIC_RELAXED);
}

/* ---- the cancel walk ------------------------------------------------- */

/*
 * Under c->mu, with c->state == 0: records the cancellation and closes
 * the done channel (cancelCtx.cancel's first half). A zero code means
 * "no cause": the cause is then err, as in Go.
 */
static void
mark(struct cancel_ctx *c, int err, int code, struct cause *cause)
{
	c->cause_code = code != 0 ? code : err;
	c->cause = code != 0 ? cause : NULL;
	cause_ref(c->cause);
	/*
	 * Release: publishes the cause to goc_ctx_cause/goc_ctx_err readers
	 * (acquire loads). CANCELLING first, so that a goroutine woken by
	 * the close below already sees a non-zero state; goc_ctx_err waits
	 * (settled()) while it reads CANCELLING, so a non-zero error is never
	 * returned before the channel is closed (Go 1.25's Err).
	 */
	/* Race builds: the cancel is synchronized before a non-zero Err or
	 * Cause (the acquires in goc_ctx_err and find_cause), as Go's
	 * atomic err is. */
	goc__race_release(c);
	__atomic_store_n(&c->state, CANCELLING, __ATOMIC_RELEASE);
	goc_chan_t *d = c->done; /* plain: written only under c->mu */
	if (d == NULL) {
		/* Nobody asked: share Go's closedchan if it exists yet
		 * (acquire: its close is visible), else mark it for
		 * cancel_done_slow() to make. Release: pairs with the
		 * acquire load in cancel_done(). */
		goc_chan_t *cc = __atomic_load_n(&closedchan, __ATOMIC_ACQUIRE);
		__atomic_store_n(&c->done, cc != NULL ? cc : DONE_CLOSED,
				 __ATOMIC_RELEASE);
	} else {
		goc_chan_close(d);
	}
	/* Release: as above; the final error. */
	__atomic_store_n(&c->state, err, __ATOMIC_RELEASE);
}

/*
 * Waits out CANCELLING, the few instructions in which mark() closes the
 * done channel, and returns the error (Go 1.25's Err waits on Done the
 * same way). A yield loop, not c->mu: the canceller holds c->mu for its
 * whole subtree, and may be a thread the deadlock detector cannot see.
 */
static int32_t
settled(struct cancel_ctx *c)
{
	int32_t s;
	/* Acquire: pairs with the final release store in mark(). */
	while ((s = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE)) == CANCELLING)
		goc_yield();
	return s;
}

static void
push_unref(struct cancel_ctx **list, struct cancel_ctx *c)
{
	c->unref_next = *list;
	*list = c;
}

static void
run_unrefs(struct cancel_ctx *list)
{
	while (list != NULL) {
		struct cancel_ctx *next = list->unref_next;
		goc_ctx_release(&list->base);
		list = next;
	}
}

/* Under c->mu, after its children: what the node's type adds to cancel
 * (timerCtx stops its timer, afterFuncCtx starts fn). */
static void
finish(struct cancel_ctx *c, struct cancel_ctx **unref)
{
	if (c->base.kind == K_TIMER) {
		struct timer_ctx *t = (struct timer_ctx *)c;
		if (t->armed) {
			t->armed = false;
			/* Removed before it fired: its reference is ours. If
			 * it fired, the expiry goroutine drops it. */
			if (goc__timer_del(&t->timer))
				push_unref(unref, c);
		}
	} else if (c->base.kind == K_AFTER) {
		struct goc_ctx_after *a = (struct goc_ctx_after *)c;
		uint32_t zero = 0;
		/* Acq_rel: the once decides between fn and stop; goc_go is
		 * what orders this goroutine before fn. */
		/* Race builds: registering is synchronized before fn. */
		goc__race_acquire(a);
		if (__atomic_compare_exchange_n(&a->once, &zero, 1, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED) &&
		    goc_go(a->fn, a->arg) != 0)
			goc__throw("context: cannot start the AfterFunc "
				   "goroutine");
	}
}

/*
 * Cancels top and every registered descendant (cancelCtx.cancel with
 * removeFromParent false), depth first, without recursion: the walk
 * holds the locks of the path from top to the node it visits, linked by
 * `up`. Each child is unlinked from its parent's list under the parent's
 * lock before it is visited, so the parent's list ends empty. Returns
 * false if top was already cancelled. References to drop are added to
 * *unref.
 */
static bool
cancel_walk(struct cancel_ctx *top, int err, int code, struct cause *cause,
	    struct cancel_ctx **unref)
{
	goc_mutex_lock(&top->mu);
	/* Relaxed: state is written only under top->mu, which we hold. */
	if (__atomic_load_n(&top->state, __ATOMIC_RELAXED) != 0) {
		goc_mutex_unlock(&top->mu);
		return false;
	}
	mark(top, err, code, cause);
	top->up = NULL;
	struct cancel_ctx *cur = top;
	for (;;) {
		struct cancel_ctx *ch = cur->children;
		if (ch != NULL) {
			unlink_child(cur, ch);
			goc_mutex_lock(&ch->mu);
			/* Relaxed: under ch->mu. A child cancelled on its own
			 * is still linked until it takes cur->mu to leave. */
			if (__atomic_load_n(&ch->state, __ATOMIC_RELAXED) !=
			    0) {
				goc_mutex_unlock(&ch->mu);
				if (ch->strong)
					push_unref(unref, ch);
				continue;
			}
			/* The parent's cause, as Go's child.cancel(false,
			 * err, c.cause). */
			mark(ch, err, code, cause);
			ch->up = cur;
			cur = ch;
			continue;
		}
		finish(cur, unref);
		struct cancel_ctx *up = cur->up;
		goc_mutex_unlock(&cur->mu);
		if (cur == top)
			return true;
		/* We unlinked cur: a strong link's reference is ours now.
		 * cur itself stays alive: freeing it needs up->mu. */
		if (cur->strong)
			push_unref(unref, cur);
		cur = up;
	}
}

/* removeChild: leaves the registrar's list. */
static void
remove_from_parent(struct cancel_ctx *c)
{
	struct cancel_ctx *p = c->registrar;
	bool drop = false;

	hook_stop(c);
	if (p == NULL)
		return;
	goc_mutex_lock(&p->mu);
	if (c->linked) {
		unlink_child(p, c);
		drop = c->strong;
	}
	goc_mutex_unlock(&p->mu);
	if (drop)
		goc_ctx_release(&c->base); /* the caller holds another */
}

/* cancel(removeFromParent, err, cause) of every cancellable kind. */
static void
cancel_full(struct cancel_ctx *c, bool remove, int err, int code,
	    struct cause *cause)
{
	struct cancel_ctx *unref = NULL;

	if (cancel_walk(c, err, code, cause, &unref) && remove)
		remove_from_parent(c);
	run_unrefs(unref);
}

/* ---- propagation ----------------------------------------------------- */

/*
 * Cause's lookup: the nearest cancellable node through values (and
 * custom contexts that have a parent), or NULL past a root,
 * without_cancel or a custom context without a parent.
 */
static struct cancel_ctx *
nearest_cancel(struct goc_context *n)
{
	while (n != NULL) {
		switch (n->kind) {
		case K_VALUE:
		case K_CUSTOM:
			n = n->parent;
			break;
		case K_BACKGROUND:
		case K_TODO:
		case K_WITHOUT:
			return NULL;
		default:
			return CC(n);
		}
	}
	return NULL;
}

/* context.Cause: code and shared message of ctx's cause. */
static int
find_cause(goc_ctx_t *ctx, struct cause **msg)
{
	struct cancel_ctx *cc = nearest_cancel(ctx);

	*msg = NULL;
	if (cc == NULL)
		return goc_ctx_err(ctx);
	/* Acquire: pairs with the release stores in mark(), which follow
	 * the writes of cause_code and cause. */
	int32_t s = __atomic_load_n(&cc->state, __ATOMIC_ACQUIRE);
	if (s == 0)
		return 0;
	if (s == CANCELLING)
		settled(cc); /* as goc_ctx_err */
	goc__race_acquire(cc);
	*msg = cc->cause;
	return cc->cause_code;
}

/* Cancels c, new and not yet visible to any other thread, so without
 * its lock: nothing is linked under it and no timer is armed. */
static void
cancel_new(struct cancel_ctx *c, int err, int code, struct cause *cause)
{
	struct cancel_ctx *unref = NULL;
	mark(c, err, code, cause);
	finish(c, &unref);
}

/* Registers c (new, unpublished) in p, or cancels c now if p is
 * cancelled (propagateCancel with a library parent). */
static void
register_in(struct cancel_ctx *p, struct cancel_ctx *c)
{
	/*
	 * Acquire: pairs with the final release store in mark(). A final
	 * error means p's cause is immutable, so a parent that is already
	 * done needs no lock (Go's early select on parent.Done()).
	 */
	int32_t s = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
	if (s < 0) {
		cancel_new(c, s, p->cause_code, p->cause);
		return;
	}
	goc_mutex_lock(&p->mu);
	/* Relaxed: under p->mu; cancelled means final (mark() stores both
	 * states inside one critical section). */
	s = __atomic_load_n(&p->state, __ATOMIC_RELAXED);
	if (s != 0) {
		cancel_new(c, s, p->cause_code, p->cause);
		goc_mutex_unlock(&p->mu);
		return;
	}
	c->registrar = p;
	c->prev = NULL;
	c->next = p->children;
	if (p->children != NULL)
		p->children->prev = c;
	p->children = c;
	c->linked = true;
	if (c->strong)
		/* Relaxed: c is not yet visible to anyone else. */
		__atomic_add_fetch(&c->base.refs, 1, __ATOMIC_RELAXED);
	goc_mutex_unlock(&p->mu);
}

/* Cancels child because parent (any kind) is done: parent's error and
 * cause, as propagateCancel's child.cancel(false, parent.Err(),
 * Cause(parent)). */
static void
cancel_from(struct cancel_ctx *child, goc_ctx_t *parent)
{
	int err = goc_ctx_err(parent);
	struct cause *msg;
	int code = find_cause(parent, &msg);
	/* A custom Err that says nothing although Done is closed: Go
	 * panics "missing cancel error"; we call it canceled. */
	if (err == 0)
		err = GOC_ECANCELED;
	cancel_full(child, false, err, code, msg);
}

/* A child's tie to a custom parent: a watcher goroutine's state, or an
 * after_func registration (then refcounted by its two claimants). */
struct watcher {
	goc_ctx_t *parent;
	struct cancel_ctx *child;
	struct custom_ctx *cu; /* the custom context registered with */
	void *handle;          /* its after_func handle */
	uint32_t refs;         /* (atomic) */
};

/* propagateCancel's goroutine for a foreign parent. */
static void
watch(void *arg)
{
	struct watcher *w = arg;
	goc_case_t cs[2] = {
		GOC_RECV(goc_ctx_done(w->parent), NULL),
		GOC_RECV(cancel_done(w->child), NULL),
	};

	if (goc_select(cs, 2) == 0)
		cancel_from(w->child, w->parent);
	goc_ctx_release(w->parent);
	goc_ctx_release(&w->child->base);
	free(w);
}

static void
watcher_put(struct watcher *w, uint32_t n)
{
	/* Acq_rel: every claimant's use happens before the free. */
	if (__atomic_sub_fetch(&w->refs, n, __ATOMIC_ACQ_REL) != 0)
		return;
	goc_ctx_release(w->parent);
	goc_ctx_release(&w->child->base);
	free(w);
}

/*
 * The custom parent is done (called by its after_func machinery, Go's
 * stopCtx path): cancel the child. Whoever takes child->hook first
 * answers for the registration: if it is us, no after_stop will come.
 */
static void
hook_fire(void *arg)
{
	struct watcher *w = arg;

	cancel_from(w->child, w->parent);
	/* Acq_rel: decides against the exchange in hook_stop(). */
	struct watcher *mine =
		__atomic_exchange_n(&w->child->hook, NULL, __ATOMIC_ACQ_REL);
	watcher_put(w, mine != NULL ? 2 : 1);
}

/* The child leaves its parent (removeChild on a stopCtx): stop the
 * after_func registration; if that prevented the call, no fire comes. */
static void
hook_stop(struct cancel_ctx *c)
{
	/* Relaxed: set before c was published; only cleared since. */
	if (__atomic_load_n(&c->hook, __ATOMIC_RELAXED) == NULL)
		return;
	/* Acq_rel: decides against the exchange in hook_fire(). */
	struct watcher *w =
		__atomic_exchange_n(&c->hook, NULL, __ATOMIC_ACQ_REL);
	if (w == NULL)
		return;
	bool stopped = w->cu->ops->after_stop(w->cu->impl, w->handle);
	watcher_put(w, stopped ? 2 : 1);
}

/* Go 1.21's afterFuncer parent: no goroutine, a registration. Three
 * references while we set it up: ours, the firing's, the stop's. */
static int
hook_custom(struct cancel_ctx *c, goc_ctx_t *parent, struct custom_ctx *cu)
{
	struct watcher *w = malloc(sizeof(*w));
	if (w == NULL)
		return GOC_ENOMEM;
	w->parent = goc_ctx_retain(parent);
	w->child = c;
	goc_ctx_retain(&c->base);
	w->cu = cu;
	w->handle = NULL;
	w->refs = 3;
	/* Relaxed: c is not yet visible to anyone else; set first, since
	 * the custom context may call hook_fire before after_func returns. */
	__atomic_store_n(&c->hook, w, __ATOMIC_RELAXED);
	if (!cu->ops->after_func(cu->impl, hook_fire, w, &w->handle)) {
		__atomic_store_n(&c->hook, NULL, __ATOMIC_RELAXED);
		goc_ctx_release(parent);
		/* Not the last reference: the caller holds one. */
		__atomic_sub_fetch(&c->base.refs, 1, __ATOMIC_RELAXED);
		free(w);
		return GOC_ENOMEM;
	}
	watcher_put(w, 1);
	return 0;
}

static int
propagate_custom(struct cancel_ctx *c, goc_ctx_t *parent,
		 struct goc_context *custom)
{
	goc_chan_t *d = goc_ctx_done(custom);
	if (d == NULL)
		return 0;
	if (goc_chan_try_recv(d, NULL) == GOC_CHAN_CLOSED) {
		cancel_from(c, parent);
		return 0;
	}
	/* parentCancelCtx: a library context whose done channel the
	 * custom one returns needs no goroutine. */
	struct cancel_ctx *p = nearest_cancel(custom);
	if (p != NULL && cancel_done(p) == d) {
		register_in(p, c);
		return 0;
	}
	struct custom_ctx *cu = (struct custom_ctx *)custom;
	if (cu->ops->after_func != NULL && cu->ops->after_stop != NULL)
		return hook_custom(c, parent, cu);
	struct watcher *w = malloc(sizeof(*w));
	if (w == NULL)
		return GOC_ENOMEM;
	w->parent = goc_ctx_retain(parent);
	w->child = c;
	goc_ctx_retain(&c->base);
	int r = goc_go(watch, w);
	if (r != 0) {
		goc_ctx_release(parent);
		/* Not the last reference: the caller holds one. */
		__atomic_sub_fetch(&c->base.refs, 1, __ATOMIC_RELAXED);
		free(w);
	}
	return r;
}

/*
 * propagateCancel: arranges for c (new, not yet published) to be
 * cancelled when parent is. Nothing to do under a parent that can never
 * be cancelled; a library parent registers c (or cancels it now); a
 * custom parent is watched. Unlike Go, no done channel is made for this.
 */
static int
propagate(struct cancel_ctx *c, goc_ctx_t *parent)
{
	struct goc_context *n = parent;

	for (;;) {
		switch (n->kind) {
		case K_BACKGROUND:
		case K_TODO:
		case K_WITHOUT:
			return 0;
		case K_VALUE:
			n = n->parent;
			break;
		case K_CUSTOM:
			return propagate_custom(c, parent, n);
		default:
			register_in(CC(n), c);
			return 0;
		}
	}
}

/* ---- constructors ---------------------------------------------------- */

goc_ctx_t *
goc_ctx_background(void)
{
	return &background_ctx;
}

goc_ctx_t *
goc_ctx_todo(void)
{
	return &todo_ctx;
}

goc_ctx_t *
goc_ctx_with_cancel(goc_ctx_t *parent)
{
	check_parent(parent);
	struct cancel_ctx *c = new_node(sizeof(*c), K_CANCEL, parent);
	if (c == NULL)
		return NULL;
	if (propagate(c, parent) != 0) {
		goc_ctx_release(&c->base);
		return NULL;
	}
	return &c->base;
}

goc_ctx_t *
goc_ctx_with_cancel_cause(goc_ctx_t *parent)
{
	return goc_ctx_with_cancel(parent);
}

/* Runs on the scheduler when the deadline passes; must not block. */
static void
timer_fire(void *arg, int64_t now)
{
	(void)now;
	if (goc_go(expire, arg) != 0)
		goc__throw("context: cannot start the deadline goroutine");
}

/* The deadline's goroutine (Go's time.AfterFunc callback). Drops the
 * armed timer's reference. */
static void
expire(void *arg)
{
	struct timer_ctx *t = arg;

	cancel_full(&t->c, true, GOC_EDEADLINE, t->dl_code, t->dl_cause);
	goc_ctx_release(&t->c.base);
}

goc_ctx_t *
goc_ctx_with_deadline_cause(goc_ctx_t *parent, int64_t deadline, int code,
			    const char *msg)
{
	check_parent(parent);
	int64_t cur;
	if (goc_ctx_deadline(parent, &cur) && cur < deadline)
		/* The current deadline is already sooner. */
		return goc_ctx_with_cancel(parent);

	struct cause *k = NULL;
	if (code != 0 && msg != NULL && (k = cause_new(msg)) == NULL)
		return NULL;
	struct timer_ctx *t = new_node(sizeof(*t), K_TIMER, parent);
	if (t == NULL) {
		cause_unref(k);
		return NULL;
	}
	t->deadline = deadline;
	t->dl_code = code;
	t->dl_cause = k;
	t->timer.f = timer_fire;
	t->timer.arg = t;
	t->timer.idx = -1;
	if (propagate(&t->c, parent) != 0) {
		goc_ctx_release(&t->c.base);
		return NULL;
	}
	if (deadline - goc_now() <= 0) {
		/* The deadline has already passed. */
		cancel_full(&t->c, true, GOC_EDEADLINE, code, k);
		return &t->c.base;
	}
	goc__runtime_init();
	goc_mutex_lock(&t->c.mu);
	/* Relaxed: under mu. Not armed if the parent cancelled us. */
	if (__atomic_load_n(&t->c.state, __ATOMIC_RELAXED) == 0) {
		t->armed = true;
		/* Relaxed: we hold a reference; this one is the timer's. */
		__atomic_add_fetch(&t->c.base.refs, 1, __ATOMIC_RELAXED);
		/* Far deadlines are armed at a century of uptime instead:
		 * they never fire either way, and the scheduler's sleep
		 * arithmetic (now + wait) stays in range. */
		goc__timer_add(&t->timer, deadline < INT64_MAX / 2
						  ? deadline
						  : INT64_MAX / 2);
	}
	goc_mutex_unlock(&t->c.mu);
	return &t->c.base;
}

goc_ctx_t *
goc_ctx_with_deadline(goc_ctx_t *parent, int64_t deadline)
{
	return goc_ctx_with_deadline_cause(parent, deadline, 0, NULL);
}

static int64_t
after_now(int64_t d)
{
	int64_t now = goc_now();
	if (d > 0 && d > INT64_MAX - now)
		return INT64_MAX;
	return now + d;
}

goc_ctx_t *
goc_ctx_with_timeout(goc_ctx_t *parent, int64_t d)
{
	return goc_ctx_with_deadline_cause(parent, after_now(d), 0, NULL);
}

goc_ctx_t *
goc_ctx_with_timeout_cause(goc_ctx_t *parent, int64_t d, int code,
			   const char *msg)
{
	return goc_ctx_with_deadline_cause(parent, after_now(d), code, msg);
}

goc_ctx_t *
goc_ctx_with_value(goc_ctx_t *parent, const void *key, void *val)
{
	check_parent(parent);
	if (key == NULL)
		goc_panic("nil key");
	struct value_ctx *v = new_node(sizeof(*v), K_VALUE, parent);
	if (v == NULL)
		return NULL;
	v->key = key;
	v->val = val;
	return &v->base;
}

goc_ctx_t *
goc_ctx_without_cancel(goc_ctx_t *parent)
{
	check_parent(parent);
	return new_node(sizeof(struct goc_context), K_WITHOUT, parent);
}

goc_ctx_t *
goc_ctx_custom(goc_ctx_t *parent, const goc_ctx_ops_t *ops, void *impl)
{
	if (ops == NULL)
		goc_panic("context: nil custom context operations");
	struct custom_ctx *cu = new_node(sizeof(*cu), K_CUSTOM, parent);
	if (cu == NULL)
		return NULL;
	cu->ops = ops;
	cu->impl = impl;
	return &cu->base;
}

void
goc_ctx_cancel(goc_ctx_t *ctx)
{
	if (ctx != NULL && cancellable(ctx))
		cancel_full(CC(ctx), true, GOC_ECANCELED, 0, NULL);
}

void
goc_ctx_cancel_cause(goc_ctx_t *ctx, int code, const char *msg)
{
	if (ctx == NULL || !cancellable(ctx))
		return;
	struct cancel_ctx *c = CC(ctx);
	struct cause *k = NULL;
	/* Relaxed: only saves a copy; the walk decides under the lock. */
	if (code != 0 && msg != NULL &&
	    __atomic_load_n(&c->state, __ATOMIC_RELAXED) == 0)
		k = cause_new(msg); /* NULL: keep the code, drop the text */
	cancel_full(c, true, GOC_ECANCELED, code, k);
	cause_unref(k);
}

/* ---- queries --------------------------------------------------------- */

goc_chan_t *
goc_ctx_done(goc_ctx_t *ctx)
{
	if (GOC_LIKELY(cancellable(ctx)))
		return cancel_done(CC(ctx));
	for (struct goc_context *n = ctx;;) {
		switch (n->kind) {
		case K_BACKGROUND:
		case K_TODO:
		case K_WITHOUT:
			return NULL;
		case K_VALUE:
			n = n->parent;
			break;
		case K_CUSTOM: {
			struct custom_ctx *cu = (struct custom_ctx *)n;
			if (cu->ops->done != NULL)
				return cu->ops->done(cu->impl);
			if (n->parent == NULL)
				return NULL;
			n = n->parent;
			break;
		}
		default:
			return cancel_done(CC(n));
		}
	}
}

int
goc_ctx_err(goc_ctx_t *ctx)
{
	for (struct goc_context *n = ctx;;) {
		switch (n->kind) {
		case K_BACKGROUND:
		case K_TODO:
		case K_WITHOUT:
			return 0;
		case K_VALUE:
			n = n->parent;
			break;
		case K_CUSTOM: {
			struct custom_ctx *cu = (struct custom_ctx *)n;
			if (cu->ops->err != NULL)
				return cu->ops->err(cu->impl);
			if (n->parent == NULL)
				return 0;
			n = n->parent;
			break;
		}
		default: {
			struct cancel_ctx *c = CC(n);
			/* Acquire: pairs with the release stores in mark(). */
			int32_t s =
				__atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
			if (GOC_LIKELY(s == 0))
				return 0;
			if (s == CANCELLING)
				s = settled(c);
			goc__race_acquire(c);
			return s;
		}
		}
	}
}

int
goc_ctx_cause(goc_ctx_t *ctx, const char **msg)
{
	struct cause *k;
	int code = find_cause(ctx, &k);

	if (msg != NULL)
		*msg = code == 0   ? NULL
		       : k != NULL ? k->msg
				   : goc_strerror(code);
	return code;
}

bool
goc_ctx_deadline(goc_ctx_t *ctx, int64_t *deadline)
{
	for (struct goc_context *n = ctx;;) {
		switch (n->kind) {
		case K_BACKGROUND:
		case K_TODO:
		case K_WITHOUT:
			return false;
		case K_TIMER:
			*deadline = ((struct timer_ctx *)n)->deadline;
			return true;
		case K_CUSTOM: {
			struct custom_ctx *cu = (struct custom_ctx *)n;
			if (cu->ops->deadline != NULL)
				return cu->ops->deadline(cu->impl, deadline);
			if (n->parent == NULL)
				return false;
			n = n->parent;
			break;
		}
		default:
			n = n->parent;
			break;
		}
	}
}

void *
goc_ctx_value(goc_ctx_t *ctx, const void *key)
{
	for (struct goc_context *n = ctx; n != NULL;) {
		switch (n->kind) {
		case K_BACKGROUND:
		case K_TODO:
			return NULL;
		case K_VALUE: {
			struct value_ctx *v = (struct value_ctx *)n;
			if (v->key == key)
				return v->val;
			n = n->parent;
			break;
		}
		case K_CUSTOM: {
			struct custom_ctx *cu = (struct custom_ctx *)n;
			void *val;
			if (cu->ops->value != NULL &&
			    cu->ops->value(cu->impl, key, &val))
				return val;
			n = n->parent;
			break;
		}
		default:
			n = n->parent;
			break;
		}
	}
	return NULL;
}

const char *
goc_ctx_name(goc_ctx_t *ctx)
{
	switch (ctx->kind) {
	case K_BACKGROUND:
		return "context.Background";
	case K_TODO:
		return "context.TODO";
	case K_WITHOUT:
		return "context.WithoutCancel";
	case K_VALUE:
		return "context.WithValue";
	case K_CUSTOM:
		return "context.Custom";
	case K_TIMER:
		return "context.WithDeadline";
	default:
		return "context.WithCancel";
	}
}

int
goc__ctx_nchildren(goc_ctx_t *ctx)
{
	if (!cancellable(ctx))
		return 0;
	struct cancel_ctx *c = CC(ctx);
	int n = 0;
	goc_mutex_lock(&c->mu);
	for (struct cancel_ctx *k = c->children; k != NULL; k = k->next)
		n++;
	goc_mutex_unlock(&c->mu);
	return n;
}

/* ---- after-funcs ----------------------------------------------------- */

goc_ctx_after_t *
goc_ctx_after_func(goc_ctx_t *ctx, void (*fn)(void *), void *arg)
{
	check_parent(ctx);
	struct goc_ctx_after *a = new_node(sizeof(*a), K_AFTER, ctx);
	if (a == NULL)
		return NULL;
	a->fn = fn;
	a->arg = arg;
	a->c.strong = true;
	goc__race_release(a); /* pairs with the acquire in finish() */
	if (propagate(&a->c, ctx) != 0) {
		goc_ctx_release(&a->c.base);
		return NULL;
	}
	return a;
}

bool
goc_ctx_after_stop(goc_ctx_after_t *a)
{
	uint32_t zero = 0;
	/* Acq_rel: see finish(). */
	if (!__atomic_compare_exchange_n(&a->once, &zero, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return false;
	cancel_full(&a->c, true, GOC_ECANCELED, 0, NULL);
	return true;
}

void
goc_ctx_after_release(goc_ctx_after_t *a)
{
	if (a != NULL)
		goc_ctx_release(&a->c.base);
}

/* ---- blocking with a context ----------------------------------------- */

int
goc_sleep_ctx(goc_ctx_t *ctx, int64_t d)
{
	goc_chan_t *done = goc_ctx_done(ctx);
	if (done == NULL) {
		goc_sleep(d);
		return 0;
	}
	int err = goc_ctx_err(ctx);
	if (err != 0 || d <= 0)
		return err;
	goc_timer_t *t = goc_timer_new(d);
	if (t == NULL)
		return GOC_ENOMEM;
	goc_case_t cs[2] = {
		GOC_RECV(done, NULL),
		GOC_RECV(goc_timer_chan(t), NULL),
	};
	int i = goc_select(cs, 2);
	goc_timer_release(t);
	return i == 0 ? goc_ctx_err(ctx) : 0;
}
