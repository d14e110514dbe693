#ifndef WEFT_KERNEL_PMM_H
#define WEFT_KERNEL_PMM_H

/*
 * Physical page allocator bookkeeping: one bit per 4 KiB frame, set when
 * the frame is in use or reserved, clear when it is free.
 *
 * Call order at boot:
 *   pmm_init(p, bitmap, nframes)       every frame starts reserved
 *   pmm_free_range(p, base, end)       for each usable memory-map entry
 *   pmm_reserve_range(p, base, end)    for the kernel image, boot data...
 * then pmm_alloc / pmm_alloc_contig / pmm_free.
 *
 * free_range and reserve_range are for that set-up: they change a frame's
 * state whatever it was, so calling them over frames already handed out
 * breaks the counters' meaning (pmm_free cannot tell a reserved frame from
 * an allocated one either; both are simply "set").
 *
 * Frame 0 stays reserved forever, so 0 can mean "no memory".
 *
 * Search: hint is a word index such that every bitmap word below it is
 * full. pmm_alloc scans from there 64 frames at a time, so it returns the
 * lowest free frame, normally in O(1); freeing lowers the hint.
 *
 * No locking: this is pure bookkeeping. The kernel's wrapper holds the
 * pmm lock around every call; nothing here may be called concurrently on
 * one struct pmm.
 */

#include <stdint.h>

#define PMM_PAGE 4096ull
#define PMM_PAGE_SHIFT 12

/* uint64_t words of bitmap storage pmm_init needs for nframes frames. */
#define PMM_BITMAP_WORDS(nframes) (((nframes) + 63) / 64)

struct pmm {
	uint64_t *bitmap;     /* PMM_BITMAP_WORDS(nframes) words, caller's */
	uint64_t nframes;     /* frames covered: physical [0, nframes * 4K) */
	uint64_t nwords;      /* PMM_BITMAP_WORDS(nframes) */
	uint64_t hint;        /* all words below this index are full */
	uint64_t free_pages;  /* clear bits */
	uint64_t total_pages; /* free pages plus pages handed out */
};

/*
 * Take over bitmap (PMM_BITMAP_WORDS(nframes) words) to track frames
 * [0, nframes). Every frame starts reserved; counters start at 0.
 */
void pmm_init(struct pmm *p, uint64_t *bitmap, uint64_t nframes);

/*
 * Make the whole frames inside [base, end) free (rounds inward). Frames
 * past the map and frame 0 are ignored. Set-up only: see above.
 */
void pmm_free_range(struct pmm *p, uint64_t base, uint64_t end);

/*
 * Mark every frame touching [base, end) reserved (rounds outward). Frames
 * past the map are ignored. Set-up only: see above.
 */
void pmm_reserve_range(struct pmm *p, uint64_t base, uint64_t end);

/* Allocate the lowest free frame. Returns its address, or 0 if none. */
uint64_t pmm_alloc(struct pmm *p);

/*
 * Allocate npages contiguous frames whose first address is a multiple of
 * align_bytes (a power of two; 0 or anything up to 4096 means a page) and
 * whose end is at most below (0: no limit). Returns the first address,
 * or 0 if no such block is free (or npages is 0). A non-power-of-two
 * alignment panics.
 */
uint64_t pmm_alloc_contig(struct pmm *p, uint64_t npages, uint64_t align_bytes,
			  uint64_t below);

/*
 * Free the frame at pa (one frame; free a contiguous block page by page).
 * Panics if pa is not page-aligned, lies outside the map, is frame 0, or
 * is already free.
 */
void pmm_free(struct pmm *p, uint64_t pa);

static inline uint64_t pmm_free_pages(const struct pmm *p)
{
	return p->free_pages;
}

static inline uint64_t pmm_total_pages(const struct pmm *p)
{
	return p->total_pages;
}

#endif
