/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goc_map_t, after Go 1.23 sync/map.go (the read/dirty design: Load,
 * Store, LoadOrStore, LoadAndDelete, Delete, Swap, CompareAndSwap,
 * CompareAndDelete, Range, Clear, missLocked, dirtyLocked and the entry
 * methods), with epoch reclamation in place of Go's garbage collector.
 * See docs/design/sync.md ("Map").
 *
 * Structure. `read` is an immutable hash table (open addressing, linear
 * probing) of entries, read without a lock; its low bit is Go's
 * `amended` (the dirty table holds keys read lacks). `dirty` is a table
 * of the same kind, used only under `mu`; when loads have missed read
 * as many times as dirty has entries, dirty becomes read (promotion) and
 * dirty is rebuilt from it on the next store of a new key. An entry's
 * `p` is a value box, DELETED (Go's nil) or EXPUNGED:
 *  - a box: present, in read and/or dirty;
 *  - DELETED: absent, but the entry is in read (and in dirty if any);
 *  - EXPUNGED: absent, in read only; dirty is not NULL and lacks it.
 * An entry moves EXPUNGED -> DELETED (unexpunge) only under mu, and is
 * then added to dirty in the same critical section.
 *
 * Reclamation. Every operation runs inside an epoch read section (the
 * thread's record of one epoch shared by all maps), with mu a runtime
 * lock (it blocks the thread, never parks the goroutine, so a section
 * never moves between threads). What becomes unreachable is retired and
 * freed after a grace period: a value box replaced or deleted; the old
 * read table at promotion or clear, with the entries only it held (the
 * expunged ones; every entry at clear); an entry removed from dirty that
 * read never had. Range copies the pairs out inside one section and
 * calls f outside any section, so f may block or use the map.
 *
 * Lock order: mu is a leaf (hooks called under it must not lock).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "goconc/map.h"
#include "goconc/sync.h"
#include "internal/compiler.h"
#include "internal/panic.h"
#include "lf/epoch.h"
#include "os/os.h"
#include "sched/lock.h"
#include "sync/map.h"

/* A stored value (Go's *any): replaced as a whole, retired as a whole. */
struct mbox {
	struct goc_epoch_entry retire;
	const goc_map_type_t *type; /* (immutable) for val_free */
	void *val;                  /* (immutable) */
};

struct mentry {
	struct goc_epoch_entry retire;
	const goc_map_type_t *type; /* (immutable) */
	uint64_t hash;              /* (immutable) */
	void *key;                  /* (immutable) the map's copy */
	struct mbox *p;             /* (atomic) a box, DELETED or EXPUNGED */
};

static char deleted_marker, expunged_marker;
#define DELETED  ((struct mbox *)(void *)&deleted_marker)
#define EXPUNGED ((struct mbox *)(void *)&expunged_marker)

static inline bool
is_box(const struct mbox *p)
{
	return p != DELETED && p != EXPUNGED;
}

/* A table: immutable once published as read; (mu) while dirty. */
struct mtab {
	struct goc_epoch_entry retire;
	size_t mask;  /* capacity - 1; capacity a power of two */
	size_t count; /* entries */
	struct mentry *slots[];
};

struct goc_map {
	uintptr_t read; /* (atomic) struct mtab * | amended; 0: empty */
	struct goc_rtlock mu;
	struct mtab *dirty;         /* (mu) */
	size_t misses;              /* (mu) */
	const goc_map_type_t *type; /* (immutable) */
	uint64_t seed;              /* (immutable) */
	uint32_t refs;              /* (atomic) */
};

#define AMENDED       ((uintptr_t)1)
#define RECLAIM_BATCH 128

/* ---- epochs --------------------------------------------------------- */

static struct goc_epoch map_epoch;
static pthread_once_t map_epoch_once = PTHREAD_ONCE_INIT;
static pthread_key_t map_rec_key;
static __thread struct goc_epoch_record *tls_rec;

static void
rec_exit(void *arg)
{
	/* Thread exit: pending frees run after a grace period. */
	goc__epoch_unregister(arg);
}

static void
epoch_setup(void)
{
	goc__epoch_init(&map_epoch);
	if (pthread_key_create(&map_rec_key, rec_exit) != 0)
		goc_fatal("goc_map: out of thread-specific keys");
}

/*
 * rec returns this thread's record. Out of line with a compiler barrier
 * (as goc__getm) so that no caller reuses a thread-local address
 * computed before a goroutine switch (Range calls f between two uses).
 */
static GOC_NOINLINE struct goc_epoch_record *
rec(void)
{
	struct goc_epoch_record *r;

	__asm__ __volatile__("" ::: "memory");
	r = tls_rec;
	if (GOC_LIKELY(r != NULL))
		return r;
	pthread_once(&map_epoch_once, epoch_setup);
	r = goc__epoch_register(&map_epoch);
	if (r == NULL)
		goc_fatal("goc_map: out of memory registering a thread");
	tls_rec = r;
	pthread_setspecific(map_rec_key, r);
	return r;
}

/* maybe_reclaim runs due frees when enough are pending. Not in a
 * section. */
static void
maybe_reclaim(struct goc_epoch_record *r)
{
	if (goc__epoch_pending(r) >= RECLAIM_BATCH)
		goc__epoch_barrier(r);
}

void
goc__map_reclaim(void)
{
	goc__epoch_barrier(rec());
}

static void
box_free_cb(struct goc_epoch_entry *e)
{
	struct mbox *b = goc_container_of(e, struct mbox, retire);

	if (b->type->val_free != NULL)
		b->type->val_free(b->val);
	free(b);
}

static void
entry_free(struct mentry *e)
{
	/* Nobody can reach e: a relaxed read of its final state. */
	struct mbox *p = __atomic_load_n(&e->p, __ATOMIC_RELAXED);

	if (is_box(p))
		box_free_cb(&p->retire);
	if (e->type->key_free != NULL)
		e->type->key_free(e->key);
	free(e);
}

static void
entry_free_cb(struct goc_epoch_entry *ee)
{
	entry_free(goc_container_of(ee, struct mentry, retire));
}

static void
tab_free_cb(struct goc_epoch_entry *e)
{
	free(goc_container_of(e, struct mtab, retire));
}

static void
retire_box(struct goc_epoch_record *r, struct mbox *b)
{
	if (is_box(b))
		goc__epoch_retire(r, &b->retire, box_free_cb);
}

/* ---- tables --------------------------------------------------------- */

static uint64_t
key_hash(goc_map_t *m, const void *key)
{
	/* Mix the user's hash with the map's seed (murmur3's finaliser). */
	uint64_t h = m->type->hash(key) ^ m->seed;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static struct mtab *
tab_new(size_t want)
{
	size_t cap = 8;

	/* Load at most 3/4: a probe always ends at an empty slot. */
	while (cap * 3 / 4 < want + 1)
		cap *= 2;
	struct mtab *t = calloc(1, sizeof(*t) + cap * sizeof(struct mentry *));
	if (t != NULL)
		t->mask = cap - 1;
	return t;
}

static struct mentry *
tab_find(goc_map_t *m, const struct mtab *t, uint64_t h, const void *key)
{
	if (t == NULL)
		return NULL;
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		struct mentry *e = t->slots[i];
		if (e == NULL)
			return NULL;
		if (e->hash == h && m->type->equal(e->key, key))
			return e;
	}
}

/* tab_insert adds e (its key absent); t has room. */
static void
tab_insert(struct mtab *t, struct mentry *e)
{
	size_t i = e->hash & t->mask;

	while (t->slots[i] != NULL)
		i = (i + 1) & t->mask;
	t->slots[i] = e;
	t->count++;
}

/* tab_remove takes e out of t (backward-shift deletion). */
static void
tab_remove(struct mtab *t, struct mentry *e)
{
	size_t i = e->hash & t->mask;

	while (t->slots[i] != e)
		i = (i + 1) & t->mask;
	t->slots[i] = NULL;
	t->count--;
	/* Move later members of the run back into the hole when their
	 * home slot does not lie cyclically in (hole, j]. */
	for (size_t j = (i + 1) & t->mask; t->slots[j] != NULL;
	     j = (j + 1) & t->mask) {
		size_t home = t->slots[j]->hash & t->mask;
		bool between = i <= j ? (i < home && home <= j)
				      : (i < home || home <= j);
		if (!between) {
			t->slots[i] = t->slots[j];
			t->slots[j] = NULL;
			i = j;
		}
	}
}

static bool
tab_has_room(const struct mtab *t)
{
	return (t->count + 2) * 4 <= (t->mask + 1) * 3;
}

/* dirty_reserve makes room for one more dirty entry. (mu) */
static bool
dirty_reserve(goc_map_t *m)
{
	struct mtab *d = m->dirty;

	if (tab_has_room(d))
		return true;
	struct mtab *n = tab_new((d->mask + 1) * 2);
	if (n == NULL)
		return false;
	for (size_t i = 0; i <= d->mask; i++)
		if (d->slots[i] != NULL)
			tab_insert(n, d->slots[i]);
	/* dirty is only ever used under mu: free at once. */
	free(d);
	m->dirty = n;
	return true;
}

static inline struct mtab *
read_tab(uintptr_t r)
{
	return (struct mtab *)(r & ~AMENDED);
}

static inline uintptr_t
load_read(goc_map_t *m)
{
	/* Acquire: pairs with the release stores of read, so a table's
	 * contents and its entries' keys are visible. */
	return __atomic_load_n(&m->read, __ATOMIC_ACQUIRE);
}

static inline void
store_read(goc_map_t *m, uintptr_t r)
{
	/* Release: publishes the table (see load_read). */
	__atomic_store_n(&m->read, r, __ATOMIC_RELEASE);
}

/* Entry states: Go's entry methods. */

static inline struct mbox *
entry_load(struct mentry *e)
{
	/* Acquire: pairs with the CAS that installed the box, so the box's
	 * value is visible. */
	return __atomic_load_n(&e->p, __ATOMIC_ACQUIRE);
}

static inline bool
entry_cas(struct mentry *e, struct mbox **old, struct mbox *new)
{
	/* Acq_rel: publishes a new box (release) and reads the old one's
	 * contents (acquire). */
	return __atomic_compare_exchange_n(&e->p, old, new, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* unexpunge_locked: EXPUNGED -> DELETED; true if it was expunged (the
 * caller adds e to dirty). (mu) */
static bool
unexpunge_locked(struct mentry *e)
{
	struct mbox *exp = EXPUNGED;

	return entry_cas(e, &exp, DELETED);
}

/* try_expunge_locked: DELETED -> EXPUNGED; true if e is (now) expunged.
 * (mu) */
static bool
try_expunge_locked(struct mentry *e)
{
	struct mbox *p = entry_load(e);

	while (p == DELETED)
		if (entry_cas(e, &p, EXPUNGED))
			return true;
	return p == EXPUNGED;
}

/* dirty_locked builds dirty from read if there is none (Go's
 * dirtyLocked). (mu) */
static bool
dirty_locked(goc_map_t *m)
{
	if (m->dirty != NULL)
		return true;
	struct mtab *r = read_tab(load_read(m));
	struct mtab *d = tab_new(r != NULL ? r->count + 1 : 1);
	if (d == NULL)
		return false;
	for (size_t i = 0; r != NULL && i <= r->mask; i++) {
		struct mentry *e = r->slots[i];
		if (e != NULL && !try_expunge_locked(e))
			tab_insert(d, e);
	}
	m->dirty = d;
	return true;
}

/* promote_locked makes dirty the read table (Go's missLocked tail). */
static void
promote_locked(goc_map_t *m, struct goc_epoch_record *r)
{
	struct mtab *old = read_tab(load_read(m));

	store_read(m, (uintptr_t)m->dirty);
	m->dirty = NULL;
	m->misses = 0;
	if (old == NULL)
		return;
	/* The old table's expunged entries are in no other table. */
	for (size_t i = 0; i <= old->mask; i++) {
		struct mentry *e = old->slots[i];
		if (e != NULL && entry_load(e) == EXPUNGED)
			goc__epoch_retire(r, &e->retire, entry_free_cb);
	}
	goc__epoch_retire(r, &old->retire, tab_free_cb);
}

static void
miss_locked(goc_map_t *m, struct goc_epoch_record *r)
{
	m->misses++;
	if (m->dirty == NULL || m->misses < m->dirty->count)
		return;
	promote_locked(m, r);
}

static struct mentry *
entry_new(goc_map_t *m, uint64_t h, const void *key, struct mbox *b)
{
	struct mentry *e = malloc(sizeof(*e));

	if (e == NULL)
		return NULL;
	e->type = m->type;
	e->hash = h;
	e->key = (void *)(uintptr_t)key;
	if (m->type->key_copy != NULL &&
	    (e->key = m->type->key_copy(key)) == NULL) {
		free(e);
		return NULL;
	}
	e->p = b;
	return e;
}

static struct mbox *
box_new(goc_map_t *m, void *val)
{
	struct mbox *b = malloc(sizeof(*b));

	if (b != NULL) {
		b->type = m->type;
		b->val = val;
	}
	return b;
}

/* out hands a value out (val_copy). In a section. */
static void *
out(goc_map_t *m, struct mbox *b)
{
	return m->type->val_copy != NULL ? m->type->val_copy(b->val) : b->val;
}

static bool
val_eq(goc_map_t *m, const void *a, const void *b)
{
	return m->type->val_equal != NULL ? m->type->val_equal(a, b) : a == b;
}

/*
 * map_empty: read is an empty table and not amended, so the map holds
 * nothing now; an operation that only finds may return at once (it
 * takes effect at this load) without a section.
 */
static inline bool
map_empty(goc_map_t *m)
{
	/* Relaxed: nothing is read through the value, only its zero. */
	return __atomic_load_n(&m->read, __ATOMIC_RELAXED) == 0;
}

/* ---- the map -------------------------------------------------------- */

goc_map_t *
goc_map_new(const goc_map_type_t *type)
{
	goc_map_t *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->type = type;
	m->seed = (uint64_t)goc_os_nanotime() * 0x9e3779b97f4a7c15ULL ^
		  (uint64_t)(uintptr_t)m;
	m->refs = 1;
	return m;
}

goc_map_t *
goc_map_retain(goc_map_t *m)
{
	/* Relaxed: a reference is only ever passed on by its holder. */
	__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
	return m;
}

void
goc_map_release(goc_map_t *m)
{
	/* Acq_rel: every use through other references happens before the
	 * free below. */
	if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* Nobody uses m: free every table and entry now. An entry is in
	 * read, in dirty, or in both. */
	struct mtab *r = read_tab(m->read), *d = m->dirty;
	for (size_t i = 0; r != NULL && i <= r->mask; i++)
		if (r->slots[i] != NULL &&
		    tab_find(m, d, r->slots[i]->hash, r->slots[i]->key) !=
			    r->slots[i])
			entry_free(r->slots[i]);
	for (size_t i = 0; d != NULL && i <= d->mask; i++)
		if (d->slots[i] != NULL)
			entry_free(d->slots[i]);
	free(r);
	free(d);
	free(m);
}

bool
goc_map_load(goc_map_t *m, const void *key, void **val)
{
	if (map_empty(m))
		return false;
	struct goc_epoch_record *r = rec();
	uint64_t h = key_hash(m, key);
	bool ok = false;

	goc__epoch_begin(r);
	uintptr_t rd = load_read(m);
	struct mentry *e = tab_find(m, read_tab(rd), h, key);
	if (e == NULL && (rd & AMENDED) != 0) {
		goc__lock(&m->mu);
		/* Read again under mu: a promotion may have happened. */
		rd = load_read(m);
		e = tab_find(m, read_tab(rd), h, key);
		if (e == NULL && (rd & AMENDED) != 0) {
			e = tab_find(m, m->dirty, h, key);
			/* Count the miss either way: the next ones take
			 * this slow path until dirty is promoted. */
			miss_locked(m, r);
		}
		goc__unlock(&m->mu);
	}
	if (e != NULL) {
		struct mbox *b = entry_load(e);
		if (is_box(b)) {
			ok = true;
			if (val != NULL)
				*val = out(m, b);
		}
	}
	goc__epoch_end(r);
	return ok;
}

/*
 * swap is Go's Swap (Store is Swap without the result). b is a new box
 * for val. Returns 1 with *prev (a box, to hand out and retire) if a
 * value was replaced, 0 if not, GOC_ENOMEM (b unused). In a section.
 */
static int
swap(goc_map_t *m, struct goc_epoch_record *r, uint64_t h, const void *key,
     struct mbox *b, struct mbox **prev)
{
	struct mentry *e = tab_find(m, read_tab(load_read(m)), h, key);
	if (e != NULL) {
		/* Go's trySwap: any state but expunged. */
		struct mbox *p = entry_load(e);
		while (p != EXPUNGED) {
			if (entry_cas(e, &p, b)) {
				*prev = p;
				return is_box(p);
			}
		}
	}
	int ret = 0;
	goc__lock(&m->mu);
	uintptr_t rd = load_read(m);
	*prev = DELETED;
	if ((e = tab_find(m, read_tab(rd), h, key)) != NULL) {
		/* An expunged entry must join dirty before it holds a
		 * value: make room first so that nothing fails after. */
		if (__atomic_load_n(&e->p, __ATOMIC_RELAXED) == EXPUNGED &&
		    !dirty_reserve(m)) {
			ret = GOC_ENOMEM;
			goto out;
		}
		if (unexpunge_locked(e))
			tab_insert(m->dirty, e);
		/* Under mu the entry cannot be expunged: a plain swap. */
		*prev = __atomic_exchange_n(&e->p, b, __ATOMIC_ACQ_REL);
	} else if ((e = tab_find(m, m->dirty, h, key)) != NULL) {
		*prev = __atomic_exchange_n(&e->p, b, __ATOMIC_ACQ_REL);
	} else {
		struct mentry *ne = entry_new(m, h, key, b);
		if (ne == NULL) {
			ret = GOC_ENOMEM;
			goto out;
		}
		if ((rd & AMENDED) == 0) {
			/* The first new key since the last promotion. */
			if (!dirty_locked(m)) {
				ret = GOC_ENOMEM;
				ne->p = DELETED; /* b stays the caller's */
				entry_free(ne);
				goto out;
			}
			store_read(m, rd | AMENDED);
		}
		if (!dirty_reserve(m)) {
			ne->p = DELETED;
			entry_free(ne);
			ret = GOC_ENOMEM;
			goto out;
		}
		tab_insert(m->dirty, ne);
	}
	ret = is_box(*prev);
out:
	goc__unlock(&m->mu);
	(void)r;
	return ret;
}

int
goc_map_swap(goc_map_t *m, const void *key, void *val, void **previous)
{
	struct goc_epoch_record *r = rec();
	uint64_t h = key_hash(m, key);
	struct mbox *b = box_new(m, val), *prev;

	if (b == NULL)
		return GOC_ENOMEM;
	goc__epoch_begin(r);
	int ret = swap(m, r, h, key, b, &prev);
	if (ret == 1) {
		if (previous != NULL)
			*previous = out(m, prev);
		retire_box(r, prev);
	}
	goc__epoch_end(r);
	if (ret < 0)
		free(b);
	maybe_reclaim(r);
	return ret;
}

int
goc_map_store(goc_map_t *m, const void *key, void *val)
{
	int ret = goc_map_swap(m, key, val, NULL);

	return ret < 0 ? ret : 0;
}

/*
 * try_load_or_store is Go's tryLoadOrStore: 1 loaded (*b_out the box),
 * 0 stored (*bp used), -1 expunged. *bp is allocated on first need; -2
 * when that failed.
 */
static int
try_load_or_store(goc_map_t *m, struct mentry *e, void *val, struct mbox **bp,
		  struct mbox **b_out)
{
	struct mbox *p = entry_load(e);

	for (;;) {
		if (p == EXPUNGED)
			return -1;
		if (p != DELETED) {
			*b_out = p;
			return 1;
		}
		if (*bp == NULL && (*bp = box_new(m, val)) == NULL)
			return -2;
		if (entry_cas(e, &p, *bp)) {
			*b_out = *bp;
			return 0;
		}
	}
}

int
goc_map_load_or_store(goc_map_t *m, const void *key, void *val, void **actual)
{
	struct goc_epoch_record *r = rec();
	uint64_t h = key_hash(m, key);
	struct mbox *b = NULL, *got = NULL;
	int ret;

	goc__epoch_begin(r);
	struct mentry *e = tab_find(m, read_tab(load_read(m)), h, key);
	if (e != NULL && (ret = try_load_or_store(m, e, val, &b, &got)) != -1) {
		if (ret == -2)
			ret = GOC_ENOMEM;
		goto done;
	}
	goc__lock(&m->mu);
	uintptr_t rd = load_read(m);
	if ((e = tab_find(m, read_tab(rd), h, key)) != NULL) {
		if (__atomic_load_n(&e->p, __ATOMIC_RELAXED) == EXPUNGED &&
		    !dirty_reserve(m)) {
			ret = GOC_ENOMEM;
			goto unlock;
		}
		if (unexpunge_locked(e))
			tab_insert(m->dirty, e);
		ret = try_load_or_store(m, e, val, &b, &got);
	} else if ((e = tab_find(m, m->dirty, h, key)) != NULL) {
		ret = try_load_or_store(m, e, val, &b, &got);
		miss_locked(m, r);
	} else {
		ret = GOC_ENOMEM;
		if (b == NULL && (b = box_new(m, val)) == NULL)
			goto unlock;
		struct mentry *ne = entry_new(m, h, key, b);
		if (ne == NULL)
			goto unlock;
		if ((rd & AMENDED) == 0) {
			if (!dirty_locked(m)) {
				ne->p = DELETED;
				entry_free(ne);
				goto unlock;
			}
			store_read(m, rd | AMENDED);
		}
		if (!dirty_reserve(m)) {
			ne->p = DELETED;
			entry_free(ne);
			goto unlock;
		}
		tab_insert(m->dirty, ne);
		got = b;
		ret = 0;
	}
	if (ret == -2)
		ret = GOC_ENOMEM;
unlock:
	goc__unlock(&m->mu);
done:
	if (ret >= 0 && actual != NULL)
		*actual = out(m, got);
	goc__epoch_end(r);
	/* A box made for a store that did not happen was never shared. */
	if (b != NULL && (ret != 0 || got != b))
		free(b);
	maybe_reclaim(r);
	return ret;
}

/*
 * find_for_delete finds key for the deleting operations (Go's
 * LoadAndDelete and CompareAndDelete prologue). *removed is set when
 * the entry was taken out of dirty (remove_dirty) and must be retired.
 * In a section.
 */
static struct mentry *
find_for_delete(goc_map_t *m, struct goc_epoch_record *r, uint64_t h,
		const void *key, bool remove_dirty, bool *removed)
{
	uintptr_t rd = load_read(m);
	struct mentry *e = tab_find(m, read_tab(rd), h, key);

	*removed = false;
	if (e != NULL || (rd & AMENDED) == 0)
		return e;
	goc__lock(&m->mu);
	rd = load_read(m);
	e = tab_find(m, read_tab(rd), h, key);
	if (e == NULL && (rd & AMENDED) != 0) {
		e = tab_find(m, m->dirty, h, key);
		if (e != NULL && remove_dirty) {
			/* Only dirty had it: it leaves every table. */
			tab_remove(m->dirty, e);
			*removed = true;
		}
		miss_locked(m, r);
	}
	goc__unlock(&m->mu);
	return e;
}

bool
goc_map_load_and_delete(goc_map_t *m, const void *key, void **val)
{
	if (map_empty(m))
		return false;
	struct goc_epoch_record *r = rec();
	uint64_t h = key_hash(m, key);
	bool removed, ok = false;

	goc__epoch_begin(r);
	struct mentry *e = find_for_delete(m, r, h, key, true, &removed);
	if (e != NULL) {
		/* Go's entry.delete: any value -> DELETED. */
		struct mbox *p = entry_load(e);
		while (is_box(p)) {
			if (entry_cas(e, &p, DELETED)) {
				ok = true;
				if (val != NULL)
					*val = out(m, p);
				retire_box(r, p);
				break;
			}
		}
		if (removed)
			goc__epoch_retire(r, &e->retire, entry_free_cb);
	}
	goc__epoch_end(r);
	maybe_reclaim(r);
	return ok;
}

void
goc_map_delete(goc_map_t *m, const void *key)
{
	goc_map_load_and_delete(m, key, NULL);
}

int
goc_map_compare_and_swap(goc_map_t *m, const void *key, const void *old,
			 void *new_val)
{
	if (map_empty(m))
		return 0;
	struct goc_epoch_record *r = rec();
	uint64_t h = key_hash(m, key);
	struct mbox *b = NULL;
	int ret = 0;

	goc__epoch_begin(r);
	uintptr_t rd = load_read(m);
	struct mentry *e = tab_find(m, read_tab(rd), h, key);
	bool locked = false;
	if (e == NULL && (rd & AMENDED) != 0) {
		goc__lock(&m->mu);
		locked = true;
		rd = load_read(m);
		e = tab_find(m, read_tab(rd), h, key);
		if (e == NULL) {
			e = tab_find(m, m->dirty, h, key);
			if (e != NULL)
				miss_locked(m, r);
		}
	}
	/* Go's tryCompareAndSwap. */
	struct mbox *p = e != NULL ? entry_load(e) : DELETED;
	while (is_box(p) && val_eq(m, p->val, old)) {
		if (b == NULL && (b = box_new(m, new_val)) == NULL) {
			ret = GOC_ENOMEM;
			break;
		}
		if (entry_cas(e, &p, b)) {
			retire_box(r, p);
			ret = 1;
			break;
		}
	}
	if (locked)
		goc__unlock(&m->mu);
	goc__epoch_end(r);
	if (ret != 1)
		free(b);
	maybe_reclaim(r);
	return ret;
}

bool
goc_map_compare_and_delete(goc_map_t *m, const void *key, const void *old)
{
	if (map_empty(m))
		return false;
	struct goc_epoch_record *r = rec();
	uint64_t h = key_hash(m, key);
	bool removed, ok = false;

	goc__epoch_begin(r);
	/* Go leaves the entry in dirty (DELETED); so do we. */
	struct mentry *e = find_for_delete(m, r, h, key, false, &removed);
	struct mbox *p = e != NULL ? entry_load(e) : DELETED;
	while (is_box(p) && val_eq(m, p->val, old)) {
		if (entry_cas(e, &p, DELETED)) {
			retire_box(r, p);
			ok = true;
			break;
		}
	}
	goc__epoch_end(r);
	maybe_reclaim(r);
	return ok;
}

/* range_rand is a per-thread xorshift for Range's starting slot. */
static uint64_t
range_rand(void)
{
	static __thread uint64_t x;

	if (x == 0)
		x = (uint64_t)goc_os_nanotime() | 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

struct pair {
	void *key;
	void *val;
};

int
goc_map_range(goc_map_t *m, bool (*f)(const void *key, void *val, void *arg),
	      void *arg)
{
	struct goc_epoch_record *r = rec();
	const goc_map_type_t *ty = m->type;

	goc__epoch_begin(r);
	uintptr_t rd = load_read(m);
	if ((rd & AMENDED) != 0) {
		/* Promote dirty so that one table has every key (Go). */
		goc__lock(&m->mu);
		rd = load_read(m);
		if ((rd & AMENDED) != 0)
			promote_locked(m, r);
		rd = load_read(m);
		goc__unlock(&m->mu);
	}
	struct mtab *t = read_tab(rd);
	size_t n = 0;
	struct pair *ps = NULL;
	if (t != NULL && t->count > 0) {
		ps = malloc(t->count * sizeof(*ps));
		if (ps == NULL) {
			goc__epoch_end(r);
			return GOC_ENOMEM;
		}
	}
	/*
	 * Copy the pairs out while the section keeps them alive, starting
	 * at a random slot as Go's map iteration does: a caller that
	 * deletes the first key it sees must not always empty the same end
	 * of the table (later tables would cluster at the other).
	 */
	size_t start = t != NULL ? (size_t)range_rand() & t->mask : 0;
	for (size_t s = 0; t != NULL && s <= t->mask; s++) {
		struct mentry *e = t->slots[(start + s) & t->mask];
		if (e == NULL)
			continue;
		struct mbox *b = entry_load(e);
		if (!is_box(b))
			continue;
		void *k = e->key;
		if (ty->key_copy != NULL && (k = ty->key_copy(k)) == NULL)
			continue; /* out of memory: as if deleted meanwhile */
		ps[n].key = k;
		ps[n].val = out(m, b);
		n++;
	}
	goc__epoch_end(r);
	size_t i = 0;
	for (; i < n; i++)
		if (!f(ps[i].key, ps[i].val, arg))
			break;
	for (size_t j = 0; j < n; j++) {
		if (ty->key_copy != NULL && ty->key_free != NULL)
			ty->key_free(ps[j].key);
		if (ty->val_copy != NULL && ty->val_free != NULL)
			ty->val_free(ps[j].val);
	}
	free(ps);
	maybe_reclaim(rec());
	return 0;
}

void
goc_map_clear(goc_map_t *m)
{
	struct goc_epoch_record *r = rec();

	/* Relaxed: empty and not amended means nothing to clear; a racing
	 * store may land before or after. */
	if (__atomic_load_n(&m->read, __ATOMIC_RELAXED) == 0)
		return;
	goc__epoch_begin(r);
	goc__lock(&m->mu);
	struct mtab *t = read_tab(load_read(m)), *d = m->dirty;
	store_read(m, 0);
	m->dirty = NULL;
	m->misses = 0;
	/* Every entry leaves: those of read, and those only dirty had. */
	for (size_t i = 0; t != NULL && i <= t->mask; i++)
		if (t->slots[i] != NULL)
			goc__epoch_retire(r, &t->slots[i]->retire,
					  entry_free_cb);
	for (size_t i = 0; d != NULL && i <= d->mask; i++) {
		struct mentry *e = d->slots[i];
		if (e != NULL && tab_find(m, t, e->hash, e->key) != e)
			goc__epoch_retire(r, &e->retire, entry_free_cb);
	}
	if (t != NULL)
		goc__epoch_retire(r, &t->retire, tab_free_cb);
	goc__unlock(&m->mu);
	goc__epoch_end(r);
	free(d); /* dirty was only used under mu */
	maybe_reclaim(r);
}

/* ---- ready-made types ----------------------------------------------- */

static uint64_t
int_hash(const void *key)
{
	return (uint64_t)(uintptr_t)key;
}

static bool
int_equal(const void *a, const void *b)
{
	return a == b;
}

static uint64_t
str_hash(const void *key)
{
	/* FNV-1a; the map mixes the result with its seed. */
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *s = key; *s != 0; s++)
		h = (h ^ *s) * 0x100000001b3ULL;
	return h;
}

static bool
str_equal(const void *a, const void *b)
{
	return strcmp(a, b) == 0;
}

static void *
str_copy(const void *key)
{
	return strdup(key);
}

const goc_map_type_t goc_map_type_int = {int_hash, int_equal, NULL, NULL,
					 NULL,     NULL,      NULL};
const goc_map_type_t goc_map_type_ptr = {int_hash, int_equal, NULL, NULL,
					 NULL,     NULL,      NULL};
const goc_map_type_t goc_map_type_str = {str_hash, str_equal, str_copy, free,
					 NULL,     NULL,      NULL};
