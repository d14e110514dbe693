/*
 * kernel/libc.h — the kernel's side of newlib (kernel/libc.c): its state
 * for the boot CPU, and what the heap under it has done.
 */
#ifndef KERNEL_LIBC_H
#define KERNEL_LIBC_H

#include <stdint.h>

/* newlib's state for the boot CPU, before anything calls newlib. kmain,
   first thing after cpu_init_bsp. */
void libc_init_bsp(void);
/* Heap allocations ever made, by anyone (newlib's allocators are wrapped
   at link time). Any context. */
uint64_t kernel_alloc_count(void);
/* The heap's bytes allocated and not freed, and bytes obtained from the
   system (newlib's mallinfo). Any task; allocates nothing. */
void libc_heap_stats(uint64_t *in_use, uint64_t *arena);

#endif
