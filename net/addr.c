/*
 * net/addr.c — addresses and their text forms (net/addr.h). Pure code:
 * no lwIP, no locks, host-tested (tests/host/test_addr.c) and fuzzed
 * through the DNS responder's zone words.
 *
 * Parsing is strict, as Go's netip is: exactly four decimal IPv4 parts
 * without leading zeros; IPv6 as eight groups of 1-4 hex digits, one "::"
 * standing for one or more zero groups, an IPv4 tail in place of the last
 * two; a numeric zone after '%'. Formatting follows RFC 5952.
 */
#include <errno.h>
#include <string.h>
#include "net/addr.h"

/* ---- parsing ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Dotted decimal a.b.c.d, all of s[0..n): 4 bytes into ip. */
static bool parse4(const char *s, size_t n, uint8_t ip[4])
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part && (i >= n || s[i++] != '.'))
			return false;
		size_t start = i;
		unsigned v = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
			return false;
		ip[part] = (uint8_t)v;
	}
	return i == n;
}

/* RFC 4291 text of s[0..n) (no zone): 16 bytes into ip. */
static bool parse6(const char *s, size_t n, uint8_t ip[16])
{
	uint8_t out[16] = { 0 };
	int groups = 0, gap = -1;	/* gap: group index where "::" stands */
	size_t i = 0;
	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	} else if (n >= 1 && s[0] == ':') {
		return false;
	}
	while (i < n) {
		if (groups == 8)
			return false;
		/* An IPv4 tail: the rest has a '.', and room for two groups. */
		size_t j = i;
		while (j < n && hexval(s[j]) >= 0)
			j++;
		if (j < n && s[j] == '.') {
			if (groups > 6 || !parse4(s + i, n - i, out + 2 * groups))
				return false;
			groups += 2;
			i = n;
			break;
		}
		if (j == i || j - i > 4)
			return false;
		unsigned v = 0;
		for (; i < j; i++)
			v = v << 4 | (unsigned)hexval(s[i]);
		out[2 * groups] = (uint8_t)(v >> 8);
		out[2 * groups + 1] = (uint8_t)v;
		groups++;
		if (i == n)
			break;
		if (s[i] != ':')
			return false;
		i++;
		if (i < n && s[i] == ':') {
			if (gap >= 0)
				return false;	/* a second "::" */
			gap = groups;
			i++;
		} else if (i == n) {
			return false;		/* a trailing single ':' */
		}
	}
	if (gap < 0) {
		if (groups != 8)
			return false;
	} else {
		if (groups > 7)
			return false;		/* "::" must stand for one group at least */
		int tail = groups - gap;
		memmove(out + 16 - 2 * tail, out + 2 * gap, (size_t)(2 * tail));
		memset(out + 2 * gap, 0, (size_t)(16 - 2 * groups));
	}
	memcpy(ip, out, 16);
	return true;
}

int net_ip_parse_n(const char *s, size_t n, struct net_addr *out)
{
	struct net_addr a = { 0 };
	if (!s)
		return -EINVAL;
	if (memchr(s, ':', n)) {
		const char *pct = memchr(s, '%', n);
		size_t alen = pct ? (size_t)(pct - s) : n;
		if (pct) {
			size_t zl = n - alen - 1;
			unsigned z = 0;
			if (zl == 0 || zl > 3 || pct[1] == '0')
				return -EINVAL;
			for (size_t k = 1; k <= zl; k++) {
				if (pct[k] < '0' || pct[k] > '9')
					return -EINVAL;
				z = z * 10 + (unsigned)(pct[k] - '0');
			}
			if (z > 255)
				return -EINVAL;
			a.zone = (uint8_t)z;
		}
		if (!parse6(s, alen, a.ip))
			return -EINVAL;
		a.family = NET_AF_INET6;
	} else {
		if (!parse4(s, n, a.ip))
			return -EINVAL;
		a.family = NET_AF_INET;
	}
	*out = a;
	return 0;
}

int net_ip_parse(const char *s, struct net_addr *out)
{
	return s ? net_ip_parse_n(s, strlen(s), out) : -EINVAL;
}

/* Decimal 0-65535, all of s[0..n). */
static bool parse_port(const char *s, size_t n, uint16_t *port)
{
	unsigned v = 0;
	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* Where host and port are in s: host s[*h0..*h1), port after *p0. */
static int split(const char *s, size_t *h0, size_t *h1, size_t *p0)
{
	size_t n = strlen(s);
	if (n && s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		*h0 = 1;
		*h1 = (size_t)(rb - s);
		*p0 = *h1 + 2;
		/* no brackets or colons inside the port, no '[' inside the host */
		if (memchr(s + 1, '[', *h1 - 1))
			return -EINVAL;
		return 0;
	}
	const char *colon = strrchr(s, ':');
	if (!colon || memchr(s, ':', (size_t)(colon - s)) || strchr(s, '[') || strchr(s, ']'))
		return -EINVAL;		/* none, or too many: IPv6 needs brackets */
	*h0 = 0;
	*h1 = (size_t)(colon - s);
	*p0 = *h1 + 1;
	return 0;
}

int net_split_hostport(const char *s, char *host, size_t hostsize, uint16_t *port)
{
	size_t h0, h1, p0;
	uint16_t p;
	if (!s || split(s, &h0, &h1, &p0) || !parse_port(s + p0, strlen(s + p0), &p))
		return -EINVAL;
	if (h1 - h0 >= hostsize)
		return -ENAMETOOLONG;
	memcpy(host, s + h0, h1 - h0);
	host[h1 - h0] = 0;
	*port = p;
	return 0;
}

int net_addr_parse(const char *s, struct net_addr *out)
{
	size_t h0, h1, p0;
	struct net_addr a;
	uint16_t p;
	if (!s || split(s, &h0, &h1, &p0) || !parse_port(s + p0, strlen(s + p0), &p) ||
	    net_ip_parse_n(s + h0, h1 - h0, &a))
		return -EINVAL;
	/* brackets exactly around IPv6 */
	if ((s[0] == '[') != (a.family == NET_AF_INET6))
		return -EINVAL;
	a.port = p;
	*out = a;
	return 0;
}

bool net_host_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0, label = 0;
	bool non_numeric = false;
	if (n && s[n - 1] == '.')
		n--;			/* one trailing dot: the root */
	if (n == 0 || n > NET_HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		if (!letter && !(c >= '0' && c <= '9') && c != '-')
			return false;
		if (c == '-' && label == 0)
			return false;
		non_numeric |= letter || c == '-';
		if (++label > 63)
			return false;
	}
	return s[n - 1] != '-' && non_numeric;
}

/* ---- formatting ---- */

/* Decimal v into p; returns the end. */
static char *put_dec(char *p, unsigned v)
{
	char t[6];
	int k = 0;
	do
		t[k++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (k)
		*p++ = t[--k];
	return p;
}

static char *put4(char *p, const uint8_t ip[4])
{
	for (int i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = put_dec(p, ip[i]);
	}
	return p;
}

static bool is_mapped(const uint8_t ip[16])
{
	static const uint8_t pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return !memcmp(ip, pre, 12);
}

/* RFC 5952 text of ip (and zone) into p, which has room for 50. */
static char *put6(char *p, const uint8_t ip[16], uint8_t zone)
{
	static const char hex[] = "0123456789abcdef";
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
	int ngroups = 8;
	if (is_mapped(ip))
		ngroups = 6;		/* ::ffff: then dotted quad */
	/* the longest run of >= 2 zero groups; the first of equal ones */
	int best = -1, bestlen = 1;
	for (int i = 0; i < ngroups;) {
		if (g[i]) {
			i++;
			continue;
		}
		int j = i;
		while (j < ngroups && !g[j])
			j++;
		if (j - i > bestlen) {
			best = i;
			bestlen = j - i;
		}
		i = j;
	}
	for (int i = 0; i < ngroups; i++) {
		if (i == best) {
			*p++ = ':';
			*p++ = ':';
			i += bestlen - 1;
			continue;
		}
		if (i && i != best + bestlen)
			*p++ = ':';
		bool lead = true;
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = (g[i] >> sh) & 15;
			if (d || !lead || sh == 0) {
				*p++ = hex[d];
				lead = false;
			}
		}
	}
	if (ngroups == 6) {
		if (best + bestlen != 6)
			*p++ = ':';
		p = put4(p, ip + 12);
	}
	if (zone) {
		*p++ = '%';
		p = put_dec(p, zone);
	}
	return p;
}

static int finish(const char *t, size_t len, char *buf, size_t size)
{
	if (len + 1 > size) {
		if (size)
			buf[0] = 0;
		return -ENOSPC;
	}
	memcpy(buf, t, len);
	buf[len] = 0;
	return (int)len;
}

int net_ip_format(const struct net_addr *a, char *buf, size_t size)
{
	char t[NET_ADDR_STRLEN], *e;
	if (a->family == NET_AF_INET)
		e = put4(t, a->ip);
	else if (a->family == NET_AF_INET6)
		e = put6(t, a->ip, a->zone);
	else
		return finish("", 0, buf, size) < 0 ? -ENOSPC : -EINVAL;
	return finish(t, (size_t)(e - t), buf, size);
}

int net_addr_format(const struct net_addr *a, char *buf, size_t size)
{
	char t[NET_ADDR_STRLEN], *e = t;
	if (a->family == NET_AF_INET) {
		e = put4(e, a->ip);
	} else if (a->family == NET_AF_INET6) {
		*e++ = '[';
		e = put6(e, a->ip, a->zone);
		*e++ = ']';
	} else {
		return finish("", 0, buf, size) < 0 ? -ENOSPC : -EINVAL;
	}
	*e++ = ':';
	e = put_dec(e, a->port);
	return finish(t, (size_t)(e - t), buf, size);
}

/* ---- helpers ---- */

struct net_addr net_addr_ip6(const uint8_t ip[16], uint8_t zone, uint16_t port)
{
	struct net_addr a = { NET_AF_INET6, zone, port, { 0 } };
	memcpy(a.ip, ip, 16);
	return a;
}

static size_t iplen(const struct net_addr *a)
{
	return a->family == NET_AF_INET ? 4 : a->family == NET_AF_INET6 ? 16 : 0;
}

bool net_ip_equal(const struct net_addr *a, const struct net_addr *b)
{
	return a->family == b->family && a->zone == b->zone && !memcmp(a->ip, b->ip, iplen(a));
}

bool net_addr_equal(const struct net_addr *a, const struct net_addr *b)
{
	return net_ip_equal(a, b) && a->port == b->port;
}

bool net_ip_is_unspecified(const struct net_addr *a)
{
	static const uint8_t zero[16];
	return !iplen(a) || !memcmp(a->ip, zero, iplen(a));
}

bool net_ip_is_loopback(const struct net_addr *a)
{
	static const uint8_t one[16] = { [15] = 1 };
	if (a->family == NET_AF_INET)
		return a->ip[0] == 127;
	return a->family == NET_AF_INET6 && !memcmp(a->ip, one, 16);
}

bool net_ip_is_linklocal(const struct net_addr *a)
{
	if (a->family == NET_AF_INET)
		return a->ip[0] == 169 && a->ip[1] == 254;
	return a->family == NET_AF_INET6 && a->ip[0] == 0xfe && (a->ip[1] & 0xc0) == 0x80;
}

struct net_addr net_addr_unmap(const struct net_addr *a)
{
	if (a->family != NET_AF_INET6 || !is_mapped(a->ip))
		return *a;
	return net_addr_ip4(a->ip[12], a->ip[13], a->ip[14], a->ip[15], a->port);
}

const char *net_strerror(int err)
{
	switch (err) {
	case 0: return "no error";
	case -EINVAL: return "invalid argument or address";
	case -ENOENT: return "no such host";
	case -EDESTADDRREQ: return "no DNS server configured";
	case -ETIMEDOUT: return "timed out";
	case -ECONNREFUSED: return "connection refused";
	case -ECONNRESET: return "connection reset by peer";
	case -ECONNABORTED: return "connection aborted";
	case -ENETUNREACH: return "network is unreachable";
	case -EHOSTUNREACH: return "no route to host";
	case -EPIPE: return "broken pipe";
	case -EBADF: return "use of closed connection";
	case -ENOTCONN: return "not connected";
	case -EADDRINUSE: return "address already in use";
	case -ENOMEM: return "out of memory";
	case -ENOBUFS: return "no buffer space available";
	case -EMSGSIZE: return "message too long";
	case -ENAMETOOLONG: return "name too long";
	case -ENOSPC: return "buffer too small";
	case -EIO: return "input/output error";
	default: return "unknown error";
	}
}
