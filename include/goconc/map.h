/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * goconc/map.h: goc_map_t, a concurrent map (Go's sync.Map, in the
 * read/dirty design of Go 1.9-1.23).
 *
 * The map is optimised for two cases, as Go's: a key written once and
 * read many times (caches that only grow), and goroutines working on
 * disjoint sets of keys. Loads, and stores to keys already present, run
 * without a lock on a read-only table; new keys go to a dirty table under
 * a lock and are promoted to the read table once enough loads have missed
 * it. Removed entries and retired tables are reclaimed after a grace
 * period (epochs), so readers never take a lock and never see freed
 * memory.
 *
 * Keys and values are pointers (or integers cast to intptr_t and back).
 * A goc_map_type_t says how to hash and compare keys and who owns keys
 * and values; goc_map_type_int, goc_map_type_ptr and goc_map_type_str are
 * ready-made. A map is created by goc_map_new, which returns a new
 * reference (SPEC §10), and shared with goc_map_retain/goc_map_release.
 *
 * Values the map hands out (load, load_or_store's actual, swap's
 * previous, load_and_delete, range) pass through the type's val_copy
 * while the value is still guaranteed alive: with a copy hook (say, a
 * reference count's retain) the caller owns the result; without one the
 * pointer is borrowed, valid while the map keeps that value, and the map
 * should not own values (no val_free) unless the program orders its
 * frees itself.
 *
 * The hooks run inside the map's read sections or under its lock: they
 * must be quick, must not block and must not call goc_map functions.
 * key_free and val_free run later, on whichever thread reclaims.
 *
 * Memory model (Go's words): a store, swap, or successful
 * compare_and_swap or load_or_store that stores is synchronized before
 * any operation that observes its effect (a load returning the value, a
 * range seeing it). Range does not correspond to a consistent snapshot:
 * no key is visited twice, and a key stored or deleted concurrently may
 * or may not be seen.
 */
#ifndef GOCONC_MAP_H
#define GOCONC_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include <goconc/common.h>

GOC_BEGIN_DECLS

typedef struct goc_map goc_map_t;

/*
 * goc_map_type_t describes keys and values. hash and equal are required;
 * every other hook may be NULL.
 */
typedef struct goc_map_type {
	/* hash of a key; equal keys must hash equal */
	uint64_t (*hash)(const void *key);
	/* whether two keys are equal */
	bool (*equal)(const void *a, const void *b);
	/* the key the map keeps for a new entry (NULL: the key itself);
	 * returning NULL means out of memory */
	void *(*key_copy)(const void *key);
	/* releases a key made by key_copy */
	void (*key_free)(void *key);
	/* what the map hands out for a value it holds (NULL: the value) */
	void *(*val_copy)(void *val);
	/* releases a value the map drops (replaced, deleted, cleared,
	 * or with the map) */
	void (*val_free)(void *val);
	/* value equality for compare_and_swap/delete (NULL: ==) */
	bool (*val_equal)(const void *a, const void *b);
} goc_map_type_t;

/* Keys are integers (intptr_t cast to a pointer); values not owned. */
GOC_API extern const goc_map_type_t goc_map_type_int;
/* Keys are pointers compared by address; values not owned. */
GOC_API extern const goc_map_type_t goc_map_type_ptr;
/* Keys are NUL-terminated strings, copied into the map; values not
 * owned. */
GOC_API extern const goc_map_type_t goc_map_type_str;

/*
 * goc_map_new makes an empty map for type, which must outlive the map and
 * the reclamation of everything in it (a static descriptor). NULL when
 * memory ran out.
 */
GOC_API goc_map_t *goc_map_new(const goc_map_type_t *type);
/* goc_map_retain adds a reference and returns m. */
GOC_API goc_map_t *goc_map_retain(goc_map_t *m);
/* goc_map_release drops a reference; the last frees the map and,
 * through the hooks, every key and value in it. */
GOC_API void goc_map_release(goc_map_t *m);

/*
 * goc_map_load reports whether key is present and, if so, sets *val (when
 * val is not NULL) to its value (through val_copy).
 */
GOC_API bool goc_map_load(goc_map_t *m, const void *key, void **val);
/* goc_map_store sets the value for key; the map owns val from now on.
 * 0, or GOC_ENOMEM (nothing changed; val still the caller's). */
GOC_API int goc_map_store(goc_map_t *m, const void *key, void *val);
/*
 * goc_map_load_or_store returns the existing value for key in *actual
 * and 1 if present; otherwise it stores val, sets *actual to it and
 * returns 0. GOC_ENOMEM when memory ran out (nothing stored). *actual
 * goes through val_copy in both cases; actual may be NULL.
 */
GOC_API int goc_map_load_or_store(goc_map_t *m, const void *key, void *val,
				  void **actual);
/* goc_map_load_and_delete deletes key, returning its previous value in
 * *val, if any; reports whether it was present. */
GOC_API bool goc_map_load_and_delete(goc_map_t *m, const void *key, void **val);
/* goc_map_delete deletes the value for key. */
GOC_API void goc_map_delete(goc_map_t *m, const void *key);
/*
 * goc_map_swap stores val for key and returns 1 with the previous value
 * in *previous if there was one, else 0; GOC_ENOMEM when memory ran out
 * (nothing changed).
 */
GOC_API int goc_map_swap(goc_map_t *m, const void *key, void *val,
			 void **previous);
/*
 * goc_map_compare_and_swap stores new_val for key if its value equals
 * old (val_equal): 1 if swapped, 0 if not, GOC_ENOMEM when memory ran
 * out. An absent key never equals old.
 */
GOC_API int goc_map_compare_and_swap(goc_map_t *m, const void *key,
				     const void *old, void *new_val);
/* goc_map_compare_and_delete deletes key if its value equals old;
 * reports whether it deleted. */
GOC_API bool goc_map_compare_and_delete(goc_map_t *m, const void *key,
					const void *old);
/*
 * goc_map_range calls f(key, val, arg) for each key and value present,
 * until f returns false. key and val are valid during the call (val
 * through val_copy, released with val_free after the call when the type
 * has both). f may call any goc_map function, on m too, and may block.
 * 0, or GOC_ENOMEM when memory for the pass ran out (f not called).
 */
GOC_API int goc_map_range(goc_map_t *m,
			  bool (*f)(const void *key, void *val, void *arg),
			  void *arg);
/* goc_map_clear deletes every entry. */
GOC_API void goc_map_clear(goc_map_t *m);

GOC_END_DECLS

#endif /* GOCONC_MAP_H */
