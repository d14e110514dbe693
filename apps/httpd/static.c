/*
 * apps/httpd/static.c — the static site's handler (static.h has what it
 * answers).
 *
 * Every answer is built from parts prepared before the request came: the
 * packed files' header lines and bodies (site.h), constant strings, and
 * the request's own path. The header lines go to the response writer as
 * they are (http_header_lines) and the body is written from the table,
 * so a big file leaves without a copy. Nothing here allocates: the
 * handler's count in /metrics (weft_http_handler_allocs_total{handler=
 * "static"}) stays 0, and the tests hold it to that.
 */
#include "apps/httpd/static.h"

#include <string.h>

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

void static_send_file(struct http_response *w, const struct http_request *r,
		      const struct site_file *f, bool conditional)
{
	struct http_str inm;

	if (conditional && http_request_header(r, "If-None-Match", &inm) &&
	    etag_match(inm.ptr, inm.len, f->etag, f->etag_len)) {
		http_header_set(w, "ETag", f->etag);
		http_write_header(w, 304);
		return;
	}
	http_header_lines(w, f->headers, f->headers_len);
	if (r->method != HTTP_HEAD)
		http_write(w, f->body, f->size);
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
		http_error(w, 404, NULL); /* longer than any packed path */
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
		http_error(w, 404, NULL);
		return;
	}
	static_send_file(w, r, f, true);
}

struct http_handler static_handler = { "static", serve, NULL, 0, 0 };
