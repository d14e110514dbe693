// host-test-sources: apps/httpd/flame.c
/*
 * Host unit tests for apps/httpd/flame.c: the layout of folded lines
 * (a parent spans its children, siblings side by side in order, shared
 * prefixes merged, the root spans everything), XML escaping, and the SVG
 * (well-formed enough to count: one box per visible frame, titles,
 * labels cut with "..", nothing for nothing, a writer error stops it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/httpd/flame.h"
#include "tests/host/hosttest.h"

static struct flame_box boxes[64];
static char names[64][32];
static unsigned nb;

static void collect(void *arg, const struct flame_box *b)
{
	(void)arg;
	HT_CHECK(nb < 64);
	boxes[nb] = *b;
	snprintf(names[nb], sizeof names[nb], "%.*s", (int)b->len, b->name);
	nb++;
}

static const struct flame_box *find(const char *name, unsigned depth)
{
	for (unsigned i = 0; i < nb; i++)
		if (boxes[i].depth == depth && !strcmp(names[i], name))
			return &boxes[i];
	return NULL;
}

static struct fold_line L(const char *t, uint64_t c)
{
	return (struct fold_line){ (char *)t, c };
}

HT_TEST(layout_merges_prefixes)
{
	struct fold_line l[] = { L("main;a;x", 2), L("main;a;y", 3), L("main;b", 5),
				 L("other", 1) };
	nb = 0;
	HT_EQ(flame_layout(l, 4, collect, NULL), 3);
	HT_EQ(nb, 7);				/* all main a x y b other */
	const struct flame_box *all = find("all", 0), *m = find("main", 1),
			       *a = find("a", 2), *x = find("x", 3), *y = find("y", 3),
			       *b = find("b", 2), *o = find("other", 1);
	HT_CHECK(all && m && a && x && y && b && o);
	HT_EQ(all->start, 0);
	HT_EQ(all->count, 11);
	HT_EQ(m->start, 0);
	HT_EQ(m->count, 10);
	HT_EQ(a->count, 5);
	HT_EQ(x->start, 0);
	HT_EQ(x->count, 2);
	HT_EQ(y->start, 2);
	HT_EQ(y->count, 3);
	HT_EQ(b->start, 5);
	HT_EQ(b->count, 5);
	HT_EQ(o->start, 10);
	HT_EQ(o->count, 1);
	/* Children before their parents, the root last. */
	HT_CHECK(x < a && y < a && a < m && b < m);
	HT_STREQ(names[nb - 1], "all");
}

HT_TEST(same_name_at_other_depths_stays_apart)
{
	struct fold_line l[] = { L("f;f", 1), L("f;g;f", 1) };
	nb = 0;
	HT_EQ(flame_layout(l, 2, collect, NULL), 3);
	HT_EQ(find("f", 1)->count, 2);
	HT_EQ(find("f", 2)->count, 1);
	HT_EQ(find("f", 3)->start, 1);
}

HT_TEST(no_lines_just_the_root)
{
	nb = 0;
	HT_EQ(flame_layout(NULL, 0, collect, NULL), 0);
	HT_EQ(nb, 1);
	HT_EQ(boxes[0].count, 0);
}

HT_TEST(escape)
{
	char buf[64];
	HT_EQ(flame_escape("a<b>&\"c'\x01\x80", 10, buf, sizeof buf), 30);
	HT_STREQ(buf, "a&lt;b&gt;&amp;&quot;c&apos;??");
	/* Cut to fit, never inside an entity. */
	HT_EQ(flame_escape("ab&cd", 5, buf, 6), 2);
	HT_STREQ(buf, "ab");
}

struct sink {
	char *buf;
	size_t len, cap;
	int fail_after;			/* calls left before an error; -1 never */
};

static int out(void *arg, const char *s, size_t len)
{
	struct sink *k = arg;
	if (k->fail_after == 0)
		return -EPIPE;
	if (k->fail_after > 0)
		k->fail_after--;
	if (k->len + len + 1 > k->cap) {
		k->cap = (k->len + len + 1) * 2;
		k->buf = realloc(k->buf, k->cap);
		HT_CHECK(k->buf);
	}
	memcpy(k->buf + k->len, s, len);
	k->len += len;
	k->buf[k->len] = 0;
	return 0;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

HT_TEST(svg_document)
{
	/* "tiny" gets 1 of 100,000 samples: 0.012 px, not drawn. */
	struct fold_line l[] = { L("main;a_rather_long_function_name", 50000),
				 L("main;b<x>", 49999), L("tiny", 1) };
	struct sink k = { NULL, 0, 0, -1 };
	HT_EQ(flame_svg(l, 3, "CPU & more", out, &k), 0);
	HT_CHECK(!strncmp(k.buf, "<?xml", 5));
	HT_CHECK(strstr(k.buf, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	HT_CHECK(strstr(k.buf, "CPU &amp; more"));
	HT_CHECK(strstr(k.buf, "</svg>\n"));
	HT_EQ(count(k.buf, "<rect"), 1 + 4);	/* background; all main a b */
	HT_EQ(count(k.buf, "<g>"), count(k.buf, "</g>"));
	HT_CHECK(strstr(k.buf, "<title>main (99999 samples, 99.99%)</title>"));
	HT_CHECK(strstr(k.buf, "<title>b&lt;x&gt; (49999 samples, 49.99%)</title>"));
	HT_CHECK(!strstr(k.buf, "tiny"));
	/* 600 px hold the long name whole; its label is not cut. */
	HT_CHECK(strstr(k.buf, ">a_rather_long_function_name</text>"));
	HT_CHECK(!strstr(k.buf, "<b"));
	free(k.buf);
}

HT_TEST(svg_cuts_labels)
{
	/* 10 px of 1200 for a 20-character name: no label; 30 px: "na..". */
	struct fold_line l[] = { L("a_twenty_chars_name_", 1), L("b", 118),
				 L("c_twenty_chars_name_", 3) };
	struct sink k = { NULL, 0, 0, -1 };
	HT_EQ(flame_svg(l, 3, "t", out, &k), 0);
	HT_CHECK(strstr(k.buf, "\"></text></g>"));
	HT_CHECK(strstr(k.buf, ">c_..</text>"));
	free(k.buf);
}

HT_TEST(svg_empty_and_writer_error)
{
	struct sink k = { NULL, 0, 0, -1 };
	HT_EQ(flame_svg(NULL, 0, "t", out, &k), 0);
	HT_CHECK(strstr(k.buf, "no samples"));
	HT_CHECK(strstr(k.buf, "</svg>"));
	free(k.buf);
	struct fold_line l[] = { L("main;a", 1) };
	struct sink e = { NULL, 0, 0, 1 };
	HT_EQ(flame_svg(l, 1, "t", out, &e), -EPIPE);
	HT_CHECK(!strstr(e.buf, "</svg>"));
	free(e.buf);
}
