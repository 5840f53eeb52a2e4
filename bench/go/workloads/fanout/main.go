// SPDX-License-Identifier: BSD-2-Clause

// Command fanout is the Go twin of bench/workloads/fanout.c: a goroutine
// tree DEPTH levels deep, BRANCH children per inner node, leaf results
// (the leaf's index) summed up the tree through one channel of capacity
// BRANCH per inner node.
//
//	fanout [DEPTH [BRANCH]]        defaults 5 and 10
//
// Prints the sum on stdout (checked) and the goroutine count and peak RSS
// (getrusage ru_maxrss) on stderr; exits 1 if the sum is wrong.
package main

import (
	"fmt"
	"os"
	"syscall"

	"libgoconc/bench/workloads/internal/wl"
)

func node(depth, branch int, id uint64, out chan<- uint64) {
	var sum uint64
	if depth > 0 {
		ch := make(chan uint64, branch)
		for i := 0; i < branch; i++ {
			go node(depth-1, branch, id*uint64(branch)+uint64(i), ch)
		}
		for i := 0; i < branch; i++ {
			sum += <-ch
		}
	} else {
		sum = id
	}
	out <- sum
}

func main() {
	depth := wl.Arg(1, 5, 0, 12)
	branch := wl.Arg(2, 10, 1, 64)
	leaves, nodes := uint64(1), uint64(1)
	for d := 0; d < depth; d++ {
		leaves *= uint64(branch)
		nodes += leaves
	}
	if nodes > 50000000 {
		wl.Fail("fanout: %d goroutines is too many", nodes)
	}
	ch := make(chan uint64, 1)
	go node(depth, branch, 0, ch)
	sum := <-ch
	want := leaves * (leaves - 1) / 2
	fmt.Printf("sum=%d\n", sum)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Fprintf(os.Stderr, "goroutines=%d peak_rss_kib=%d\n", nodes, ru.Maxrss)
	if sum != want {
		wl.Fail("fanout: sum %d, want %d", sum, want)
	}
}
