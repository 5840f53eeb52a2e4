// SPDX-License-Identifier: BSD-2-Clause

package bench

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkCreateGoroutines follows Go's runtime benchmark of the same
// name: b.N goroutines in GOMAXPROCS chains, each starting the next. The
// C twin (bench/sched.c) waits for the chains the same way, by yielding
// on an atomic counter.
func BenchmarkCreateGoroutines(b *testing.B) {
	procs := runtime.GOMAXPROCS(0)
	var left int64 = int64(procs)
	var step func(n int)
	step = func(n int) {
		if n == 0 {
			atomic.AddInt64(&left, -1)
			return
		}
		go step(n - 1)
	}
	for i := 0; i < procs; i++ {
		go step(b.N / procs)
	}
	for atomic.LoadInt64(&left) > 0 {
		runtime.Gosched()
	}
}

// BenchmarkCreateGoroutinesParallel: each P's worker spawns its share of
// goroutines that do nothing but count themselves out.
func BenchmarkCreateGoroutinesParallel(b *testing.B) {
	procs := runtime.GOMAXPROCS(0)
	per := b.N / procs
	live := int64(per * procs)
	workers := int64(procs)
	for i := 0; i < procs; i++ {
		go func() {
			for j := 0; j < per; j++ {
				go func() { atomic.AddInt64(&live, -1) }()
			}
			atomic.AddInt64(&workers, -1)
		}()
	}
	for atomic.LoadInt64(&workers) > 0 || atomic.LoadInt64(&live) > 0 {
		runtime.Gosched()
	}
}

// BenchmarkGosched: two goroutines yield to each other on one P; ns per
// yield. Defined by libgoconc (Go has no benchmark of this name).
func BenchmarkGosched(b *testing.B) {
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	var done int64
	yielder := func() {
		for i := 0; i < b.N/2; i++ {
			runtime.Gosched()
		}
		atomic.AddInt64(&done, 1)
	}
	go yielder()
	yielder()
	for atomic.LoadInt64(&done) < 2 {
		runtime.Gosched()
	}
}

// BenchmarkWakeupPingPong: wake-up latency. With GOMAXPROCS=2, two
// goroutines ping-pong a value over two unbuffered channels, each parked
// while the other runs, so every send readies a parked goroutine; ns per
// round trip (two wake-ups). Defined by libgoconc (Go's
// BenchmarkWakeupParallel* measure a different mix); the C twin in
// bench/sched.c is the same program.
func BenchmarkWakeupPingPong(b *testing.B) {
	old := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(old)
	ping := make(chan int)
	pong := make(chan int)
	go func() {
		for i := 0; i < b.N; i++ {
			v := <-ping
			pong <- v
		}
	}()
	for i := 0; i < b.N; i++ {
		ping <- i
		<-pong
	}
}
