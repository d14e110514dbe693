/*
 * net/lwip/include/arch/sys_arch.h — what Weft's port provides to lwIP.
 *
 * With NO_SYS=1 lwIP needs no semaphores, mailboxes or threads (lwip/sys.h
 * stubs them out and does not include this file itself); the port's
 * services are only these, implemented in net/lwip/sys_arch.c and
 * net/lwip/timewait.c, and reached from arch/cc.h and lwipopts.h:
 *   sys_now()              milliseconds, for lwIP's timers (lwip/sys.h)
 *   lwip_rand()            LWIP_RAND: DHCP xids, first ephemeral ports
 *   lwip_hook_tcp_isn()    LWIP_HOOK_TCP_ISN: RFC 6528 sequence numbers
 *   lwip_hook_ip4_input()  LWIP_HOOK_IP4_INPUT: TIME_WAIT recycling
 *   lwip_hook_ip6_input()  LWIP_HOOK_IP6_INPUT: the same for IPv6
 *   ipconfig6_gateway()    LWIP_HOOK_ND6_GET_GW: gw6= (net/ipconfig6.c)
 *   net_lwip_assert_locked()  the net-lock check behind
 *                          LWIP_ASSERT_CORE_LOCKED and SYS_ARCH_PROTECT
 * Only standard types here: lwIP includes this before its own typedefs.
 */
#ifndef WEFT_LWIP_ARCH_SYS_ARCH_H
#define WEFT_LWIP_ARCH_SYS_ARCH_H

#include <stdint.h>
#include "kernel/debug.h"

/* 1 (make DEBUG=1, kernel/debug.h): every lwIP entry checks that this CPU
   holds the net lock (a load and a compare, out of line). 0 compiles the
   checks away. */
#ifndef NET_LOCK_CHECKS
#define NET_LOCK_CHECKS WEFT_DEBUG
#endif

#if NET_LOCK_CHECKS
void net_lwip_assert_locked(void);
#define NET_LWIP_ASSERT_LOCKED()	net_lwip_assert_locked()
#else
#define NET_LWIP_ASSERT_LOCKED()	do { } while (0)
#endif

struct ip_addr;
struct ip6_addr;
struct pbuf;
struct netif;

/* A uniformly distributed 32-bit number (not for keys: see sys_arch.c). */
uint32_t lwip_rand(void);
/* Initial sequence number for a connection between these endpoints
   (ports in host order). Under the net lock. */
uint32_t lwip_hook_tcp_isn(const struct ip_addr *local_ip, uint16_t local_port,
			   const struct ip_addr *remote_ip, uint16_t remote_port);
/* See each IPv4 / IPv6 packet first (p->payload at the IP header).
   Return 0: lwIP goes on with the packet (they never consume one). Under
   the lock. */
int lwip_hook_ip4_input(struct pbuf *p, struct netif *inp);
int lwip_hook_ip6_input(struct pbuf *p, struct netif *inp);
/* The static IPv6 default router (gw6=) for an off-link dest, or NULL.
   Under the lock. */
const struct ip6_addr *ipconfig6_gateway(struct netif *n, const struct ip6_addr *dest);

/* TIME_WAIT recycling counters (net/lwip/timewait.c), under the net lock. */
struct net_tw_stats {
	uint64_t syn_recycled;		/* TIME_WAIT pcbs given up to a new SYN */
	uint64_t trimmed;		/* oldest ones aborted above net_tw_max */
};
extern struct net_tw_stats net_tw_stats;
/* Most TIME_WAIT pcbs kept before each SYN trims the oldest (NET_TW_MAX
   by default; tests lower it). Under the net lock. */
extern unsigned net_tw_max;

#endif
