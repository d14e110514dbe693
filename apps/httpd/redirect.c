/*
 * apps/httpd/redirect.c — http_redirect=on: plain HTTP answered with a
 * 301 to the same resource over HTTPS (nginx's `return 301
 * https://$host$request_uri`). The Location is built from the request's
 * Host (its port dropped: the HTTPS port replaces it) and the raw
 * target as sent, so nothing is decoded and re-encoded on the way.
 * Allocates nothing.
 */
#include <string.h>
#include "apps/httpd/https.h"

/* Host without its port: "a.b:80" -> "a.b", "[::1]:80" -> "[::1]". Its
 * length, or 0 if it is empty or not a name or address. */
static size_t host_name(const struct http_str *h)
{
	size_t n = h->len;

	if (n && h->ptr[0] == '[') {
		const char *e = memchr(h->ptr, ']', n);
		return e ? (size_t)(e - h->ptr) + 1 : 0;
	}
	const char *c = memchr(h->ptr, ':', n);
	if (c)
		n = (size_t)(c - h->ptr);
	for (size_t i = 0; i < n; i++) {
		char ch = h->ptr[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		      ch == '_'))
			return 0;
	}
	return n;
}

static char *put(char *o, const char *p, size_t n)
{
	memcpy(o, p, n);
	return o + n;
}

void httpd_redirect_serve(struct http_response *w, struct http_request *r,
			  void *arg)
{
	uint16_t port = *(const uint16_t *)arg;
	char loc[HTTP_MAX_URI + 300], *o = loc;
	size_t hn = host_name(&r->host);

	if (!hn || hn > 255) {
		http_error(w, 400, "a redirect to HTTPS needs a Host\n");
		return;
	}
	if (r->raw_path.len == 1 && r->raw_path.ptr[0] == '*') { /* OPTIONS * */
		http_error(w, 400, NULL);
		return;
	}
	if (r->raw_path.len + r->query.len + 2 > sizeof loc - 8 - 255 - 6) {
		http_error(w, 414, NULL);
		return;
	}
	o = put(o, "https://", 8);
	o = put(o, r->host.ptr, hn);
	if (port != 443) {	/* ":PORT" */
		char d[5];
		int nd = 0;
		for (unsigned v = port; v; v /= 10)
			d[nd++] = (char)('0' + v % 10);
		*o++ = ':';
		while (nd)
			*o++ = d[--nd];
	}
	/* The path as sent (empty: an absolute-form target without one) and
	 * the query as sent. */
	if (r->raw_path.len)
		o = put(o, r->raw_path.ptr, r->raw_path.len);
	else
		*o++ = '/';
	if (r->query.len) {
		*o++ = '?';
		o = put(o, r->query.ptr, r->query.len);
	}
	*o = 0;
	if (http_header_set(w, "Location", loc) < 0) {
		http_error(w, 400, NULL);
		return;
	}
	http_error(w, 301, "moved to HTTPS\n");
}
