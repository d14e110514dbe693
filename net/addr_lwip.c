/*
 * net/addr_lwip.c — conversions between struct net_addr and ip_addr_t
 * (net/addr_lwip.h).
 */
#include <string.h>
#include "lwip/netif.h"
#include "net/addr_lwip.h"

void addr_to_lwip(const struct net_addr *a, ip_addr_t *out)
{
	if (a->family == NET_AF_INET6) {
		ip6_addr_t *ip6 = ip_2_ip6(out);
		memcpy(ip6->addr, a->ip, 16);
		IP_SET_TYPE_VAL(*out, IPADDR_TYPE_V6);
		ip6_addr_clear_zone(ip6);
		if (a->zone)
			ip6_addr_set_zone(ip6, a->zone);
		else if (ip6_addr_has_scope(ip6, IP6_UNICAST) && netif_default)
			ip6_addr_assign_zone(ip6, IP6_UNICAST, netif_default);
		return;
	}
	uint32_t v;
	memcpy(&v, a->ip, 4);
	ip_addr_set_ip4_u32_val(*out, v);
}

void addr_from_lwip(const ip_addr_t *ip, uint16_t port, struct net_addr *out)
{
	memset(out, 0, sizeof *out);
	out->port = port;
	if (IP_IS_V6(ip)) {
		const ip6_addr_t *ip6 = ip_2_ip6(ip);
		out->family = NET_AF_INET6;
		memcpy(out->ip, ip6->addr, 16);
		out->zone = ip6_addr_has_zone(ip6) ? ip6_addr_zone(ip6) : 0;
		return;
	}
	uint32_t v = ip4_addr_get_u32(ip_2_ip4(ip));
	out->family = NET_AF_INET;
	memcpy(out->ip, &v, 4);
}
