/*
 * apps/httpd/static.c — the static site's handler (static.h has what it
 * answers).
 *
 * Every answer is built from parts prepared before the request came: the
 * packed files' header lines and bodies (site.h), constant strings, and
 * numbers formatted in place. Which answer a file gets (the gzip variant
 * or not; 200, 206, 304, 412, 416) is choose.h's decision; this file
 * writes it. The header lines go to the response writer as they are
 * (http_header_lines) and the body is written from the table, so a big
 * file leaves without a copy. Nothing here allocates: the
 * handler's count in /metrics (weft_http_handler_allocs_total{handler=
 * "static"}) stays 0, and the tests hold it to that.
 */
#include "apps/httpd/static.h"

#include <string.h>
#include "apps/httpd/choose.h"
#include "apps/httpd/http_accept.h"

const char *static_cache_control;

/* Is the field name n (as sent) lit (lower case), case-insensitively? */
static bool name_is(const struct http_span *n, const char *lit)
{
	for (uint32_t i = 0; i < n->len; i++) {
		char c = n->ptr[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + ('a' - 'A'));
		if (lit[i] == '\0' || c != lit[i])
			return false;
	}
	return lit[n->len] == '\0';
}

/* The request's fields that choose.h reads: the first line of each, in
 * one pass over the headers (sorted out by length first). */
static void choose_fields(struct choose_req *q, const struct http_req *r)
{
	for (unsigned i = 0; i < r->nheaders; i++) {
		const struct http_header *h = &r->headers[i];
		struct choose_field *f = NULL;

		switch (h->name.len) {
		case 5:
			f = name_is(&h->name, "range") ? &q->range : NULL;
			break;
		case 8:
			f = name_is(&h->name, "if-match") ? &q->if_match :
			    name_is(&h->name, "if-range") ? &q->if_range : NULL;
			break;
		case 13:
			f = name_is(&h->name, "if-none-match") ?
				    &q->if_none_match : NULL;
			break;
		case 15:
			f = name_is(&h->name, "accept-encoding") ?
				    &q->accept_encoding : NULL;
			break;
		case 17:
			f = name_is(&h->name, "if-modified-since") ?
				    &q->if_modified_since : NULL;
			break;
		case 19:
			f = name_is(&h->name, "if-unmodified-since") ?
				    &q->if_unmodified_since : NULL;
			break;
		}
		if (f && !f->ptr) {
			f->ptr = h->value.ptr;
			f->len = h->value.len;
		}
	}
}

static void cache_control(struct http_response *w, bool cache)
{
	if (cache && static_cache_control && static_cache_control[0])
		http_header_set(w, "Cache-Control", static_cache_control);
}

static void vary(struct http_response *w, const struct site_file *f)
{
	if (f->vary)
		http_header_set(w, "Vary", "Accept-Encoding");
}

/* Decimal digits of v at p; returns the end. */
static char *put_u64(char *p, uint64_t v)
{
	char buf[20], *q = buf + sizeof(buf);

	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(p, q, (size_t)(buf + sizeof(buf) - q));
	return p + (buf + sizeof(buf) - q);
}

/* 206: the headers a 200 has, for bytes first..last of f, in the order
 * a 200's are (Content-Type, Content-Range, Content-Length, then Vary
 * and the validators). */
static void send_range(struct http_response *w, const struct http_request *r,
		       const struct site_file *f, uint64_t first,
		       uint64_t last, bool cache)
{
	char lines[128], *p = lines;

	memcpy(p, "Content-Range: bytes ", 21);
	p = put_u64(p + 21, first);
	*p++ = '-';
	p = put_u64(p, last);
	*p++ = '/';
	p = put_u64(p, f->size);
	memcpy(p, "\r\nContent-Length: ", 18);
	p = put_u64(p + 18, last - first + 1);
	memcpy(p, "\r\n", 2);
	p += 2;
	http_header_set(w, "Content-Type", f->type);
	http_header_lines(w, lines, (size_t)(p - lines));
	vary(w, f);
	http_header_lines(w, f->validators, f->validators_len);
	cache_control(w, cache);
	http_write_header(w, 206);
	if (r->method != HTTP_HEAD)
		http_write(w, f->body + first, last - first + 1);
}

void static_send_file(struct http_response *w, const struct http_request *r,
		      const struct site_file *f, bool cache)
{
	struct choose_req q = { .head = r->method == HTTP_HEAD };
	struct choice c;
	char range[48], *p;

	choose_fields(&q, r->head);
	site_choose(&c, f, &q, http_unix_time());
	switch (c.status) {
	case 200:
		http_header_lines_sized(w, c.rep->headers, c.rep->headers_len,
					c.rep->size);
		cache_control(w, cache);
		if (r->method != HTTP_HEAD)
			http_write(w, c.rep->body, c.rep->size);
		return;
	case 206:
		send_range(w, r, c.rep, c.first, c.last, cache);
		return;
	case 304:
		vary(w, c.rep);
		http_header_lines(w, c.rep->validators, c.rep->validators_len);
		cache_control(w, cache);
		http_write_header(w, 304);
		return;
	case 416:
		p = range;
		memcpy(p, "bytes */", 8);
		p = put_u64(p + 8, c.rep->size);
		*p = '\0';
		http_header_set(w, "Content-Range", range);
		break;
	}
	http_error(w, c.status, NULL); /* 412, 416: a short text body */
}

/* A missing file: 404, with the site's own /404.html as its body if it
 * has one (its headers without the validators: a 404 has no ETag or
 * Last-Modified of its own; the gzip variant when accepted). */
static void send_missing(struct http_response *w, const struct http_request *r)
{
	const struct site_file *page = site_find("/404.html", 9);
	struct http_str ae;

	if (!page) {
		http_error(w, 404, NULL);
		return;
	}
	if (page->gzip && http_request_header(r, "Accept-Encoding", &ae) &&
	    http_accepts_gzip(ae.ptr, ae.len))
		page = page->gzip;
	http_header_lines(w, page->headers,
			  page->headers_len - page->validators_len);
	http_write_header(w, 404);
	if (r->method != HTTP_HEAD)
		http_write(w, page->body, page->size);
}

/* Send the client to path[0..n) + "/", so that the index's relative
 * links resolve. Out of line: the escaped path is on the stack only
 * here. */
static __attribute__((noinline)) void redirect_dir(struct http_response *w,
						   const char *path, size_t n)
{
	char loc[3 * HTTP_MAX_URI + 2];
	int len = http_escape_path(path, n, loc, sizeof(loc) - 1);

	if (len > 0) {
		memcpy(loc + len, "/", 2);
		http_header_set(w, "Location", loc);
	}
	http_error(w, 301, NULL);
}

static void serve(struct http_response *w, struct http_request *r,
		  void *arg)
{
	static const char index[] = "index.html";
	char path[HTTP_MAX_URI + 16];
	const struct site_file *f;
	size_t n = r->path.len;

	(void)arg;
	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		http_header_set(w, "Allow", "GET, HEAD");
		http_error(w, 405, NULL);
		return;
	}
	if (n + sizeof(index) + 1 > sizeof(path)) {
		send_missing(w, r); /* longer than any packed path */
		return;
	}
	memcpy(path, r->path.ptr, n);
	path[n] = '\0';
	if (path[n - 1] == '/') {
		memcpy(path + n, index, sizeof(index));
		n += sizeof(index) - 1;
	}
	f = site_find(path, n);
	if (!f && path[n - 1] != '/') {
		/* A directory named without its '/'? */
		memcpy(path + n, "/", 2);
		memcpy(path + n + 1, index, sizeof(index));
		if (site_find(path, n + sizeof(index))) {
			redirect_dir(w, path, n);
			return;
		}
	}
	if (!f) {
		send_missing(w, r);
		return;
	}
	static_send_file(w, r, f, true);
}

struct http_handler static_handler = { "static", serve, NULL, 0, 0 };
