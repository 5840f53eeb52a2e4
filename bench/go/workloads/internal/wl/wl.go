// SPDX-License-Identifier: BSD-2-Clause

// Package wl holds what the Go twins of the whole-program workloads share
// (bench/workloads/wl.h is its C side): positional integer arguments,
// resident-set size and the failure exit.
package wl

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Arg is the i-th positional argument as an int in [lo, hi], or def if
// absent; a bad one exits with status 2.
func Arg(i, def, lo, hi int) int {
	if i >= len(os.Args) {
		return def
	}
	v, err := strconv.ParseInt(os.Args[i], 10, 64)
	if err != nil || v < int64(lo) || v > int64(hi) {
		fmt.Fprintf(os.Stderr, "%s: argument %d: '%s' is not in [%d, %d]\n",
			os.Args[0], i, os.Args[i], lo, hi)
		os.Exit(2)
	}
	return int(v)
}

// RSSBytes is the current resident set size (/proc/self/statm), or -1.
func RSSBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}

// Fail reports a failed check and exits with status 1.
func Fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}
