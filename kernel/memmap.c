/*
 * Physical memory map: collect the firmware's entries, then clean them.
 *
 * memmap_clean is a sweep over the address line. The points where any
 * entry starts or ends cut the line into elementary intervals; over each
 * one the set of covering entries is constant, and the most restrictive
 * of their types is the interval's type. Walking the intervals in address
 * order yields the map already sorted and free of overlaps; consecutive
 * intervals of one type are merged into a run before a run is emitted, so
 * that a usable region described as several touching pieces is aligned
 * as a whole, not piece by piece (which would lose a page at each seam).
 *
 * Each step scans all entries for the next cut point and the covering
 * type: O(n^2) for n <= MEMMAP_MAX entries, about 30k comparisons at
 * worst, once at boot. Sorting the cut points first would be O(n log n)
 * but needs a 2n-point array and more code for no gain at this size.
 *
 * The sweep reads a copy of the input (on the stack) and writes the
 * result straight into the map.
 */

#include "kernel/memmap.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Restrictiveness: where regions overlap, the higher rank wins. */
static const unsigned type_rank[] = {
	[MEMMAP_USABLE] = 1,   [MEMMAP_ACPI_RECLAIM] = 2, [MEMMAP_ACPI_NVS] = 3,
	[MEMMAP_RESERVED] = 4, [MEMMAP_BAD] = 5,
};

static uint32_t known_type(uint32_t type)
{
	return type >= MEMMAP_USABLE && type <= MEMMAP_BAD ? type
							    : MEMMAP_RESERVED;
}

/* Largest len such that base + len does not pass 2^64 - 1. */
static uint64_t clamp_len(uint64_t base, uint64_t len)
{
	return len > UINT64_MAX - base ? UINT64_MAX - base : len;
}

void memmap_init(struct memmap *m)
{
	m->n = 0;
}

int memmap_add(struct memmap *m, uint64_t base, uint64_t len, uint32_t type)
{
	len = clamp_len(base, len);
	if (len == 0)
		return 0;
	if (m->n == MEMMAP_MAX)
		return -ENOSPC;
	m->e[m->n++] = (struct memmap_entry){ base, len, known_type(type) };
	return 0;
}

/* Whether a is worth less than b when room runs out. */
static bool worth_less(const struct memmap_entry *a,
		       const struct memmap_entry *b)
{
	bool ua = a->type == MEMMAP_USABLE, ub = b->type == MEMMAP_USABLE;

	return ua != ub ? ub : a->len < b->len;
}

/* Append e to m; when m is full keep the MEMMAP_MAX most valuable. */
static void push(struct memmap *m, struct memmap_entry e, int *dropped)
{
	size_t i, victim = 0;

	if (m->n < MEMMAP_MAX) {
		m->e[m->n++] = e;
		return;
	}
	++*dropped;
	for (i = 1; i < m->n; i++)
		if (worth_less(&m->e[i], &m->e[victim]))
			victim = i;
	if (!worth_less(&m->e[victim], &e))
		return;
	memmove(&m->e[victim], &m->e[victim + 1],
		(m->n - victim - 1) * sizeof(m->e[0]));
	m->e[m->n - 1] = e;
}

/* A run of touching intervals of one type, not yet emitted. */
struct run {
	uint64_t start, end;
	uint32_t type; /* 0: no run open */
};

/* Emit the open run, shrinking a usable one to whole pages. */
static void flush(struct memmap *m, struct run *r, int *dropped)
{
	uint64_t start = r->start, end = r->end;
	uint32_t type = r->type;

	r->type = 0;
	if (type == 0)
		return;
	if (type == MEMMAP_USABLE) {
		if (start > UINT64_MAX - (MEMMAP_PAGE - 1))
			return;
		start = (start + MEMMAP_PAGE - 1) & ~(MEMMAP_PAGE - 1);
		end &= ~(MEMMAP_PAGE - 1);
		if (start >= end)
			return;
	}
	push(m, (struct memmap_entry){ start, end - start, type }, dropped);
}

/* Add the interval [start, end) of type to the run, or start a new one. */
static void extend(struct memmap *m, struct run *r, uint64_t start,
		   uint64_t end, uint32_t type, int *dropped)
{
	if (r->type == type && r->end == start) {
		r->end = end;
		return;
	}
	flush(m, r, dropped);
	*r = (struct run){ start, end, type };
}

/*
 * From point p, find the next cut point (returns false if there is none)
 * and the type covering [p, *next) (0 if nothing covers it).
 */
static bool next_cut(const struct memmap_entry *in, size_t n, uint64_t p,
		     uint64_t *next, uint32_t *type)
{
	uint64_t best = UINT64_MAX; /* no cut can lie beyond 2^64 - 1 */
	bool found = false;
	size_t i;

	*type = 0;
	for (i = 0; i < n; i++) {
		uint64_t s = in[i].base, e = s + in[i].len;
		if (s > p && s <= best) {
			best = s;
			found = true;
		}
		if (e > p && e <= best) {
			best = e;
			found = true;
		}
		if (s <= p && p < e &&
		    (*type == 0 || type_rank[in[i].type] > type_rank[*type]))
			*type = in[i].type;
	}
	*next = best;
	return found;
}

int memmap_clean(struct memmap *m)
{
	struct memmap_entry in[MEMMAP_MAX];
	struct run run = { 0, 0, 0 };
	size_t n = 0, i;
	uint64_t p = UINT64_MAX, next;
	uint32_t type;
	int dropped = 0;

	/* Copy the input, tidying entries that were written directly. */
	for (i = 0; i < m->n && i < MEMMAP_MAX; i++) {
		struct memmap_entry e = m->e[i];
		e.len = clamp_len(e.base, e.len);
		e.type = known_type(e.type);
		if (e.len == 0)
			continue;
		in[n++] = e;
		if (e.base < p)
			p = e.base;
	}
	m->n = 0;

	while (next_cut(in, n, p, &next, &type)) {
		if (type != 0)
			extend(m, &run, p, next, type, &dropped);
		p = next;
	}
	flush(m, &run, &dropped);
	return dropped;
}

uint64_t memmap_usable_bytes(const struct memmap *m)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->e[i].type == MEMMAP_USABLE)
			sum += m->e[i].len;
	return sum;
}

uint64_t memmap_end(const struct memmap *m, uint32_t type)
{
	uint64_t end = 0;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->e[i].type == type && m->e[i].base + m->e[i].len > end)
			end = m->e[i].base + m->e[i].len;
	return end;
}

const char *memmap_type_name(uint32_t type)
{
	switch (type) {
	case MEMMAP_USABLE:
		return "usable";
	case MEMMAP_ACPI_RECLAIM:
		return "ACPI reclaimable";
	case MEMMAP_ACPI_NVS:
		return "ACPI NVS";
	case MEMMAP_BAD:
		return "bad";
	default:
		return "reserved";
	}
}
