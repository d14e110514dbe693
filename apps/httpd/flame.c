/* apps/httpd/flame.c — the flame graph's layout and SVG (flame.h). */
#include "apps/httpd/flame.h"

#include <stdio.h>
#include <string.h>

struct open_frame {
	const char *name;
	size_t len;
	uint64_t start;
};

/* The frames of a line: name i is [b[i], e[i]). Returns how many. */
static unsigned split(const char *s, const char **b, size_t *len, unsigned max)
{
	unsigned n = 0;
	while (*s && n < max) {
		const char *e = strchr(s, ';');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		b[n] = s;
		len[n++] = l;
		if (!e)
			break;
		s = e + 1;
	}
	return n;
}

unsigned flame_layout(const struct fold_line *lines, size_t n,
		      void (*fn)(void *arg, const struct flame_box *b), void *arg)
{
	struct open_frame open[FOLD_MAX_FRAMES];
	unsigned depth = 0, deepest = 0;	/* open frames (depth 1..) */
	uint64_t x = 0;

	for (size_t i = 0; i < n; i++) {
		const char *b[FOLD_MAX_FRAMES];
		size_t len[FOLD_MAX_FRAMES];
		unsigned k = split(lines[i].text, b, len, FOLD_MAX_FRAMES), same = 0;
		while (same < k && same < depth && open[same].len == len[same] &&
		       !memcmp(open[same].name, b[same], len[same]))
			same++;
		while (depth > same) {		/* close what this line leaves */
			depth--;
			struct flame_box box = { depth + 1, open[depth].start,
						 x - open[depth].start,
						 open[depth].name, open[depth].len };
			fn(arg, &box);
		}
		for (; depth < k; depth++)
			open[depth] = (struct open_frame){ b[depth], len[depth], x };
		if (depth > deepest)
			deepest = depth;
		x += lines[i].count;
	}
	while (depth > 0) {
		depth--;
		struct flame_box box = { depth + 1, open[depth].start,
					 x - open[depth].start, open[depth].name,
					 open[depth].len };
		fn(arg, &box);
	}
	struct flame_box root = { 0, 0, x, "all", 3 };
	fn(arg, &root);
	return deepest;
}

size_t flame_escape(const char *s, size_t len, char *buf, size_t bufsz)
{
	size_t w = 0;
	for (size_t i = 0; i < len && s[i]; i++) {
		const char *rep = NULL;
		char one[2] = { s[i], 0 };
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		default:
			/* Control bytes are not XML; bytes >= 0x80 may not be UTF-8. */
			one[0] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ?
					 '?' : s[i];
			rep = one;
		}
		size_t l = strlen(rep);
		if (w + l + 1 > bufsz)
			break;
		memcpy(buf + w, rep, l);
		w += l;
	}
	if (bufsz)
		buf[w] = 0;
	return w;
}

struct draw {
	int (*out)(void *arg, const char *s, size_t len);
	void *arg;
	int err;
	uint64_t total;
	unsigned deepest;
};

static void emit(struct draw *d, const char *s, size_t len)
{
	if (d->err >= 0) {
		int rc = d->out(d->arg, s, len);
		if (rc < 0)
			d->err = rc;
	}
}

static void measure(void *arg, const struct flame_box *b)
{
	struct draw *d = arg;
	if (b->depth == 0)
		d->total = b->count;
}

/* Integer arithmetic only (the kernel has no floating point): positions
   in tenths of a pixel, shares in hundredths of a per cent. */
#define CHAR_TENTHS 72			/* 12px monospace: 7.2 px a character */
#define TOP 36				/* px above the deepest row */

static void box(void *arg, const struct flame_box *b)
{
	struct draw *d = arg;
	uint64_t total = d->total ? d->total : 1;
	uint64_t w = b->count * FLAME_WIDTH * 10 / total;	/* tenths */
	if (w < 1 && b->depth)
		return;			/* too narrow to see */
	uint64_t x = b->start * FLAME_WIDTH * 10 / total;
	uint64_t pct = b->count * 10000 / total;
	unsigned y = TOP + (d->deepest - b->depth) * FLAME_ROW;
	char name[512], label[512], buf[1400];
	flame_escape(b->name, b->len, name, sizeof name);
	/* Warm colours from the name, stable from run to run. */
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < b->len; i++)
		h = (h ^ (unsigned char)b->name[i]) * 16777619u;
	unsigned r = 205 + h % 50, g = (h >> 8) % 230, bl = (h >> 16) % 55;
	/* The label: what fits, with ".." when cut. */
	size_t fit = (size_t)(w / CHAR_TENTHS);
	label[0] = 0;
	if (fit >= 3) {
		size_t l = b->len;
		if (l > fit)
			l = fit - 2;
		flame_escape(b->name, l, label, sizeof label - 3);
		if (l < b->len)
			strcat(label, "..");
	}
	int n = snprintf(buf, sizeof buf,
			 "<g><title>%s (%llu samples, %llu.%02llu%%)</title>"
			 "<rect x=\"%llu.%llu\" y=\"%u\" width=\"%llu.%llu\" height=\"%u\" "
			 "fill=\"rgb(%u,%u,%u)\" rx=\"2\"/>"
			 "<text x=\"%llu.%llu\" y=\"%u\">%s</text></g>\n",
			 name, (unsigned long long)b->count,
			 (unsigned long long)(pct / 100), (unsigned long long)(pct % 100),
			 (unsigned long long)(x / 10), (unsigned long long)(x % 10), y,
			 (unsigned long long)(w / 10), (unsigned long long)(w % 10),
			 FLAME_ROW - 1, r, g, bl,
			 (unsigned long long)((x + 30) / 10), (unsigned long long)((x + 30) % 10),
			 y + FLAME_ROW - 4, label);
	if (n > 0)
		emit(d, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

int flame_svg(const struct fold_line *lines, size_t n, const char *title,
	      int (*out)(void *arg, const char *s, size_t len), void *arg)
{
	struct draw d = { out, arg, 0, 0, 0 };
	d.deepest = flame_layout(lines, n, measure, &d);
	unsigned height = TOP + (d.deepest + 1) * FLAME_ROW + 24;
	char esc[512], buf[1024];
	flame_escape(title ? title : "", title ? strlen(title) : 0, esc, sizeof esc);
	int k = snprintf(buf, sizeof buf,
			 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			 "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
			 "width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\">\n"
			 "<style>text{font:12px monospace;fill:#000;pointer-events:none}"
			 "rect:hover{stroke:#000;stroke-width:0.5}</style>\n"
			 "<rect width=\"100%%\" height=\"100%%\" fill=\"#fdf6e3\"/>\n"
			 "<text x=\"%u\" y=\"20\" text-anchor=\"middle\" "
			 "style=\"font-size:16px\">%s</text>\n",
			 FLAME_WIDTH, height, FLAME_WIDTH, height, FLAME_WIDTH / 2, esc);
	emit(&d, buf, (size_t)k);
	if (!d.total) {
		k = snprintf(buf, sizeof buf,
			     "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">"
			     "no samples: every CPU was idle</text>\n",
			     FLAME_WIDTH / 2, TOP + 12);
		emit(&d, buf, (size_t)k);
	}
	flame_layout(lines, n, box, &d);
	emit(&d, "</svg>\n", 7);
	return d.err;
}
