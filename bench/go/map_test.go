// SPDX-License-Identifier: BSD-2-Clause

package bench

// Twins of bench/sync_map.c, following the sync.Map runs of Go's
// src/sync/map_bench_test.go. Swap, CompareAndSwap and CompareAndDelete
// need Go 1.20; the Go here is 1.19, so those have no twin.

import (
	"sync"
	"sync/atomic"
	"testing"
)

func benchSyncMap(b *testing.B, setup func(m *sync.Map), perG func(pb *testing.PB, i int, m *sync.Map)) {
	var m sync.Map
	if setup != nil {
		setup(&m)
	}
	b.ResetTimer()
	var id int64
	b.RunParallel(func(pb *testing.PB) {
		i := int(atomic.AddInt64(&id, 1)-1) * b.N
		perG(pb, i, &m)
	})
}

func primeMap(m *sync.Map, hits int) {
	for i := 0; i < hits; i++ {
		m.LoadOrStore(i, i)
	}
	for i := 0; i < hits*2; i++ {
		m.Load(i % hits)
	}
}

func loadHits(pb *testing.PB, i int, m *sync.Map) {
	for ; pb.Next(); i++ {
		m.Load(i % 1024)
	}
}

func BenchmarkLoadMostlyHits(b *testing.B) {
	benchSyncMap(b, func(m *sync.Map) { primeMap(m, 1023) }, loadHits)
}

func BenchmarkLoadMostlyMisses(b *testing.B) {
	benchSyncMap(b, func(m *sync.Map) { primeMap(m, 1) }, loadHits)
}

func BenchmarkLoadOrStoreBalanced(b *testing.B) {
	benchSyncMap(b, func(m *sync.Map) { primeMap(m, 128) }, func(pb *testing.PB, i int, m *sync.Map) {
		for ; pb.Next(); i++ {
			j := i % 256
			if j < 128 {
				if _, ok := m.LoadOrStore(j, i); !ok {
					b.Fatalf("unexpected miss for %v", j)
				}
			} else if _, loaded := m.LoadOrStore(i, i); loaded {
				b.Fatalf("failed to store %v", i)
			}
		}
	})
}

func BenchmarkLoadOrStoreUnique(b *testing.B) {
	benchSyncMap(b, nil, func(pb *testing.PB, i int, m *sync.Map) {
		for ; pb.Next(); i++ {
			m.LoadOrStore(i, i)
		}
	})
}

func BenchmarkLoadOrStoreCollision(b *testing.B) {
	benchSyncMap(b, func(m *sync.Map) { m.LoadOrStore(0, 0) }, func(pb *testing.PB, i int, m *sync.Map) {
		for ; pb.Next(); i++ {
			m.LoadOrStore(0, 0)
		}
	})
}

func BenchmarkLoadAndDeleteCollision(b *testing.B) {
	benchSyncMap(b, func(m *sync.Map) { m.LoadOrStore(0, 0) }, func(pb *testing.PB, i int, m *sync.Map) {
		for ; pb.Next(); i++ {
			if _, loaded := m.LoadAndDelete(0); loaded {
				m.Store(0, 0)
			}
		}
	})
}

func BenchmarkRange(b *testing.B) {
	benchSyncMap(b, func(m *sync.Map) {
		for i := 0; i < 1024; i++ {
			m.Store(i, i)
		}
	}, func(pb *testing.PB, i int, m *sync.Map) {
		for ; pb.Next(); i++ {
			m.Range(func(_, _ any) bool { return true })
		}
	})
}

func BenchmarkAdversarialAlloc(b *testing.B) {
	benchSyncMap(b, nil, func(pb *testing.PB, i int, m *sync.Map) {
		var stores, since int64
		for ; pb.Next(); i++ {
			m.Load(i)
			if since++; since > stores {
				m.LoadOrStore(i, stores)
				since = 0
				stores++
			}
		}
	})
}

func BenchmarkAdversarialDelete(b *testing.B) {
	benchSyncMap(b, func(m *sync.Map) {
		for i := 0; i < 1024; i++ {
			m.Store(i, i)
		}
	}, func(pb *testing.PB, i int, m *sync.Map) {
		for ; pb.Next(); i++ {
			m.Load(i)
			if i%1024 == 0 {
				m.Range(func(k, _ any) bool {
					m.Delete(k)
					return false
				})
				m.Store(i, i)
			}
		}
	})
}

func BenchmarkDeleteCollision(b *testing.B) {
	benchSyncMap(b, func(m *sync.Map) { m.LoadOrStore(0, 0) }, func(pb *testing.PB, i int, m *sync.Map) {
		for ; pb.Next(); i++ {
			m.Delete(0)
		}
	})
}
