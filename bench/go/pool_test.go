// SPDX-License-Identifier: BSD-2-Clause

package bench

// Twins of the Pool benchmarks in bench/sync.c, following the definitions
// of Go's own BenchmarkPool, BenchmarkPoolOverflow and
// BenchmarkPoolStarvation (src/sync/pool_test.go).

import (
	"sync"
	"testing"
)

func BenchmarkPool(b *testing.B) {
	var p sync.Pool
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p.Put(1)
			p.Get()
		}
	})
}

func BenchmarkPoolOverflow(b *testing.B) {
	var p sync.Pool
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for j := 0; j < 100; j++ {
				p.Put(1)
			}
			for j := 0; j < 100; j++ {
				p.Get()
			}
		}
	})
}

func BenchmarkPoolStarvation(b *testing.B) {
	var p sync.Pool
	count := 100
	// A third fewer puts than gets, so that Ps steal from each other.
	starved := count - int(float32(count)*0.33)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for j := 0; j < starved; j++ {
				p.Put(1)
			}
			for j := 0; j < count; j++ {
				p.Get()
			}
		}
	})
}
