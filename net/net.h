/*
 * net/net.h — the network interface, as the rest of the system sees it.
 * net.c brings it up at boot (KINIT_LATE): the first virtio-net device,
 * addressed by ip=/gw= or DHCP, drained by the integrated poller.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stdint.h>

/* Frames dropped because no pbuf was free. */
uint64_t net_rx_dropped_nopbuf(void);
/* lwIP's pools (and its heap, as "HEAP"): fn gets each one's use, peak,
   element size and allocation failures. fn runs without the net lock. */
void net_lwip_stats(void (*fn)(void *arg, const char *pool, uint64_t used, uint64_t max,
			       uint64_t size, uint64_t errors),
		    void *arg);

#endif
