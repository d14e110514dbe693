/*
 * kernel/vm.h — the kernel's one address space.
 *
 * Layout:
 *   0 .. end of RAM     identity map of physical memory (page 0 unmapped),
 *                       RW and NX except the kernel image, which is mapped
 *                       by section: text RX, rodata R+NX, data/bss RW+NX
 *   MMIO                identity, uncached, mapped on request (vm_map_mmio)
 *   VM_HEAP_BASE        newlib's heap, grown page by page by _sbrk
 *   VM_KSTACK_BASE      kernel stacks (IST, AP boot), each under a guard page
 *   VM_TASK_STACK_BASE  task stacks, managed by runtime/ (demand paged)
 * Page-table pages come from the physical allocator and are reached
 * through the identity map. Mapping changes take vm_lock.
 */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define PAGE_SIZE 4096ull
#define PAGE_ROUND_UP(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define PAGE_ROUND_DOWN(x) ((x) & ~(PAGE_SIZE - 1))

#define VM_HEAP_BASE		0x0000100000000000ull	/* 16 TiB */
#define VM_HEAP_MAX		0x0000008000000000ull	/* 512 GiB of room */
#define VM_KSTACK_BASE		0x0000200000000000ull
#define VM_KSTACK_MAX		0x0000001000000000ull
#define VM_TASK_STACK_BASE	0x0000300000000000ull
#define VM_TASK_STACK_MAX	0x0000100000000000ull	/* 16 TiB */

/* Page flags for vm_map_*. */
#define VM_W	(1u << 0)	/* writable */
#define VM_X	(1u << 1)	/* executable */
#define VM_UC	(1u << 2)	/* uncached (MMIO) */

struct memmap;

/* Build the kernel page tables from the clean memory map and switch to
   them. BSP only, once, before other CPUs start. */
void vm_init(const struct memmap *mm);
/* Switch this CPU to the kernel page tables (APs). */
void vm_load(void);
uint64_t vm_kernel_cr3(void);

/* Map one page va -> pa. Returns 0, or -ENOMEM when no page-table page
   is left. Panics if va is already mapped. */
int vm_map_page(uint64_t va, uint64_t pa, unsigned flags);
/* Unmap one page and return its physical address (0 if it was not
   mapped). Flushes only this CPU's TLB: callers that may have run the
   page's user on another CPU flush there too (vm_flush_all). */
uint64_t vm_unmap_page(uint64_t va);
/* Map [pa, pa+len) identity, uncached, NX; returns the address. */
void *vm_map_mmio(uint64_t pa, size_t len);
/* Physical address behind va, or (uint64_t)-1 when unmapped. */
uint64_t vm_translate(uint64_t va);
/* True when [va, va+len) is mapped (for backtraces that must not fault). */
bool vm_readable(uint64_t va, size_t len);
/* Flush the whole TLB on every online CPU (IPI), waiting for them. */
void vm_flush_all(void);

/* Create the page-table pages that cover [va, va+len) so that later
   vm_map_prepared calls need neither memory nor vm_lock. Returns 0 or
   -ENOMEM. */
int vm_prepare_tables(uint64_t va, size_t len);
/* Map one page in a range prepared above, without taking vm_lock: for
   the page-fault path, which may interrupt a vm_lock holder. The caller
   owns va (no one else maps or unmaps it concurrently). */
void vm_map_prepared(uint64_t va, uint64_t pa, unsigned flags);

/* Kernel stack of `size` bytes under an unmapped guard page; returns the
   lowest address. Never freed. */
void *kstack_alloc(size_t size);

/* Statistics. */
uint64_t vm_heap_bytes(void);		/* heap mapped by _sbrk */
/* Heap growths refused because the free pages were down to what task
   stacks may still claim (kernel/hooks.h's heap_floor). */
uint64_t vm_heap_floor_hits(void);

#endif
