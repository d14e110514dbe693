// host-test-sources: net/http/client_parse.c
/* Host unit tests for the HTTP client's response parser
   (net/http/client_parse.c): heads, framing, the body decoder. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/http/client_parse.h"
#include "tests/host/hosttest.h"

static struct httpc_head H;

/* Parse the head at the start of s; its length must be all of s. */
static int parse(const char *s, bool head_req)
{
	size_t scan = 0;
	long n = httpc_head_end(s, strlen(s), &scan);
	if (n <= 0)
		return n == 0 ? -EAGAIN : (int)n;
	if ((size_t)n != strlen(s))
		ht_fail(__FILE__, __LINE__, "head end %ld, want %zu", n, strlen(s));
	return httpc_parse_head(s, (size_t)n, head_req, &H);
}

static bool span_is(const struct httpc_span *sp, const char *s)
{
	return sp && sp->len == strlen(s) && !memcmp(sp->ptr, s, sp->len);
}

/* Decode body bytes fed in pieces of `step`; collect data; return the
   decoder's last result and what was left over in *rest. */
static int decode(struct httpc_body *b, const char *in, size_t len, size_t step, char *out,
		  size_t *outlen, size_t *rest)
{
	size_t pos = 0, o = 0;
	int r = 0;
	while (pos < len) {
		size_t n = len - pos < step ? len - pos : step, used, off, dl;
		/* Feed at most n bytes; keep feeding what remains of them. */
		size_t fed = 0;
		while (fed < n) {
			r = httpc_body_decode(b, in + pos + fed, n - fed, &used, &off, &dl);
			if (r < 0)
				return r;
			memcpy(out + o, in + pos + fed + off, dl);
			o += dl;
			fed += used;
			if (r == 1)
				break;
			if (used == 0)
				ht_fail(__FILE__, __LINE__, "decoder used nothing of %zu bytes", n - fed);
		}
		pos += fed;
		if (r == 1)
			break;
	}
	*outlen = o;
	*rest = len - pos;
	return r;
}

HT_TEST(status_line_and_fields)
{
	HT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b c \r\n\r\n", false), 0);
	HT_EQ(H.version, 11);
	HT_EQ(H.status, 200);
	HT_CHECK(span_is(&H.reason, "OK"));
	HT_EQ(H.nheaders, 2);
	HT_CHECK(span_is(httpc_header_get(&H, "x-a"), "b c"));
	HT_CHECK(span_is(httpc_header_get(&H, "CONTENT-LENGTH"), "5"));
	HT_CHECK(httpc_header_get(&H, "x-b") == NULL);
	HT_EQ(H.framing, HTTPC_BODY_LENGTH);
	HT_EQ(H.content_length, 5);
	HT_CHECK(H.keep_alive);
	/* No reason phrase, bare LFs, 1.0. */
	HT_EQ(parse("HTTP/1.0 404\nContent-Length: 0\n\n", false), 0);
	HT_EQ(H.status, 404);
	HT_EQ(H.version, 10);
	HT_EQ(H.reason.len, 0);
	HT_EQ(H.framing, HTTPC_BODY_NONE);
	HT_CHECK(!H.keep_alive);
	HT_EQ(parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\n", false), 0);
	HT_CHECK(H.keep_alive);
	HT_EQ(parse("HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 1\r\n\r\n", false), 0);
	HT_CHECK(!H.keep_alive);
	HT_EQ(parse("HTTP/1.9 200 OK\r\nContent-Length: 1\r\n\r\n", false), 0);
	HT_EQ(H.version, 11);
}

HT_TEST(framing)
{
	HT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false), 0);
	HT_EQ(H.framing, HTTPC_BODY_CHUNKED);
	HT_CHECK(H.keep_alive);
	/* TE beats CL, and the connection is not reused. */
	HT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		    false), 0);
	HT_EQ(H.framing, HTTPC_BODY_CHUNKED);
	HT_CHECK(!H.keep_alive);
	HT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false), 0);
	HT_EQ(H.framing, HTTPC_BODY_CLOSE);
	HT_CHECK(!H.keep_alive);
	HT_EQ(parse("HTTP/1.1 200 OK\r\n\r\n", false), 0);
	HT_EQ(H.framing, HTTPC_BODY_CLOSE);
	HT_CHECK(!H.keep_alive);
	HT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true), 0);
	HT_EQ(H.framing, HTTPC_BODY_NONE);
	HT_EQ(H.content_length, 10);
	HT_CHECK(H.keep_alive);
	HT_EQ(parse("HTTP/1.1 204 No Content\r\n\r\n", false), 0);
	HT_EQ(H.framing, HTTPC_BODY_NONE);
	HT_CHECK(H.keep_alive);
	HT_EQ(parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", false), 0);
	HT_EQ(H.framing, HTTPC_BODY_NONE);
	HT_EQ(parse("HTTP/1.1 100 Continue\r\n\r\n", false), 0);
	HT_EQ(H.framing, HTTPC_BODY_NONE);
	/* Identical repeats of Content-Length are one. */
	HT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n", false), 0);
	HT_EQ(H.content_length, 4);
}

HT_TEST(malformed_heads)
{
	const char *bad[] = {
		"HTTP/2.0 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 099 OK\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nName : x\r\n\r\n",
		"HTTP/1.1 200 OK\r\n: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (parse(bad[i], false) != -EPROTO)
			ht_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
}

HT_TEST(head_end_and_limits)
{
	size_t scan = 0;
	const char *s = "HTTP/1.1 200 OK\r\nA: b\r\n\r\nBODY";
	/* Fed byte by byte, the end is found exactly once, at the right place. */
	long got = 0;
	for (size_t n = 1; n <= strlen(s); n++) {
		got = httpc_head_end(s, n, &scan);
		if (got)
			break;
	}
	HT_EQ(got, strlen(s) - 4);
	char big[HTTPC_MAX_HEAD + 10];
	memset(big, 'a', sizeof big);
	scan = 0;
	HT_EQ(httpc_head_end(big, sizeof big, &scan), -EMSGSIZE);
	/* Too many fields. */
	char many[HTTPC_MAX_HEAD];
	int o = snprintf(many, sizeof many, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i <= HTTPC_MAX_HEADERS; i++)
		o += snprintf(many + o, sizeof many - (size_t)o, "X%d: y\r\n", i);
	o += snprintf(many + o, sizeof many - (size_t)o, "\r\n");
	HT_EQ(parse(many, false), -EMSGSIZE);
	HT_CHECK(httpc_parse_head("HTTP/1.1 200 OK\r\n", 17, false, &H) == -EPROTO);
}

HT_TEST(body_length)
{
	HT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false), 0);
	struct httpc_body b;
	httpc_body_init(&b, &H);
	char out[64];
	size_t ol, rest;
	HT_EQ(decode(&b, "helloHTTP/1.1", 13, 2, out, &ol, &rest), 1);
	HT_EQ(ol, 5);
	HT_CHECK(!memcmp(out, "hello", 5));
	HT_EQ(rest, 8);			/* the next response is left alone */
	HT_EQ(httpc_body_eof(&b), 1);
	/* Cut short. */
	httpc_body_init(&b, &H);
	HT_EQ(decode(&b, "hel", 3, 3, out, &ol, &rest), 0);
	HT_EQ(httpc_body_eof(&b), -EPROTO);
}

HT_TEST(body_chunked)
{
	HT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false), 0);
	static const char in[] = "5;ext=\"x\"\r\nhello\r\nA\r\n0123456789\r\n"
				 "1\nz\n0\r\nTrailer: t\r\n\r\nNEXT";
	for (size_t step = 1; step <= sizeof in; step++) {
		struct httpc_body b;
		httpc_body_init(&b, &H);
		char out[64];
		size_t ol, rest;
		HT_EQ(decode(&b, in, sizeof in - 1, step, out, &ol, &rest), 1);
		HT_EQ(ol, 16);
		HT_CHECK(!memcmp(out, "hello0123456789z", 16));
		HT_EQ(rest, 4);
		HT_EQ(b.total, 16);
	}
	const char *bad[] = {
		"x\r\n", "\r\n", "5\r\nhelloX", "5\r\nhello\rX", "5\rX",
		"11111111111111111\r\n", "3\x01\r\n", "0\r\n\rX",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct httpc_body b;
		httpc_body_init(&b, &H);
		char out[64];
		size_t ol, rest;
		if (decode(&b, bad[i], strlen(bad[i]), 64, out, &ol, &rest) != -EPROTO)
			ht_fail(__FILE__, __LINE__, "chunked accepted: %s", bad[i]);
	}
	struct httpc_body b;
	httpc_body_init(&b, &H);
	char out[64];
	size_t ol, rest;
	HT_EQ(decode(&b, "5\r\nhel", 6, 64, out, &ol, &rest), 0);
	HT_EQ(httpc_body_eof(&b), -EPROTO);
}

HT_TEST(body_close_and_none)
{
	HT_EQ(parse("HTTP/1.0 200 OK\r\n\r\n", false), 0);
	struct httpc_body b;
	httpc_body_init(&b, &H);
	char out[64];
	size_t ol, rest;
	HT_EQ(decode(&b, "anything", 8, 3, out, &ol, &rest), 0);
	HT_EQ(ol, 8);
	HT_EQ(httpc_body_eof(&b), 1);
	HT_EQ(parse("HTTP/1.1 204 No Content\r\n\r\n", false), 0);
	httpc_body_init(&b, &H);
	size_t used, off, dl;
	HT_EQ(httpc_body_decode(&b, "x", 1, &used, &off, &dl), 1);
	HT_EQ(used, 0);
}

HT_TEST(tokens)
{
	struct httpc_span v = { "Keep-Alive , Upgrade,close", 26 };
	HT_CHECK(httpc_token_in(&v, "keep-alive"));
	HT_CHECK(httpc_token_in(&v, "upgrade"));
	HT_CHECK(httpc_token_in(&v, "close"));
	HT_CHECK(!httpc_token_in(&v, "clos"));
	HT_CHECK(!httpc_token_in(&v, "alive"));
}
