/*
 * kernel/spinlock.h — spinlocks.
 *
 * Holding a spinlock means interrupts are off on this CPU, which is also
 * what keeps the holder from being preempted: the scheduler's timer tick
 * cannot run. Never block (park) while holding one.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/atomic.h"
#include "kernel/arch/x86.h"

struct spinlock {
	volatile uint32_t locked;
	int32_t cpu;			/* holder, for debugging; -1 when free */
};

#define SPINLOCK_INIT { 0, -1 }

static inline bool spin_trylock_raw(struct spinlock *l)
{
	return !a_swap_acquire(&l->locked, 1);
}

static inline void spin_lock_raw(struct spinlock *l)
{
	while (!spin_trylock_raw(l))
		while (a_load_relaxed(&l->locked))
			cpu_relax();
}

static inline void spin_unlock_raw(struct spinlock *l)
{
	a_store_release(&l->locked, 0);
}

/* Disable interrupts, take the lock; returns the old interrupt state. */
static inline bool spin_lock(struct spinlock *l)
{
	bool f = irq_save();
	spin_lock_raw(l);
	return f;
}

static inline void spin_unlock(struct spinlock *l, bool f)
{
	spin_unlock_raw(l);
	irq_restore(f);
}

static inline bool spin_held(struct spinlock *l)
{
	return a_load_relaxed(&l->locked);
}

#endif
