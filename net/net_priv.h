/*
 * net/net_priv.h — what the files of the network layer share, and no one
 * else: the bring-up (net.c) calls each part once, in this order, and the
 * parts call each other only as written here. Other layers use net/net.h,
 * net/conn.h and net/netlock.h.
 *
 *   netif.c     the netif glue: frames between lwIP and the device
 *   rx_small.c  small receive buffers, which netif.c copies small frames into
 *   ipconfig.c  the IPv4 address: ip=/gw= or DHCP, and the lines that
 *               report addresses
 *   ipconfig6.c IPv6: link-local, SLAAC, ip6=/gw6=
 *   dns.c       the resolver (its servers: dns=, DHCP, RDNSS)
 *   route.c     is there a route, did the next hop answer (for dial)
 *   conn.c, dial.c, udp.c   connections, dials, UDP sockets (their own
 *               headers), sharing net_stats
 *   poller.c    the integrated poller (and its lost-interrupt watchdog)
 *   timers.c    lwIP's timers, in the net-timers task
 *   stats.c     lwIP's pool statistics (and rx_small's) for /metrics
 *   limits.c    the pools' sizes from the memory (its own header);
 *               lwip/pools.c carves lwIP's storage with them
 */
#ifndef NET_NET_PRIV_H
#define NET_NET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netif;
struct netdev;
struct ip_addr;
struct net_conn_stats;

/* lwip/pools.c. Carve lwIP's heap (net_limits.heap_bytes) before
   lwip_init; its pools are carved from memp_init (LWIP_HOOK_MEMP_AT_BOOT). */
void lwip_heap_at_boot(void);

/* netif.c. Add the one netif, on device dev, and set it up (link as the
   device reports it). Net lock held. */
void netif_glue_add(struct netif *n, struct netdev *dev);
/* netdev_rx_poll's deliver for the netif ctx: the frame into a pbuf, the
   pbuf into lwIP (dropped, and counted, when no pbuf is free). Net lock
   held. */
void netif_deliver(void *ctx, const void *frame, size_t len, unsigned flags);

/* Small receive buffers (net/rx_small.c): carve net_limits.rx_small of
   them (once, at bring-up); a pbuf of len bytes (PBUF_RAW, uninitialised)
   for a frame of at most RX_SMALL_BYTES, or NULL (too long, or none free:
   take a PBUF_POOL buffer); their stats as a pool ("RX_SMALL"). Net lock
   held. */
#define RX_SMALL_BYTES	256
void rx_small_init(void);
struct pbuf *rx_small_alloc(size_t len);
struct net_pool_stats rx_small_stats(void);

/* ipconfig.c. Address n from ip=/gw=, or start DHCP. Net lock held. */
void ipconfig_start(struct netif *n);
/* Print "net: ADDR/PREFIX gw GW (static|dhcp)" if the address changed
   since the last call (lwIP reports a change before DHCP has set the
   gateway, so the timers task prints the settled result). Any task; do
   not hold the lock. */
void ipconfig_report(struct netif *n);

/* ipconfig6.c. Give n its link-local address, turn SLAAC on and add
   ip6=/gw6=. Net lock held. */
void ipconfig6_start(struct netif *n);
/* Print a line for each IPv6 address that became valid, or failed its
   duplicate check, since the last call ("net: fd77::1/64 (slaac)").
   Called by ipconfig_report; do not hold the lock. */
void ipconfig6_report(struct netif *n);
/* n's valid IPv6 addresses into out (at most max): how many. Net lock
   held. */
struct net_ifaddr;
int ipconfig6_addrs(struct netif *n, struct net_ifaddr *out, int max);
/* Is there a default router for IPv6 (advertised, or gw6=)? Net lock
   held. */
bool ipconfig6_have_router(struct netif *n);

/* dns.c. Read dns= (once, at bring-up; the lock not held). */
void dns_start(void);
/* Print "net: dns SERVER..." when the servers in use changed. Do not hold
   the lock. */
void dns_report(void);

/* route.c (under the lock): 0 or -ENETUNREACH — is there a way out for
   dst at all? Is its next hop resolved (ARP, neighbor cache)? Should a
   dial try IPv6 first (a global IPv6 address is preferred)? */
int route_check(const struct ip_addr *dst);
bool route_next_hop_known(const struct ip_addr *dst);
bool route_prefer_ipv6(void);

/* conn.c: the counters of net_conn_stats (net/conn.h), which conn.c,
   dial.c, udp.c and dns.c bump under the net lock. */
extern struct net_conn_stats net_stats;

/* timers.c: true while sys_check_timeouts runs (lwIP's timer path);
   under the net lock. The resolver tells a timeout from an answer by it. */
extern bool net_in_timers;

/* poller.c. Register the poller with the runtime and arm dev's interrupt
   for it: from here on frames flow. Do not hold the lock. */
void poller_start(struct netdev *dev, struct netif *n);
/* A look for a lost interrupt (frames waiting and no progress since the
   last look) or a broken device; called every round of the timers task.
   Any task; do not hold the lock. */
void poller_watchdog(void);
/* What the poller did to the device (tests). Do not hold the lock. */
struct poller_stats {
	unsigned restarts;		/* netdev_restart after netdev_broken */
	unsigned link_changes;		/* link state carried to the netif */
};
struct poller_stats poller_stats(void);

/* timers.c. Spawn the net-timers task: lwIP's timers, the watchdog and
   the address report, each round. */
void net_timers_start(struct netif *n);

#endif
