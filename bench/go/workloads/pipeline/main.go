// SPDX-License-Identifier: BSD-2-Clause

// Command pipeline is the Go twin of bench/workloads/pipeline.c: a source
// sends 1 .. ITEMS through STAGES stages joined by channels of capacity
// CAP (0: unbuffered); stage k maps x to x*31 + k; the main goroutine sums
// what comes out. A WaitGroup counts the source and the stages, as in C.
//
//	pipeline [STAGES [ITEMS [CAP]]]      defaults 8, 200000, 0
//
// Prints the checksum on stdout (checked); exits 1 if it is wrong.
package main

import (
	"fmt"
	"sync"

	"libgoconc/bench/workloads/internal/wl"
)

func main() {
	stages := wl.Arg(1, 8, 1, 100000)
	items := wl.Arg(2, 200000, 0, 1000000000)
	capacity := wl.Arg(3, 0, 0, 1<<20)

	ch := make([]chan uint64, stages+1)
	for k := range ch {
		ch[k] = make(chan uint64, capacity)
	}
	var wg sync.WaitGroup
	wg.Add(stages + 1)
	for k := 1; k <= stages; k++ {
		go func(k int) {
			in, out := ch[k-1], ch[k]
			for x := range in {
				out <- x*31 + uint64(k)
			}
			close(out)
			wg.Done()
		}(k)
	}
	go func() {
		for i := 1; i <= items; i++ {
			ch[0] <- uint64(i)
		}
		close(ch[0])
		wg.Done()
	}()
	var sum uint64
	for x := range ch[stages] {
		sum += x
	}
	wg.Wait()

	var want uint64
	for i := 1; i <= items; i++ {
		x := uint64(i)
		for k := 1; k <= stages; k++ {
			x = x*31 + uint64(k)
		}
		want += x
	}
	fmt.Printf("sum=%d\n", sum)
	if sum != want {
		wl.Fail("pipeline: sum %d, want %d", sum, want)
	}
}
