/* kernel/page.c — the kernel's physical page allocator (locked pmm). */
#include <string.h>
#include "kernel/page.h"
#include "kernel/pmm.h"
#include "kernel/memmap.h"
#include "kernel/spinlock.h"
#include "kernel/panic.h"
#include "kernel/vm.h"
#include "kernel/cpu.h"

extern char __kernel_start[], __kernel_end[];

static struct pmm kpmm;
static struct spinlock page_lock = SPINLOCK_INIT;
/* The holder's CPU, so that the fault path can tell "held here" (give
   up) from "held elsewhere" (wait: the holder is only a moment away). */
static volatile int page_lock_cpu = -1;

/* Find room for the bitmap: the first usable range above the kernel and
   below 4 GiB (the boot identity map's reach) that holds it. */
static uint64_t *bitmap_place(const struct memmap *mm, uint64_t bytes)
{
	uint64_t lo = PAGE_ROUND_UP((uint64_t)__kernel_end);
	for (size_t i = 0; i < mm->n; i++) {
		const struct memmap_entry *e = &mm->e[i];
		if (e->type != MEMMAP_USABLE)
			continue;
		uint64_t b = e->base > lo ? e->base : lo;
		if (b + bytes <= e->base + e->len && b + bytes <= (1ull << 32))
			return (uint64_t *)b;
	}
	panic("page_init: no room for a %llu-byte page bitmap", (unsigned long long)bytes);
}

void page_init(const struct memmap *mm)
{
	uint64_t nframes = memmap_end(mm, MEMMAP_USABLE) / PAGE_SIZE;
	uint64_t bytes = PAGE_ROUND_UP((nframes + 63) / 64 * 8);
	uint64_t *bm = bitmap_place(mm, bytes);
	pmm_init(&kpmm, bm, nframes);
	for (size_t i = 0; i < mm->n; i++)
		if (mm->e[i].type == MEMMAP_USABLE)
			pmm_free_range(&kpmm, mm->e[i].base, mm->e[i].base + mm->e[i].len);
	/* Low memory holds firmware data and the AP trampoline. */
	pmm_reserve_range(&kpmm, 0, 0x100000);
	pmm_reserve_range(&kpmm, (uint64_t)__kernel_start, (uint64_t)__kernel_end);
	pmm_reserve_range(&kpmm, (uint64_t)bm, (uint64_t)bm + bytes);
}

static uint64_t zeroed(uint64_t pa)
{
	if (pa)
		memset((void *)pa, 0, PAGE_SIZE);
	return pa;
}

uint64_t page_alloc(void)
{
	bool f = spin_lock(&page_lock);
	page_lock_cpu = (int)cpu_id();
	uint64_t pa = pmm_alloc(&kpmm);
	page_lock_cpu = -1;
	spin_unlock(&page_lock, f);
	return zeroed(pa);
}

uint64_t page_alloc_uninit(void)
{
	bool f = spin_lock(&page_lock);
	page_lock_cpu = (int)cpu_id();
	uint64_t pa = pmm_alloc(&kpmm);
	page_lock_cpu = -1;
	spin_unlock(&page_lock, f);
	return pa;
}

uint64_t page_alloc_try(void)
{
	bool f = irq_save();
	uint64_t pa = 0;
	while (page_lock_cpu != (int)cpu_id()) {
		if (spin_trylock_raw(&page_lock)) {
			pa = pmm_alloc(&kpmm);
			spin_unlock_raw(&page_lock);
			break;
		}
		cpu_relax();
	}
	irq_restore(f);
	return zeroed(pa);
}

uint64_t page_alloc_below(uint64_t limit)
{
	bool f = spin_lock(&page_lock);
	page_lock_cpu = (int)cpu_id();
	uint64_t pa = pmm_alloc_contig(&kpmm, 1, PAGE_SIZE, limit);
	page_lock_cpu = -1;
	spin_unlock(&page_lock, f);
	return zeroed(pa);
}

uint64_t page_alloc_contig_nozero(uint64_t n)
{
	bool f = spin_lock(&page_lock);
	page_lock_cpu = (int)cpu_id();
	uint64_t pa = pmm_alloc_contig(&kpmm, n, PAGE_SIZE, 0);
	page_lock_cpu = -1;
	spin_unlock(&page_lock, f);
	return pa;
}

uint64_t page_alloc_contig(uint64_t n)
{
	uint64_t pa = page_alloc_contig_nozero(n);
	if (pa)
		memset((void *)pa, 0, n * PAGE_SIZE);
	return pa;
}

void page_free(uint64_t pa)
{
	bool f = spin_lock(&page_lock);
	page_lock_cpu = (int)cpu_id();
	pmm_free(&kpmm, pa);
	page_lock_cpu = -1;
	spin_unlock(&page_lock, f);
}

uint64_t page_free_count(void) { return kpmm.free_pages; }
uint64_t page_total_count(void) { return kpmm.total_pages; }
