// SPDX-License-Identifier: BSD-2-Clause

// Command pingpong is the Go twin of bench/workloads/pingpong.c: PAIRS
// pairs of goroutines, each pinger sending 0 .. ROUNDS-1 over an
// unbuffered channel and summing the replies v+1 that its ponger sends
// back over a second one; a WaitGroup counts the 2*PAIRS goroutines.
//
//	pingpong [PAIRS [ROUNDS]]          defaults 1, 200000
//
// Prints the total on stdout (checked); exits 1 if a pair summed wrong.
package main

import (
	"fmt"
	"sync"

	"libgoconc/bench/workloads/internal/wl"
)

type pair struct {
	ping, pong chan uint64
	sum        uint64
}

func main() {
	pairs := wl.Arg(1, 1, 1, 1000000)
	rounds := wl.Arg(2, 200000, 0, 1000000000)
	want := uint64(rounds) * uint64(rounds+1) / 2

	ps := make([]pair, pairs)
	var wg sync.WaitGroup
	wg.Add(2 * pairs)
	for k := range ps {
		p := &ps[k]
		p.ping = make(chan uint64)
		p.pong = make(chan uint64)
		go func() { // ponger
			for v := range p.ping {
				p.pong <- v + 1
			}
			wg.Done()
		}()
		go func() { // pinger
			var sum uint64
			for i := 0; i < rounds; i++ {
				p.ping <- uint64(i)
				sum += <-p.pong
			}
			close(p.ping)
			p.sum = sum
			wg.Done()
		}()
	}
	wg.Wait()
	var total uint64
	bad := 0
	for k := range ps {
		if ps[k].sum != want {
			bad++
		}
		total += ps[k].sum
	}
	fmt.Printf("sum=%d\n", total)
	if bad != 0 {
		wl.Fail("pingpong: %d of %d pairs summed wrong", bad, pairs)
	}
}
