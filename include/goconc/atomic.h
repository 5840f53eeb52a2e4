/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Typed atomics, after Go's sync/atomic (Go 1.25).
 *
 * Types: goc_atomic_int32_t, goc_atomic_int64_t, goc_atomic_uint32_t,
 * goc_atomic_uint64_t, goc_atomic_uintptr_t, goc_atomic_bool_t,
 * goc_atomic_ptr_t, and the value box goc_atomic_value_t. Every type is
 * valid when zero-initialised (value 0, false or NULL) and may be embedded
 * anywhere; 64-bit types are 8-byte aligned on every platform. Do not copy
 * an atomic that other threads may be using.
 *
 * Operations, for a type named T (int32, int64, uint32, uint64, uintptr,
 * bool, ptr):
 *
 *   goc_atomic_T_load(a)            seq_cst load
 *   goc_atomic_T_store(a, v)        seq_cst store
 *   goc_atomic_T_swap(a, v)         stores v, returns the old value
 *   goc_atomic_T_cas(a, old, new)   compare-and-swap, true if swapped
 *   goc_atomic_T_add(a, d)          integer types: adds d, returns the NEW
 *                                   value (as Go's Add)
 *   goc_atomic_T_sub(a, d)          integer types: subtracts, returns new
 *   goc_atomic_T_and(a, m)          integer types: returns the OLD value
 *   goc_atomic_T_or(a, m)           integer types: returns the OLD value
 *
 * Memory order. The plain names are sequentially consistent, as every
 * operation in Go's sync/atomic is: "if the effect of an atomic operation
 * A is observed by atomic operation B, then A is synchronized before B",
 * and all atomics behave as if executed in one total order. Explicit
 * variants are suffixed: loads _acq and _relaxed; stores _rel and
 * _relaxed; read-modify-writes _acq, _rel, _acq_rel and _relaxed (a
 * failed _cas_acq_rel is an acquire, a failed _cas_rel is relaxed).
 * Relaxed operations are atomic but create no happens-before edge.
 *
 * Everything is a static inline function over the compiler's __atomic
 * builtins (what <stdatomic.h> lowers to), so the header compiles as C and
 * as C++, and ThreadSanitizer sees each access in the caller's code.
 *
 * Padding: GOC_CACHELINE (features.h) is the padding unit;
 * GOC_CACHELINE_ALIGNED aligns a field or type to it; GOC_PADDED(type)
 * names an anonymous struct holding one `value` of type, aligned and
 * padded to a whole number of cache lines:
 *
 *     struct counters {
 *             GOC_PADDED(goc_atomic_uint64_t) head;  // head.value
 *             GOC_PADDED(goc_atomic_uint64_t) tail;
 *     };
 */
#ifndef GOCONC_ATOMIC_H
#define GOCONC_ATOMIC_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include <goconc/common.h>
#include <goconc/features.h>

GOC_BEGIN_DECLS

#define GOC_CACHELINE_ALIGNED __attribute__((aligned(GOC_CACHELINE)))
#define GOC_PADDED(type)    \
	struct {            \
		type value; \
	} GOC_CACHELINE_ALIGNED

/* private: the fields are named with a leading _; do not access them. */
typedef struct goc_atomic_int32 {
	int32_t _v;
} goc_atomic_int32_t;
typedef struct goc_atomic_uint32 {
	uint32_t _v;
} goc_atomic_uint32_t;
typedef struct goc_atomic_int64 {
	int64_t _v __attribute__((aligned(8)));
} goc_atomic_int64_t;
typedef struct goc_atomic_uint64 {
	uint64_t _v __attribute__((aligned(8)));
} goc_atomic_uint64_t;
typedef struct goc_atomic_uintptr {
	uintptr_t _v;
} goc_atomic_uintptr_t;
typedef struct goc_atomic_bool {
	bool _v;
} goc_atomic_bool_t;
typedef struct goc_atomic_ptr {
	void *_v;
} goc_atomic_ptr_t;

#define GOC_ATOMIC_INIT(v) \
	{                  \
		(v)        \
	}

/* Internal generators; each expands to a family of inline functions. */
#define GOC__ATOMIC_LOAD(name, T, sfx, ord)              \
	GOC_INLINE T name##_load##sfx(const name##_t *a) \
	{                                                \
		return __atomic_load_n(&a->_v, ord);     \
	}
#define GOC__ATOMIC_STORE(name, T, sfx, ord)                \
	GOC_INLINE void name##_store##sfx(name##_t *a, T v) \
	{                                                   \
		__atomic_store_n(&a->_v, v, ord);           \
	}
#define GOC__ATOMIC_RMW(name, T, op, sfx, ord, fail)                        \
	GOC_INLINE T name##_swap##sfx(name##_t *a, T v)                     \
	{                                                                   \
		return __atomic_exchange_n(&a->_v, v, ord);                 \
	}                                                                   \
	GOC_INLINE bool name##_cas##sfx(name##_t *a, T old, T nv)           \
	{                                                                   \
		return __atomic_compare_exchange_n(&a->_v, &old, nv, false, \
						   ord, fail);              \
	}
#define GOC__ATOMIC_ARITH(name, T, sfx, ord)               \
	GOC_INLINE T name##_add##sfx(name##_t *a, T d)     \
	{                                                  \
		return __atomic_add_fetch(&a->_v, d, ord); \
	}                                                  \
	GOC_INLINE T name##_sub##sfx(name##_t *a, T d)     \
	{                                                  \
		return __atomic_sub_fetch(&a->_v, d, ord); \
	}                                                  \
	GOC_INLINE T name##_and##sfx(name##_t *a, T m)     \
	{                                                  \
		return __atomic_fetch_and(&a->_v, m, ord); \
	}                                                  \
	GOC_INLINE T name##_or##sfx(name##_t *a, T m)      \
	{                                                  \
		return __atomic_fetch_or(&a->_v, m, ord);  \
	}

#define GOC__ATOMIC_COMMON(name, T)                                          \
	GOC__ATOMIC_LOAD(name, T, , __ATOMIC_SEQ_CST)                        \
	GOC__ATOMIC_LOAD(name, T, _acq, __ATOMIC_ACQUIRE)                    \
	GOC__ATOMIC_LOAD(name, T, _relaxed, __ATOMIC_RELAXED)                \
	GOC__ATOMIC_STORE(name, T, , __ATOMIC_SEQ_CST)                       \
	GOC__ATOMIC_STORE(name, T, _rel, __ATOMIC_RELEASE)                   \
	GOC__ATOMIC_STORE(name, T, _relaxed, __ATOMIC_RELAXED)               \
	GOC__ATOMIC_RMW(name, T, , , __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)     \
	GOC__ATOMIC_RMW(name, T, , _acq, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE) \
	GOC__ATOMIC_RMW(name, T, , _rel, __ATOMIC_RELEASE, __ATOMIC_RELAXED) \
	GOC__ATOMIC_RMW(name, T, , _acq_rel, __ATOMIC_ACQ_REL,               \
			__ATOMIC_ACQUIRE)                                    \
	GOC__ATOMIC_RMW(name, T, , _relaxed, __ATOMIC_RELAXED, __ATOMIC_RELAXED)

#define GOC__ATOMIC_INTEGER(name, T)                           \
	GOC__ATOMIC_COMMON(name, T)                            \
	GOC__ATOMIC_ARITH(name, T, , __ATOMIC_SEQ_CST)         \
	GOC__ATOMIC_ARITH(name, T, _acq, __ATOMIC_ACQUIRE)     \
	GOC__ATOMIC_ARITH(name, T, _rel, __ATOMIC_RELEASE)     \
	GOC__ATOMIC_ARITH(name, T, _acq_rel, __ATOMIC_ACQ_REL) \
	GOC__ATOMIC_ARITH(name, T, _relaxed, __ATOMIC_RELAXED)

GOC__ATOMIC_INTEGER(goc_atomic_int32, int32_t)
GOC__ATOMIC_INTEGER(goc_atomic_uint32, uint32_t)
GOC__ATOMIC_INTEGER(goc_atomic_int64, int64_t)
GOC__ATOMIC_INTEGER(goc_atomic_uint64, uint64_t)
GOC__ATOMIC_INTEGER(goc_atomic_uintptr, uintptr_t)
GOC__ATOMIC_COMMON(goc_atomic_bool, bool)
GOC__ATOMIC_COMMON(goc_atomic_ptr, void *)

/*
 * Fences. goc_atomic_fence() is a full sequentially consistent fence;
 * the _acq and _rel variants order only one direction. Prefer ordered
 * operations to fences where a happens-before edge is meant:
 * ThreadSanitizer does not model standalone fences.
 */
GOC_INLINE void
goc_atomic_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
GOC_INLINE void
goc_atomic_fence_acq(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}
GOC_INLINE void
goc_atomic_fence_rel(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/*
 * goc_atomic_value_t is Go's atomic.Value for C: a box holding a non-NULL
 * pointer and a type tag. The tag is any non-NULL pointer the program
 * chooses to name the pointee's type (the address of a static descriptor,
 * say); the first store fixes it, and every later store must use the
 * same tag. The zero value is an empty box: load returns NULL.
 *
 * Panics (Go's words): storing NULL ("sync/atomic: store of nil value
 * into Value"), storing with another tag ("sync/atomic: store of
 * inconsistently typed value into Value"), and the matching messages for
 * swap and compare-and-swap. A load that returns a pointer stored by a
 * store is synchronized after that store (seq_cst, as Go).
 */
typedef struct goc_atomic_value {
	/* private: tag is NULL (empty), GOC__VALUE_BUSY (first store in
	 * progress) or the type tag; ptr is published before the tag. */
	const void *_tag;
	void *_ptr;
} goc_atomic_value_t;

/* goc_atomic_value_load returns the stored pointer, or NULL if none. */
GOC_API void *goc_atomic_value_load(const goc_atomic_value_t *v);
/* goc_atomic_value_store stores ptr, which must be non-NULL. */
GOC_API void goc_atomic_value_store(goc_atomic_value_t *v, const void *tag,
				    void *ptr);
/* goc_atomic_value_swap stores ptr and returns the previous (or NULL). */
GOC_API void *goc_atomic_value_swap(goc_atomic_value_t *v, const void *tag,
				    void *ptr);
/*
 * goc_atomic_value_cas stores new_ptr if the box holds old_ptr (an empty
 * box holds NULL); true if it did. new_ptr must be non-NULL.
 */
GOC_API bool goc_atomic_value_cas(goc_atomic_value_t *v, const void *tag,
				  void *old_ptr, void *new_ptr);

GOC_END_DECLS

#endif /* GOCONC_ATOMIC_H */
