/*
 * net/http/client_parse.c — the HTTP client's response parser (the head
 * and the body's framing); the contract is in client_parse.h.
 *
 * The head is parsed whole, once httpc_head_end has found its empty line:
 * a response head is small and arrives in one or two segments, so a
 * byte-at-a-time state machine (which the server's request parser needs
 * against slowloris) would buy nothing here. The body decoder is
 * incremental, since bodies stream.
 */
#include <errno.h>
#include <string.h>
#include "net/http/client_parse.h"

static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool span_ieq(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	if (n != k)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)p[i]) != lower((unsigned char)s[i]))
			return false;
	return true;
}

long httpc_head_end(const char *buf, size_t len, size_t *scan)
{
	size_t i = *scan;
	/* An end is "\n\n" or "\n\r\n": look back at most two bytes. */
	for (; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i >= 1 && buf[i - 1] == '\n')
			return (long)(i + 1);
		if (i >= 2 && buf[i - 1] == '\r' && buf[i - 2] == '\n')
			return (long)(i + 1);
		if (i + 1 > HTTPC_MAX_HEAD)
			return -EMSGSIZE;
	}
	*scan = i;
	if (len >= HTTPC_MAX_HEAD)
		return -EMSGSIZE;
	return 0;
}

/* The line starting at *pos in buf[0..len): its bytes without CR LF in
   [*pos, *end); *pos moves past the line end. false when no LF, or a CR
   elsewhere than just before the LF. */
static bool next_line(const char *buf, size_t len, size_t *pos, size_t *end)
{
	size_t i = *pos;
	while (i < len && buf[i] != '\n') {
		if (buf[i] == '\r' && !(i + 1 < len && buf[i + 1] == '\n'))
			return false;
		i++;
	}
	if (i >= len)
		return false;
	*end = (i > *pos && buf[i - 1] == '\r') ? i - 1 : i;
	*pos = i + 1;
	return true;
}

static bool parse_u64(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return true;
}

bool httpc_token_in(const struct httpc_span *v, const char *tok)
{
	const char *p = v->ptr, *e = v->ptr + v->len;
	while (p < e) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		const char *s = p;
		while (p < e && *p != ',')
			p++;
		const char *t = p;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if (t > s && span_ieq(s, (size_t)(t - s), tok))
			return true;
	}
	return false;
}

/* The last coding of a Transfer-Encoding list is chunked. */
static bool last_is_chunked(const struct httpc_span *v)
{
	const char *e = v->ptr + v->len, *s;
	while (e > v->ptr && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == ','))
		e--;
	s = e;
	while (s > v->ptr && s[-1] != ',')
		s--;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return span_ieq(s, (size_t)(e - s), "chunked");
}

int httpc_parse_head(const char *buf, size_t len, bool head_request, struct httpc_head *h)
{
	size_t pos = 0, end;
	memset(h, 0, sizeof *h);
	if (!next_line(buf, len, &pos, &end))
		return -EPROTO;
	/* HTTP/1.x SP 3DIGIT [SP reason] */
	if (end < 12 || memcmp(buf, "HTTP/", 5) || buf[5] != '1' || buf[6] != '.' ||
	    buf[7] < '0' || buf[7] > '9' || buf[8] != ' ')
		return -EPROTO;
	h->version = buf[7] == '0' ? 10 : 11;
	for (int i = 9; i < 12; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return -EPROTO;
	h->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (h->status < 100)
		return -EPROTO;
	if (end > 12) {
		if (buf[12] != ' ')
			return -EPROTO;
		h->reason.ptr = buf + 13;
		h->reason.len = (uint32_t)(end - 13);
	} else {
		h->reason.ptr = buf + end;
	}
	for (size_t i = 13; i < end; i++)
		if ((unsigned char)buf[i] < 0x20 && buf[i] != '\t')
			return -EPROTO;

	bool cl = false, te = false, chunked = false, conn_close = false, conn_ka = false;
	uint64_t clen = 0;
	for (;;) {
		size_t s = pos;
		if (!next_line(buf, len, &pos, &end))
			return -EPROTO;
		if (end == s)
			break;			/* the empty line */
		if (buf[s] == ' ' || buf[s] == '\t')
			return -EPROTO;		/* obs-fold */
		size_t c = s;
		while (c < end && is_tchar((unsigned char)buf[c]))
			c++;
		if (c == s || c >= end || buf[c] != ':')
			return -EPROTO;
		size_t v = c + 1, ve = end;
		while (v < ve && (buf[v] == ' ' || buf[v] == '\t'))
			v++;
		while (ve > v && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
			ve--;
		for (size_t i = v; i < ve; i++)
			if (((unsigned char)buf[i] < 0x20 && buf[i] != '\t') || buf[i] == 0x7f)
				return -EPROTO;
		if (h->nheaders == HTTPC_MAX_HEADERS)
			return -EMSGSIZE;
		struct httpc_header *f = &h->headers[h->nheaders++];
		f->name = (struct httpc_span){ buf + s, (uint32_t)(c - s) };
		f->value = (struct httpc_span){ buf + v, (uint32_t)(ve - v) };
		if (span_ieq(f->name.ptr, f->name.len, "content-length")) {
			uint64_t n;
			if (!parse_u64(f->value.ptr, f->value.len, &n) || (cl && n != clen))
				return -EPROTO;
			cl = true;
			clen = n;
		} else if (span_ieq(f->name.ptr, f->name.len, "transfer-encoding")) {
			te = true;
			chunked = last_is_chunked(&f->value);
		} else if (span_ieq(f->name.ptr, f->name.len, "connection")) {
			conn_close |= httpc_token_in(&f->value, "close");
			conn_ka |= httpc_token_in(&f->value, "keep-alive");
		}
	}
	if (pos != len)
		return -EPROTO;			/* the caller measured another head */

	h->keep_alive = !conn_close && (h->version == 11 || conn_ka);
	if (head_request || h->status < 200 || h->status == 204 || h->status == 304) {
		h->framing = HTTPC_BODY_NONE;
		h->content_length = cl ? clen : 0;
		if (te)
			h->keep_alive = false;
	} else if (te) {
		/* RFC 9112 6.3: Transfer-Encoding overrides Content-Length, and
		   such a message may be an attempt at smuggling: no reuse. */
		h->framing = chunked ? HTTPC_BODY_CHUNKED : HTTPC_BODY_CLOSE;
		if (cl || !chunked)
			h->keep_alive = false;
	} else if (cl) {
		h->framing = clen ? HTTPC_BODY_LENGTH : HTTPC_BODY_NONE;
		h->content_length = clen;
	} else {
		h->framing = HTTPC_BODY_CLOSE;
		h->keep_alive = false;
	}
	return 0;
}

const struct httpc_span *httpc_header_get(const struct httpc_head *h, const char *name)
{
	for (unsigned i = 0; i < h->nheaders; i++)
		if (span_ieq(h->headers[i].name.ptr, h->headers[i].name.len, name))
			return &h->headers[i].value;
	return NULL;
}

/* Chunked states: what the next byte is. */
enum {
	CH_SIZE,		/* hex digits of a size line */
	CH_EXT,			/* after the size: extensions, to the LF */
	CH_SIZE_LF,		/* a CR was seen on the size line: LF next */
	CH_DATA,		/* remaining bytes of data */
	CH_DATA_CR,		/* the CR (or LF) after the data */
	CH_DATA_LF,		/* the LF after that CR */
	CH_TRAILER_START,	/* the start of a trailer line (or the last LF) */
	CH_TRAILER,		/* inside a trailer line, to its LF */
	CH_TRAILER_END_LF,	/* a CR began the empty line: LF next */
};

void httpc_body_init(struct httpc_body *b, const struct httpc_head *h)
{
	memset(b, 0, sizeof *b);
	b->framing = h->framing;
	if (h->framing == HTTPC_BODY_LENGTH)
		b->remaining = h->content_length;
	b->done = h->framing == HTTPC_BODY_NONE ||
		  (h->framing == HTTPC_BODY_LENGTH && h->content_length == 0);
	b->state = CH_SIZE;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int httpc_body_decode(struct httpc_body *b, const char *in, size_t len, size_t *used,
		      size_t *off, size_t *dlen)
{
	*used = 0;
	*off = 0;
	*dlen = 0;
	if (b->done)
		return 1;
	if (b->framing == HTTPC_BODY_CLOSE) {
		*dlen = len;
		*used = len;
		b->total += len;
		return 0;
	}
	if (b->framing == HTTPC_BODY_LENGTH) {
		size_t n = len < b->remaining ? len : (size_t)b->remaining;
		*dlen = n;
		*used = n;
		b->remaining -= n;
		b->total += n;
		if (b->remaining == 0)
			b->done = true;
		return b->done;
	}
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)in[i];
		switch (b->state) {
		case CH_SIZE: {
			int v = hexval(c);
			if (v >= 0) {
				if (b->remaining >> 60)
					return -EPROTO;		/* overflow */
				b->remaining = b->remaining * 16 + (uint64_t)v;
				b->digits++;
				i++;
				break;
			}
			if (b->digits == 0)
				return -EPROTO;
			b->state = CH_EXT;
			break;				/* look at c again */
		}
		case CH_EXT:
			i++;
			if (c == '\r')
				b->state = CH_SIZE_LF;
			else if (c == '\n')
				goto size_done;
			else if (c < 0x20 && c != '\t')
				return -EPROTO;
			break;
		case CH_SIZE_LF:
			if (c != '\n')
				return -EPROTO;
			i++;
		size_done:
			b->digits = 0;
			b->state = b->remaining ? CH_DATA : CH_TRAILER_START;
			break;
		case CH_DATA: {
			size_t n = len - i < b->remaining ? len - i : (size_t)b->remaining;
			*off = i;
			*dlen = n;
			b->remaining -= n;
			b->total += n;
			i += n;
			if (b->remaining == 0)
				b->state = CH_DATA_CR;
			*used = i;
			return 0;		/* hand out this run of data */
		}
		case CH_DATA_CR:
			i++;
			if (c == '\r')
				b->state = CH_DATA_LF;
			else if (c == '\n')
				b->state = CH_SIZE;
			else
				return -EPROTO;
			break;
		case CH_DATA_LF:
			if (c != '\n')
				return -EPROTO;
			i++;
			b->state = CH_SIZE;
			break;
		case CH_TRAILER_START:
			i++;
			if (c == '\n')
				goto body_done;
			b->state = c == '\r' ? CH_TRAILER_END_LF : CH_TRAILER;
			break;
		case CH_TRAILER:
			i++;
			if (c == '\n')
				b->state = CH_TRAILER_START;
			break;
		case CH_TRAILER_END_LF:
			if (c != '\n') {
				/* A trailer line that began with CR: malformed. */
				return -EPROTO;
			}
			i++;
		body_done:
			b->done = true;
			*used = i;
			return 1;
		default:
			return -EPROTO;
		}
	}
	*used = i;
	return 0;
}

int httpc_body_eof(struct httpc_body *b)
{
	if (b->done)
		return 1;
	if (b->framing == HTTPC_BODY_CLOSE) {
		b->done = true;
		return 1;
	}
	return -EPROTO;
}
