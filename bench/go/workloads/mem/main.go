// SPDX-License-Identifier: BSD-2-Clause

// Command mem is the Go twin of bench/workloads/mem.c: the memory cost of
// N channels of uint64 with capacity CAP, or of N context.WithCancel
// children of one cancellable parent or of context.Background().
//
//	mem chan [N [CAP]] | ctx [N [parent|background]]
//
// With the slice that keeps the objects alive allocated and touched, it
// reads the resident set size (/proc/self/statm) and, after a
// runtime.GC(), runtime.MemStats.HeapAlloc; makes the N objects; reads
// both again (after another runtime.GC()) and prints the deltas divided
// by N and the time per object made.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"libgoconc/bench/workloads/internal/wl"
)

func heapAlloc() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: %s chan [N [CAP]] | ctx [N [parent|background]]\n", os.Args[0])
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	n := wl.Arg(2, 1000000, 1, 100000000)
	what := os.Args[1]
	capacity := 0
	parentKind := "parent"
	switch what {
	case "chan":
		capacity = wl.Arg(3, 0, 0, 1<<20)
	case "ctx":
		if len(os.Args) > 3 {
			parentKind = os.Args[3]
		}
		if parentKind != "parent" && parentKind != "background" {
			usage()
		}
	default:
		usage()
	}

	var chans []chan uint64
	var ctxs []context.Context
	var cancels []context.CancelFunc
	var parent context.Context = context.Background()
	var cancelParent context.CancelFunc = func() {}
	if what == "chan" {
		chans = make([]chan uint64, n)
		for i := range chans {
			chans[i] = nil // touch the pages
		}
	} else {
		ctxs = make([]context.Context, n)
		cancels = make([]context.CancelFunc, n)
		for i := range ctxs {
			ctxs[i], cancels[i] = nil, nil
		}
		if parentKind == "parent" {
			parent, cancelParent = context.WithCancel(context.Background())
		}
	}
	heap0 := heapAlloc()
	rss0 := wl.RSSBytes()
	t0 := time.Now()
	if what == "chan" {
		for i := range chans {
			chans[i] = make(chan uint64, capacity)
		}
	} else {
		for i := range ctxs {
			ctxs[i], cancels[i] = context.WithCancel(parent)
		}
	}
	t1 := time.Now()
	rss1 := wl.RSSBytes()
	heap1 := heapAlloc()

	if what == "chan" {
		fmt.Printf("mem: what=chan cap=%d", capacity)
	} else {
		k := "cancel"
		if parentKind == "background" {
			k = "background"
		}
		fmt.Printf("mem: what=ctx parent=%s", k)
	}
	fmt.Printf(" n=%d rss_bytes_per=%.1f heap_bytes_per=%.1f ns_per=%.1f\n",
		n, float64(rss1-rss0)/float64(n),
		(float64(heap1)-float64(heap0))/float64(n),
		float64(t1.Sub(t0).Nanoseconds())/float64(n))

	cancelParent()
	for _, c := range cancels {
		c()
	}
	runtime.KeepAlive(chans)
	runtime.KeepAlive(ctxs)
}
