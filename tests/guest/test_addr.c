/*
 * tests/guest/test_addr.c — the address helpers (net/addr.h) as the
 * kernel builds them (freestanding, newlib), and their conversions to and
 * from lwIP's ip_addr_t (net/addr_lwip.h), zones included. The host tests
 * (tests/host/test_addr.c) cover the text forms in depth.
 */
#include <errno.h>
#include <string.h>
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "net/addr.h"
#include "net/addr_lwip.h"
#include "net/netlock.h"
#include "tests/guest/ktest.h"

static bool text_roundtrip(const char *in, const char *want)
{
	struct net_addr a;
	char s[NET_ADDR_STRLEN];
	return net_addr_parse(in, &a) == 0 && net_addr_format(&a, s, sizeof s) > 0 &&
	       !strcmp(s, want);
}

KTEST(addr, text_forms)
{
	KT_ASSERT(text_roundtrip("10.0.2.15:80", "10.0.2.15:80"));
	KT_ASSERT(text_roundtrip("[2001:DB8:0:0:0:0:0:1]:443", "[2001:db8::1]:443"));
	KT_ASSERT(text_roundtrip("[fe80::5054:ff:fe12:3456%2]:22", "[fe80::5054:ff:fe12:3456%2]:22"));
	KT_ASSERT(text_roundtrip("[::ffff:10.0.0.1]:1", "[::ffff:10.0.0.1]:1"));
	struct net_addr a;
	KT_EQ(net_addr_parse("10.0.0.256:80", &a), -EINVAL);
	KT_EQ(net_ip_parse("::1::", &a), -EINVAL);
}

KTEST(addr, lwip_roundtrip)
{
	struct net_addr a, b;
	ip_addr_t ip;
	KT_EQ(net_addr_parse("192.168.1.20:8080", &a), 0);
	addr_to_lwip(&a, &ip);
	KT_ASSERT(IP_IS_V4(&ip));
	KT_EQ(ip4_addr_get_u32(ip_2_ip4(&ip)), PP_HTONL(0xc0a80114));
	addr_from_lwip(&ip, 8080, &b);
	KT_ASSERT(net_addr_equal(&a, &b));

	KT_EQ(net_addr_parse("[2001:db8::7]:53", &a), 0);
	addr_to_lwip(&a, &ip);
	KT_ASSERT(IP_IS_V6(&ip));
	KT_EQ(ip_2_ip6(&ip)->addr[0], PP_HTONL(0x20010db8));
	KT_EQ(ip_2_ip6(&ip)->addr[3], PP_HTONL(7));
	KT_ASSERT(!ip6_addr_has_zone(ip_2_ip6(&ip)));	/* global: no zone */
	addr_from_lwip(&ip, 53, &b);
	KT_ASSERT(net_addr_equal(&a, &b));

	/* a zone given is kept; lwIP's ::1 on the loopback netif reads back */
	KT_EQ(net_ip_parse("fe80::1%7", &a), 0);
	addr_to_lwip(&a, &ip);
	KT_EQ(ip6_addr_zone(ip_2_ip6(&ip)), 7);
	addr_from_lwip(&ip, 0, &b);
	KT_EQ(b.zone, 7);
	net_lock();
	ip_addr_t lo6 = *netif_ip_addr6(netif_get_by_index(1), 0);
	const char *name = netif_get_by_index(1) ? netif_get_by_index(1)->name : "";
	bool named_lo = name[0] == 'l' && name[1] == 'o';
	net_unlock();
	KT_ASSERT(named_lo);				/* index 1 is loopback */
	addr_from_lwip(&lo6, 0, &b);
	KT_ASSERT(net_ip_is_loopback(&b) && b.family == NET_AF_INET6);
}

/* With one NIC, a link-local address without a zone is on the NIC; with
   none, it stays zoneless (and routes nowhere). */
KTEST(addr, linklocal_zone)
{
	struct net_addr a;
	ip_addr_t ip;
	KT_EQ(net_ip_parse("fe80::1", &a), 0);
	net_lock();
	addr_to_lwip(&a, &ip);
	int want = netif_default ? netif_get_index(netif_default) : 0;
	net_unlock();
	if (want)
		KT_EQ(ip6_addr_zone(ip_2_ip6(&ip)), want);
	else
		KT_ASSERT(!ip6_addr_has_zone(ip_2_ip6(&ip)));
}
