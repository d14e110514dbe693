/*
 * apps/dns/dnswire.c — the DNS message format (dnswire.h).
 */
#include <string.h>
#include "apps/dns/dnswire.h"

bool dns_hdr_read(const uint8_t *m, size_t n, struct dns_hdr *h)
{
	if (n < DNS_HDR_LEN)
		return false;
	h->id = dns_get16(m);
	h->flags = dns_get16(m + 2);
	h->qdcount = dns_get16(m + 4);
	h->ancount = dns_get16(m + 6);
	h->nscount = dns_get16(m + 8);
	h->arcount = dns_get16(m + 10);
	return true;
}

int dns_name_read(const uint8_t *m, size_t n, size_t *off, uint8_t out[DNS_NAME_MAX])
{
	size_t p = *off, len = 0, end = 0;
	bool jumped = false;
	for (;;) {
		if (p >= n)
			return -1;
		uint8_t l = m[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= n)
				return -1;
			size_t to = (size_t)(l & 0x3f) << 8 | m[p + 1];
			if (to >= p)
				return -1;	/* forward or self: could loop */
			if (!jumped)
				end = p + 2;
			jumped = true;
			p = to;
			continue;
		}
		if (l & 0xc0)
			return -1;		/* 0x40, 0x80: reserved label types */
		if (len + 1 + l > DNS_NAME_MAX || p + 1 + l > n)
			return -1;
		out[len++] = l;
		if (l == 0) {
			if (!jumped)
				end = p + 1;
			*off = end;
			return (int)len;
		}
		memcpy(out + len, m + p + 1, l);
		len += l;
		p += 1 + (size_t)l;
	}
}

bool dns_name_skip(const uint8_t *m, size_t n, size_t *off)
{
	uint8_t tmp[DNS_NAME_MAX];
	return dns_name_read(m, n, off, tmp) > 0;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

size_t dns_name_len(const uint8_t *name)
{
	size_t i = 0;
	while (name[i])
		i += 1 + (size_t)name[i];
	return i + 1;
}

bool dns_name_equal(const uint8_t *a, const uint8_t *b)
{
	size_t la = dns_name_len(a);
	if (la != dns_name_len(b))
		return false;
	for (size_t i = 0; i < la; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

bool dns_name_within(const uint8_t *name, const uint8_t *zone)
{
	size_t ln = dns_name_len(name), lz = dns_name_len(zone);
	/* walk name's suffixes: one starts exactly lz bytes before its end */
	for (size_t i = 0; ln - i >= lz; i += 1 + (size_t)name[i]) {
		if (ln - i == lz)
			return dns_name_equal(name + i, zone);
		if (!name[i])
			break;
	}
	return false;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int dns_name_from_text(const char *s, size_t n, uint8_t out[DNS_NAME_MAX])
{
	if (n && s[n - 1] == '.')
		n--;			/* the root's dot */
	size_t len = 0, i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '.') {
			if (!name_char(s[j]))
				return -1;
			j++;
		}
		size_t l = j - i;
		if (l == 0 || l > 63 || len + 1 + l + 1 > DNS_NAME_MAX)
			return -1;
		out[len++] = (uint8_t)l;
		memcpy(out + len, s + i, l);
		len += l;
		i = j + 1;
		if (j < n && i == n)
			return -1;	/* "a..": a trailing empty label */
	}
	out[len++] = 0;
	return (int)len;
}

int dns_name_to_text(const uint8_t *name, char *out, size_t size)
{
	size_t len = 0;
	if (!name[0]) {
		if (size < 2)
			return -1;
		memcpy(out, ".", 2);
		return 1;
	}
	for (size_t i = 0; name[i]; i += 1 + (size_t)name[i]) {
		size_t l = name[i];
		if (len + (len != 0) + l + 1 > size)
			return -1;
		if (len)
			out[len++] = '.';
		memcpy(out + len, name + i + 1, l);
		len += l;
	}
	out[len] = 0;
	return (int)len;
}

int dns_name_concat(const uint8_t *prefix, const uint8_t *origin, uint8_t out[DNS_NAME_MAX])
{
	size_t lp = dns_name_len(prefix) - 1, lo = dns_name_len(origin);
	if (lp + lo > DNS_NAME_MAX)
		return -1;
	memmove(out + lp, origin, lo);
	memmove(out, prefix, lp);
	return (int)(lp + lo);
}

/* ---- writing ---- */

void dns_out_init(struct dns_out *o, uint8_t *buf, size_t limit)
{
	*o = (struct dns_out){ buf, limit, 0, false, NULL };
}

void dns_put_bytes(struct dns_out *o, const void *p, size_t n)
{
	if (o->over || n > o->limit - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

void dns_put8(struct dns_out *o, uint8_t v)
{
	dns_put_bytes(o, &v, 1);
}

void dns_put16(struct dns_out *o, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	dns_put_bytes(o, b, 2);
}

void dns_put32(struct dns_out *o, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	dns_put_bytes(o, b, 4);
}

/* Offset of the suffix of the question name equal to s, or 0 if none. */
static size_t qname_suffix(const struct dns_out *o, const uint8_t *s)
{
	if (!o->qname)
		return 0;
	for (size_t i = 0; o->qname[i]; i += 1 + (size_t)o->qname[i])
		if (dns_name_equal(o->qname + i, s))
			return DNS_HDR_LEN + i;
	return 0;
}

void dns_put_name(struct dns_out *o, const uint8_t *name)
{
	size_t i = 0;
	for (; name[i]; i += 1 + (size_t)name[i]) {
		size_t at = qname_suffix(o, name + i);
		if (at) {
			dns_put_bytes(o, name, i);
			dns_put16(o, (uint16_t)(0xc000 | at));
			return;
		}
	}
	dns_put_bytes(o, name, i + 1);
}

void dns_put_hdr(struct dns_out *o, const struct dns_hdr *h)
{
	dns_put16(o, h->id);
	dns_put16(o, h->flags);
	dns_put16(o, h->qdcount);
	dns_put16(o, h->ancount);
	dns_put16(o, h->nscount);
	dns_put16(o, h->arcount);
}

void dns_patch_hdr(struct dns_out *o, const struct dns_hdr *h)
{
	if (o->len < DNS_HDR_LEN)
		return;
	uint16_t v[6] = { h->id, h->flags, h->qdcount, h->ancount, h->nscount, h->arcount };
	for (int i = 0; i < 6; i++) {
		o->buf[2 * i] = (uint8_t)(v[i] >> 8);
		o->buf[2 * i + 1] = (uint8_t)v[i];
	}
}
