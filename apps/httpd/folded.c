/* apps/httpd/folded.c — folded stacks from profile samples (folded.h). */
#include "apps/httpd/folded.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fold_ent {
	uint64_t hash;			/* 0: empty */
	uint64_t count;
	unsigned n;
	uint64_t pc[FOLD_MAX_FRAMES];
};

static uint64_t hash_of(const uint64_t *pc, unsigned n)
{
	uint64_t h = 1469598103934665603ull ^ n;	/* FNV-1a over the words */
	for (unsigned i = 0; i < n; i++) {
		h ^= pc[i];
		h *= 1099511628211ull;
	}
	return h ? h : 1;
}

int fold_init(struct fold *f)
{
	f->cap = 256;
	f->n = 0;
	f->samples = 0;
	f->t = calloc(f->cap, sizeof *f->t);
	return f->t ? 0 : -ENOMEM;
}

void fold_free(struct fold *f)
{
	free(f->t);
	f->t = NULL;
	f->cap = f->n = 0;
}

static struct fold_ent *slot(struct fold_ent *t, size_t cap, uint64_t h,
			     const uint64_t *pc, unsigned n)
{
	for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		struct fold_ent *e = &t[i];
		if (!e->hash || (e->hash == h && e->n == n &&
				 !memcmp(e->pc, pc, n * sizeof *pc)))
			return e;
	}
}

static int grow(struct fold *f)
{
	size_t cap = f->cap * 2;
	struct fold_ent *t = calloc(cap, sizeof *t);
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < f->cap; i++)
		if (f->t[i].hash)
			*slot(t, cap, f->t[i].hash, f->t[i].pc, f->t[i].n) = f->t[i];
	free(f->t);
	f->t = t;
	f->cap = cap;
	return 0;
}

int fold_add(struct fold *f, const uint64_t *pc, unsigned n, uint64_t count)
{
	if (n == 0)
		return -EINVAL;
	if (n > FOLD_MAX_FRAMES)
		n = FOLD_MAX_FRAMES;
	if ((f->n + 1) * 4 > f->cap * 3 && grow(f) < 0)
		return -ENOMEM;
	uint64_t h = hash_of(pc, n);
	struct fold_ent *e = slot(f->t, f->cap, h, pc, n);
	if (!e->hash) {
		e->hash = h;
		e->n = n;
		memcpy(e->pc, pc, n * sizeof *pc);
		f->n++;
	}
	e->count += count;
	f->samples += count;
	return 0;
}

int fold_each(const struct fold *f,
	      int (*fn)(void *arg, const uint64_t *pc, unsigned n, uint64_t count),
	      void *arg)
{
	for (size_t i = 0; i < f->cap; i++) {
		const struct fold_ent *e = &f->t[i];
		int rc;
		if (e->hash && (rc = fn(arg, e->pc, e->n, e->count)) < 0)
			return rc;
	}
	return 0;
}

/* Append one frame's name (no ';' or spaces: they are the format's). */
static size_t put_name(char *p, size_t room, fold_sym_fn sym, void *arg,
		       uint64_t addr, uint64_t look)
{
	const char *name = sym ? sym(arg, look) : NULL;
	char hex[24];
	if (!name) {
		snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)addr);
		name = hex;
	}
	size_t k = 0;
	for (; name[k] && k + 1 < room; k++)
		p[k] = name[k] == ';' || name[k] == ' ' ? '_' : name[k];
	return k;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(((const struct fold_line *)a)->text,
		      ((const struct fold_line *)b)->text);
}

int fold_lines(const struct fold *f, fold_sym_fn sym, void *arg,
	       struct fold_line **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (!f->n)
		return 0;
	struct fold_line *l = calloc(f->n, sizeof *l);
	if (!l)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < f->cap; i++) {
		const struct fold_ent *e = &f->t[i];
		if (!e->hash)
			continue;
		size_t room = (size_t)e->n * 128 + 1, len = 0;
		char *text = malloc(room);
		if (!text) {
			fold_lines_free(l, n);
			return -ENOMEM;
		}
		for (unsigned k = e->n; k-- > 0;) {	/* root first */
			uint64_t a = e->pc[k];
			len += put_name(text + len, room - len - 1, sym, arg, a,
					k == 0 ? a : a - 1);
			if (k)
				text[len++] = ';';
		}
		text[len] = 0;
		l[n].text = text;
		l[n].count = e->count;
		n++;
	}
	qsort(l, n, sizeof *l, by_text);
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (w && !strcmp(l[w - 1].text, l[i].text)) {
			l[w - 1].count += l[i].count;
			free(l[i].text);
			continue;
		}
		l[w++] = l[i];
	}
	*out = l;
	*nout = w;
	return 0;
}

void fold_lines_free(struct fold_line *l, size_t n)
{
	for (size_t i = 0; l && i < n; i++)
		free(l[i].text);
	free(l);
}
