/*
 * net/http/chars.h — character classes shared by the HTTP parser's
 * files (parse.c, body.c, path.c) and the header-field parsers of the
 * static site (apps/httpd/http_range.c, http_accept.c). Private to them:
 * not part of parse.h's API. Own tables: no <ctype.h> in the kernel.
 */
#ifndef NET_HTTP_CHARS_H
#define NET_HTTP_CHARS_H

#include <stdbool.h>
#include <stdint.h>

enum {
	C_TCHAR = 1 << 0, /* token: method, field name, transfer coding */
	C_HOST = 1 << 1,  /* Host value: reg-name, IP literal, port, '%' */
};

extern const uint8_t http_cclass[256]; /* C_* bits of each byte */
extern const uint8_t http_hexval[256]; /* value of a hex digit */

static inline bool is(uint8_t c, int cls)
{
	return (http_cclass[c] & cls) != 0;
}

/* VCHAR: a request-target byte. */
static inline bool is_vchar(uint8_t c)
{
	return c >= 0x21 && c <= 0x7e;
}

/* field-vchar: VCHAR or obs-text. */
static inline bool is_field(uint8_t c)
{
	return is_vchar(c) || c >= 0x80;
}

static inline bool is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static inline bool is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static inline uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

#endif
