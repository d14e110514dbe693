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
 *    one. This file does the same: lwip_hook_ip4_input sees the SYN
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
 * path. And patching lwIP's tcp_input: no third-party source is changed.
 *
 * All of it runs under the net lock, from ip4_input.
 */
#include "lwip/ip4.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"

#define NET_TW_MAX	1024

struct net_tw_stats net_tw_stats;
unsigned net_tw_max = NET_TW_MAX;

/* p's TCP header if p is a plain SYN (no ACK, RST or FIN) whose IP and TCP
   headers are whole in its first pbuf; NULL otherwise. */
static const struct tcp_hdr *plain_syn(const struct pbuf *p, const struct ip_hdr **iphp)
{
	const struct ip_hdr *iph = p->payload;
	if (p->len < IP_HLEN || IPH_V(iph) != 4 || IPH_PROTO(iph) != IP_PROTO_TCP)
		return NULL;
	uint16_t hl = IPH_HL_BYTES(iph);
	if (hl < IP_HLEN || p->len < hl + TCP_HLEN ||
	    (IPH_OFFSET(iph) & PP_HTONS(IP_OFFMASK | IP_MF)))
		return NULL;
	const struct tcp_hdr *th = (const struct tcp_hdr *)((const uint8_t *)iph + hl);
	if ((TCPH_FLAGS(th) & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) != TCP_SYN)
		return NULL;
	*iphp = iph;
	return th;
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

static void tw_scan(struct tw_scan *s, const struct ip_hdr *iph, const struct tcp_hdr *th)
{
	uint16_t sport = lwip_ntohs(th->src), dport = lwip_ntohs(th->dest);
	uint32_t src = iph->src.addr, dst = iph->dest.addr;

	*s = (struct tw_scan){ NULL, { NULL, NULL }, 0 };
	for (struct tcp_pcb *pcb = tcp_tw_pcbs; pcb; pcb = pcb->next) {
		s->n++;
		if (pcb->local_port == dport && pcb->remote_port == sport &&
		    ip4_addr_get_u32(&pcb->local_ip) == dst &&
		    ip4_addr_get_u32(&pcb->remote_ip) == src)
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
static void tw_on_syn(const struct ip_hdr *iph, const struct tcp_hdr *th)
{
	struct tw_scan s;
	tw_scan(&s, iph, th);
	if (s.match && TCP_SEQ_GT(lwip_ntohl(th->seqno), s.match->rcv_nxt)) {
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
	const struct ip_hdr *iph;
	const struct tcp_hdr *th = plain_syn(p, &iph);
	(void)inp;
	if (th && tcp_tw_pcbs)
		tw_on_syn(iph, th);
	return 0;
}
