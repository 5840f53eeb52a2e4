/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * select over channels (Go's select statement, runtime/select.go).
 *
 *     int v; bool ok;
 *     goc_case_t cs[] = { GOC_RECV_OK(in, &v, &ok), GOC_SEND(out, &w) };
 *     switch (goc_select(cs, 2)) { case 0: ...; case 1: ...; }
 *
 * goc_select blocks until one case can proceed, completes exactly that
 * one and returns its index; when several are ready it picks one
 * uniformly at random. goc_select_try returns -1 instead of blocking
 * (Go's default case). A case on a NULL channel never fires; zero cases
 * (or only NULL channels) block forever. The value of a send case is
 * copied when the case completes, from the pointer given; a receive
 * case's elem may be NULL (value discarded) and its ok pointer, when not
 * NULL, is set to false when the case fired because the channel is
 * closed (elem zeroed). A send case on a closed channel panics "send on
 * closed channel" when it is chosen. The memory-model guarantees of the
 * chosen case are those of the plain operation (goconc/chan.h).
 */
#ifndef GOCONC_SELECT_H
#define GOCONC_SELECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include <goconc/common.h>
#include <goconc/chan.h>

GOC_BEGIN_DECLS

#define GOC_CASE_SEND 1
#define GOC_CASE_RECV 2

/* One case of a select; build it with GOC_SEND / GOC_RECV / GOC_RECV_OK. */
typedef struct goc_case {
	goc_chan_t *chan; /* NULL: the case never fires */
	void *elem;       /* send: source; receive: destination or NULL */
	bool *ok;         /* receive: false if fired by close; may be NULL */
	int dir;          /* GOC_CASE_SEND or GOC_CASE_RECV */
} goc_case_t;

static inline goc_case_t
goc_case_send(goc_chan_t *c, const void *elem)
{
	goc_case_t k;
	k.chan = c;
	k.elem = (void *)elem;
	k.ok = NULL;
	k.dir = GOC_CASE_SEND;
	return k;
}

static inline goc_case_t
goc_case_recv(goc_chan_t *c, void *elem, bool *ok)
{
	goc_case_t k;
	k.chan = c;
	k.elem = elem;
	k.ok = ok;
	k.dir = GOC_CASE_RECV;
	return k;
}

#define GOC_SEND(c, elem)        goc_case_send((c), (elem))
#define GOC_RECV(c, elem)        goc_case_recv((c), (elem), NULL)
#define GOC_RECV_OK(c, elem, ok) goc_case_recv((c), (elem), (ok))

/* goc_select blocks until a case proceeds and returns its index. */
GOC_API int goc_select(goc_case_t *cases, size_t n);
/* goc_select_try is goc_select that returns -1 when no case is ready. */
GOC_API int goc_select_try(goc_case_t *cases, size_t n);

GOC_END_DECLS

#endif /* GOCONC_SELECT_H */
