/*
 * net/net.h — the network layer, as the rest of the system sees it: its
 * bring-up and its counters. net.c brings it up at boot: lwIP, then the
 * first virtio-net device, addressed by ip=/gw= or DHCP, drained by the
 * integrated poller. Connections are net/conn.h.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stdint.h>

/* Bring the network up (net.c has the steps): lwIP always, then, unless
   net=off, the first NIC with its netif, address, poller and timers.
   Once, by kmain, with every CPU online; do not hold the net lock. */
void net_init(void);

/* Frames dropped because no pbuf was free. */
uint64_t net_rx_dropped_nopbuf(void);
/* lwIP's pools (and its heap, as "HEAP"): fn gets each one's use, peak,
   element size and allocation failures. fn runs without the net lock. */
void net_lwip_stats(void (*fn)(void *arg, const char *pool, uint64_t used, uint64_t max,
			       uint64_t size, uint64_t errors),
		    void *arg);

#endif
