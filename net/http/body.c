/*
 * HTTP/1.1 request bodies: the chunked decoder and the Content-Length
 * counter behind http_body_* (contract in parse.h).
 *
 * The chunked decoder is a byte-at-a-time state machine over the framing
 * (size lines, the CRLF after each chunk's data, trailer fields); a run of
 * data is handed out as one span without being looked at. A chunk's size
 * is checked against the body's limit when its size line ends, before any
 * of its data arrives, so a body too large is refused (413) without
 * reading it. Trailer fields are checked for shape and skipped; their
 * bytes count against HTTP_MAX_HEAD.
 */

#include "net/http/parse.h"

#include <string.h>
#include "net/http/chars.h"

enum {
	CH_SIZE,       /* first hex digit of a chunk size */
	CH_SIZE_MORE,  /* more hex digits, or what ends them */
	CH_SIZE_WS,    /* BWS after the size: ';' or CR must follow */
	CH_EXT,        /* chunk extensions, skipped up to CR */
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER,    /* start of a trailer line or of the empty line */
	CH_TNAME,
	CH_TVALUE,
	CH_TRAILER_LF,
	CH_END_LF,     /* CR of the final empty line seen */
	CH_DONE,
	CH_ERROR,
};

void http_chunked_init(struct http_chunked *c, uint64_t limit)
{
	memset(c, 0, sizeof(*c));
	c->limit = limit;
	c->state = CH_SIZE;
}

/* The size line ended: check the size against the body's limit. */
static int chunk_size_done(struct http_chunked *c)
{
	if (c->size > c->limit - c->total)
		return HTTP_ERR_413;
	c->total += c->size;
	c->state = c->size ? CH_DATA : CH_TRAILER;
	c->line = 0;
	return 0;
}

/* One framing byte of a chunk-size line (CH_SIZE..CH_SIZE_LF). */
static int step_size_line(struct http_chunked *c, uint8_t b)
{
	if (++c->line > HTTP_CHUNK_LINE_MAX)
		return HTTP_ERR_400;
	switch (c->state) {
	case CH_SIZE:
	case CH_SIZE_MORE:
		if (is_hex(b)) {
			if (c->size >> 60)
				return HTTP_ERR_400; /* would overflow */
			c->size = c->size << 4 | http_hexval[b];
			c->state = CH_SIZE_MORE;
			return 0;
		}
		if (c->state == CH_SIZE)
			return HTTP_ERR_400;
		__attribute__((fallthrough)); /* what follows the digits */
	case CH_SIZE_WS:
		if (is_ows(b))
			c->state = CH_SIZE_WS;
		else if (b == ';')
			c->state = CH_EXT;
		else if (b == '\r')
			c->state = CH_SIZE_LF;
		else
			return HTTP_ERR_400;
		return 0;
	case CH_EXT:
		if (b == '\r')
			c->state = CH_SIZE_LF;
		else if (!is_ows(b) && !is_field(b))
			return HTTP_ERR_400;
		return 0;
	case CH_SIZE_LF:
		if (b != '\n')
			return HTTP_ERR_400;
		return chunk_size_done(c);
	}
	return HTTP_EINVAL;
}

/* One framing byte after data or in the trailer section. */
static int step_framing(struct http_chunked *c, uint8_t b)
{
	if (c->state >= CH_TRAILER && ++c->line > HTTP_MAX_HEAD)
		return HTTP_ERR_431;
	switch (c->state) {
	case CH_DATA_CR:
		c->state = CH_DATA_LF;
		return b == '\r' ? 0 : HTTP_ERR_400;
	case CH_DATA_LF:
		c->state = CH_SIZE;
		c->size = 0;
		return b == '\n' ? 0 : HTTP_ERR_400;
	case CH_TRAILER:
		if (b == '\r')
			c->state = CH_END_LF;
		else if (is(b, C_TCHAR))
			c->state = CH_TNAME;
		else
			return HTTP_ERR_400;
		return 0;
	case CH_TNAME:
		if (b == ':')
			c->state = CH_TVALUE;
		else if (!is(b, C_TCHAR))
			return HTTP_ERR_400;
		return 0;
	case CH_TVALUE:
		if (b == '\r')
			c->state = CH_TRAILER_LF;
		else if (!is_ows(b) && !is_field(b))
			return HTTP_ERR_400;
		return 0;
	case CH_TRAILER_LF:
		c->state = CH_TRAILER;
		return b == '\n' ? 0 : HTTP_ERR_400;
	case CH_END_LF:
		if (b != '\n')
			return HTTP_ERR_400;
		c->state = CH_DONE;
		return HTTP_DONE;
	}
	return step_size_line(c, b);
}

int http_chunked_decode(struct http_chunked *c, const char *buf, size_t len,
			size_t *consumed, struct http_span *data)
{
	size_t i = 0;
	int rc = HTTP_AGAIN;

	*consumed = 0;
	*data = (struct http_span){ .ptr = buf, .off = 0, .len = 0 };
	if (c->state == CH_ERROR)
		return c->err;
	if (c->state == CH_DONE)
		return HTTP_DONE;
	while (i < len && rc == HTTP_AGAIN) {
		if (c->state == CH_DATA) {
			size_t n = len - i;

			if (n > c->size)
				n = c->size;
			if (n > UINT32_MAX)
				n = UINT32_MAX;
			*data = (struct http_span){ buf + i, (uint32_t)i,
						    (uint32_t)n };
			c->size -= n;
			if (c->size == 0)
				c->state = CH_DATA_CR;
			*consumed = i + n;
			return HTTP_AGAIN;
		}
		rc = step_framing(c, (uint8_t)buf[i++]);
	}
	if (rc < 0) {
		c->state = CH_ERROR;
		c->err = rc;
		return rc;
	}
	*consumed = i;
	return rc;
}

int http_body_init(struct http_body *b, const struct http_req *r,
		   uint64_t limit)
{
	memset(b, 0, sizeof(*b));
	b->kind = r->body;
	http_chunked_init(&b->ch, limit);
	if (r->body != HTTP_BODY_LENGTH)
		return 0;
	if (r->content_length > limit) {
		b->kind = HTTP_BODY_NONE;
		return HTTP_ERR_413;
	}
	b->remaining = r->content_length;
	return 0;
}

int http_body_read(struct http_body *b, const char *buf, size_t len,
		   size_t *consumed, struct http_span *data)
{
	size_t n = len;

	if (b->kind == HTTP_BODY_CHUNKED)
		return http_chunked_decode(&b->ch, buf, len, consumed, data);
	if (b->kind == HTTP_BODY_NONE)
		b->remaining = 0;
	if (n > b->remaining)
		n = b->remaining;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	b->remaining -= n;
	*data = (struct http_span){ .ptr = buf, .off = 0, .len = (uint32_t)n };
	*consumed = n;
	return b->remaining ? HTTP_AGAIN : HTTP_DONE;
}
