/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Goroutine stacks: allocation, the guard budget, the pool of free stacks
 * and the stack overflow report.
 *
 * Follows Go 1.25 runtime/stack.go (stackalloc, stackfree, the stack
 * pool, newstack's "goroutine stack exceeds N-byte limit" report) and
 * runtime/signal_unix.go (an alternate signal stack per M, forwarding
 * signals that are not the runtime's). C cannot copy stacks, so stacks
 * have a fixed size and overflow is caught by a guard or a canary
 * (reference/go-semantics.md §1.9 [C]).
 *
 * Contents: why 64 KiB; the guard budget; slabs; invariants; OS helpers;
 * sanitizer hooks; configuration; the pool; alloc and free; slabs; the
 * canary and the report; the fault handler; statistics and test knobs.
 *
 * Why 64 KiB (GOC_STACK_DEFAULT_SIZE). Go starts a goroutine with 2 KiB
 * and grows it; C frames are larger (glibc's printf family alone uses a
 * few KiB, getaddrinfo and friends tens of KiB) and can never grow, so
 * the default must cover ordinary library calls. It can be generous
 * because it costs address space, not memory: the mapping is
 * MAP_NORESERVE and the kernel commits a page only when it is first
 * touched, and a parked goroutine has touched only the top of its stack.
 * Measured by tests/unit/stack.c (rss_of_stacks; x86_64, 4 KiB pages):
 * an untouched guarded stack adds no RSS (under 64 bytes per stack on
 * average: noise), one whose goroutine used under a page adds 4 KiB, and
 * an unguarded stack adds one more page, the one its canary is written
 * on: 4 KiB untouched, 8 KiB parked. Page tables come on top (one 4 KiB
 * table per 2 MiB of touched stacks: 136 bytes per stack, measured). So
 * a parked goroutine with small frames costs 4 KiB of stack while the
 * guard budget lasts and 8 KiB after it, which is the SPEC's limit for
 * the whole goroutine: past the budget, the canary's page is most of
 * what a million parked goroutines pay. A million stacks of 64 KiB with
 * their 16 KiB guards are 80 GB of address space, a small part of
 * x86_64's 128 TiB. (With vm.overcommit_memory=2 the kernel ignores
 * MAP_NORESERVE and charges every stack in full; use smaller stacks
 * there.) GOCONC_STACKSIZE changes the default for the whole process.
 *
 * The guard budget (SPEC §10). The kernel allows vm.max_map_count
 * mappings (65530 by default). A guarded stack costs two (the PROT_NONE
 * guard and the stack; measured: 10,000 guarded stacks add 20,000
 * mappings), while unguarded stacks are plain read-write anonymous
 * mappings the kernel merges with their neighbours (measured: 10,000
 * adjacent ones add a single mapping; 50,000 stacks past the budget add
 * 2 x 24,573 + 1). Guarded stacks may use three quarters of the limit:
 *
 *     budget = max_map_count * 3/4 / MAPS_PER_GUARDED   (24,573 at 65530)
 *
 * The last quarter (16,382 by default) is the program's: its libraries,
 * malloc arenas, two per thread stack, the runs of unguarded stacks (one
 * mapping per run, plus one per hole a freed stack leaves until it is
 * reused) and the sanitizer runtimes. MAPS_PER_GUARDED is 2, or 4 under
 * TSan, whose mmap interceptor can add two mappings of its own per call
 * (measured). Past the budget new stacks get a canary and the runtime
 * says so once on stderr; GOCONC_STACKGUARD=strict makes allocation fail
 * with GOC_EAGAIN instead. A pooled guarded stack still counts: it still
 * holds its two mappings. If the kernel refuses a guard all the same
 * (the program has more mappings than the budget left room for), the
 * budget drops to what the kernel allowed.
 *
 * Slabs (goc__stack_alloc_slab, what the scheduler uses). One mmap and
 * one mprotect per stack made spawning a burst of goroutines cost
 * microseconds each, and the kernel's mmap lock serialised the Ps doing
 * it. So default-size stacks come in slabs of up to SLAB_SLOTS stacks per
 * mapping, handed out from a free list and returned to it, never
 * unmapped (their memory is trimmed on free). Two kinds:
 *
 *   guarded slab:  | guard | stack 0 | guard | stack 1 | ... |
 *
 *     made while the budget has room for its guards (they are reserved
 *     for the whole slab at once, and stay counted while the slab lives);
 *     each guard is mprotect'd once, when the slab is made. It costs the
 *     same two mappings per stack as a lone guarded stack.
 *
 *   canary slab:   | page | stack 0 | stack 1 | stack 2 | ... |
 *                       ^ canary 0 ^ canary 1 ^ canary 2
 *
 *     made once the budget is spent (never in strict mode): one read-write
 *     mapping, no guard, no cushion. Each stack starts CANARY_BYTES below
 *     a page boundary, so its canary shares a page with the top of the
 *     stack beneath it, which that stack's goroutine has touched anyway: a
 *     parked goroutine costs one page (4 KiB) instead of two, which is
 *     what brings a million parked goroutines under 8 KiB each. The price:
 *     an overflow runs into the neighbour's top frames before the canary
 *     check at the next switch reports it (a lone unguarded stack has a
 *     16 KiB cushion instead). GOCONC_STACKGUARD=strict avoids canaries.
 *
 * A freed slot is trimmed (MADV_DONTNEED) except, in a canary slab, its
 * top page, which holds the next stack's canary. Slabs are made with the
 * default size of the moment; when goc__stack_reconfigure changes it, the
 * free slots of the old size are dropped (trimmed, left mapped, no longer
 * counted) and so are old-size slots freed later.
 */
#include "config.h"

#include "sched/stack.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "goconc/common.h"
#include "internal/compiler.h"
#include "internal/panic.h"

#if GOC_ASAN_ENABLED
#include <sanitizer/asan_interface.h>
#endif

/*
 * Invariants, all under stk.lock:
 *  - guard_used == live guarded stacks + stk.pool_g.n + stk.slab_g.n; it
 *    exceeds budget only after goc__stack_set_guard_budget lowered the
 *    budget.
 *  - unguarded_mapped == live unguarded stacks + stk.pool_u.n +
 *    stk.slab_u.n.
 *  - A slot on slab_g or slab_u has size slab_size, is trimmed and (under
 *    ASan) poisoned. Strict mode never takes from slab_u (take_slab).
 *  - pool_n == stk.pool_g.n + stk.pool_u.n <= pool_max <=
 *    GOC_STACK_POOL_CAP.
 *  - A pooled stack has the default size of the moment it was pooled
 *    (goc__stack_reconfigure drains the pool when the default changes),
 *    is trimmed (holds no RSS) and is poisoned under ASan. Under TSan
 *    the pool is empty.
 *  - A live stack is unpoisoned; an unguarded one has its canary written
 *    at lo.
 *
 * Lock rules: stk.lock is a leaf lock (no other lock is taken under it),
 * held for a few loads and stores; the only system calls under it read
 * the settings (configure). A per-P stack cache will sit in front of
 * take_or_reserve and pool_put (as Go's stackcache does in front of
 * stackpool) and move stacks to and from the pool in batches.
 */

/* Pages below a stack's mapping where a fault still counts as ours. */
#define FAULT_SLACK_PAGES 2
#define ALTSTACK_SIZE     (64 * 1024)
#define POOL_DEFAULT_MAX  GOC_STACK_POOL_CAP
#if GOC_TSAN_ENABLED
#define MAPS_PER_GUARDED 4
#else
#define MAPS_PER_GUARDED 2
#endif
/*
 * Never pool under TSan: reusing a dead goroutine's stack reads as a race
 * with it, and only unmapping (which TSan's interceptor turns into a
 * shadow reset) avoids that. The coming --enable-race build (GOC_RACE)
 * needs the same.
 */
#if GOC_TSAN_ENABLED || defined(GOC_RACE)
#define STACK_NO_POOL 1
#else
#define STACK_NO_POOL 0
#endif

/* A LIFO of free stacks of one kind. */
struct stack_stash {
	size_t n;
	struct goc_stack s[GOC_STACK_POOL_CAP];
};

/* A LIFO of free slab slots, grown as slabs are made. */
struct slot_list {
	size_t n, cap;
	struct goc_stack *v;
};

/* Slab geometry: at most SLAB_SLOTS stacks and SLAB_MAX_BYTES a slab. */
#define SLAB_SLOTS     64
#define SLAB_MAX_BYTES ((size_t)64 << 20)
#define CANARY_BYTES   (GOC_STACK_CANARY_WORDS * sizeof(uintptr_t))

static struct {
	pthread_once_t once;
	bool ready;           /* (atomic) set once init_once has run */
	pthread_mutex_t lock; /* leaf; guards the fields below page, guard */
	size_t page;          /* (immutable after init) */
	size_t guard;         /* (immutable after init) bytes below lo */
	/* (lock for writes; atomic relaxed reads: it orders nothing) */
	size_t default_size;
	bool strict; /* (lock; relaxed atomic reads) GOCONC_STACKGUARD=strict */
	bool notice_armed; /* (lock; relaxed atomic reads) the one notice */
	uint64_t max_map_count;    /* (lock) */
	uint64_t budget;           /* (lock) */
	uint64_t guard_used;       /* (lock) see invariants */
	uint64_t unguarded_mapped; /* (lock) see invariants */
	size_t pool_max;           /* (lock; relaxed atomic reads: a hint) */
	size_t pool_n; /* (lock; relaxed atomic reads) pool_g.n + pool_u.n */
	struct stack_stash pool_g; /* (lock) free guarded stacks */
	struct stack_stash pool_u; /* (lock) free unguarded stacks */
	size_t slab_size;          /* (lock) usable size of slab slots */
	uint64_t nslabs;           /* (lock) slabs mapped */
	struct slot_list slab_g;   /* (lock) free guarded slab slots */
	struct slot_list slab_u;   /* (lock) free canary slab slots */
} stk = {
	.once = PTHREAD_ONCE_INIT,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

/* The goroutine each thread runs (stack.h). */
__thread struct goc_stack_owner goc__stack_owner
	__attribute__((tls_model("initial-exec")));
static __thread void *altstack_map /* (own thread) our sigaltstack */
	__attribute__((tls_model("initial-exec")));

/* ---- OS helpers (Linux; they move to src/os/ with the OS layer) ---- */

static size_t
sys_page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : 4096;
}

/* vm.max_map_count, or the kernel's default when it cannot be read. */
static uint64_t
sys_max_map_count(void)
{
	char buf[32];
	uint64_t v = 0;
	int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 65530;
	for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(buf[i] - '0');
	return v > 0 ? v : 65530;
}

/* Reserves len bytes of lazily committed read-write memory. */
static void *
sys_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* 0, or -1 when the kernel refuses (ENOMEM: the mapping limit). */
static int
sys_protect_none(void *p, size_t len)
{
	return mprotect(p, len, PROT_NONE);
}

static void
sys_unmap(void *p, size_t len)
{
	/* munmap fails only for bad arguments: a corrupted goc_stack. */
	if (munmap(p, len) != 0)
		goc__throw("munmap of a goroutine stack failed");
}

/* Drops the pages of a private anonymous range; they read as zero. */
static void
sys_trim(void *p, size_t len)
{
	if (madvise(p, len, MADV_DONTNEED) != 0)
		goc__throw(
			"madvise(MADV_DONTNEED) of a goroutine stack failed");
}

static void
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* ---- async-signal-safe formatting ---------------------------------- */

struct out {
	char buf[512];
	size_t len;
};

static void
out_str(struct out *o, const char *s, size_t max)
{
	for (size_t i = 0; s[i] != 0 && i < max; i++)
		if (o->len < sizeof(o->buf))
			o->buf[o->len++] = s[i];
}

static void
out_uint(struct out *o, uint64_t v, unsigned base)
{
	char tmp[24];
	int i = 0;

	do
		tmp[i++] = "0123456789abcdef"[v % base];
	while ((v /= base) > 0);
	while (i > 0 && o->len < sizeof(o->buf))
		o->buf[o->len++] = tmp[--i];
}

static void
out_hex(struct out *o, uintptr_t v)
{
	out_str(o, "0x", 2);
	out_uint(o, v, 16);
}

/* ---- sanitizer hooks ----------------------------------------------- */

/*
 * This layer tells ASan which stack memory is addressable. Registering a
 * stack as a LeakSanitizer root region (LSan does not scan mmap'd
 * memory) and with Valgrind is the fiber layer's (src/rt/fiber.h,
 * goc__fiber_make and goc__fiber_destroy): it knows when a goroutine
 * actually lives on a stack, while a dead goroutine's stack may stay
 * allocated, cached with its g, and must not keep its stale pointers as
 * roots. Registering here as well would register every stack twice.
 */

/* A stack becomes live: make it addressable. */
static void
tools_stack_live(struct goc_stack *s)
{
#if GOC_ASAN_ENABLED
	/*
	 * Pooled stacks are poisoned. A fresh one is clean unless memory
	 * mapped there before was unmapped poisoned; checking first avoids
	 * writing (so committing) the shadow of every fresh stack.
	 */
	if (__asan_region_is_poisoned(s->lo, s->size) != NULL)
		__asan_unpoison_memory_region(s->lo, s->size);
#endif
	(void)s;
}

/*
 * A stack enters the pool: poisoned, so a pointer to a dead goroutine's
 * local is caught; this also replaces the redzones its last frames left.
 */
static void
tools_stack_pooled(struct goc_stack *s)
{
#if GOC_ASAN_ENABLED
	__asan_poison_memory_region(s->lo, s->size);
#endif
	(void)s;
}

/* A stack is unmapped: leave no poison for the next mapping there. */
static void
tools_stack_unmapped(struct goc_stack *s)
{
#if GOC_ASAN_ENABLED
	__asan_unpoison_memory_region(s->lo, s->size);
#endif
	(void)s;
}

/* ---- configuration ------------------------------------------------- */

size_t
goc__stack_parse_size(const char *s)
{
	uint64_t v = 0;
	size_t i = 0;

	if (s == NULL)
		return 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > GOC_STACK_MAX_SIZE)
			return 0;
	}
	if (i == 0)
		return 0;
	if (s[i] == 'k' || s[i] == 'K') {
		v *= 1024;
		i++;
	} else if (s[i] == 'm' || s[i] == 'M') {
		v *= 1024 * 1024;
		i++;
	}
	if (s[i] != 0 || v < GOC_STACK_MIN_SIZE || v > GOC_STACK_MAX_SIZE)
		return 0;
	return (size_t)v;
}

static size_t
round_page(size_t n)
{
	return (n + stk.page - 1) & ~(stk.page - 1);
}

static void
warn_setting(const char *name, const char *val, const char *why)
{
	struct out o = {.len = 0};

	out_str(&o, "goconc: ignoring ", 64);
	out_str(&o, name, 64);
	out_str(&o, "=\"", 2);
	out_str(&o, val, 64);
	out_str(&o, "\": ", 3);
	out_str(&o, why, 256);
	out_str(&o, "\n", 1);
	write_all(2, o.buf, o.len);
}

static uint64_t
budget_for(uint64_t max_map_count)
{
	return max_map_count * 3 / 4 / MAPS_PER_GUARDED;
}

size_t goc__stack_lazy_size;

/* Reads the environment into the configuration (called with stk.lock). */
static void
configure(void)
{
	const char *sz = getenv("GOCONC_STACKSIZE");
	const char *guard = getenv("GOCONC_STACKGUARD");
	size_t size = GOC_STACK_DEFAULT_SIZE;

	if (sz != NULL && *sz != 0) {
		size_t v = goc__stack_parse_size(sz);
		if (v != 0)
			size = round_page(v);
		else
			warn_setting("GOCONC_STACKSIZE", sz,
				     "want bytes with an optional k or m "
				     "suffix, from 16k to 1024m; using 64k");
	}
	/* Always a rounded size within bounds (goc__newproc relies on it:
	 * goc__stack_round_size would return it unchanged). */
	__atomic_store_n(&stk.default_size, size, __ATOMIC_RELAXED);
	if (stk.slab_size != size) {
		/* Free slots of the old size stay mapped but leave the books
		 * (see "Slabs" at the top). */
		stk.guard_used -= stk.slab_g.n;
		stk.unguarded_mapped -= stk.slab_u.n;
		stk.slab_g.n = stk.slab_u.n = 0;
		stk.slab_size = size;
	}
	/* Atomic stores: goc__stack_lazy_ok reads it without the lock. */
	bool strict = guard != NULL && strcmp(guard, "strict") == 0;
	__atomic_store_n(&stk.strict, strict, __ATOMIC_RELAXED);
	__atomic_store_n(&goc__stack_lazy_size,
			 STACK_NO_POOL || strict ? 0 : size, __ATOMIC_RELAXED);
	if (!strict && guard != NULL && *guard != 0)
		warn_setting("GOCONC_STACKGUARD", guard,
			     "the only setting is \"strict\"; using guard "
			     "pages, then canaries");
	stk.max_map_count = sys_max_map_count();
	stk.budget = budget_for(stk.max_map_count);
	__atomic_store_n(&stk.notice_armed, true, __ATOMIC_RELAXED);
}

static void
init_once(void)
{
	stk.page = sys_page_size();
	stk.guard = round_page(GOC_STACK_GUARD_SIZE);
	__atomic_store_n(&stk.pool_max, STACK_NO_POOL ? 0 : POOL_DEFAULT_MAX,
			 __ATOMIC_RELAXED);
	pthread_mutex_lock(&stk.lock);
	configure();
	pthread_mutex_unlock(&stk.lock);
	/* Release: pairs with the acquire in goc__stack_init. */
	__atomic_store_n(&stk.ready, true, __ATOMIC_RELEASE);
}

void
goc__stack_init(void)
{
	/* Acquire: what init_once wrote is visible once ready reads true;
	 * every spawn comes here, and the flag costs less than the once. */
	if (GOC_LIKELY(__atomic_load_n(&stk.ready, __ATOMIC_ACQUIRE)))
		return;
	pthread_once(&stk.once, init_once);
}

size_t
goc__stack_default_size(void)
{
	goc__stack_init();
	return __atomic_load_n(&stk.default_size, __ATOMIC_RELAXED);
}

/* ---- the pool ------------------------------------------------------ */

/* Called with stk.lock after a stash changed. */
static void
pool_count(void)
{
	__atomic_store_n(&stk.pool_n, stk.pool_g.n + stk.pool_u.n,
			 __ATOMIC_RELAXED);
}

static bool
stash_pop(struct stack_stash *st, struct goc_stack *s)
{
	if (st->n == 0)
		return false;
	*s = st->s[--st->n];
	pool_count();
	return true;
}

/*
 * Whether a free should try the pool: the default size, and room by a
 * racy look (pool_put decides under the lock), so that a mass exit past
 * the bound does not trim stacks it is about to unmap.
 */
static bool
poolable(const struct goc_stack *s)
{
	return s->size ==
		       __atomic_load_n(&stk.default_size, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&stk.pool_n, __ATOMIC_RELAXED) <
		       __atomic_load_n(&stk.pool_max, __ATOMIC_RELAXED);
}

/* Puts a trimmed, poisoned stack in the pool; false when it is full. */
static bool
pool_put(const struct goc_stack *s)
{
	bool ok = false;

	pthread_mutex_lock(&stk.lock);
	/* The default may have changed since poolable() looked. */
	if (stk.pool_g.n + stk.pool_u.n < stk.pool_max &&
	    s->size == stk.default_size) {
		struct stack_stash *st = s->guarded ? &stk.pool_g : &stk.pool_u;
		st->s[st->n++] = *s;
		pool_count();
		ok = true;
	}
	pthread_mutex_unlock(&stk.lock);
	return ok;
}

/* Unmaps a stack that is not live (fresh, or taken from the pool). */
static void
unmap_stack(struct goc_stack *s)
{
	tools_stack_unmapped(s);
	sys_unmap(s->map, s->map_size);
	pthread_mutex_lock(&stk.lock);
	if (s->guarded)
		stk.guard_used--;
	else
		stk.unguarded_mapped--;
	pthread_mutex_unlock(&stk.lock);
	memset(s, 0, sizeof(*s));
}

/* Unmaps pooled stacks until at most keep remain. */
static void
pool_shrink(size_t keep)
{
	for (;;) {
		struct goc_stack s;
		bool got;

		pthread_mutex_lock(&stk.lock);
		got = stk.pool_g.n + stk.pool_u.n > keep &&
		      (stash_pop(&stk.pool_u, &s) ||
		       stash_pop(&stk.pool_g, &s));
		pthread_mutex_unlock(&stk.lock);
		if (!got)
			return;
		unmap_stack(&s);
	}
}

void
goc__stack_pool_drain(void)
{
	goc__stack_init();
	pool_shrink(0);
}

/* ---- alloc and free ------------------------------------------------ */

static void slab_free(struct goc_stack *s);

static uintptr_t
canary_word(size_t i)
{
	/* "gocstack" with the index folded in, so no two words are equal. */
	return (uintptr_t)0x676f63737461636bull ^ ((uintptr_t)i * 0x9e3779b9u);
}

static void
canary_write(struct goc_stack *s)
{
	uintptr_t *w = s->lo;

	for (size_t i = 0; i < GOC_STACK_CANARY_WORDS; i++)
		w[i] = canary_word(i);
}

/* Says once that stacks from now on have only a canary. */
static void
notice_unguarded(void)
{
	uint64_t budget, maps;
	bool say;

	/* Relaxed: a hint that spares the lock; the lock decides. */
	if (!__atomic_load_n(&stk.notice_armed, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&stk.lock);
	say = stk.notice_armed;
	__atomic_store_n(&stk.notice_armed, false, __ATOMIC_RELAXED);
	budget = stk.budget;
	maps = stk.max_map_count;
	pthread_mutex_unlock(&stk.lock);
	if (!say)
		return;

	struct out o = {.len = 0};
	out_str(&o, "goconc: ", 16);
	out_uint(&o, budget, 10);
	out_str(&o,
		" guarded goroutine stacks in use (the budget from "
		"vm.max_map_count=",
		128);
	out_uint(&o, maps, 10);
	out_str(&o,
		"); new stacks get a canary instead of a guard "
		"(GOCONC_STACKGUARD=strict refuses them)\n",
		128);
	write_all(2, o.buf, o.len);
}

/*
 * The kernel refused a guard (the mapping limit: the program has
 * more mappings than the budget left room for). Gives back the
 * reservation and lowers the budget to what the kernel allowed; frees
 * raise the room again. Returns true in strict mode, where the stack
 * must go (uncounted); otherwise counts it as unguarded.
 */
static bool
guard_refused(void)
{
	bool strict;

	pthread_mutex_lock(&stk.lock);
	stk.guard_used--;
	stk.budget = stk.guard_used;
	strict = stk.strict;
	if (!strict)
		stk.unguarded_mapped++;
	pthread_mutex_unlock(&stk.lock);
	return strict;
}

/* Unmaps a stack that no counter includes. */
static void
discard_uncounted(struct goc_stack *s)
{
	tools_stack_unmapped(s);
	sys_unmap(s->map, s->map_size);
	memset(s, 0, sizeof(*s));
}

/* Maps a fresh stack; guarded says whether a guard was reserved. */
static int
map_stack(struct goc_stack *s, size_t size, bool guarded)
{
	s->size = size;
	s->map_size = size + stk.guard;
	s->map = sys_map(s->map_size);
	s->guarded = false;
	if (s->map == NULL) {
		pthread_mutex_lock(&stk.lock);
		if (guarded)
			stk.guard_used--;
		else
			stk.unguarded_mapped--;
		pthread_mutex_unlock(&stk.lock);
		memset(s, 0, sizeof(*s));
		return GOC_ENOMEM;
	}
	/* After the check: an offset from NULL is undefined behaviour. */
	s->lo = (char *)s->map + stk.guard;
	if (!guarded)
		return 0;
	if (sys_protect_none(s->map, stk.guard) == 0) {
		s->guarded = true;
		return 0;
	}
	if (guard_refused()) {
		discard_uncounted(s);
		return GOC_EAGAIN;
	}
	return 0;
}

/*
 * Gets a stack from the pool or plans a fresh one. Returns 1 with *s
 * filled from the pool (*upgrade: a guard was reserved for an unguarded
 * one), 0 for a fresh one (*guard: reserved), or GOC_EAGAIN (strict and
 * no budget).
 */
static int
take_or_reserve(struct goc_stack *s, size_t size, bool *guard, bool *upgrade)
{
	int rc = 0;

	*guard = *upgrade = false;
	pthread_mutex_lock(&stk.lock);
	bool room = stk.guard_used < stk.budget;
	if (size == stk.default_size && stash_pop(&stk.pool_g, s)) {
		rc = 1;
	} else if (size == stk.default_size && (room || !stk.strict) &&
		   stash_pop(&stk.pool_u, s)) {
		rc = 1;
		if (room) {
			/* Becomes guarded: move it between the counts now. */
			stk.guard_used++;
			stk.unguarded_mapped--;
			*upgrade = true;
		}
	} else if (room) {
		stk.guard_used++;
		*guard = true;
	} else if (stk.strict) {
		rc = GOC_EAGAIN;
	} else {
		stk.unguarded_mapped++;
	}
	pthread_mutex_unlock(&stk.lock);
	return rc;
}

size_t
goc__stack_round_size(size_t size)
{
	goc__stack_init();
	if (size > GOC_STACK_MAX_SIZE)
		return 0;
	if (size == 0)
		size = __atomic_load_n(&stk.default_size, __ATOMIC_RELAXED);
	if (size < GOC_STACK_MIN_SIZE)
		size = GOC_STACK_MIN_SIZE;
	return round_page(size);
}

int
goc__stack_alloc(struct goc_stack *s, size_t size)
{
	bool guard, upgrade;
	int rc;

	memset(s, 0, sizeof(*s));
	size = goc__stack_round_size(size);
	if (size == 0)
		return GOC_EINVAL;

	rc = take_or_reserve(s, size, &guard, &upgrade);
	if (rc < 0)
		return rc;
	if (rc == 0 && (rc = map_stack(s, size, guard)) != 0)
		return rc;
	if (upgrade) {
		if (sys_protect_none(s->map, stk.guard) == 0) {
			s->guarded = true;
		} else if (guard_refused()) {
			discard_uncounted(s);
			return GOC_EAGAIN;
		}
	}
	tools_stack_live(s);
	if (!s->guarded) {
		canary_write(s);
		notice_unguarded();
	}
	return 0;
}

void
goc__stack_free(struct goc_stack *s)
{
	if (s->map == NULL)
		return;
	if (s->slab) {
		slab_free(s);
		memset(s, 0, sizeof(*s));
		return;
	}
	if (poolable(s)) {
		/*
		 * Trim before pooling: the pool must hold no RSS. A guarded
		 * stack's guard holds nothing; an unguarded one's cushion
		 * may have been written by a deep frame.
		 */
		if (s->guarded)
			sys_trim(s->lo, s->size);
		else
			sys_trim(s->map, s->map_size);
		tools_stack_pooled(s);
		if (pool_put(s)) {
			memset(s, 0, sizeof(*s));
			return;
		}
	}
	unmap_stack(s);
}

/* ---- slabs --------------------------------------------------------- */

/* Pushes a free slot (stk.lock held). */
static void
slots_push(struct slot_list *l, const struct goc_stack *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap != 0 ? 2 * l->cap : 256;
		struct goc_stack *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			goc__throw(
				"out of memory for the stack slab free list");
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *s;
}

static bool
slots_pop(struct slot_list *l, struct goc_stack *s)
{
	if (l->n == 0)
		return false;
	*s = l->v[--l->n];
	return true;
}

static size_t
slab_slots(size_t stride)
{
	size_t k = SLAB_MAX_BYTES / stride;

	if (k > SLAB_SLOTS)
		k = SLAB_SLOTS;
	return k != 0 ? k : 1;
}

/*
 * Files the slots of a new slab: the caller gets slots[0], the rest go on
 * the free lists in reverse, so that they are handed out in address
 * order (a canary slab's next stack writes its canary on the page its
 * predecessor's goroutine has touched). A slot that could not be guarded
 * is a lone-style unguarded stack (its guard area is its cushion), or is
 * left out in strict mode. Returns false if no slot was usable.
 */
static bool
slab_file(struct goc_stack *out, struct goc_stack *slots, size_t k,
	  size_t refused)
{
	size_t first = k;

	pthread_mutex_lock(&stk.lock);
	stk.nslabs++;
	if (refused != 0) {
		/* The kernel's mapping limit: as guard_refused(). */
		stk.guard_used -= refused;
		stk.budget = stk.guard_used;
		if (!stk.strict)
			stk.unguarded_mapped += refused;
	}
	for (size_t i = k; i-- > 0;) {
		struct goc_stack *t = &slots[i];
		if (!t->guarded && refused != 0 && stk.strict)
			continue; /* uncounted, never handed out */
		if (t->size != stk.slab_size) {
			/* The default changed while we were mapping. */
			if (t->guarded)
				stk.guard_used--;
			else
				stk.unguarded_mapped--;
			continue;
		}
		if (first < k)
			slots_push(slots[first].guarded ? &stk.slab_g
							: &stk.slab_u,
				   &slots[first]);
		first = i;
	}
	pthread_mutex_unlock(&stk.lock);
	if (first == k)
		return false;
	*out = slots[first];
	return true;
}

/* Maps a guarded slab of k slots, whose k guards are reserved. */
static int
slab_new_guarded(struct goc_stack *out, size_t size, size_t k)
{
	struct goc_stack slots[SLAB_SLOTS];
	size_t stride = stk.guard + size, refused = 0;
	char *base = sys_map(k * stride);

	if (base == NULL) {
		pthread_mutex_lock(&stk.lock);
		stk.guard_used -= k;
		pthread_mutex_unlock(&stk.lock);
		return GOC_ENOMEM;
	}
	for (size_t i = 0; i < k; i++) {
		struct goc_stack *t = &slots[i];
		t->map = base + i * stride;
		t->map_size = stride;
		t->lo = base + i * stride + stk.guard;
		t->size = size;
		t->slab = true;
		t->guarded = sys_protect_none(t->map, stk.guard) == 0;
		if (!t->guarded)
			refused++;
	}
	if (!slab_file(out, slots, k, refused))
		return refused != 0 ? GOC_EAGAIN : GOC_ENOMEM;
	return 0;
}

/*
 * Maps a canary slab of k slots (counted as unguarded already). A slot's
 * map and map_size describe what may be trimmed when it is free: its
 * pages above the one its canary is on and below its top page.
 */
static int
slab_new_canary(struct goc_stack *out, size_t size, size_t k)
{
	struct goc_stack slots[SLAB_SLOTS];
	char *base = sys_map(stk.page + k * size);

	if (base == NULL) {
		pthread_mutex_lock(&stk.lock);
		stk.unguarded_mapped -= k;
		pthread_mutex_unlock(&stk.lock);
		return GOC_ENOMEM;
	}
	for (size_t i = 0; i < k; i++) {
		struct goc_stack *t = &slots[i];
		char *start = base + stk.page + i * size;
		t->lo = start - CANARY_BYTES;
		t->size = size;
		t->map = start;
		t->map_size = size - stk.page;
		t->guarded = false;
		t->slab = true;
	}
	if (!slab_file(out, slots, k, 0))
		return GOC_ENOMEM;
	return 0;
}

/*
 * Takes a free slot or makes a slab: a guarded slot, else a new guarded
 * slab while the budget has room, else (not strict) a canary slot or a
 * new canary slab. Returns 0, GOC_EAGAIN (strict, no budget) or
 * GOC_ENOMEM.
 */
static int
take_slab(struct goc_stack *s, size_t size)
{
	pthread_mutex_lock(&stk.lock);
	if (slots_pop(&stk.slab_g, s)) {
		pthread_mutex_unlock(&stk.lock);
		return 0;
	}
	if (stk.guard_used < stk.budget) {
		size_t k = slab_slots(stk.guard + size);
		if (k > stk.budget - stk.guard_used)
			k = (size_t)(stk.budget - stk.guard_used);
		stk.guard_used += k;
		pthread_mutex_unlock(&stk.lock);
		return slab_new_guarded(s, size, k);
	}
	if (stk.strict) {
		pthread_mutex_unlock(&stk.lock);
		return GOC_EAGAIN;
	}
	if (slots_pop(&stk.slab_u, s)) {
		pthread_mutex_unlock(&stk.lock);
		return 0;
	}
	size_t k = slab_slots(size);
	stk.unguarded_mapped += k;
	pthread_mutex_unlock(&stk.lock);
	return slab_new_canary(s, size, k);
}

int
goc__stack_alloc_slab(struct goc_stack *s, size_t size)
{
	memset(s, 0, sizeof(*s));
	size = goc__stack_round_size(size);
	if (size == 0)
		return GOC_EINVAL;
	if (STACK_NO_POOL ||
	    size != __atomic_load_n(&stk.default_size, __ATOMIC_RELAXED))
		return goc__stack_alloc(s, size);
	int rc = take_slab(s, size);
	if (rc != 0) {
		memset(s, 0, sizeof(*s));
		return rc;
	}
	tools_stack_live(s);
	if (!s->guarded) {
		canary_write(s);
		notice_unguarded();
	}
	return 0;
}

bool
goc__stack_lazy_ok(size_t size)
{
	/* Relaxed: a hint; a stale answer costs only an eager stack, or a
	 * lazy one the slab path still gives (a strict switch is a test
	 * knob). STACK_NO_POOL: TSan and race builds. */
	return !STACK_NO_POOL &&
	       size == __atomic_load_n(&stk.default_size, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&stk.strict, __ATOMIC_RELAXED);
}

/* A slab slot comes back: trimmed, poisoned, on its free list. */
static void
slab_free(struct goc_stack *s)
{
	if (s->guarded)
		sys_trim(s->lo, s->size);
	else
		sys_trim(s->map, s->map_size);
	tools_stack_pooled(s);
	pthread_mutex_lock(&stk.lock);
	if (s->size == stk.slab_size && (s->guarded || !stk.strict)) {
		slots_push(s->guarded ? &stk.slab_g : &stk.slab_u, s);
	} else if (s->guarded) {
		/* Dropped (see "Slabs" at the top). */
		stk.guard_used--;
	} else {
		stk.unguarded_mapped--;
	}
	pthread_mutex_unlock(&stk.lock);
}

/* ---- the canary and the report ------------------------------------- */

/*
 * Not instrumented by ASan: a parked goroutine's deepest frame may have
 * left redzone poison over the canary, and reading it is the point.
 */
__attribute__((no_sanitize("address"))) bool
goc__stack_check_canary(const struct goc_stack *s)
{
	const uintptr_t *w = s->lo;
	uintptr_t diff = 0;

	for (size_t i = 0; i < GOC_STACK_CANARY_WORDS; i++)
		diff |= w[i] ^ canary_word(i);
	return diff == 0;
}

static int reporting; /* (atomic) 1 once a report has started */

void
goc__stack_overflow(uint64_t goid, const char *name, const struct goc_stack *s)
{
	struct out o = {.len = 0};

	/*
	 * One report at a time: a second overflowing thread waits for the
	 * first one's abort. Relaxed is enough: the flag guards no data.
	 */
	if (__atomic_exchange_n(&reporting, 1, __ATOMIC_RELAXED) != 0)
		for (;;)
			pause();
	out_str(&o, "runtime: goroutine stack exceeds ", 64);
	out_uint(&o, s->size, 10);
	out_str(&o, "-byte limit\nruntime: goroutine ", 64);
	out_uint(&o, goid, 10);
	if (name != NULL) {
		out_str(&o, " (", 2);
		out_str(&o, name, 64);
		out_str(&o, ")", 1);
	}
	out_str(&o, " stack [", 8);
	out_hex(&o, (uintptr_t)s->lo);
	out_str(&o, ", ", 2);
	out_hex(&o, (uintptr_t)s->lo + s->size);
	out_str(&o, ")\nfatal error: stack overflow\n\ngoroutine ", 64);
	out_uint(&o, goid, 10);
	out_str(&o, " [running]:\n", 16);
	write_all(2, o.buf, o.len);
	abort();
}

/* ---- the fault handler --------------------------------------------- */

/*
 * The dispositions our handler replaced. Written once, before the
 * sigaction that installs the handler; the handler runs only after that
 * system call, which orders the writes before it on every thread.
 */
static struct sigaction old_segv, old_bus;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

/*
 * Whether a fault at addr is the running goroutine overflowing s: in the
 * guard below lo, or a page or two below the mapping, where a frame
 * larger than the guard that stepped over it lands when nothing is
 * mapped there (past an unguarded stack's cushion, likewise).
 */
static bool
is_overflow(const struct goc_stack *s, uintptr_t addr)
{
	uintptr_t lo = (uintptr_t)s->lo;
	uintptr_t below = (uintptr_t)s->map - FAULT_SLACK_PAGES * stk.page;

	return addr < lo && addr >= below;
}

static void
on_fault(int sig, siginfo_t *si, void *uctx)
{
	int saved_errno = errno;
	const struct goc_stack *s;

	(void)uctx;
	s = __atomic_load_n(&goc__stack_owner.stack, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* si_code > 0: raised by the kernel for a faulting access. */
	if (s != NULL && si->si_code > 0 &&
	    is_overflow(s, (uintptr_t)si->si_addr))
		goc__stack_overflow(__atomic_load_n(&goc__stack_owner.goid,
						    __ATOMIC_RELAXED),
				    __atomic_load_n(&goc__stack_owner.name,
						    __ATOMIC_RELAXED),
				    s);
	/*
	 * Not ours. Put back what was there before (a sanitizer's report,
	 * the program's handler, or the default core dump) and return: the
	 * faulting instruction runs again and faults into it. A signal sent
	 * with kill or raise has no such instruction: send it again; it
	 * stays pending until this handler returns.
	 */
	sigaction(sig, sig == SIGSEGV ? &old_segv : &old_bus, NULL);
	if (si->si_code <= 0)
		raise(sig);
	errno = saved_errno;
}

static void
install_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSEGV, NULL, &old_segv) != 0 ||
	    sigaction(SIGBUS, NULL, &old_bus) != 0 ||
	    sigaction(SIGSEGV, &sa, NULL) != 0 ||
	    sigaction(SIGBUS, &sa, NULL) != 0)
		goc__throw("sigaction for the stack overflow handler failed");
}

int
goc__stack_thread_init(void)
{
	stack_t cur, ss;

	goc__stack_init();
	pthread_once(&handler_once, install_handler);
	if (altstack_map != NULL)
		return 0;
	/* Keep one the thread has already (ASan gives every thread one). */
	if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
		return 0;
	/* A guard page below, so an overflowing handler faults cleanly. */
	void *map = sys_map(ALTSTACK_SIZE + stk.page);
	if (map == NULL)
		return GOC_ENOMEM;
	if (sys_protect_none(map, stk.page) != 0) {
		sys_unmap(map, ALTSTACK_SIZE + stk.page);
		return GOC_ENOMEM;
	}
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = (char *)map + stk.page;
	ss.ss_size = ALTSTACK_SIZE;
	if (sigaltstack(&ss, NULL) != 0) {
		sys_unmap(map, ALTSTACK_SIZE + stk.page);
		return GOC_ENOMEM;
	}
	altstack_map = map;
	return 0;
}

void
goc__stack_thread_exit(void)
{
	stack_t ss;

	goc__stack_set_current(NULL, 0, NULL);
	if (altstack_map == NULL)
		return;
	memset(&ss, 0, sizeof(ss));
	ss.ss_flags = SS_DISABLE;
	if (sigaltstack(&ss, NULL) != 0)
		goc__throw("sigaltstack(SS_DISABLE) failed");
	sys_unmap(altstack_map, ALTSTACK_SIZE + stk.page);
	altstack_map = NULL;
}

/* ---- statistics and test knobs ------------------------------------- */

void
goc__stack_stats(struct goc_stack_stats *st)
{
	goc__stack_init();
	pthread_mutex_lock(&stk.lock);
	st->guarded = stk.guard_used - stk.pool_g.n - stk.slab_g.n;
	st->unguarded = stk.unguarded_mapped - stk.pool_u.n - stk.slab_u.n;
	st->pooled = stk.pool_g.n + stk.pool_u.n + stk.slab_g.n + stk.slab_u.n;
	st->slabs = stk.nslabs;
	st->slab_free = stk.slab_g.n + stk.slab_u.n;
	st->budget = stk.budget;
	st->guard_used = stk.guard_used;
	st->max_map_count = stk.max_map_count;
	pthread_mutex_unlock(&stk.lock);
}

void
goc__stack_reconfigure(void)
{
	goc__stack_init();
	pool_shrink(0);
	pthread_mutex_lock(&stk.lock);
	configure();
	pthread_mutex_unlock(&stk.lock);
	/* Stacks freed between the drain and configure() go now. */
	pool_shrink(0);
}

uint64_t
goc__stack_set_guard_budget(uint64_t n)
{
	uint64_t old;

	goc__stack_init();
	pthread_mutex_lock(&stk.lock);
	old = stk.budget;
	stk.budget = n;
	__atomic_store_n(&stk.notice_armed, true, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&stk.lock);
	return old;
}

size_t
goc__stack_set_pool_max(size_t n)
{
	size_t old;

	goc__stack_init();
	if (STACK_NO_POOL)
		n = 0;
	if (n > GOC_STACK_POOL_CAP)
		n = GOC_STACK_POOL_CAP;
	pthread_mutex_lock(&stk.lock);
	old = stk.pool_max;
	__atomic_store_n(&stk.pool_max, n, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&stk.lock);
	pool_shrink(n);
	return old;
}
