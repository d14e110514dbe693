/*
 * net/lwip/pcbhash.c — find a TCP segment's connection in constant time.
 *
 * Stock lwIP keeps its pcbs on singly linked lists and finds the pcb of
 * every incoming segment by walking the active list, then the TIME_WAIT
 * list; unlinking a pcb walks the list to its predecessor. With n open
 * connections, each segment and each close cost O(n): one echoed line
 * on each of 10,000 open connections took ~27 s under TCG.
 * net/lwip/patches/0002-pcb-hash-lookup.patch hands the active and
 * TIME_WAIT lists to this file (TCP_REG/TCP_RMV on them call
 * tcp_pcb_hash_add/_del; tcp_input calls tcp_pcb_hash_find):
 *
 *   - The lists stay lwIP's own (tcp_active_pcbs, tcp_tw_pcbs, linked by
 *     pcb->next, newest first), so every walk lwIP makes of them (its
 *     timers, tcp_kill_*, port allocation) is unchanged; each pcb also
 *     knows the pointer that points to it (list_pprev), so TCP_RMV
 *     unlinks without a walk.
 *   - Every pcb on either list is also in one table of PCB_BUCKETS
 *     chains (doubly linked the same way), keyed by its address pair:
 *     local and remote port and address. The active pcb of a pair wins
 *     over a TIME_WAIT one, as in stock tcp_input, which tried the
 *     active list first; a pcb bound to a netif matches only segments
 *     from it, as there.
 *   - The table holds at least as many chains as there are pcbs
 *     (MEMP_NUM_TCP_PCB), so chains stay about one long. The hash is a
 *     multiply-xor mix of the pair with a seed drawn at the first
 *     registration (LWIP_RAND): not a keyed PRF such as SipHash, so a
 *     peer that learned the mix could aim its ports at one chain; that
 *     costs it a long chain walk per segment, bounded by its own pcbs
 *     (the pool), never a wrong match. A dozen instructions per lookup.
 *
 * The pair of a hashed pcb never changes while it is hashed: lwIP sets it
 * before TCP_REG_ACTIVE (tcp_connect, tcp_listen_input) and aborts a pcb
 * whose address goes away. Everything here runs under the net lock.
 */
#include <stdint.h>
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#if !LWIP_TCP_PCB_HASH
#error "net/lwip/pcbhash.c needs LWIP_TCP_PCB_HASH (lwipopts.h) and patch 0002"
#endif

/* A power of two, at least the pcb pool: a 12,288-pcb pool gets 16,384
   chains (128 KiB of .bss). */
#define PCB_BUCKETS_FOR(n)	((n) <= 4096 ? 4096u : (n) <= 16384 ? 16384u : \
				 (n) <= 65536 ? 65536u : (n) <= 262144 ? 262144u : 1048576u)
#define PCB_BUCKETS		PCB_BUCKETS_FOR(MEMP_NUM_TCP_PCB)
_Static_assert(MEMP_NUM_TCP_PCB <= 1048576, "pcb hash: pool larger than the largest table");

static struct tcp_pcb *pcb_buckets[PCB_BUCKETS];
static uint32_t pcb_seed;
static int pcb_seeded;

/* An address folded to 32 bits (the zone of an IPv6 address is left to
   the comparison). */
static inline uint32_t addr_fold(const ip_addr_t *a)
{
#if LWIP_IPV6
	if (IP_IS_V6(a)) {
		const u32_t *w = ip_2_ip6(a)->addr;
		return w[0] ^ w[1] ^ w[2] ^ w[3];
	}
#endif
	return ip4_addr_get_u32(ip_2_ip4(a));
}

static inline struct tcp_pcb **bucket(uint16_t lport, uint16_t rport,
				      const ip_addr_t *lip, const ip_addr_t *rip)
{
	uint32_t h = (addr_fold(rip) ^ pcb_seed) * 0x9e3779b1u;
	h ^= ((uint32_t)rport << 16 | lport) + addr_fold(lip);
	h *= 0x85ebca6bu;
	return &pcb_buckets[h >> (32 - __builtin_ctz(PCB_BUCKETS))];
}

void tcp_pcb_hash_add(struct tcp_pcb **list, struct tcp_pcb *pcb)
{
	LWIP_ASSERT("pcb hash: registered twice", pcb->list_pprev == NULL);
	LWIP_ASSERT("pcb hash: TIME_WAIT pcb on the active list",
		    list != &tcp_active_pcbs || pcb->state != TIME_WAIT);
	if (!pcb_seeded) {
		pcb_seed = LWIP_RAND();
		pcb_seeded = 1;
	}
	pcb->next = *list;
	if (pcb->next)
		pcb->next->list_pprev = &pcb->next;
	pcb->list_pprev = list;
	*list = pcb;

	struct tcp_pcb **b = bucket(pcb->local_port, pcb->remote_port, &pcb->local_ip, &pcb->remote_ip);
	pcb->hash_next = *b;
	if (pcb->hash_next)
		pcb->hash_next->hash_pprev = &pcb->hash_next;
	pcb->hash_pprev = b;
	*b = pcb;
}

/* Unlinks pcb from its list and chain. lwIP only removes a pcb from the
   list it is on; a pcb on neither (never registered) is left alone, as
   stock TCP_RMV left a list without it. */
void tcp_pcb_hash_del(struct tcp_pcb **list, struct tcp_pcb *pcb)
{
	(void)list;
	if (!pcb->list_pprev)
		return;
	*pcb->list_pprev = pcb->next;
	if (pcb->next)
		pcb->next->list_pprev = pcb->list_pprev;
	pcb->next = NULL;
	pcb->list_pprev = NULL;

	*pcb->hash_pprev = pcb->hash_next;
	if (pcb->hash_next)
		pcb->hash_next->hash_pprev = pcb->hash_pprev;
	pcb->hash_next = NULL;
	pcb->hash_pprev = NULL;
}

struct tcp_pcb *tcp_pcb_hash_find(u16_t lport, u16_t rport, const ip_addr_t *lip,
				  const ip_addr_t *rip, const struct netif *inp)
{
	struct tcp_pcb *tw = NULL;
	for (struct tcp_pcb *pcb = *bucket(lport, rport, lip, rip); pcb; pcb = pcb->hash_next) {
		if (pcb->remote_port != rport || pcb->local_port != lport ||
		    !ip_addr_cmp(&pcb->remote_ip, rip) || !ip_addr_cmp(&pcb->local_ip, lip))
			continue;
		if (pcb->netif_idx != NETIF_NO_INDEX && pcb->netif_idx != netif_get_index(inp))
			continue;
		if (pcb->state != TIME_WAIT)
			return pcb;
		if (!tw)
			tw = pcb;
	}
	return tw;
}
