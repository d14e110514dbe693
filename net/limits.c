/*
 * net/limits.c — the network's pools sized from the memory there is.
 *
 * The network's memory is lwIP's pools and heap and net/'s connection
 * pool: fixed pools, so the request path never allocates, but their sizes
 * are chosen here at boot instead of at compile time (a static build sized
 * for 10,000 connections carried 35 MiB of .bss and could not boot below
 * 40 MiB). The rules, applied to `avail`, the memory free just before
 * net_init (every CPU up, with its stacks) less a reserve for what comes
 * after it (NET_RESERVE: the NIC's rings and buffers, the runtime's own
 * tasks, the kernel heap with the TLS server and the access log's ring):
 *
 *   lwIP's heap (TX data)      avail / 16, 256 KiB .. 16 MiB (MEM_SIZE)
 *   receive buffers            avail / 40 of them,  64 .. PBUF_POOL_SIZE
 *   pbuf headers               half the receive buffers, 64 .. MEMP_NUM_PBUF
 *   datagrams queued on UDP    as many as receive buffers, at most 4,096
 *   sockets                    (each holds one, or a loopback copy)
 *   TCP connections            what is left / NET_CONN_BYTES, at most 10,000
 *   TCP pcbs                   connections + 25% (closing, half open) + 16
 *   net/'s connections         pcbs + a third (a conn outlives its pcb
 *                              until the app closes it)
 *   TCP segments               3 per connection, 2 full send queues at least
 *   small receive buffers      connections + 25% (net/rx_small.c: a held
 *                              request need not hold a receive buffer)
 *
 * NET_CONN_BYTES is what one served connection costs beyond the shared
 * buffers, so the limit is a number of connections the guest can
 * actually hold open: its task's stack, which the HTTP server's
 * connection task grows to 6 pages (24 KiB: weft_stack_pages rises by
 * 6.0 per connection over 100 idle keep-alive connections that each had
 * one GET of the site's index, at 256 MiB), and about 2 KiB more: its
 * pcbs (1.25 of 344 bytes), its struct conn, its segments, its small
 * receive buffer, the task's descriptor and its share of the stack page
 * tables (a 2 MiB table per 7 slots). The rest of the 32 KiB is for a
 * request that reaches further into the connection's buffers. At 512 MiB the
 * rules give lwipopts.h's largest counts (10,000 connections); at 8 MiB
 * 100. Fewer than NET_MIN_CONNS is no server: the guest says how
 * much memory it needs and powers off with a failure.
 *
 * The small pools (UDP pcbs, listeners, ARP and ND queues, timers,
 * reassembly) keep their full counts at any size: tens of KiB, inside
 * NET_RESERVE.
 */
#include <stdio.h>
#include "kernel/bootinfo.h"
#include "kernel/exit.h"
#include "kernel/memmap.h"
#include "kernel/page.h"
#include "lwip/memp.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "net/conn_priv.h"
#include "net/limits.h"

#define KIB		1024ull
#define MIB		(1024ull * 1024)
#define NET_RESERVE	(2 * MIB)
#define NET_CONN_BYTES	(32 * KIB)
#ifndef NET_MAX_CONNS		/* make CDEFS=-DNET_MAX_CONNS=N: bench/conns.sh */
#define NET_MAX_CONNS	10000u
#endif
#define NET_MIN_CONNS	16u
#define HEAP_MIN	(256 * KIB)
#define PBUFS_MIN	64u
#define REFS_MIN	64u
#define UDP_NODES_MAX	4096u

struct net_limits net_limits;

#define ELEM(type)	((uint64_t)MEMP_SIZE + LWIP_MEM_ALIGN_SIZE(sizeof(type)))
#define PBUF_ELEM	((uint64_t)MEMP_SIZE + LWIP_MEM_ALIGN_SIZE(sizeof(struct pbuf)) + \
			 LWIP_MEM_ALIGN_SIZE(PBUF_POOL_BUFSIZE))

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The storage each pool takes, rounded as it will be carved. */
static uint64_t pages(uint64_t bytes)
{
	return (bytes + MEM_ALIGNMENT - 1 + 4095) / 4096 * 4096;
}

static uint64_t storage(const struct net_limits *l)
{
	return pages(l->heap_bytes + 64) + pages(l->pbufs * PBUF_ELEM) +
	       pages(l->pbuf_refs * ELEM(struct pbuf)) + pages(l->tcp_pcbs * ELEM(struct tcp_pcb)) +
	       pages(l->tcp_segs * ELEM(struct tcp_seg)) + pages(l->conn_pool * sizeof(struct conn)) +
	       pages((uint64_t)l->udp_nodes * NET_UDP_NODE_BYTES) +
	       pages((uint64_t)l->rx_small * NET_RX_SMALL_ELEM_BYTES);
}

/* Connections and the pools that follow from them. */
static void size_conns(struct net_limits *l, uint32_t conns)
{
	l->tcp_conns = conns;
	l->tcp_pcbs = (uint32_t)clamp(conns + conns / 4 + 16, 0, MEMP_NUM_TCP_PCB);
	l->conn_pool = l->tcp_pcbs + l->tcp_pcbs / 3;
	l->tcp_segs = (uint32_t)clamp(3ull * conns, 2 * TCP_SND_QUEUELEN, MEMP_NUM_TCP_SEG);
	l->rx_small = conns + conns / 4;
}

void net_limits_plan(void)
{
	struct net_limits *l = &net_limits;
	uint64_t usable = memmap_usable_bytes(&bootinfo.mm);
	uint64_t free = page_free_count() * 4096;
	l->ram_mib = (usable + MIB - 1) / MIB;
	uint64_t avail = free > NET_RESERVE ? free - NET_RESERVE : 0;

	l->heap_bytes = clamp(avail / 16, HEAP_MIN, MEM_SIZE) & ~4095ull;
	l->pbufs = (uint32_t)clamp(avail / 40 / PBUF_ELEM, PBUFS_MIN, PBUF_POOL_SIZE);
	l->pbuf_refs = (uint32_t)clamp(l->pbufs / 2, REFS_MIN, MEMP_NUM_PBUF);
	l->udp_nodes = (uint32_t)clamp(l->pbufs, PBUFS_MIN, UDP_NODES_MAX);
	size_conns(l, 0);
	uint64_t shared = storage(l);
	uint64_t rest = avail > shared ? avail - shared : 0;
	uint32_t conns = (uint32_t)clamp(rest / NET_CONN_BYTES, 0, NET_MAX_CONNS);
	size_conns(l, conns);
	l->bytes = storage(l);

	if (conns < NET_MIN_CONNS) {
		/* The least that serves: the smallest shared buffers and
		   NET_MIN_CONNS connections, on top of what is in use now
		   and of what the machine keeps from the guest's RAM (the
		   hole below 1 MiB): in the units of QEMU's -m, like ram_mib,
		   so the need is always more than the guest has. */
		struct net_limits least = { .heap_bytes = HEAP_MIN, .pbufs = PBUFS_MIN,
					    .pbuf_refs = REFS_MIN, .udp_nodes = PBUFS_MIN };
		size_conns(&least, 0);
		uint64_t need = l->ram_mib * MIB - free + NET_RESERVE + storage(&least) +
				NET_MIN_CONNS * NET_CONN_BYTES;
		printf("weft: needs %llu MiB, has %llu MiB\n",
		       (unsigned long long)((need + MIB - 1) / MIB), (unsigned long long)l->ram_mib);
		machine_exit(EXIT_FAIL);
	}
	printf("net: %llu MiB: up to %u TCP connections (%u pcbs, %u segments), "
	       "%u receive buffers, %llu KiB send heap; %llu KiB in all\n",
	       (unsigned long long)l->ram_mib, l->tcp_conns, l->tcp_pcbs, l->tcp_segs, l->pbufs,
	       (unsigned long long)(l->heap_bytes / KIB), (unsigned long long)(l->bytes / KIB));
}
