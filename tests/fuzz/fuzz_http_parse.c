/*
 * libFuzzer target for net/http/parse.c (host build; see run.sh).
 *
 * Each input is used four ways:
 *   1. as a request head, fed whole, then split in two at a point derived
 *      from the data, then one byte more per call: the three must agree
 *      on the result, on `consumed` and on every span;
 *   2. after a head parsed to HTTP_DONE, the bytes after it as that
 *      request's body (http_body_*), whole and split, which must agree;
 *   3. the whole input as a chunked body, whole, split and byte by byte;
 *   4. the whole input, and a parsed request's path, as a path for
 *      http_path_normalize.
 * Pieces are copied into heap buffers of exactly their size, so that
 * AddressSanitizer catches any read past what a call was given. A broken
 * invariant abort()s with a message on stderr.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http/parse.h"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

static struct http_parser p1, p2, p3;
static struct http_req r1, r2, r3;

/* A split point in [0, n] that depends on every byte. */
static size_t split_point(const uint8_t *d, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ d[i]) * 16777619u;
	return n ? h % (n + 1) : 0;
}

static char *copy(const uint8_t *d, size_t n)
{
	char *c = malloc(n ? n : 1);

	CHECK(c != NULL);
	memcpy(c, d, n);
	return c;
}

static bool valid_result(int rc)
{
	switch (rc) {
	case HTTP_DONE: case HTTP_AGAIN: case HTTP_ERR_400: case HTTP_ERR_413:
	case HTTP_ERR_414: case HTTP_ERR_431: case HTTP_ERR_501:
	case HTTP_ERR_505:
		return true;
	}
	return false;
}

static void check_span(struct http_span s, const char *base, size_t head)
{
	CHECK((size_t)s.off + s.len <= head);
	CHECK(s.ptr == base + s.off);
}

static bool same_span(struct http_span a, struct http_span b)
{
	return a.off == b.off && a.len == b.len;
}

static void check_same_req(const struct http_req *a, const struct http_req *b)
{
	unsigned i;

	CHECK(a->method == b->method && a->version == b->version);
	CHECK(a->body == b->body && a->content_length == b->content_length);
	CHECK(a->keep_alive == b->keep_alive);
	CHECK(a->host_present == b->host_present);
	CHECK(a->expect_continue == b->expect_continue);
	CHECK(a->nheaders == b->nheaders);
	CHECK(same_span(a->method_name, b->method_name));
	CHECK(same_span(a->target, b->target) && same_span(a->path, b->path));
	CHECK(same_span(a->query, b->query) && same_span(a->host, b->host));
	CHECK(same_span(a->if_none_match, b->if_none_match));
	CHECK(same_span(a->expect, b->expect));
	for (i = 0; i < a->nheaders; i++) {
		CHECK(same_span(a->headers[i].name, b->headers[i].name));
		CHECK(same_span(a->headers[i].value, b->headers[i].value));
	}
}

/* Invariants of a request parsed to HTTP_DONE from base. */
static void check_done(const struct http_req *r, const char *base,
		       size_t head)
{
	unsigned i;

	CHECK(head > 0 && head <= HTTP_MAX_HEAD);
	CHECK(base[head - 1] == '\n');
	CHECK(r->method != HTTP_METHOD_UNKNOWN);
	CHECK(r->version == 10 || r->version == 11);
	CHECK(r->version == 10 || r->host_present);
	CHECK(r->nheaders <= HTTP_MAX_HEADERS);
	CHECK(r->target.len > 0 && r->target.len <= HTTP_MAX_URI);
	check_span(r->method_name, base, head);
	check_span(r->target, base, head);
	check_span(r->path, base, head);
	check_span(r->query, base, head);
	check_span(r->host, base, head);
	check_span(r->if_none_match, base, head);
	check_span(r->expect, base, head);
	for (i = 0; i < r->nheaders; i++) {
		const struct http_span *v;
		char name[64];

		if (r->headers[i].name.len < sizeof(name)) {
			memcpy(name, r->headers[i].name.ptr,
			       r->headers[i].name.len);
			name[r->headers[i].name.len] = '\0';
			v = http_req_header(r, name);
			CHECK(v != NULL && v >= &r->headers[0].value &&
			      v <= &r->headers[i].value);
		}
		check_span(r->headers[i].name, base, head);
		check_span(r->headers[i].value, base, head);
		CHECK(r->headers[i].name.len > 0);
		CHECK(memchr(r->headers[i].value.ptr, '\0',
			     r->headers[i].value.len) == NULL);
	}
	CHECK(r->path.len == 0 || (r->path.off >= r->target.off &&
				   r->path.off + r->path.len <=
					   r->target.off + r->target.len));
}

/* 1. The head, whole / split / byte by byte. Returns the head's length if
 * it parsed to HTTP_DONE, else 0. */
static size_t fuzz_head(const uint8_t *d, size_t n, const char *whole)
{
	size_t c1, c2, c3, k = split_point(d, n), i;
	int rc1, rc2, rc3 = HTTP_AGAIN;
	char *part;

	http_parser_init(&p1, &r1);
	rc1 = http_parse(&p1, &r1, whole, n, &c1);
	CHECK(valid_result(rc1) && rc1 != HTTP_ERR_413);
	CHECK(c1 <= n);
	CHECK(rc1 == HTTP_DONE || c1 == 0);
	CHECK(rc1 != HTTP_AGAIN || n <= HTTP_MAX_HEAD);
	if (rc1 == HTTP_DONE)
		check_done(&r1, whole, c1);
	/* DONE and errors are sticky */
	CHECK(http_parse(&p1, &r1, whole, n, &c2) == rc1 && c2 == c1);

	http_parser_init(&p2, &r2);
	part = copy(d, k);
	rc2 = http_parse(&p2, &r2, part, k, &c2);
	free(part);
	if (rc2 == HTTP_AGAIN) {
		part = copy(d, n);
		rc2 = http_parse(&p2, &r2, part, n, &c2);
		free(part);
	}
	CHECK(rc1 == rc2 && c1 == c2 && p1.pos == p2.pos);
	if (rc1 == HTTP_DONE)
		check_same_req(&r1, &r2);

	http_parser_init(&p3, &r3);
	for (i = 1; i <= n && rc3 == HTTP_AGAIN; i++)
		rc3 = http_parse(&p3, &r3, whole, i, &c3);
	if (n == 0)
		rc3 = http_parse(&p3, &r3, whole, 0, &c3);
	CHECK(rc1 == rc3 && p1.pos == p3.pos);
	if (rc1 == HTTP_DONE) {
		CHECK(c1 == c3);
		check_same_req(&r1, &r3);
	}
	return rc1 == HTTP_DONE ? c1 : 0;
}

/* Decode a body from d[0..n) handed over in two pieces cut at k: both
 * pieces are used up (calling again while a call leaves some over) unless
 * the body ends or fails; with no bytes at all it is called once. Data
 * goes to out, the bytes used to *used (on an error: those used by calls
 * before it); returns the result. */
static int body_pieces(struct http_body *b, const uint8_t *d, size_t n,
		       size_t k, uint8_t *out, size_t *outlen, size_t *used)
{
	size_t off = 0, end, c;
	struct http_span s;
	int rc = HTTP_AGAIN, piece, calls = 0;
	char *buf;

	*outlen = 0;
	for (piece = 0; piece < 2 && rc == HTTP_AGAIN; piece++) {
		end = piece == 0 ? k : n;
		while (rc == HTTP_AGAIN && (off < end || calls++ == 0)) {
			buf = copy(d + off, end - off);
			rc = http_body_read(b, buf, end - off, &c, &s);
			CHECK(valid_result(rc) && rc != HTTP_ERR_414 &&
			      rc != HTTP_ERR_501 && rc != HTTP_ERR_505);
			CHECK(c <= end - off);
			CHECK(s.ptr == buf + s.off);
			CHECK((size_t)s.off + s.len <= c);
			CHECK(rc != HTTP_AGAIN || c > 0 || off == end);
			CHECK(rc >= 0 || s.len == 0);
			memcpy(out + *outlen, d + off + s.off, s.len);
			*outlen += s.len;
			free(buf);
			if (rc >= 0)
				off += c;
		}
	}
	if (rc != HTTP_AGAIN) { /* sticky */
		buf = copy(d + off, n - off);
		CHECK(http_body_read(b, buf, n - off, &c, &s) == rc && c == 0);
		free(buf);
	}
	*used = off;
	return rc;
}

/* 2 and 3: a body, whole and split, and (chunked) byte by byte. */
static void fuzz_body(const struct http_req *r, const uint8_t *d, size_t n,
		      uint64_t limit)
{
	static uint8_t out1[1 << 20], out2[1 << 20];
	struct http_body b1, b2;
	size_t l1, l2, u1, u2, k = split_point(d, n), i;
	int rc1, rc2, init;

	init = http_body_init(&b1, r, limit);
	CHECK(init == 0 || init == HTTP_ERR_413);
	if (init != 0) {
		CHECK(r->body == HTTP_BODY_LENGTH && r->content_length > limit);
		return;
	}
	rc1 = body_pieces(&b1, d, n, n, out1, &l1, &u1);
	CHECK(l1 <= limit && u1 <= n);
	if (r->body == HTTP_BODY_LENGTH)
		CHECK(l1 == u1 && l1 == (n < r->content_length
						 ? n : r->content_length));
	if (r->body == HTTP_BODY_NONE)
		CHECK(rc1 == HTTP_DONE && u1 == 0);

	http_body_init(&b2, r, limit);
	rc2 = body_pieces(&b2, d, n, k, out2, &l2, &u2);
	CHECK(rc1 == rc2 && l1 == l2 && (rc1 < 0 || u1 == u2));
	CHECK(memcmp(out1, out2, l1) == 0);

	if (r->body != HTTP_BODY_CHUNKED || n > 4096)
		return;
	http_body_init(&b2, r, limit);
	l2 = 0;
	rc2 = HTTP_AGAIN;
	for (i = 0; i < n && rc2 == HTTP_AGAIN; i++) {
		size_t one;

		rc2 = body_pieces(&b2, d + i, 1, 1, out2 + l2, &one, &u2);
		l2 += one;
	}
	CHECK(rc1 == rc2 && l1 == l2 && memcmp(out1, out2, l1) == 0);
	CHECK(rc1 < 0 || u1 == i);
}

/* 4. The normalizer: the result's shape, and that it is a fixed point. */
static void fuzz_path(const char *in, size_t n)
{
	static char out[HTTP_MAX_HEAD + 2], again[HTTP_MAX_HEAD + 2];
	int rc, rc2;

	if (n > HTTP_MAX_HEAD)
		n = HTTP_MAX_HEAD;
	rc = http_path_normalize(in, n, out, sizeof(out));
	CHECK(rc == HTTP_ERR_400 || rc >= 1);
	if (rc < 0)
		return;
	CHECK((size_t)rc == strlen(out) && (size_t)rc <= (n ? n : 1));
	CHECK(out[0] == '/');
	CHECK(strstr(out, "//") == NULL && strchr(out, '\\') == NULL);
	CHECK(strstr(out, "/./") == NULL && strstr(out, "/../") == NULL);
	CHECK(strcmp(out + (rc >= 2 ? rc - 2 : 0), "/.") != 0);
	CHECK(rc < 3 || strcmp(out + rc - 3, "/..") != 0);
	for (int i = 0; i < rc; i++)
		CHECK((uint8_t)out[i] >= 0x20 && out[i] != 0x7f);
	/* normalizing again changes nothing, unless a '%' now decodes */
	if (strchr(out, '%') == NULL) {
		rc2 = http_path_normalize(out, (size_t)rc, again, sizeof(again));
		CHECK(rc2 == rc && memcmp(out, again, (size_t)rc) == 0);
	}
	/* a too-small buffer fails cleanly */
	rc2 = http_path_normalize(in, n, again, (size_t)rc);
	CHECK(rc2 == HTTP_ERR_414 || rc2 == rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_req chunked;
	char *whole = copy(data, size);
	size_t head = fuzz_head(data, size, whole);
	uint64_t limit = size ? data[size - 1] * 8u : 0;

	if (head) {
		static struct http_req r;

		r = r1;
		fuzz_body(&r, data + head, size - head, limit);
		fuzz_path(r.path.ptr, r.path.len);
	}
	chunked.body = HTTP_BODY_CHUNKED;
	fuzz_body(&chunked, data, size, limit);
	fuzz_path(whole, size);
	free(whole);
	return 0;
}
