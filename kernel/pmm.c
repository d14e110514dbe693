/*
 * Physical page allocator bookkeeping: a bitmap over 4 KiB frames. See
 * pmm.h for the call order, the hint invariant and the locking rule.
 *
 * Bits past nframes in the last word are kept set, so word scans never
 * need a bounds check on the last word; frame 0 is kept set, so no search
 * can return it.
 *
 * A bitmap (rather than a free list threaded through the free pages) keeps
 * all state outside the pages themselves: no page has to be mapped to be
 * freed, contiguous and below-4G requests are a scan, and a double free is
 * caught by looking at one bit.
 */

#include "kernel/pmm.h"

#include <stdbool.h>

#include "kernel/panic.h"

#define WORD_BITS 64u

/* Population count without relying on libgcc or the popcnt instruction. */
static uint64_t popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (x * 0x0101010101010101ull) >> 56;
}

/* Bits [lo, hi) of a word, 0 <= lo < hi <= 64. */
static uint64_t word_mask(unsigned lo, unsigned hi)
{
	uint64_t below_hi = hi == WORD_BITS ? ~0ull : (1ull << hi) - 1;

	return below_hi & (~0ull << lo);
}

/* Set (or clear) the bits of frames [first, last). Returns how many flipped. */
static uint64_t mark_frames(struct pmm *p, uint64_t first, uint64_t last,
			    bool set)
{
	uint64_t flipped = 0;

	while (first < last) {
		uint64_t *w = &p->bitmap[first / WORD_BITS];
		unsigned lo = first % WORD_BITS;
		unsigned hi = last - first >= WORD_BITS - lo
				      ? WORD_BITS
				      : lo + (unsigned)(last - first);
		uint64_t m = word_mask(lo, hi);

		flipped += popcount64((set ? ~*w : *w) & m);
		*w = set ? *w | m : *w & ~m;
		first = first - lo + hi;
	}
	return flipped;
}

/* The first frame in [from, to) that is in use (set) or free, or to. */
static uint64_t find_frame(const struct pmm *p, uint64_t from, uint64_t to,
			   bool set)
{
	while (from < to) {
		uint64_t w = p->bitmap[from / WORD_BITS];

		w = (set ? w : ~w) & (~0ull << (from % WORD_BITS));
		if (w) {
			uint64_t f = (from & ~(uint64_t)(WORD_BITS - 1)) +
				     (uint64_t)__builtin_ctzll(w);
			return f < to ? f : to;
		}
		from = (from | (WORD_BITS - 1)) + 1;
	}
	return to;
}

void pmm_init(struct pmm *p, uint64_t *bitmap, uint64_t nframes)
{
	uint64_t i;

	p->bitmap = bitmap;
	p->nframes = nframes;
	p->nwords = PMM_BITMAP_WORDS(nframes);
	for (i = 0; i < p->nwords; i++)
		bitmap[i] = ~0ull;
	p->hint = 0;
	p->free_pages = 0;
	p->total_pages = 0;
}

void pmm_free_range(struct pmm *p, uint64_t base, uint64_t end)
{
	uint64_t first = (base >> PMM_PAGE_SHIFT) + ((base & (PMM_PAGE - 1)) != 0);
	uint64_t last = end >> PMM_PAGE_SHIFT;
	uint64_t n;

	if (first == 0)
		first = 1;
	if (last > p->nframes)
		last = p->nframes;
	if (first >= last)
		return;
	n = mark_frames(p, first, last, false);
	p->free_pages += n;
	p->total_pages += n;
	if (first / WORD_BITS < p->hint)
		p->hint = first / WORD_BITS;
}

void pmm_reserve_range(struct pmm *p, uint64_t base, uint64_t end)
{
	uint64_t first = base >> PMM_PAGE_SHIFT;
	uint64_t last = (end >> PMM_PAGE_SHIFT) + ((end & (PMM_PAGE - 1)) != 0);
	uint64_t n;

	if (last > p->nframes)
		last = p->nframes;
	if (first >= last)
		return;
	n = mark_frames(p, first, last, true);
	p->free_pages -= n;
	p->total_pages -= n;
}

uint64_t pmm_alloc(struct pmm *p)
{
	uint64_t w, bit;

	if (p->free_pages == 0)
		return 0;
	for (w = p->hint; w < p->nwords; w++) {
		if (p->bitmap[w] == ~0ull)
			continue;
		bit = (uint64_t)__builtin_ctzll(~p->bitmap[w]);
		p->bitmap[w] |= 1ull << bit;
		p->free_pages--;
		p->hint = w;
		return (w * WORD_BITS + bit) << PMM_PAGE_SHIFT;
	}
	panic("pmm_alloc: %llu pages counted free, none found past word %llu",
	      (unsigned long long)p->free_pages, (unsigned long long)p->hint);
}

uint64_t pmm_alloc_contig(struct pmm *p, uint64_t npages, uint64_t align_bytes,
			  uint64_t below)
{
	uint64_t stride, limit, start, used;

	if (align_bytes & (align_bytes - 1))
		panic("pmm_alloc_contig: alignment %#llx is not a power of two",
		      (unsigned long long)align_bytes);
	stride = align_bytes > PMM_PAGE ? align_bytes >> PMM_PAGE_SHIFT : 1;
	limit = p->nframes;
	if (below != 0 && (below >> PMM_PAGE_SHIFT) < limit)
		limit = below >> PMM_PAGE_SHIFT;
	if (npages == 0 || npages > p->free_pages)
		return 0;

	/* Candidates are aligned frames at or after the first non-full word. */
	start = p->hint * WORD_BITS;
	start = (start + stride - 1) & ~(stride - 1);
	while (start < limit && npages <= limit - start) {
		used = find_frame(p, start, start + npages, true);
		if (used == start + npages) {
			mark_frames(p, start, start + npages, true);
			p->free_pages -= npages;
			return start << PMM_PAGE_SHIFT;
		}
		/* Skip the run of used frames, then realign. */
		start = find_frame(p, used + 1, limit, false);
		start = (start + stride - 1) & ~(stride - 1);
	}
	return 0;
}

void pmm_free(struct pmm *p, uint64_t pa)
{
	uint64_t f = pa >> PMM_PAGE_SHIFT;
	uint64_t bit = 1ull << (f % WORD_BITS);

	if (pa & (PMM_PAGE - 1))
		panic("pmm_free: unaligned address %#llx",
		      (unsigned long long)pa);
	if (f >= p->nframes)
		panic("pmm_free: %#llx is outside the map (%llu frames)",
		      (unsigned long long)pa, (unsigned long long)p->nframes);
	if (f == 0)
		panic("pmm_free: frame 0 is never allocated");
	if (!(p->bitmap[f / WORD_BITS] & bit))
		panic("pmm_free: double free of %#llx", (unsigned long long)pa);
	if (p->free_pages == p->total_pages)
		panic("pmm_free: %#llx was never allocated (no page is out)",
		      (unsigned long long)pa);
	p->bitmap[f / WORD_BITS] &= ~bit;
	p->free_pages++;
	if (f / WORD_BITS < p->hint)
		p->hint = f / WORD_BITS;
}
