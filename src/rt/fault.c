/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fault injection (--enable-faults): the counters, the GOCONC_FAULTS
 * parser and the link-time wrappers described in fault.h.
 *
 * Every field is a relaxed atomic. The counters are statistics and the
 * arming is a test's setting: a test arms a kind, then makes the calls it
 * means to fail, in program order on its own thread; calls the runtime's
 * other threads make meanwhile are counted in some order, and no data is
 * published through these fields, so no call needs to be ordered against
 * another.
 *
 * The wrappers may run before start-up has read GOCONC_FAULTS (a
 * constructor of another library can allocate through us), and in any
 * thread, including one inside a signal handler's allocator-free path:
 * goc__fault_hit never allocates, locks or makes a system call.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt/fault.h"

struct fault_state {
	uint64_t count;  /* (atomic) calls since armed */
	uint64_t fired;  /* (atomic) calls failed since armed */
	uint64_t first;  /* (atomic) fail calls first..last; 0: none */
	uint64_t last;   /* (atomic) */
	uint32_t one_in; /* (atomic) else fail 1 in one_in at random; 0: off */
	uint64_t rng;    /* (atomic) the random mode's state */
};

static struct fault_state faults[GOC_FAULT_NKINDS];

static const char *const kind_names[GOC_FAULT_NKINDS] = {
	[GOC_FAULT_MALLOC] = "malloc",
	[GOC_FAULT_MMAP] = "mmap",
	[GOC_FAULT_MPROTECT] = "mprotect",
	[GOC_FAULT_THREAD] = "thread",
	[GOC_FAULT_FUTEX] = "futex"};

static bool
valid_kind(int kind)
{
	return kind >= 0 && kind < GOC_FAULT_NKINDS;
}

/* splitmix64 over an atomic state: each caller draws its own value. */
static uint64_t
next_random(struct fault_state *f)
{
	/* Relaxed: the sequence only needs each draw to be distinct. */
	uint64_t z = __atomic_add_fetch(&f->rng, 0x9e3779b97f4a7c15ULL,
					__ATOMIC_RELAXED);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

bool
goc__fault_hit(int kind)
{
	if (!valid_kind(kind))
		return false;
	struct fault_state *f = &faults[kind];
	/* Relaxed throughout: see the comment at the top of the file. */
	uint64_t n = __atomic_add_fetch(&f->count, 1, __ATOMIC_RELAXED);
	uint64_t first = __atomic_load_n(&f->first, __ATOMIC_RELAXED);
	uint64_t last = __atomic_load_n(&f->last, __ATOMIC_RELAXED);
	uint32_t one_in = __atomic_load_n(&f->one_in, __ATOMIC_RELAXED);
	bool fail = first != 0 && n >= first && n <= last;
	if (!fail && one_in != 0)
		fail = next_random(f) % one_in == 0;
	if (fail)
		__atomic_add_fetch(&f->fired, 1, __ATOMIC_RELAXED);
	return fail;
}

void
goc__fault_arm(int kind, uint64_t first, uint64_t last)
{
	if (!valid_kind(kind))
		return;
	struct fault_state *f = &faults[kind];
	/* Relaxed: the arming thread's later calls follow in program order;
	 * others may count a call under the old or the new setting. */
	__atomic_store_n(&f->one_in, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&f->first, 0, __ATOMIC_RELAXED);
	if (first == 0)
		return; /* disarmed: the counts stay for the test to read */
	__atomic_store_n(&f->count, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&f->fired, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&f->last, last, __ATOMIC_RELAXED);
	__atomic_store_n(&f->first, first, __ATOMIC_RELAXED);
}

void
goc__fault_arm_random(int kind, uint32_t one_in, uint64_t seed)
{
	if (!valid_kind(kind))
		return;
	struct fault_state *f = &faults[kind];
	goc__fault_arm(kind, 0, 0);
	/* Relaxed: as in goc__fault_arm. */
	__atomic_store_n(&f->count, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&f->fired, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&f->rng, seed, __ATOMIC_RELAXED);
	__atomic_store_n(&f->one_in, one_in, __ATOMIC_RELAXED);
}

void
goc__fault_disarm_all(void)
{
	for (int k = 0; k < GOC_FAULT_NKINDS; k++)
		goc__fault_arm(k, 0, 0);
}

uint64_t
goc__fault_count(int kind)
{
	/* Relaxed: a statistic. */
	return valid_kind(kind)
		       ? __atomic_load_n(&faults[kind].count, __ATOMIC_RELAXED)
		       : 0;
}

uint64_t
goc__fault_fired(int kind)
{
	/* Relaxed: a statistic. */
	return valid_kind(kind)
		       ? __atomic_load_n(&faults[kind].fired, __ATOMIC_RELAXED)
		       : 0;
}

/* ---- GOCONC_FAULTS ------------------------------------------------- */

static void
bad_entry(const char *entry, size_t len)
{
	fprintf(stderr,
		"goconc: GOCONC_FAULTS: ignoring \"%.*s\" (want kind=N, "
		"kind=N-, kind=N-M, kind=%%P or seed=S; kinds malloc, mmap, "
		"mprotect, thread, futex)\n",
		(int)len, entry);
}

/* Parses one "name=value" entry of len bytes; *seed collects seed=S. */
static void
parse_entry(const char *e, size_t len, uint64_t *seed, uint32_t *one_in)
{
	const char *eq = memchr(e, '=', len);
	if (eq == NULL || eq == e || eq + 1 == e + len) {
		bad_entry(e, len);
		return;
	}
	size_t nlen = (size_t)(eq - e);
	char val[32];
	size_t vlen = len - nlen - 1;
	if (vlen >= sizeof(val)) {
		bad_entry(e, len);
		return;
	}
	memcpy(val, eq + 1, vlen);
	val[vlen] = 0;
	char *end;
	if (nlen == 4 && memcmp(e, "seed", 4) == 0) {
		*seed = strtoull(val, &end, 0);
		if (*end != 0)
			bad_entry(e, len);
		return;
	}
	int kind = -1;
	for (int k = 0; k < GOC_FAULT_NKINDS; k++)
		if (strlen(kind_names[k]) == nlen &&
		    memcmp(kind_names[k], e, nlen) == 0)
			kind = k;
	if (kind < 0) {
		bad_entry(e, len);
		return;
	}
	if (val[0] == '%') {
		unsigned long p = strtoul(val + 1, &end, 10);
		if (*end != 0 || p == 0 || p > UINT32_MAX) {
			bad_entry(e, len);
			return;
		}
		one_in[kind] = (uint32_t)p;
		return;
	}
	uint64_t first = strtoull(val, &end, 10), last = first;
	if (*end == '-' && end[1] == 0) {
		last = UINT64_MAX;
		end++;
	} else if (*end == '-') {
		last = strtoull(end + 1, &end, 10);
	}
	if (*end != 0 || first == 0 || last < first) {
		bad_entry(e, len);
		return;
	}
	goc__fault_arm(kind, first, last);
}

/*
 * Reads GOCONC_FAULTS before main. Counts start at zero, so "malloc=17"
 * fails the library's 17th allocation of the process. getenv and the
 * parser allocate nothing.
 */
__attribute__((constructor)) static void
fault_init(void)
{
	const char *s = getenv("GOCONC_FAULTS");
	uint64_t seed = 1;
	uint32_t one_in[GOC_FAULT_NKINDS] = {0};

	if (s == NULL)
		return;
	while (*s != 0) {
		size_t len = strcspn(s, ",");
		if (len > 0)
			parse_entry(s, len, &seed, one_in);
		s += len;
		if (*s == ',')
			s++;
	}
	for (int k = 0; k < GOC_FAULT_NKINDS; k++)
		if (one_in[k] != 0)
			goc__fault_arm_random(k, one_in[k], seed + (uint64_t)k);
}

/* ---- the wrappers -------------------------------------------------- */

/*
 * With -Wl,--wrap=NAME the linker binds the library's calls to NAME to
 * __wrap_NAME and __real_NAME to the real NAME. The references are weak
 * so that the white-box tests, which link the library's objects without
 * --wrap, still link: there nothing calls __wrap_NAME.
 */
#define GOC__REAL __attribute__((weak))
GOC__REAL void *__real_malloc(size_t size);
GOC__REAL void *__real_calloc(size_t n, size_t size);
GOC__REAL void *__real_realloc(void *p, size_t size);
GOC__REAL int __real_posix_memalign(void **p, size_t align, size_t size);
GOC__REAL char *__real_strdup(const char *s);
GOC__REAL void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
			    off_t off);
GOC__REAL int __real_mprotect(void *addr, size_t len, int prot);
GOC__REAL int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr,
				    void *(*fn)(void *), void *arg);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
int __wrap_posix_memalign(void **p, size_t align, size_t size);
char *__wrap_strdup(const char *s);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
int __wrap_mprotect(void *addr, size_t len, int prot);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg);

void *
__wrap_malloc(size_t size)
{
	if (goc__fault_hit(GOC_FAULT_MALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(size);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	if (goc__fault_hit(GOC_FAULT_MALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t size)
{
	/* A failed realloc leaves p allocated, as the real one does. */
	if (goc__fault_hit(GOC_FAULT_MALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_realloc(p, size);
}

int
__wrap_posix_memalign(void **p, size_t align, size_t size)
{
	if (goc__fault_hit(GOC_FAULT_MALLOC))
		return ENOMEM;
	return __real_posix_memalign(p, align, size);
}

char *
__wrap_strdup(const char *s)
{
	if (goc__fault_hit(GOC_FAULT_MALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strdup(s);
}

void *
__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (goc__fault_hit(GOC_FAULT_MMAP)) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return __real_mmap(addr, len, prot, flags, fd, off);
}

int
__wrap_mprotect(void *addr, size_t len, int prot)
{
	if (goc__fault_hit(GOC_FAULT_MPROTECT)) {
		errno = ENOMEM;
		return -1;
	}
	return __real_mprotect(addr, len, prot);
}

int
__wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr,
		      void *(*fn)(void *), void *arg)
{
	/* What pthread_create says when a thread limit is reached. */
	if (goc__fault_hit(GOC_FAULT_THREAD))
		return EAGAIN;
	return __real_pthread_create(t, attr, fn, arg);
}
