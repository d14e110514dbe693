// host-test-sources: net/http/server.c net/http/request.c net/http/response.c net/http/out.c net/http/mux.c net/http/stats.c net/http/latency.c net/http/parse.c net/http/body.c net/http/path.c
/*
 * Host unit tests for the HTTP library's handler API (net/http/http.h):
 * the mux's routing rules, the response writer (framing: length,
 * chunked, close-delimited, HEAD; flush; header calls; errors) and the
 * request body reader (Content-Length, chunked, the limit, 100-continue,
 * what a handler leaves unread). Each test serves a scripted connection
 * with test handlers and checks the exact bytes written back.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http/latency.h"
#include "net/http/server.h"
#include "tests/host/hosttest.h"

_Noreturn void http_bug(const char *what)
{
	ht_fail(__FILE__, __LINE__, "http_bug: %s", what);
}

/* ---- A scripted connection ---- */

static struct fake {
	const char *in;
	size_t inlen, off;
	size_t chunk;		/* most bytes per read; 0: all */
	bool timeout_at_end;	/* past the input: -ETIMEDOUT, not EOF */
	int writes;
	int fail_writes;	/* error every write from this many on */
	bool shut;
	size_t outlen;
	char out[1 << 20];
} F;

static uint64_t fake_now, fake_allocs;

static ssize_t fake_read(void *c, void *buf, size_t len)
{
	size_t n = F.inlen - F.off;

	(void)c;
	if (n == 0) {
		if (F.timeout_at_end)
			return -ETIMEDOUT;
		return 0;
	}
	if (n > len)
		n = len;
	if (F.chunk && n > F.chunk)
		n = F.chunk;
	memcpy(buf, F.in + F.off, n);
	F.off += n;
	return (ssize_t)n;
}

static ssize_t fake_write(void *c, const void *buf, size_t len)
{
	(void)c;
	HT_CHECK(!F.shut);
	F.writes++;
	if (F.fail_writes && F.writes >= F.fail_writes)
		return -ECONNRESET;
	HT_CHECK(F.outlen + len < sizeof(F.out));
	memcpy(F.out + F.outlen, buf, len);
	F.outlen += len;
	F.out[F.outlen] = '\0';
	return (ssize_t)len;
}

static int fake_shutdown(void *c)
{
	(void)c;
	F.shut = true;
	return 0;
}

static void fake_deadline(void *c, uint64_t d)
{
	(void)c;
	(void)d;
}

static const struct http_io fake_io = {
	.read = fake_read,
	.write = fake_write,
	.shutdown_write = fake_shutdown,
	.set_read_deadline = fake_deadline,
	.set_write_deadline = fake_deadline,
};

static uint64_t now_fn(void)
{
	return fake_now;
}

static uint64_t allocs_fn(void)
{
	return fake_allocs;
}

static unsigned cpu_fn(void)
{
	return 3;
}

static struct http_mux mux;
static struct http_server srv;
static bool end_with_timeout;	/* the next serve: -ETIMEDOUT past the input */

static enum http_end serve(const char *in, size_t len)
{
	memset(&F, 0, offsetof(struct fake, out));
	F.timeout_at_end = end_with_timeout;
	end_with_timeout = false;
	F.outlen = 0;
	F.out[0] = '\0';
	F.in = in;
	F.inlen = len;
	http_sys = (struct http_sys){ now_fn, allocs_fn,
				      784111777000000000ull, cpu_fn };
	http_server_init(&srv, &mux);
	srv.limits.max_body = 100;
	return http_serve_conn(&srv, &fake_io, &F);
}
#define SERVE(lit) serve(lit, sizeof(lit) - 1)

#define OUT_IS(exp) out_is(__FILE__, __LINE__, exp, sizeof(exp) - 1)
static void out_is(const char *file, int line, const char *exp, size_t len)
{
	size_t i = 0;

	while (i < len && i < F.outlen && F.out[i] == exp[i])
		i++;
	if (i == len && i == F.outlen)
		return;
	ht_fail(file, line,
		"output differs at byte %zu (got %zu bytes, want %zu):\n"
		"got:  \"%.*s\"\nwant: \"%.*s\"", i, F.outlen, len,
		(int)(F.outlen - i < 160 ? F.outlen - i : 160), F.out + i,
		(int)(len - i < 160 ? len - i : 160), exp + i);
}

#define RESP(status) "HTTP/1.1 " status "\r\nServer: weft\r\n" \
	"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
#define KA "Connection: keep-alive\r\n\r\n"
#define CLOSE "Connection: close\r\n\r\n"
#define GET(path) "GET " path " HTTP/1.1\r\nHost: w\r\n\r\n"

/* ---- Test handlers: each records what it saw ---- */

static struct seen {
	char path[64], query[64], body[512], hdr[64];
	size_t body_len;
	ssize_t last_rc;	/* last body read's result */
	int rcs[8];		/* results of writer calls, in order */
	int nrcs;
	size_t out_at_flush;	/* bytes written to the connection by then */
	const char *which;
} seen;

static void note(int rc)
{
	if (seen.nrcs < 8)
		seen.rcs[seen.nrcs++] = rc;
}

static void copy(char *dst, size_t cap, struct http_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	memcpy(dst, s.ptr, n);
	dst[n] = '\0';
}

static void h_name(struct http_response *w, struct http_request *r, void *arg)
{
	struct http_str v;

	seen.which = arg;
	copy(seen.path, sizeof(seen.path), r->path);
	copy(seen.query, sizeof(seen.query), r->query);
	if (http_request_header(r, "x-test", &v))
		copy(seen.hdr, sizeof(seen.hdr), v);
	http_header_set(w, "Content-Type", "text/plain");
	http_set_content_length(w, strlen(arg));
	http_write_str(w, arg);
}

/* Three writes, no length: chunked on 1.1. */
static void h_stream(struct http_response *w, struct http_request *r,
		     void *arg)
{
	(void)r;
	(void)arg;
	http_header_set(w, "Content-Type", "text/plain");
	note((int)http_write_str(w, "hello "));
	note(http_flush(w));
	seen.out_at_flush = F.outlen;
	note((int)http_write_str(w, "streaming "));
	note((int)http_write(w, "", 0)); /* no empty chunk: that would end it */
	note((int)http_write_str(w, "world\n"));
}

/* Reads the whole body in pieces of 7 and echoes its length. */
static void h_read(struct http_response *w, struct http_request *r,
		   void *arg)
{
	char buf[7];
	ssize_t n;

	(void)arg;
	seen.body_len = 0;
	while ((n = http_request_read(r, buf, sizeof(buf))) > 0) {
		HT_CHECK(seen.body_len + (size_t)n < sizeof(seen.body));
		memcpy(seen.body + seen.body_len, buf, (size_t)n);
		seen.body_len += (size_t)n;
	}
	seen.last_rc = n;
	if (n < 0)
		return; /* the library answers the error */
	http_header_set(w, "Content-Type", "text/plain");
	http_set_content_length(w, 2);
	http_write(w, "ok", 2);
}

/* Reads 3 bytes of the body and answers; the rest is the library's. */
static void h_read3(struct http_response *w, struct http_request *r,
		    void *arg)
{
	char buf[3];

	(void)arg;
	seen.last_rc = http_request_read(r, buf, sizeof(buf));
	http_set_content_length(w, 0);
}

/* Every misuse the writer must refuse. */
static void h_misuse(struct http_response *w, struct http_request *r,
		     void *arg)
{
	(void)r;
	(void)arg;
	note(http_header_set(w, "Bad Name", "x"));	   /* -EINVAL */
	note(http_header_set(w, "X-A", "line\r\nbreak")); /* -EINVAL */
	note(http_header_set(w, "Date", "today"));	   /* -EINVAL */
	note(http_write_header(w, 42));			   /* -EINVAL */
	note(http_error(w, 404, "gone\n"));		   /* 0 */
	note((int)http_write_str(w, "more"));		   /* -EPIPE */
	note(http_header_set(w, "X-B", "b"));		   /* -EPIPE */
	note(http_error(w, 500, NULL));			   /* -EPIPE */
}

static void h_length(struct http_response *w, struct http_request *r,
		     void *arg)
{
	(void)r;
	note(http_set_content_length(w, 4));
	note((int)http_write_str(w, "abc"));
	note((int)http_write_str(w, "de"));	/* past 4: -EMSGSIZE */
	note(http_header_set(w, "X-Late", "1")); /* -EALREADY */
	note(http_write_header(w, 200));	/* -EALREADY */
	if (arg)
		http_write_str(w, "d");		/* complete it */
}

static void h_headers(struct http_response *w, struct http_request *r,
		      void *arg)
{
	(void)r;
	(void)arg;
	http_header_add(w, "X-A", "1");
	http_header_add(w, "X-B", "2");
	http_header_add(w, "x-a", "3");
	http_header_set(w, "X-A", "4");	/* replaces the first, drops x-a */
	http_header_add(w, "X-C", "5");
	http_header_del(w, "X-B");
	http_header_set(w, "Connection", "close");
	http_write_header(w, 201);
}

/* Prepared lines with a Content-Length, scanned (arg NULL) or vouched
 * for (http_header_lines_sized): the same answer; lines not ending in
 * CRLF refused either way. */
static void h_lines(struct http_response *w, struct http_request *r,
		    void *arg)
{
	static const char lines[] = "X-A: 1\r\nContent-Length: 3\r\nX-B: 2\r\n";

	(void)r;
	if (arg) {
		note(http_header_lines_sized(w, "X-C: 3", 6, 3)); /* -EINVAL */
		note(http_header_lines_sized(w, lines, sizeof(lines) - 1, 3));
	} else {
		note(http_header_lines(w, "X-C: 3", 6)); /* -EINVAL */
		note(http_header_lines(w, lines, sizeof(lines) - 1));
	}
	note((int)http_write_str(w, "abc"));
	note((int)http_write_str(w, "d")); /* past the length: -EMSGSIZE */
}

static void h_nothing(struct http_response *w, struct http_request *r,
		      void *arg)
{
	(void)w;
	(void)r;
	(void)arg;
}

static void h_alloc(struct http_response *w, struct http_request *r,
		    void *arg)
{
	(void)r;
	(void)arg;
	fake_allocs += 2;
	http_set_content_length(w, 0);
}

static void h_fail_write(struct http_response *w, struct http_request *r,
			 void *arg)
{
	(void)r;
	(void)arg;
	F.fail_writes = F.writes + 1;
	note(http_flush(w));			/* -ECONNRESET */
	note((int)http_write_str(w, "x"));	/* the same, sticky */
}

static struct http_handler hx_root = { "root", h_name, "root", 0, 0 };
static struct http_handler hx_a = { "a", h_name, "a-prefix", 0, 0 };
static struct http_handler hx_ab = { "ab", h_name, "ab-prefix", 0, 0 };
static struct http_handler hx_exact = { "exact", h_name, "exact", 0, 0 };
static struct http_handler hx_dir = { "dir", h_name, "dir", 0, 0 };
static struct http_handler hx_stream = { "stream", h_stream, NULL, 0, 0 };
static struct http_handler hx_read = { "read", h_read, NULL, 0, 0 };
static struct http_handler hx_read3 = { "read3", h_read3, NULL, 0, 0 };
static struct http_handler hx_misuse = { "misuse", h_misuse, NULL, 0, 0 };
static struct http_handler hx_length = { "length", h_length, NULL, 0, 0 };
static struct http_handler hx_length_ok = { "length", h_length, "", 0, 0 };
static struct http_handler hx_headers = { "headers", h_headers, NULL, 0, 0 };
static struct http_handler hx_nothing = { "nothing", h_nothing, NULL, 0, 0 };
static struct http_handler hx_lines = { "lines", h_lines, NULL, 0, 0 };
static struct http_handler hx_lines_sized = { "lines", h_lines, "", 0, 0 };
static struct http_handler hx_alloc = { "alloc", h_alloc, NULL, 0, 0 };

/* Takes 300 us of the fake clock. */
static void h_slow(struct http_response *w, struct http_request *r, void *arg)
{
	(void)r;
	(void)arg;
	fake_now += 300000;
	http_error(w, 507, NULL);
}
static struct http_handler hx_slow = { "slow", h_slow, NULL, 0, 0 };
static struct http_handler hx_fail = { "fail", h_fail_write, NULL, 0, 0 };

__attribute__((constructor)) static void routes(void)
{
	http_mux_init(&mux);
	if (http_handle(&mux, "/", &hx_root) ||
	    http_handle(&mux, "/a/", &hx_a) ||
	    http_handle(&mux, "/a/b/", &hx_ab) ||
	    http_handle(&mux, "/a/b/exact", &hx_exact) ||
	    http_handle(&mux, "/dir/", &hx_dir) ||
	    http_handle(&mux, "/stream", &hx_stream) ||
	    http_handle(&mux, "/read", &hx_read) ||
	    http_handle(&mux, "/read3", &hx_read3) ||
	    http_handle(&mux, "/misuse", &hx_misuse) ||
	    http_handle(&mux, "/length", &hx_length) ||
	    http_handle(&mux, "/length-ok", &hx_length_ok) ||
	    http_handle(&mux, "/headers", &hx_headers) ||
	    http_handle(&mux, "/nothing", &hx_nothing) ||
	    http_handle(&mux, "/lines", &hx_lines) ||
	    http_handle(&mux, "/lines-sized", &hx_lines_sized) ||
	    http_handle(&mux, "/alloc", &hx_alloc) ||
	    http_handle(&mux, "/slow", &hx_slow) ||
	    http_handle(&mux, "/fail", &hx_fail))
		abort();
}

static void reset_seen(void)
{
	memset(&seen, 0, sizeof(seen));
}

/* ---- The mux ---- */

static const char *match(const char *path)
{
	bool redirect = false;
	struct http_handler *h = http_mux_match(&mux, path, strlen(path),
						&redirect);

	return redirect ? "redirect" : h ? h->name : "none";
}

HT_TEST(mux_exact_prefix_and_longest_match)
{
	HT_STREQ(match("/"), "root");
	HT_STREQ(match("/zzz"), "root");
	HT_STREQ(match("/a/"), "a");
	HT_STREQ(match("/a/x/y"), "a");
	HT_STREQ(match("/a/b/"), "ab");
	HT_STREQ(match("/a/b/c"), "ab");
	HT_STREQ(match("/a/b/exact"), "exact");
	HT_STREQ(match("/a/b/exactly"), "ab");	/* exact is exact */
	HT_STREQ(match("/stream"), "stream");
	HT_STREQ(match("/stream/x"), "root");	/* not a prefix pattern */
	HT_STREQ(match("/ab"), "root");
}

HT_TEST(mux_redirects_a_prefix_root_without_its_slash)
{
	HT_STREQ(match("/dir"), "redirect");
	HT_STREQ(match("/a/b"), "redirect");
	HT_STREQ(match("/a"), "redirect");
	HT_EQ(SERVE(GET("/dir?q")), HTTP_END_CLOSE);
	OUT_IS(RESP("301 Moved Permanently") "Location: /dir/\r\n"
	       "Content-Type: text/plain; charset=utf-8\r\n"
	       "Content-Length: 22\r\n" KA "301 Moved Permanently\n");
}

HT_TEST(mux_without_a_match_is_404)
{
	struct http_mux m;

	http_mux_init(&m);
	HT_CHECK(http_mux_match(&m, "/", 1, NULL) == NULL);
	HT_EQ(http_handle(&m, "/only", &hx_exact), 0);
	HT_CHECK(http_mux_match(&m, "/", 1, NULL) == NULL);
	HT_CHECK(http_mux_match(&m, "/only", 5, NULL) == &hx_exact);
}

HT_TEST(mux_refuses_bad_patterns)
{
	static struct http_mux m;
	static char pats[HTTP_MUX_MAX][16];
	int i;

	http_mux_init(&m);
	HT_EQ(http_handle(&m, "x", &hx_root), -EINVAL);
	HT_EQ(http_handle(&m, "", &hx_root), -EINVAL);
	HT_EQ(http_handle(&m, NULL, &hx_root), -EINVAL);
	HT_EQ(http_handle(&m, "/x", NULL), -EINVAL);
	HT_EQ(http_handle(&m, "/x", &hx_root), 0);
	HT_EQ(http_handle(&m, "/x", &hx_a), -EEXIST);
	for (i = 1; i < HTTP_MUX_MAX; i++) {
		snprintf(pats[i], sizeof(pats[i]), "/p%d", i);
		HT_EQ(http_handle(&m, pats[i], &hx_root), 0);
	}
	HT_EQ(http_handle(&m, "/full", &hx_root), -ENOSPC);
}

static void count_each(const struct http_handler *h, void *arg)
{
	(void)h;
	(*(int *)arg)++;
}

HT_TEST(mux_each_lists_a_handler_once)
{
	struct http_mux m;
	int n = 0;

	http_mux_init(&m);
	http_handle(&m, "/1", &hx_root);
	http_handle(&m, "/2", &hx_a);
	http_handle(&m, "/3", &hx_root);
	http_mux_each(&m, count_each, &n);
	HT_EQ(n, 2);
}

HT_TEST(request_path_query_and_headers)
{
	reset_seen();
	HT_EQ(SERVE("GET /a/%62/../x%20y?k=v&w HTTP/1.1\r\nHost: w\r\n"
		    "X-Test: hi there\r\n\r\n"),
	      HTTP_END_CLOSE);
	HT_STREQ(seen.which, "a-prefix");
	HT_STREQ(seen.path, "/a/x y");
	HT_STREQ(seen.query, "k=v&w");
	HT_STREQ(seen.hdr, "hi there");
	OUT_IS(RESP("200 OK") "Content-Type: text/plain\r\n"
	       "Content-Length: 8\r\n" KA "a-prefix");
	/* Unnormalizable: 400 before any handler. */
	reset_seen();
	HT_EQ(SERVE(GET("/a/../../x")), HTTP_END_CLOSE);
	HT_CHECK(seen.which == NULL);
	HT_CHECK(strstr(F.out, "HTTP/1.1 400 Bad Request\r\n") == F.out);
}

/* ---- The response writer ---- */

HT_TEST(writer_streams_chunked_on_http11)
{
	reset_seen();
	HT_EQ(SERVE(GET("/stream") GET("/stream")), HTTP_END_CLOSE);
#define STREAM_RESP RESP("200 OK") "Content-Type: text/plain\r\n" \
	"Transfer-Encoding: chunked\r\n" KA \
	"6\r\nhello \r\na\r\nstreaming \r\n6\r\nworld\n\r\n0\r\n\r\n"
	OUT_IS(STREAM_RESP STREAM_RESP);
	HT_EQ(seen.rcs[0], 6);
	HT_EQ(seen.rcs[1], 0);
	HT_EQ(seen.rcs[2], 10);
	HT_EQ(seen.rcs[3], 0);
	HT_EQ(seen.rcs[4], 6);
}

HT_TEST(writer_flush_sends_at_once)
{
	reset_seen();
	HT_EQ(SERVE(GET("/stream")), HTTP_END_CLOSE);
	/* The head and the first chunk were on the wire when the handler
	 * went on. */
	HT_EQ(seen.out_at_flush,
	      sizeof(RESP("200 OK") "Content-Type: text/plain\r\n"
			 "Transfer-Encoding: chunked\r\n" KA "6\r\nhello \r\n") - 1);
}

HT_TEST(writer_closes_the_body_on_http10)
{
	reset_seen();
	HT_EQ(SERVE("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
		    GET("/")),
	      HTTP_END_CLOSE);
	OUT_IS(RESP("200 OK") "Content-Type: text/plain\r\n" CLOSE
	       "hello streaming world\n");
	HT_EQ(F.shut, true); /* the body ended with the connection */
}

HT_TEST(writer_head_sends_no_body)
{
	reset_seen();
	HT_EQ(SERVE("HEAD /stream HTTP/1.1\r\nHost: w\r\n\r\n"
		    "HEAD /a/ HTTP/1.1\r\nHost: w\r\n\r\n"),
	      HTTP_END_CLOSE);
	OUT_IS(RESP("200 OK") "Content-Type: text/plain\r\n" KA
	       RESP("200 OK") "Content-Type: text/plain\r\n"
	       "Content-Length: 8\r\n" KA);
	HT_EQ(seen.rcs[0], 6); /* writes are taken and dropped */
	HT_EQ(seen.rcs[2], 10);
}

HT_TEST(writer_handler_writing_nothing_gets_length_0)
{
	HT_EQ(SERVE(GET("/nothing") GET("/nothing")), HTTP_END_CLOSE);
	OUT_IS(RESP("200 OK") "Content-Length: 0\r\n" KA
	       RESP("200 OK") "Content-Length: 0\r\n" KA);
}

HT_TEST(writer_header_set_add_del_and_close)
{
	HT_EQ(SERVE(GET("/headers") GET("/")), HTTP_END_CLOSE);
	OUT_IS(RESP("201 Created") "X-A: 4\r\nX-C: 5\r\n"
	       "Content-Length: 0\r\n" CLOSE);
	HT_EQ(F.shut, true);
}

HT_TEST(writer_refuses_misuse_and_writes_after_an_error)
{
	reset_seen();
	HT_EQ(SERVE(GET("/misuse") GET("/a/")), HTTP_END_CLOSE);
	OUT_IS(RESP("404 Not Found") "Content-Type: text/plain; charset=utf-8\r\n"
	       "Content-Length: 5\r\n" KA "gone\n"
	       RESP("200 OK") "Content-Type: text/plain\r\n"
	       "Content-Length: 8\r\n" KA "a-prefix");
	HT_EQ(seen.nrcs, 8);
	HT_EQ(seen.rcs[0], -EINVAL);
	HT_EQ(seen.rcs[1], -EINVAL);
	HT_EQ(seen.rcs[2], -EINVAL);
	HT_EQ(seen.rcs[3], -EINVAL);
	HT_EQ(seen.rcs[4], 0);
	HT_EQ(seen.rcs[5], -EPIPE);
	HT_EQ(seen.rcs[6], -EPIPE);
	HT_EQ(seen.rcs[7], -EPIPE);
}

HT_TEST(writer_prepared_lines_scanned_or_sized_say_the_same)
{
	static const char *const paths[] = { GET("/lines") GET("/"),
					     GET("/lines-sized") GET("/") };

	for (int i = 0; i < 2; i++) {
		reset_seen();
		HT_EQ(serve(paths[i], strlen(paths[i])), HTTP_END_CLOSE);
		OUT_IS(RESP("200 OK") "X-A: 1\r\nContent-Length: 3\r\nX-B: 2\r\n"
		       KA "abc" RESP("200 OK") "Content-Type: text/plain\r\n"
		       "Content-Length: 4\r\n" KA "root");
		HT_EQ(seen.nrcs, 4);
		HT_EQ(seen.rcs[0], -EINVAL);
		HT_EQ(seen.rcs[1], 0);
		HT_EQ(seen.rcs[2], 3);
		HT_EQ(seen.rcs[3], -EMSGSIZE);
	}
}

HT_TEST(writer_content_length_is_kept_to)
{
	reset_seen();
	/* 3 of 4 bytes, then a write past the length: refused, and the
	 * short response ends the connection. */
	HT_EQ(SERVE(GET("/length") GET("/")), HTTP_END_CLOSE);
	OUT_IS(RESP("200 OK") "Content-Length: 4\r\n" KA "abc");
	HT_EQ(seen.rcs[0], 0);
	HT_EQ(seen.rcs[1], 3);
	HT_EQ(seen.rcs[2], -EMSGSIZE);
	HT_EQ(seen.rcs[3], -EALREADY);
	HT_EQ(seen.rcs[4], -EALREADY);
	HT_EQ(F.shut, true);
	/* Completed: the connection goes on. */
	HT_EQ(SERVE(GET("/length-ok") GET("/nothing")), HTTP_END_CLOSE);
	OUT_IS(RESP("200 OK") "Content-Length: 4\r\n" KA "abcd"
	       RESP("200 OK") "Content-Length: 0\r\n" KA);
}

HT_TEST(writer_errors_are_sticky_and_abort)
{
	reset_seen();
	HT_EQ(SERVE(GET("/fail")), HTTP_END_ABORT);
	HT_EQ(seen.rcs[0], -ECONNRESET);
	HT_EQ(seen.rcs[1], -ECONNRESET);
}

HT_TEST(handler_allocations_are_counted_per_handler)
{
	uint64_t a0 = hx_alloc.allocs, r0 = hx_alloc.requests;
	uint64_t t0 = http_stats.request_allocs, s0 = hx_stream.allocs;

	HT_EQ(SERVE(GET("/alloc") GET("/alloc") GET("/stream")),
	      HTTP_END_CLOSE);
	HT_EQ(hx_alloc.requests - r0, 2);
	HT_EQ(hx_alloc.allocs - a0, 4);
	HT_EQ(hx_stream.allocs - s0, 0);
	HT_EQ(http_stats.request_allocs - t0, 4);
}

/* ---- The body reader ---- */

HT_TEST(body_content_length_in_pieces)
{
	static const char in[] =
		"POST /read HTTP/1.1\r\nHost: w\r\nContent-Length: 20\r\n\r\n"
		"abcdefghijklmnopqrst" GET("/nothing");

	reset_seen();
	HT_EQ(serve(in, sizeof(in) - 1), HTTP_END_CLOSE);
	HT_EQ(seen.body_len, 20);
	HT_EQ(memcmp(seen.body, "abcdefghijklmnopqrst", 20), 0);
	HT_EQ(seen.last_rc, 0);
	OUT_IS(RESP("200 OK") "Content-Type: text/plain\r\nContent-Length: 2\r\n" KA "ok"
	       RESP("200 OK") "Content-Length: 0\r\n" KA);
	/* The same a byte at a time. */
	reset_seen();
	memset(&F, 0, offsetof(struct fake, out));
	F.outlen = 0;
	F.in = in;
	F.inlen = sizeof(in) - 1;
	F.chunk = 1;
	HT_EQ(http_serve_conn(&srv, &fake_io, &F), HTTP_END_CLOSE);
	HT_EQ(seen.body_len, 20);
	HT_EQ(memcmp(seen.body, "abcdefghijklmnopqrst", 20), 0);
}

HT_TEST(body_chunked)
{
	static const char in[] =
		"POST /read HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5\r\nhello\r\n1;ext=1\r\n \r\nc\r\nchunked body\r\n0\r\n"
		"Trailer: x\r\n\r\n" GET("/nothing");

	reset_seen();
	HT_EQ(serve(in, sizeof(in) - 1), HTTP_END_CLOSE);
	HT_EQ(seen.body_len, 18);
	HT_EQ(memcmp(seen.body, "hello chunked body", 18), 0);
	OUT_IS(RESP("200 OK") "Content-Type: text/plain\r\nContent-Length: 2\r\n" KA "ok"
	       RESP("200 OK") "Content-Length: 0\r\n" KA);
}

HT_TEST(body_over_the_limit_is_413)
{
	static char in[512];
	int n;

	/* Known from the head: the handler never runs. */
	reset_seen();
	HT_EQ(SERVE("POST /read HTTP/1.1\r\nHost: w\r\nContent-Length: 101\r\n\r\n"),
	      HTTP_END_CLOSE);
	HT_EQ(seen.body_len, 0);
	HT_CHECK(strstr(F.out, "HTTP/1.1 413 Content Too Large\r\n") == F.out);
	HT_CHECK(strstr(F.out, CLOSE));
	/* Chunked past max_body (100): the handler's read says 413, the
	 * handler does not answer, the library does. */
	n = sprintf(in, "POST /read HTTP/1.1\r\nHost: w\r\n"
			"Transfer-Encoding: chunked\r\n\r\n32\r\n");
	memset(in + n, 'x', 50);
	n += 50;
	n += sprintf(in + n, "\r\n33\r\n");
	reset_seen();
	HT_EQ(serve(in, (size_t)n), HTTP_END_CLOSE);
	HT_EQ(seen.last_rc, -413);
	HT_EQ(seen.body_len, 50);
	HT_CHECK(strstr(F.out, "HTTP/1.1 413 Content Too Large\r\n") == F.out);
	HT_CHECK(strstr(F.out, CLOSE));
	HT_EQ(F.shut, true);
}

HT_TEST(body_left_unread_is_dropped_and_keep_alive_goes_on)
{
	static const char in[] =
		"POST /read3 HTTP/1.1\r\nHost: w\r\nContent-Length: 10\r\n\r\n"
		"0123456789"
		"POST /read3 HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\n\r\n"
		"4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n" GET("/nothing");

	reset_seen();
	HT_EQ(serve(in, sizeof(in) - 1), HTTP_END_CLOSE);
	HT_EQ(seen.last_rc, 3);
	OUT_IS(RESP("200 OK") "Content-Length: 0\r\n" KA
	       RESP("200 OK") "Content-Length: 0\r\n" KA
	       RESP("200 OK") "Content-Length: 0\r\n" KA);
	/* A bad chunk in what was left: the answer still in the buffer is
	 * replaced by the error's. */
	reset_seen();
	HT_EQ(SERVE("POST /read3 HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n4\r\nabcd\r\nzz\r\n"),
	      HTTP_END_CLOSE);
	HT_CHECK(strstr(F.out, "HTTP/1.1 400 Bad Request\r\n") == F.out);
	HT_CHECK(strstr(F.out, "200 OK") == NULL);
}

HT_TEST(body_expect_100_continue)
{
	reset_seen();
	HT_EQ(SERVE("POST /read HTTP/1.1\r\nHost: w\r\nContent-Length: 3\r\n"
		    "Expect: 100-continue\r\n\r\nabc" GET("/nothing")),
	      HTTP_END_CLOSE);
	/* The body was buffered already: no 100 needed, kept alive. */
	OUT_IS(RESP("200 OK") "Content-Type: text/plain\r\nContent-Length: 2\r\n" KA "ok"
	       RESP("200 OK") "Content-Length: 0\r\n" KA);
	/* The client waits: the first read sends 100, then reads on. */
	reset_seen();
	memset(&F, 0, offsetof(struct fake, out));
	F.outlen = 0;
	{
		static const char in[] =
			"POST /read HTTP/1.1\r\nHost: w\r\nContent-Length: 3\r\n"
			"Expect: 100-continue\r\n\r\n";
		static char both[256];
		size_t n = sizeof(in) - 1;

		memcpy(both, in, n);
		memcpy(both + n, "abc", 3);
		F.in = both;
		F.inlen = n + 3;
		F.chunk = n; /* the head, then the body in a read of its own */
	}
	HT_EQ(http_serve_conn(&srv, &fake_io, &F), HTTP_END_CLOSE);
	OUT_IS("HTTP/1.1 100 Continue\r\n\r\n"
	       RESP("200 OK") "Content-Type: text/plain\r\nContent-Length: 2\r\n" KA "ok");
	HT_EQ(seen.body_len, 3);
	/* A handler that does not read: no 100, and the connection closes
	 * (the body may or may not come). */
	HT_EQ(SERVE("POST /nothing HTTP/1.1\r\nHost: w\r\nContent-Length: 3\r\n"
		    "Expect: 100-continue\r\n\r\n"),
	      HTTP_END_CLOSE);
	OUT_IS(RESP("200 OK") "Content-Length: 0\r\n" CLOSE);
}

HT_TEST(body_too_slow_is_408_and_eof_ends)
{
	reset_seen();
	end_with_timeout = true;
	HT_EQ(SERVE("POST /read HTTP/1.1\r\nHost: w\r\nContent-Length: 9\r\n\r\nab"),
	      HTTP_END_CLOSE);
	HT_EQ(seen.last_rc, -408);
	HT_CHECK(strstr(F.out, "HTTP/1.1 408 Request Timeout\r\n") == F.out);
	HT_CHECK(strstr(F.out, CLOSE));
	/* EOF within the body: the handler is told, the connection ends
	 * without an answer (nobody is there to read it). */
	reset_seen();
	HT_EQ(SERVE("POST /read HTTP/1.1\r\nHost: w\r\nContent-Length: 9\r\n\r\nab"),
	      HTTP_END_CLOSE);
	HT_EQ(seen.last_rc, -ECONNRESET);
	HT_EQ(F.outlen, 0);
}

/* ---- The log hook ---- */

static struct {
	int n;
	int status[4];
	uint64_t bytes[4];
	char target[4][32];
	char ua[4][16];
	bool unparsed[4];
	uint64_t unix_ns[4];
} logged;

static void log_fn(const struct http_access *a, void *arg)
{
	struct http_str ua = { NULL, 0 };
	int i = logged.n++;

	HT_CHECK(arg == &logged && i < 4);
	logged.status[i] = a->status;
	logged.bytes[i] = a->bytes;
	logged.unparsed[i] = a->r->head == NULL;
	logged.unix_ns[i] = a->unix_ns;
	if (a->r->raw_path.ptr)
		copy(logged.target[i], sizeof logged.target[i], a->r->raw_path);
	if (a->r->head && http_request_header(a->r, "User-Agent", &ua))
		copy(logged.ua[i], sizeof logged.ua[i], ua);
}

HT_TEST(log_hook_sees_every_answer)
{
	static const char in[] =
		"GET /a/x?q=1 HTTP/1.1\r\nHost: w\r\nUser-Agent: t/1\r\n\r\n"
		"HEAD /stream HTTP/1.1\r\nHost: w\r\n\r\n"
		"POST /read HTTP/1.1\r\nHost: w\r\nContent-Length: 999\r\n\r\n"
		"BAD\r\n\r\n";

	HT_EQ(SERVE(""), HTTP_END_CLOSE); /* set up the fakes */
	memset(&logged, 0, sizeof(logged));
	F.in = in;
	F.inlen = sizeof(in) - 1;
	srv.log = log_fn;
	srv.log_arg = &logged;
	fake_now = 5000;
	http_serve_conn(&srv, &fake_io, &F);
	srv.log = NULL;
	HT_EQ(logged.n, 3); /* the 413 closes: "BAD" is never read */
	HT_EQ(logged.status[0], 200);
	HT_EQ(logged.bytes[0], 8); /* "a-prefix" */
	HT_STREQ(logged.target[0], "/a/x");
	HT_STREQ(logged.ua[0], "t/1");
	HT_EQ(logged.unix_ns[0], 784111777000000000ull + 5000);
	HT_EQ(logged.status[1], 200);
	HT_EQ(logged.bytes[1], 0); /* HEAD: nothing sent */
	HT_EQ(logged.status[2], 413);
	HT_CHECK(logged.unparsed[2]); /* answered before make_request */

	memset(&logged, 0, sizeof(logged));
	HT_EQ(SERVE(""), HTTP_END_CLOSE);
	F.in = "BAD\r\n\r\n";
	F.inlen = 7;
	srv.log = log_fn;
	srv.log_arg = &logged;
	http_serve_conn(&srv, &fake_io, &F);
	srv.log = NULL;
	HT_EQ(logged.n, 1);
	HT_EQ(logged.status[0], 400);
	HT_CHECK(logged.unparsed[0]);
	HT_STREQ(logged.target[0], "");
}

/* Every parsed request is timed into the latency histogram (latency.h),
   head to queued answer, and every answer counted by status class; a
   head that cannot be parsed is counted by class, not timed. */
HT_TEST(requests_are_timed_and_counted_by_class)
{
	struct http_latency a, b, d;
	uint64_t c2 = http_stats.classes[1], c4 = http_stats.classes[3];
	uint64_t c5 = http_stats.classes[4];

	http_latency_snapshot(&a);
	HT_EQ(SERVE(GET("/slow") GET("/a/x") "BAD\r\n\r\n"), HTTP_END_CLOSE);
	http_latency_snapshot(&b);
	http_latency_diff(&d, &b, &a);
	HT_EQ(http_latency_count(&d), 2);
	HT_EQ(d.bucket[http_latency_bucket(300000)], 1);
	HT_EQ(d.bucket[0], 1);
	HT_EQ(d.sum_ns, 300000);
	HT_EQ(http_stats.classes[1] - c2, 1);
	HT_EQ(http_stats.classes[3] - c4, 1);	/* the 400 */
	HT_EQ(http_stats.classes[4] - c5, 1);	/* the 507 */
}
