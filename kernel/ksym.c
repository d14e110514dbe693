/* kernel/ksym.c — symbol lookup over the table built by tools/mksyms.sh. */
#include <stddef.h>
#include "kernel/ksym.h"

/* Layout written by tools/mksyms.sh: count, then `count` sorted addresses,
   then `count` 32-bit offsets into the string table that follows. */
struct ksym_table {
	uint64_t count;
	uint64_t addr[];
};

extern const char __ksyms_start[], __ksyms_end[];
extern const char __text_start[], __text_end[];

static const struct ksym_table *table(void)
{
	if (__ksyms_end - __ksyms_start < (long)sizeof(uint64_t))
		return NULL;
	return (const struct ksym_table *)__ksyms_start;
}

static const char *name_at(const struct ksym_table *t, uint64_t i)
{
	const uint32_t *off = (const uint32_t *)&t->addr[t->count];
	const char *strs = (const char *)&off[t->count];
	return strs + off[i];
}

const char *ksym_lookup(uint64_t addr, uint64_t *off)
{
	const struct ksym_table *t = table();
	if (!t || t->count == 0 || addr < (uint64_t)__text_start || addr >= (uint64_t)__text_end)
		return NULL;
	uint64_t lo = 0, hi = t->count;		/* find the last addr[i] <= addr */
	while (hi - lo > 1) {
		uint64_t mid = (lo + hi) / 2;
		if (t->addr[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (t->addr[lo] > addr)
		return NULL;
	*off = addr - t->addr[lo];
	return name_at(t, lo);
}
