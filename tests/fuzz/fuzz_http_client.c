/*
 * libFuzzer target for the HTTP client's response parser
 * (net/http/client_parse.c; host build, see run.sh).
 *
 * The input is a server's byte stream. Its first byte picks the piece
 * size the stream is fed in (1-16 bytes, or all at once), the second
 * whether the request was HEAD. The head's end is searched for as the
 * pieces arrive (each call must agree with one over the whole prefix);
 * a head found is parsed; the rest is fed to the body decoder in pieces.
 * Invariants: no call reads outside what it was given (the input sits in
 * a heap block of exactly its size), a head's spans lie inside it, the
 * decoder consumes at least one byte per call until it finishes or
 * fails, its data lies within what it consumed, and a Content-Length
 * body never yields more than its length. A broken invariant abort()s.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/http/client_parse.h"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

static void span_in(const struct httpc_span *s, const char *buf, size_t len)
{
	CHECK(s->ptr >= buf && s->ptr + s->len <= buf + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t step = data[0] % 17 ? data[0] % 17 : SIZE_MAX;
	bool head_req = data[1] & 1;
	size -= 2;
	char *buf = malloc(size ? size : 1);
	memcpy(buf, data + 2, size);

	size_t scan = 0, have = 0;
	long hl = 0;
	while (have < size) {
		have = size - have < step ? size : have + step;
		hl = httpc_head_end(buf, have, &scan);
		if (hl != 0)
			break;
	}
	if (hl > 0) {
		size_t s2 = 0;
		CHECK(httpc_head_end(buf, (size_t)hl, &s2) == hl);
		struct httpc_head h;
		int r = httpc_parse_head(buf, (size_t)hl, head_req, &h);
		CHECK(r == 0 || r == -EPROTO || r == -EMSGSIZE);
		if (r == 0) {
			CHECK(h.status >= 100 && h.status <= 999);
			CHECK(h.nheaders <= HTTPC_MAX_HEADERS);
			span_in(&h.reason, buf, (size_t)hl);
			for (unsigned i = 0; i < h.nheaders; i++) {
				span_in(&h.headers[i].name, buf, (size_t)hl);
				span_in(&h.headers[i].value, buf, (size_t)hl);
				CHECK(h.headers[i].name.len > 0);
			}
			CHECK(h.framing != HTTPC_BODY_CLOSE || !h.keep_alive);
			struct httpc_body b;
			httpc_body_init(&b, &h);
			size_t pos = (size_t)hl;
			uint64_t total = 0;
			while (pos < size) {
				size_t n = size - pos < step ? size - pos : step, used, off, dl;
				int d = httpc_body_decode(&b, buf + pos, n, &used, &off, &dl);
				CHECK(d == 0 || d == 1 || d == -EPROTO);
				if (d < 0)
					break;
				CHECK(used <= n && off + dl <= used);
				total += dl;
				pos += used;
				if (d == 1)
					break;
				CHECK(used > 0);
			}
			if (h.framing == HTTPC_BODY_LENGTH)
				CHECK(total <= h.content_length);
			if (h.framing == HTTPC_BODY_NONE)
				CHECK(total == 0);
			CHECK(total == b.total);
			httpc_body_eof(&b);
		}
	} else if (hl < 0) {
		CHECK(hl == -EMSGSIZE && have >= HTTPC_MAX_HEAD);
	}
	free(buf);
	return 0;
}
