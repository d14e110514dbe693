/*
 * net/limits.h — how many connections the network serves, decided at boot
 * from the memory the guest has (net/limits.c has the rules).
 *
 * kmain calls net_limits_plan once, just before net_init, when every CPU
 * is up and holds its stacks, so what is free is what the network, the
 * NIC and the app share: it sizes lwIP's
 * pools and heap and net/'s connection pool, prints them in one console
 * line ("net: 8 MiB: up to 160 TCP connections, ..."), or, when even the
 * smallest configuration does not fit, prints "weft: needs N MiB, has M
 * MiB" and powers the machine off with a failure. The pools themselves
 * are carved from the page allocator later, by lwip_init
 * (net/lwip/pools.c) and the first connection (net/conn.c).
 */
#ifndef NET_LIMITS_H
#define NET_LIMITS_H

#include <stdint.h>

struct net_limits {
	uint64_t ram_mib;	/* the guest's usable memory, rounded up */
	uint32_t tcp_conns;	/* concurrent TCP connections served */
	uint32_t tcp_pcbs;	/* lwIP's pcbs: those, plus closing and half-open ones */
	uint32_t conn_pool;	/* net/'s struct conn: a third more than pcbs (a
				   conn outlives its pcb until the app closes it) */
	uint32_t tcp_segs;	/* queued TCP segments, all connections */
	uint32_t pbufs;		/* PBUF_POOL receive buffers */
	uint32_t pbuf_refs;	/* pbuf headers without payload (MEMP_PBUF) */
	uint32_t rx_small;	/* small receive buffers (net/rx_small.c) */
	uint32_t udp_nodes;	/* datagrams queued on UDP sockets, all of them */
	uint64_t heap_bytes;	/* lwIP's heap: TX data in flight, headers */
	uint64_t bytes;		/* the storage of all of them */
};

/* What a small receive buffer takes (net/rx_small.c checks it at
   compile time): its pbuf, a link and RX_SMALL_BYTES. */
#define NET_RX_SMALL_ELEM_BYTES	320

/* The most a UDP queue node (net/udp.c's struct dgram) may take; udp.c
   checks it at compile time. */
#define NET_UDP_NODE_BYTES	48

/* Set by net_limits_plan; read-only afterwards. */
extern struct net_limits net_limits;

/* Decide the limits from the free memory, print them; or print what is
   needed and power off (machine_exit(EXIT_FAIL)). BSP, once, before
   net_init. */
void net_limits_plan(void);

#endif
