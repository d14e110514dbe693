// host-test-sources: kernel/pmm.c
/* Host unit tests for kernel/pmm.c. */

#include <stdlib.h>
#include <string.h>

#include "kernel/pmm.h"
#include "tests/host/hosttest.h"

#define PG PMM_PAGE
#define NF 1000 /* frames in most tests: not a multiple of 64 on purpose */

static struct pmm p;
static uint64_t bits[PMM_BITMAP_WORDS(NF)];
static unsigned char seen[NF];

static bool frame_used(uint64_t f)
{
	return (p.bitmap[f / 64] >> (f % 64)) & 1;
}

/* The counters agree with the bitmap; padding bits and frame 0 stay set. */
static void check_consistent(void)
{
	uint64_t f, clear = 0;

	for (f = 0; f < p.nframes; f++)
		clear += !frame_used(f);
	HT_EQ(pmm_free_pages(&p), clear);
	HT_CHECK(pmm_free_pages(&p) <= pmm_total_pages(&p));
	if (p.nframes)
		HT_CHECK(frame_used(0));
	for (f = p.nframes; f < p.nwords * 64; f++)
		HT_CHECK(frame_used(f));
	for (f = 0; f < p.hint; f++)
		HT_EQ(p.bitmap[f], ~0ull);
}

static void setup(uint64_t free_from, uint64_t free_to)
{
	pmm_init(&p, bits, NF);
	pmm_free_range(&p, free_from, free_to);
	check_consistent();
}

HT_TEST(starts_all_reserved)
{
	size_t i;

	memset(bits, 0, sizeof(bits));
	pmm_init(&p, bits, NF);
	for (i = 0; i < PMM_BITMAP_WORDS(NF); i++)
		HT_EQ(bits[i], ~0ull);
	HT_EQ(pmm_free_pages(&p), 0);
	HT_EQ(pmm_total_pages(&p), 0);
	HT_EQ(pmm_alloc(&p), 0);
	HT_EQ(pmm_alloc_contig(&p, 1, 0, 0), 0);
	check_consistent();
}

HT_TEST(alloc_until_exhausted_returns_each_page_once)
{
	uint64_t pa, prev = 0, n = 0;

	setup(0, NF * PG);
	HT_EQ(pmm_free_pages(&p), NF - 1); /* frame 0 is kept back */
	HT_EQ(pmm_total_pages(&p), NF - 1);
	memset(seen, 0, sizeof(seen));
	while ((pa = pmm_alloc(&p)) != 0) {
		HT_EQ(pa % PG, 0);
		HT_CHECK(pa < NF * PG);
		HT_CHECK(pa > prev); /* lowest first */
		HT_EQ(seen[pa / PG], 0);
		seen[pa / PG] = 1;
		prev = pa;
		n++;
		HT_EQ(pmm_free_pages(&p), NF - 1 - n);
	}
	HT_EQ(n, NF - 1);
	HT_EQ(seen[0], 0);
	HT_EQ(pmm_alloc(&p), 0);
	HT_EQ(pmm_alloc(&p), 0);
	HT_EQ(pmm_total_pages(&p), NF - 1);
	check_consistent();

	/* Free everything; the same pages come back. */
	for (pa = PG; pa < NF * PG; pa += PG)
		pmm_free(&p, pa);
	HT_EQ(pmm_free_pages(&p), NF - 1);
	check_consistent();
	for (n = 1; n < NF; n++)
		HT_EQ(pmm_alloc(&p), n * PG);
	HT_EQ(pmm_alloc(&p), 0);
}

HT_TEST(frame_zero_never_returned)
{
	setup(0, 2 * PG);
	HT_EQ(pmm_free_pages(&p), 1);
	HT_EQ(pmm_alloc(&p), PG);
	HT_EQ(pmm_alloc(&p), 0);
	pmm_free(&p, PG);
	HT_EQ(pmm_alloc_contig(&p, 1, 0, 0), PG);
	HT_EQ(pmm_alloc_contig(&p, 1, 0, 0), 0);
	check_consistent();
}

HT_TEST(free_range_rounds_inward)
{
	setup(0x1800, 0x5800);
	HT_EQ(pmm_free_pages(&p), 3);
	HT_CHECK(frame_used(1));
	HT_CHECK(!frame_used(2) && !frame_used(3) && !frame_used(4));
	HT_CHECK(frame_used(5));

	/* Less than a whole page inside: nothing. */
	pmm_free_range(&p, 0x10001, 0x11fff);
	pmm_free_range(&p, 0x20000, 0x20fff);
	HT_EQ(pmm_free_pages(&p), 3);
	/* Empty and inverted ranges: nothing. */
	pmm_free_range(&p, 0x30000, 0x30000);
	pmm_free_range(&p, 0x40000, 0x30000);
	HT_EQ(pmm_free_pages(&p), 3);
	check_consistent();
}

HT_TEST(free_range_clamps_to_the_map)
{
	setup((NF - 10) * PG, 0x100000000000ull);
	HT_EQ(pmm_free_pages(&p), 10);
	pmm_free_range(&p, NF * PG, UINT64_MAX);
	HT_EQ(pmm_free_pages(&p), 10);
	/* Freeing twice counts once. */
	pmm_free_range(&p, (NF - 20) * PG, NF * PG);
	HT_EQ(pmm_free_pages(&p), 20);
	HT_EQ(pmm_total_pages(&p), 20);
	check_consistent();
}

HT_TEST(reserve_inside_free_rounds_outward)
{
	uint64_t pa;

	setup(0, 101 * PG);
	HT_EQ(pmm_free_pages(&p), 100);
	pmm_reserve_range(&p, 0x5800, 0x7001); /* frames 5, 6 and 7 */
	HT_EQ(pmm_free_pages(&p), 97);
	HT_EQ(pmm_total_pages(&p), 97);
	HT_CHECK(!frame_used(4) && frame_used(5) && frame_used(7) &&
		 !frame_used(8));
	/* Reserving again, or over reserved frames, changes nothing. */
	pmm_reserve_range(&p, 0x5000, 0x8000);
	pmm_reserve_range(&p, 200 * PG, 300 * PG);
	HT_EQ(pmm_free_pages(&p), 97);
	check_consistent();
	while ((pa = pmm_alloc(&p)) != 0)
		HT_CHECK(pa / PG < 5 || pa / PG > 7);
	HT_EQ(pmm_free_pages(&p), 0);
	check_consistent();
}

HT_TEST(reserve_whole_address_space)
{
	setup(0, NF * PG);
	pmm_reserve_range(&p, 0, UINT64_MAX);
	HT_EQ(pmm_free_pages(&p), 0);
	HT_EQ(pmm_total_pages(&p), 0);
	HT_EQ(pmm_alloc(&p), 0);
	check_consistent();
	pmm_free_range(&p, UINT64_MAX - PG, UINT64_MAX);
	HT_EQ(pmm_free_pages(&p), 0);
}

HT_TEST(free_lowers_the_hint)
{
	int i;

	setup(0, NF * PG);
	for (i = 0; i < 500; i++)
		pmm_alloc(&p);
	pmm_free(&p, 3 * PG);
	pmm_free(&p, 200 * PG);
	check_consistent();
	HT_EQ(pmm_alloc(&p), 3 * PG);
	HT_EQ(pmm_alloc(&p), 200 * PG);
	HT_EQ(pmm_alloc(&p), 501 * PG);
}

HT_TEST(free_panics_on_misuse)
{
	uint64_t pa;

	setup(0, 64 * PG);
	pa = pmm_alloc(&p);
	HT_EXPECT_PANIC_MSG(pmm_free(&p, pa + 8), "unaligned");
	HT_EXPECT_PANIC_MSG(pmm_free(&p, NF * PG), "outside the map");
	HT_EXPECT_PANIC_MSG(pmm_free(&p, UINT64_MAX & ~(PG - 1)),
			    "outside the map");
	HT_EXPECT_PANIC_MSG(pmm_free(&p, 0), "frame 0");
	pmm_free(&p, pa);
	HT_EXPECT_PANIC_MSG(pmm_free(&p, pa), "double free");
	HT_EXPECT_PANIC_MSG(pmm_free(&p, 10 * PG), "double free");
	/* A reserved frame freed while no page is out. */
	HT_EXPECT_PANIC_MSG(pmm_free(&p, 100 * PG), "never allocated");
	/* The failed calls changed nothing. */
	HT_EQ(pmm_free_pages(&p), 63);
	check_consistent();
}

HT_TEST(contig_basic_and_aligned)
{
	uint64_t pa, f;

	pmm_init(&p, bits, NF);
	pmm_free_range(&p, 0, NF * PG);
	pa = pmm_alloc_contig(&p, 16, 0, 0);
	HT_EQ(pa, PG);
	for (f = 1; f <= 16; f++)
		HT_CHECK(frame_used(f));
	HT_EQ(pmm_free_pages(&p), NF - 1 - 16);

	pa = pmm_alloc_contig(&p, 3, 64 * 1024, 0);
	HT_EQ(pa, 0x10000 + 0x10000); /* 0x10000 is taken by frame 16 */
	pa = pmm_alloc_contig(&p, 256, 1 << 20, 0);
	HT_EQ(pa, 0x100000);
	for (f = 256; f < 512; f++)
		HT_CHECK(frame_used(f));
	HT_CHECK(!frame_used(255) && !frame_used(512));
	HT_EQ(pmm_free_pages(&p), NF - 1 - 16 - 3 - 256);
	/* Single pages fill the holes the aligned blocks left. */
	HT_EQ(pmm_alloc(&p), 17 * PG);
	check_consistent();
	/* Alignments up to a page mean a page. */
	HT_EQ(pmm_alloc_contig(&p, 1, 1, 0), 18 * PG);
	HT_EQ(pmm_alloc_contig(&p, 1, 4096, 0), 19 * PG);
	check_consistent();
}

HT_TEST(contig_below_limit)
{
	setup(0, NF * PG);
	/* 100 pages ending at or below 101 pages: exactly frames 1..100. */
	HT_EQ(pmm_alloc_contig(&p, 100, 0, 101 * PG), PG);
	HT_EQ(pmm_alloc_contig(&p, 1, 0, 101 * PG), 0);
	/* An unaligned limit rounds down. */
	HT_EQ(pmm_alloc_contig(&p, 1, 0, 102 * PG - 1), 0);
	HT_EQ(pmm_alloc_contig(&p, 1, 0, 102 * PG), 101 * PG);
	/* A limit past the map is no limit. */
	HT_EQ(pmm_alloc_contig(&p, NF - 102, 0, UINT64_MAX), 102 * PG);
	HT_EQ(pmm_free_pages(&p), 0);
	check_consistent();
}

HT_TEST(contig_finds_the_only_hole)
{
	uint64_t f;

	pmm_init(&p, bits, NF);
	/* Free runs of 1, 2, 3, 4 with a used frame between; then one of 5. */
	pmm_free_range(&p, 10 * PG, 11 * PG);
	pmm_free_range(&p, 12 * PG, 14 * PG);
	pmm_free_range(&p, 15 * PG, 18 * PG);
	pmm_free_range(&p, 19 * PG, 23 * PG);
	pmm_free_range(&p, 60 * PG, 65 * PG); /* crosses a word boundary */
	HT_EQ(pmm_free_pages(&p), 15);
	HT_EQ(pmm_alloc_contig(&p, 6, 0, 0), 0);
	HT_EQ(pmm_alloc_contig(&p, 5, 0, 0), 60 * PG);
	HT_EQ(pmm_alloc_contig(&p, 4, 0, 0), 19 * PG);
	HT_EQ(pmm_alloc_contig(&p, 4, 0, 0), 0);
	HT_EQ(pmm_alloc_contig(&p, 2, 2 * PG, 0), 12 * PG);
	HT_EQ(pmm_alloc_contig(&p, 2, 4 * PG, 0), 16 * PG);
	HT_EQ(pmm_alloc_contig(&p, 2, 0, 0), 0);
	HT_EQ(pmm_free_pages(&p), 2);
	for (f = 0; f < NF; f++)
		HT_EQ(frame_used(f), f != 10 && f != 15);
	check_consistent();
}

HT_TEST(contig_impossible_requests)
{
	setup(0, NF * PG);
	HT_EQ(pmm_alloc_contig(&p, 0, 0, 0), 0);
	HT_EQ(pmm_alloc_contig(&p, NF, 0, 0), 0); /* frame 0 is never free */
	HT_EQ(pmm_alloc_contig(&p, UINT64_MAX, 0, 0), 0);
	HT_EQ(pmm_alloc_contig(&p, 1, 1ull << 63, 0), 0);
	HT_EQ(pmm_alloc_contig(&p, 2, 0, PG), 0);
	HT_EQ(pmm_alloc_contig(&p, 1, 0, 0x1fff), 0);
	/* Aligned to 4 MiB: past the 1000 frames of the map. */
	HT_EQ(pmm_alloc_contig(&p, 1, 4 << 20, 0), 0);
	HT_EQ(pmm_free_pages(&p), NF - 1);
	HT_EXPECT_PANIC_MSG(pmm_alloc_contig(&p, 1, 3 * PG, 0),
			    "not a power of two");
	HT_EXPECT_PANIC(pmm_alloc_contig(&p, 1, 0x1001, 0));
	HT_EQ(pmm_alloc_contig(&p, NF - 1, 0, 0), PG);
	check_consistent();
}

HT_TEST(large_map_allocates_fast)
{
	/* 4 GiB of frames; every page once, then none. */
	enum { BIG = 1u << 20 };
	static uint64_t big[PMM_BITMAP_WORDS(BIG)];
	uint64_t pa, n = 0, last = 0;

	pmm_init(&p, big, BIG);
	pmm_free_range(&p, 0, (uint64_t)BIG * PG);
	pmm_reserve_range(&p, 0xa0000, 0x100000); /* a legacy hole */
	HT_EQ(pmm_free_pages(&p), BIG - 1 - 96);
	while ((pa = pmm_alloc(&p)) != 0) {
		HT_CHECK(pa > last);
		last = pa;
		n++;
	}
	HT_EQ(n, BIG - 1 - 96);
	HT_EQ(last, (uint64_t)(BIG - 1) * PG);
	pmm_free(&p, 0x80000000);
	HT_EQ(pmm_alloc_contig(&p, 1, 0, 0), 0x80000000);
}

/*
 * Randomized: every operation is mirrored in a byte-per-frame shadow
 * (0 free, 1 allocated, 2 reserved), and the allocator must agree with
 * it: a returned page was free, pmm_alloc gives the lowest free one, a
 * contig block is free, aligned, below its limit and the lowest such.
 */
static unsigned char shadow[NF];

static uint64_t shadow_lowest_block(uint64_t n, uint64_t stride, uint64_t lim)
{
	uint64_t s, i;

	for (s = stride; s + n <= lim; s += stride) {
		for (i = 0; i < n && shadow[s + i] == 0; i++)
			;
		if (i == n)
			return s;
	}
	return 0;
}

HT_TEST(random_ops_match_shadow)
{
	static uint64_t out[NF];
	unsigned seed = 4242;
	uint64_t nout = 0, nfree = 0, i, f, pa;
	int round;

	pmm_init(&p, bits, NF);
	memset(shadow, 2, sizeof(shadow));
	for (round = 0; round < 60000; round++) {
		unsigned op = (unsigned)rand_r(&seed) % 100;
		if (op < 3) { /* set-up style range calls, only on unowned frames */
			uint64_t a = (uint64_t)rand_r(&seed) % (NF * PG + PG);
			uint64_t b = a + (uint64_t)rand_r(&seed) % (64 * PG);
			bool res = op == 2;
			uint64_t fa = res ? a / PG : (a + PG - 1) / PG;
			uint64_t fb = res ? (b + PG - 1) / PG : b / PG;
			for (f = fa; f < fb && f < NF; f++)
				if (shadow[f] == 1)
					break;
			if (f < fb && f < NF)
				continue;
			if (res)
				pmm_reserve_range(&p, a, b);
			else
				pmm_free_range(&p, a, b);
			for (f = fa; f < fb && f < NF; f++)
				if (res || f != 0)
					shadow[f] = res ? 2 : 0;
		} else if (op < 55) {
			pa = pmm_alloc(&p);
			for (f = 1; f < NF && shadow[f] != 0; f++)
				;
			HT_EQ(pa, f < NF ? f * PG : 0);
			if (pa) {
				shadow[f] = 1;
				out[nout++] = pa;
			}
		} else if (op < 60) {
			uint64_t n = 1 + (uint64_t)rand_r(&seed) % 8;
			uint64_t align = PG << (rand_r(&seed) % 5);
			uint64_t below = rand_r(&seed) % 2 ? 0 :
				(uint64_t)rand_r(&seed) % (NF * PG);
			uint64_t lim = below && below / PG < NF ? below / PG : NF;
			uint64_t want = shadow_lowest_block(n, align / PG, lim);
			pa = pmm_alloc_contig(&p, n, align, below);
			HT_EQ(pa, want * PG);
			for (i = 0; pa && i < n; i++) {
				shadow[want + i] = 1;
				out[nout++] = pa + i * PG;
			}
		} else if (nout > 0) {
			i = (uint64_t)rand_r(&seed) % nout;
			pmm_free(&p, out[i]);
			shadow[out[i] / PG] = 0;
			out[i] = out[--nout];
		}
		nfree = 0;
		for (f = 0; f < NF; f++)
			nfree += shadow[f] == 0;
		HT_EQ(pmm_free_pages(&p), nfree);
		HT_EQ(pmm_total_pages(&p), nfree + nout);
		if (round % 1000 == 0) {
			check_consistent();
			for (f = 0; f < NF; f++)
				HT_EQ(frame_used(f), shadow[f] != 0);
		}
	}
	/* Double frees of what is out are still caught at the end. */
	if (nout > 0) {
		pmm_free(&p, out[0]);
		HT_EXPECT_PANIC_MSG(pmm_free(&p, out[0]), "double free");
	}
}
