/*
 * tests/guest/app_httptest.c — app=httptest, in the test kernel only: the
 * HTTP library's handler API with a real client (tests/e2e/httpapi.sh,
 * curl). It serves everything app=httpd serves (the same handlers,
 * apps/httpd/routes.h) plus two handlers that show what the static site
 * never does:
 *   /test/stream?n=N  N lines (default 5), each written and flushed on
 *                     its own, no length: chunked on HTTP/1.1, the body
 *                     ending with the connection on HTTP/1.0
 *   /test/echo        POST: reads the body (Content-Length or chunked,
 *                     under max_body) and answers with it, a length set,
 *                     and its size in X-Body-Bytes; GET and HEAD: 405
 * and prints "httptest: listening on port 80" once it serves.
 */
#include <stdio.h>
#include <string.h>
#include "apps/httpd/routes.h"
#include "net/conn.h"
#include "net/http/http.h"
#include "runtime/app.h"

static struct http_mux mux;
static struct http_server srv;

static unsigned query_n(const struct http_request *r, unsigned dflt)
{
	const char *q = r->query.ptr;
	size_t i, len = r->query.len;
	unsigned v = 0;

	if (len < 3 || memcmp(q, "n=", 2) != 0)
		return dflt;
	for (i = 2; i < len && q[i] >= '0' && q[i] <= '9' && v < 100000; i++)
		v = v * 10 + (unsigned)(q[i] - '0');
	return v;
}

static void stream(struct http_response *w, struct http_request *r,
		   void *arg)
{
	unsigned i, n = query_n(r, 5);
	char line[40];

	(void)arg;
	http_header_set(w, "Content-Type", "text/plain; charset=utf-8");
	for (i = 0; i < n; i++) {
		int len = snprintf(line, sizeof(line), "line %u of %u\n", i + 1, n);

		if (http_write(w, line, (size_t)len) < 0 || http_flush(w) < 0)
			return;
	}
}

/* The body, kept whole: a test handler may allocate (its count in
 * /metrics says so: weft_http_handler_allocs_total{handler="echo"}). */
static char body[64 << 10];

static void echo(struct http_response *w, struct http_request *r, void *arg)
{
	size_t len = 0;
	ssize_t n;
	char num[24];

	(void)arg;
	if (r->method != HTTP_POST && r->method != HTTP_PUT) {
		http_header_set(w, "Allow", "POST, PUT");
		http_error(w, 405, NULL);
		return;
	}
	/* One request at a time uses the buffer: tests send one. */
	while ((n = http_request_read(r, body + len, sizeof(body) - len)) > 0) {
		len += (size_t)n;
		if (len == sizeof(body)) {
			http_error(w, 413, NULL);
			return;
		}
	}
	if (n < 0) {
		http_error(w, (int)-n >= 400 ? (int)-n : 400, NULL);
		return;
	}
	snprintf(num, sizeof(num), "%zu", len);
	http_header_set(w, "Content-Type", "application/octet-stream");
	http_header_set(w, "X-Body-Bytes", num);
	http_set_content_length(w, len);
	http_write(w, body, len);
}

static struct http_handler stream_h = { "stream", stream, NULL, 0, 0 };
static struct http_handler echo_h = { "echo", echo, NULL, 0, 0 };

static void httptest_main(void)
{
	struct listener *l;
	int r;

	http_mux_init(&mux);
	http_server_init(&srv, &mux);
	srv.limits.max_body = sizeof(body) - 1;
	if ((r = httpd_routes(&mux)) < 0 ||
	    (r = http_handle(&mux, "/test/stream", &stream_h)) < 0 ||
	    (r = http_handle(&mux, "/test/echo", &echo_h)) < 0) {
		printf("httptest: cannot register handlers: %d\n", r);
		return;
	}
	r = net_listen(80, 64, &l);
	if (r < 0) {
		printf("httptest: cannot listen: %d\n", r);
		return;
	}
	printf("httptest: listening on port 80\n");
	r = http_serve(&srv, l);
	printf("httptest: serving stopped: %d\n", r);
}
APP("httptest", httptest_main);
