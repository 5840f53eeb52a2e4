/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Whole-program workload: a wide goroutine fan-out tree.
 *
 *   fanout [DEPTH [BRANCH]]        defaults 5 and 10
 *
 * The main goroutine starts the root of a tree DEPTH levels deep in which
 * every inner node starts BRANCH children and waits for their results; a
 * leaf's result is its index among the leaves (0 .. BRANCH^DEPTH - 1).
 * Results travel up the tree through channels: each inner node makes one
 * channel of capacity BRANCH on which its children send their sums (so a
 * child never blocks on its send and exits at once), adds the BRANCH
 * values it receives and sends the total to its own parent. The tree has
 * 1 + BRANCH + ... + BRANCH^DEPTH goroutines (6 levels of 10: 1,111,111).
 *
 * Prints the sum on stdout (checked against n(n-1)/2 for n leaves) and
 * the goroutine count and peak RSS (getrusage ru_maxrss) on stderr. The
 * Go twin, bench/go/workloads/fanout/main.go, does the same.
 *
 * Go's garbage collector frees a node's channel once the last reference
 * goes; here every child holds a reference of its own (retained by the
 * parent before the child starts, released by the child after its send),
 * since a sender may still be inside goc_chan_send when its parent, having
 * received the value, drops the channel.
 */
#include <stdint.h>
#include <stdio.h>

#include <goconc.h>

#include "wl.h"

#define MAX_BRANCH 64

struct node {
	int depth;
	int branch;
	uint64_t id;
	goc_chan_t *out; /* the parent's channel; this node's reference */
};

static void
node_run(void *arg)
{
	struct node self = *(struct node *)arg; /* arg lives in the parent */
	uint64_t sum = 0;

	if (self.depth > 0) {
		struct node kids[MAX_BRANCH];
		goc_chan_t *ch =
			goc_chan_make(sizeof(uint64_t), (size_t)self.branch);

		if (ch == NULL)
			WL_FAIL("fanout: out of memory for a channel");
		for (int i = 0; i < self.branch; i++) {
			kids[i].depth = self.depth - 1;
			kids[i].branch = self.branch;
			kids[i].id =
				self.id * (uint64_t)self.branch + (uint64_t)i;
			kids[i].out = goc_chan_retain(ch);
			if (goc_go(node_run, &kids[i]) != 0)
				WL_FAIL("fanout: goc_go failed");
		}
		/* The children read kids[] before they send, so the array
		 * outlives every read of it. */
		for (int i = 0; i < self.branch; i++) {
			uint64_t v;

			goc_chan_recv(ch, &v);
			sum += v;
		}
		goc_chan_release(ch);
	} else {
		sum = self.id;
	}
	goc_chan_send(self.out, &sum);
	goc_chan_release(self.out);
}

struct args {
	int depth, branch;
	uint64_t sum;
};

static int
fanout_main(void *arg)
{
	struct args *a = arg;
	goc_chan_t *ch = goc_chan_make(sizeof(uint64_t), 1);
	struct node root = {a->depth, a->branch, 0, NULL};

	if (ch == NULL)
		WL_FAIL("fanout: out of memory for a channel");
	root.out = goc_chan_retain(ch);
	if (goc_go(node_run, &root) != 0)
		WL_FAIL("fanout: goc_go failed");
	goc_chan_recv(ch, &a->sum);
	goc_chan_release(ch);
	return 0;
}

int
main(int argc, char **argv)
{
	struct args a;
	uint64_t leaves = 1, nodes = 1, want;

	a.depth = (int)wl_arg(argc, argv, 1, 5, 0, 12);
	a.branch = (int)wl_arg(argc, argv, 2, 10, 1, MAX_BRANCH);
	for (int d = 0; d < a.depth; d++) {
		leaves *= (uint64_t)a.branch;
		nodes += leaves;
	}
	if (nodes > 50000000)
		WL_FAIL("fanout: %llu goroutines is too many",
			(unsigned long long)nodes);
	if (goc_run(fanout_main, &a) != 0)
		WL_FAIL("fanout: goc_run failed");
	want = leaves * (leaves - 1) / 2;
	printf("sum=%llu\n", (unsigned long long)a.sum);
	fprintf(stderr, "goroutines=%llu peak_rss_kib=%ld\n",
		(unsigned long long)nodes, wl_peak_rss_kib());
	if (a.sum != want)
		WL_FAIL("fanout: sum %llu, want %llu",
			(unsigned long long)a.sum, (unsigned long long)want);
	return 0;
}
