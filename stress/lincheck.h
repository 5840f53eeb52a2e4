/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A linearizability checker for histories of a bounded FIFO queue
 * (goc_ring_t), in the manner of Wing & Gong and Lowe's refinement of it
 * ("Testing for linearizability", 2017): a depth-first search for an
 * order of the operations that respects real time (an operation that
 * returned before another was invoked comes first) and that a sequential
 * bounded FIFO accepts, memoising the (linearized set, queue contents)
 * states already explored.
 *
 * An operation is a push (value, accepted or "full") or a pop (value or
 * "empty") with invocation and response times; every time is distinct
 * (take both from one shared counter), pushed values are distinct, and a
 * history holds at most LC_MAX_OPS operations on a queue of capacity at
 * most LC_MAX_CAP.
 *
 * Two models differ only in when "full" is allowed:
 *   LC_STRICT  the sequential bounded FIFO: full iff it holds cap values.
 *   LC_SLOTS   goc_ring_t's documented guarantee (include/goconc/ring.h):
 *              full iff the values plus the slots that operations in
 *              progress hold reach cap. A successful push may hold its
 *              slot from its invocation until it takes effect, a
 *              successful pop from taking effect until it returns.
 * Values, order, and "empty" are checked exactly in both.
 */
#ifndef GOC_STRESS_LINCHECK_H
#define GOC_STRESS_LINCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LC_MAX_OPS 64
#define LC_MAX_CAP 9

enum lc_kind { LC_PUSH, LC_POP };
enum lc_model { LC_STRICT, LC_SLOTS };

struct lc_op {
	enum lc_kind kind;
	bool ok;        /* push accepted / pop returned a value */
	uint64_t value; /* pushed, or returned when ok */
	uint64_t inv;   /* invocation time */
	uint64_t res;   /* response time, > inv */
	int thread;     /* for printing only */
};

enum lc_result {
	LC_LINEARIZABLE,
	LC_NOT_LINEARIZABLE,
	LC_MALFORMED, /* bad times, duplicate pushes, too many ops */
	LC_TOO_HARD,  /* the search exceeded its state budget */
};

/*
 * lc_check searches the n operations of ops (any order) for a
 * linearization under model. *states, when not NULL, receives the number
 * of states explored.
 */
enum lc_result lc_check(const struct lc_op *ops, int n, size_t cap,
			enum lc_model model, long *states);

/* lc_result_name is "linearizable", "NOT linearizable", ... */
const char *lc_result_name(enum lc_result r);

/* lc_format writes the history, one operation a line, into buf. */
void lc_format(const struct lc_op *ops, int n, char *buf, size_t size);

#endif /* GOC_STRESS_LINCHECK_H */
