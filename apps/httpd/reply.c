/*
 * apps/httpd/reply.c — routing a request to its answer, and writing the
 * answer (reply.h has the routes and the contract).
 *
 * Every answer is built from parts prepared before the request came: the
 * packed files' header blocks and bodies, constant strings, and numbers
 * formatted in place. /metrics is the one body made per request; it is
 * rendered from a snapshot on this task's stack, twice (see metrics.h),
 * so that it too has a Content-Length and needs no buffer of its own.
 */
#include "apps/httpd/reply.h"

#include <string.h>
#include "apps/httpd/http_accept.h"
#include "apps/httpd/metrics.h"

void reply_error(struct reply *rp, int status, bool head)
{
	memset(rp, 0, sizeof(*rp));
	rp->status = status;
	rp->kind = REPLY_TEXT;
	rp->head = head;
	rp->close = true;
}

/* A well-formed request's non-200 answer: the connection stays usable. */
static void reply_status(struct reply *rp, int status)
{
	rp->status = status;
	rp->kind = REPLY_TEXT;
}

static bool span_eq(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

const char *reply_cache_control;

/* Is the field name n (as sent) lit, case-insensitively? */
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

/* The answer for the packed file f. */
static void route_packed(struct reply *rp, const struct http_req *r,
			 const struct site_file *f)
{
	struct choose_req q = { .head = r->method == HTTP_HEAD };
	uint64_t now = (httpd_sys.epoch_ns + httpd_sys.now()) / 1000000000u;

	choose_fields(&q, r);
	site_choose(&rp->c, f, &q, now);
	rp->kind = REPLY_FILE;
	rp->file = rp->c.rep;
	rp->status = rp->c.status;
}

/* A missing file: 404, with the site's own page if it has one. */
static void route_missing(struct reply *rp, const struct http_req *r)
{
	const struct site_file *page = site_find("/404.html", 9);
	const struct http_span *ae;

	reply_status(rp, 404);
	if (!page)
		return;
	rp->kind = REPLY_PAGE404;
	rp->file = page;
	ae = page->gzip ? http_req_header(r, "Accept-Encoding") : NULL;
	if (ae && http_accepts_gzip(ae->ptr, ae->len))
		rp->file = page->gzip;
}

/* The packed file for path[0..n) (normalized), or a redirect or 404. */
static void route_file(struct reply *rp, const struct http_req *r,
		       char *path, size_t n)
{
	static const char index[] = "index.html";
	const struct site_file *f;

	if (path[n - 1] == '/') {
		memcpy(path + n, index, sizeof(index));
		n += sizeof(index) - 1;
	}
	f = site_find(path, n);
	if (!f && path[n - 1] != '/') {
		/* A directory named without its '/': send the client there,
		   so that the index's relative links resolve. */
		memcpy(path + n, "/", 2);
		memcpy(path + n + 1, index, sizeof(index));
		if (site_find(path, n + sizeof(index))) {
			path[n + 1] = '\0';
			rp->location = path;
			reply_status(rp, 301);
			return;
		}
	}
	if (!f) {
		route_missing(rp, r);
		return;
	}
	route_packed(rp, r, f);
	rp->cache = reply_cache_control && reply_cache_control[0];
}

void reply_route(struct reply *rp, const struct http_req *r, char *path,
		 size_t pathsz)
{
	int n;

	memset(rp, 0, sizeof(*rp));
	rp->head = r->method == HTTP_HEAD;
	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		reply_status(rp, 405);
		rp->allow = true;
		return;
	}
	if (pathsz < REPLY_PATH_MAX)
		httpd_bug("reply_route: path buffer under REPLY_PATH_MAX");
	/* Leave room to append "/index.html" to whatever comes out. */
	n = http_path_normalize(r->path.ptr, r->path.len, path, pathsz - 12);
	if (n < 0) {
		reply_error(rp, -n, rp->head);
		return;
	}
	if (span_eq(path, (size_t)n, "/healthz")) {
		reply_status(rp, 200);
		rp->text = "ok\n";
	} else if (span_eq(path, (size_t)n, "/metrics")) {
		rp->status = 200;
		rp->kind = REPLY_METRICS;
	} else if (span_eq(path, (size_t)n, "/status")) {
		route_packed(rp, r, &site_status_page);
	} else {
		route_file(rp, r, path, (size_t)n);
	}
}

/* ---- Writing ---- */

/* path, percent-encoding what may not stand in a URI path (RFC 3986
 * pchar and '/'). */
static void out_path(struct out *o, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *s;

	for (s = path; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[3] = { '%', hex[c >> 4], hex[c & 15] };

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@/", c))
			out_mem(o, s, 1);
		else
			out_mem(o, esc, 3);
	}
}

static void send_text(struct out *o, const struct reply *rp, bool keep)
{
	const char *reason = http_reason(rp->status);
	char code[4] = { (char)('0' + rp->status / 100),
			 (char)('0' + rp->status / 10 % 10),
			 (char)('0' + rp->status % 10), ' ' };
	size_t len = rp->text ? strlen(rp->text) : 4 + strlen(reason) + 1;

	if (rp->allow)
		out_str(o, "Allow: GET, HEAD\r\n");
	if (rp->location) {
		out_str(o, "Location: ");
		out_path(o, rp->location);
		out_str(o, "\r\n");
	}
	out_str(o, "Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
	out_u64(o, len);
	out_str(o, "\r\n");
	resp_end(o, keep);
	if (rp->head)
		return;
	if (rp->text) {
		out_str(o, rp->text);
	} else {
		out_mem(o, code, 4);
		out_str(o, reason);
		out_mem(o, "\n", 1);
	}
}

static void send_cache_control(struct out *o, const struct reply *rp)
{
	if (rp->cache) {
		out_str(o, "Cache-Control: ");
		out_str(o, reply_cache_control);
		out_str(o, "\r\n");
	}
}

static void send_vary(struct out *o, const struct site_file *f)
{
	if (f->vary)
		out_str(o, "Vary: Accept-Encoding\r\n");
}

/* 206: the headers a 200 has, for bytes first..last of f. */
static void send_range(struct out *o, const struct reply *rp, bool keep)
{
	const struct site_file *f = rp->file;
	uint64_t first = rp->c.first, last = rp->c.last;

	out_str(o, "Content-Type: ");
	out_str(o, f->type);
	out_str(o, "\r\nContent-Range: bytes ");
	out_u64(o, first);
	out_mem(o, "-", 1);
	out_u64(o, last);
	out_mem(o, "/", 1);
	out_u64(o, f->size);
	out_str(o, "\r\nContent-Length: ");
	out_u64(o, last - first + 1);
	out_str(o, "\r\n");
	send_vary(o, f);
	out_mem(o, f->validators, f->validators_len);
	send_cache_control(o, rp);
	resp_end(o, keep);
	out_mem(o, f->body + first, last - first + 1);
}

static void send_file(struct out *o, const struct reply *rp, bool keep)
{
	const struct site_file *f = rp->file;
	struct reply text = *rp;

	switch (rp->status) {
	case 200:
		out_mem(o, f->headers, f->headers_len);
		send_cache_control(o, rp);
		resp_end(o, keep);
		if (!rp->head)
			out_mem(o, f->body, f->size);
		return;
	case 206:
		send_range(o, rp, keep);
		return;
	case 304:
		send_vary(o, f);
		out_mem(o, f->validators, f->validators_len);
		send_cache_control(o, rp);
		resp_end(o, keep);
		return;
	case 416:
		out_str(o, "Content-Range: bytes */");
		out_u64(o, f->size);
		out_str(o, "\r\n");
		break;
	}
	/* 412, 416: a short text body. */
	text.kind = REPLY_TEXT;
	send_text(o, &text, keep);
}

/* The site's 404 page: its headers without the validators (a 404 has no
   ETag or Last-Modified of its own), and its body. */
static void send_page404(struct out *o, const struct reply *rp, bool keep)
{
	const struct site_file *f = rp->file;

	out_mem(o, f->headers, f->headers_len - f->validators_len);
	resp_end(o, keep);
	if (!rp->head)
		out_mem(o, f->body, f->size);
}

/* Out of line: the snapshot (a few KiB) is on the stack only while
 * /metrics is answered. */
static __attribute__((noinline)) void send_metrics(struct out *o,
						   const struct reply *rp,
						   bool keep)
{
	struct metrics_snapshot s;
	struct out count = { .counting = true };

	metrics_snapshot(&s);
	metrics_render(&count, &s);
	out_str(o, "Content-Type: " METRICS_CONTENT_TYPE "\r\n"
		   "Cache-Control: no-store\r\nContent-Length: ");
	out_u64(o, count.counted);
	out_str(o, "\r\n");
	resp_end(o, keep);
	if (!rp->head)
		metrics_render(o, &s);
}

void reply_send(struct out *o, const struct reply *rp, bool keep_alive)
{
	metrics_response(rp->status);
	resp_start(o, rp->status);
	switch (rp->kind) {
	case REPLY_TEXT:
		send_text(o, rp, keep_alive);
		return;
	case REPLY_FILE:
		send_file(o, rp, keep_alive);
		return;
	case REPLY_PAGE404:
		send_page404(o, rp, keep_alive);
		return;
	case REPLY_METRICS:
		send_metrics(o, rp, keep_alive);
		return;
	}
	httpd_bug("reply_send: unknown reply kind");
}
