/*
 * net/http/client_parse.h — the HTTP client's response parser: the head
 * (status line and header fields) and the body's framing (Content-Length,
 * chunked, or delimited by the server's close), decoded incrementally.
 * Pure C over caller-owned memory, no allocation, no globals: the client
 * (net/http/client.c) runs it in the guest, the host tests and the fuzz
 * target run it on the host.
 *
 *	size_t scan = 0;
 *	n = httpc_head_end(buf, len, &scan);	0: need more; > 0: head length
 *	httpc_parse_head(buf, n, was_head_request, &h);	0 or -EPROTO
 *	httpc_body_init(&b, &h);
 *	loop: r = httpc_body_decode(&b, in, inlen, &used, &off, &dlen);
 *	      in[off .. off+dlen) is body data; used bytes of in were consumed
 *	      r == 1: the body is complete; 0: give more; -EPROTO: malformed
 *
 * What it accepts, as Go's net/http client does: lines end in CRLF or a
 * bare LF; HTTP/1.0 and 1.1 (1.2-1.9 count as 1.1; another major is
 * refused); a reason phrase may be missing. What it refuses (-EPROTO),
 * because a proxy that guessed would let a server desynchronise the
 * connection: a malformed status line or field line, obs-fold, a field
 * name that is not a token, a Content-Length that is not digits or
 * overflows, Content-Length lines that disagree, a chunk size that is not
 * hex or overflows, data not followed by its line end. A response with
 * Transfer-Encoding ignores Content-Length (RFC 9112 6.3) and its
 * connection is not reused; a Transfer-Encoding whose last coding is not
 * chunked is read until the server closes.
 *
 * Framing (RFC 9112 6.3): a response to HEAD, and 1xx, 204 and 304, have
 * no body; then chunked, then Content-Length; else the body runs to the
 * server's close, and that connection cannot be reused.
 */
#ifndef NET_HTTP_CLIENT_PARSE_H
#define NET_HTTP_CLIENT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef HTTPC_MAX_HEAD
#define HTTPC_MAX_HEAD 8192	/* a response head longer than this: -EMSGSIZE */
#endif
#ifndef HTTPC_MAX_HEADERS
#define HTTPC_MAX_HEADERS 64	/* more field lines: -EMSGSIZE */
#endif

/* Bytes of the caller's buffer (not NUL-terminated). */
struct httpc_span {
	const char *ptr;
	uint32_t len;
};

struct httpc_header {
	struct httpc_span name;		/* as sent; compare case-insensitively */
	struct httpc_span value;	/* without surrounding SP/HTAB */
};

enum httpc_framing {
	HTTPC_BODY_NONE = 0,		/* HEAD, 1xx, 204, 304, or Content-Length: 0 */
	HTTPC_BODY_LENGTH,		/* Content-Length bytes */
	HTTPC_BODY_CHUNKED,		/* Transfer-Encoding: chunked */
	HTTPC_BODY_CLOSE,		/* until the server closes */
};

/* A parsed response head; spans point into the buffer given. */
struct httpc_head {
	int version;			/* 10 or 11 */
	int status;			/* 100..999 */
	struct httpc_span reason;
	enum httpc_framing framing;
	uint64_t content_length;	/* HTTPC_BODY_LENGTH: the length */
	bool keep_alive;		/* the connection may carry another request */
	unsigned nheaders;
	struct httpc_header headers[HTTPC_MAX_HEADERS];
};

/* Look for the end of a head in buf[0..len). *scan (0 at first) keeps
   how far earlier calls looked, so each byte is scanned once. Returns
   the head's length (through its empty line), 0 when more is needed, or
   -EMSGSIZE when HTTPC_MAX_HEAD bytes hold no end. */
long httpc_head_end(const char *buf, size_t len, size_t *scan);

/* Parse a whole head, buf[0..len) as httpc_head_end measured it.
   head_request: the request was HEAD (no body follows whatever the
   fields say). 0, -EPROTO (malformed), or -EMSGSIZE (too many fields). */
int httpc_parse_head(const char *buf, size_t len, bool head_request, struct httpc_head *h);

/* The first field named name (case-insensitive), or NULL. */
const struct httpc_span *httpc_header_get(const struct httpc_head *h, const char *name);
/* Does the comma-separated list in v hold token tok (case-insensitive)? */
bool httpc_token_in(const struct httpc_span *v, const char *tok);

/* The body decoder; its fields are private to client_parse.c. */
struct httpc_body {
	enum httpc_framing framing;
	uint64_t remaining;		/* LENGTH: bytes due; CHUNKED: of this chunk */
	uint64_t total;			/* data bytes handed out so far */
	uint8_t state;			/* CHUNKED: what the next byte is */
	uint8_t digits;			/* hex digits of this size line */
	bool done;
};

void httpc_body_init(struct httpc_body *b, const struct httpc_head *h);
/* Decode more of the body from in[0..len): consumes *used bytes, of which
   in[*off .. *off + *dlen) is body data (*dlen may be 0). Returns 1 once
   the body is complete (sticky), 0 when more input is needed, -EPROTO when
   malformed. A CLOSE body is never complete here: the caller ends it at
   the server's EOF (httpc_body_eof). Each call with len > 0 consumes at
   least one byte unless it returns 1 or an error. */
int httpc_body_decode(struct httpc_body *b, const char *in, size_t len, size_t *used,
		      size_t *off, size_t *dlen);
/* The server closed: 1 when that ends the body properly (CLOSE framing,
   or already complete), -EPROTO when the body was cut short. */
int httpc_body_eof(struct httpc_body *b);

#endif
