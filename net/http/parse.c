/*
 * HTTP/1.1 request heads. The API, its rules and its limits are in
 * parse.h; this comment is about how the head parser works. Request
 * bodies are decoded in body.c, paths normalized in path.c.
 *
 * The head parser is a byte-at-a-time state machine. Its state is small
 * (struct http_parser) and holds offsets from the request's first byte,
 * never pointers, so the caller may move its buffer between calls. Each
 * byte is looked at once: p->pos is where the next call resumes. Tokens
 * (method, target, field names and values) are recorded as spans when
 * they end; a header line is interpreted (Content-Length, Host, ...) as
 * soon as its LF arrives, so a conflict is reported at the line that
 * causes it. The checks that need the whole head (Host present in 1.1, the
 * final transfer coding, keep-alive) run at the empty line. Limits are
 * checked per byte, so a 100 KB request line is refused at byte
 * HTTP_MAX_URI of its target, not after it has all arrived. Inside a
 * run that only moves on (a token, a target, a value; "HTTP/1.1\r"),
 * skip_run steps over the bytes in a tight loop instead of one dispatch
 * each, with the same limits and the same outcome (the byte-at-a-time
 * tests and the fuzzer compare whole against byte-by-byte input). Before
 * either, a line that is all in the buffer and plain (a known method, a
 * target and HTTP/1.x; a name, a colon and a value) is taken whole
 * (whole_request_line, whole_header_lines): the same spans, checks and
 * errors, one step per line instead of a dispatch per token; a line that
 * is not (incomplete, near a limit, odd) is left to the byte machine,
 * which then reads it from its start, so such a line's bytes are looked
 * at twice.
 *
 * Strictness: the parser is the origin server's, and there is no proxy
 * behind it to disagree with, but it still takes the strict reading
 * wherever RFC 9112 allows a choice (CRLF only, single SP in the request
 * line, no obs-fold, no list syntax in Content-Length): an input any two
 * readers could frame differently is refused, not guessed at.
 *
 * Rejected: a table-driven parser generated from the ABNF (much larger,
 * no better at early limits); scanning for "\r\n\r\n" first and parsing
 * the complete head after (rescans on every partial read, and cannot
 * refuse a long line early).
 */

#include "net/http/parse.h"

#include <stddef.h>
#include <string.h>
#include "net/http/chars.h"

/* Character classes (chars.h). */
#define TH_ (C_TCHAR | C_HOST)

const uint8_t http_cclass[256] = {
	['0' ... '9'] = TH_, ['A' ... 'Z'] = TH_, ['a' ... 'z'] = TH_,
	['!'] = TH_, ['$'] = TH_, ['%'] = TH_, ['&'] = TH_, ['\''] = TH_,
	['*'] = TH_, ['+'] = TH_, ['-'] = TH_, ['.'] = TH_, ['_'] = TH_,
	['~'] = TH_,
	['#'] = C_TCHAR, ['^'] = C_TCHAR, ['`'] = C_TCHAR, ['|'] = C_TCHAR,
	['('] = C_HOST, [')'] = C_HOST, [','] = C_HOST, [';'] = C_HOST,
	['='] = C_HOST, [':'] = C_HOST, ['['] = C_HOST, [']'] = C_HOST,
};

const uint8_t http_hexval[256] = {
	['0'] = 0, ['1'] = 1, ['2'] = 2, ['3'] = 3, ['4'] = 4,
	['5'] = 5, ['6'] = 6, ['7'] = 7, ['8'] = 8, ['9'] = 9,
	['a'] = 10, ['b'] = 11, ['c'] = 12, ['d'] = 13, ['e'] = 14, ['f'] = 15,
	['A'] = 10, ['B'] = 11, ['C'] = 12, ['D'] = 13, ['E'] = 14, ['F'] = 15,
};

/* s[0..n) equals lit (lower case) ignoring ASCII case. */
static bool ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lit[i] == '\0' || lower((uint8_t)s[i]) != (uint8_t)lit[i])
			return false;
	return lit[n] == '\0';
}

static struct http_span span(uint32_t off, uint32_t len)
{
	return (struct http_span){ .ptr = NULL, .off = off, .len = len };
}

/* ---- Request line ---- */

enum {
	S_START,     /* before the request line: empty lines skipped */
	S_START_LF,  /* CR of an empty line seen */
	S_METHOD,
	S_TARGET,
	S_VERSION,   /* "HTTP/d.d", vidx bytes matched */
	S_RL_LF,     /* CR after the version seen */
	S_LINE,      /* start of a header line or of the empty line */
	S_NAME,
	S_OWS,       /* after a field name's colon */
	S_VALUE,
	S_VALUE_LF,  /* CR after a value seen */
	S_END_LF,    /* CR of the empty line seen */
	S_DONE,
	S_ERROR,
};

static const struct {
	const char *name;
	enum http_method m;
} methods[] = {
	{ "GET", HTTP_GET },         { "HEAD", HTTP_HEAD },
	{ "POST", HTTP_POST },       { "PUT", HTTP_PUT },
	{ "DELETE", HTTP_DELETE },   { "OPTIONS", HTTP_OPTIONS },
	{ "PATCH", HTTP_PATCH },     { "TRACE", HTTP_TRACE },
	{ "CONNECT", HTTP_CONNECT },
};

static enum http_method method_of(const char *s, size_t n)
{
	size_t i, j;

	if (n == 3 && s[0] == 'G' && s[1] == 'E' && s[2] == 'T')
		return HTTP_GET; /* nearly every request */
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		for (j = 0; j < n && methods[i].name[j] == s[j]; j++)
			;
		if (j == n && methods[i].name[n] == '\0')
			return methods[i].m;
	}
	return HTTP_METHOD_UNKNOWN;
}

/* Where the authority of "http://auth/..." or "https://auth/..." ends and
 * begins; false if t is not such a target. */
static bool absolute_form(const char *t, uint32_t n, uint32_t *a,
			  uint32_t *e)
{
	uint32_t i;

	if (n > 7 && ieq(t, 7, "http://"))
		i = 7;
	else if (n > 8 && ieq(t, 8, "https://"))
		i = 8;
	else
		return false;
	*a = i;
	while (i < n && t[i] != '/' && t[i] != '?')
		i++;
	*e = i;
	return *e > *a;
}

/* Split the target req[off..off+n) into path, query and (absolute-form)
 * authority. */
static int split_target(struct http_parser *p, struct http_req *r,
			const char *req, uint32_t off, uint32_t n)
{
	const char *t = req + off;
	uint32_t a, e, q;

	if (memchr(t, '#', n))
		return HTTP_ERR_400; /* a fragment is never sent */
	if (r->method == HTTP_CONNECT) {
		if (t[0] == '/')
			return HTTP_ERR_400;
		r->host = span(off, n);
		p->absolute = true;
		return 0;
	}
	if (n == 1 && t[0] == '*') {
		if (r->method != HTTP_OPTIONS)
			return HTTP_ERR_400;
		r->path = span(off, 1);
		return 0;
	}
	if (t[0] == '/') {
		e = 0;
	} else if (absolute_form(t, n, &a, &e)) {
		r->host = span(off + a, e - a);
		p->absolute = true;
	} else {
		return HTTP_ERR_400;
	}
	for (q = e; q < n && t[q] != '?'; q++)
		;
	r->path = span(off + e, q - e);
	if (q < n)
		r->query = span(off + q + 1, n - q - 1);
	return 0;
}

/* One byte of the request line (states S_START..S_RL_LF). */
static int step_request_line(struct http_parser *p, struct http_req *r,
			     const char *req, uint8_t c)
{
	static const char httpv[] = "HTTP/";
	uint32_t at = p->pos;

	switch (p->state) {
	case S_START:
		if (c == '\r') {
			p->state = S_START_LF;
			return 0;
		}
		if (!is(c, C_TCHAR))
			return HTTP_ERR_400;
		p->tok = at;
		p->state = S_METHOD;
		return 0;
	case S_START_LF:
		if (c != '\n')
			return HTTP_ERR_400;
		p->state = S_START;
		return 0;
	case S_METHOD:
		if (is(c, C_TCHAR))
			return at + 1 - p->tok > HTTP_METHOD_MAX ? HTTP_ERR_501
								 : 0;
		if (c != ' ')
			return HTTP_ERR_400;
		r->method_name = span(p->tok, at - p->tok);
		r->method = method_of(req + p->tok, at - p->tok);
		if (r->method == HTTP_METHOD_UNKNOWN)
			return HTTP_ERR_501;
		p->tok = at + 1;
		p->state = S_TARGET;
		return 0;
	case S_TARGET:
		if (is_vchar(c))
			return at + 1 - p->tok > HTTP_MAX_URI ? HTTP_ERR_414 : 0;
		if (c != ' ' || at == p->tok)
			return HTTP_ERR_400;
		r->target = span(p->tok, at - p->tok);
		p->vidx = 0;
		p->state = S_VERSION;
		return split_target(p, r, req, p->tok, at - p->tok);
	case S_VERSION:
		if (p->vidx < 5) {
			if (c != (uint8_t)httpv[p->vidx])
				return HTTP_ERR_400;
		} else if (p->vidx == 5 || p->vidx == 7) {
			if (c < '0' || c > '9')
				return HTTP_ERR_400;
			if (p->vidx == 5) {
				p->major = c - '0';
			} else {
				if (p->major != 1)
					return HTTP_ERR_505;
				r->version = c == '0' ? 10 : 11;
			}
		} else if (p->vidx == 6) {
			if (c != '.')
				return HTTP_ERR_400;
		} else {
			if (c != '\r')
				return HTTP_ERR_400;
			p->state = S_RL_LF;
		}
		p->vidx++;
		return 0;
	case S_RL_LF:
		if (c != '\n')
			return HTTP_ERR_400;
		p->state = S_LINE;
		return 0;
	}
	return HTTP_EINVAL;
}

/* ---- Header lines ---- */

/* Content-Length: 1*DIGIT, no more than fits in 63 bits. */
static int parse_content_length(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return HTTP_ERR_400;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return HTTP_ERR_400;
		if (v > (UINT64_MAX / 2 - 9) / 10)
			return HTTP_ERR_400;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Calls fn on each element of the comma-separated list s[0..n), trimmed
 * of OWS; empty elements are skipped (RFC 9110 5.6.1). Stops at the first
 * nonzero return of fn and returns it.
 */
static int each_element(const char *s, size_t n,
			int (*fn)(struct http_parser *, const char *, size_t),
			struct http_parser *p)
{
	size_t i = 0, b, e;
	int rc;

	while (i < n) {
		while (i < n && (is_ows((uint8_t)s[i]) || s[i] == ','))
			i++;
		b = i;
		while (i < n && s[i] != ',')
			i++;
		e = i;
		while (e > b && is_ows((uint8_t)s[e - 1]))
			e--;
		if (e > b && (rc = fn(p, s + b, e - b)) != 0)
			return rc;
	}
	return 0;
}

/* One transfer coding: a token, maybe with parameters. */
static int te_coding(struct http_parser *p, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is((uint8_t)s[i], C_TCHAR))
		i++;
	if (i == 0 || (i < n && !is_ows((uint8_t)s[i]) && s[i] != ';'))
		return HTTP_ERR_400;
	if (ieq(s, n, "chunked")) {
		if (p->te_last_chunked)
			return HTTP_ERR_400; /* chunked twice */
		p->te_last_chunked = true;
	} else {
		if (p->te_last_chunked)
			return HTTP_ERR_400; /* chunked is not the final coding */
		p->te_other = true;
	}
	return 0;
}

static int connection_option(struct http_parser *p, const char *s, size_t n)
{
	if (ieq(s, n, "close"))
		p->conn_close = true;
	else if (ieq(s, n, "keep-alive"))
		p->conn_keep_alive = true;
	return 0;
}

static int host_value(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is((uint8_t)s[i], C_HOST))
			return HTTP_ERR_400;
	return 0;
}

/* A complete header line, the last one in r->headers: record what the
 * server needs from it. */
static int interpret_header(struct http_parser *p, struct http_req *r,
			    const char *req)
{
	const struct http_header *h = &r->headers[r->nheaders - 1];
	const char *name = req + h->name.off, *v = req + h->value.off;
	size_t nlen = h->name.len, vlen = h->value.len;
	uint64_t cl;

	/* The length first: most names are none of these, and ieq would
	 * still start on each. */
	if (nlen == 14 && ieq(name, nlen, "content-length")) {
		if (p->te_seen || parse_content_length(v, vlen, &cl) != 0 ||
		    (p->cl_seen && cl != r->content_length))
			return HTTP_ERR_400;
		p->cl_seen = true;
		r->content_length = cl;
	} else if (nlen == 17 && ieq(name, nlen, "transfer-encoding")) {
		if (p->cl_seen || r->version == 10)
			return HTTP_ERR_400;
		p->te_seen = true;
		return each_element(v, vlen, te_coding, p);
	} else if (nlen == 10 && ieq(name, nlen, "connection")) {
		return each_element(v, vlen, connection_option, p);
	} else if (nlen == 4 && ieq(name, nlen, "host")) {
		if (++p->nhost > 1 || host_value(v, vlen) != 0)
			return HTTP_ERR_400;
		r->host_present = true;
		if (!p->absolute)
			r->host = h->value;
	} else if (nlen == 13 && ieq(name, nlen, "if-none-match")) {
		if (r->if_none_match.len == 0)
			r->if_none_match = h->value;
	} else if (nlen == 6 && ieq(name, nlen, "expect")) {
		r->expect = h->value;
		r->expect_continue =
			r->version == 11 && ieq(v, vlen, "100-continue");
	}
	return 0;
}

/* The empty line ended the head: the checks that need all of it. */
static int finish_head(struct http_parser *p, struct http_req *r)
{
	if (r->version == 11 && !r->host_present)
		return HTTP_ERR_400;
	if (p->te_seen) {
		if (!p->te_last_chunked)
			return HTTP_ERR_400;
		if (p->te_other)
			return HTTP_ERR_501;
		r->body = HTTP_BODY_CHUNKED;
	} else if (p->cl_seen) {
		r->body = HTTP_BODY_LENGTH;
	}
	if (p->conn_close)
		r->keep_alive = false;
	else
		r->keep_alive = r->version == 11 || p->conn_keep_alive;
	return HTTP_DONE;
}

/* One byte of the header section (states S_LINE..S_END_LF). */
static int step_header(struct http_parser *p, struct http_req *r,
		       const char *req, uint8_t c)
{
	uint32_t at = p->pos;
	struct http_header *h = &r->headers[r->nheaders];

	switch (p->state) {
	case S_LINE:
		if (c == '\r') {
			p->state = S_END_LF;
			return 0;
		}
		if (!is(c, C_TCHAR))
			return HTTP_ERR_400; /* obs-fold, WS, junk */
		if (r->nheaders == HTTP_MAX_HEADERS)
			return HTTP_ERR_431;
		p->tok = at;
		p->state = S_NAME;
		return 0;
	case S_NAME:
		if (is(c, C_TCHAR))
			return 0;
		if (c != ':')
			return HTTP_ERR_400;
		h->name = span(p->tok, at - p->tok);
		p->tok = p->vend = at + 1;
		p->state = S_OWS;
		return 0;
	case S_OWS:
	case S_VALUE:
		if (c == '\r') {
			h->value = span(p->tok, p->vend - p->tok);
			p->state = S_VALUE_LF;
			return 0;
		}
		if (is_ows(c)) {
			if (p->state == S_OWS)
				p->tok = p->vend = at + 1;
			return 0;
		}
		if (!is_field(c))
			return HTTP_ERR_400;
		p->vend = at + 1;
		p->state = S_VALUE;
		return 0;
	case S_VALUE_LF:
		if (c != '\n')
			return HTTP_ERR_400;
		r->nheaders++;
		p->state = S_LINE;
		return interpret_header(p, r, req);
	case S_END_LF:
		if (c != '\n')
			return HTTP_ERR_400;
		return finish_head(p, r);
	}
	return HTTP_EINVAL;
}

/* ---- The fast path ---- */

/*
 * From pos, the bytes that the step functions would only step over, each
 * leaving the state as it is: the rest of a method (up to its limit), of a
 * target (up to HTTP_MAX_URI), of a field name, of a value's run of field
 * bytes (vend follows it); and a whole "HTTP/1.1" or "HTTP/1.0" with its
 * CR. Returns where the step functions take over: the first byte that
 * ends or breaks the run, or lim. The outcome is the same as byte by
 * byte, only without a dispatch per byte.
 */
static uint32_t skip_run(struct http_parser *p, struct http_req *r,
			 const char *req, uint32_t pos, uint32_t lim)
{
	const uint8_t *s = (const uint8_t *)req;
	uint32_t at = pos, end;

	switch (p->state) {
	case S_METHOD:
		end = p->tok + HTTP_METHOD_MAX < lim ? p->tok + HTTP_METHOD_MAX
						     : lim;
		while (at < end && is(s[at], C_TCHAR))
			at++;
		break;
	case S_TARGET:
		end = p->tok + HTTP_MAX_URI < lim ? p->tok + HTTP_MAX_URI : lim;
		while (at < end && is_vchar(s[at]))
			at++;
		break;
	case S_VERSION:
		if (p->vidx == 0 && lim - at >= 9 && s[at] == 'H' &&
		    s[at + 1] == 'T' && s[at + 2] == 'T' && s[at + 3] == 'P' &&
		    s[at + 4] == '/' && s[at + 5] == '1' && s[at + 6] == '.' &&
		    (s[at + 7] == '1' || s[at + 7] == '0') && s[at + 8] == '\r') {
			p->major = 1;
			r->version = s[at + 7] == '0' ? 10 : 11;
			p->vidx = 9;
			p->state = S_RL_LF;
			at += 9;
		}
		break;
	case S_NAME:
		while (at < lim && is(s[at], C_TCHAR))
			at++;
		break;
	case S_VALUE:
		while (at < lim && is_field(s[at]))
			at++;
		if (at > pos)
			p->vend = at;
		break;
	}
	return at;
}

/*
 * Whole lines: at the start of the request line or of a header line,
 * when the buffer holds all of it up to its LF and it is the plain case
 * (a known method, a target, "HTTP/1.x"; a name, a colon, a value), the
 * line is taken in one step instead of one dispatch per token: the same
 * spans, the same interpretation, the error a byte-at-a-time parse would
 * give at the same byte. Anything else (a line not yet complete, a limit
 * within reach, a byte the plain case does not have) leaves the state as
 * it was and the byte machine reads the line.
 */
static int whole_request_line(struct http_parser *p, struct http_req *r,
			      const char *req, uint32_t lim)
{
	const uint8_t *s = (const uint8_t *)req;
	uint32_t at = p->pos, m, t0, t, end;
	enum http_method meth;
	int rc;

	end = at + HTTP_METHOD_MAX < lim ? at + HTTP_METHOD_MAX : lim;
	for (m = at; m < end && is(s[m], C_TCHAR); m++)
		;
	if (m == at || m >= lim || s[m] != ' ')
		return 0;
	meth = method_of(req + at, m - at);
	if (meth == HTTP_METHOD_UNKNOWN)
		return 0;
	t0 = m + 1;
	end = t0 + HTTP_MAX_URI < lim ? t0 + HTTP_MAX_URI : lim;
	for (t = t0; t < end && is_vchar(s[t]); t++)
		;
	if (t == t0 || t >= lim || s[t] != ' ' || lim - t < 11 ||
	    s[t + 1] != 'H' || s[t + 2] != 'T' || s[t + 3] != 'T' ||
	    s[t + 4] != 'P' || s[t + 5] != '/' || s[t + 6] != '1' ||
	    s[t + 7] != '.' || (s[t + 8] != '1' && s[t + 8] != '0') ||
	    s[t + 9] != '\r' || s[t + 10] != '\n')
		return 0;
	r->method_name = span(at, m - at);
	r->method = meth;
	r->target = span(t0, t - t0);
	rc = split_target(p, r, req, t0, t - t0);
	if (rc != 0) {
		p->pos = t; /* the SP that ends the target, as byte by byte */
		return rc;
	}
	p->major = 1;
	r->version = s[t + 8] == '0' ? 10 : 11;
	p->state = S_LINE;
	p->pos = t + 11;
	return 0;
}

/* Header lines from p->pos, while each is whole; the empty line too. A
 * nonzero return is the outcome of the byte at p->pos (a line's LF). */
static int whole_header_lines(struct http_parser *p, struct http_req *r,
			      const char *req, uint32_t lim)
{
	const uint8_t *s = (const uint8_t *)req;

	for (;;) {
		uint32_t at = p->pos, n, v, e, vend;
		struct http_header *h;
		int rc;

		if (lim - at < 2)
			return 0;
		if (s[at] == '\r') {
			if (s[at + 1] != '\n')
				return 0;
			p->pos = at + 1;
			return finish_head(p, r);
		}
		if (r->nheaders == HTTP_MAX_HEADERS)
			return 0;
		for (n = at; n < lim && is(s[n], C_TCHAR); n++)
			;
		if (n == at || n >= lim || s[n] != ':')
			return 0;
		for (v = n + 1; v < lim && is_ows(s[v]); v++)
			;
		/* runs of field bytes and of OWS; vend ends the last field run */
		for (e = vend = v;;) {
			uint32_t f = e;

			while (e < lim && is_field(s[e]))
				e++;
			if (e > f)
				vend = e;
			f = e;
			while (e < lim && is_ows(s[e]))
				e++;
			if (e == f)
				break;
		}
		if (lim - e < 2 || s[e] != '\r' || s[e + 1] != '\n')
			return 0;
		h = &r->headers[r->nheaders++];
		h->name = span(at, n - at);
		h->value = span(v, vend - v);
		p->pos = e + 1;
		rc = interpret_header(p, r, req);
		if (rc != 0)
			return rc;
		p->pos = e + 2;
	}
}

/* ---- Head parser entry points ---- */

void http_parser_init(struct http_parser *p, struct http_req *r)
{
	memset(p, 0, sizeof(*p));
	p->state = S_START;
	/* Not the header table (2 KB): an entry is written before
	 * nheaders counts it, and nothing reads past nheaders. */
	memset(r, 0, offsetof(struct http_req, headers));
}

static void set_ptr(struct http_span *s, const char *req)
{
	s->ptr = req + s->off;
}

/* Point every span of r into req. */
static void fix_pointers(struct http_req *r, const char *req)
{
	unsigned i;

	set_ptr(&r->method_name, req);
	set_ptr(&r->target, req);
	set_ptr(&r->path, req);
	set_ptr(&r->query, req);
	set_ptr(&r->host, req);
	set_ptr(&r->if_none_match, req);
	set_ptr(&r->expect, req);
	for (i = 0; i < r->nheaders; i++) {
		set_ptr(&r->headers[i].name, req);
		set_ptr(&r->headers[i].value, req);
	}
}

int http_parse(struct http_parser *p, struct http_req *r, const char *req,
	       size_t len, size_t *consumed)
{
	int rc = HTTP_AGAIN;
	uint32_t lim;

	*consumed = 0;
	if (p->state == S_ERROR)
		return p->err;
	if (len < p->pos)
		return HTTP_EINVAL;
	lim = len < HTTP_MAX_HEAD ? (uint32_t)len : HTTP_MAX_HEAD;
	while (p->state != S_DONE && p->pos < len) {
		uint8_t c;

		if (p->pos < lim) {
			if (p->state == S_START)
				rc = whole_request_line(p, r, req, lim);
			else
				rc = 0;
			if (rc == 0 && p->state == S_LINE)
				rc = whole_header_lines(p, r, req, lim);
			if (rc != 0)
				goto stepped;
			if (p->pos == len)
				break;
			p->pos = skip_run(p, r, req, p->pos, lim);
			if (p->pos == len)
				break;
		}
		c = (uint8_t)req[p->pos];
		if (p->pos >= HTTP_MAX_HEAD)
			rc = HTTP_ERR_431;
		else if (p->state < S_LINE)
			rc = step_request_line(p, r, req, c);
		else
			rc = step_header(p, r, req, c);
	stepped:
		if (rc < 0) {
			p->state = S_ERROR;
			p->err = rc;
			return rc;
		}
		p->pos++;
		if (rc == HTTP_DONE)
			p->state = S_DONE;
	}
	if (p->state != S_DONE)
		return HTTP_AGAIN;
	fix_pointers(r, req);
	*consumed = p->pos;
	return HTTP_DONE;
}

const struct http_span *http_req_header(const struct http_req *r,
					const char *name)
{
	unsigned i;

	for (i = 0; i < r->nheaders; i++) {
		const struct http_span *n = &r->headers[i].name;
		size_t j;

		if (n->len != strlen(name))
			continue;
		for (j = 0; j < n->len; j++)
			if (lower((uint8_t)n->ptr[j]) != lower((uint8_t)name[j]))
				break;
		if (j == n->len)
			return &r->headers[i].value;
	}
	return NULL;
}
