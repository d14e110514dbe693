/*
 * net/route.c — can a packet to this address leave, and did its next hop
 * answer? lwIP itself does not say: ip4_route/ip6_route fall back to the
 * default netif for any destination, and a packet with no gateway, or
 * whose next hop never answers ARP or neighbor discovery, is dropped
 * silently; a TCP connect then retransmits its SYN until it gives up. A
 * dial should fail at once with -ENETUNREACH when there is no route, and
 * say -EHOSTUNREACH (as Linux does when ARP fails) rather than
 * -ETIMEDOUT when the next hop stayed silent.
 *
 *   route_check(dst)          0, or -ENETUNREACH: no netif with an
 *                             address of dst's family, no source address of
 *                             enough scope (IPv6), or dst is off-link and
 *                             there is no gateway (IPv4 gw=/DHCP; IPv6 an
 *                             advertised router or gw6=)
 *   route_next_hop_known(dst) dst's next hop (dst itself on-link, else the
 *                             gateway) is in the ARP table or the neighbor
 *                             cache, resolved
 *   route_prefer_ipv6()       the machine has a global (or unique local)
 *                             IPv6 address: dial tries IPv6 first
 * All under the net lock. The lwIP tables read here are its own
 * (etharp_find_addr, nd6's caches through lwip/priv/nd6_priv.h).
 */
#include <errno.h>
#include "lwip/etharp.h"
#include "lwip/ip4.h"
#include "lwip/ip6.h"
#include "lwip/netif.h"
#include "lwip/priv/nd6_priv.h"
#include "net/net_priv.h"

static bool is_loop(const struct netif *n)
{
	return n && n->name[0] == 'l' && n->name[1] == 'o';
}

/* IPv4: dst's netif, and whether dst is on its link. */
static struct netif *route4(const ip4_addr_t *dst, bool *onlink)
{
	struct netif *n = ip4_route(dst);
	*onlink = false;
	if (!n || is_loop(n))
		return n;
	*onlink = ip4_addr_netcmp(dst, netif_ip4_addr(n), netif_ip4_netmask(n)) ||
		  ip4_addr_isbroadcast(dst, n);
	return n;
}

/* IPv6: is dst on n's link (link-local, a static address's /64, or an
   advertised on-link prefix)? */
static bool onlink6(struct netif *n, const ip6_addr_t *dst)
{
	if (ip6_addr_islinklocal(dst))
		return true;
	for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++)
		if (ip6_addr_isvalid(netif_ip6_addr_state(n, i)) &&
		    netif_ip6_addr_isstatic(n, i) &&
		    ip6_addr_netcmp_zoneless(dst, netif_ip6_addr(n, i)))
			return true;
	for (int i = 0; i < LWIP_ND6_NUM_PREFIXES; i++)
		if (prefix_list[i].netif == n && prefix_list[i].invalidation_timer > 0 &&
		    ip6_addr_netcmp_zoneless(dst, &prefix_list[i].prefix))
			return true;
	return false;
}

static int check6(const ip6_addr_t *dst)
{
	if (ip6_addr_isloopback(dst))
		return 0;
	struct netif *n = ip6_route(IP6_ADDR_ANY6, dst);
	if (!n)
		return -ENETUNREACH;
	if (is_loop(n))		/* lwIP's one-netif shortcut routes all to lo */
		return netif_get_ip6_addr_match(n, dst) >= 0 ? 0 : -ENETUNREACH;
	const ip_addr_t *src = ip6_select_source_address(n, dst);
	if (!src)
		return -ENETUNREACH;
	/* a link-local source reaches only the link */
	if (ip6_addr_islinklocal(ip_2_ip6(src)) && !ip6_addr_islinklocal(dst))
		return -ENETUNREACH;
	if (onlink6(n, dst) || ipconfig6_have_router(n))
		return 0;
	return -ENETUNREACH;
}

int route_check(const ip_addr_t *dst)
{
	if (IP_IS_V6(dst))
		return check6(ip_2_ip6(dst));
	const ip4_addr_t *d = ip_2_ip4(dst);
	if (ip4_addr_isloopback(d))
		return 0;
	bool onlink;
	struct netif *n = route4(d, &onlink);
	if (!n)
		return -ENETUNREACH;
	if (is_loop(n))
		return 0;
	if (ip4_addr_isany_val(*netif_ip4_addr(n)))
		return -ENETUNREACH;		/* no address yet (DHCP) */
	if (!onlink && ip4_addr_isany_val(*netif_ip4_gw(n)))
		return -ENETUNREACH;
	return 0;
}

static bool neighbor_known(const ip6_addr_t *hop)
{
	for (int i = 0; i < LWIP_ND6_NUM_NEIGHBORS; i++)
		if (neighbor_cache[i].state != ND6_NO_ENTRY &&
		    neighbor_cache[i].state != ND6_INCOMPLETE &&
		    ip6_addr_cmp_zoneless(&neighbor_cache[i].next_hop_address, hop))
			return true;
	return false;
}

bool route_next_hop_known(const ip_addr_t *dst)
{
	if (IP_IS_V6(dst)) {
		const ip6_addr_t *d = ip_2_ip6(dst);
		if (ip6_addr_isloopback(d))
			return true;
		struct netif *n = ip6_route(IP6_ADDR_ANY6, d);
		if (!n || is_loop(n))
			return n != NULL;
		for (int i = 0; i < LWIP_ND6_NUM_DESTINATIONS; i++)
			if (ip6_addr_cmp_zoneless(&destination_cache[i].destination_addr, d))
				return neighbor_known(&destination_cache[i].next_hop_addr);
		return neighbor_known(d);
	}
	const ip4_addr_t *d = ip_2_ip4(dst);
	bool onlink;
	struct netif *n = route4(d, &onlink);
	if (!n || is_loop(n) || ip4_addr_isloopback(d))
		return n != NULL || ip4_addr_isloopback(d);
	if (ip4_addr_cmp(d, netif_ip4_addr(n)))
		return true;			/* ourselves */
	const ip4_addr_t *hop = onlink ? d : netif_ip4_gw(n);
	struct eth_addr *eth;
	const ip4_addr_t *ip;
	return etharp_find_addr(n, hop, &eth, &ip) >= 0;
}

bool route_prefer_ipv6(void)
{
	struct netif *n = netif_default;
	if (!n)
		return false;
	for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++)
		if (ip6_addr_ispreferred(netif_ip6_addr_state(n, i)) &&
		    !ip6_addr_islinklocal(netif_ip6_addr(n, i)))
			return true;
	return false;
}
