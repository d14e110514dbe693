/* apps/httpd/pprof.c — profile.proto, gzip'd with stored blocks (pprof.h). */
#include "apps/httpd/pprof.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growing byte buffer and protobuf's wire format ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void varint(struct buf *b, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;
	do {
		t[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			t[n] |= 0x80;
		n++;
	} while (v);
	put(b, t, n);
}

static void field_int(struct buf *b, unsigned field, uint64_t v)
{
	varint(b, (uint64_t)field << 3);	/* wire type 0 */
	varint(b, v);
}

static void field_bytes(struct buf *b, unsigned field, const void *d, size_t n)
{
	varint(b, (uint64_t)field << 3 | 2);	/* length-delimited */
	varint(b, n);
	put(b, d, n);
}

/* A sub-message built in `sub`, appended as field `field` of b; sub is
   emptied for reuse. */
static void field_msg(struct buf *b, unsigned field, struct buf *sub)
{
	if (sub->err)
		b->err = sub->err;
	field_bytes(b, field, sub->p, sub->len);
	sub->len = 0;
}

/* ---- tables: strings, functions (by name), locations (by address) ---- */

struct table {
	struct buf strings;		/* the Profile's string_table fields */
	char **str;			/* each string, for lookups */
	size_t nstr, capstr;
	uint64_t *func_name;		/* function i+1: its name's index */
	size_t nfunc, capfunc;
	struct loc {
		uint64_t addr, func;	/* location i+1: its address, function id */
	} *loc;
	size_t nloc, caploc;
	/* address -> location id, open addressing (0: empty) */
	uint64_t *hkey, *hval;
	size_t hcap;
	int err;
};

static bool grow(void **p, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return true;
	size_t c = *cap ? *cap * 2 : 64;
	void *q = realloc(*p, c * elem);
	if (!q)
		return false;
	*p = q;
	*cap = c;
	return true;
}

static uint64_t string_id(struct table *t, const char *s)
{
	for (size_t i = 0; i < t->nstr; i++)
		if (!strcmp(t->str[i], s))
			return i;
	char *d = strdup(s);
	if (!d || !grow((void **)&t->str, &t->capstr, t->nstr, sizeof *t->str)) {
		free(d);
		t->err = -ENOMEM;
		return 0;
	}
	t->str[t->nstr] = d;
	field_bytes(&t->strings, 6, s, strlen(s));
	return t->nstr++;
}

static uint64_t function_id(struct table *t, const char *name)
{
	uint64_t sid = string_id(t, name);
	for (size_t i = 0; i < t->nfunc; i++)
		if (t->func_name[i] == sid)
			return i + 1;
	if (!grow((void **)&t->func_name, &t->capfunc, t->nfunc, sizeof *t->func_name)) {
		t->err = -ENOMEM;
		return 0;
	}
	t->func_name[t->nfunc++] = sid;
	return t->nfunc;
}

static bool hgrow(struct table *t)
{
	size_t cap = t->hcap ? t->hcap * 2 : 1024;
	uint64_t *k = calloc(cap, sizeof *k), *v = calloc(cap, sizeof *v);
	if (!k || !v) {
		free(k);
		free(v);
		return false;
	}
	for (size_t i = 0; i < t->hcap; i++) {
		if (!t->hval[i])
			continue;
		size_t j = (t->hkey[i] * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);
		while (v[j])
			j = (j + 1) & (cap - 1);
		k[j] = t->hkey[i];
		v[j] = t->hval[i];
	}
	free(t->hkey);
	free(t->hval);
	t->hkey = k;
	t->hval = v;
	t->hcap = cap;
	return true;
}

struct enc {
	struct table t;
	struct buf out, sub;
	fold_sym_fn sym;
	void *arg;
	uint64_t period;
};

static uint64_t location_id(struct enc *e, uint64_t addr)
{
	struct table *t = &e->t;
	if ((t->nloc + 1) * 2 > t->hcap && !hgrow(t)) {
		t->err = -ENOMEM;
		return 0;
	}
	size_t j = (addr * 0x9e3779b97f4a7c15ull >> 20) & (t->hcap - 1);
	for (; t->hval[j]; j = (j + 1) & (t->hcap - 1))
		if (t->hkey[j] == addr)
			return t->hval[j];
	if (!grow((void **)&t->loc, &t->caploc, t->nloc, sizeof *t->loc)) {
		t->err = -ENOMEM;
		return 0;
	}
	const char *name = e->sym ? e->sym(e->arg, addr) : NULL;
	char hex[24];
	if (!name) {
		snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)addr);
		name = hex;
	}
	t->loc[t->nloc].addr = addr;
	t->loc[t->nloc].func = function_id(t, name);
	t->nloc++;
	t->hkey[j] = addr;
	t->hval[j] = t->nloc;
	return t->nloc;
}

static int add_sample(void *arg, const uint64_t *pc, unsigned n, uint64_t count)
{
	struct enc *e = arg;
	struct buf ids = { 0 };
	for (unsigned k = 0; k < n; k++)	/* leaf first, as pprof wants */
		varint(&ids, location_id(e, k ? pc[k] - 1 : pc[k]));
	field_bytes(&e->sub, 1, ids.p, ids.len);	/* location_id, packed */
	free(ids.p);
	struct buf vals = { 0 };
	varint(&vals, count);
	varint(&vals, count * e->period);
	field_bytes(&e->sub, 2, vals.p, vals.len);	/* value, packed */
	free(vals.p);
	if (ids.err || vals.err)
		e->t.err = -ENOMEM;
	field_msg(&e->out, 2, &e->sub);		/* Profile.sample */
	return e->t.err;
}

static void value_type(struct enc *e, unsigned field, const char *type, const char *unit)
{
	field_int(&e->sub, 1, string_id(&e->t, type));
	field_int(&e->sub, 2, string_id(&e->t, unit));
	field_msg(&e->out, field, &e->sub);
}

int pprof_encode_raw(const struct fold *f, fold_sym_fn sym, void *arg,
		     const struct pprof_meta *m, uint8_t **out, size_t *len)
{
	struct enc e;
	memset(&e, 0, sizeof e);
	e.sym = sym;
	e.arg = arg;
	e.period = m->period_ns;
	string_id(&e.t, "");			/* string_table[0] is "" */
	value_type(&e, 1, "samples", "count");	/* sample_type */
	value_type(&e, 1, "cpu", "nanoseconds");
	fold_each(f, add_sample, &e);
	/* One mapping: the kernel, with its functions named here. */
	field_int(&e.sub, 1, 1);
	field_int(&e.sub, 2, 0);
	field_int(&e.sub, 3, UINT64_MAX >> 1);
	field_int(&e.sub, 5, string_id(&e.t, m->binary ? m->binary : "weft"));
	field_int(&e.sub, 7, 1);		/* has_functions */
	field_msg(&e.out, 3, &e.sub);
	for (size_t i = 0; i < e.t.nloc; i++) {
		struct buf line = { 0 };
		field_int(&line, 1, e.t.loc[i].func);	/* Line.function_id */
		field_int(&e.sub, 1, i + 1);		/* Location.id */
		field_int(&e.sub, 2, 1);		/* mapping_id */
		field_int(&e.sub, 3, e.t.loc[i].addr);
		field_msg(&e.sub, 4, &line);
		free(line.p);
		field_msg(&e.out, 4, &e.sub);
	}
	for (size_t i = 0; i < e.t.nfunc; i++) {
		field_int(&e.sub, 1, i + 1);		/* Function.id */
		field_int(&e.sub, 2, e.t.func_name[i]);	/* name */
		field_int(&e.sub, 3, e.t.func_name[i]);	/* system_name */
		field_msg(&e.out, 5, &e.sub);
	}
	if (m->time_unix_ns)
		field_int(&e.out, 9, m->time_unix_ns);
	field_int(&e.out, 10, m->duration_ns);
	field_int(&e.sub, 1, string_id(&e.t, "cpu"));	/* period_type */
	field_int(&e.sub, 2, string_id(&e.t, "nanoseconds"));
	field_msg(&e.out, 11, &e.sub);
	field_int(&e.out, 12, m->period_ns);
	/* The string table last: every string is known by now. */
	put(&e.out, e.t.strings.p, e.t.strings.len);

	int err = e.t.err ? e.t.err : e.out.err ? e.out.err : e.sub.err ? e.sub.err :
		  e.t.strings.err;
	for (size_t i = 0; i < e.t.nstr; i++)
		free(e.t.str[i]);
	free(e.t.str);
	free(e.t.func_name);
	free(e.t.loc);
	free(e.t.hkey);
	free(e.t.hval);
	free(e.t.strings.p);
	free(e.sub.p);
	if (err) {
		free(e.out.p);
		return err;
	}
	*out = e.out.p;
	*len = e.out.len;
	return 0;
}

/* ---- gzip (RFC 1952) around stored deflate blocks (RFC 1951 3.2.4) ---- */

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

int pprof_gzip_stored(const uint8_t *in, size_t n, uint8_t **out, size_t *len)
{
	struct buf b = { 0 };
	static const uint8_t head[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255 };
	put(&b, head, sizeof head);
	size_t off = 0;
	do {
		size_t k = n - off > 65535 ? 65535 : n - off;
		uint8_t h[5] = { off + k == n ? 1 : 0, (uint8_t)k, (uint8_t)(k >> 8),
				 (uint8_t)~k, (uint8_t)(~k >> 8) };
		put(&b, h, sizeof h);
		put(&b, in + off, k);
		off += k;
	} while (off < n);
	uint32_t crc = crc32_of(in, n), size = (uint32_t)n;
	uint8_t tail[8] = { (uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
			    (uint8_t)(crc >> 24), (uint8_t)size, (uint8_t)(size >> 8),
			    (uint8_t)(size >> 16), (uint8_t)(size >> 24) };
	put(&b, tail, sizeof tail);
	if (b.err) {
		free(b.p);
		return b.err;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

int pprof_encode(const struct fold *f, fold_sym_fn sym, void *arg,
		 const struct pprof_meta *m, uint8_t **out, size_t *len)
{
	uint8_t *raw;
	size_t n;
	int rc = pprof_encode_raw(f, sym, arg, m, &raw, &n);
	if (rc < 0)
		return rc;
	rc = pprof_gzip_stored(raw, n, out, len);
	free(raw);
	return rc;
}
