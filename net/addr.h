/*
 * net/addr.h — network addresses: one type for IPv4 and IPv6, with a port
 * (Go's netip.AddrPort, net.TCPAddr and net.UDPAddr in one), and their
 * text forms.
 *
 *	struct net_addr a;
 *	net_addr_parse("[fe80::1%2]:8080", &a);	IP and port; 0 or -EINVAL
 *	net_ip_parse("10.0.0.1", &a);		IP alone (port 0)
 *	char s[NET_ADDR_STRLEN];
 *	net_addr_format(&a, s, sizeof s);	"10.0.0.1:8080", "[::1]:53"
 *	net_ip_format(&a, s, sizeof s);		"10.0.0.1", "2001:db8::1"
 *	net_split_hostport("example.lan:80", host, sizeof host, &port);
 *
 * Text forms: IPv4 is dotted decimal, four parts, no leading zeros (as Go
 * parses since 1.17: "010.0.0.1" is an error, not octal). IPv6 is parsed
 * in every RFC 4291 form ("::", embedded IPv4 "::ffff:1.2.3.4", hex of
 * either case) and printed in RFC 5952's canonical form: lower case,
 * leading zeros dropped, the longest run of two or more zero groups (the
 * first of equal runs) as "::", an IPv4-mapped address as ::ffff:a.b.c.d.
 * An IPv6 address with a port is bracketed, "[::1]:80". A zone
 * (link-local addresses: which link) is a number after '%', the
 * interface's index (Weft's NIC is zone 2, loopback 1); names are not
 * accepted, since the host tests parse without an interface table.
 *
 * Families stay apart: an IPv4 peer of a dual-stack listener is reported
 * as IPv4, never as a mapped IPv6 address, and ::ffff:a.b.c.d parses as
 * the IPv6 address it is (net_addr_unmap turns it into IPv4).
 *
 * Everything here is pure code (host-tested, tests/host/test_addr.c) that
 * any context may call. Errors are negative errno values, as everywhere
 * in net/; net_strerror names them, with the meanings net/ gives them.
 */
#ifndef NET_ADDR_H
#define NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	NET_AF_UNSPEC = 0,		/* no address; "either" where a family is asked */
	NET_AF_INET = 4,
	NET_AF_INET6 = 6,
};

struct net_addr {
	uint8_t family;			/* NET_AF_INET, NET_AF_INET6; 0: none */
	uint8_t zone;			/* IPv6 zone (interface index), 0: none */
	uint16_t port;			/* host byte order; 0: none or any */
	uint8_t ip[16];			/* network byte order; IPv4 in ip[0..3] */
};

/* Longest text net_addr_format writes, with its NUL:
   "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%255]:65535". */
#define NET_ADDR_STRLEN 64
/* Longest host name net_split_hostport and the resolver take (RFC 1035). */
#define NET_HOST_MAX 253

/* An IP address alone, IPv4 or IPv6 (with an optional %zone): 0, or
   -EINVAL when s is anything else (nothing written to *out then). */
int net_ip_parse(const char *s, struct net_addr *out);
/* The same for the n bytes at s (no NUL needed). */
int net_ip_parse_n(const char *s, size_t n, struct net_addr *out);
/* IP and port: "a.b.c.d:port" or "[ipv6]:port", port 0-65535 in decimal
   (required, as in Go's netip.ParseAddrPort): 0 or -EINVAL. */
int net_addr_parse(const char *s, struct net_addr *out);

/* Split "host:port", "[host]:port" into host (copied, NUL-terminated) and
   port; host may be a name or an address, and may be empty (":80"), as
   Go's net.SplitHostPort allows. A service name for the port is not
   looked up: the port must be a number 0-65535. 0, -EINVAL when
   malformed, -ENAMETOOLONG when host does not fit in hostsize. */
int net_split_hostport(const char *s, char *host, size_t hostsize, uint16_t *port);

/* The IP alone, as text. Returns its length (NUL not counted), or
   -ENOSPC when it does not fit (buf then holds ""), -EINVAL when a has no
   address. NET_ADDR_STRLEN always fits. */
int net_ip_format(const struct net_addr *a, char *buf, size_t size);
/* IP and port: "10.0.0.1:80", "[2001:db8::1]:443", "[fe80::1%2]:22".
   Returns as net_ip_format. */
int net_addr_format(const struct net_addr *a, char *buf, size_t size);

/* Is s a syntactically valid host name (RFC 1123 labels of letters,
   digits and '-', '_' tolerated, 1-63 bytes each, at most NET_HOST_MAX
   in all, one trailing dot allowed)? Addresses are not names. */
bool net_host_valid(const char *s);

static inline struct net_addr net_addr_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
					   uint16_t port)
{
	struct net_addr r = { NET_AF_INET, 0, port, { a, b, c, d } };
	return r;
}
/* The IPv6 address of 16 bytes in network order. */
struct net_addr net_addr_ip6(const uint8_t ip[16], uint8_t zone, uint16_t port);

/* Same family, IP and zone (ports ignored). */
bool net_ip_equal(const struct net_addr *a, const struct net_addr *b);
/* Same IP, zone and port. */
bool net_addr_equal(const struct net_addr *a, const struct net_addr *b);
/* 0.0.0.0 or ::, or no address at all. */
bool net_ip_is_unspecified(const struct net_addr *a);
/* 127.0.0.0/8 or ::1. */
bool net_ip_is_loopback(const struct net_addr *a);
/* 169.254.0.0/16 or fe80::/10. */
bool net_ip_is_linklocal(const struct net_addr *a);
/* ::ffff:a.b.c.d becomes a.b.c.d (port kept); anything else is returned
   unchanged. */
struct net_addr net_addr_unmap(const struct net_addr *a);

/* A short text for a negative errno value returned by net/ ("connection
   refused", "no such host", ...); "unknown error" for others. Static. */
const char *net_strerror(int err);

#endif
