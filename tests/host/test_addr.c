// host-test-sources: net/addr.c
/* Host unit tests for net/addr.c: parsing, RFC 5952 formatting, host:port. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/addr.h"
#include "tests/host/hosttest.h"

/* s parses as an IP and prints back as want. */
static void roundtrip(const char *s, const char *want)
{
	struct net_addr a;
	char out[NET_ADDR_STRLEN];
	if (net_ip_parse(s, &a))
		ht_fail(__FILE__, __LINE__, "\"%s\" did not parse", s);
	int n = net_ip_format(&a, out, sizeof out);
	if (n != (int)strlen(want) || strcmp(out, want))
		ht_fail(__FILE__, __LINE__, "\"%s\" printed as \"%s\" (%d), want \"%s\"", s, out, n,
			want);
}

static void bad(const char *s)
{
	struct net_addr a = { .family = 99 };
	if (net_ip_parse(s, &a) != -EINVAL)
		ht_fail(__FILE__, __LINE__, "\"%s\" parsed as an IP", s);
	if (a.family != 99)
		ht_fail(__FILE__, __LINE__, "\"%s\": *out written on failure", s);
}

HT_TEST(ipv4)
{
	struct net_addr a;
	HT_EQ(net_ip_parse("10.0.2.15", &a), 0);
	HT_EQ(a.family, NET_AF_INET);
	HT_EQ(a.ip[0], 10);
	HT_EQ(a.ip[3], 15);
	HT_EQ(a.port, 0);
	roundtrip("0.0.0.0", "0.0.0.0");
	roundtrip("255.255.255.255", "255.255.255.255");
	roundtrip("127.0.0.1", "127.0.0.1");
	bad("");
	bad("1.2.3");
	bad("1.2.3.4.5");
	bad("256.1.1.1");
	bad("01.2.3.4");		/* leading zero: not octal, not accepted */
	bad("1.2.3.04");
	bad("1..2.3");
	bad("1.2.3.4.");
	bad(" 1.2.3.4");
	bad("1.2.3.4 ");
	bad("1.2.3.-4");
	bad("1.2.3.4%1");		/* zones are IPv6 only */
	bad("0x1.2.3.4");
	bad("1234.1.1.1");
}

HT_TEST(ipv6_forms)
{
	roundtrip("::", "::");
	roundtrip("::1", "::1");
	roundtrip("1::", "1::");
	roundtrip("2001:db8::1", "2001:db8::1");
	roundtrip("2001:DB8:0:0:0:0:0:1", "2001:db8::1");		/* lower case, :: */
	roundtrip("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
	roundtrip("fe80::5054:ff:fe12:3456", "fe80::5054:ff:fe12:3456");
	roundtrip("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8");
	/* RFC 5952 4.2.2: a single zero group is not shortened */
	roundtrip("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
	/* 4.2.3: the longest run; the first of equal runs */
	roundtrip("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
	roundtrip("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
	roundtrip("0:0:1:0:0:1:0:0", "::1:0:0:1:0:0");
	/* ::ffff:0:0/96 with a dotted quad (5) */
	roundtrip("::ffff:192.0.2.1", "::ffff:192.0.2.1");
	roundtrip("0:0:0:0:0:ffff:c000:0201", "::ffff:192.0.2.1");
	/* other embedded IPv4 prints as hex */
	roundtrip("::192.0.2.1", "::c000:201");
	roundtrip("64:ff9b::192.0.2.33", "64:ff9b::c000:221");
	roundtrip("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304");
	/* zones */
	roundtrip("fe80::1%2", "fe80::1%2");
	roundtrip("fe80::1%255", "fe80::1%255");
}

HT_TEST(ipv6_rejects)
{
	bad(":");
	bad(":::");
	bad("1:2:3:4:5:6:7");
	bad("1:2:3:4:5:6:7:8:9");
	bad("1:2:3:4:5:6:7:8::");
	bad("::1:2:3:4:5:6:7:8");
	bad("1::2::3");
	bad(":1::2");
	bad("1::2:");
	bad("12345::1");
	bad("g::1");
	bad("1:2:3:4:5:6:7:1.2.3.4");	/* no room for the IPv4 tail */
	bad("::1.2.3");
	bad("::1.2.3.4:1");
	bad("fe80::1%");
	bad("fe80::1%0");
	bad("fe80::1%256");
	bad("fe80::1%01");
	bad("fe80::1%en0");		/* names are not accepted */
	bad("[::1]");
}

HT_TEST(addr_port)
{
	struct net_addr a;
	char out[NET_ADDR_STRLEN];
	HT_EQ(net_addr_parse("10.0.0.1:80", &a), 0);
	HT_EQ(a.family, NET_AF_INET);
	HT_EQ(a.port, 80);
	HT_EQ(net_addr_format(&a, out, sizeof out), 11);
	HT_STREQ(out, "10.0.0.1:80");
	HT_EQ(net_addr_parse("[fe80::1%2]:65535", &a), 0);
	HT_EQ(a.family, NET_AF_INET6);
	HT_EQ(a.zone, 2);
	HT_EQ(a.port, 65535);
	net_addr_format(&a, out, sizeof out);
	HT_STREQ(out, "[fe80::1%2]:65535");
	HT_EQ(net_addr_parse("[::]:0", &a), 0);
	net_addr_format(&a, out, sizeof out);
	HT_STREQ(out, "[::]:0");
	HT_EQ(net_addr_parse("10.0.0.1", &a), -EINVAL);		/* port required */
	HT_EQ(net_addr_parse("10.0.0.1:", &a), -EINVAL);
	HT_EQ(net_addr_parse("10.0.0.1:65536", &a), -EINVAL);
	HT_EQ(net_addr_parse("10.0.0.1:8a", &a), -EINVAL);
	HT_EQ(net_addr_parse("::1:80", &a), -EINVAL);		/* IPv6 needs brackets */
	HT_EQ(net_addr_parse("[10.0.0.1]:80", &a), -EINVAL);
	HT_EQ(net_addr_parse("[::1]80", &a), -EINVAL);
	HT_EQ(net_addr_parse("example.lan:80", &a), -EINVAL);	/* a name is not an IP */
	/* the longest address fits NET_ADDR_STRLEN */
	HT_EQ(net_addr_parse("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%255]:65535", &a),
	      0);
	a.ip[10] = 0xfe;		/* not mapped: prints as 8 hex groups */
	HT_CHECK(net_addr_format(&a, out, sizeof out) > 0);
	HT_CHECK(strlen(out) < NET_ADDR_STRLEN);
}

HT_TEST(format_space)
{
	struct net_addr a = net_addr_ip4(192, 168, 100, 200, 8080);
	char out[32];
	HT_EQ(net_addr_format(&a, out, 21), 20);	/* exactly fits */
	HT_STREQ(out, "192.168.100.200:8080");
	HT_EQ(net_addr_format(&a, out, 20), -ENOSPC);
	HT_STREQ(out, "");
	HT_EQ(net_ip_format(&a, out, 0), -ENOSPC);
	struct net_addr none = { 0 };
	HT_EQ(net_ip_format(&none, out, sizeof out), -EINVAL);
	HT_STREQ(out, "");
}

HT_TEST(split_hostport)
{
	char host[NET_HOST_MAX + 1];
	uint16_t port;
	HT_EQ(net_split_hostport("example.lan:80", host, sizeof host, &port), 0);
	HT_STREQ(host, "example.lan");
	HT_EQ(port, 80);
	HT_EQ(net_split_hostport("[fe80::1%2]:443", host, sizeof host, &port), 0);
	HT_STREQ(host, "fe80::1%2");
	HT_EQ(port, 443);
	HT_EQ(net_split_hostport(":53", host, sizeof host, &port), 0);
	HT_STREQ(host, "");
	HT_EQ(port, 53);
	HT_EQ(net_split_hostport("example.lan", host, sizeof host, &port), -EINVAL);
	HT_EQ(net_split_hostport("a:b:80", host, sizeof host, &port), -EINVAL);
	HT_EQ(net_split_hostport("host:http", host, sizeof host, &port), -EINVAL);
	HT_EQ(net_split_hostport("[::1]", host, sizeof host, &port), -EINVAL);
	HT_EQ(net_split_hostport("x]:1", host, sizeof host, &port), -EINVAL);
	HT_EQ(net_split_hostport("abcdef:1", host, 6, &port), -ENAMETOOLONG);
	HT_EQ(net_split_hostport("abcde:1", host, 6, &port), 0);
}

HT_TEST(host_names)
{
	HT_CHECK(net_host_valid("example.lan"));
	HT_CHECK(net_host_valid("www.example.test."));
	HT_CHECK(net_host_valid("a"));
	HT_CHECK(net_host_valid("x-1.y_2.z"));
	HT_CHECK(net_host_valid("1a.example"));
	HT_CHECK(!net_host_valid(""));
	HT_CHECK(!net_host_valid("."));
	HT_CHECK(!net_host_valid("a..b"));
	HT_CHECK(!net_host_valid("-a.b"));
	HT_CHECK(!net_host_valid("a-.b"));
	HT_CHECK(!net_host_valid("a b"));
	HT_CHECK(!net_host_valid("10.0.0.1"));	/* all numeric: an address */
	char label[80];
	memset(label, 'a', 64);
	label[64] = 0;
	HT_CHECK(!net_host_valid(label));		/* a 64-byte label */
	label[63] = 0;
	HT_CHECK(net_host_valid(label));
	char longname[300];
	size_t n = 0;
	while (n < 254) {
		longname[n++] = 'a';
		longname[n++] = '.';
	}
	longname[253] = 0;			/* 253 bytes: fits */
	HT_CHECK(net_host_valid(longname));
	longname[253] = 'a';
	longname[254] = 0;
	HT_CHECK(!net_host_valid(longname));
}

HT_TEST(predicates)
{
	struct net_addr a, b;
	net_ip_parse("::ffff:10.1.2.3", &a);
	b = net_addr_unmap(&a);
	HT_EQ(b.family, NET_AF_INET);
	HT_EQ(b.ip[3], 3);
	net_ip_parse("10.1.2.3", &a);
	HT_CHECK(net_ip_equal(&a, &b));
	b.port = 1;
	HT_CHECK(!net_addr_equal(&a, &b));
	net_ip_parse("fe80::1%2", &a);
	net_ip_parse("fe80::1", &b);
	HT_CHECK(!net_ip_equal(&a, &b));	/* zones differ */
	HT_CHECK(net_ip_is_linklocal(&a));
	net_ip_parse("::1", &a);
	HT_CHECK(net_ip_is_loopback(&a));
	net_ip_parse("127.5.0.1", &a);
	HT_CHECK(net_ip_is_loopback(&a));
	net_ip_parse("::", &a);
	HT_CHECK(net_ip_is_unspecified(&a));
	struct net_addr none = { 0 };
	HT_CHECK(net_ip_is_unspecified(&none));
	HT_STREQ(net_strerror(-ENOENT), "no such host");
	HT_STREQ(net_strerror(-ECONNREFUSED), "connection refused");
	HT_STREQ(net_strerror(-12345), "unknown error");
}
