/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Channels and timer channels (Go's chan, time.After, time.Timer,
 * time.Ticker, time.AfterFunc; Go 1.25 semantics, Go 1.23 timers).
 *
 * A channel carries fixed-size elements, copied with memcpy. It is
 * created by goc_chan_make (a new reference the caller releases) and
 * reference-counted with goc_chan_retain/goc_chan_release. Every
 * blocking operation works from goroutines and from plain threads the
 * library did not create, and never allocates (its wait record lives on
 * the caller's stack).
 *
 * Memory model (Go's): a send is synchronized before the completion of
 * the corresponding receive; a close is synchronized before a receive
 * that returns because the channel is closed; a receive from an
 * unbuffered channel is synchronized before the completion of the
 * corresponding send; the k-th receive on a channel of capacity C is
 * synchronized before the completion of the (k+C)-th send.
 *
 * A NULL channel is Go's nil channel: send and receive block forever,
 * the non-blocking forms report would-block, close panics.
 */
#ifndef GOCONC_CHAN_H
#define GOCONC_CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include <goconc/common.h>

GOC_BEGIN_DECLS

typedef struct goc_chan goc_chan_t;

/* Results of goc_chan_try_recv. */
#define GOC_CHAN_OK         1    /* a value was received */
#define GOC_CHAN_CLOSED     0    /* closed and drained; *elem zeroed */
#define GOC_CHAN_WOULDBLOCK (-1) /* nothing to receive now */

/*
 * goc_chan_make makes a channel of elements of elem_size bytes with a
 * buffer of cap elements (0: unbuffered), Go's make(chan T, cap). Zero-size
 * elements are allowed. Returns a new reference, or NULL when memory ran
 * out. Panics "makechan: size out of range" when cap * elem_size
 * overflows or exceeds the largest allocation; an elem_size of 65536 or
 * more is the fatal error "makechan: invalid channel element type".
 */
GOC_API goc_chan_t *goc_chan_make(size_t elem_size, size_t cap);
/* goc_chan_retain adds a reference and returns c (NULL stays NULL). */
GOC_API goc_chan_t *goc_chan_retain(goc_chan_t *c);
/*
 * goc_chan_release drops a reference; the last one frees the channel.
 * A channel on which goroutines still wait is not freed (they keep it
 * reachable, as Go's garbage collector would).
 */
GOC_API void goc_chan_release(goc_chan_t *c);

/*
 * goc_chan_send copies elem_size bytes from elem into the channel,
 * blocking until a receiver takes them or buffer space is free. Panics
 * "send on closed channel" if c is closed, or is closed while the sender
 * waits. elem may be NULL only for zero-size elements.
 */
GOC_API void goc_chan_send(goc_chan_t *c, const void *elem);
/*
 * goc_chan_recv blocks until a value arrives (true, copied to elem) or the
 * channel is closed and drained (false, elem zeroed). elem may be NULL to
 * discard the value.
 */
GOC_API bool goc_chan_recv(goc_chan_t *c, void *elem);
/*
 * goc_chan_try_send is a send that never blocks (Go's select with one
 * send case and a default): true if the value was sent, false if it would
 * block. Panics "send on closed channel" on a closed channel.
 */
GOC_API bool goc_chan_try_send(goc_chan_t *c, const void *elem);
/*
 * goc_chan_try_recv is a receive that never blocks: GOC_CHAN_OK with the
 * value in elem, GOC_CHAN_CLOSED (elem zeroed) once closed and drained,
 * or GOC_CHAN_WOULDBLOCK.
 */
GOC_API int goc_chan_try_recv(goc_chan_t *c, void *elem);
/*
 * goc_chan_close closes c: buffered values are still received, then
 * receives return false; every waiting receiver wakes with the zero value
 * and every waiting sender panics. Panics "close of nil channel" and
 * "close of closed channel".
 */
GOC_API void goc_chan_close(goc_chan_t *c);
/* goc_chan_len is the number of buffered elements (a snapshot); 0 for
 * NULL and for timer channels. */
GOC_API size_t goc_chan_len(goc_chan_t *c);
/* goc_chan_cap is the buffer capacity; 0 for NULL and timer channels. */
GOC_API size_t goc_chan_cap(goc_chan_t *c);

/* ---- timer channels (Go's time package, Go 1.23 semantics) ---------- */

/* Opaque (Go's *time.Timer and *time.Ticker). */
typedef struct goc_time_timer goc_timer_t;
typedef struct goc_time_ticker goc_ticker_t;

/*
 * goc_after returns a new reference to a channel of int64_t on which the
 * current goc_now() is sent once d nanoseconds have passed (time.After).
 * Release it when done; the pending timer keeps what it needs alive.
 * Returns NULL when memory ran out.
 */
GOC_API goc_chan_t *goc_after(int64_t d);

/*
 * goc_timer_new starts a timer that sends goc_now() (int64_t) on its
 * channel after d nanoseconds (time.NewTimer). Returns a new reference
 * (release with goc_timer_release, which also stops it), or NULL.
 */
GOC_API goc_timer_t *goc_timer_new(int64_t d);
/* goc_timer_chan is the timer's channel (borrowed: valid while t lives;
 * NULL for a goc_after_func timer). */
GOC_API goc_chan_t *goc_timer_chan(goc_timer_t *t);
/*
 * goc_timer_stop prevents the timer from firing (Timer.Stop): true if it
 * stopped a pending timer, false if it had expired or was stopped. No
 * value prepared before the call is received after it (Go 1.23).
 */
GOC_API bool goc_timer_stop(goc_timer_t *t);
/*
 * goc_timer_reset re-arms the timer to fire d nanoseconds from now
 * (Timer.Reset); returns what goc_timer_stop would have. No stale value
 * is received after it returns.
 */
GOC_API bool goc_timer_reset(goc_timer_t *t, int64_t d);
/* goc_timer_release stops the timer and drops the reference. */
GOC_API void goc_timer_release(goc_timer_t *t);
/*
 * goc_after_func runs fn(arg) in its own goroutine once d nanoseconds
 * have passed (time.AfterFunc). The returned timer can be stopped and
 * reset; release it with goc_timer_release (which stops it). NULL when
 * memory ran out.
 */
GOC_API goc_timer_t *goc_after_func(int64_t d, void (*fn)(void *), void *arg);

/*
 * goc_ticker_new sends goc_now() (int64_t) on its channel every d
 * nanoseconds, dropping ticks a slow receiver misses (time.NewTicker).
 * Panics "non-positive interval for NewTicker" when d <= 0. Returns a new
 * reference (release with goc_ticker_release), or NULL.
 */
GOC_API goc_ticker_t *goc_ticker_new(int64_t d);
/* goc_ticker_chan is the ticker's channel (borrowed). */
GOC_API goc_chan_t *goc_ticker_chan(goc_ticker_t *t);
/* goc_ticker_stop turns the ticker off; no tick prepared before the call
 * is received after it. */
GOC_API void goc_ticker_stop(goc_ticker_t *t);
/* goc_ticker_reset stops the ticker and restarts it with period d.
 * Panics "non-positive interval for Ticker.Reset" when d <= 0. */
GOC_API void goc_ticker_reset(goc_ticker_t *t, int64_t d);
/* goc_ticker_release stops the ticker and drops the reference. */
GOC_API void goc_ticker_release(goc_ticker_t *t);

GOC_END_DECLS

#endif /* GOCONC_CHAN_H */
