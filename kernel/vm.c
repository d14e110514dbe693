/*
 * kernel/vm.c — 4-level page tables for the kernel's one address space.
 * See vm.h for the layout. W^X: the only executable pages are kernel
 * text, and text is never writable.
 */
#include <errno.h>
#include <string.h>
#include "kernel/vm.h"
#include "kernel/page.h"
#include "kernel/memmap.h"
#include "kernel/spinlock.h"
#include "kernel/panic.h"
#include "kernel/cpu.h"
#include "kernel/arch/x86.h"
#include "kernel/atomic.h"
#include "kernel/hooks.h"

#define PTE_P	(1ull << 0)
#define PTE_W	(1ull << 1)
#define PTE_PWT	(1ull << 3)
#define PTE_PCD	(1ull << 4)
#define PTE_PS	(1ull << 7)
#define PTE_G	(1ull << 8)
#define PTE_NX	(1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define LARGE	(2ull << 20)

extern char __kernel_start[], __text_end[], __rodata_end[], __kernel_end[];
extern uint32_t boot_ext_features;

static uint64_t *pml4;
static uint64_t nx_bit;			/* PTE_NX when the CPU has NX */
static struct spinlock vm_lock = SPINLOCK_INIT;
static uint64_t kstack_next = VM_KSTACK_BASE;
static uint64_t heap_mapped;		/* bytes of heap mapped */
static bool vm_live;			/* our tables are loaded: all RAM is mapped */

/* A page for a page table. Until vm_init switches to our tables only the
   boot map's first 4 GiB are reachable; afterwards any page will do. */
static uint64_t table_page(void)
{
	return vm_live ? page_alloc() : page_alloc_below(1ull << 32);
}

static uint64_t pte_flags(unsigned flags)
{
	uint64_t f = PTE_P;
	if (flags & VM_W)
		f |= PTE_W;
	if (!(flags & VM_X))
		f |= nx_bit;
	if (flags & VM_UC)
		f |= PTE_PCD | PTE_PWT;
	return f;
}

static unsigned idx(uint64_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & 511;
}

/* Replace a 2 MiB mapping at *pde by a table of 512 4 KiB ones with the
   same rights. Caller holds vm_lock. */
static int split_large(uint64_t *pde)
{
	uint64_t pt = table_page();
	if (!pt)
		return -ENOMEM;
	uint64_t base = *pde & PTE_ADDR & ~(LARGE - 1);
	uint64_t fl = (*pde & ~PTE_ADDR) & ~PTE_PS;
	uint64_t *t = (uint64_t *)pt;
	for (int i = 0; i < 512; i++)
		t[i] = (base + i * PAGE_SIZE) | fl;
	*pde = pt | PTE_P | PTE_W;
	return 0;
}

/* The entry for va at `level` (1 = 4 KiB PTE, 2 = 2 MiB PDE), creating
   tables and splitting large pages on the way when `create`. NULL when
   absent (or out of memory). Caller holds vm_lock (or is vm_init). */
static uint64_t *walk(uint64_t va, int level, bool create)
{
	uint64_t *t = pml4;
	for (int l = 4; l > level; l--) {
		uint64_t *e = &t[idx(va, l)];
		if (*e & PTE_P && *e & PTE_PS) {
			if (!create || split_large(e) < 0)
				return NULL;
		}
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			uint64_t pt = table_page();
			if (!pt)
				return NULL;
			*e = pt | PTE_P | PTE_W;
		}
		t = (uint64_t *)(*e & PTE_ADDR);
	}
	return &t[idx(va, level)];
}

/* Map [va, va+len) -> pa with 2 MiB pages where both are aligned and the
   slot is free, 4 KiB pages elsewhere. Entries already present are left
   alone (the kernel image is mapped first, with finer rights). */
static void map_range(uint64_t va, uint64_t pa, uint64_t len, uint64_t fl)
{
	uint64_t end = va + len;
	while (va < end) {
		if (!(va & (LARGE - 1)) && !(pa & (LARGE - 1)) && end - va >= LARGE) {
			uint64_t *pde = walk(va, 2, true);
			if (!pde)
				panic("vm: out of page-table pages");
			if (!(*pde & PTE_P)) {
				*pde = pa | fl | PTE_PS;
				va += LARGE, pa += LARGE;
				continue;
			}
		}
		uint64_t *pte = walk(va, 1, true);
		if (!pte)
			panic("vm: out of page-table pages");
		if (!(*pte & PTE_P))
			*pte = pa | fl;
		va += PAGE_SIZE, pa += PAGE_SIZE;
	}
}

void vm_init(const struct memmap *mm)
{
	if (boot_ext_features & (1u << 20))
		nx_bit = PTE_NX;
	pml4 = (uint64_t *)page_alloc_below(1ull << 32);
	if (!pml4)
		panic("vm_init: no page for the PML4");
	uint64_t ks = (uint64_t)__kernel_start, te = (uint64_t)__text_end;
	uint64_t re = (uint64_t)__rodata_end, ke = (uint64_t)__kernel_end;
	map_range(ks, ks, te - ks, pte_flags(VM_X));
	map_range(te, te, re - te, pte_flags(0));
	map_range(re, re, ke - re, pte_flags(VM_W));
	/* Low memory except page 0 (so a null dereference faults), with
	   4 KiB pages: the firmware tables and the trampoline live here. */
	map_range(PAGE_SIZE, PAGE_SIZE, 0x200000 - PAGE_SIZE, pte_flags(VM_W));
	for (size_t i = 0; i < mm->n; i++) {
		uint64_t b = PAGE_ROUND_DOWN(mm->e[i].base);
		uint64_t e = PAGE_ROUND_UP(mm->e[i].base + mm->e[i].len);
		if (b < 0x200000)
			b = 0x200000;
		if (e > b)
			map_range(b, b, e - b, pte_flags(VM_W));
	}
	vm_load();
	vm_live = true;
}

void vm_load(void)
{
	write_cr3((uint64_t)pml4);
}

uint64_t vm_kernel_cr3(void)
{
	return (uint64_t)pml4;
}

int vm_map_page(uint64_t va, uint64_t pa, unsigned flags)
{
	bool f = spin_lock(&vm_lock);
	uint64_t *pte = walk(va, 1, true);
	if (!pte) {
		spin_unlock(&vm_lock, f);
		return -ENOMEM;
	}
	if (*pte & PTE_P)
		panic("vm_map_page: %#llx already mapped", (unsigned long long)va);
	*pte = pa | pte_flags(flags);
	spin_unlock(&vm_lock, f);
	return 0;
}

uint64_t vm_unmap_page(uint64_t va)
{
	bool f = spin_lock(&vm_lock);
	uint64_t *pte = walk(va, 1, false);
	uint64_t pa = 0;
	if (pte && (*pte & PTE_P)) {
		pa = *pte & PTE_ADDR;
		*pte = 0;
		invlpg(va);
	}
	spin_unlock(&vm_lock, f);
	return pa;
}

int vm_prepare_tables(uint64_t va, size_t len)
{
	bool f = spin_lock(&vm_lock);
	for (uint64_t a = PAGE_ROUND_DOWN(va); a < va + len; a += LARGE - (a & (LARGE - 1))) {
		if (!walk(a, 1, true)) {
			spin_unlock(&vm_lock, f);
			return -ENOMEM;
		}
	}
	spin_unlock(&vm_lock, f);
	return 0;
}

void vm_map_prepared(uint64_t va, uint64_t pa, unsigned flags)
{
	uint64_t *pte = walk(va, 1, false);
	if (!pte)
		panic("vm_map_prepared: no table for %#llx", (unsigned long long)va);
	a_store_release(pte, pa | pte_flags(flags));
}

void *vm_map_mmio(uint64_t pa, size_t len)
{
	uint64_t b = PAGE_ROUND_DOWN(pa), e = PAGE_ROUND_UP(pa + len);
	bool f = spin_lock(&vm_lock);
	for (uint64_t a = b; a < e; a += PAGE_SIZE) {
		uint64_t *pte = walk(a, 1, true);
		if (!pte)
			panic("vm_map_mmio: out of page-table pages");
		*pte = a | pte_flags(VM_W | VM_UC);
		invlpg(a);
	}
	spin_unlock(&vm_lock, f);
	return (void *)pa;
}

uint64_t vm_translate(uint64_t va)
{
	uint64_t *t = pml4;
	for (int l = 4; l >= 1; l--) {
		uint64_t e = t[idx(va, l)];
		if (!(e & PTE_P))
			return (uint64_t)-1;
		if (l == 1 || (l <= 3 && (e & PTE_PS))) {
			uint64_t mask = (1ull << (12 + 9 * (l - 1))) - 1;
			return (e & PTE_ADDR & ~mask) | (va & mask);
		}
		t = (uint64_t *)(e & PTE_ADDR);
	}
	return (uint64_t)-1;
}

bool vm_readable(uint64_t va, size_t len)
{
	if (!pml4)
		return va >= PAGE_SIZE && va + len < (1ull << 32);
	for (uint64_t a = PAGE_ROUND_DOWN(va); a < va + len; a += PAGE_SIZE)
		if (vm_translate(a) == (uint64_t)-1)
			return false;
	return true;
}

void *kstack_alloc(size_t size)
{
	size = PAGE_ROUND_UP(size);
	bool f = spin_lock(&vm_lock);
	uint64_t base = kstack_next + PAGE_SIZE;	/* guard below */
	kstack_next = base + size;
	spin_unlock(&vm_lock, f);
	if (kstack_next > VM_KSTACK_BASE + VM_KSTACK_MAX)
		panic("kstack_alloc: kernel stack area exhausted");
	for (uint64_t a = base; a < base + size; a += PAGE_SIZE) {
		uint64_t pa = page_alloc();
		if (!pa || vm_map_page(a, pa, VM_W) < 0)
			panic("kstack_alloc: out of memory");
	}
	return (void *)base;
}

/* newlib's heap: _sbrk grows a contiguous region at VM_HEAP_BASE, page
   by page. Shrinking only moves the break; pages stay mapped, so no other
   CPU can ever hold a stale translation for them. The heap shares the
   page allocator with task stacks, and a stack that cannot grow is a
   panic while a malloc that fails is an error its caller answers (a 507,
   a refused connection): so the heap never takes the free pages the
   runtime's heap_floor hook keeps for stacks (kernel/hooks.h), and each
   growth that stopped there is counted (vm_heap_floor_hits). */
static uint64_t heap_brk = VM_HEAP_BASE;
static uint64_t heap_floor_hits;	/* atomic */
static struct spinlock heap_lock = SPINLOCK_INIT;

void *_sbrk(intptr_t incr)
{
	bool f = spin_lock(&heap_lock);
	uint64_t old = heap_brk, want = heap_brk + incr;
	if (want < VM_HEAP_BASE || want > VM_HEAP_BASE + VM_HEAP_MAX)
		goto fail;
	while (VM_HEAP_BASE + heap_mapped < want) {
		if (kernel_hooks.heap_floor &&
		    page_free_count() <= kernel_hooks.heap_floor()) {
			a_fetch_add_relaxed(&heap_floor_hits, 1);
			goto fail;
		}
		uint64_t pa = page_alloc();
		if (!pa || vm_map_page(VM_HEAP_BASE + heap_mapped, pa, VM_W) < 0) {
			if (pa)
				page_free(pa);
			goto fail;
		}
		heap_mapped += PAGE_SIZE;
	}
	heap_brk = want;
	spin_unlock(&heap_lock, f);
	return (void *)old;
fail:
	spin_unlock(&heap_lock, f);
	errno = ENOMEM;
	return (void *)-1;
}

uint64_t vm_heap_bytes(void)
{
	return heap_mapped;
}

uint64_t vm_heap_floor_hits(void)
{
	return a_load_relaxed(&heap_floor_hits);
}
