// SPDX-License-Identifier: BSD-2-Clause

// Command pool is the Go twin of bench/workloads/pool.c: WORKERS workers
// and a producer under context.WithTimeout(DEADLINE_MS), jobs 1 .. JOBS
// offered on a channel of capacity WORKERS, each a select against
// ctx.Done(); a job j costs WORK rounds of xorshift64 seeded with j.
//
//	pool [WORKERS [JOBS [WORK [DEADLINE_MS]]]]  defaults 8, 200000, 200, 10000
//
// Prints the completed count, id sum and sum of the results on stdout and
// how the run ended on stderr; when the deadline did not end it, checks
// that every job ran once.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"libgoconc/bench/workloads/internal/wl"
)

type worker struct {
	done  int
	idsum uint64
	res   uint64
}

func jobWork(x uint64, rounds int) uint64 {
	for i := 0; i < rounds; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func main() {
	workers := wl.Arg(1, 8, 1, 1000000)
	jobs := wl.Arg(2, 200000, 0, 4000000000)
	work := wl.Arg(3, 200, 0, 1000000000)
	deadlineMs := wl.Arg(4, 10000, 1, 86400000)

	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(),
		time.Duration(deadlineMs)*time.Millisecond)
	jobq := make(chan uint64, workers)
	ws := make([]worker, workers)
	var wg sync.WaitGroup
	wg.Add(workers + 1)
	for i := range ws {
		w := &ws[i]
		go func() {
			done := ctx.Done()
			for {
				select {
				case j, ok := <-jobq:
					if !ok {
						wg.Done()
						return
					}
					w.res += jobWork(j, work)
					w.idsum += j
					w.done++
				case <-done:
					wg.Done()
					return
				}
			}
		}()
	}
	go func() {
		done := ctx.Done()
	loop:
		for j := 1; j <= jobs; j++ {
			select {
			case jobq <- uint64(j):
			case <-done:
				break loop
			}
		}
		close(jobq)
		wg.Done()
	}()
	wg.Wait()
	elapsed := time.Since(t0)
	err := ctx.Err()
	cancel()

	var done int
	var idsum, res uint64
	for i := range ws {
		done += ws[i].done
		idsum += ws[i].idsum
		res += ws[i].res
	}
	fmt.Printf("jobs=%d idsum=%d res=%016x\n", done, idsum, res)
	ended := "done"
	if err == context.DeadlineExceeded {
		ended = "deadline"
	}
	fmt.Fprintf(os.Stderr, "ended=%s completed=%d of %d elapsed_ms=%.1f\n",
		ended, done, jobs, float64(elapsed.Nanoseconds())/1e6)
	if err == nil {
		want := uint64(jobs) * uint64(jobs+1) / 2
		if done != jobs || idsum != want {
			wl.Fail("pool: %d jobs with id sum %d, want %d and %d",
				done, idsum, jobs, want)
		}
	} else if err != context.DeadlineExceeded || done > jobs {
		wl.Fail("pool: error %v, %d of %d jobs", err, done, jobs)
	}
}
