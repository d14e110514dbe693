// host-test-sources: kernel/memmap.c
/* Host unit tests for kernel/memmap.c. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/memmap.h"
#include "tests/host/hosttest.h"

#define U MEMMAP_USABLE
#define R MEMMAP_RESERVED
#define AR MEMMAP_ACPI_RECLAIM
#define AN MEMMAP_ACPI_NVS
#define B MEMMAP_BAD

static struct memmap m;

struct ent {
	uint64_t base, len;
	uint32_t type;
};

static void load(const struct ent *in, size_t n)
{
	size_t i;

	memmap_init(&m);
	for (i = 0; i < n; i++)
		HT_EQ(memmap_add(&m, in[i].base, in[i].len, in[i].type), 0);
}

/* The invariants every cleaned map must hold. */
static void check_clean_form(const struct memmap *mm)
{
	size_t i;

	HT_CHECK(mm->n <= MEMMAP_MAX);
	for (i = 0; i < mm->n; i++) {
		const struct memmap_entry *e = &mm->e[i];
		HT_CHECK(e->len > 0);
		HT_CHECK(e->base + e->len > e->base || e->base + e->len == 0);
		HT_CHECK(e->len <= UINT64_MAX - e->base);
		HT_CHECK(e->type >= MEMMAP_USABLE && e->type <= MEMMAP_BAD);
		if (e->type == U) {
			HT_EQ(e->base % 4096, 0);
			HT_EQ(e->len % 4096, 0);
		}
		if (i == 0)
			continue;
		const struct memmap_entry *p = &mm->e[i - 1];
		HT_CHECK(p->base + p->len <= e->base); /* sorted, disjoint */
		if (p->base + p->len == e->base)
			HT_CHECK(p->type != e->type); /* touching same type merged */
	}
}

static void expect(const struct ent *want, size_t n)
{
	size_t i;

	check_clean_form(&m);
	HT_EQ(m.n, n);
	for (i = 0; i < n; i++) {
		HT_EQ(m.e[i].base, want[i].base);
		HT_EQ(m.e[i].len, want[i].len);
		HT_EQ(m.e[i].type, want[i].type);
	}
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

HT_TEST(empty_map)
{
	memmap_init(&m);
	HT_EQ(memmap_clean(&m), 0);
	HT_EQ(m.n, 0);
	HT_EQ(memmap_usable_bytes(&m), 0);
	HT_EQ(memmap_end(&m, U), 0);
}

/* What QEMU's SeaBIOS/PVH reports for -M pc -m 512M. */
HT_TEST(qemu_pc_512m)
{
	static const struct ent in[] = {
		{ 0x0, 0x9fc00, U },
		{ 0x9fc00, 0x400, R },
		{ 0xf0000, 0x10000, R },
		{ 0x100000, 0x1fee0000, U },
		{ 0x1ffe0000, 0x20000, R },
		{ 0xfeffc000, 0x4000, R },
		{ 0xfffc0000, 0x40000, R },
	};
	static const struct ent want[] = {
		{ 0x0, 0x9f000, U }, /* 0x9fc00 rounded down */
		{ 0x9fc00, 0x400, R },
		{ 0xf0000, 0x10000, R },
		{ 0x100000, 0x1fee0000, U },
		{ 0x1ffe0000, 0x20000, R },
		{ 0xfeffc000, 0x4000, R },
		{ 0xfffc0000, 0x40000, R },
	};

	load(in, N(in));
	HT_EQ(memmap_clean(&m), 0);
	expect(want, N(want));
	HT_EQ(memmap_usable_bytes(&m), 0x9f000 + 0x1fee0000);
	HT_EQ(memmap_end(&m, U), 0x1ffe0000);
	HT_EQ(memmap_end(&m, R), 0x100000000);
	HT_EQ(memmap_end(&m, MEMMAP_ACPI_NVS), 0);
}

/* -M q35 -m 8G: memory above 4 GiB and the 1 TiB HyperTransport hole. */
HT_TEST(qemu_q35_8g_unsorted)
{
	static const struct ent in[] = {
		{ 0x100000000, 0x180000000, U },
		{ 0xfd00000000, 0x300000000, R },
		{ 0xb0000000, 0x10000000, R }, /* PCIe MMCONFIG */
		{ 0x0, 0x9fc00, U },
		{ 0x100000, 0x7ff00000, U },
		{ 0x9fc00, 0x400, R },
		{ 0xfed1c000, 0x4000, R },
		{ 0xf0000, 0x10000, R },
		{ 0xfffc0000, 0x40000, R },
	};
	static const struct ent want[] = {
		{ 0x0, 0x9f000, U },
		{ 0x9fc00, 0x400, R },
		{ 0xf0000, 0x10000, R },
		{ 0x100000, 0x7ff00000, U },
		{ 0xb0000000, 0x10000000, R },
		{ 0xfed1c000, 0x4000, R },
		{ 0xfffc0000, 0x40000, R },
		{ 0x100000000, 0x180000000, U },
		{ 0xfd00000000, 0x300000000, R },
	};

	load(in, N(in));
	HT_EQ(memmap_clean(&m), 0);
	expect(want, N(want));
	HT_EQ(memmap_usable_bytes(&m), 0x9f000 + 0x7ff00000 + 0x180000000);
	HT_EQ(memmap_end(&m, U), 0x280000000);
	HT_EQ(memmap_end(&m, R), 0x10000000000);
}

HT_TEST(reserved_inside_usable_splits_it)
{
	static const struct ent in[] = {
		{ 0x0, 0x100000, U },
		{ 0x10000, 0x1000, R },
		{ 0x80800, 0x800, B }, /* unaligned: usable pulls back */
	};
	static const struct ent want[] = {
		{ 0x0, 0x10000, U },
		{ 0x10000, 0x1000, R },
		{ 0x11000, 0x80000 - 0x11000, U },
		{ 0x80800, 0x800, B },
		{ 0x81000, 0x100000 - 0x81000, U },
	};

	load(in, N(in));
	HT_EQ(memmap_clean(&m), 0);
	expect(want, N(want));
}

HT_TEST(reserved_covering_usable_wins)
{
	static const struct ent in[] = {
		{ 0x2000, 0x1000, U },
		{ 0x1000, 0x10000, R },
		{ 0x5000, 0x1000, U },
	};
	static const struct ent want[] = { { 0x1000, 0x10000, R } };

	load(in, N(in));
	HT_EQ(memmap_clean(&m), 0);
	expect(want, N(want));
	HT_EQ(memmap_usable_bytes(&m), 0);
	HT_EQ(memmap_end(&m, U), 0);
}

HT_TEST(partial_overlaps_both_sides)
{
	static const struct ent in[] = {
		{ 0x0, 0x8000, U },
		{ 0x6000, 0x4000, R }, /* overlaps the end of the usable */
		{ 0x9000, 0x7000, U }, /* overlaps the end of the reserved */
	};
	static const struct ent want[] = {
		{ 0x0, 0x6000, U },
		{ 0x6000, 0x4000, R },
		{ 0xa000, 0x6000, U },
	};

	load(in, N(in));
	HT_EQ(memmap_clean(&m), 0);
	expect(want, N(want));
}

HT_TEST(duplicates_and_touching_pieces_merge)
{
	static const struct ent in[] = {
		{ 0x1000, 0x800, U },  { 0x1800, 0x1800, U }, /* seam at 0x1800 */
		{ 0x1000, 0x2000, U }, /* duplicate, overlapping both */
		{ 0x3000, 0x1000, R }, { 0x4000, 0x1000, R }, { 0x3000, 0x2000, R },
		{ 0x5000, 0x1000, AN }, /* touching, other type: kept apart */
		{ 0x6000, 0x1000, AN },
	};
	static const struct ent want[] = {
		{ 0x1000, 0x2000, U },
		{ 0x3000, 0x2000, R },
		{ 0x5000, 0x2000, AN },
	};

	load(in, N(in));
	HT_EQ(memmap_clean(&m), 0);
	expect(want, N(want));
}

HT_TEST(usable_aligned_inward_and_tiny_dropped)
{
	static const struct ent in[] = {
		{ 0x1001, 0x1ffe, U },   /* no whole page inside */
		{ 0x10800, 0x2000, U },  /* [0x10800,0x12800) -> [0x11000,0x12000) */
		{ 0x20fff, 0x2, U },     /* straddles a boundary: nothing */
		{ 0x30000, 0x1000, U },  /* exactly a page */
		{ 0x40123, 0x10, R },    /* reserved keeps its exact bounds */
	};
	static const struct ent want[] = {
		{ 0x11000, 0x1000, U },
		{ 0x30000, 0x1000, U },
		{ 0x40123, 0x10, R },
	};

	load(in, N(in));
	HT_EQ(memmap_clean(&m), 0);
	expect(want, N(want));
}

HT_TEST(zero_length_dropped)
{
	memmap_init(&m);
	HT_EQ(memmap_add(&m, 0x1000, 0, U), 0);
	HT_EQ(m.n, 0);
	/* Entries written directly are tidied too. */
	m.e[0] = (struct memmap_entry){ 0x5000, 0, R };
	m.e[1] = (struct memmap_entry){ 0x2000, 0x1000, U };
	m.e[2] = (struct memmap_entry){ 0x2800, 0, B };
	m.n = 3;
	HT_EQ(memmap_clean(&m), 0);
	HT_EQ(m.n, 1);
	HT_EQ(m.e[0].base, 0x2000);
	HT_EQ(m.e[0].type, U);
}

HT_TEST(type_precedence)
{
	/* Stacked overlaps: each layer more restrictive than the one below. */
	static const struct ent in[] = {
		{ 0x0, 0x10000, U },   { 0x1000, 0xe000, AR }, { 0x2000, 0xc000, AN },
		{ 0x3000, 0xa000, R }, { 0x4000, 0x8000, B },
	};
	static const struct ent want[] = {
		{ 0x0, 0x1000, U },   { 0x1000, 0x1000, AR }, { 0x2000, 0x1000, AN },
		{ 0x3000, 0x1000, R }, { 0x4000, 0x8000, B },  { 0xc000, 0x1000, R },
		{ 0xd000, 0x1000, AN }, { 0xe000, 0x1000, AR }, { 0xf000, 0x1000, U },
	};

	load(in, N(in));
	HT_EQ(memmap_clean(&m), 0);
	expect(want, N(want));

	/* Same result whatever the order of the input. */
	static const struct ent rev[] = {
		{ 0x4000, 0x8000, B }, { 0x3000, 0xa000, R }, { 0x2000, 0xc000, AN },
		{ 0x1000, 0xe000, AR }, { 0x0, 0x10000, U },
	};
	load(rev, N(rev));
	HT_EQ(memmap_clean(&m), 0);
	expect(want, N(want));
}

HT_TEST(unknown_types_become_reserved)
{
	static const struct ent in[] = {
		{ 0x0, 0x2000, 0 },  { 0x2000, 0x1000, 6 }, { 0x3000, 0x1000, 7 },
		{ 0x10000, 0x1000, 0xf00d }, { 0x10000, 0x1000, U },
	};
	static const struct ent want[] = {
		{ 0x0, 0x4000, R },
		{ 0x10000, 0x1000, R },
	};

	load(in, N(in));
	HT_EQ(m.e[0].type, R);
	HT_EQ(memmap_clean(&m), 0);
	expect(want, N(want));
}

HT_TEST(type_names)
{
	HT_STREQ(memmap_type_name(U), "usable");
	HT_STREQ(memmap_type_name(R), "reserved");
	HT_STREQ(memmap_type_name(AR), "ACPI reclaimable");
	HT_STREQ(memmap_type_name(AN), "ACPI NVS");
	HT_STREQ(memmap_type_name(B), "bad");
	HT_STREQ(memmap_type_name(0), "reserved");
	HT_STREQ(memmap_type_name(12), "reserved");
}

HT_TEST(top_of_address_space)
{
	memmap_init(&m);
	/* Runs past 2^64: cut at 2^64 - 1. */
	HT_EQ(memmap_add(&m, 0xfffffffffffff000, 0x2000, R), 0);
	HT_EQ(m.e[0].len, 0xfff);
	HT_EQ(memmap_add(&m, 0xffffffffffff0000, UINT64_MAX, U), 0);
	HT_EQ(memmap_add(&m, UINT64_MAX, 5, U), 0); /* empty after the cut */
	HT_EQ(m.n, 2);
	HT_EQ(memmap_clean(&m), 0);
	check_clean_form(&m);
	HT_EQ(m.n, 2);
	HT_EQ(m.e[0].base, 0xffffffffffff0000);
	HT_EQ(m.e[0].len, 0xf000);
	HT_EQ(m.e[0].type, U);
	HT_EQ(m.e[1].base, 0xfffffffffffff000);
	HT_EQ(m.e[1].len, 0xfff);
	HT_EQ(m.e[1].type, R);
	HT_EQ(memmap_end(&m, R), UINT64_MAX);

	/* A usable sliver in the last partial page aligns to nothing. */
	memmap_init(&m);
	HT_EQ(memmap_add(&m, 0xfffffffffffff800, 0x800, U), 0);
	HT_EQ(memmap_clean(&m), 0);
	HT_EQ(m.n, 0);
}

HT_TEST(add_reports_full)
{
	int i;

	memmap_init(&m);
	for (i = 0; i < MEMMAP_MAX; i++)
		HT_EQ(memmap_add(&m, (uint64_t)i * 0x2000, 0x1000, U), 0);
	HT_EQ(memmap_add(&m, 0x10000000, 0x1000, U), -ENOSPC);
	HT_EQ(memmap_add(&m, 0x10000000, 0, U), 0); /* nothing to store */
	HT_EQ(m.n, MEMMAP_MAX);
	HT_EQ(memmap_clean(&m), 0);
	HT_EQ(m.n, MEMMAP_MAX);
	HT_EQ(memmap_usable_bytes(&m), MEMMAP_MAX * 0x1000ull);
}

/* Whether [base, base + len) meets any non-usable input entry. */
static bool meets_reserved(const struct ent *in, size_t n, uint64_t base,
			   uint64_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (in[i].type != U && in[i].base < base + len &&
		    base < in[i].base + in[i].len)
			return true;
	return false;
}

HT_TEST(too_many_pieces_drop_least_valuable)
{
	/* One usable region pierced by 127 reserved pages: 255 pieces. */
	static struct ent in[MEMMAP_MAX];
	size_t i;

	in[0] = (struct ent){ 0x0, 0x1000000, U };
	for (i = 1; i < MEMMAP_MAX; i++)
		in[i] = (struct ent){ 0x10000 * i, 0x1000, R };
	load(in, MEMMAP_MAX);
	HT_EQ(memmap_clean(&m), 127);
	check_clean_form(&m);
	HT_EQ(m.n, MEMMAP_MAX);
	/* Every usable piece survives; reserved ones became gaps. */
	for (i = 0; i < m.n; i++) {
		HT_EQ(m.e[i].type, U);
		HT_CHECK(!meets_reserved(in, MEMMAP_MAX, m.e[i].base, m.e[i].len));
	}
	HT_EQ(memmap_usable_bytes(&m), 0x1000000 - 127 * 0x1000);

	/* Usable pieces are kept even when reserved ones are bigger. */
	in[0] = (struct ent){ 0x0, 0x800000, U };
	for (i = 1; i < MEMMAP_MAX; i++)
		in[i] = (struct ent){ 0x10000 * (i - 1) + 0x4000, 0xc000, R };
	load(in, MEMMAP_MAX);
	HT_EQ(memmap_clean(&m), 127);
	check_clean_form(&m);
	HT_EQ(m.n, MEMMAP_MAX);
	for (i = 0; i < m.n; i++)
		HT_EQ(m.e[i].type, U);
	HT_EQ(memmap_usable_bytes(&m), 127 * 0x4000 + 0x10000);

	/* Pieces of mixed sizes: whatever is dropped, nothing unsafe stays. */
	in[0] = (struct ent){ 0x0, 0x1000000, U };
	for (i = 1; i < MEMMAP_MAX; i++)
		in[i] = (struct ent){ (i % 2 ? 0x1000 : 0x10000) * i, 0x1000, R };
	load(in, MEMMAP_MAX);
	int dropped = memmap_clean(&m);
	check_clean_form(&m);
	HT_EQ(m.n, MEMMAP_MAX);
	HT_CHECK(dropped > 0);
	for (i = 0; i < m.n; i++)
		if (m.e[i].type == U)
			HT_CHECK(!meets_reserved(in, MEMMAP_MAX, m.e[i].base,
						 m.e[i].len));
}

HT_TEST(clean_is_idempotent)
{
	static const struct ent in[] = {
		{ 0x0, 0x9fc00, U }, { 0x9fc00, 0x400, R }, { 0x100000, 0x7000000, U },
		{ 0x200800, 0x10, AN }, { 0x7000000, 0x100000, AR },
	};
	static struct memmap once;

	load(in, N(in));
	HT_EQ(memmap_clean(&m), 0);
	once = m;
	HT_EQ(memmap_clean(&m), 0);
	HT_EQ(m.n, once.n);
	HT_CHECK(memcmp(m.e, once.e, m.n * sizeof(m.e[0])) == 0);
}

/*
 * Randomized check against a model. Coordinates are multiples of a
 * 1 KiB granule, over 64 pages; the model paints every granule with the
 * most restrictive covering type, then blanks the usable granules that
 * fall outside whole pages of their run. The cleaned map painted the same
 * way must match exactly, and its form must be clean.
 */
#define GRAN 0x400u
#define NGRAN 256u

static int model_rank(uint32_t t)
{
	static const int rank[] = { [U] = 1, [AR] = 2, [AN] = 3, [R] = 4, [B] = 5 };
	return t >= U && t <= B ? rank[t] : rank[R];
}

static void model(const struct ent *in, size_t n, uint64_t off,
		  uint32_t *paint)
{
	size_t g, i;

	memset(paint, 0, NGRAN * sizeof(paint[0]));
	for (i = 0; i < n; i++) {
		uint32_t t = in[i].type >= U && in[i].type <= B ? in[i].type : R;
		for (g = (in[i].base - off) / GRAN;
		     g < (in[i].base - off + in[i].len) / GRAN && g < NGRAN; g++)
			if (paint[g] == 0 || model_rank(t) > model_rank(paint[g]))
				paint[g] = t;
	}
	for (g = 0; g < NGRAN;) {
		size_t s = g, e;
		if (paint[g] != U) {
			g++;
			continue;
		}
		while (g < NGRAN && paint[g] == U)
			g++;
		e = g;
		for (i = s; i < e; i++)
			if (i < (s + 3) / 4 * 4 || i >= e / 4 * 4)
				paint[i] = 0;
	}
}

HT_TEST(random_maps_match_model)
{
	static struct ent in[40];
	uint32_t want[NGRAN], got[NGRAN];
	unsigned seed = 777;
	int round;
	size_t g, i;

	for (round = 0; round < 4000; round++) {
		/* Half the rounds end one page below 2^64 (the cut at
		 * 2^64 - 1 itself is tested in top_of_address_space). */
		uint64_t off = round % 2 ? 0 : 0 - (uint64_t)(NGRAN + 4) * GRAN;
		size_t n = 1 + (size_t)rand_r(&seed) % 40;
		for (i = 0; i < n; i++) {
			uint64_t b = (uint64_t)(rand_r(&seed) % NGRAN);
			uint64_t l = 1 + (uint64_t)(rand_r(&seed) % (round % 3 ? 16 : NGRAN));
			if (b + l > NGRAN)
				l = NGRAN - b;
			static const uint32_t types[] = { U, U, U, R, AR, AN, B, 0, 9 };
			in[i] = (struct ent){ off + b * GRAN, l * GRAN,
					      types[rand_r(&seed) % 9] };
		}
		load(in, n);
		HT_EQ(memmap_clean(&m), 0);
		check_clean_form(&m);
		model(in, n, off, want);
		memset(got, 0, sizeof(got));
		for (i = 0; i < m.n; i++) {
			HT_EQ((m.e[i].base - off) % GRAN, 0);
			HT_EQ(m.e[i].len % GRAN, 0);
			for (g = (m.e[i].base - off) / GRAN;
			     g < (m.e[i].base - off + m.e[i].len) / GRAN; g++)
				got[g] = m.e[i].type;
		}
		for (g = 0; g < NGRAN; g++)
			if (got[g] != want[g])
				ht_fail(__FILE__, __LINE__,
					"round %d granule %zu: got type %u want %u",
					round, g, got[g], want[g]);
	}
}
