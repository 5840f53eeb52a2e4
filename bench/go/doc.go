// SPDX-License-Identifier: BSD-2-Clause

// Package bench holds the Go twins of libgoconc's C benchmarks (bench/*.c):
// the same workloads, written here for Go, run with
//
//	go test -bench . -cpu 1,2
//
// so that benchstat, or bench/compare.sh, can set libgoconc and Go side by
// side. It uses the standard library only and builds offline.
package bench
