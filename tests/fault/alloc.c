/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Allocation, mmap and mprotect failures (--enable-faults). For each
 * constructor the sweep fails its 1st, 2nd, ... call of one kind, each in
 * a fresh child, until the constructor no longer reaches the nth call.
 * Every failure must come back as the status the header documents
 * (NULL, GOC_ENOMEM, GOC_EAGAIN), or, only where the library documents
 * it as Go does, the fatal error "runtime: out of memory"; never a hang
 * (the child's watchdog), a crash, a leak (LeakSanitizer in ASan
 * builds, at the child's exit) or a runtime that stops working (each
 * child repeats the operation with nothing armed, and uses what it got).
 */
#include "config.h"

#include <fcntl.h>

#include "fault_test.h"

#define SWEEP_MAX 400

/* Fatal errors Go also dies with: memory for the runtime itself (its
 * scheduler state, a goroutine's stack at its first run, timer heaps,
 * a context's lazily made done channel). */
static const char *const fatal_oom[] = {"fatal error: runtime: out of memory",
					NULL};

static const int kinds[] = {GOC_FAULT_MALLOC, GOC_FAULT_MMAP,
			    GOC_FAULT_MPROTECT};

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			return FAULT_BAD;                                      \
		}                                                              \
	} while (0)

/* A status from a constructor that failed: only with a failed call. */
#define CHECK_FAILED_STATUS(a, rc)                               \
	do {                                                     \
		CHECK(!fault_unfired(a));                        \
		CHECK((rc) == GOC_ENOMEM || (rc) == GOC_EAGAIN); \
	} while (0)

/* The runtime is up and its threads made before anything is armed. */
static void
mark(void *arg)
{
	goc_wg_done(arg);
}

static void
warm_up(void)
{
	goc_wg_t wg = {0};
	for (int i = 0; i < 4; i++) {
		goc_wg_add(&wg, 1);
		if (goc_go(mark, &wg) != 0)
			abort();
	}
	goc_wg_wait(&wg);
}

/* Runs body(a) as goc_run's main goroutine, after warm_up. */
struct in_run {
	int (*body)(const struct fault_arm *a);
	const struct fault_arm *a;
};

static int
in_run_main(void *arg)
{
	struct in_run *r = arg;
	warm_up();
	return r->body(r->a);
}

static int
run_body(int (*body)(const struct fault_arm *), void *arg)
{
	struct in_run r = {body, arg};
	int rc = goc_run(in_run_main, &r);
	return rc < 0 ? FAULT_BAD : rc;
}

static int
verdict(const struct fault_arm *a)
{
	return fault_unfired(a) ? FAULT_DONE : FAULT_OK;
}

/* ---- goc_go ------------------------------------------------------ */

/* Spawns and waits for the goroutine, opts or not, all while armed. */
static int
spawn_once(const struct fault_arm *a, const goc_go_opts_t *o, bool armed)
{
	goc_wg_t wg = {0};
	goc_wg_add(&wg, 1);
	if (armed)
		fault_arm_nth(a);
	int rc = o != NULL ? goc_go_opts(mark, &wg, o) : goc_go(mark, &wg);
	if (rc == 0)
		goc_wg_wait(&wg);
	if (armed)
		goc__fault_disarm_all();
	if (rc != 0) {
		CHECK(armed);
		CHECK_FAILED_STATUS(a, rc);
		goc_wg_done(&wg);
	}
	return FAULT_OK;
}

/*
 * A burst of goroutines that stay blocked, so that the G and stack
 * caches the warm-up filled run dry and new ones are allocated: each
 * started goroutine has run (its stack is settled at its first run)
 * before the faults are disarmed.
 */
#define BURST 96 /* at GOC_TEST_SCALE=1 */

struct burst {
	goc_wg_t started;
	goc_wg_t finished;
	goc_chan_t *gate;
};

static void
burst_g(void *arg)
{
	struct burst *b = arg;
	goc_wg_done(&b->started);
	goc_chan_recv(b->gate, NULL);
	goc_wg_done(&b->finished);
}

static int
spawn_body(const struct fault_arm *a)
{
	struct burst b = {.gate = goc_chan_make(0, 0)};
	CHECK(b.gate != NULL);
	int failed = 0, burst = (int)goc_test_scaled(BURST);
	fault_arm_nth(a);
	for (int i = 0; i < burst; i++) {
		goc_wg_add(&b.started, 1);
		goc_wg_add(&b.finished, 1);
		int rc = goc_go(burst_g, &b);
		if (rc != 0) {
			CHECK(rc == GOC_ENOMEM || rc == GOC_EAGAIN);
			goc_wg_done(&b.started);
			goc_wg_done(&b.finished);
			failed++;
		}
	}
	goc_wg_wait(&b.started);
	goc__fault_disarm_all();
	if (failed)
		CHECK(!fault_unfired(a));
	goc_chan_close(b.gate);
	goc_wg_wait(&b.finished);
	goc_chan_release(b.gate);
	bool unfired = fault_unfired(a);
	int r = spawn_once(a, NULL, false);
	return r != FAULT_OK ? r : unfired ? FAULT_DONE : FAULT_OK;
}

static int
spawn_child(void *arg)
{
	return run_body(spawn_body, arg);
}

/* A stack size other than the default is allocated by goc_go itself. */
static int
spawn_opts_body(const struct fault_arm *a)
{
	goc_go_opts_t o = {.stack_size = 256 * 1024, .name = "opts"};
	int r = spawn_once(a, &o, true);
	bool unfired = fault_unfired(a);
	if (r == FAULT_OK)
		r = spawn_once(a, &o, false);
	return r != FAULT_OK ? r : unfired ? FAULT_DONE : FAULT_OK;
}

static int
spawn_opts_child(void *arg)
{
	return run_body(spawn_opts_body, arg);
}

GOC_TEST(spawn)
{
	goc_test_set_timeout(600);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		fault_sweep("goc_go", spawn_child, kinds[k], SWEEP_MAX,
			    fatal_oom);
}

GOC_TEST(spawn_opts)
{
	goc_test_set_timeout(600);
	/* goc_go_opts reports what it allocates itself as a status. */
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		fault_sweep("goc_go_opts", spawn_opts_child, kinds[k],
			    SWEEP_MAX, NULL);
}

/* goc_wg_go restores the counter when the spawn fails. */
static int
wg_go_body(const struct fault_arm *a)
{
	goc_wg_t wg = {0};
	fault_arm_nth(a);
	int rc = goc_wg_go(&wg, (void (*)(void *))goc_yield, NULL);
	goc_wg_wait(&wg);
	goc__fault_disarm_all();
	if (rc != 0)
		CHECK_FAILED_STATUS(a, rc);
	CHECK(goc_wg_go(&wg, (void (*)(void *))goc_yield, NULL) == 0);
	goc_wg_wait(&wg);
	return verdict(a);
}

static int
wg_go_child(void *arg)
{
	return run_body(wg_go_body, arg);
}

GOC_TEST(wg_go)
{
	goc_test_set_timeout(600);
	fault_sweep("goc_wg_go", wg_go_child, GOC_FAULT_MALLOC, SWEEP_MAX,
		    fatal_oom);
}

/* ---- channels ---------------------------------------------------- */

static int
use_chan(goc_chan_t *c)
{
	int64_t v = 42, w = 0;
	CHECK(goc_chan_try_send(c, &v));
	CHECK(goc_chan_recv(c, &w) && w == 42);
	goc_chan_close(c);
	CHECK(!goc_chan_recv(c, &w));
	goc_chan_release(c);
	return FAULT_OK;
}

static int
chan_body(const struct fault_arm *a)
{
	fault_arm_nth(a);
	goc_chan_t *c = goc_chan_make(sizeof(int64_t), 16);
	goc__fault_disarm_all();
	if (c == NULL)
		CHECK(!fault_unfired(a));
	else if (use_chan(c) != FAULT_OK)
		return FAULT_BAD;
	c = goc_chan_make(sizeof(int64_t), 16);
	CHECK(c != NULL);
	if (use_chan(c) != FAULT_OK)
		return FAULT_BAD;
	return verdict(a);
}

static int
chan_child(void *arg)
{
	return run_body(chan_body, arg);
}

GOC_TEST(chan_make)
{
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		fault_sweep("goc_chan_make", chan_child, kinds[k], SWEEP_MAX,
			    NULL);
}

/* ---- contexts ---------------------------------------------------- */

static int key;

/* Checks a tree made (in part) under faults, then releases it. */
static int
use_ctx(goc_ctx_t *p, goc_ctx_t *t, goc_ctx_t *v, goc_ctx_t *d)
{
	int64_t dl;
	if (t != NULL)
		CHECK(goc_ctx_deadline(t, &dl) && dl > goc_now());
	if (v != NULL)
		CHECK(goc_ctx_value(v, &key) == (void *)&key);
	if (d != NULL) {
		/* Its deadline has passed: done already. */
		CHECK(!goc_chan_recv(goc_ctx_done(d), NULL));
		CHECK(goc_ctx_err(d) == GOC_EDEADLINE);
	}
	if (p != NULL) {
		goc_ctx_cancel(p);
		CHECK(!goc_chan_recv(goc_ctx_done(p), NULL));
		if (t != NULL)
			CHECK(!goc_chan_recv(goc_ctx_done(t), NULL) &&
			      goc_ctx_err(t) == GOC_ECANCELED);
		if (v != NULL)
			CHECK(goc_ctx_err(v) == GOC_ECANCELED);
	}
	goc_ctx_release(d);
	goc_ctx_release(v);
	goc_ctx_release(t);
	goc_ctx_release(p);
	return FAULT_OK;
}

static int
make_tree(const struct fault_arm *a, bool armed)
{
	goc_ctx_t *p = NULL, *t = NULL, *v = NULL, *d = NULL;
	if (armed)
		fault_arm_nth(a);
	p = goc_ctx_with_cancel(goc_ctx_background());
	if (p != NULL)
		t = goc_ctx_with_timeout(p, GOC_MINUTE);
	if (t != NULL)
		v = goc_ctx_with_value(t, &key, &key);
	if (v != NULL)
		d = goc_ctx_with_deadline(v, goc_now() - 1);
	if (armed)
		goc__fault_disarm_all();
	if (d == NULL)
		CHECK(armed && !fault_unfired(a));
	return use_ctx(p, t, v, d);
}

static int
ctx_body(const struct fault_arm *a)
{
	int r = make_tree(a, true);
	if (r == FAULT_OK)
		r = make_tree(a, false);
	return r != FAULT_OK ? r : verdict(a);
}

static int
ctx_child(void *arg)
{
	return run_body(ctx_body, arg);
}

GOC_TEST(ctx_create)
{
	goc_test_set_timeout(600);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		fault_sweep("goc_ctx_with_*", ctx_child, kinds[k], SWEEP_MAX,
			    fatal_oom);
}

/* goc_ctx_after_func: NULL or a registration that runs once. */
static void
after_fn(void *arg)
{
	goc_wg_done(arg);
}

static int
after_body(const struct fault_arm *a)
{
	goc_ctx_t *c = goc_ctx_with_cancel(goc_ctx_background());
	CHECK(c != NULL);
	goc_wg_t wg = {0};
	goc_wg_add(&wg, 1);
	fault_arm_nth(a);
	goc_ctx_after_t *r = goc_ctx_after_func(c, after_fn, &wg);
	goc__fault_disarm_all();
	if (r == NULL) {
		CHECK(!fault_unfired(a));
		goc_wg_done(&wg);
	}
	goc_ctx_cancel(c);
	goc_wg_wait(&wg);
	goc_ctx_after_release(r);
	goc_ctx_release(c);
	return verdict(a);
}

static int
after_child(void *arg)
{
	return run_body(after_body, arg);
}

GOC_TEST(ctx_after_func)
{
	goc_test_set_timeout(600);
	fault_sweep("goc_ctx_after_func", after_child, GOC_FAULT_MALLOC,
		    SWEEP_MAX, fatal_oom);
}

/* ---- timers ------------------------------------------------------ */

static int
timer_body(const struct fault_arm *a)
{
	int64_t when;
	fault_arm_nth(a);
	goc_timer_t *t = goc_timer_new(GOC_MILLISECOND);
	goc_chan_t *after = t != NULL ? goc_after(GOC_MILLISECOND) : NULL;
	goc__fault_disarm_all();
	if (after == NULL)
		CHECK(!fault_unfired(a));
	if (t != NULL) {
		CHECK(goc_chan_recv(goc_timer_chan(t), &when));
		goc_timer_release(t);
	}
	if (after != NULL) {
		CHECK(goc_chan_recv(after, &when));
		goc_chan_release(after);
	}
	t = goc_timer_new(GOC_MILLISECOND);
	CHECK(t != NULL);
	CHECK(goc_chan_recv(goc_timer_chan(t), &when));
	goc_timer_release(t);
	return verdict(a);
}

static int
timer_child(void *arg)
{
	return run_body(timer_body, arg);
}

GOC_TEST(timer_new)
{
	goc_test_set_timeout(600);
	/* Timers run on the runtime's timer heaps, which may need to grow
	 * when the timer fires: Go's out of memory there is fatal too. */
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		fault_sweep("goc_timer_new", timer_child, kinds[k], SWEEP_MAX,
			    fatal_oom);
}

/* ---- sync.Map, sync.Pool, ring ----------------------------------- */

static int
map_body(const struct fault_arm *a)
{
	static const char *const keys[] = {"a", "b", "c", "d", "e", "f"};
	int rcs[6];
	fault_arm_nth(a);
	goc_map_t *m = goc_map_new(&goc_map_type_str);
	for (int i = 0; m != NULL && i < 6; i++)
		rcs[i] = goc_map_store(m, keys[i], (void *)(uintptr_t)(i + 1));
	goc__fault_disarm_all();
	if (m == NULL) {
		CHECK(!fault_unfired(a));
	} else {
		for (int i = 0; i < 6; i++) {
			void *v = NULL;
			bool present = goc_map_load(m, keys[i], &v);
			if (rcs[i] == 0)
				CHECK(present &&
				      v == (void *)(uintptr_t)(i + 1));
			else
				CHECK(rcs[i] == GOC_ENOMEM && !present &&
				      !fault_unfired(a));
		}
		goc_map_clear(m);
		CHECK(goc_map_store(m, "z", (void *)1) == 0);
		goc_map_release(m);
	}
	m = goc_map_new(&goc_map_type_str);
	CHECK(m != NULL);
	CHECK(goc_map_store(m, "x", (void *)1) == 0);
	goc_map_release(m);
	return verdict(a);
}

static int
map_child(void *arg)
{
	return run_body(map_body, arg);
}

GOC_TEST(map_new)
{
	/* A thread's first map operation registers it with the map's
	 * epochs; that record is the runtime's, and fatal when it cannot
	 * be had. */
	static const char *const fatal_map[] = {
		"fatal error: goc_map: out of memory registering a thread",
		NULL};
	goc_test_set_timeout(600);
	fault_sweep("goc_map", map_child, GOC_FAULT_MALLOC, SWEEP_MAX,
		    fatal_map);
}

/* Pool objects are counted: every one made is got back or freed. */
static int pool_made, pool_freed; /* (atomic) */

static void *
pool_new(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&pool_made, 1, __ATOMIC_RELAXED);
	return malloc(16);
}

static void
pool_free(void *obj, void *arg)
{
	(void)arg;
	__atomic_add_fetch(&pool_freed, 1, __ATOMIC_RELAXED);
	free(obj);
}

static int
pool_body(const struct fault_arm *a)
{
	goc_pool_t p;
	void *objs[64];
	fault_arm_nth(a);
	goc_pool_init(&p, pool_new, pool_free, NULL);
	for (int i = 0; i < 64; i++)
		objs[i] = goc_pool_get(&p);
	for (int i = 0; i < 64; i++)
		goc_pool_put(&p, objs[i]);
	for (int i = 0; i < 32; i++)
		objs[i] = goc_pool_get(&p);
	goc__fault_disarm_all();
	for (int i = 0; i < 32; i++)
		CHECK(objs[i] != NULL);
	for (int i = 0; i < 32; i++)
		goc_pool_put(&p, objs[i]);
	goc_pool_destroy(&p);
	CHECK(__atomic_load_n(&pool_made, __ATOMIC_RELAXED) ==
	      __atomic_load_n(&pool_freed, __ATOMIC_RELAXED));
	return verdict(a);
}

static int
pool_child(void *arg)
{
	return run_body(pool_body, arg);
}

GOC_TEST(pool)
{
	goc_test_set_timeout(600);
	fault_sweep("goc_pool", pool_child, GOC_FAULT_MALLOC, SWEEP_MAX, NULL);
}

static int
ring_child(void *arg)
{
	const struct fault_arm *a = arg;
	goc_ring_t r;
	fault_arm_nth(a);
	int rc = goc_ring_init(&r, 64);
	goc__fault_disarm_all();
	if (rc != 0) {
		CHECK_FAILED_STATUS(a, rc);
		CHECK(goc_ring_init(&r, 64) == 0);
	}
	int x = 1;
	void *out = NULL;
	CHECK(goc_ring_push(&r, &x) && goc_ring_pop(&r, &out) && out == &x);
	goc_ring_destroy(&r);
	return verdict(a);
}

GOC_TEST(ring_init)
{
	fault_sweep("goc_ring_init", ring_child, GOC_FAULT_MALLOC, SWEEP_MAX,
		    NULL);
}

/* ---- runtime start ----------------------------------------------- */

static int
start_main(void *arg)
{
	goc_wg_t wg = {0};
	goc_wg_add(&wg, 1);
	if (goc_go(mark, &wg) != 0)
		return 7;
	goc_wg_wait(&wg);
	return *(int *)arg;
}

/* The first goc_run of the process, armed. */
static int
start_run_child(void *arg)
{
	const struct fault_arm *a = arg;
	int v = 5;
	fault_arm_nth(a);
	int rc = goc_run(start_main, &v);
	goc__fault_disarm_all();
	/* 7: the goc_go in main failed, with a status. */
	if (rc != 5 && rc != 7)
		CHECK_FAILED_STATUS(a, rc);
	else if (rc == 7)
		CHECK(!fault_unfired(a));
	CHECK(goc_run(start_main, &v) == 5);
	return verdict(a);
}

GOC_TEST(runtime_start_run)
{
	goc_test_set_timeout(600);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		fault_sweep("first goc_run", start_run_child, kinds[k],
			    SWEEP_MAX, fatal_oom);
}

/* The first goc_go of the process (from a plain thread), armed. */
static int
start_go_child(void *arg)
{
	const struct fault_arm *a = arg;
	goc_wg_t wg = {0};
	goc_wg_add(&wg, 1);
	fault_arm_nth(a);
	int rc = goc_go(mark, &wg);
	if (rc == 0)
		goc_wg_wait(&wg);
	goc__fault_disarm_all();
	if (rc != 0) {
		CHECK_FAILED_STATUS(a, rc);
		goc_wg_done(&wg);
	}
	goc_wg_add(&wg, 1);
	CHECK(goc_go(mark, &wg) == 0);
	goc_wg_wait(&wg);
	return verdict(a);
}

GOC_TEST(runtime_start_go)
{
	goc_test_set_timeout(600);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		fault_sweep("first goc_go", start_go_child, kinds[k], SWEEP_MAX,
			    fatal_oom);
}

/* ---- GOCONC_FAULTS ----------------------------------------------- */

/*
 * The variable is read at start-up, so env_probe runs in a re-executed
 * copy of this program with GOCONC_FAULTS set: the library's 2nd and 3rd
 * allocations fail, and a bad entry is reported and ignored.
 */
GOC_TEST(env_probe)
{
	if (getenv("GOC_FAULT_ENV_CHILD") == NULL)
		goc_test_skip("runs in env_variable's child");
	goc_chan_t *c[4];
	for (int i = 0; i < 4; i++)
		c[i] = goc_chan_make(1, 1);
	expect_ptr_ne(c[0], NULL);
	expect_ptr_eq(c[1], NULL);
	expect_ptr_eq(c[2], NULL);
	expect_ptr_ne(c[3], NULL);
	expect_uint_eq(goc__fault_fired(GOC_FAULT_MALLOC), 2);
	goc_chan_release(c[0]);
	goc_chan_release(c[3]);
}

/* Re-executes this program (behind GOC_TEST_WRAPPER, such as qemu). */
static int
env_exec(void *arg)
{
	char self[4096], words[1024], *argv[32];
	int n = 0;
	(void)arg;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		return 9;
	self[len] = 0;
	const char *w = getenv("GOC_TEST_WRAPPER");
	snprintf(words, sizeof(words), "%s", w != NULL ? w : "");
	for (char *t = strtok(words, " \t"); t != NULL && n < 28;
	     t = strtok(NULL, " \t"))
		argv[n++] = t;
	argv[n++] = self;
	argv[n++] = "env_probe";
	argv[n] = NULL;
	setenv("GOCONC_FAULTS", "malloc=2-3,bogus=1", 1);
	setenv("GOC_FAULT_ENV_CHILD", "1", 1);
	int fd = open("/dev/null", O_WRONLY);
	dup2(fd, 1);
	execvp(argv[0], argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	return 9;
}

GOC_TEST(env_variable)
{
	char *out;
	int st = fault_child(env_exec, NULL, &out);
	expect_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	expect_false(fault_sanitizer_report(out, false));
	expect_true(strstr(out, "GOCONC_FAULTS: ignoring \"bogus=1\"") != NULL);
	if (goc_test_failed())
		goc_test_note("child status 0x%x, stderr:\n%s", (unsigned)st,
			      out);
	free(out);
}
