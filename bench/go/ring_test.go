// SPDX-License-Identifier: BSD-2-Clause

package bench

// Twins of bench/ring.c: the workload is defined in bench/ring_harness.h
// and followed here with Go's natural bounded MPMC queue, a buffered
// channel of capacity 1024 (a mutex-protected ring; senders and receivers
// park instead of spinning).
//
// NPmC: np producer and nc consumer goroutines move b.N items in total
// (shares add up to b.N), so ns/op is per item and Mitems/s the
// throughput. GOMAXPROCS is -cpu (the C side confines its threads to that
// many CPUs). An item is producer<<40 | sequence, sequences from 1; each
// consumer checks per-producer FIFO order and sums items and their
// squares, and the totals are checked against what was sent. Consumers
// sample len(ch) every 256 items, reported as fill% of capacity.

import (
	"sync"
	"testing"
	"time"
)

const (
	ringCap    = 1024
	ringSample = 256
	seqBits    = 40
)

type ringConsumer struct {
	got, fillSum, samples int64
	sum, sumsq            uint64
	badOrder, bad         int64
	last                  []uint64
	_                     [64]byte // keep consumers off each other's lines
}

func share(n, k, i int) int {
	s := n / k
	if i < n%k {
		s++
	}
	return s
}

// expect returns the sum and sum of squares (mod 2^64) of the items
// producer p sends: items a+1 ... a+c with a = p<<40.
func expect(p, cnt int) (sum, sumsq uint64) {
	a := uint64(p) << seqBits
	for s := uint64(1); s <= uint64(cnt); s++ {
		x := a | s
		sum += x
		sumsq += x * x
	}
	return
}

func ringThroughput(b *testing.B, np, nc int) {
	ch := make(chan uint64, ringCap)
	cons := make([]ringConsumer, nc)
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	ready.Add(np + nc)
	done.Add(np + nc)
	for p := 0; p < np; p++ {
		go func(p, quota int) {
			defer done.Done()
			base := uint64(p) << seqBits
			ready.Done()
			<-start
			for s := 1; s <= quota; s++ {
				ch <- base | uint64(s)
			}
		}(p, share(b.N, np, p))
	}
	for c := 0; c < nc; c++ {
		cons[c].last = make([]uint64, np)
		go func(w *ringConsumer, quota int) {
			defer done.Done()
			ready.Done()
			<-start
			for k := 0; k < quota; k++ {
				x := <-ch
				p, seq := x>>seqBits, x&(1<<seqBits-1)
				if p >= uint64(np) || seq == 0 {
					w.bad++
					continue
				}
				if seq <= w.last[p] {
					w.badOrder++
				}
				w.last[p] = seq
				w.sum += x
				w.sumsq += x * x
				w.got++
				if k&(ringSample-1) == 0 {
					w.fillSum += int64(len(ch))
					w.samples++
				}
			}
		}(&cons[c], share(b.N, nc, c))
	}
	ready.Wait()
	b.ResetTimer()
	t0 := time.Now()
	close(start)
	done.Wait()
	elapsed := time.Since(t0)
	b.StopTimer()

	var got, fill, samples, badOrder, bad int64
	var sum, sumsq, esum, esumsq uint64
	for i := range cons {
		w := &cons[i]
		got += w.got
		fill += w.fillSum
		samples += w.samples
		badOrder += w.badOrder
		bad += w.bad
		sum += w.sum
		sumsq += w.sumsq
	}
	for p := 0; p < np; p++ {
		s, s2 := expect(p, share(b.N, np, p))
		esum += s
		esumsq += s2
	}
	if bad != 0 || badOrder != 0 || got != int64(b.N) || sum != esum || sumsq != esumsq {
		b.Fatalf("%dP%dC n=%d: %d bad items, %d out of order, %d items (want %d), sum %#x (want %#x), sum of squares %#x (want %#x)",
			np, nc, b.N, bad, badOrder, got, b.N, sum, esum, sumsq, esumsq)
	}
	if elapsed > 0 {
		b.ReportMetric(float64(b.N)/float64(elapsed.Nanoseconds())*1e3, "Mitems/s")
	}
	if samples > 0 {
		b.ReportMetric(100*float64(fill)/float64(samples)/ringCap, "fill%")
	}
}

// BenchmarkRingPushPop: one goroutine sends a value and receives it back
// on an empty channel.
func BenchmarkRingPushPop(b *testing.B) {
	ch := make(chan uint64, ringCap)
	for i := 0; i < b.N; i++ {
		v := uint64(i + 1)
		ch <- v
		if w := <-ch; w != v {
			b.Fatalf("sent %d, received %d", v, w)
		}
	}
}

func BenchmarkRing1P1C(b *testing.B) { ringThroughput(b, 1, 1) }
func BenchmarkRing2P2C(b *testing.B) { ringThroughput(b, 2, 2) }
func BenchmarkRing4P4C(b *testing.B) { ringThroughput(b, 4, 4) }
