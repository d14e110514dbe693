/*
 * net/net_priv.h — what the files of the network layer share, and no one
 * else: the bring-up (net.c) calls each part once, in this order, and the
 * parts call each other only as written here. Other layers use net/net.h,
 * net/conn.h and net/netlock.h.
 *
 *   netif.c     the netif glue: frames between lwIP and the device
 *   ipconfig.c  the address: ip=/gw= or DHCP, and the line that reports it
 *   poller.c    the integrated poller (and its lost-interrupt watchdog)
 *   timers.c    lwIP's timers, in the net-timers task
 *   stats.c     lwIP's pool statistics for /metrics
 */
#ifndef NET_NET_PRIV_H
#define NET_NET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netif;
struct vnet;

/* netif.c. Add the one netif, on device dev, and set it up (link as the
   device reports it). Net lock held. */
void netif_glue_add(struct netif *n, struct vnet *dev);
/* vnet_rx_poll's deliver for the netif ctx: the frame into a pbuf, the
   pbuf into lwIP (dropped, and counted, when no pbuf is free). Net lock
   held. */
void netif_deliver(void *ctx, const void *frame, size_t len, unsigned flags);

/* ipconfig.c. Address n from ip=/gw=, or start DHCP. Net lock held. */
void ipconfig_start(struct netif *n);
/* Print "net: ADDR/PREFIX gw GW (static|dhcp)" if the address changed
   since the last call (lwIP reports a change before DHCP has set the
   gateway, so the timers task prints the settled result). Any task; do
   not hold the lock. */
void ipconfig_report(struct netif *n);

/* poller.c. Register the poller with the runtime and arm dev's interrupt
   for it: from here on frames flow. Do not hold the lock. */
void poller_start(struct vnet *dev, struct netif *n);
/* A look for a lost interrupt (frames waiting and no progress since the
   last look) or a broken device; called every round of the timers task.
   Any task; do not hold the lock. */
void poller_watchdog(void);
/* What the poller did to the device (tests). Do not hold the lock. */
struct poller_stats {
	unsigned restarts;		/* vnet_restart after vnet_broken */
	unsigned link_changes;		/* link state carried to the netif */
};
struct poller_stats poller_stats(void);

/* timers.c. Spawn the net-timers task: lwIP's timers, the watchdog and
   the address report, each round. */
void net_timers_start(struct netif *n);

#endif
