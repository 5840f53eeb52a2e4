// SPDX-License-Identifier: BSD-2-Clause

package bench

// Twins of bench/sync.c. Most follow Go's own src/sync benchmarks of the
// same name (redefined here so that both sides run the same workload on
// the same Go); RWMutexRead, CondSignal and CondBroadcast are defined by
// libgoconc (see bench/sync.c).

import (
	"sync"
	"testing"
)

func BenchmarkMutexUncontended(b *testing.B) {
	type PaddedMutex struct {
		sync.Mutex
		pad [128]uint8
	}
	b.RunParallel(func(pb *testing.PB) {
		var mu PaddedMutex
		for pb.Next() {
			mu.Lock()
			mu.Unlock()
		}
	})
}

func benchmarkMutex(b *testing.B, slack, work bool) {
	var mu sync.Mutex
	if slack {
		b.SetParallelism(10)
	}
	b.RunParallel(func(pb *testing.PB) {
		foo := 0
		for pb.Next() {
			mu.Lock()
			mu.Unlock()
			if work {
				for i := 0; i < 100; i++ {
					foo *= 2
					foo /= 2
				}
			}
		}
		_ = foo
	})
}

func BenchmarkMutex(b *testing.B)      { benchmarkMutex(b, false, false) }
func BenchmarkMutexSlack(b *testing.B) { benchmarkMutex(b, true, false) }
func BenchmarkMutexWork(b *testing.B)  { benchmarkMutex(b, false, true) }

func BenchmarkMutexSpin(b *testing.B) {
	var m sync.Mutex
	var acc0, acc1 uint64
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		var data [16 << 10]uint64
		for i := 0; pb.Next(); i++ {
			m.Lock()
			acc0 -= 100
			acc1 += 100
			m.Unlock()
			for i := 0; i < len(data); i += 4 {
				data[i]++
			}
		}
	})
}

func BenchmarkRWMutexUncontended(b *testing.B) {
	type PaddedRWMutex struct {
		sync.RWMutex
		pad [128]uint8
	}
	b.RunParallel(func(pb *testing.PB) {
		var rwm PaddedRWMutex
		for pb.Next() {
			rwm.RLock()
			rwm.RLock()
			rwm.RUnlock()
			rwm.RUnlock()
			rwm.Lock()
			rwm.Unlock()
		}
	})
}

// BenchmarkRWMutexWrite100 is Go's benchmarkRWMutex(b, 0, 100).
func BenchmarkRWMutexWrite100(b *testing.B) {
	var rwm sync.RWMutex
	b.RunParallel(func(pb *testing.PB) {
		foo := 0
		for pb.Next() {
			foo++
			if foo%100 == 0 {
				rwm.Lock()
				rwm.Unlock()
			} else {
				rwm.RLock()
				rwm.RUnlock()
			}
		}
	})
}

// BenchmarkRWMutexRead: RLock/RUnlock on one shared RWMutex.
func BenchmarkRWMutexRead(b *testing.B) {
	var rw sync.RWMutex
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rw.RLock()
			rw.RUnlock()
		}
	})
}

func BenchmarkWaitGroupUncontended(b *testing.B) {
	type PaddedWaitGroup struct {
		sync.WaitGroup
		pad [128]uint8
	}
	b.RunParallel(func(pb *testing.PB) {
		var wg PaddedWaitGroup
		for pb.Next() {
			wg.Add(1)
			wg.Done()
			wg.Wait()
		}
	})
}

func BenchmarkWaitGroupWait(b *testing.B) {
	var wg sync.WaitGroup
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			wg.Wait()
		}
	})
}

func BenchmarkWaitGroupAddDone(b *testing.B) {
	var wg sync.WaitGroup
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			wg.Add(1)
			wg.Done()
		}
	})
}

func BenchmarkOnce(b *testing.B) {
	var once sync.Once
	f := func() {}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			once.Do(f)
		}
	})
}

// BenchmarkCondSignal: two goroutines pass a turn back and forth with
// Signal; ns per pass.
func BenchmarkCondSignal(b *testing.B) {
	var m sync.Mutex
	c := sync.NewCond(&m)
	turn, n := 0, b.N
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			m.Lock()
			for {
				for turn < n && turn&1 != w {
					c.Wait()
				}
				if turn >= n {
					break
				}
				turn++
				c.Signal()
			}
			c.Signal()
			m.Unlock()
		}(w)
	}
	wg.Wait()
}

// BenchmarkCondBroadcast: Go's benchmarkCond(b, 4) (BenchmarkCond4).
func BenchmarkCondBroadcast(b *testing.B) {
	const waiters = 4
	c := sync.NewCond(&sync.Mutex{})
	done := make(chan bool)
	id := 0
	for routine := 0; routine < waiters+1; routine++ {
		go func() {
			for i := 0; i < b.N; i++ {
				c.L.Lock()
				if id == -1 {
					c.L.Unlock()
					break
				}
				id++
				if id == waiters+1 {
					id = 0
					c.Broadcast()
				} else {
					c.Wait()
				}
				c.L.Unlock()
			}
			c.L.Lock()
			id = -1
			c.Broadcast()
			c.L.Unlock()
			done <- true
		}()
	}
	for routine := 0; routine < waiters+1; routine++ {
		<-done
	}
}
