/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Epoch reclamation (src/lf/epoch.c over ck_epoch): callbacks run exactly
 * once and only after a grace period; an open (or nested) section blocks
 * reclamation deterministically; unregister runs what is pending; records
 * are recycled; and a torture where readers walk a list while writers
 * replace and retire its nodes. Retired nodes are poisoned, so a reader
 * that reached a reclaimed node sees poison; under ASan they are freed as
 * well, so the same bug is a reported use-after-free (after ck's own
 * validate/torture tests in spirit).
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "internal/arch.h"
#include "internal/compiler.h"
#include "lf/epoch.h"

/* ---- exactly once, pending counts ---------------------------------- */

struct counted {
	struct goc_epoch_entry entry;
	int runs; /* (atomic) */
};

static void
count_run(struct goc_epoch_entry *e)
{
	struct counted *c = goc_container_of(e, struct counted, entry);
	__atomic_fetch_add(&c->runs, 1, __ATOMIC_RELAXED);
}

GOC_TEST(callbacks_run_once_after_barrier)
{
	struct goc_epoch ep;
	enum { N = 100 };
	struct counted c[N];

	memset(c, 0, sizeof(c));
	goc__epoch_init(&ep);
	struct goc_epoch_record *rec = goc__epoch_register(&ep);
	require_ptr_ne(rec, NULL);
	expect_uint_eq(goc__epoch_pending(rec), 0);
	for (int i = 0; i < N; i++)
		goc__epoch_retire(rec, &c[i].entry, count_run);
	expect_uint_eq(goc__epoch_pending(rec), N);
	goc__epoch_synchronize(rec);
	for (int i = 0; i < N; i++)
		expect_int_eq(c[i].runs, 0); /* synchronize runs nothing */
	goc__epoch_barrier(rec);
	expect_uint_eq(goc__epoch_pending(rec), 0);
	for (int i = 0; i < N; i++)
		expect_int_eq(c[i].runs, 1);
	goc__epoch_barrier(rec);
	for (int i = 0; i < N; i++)
		expect_int_eq(c[i].runs, 1);
	goc__epoch_unregister(rec);
	goc__epoch_destroy(&ep);
}

GOC_TEST(unregister_runs_pending)
{
	struct goc_epoch ep;
	struct counted c = {0};

	goc__epoch_init(&ep);
	struct goc_epoch_record *rec = goc__epoch_register(&ep);
	require_ptr_ne(rec, NULL);
	goc__epoch_retire(rec, &c.entry, count_run);
	goc__epoch_unregister(rec);
	expect_int_eq(c.runs, 1);
	goc__epoch_destroy(&ep);
}

/* ---- an open section blocks the grace period ----------------------- */

struct blocker {
	struct goc_epoch *ep;
	int depth;   /* sections to open (nesting) */
	int inside;  /* (atomic) 1 once the sections are open */
	int release; /* (atomic) 1: close them */
	int closed;  /* (atomic) 1 once the outermost is closed */
};

static void *
blocker_main(void *arg)
{
	struct blocker *b = arg;
	struct goc_epoch_record *rec = goc__epoch_register(b->ep);

	for (int i = 0; i < b->depth; i++)
		goc__epoch_begin(rec);
	/* Inner sections close early: the outermost still blocks. */
	for (int i = 1; i < b->depth; i++)
		goc__epoch_end(rec);
	/* Release/acquire: plain handshakes with the main thread. */
	__atomic_store_n(&b->inside, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&b->release, __ATOMIC_ACQUIRE))
		sched_yield();
	__atomic_store_n(&b->closed, 1, __ATOMIC_RELEASE);
	goc__epoch_end(rec);
	goc__epoch_unregister(rec);
	return NULL;
}

struct blocked_node {
	struct goc_epoch_entry entry;
	struct blocker *b;
	int ran;             /* (atomic) */
	int ran_after_close; /* set by the callback */
};

static void
blocked_run(struct goc_epoch_entry *e)
{
	struct blocked_node *n =
		goc_container_of(e, struct blocked_node, entry);
	n->ran_after_close = __atomic_load_n(&n->b->closed, __ATOMIC_ACQUIRE);
	__atomic_fetch_add(&n->ran, 1, __ATOMIC_RELAXED);
}

struct wait_state {
	struct blocker *b;
	struct blocked_node *n;
	int calls;
	int ran_early;
};

static void
on_blocked(void *arg)
{
	struct wait_state *w = arg;

	if (__atomic_load_n(&w->n->ran, __ATOMIC_RELAXED))
		w->ran_early = 1;
	/* Let the reader go only after we were seen to wait for it. */
	if (++w->calls == 3)
		__atomic_store_n(&w->b->release, 1, __ATOMIC_RELEASE);
	sched_yield();
}

static void
open_section_blocks(int depth)
{
	struct goc_epoch ep;
	struct blocker b = {.ep = &ep, .depth = depth};
	struct blocked_node n = {.b = &b};
	struct wait_state w = {.b = &b, .n = &n};
	pthread_t tid;

	goc__epoch_init(&ep);
	struct goc_epoch_record *rec = goc__epoch_register(&ep);
	require_ptr_ne(rec, NULL);
	require_int_eq(pthread_create(&tid, NULL, blocker_main, &b), 0);
	while (!__atomic_load_n(&b.inside, __ATOMIC_ACQUIRE))
		sched_yield();
	goc__epoch_retire(rec, &n.entry, blocked_run);
	goc__epoch_barrier_wait(rec, on_blocked, &w);
	expect_int_ge(w.calls, 3);
	expect_int_eq(w.ran_early, 0);
	expect_int_eq(n.ran, 1);
	expect_int_eq(n.ran_after_close, 1);
	pthread_join(tid, NULL);
	goc__epoch_unregister(rec);
	goc__epoch_destroy(&ep);
}

GOC_TEST(open_section_blocks_reclaim)
{
	open_section_blocks(1);
}

GOC_TEST(nested_section_blocks_reclaim)
{
	open_section_blocks(3);
}

/* ---- records are recycled ------------------------------------------ */

static void *
register_and_leave(void *arg)
{
	struct goc_epoch *ep = arg;
	struct goc_epoch_record *rec = goc__epoch_register(ep);
	struct counted c = {0};

	if (rec == NULL)
		return (void *)1;
	goc__epoch_begin(rec);
	goc__epoch_end(rec);
	goc__epoch_retire(rec, &c.entry, count_run);
	goc__epoch_unregister(rec);
	return c.runs == 1 ? NULL : (void *)2;
}

GOC_TEST(records_are_recycled)
{
	struct goc_epoch ep;
	enum { T = 4 };

	goc__epoch_init(&ep);
	for (long round = 0; round < goc_test_scaled(50); round++) {
		pthread_t tid[T];
		for (int i = 0; i < T; i++)
			require_int_eq(pthread_create(&tid[i], NULL,
						      register_and_leave, &ep),
				       0);
		for (int i = 0; i < T; i++) {
			void *rv;
			pthread_join(tid[i], &rv);
			expect_ptr_eq(rv, NULL);
		}
	}
	int records = 0;
	for (ck_stack_entry_t *c = CK_STACK_FIRST(&ep.ck.records); c != NULL;
	     c = CK_STACK_NEXT(c))
		records++;
	expect_int_ge(records, 1);
	expect_int_le(records, T);
	goc__epoch_destroy(&ep);
}

/* ---- torture: readers walk a list, writers retire its nodes -------- */

#define LIVE   0x4c4956454c495645ull /* "LIVELIVE" */
#define POISON 0xddu

struct node {
	uint64_t magic;
	uint64_t key;
	uint64_t check;    /* ~key */
	struct node *next; /* (atomic) release store, acquire load */
	struct goc_epoch_entry retire;
	uint64_t payload[4]; /* key repeated */
};

struct torture {
	struct goc_epoch ep;
	struct node *head;     /* (atomic) */
	int list_len;          /* (immutable) */
	pthread_mutex_t wlock; /* serialises writers */
	long retired;          /* (atomic) */
	long reclaimed;        /* (atomic) */
	long bad;              /* (atomic) reader or callback saw corruption */
	long walks;            /* (atomic) */
	int stop;              /* (atomic) */
	/* Without ASan, reclaimed nodes stay poisoned here until the end,
	 * so that a late reader would see poison rather than a new node. */
	pthread_mutex_t glock;
	struct node *graveyard;
};

static struct torture *tt;

static struct node *
node_new(uint64_t key)
{
	struct node *n = malloc(sizeof(*n));

	if (n == NULL)
		return NULL;
	n->magic = LIVE;
	n->key = key;
	n->check = ~key;
	n->next = NULL;
	for (int i = 0; i < 4; i++)
		n->payload[i] = key;
	return n;
}

static bool
node_ok(const struct node *n)
{
	if (n->magic != LIVE || n->check != ~n->key)
		return false;
	for (int i = 0; i < 4; i++)
		if (n->payload[i] != n->key)
			return false;
	return true;
}

static void
node_reclaim(struct goc_epoch_entry *e)
{
	struct node *n = goc_container_of(e, struct node, retire);

	if (!node_ok(n)) /* a second run would find it poisoned */
		__atomic_fetch_add(&tt->bad, 1, __ATOMIC_RELAXED);
	memset(n, POISON, sizeof(*n));
	__atomic_fetch_add(&tt->reclaimed, 1, __ATOMIC_RELAXED);
	if (GOC_ASAN_ENABLED) {
		free(n);
		return;
	}
	pthread_mutex_lock(&tt->glock);
	n->next = tt->graveyard;
	tt->graveyard = n;
	pthread_mutex_unlock(&tt->glock);
}

static void *
reader_main(void *arg)
{
	struct goc_epoch_record *rec = goc__epoch_register(&tt->ep);
	long walks = 0;

	(void)arg;
	if (rec == NULL) {
		__atomic_fetch_add(&tt->bad, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	while (!__atomic_load_n(&tt->stop, __ATOMIC_RELAXED)) {
		int len = 0;
		goc__epoch_begin(rec);
		/* Acquire pairs with the writers' release stores: a node's
		 * contents are complete before it is reachable. */
		for (struct node *n =
			     __atomic_load_n(&tt->head, __ATOMIC_ACQUIRE);
		     n != NULL;
		     n = __atomic_load_n(&n->next, __ATOMIC_ACQUIRE)) {
			bool ok = node_ok(n);
			/* Linger on the node, so that a reclaimer that did
			 * not wait for us gets the chance to poison it. */
			for (unsigned k = (unsigned)(walks + (long)len) & 63; k;
			     k--)
				goc_arch_pause();
			if (!ok || !node_ok(n))
				__atomic_fetch_add(&tt->bad, 1,
						   __ATOMIC_RELAXED);
			len++;
		}
		goc__epoch_end(rec);
		if (len != tt->list_len)
			__atomic_fetch_add(&tt->bad, 1, __ATOMIC_RELAXED);
		walks++;
		__atomic_fetch_add(&tt->walks, 1, __ATOMIC_RELAXED);
		if ((walks & 15) == 0)
			sched_yield();
	}
	goc__epoch_unregister(rec);
	return NULL;
}

struct writer_arg {
	long replacements; /* (writer) done, read after join */
	int id;
};

static void *
writer_main(void *arg)
{
	struct writer_arg *w = arg;
	struct goc_epoch_record *rec = goc__epoch_register(&tt->ep);

	if (rec == NULL) {
		__atomic_fetch_add(&tt->bad, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	for (long i = 0; !__atomic_load_n(&tt->stop, __ATOMIC_RELAXED); i++) {
		int pos = (int)(goc_test_rand() % (uint64_t)tt->list_len);
		struct node *fresh =
			node_new(((uint64_t)w->id << 48) | (uint64_t)i);
		if (fresh == NULL) {
			__atomic_fetch_add(&tt->bad, 1, __ATOMIC_RELAXED);
			break;
		}
		pthread_mutex_lock(&tt->wlock);
		/* Writers are serialised by wlock: relaxed loads of links
		 * only writers store. */
		struct node **link = &tt->head;
		for (int k = 0; k < pos; k++)
			link = &__atomic_load_n(link, __ATOMIC_RELAXED)->next;
		struct node *old = __atomic_load_n(link, __ATOMIC_RELAXED);
		fresh->next = __atomic_load_n(&old->next, __ATOMIC_RELAXED);
		/* Release: fresh's contents before it is reachable. */
		__atomic_store_n(link, fresh, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&tt->wlock);
		/* old is unreachable for sections that begin from now on. */
		goc__epoch_retire(rec, &old->retire, node_reclaim);
		__atomic_fetch_add(&tt->retired, 1, __ATOMIC_RELAXED);
		w->replacements++;
		/* Reclaim often, right after unlinking: the nodes readers
		 * may still be on are the ones a broken grace period would
		 * free. */
		if (goc_test_rand() & 1)
			goc__epoch_barrier(rec);
		if ((i & 7) == 7)
			sched_yield();
	}
	goc__epoch_unregister(rec);
	return NULL;
}

GOC_TEST(torture_readers_and_retiring_writers)
{
	enum { READERS = 4, WRITERS = 2, LEN = 32 };
	static struct torture t;
	pthread_t rt[READERS], wt[WRITERS];
	struct writer_arg wa[WRITERS];

	memset(&t, 0, sizeof(t));
	tt = &t;
	goc__epoch_init(&t.ep);
	pthread_mutex_init(&t.wlock, NULL);
	pthread_mutex_init(&t.glock, NULL);
	t.list_len = LEN;
	for (int i = LEN - 1; i >= 0; i--) {
		struct node *n = node_new((uint64_t)i);
		require_ptr_ne(n, NULL);
		n->next = t.head;
		t.head = n;
	}
	for (int i = 0; i < READERS; i++)
		require_int_eq(pthread_create(&rt[i], NULL, reader_main, NULL),
			       0);
	for (int i = 0; i < WRITERS; i++) {
		wa[i].id = i + 1;
		wa[i].replacements = 0;
		require_int_eq(
			pthread_create(&wt[i], NULL, writer_main, &wa[i]), 0);
	}
	/* Run until the readers have walked the list enough times while
	 * the writers kept replacing nodes. */
	long want = goc_test_scaled(10000);
	while (__atomic_load_n(&t.walks, __ATOMIC_RELAXED) < want ||
	       __atomic_load_n(&t.retired, __ATOMIC_RELAXED) < want)
		sched_yield();
	__atomic_store_n(&t.stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(wt[i], NULL);
	for (int i = 0; i < READERS; i++)
		pthread_join(rt[i], NULL);

	expect_int_eq(t.bad, 0);
	long replaced = 0;
	for (int i = 0; i < WRITERS; i++)
		replaced += wa[i].replacements;
	expect_int_eq(t.retired, replaced);
	expect_int_eq(t.reclaimed, t.retired); /* each exactly once */
	expect_int_gt(t.walks, 0);
	goc_test_note("%ld walks, %ld nodes retired and reclaimed", t.walks,
		      t.reclaimed);

	for (struct node *n = t.head, *next; n != NULL; n = next) {
		next = n->next;
		free(n);
	}
	for (struct node *n = t.graveyard, *next; n != NULL; n = next) {
		next = n->next;
		free(n);
	}
	goc__epoch_destroy(&t.ep);
	pthread_mutex_destroy(&t.wlock);
	pthread_mutex_destroy(&t.glock);
}
