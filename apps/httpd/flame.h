/*
 * apps/httpd/flame.h — a flame graph, drawn as SVG by the appliance from
 * folded stacks (folded.h), after Brendan Gregg's flamegraph.pl: one box
 * per function in each stack, its width the share of samples, callers
 * below their callees, siblings in alphabetical order, the root ("all")
 * at the bottom. Each box has a <title> (name, samples, per cent) that a
 * browser shows on hover. Pure C, host-tested (tests/host/test_flame.c).
 */
#ifndef APPS_HTTPD_FLAME_H
#define APPS_HTTPD_FLAME_H

#include <stddef.h>
#include <stdint.h>
#include "apps/httpd/folded.h"

/* A box, in samples: depth 0 is the root, `start` the samples to its
   left, `count` its width; name points into the line (not terminated). */
struct flame_box {
	unsigned depth;
	uint64_t start, count;
	const char *name;
	size_t len;
};

/* Lay out lines (sorted, as fold_lines gives them): fn(arg, box) for
   every box, children before their parent. Returns the deepest depth
   (0: no samples, just the root, which is drawn anyway). */
unsigned flame_layout(const struct fold_line *lines, size_t n,
		      void (*fn)(void *arg, const struct flame_box *b), void *arg);

#define FLAME_WIDTH 1200		/* px */
#define FLAME_ROW 16			/* px per frame */

/* The whole SVG document, through out (called many times). title is
   shown at the top (escaped). Returns what out last returned if it was
   negative (the rest is skipped), else 0. */
int flame_svg(const struct fold_line *lines, size_t n, const char *title,
	      int (*out)(void *arg, const char *s, size_t len), void *arg);

/* Copy s[0..len) into buf (size bufsz), XML-escaped, cut to fit;
   returns the length written (buf NUL-terminated). */
size_t flame_escape(const char *s, size_t len, char *buf, size_t bufsz);

#endif
