/*
 * net/ipconfig.c — the netif's IPv4 address: static from ip=ADDR/PREFIX
 * and gw=ADDR, or DHCP without ip= (as a cloud VM must), and the console
 * line that reports each settled address ("net: 10.0.2.15/24 gw 10.0.2.2
 * (dhcp)"). A malformed ip=/gw= gets a message and DHCP; so does an ip=
 * without its prefix (a silent /24 would be a guess). IPv6 is
 * ipconfig6.c; the report covers both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/kcmdline.h"
#include "lwip/dhcp.h"
#include "lwip/netif.h"
#include "net/addr_lwip.h"
#include "net/net.h"
#include "net/net_priv.h"
#include "net/netlock.h"

CMDLINE_KEY(key_ip, "ip", "static IPv4 address ADDR/PREFIX (default: DHCP)");
CMDLINE_KEY(key_gw, "gw", "default gateway with ip=");

static bool is_static;
static struct netif *the_netif;		/* set once by ipconfig_start */

/* lwIP calls this when the address changes, before DHCP has set the
   gateway: note it, and ipconfig_report prints the settled result. */
static volatile bool addr_changed;

static void status_cb(struct netif *n)
{
	(void)n;
	addr_changed = true;
}

static char last_line[96];		/* the IPv4 line printed last */

/* "net: ADDR/PREFIX gw GW (how)" into line; empty while unaddressed.
   Net lock held. */
static void describe_address(struct netif *n, char *line, size_t size)
{
	line[0] = 0;
	if (ip4_addr_isany_val(*netif_ip4_addr(n)))
		return;
	char a[16], g[16];
	ip4addr_ntoa_r(netif_ip4_addr(n), a, sizeof a);
	ip4addr_ntoa_r(netif_ip4_gw(n), g, sizeof g);
	unsigned prefix = 0;
	for (uint32_t m = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(n))); m & 0x80000000u; m <<= 1)
		prefix++;
	snprintf(line, size, "net: %s/%u gw %s (%s)\n", a, prefix, g, is_static ? "static" : "dhcp");
}

void ipconfig_report(struct netif *n)
{
	if (!addr_changed)
		return;
	char line[96];
	addr_changed = false;
	net_lock();
	describe_address(n, line, sizeof line);
	net_unlock();
	if (strcmp(line, last_line)) {
		printf("%s", line);
		memcpy(last_line, line, sizeof line);
	}
	ipconfig6_report(n);
}

/* "a.b.c.d/len" → address and netmask; false when malformed. */
static bool parse_cidr(const char *s, ip4_addr_t *ip, ip4_addr_t *mask)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (!ip4addr_aton(buf, ip))
		return false;
	if (!slash)
		return false;		/* the prefix is required */
	char *end;
	unsigned long v = strtoul(slash + 1, &end, 10);
	if (*end || end == slash + 1 || slash[1] < '0' || slash[1] > '9' || v > 32)
		return false;
	unsigned len = (unsigned)v;
	ip4_addr_set_u32(mask, lwip_htonl(len ? 0xffffffffu << (32 - len) : 0));
	return true;
}

void ipconfig_start(struct netif *n)
{
	the_netif = n;
	netif_set_status_callback(n, status_cb);
	const char *ip = kcmdline_str(&key_ip), *gw = kcmdline_str(&key_gw);
	ip4_addr_t a, m, g;
	ip4_addr_set_zero(&g);
	if (ip && parse_cidr(ip, &a, &m) && (!gw || ip4addr_aton(gw, &g))) {
		is_static = true;
		netif_set_addr(n, &a, &m, &g);
		return;
	}
	if (ip || gw)
		kcmdline_error("net: cannot use ip=%s gw=%s (want ip=ADDR/PREFIX gw=ADDR%s); using DHCP\n",
		       ip ? ip : "", gw ? gw : "",
		       ip && !strchr(ip, '/') ? ": ip= needs its prefix length" : "");
	dhcp_start(n);
}

int net_addrs(struct net_ifaddr *out, int max)
{
	int k = 0;
	struct netif *n = the_netif;
	if (!n || max < 1)
		return 0;
	net_lock();
	if (!ip4_addr_isany_val(*netif_ip4_addr(n))) {
		unsigned prefix = 0;
		for (uint32_t m = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(n))); m & 0x80000000u;
		     m <<= 1)
			prefix++;
		ip_addr_t ip;
		ip_addr_copy_from_ip4(ip, *netif_ip4_addr(n));
		out[k] = (struct net_ifaddr){ .prefix = (uint8_t)prefix };
		addr_from_lwip(&ip, 0, &out[k].addr);
		strcpy(out[k++].origin, is_static ? "static" : "dhcp");
	}
	k += ipconfig6_addrs(n, out + k, max - k);
	net_unlock();
	return k;
}
