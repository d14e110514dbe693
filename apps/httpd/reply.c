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

/*
 * Does the If-None-Match value v[0..n) match etag (quoted)? "*" matches
 * any file; otherwise v is a list of entity tags, compared weakly (RFC
 * 9110 13.1.2: W/"x" matches "x"). A malformed list matches nothing, so
 * the client gets the full answer.
 */
static bool etag_match(const char *v, size_t n, const char *etag,
		       size_t elen)
{
	size_t i = 0, b;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		if (i == n)
			break;
		if (v[i] == '*')
			return true;
		if (n - i > 2 && v[i] == 'W' && v[i + 1] == '/')
			i += 2;
		if (v[i] != '"')
			return false;
		b = i++;
		while (i < n && v[i] != '"')
			i++;
		if (i == n)
			return false;
		i++;
		if (i - b == elen && memcmp(v + b, etag, elen) == 0)
			return true;
	}
	return false;
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
		reply_status(rp, 404);
		return;
	}
	rp->kind = REPLY_FILE;
	rp->file = f;
	rp->status = 200;
	if (r->if_none_match.len &&
	    etag_match(r->if_none_match.ptr, r->if_none_match.len, f->etag,
		       f->etag_len))
		rp->status = 304;
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
		rp->status = 200;
		rp->kind = REPLY_FILE;
		rp->file = &site_status_page;
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

static void send_file(struct out *o, const struct reply *rp, bool keep)
{
	const struct site_file *f = rp->file;

	if (rp->status == 304) {
		out_str(o, "ETag: ");
		out_mem(o, f->etag, f->etag_len);
		out_str(o, "\r\n");
		resp_end(o, keep);
		return;
	}
	out_mem(o, f->headers, f->headers_len);
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
	case REPLY_METRICS:
		send_metrics(o, rp, keep_alive);
		return;
	}
	httpd_bug("reply_send: unknown reply kind");
}
