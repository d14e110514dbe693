/*
 * net/lwip/timewait.c — TIME_WAIT must never stall accept.
 *
 * The side that closes first keeps a TIME_WAIT pcb for 2*MSL (60 s here),
 * so a server that closes first (HTTP with Connection: close) gathers one
 * per connection. lwIP-based servers are known to stall under churn of
 * short connections; there are three ways in, and each is closed:
 *
 * 1. Pool exhaustion. With every pcb in use, a SYN finds no pcb for the
 *    new connection. lwIP's tcp_alloc() handles it: it aborts the oldest
 *    TIME_WAIT pcb (then LAST_ACK, then CLOSING) and retries, so TIME_WAIT
 *    alone can never make a SYN fail (MEMP_NUM_TCP_PCB in lwipopts.h).
 *
 * 2. Address-pair reuse. Clients cycle through ~28,000 ephemeral ports
 *    (Linux), so in a long run a SYN arrives for the very address pair of
 *    a pcb still in TIME_WAIT. Stock lwIP answers it as an old duplicate
 *    (an ACK, or an RST if in window); the client resets and retries after
 *    a second, again and again until the TIME_WAIT expires. Linux and the
 *    BSDs instead reopen the connection when the SYN's sequence number is
 *    beyond what the old one received (RFC 1122 4.2.2.13), which is safe
 *    because no segment of the old connection can be taken for the new
 *    one. This file does the same: lwip_hook_ip4_input (and _ip6_) sees the SYN
 *    before lwIP does, and aborts the matching TIME_WAIT pcb (silently: a
 *    TIME_WAIT abort sends nothing), so the SYN reaches the listener.
 *    RFC 6528 ISNs (sys_arch.c) make the same work for peers when Weft
 *    reconnects.
 *
 * 3. Cost. lwIP keeps pcbs in plain lists: every SYN walks the active
 *    list and then the TIME_WAIT list before it finds its listener. With
 *    tens of thousands of TIME_WAIT pcbs, that walk, not the pool, is what
 *    slows accept down. So at each SYN, when more than net_tw_max (1024)
 *    pcbs are in TIME_WAIT, the oldest two are aborted: the list shrinks
 *    by at least one per new connection until it is back under the cap.
 *    Linux has the same kind of cap (tcp_max_tw_buckets).
 *
 * Rejected: a short TCP_MSL. lwIP also uses 2*MSL as the time after which
 * a silent peer in LAST_ACK is given up; a short one would drop
 * connections whose final data is still being retransmitted on a lossy
 * path. And patching lwIP's tcp_input: the input hooks do it without a
 * patch (net/lwip/patches/ holds only what no hook can reach).
 *
 * Both families: the hooks see IPv4 and IPv6 packets (a v6 SYN is
 * recognised when TCP follows the fixed header directly).
 *
 * All of it runs under the net lock, from ip4_input and ip6_input.
 */
#include <stdbool.h>
#include "lwip/ip4.h"
#include "lwip/ip6.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"

#define NET_TW_MAX	1024

struct net_tw_stats net_tw_stats;
unsigned net_tw_max = NET_TW_MAX;

/* A plain SYN's address pair, either family. */
struct syn {
	ip_addr_t src, dst;
	uint16_t sport, dport;		/* host order */
	uint32_t seqno;
};

/* Is th (with `room` bytes of p's first pbuf from it) a plain SYN (no
   ACK, RST or FIN)? Fills the ports and sequence number. */
static bool plain_syn(const struct tcp_hdr *th, size_t room, struct syn *k)
{
	if (room < TCP_HLEN || (TCPH_FLAGS(th) & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) != TCP_SYN)
		return false;
	k->sport = lwip_ntohs(th->src);
	k->dport = lwip_ntohs(th->dest);
	k->seqno = lwip_ntohl(th->seqno);
	return true;
}

/* An IPv4 plain SYN whose IP and TCP headers are whole in p's first pbuf. */
static bool syn4(const struct pbuf *p, struct syn *k)
{
	const struct ip_hdr *iph = p->payload;
	if (p->len < IP_HLEN || IPH_V(iph) != 4 || IPH_PROTO(iph) != IP_PROTO_TCP)
		return false;
	uint16_t hl = IPH_HL_BYTES(iph);
	if (hl < IP_HLEN || p->len < hl || (IPH_OFFSET(iph) & PP_HTONS(IP_OFFMASK | IP_MF)))
		return false;
	ip_addr_copy_from_ip4(k->src, iph->src);
	ip_addr_copy_from_ip4(k->dst, iph->dest);
	return plain_syn((const struct tcp_hdr *)((const uint8_t *)iph + hl), p->len - hl, k);
}

/* The same for IPv6, TCP right after the fixed header (a SYN with
   extension headers is left to stock lwIP). */
static bool syn6(const struct pbuf *p, struct syn *k)
{
	const struct ip6_hdr *h = p->payload;
	if (p->len < IP6_HLEN || IP6H_V(h) != 6 || IP6H_NEXTH(h) != IP6_NEXTH_TCP)
		return false;
	ip_addr_copy_from_ip6_packed(k->src, h->src);
	ip_addr_copy_from_ip6_packed(k->dst, h->dest);
	return plain_syn((const struct tcp_hdr *)((const uint8_t *)h + IP6_HLEN), p->len - IP6_HLEN, k);
}

/* A pcb's address against a packet's (which has no zone). */
static bool same_ip(const ip_addr_t *pcb_ip, const ip_addr_t *pkt)
{
	if (IP_GET_TYPE(pcb_ip) != IP_GET_TYPE(pkt))
		return false;
	if (IP_IS_V6(pkt))
		return ip6_addr_cmp_zoneless(ip_2_ip6(pcb_ip), ip_2_ip6(pkt));
	return ip4_addr_cmp(ip_2_ip4(pcb_ip), ip_2_ip4(pkt));
}

static uint32_t tw_age(const struct tcp_pcb *pcb)
{
	return (uint32_t)(tcp_ticks - pcb->tmr);
}

/* One walk of the TIME_WAIT list: the pcb of this SYN's address pair, the
   two oldest, and how many there are. */
struct tw_scan {
	struct tcp_pcb *match, *oldest[2];
	unsigned n;
};

static void tw_scan(struct tw_scan *s, const struct syn *k)
{
	*s = (struct tw_scan){ NULL, { NULL, NULL }, 0 };
	for (struct tcp_pcb *pcb = tcp_tw_pcbs; pcb; pcb = pcb->next) {
		s->n++;
		if (pcb->local_port == k->dport && pcb->remote_port == k->sport &&
		    same_ip(&pcb->local_ip, &k->dst) && same_ip(&pcb->remote_ip, &k->src))
			s->match = pcb;
		/* >=: the list is newest first, so ties go to the older */
		if (!s->oldest[0] || tw_age(pcb) >= tw_age(s->oldest[0])) {
			s->oldest[1] = s->oldest[0];
			s->oldest[0] = pcb;
		} else if (!s->oldest[1] || tw_age(pcb) >= tw_age(s->oldest[1])) {
			s->oldest[1] = pcb;
		}
	}
}

/* A SYN arrived: recycle its address pair's TIME_WAIT pcb if the SYN is
   newer than the old connection, and trim the list above the cap. */
static void tw_on_syn(const struct syn *k)
{
	struct tw_scan s;
	tw_scan(&s, k);
	if (s.match && TCP_SEQ_GT(k->seqno, s.match->rcv_nxt)) {
		for (int i = 0; i < 2; i++)
			if (s.oldest[i] == s.match)
				s.oldest[i] = NULL;
		tcp_abort(s.match);
		s.n--;
		net_tw_stats.syn_recycled++;
	}
	for (int i = 0; i < 2 && s.n > net_tw_max; i++) {
		if (!s.oldest[i])
			continue;
		tcp_abort(s.oldest[i]);
		s.n--;
		net_tw_stats.trimmed++;
	}
}

int lwip_hook_ip4_input(struct pbuf *p, struct netif *inp)
{
	struct syn k;
	(void)inp;
	if (tcp_tw_pcbs && syn4(p, &k))
		tw_on_syn(&k);
	return 0;
}

int lwip_hook_ip6_input(struct pbuf *p, struct netif *inp)
{
	struct syn k;
	(void)inp;
	if (tcp_tw_pcbs && syn6(p, &k))
		tw_on_syn(&k);
	return 0;
}
