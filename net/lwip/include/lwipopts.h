/*
 * net/lwip/include/lwipopts.h — Weft's lwIP 2.1.3 configuration.
 *
 * Every option set here says why it has its value; anything not named
 * keeps lwIP's default (lwip/opt.h). The shape of the port:
 *
 *   - NO_SYS, raw API only. lwIP never runs a thread of its own; the
 *     scheduler's poller feeds it input and runs its timers, and tasks
 *     call the raw API from conn_*. One net lock (net/netlock.h)
 *     serializes every entry, so lwIP needs no locking of its own.
 *   - Sized at boot from the memory the guest has (net/limits.c): the
 *     pools' storage and lwIP's heap are carved from the physical page
 *     allocator before lwip_init, with element counts computed from RAM
 *     (MEMP_AT_BOOT, net/lwip/patches/0003-pools-sized-at-boot.patch).
 *     The MEMP_NUM_* values below are the largest counts, reached at
 *     512 MiB: 10,000 concurrent TCP connections, with churn of
 *     hundreds of thousands of short ones. Every pool is still a fixed
 *     pool once carved: memory is bounded, and the request path never
 *     calls malloc (DESIGN.md: "per-connection data comes from fixed
 *     pools"); allocation and free are lwIP's own memp code. At the
 *     largest sizes (element sizes as /metrics shows them):
 *       TCP PCBs       12,288 x   320 B    3.8 MiB   (dual-stack addresses)
 *       TCP segments   32,768 x    32 B    1.0 MiB
 *       PBUF_POOL       8,192 x 1,576 B   12.3 MiB   (RX, unread data)
 *       heap (MEM_SIZE)                   16.0 MiB   (TX data, headers)
 *       pbuf headers    4,096 x    24 B    0.1 MiB
 *       IPv6 (neighbors, destinations, ND queue, reassembly, MLD),
 *       DNS (32 names, 16 requests), 64 UDP pcbs:  ~25 KiB
 *     The small pools keep their full counts at any size; the four
 *     large ones scale down with the memory (net/limits.c has the
 *     rules, and the boot console prints the result). Dual stack and
 *     DNS added 0.7 MiB at the largest sizes: 40 B more per TCP pcb
 *     (ip_addr_t holds either family), 24 B more per PBUF_POOL buffer
 *     (room for the IPv6 header), the rest the tables above. net/'s
 *     own connection pool is sized with them (a third more than pcbs).
 *   - TIME_WAIT never stalls accept: see MEMP_NUM_TCP_PCB and TCP_MSL
 *     below, and net/lwip/timewait.c.
 */
#ifndef WEFT_LWIPOPTS_H
#define WEFT_LWIPOPTS_H

/* ---- system integration ------------------------------------------------ */

/* No OS layer: lwIP is driven from the poller and from tasks, never from
   a thread of its own (DESIGN.md, "Concurrency model"). */
#define NO_SYS				1
/* The net lock serializes every entry into lwIP, so lwIP's own critical
   sections (SYS_ARCH_PROTECT) need no real protection. arch/cc.h turns
   them into an assertion that the net lock is held instead (in debug
   builds), which catches a pbuf_free() or pbuf_alloc() made outside the
   lock. */
#define SYS_LIGHTWEIGHT_PROT		0
/* Sockets and netconn need threads (NO_SYS=0); the blocking API is Weft's
   own (conn_*), built on the raw API. */
#define LWIP_SOCKET			0
#define LWIP_NETCONN			0
#define LWIP_NETIF_API			0
/* lwIP's timers (TCP, ARP, reassembly, DHCP) run from
   sys_check_timeouts(), which the net-timers task runs when due
   (net_timers_poll, net/timers.c). */
#define LWIP_TIMERS			1
/* Every raw API entry checks that the caller holds the net lock, in
   debug builds (NET_LOCK_CHECKS, arch/sys_arch.h). */
#define LWIP_ASSERT_CORE_LOCKED()	NET_LWIP_ASSERT_LOCKED()
/* RFC 6528 initial sequence numbers (net/lwip/sys_arch.c): lwIP's default
   is a global counter, predictable from outside. Being monotonic per
   address pair in time also lets a peer recycle its TIME_WAIT for a
   connection we open again. */
#define LWIP_HOOK_TCP_ISN(lip, lport, rip, rport) lwip_hook_tcp_isn(lip, lport, rip, rport)
/* A SYN that hits a TIME_WAIT pcb starts a new connection instead of
   being answered with an ACK (net/lwip/timewait.c); the hook sees every
   IPv4 packet before lwIP parses it (LWIP_HOOK_IP6_INPUT below: IPv6). */
#define LWIP_HOOK_IP4_INPUT(p, inp)	lwip_hook_ip4_input(p, inp)

/* ---- memory ------------------------------------------------------------- */

/* lwIP's own heap, a fixed region in .bss, rather than newlib's malloc:
   its use is bounded and the request path stays free of malloc calls.
   It holds the data tcp_write() copies (TX until acknowledged), TCP and
   ARP headers, loopback copies and UDP datagrams. */
#define MEM_LIBC_MALLOC			0
/* Pools are static arrays sized below, not carved from the heap on
   demand. MEMP_MEM_MALLOC=1 would make idle memory cheaper, but puts an
   allocator call on every segment and pbuf, and turns pool exhaustion
   (a clean, counted, per-pool failure) into heap exhaustion shared with
   the whole kernel. */
#define MEMP_MEM_MALLOC			0
/* ... and their storage is not static either: memp_init asks the port
   for each pool's count and storage (net/lwip/pools.c), sized at boot
   from the memory there is (net/limits.c). Same allocation code. */
#define MEMP_AT_BOOT			1
#ifndef __ASSEMBLER__
#include <stddef.h>
struct memp;
/* num: memp_desc's element count, a u32_t (0002a-memp-32-bit-counts.patch) */
void lwip_pools_at_boot(int type, size_t elem, unsigned int *num, unsigned char **base);
extern unsigned int lwip_heap_bytes;	/* mem_size_t: 32 bits (MEM_SIZE) */
extern void *lwip_heap_base;
#endif
#define LWIP_HOOK_MEMP_AT_BOOT(type, elem, num, base) lwip_pools_at_boot((int)(type), elem, num, base)
/* x86_64: 8-byte alignment of heap blocks and pool elements. */
#define MEM_ALIGNMENT			8
/* The heap's size is set at boot (net/limits.c), at most MEM_SIZE: 16 MiB
   caps the TX data queued across all connections, 256 full 64 KiB send
   buffers at once (at 8 MiB of RAM it is 256 KiB). When it is used up,
   tcp_write() returns ERR_MEM and conn_write waits for acknowledgements
   (backpressure), so the cap costs throughput only when that many
   connections send bulk at once. MEM_SIZE stays a constant: it makes
   mem_size_t 32 bits. lwIP's heap is carved with the pools
   (LWIP_RAM_HEAP_POINTER; MEM_SIZE_ALIGNED may be a variable with
   0003-pools-sized-at-boot.patch). */
#define MEM_SIZE			(16 * 1024 * 1024)
#define MEM_SIZE_ALIGNED		lwip_heap_bytes
#define LWIP_RAM_HEAP_POINTER		lwip_heap_base

/* ---- pools -------------------------------------------------------------- */

/* The largest count: 10,000 concurrent connections plus 25% for the
   pcbs that are closing (FIN_WAIT, LAST_ACK, TIME_WAIT) or half open
   (SYN_RCVD). TIME_WAIT never exhausts the pool: when it is empty,
   tcp_alloc() aborts the oldest TIME_WAIT pcb, then the oldest LAST_ACK,
   then the oldest CLOSING one, before it fails (it never kills an
   established connection of equal priority). 320 B each: 3.8 MiB.
   Fewer with less memory (net/limits.c). */
#ifndef MEMP_NUM_TCP_PCB	/* make CDEFS=-DMEMP_NUM_TCP_PCB=N: bench/conns.sh */
#define MEMP_NUM_TCP_PCB		12288
#endif
/* Listening sockets: a few apps (echo, http, metrics) and the tests.
   A dual-stack listener is one pcb. */
#define MEMP_NUM_TCP_PCB_LISTEN		16
/* Queued TCP segments (unsent, unacknowledged, out of order) across all
   connections: on average ~3 per connection at 10,000 connections, or
   180 full send queues (TCP_SND_QUEUELEN) at once. 32 B each: 1 MiB. */
#define MEMP_NUM_TCP_SEG		32768
/* pbuf headers without their own payload (PBUF_REF/PBUF_ROM): IP
   fragments and zero-copy references. With LWIP_NETIF_TX_SINGLE_PBUF,
   TCP copies instead, so few are in use. */
#define MEMP_NUM_PBUF			4096
/* lwIP's internal timers, plus a few spare: Weft code uses the runtime's
   timers, not sys_timeout() (see net_timers_next_ns in net/timers.h). */
#define MEMP_NUM_SYS_TIMEOUT		(LWIP_NUM_SYS_TIMEOUT_INTERNAL + 4)
/* Packets queued while ARP resolves their next hop: a burst of SYN-ACKs
   to a new gateway entry after boot or an ARP expiry. lwIP's default
   (ARP_QUEUEING 0) keeps only the most recent packet per entry: two
   clients connecting at once through a gateway not yet resolved lost
   the first SYN-ACK, and that client waited for its SYN's retransmission
   (about 6 s behind QEMU's user networking). One entry may take the
   whole queue: the gateway is the next hop of nearly every packet. */
#define ARP_QUEUEING			1
#define ARP_QUEUE_LEN			MEMP_NUM_ARP_QUEUE
#define MEMP_NUM_ARP_QUEUE		64
/* Receive buffers. PBUF_POOL_BUFSIZE comes out at 1,552 bytes (MSS + the
   IPv6 and TCP headers + PBUF_LINK_ENCAPSULATION_HLEN): one holds a whole 1514-byte
   frame and its 12-byte virtio-net header, so a driver may post pool
   pbufs to the RX ring directly or copy each frame into one. A
   connection's unread data stays in them until conn_read takes it.
   8,192 x 1,576 B is 12.3 MiB: at 10,000 connections most hold nothing
   unread at any moment; when the pool runs out, frames are dropped and
   TCP retransmits (out-of-order data is given back first). */
#define PBUF_POOL_SIZE			8192

/* ---- link layer --------------------------------------------------------- */

/* IPv4 over Ethernet (virtio-net). */
#define LWIP_ARP			1
#define LWIP_ETHERNET			1
/* 14-byte Ethernet header right before the IP header; no padding to align
   it (x86 does not care, and the virtio-net header has its own room). */
#define ETH_PAD_SIZE			0
/* Room in front of every outgoing frame for the 12-byte virtio-net header
   (virtio 1.0, with num_buffers): the driver can pbuf_add_header() it and
   post one buffer per frame instead of a header buffer and the frame. */
#define PBUF_LINK_ENCAPSULATION_HLEN	12
/* Clients reach a server through one gateway or sit on one small segment
   (a test's network namespace); 32 entries is plenty. */
#define ARP_TABLE_SIZE			32
/* TCP builds each segment as one pbuf (data copied with its headers'
   room), so the driver's linkoutput usually gets a single contiguous
   buffer. Rare paths (an ICMP echo reply reusing a chained RX pbuf, IP
   fragments) can still pass a chain: linkoutput must handle p->next. */
#define LWIP_NETIF_TX_SINGLE_PBUF	1
/* The driver reports link changes (virtio-net STATUS) and DHCP reports
   address changes; conn_* and the app may want to know. */
#define LWIP_NETIF_STATUS_CALLBACK	1
#define LWIP_NETIF_LINK_CALLBACK	1
/* DHCP sends netif->hostname (option 12) when the driver sets one. */
#define LWIP_NETIF_HOSTNAME		1
/* Traffic to the guest's own addresses loops back inside lwIP; lo
   (127.0.0.1) exists for the in-guest tests and local health checks.
   Looped packets are delivered by netif_poll_all() whenever the net lock
   is released (net/netlock.c). */
#define LWIP_NETIF_LOOPBACK		1
#define LWIP_HAVE_LOOPIF		1

/* ---- IP, ICMP, UDP, DHCP ------------------------------------------------ */

#define LWIP_IPV4			1
/* Dual stack: IPv6 beside IPv4 on the one netif (ip_addr_t holds either;
   listeners bound to IP_ANY_TYPE take both). Link-local address from the
   MAC, SLAAC from router advertisements (LWIP_IPV6_AUTOCONFIG, router
   solicitations at link up), static ip6=/gw6= (net/ipconfig6.c). Three
   addresses: link-local, one from SLAAC, one static. */
#define LWIP_IPV6			1
#define LWIP_IPV6_NUM_ADDRESSES		3
#define LWIP_IPV6_AUTOCONFIG		1
#define LWIP_IPV6_SEND_ROUTER_SOLICIT	1
#define LWIP_IPV6_FORWARD		0
/* Reassembly keeps its bookkeeping (pointers: 8 bytes here) apart from
   the fragment header, which is too small for it on 64-bit. */
#define IPV6_FRAG_COPYHEADER		1
/* Neighbor discovery. Clients of a server mostly sit behind one router,
   but a LAN of them is on-link: 32 neighbors, like the ARP table. The
   destination cache has one entry per remote address (the least recently
   used is recycled when it is full): 64 x 48 B (nd6.c indexes it with an
   s8_t: 127 at most). Packets wait in
   MEMP_NUM_ND6_QUEUE while a neighbor resolves, as in MEMP_NUM_ARP_QUEUE. */
#define LWIP_ND6_NUM_NEIGHBORS		32
#define LWIP_ND6_NUM_DESTINATIONS	64
#define LWIP_ND6_QUEUEING		1
#define MEMP_NUM_ND6_QUEUE		64
/* MLD groups: all-nodes and one solicited-node group per address. */
#define MEMP_NUM_MLD6_GROUP		8
/* DNS servers from router advertisements (RDNSS, RFC 8106): cheap, and
   what SLAAC-only networks give. No DHCPv6 (stateless DHCPv6 would only
   add the same). */
#define LWIP_ND6_RDNSS_MAX_DNS_SERVERS	2
#define LWIP_IPV6_DHCP6			0
/* gw6=: the static default router, asked for off-link destinations when
   no router advertised itself (net/ipconfig6.c). */
#define LWIP_HOOK_ND6_GET_GW(netif, dest) ipconfig6_gateway(netif, dest)
/* TIME_WAIT recycling sees IPv6 SYNs too (net/lwip/timewait.c). */
#define LWIP_HOOK_IP6_INPUT(p, inp)	lwip_hook_ip6_input(p, inp)
/* Answer ping; nothing in Weft sends raw IP, so no raw pcbs. */
#define LWIP_ICMP			1
#define LWIP_RAW			0
#define LWIP_UDP			1
/* UDP pcbs: the apps' sockets (net/udp.c), the resolver's random source
   ports (DNS_MAX_SOURCE_PORTS), DHCP. */
#define MEMP_NUM_UDP_PCB		64
/* The guest configures itself with DHCP when the command line has no
   ip= word, as a cloud VM must. */
#define LWIP_DHCP			1
/* Skip the ARP probe for the offered address: on a virtual network the
   DHCP server is authoritative, and the probe costs half a second of boot. */
#define DHCP_DOES_ARP_CHECK		0
/* DNS servers from the lease (slots 0-1 of the resolver's list; RDNSS
   writes the same slots: the later one wins). */
#define LWIP_DHCP_MAX_DNS_SERVERS	2
/* No link-local IPv4 fallback, no IPv4 multicast. */
#define LWIP_AUTOIP			0
#define LWIP_IGMP			0
/* The resolver (net/dns.c): lwIP's DNS client, A and AAAA. Its table is
   the cache and the queries in flight: net/dns.c lets at most
   NET_DNS_INFLIGHT (16) requests in at once, so 32 entries always leave
   room; each is ~290 B (the name). Random transaction ids and source
   ports (LWIP_DNS_SECURE's default), a UDP pcb per port; answers are kept
   at most an hour. */
#define LWIP_DNS			1
#define DNS_TABLE_SIZE			32
#define DNS_MAX_REQUESTS		16
#define DNS_MAX_SERVERS			4
#define DNS_MAX_SOURCE_PORTS		16
#define DNS_MAX_TTL			3600

/* ---- TCP ---------------------------------------------------------------- */

#define LWIP_TCP			1
/* lwIP's TCP timers tick every TCP_TMR_INTERVAL (delayed ACKs) and every
   2 * TCP_TMR_INTERVAL (retransmission timeouts, counted in those ticks).
   The default 250 ms makes a lost segment wait 0.5-1.5 s for its
   retransmission and holds ACKs back 250 ms: on a lossy link (5% loss),
   where few segments are in flight and fast retransmit rarely triggers,
   that is most of the transfer time. 50 ms costs a timer round 20 times a
   second, in one task. */
#define TCP_TMR_INTERVAL		50
/* Ethernet MTU 1500 - 20 (IP) - 20 (TCP). */
#define TCP_MSS				1460
/* Window scaling (RFC 7323) lets peers advertise windows above 64 KiB, so
   our send rate is bounded by TCP_SND_BUF rather than by 65535 bytes per
   round trip. Our own receive window, 64 KiB, needs scale 1. */
#define LWIP_WND_SCALE			1
#define TCP_RCV_SCALE			1
/* 64 KiB receive window: 5 Gbit/s at a 100 us round trip, more than one
   net lock will carry. Windows reserve nothing: unread data lives in
   PBUF_POOL buffers, which bound the total. */
#define TCP_WND				(64 * 1024)
/* 64 KiB of unacknowledged + unsent data per connection; tcp_write copies
   into the heap (MEM_SIZE), which bounds the total. */
#define TCP_SND_BUF			(64 * 1024)
/* Segments per send queue: 4 per MSS of buffer (lwIP's default formula)
   leaves room for small writes; must be <= MEMP_NUM_TCP_SEG. */
#define TCP_SND_QUEUELEN		((4 * TCP_SND_BUF + (TCP_MSS - 1)) / TCP_MSS)
/* Keep out-of-order data (loss and reordering, e.g. netem), with SACK
   blocks telling the peer what we hold so it resends only the holes. Per
   connection, the out-of-order queue is capped at one window's worth so
   a few lossy connections cannot drain PBUF_POOL. */
#define TCP_QUEUE_OOSEQ			1
#define LWIP_TCP_SACK_OUT		1
#define TCP_OOSEQ_MAX_BYTES		TCP_WND
#define TCP_OOSEQ_MAX_PBUFS		(TCP_WND / TCP_MSS + 1)
/* lwIP's listen backlog counts half-open (SYN_RCVD) connections per
   listener: the SYN queue (conn_* bounds the accepted-but-unclaimed ones
   itself, by net_listen's backlog). Stock lwIP holds it in 8 bits, so at
   most 255 SYNs were answered at once and a flash crowd of 1,000 connects
   lost the rest to the client's 1 s retransmission;
   net/lwip/patches/0001-listen-backlog-16-bit.patch widens it. 8,192
   per listener, like a Linux server's tcp_max_syn_backlog: a 5,000-connect
   burst fits, and a SYN flood still leaves a third of MEMP_NUM_TCP_PCB to
   established connections (half-open pcbs go after TCP_SYN_RCVD_TIMEOUT,
   20 s). Under a flood the full queue drops its oldest half-open pcb for
   each new SYN (net/lwip/patches/0005), so a legitimate client's
   handshake still finds room; /metrics shows the queue
   (weft_net_syn_half_open) and the evictions (weft_net_syn_evicted_total). */
#define TCP_LISTEN_BACKLOG		1
/* A segment finds its connection by a hash of its address pair, and a
   closing pcb leaves its list without a walk, whatever the number of
   connections (net/lwip/pcbhash.c, net/lwip/patches/0002-pcb-hash-lookup.patch);
   stock lwIP walked every active and TIME_WAIT pcb per segment. */
#define LWIP_TCP_PCB_HASH		1
#define TCP_DEFAULT_LISTEN_BACKLOG	8192
/* TIME_WAIT lasts 2 * TCP_MSL. lwIP uses the same constant to give up on
   a LAST_ACK peer that has gone silent, so it stays long: 30 s (TIME_WAIT
   60 s, like FreeBSD). TIME_WAIT pcbs never pile up regardless: when the
   pcb pool is empty the oldest is recycled (MEMP_NUM_TCP_PCB), a SYN for
   the same address pair recycles its own, and more than NET_TW_MAX of
   them are trimmed oldest first at each SYN (net/lwip/timewait.c), which
   also bounds the lists lwIP walks for every SYN. */
#define TCP_MSL				30000UL
/* Keepalive is per connection (SOF_KEEPALIVE), for conn_* to offer. */
#define LWIP_TCP_KEEPALIVE		1
/* No checksum while tcp_write copies the data: lwIP's "on copy" is a copy
   and then a sum (lwip_chksum_copy), and on a device that checksums what
   we send (virtio-net's CSUM: net/netif.c turns TCP's off) the sum is
   wasted; without the device, tcp_output sums the segment once, the same
   work. */
#define LWIP_CHECKSUM_ON_COPY		0
/* The software Internet checksum (IP headers, ICMP, UDP, and TCP without
   the device): ours, net/lwip/chksum.c, 64-bit words with the carry
   folded back in (lwIP's version 3, 32-bit words, spent ~80 instructions
   on each 20-byte IP header aligning and folding; version 2, the
   default, 16 bits at a time, twice that). */
#include "chksum.h"
#define LWIP_CHKSUM			weft_lwip_chksum
/* Ephemeral ports of outgoing connections start at a random point. */
#define LWIP_RANDOMIZE_INITIAL_LOCAL_PORTS 1

/* ---- checksums ---------------------------------------------------------- */

/* Generated in software, except TCP's on a device with VIRTIO_NET_F_CSUM
   (the netif turns it off; the driver has the device fill it in), and
   checked in software unless the device vouched:
   the device's "data valid" mark (GUEST_CSUM) is per frame while lwIP's
   switch is per netif, so net/netif.c clears the netif's TCP/UDP check
   bits around the input of each vouched frame. The loopback netif skips
   checks altogether. */
#define LWIP_CHECKSUM_CTRL_PER_NETIF	1
#define CHECKSUM_GEN_IP			1
#define CHECKSUM_GEN_UDP		1
#define CHECKSUM_GEN_TCP		1
#define CHECKSUM_GEN_ICMP		1
#define CHECKSUM_CHECK_IP		1
#define CHECKSUM_CHECK_UDP		1
#define CHECKSUM_CHECK_TCP		1
#define CHECKSUM_CHECK_ICMP		1
#define CHECKSUM_GEN_ICMP6		1
#define CHECKSUM_CHECK_ICMP6		1

/* ---- statistics --------------------------------------------------------- */

/* Pool use, high-water marks and failures, protocol counters: read by the
   tests and, later, /metrics (lwip_stats, under the net lock). */
#define LWIP_STATS			1
/* 32-bit counters: 16-bit ones wrap within a second under load. */
#define LWIP_STATS_LARGE		1
/* /metrics formats them itself; stats_display() would print to console. */
#define LWIP_STATS_DISPLAY		0
/* No SNMP agent. */
#define MIB2_STATS			0

#endif
