/*
 * apps/httpd/choose.c — deciding a packed file's answer (choose.h has
 * the order of the steps and why).
 */
#include "apps/httpd/choose.h"

#include <string.h>
#include "apps/httpd/http_accept.h"
#include "apps/httpd/http_date.h"
#include "apps/httpd/http_range.h"

bool site_etag_match(const char *v, size_t n, const char *etag, size_t elen,
		     bool weak)
{
	size_t i = 0, b;

	while (i < n) {
		bool w = false;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		if (i == n)
			break;
		if (v[i] == '*')
			return true;
		if (n - i > 2 && v[i] == 'W' && v[i + 1] == '/') {
			i += 2;
			w = true;
		}
		if (v[i] != '"')
			return false;
		b = i++;
		while (i < n && v[i] != '"')
			i++;
		if (i == n)
			return false;
		i++;
		if ((weak || !w) && i - b == elen &&
		    memcmp(v + b, etag, elen) == 0)
			return true;
	}
	return false;
}

static bool present(const struct choose_field *f)
{
	return f->ptr != NULL;
}

/* The date in field f, if there is one and it parses. */
static bool date_of(const struct choose_field *f, uint64_t now, uint64_t *t)
{
	return present(f) && http_date_parse(f->ptr, f->len, now, t) == 0;
}

/* Does If-Range hold for the file f? */
static bool if_range_holds(const struct choose_field *v,
			   const struct site_file *f, uint64_t now)
{
	uint64_t t;

	if (v->len >= 2 && (v->ptr[0] == '"' ||
			    (v->ptr[0] == 'W' && v->ptr[1] == '/')))
		/* An entity tag: strong comparison, one tag only. */
		return v->ptr[0] == '"' && v->len == f->etag_len &&
		       memcmp(v->ptr, f->etag, f->etag_len) == 0;
	return http_date_parse(v->ptr, v->len, now, &t) == 0 &&
	       t == f->mtime;
}

void site_choose(struct choice *c, const struct site_file *f,
		 const struct choose_req *q, uint64_t now)
{
	const struct site_file *rep = f;
	uint64_t t;

	if (f->gzip && present(&q->accept_encoding) &&
	    http_accepts_gzip(q->accept_encoding.ptr, q->accept_encoding.len))
		rep = f->gzip;
	c->rep = rep;
	c->first = c->last = 0;
	c->status = 200;

	if (present(&q->if_match)) {
		if (!site_etag_match(q->if_match.ptr, q->if_match.len,
				     rep->etag, rep->etag_len, false)) {
			c->status = 412;
			return;
		}
	} else if (date_of(&q->if_unmodified_since, now, &t) &&
		   rep->mtime > t) {
		c->status = 412;
		return;
	}
	if (present(&q->if_none_match)) {
		if (site_etag_match(q->if_none_match.ptr, q->if_none_match.len,
				    rep->etag, rep->etag_len, true)) {
			c->status = 304;
			return;
		}
	} else if (date_of(&q->if_modified_since, now, &t) &&
		   rep->mtime <= t) {
		c->status = 304;
		return;
	}
	if (q->head || !present(&q->range))
		return;
	if (present(&q->if_range) && !if_range_holds(&q->if_range, f, now))
		return;
	switch (http_range_parse(q->range.ptr, q->range.len, f->size,
				 &c->first, &c->last)) {
	case HTTP_RANGE_ONE:
		c->status = 206;
		c->rep = f;
		return;
	case HTTP_RANGE_UNSATISFIABLE:
		c->status = 416;
		c->rep = f;
		return;
	case HTTP_RANGE_IGNORE:
		return;
	}
}
