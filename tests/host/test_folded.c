// host-test-sources: apps/httpd/folded.c
/*
 * Host unit tests for apps/httpd/folded.c: samples aggregated by address
 * stack, named root first (a return address looked up as addr - 1),
 * stacks naming the same functions merged, sorted output, unknown
 * addresses in hex, the format's separators kept out of names, frames
 * past the limit cut, growth past the first table, nothing for nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apps/httpd/folded.h"
#include "tests/host/hosttest.h"

/* A fake symbol table: functions at 0x1000 (a), 0x2000 (b), 0x3000 (c),
   0x4000 (d;x y), each 0x1000 long; nothing below 0x1000 or from 0x5000. */
static const char *sym(void *arg, uint64_t addr)
{
	static const char *names[] = { "a", "b", "c", "d;x y" };
	(void)arg;
	if (addr < 0x1000 || addr >= 0x5000)
		return NULL;
	return names[addr / 0x1000 - 1];
}

static struct fold f;
static struct fold_line *l;
static size_t n;

static void lines(void)
{
	HT_EQ(fold_lines(&f, sym, NULL, &l, &n), 0);
}

static void done(void)
{
	fold_lines_free(l, n);
	fold_free(&f);
}

HT_TEST(root_first_merged_by_name)
{
	HT_EQ(fold_init(&f), 0);
	/* leaf c at 0x3010 called from b (return 0x2020) called from a. */
	const uint64_t s1[] = { 0x3010, 0x2020, 0x1030 };
	/* The same functions at other addresses: one line after naming. */
	const uint64_t s2[] = { 0x3800, 0x2900, 0x1f00 };
	const uint64_t s3[] = { 0x2010, 0x1030 };
	HT_EQ(fold_add(&f, s1, 3, 1), 0);
	HT_EQ(fold_add(&f, s1, 3, 1), 0);
	HT_EQ(fold_add(&f, s2, 3, 5), 0);
	HT_EQ(fold_add(&f, s3, 2, 1), 0);
	HT_EQ(f.n, 3);
	HT_EQ(f.samples, 8);
	lines();
	HT_EQ(n, 2);
	HT_STREQ(l[0].text, "a;b");
	HT_EQ(l[0].count, 1);
	HT_STREQ(l[1].text, "a;b;c");
	HT_EQ(l[1].count, 7);
	done();
}

HT_TEST(return_address_names_the_call)
{
	HT_EQ(fold_init(&f), 0);
	/* 0x2000 as a return address is the instruction after a call at the
	   end of a: it names a, while 0x2000 as the leaf names b. */
	const uint64_t s[] = { 0x2000, 0x2000 };
	HT_EQ(fold_add(&f, s, 2, 1), 0);
	lines();
	HT_EQ(n, 1);
	HT_STREQ(l[0].text, "a;b");
	done();
}

HT_TEST(unknown_in_hex_separators_replaced)
{
	HT_EQ(fold_init(&f), 0);
	const uint64_t s[] = { 0x4010, 0x9001 };
	HT_EQ(fold_add(&f, s, 2, 3), 0);
	lines();
	HT_EQ(n, 1);
	HT_STREQ(l[0].text, "0x9001;d_x_y");
	HT_EQ(l[0].count, 3);
	done();
}

HT_TEST(cut_at_the_frame_limit)
{
	uint64_t s[FOLD_MAX_FRAMES + 8];
	HT_EQ(fold_init(&f), 0);
	for (unsigned i = 0; i < FOLD_MAX_FRAMES + 8; i++)
		s[i] = 0x1010;
	HT_EQ(fold_add(&f, s, FOLD_MAX_FRAMES + 8, 1), 0);
	lines();
	HT_EQ(n, 1);
	unsigned semis = 0;
	for (const char *p = l[0].text; *p; p++)
		semis += *p == ';';
	HT_EQ(semis, FOLD_MAX_FRAMES - 1);
	done();
}

HT_TEST(grows_and_keeps_every_stack)
{
	HT_EQ(fold_init(&f), 0);
	for (uint64_t i = 0; i < 5000; i++) {
		const uint64_t s[] = { 0x10000 + i, 0x1010 };
		HT_EQ(fold_add(&f, s, 2, i % 3 + 1), 0);
		HT_EQ(fold_add(&f, s, 2, 1), 0);
	}
	HT_EQ(f.n, 5000);
	lines();
	HT_EQ(n, 5000);
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		total += l[i].count;
		if (i)
			HT_CHECK(strcmp(l[i - 1].text, l[i].text) < 0);
		HT_CHECK(!strncmp(l[i].text, "a;0x1", 5));
	}
	HT_EQ(total, f.samples);
	HT_EQ(total, 5000 + 1667 * 1 + 1667 * 2 + 1666 * 3);	/* (i % 3 + 1) and 1 */
	HT_STREQ(l[0].text, "a;0x10000");
	HT_EQ(l[0].count, 2);
	done();
}

HT_TEST(nothing_in_nothing_out)
{
	HT_EQ(fold_init(&f), 0);
	const uint64_t s[] = { 0x1010 };
	HT_EQ(fold_add(&f, s, 0, 1), -EINVAL);
	lines();
	HT_EQ(n, 0);
	HT_CHECK(l == NULL);
	done();
}
