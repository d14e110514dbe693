/*
 * net/ipconfig6.c — the netif's IPv6 addresses, beside IPv4 (dual stack):
 *
 *   - a link-local address from the MAC (modified EUI-64), always, in
 *     slot 0 — fe80::/64, zone 2 (the NIC's interface index);
 *   - SLAAC: router advertisements with an autonomous prefix give an
 *     address (lwIP's nd6, LWIP_IPV6_AUTOCONFIG) and a default router;
 *     router solicitations go out when the link comes up;
 *   - static ip6=ADDR/PREFIX (an address with its on-link /64, as lwIP
 *     treats static addresses) and gw6=ADDR, the default router for
 *     off-link destinations (lwIP's LWIP_HOOK_ND6_GET_GW asks
 *     ipconfig6_gateway; it is preferred over advertised routers, as a
 *     static route would be). A link-local gw6 without a zone is on the
 *     NIC.
 * Each address is announced once it passed duplicate address detection:
 * "net: fe80::5054:ff:fe12:3456/64 (link-local)", ".../64 (slaac)",
 * ".../64 gw6 fe80::1 (static)", or "net: ADDR duplicate, not used".
 * A malformed ip6=/gw6= gets a message and is ignored (SLAAC still runs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/kcmdline.h"
#include "lwip/ip6_addr.h"
#include "lwip/netif.h"
#include "lwip/priv/nd6_priv.h"
#include "net/addr.h"
#include "net/addr_lwip.h"
#include "net/net.h"
#include "net/net_priv.h"
#include "net/netlock.h"

CMDLINE_KEY(key_ip6, "ip6", "static IPv6 address ADDR/PREFIX, beside SLAAC");
CMDLINE_KEY(key_gw6, "gw6", "IPv6 default router with ip6= (e.g. fe80::1)");

static ip6_addr_t gw6;			/* under the lock; any: none */
static bool have_gw6;
static unsigned prefix6;		/* of ip6=, for the report */
static s8_t static_idx = -1;

/* What the report printed for each slot: its address and whether it was
   valid (or duplicate) then. Only the timers task touches it. */
static struct {
	ip6_addr_t addr;
	u8_t shown;			/* 0, or the state it was shown in */
} shown[LWIP_IPV6_NUM_ADDRESSES];

const struct ip6_addr *ipconfig6_gateway(struct netif *n, const struct ip6_addr *dest)
{
	(void)n, (void)dest;
	return have_gw6 ? &gw6 : NULL;
}

bool ipconfig6_have_router(struct netif *n)
{
	if (have_gw6)
		return true;
	for (int i = 0; i < LWIP_ND6_NUM_ROUTERS; i++)
		if (default_router_list[i].neighbor_entry &&
		    default_router_list[i].neighbor_entry->netif == n &&
		    default_router_list[i].invalidation_timer > 0)
			return true;
	return false;
}

/* "ADDR/PREFIX" → address and prefix; false when malformed. */
static bool parse_cidr6(const char *s, struct net_addr *a, unsigned *prefix)
{
	const char *slash = strchr(s, '/');
	char *end;
	if (!slash || net_ip_parse_n(s, (size_t)(slash - s), a) || a->family != NET_AF_INET6 ||
	    slash[1] < '0' || slash[1] > '9')
		return false;
	unsigned long v = strtoul(slash + 1, &end, 10);
	if (*end || v < 1 || v > 128)
		return false;
	*prefix = (unsigned)v;
	return !net_ip_is_unspecified(a) && a->ip[0] != 0xff;	/* not :: or multicast */
}

static void static_config(struct netif *n)
{
	const char *ip = kcmdline_str(&key_ip6), *gw = kcmdline_str(&key_gw6);
	struct net_addr a, g;
	if (!ip && !gw)
		return;
	if (!ip || !parse_cidr6(ip, &a, &prefix6) ||
	    (gw && (net_ip_parse(gw, &g) || g.family != NET_AF_INET6))) {
		kcmdline_error("net: cannot use ip6=%s gw6=%s (want ip6=ADDR/PREFIX gw6=ADDR); "
		       "IPv6 by SLAAC only\n", ip ? ip : "", gw ? gw : "");
		return;
	}
	ip_addr_t la;
	addr_to_lwip(&a, &la);
	if (netif_add_ip6_address(n, ip_2_ip6(&la), &static_idx) != ERR_OK) {
		printf("net: no room for ip6=%s\n", ip);
		return;
	}
	if (gw) {
		ip_addr_t lg;
		addr_to_lwip(&g, &lg);
		ip6_addr_copy(gw6, *ip_2_ip6(&lg));
		have_gw6 = true;
	}
}

void ipconfig6_start(struct netif *n)
{
	netif_create_ip6_linklocal_address(n, 1);
	netif_set_ip6_autoconfig_enabled(n, 1);
	static_config(n);
}

int ipconfig6_addrs(struct netif *n, struct net_ifaddr *out, int max)
{
	int k = 0;
	for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES && k < max; i++) {
		if (!ip6_addr_isvalid(netif_ip6_addr_state(n, i)))
			continue;
		bool ll = ip6_addr_islinklocal(netif_ip6_addr(n, i));
		out[k] = (struct net_ifaddr){ .prefix = (uint8_t)(i == static_idx ? prefix6 : 64) };
		addr_from_lwip(netif_ip_addr6(n, i), 0, &out[k].addr);
		strcpy(out[k++].origin, i == static_idx ? "static" : ll ? "link-local" : "slaac");
	}
	return k;
}

/* The line for slot i (state st) into line. Net lock held. */
static void describe6(struct netif *n, int i, u8_t st, char *line, size_t size)
{
	struct net_addr a;
	char s[NET_ADDR_STRLEN], g[NET_ADDR_STRLEN];
	addr_from_lwip(netif_ip_addr6(n, i), 0, &a);
	a.zone = 0;			/* the report names the address, not the link */
	net_ip_format(&a, s, sizeof s);
	if (ip6_addr_isduplicated(st)) {
		snprintf(line, size, "net: %s duplicate on the link, not used\n", s);
	} else if (i == static_idx) {
		ip_addr_t lg;
		ip_addr_copy_from_ip6(lg, gw6);
		addr_from_lwip(&lg, 0, &a);
		a.zone = 0;
		net_ip_format(&a, g, sizeof g);
		snprintf(line, size, "net: %s/%u%s%s (static)\n", s, prefix6, have_gw6 ? " gw6 " : "",
			 have_gw6 ? g : "");
	} else {
		snprintf(line, size, "net: %s/64 (%s)\n", s,
			 ip6_addr_islinklocal(netif_ip6_addr(n, i)) ? "link-local" : "slaac");
	}
}

void ipconfig6_report(struct netif *n)
{
	for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
		char line[128] = "";
		net_lock();
		u8_t st = netif_ip6_addr_state(n, i);
		bool show = ip6_addr_isvalid(st) || ip6_addr_isduplicated(st);
		u8_t key = ip6_addr_isduplicated(st) ? IP6_ADDR_DUPLICATED : IP6_ADDR_VALID;
		bool same = shown[i].shown == key &&
			    ip6_addr_cmp_zoneless(&shown[i].addr, netif_ip6_addr(n, i));
		if (show && !same) {
			describe6(n, i, st, line, sizeof line);
			ip6_addr_copy(shown[i].addr, *netif_ip6_addr(n, i));
			shown[i].shown = key;
		} else if (!show) {
			shown[i].shown = 0;
		}
		net_unlock();
		if (line[0])
			printf("%s", line);
	}
}
