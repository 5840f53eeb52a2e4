/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux implementation of the OS contract (os.h): futexes, the monotonic
 * clock, CPU counting with cgroup v2 limits (Go 1.25 runtime
 * cgroup_linux.go: the default GOMAXPROCS is the affinity CPU count capped
 * by ceil(quota / period), but not below 2).
 */
#include "config.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "goconc/common.h"
#include "os/os.h"
#include "rt/fault.h"

#ifndef GOC_SIM /* src/sim/sim.c simulates these */
int64_t
goc_os_nanotime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
goc_os_futex_wait(uint32_t *addr, uint32_t val, int64_t timeout_ns)
{
	struct timespec ts, *tsp = NULL;

	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000;
		ts.tv_nsec = timeout_ns % 1000000000;
		tsp = &ts;
	}
	/* Fault-injection builds: a spurious wake-up, which callers allow. */
	if (goc__fault_hit(GOC_FAULT_FUTEX))
		return 0;
	/* A relative timeout: FUTEX_WAIT measures it on CLOCK_MONOTONIC. */
	long r =
		syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
	if (r == -1 && errno == ETIMEDOUT)
		return GOC_ETIMEDOUT;
	/* EAGAIN (value changed), EINTR (signal): both are wake-ups. */
	return 0;
}

void
goc_os_futex_wake(uint32_t *addr, int n)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}
#endif /* !GOC_SIM */

#if !defined(GOC_SIM) && defined(__NR_membarrier)
/* The commands of <linux/membarrier.h>, stable kernel ABI. */
#define MB_CMD_QUERY                      0
#define MB_CMD_PRIVATE_EXPEDITED          (1 << 3)
#define MB_CMD_REGISTER_PRIVATE_EXPEDITED (1 << 4)

bool
goc_os_membarrier_register(void)
{
	long cmds = syscall(__NR_membarrier, MB_CMD_QUERY, 0, 0);

	if (cmds < 0 || (cmds & MB_CMD_PRIVATE_EXPEDITED) == 0 ||
	    (cmds & MB_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
		return false;
	return syscall(__NR_membarrier, MB_CMD_REGISTER_PRIVATE_EXPEDITED, 0,
		       0) == 0;
}

void
goc_os_membarrier(void)
{
	if (syscall(__NR_membarrier, MB_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
		return;
	/* EPERM: not registered in this process (a kernel that does not
	 * carry the registration over fork). Register and try again;
	 * anything else would lose the ordering: say so and stop. */
	if (errno == EPERM &&
	    syscall(__NR_membarrier, MB_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) ==
		    0 &&
	    syscall(__NR_membarrier, MB_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
		return;
	perror("libgoconc: membarrier");
	abort();
}
#else
bool
goc_os_membarrier_register(void)
{
	return false;
}

void
goc_os_membarrier(void)
{
	abort();
}
#endif

int
goc_os_cgroup_cpu_limit(const char *line)
{
	char quota[32];
	long long period;

	if (sscanf(line, "%31s %lld", quota, &period) != 2 || period <= 0)
		return 0;
	if (strcmp(quota, "max") == 0)
		return 0;
	long long q = atoll(quota);
	if (q <= 0)
		return 0;
	return (int)((q + period - 1) / period);
}

#ifndef GOC_SIM /* src/sim/sim.c simulates these */
/* The cgroup v2 limit of this process, or 0 when unlimited or unknown. */
static int
cgroup_limit(void)
{
	char path[512], line[256], rel[400];
	FILE *f = fopen("/proc/self/cgroup", "r");
	int limit = 0;

	if (f == NULL)
		return 0;
	rel[0] = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* The v2 entry is "0::/path". */
		if (strncmp(line, "0::", 3) == 0) {
			snprintf(rel, sizeof(rel), "%s", line + 3);
			rel[strcspn(rel, "\n")] = 0;
			break;
		}
	}
	fclose(f);
	if (rel[0] == 0)
		return 0;
	/* Walk up the hierarchy: the tightest limit on the path wins. */
	for (;;) {
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cpu.max",
			 strcmp(rel, "/") == 0 ? "" : rel);
		f = fopen(path, "r");
		if (f != NULL) {
			if (fgets(line, sizeof(line), f) != NULL) {
				int l = goc_os_cgroup_cpu_limit(line);
				if (l > 0 && (limit == 0 || l < limit))
					limit = l;
			}
			fclose(f);
		}
		char *slash = strrchr(rel, '/');
		if (slash == NULL || strcmp(rel, "/") == 0)
			break;
		if (slash == rel)
			strcpy(rel, "/");
		else
			*slash = 0;
	}
	return limit;
}

int
goc_os_ncpu(void)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n <= 0)
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (n <= 0)
		n = 1;
	/* Go 1.25: a cgroup limit never lowers the default below 2. */
	int limit = cgroup_limit();
	if (limit > 0 && limit < 2)
		limit = 2;
	if (limit > 0 && limit < n)
		n = limit;
	return n;
}
#endif /* !GOC_SIM */

long
goc_os_gettid(void)
{
	return syscall(SYS_gettid);
}

#ifndef GOC_SIM /* src/sim/sim.c simulates these */
void
goc_os_usleep(uint32_t us)
{
	struct timespec ts = {us / 1000000, (long)(us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A pthread_t fits the opaque handle (an unsigned long on glibc, a
 * pointer on musl). */
_Static_assert(sizeof(pthread_t) <= sizeof(goc_os_thread_t),
	       "pthread_t does not fit goc_os_thread_t");

int
goc_os_thread_start(goc_os_thread_t *t, void *(*fn)(void *), void *arg,
		    size_t stack_size, bool detached)
{
	pthread_attr_t attr;
	pthread_t pt;

	int rc = pthread_attr_init(&attr);
	if (rc != 0)
		return rc;
	if (detached)
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (stack_size != 0)
		pthread_attr_setstacksize(&attr, stack_size);
	rc = pthread_create(&pt, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (rc == 0 && t != NULL)
		*t = (goc_os_thread_t)pt;
	return rc;
}

void
goc_os_thread_join(goc_os_thread_t t)
{
	pthread_join((pthread_t)t, NULL);
}

void
goc_os_thread_exit(void)
{
	pthread_exit(NULL);
}
#endif /* !GOC_SIM */
