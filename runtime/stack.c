/*
 * runtime/stack.c — task stacks: reserved, demand paged, guarded, cached.
 *
 * CONCEPTS. C cannot move a stack (pointers into it are untracked), so a
 * stack grows by paging, not copying. Each task reserves a virtual range
 * and starts with only its top page mapped; touching a lower page of the
 * range faults, and the fault handler (on its own IST stack) maps a zeroed
 * page and returns. Below the range lies an unmapped guard page: running
 * into it is an overflow, reported as a panic that names the task and how
 * deep its stack went, before anything outside the stack is touched.
 *
 * LAYOUT. Stacks up to TASK_STACK_DEFAULT live in fixed slots of
 * SLOT_SPAN bytes (one guard page + the largest such stack) in the first
 * half of the task-stack area, so a faulting address finds its slot by
 * division and its owner in a two-level table. Larger stacks get their own
 * span in the second half, found by a scan of a short table. The page
 * tables of slots are created ahead of them, 2 MiB at a time, before a
 * slot is first used, so the fault path maps a page with one store,
 * without vm_lock (it may have interrupted a holder
 * of vm_lock on this CPU), from a per-CPU reserve of pages refilled by the
 * scheduler loop.
 *
 * RECYCLING. An exited task's slot keeps its top page. Pages below it are
 * unmapped at once on this CPU, but another CPU that ran the task may
 * still hold their translations in its TLB, so the pages are freed, and
 * the slot reused, only after a TLB shootdown. Shootdowns are batched
 * (one per STACK_PENDING_MAX slots or PAGE_PENDING_MAX pages, or when the
 * CPU goes idle); a task that never grew past one page needs none and its
 * slot goes straight to the per-CPU cache.
 *
 * THE HEAP'S FLOOR. Stack pages and newlib's heap come from the same page
 * allocator, and only the heap can fail gracefully (a stack fault with no
 * page is a panic). rt_stack_reserve(pages) sets how many pages stacks
 * are promised (net/http/listen.c: a server's connections at a
 * connection task's pages each); the heap's floor (the kernel's
 * heap_floor hook, stack_heap_floor) is what of that promise is not
 * mapped yet, plus STACK_FLOOR_SLACK for the runtime's own tasks and the
 * per-CPU reserves. A promise is capped at the stack pages mapped and
 * three quarters of the free pages when it is made, so the heap keeps a
 * quarter for tasks' descriptors and newlib state (an 8 MiB httpd
 * promised 928 pages had none left, and refused its 61st connection). So free pages + stack pages mapped stay at or above
 * the promise whatever the heap does: a task that exits gives its pages
 * back to the free pool, where the heap may not follow them.
 *
 * Everything here runs with interrupts off: spawn (task context, briefly),
 * release (the scheduler loop), stack_fault (trap context, the kernel's
 * page-fault hook, kernel/hooks.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/debug.h"
#include "kernel/page.h"
#include "kernel/panic.h"
#include "kernel/panic_internal.h"
#include "kernel/trap.h"
#include "kernel/vm.h"
#include "runtime/sched.h"

#define SLOT_SPAN		(TASK_STACK_DEFAULT + PAGE_SIZE)
#define SLOT_BASE		VM_TASK_STACK_BASE
#define SLOTS_MAX		((VM_TASK_STACK_MAX / 2) / SLOT_SPAN)
#define CHUNK			4096
#define NCHUNKS			((SLOTS_MAX + CHUNK - 1) / CHUNK)
#define BIG_BASE		(VM_TASK_STACK_BASE + VM_TASK_STACK_MAX / 2)
#define BIG_MAX			1024
#define CACHE_MAX		64
#define STACK_PENDING_MAX	32
#define PAGE_PENDING_MAX	256

#define STACK_FLOOR_SLACK	64	/* pages: runtime tasks, reserves */

uint64_t rt_stack_pages_mapped;		/* atomic */
static uint64_t stack_promised;		/* atomic: rt_stack_reserve's pages */
/* next_slot, owners[] and big[] are also the list of live tasks that
   tools/gdb/weft.py walks (weft-tasks, make debug): keep their names and
   meaning, or change the script with them (tests/e2e/gdb.sh checks it);
   runtime/inspect.c walks them too (stack_next_owner). */
static uint64_t next_slot;		/* atomic: slots ever made */
static struct task **owners[NCHUNKS];	/* slot -> task; chunks made on demand */
static struct spinlock clean_lock = SPINLOCK_INIT;
static uint32_t *clean;			/* global overflow of clean slots */
static uint32_t nclean, cap_clean;

static struct {				/* stacks above the default size */
	uint64_t lo, hi;		/* reservation; guard page below lo */
	struct task *t;			/* NULL: entry free */
} big[BIG_MAX];
static uint64_t big_next = BIG_BASE;	/* under clean_lock */

static uint64_t slot_top(uint32_t slot)
{
	return SLOT_BASE + (uint64_t)(slot + 1) * SLOT_SPAN;
}

static void set_owner(uint32_t slot, struct task *t)
{
	a_store_release(&owners[slot / CHUNK][slot % CHUNK], t);
}

/* A page for the fault path: the reserve first, then the allocator if
   its lock is free. */
static uint64_t fault_page(struct sched *s)
{
	if (s && s->npage_reserve)
		return s->page_reserve[--s->npage_reserve];
	return page_alloc_try();
}

/* A new slot's first page: not zeroed, a stack is written before it is
   read (pages it grows into later come zeroed from the fault path). */
static void map_top(uint64_t top)
{
	uint64_t pa = page_alloc_uninit();
	if (!pa)
		panic("stack: out of memory for a new stack's first page");
	vm_map_prepared(top - PAGE_SIZE, pa, VM_W);
	a_fetch_add_relaxed(&rt_stack_pages_mapped, 1);
}

/* Slots' page tables are made in whole 2 MiB tables (LARGE: one table
   page each), ahead of the slots, in address order: every slot whose
   top is at or below tables_hi has its tables. */
#define TABLE_SPAN		(2ull << 20)
static uint64_t tables_hi = SLOT_BASE;	/* atomic; grows under tables_lock */
static struct spinlock tables_lock = SPINLOCK_INIT;

static int slot_tables(uint64_t top)
{
	if (top <= a_load_acquire(&tables_hi))
		return 0;
	int r = 0;
	spin_lock_raw(&tables_lock);
	uint64_t hi = tables_hi;
	if (top > hi) {
		uint64_t end = (top + TABLE_SPAN - 1) & ~(TABLE_SPAN - 1);
		r = vm_prepare_tables(hi, end - hi);
		if (!r)
			a_store_release(&tables_hi, end);
	}
	spin_unlock_raw(&tables_lock);
	return r;
}

/* A brand-new slot: its owner chunk, page tables and top page. */
static int slot_new(uint32_t *out)
{
	uint64_t slot = a_fetch_add_relaxed(&next_slot, 1);
	if (slot >= SLOTS_MAX)
		return -ENOMEM;
	if (!a_load_acquire(&owners[slot / CHUNK])) {
		struct task **c = calloc(CHUNK, sizeof *c), **none = NULL;
		if (!c)
			return -ENOMEM;
		if (!a_cas(&owners[slot / CHUNK], &none, c))
			free(c);
	}
	uint64_t top = slot_top((uint32_t)slot);
	if (slot_tables(top) < 0)
		return -ENOMEM;
	map_top(top);
	*out = (uint32_t)slot;
	return 0;
}

static bool slot_get(struct sched *s, uint32_t *out)
{
	if (s->nstack_cache) {
		*out = s->stack_cache[--s->nstack_cache];
		return true;
	}
	spin_lock_raw(&clean_lock);
	bool ok = nclean > 0;
	if (ok)
		*out = clean[--nclean];
	spin_unlock_raw(&clean_lock);
	return ok;
}

static int big_alloc(struct task *t, size_t size)
{
	spin_lock_raw(&clean_lock);
	int i = 0;
	while (i < BIG_MAX && big[i].t)
		i++;
	uint64_t lo = big_next + PAGE_SIZE;
	if (i == BIG_MAX || lo + size > VM_TASK_STACK_BASE + VM_TASK_STACK_MAX) {
		spin_unlock_raw(&clean_lock);
		return -ENOMEM;
	}
	big_next = lo + size;		/* spans are never reused: room for ages */
	big[i].lo = lo;
	big[i].hi = lo + size;
	a_store_release(&big[i].t, t);
	spin_unlock_raw(&clean_lock);
	if (vm_prepare_tables(lo, size) < 0) {
		a_store_release(&big[i].t, NULL);
		return -ENOMEM;
	}
	map_top(lo + size);
	t->slot = UINT32_MAX - (uint32_t)i;
	t->stack_lo = lo;
	t->stack_hi = lo + size;
	t->stack_low = t->stack_hi - PAGE_SIZE;
	return 0;
}

/* Give t a stack of `size` bytes. Interrupts off. */
int stack_alloc(struct task *t, size_t size)
{
	size = PAGE_ROUND_UP(size);
	if (size < PAGE_SIZE)
		size = PAGE_SIZE;
	if (size > TASK_STACK_DEFAULT)
		return big_alloc(t, size);
	struct sched *s = this_sched();
	uint32_t slot;
	if (!slot_get(s, &slot) && slot_new(&slot) < 0)
		return -ENOMEM;
	t->slot = slot;
	t->stack_hi = slot_top(slot);
	t->stack_lo = t->stack_hi - size;
	t->stack_low = t->stack_hi - PAGE_SIZE;
	set_owner(slot, t);
	return 0;
}

/* Unmap [lo, hi) and queue the pages for freeing after a shootdown.
   Returns how many were mapped. */
static unsigned unmap_range(struct sched *s, uint64_t lo, uint64_t hi)
{
	unsigned n = 0;
	for (uint64_t a = lo; a < hi; a += PAGE_SIZE) {
		uint64_t pa = vm_unmap_page(a);
		if (!pa)
			continue;
		n++;
		if (s->npage_pending == PAGE_PENDING_MAX)
			stack_flush_pending(s);
		s->page_pending[s->npage_pending++] = pa;
	}
	a_fetch_sub_relaxed(&rt_stack_pages_mapped, n);
	return n;
}

static void clean_put(struct sched *s, uint32_t slot)
{
	if (s->nstack_cache < CACHE_MAX) {
		s->stack_cache[s->nstack_cache++] = slot;
		return;
	}
	spin_lock_raw(&clean_lock);
	if (nclean == cap_clean) {
		uint32_t ncap = cap_clean ? cap_clean * 2 : 1024;
		uint32_t *n = realloc(clean, ncap * sizeof *n);
		if (!n)
			panic("stack: no memory to keep a free stack slot");
		clean = n;
		cap_clean = ncap;
	}
	clean[nclean++] = slot;
	spin_unlock_raw(&clean_lock);
}

/* Free the pages and slots waiting for a TLB shootdown. Holds no lock;
   interrupts off. */
void stack_flush_pending(struct sched *s)
{
	if (!s->npage_pending && !s->nstack_pending)
		return;
	vm_flush_all();
	for (uint32_t i = 0; i < s->npage_pending; i++)
		page_free(s->page_pending[i]);
	s->npage_pending = 0;
	for (uint32_t i = 0; i < s->nstack_pending; i++)
		clean_put(s, s->stack_pending[i]);
	s->nstack_pending = 0;
}

/* The scheduler loop, after task t exited. */
void stack_release(struct task *t)
{
	struct sched *s = this_sched();
	if (WEFT_DEBUG)
		timer_check_none_in(t->stack_lo - PAGE_SIZE, t->stack_hi);
	if (t->slot > UINT32_MAX - BIG_MAX) {
		unsigned i = UINT32_MAX - t->slot;
		unmap_range(s, t->stack_low, t->stack_hi);
		/* The span is never reused, so its entry may go at once. */
		a_store_release(&big[i].t, NULL);
		return;
	}
	set_owner(t->slot, NULL);
	uint64_t top = t->stack_hi;
	/* Most tasks never grow past their first page: nothing to unmap. */
	if (a_load_relaxed(&t->stack_low) >= top - PAGE_SIZE ||
	    !unmap_range(s, t->stack_low, top - PAGE_SIZE)) {
		clean_put(s, t->slot);
		return;
	}
	if (s->nstack_pending == STACK_PENDING_MAX)
		stack_flush_pending(s);
	s->stack_pending[s->nstack_pending++] = t->slot;
}

void stack_refill_reserve(struct sched *s)
{
	while (s->npage_reserve < sizeof s->page_reserve / sizeof s->page_reserve[0]) {
		uint64_t pa = page_alloc();
		if (!pa)
			return;
		s->page_reserve[s->npage_reserve++] = pa;
	}
}

/* Which task's stack holds addr, and is addr inside the reservation
   (else in the guard below it)? */
static struct task *stack_owner(uint64_t addr)
{
	if (addr >= SLOT_BASE && addr < BIG_BASE) {
		uint64_t slot = (addr - SLOT_BASE) / SLOT_SPAN;
		if (slot >= a_load_acquire(&next_slot))
			return NULL;
		struct task **c = a_load_acquire(&owners[slot / CHUNK]);
		return c ? a_load_acquire(&c[slot % CHUNK]) : NULL;
	}
	for (int i = 0; i < BIG_MAX; i++) {
		struct task *t = a_load_acquire(&big[i].t);
		if (t && addr >= big[i].lo - PAGE_SIZE && addr < big[i].hi)
			return t;
	}
	return NULL;
}

bool stack_fault(struct trapframe *tf, uint64_t addr)
{
	if (addr < VM_TASK_STACK_BASE || addr >= VM_TASK_STACK_BASE + VM_TASK_STACK_MAX)
		return false;
	struct task *t = stack_owner(addr);
	if (!t)
		return false;
	if (addr < t->stack_lo)
		panic_trap(tf, "stack overflow: task %llu \"%s\" ran off its %llu KiB stack "
			   "(fault at 0x%llx, %llu bytes below its top; guard page hit)",
			   (unsigned long long)t->id, t->name,
			   (unsigned long long)((t->stack_hi - t->stack_lo) >> 10),
			   (unsigned long long)addr, (unsigned long long)(t->stack_hi - addr));
	uint64_t pa = fault_page(this_sched());
	if (!pa)
		panic_trap(tf, "stack: no memory to grow task %llu \"%s\"'s stack "
			   "(stacks hold %llu pages, were promised %llu; %llu pages free)",
			   (unsigned long long)t->id, t->name,
			   (unsigned long long)a_load_relaxed(&rt_stack_pages_mapped),
			   (unsigned long long)a_load_relaxed(&stack_promised),
			   (unsigned long long)page_free_count());
	uint64_t page = PAGE_ROUND_DOWN(addr);
	vm_map_prepared(page, pa, VM_W);
	a_fetch_add_relaxed(&rt_stack_pages_mapped, 1);
	uint64_t low = a_load_relaxed(&t->stack_low);
	while (page < low && !a_cas_relaxed(&t->stack_low, &low, page))
		;
	return true;
}

/* The cursor runs over big[] first, then the slots (BIG_MAX + slot). */
struct task *stack_next_owner(uint64_t *cursor)
{
	while (*cursor < BIG_MAX) {
		struct task *t = a_load_acquire(&big[*cursor].t);
		(*cursor)++;
		if (t)
			return t;
	}
	uint64_t n = a_load_acquire(&next_slot);
	if (n > SLOTS_MAX)
		n = SLOTS_MAX;
	while (*cursor - BIG_MAX < n) {
		uint64_t slot = (*cursor)++ - BIG_MAX;
		struct task **c = a_load_acquire(&owners[slot / CHUNK]);
		struct task *t = c ? a_load_acquire(&c[slot % CHUNK]) : NULL;
		if (t)
			return t;
	}
	return NULL;
}

/* Per-CPU arrays, made with the CPU's scheduler state. */
void stack_init_cpu(struct sched *s)
{
	s->stack_cache = calloc(CACHE_MAX, sizeof(uint32_t));
	s->stack_pending = calloc(STACK_PENDING_MAX, sizeof(uint32_t));
	s->page_pending = calloc(PAGE_PENDING_MAX, sizeof(uint64_t));
	if (!s->stack_cache || !s->stack_pending || !s->page_pending)
		panic("stack_init_cpu: out of memory");
}

void rt_stack_reserve(uint64_t pages)
{
	/* Never all of it: the heap must still grow for what every task
	   takes from it (its descriptor, its newlib state), else a small
	   guest could start no task past the first batch. */
	uint64_t mapped = a_load_relaxed(&rt_stack_pages_mapped);
	uint64_t most = mapped + page_free_count() / 4 * 3;
	a_store_relaxed(&stack_promised, pages < most ? pages : most);
}

uint64_t stack_heap_floor(void)
{
	uint64_t promised = a_load_relaxed(&stack_promised);
	uint64_t mapped = a_load_relaxed(&rt_stack_pages_mapped);
	if (!promised)
		return 0;
	return (promised > mapped ? promised - mapped : 0) + STACK_FLOOR_SLACK;
}

uint64_t rt_stack_pages(void)
{
	return a_load_relaxed(&rt_stack_pages_mapped);
}
