/*
 * kernel/atomic.h — atomic operations, the one header every layer uses
 * for them (musl's a_* is the model). Type-generic over the integer and
 * pointer types the compiler's __atomic builtins take.
 *
 * The name says the memory order; no suffix means sequentially consistent:
 *   a_load(p)  a_load_acquire(p)  a_load_relaxed(p)
 *   a_store(p, v)  a_store_release(p, v)  a_store_relaxed(p, v)
 *   a_swap(p, v)  a_swap_acquire(p, v)         exchange; the old value
 *   a_cas(p, &old, v)  a_cas_acquire  a_cas_relaxed
 *                      strong compare-and-swap: true when *p was old and
 *                      is now v; else false, and old holds what *p was
 *   a_fetch_add(p, v)  a_fetch_add_relaxed  a_fetch_sub_relaxed
 *                      the old value;  a_add_fetch_relaxed: the new one
 *   a_fetch_and(p, v)  a_fetch_or(p, v)
 *   a_fence()          a full fence (MFENCE on x86)
 * Relaxed is for counters and for flags whose ordering something else
 * provides (a lock, a later fence); every other use says which order it
 * needs and why, where it is used.
 *
 * No dependencies: it compiles on the host too (unit tests).
 */
#ifndef KERNEL_ATOMIC_H
#define KERNEL_ATOMIC_H

#define a_load(p)		__atomic_load_n((p), __ATOMIC_SEQ_CST)
#define a_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define a_load_relaxed(p)	__atomic_load_n((p), __ATOMIC_RELAXED)

#define a_store(p, v)		__atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define a_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define a_store_relaxed(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)

#define a_swap(p, v)		__atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define a_swap_acquire(p, v)	__atomic_exchange_n((p), (v), __ATOMIC_ACQUIRE)

#define a_cas(p, oldp, v)							\
	__atomic_compare_exchange_n((p), (oldp), (v), 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define a_cas_acquire(p, oldp, v)						\
	__atomic_compare_exchange_n((p), (oldp), (v), 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)
#define a_cas_relaxed(p, oldp, v)						\
	__atomic_compare_exchange_n((p), (oldp), (v), 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)

#define a_fetch_add(p, v)		__atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define a_fetch_add_relaxed(p, v)	__atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define a_fetch_sub_relaxed(p, v)	__atomic_fetch_sub((p), (v), __ATOMIC_RELAXED)
#define a_add_fetch_relaxed(p, v)	__atomic_add_fetch((p), (v), __ATOMIC_RELAXED)
#define a_fetch_and(p, v)		__atomic_fetch_and((p), (v), __ATOMIC_SEQ_CST)
#define a_fetch_or(p, v)		__atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)

#define a_fence()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

#endif
