// host-test-sources: net/http/parse.c net/http/body.c net/http/path.c
/* Host unit tests for net/http/parse.c. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http/parse.h"
#include "tests/host/hosttest.h"

/* Requests are big (64 headers); keep them out of the test frames. */
static struct http_parser p, p2;
static struct http_req r, r2;
static char big[200 * 1024];

static const char host_line[] = "Host: example.com\r\n";

static bool span_is(struct http_span s, const char *str)
{
	return s.len == strlen(str) && memcmp(s.ptr, str, s.len) == 0;
}

/* Parse buf[0..len) in one call into p/r. */
static int parse_n(const char *buf, size_t len, size_t *consumed)
{
	http_parser_init(&p, &r);
	return http_parse(&p, &r, buf, len, consumed);
}

static int parse(const char *s)
{
	size_t used;
	int rc = parse_n(s, strlen(s), &used);

	if (rc == HTTP_DONE && used != strlen(s))
		ht_fail(__FILE__, __LINE__, "consumed %zu of %zu", used,
			strlen(s));
	return rc;
}

/* Parse buf[0..len) into p2/r2 one byte more per call, the bytes copied
 * to a fresh heap buffer of exactly that size each time (so ASan catches
 * a read past what was given, and pointers from an earlier call would
 * dangle). Returns the first result that is not HTTP_AGAIN. */
static int parse_bytewise(const char *buf, size_t len, size_t *consumed)
{
	char *copy = NULL;
	size_t n;
	int rc = HTTP_AGAIN;

	http_parser_init(&p2, &r2);
	*consumed = 0;
	for (n = 1; n <= len && rc == HTTP_AGAIN; n++) {
		free(copy);
		copy = malloc(n);
		memcpy(copy, buf, n);
		rc = http_parse(&p2, &r2, copy, n, consumed);
		if (rc == HTTP_AGAIN && *consumed != 0)
			ht_fail(__FILE__, __LINE__, "AGAIN consumed %zu",
				*consumed);
	}
	/* Leave r2's pointers aimed at the caller's bytes. */
	if (rc == HTTP_DONE)
		rc = http_parse(&p2, &r2, buf, len, consumed);
	free(copy);
	return rc;
}

static bool same_span(struct http_span a, struct http_span b)
{
	return a.off == b.off && a.len == b.len;
}

/* r and r2 hold the same request. */
static bool same_req(void)
{
	unsigned i;

	if (r.method != r2.method || r.version != r2.version ||
	    r.body != r2.body || r.content_length != r2.content_length ||
	    r.keep_alive != r2.keep_alive ||
	    r.host_present != r2.host_present ||
	    r.expect_continue != r2.expect_continue ||
	    r.nheaders != r2.nheaders || !same_span(r.target, r2.target) ||
	    !same_span(r.path, r2.path) || !same_span(r.query, r2.query) ||
	    !same_span(r.host, r2.host) ||
	    !same_span(r.if_none_match, r2.if_none_match) ||
	    !same_span(r.expect, r2.expect) ||
	    !same_span(r.method_name, r2.method_name))
		return false;
	for (i = 0; i < r.nheaders; i++)
		if (!same_span(r.headers[i].name, r2.headers[i].name) ||
		    !same_span(r.headers[i].value, r2.headers[i].value))
			return false;
	return true;
}

/* ---- Well-formed requests ---- */

HT_TEST(simple_get)
{
	HT_EQ(parse("GET /index.html?x=1&y HTTP/1.1\r\n"
		    "Host: example.com:8080\r\n"
		    "User-Agent: curl/7.88\r\n"
		    "Accept: */*\r\n\r\n"),
	      HTTP_DONE);
	HT_EQ(r.method, HTTP_GET);
	HT_CHECK(span_is(r.method_name, "GET"));
	HT_EQ(r.version, 11);
	HT_CHECK(span_is(r.target, "/index.html?x=1&y"));
	HT_CHECK(span_is(r.path, "/index.html"));
	HT_CHECK(span_is(r.query, "x=1&y"));
	HT_CHECK(span_is(r.host, "example.com:8080"));
	HT_CHECK(r.host_present);
	HT_CHECK(r.keep_alive);
	HT_EQ(r.body, HTTP_BODY_NONE);
	HT_EQ(r.nheaders, 3);
	HT_CHECK(span_is(r.headers[1].name, "User-Agent"));
	HT_CHECK(span_is(r.headers[1].value, "curl/7.88"));
	HT_CHECK(span_is(r.headers[2].value, "*/*"));
}

HT_TEST(head_and_other_known_methods)
{
	static const struct {
		const char *tok;
		enum http_method m;
	} t[] = {
		{ "HEAD", HTTP_HEAD },       { "POST", HTTP_POST },
		{ "PUT", HTTP_PUT },         { "DELETE", HTTP_DELETE },
		{ "OPTIONS", HTTP_OPTIONS }, { "PATCH", HTTP_PATCH },
		{ "TRACE", HTTP_TRACE },
	};
	char buf[128];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(buf, sizeof(buf), "%s /x HTTP/1.1\r\n%s\r\n", t[i].tok,
			 host_line);
		HT_EQ(parse(buf), HTTP_DONE);
		HT_EQ(r.method, t[i].m);
		HT_CHECK(span_is(r.path, "/x"));
	}
}

HT_TEST(http10_keep_alive_rules)
{
	HT_EQ(parse("GET / HTTP/1.0\r\n\r\n"), HTTP_DONE); /* no Host needed */
	HT_EQ(r.version, 10);
	HT_CHECK(!r.keep_alive);
	HT_CHECK(!r.host_present);
	HT_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"),
	      HTTP_DONE);
	HT_CHECK(r.keep_alive);
	HT_EQ(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
		    "Connection: close\r\n\r\n"),
	      HTTP_DONE);
	HT_CHECK(!r.keep_alive);
}

HT_TEST(http11_keep_alive_rules)
{
	HT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
	      HTTP_DONE);
	HT_CHECK(!r.keep_alive);
	HT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n"
		    "Connection: Upgrade ,  CLOSE\r\n\r\n"),
	      HTTP_DONE);
	HT_CHECK(!r.keep_alive);
	HT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n"),
	      HTTP_DONE);
	HT_CHECK(r.keep_alive);
	HT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_DONE);
	HT_CHECK(r.keep_alive);
}

HT_TEST(minor_versions_above_1_answer_as_1_1)
{
	HT_EQ(parse("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), HTTP_DONE);
	HT_EQ(r.version, 11);
	HT_EQ(parse("GET / HTTP/1.9\r\n\r\n"), HTTP_ERR_400); /* needs Host */
}

HT_TEST(values_trimmed_empty_values_and_utf8)
{
	HT_EQ(parse("GET / HTTP/1.1\r\nHost:a\r\nX-Empty:\r\nX-Sp: \t \r\n"
		    "X-Trim: \t v a l \t \r\n"
		    "X-Utf8: caf\xc3\xa9 \xe2\x82\xac\r\n\r\n"),
	      HTTP_DONE);
	HT_CHECK(span_is(r.host, "a"));
	HT_CHECK(span_is(r.headers[1].value, ""));
	HT_CHECK(span_is(r.headers[2].value, ""));
	HT_CHECK(span_is(r.headers[3].value, "v a l"));
	HT_CHECK(span_is(r.headers[4].value, "caf\xc3\xa9 \xe2\x82\xac"));
}

HT_TEST(parsed_values)
{
	HT_EQ(parse("POST /f HTTP/1.1\r\nhOsT: h\r\nContent-Length: 0042\r\n"
		    "If-None-Match: \"abc\"\r\nIf-None-Match: \"def\"\r\n"
		    "Expect: 100-Continue\r\n\r\n"),
	      HTTP_DONE);
	HT_EQ(r.body, HTTP_BODY_LENGTH);
	HT_EQ(r.content_length, 42);
	HT_CHECK(span_is(r.if_none_match, "\"abc\""));
	HT_CHECK(span_is(r.expect, "100-Continue"));
	HT_CHECK(r.expect_continue);
	HT_CHECK(span_is(*http_req_header(&r, "if-none-match"), "\"abc\""));
	HT_CHECK(span_is(*http_req_header(&r, "HOST"), "h"));
	HT_CHECK(http_req_header(&r, "hos") == NULL);
	HT_CHECK(http_req_header(&r, "X-None") == NULL);

	/* 1.0 ignores 100-continue (RFC 9110 10.1.1) */
	HT_EQ(parse("PUT /f HTTP/1.0\r\nExpect: 100-continue\r\n"
		    "Content-Length: 1\r\n\r\n"),
	      HTTP_DONE);
	HT_CHECK(!r.expect_continue);

	HT_EQ(parse("POST /f HTTP/1.1\r\nHost: h\r\n"
		    "Transfer-Encoding: CHUNKED\r\n\r\n"),
	      HTTP_DONE);
	HT_EQ(r.body, HTTP_BODY_CHUNKED);
	HT_EQ(parse("POST /f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,\r\n"
		    "Transfer-Encoding: , chunked ,\r\n\r\n"),
	      HTTP_DONE);
	HT_EQ(r.body, HTTP_BODY_CHUNKED);
	/* identical repeats of Content-Length are one value (RFC 9112 6.3) */
	HT_EQ(parse("POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n"
		    "Content-Length: 07\r\n\r\n"),
	      HTTP_DONE);
	HT_EQ(r.content_length, 7);
}

HT_TEST(target_forms)
{
	HT_EQ(parse("GET http://Example.COM:81/a/b?q=1 HTTP/1.1\r\n"
		    "Host: other\r\n\r\n"),
	      HTTP_DONE);
	HT_CHECK(span_is(r.host, "Example.COM:81"));
	HT_CHECK(span_is(r.path, "/a/b"));
	HT_CHECK(span_is(r.query, "q=1"));
	HT_EQ(parse("GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_DONE);
	HT_CHECK(span_is(r.path, ""));
	HT_EQ(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_DONE);
	HT_CHECK(span_is(r.path, "*"));
	HT_EQ(parse("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n"),
	      HTTP_DONE);
	HT_EQ(r.method, HTTP_CONNECT);
	HT_CHECK(span_is(r.host, "h:443"));
	HT_CHECK(span_is(r.path, ""));
	HT_EQ(parse("GET /?q HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_DONE);
	HT_CHECK(span_is(r.path, "/"));
	HT_CHECK(span_is(r.query, "q"));
	HT_EQ(parse("GET /%C3%A9t%C3%A9 HTTP/1.1\r\nHost: h\r\n\r\n"),
	      HTTP_DONE);
	HT_CHECK(span_is(r.path, "/%C3%A9t%C3%A9"));
}

HT_TEST(leading_empty_lines_are_skipped)
{
	HT_EQ(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_DONE);
	HT_EQ(r.target.off, 8);
	HT_CHECK(span_is(r.target, "/"));
}

HT_TEST(head_stops_at_the_empty_line)
{
	static const char req[] =
		"POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
		"hello\x01\x02 junk that is not HTTP";
	size_t used;

	HT_EQ(parse_n(req, sizeof(req) - 1, &used), HTTP_DONE);
	HT_EQ(used, strstr(req, "hello") - req);
}

/* ---- Incremental feeding ---- */

static const char *const feed_cases[] = {
	"GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\n"
	"User-Agent: t\r\nAccept: */*\r\nIf-None-Match: \"e1\"\r\n\r\n",
	"\r\nHEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"POST /f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	"Connection: close\r\nExpect: 100-continue\r\n\r\n",
	"GET http://h/p?q HTTP/1.1\r\nHost: h\r\nX:  a b  \r\n\r\n",
	/* errors too: the same error at the same byte */
	"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
	"BREW /pot HTTP/1.1\r\n\r\n",
	"GET / HTTP/3.0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	"Transfer-Encoding: chunked\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\n\r",
};

HT_TEST(byte_at_a_time_equals_whole)
{
	size_t i, used, used2;

	for (i = 0; i < sizeof(feed_cases) / sizeof(feed_cases[0]); i++) {
		const char *s = feed_cases[i];
		int rc = parse_n(s, strlen(s), &used);
		int rc2 = parse_bytewise(s, strlen(s), &used2);

		HT_EQ(rc, rc2);
		HT_EQ(used, used2);
		HT_EQ(p.pos, p2.pos);
		HT_CHECK(same_req());
		if (rc == HTTP_DONE)
			HT_CHECK(span_is(r2.path, "") ||
				 r2.path.ptr == s + r2.path.off);
	}
}

HT_TEST(buffer_may_move_between_calls)
{
	static const char req[] =
		"GET /moved HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n";
	char a[64], b[64];
	size_t used, half = 20;

	memcpy(a, req, half);
	memset(b, 'Z', sizeof(b));
	http_parser_init(&p, &r);
	HT_EQ(http_parse(&p, &r, a, half, &used), HTTP_AGAIN);
	memset(a, 'Z', sizeof(a)); /* the old bytes are gone */
	memcpy(b, req, sizeof(req) - 1);
	HT_EQ(http_parse(&p, &r, b, sizeof(req) - 1, &used), HTTP_DONE);
	HT_EQ(used, sizeof(req) - 1);
	HT_CHECK(r.path.ptr == b + 4);
	HT_CHECK(span_is(r.path, "/moved"));
	HT_CHECK(span_is(r.headers[1].value, "1"));
}

HT_TEST(done_and_errors_are_sticky)
{
	static const char ok[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET";
	size_t used;

	HT_EQ(parse_n(ok, sizeof(ok) - 1, &used), HTTP_DONE);
	HT_EQ(http_parse(&p, &r, ok, sizeof(ok) - 1, &used), HTTP_DONE);
	HT_EQ(used, sizeof(ok) - 4);
	HT_EQ(parse_n("GET / HTTP/1.1\r\nA B\r\n", 21, &used), HTTP_ERR_400);
	HT_EQ(used, 0);
	HT_EQ(http_parse(&p, &r, "GET / HTTP/1.1\r\nA: B\r\n", 22, &used),
	      HTTP_ERR_400);
}

HT_TEST(shorter_input_than_before_is_misuse)
{
	size_t used;

	HT_EQ(parse_n("GET / HT", 8, &used), HTTP_AGAIN);
	HT_EQ(http_parse(&p, &r, "GET / HT", 7, &used), HTTP_EINVAL);
}

/* 20 requests in one buffer, with bodies of both framings among them. */
HT_TEST(pipelined_20_in_one_buffer)
{
	size_t off = 0, n = 0, used, k;
	struct http_body b;
	struct http_span d;
	char want[32];
	int i, rc;

	for (i = 0; i < 20; i++) {
		if (i % 5 == 3)
			n += sprintf(big + n, "POST /r%d HTTP/1.1\r\nHost: h\r\n"
					      "Content-Length: 5\r\n\r\nhello",
				     i);
		else if (i % 5 == 4)
			n += sprintf(big + n, "POST /r%d HTTP/1.1\r\nHost: h\r\n"
					      "Transfer-Encoding: chunked\r\n\r\n"
					      "3\r\nabc\r\n0\r\n\r\n",
				     i);
		else
			n += sprintf(big + n, "GET /r%d HTTP/1.1\r\nHost: h\r\n\r\n",
				     i);
	}
	for (i = 0; i < 20; i++) {
		http_parser_init(&p, &r);
		HT_EQ(http_parse(&p, &r, big + off, n - off, &used), HTTP_DONE);
		snprintf(want, sizeof(want), "/r%d", i);
		HT_CHECK(span_is(r.path, want));
		HT_CHECK(r.path.ptr == big + off + (i % 5 > 2 ? 5 : 4));
		off += used;
		HT_EQ(http_body_init(&b, &r, 100), 0);
		k = 0;
		do {
			rc = http_body_read(&b, big + off, n - off, &used, &d);
			HT_CHECK(rc >= 0);
			HT_CHECK(d.ptr == big + off + d.off);
			k += d.len;
			off += used;
		} while (rc == HTTP_AGAIN);
		HT_EQ(k, i % 5 == 3 ? 5 : i % 5 == 4 ? 3 : 0);
	}
	HT_EQ(off, n);
}

/* ---- Errors ---- */

#define E(status, req) { status, req, sizeof(req) - 1 }

static const struct {
	int want;
	const char *req;
	size_t len;
} bad[] = {
	/* malformed request line */
	E(HTTP_ERR_400, "GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1 \r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET /  HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, " GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET /\r\n\r\n"),
	E(HTTP_ERR_400, "GET / http/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1x\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/11\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.10\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a\n\n"),
	E(HTTP_ERR_400, "\n"),
	E(HTTP_ERR_400, "G(T / HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET x HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET * HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET http:// HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n"),
	/* NUL bytes anywhere */
	E(HTTP_ERR_400, "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "G\0T / HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a\r\nX\0: ab\r\n\r\n"),
	E(HTTP_ERR_400, "\0"),
	/* bare CR, control bytes */
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a\r\n\rX: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\rHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n"),
	/* header syntax */
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\n\tHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a\r\nX-\"q\": 1\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a\r\nX\xc3\xa9: 1\r\n\r\n"),
	/* Host */
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
	E(HTTP_ERR_400, "GET / HTTP/1.0\r\nHost: a@b\r\n\r\n"),
	/* Content-Length */
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
			"Content-Length: 6\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\n"
			"Content-Length: 99999999999999999999999\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\n"
			"Content-Length: 18446744073709551617\r\n\r\n"),
	/* Transfer-Encoding */
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
			"Transfer-Encoding: chunked\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\n"
			"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\n"
			"Transfer-Encoding: gzip\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\n"
			"Transfer-Encoding: chunked, gzip\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\n"
			"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\n"
			"Transfer-Encoding: chunked, chunked\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\n"
			"Transfer-Encoding: \r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\n"
			"Transfer-Encoding: chunked;q=1\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.1\r\nHost: a\r\n"
			"Transfer-Encoding: \"chunked\"\r\n\r\n"),
	E(HTTP_ERR_400, "POST / HTTP/1.0\r\n"
			"Transfer-Encoding: chunked\r\n\r\n"),
	E(HTTP_ERR_501, "POST / HTTP/1.1\r\nHost: a\r\n"
			"Transfer-Encoding: gzip, chunked\r\n\r\n"),
	/* versions */
	E(HTTP_ERR_505, "GET / HTTP/2.0\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_505, "GET / HTTP/0.9\r\n\r\n"),
	E(HTTP_ERR_505, "GET / HTTP/9.9\r\n\r\n"),
	/* methods */
	E(HTTP_ERR_501, "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_501, "get / HTTP/1.1\r\nHost: a\r\n\r\n"),
	E(HTTP_ERR_501, "PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n"),
};

HT_TEST(every_error_status)
{
	size_t i, used, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = bad[i].len;
		if (parse_n(bad[i].req, len, &used) != bad[i].want)
			ht_fail(__FILE__, __LINE__, "case %zu (%.40s): got %d",
				i, bad[i].req,
				http_parse(&p, &r, bad[i].req, len, &used));
		HT_EQ(parse_bytewise(bad[i].req, len, &used), bad[i].want);
		HT_EQ(p2.pos, p.pos);
	}
}

HT_TEST(long_method_refused_early)
{
	size_t used;

	memset(big, 'A', 100000);
	HT_EQ(parse_n(big, 8, &used), HTTP_ERR_501);
	HT_EQ(parse_n(big, 7, &used), HTTP_AGAIN);
	HT_EQ(parse_n("OPTIONS", 7, &used), HTTP_AGAIN);
}

/* A 100 KB request line: refused (414) once the target passes the limit,
 * long before the line has all arrived. */
HT_TEST(huge_request_line_is_414_early)
{
	size_t n = 100 * 1024, fed, used;
	int rc = HTTP_AGAIN;

	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', n - 5);
	memcpy(big + n - 11, " HTTP/1.1\r\n", 11);
	http_parser_init(&p, &r);
	for (fed = 0; fed < n && rc == HTTP_AGAIN;) {
		fed += 512;
		rc = http_parse(&p, &r, big, fed < n ? fed : n, &used);
	}
	HT_EQ(rc, HTTP_ERR_414);
	HT_CHECK(fed <= 4 + HTTP_MAX_URI + 512);
	HT_EQ(p.pos, 4 + HTTP_MAX_URI);

	/* exactly at the limit is fine */
	n = sprintf(big, "GET /");
	memset(big + n, 'b', HTTP_MAX_URI - 1);
	n += HTTP_MAX_URI - 1;
	n += sprintf(big + n, " HTTP/1.1\r\nHost: a\r\n\r\n");
	HT_EQ(parse_n(big, n, &used), HTTP_DONE);
	HT_EQ(r.target.len, HTTP_MAX_URI);
}

/* 1,000 headers: refused (431) at the first byte of the 65th. */
HT_TEST(thousand_headers_is_431_early)
{
	size_t n, at65 = 0, used;
	int i;

	n = sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 1; i < 1000; i++) {
		if (i == HTTP_MAX_HEADERS)
			at65 = n;
		n += sprintf(big + n, "X-%d: %d\r\n", i, i);
	}
	n += sprintf(big + n, "\r\n");
	HT_EQ(parse_n(big, n, &used), HTTP_ERR_431);
	HT_EQ(parse_n(big, at65, &used), HTTP_AGAIN);
	HT_EQ(r.nheaders, HTTP_MAX_HEADERS);
	HT_EQ(parse_n(big, at65 + 1, &used), HTTP_ERR_431);

	/* exactly HTTP_MAX_HEADERS is fine */
	memcpy(big + at65, "\r\n", 2);
	HT_EQ(parse_n(big, at65 + 2, &used), HTTP_DONE);
	HT_EQ(r.nheaders, HTTP_MAX_HEADERS);
	HT_CHECK(span_is(r.headers[63].name, "X-63"));
}

HT_TEST(head_larger_than_limit_is_431)
{
	size_t n, used;

	n = sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(big + n, 'v', 20000);
	memcpy(big + n + 20000, "\r\n\r\n", 4);
	HT_EQ(parse_n(big, n + 20004, &used), HTTP_ERR_431);
	HT_EQ(p.pos, HTTP_MAX_HEAD);

	/* a head of exactly HTTP_MAX_HEAD bytes passes */
	memcpy(big + HTTP_MAX_HEAD - 4, "\r\n\r\n", 4);
	HT_EQ(parse_n(big, HTTP_MAX_HEAD, &used), HTTP_DONE);
	HT_EQ(used, HTTP_MAX_HEAD);

	/* so do empty lines before the request line, up to the limit */
	memset(big, 0, HTTP_MAX_HEAD + 2);
	for (n = 0; n < HTTP_MAX_HEAD + 2; n += 2)
		memcpy(big + n, "\r\n", 2);
	HT_EQ(parse_n(big, n, &used), HTTP_ERR_431);
}

/* ---- Bodies ---- */

static const char chunked_body[] =
	"5\r\nhello\r\n"
	"6;name=value;q=\"a b\"\r\n world\r\n"
	"00000000000000000000001 \t;x\r\n!\r\n"
	"A\r\n0123456789\r\n"
	"0\r\nTrailer-One: x\r\nTrailer-Two:\r\n\r\n";
static const char chunked_data[] = "hello world!0123456789";

/* Decode buf[0..len) handed over in pieces ending at cuts[0..ncuts), then
 * the rest; append data to out. Returns the last result; *used = bytes
 * consumed in all. */
static int chunked_pieces(const char *buf, size_t len, const size_t *cuts,
			  int ncuts, char *out, size_t *outlen, size_t *used,
			  uint64_t limit)
{
	struct http_chunked c;
	struct http_span d;
	size_t off = 0, end, n;
	int k, rc = HTTP_AGAIN;

	http_chunked_init(&c, limit);
	*outlen = 0;
	for (k = 0; k <= ncuts && rc == HTTP_AGAIN; k++) {
		end = k < ncuts ? cuts[k] : len;
		/* within a piece, call until all of it is used */
		while (rc == HTTP_AGAIN && off < end) {
			rc = http_chunked_decode(&c, buf + off, end - off, &n,
						 &d);
			if (rc < 0)
				break;
			if (n == 0 && rc == HTTP_AGAIN)
				ht_fail(__FILE__, __LINE__, "no progress");
			if (d.len) {
				if (d.off + d.len > n)
					ht_fail(__FILE__, __LINE__, "data past used");
				memcpy(out + *outlen, buf + off + d.off, d.len);
				*outlen += d.len;
			}
			off += n;
		}
	}
	*used = off;
	return rc;
}

HT_TEST(chunked_split_at_every_boundary)
{
	char tail[sizeof(chunked_body) + 8], out[64];
	size_t len = sizeof(chunked_body) - 1, i, j, outlen, used;
	size_t cuts[2];

	/* something pipelined after the body must not be touched */
	snprintf(tail, sizeof(tail), "%sGET", chunked_body);
	HT_EQ(chunked_pieces(tail, len + 3, NULL, 0, out, &outlen, &used, 100),
	      HTTP_DONE);
	HT_EQ(used, len);
	HT_EQ(outlen, strlen(chunked_data));
	HT_CHECK(memcmp(out, chunked_data, outlen) == 0);

	for (i = 0; i <= len; i++)
		for (j = i; j <= len; j++) {
			cuts[0] = i;
			cuts[1] = j;
			HT_EQ(chunked_pieces(tail, len + 3, cuts, 2, out, &outlen,
					     &used, 100),
			      HTTP_DONE);
			HT_EQ(used, len);
			HT_EQ(outlen, strlen(chunked_data));
			HT_CHECK(memcmp(out, chunked_data, outlen) == 0);
		}
}

HT_TEST(chunked_byte_at_a_time)
{
	size_t len = sizeof(chunked_body) - 1, cuts[sizeof(chunked_body)];
	size_t i, outlen, used;
	char out[64];

	for (i = 0; i < len; i++)
		cuts[i] = i + 1;
	HT_EQ(chunked_pieces(chunked_body, len, cuts, (int)len, out, &outlen,
			     &used, 100),
	      HTTP_DONE);
	HT_EQ(used, len);
	HT_EQ(outlen, strlen(chunked_data));
}

static int chunked_whole(const char *s, uint64_t limit, size_t *used)
{
	static char out[4096];
	size_t outlen;

	return chunked_pieces(s, strlen(s), NULL, 0, out, &outlen, used,
			      limit);
}

HT_TEST(chunked_errors)
{
	size_t used;

	HT_EQ(chunked_whole("0\r\n\r\n", 0, &used), HTTP_DONE);
	HT_EQ(chunked_whole("FFFFFFFFFFFFFFFF\r\n", ~0ull, &used), HTTP_AGAIN);
	HT_EQ(chunked_whole("10000000000000000\r\n", ~0ull, &used),
	      HTTP_ERR_400); /* 2^64 */
	HT_EQ(chunked_whole("x\r\n", 100, &used), HTTP_ERR_400);
	HT_EQ(chunked_whole("\r\n", 100, &used), HTTP_ERR_400);
	HT_EQ(chunked_whole("-1\r\n", 100, &used), HTTP_ERR_400);
	HT_EQ(chunked_whole("5 x\r\n", 100, &used), HTTP_ERR_400);
	HT_EQ(chunked_whole("5\n", 100, &used), HTTP_ERR_400);
	HT_EQ(chunked_whole("5\r\nhelloX\r\n", 100, &used), HTTP_ERR_400);
	HT_EQ(chunked_whole("5\r\nhello\rX", 100, &used), HTTP_ERR_400);
	HT_EQ(chunked_whole("5;a\x01\r\n", 100, &used), HTTP_ERR_400);
	HT_EQ(chunked_whole("0\r\nX : y\r\n\r\n", 100, &used), HTTP_ERR_400);
	HT_EQ(chunked_whole("0\r\nX: y\r\n z\r\n\r\n", 100, &used),
	      HTTP_ERR_400);
	HT_EQ(chunked_whole("0\r\nX: y\n\r\n", 100, &used), HTTP_ERR_400);
	HT_EQ(chunked_whole("0\r\n\rx", 100, &used), HTTP_ERR_400);

	/* 413 on the size line, before the data is there */
	HT_EQ(chunked_whole("11\r\n", 16, &used), HTTP_ERR_413);
	HT_EQ(chunked_whole("10\r\n", 16, &used), HTTP_AGAIN);
	HT_EQ(chunked_whole("8\r\n12345678\r\n9\r\n", 16, &used),
	      HTTP_ERR_413);
	HT_EQ(chunked_whole("8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n", 16,
			    &used),
	      HTTP_DONE);

	/* overlong extensions and trailers */
	memset(big, 0, 3 * HTTP_MAX_HEAD);
	strcpy(big, "1;");
	memset(big + 2, 'e', HTTP_CHUNK_LINE_MAX);
	HT_EQ(chunked_whole(big, 100, &used), HTTP_ERR_400);
	strcpy(big, "0\r\nX: ");
	memset(big + 6, 't', 2 * HTTP_MAX_HEAD);
	HT_EQ(chunked_whole(big, 100, &used), HTTP_ERR_431);
}

HT_TEST(chunked_results_are_sticky)
{
	struct http_chunked c;
	struct http_span d;
	size_t used;

	http_chunked_init(&c, 10);
	HT_EQ(http_chunked_decode(&c, "0\r\n\r\nxx", 7, &used, &d), HTTP_DONE);
	HT_EQ(used, 5);
	HT_EQ(http_chunked_decode(&c, "xx", 2, &used, &d), HTTP_DONE);
	HT_EQ(used, 0);
	http_chunked_init(&c, 10);
	HT_EQ(http_chunked_decode(&c, "z", 1, &used, &d), HTTP_ERR_400);
	HT_EQ(http_chunked_decode(&c, "0\r\n\r\n", 5, &used, &d),
	      HTTP_ERR_400);
}

HT_TEST(content_length_body_bookkeeping)
{
	struct http_body b;
	struct http_span d;
	size_t used;

	HT_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"),
	      HTTP_DONE);
	HT_EQ(http_body_init(&b, &r, 9), HTTP_ERR_413);
	HT_EQ(http_body_init(&b, &r, 10), 0);
	HT_EQ(http_body_read(&b, "0123", 4, &used, &d), HTTP_AGAIN);
	HT_EQ(used, 4);
	HT_EQ(d.len, 4);
	HT_EQ(http_body_read(&b, "", 0, &used, &d), HTTP_AGAIN);
	HT_EQ(used, 0);
	HT_EQ(http_body_read(&b, "456789GET /", 11, &used, &d), HTTP_DONE);
	HT_EQ(used, 6);
	HT_CHECK(span_is(d, "456789"));
	HT_EQ(http_body_read(&b, "GET /", 5, &used, &d), HTTP_DONE);
	HT_EQ(used, 0);

	HT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_DONE);
	HT_EQ(http_body_init(&b, &r, 0), 0);
	HT_EQ(http_body_read(&b, "GET /", 5, &used, &d), HTTP_DONE);
	HT_EQ(used, 0);
	HT_EQ(d.len, 0);

	HT_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"),
	      HTTP_DONE);
	HT_EQ(http_body_init(&b, &r, 0), 0);
	HT_EQ(http_body_read(&b, "GET /", 5, &used, &d), HTTP_DONE);
	HT_EQ(used, 0);
}

/* ---- Paths ---- */

static char pathbuf[HTTP_MAX_URI + 1];

/* Normalized form of s, or "E<status>" for an error. */
static const char *norm(const char *s)
{
	static char msg[16];
	int n = http_path_normalize(s, strlen(s), pathbuf, sizeof(pathbuf));

	if (n < 0) {
		snprintf(msg, sizeof(msg), "E%d", -n);
		return msg;
	}
	if ((size_t)n != strlen(pathbuf))
		ht_fail(__FILE__, __LINE__, "length %d for \"%s\"", n, pathbuf);
	return pathbuf;
}

HT_TEST(path_plain_and_collapsed)
{
	HT_STREQ(norm(""), "/");
	HT_STREQ(norm("/"), "/");
	HT_STREQ(norm("/index.html"), "/index.html");
	HT_STREQ(norm("//x"), "/x");
	HT_STREQ(norm("///a//b///"), "/a/b/");
	HT_STREQ(norm("/a/b/"), "/a/b/");
	HT_STREQ(norm("/./a/."), "/a/");
	HT_STREQ(norm("/a/./b"), "/a/b");
	HT_STREQ(norm("/a/.."), "/");
	HT_STREQ(norm("/a/b/../c"), "/a/c");
	HT_STREQ(norm("/a/../b"), "/b");
	HT_STREQ(norm("/a/b/../../c/"), "/c/");
	HT_STREQ(norm("/..."), "/...");
	HT_STREQ(norm("/.a/..b/a.."), "/.a/..b/a..");
	HT_STREQ(norm("/a?b"), "/a?b"); /* the caller passes the path only */
}

HT_TEST(path_traversal_refused)
{
	HT_STREQ(norm("/.."), "E400");
	HT_STREQ(norm("/../etc/passwd"), "E400");
	HT_STREQ(norm("/%2e%2e/"), "E400");
	HT_STREQ(norm("/%2E%2e/etc"), "E400");
	HT_STREQ(norm("/.%2e/x"), "E400");
	HT_STREQ(norm("/a/../../b"), "E400");
	HT_STREQ(norm("/a/b/../../.."), "E400");
	HT_STREQ(norm("/a%2F..%2F..%2Fetc"), "E400");
	HT_STREQ(norm("/./../x"), "E400");
	HT_STREQ(norm("//../x"), "E400");
	/* an encoded slash is a slash: decoded before segments are resolved */
	HT_STREQ(norm("/a%2Fb"), "/a/b");
	HT_STREQ(norm("/a%2f..%2fb"), "/b");
}

HT_TEST(path_bad_bytes_and_escapes)
{
	HT_STREQ(norm("/%00"), "E400");
	HT_STREQ(norm("/index.html%00.png"), "E400");
	HT_STREQ(norm("/a\\b"), "E400");
	HT_STREQ(norm("/..\\..\\windows"), "E400");
	HT_STREQ(norm("/%5c..%5c"), "E400");
	HT_STREQ(norm("/%0d%0aSet-Cookie:x"), "E400");
	HT_STREQ(norm("/%7f"), "E400");
	HT_STREQ(norm("/%"), "E400");
	HT_STREQ(norm("/%4"), "E400");
	HT_STREQ(norm("/%zz"), "E400");
	HT_STREQ(norm("/%g0"), "E400");
	HT_STREQ(norm("/%%41"), "E400");
	HT_STREQ(norm("a"), "E400");
	HT_STREQ(norm("%2Fa"), "E400");
	HT_STREQ(norm("*"), "E400");
}

HT_TEST(path_percent_and_unicode)
{
	HT_STREQ(norm("/%41%62c"), "/Abc");
	HT_STREQ(norm("/caf%C3%A9.html"), "/caf\xc3\xa9.html");
	HT_STREQ(norm("/%e2%82%ac/%F0%9F%98%80"), "/\xe2\x82\xac/\xf0\x9f\x98\x80");
	HT_STREQ(norm("/caf\xc3\xa9"), "/caf\xc3\xa9");
	HT_STREQ(norm("/%20a%20"), "/ a ");
	HT_STREQ(norm("/%25"), "/%");
	HT_STREQ(norm("/%25%32%65%25%32%65"), "/%2e%2e"); /* decoded once */
}

HT_TEST(path_output_size)
{
	char out[8];

	HT_EQ(http_path_normalize("/abcdef", 7, out, 8), 7);
	HT_EQ(http_path_normalize("/abcdefg", 8, out, 8), HTTP_ERR_414);
	HT_EQ(http_path_normalize("/abcdefg", 8, out, 8), HTTP_ERR_414);
	HT_EQ(http_path_normalize("/%41%42%43%44%45%46%47", 22, out, 8),
	      HTTP_ERR_414);
	HT_EQ(http_path_normalize("/%41%42%43%44%45%46", 19, out, 8), 7);
	HT_STREQ(out, "/ABCDEF");
	HT_EQ(http_path_normalize("", 0, out, 2), 1);
	HT_EQ(http_path_normalize("", 0, out, 1), HTTP_ERR_414);
	HT_EQ(http_path_normalize("/a", 2, out, 3), 2);
	HT_STREQ(out, "/a");
}
