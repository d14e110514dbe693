/*
 * net/net.h — the network layer, as the rest of the system sees it: its
 * bring-up, the NIC's addresses and its counters. net.c brings it up at
 * boot: lwIP, then the first supported NIC (virtio-net, e1000/e1000e), addressed by ip=/gw= or
 * DHCP and by IPv6 (link-local, SLAAC, ip6=/gw6=), drained by the
 * integrated poller. Connections and dial are net/conn.h, UDP net/udp.h,
 * names net/dns.h, addresses net/addr.h.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stdint.h>
#include "net/addr.h"

/* Bring the network up (net.c has the steps): lwIP always, then, unless
   net=off, the first NIC with its netif, address, poller and timers.
   Once, by kmain, with every CPU online; do not hold the net lock. */
void net_init(void);
/* Did net_init bring a NIC up? (False without one, and with net=off.) */
bool net_have_nic(void);
/* Was net=off given (the NIC left to driver tests)? */
bool net_is_off(void);

/* One address of the NIC (Go's net.InterfaceAddrs). */
struct net_ifaddr {
	struct net_addr addr;		/* port 0; link-local ones zoned */
	uint8_t prefix;			/* on-link prefix length */
	char origin[12];		/* "dhcp", "static", "slaac", "link-local" */
};
/* The NIC's usable addresses now (IPv4, then each valid IPv6 one): how
   many were written (0 without a NIC or before any is configured). Any
   task; do not hold the net lock. */
int net_addrs(struct net_ifaddr *out, int max);

/* Frames dropped because no pbuf was free. */
uint64_t net_rx_dropped_nopbuf(void);
/* One lwIP pool (or its heap, "HEAP", counted in bytes: elem_bytes 1). */
struct net_pool_stats {
	const char *name;		/* static: "TCP_PCB", "PBUF_POOL", ... */
	uint64_t used;			/* elements in use now */
	uint64_t max;			/* most in use at once (high water) */
	uint64_t capacity;		/* elements the pool holds in all */
	uint64_t elem_bytes;		/* bytes per element */
	uint64_t errors;		/* allocations that failed: pool empty */
};
/* lwIP's pools and its heap, then net/'s small receive buffers
   ("RX_SMALL", net/rx_small.c: errors are frames that found none free and
   took a PBUF_POOL buffer instead), one call of fn each. fn runs without
   the net lock. */
void net_lwip_stats(void (*fn)(void *arg, const struct net_pool_stats *p),
		    void *arg);

#endif
