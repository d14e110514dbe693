#ifndef NET_HTTP_PARSE_H
#define NET_HTTP_PARSE_H

/*
 * HTTP/1.1 request parsing: an incremental, allocation-free parser of the
 * request head, decoders for the two request-body framings, and a path
 * normalizer. Pure C over caller-owned memory; no locks, no globals (the
 * character tables are const). Builds freestanding in the kernel and on
 * the host for unit tests and fuzzing.
 *
 * Return values, shared by every call here:
 *   HTTP_DONE (1)     the head (or body) is complete
 *   HTTP_AGAIN (0)    every byte given was used; call again with more
 *   -status           a negative HTTP status to answer with, then close:
 *                     -400 -413 -414 -431 -501 -505 (HTTP_ERR_*)
 *   HTTP_EINVAL       the caller broke a rule below: a bug, not a client
 *                     error (the server should panic)
 *
 * Request heads -- call order, per request on a connection:
 *
 *   http_parser_init(&p, &r);
 *   loop:
 *       append what the socket gives to the connection buffer
 *       rc = http_parse(&p, &r, req, avail, &head_len);
 *       rc == HTTP_AGAIN: read more (the buffer is never too small if it
 *                         holds HTTP_MAX_HEAD bytes from req on)
 *       rc == HTTP_DONE:  r is complete; the body starts at req + head_len
 *       rc < 0:           answer -rc with "Connection: close" and close
 *
 * `req` is the first byte of this request, `avail` the bytes from there on.
 * Between calls the caller may move the bytes (compact its buffer), but
 * must present the same first bytes again, from req on: the parser keeps
 * offsets, not pointers, and resumes scanning where it stopped, so feeding
 * a head one byte at a time costs the same as feeding it whole. Bytes past
 * the head (a body, pipelined requests) are never read.
 *
 * States of the parser (private, in struct http_parser): before the
 * request line (leading empty lines are skipped, RFC 9112 2.2), method,
 * target, version, header lines, done, error. DONE and errors are sticky:
 * calling again returns the same result. Start each request with
 * http_parser_init; it clears r as well.
 *
 * Ownership and lifetime: r's spans point into the caller's buffer. Their
 * `off` fields (offsets from req) are kept up to date from the first call;
 * their `ptr` fields are set only by the call that returns HTTP_DONE, from
 * that call's req. The pointers stay valid while the caller keeps the head
 * bytes req[0..head_len) where they are; a caller that moves them (say,
 * to compact before answering) uses off. Do not compact a request's head
 * away before its response is written if the response uses r's spans.
 *
 * What the parser enforces (errors are decided as early as the bytes
 * allow; nothing waits for the end of a long line):
 *   400  malformed request line or header line; CR not followed by LF;
 *        bare LF (CRLF is required; RFC 9112 2.2 allows either choice);
 *        NUL or other control bytes; obs-fold (a line starting with SP or
 *        HTAB); whitespace between a field name and its colon; a byte
 *        that is not a token character in a method or field name; a
 *        target that is not origin-form, absolute-form, "*" (OPTIONS
 *        only) or authority-form (CONNECT only); a 1.1 request without
 *        Host; more than one Host; an invalid Host; an invalid or
 *        overflowing Content-Length; Content-Length lines that disagree
 *        (identical repeats are accepted); Content-Length together with
 *        Transfer-Encoding; Transfer-Encoding in HTTP/1.0; a
 *        Transfer-Encoding whose final coding is not chunked, or that
 *        names chunked twice
 *   414  request target longer than HTTP_MAX_URI bytes
 *   431  head longer than HTTP_MAX_HEAD bytes, or more than
 *        HTTP_MAX_HEADERS header lines
 *   501  method token not one of those in enum http_method (methods are
 *        case-sensitive: "get" is unknown; a token longer than any known
 *        method is refused after HTTP_METHOD_MAX bytes); a transfer
 *        coding other than chunked before the final chunked (gzip,
 *        chunked), which the server cannot decode
 *   505  HTTP major version other than 1, or HTTP/0.x. HTTP/1.2-1.9 are
 *        answered as 1.1 (RFC 9110 6.2)
 * A known method the server does not serve (POST on a static file) is not
 * the parser's business: it returns HTTP_DONE with r->method set, and the
 * server answers 405 with an Allow header.
 *
 * Bodies: after HTTP_DONE, r->body says how the body is framed. The server
 * reads (or discards) it with
 *   http_body_init(&b, &r, limit)    -413 if Content-Length > limit
 *   http_body_read(&b, buf, n, &used, &data)   until HTTP_DONE
 * which hands out the body's data as spans into buf, with no copying;
 * `used` bytes of buf were consumed (data, if any, among them). Each call
 * with n > 0 uses at least one byte unless it returns HTTP_DONE or an
 * error. A chunked body (http_chunked_* underneath) is decoded
 * incrementally: chunk-size lines with extensions (ignored), data, CRLFs,
 * the final 0 chunk and trailer fields (checked, skipped). A chunk size
 * that overflows is 400; body data past limit is 413, decided on the size
 * line, before the data arrives.
 *
 * Paths: http_path_normalize turns r->path into the clean absolute path
 * the server looks up (see there).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef HTTP_MAX_URI
#define HTTP_MAX_URI 2048 /* request-target bytes (414 past it) */
#endif
#ifndef HTTP_MAX_HEAD
#define HTTP_MAX_HEAD 8192 /* head bytes, request line to empty line (431) */
#endif
#ifndef HTTP_MAX_HEADERS
#define HTTP_MAX_HEADERS 64 /* header lines kept in struct http_req (431) */
#endif
#define HTTP_METHOD_MAX 7       /* longest known method: OPTIONS, CONNECT */
#define HTTP_CHUNK_LINE_MAX 1024 /* chunk-size line with extensions (400) */

#define HTTP_DONE 1
#define HTTP_AGAIN 0
#define HTTP_ERR_400 (-400) /* bad request */
#define HTTP_ERR_413 (-413) /* content too large */
#define HTTP_ERR_414 (-414) /* URI too long */
#define HTTP_ERR_431 (-431) /* request header fields too large */
#define HTTP_ERR_501 (-501) /* not implemented */
#define HTTP_ERR_505 (-505) /* HTTP version not supported */
#define HTTP_EINVAL (-22)   /* API misuse (-EINVAL) */

enum http_method {
	HTTP_METHOD_UNKNOWN = 0, /* never in a request parsed to HTTP_DONE */
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_DELETE,
	HTTP_OPTIONS,
	HTTP_PATCH,
	HTTP_TRACE,
	HTTP_CONNECT,
};

enum http_body_kind {
	HTTP_BODY_NONE = 0, /* no Content-Length, no Transfer-Encoding */
	HTTP_BODY_LENGTH,   /* Content-Length: content_length bytes (maybe 0) */
	HTTP_BODY_CHUNKED,  /* Transfer-Encoding: chunked */
};

/* Bytes in the caller's buffer: ptr valid as described above; off counts
 * from the first byte of the request (or of the buffer given to a body
 * call). */
struct http_span {
	const char *ptr;
	uint32_t off;
	uint32_t len;
};

struct http_header {
	struct http_span name;  /* as sent; compare case-insensitively */
	struct http_span value; /* without leading and trailing SP/HTAB */
};

/* A parsed request head. Filled in by http_parse; complete at HTTP_DONE. */
struct http_req {
	enum http_method method;
	int version; /* 10 or 11 (HTTP/1.2-1.9 count as 11) */
	struct http_span method_name; /* the token as sent */
	struct http_span target;      /* request-target as sent */
	/* The target's path, percent-encoded as sent (origin-form: up to '?';
	 * absolute-form: after the authority, may be empty meaning "/";
	 * "*" for OPTIONS *; empty for CONNECT). Feed it to
	 * http_path_normalize. */
	struct http_span path;
	struct http_span query; /* after '?', without it; empty if none */
	/* Host header value, or the authority of an absolute-form target (or
	 * CONNECT's target), which RFC 9112 3.2.2 says wins. */
	struct http_span host;
	struct http_span if_none_match; /* first If-None-Match line's value */
	struct http_span expect;        /* last Expect line's value */
	enum http_body_kind body;
	uint64_t content_length; /* valid when body == HTTP_BODY_LENGTH */
	bool keep_alive; /* 1.1: unless "Connection: close"; 1.0: only with
			  * "Connection: keep-alive" and no close */
	bool host_present;    /* a Host header line was sent */
	bool expect_continue; /* 1.1 and "Expect: 100-continue" */
	unsigned nheaders;
	struct http_header headers[HTTP_MAX_HEADERS]; /* in order sent */
};

/* Parser state; private to http_parse.c. The whole thing is a few words:
 * the request's results live in struct http_req. */
struct http_parser {
	uint32_t pos;   /* bytes of the request scanned so far */
	uint32_t tok;   /* offset where the current token or value began */
	uint32_t vend;  /* end of the value without trailing whitespace */
	uint8_t state;  /* what the next byte is read as */
	uint8_t vidx;   /* bytes of "HTTP/d.d" matched */
	uint8_t major;  /* version digits being read */
	uint8_t nhost;  /* Host lines seen */
	bool cl_seen;   /* a Content-Length line was seen */
	bool te_seen;   /* a Transfer-Encoding line was seen */
	bool te_last_chunked; /* the last coding so far is chunked */
	bool te_other;  /* a coding other than chunked was named */
	bool conn_close, conn_keep_alive; /* Connection tokens seen */
	bool absolute;  /* absolute-form or authority-form target */
	int err;        /* the error, in state error */
};

/* Prepare p and r for a new request. */
void http_parser_init(struct http_parser *p, struct http_req *r);

/*
 * Parse more of a request head. req is the request's first byte, len the
 * bytes available from it (at least what was given last time). Returns
 * HTTP_DONE with *consumed = the head's length (through the empty line),
 * HTTP_AGAIN, or an error (see the top of this file); *consumed is 0 then.
 */
int http_parse(struct http_parser *p, struct http_req *r, const char *req,
	       size_t len, size_t *consumed);

/* The value of the first header line named name (case-insensitive), or
 * NULL. Only after HTTP_DONE. */
const struct http_span *http_req_header(const struct http_req *r,
					const char *name);

/* Chunked body decoder state; private to http_body.c. */
struct http_chunked {
	uint64_t size;  /* chunk size being read, then its bytes still due */
	uint64_t total; /* data bytes in the body so far */
	uint64_t limit; /* most data bytes allowed (413 past it) */
	uint32_t line;  /* bytes of this size line, or of all trailers */
	uint8_t state;
	int err;
};

/*
 * Start decoding a chunked body of at most limit data bytes.
 * http_chunked_decode then reads framing from buf[0..len) until it has a
 * run of data, which it returns in *data (data->off from buf), the input
 * runs out, the body ends (HTTP_DONE), or an error. *consumed is the bytes
 * of buf used, data included. HTTP_AGAIN with data->len == 0 means all of
 * buf was framing and was used up. HTTP_DONE and errors are sticky.
 */
void http_chunked_init(struct http_chunked *c, uint64_t limit);
int http_chunked_decode(struct http_chunked *c, const char *buf, size_t len,
			size_t *consumed, struct http_span *data);

/* A request body of either framing. */
struct http_body {
	enum http_body_kind kind;
	uint64_t remaining; /* HTTP_BODY_LENGTH: bytes still due */
	struct http_chunked ch;
};

/* Start reading r's body (after HTTP_DONE). Returns 0, or HTTP_ERR_413
 * when a Content-Length already exceeds limit. */
int http_body_init(struct http_body *b, const struct http_req *r,
		   uint64_t limit);

/* As http_chunked_decode, for either framing: a Content-Length body hands
 * out min(len, remaining) bytes at once; no body is HTTP_DONE at once. */
int http_body_read(struct http_body *b, const char *buf, size_t len,
		   size_t *consumed, struct http_span *data);

/*
 * Turn a request path (r->path: percent-encoded, starting with '/', or
 * empty for "/") into the absolute path to look up, NUL-terminated in
 * out[0..outsz). Returns its length (>= 1), or:
 *   HTTP_ERR_400  invalid escape (not %XX with two hex digits), %00, a
 *                 control byte or a backslash (raw or decoded), a path not
 *                 starting with '/', or ".." above the root. The server
 *                 answers 400: these are never links on the site.
 *   HTTP_ERR_414  out is too small (outsz > len always suffices, and 2
 *                 for an empty path)
 * Steps: percent-decode everything first (so %2e%2e is "..", and %2F is a
 * '/' like any other), then resolve "." and ".." segments and collapse
 * runs of '/'. A trailing '/' is kept (a directory: the server may serve
 * its index), as is one left by a final "." or "..": "/a/.." is "/".
 * Bytes >= 0x80 (UTF-8, raw or escaped) pass through unchanged.
 * The result starts with '/' and holds no "//", no NUL, no backslash, and
 * no "." or ".." segment.
 */
int http_path_normalize(const char *in, size_t len, char *out, size_t outsz);

#endif
