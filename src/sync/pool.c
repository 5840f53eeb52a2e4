/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_pool_t, after Go 1.25 sync/pool.go (Put, Get, getSlow, pin,
 * pinSlow, poolCleanup) over the per-P deque chain of poolchain.c. See
 * docs/design/sync.md ("Pool").
 *
 * Structure. A generation is an array of per-P locals, indexed by P id:
 * a private slot only the P's running goroutine touches, and a poolchain
 * the P pushes and pops at the head while other Ps steal at the tail.
 * A pool has a primary generation (where puts go) and a victim one (the
 * primary of the previous cycle, still searched by gets). Threads the
 * library did not create have no P: they use a locked stash (and its
 * victim), which goroutines also search before allocating.
 *
 * Pinning. Go pins a goroutine to its P by disabling preemption.
 * libgoconc never preempts, so a goroutine stays on its P until it
 * parks, yields or enters a system call, none of which a get or put does
 * between pin and unpin (new_fn and free_fn run outside). pin() makes
 * the P's poolpin counter odd with a seq_cst store, then loads the
 * generation pointers seq_cst; unpin() makes it even with a release
 * store.
 *
 * The cycle (goc_pool_sweep, Go's poolCleanup). Under pools_lock, for
 * every pool: victim := primary, primary := NULL (seq_cst stores); the
 * old victim, generations retired by growth and the old stash victim are
 * set aside. Then the grace period: for every P whose poolpin is odd,
 * wait until it changes. A get or put that could still hold an old
 * generation pointer is one whose pin store precedes the sweeper's
 * pointer store in the seq_cst order (otherwise its seq_cst load would
 * see the new pointers), so the sweeper's later seq_cst load of poolpin
 * sees it odd, or a later value; either way, once the value changes that
 * operation has ended, and its release unpin (or the P hand-off to the
 * next M that ran a later one) orders it before the frees. Only then are
 * the set-aside objects passed to free_fn and the generations freed.
 *
 * Asymmetric pins. The seq_cst pin store is an `xchg` on x86_64, most of
 * an uncontended get or put. Where the kernel offers membarrier(2)
 * (MEMBARRIER_CMD_PRIVATE_EXPEDITED; not in TSan or race builds, whose
 * detector cannot see it), the pin store is a plain store followed by a
 * compiler barrier, and the cycle calls membarrier after its pointer
 * stores and before its loads of poolpin: every thread running then
 * executes a full barrier. A pin store before that barrier is visible to
 * the sweeper's loads that follow it, which wait for the operation as
 * above; a pin store after it is followed, in its thread, by loads that
 * come after the barrier too and so see the new pointers (a thread not
 * running passed the barrier of its last context switch). This is the
 * Dekker pattern with the heavy fence on the rare side, as in userspace
 * RCU's membarrier flavour.
 *
 * GOMAXPROCS. A P whose id is beyond the primary generation (goc_maxprocs
 * grew) builds a bigger one under the pool's lock (Go's pinSlow); the old
 * one goes on the retired list, whose objects the next cycle frees after
 * its grace period. Ps beyond a shrunk GOMAXPROCS keep their locals;
 * other Ps steal from them as from anyone.
 *
 * Lock order: pools_lock, then a pool's _lock, then sched.lock. No lock
 * is held while the grace period waits except pools_lock, which no
 * pinned operation takes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "goconc/sync.h"
#include "internal/arch.h"
#include "internal/compiler.h"
#include "os/os.h"
#include "rt/race.h"
#include "sched/proc.h"
#include "sched/runtime2.h"
#include "sync/pool.h"
#include "sync/poolchain.h"

struct pool_local {
	void *private;               /* (pinned owner P) */
	struct goc_poolchain shared; /* head: owner P; tail: anyone pinned */
} GOC_ALIGNED(GOC_CACHELINE);

struct pool_gen {
	uint32_t n;            /* (immutable) number of locals */
	uint32_t empty;        /* (atomic) a victim found drained */
	goc_pool_t *pool;      /* (pools_lock) owner while set aside */
	struct pool_gen *link; /* (pool lock / pools_lock) retired, set aside */
	struct pool_local locals[];
};

/* Objects from threads without a P; (the pool's _lock). */
struct pool_stash {
	size_t n, cap;
	goc_pool_t *pool;
	struct pool_stash *link; /* set aside by a cycle */
	void *obj[];
};

static struct goc_rtlock pools_lock; /* rank: above every pool's _lock */
/* (pools_lock to write; atomic read) whether pins publish with a plain
 * store and the cycle with membarrier (the top of the file); decided at
 * the first goc_pool_init, before any pool operation. */
static bool pool_asym;
static bool pool_asym_tried; /* (pools_lock) */
static goc_pool_t *allpools; /* (pools_lock) */
static uint32_t npools;      /* (pools_lock; atomic read) */
/* Milliseconds between cycles run by sysmon; -1 until GOCONC_POOLSWEEP
 * is read. (atomic) */
static int64_t sweep_ms = -1;
static int64_t sweep_next; /* (sysmon) */
/* (pools_lock) snapshot of allp for the grace period */
static struct goc_p *grace_ps[GOC_MAXPROCS_LIMIT];

#define DEFAULT_SWEEP_MS 1000

static struct goc_rtlock *
pool_lock(goc_pool_t *p)
{
	/* _lock is a struct goc_rtlock: one uint32_t key. */
	_Static_assert(sizeof(struct goc_rtlock) == sizeof(uint32_t),
		       "goc_pool_t._lock holds a goc_rtlock");
	return (struct goc_rtlock *)(void *)&p->_lock;
}

static void
drop(goc_pool_t *p, void *x)
{
	if (p->_free != NULL)
		p->_free(x, p->_arg);
}

/* ---- generations -------------------------------------------------- */

static struct pool_gen *
gen_new(uint32_t n)
{
	void *mem;
	size_t size = sizeof(struct pool_gen) + n * sizeof(struct pool_local);

	if (posix_memalign(&mem, GOC_CACHELINE, size) != 0)
		return NULL;
	memset(mem, 0, size);
	struct pool_gen *g = mem;
	g->n = n;
	return g;
}

/* gen_drain frees g and every object in it. Nobody else may use g. */
static void
gen_drain(goc_pool_t *p, struct pool_gen *g)
{
	for (uint32_t i = 0; i < g->n; i++) {
		struct pool_local *l = &g->locals[i];
		void *x;
		if (l->private != NULL)
			drop(p, l->private);
		while ((x = goc__poolchain_pop_head(&l->shared)) != NULL)
			drop(p, x);
		goc__poolchain_free(&l->shared);
	}
	free(g);
}

static void
stash_drain(goc_pool_t *p, struct pool_stash *s)
{
	for (size_t i = 0; i < s->n; i++)
		drop(p, s->obj[i]);
	free(s);
}

/* ---- pinning ------------------------------------------------------ */

static inline struct goc_p *
pin_p(void)
{
	struct goc_m *m = goc__getm();
	struct goc_p *pp;

	/* No M (a foreign thread) or no P (inside a system call). */
	if (m == NULL || (pp = m->p) == NULL)
		return NULL;
	/* Only this P's running goroutine writes poolpin: relaxed read. */
	uint32_t v = __atomic_load_n(&pp->poolpin, __ATOMIC_RELAXED);
	/* Relaxed: set before any pool exists, never changed after. */
	if (GOC_LIKELY(__atomic_load_n(&pool_asym, __ATOMIC_RELAXED))) {
		/* Asymmetric: the sweeper's membarrier stands in for our
		 * store-load fence (top of the file); the compiler must
		 * still keep the store before the loads that follow. */
		__atomic_store_n(&pp->poolpin, v + 1, __ATOMIC_RELAXED);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		return pp;
	}
	/* Seq_cst: ordered before our seq_cst loads of the generation
	 * pointers, against the sweeper's seq_cst stores of them and its
	 * later load of poolpin (see the top of the file). */
	__atomic_store_n(&pp->poolpin, v + 1, __ATOMIC_SEQ_CST);
	return pp;
}

static void
unpin(struct goc_p *pp)
{
	uint32_t v = __atomic_load_n(&pp->poolpin, __ATOMIC_RELAXED);
	/* Release: everything this operation did to the generation happens
	 * before a sweeper that sees the new value frees it. */
	__atomic_store_n(&pp->poolpin, v + 1, __ATOMIC_RELEASE);
}

/*
 * pin_slow gives the pool a primary generation with room for pp (Go's
 * pinSlow). Called unpinned. False when memory ran out.
 */
static bool
pin_slow(goc_pool_t *p, struct goc_p *pp)
{
	bool ok = true;

	goc__lock(pool_lock(p));
	/* Under _lock, which orders it against other growers; the sweeper
	 * also swaps under _lock. */
	struct pool_gen *g = __atomic_load_n(&p->_local, __ATOMIC_SEQ_CST);
	if (g == NULL || (uint32_t)pp->id >= g->n) {
		uint32_t n = (uint32_t)__atomic_load_n(&goc__sched.gomaxprocs,
						       __ATOMIC_ACQUIRE);
		if (n <= (uint32_t)pp->id)
			n = (uint32_t)pp->id + 1;
		struct pool_gen *ng = gen_new(n);
		if (ng == NULL) {
			ok = false;
		} else {
			if (g != NULL) {
				/* Pinned operations elsewhere may still use
				 * g: the next cycle frees it after its
				 * grace period. */
				g->link = p->_retired;
				p->_retired = g;
			}
			/* Seq_cst: as the sweeper's stores. */
			__atomic_store_n(&p->_local, ng, __ATOMIC_SEQ_CST);
		}
	}
	goc__unlock(pool_lock(p));
	return ok;
}

/*
 * pin pins the caller to its P and returns its local in the primary
 * generation, or NULL on a thread without a P (or when memory for a
 * generation ran out): use the stash then.
 */
static GOC_NOINLINE struct pool_local *
pin_slowpath(goc_pool_t *p, struct goc_p **ppp, struct goc_p *pp);

/* Inline: every get and put pins twice over (pin, then unpin), and the
 * common case is a few loads and one store. */
static inline __attribute__((always_inline)) struct pool_local *
pin(goc_pool_t *p, struct goc_p **ppp)
{
	struct goc_p *pp = pin_p();
	if (GOC_LIKELY(pp != NULL)) {
		/* Seq_cst: see pin_p. */
		struct pool_gen *g =
			__atomic_load_n(&p->_local, __ATOMIC_SEQ_CST);
		if (GOC_LIKELY(g != NULL && (uint32_t)pp->id < g->n)) {
			*ppp = pp;
			return &g->locals[pp->id];
		}
	}
	return pin_slowpath(p, ppp, pp);
}

/* pin when pp is NULL or the generation has no room for it yet. */
static GOC_NOINLINE struct pool_local *
pin_slowpath(goc_pool_t *p, struct goc_p **ppp, struct goc_p *pp)
{
	for (;;) {
		if (pp == NULL)
			return NULL;
		/* Seq_cst: see pin_p. */
		struct pool_gen *g =
			__atomic_load_n(&p->_local, __ATOMIC_SEQ_CST);
		if (g != NULL && (uint32_t)pp->id < g->n) {
			*ppp = pp;
			return &g->locals[pp->id];
		}
		unpin(pp);
		/* pin_slow blocks only the M (a runtime lock): the
		 * goroutine stays on pp. */
		if (!pin_slow(p, pp))
			return NULL;
		pp = pin_p();
	}
}

/* ---- the foreign stash -------------------------------------------- */

static bool
stash_push(struct pool_stash **sp, goc_pool_t *p, void *x)
{
	struct pool_stash *s = *sp;

	if (s == NULL || s->n == s->cap) {
		size_t cap = s != NULL ? s->cap * 2 : 16;
		struct pool_stash *ns =
			realloc(s, sizeof(*s) + cap * sizeof(void *));
		if (ns == NULL)
			return false;
		if (s == NULL) {
			ns->n = 0;
			ns->link = NULL;
		}
		ns->cap = cap;
		ns->pool = p;
		*sp = s = ns;
	}
	s->obj[s->n++] = x;
	return true;
}

static void *
stash_pop(struct pool_stash *s)
{
	return s != NULL && s->n > 0 ? s->obj[--s->n] : NULL;
}

/* stash_get takes an object from the stash or its victim, or NULL. */
static void *
stash_get(goc_pool_t *p)
{
	/* A hint: a racing put is as if it came after this get. */
	if (__atomic_load_n(&p->_stash_len, __ATOMIC_RELAXED) == 0)
		return NULL;
	goc__lock(pool_lock(p));
	void *x = stash_pop(p->_stash);
	if (x == NULL)
		x = stash_pop(p->_stash_victim);
	if (x != NULL)
		__atomic_store_n(&p->_stash_len, p->_stash_len - 1,
				 __ATOMIC_RELAXED);
	goc__unlock(pool_lock(p));
	return x;
}

static void
stash_put(goc_pool_t *p, void *x)
{
	goc__lock(pool_lock(p));
	bool ok = stash_push((struct pool_stash **)&p->_stash, p, x);
	if (ok)
		__atomic_store_n(&p->_stash_len, p->_stash_len + 1,
				 __ATOMIC_RELAXED);
	goc__unlock(pool_lock(p));
	if (!ok)
		drop(p, x);
}

/* ---- Get and Put -------------------------------------------------- */

void
goc_pool_init(goc_pool_t *p, void *(*new_fn)(void *arg),
	      void (*free_fn)(void *obj, void *arg), void *arg)
{
	memset(p, 0, sizeof(*p));
	p->_new = new_fn;
	p->_free = free_fn;
	p->_arg = arg;
	goc__lock(&pools_lock);
	if (!pool_asym_tried) {
		pool_asym_tried = true;
		/* TSan (and the race build) cannot see the kernel's fence:
		 * they keep the seq_cst pin, whose order they follow. */
		if (!GOC_TSAN_ENABLED && !GOC_RACE_ENABLED &&
		    goc_os_membarrier_register())
			__atomic_store_n(&pool_asym, true, __ATOMIC_RELAXED);
	}
	p->_next = allpools;
	if (allpools != NULL)
		allpools->_prev = p;
	allpools = p;
	__atomic_store_n(&npools, npools + 1, __ATOMIC_RELAXED);
	goc__unlock(&pools_lock);
}

/*
 * Race builds (rt/race.h): as Go's pool, a Put of x releases a sync object
 * chosen by x's address and the Get that returns x acquires it, so the
 * pool orders a put before the get of the same object and nothing else.
 */
#if GOC_RACE_ENABLED
static char pool_race_objs[128];

static const void *
pool_race_addr(const void *x)
{
	uintptr_t h = (uintptr_t)x >> 3;
	return &pool_race_objs[(h * 0x9e3779b97f4a7c15ULL >> 57) & 127];
}
#endif

void
goc_pool_put(goc_pool_t *p, void *x)
{
	struct goc_p *pp;

	if (x == NULL)
		return;
#if GOC_RACE_ENABLED
	goc__race_release(pool_race_addr(x));
#endif
	struct pool_local *l = pin(p, &pp);
	if (l == NULL) {
		stash_put(p, x);
		return;
	}
	bool ok = true;
	if (l->private == NULL)
		l->private = x;
	else
		ok = goc__poolchain_push_head(&l->shared, x);
	unpin(pp);
	if (!ok)
		drop(p, x); /* no memory for a new segment */
}

/*
 * get_slow steals from the other Ps, then looks in the stash and the
 * victim generation (Go's getSlow, plus the stash). Pinned.
 */
static void *
get_slow(goc_pool_t *p, struct goc_p *pp)
{
	uint32_t pid = (uint32_t)pp->id;
	void *x;
	/* Seq_cst: see pin_p. */
	struct pool_gen *g = __atomic_load_n(&p->_local, __ATOMIC_SEQ_CST);

	/* Steal from the tail of every other P's chain. */
	for (uint32_t i = 0; g != NULL && i < g->n; i++) {
		struct pool_local *l = &g->locals[(pid + i + 1) % g->n];
		if ((x = goc__poolchain_pop_tail(&l->shared)) != NULL)
			return x;
	}
	if ((x = stash_get(p)) != NULL)
		return x;
	/* The victim: our private slot first, then steal (Go's order). */
	struct pool_gen *v = __atomic_load_n(&p->_victim, __ATOMIC_SEQ_CST);
	/* Relaxed: a stale answer only costs a search. */
	if (v == NULL || __atomic_load_n(&v->empty, __ATOMIC_RELAXED) != 0)
		return NULL;
	if (pid < v->n && (x = v->locals[pid].private) != NULL) {
		v->locals[pid].private = NULL;
		return x;
	}
	for (uint32_t i = 0; i < v->n; i++) {
		struct pool_local *l = &v->locals[(pid + i) % v->n];
		if ((x = goc__poolchain_pop_tail(&l->shared)) != NULL)
			return x;
	}
	/* Nobody puts into a victim: mark it so later gets skip it. Other
	 * Ps' private slots may still hold objects; the cycle frees them. */
	__atomic_store_n(&v->empty, 1, __ATOMIC_RELAXED);
	return NULL;
}

void *
goc_pool_get(goc_pool_t *p)
{
	struct goc_p *pp;
	void *x;
	struct pool_local *l = pin(p, &pp);

	if (l == NULL) {
		x = stash_get(p);
	} else {
		/* Go's order: private, own chain's head, then get_slow. */
		x = l->private;
		l->private = NULL;
		if (x == NULL) {
			x = goc__poolchain_pop_head(&l->shared);
			if (x == NULL)
				x = get_slow(p, pp);
		}
		unpin(pp);
	}
#if GOC_RACE_ENABLED
	if (x != NULL)
		goc__race_acquire(pool_race_addr(x));
#endif
	if (x == NULL && p->_new != NULL)
		x = p->_new(p->_arg);
	return x;
}

/* ---- the cycle ---------------------------------------------------- */

/* grace waits until no P is inside an operation that began before it
 * was called. Under pools_lock. */
static void
grace(void)
{
	struct goc_sched *s = &goc__sched;
	int np = 0;

	goc__lock(&s->lock);
	if (s->allp != NULL)
		while (np < GOC_MAXPROCS_LIMIT && s->allp[np] != NULL) {
			grace_ps[np] = s->allp[np];
			np++;
		}
	goc__unlock(&s->lock);
	/* Asymmetric pins: every running thread passes a full barrier, so
	 * a pin store that came before it is visible to the loads below,
	 * and a pin that comes after it sees the pointers stored before
	 * (the top of the file). */
	if (__atomic_load_n(&pool_asym, __ATOMIC_RELAXED))
		goc_os_membarrier();
	for (int i = 0; i < np; i++) {
		struct goc_p *pp = grace_ps[i];
		/* Seq_cst: see the top of the file. */
		uint32_t v = __atomic_load_n(&pp->poolpin, __ATOMIC_SEQ_CST);
		if ((v & 1) == 0)
			continue;
		/* Acquire: pairs with unpin's release store. A get or put
		 * is short and never blocks on another goroutine. */
		for (int spins = 0;
		     __atomic_load_n(&pp->poolpin, __ATOMIC_ACQUIRE) == v;
		     spins++) {
			if (spins < 100)
				goc_arch_pause();
			else
				goc_os_usleep(10);
		}
	}
}

void
goc_pool_sweep(void)
{
	struct pool_gen *gens = NULL;
	struct pool_stash *stashes = NULL;

	goc__lock(&pools_lock);
	for (goc_pool_t *p = allpools; p != NULL; p = p->_next) {
		goc__lock(pool_lock(p));
		struct pool_gen *old = p->_victim;
		/* Seq_cst: against pin's seq_cst loads (top of file). The
		 * primary becomes the victim and the old victim becomes
		 * unreachable for operations that pin from now on. */
		__atomic_store_n(&p->_victim, p->_local, __ATOMIC_SEQ_CST);
		__atomic_store_n(&p->_local, NULL, __ATOMIC_SEQ_CST);
		if (old != NULL) {
			old->pool = p;
			old->link = gens;
			gens = old;
		}
		while (p->_retired != NULL) {
			struct pool_gen *g = p->_retired;
			p->_retired = g->link;
			g->pool = p;
			g->link = gens;
			gens = g;
		}
		struct pool_stash *os = p->_stash_victim;
		p->_stash_victim = p->_stash;
		p->_stash = NULL;
		if (os != NULL) {
			__atomic_store_n(&p->_stash_len,
					 p->_stash_len - (uint32_t)os->n,
					 __ATOMIC_RELAXED);
			os->link = stashes;
			stashes = os;
		}
		goc__unlock(pool_lock(p));
	}
	/* Stashes were only ever used under their pool's lock. */
	while (stashes != NULL) {
		struct pool_stash *s = stashes;
		stashes = s->link;
		stash_drain(s->pool, s);
	}
	if (gens != NULL) {
		grace();
		while (gens != NULL) {
			struct pool_gen *g = gens;
			gens = g->link;
			gen_drain(g->pool, g);
		}
	}
	goc__unlock(&pools_lock);
}

void
goc_pool_destroy(goc_pool_t *p)
{
	goc__lock(&pools_lock);
	if (p->_prev != NULL)
		p->_prev->_next = p->_next;
	else
		allpools = p->_next;
	if (p->_next != NULL)
		p->_next->_prev = p->_prev;
	__atomic_store_n(&npools, npools - 1, __ATOMIC_RELAXED);
	goc__unlock(&pools_lock);
	/* No operation on p may run any more (the caller's contract), and
	 * no cycle holds any of its generations (they run under
	 * pools_lock). */
	if (p->_local != NULL)
		gen_drain(p, p->_local);
	if (p->_victim != NULL)
		gen_drain(p, p->_victim);
	while (p->_retired != NULL) {
		struct pool_gen *g = p->_retired;
		p->_retired = g->link;
		gen_drain(p, g);
	}
	if (p->_stash != NULL)
		stash_drain(p, p->_stash);
	if (p->_stash_victim != NULL)
		stash_drain(p, p->_stash_victim);
	memset(p, 0, sizeof(*p));
}

/* ---- sysmon ------------------------------------------------------- */

static int64_t
sweep_period(void)
{
	/* Relaxed: a plain setting, read again at every sysmon tick. */
	int64_t ms = __atomic_load_n(&sweep_ms, __ATOMIC_RELAXED);

	if (ms < 0) {
		const char *env = getenv("GOCONC_POOLSWEEP");
		char *end;
		ms = DEFAULT_SWEEP_MS;
		if (env != NULL && *env != 0) {
			long long v = strtoll(env, &end, 10);
			if (*end == 0 && v >= 0)
				ms = v;
		}
		int64_t unset = -1;
		/* Relaxed: losing to goc__pool_set_sweep_ms keeps its
		 * value. */
		if (!__atomic_compare_exchange_n(&sweep_ms, &unset, ms, false,
						 __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
			ms = unset;
	}
	return ms;
}

int64_t
goc__pool_set_sweep_ms(int64_t ms)
{
	int64_t old = sweep_period();

	__atomic_store_n(&sweep_ms, ms, __ATOMIC_RELAXED);
	return old;
}

void
goc__pool_sysmon(int64_t now)
{
	/* Relaxed: a pool registered meanwhile waits for the next tick. */
	if (__atomic_load_n(&npools, __ATOMIC_RELAXED) == 0)
		return;
	int64_t ms = sweep_period();
	if (ms == 0) {
		sweep_next = 0;
		return;
	}
	if (sweep_next == 0) {
		sweep_next = now + ms * 1000000;
		return;
	}
	if (now < sweep_next)
		return;
	sweep_next = now + ms * 1000000;
	goc_pool_sweep();
}
