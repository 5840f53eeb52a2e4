/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The libgoconc demo: a tour of what the library offers so far. It grows
 * with every subsystem. Today: typed atomics with Go's seq_cst default,
 * the atomic value box, the lock-free MPMC ring carrying work between
 * threads (exactly-once delivery checked at the end), a million
 * goroutines on the M:N scheduler, a pipeline of goroutines joined by
 * channels and a select with a timeout, and a tree of goroutines stopped
 * together by one context deadline.
 *
 * Build and run: ./bootstrap && make demo
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>

#include <goconc.h>

enum { PRODUCERS = 4, CONSUMERS = 4, PER_PRODUCER = 250000 };

struct shared {
	goc_ring_t ring;
	goc_atomic_int64_t produced;
	goc_atomic_int64_t consumed;
	goc_atomic_uint64_t checksum;
	goc_atomic_bool_t done;
};

struct item {
	uint32_t producer;
	uint32_t seq;
};

static void *
producer(void *arg)
{
	struct shared *s = ((void **)arg)[0];
	uint32_t id = (uint32_t)(uintptr_t)((void **)arg)[1];

	for (uint32_t i = 0; i < PER_PRODUCER; i++) {
		/* Values are pointer-sized; pack (producer, seq) into one. */
		uintptr_t v = ((uintptr_t)id << 32) | i;
		while (!goc_ring_push(&s->ring, (void *)v))
			sched_yield(); /* full: let a consumer run */
		goc_atomic_int64_add_relaxed(&s->produced, 1);
	}
	return NULL;
}

static void *
consumer(void *arg)
{
	struct shared *s = arg;
	void *v;

	for (;;) {
		if (goc_ring_pop(&s->ring, &v)) {
			goc_atomic_uint64_add_relaxed(&s->checksum,
						      (uint64_t)(uintptr_t)v);
			goc_atomic_int64_add_relaxed(&s->consumed, 1);
		} else if (goc_atomic_bool_load(&s->done)) {
			/* Producers finished before this empty pop. */
			if (!goc_ring_pop(&s->ring, &v))
				return NULL;
			goc_atomic_uint64_add_relaxed(&s->checksum,
						      (uint64_t)(uintptr_t)v);
			goc_atomic_int64_add_relaxed(&s->consumed, 1);
		} else {
			sched_yield();
		}
	}
}

/* A million goroutines, each counting itself in. */
enum { GOROUTINES = 1000000 };

struct spawn {
	goc_atomic_int64_t done;
};

static void
count_in(void *arg)
{
	struct spawn *sp = arg;
	goc_atomic_int64_add(&sp->done, 1);
}

static int
spawn_million(void *arg)
{
	struct spawn *sp = arg;

	for (int i = 0; i < GOROUTINES; i++)
		if (goc_go(count_in, sp) != 0)
			return i;
	/* Wait by yielding: the goroutines run on this P and the others. */
	while (goc_atomic_int64_load(&sp->done) < GOROUTINES)
		goc_yield();
	return GOROUTINES;
}

/*
 * A tree of goroutines under one deadline: each worker derives a context
 * for the children it starts, then blocks in goc_sleep_ctx (an hour)
 * until the root's 50 ms timeout reaches it through the tree.
 */
enum { FANOUT = 3, LEVELS = 4 };

/* A pipeline: generate 1..PIPE_N -> square -> sum, over unbuffered
 * channels; each stage closes its output when its input runs dry. */
enum { PIPE_N = 1000 };

struct stage {
	goc_chan_t *in, *out;
};

static void
generate(void *arg)
{
	goc_chan_t *out = arg;

	for (long i = 1; i <= PIPE_N; i++)
		goc_chan_send(out, &i);
	goc_chan_close(out);
}

static void
square(void *arg)
{
	struct stage *s = arg;
	long v;

	while (goc_chan_recv(s->in, &v)) {
		long w = v * v;
		goc_chan_send(s->out, &w);
	}
	goc_chan_close(s->out);
}

struct pipe {
	long sum;
	bool timed_out;
	int64_t waited;
};

static int
pipeline(void *arg)
{
	struct pipe *p = arg;
	goc_chan_t *nums = goc_chan_make(sizeof(long), 0);
	goc_chan_t *squares = goc_chan_make(sizeof(long), 0);
	struct stage sq = {nums, squares};
	long v;

	goc_go(generate, nums);
	goc_go(square, &sq);
	while (goc_chan_recv(squares, &v)) /* until square closes it */
		p->sum += v;

	/* select with a timeout: nothing ever arrives on `never`, so the
	 * timer's channel wins after 20 ms. */
	goc_chan_t *never = goc_chan_make(sizeof(long), 0);
	goc_chan_t *timeout = goc_after(20 * GOC_MILLISECOND);
	int64_t fired, t0 = goc_now();
	goc_case_t cs[] = {GOC_RECV(never, &v), GOC_RECV(timeout, &fired)};
	p->timed_out = goc_select(cs, 2) == 1;
	p->waited = goc_now() - t0;

	goc_chan_release(timeout);
	goc_chan_release(never);
	goc_chan_release(squares);
	goc_chan_release(nums);
	return 0;
}

struct tree {
	goc_wg_t wg;
	goc_atomic_int64_t workers;
	goc_atomic_int64_t deadline_seen;
};

struct task {
	struct tree *t;
	goc_ctx_t *ctx; /* this worker's reference */
	int level;
};

static void
tree_worker(void *arg)
{
	struct task *k = arg;

	goc_atomic_int64_add(&k->t->workers, 1);
	if (k->level + 1 < LEVELS) {
		for (int i = 0; i < FANOUT; i++) {
			struct task *c = malloc(sizeof(*c));
			c->t = k->t;
			c->ctx = goc_ctx_with_cancel(k->ctx);
			c->level = k->level + 1;
			goc_wg_add(&k->t->wg, 1);
			goc_go(tree_worker, c);
		}
	}
	if (goc_sleep_ctx(k->ctx, 3600 * GOC_SECOND) == GOC_EDEADLINE)
		goc_atomic_int64_add(&k->t->deadline_seen, 1);
	goc_ctx_cancel(k->ctx); /* Go's defer cancel() */
	goc_ctx_release(k->ctx);
	struct tree *t = k->t;
	free(k);
	goc_wg_done(&t->wg);
}

static int
context_tree(void *arg)
{
	struct tree *t = arg;
	goc_ctx_t *root = goc_ctx_with_timeout(goc_ctx_background(),
					       50 * GOC_MILLISECOND);
	struct task *k = malloc(sizeof(*k));

	k->t = t;
	k->ctx = goc_ctx_retain(root);
	k->level = 0;
	goc_wg_add(&t->wg, 1);
	goc_go(tree_worker, k);
	goc_wg_wait(&t->wg);
	int err = goc_ctx_err(root);
	goc_ctx_cancel(root);
	goc_ctx_release(root);
	return err;
}

int
main(void)
{
	static struct shared s;
	pthread_t p[PRODUCERS], c[CONSUMERS];
	void *args[PRODUCERS][2];
	goc_atomic_value_t config = {0};
	static const char config_tag[] = "config";
	static const char *first = "v1", *second = "v2";

	printf("libgoconc %s (%s backend, cache line %d)\n\n",
	       GOC_VERSION_STRING, GOC_ARCH_NAME, GOC_CACHELINE);

	/* Typed atomics: Go's sync/atomic, seq_cst unless asked otherwise. */
	goc_atomic_int64_t counter = GOC_ATOMIC_INIT(40);
	int64_t sum = goc_atomic_int64_add(&counter, 2);
	bool swapped = goc_atomic_int64_cas(&counter, 42, 7);
	printf("atomics: add(40, 2) = %" PRId64 ", cas(42 -> 7) = %s\n", sum,
	       swapped ? "true" : "false");

	/* The value box: Go's atomic.Value, with a type tag. */
	goc_atomic_value_store(&config, config_tag, (void *)first);
	const char *old =
		goc_atomic_value_swap(&config, config_tag, (void *)second);
	printf("atomic value: swapped %s for %s\n", old,
	       (const char *)goc_atomic_value_load(&config));

	/* The lock-free ring: 4 producers, 4 consumers, 1024 slots. */
	if (goc_ring_init(&s.ring, 1024) != 0) {
		fprintf(stderr, "ring: %s\n", goc_strerror(GOC_ENOMEM));
		return 1;
	}
	for (int i = 0; i < CONSUMERS; i++)
		pthread_create(&c[i], NULL, consumer, &s);
	for (int i = 0; i < PRODUCERS; i++) {
		args[i][0] = &s;
		args[i][1] = (void *)(uintptr_t)i;
		pthread_create(&p[i], NULL, producer, args[i]);
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	goc_atomic_bool_store(&s.done, true);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);

	uint64_t want = 0;
	for (uint64_t id = 0; id < PRODUCERS; id++)
		for (uint64_t i = 0; i < PER_PRODUCER; i++)
			want += (id << 32) | i;
	int64_t got = goc_atomic_int64_load(&s.consumed);
	bool ok = got == (int64_t)PRODUCERS * PER_PRODUCER &&
		  goc_atomic_uint64_load(&s.checksum) == want;
	printf("ring: %d producers -> %d consumers, %" PRId64
	       " items through %zu slots, exactly once: %s\n",
	       PRODUCERS, CONSUMERS, got, goc_ring_cap(&s.ring),
	       ok ? "yes" : "NO");
	goc_ring_destroy(&s.ring);

	/* Goroutines: a million of them on the M:N scheduler. */
	struct spawn sp = {0};
	int64_t t0 = goc_now();
	int n = goc_run(spawn_million, &sp);
	double secs = (double)(goc_now() - t0) / GOC_SECOND;
	bool gok = n == GOROUTINES &&
		   goc_atomic_int64_load(&sp.done) == GOROUTINES;
	printf("goroutines: %d spawned and finished on %d Ps in %.2f s "
	       "(%.0f ns each), all ran: %s\n",
	       n, goc_maxprocs(0), secs, secs * 1e9 / GOROUTINES,
	       gok ? "yes" : "NO");

	/* Channels: a pipeline, then a select that times out. */
	struct pipe pp = {0};
	goc_run(pipeline, &pp);
	long want_sum = (long)PIPE_N * (PIPE_N + 1) * (2 * PIPE_N + 1) / 6;
	bool pok = pp.sum == want_sum && pp.timed_out &&
		   pp.waited >= 20 * GOC_MILLISECOND;
	printf("channels: generate -> square -> sum of %d squares = %ld "
	       "(want %ld); select on a silent channel with a 20 ms timeout "
	       "returned after %.0f ms by the timeout: %s\n",
	       PIPE_N, pp.sum, want_sum, (double)pp.waited / GOC_MILLISECOND,
	       pok ? "yes" : "NO");

	/* Context: one deadline stops a whole tree of goroutines. */
	struct tree t = {0};
	t0 = goc_now();
	int err = goc_run(context_tree, &t);
	int64_t nw = goc_atomic_int64_load(&t.workers);
	bool cok = err == GOC_EDEADLINE &&
		   goc_atomic_int64_load(&t.deadline_seen) == nw;
	printf("context: %" PRId64 " goroutines in a %d-level tree stopped "
	       "by one 50 ms timeout after %.0f ms, each saw \"%s\": %s\n",
	       nw, LEVELS, (double)(goc_now() - t0) / GOC_MILLISECOND,
	       goc_strerror(err), cok ? "yes" : "NO");
	return ok && gok && pok && cok ? 0 : 1;
}
