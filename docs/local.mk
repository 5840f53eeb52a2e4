# SPDX-License-Identifier: BSD-2-Clause
# Examples are compiled by make check (so they cannot rot); `make demo`
# builds and runs the demo.
EXAMPLES += docs/examples/demo
docs_examples_demo_SOURCES = docs/examples/demo.c
docs_examples_demo_LDADD = libgoconc.la -lpthread

demo: docs/examples/demo$(EXEEXT)
	$(GOC_TEST_WRAPPER) ./docs/examples/demo$(EXEEXT)

EXTRA_DIST += docs/HACKING.md docs/go-map.md docs/bench.md \
	docs/design/scheduler.md docs/design/context.md \
	docs/design/channels.md docs/design/sync.md
