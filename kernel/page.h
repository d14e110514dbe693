/*
 * kernel/page.h — physical pages for the rest of the kernel: the locked
 * wrapper around the bitmap bookkeeping of kernel/pmm.c.
 */
#ifndef KERNEL_PAGE_H
#define KERNEL_PAGE_H

#include <stdint.h>

struct memmap;

/* Take every usable page of mm except low memory, the kernel image and
   the bitmap itself. BSP, once, after the memory map is clean. */
void page_init(const struct memmap *mm);
/* A zeroed physical page, or 0 when memory is exhausted. */
uint64_t page_alloc(void);
/* A page with whatever it held: for memory its user writes before it
   reads it (a new task stack's first page), where zeroing 4 KiB would
   be most of the cost. 0 when memory is exhausted. */
uint64_t page_alloc_uninit(void);
/* Same as page_alloc, below `limit` (for tables that 32-bit code must reach). */
uint64_t page_alloc_below(uint64_t limit);
/* n contiguous zeroed pages (freed page by page), or 0. */
uint64_t page_alloc_contig(uint64_t n);
/* Same, left as they are: for large pools whose every element is
   initialized before use, where zeroing (and so touching) every page at
   boot costs a host page fault per page (lwIP's pools and heap). */
uint64_t page_alloc_contig_nozero(uint64_t n);
/* Like page_alloc, but gives up (returns 0) instead of waiting long for
   the allocator's lock: for the page-fault path, which may have
   interrupted the lock's holder on this very CPU. */
uint64_t page_alloc_try(void);
/* Return a page. Panics on a double free or a page not from here. */
void page_free(uint64_t pa);
uint64_t page_free_count(void);
uint64_t page_total_count(void);

#endif
