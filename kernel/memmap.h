#ifndef WEFT_KERNEL_MEMMAP_H
#define WEFT_KERNEL_MEMMAP_H

/*
 * Physical memory map.
 *
 * The boot code copies the firmware's map (PVH memmap / E820, or the
 * multiboot2 memory-map tag) in with memmap_add, then calls memmap_clean
 * once. Firmware maps may be unsorted, overlapping and unaligned; after
 * memmap_clean the map is:
 *   - sorted by base, no two entries overlapping, no zero-length entry;
 *   - where the firmware gave overlapping regions, the more restrictive
 *     type wins: usable < ACPI reclaimable < ACPI NVS < reserved < bad;
 *   - adjacent entries of the same type merged into one;
 *   - usable entries shrunk inward to 4 KiB boundaries (the slack becomes
 *     a gap). A gap is memory no one described: never usable.
 * The queries below are meant for a cleaned map.
 *
 * Nothing allocates; memmap_clean uses about 3 KiB of stack.
 * No locking: the map is built at boot, on one CPU, then only read.
 */

#include <stddef.h>
#include <stdint.h>

#define MEMMAP_MAX 128

/* Entry types, as E820 and multiboot2 number them. */
#define MEMMAP_USABLE 1
#define MEMMAP_RESERVED 2
#define MEMMAP_ACPI_RECLAIM 3
#define MEMMAP_ACPI_NVS 4
#define MEMMAP_BAD 5

#define MEMMAP_PAGE 4096ull

struct memmap_entry {
	uint64_t base;
	uint64_t len;
	uint32_t type; /* MEMMAP_* */
};

struct memmap {
	size_t n; /* entries in use in e[] */
	struct memmap_entry e[MEMMAP_MAX];
};

/* Make m empty. */
void memmap_init(struct memmap *m);

/*
 * Append a firmware entry. A type other than 1..5 is stored as
 * MEMMAP_RESERVED; a region running past 2^64 is cut at 2^64 - 1; a
 * zero-length region is ignored. Returns 0, or -ENOSPC when m is full.
 */
int memmap_add(struct memmap *m, uint64_t base, uint64_t len, uint32_t type);

/*
 * Rewrite m into the clean form described above. Should the clean map
 * need more than MEMMAP_MAX entries (only a pathological firmware map
 * can do that), the least valuable entries are dropped: non-usable before
 * usable, smaller before larger; each becomes a gap, so no reserved memory
 * is ever made usable. Returns the number of entries dropped (normally 0).
 */
int memmap_clean(struct memmap *m);

/* Total bytes of usable memory. */
uint64_t memmap_usable_bytes(const struct memmap *m);

/* The end (base + len) of the highest entry of type, or 0 if none. */
uint64_t memmap_end(const struct memmap *m, uint32_t type);

/* A short name for type ("usable", "reserved", "ACPI NVS", ...). */
const char *memmap_type_name(uint32_t type);

#endif
