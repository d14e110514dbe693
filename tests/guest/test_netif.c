/*
 * tests/guest/test_netif.c — the netif glue's receive path (suite netif):
 * frames handed to netif_deliver the way the poller hands them over, on a
 * netif of the test's own whose device is a counter (its linkoutput
 * sends nothing anywhere), addressed in TEST-NET-1 (192.0.2.0/24).
 *
 * What is checked: lwIP verifies TCP and UDP checksums unless the device
 * vouched (VNET_RX_CSUM_OK), and verifies them anyway for IP fragments;
 * the netif's checksum switches are as before after every frame; packets
 * for a neighbor not yet resolved all wait for its ARP reply; small frames
 * take small receive buffers (net/rx_small.c), and a pool buffer when
 * none is left.
 */
#include <stdlib.h>
#include <string.h>
#include "lwip/etharp.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/stats.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"
#include "net/limits.h"
#include "net/net.h"
#include "net/net_priv.h"
#include "net/netlock.h"
#include "net/virtio_net.h"
#include "tests/guest/ktest.h"

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 1 }, peer_mac[6] = { 0x02, 0, 0, 0, 0, 2 };
static const uint8_t our_ip[4] = { 192, 0, 2, 1 }, peer_ip[4] = { 192, 0, 2, 2 };

static struct netif tnif;
static unsigned sent;			/* frames lwIP gave the fake device */

static err_t count_output(struct netif *n, struct pbuf *p)
{
	(void)n, (void)p;
	sent++;
	return ERR_OK;
}

static err_t tnif_init(struct netif *n)
{
	n->name[0] = 't';
	n->name[1] = 'n';
	n->mtu = 1500;
	n->hwaddr_len = 6;
	memcpy(n->hwaddr, our_mac, 6);
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	n->output = etharp_output;
	n->linkoutput = count_output;
	return ERR_OK;
}

/* Add the test netif; net lock held. */
static void tnif_add(void)
{
	ip4_addr_t a, m, g;
	IP4_ADDR(&a, our_ip[0], our_ip[1], our_ip[2], our_ip[3]);
	IP4_ADDR(&m, 255, 255, 255, 0);
	ip4_addr_set_zero(&g);
	netif_add(&tnif, &a, &m, &g, NULL, tnif_init, ethernet_input);
	netif_set_up(&tnif);
	netif_set_link_up(&tnif);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static uint32_t sum(const uint8_t *p, size_t len, uint32_t s)
{
	for (; len >= 2; p += 2, len -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (len)
		s += (uint32_t)p[0] << 8;
	return s;
}

static unsigned fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

/*
 * An Ethernet + IPv4 frame from the peer to us carrying `l4` (len bytes,
 * protocol proto) into f. The L4 checksum field at l4 offset csum_at is
 * set first (in l4 itself), right or, when `bad`, wrong; csum_at -1
 * leaves l4 as it is (a fragment of a datagram whose checksum was set
 * over the whole). frag: the IP header's flags/offset word (0: not a
 * fragment). Returns the frame's length.
 */
static size_t frame(uint8_t *f, unsigned proto, uint8_t *l4, size_t len, size_t csum_at,
		    bool bad, unsigned frag, unsigned ip_id)
{
	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(20 + len));
	put16(ip + 4, ip_id);
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	memcpy(ip + 12, peer_ip, 4);
	memcpy(ip + 16, our_ip, 4);
	put16(ip + 10, fold(sum(ip, 20, 0)));
	if (csum_at != (size_t)-1) {
		uint8_t pseudo[12];
		memcpy(pseudo, peer_ip, 4);
		memcpy(pseudo + 4, our_ip, 4);
		pseudo[8] = 0, pseudo[9] = (uint8_t)proto;
		put16(pseudo + 10, (unsigned)len);
		put16(l4 + csum_at, 0);
		unsigned c = fold(sum(l4, len, sum(pseudo, 12, 0)));
		put16(l4 + csum_at, bad ? c ^ 0x0101 : c);
	}
	memcpy(ip + 20, l4, len);
	return 14 + 20 + len;
}

/* A TCP SYN to closed port 9. */
static size_t tcp_syn(uint8_t *f, bool bad)
{
	uint8_t t[20] = { 0 };
	put16(t, 40000);
	put16(t + 2, 9);
	t[4] = 0x12, t[7] = 0x34;		/* sequence number */
	t[12] = 5 << 4;				/* 20-byte header */
	t[13] = 0x02;				/* SYN */
	put16(t + 14, 8192);			/* window */
	return frame(f, 6, t, sizeof t, 16, bad, 0, 1);
}

/* A UDP datagram of n payload bytes to closed port 9, into u; its
   length. */
static size_t udp_dgram(uint8_t *u, size_t n)
{
	put16(u, 40000);
	put16(u + 2, 9);
	put16(u + 4, (unsigned)(8 + n));
	for (size_t i = 0; i < n; i++)
		u[8 + i] = (uint8_t)(i * 13 + 7);
	return 8 + n;
}

/* lwIP's counters: a segment that passed its checksum to a closed port
   is answered (a RST: tcp.xmit; ICMP port unreachable: udp.proterr). */
struct counts {
	uint32_t tcp_chkerr, tcp_xmit, udp_chkerr, udp_proterr;
};

static struct counts counts(void)
{
	return (struct counts){ lwip_stats.tcp.chkerr, lwip_stats.tcp.xmit, lwip_stats.udp.chkerr,
				lwip_stats.udp.proterr };
}

/* Deliver f with flags and return what it changed in lwIP's counters;
   net lock held. *kept stays true while the netif's checksum switches
   come back as they were. */
static struct counts delivered(const uint8_t *f, size_t len, unsigned flags, bool *kept)
{
	struct counts c0 = counts();
	u16_t before = tnif.chksum_flags;
	netif_deliver(&tnif, f, len, flags);
	*kept &= tnif.chksum_flags == before;
	struct counts c1 = counts();
	return (struct counts){ c1.tcp_chkerr - c0.tcp_chkerr, c1.tcp_xmit - c0.tcp_xmit,
				c1.udp_chkerr - c0.udp_chkerr, c1.udp_proterr - c0.udp_proterr };
}

static void tnif_remove(void)
{
	netif_remove(&tnif);
	net_unlock();
}

KTEST(netif, tcp_checksum_verified_unless_vouched)
{
	static uint8_t f[1600];
	bool kept = true;
	net_lock();
	tnif_add();
	struct counts good = delivered(f, tcp_syn(f, false), 0, &kept);
	struct counts bad = delivered(f, tcp_syn(f, true), 0, &kept);
	struct counts vouched = delivered(f, tcp_syn(f, true), VNET_RX_CSUM_OK, &kept);
	tnif_remove();
	KT_ASSERT(kept);
	KT_EQ(good.tcp_chkerr, 0);
	KT_EQ(good.tcp_xmit, 1);		/* answered with a RST */
	KT_ASSERT(sent > 0);			/* (ARP for the peer went out) */
	KT_EQ(bad.tcp_chkerr, 1);
	KT_EQ(bad.tcp_xmit, 0);			/* dropped unanswered */
	KT_EQ(vouched.tcp_chkerr, 0);
	KT_EQ(vouched.tcp_xmit, 1);		/* taken as the device said */
}

KTEST(netif, udp_checksum_verified_unless_vouched)
{
	static uint8_t f[1600], u[1500];
	size_t n = udp_dgram(u, 100);
	bool kept = true;
	net_lock();
	tnif_add();
	struct counts bad = delivered(f, frame(f, 17, u, n, 6, true, 0, 2), 0, &kept);
	struct counts vouched = delivered(f, frame(f, 17, u, n, 6, true, 0, 3), VNET_RX_CSUM_OK,
					  &kept);
	tnif_remove();
	KT_ASSERT(kept);
	KT_EQ(bad.udp_chkerr, 1);
	KT_EQ(bad.udp_proterr, 0);
	KT_EQ(vouched.udp_chkerr, 0);
	KT_EQ(vouched.udp_proterr, 1);		/* port unreachable: it got through */
}

/* A datagram in two fragments, both marked vouched, with a wrong UDP
   checksum: the reassembled datagram is verified all the same. */
KTEST(netif, fragments_verified_even_if_vouched)
{
	static uint8_t f[1600], u[1500];
	size_t n = udp_dgram(u, 1000), first = 512;	/* a multiple of 8 */
	bool kept = true;
	frame(f, 17, u, n, 6, true, 0, 4);	/* u's checksum, over all of it: wrong */
	net_lock();
	tnif_add();
	struct counts head = delivered(f, frame(f, 17, u, first, (size_t)-1, false, 0x2000, 4),
				       VNET_RX_CSUM_OK, &kept);
	struct counts tail = delivered(f, frame(f, 17, u + first, n - first, (size_t)-1, false,
						first / 8, 4),
				       VNET_RX_CSUM_OK, &kept);
	tnif_remove();
	KT_ASSERT(kept);
	KT_EQ(head.udp_chkerr + head.udp_proterr, 0);	/* held for reassembly */
	KT_EQ(tail.udp_chkerr, 1);
	KT_EQ(tail.udp_proterr, 0);
}

/* An ARP reply "192.0.2.3 is at mac" to us, into f; its length. */
static size_t arp_reply(uint8_t *f, const uint8_t mac[6], const uint8_t ip[4])
{
	static const uint8_t mid[] = { 0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2 };
	memcpy(f, our_mac, 6);
	memcpy(f + 6, mac, 6);
	memcpy(f + 12, mid, sizeof mid);
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, ip, 4);
	memcpy(f + 32, our_mac, 6);
	memcpy(f + 38, our_ip, 4);
	return 42;
}

/* Packets sent to a neighbor not yet resolved all wait for its ARP reply
   and all go out after it (ARP_QUEUEING): lwIP's default kept only the
   latest, so of two clients connecting at once through an unresolved
   gateway one lost its SYN-ACK. One ARP request goes out, not one per
   packet. */
KTEST(netif, arp_queue_keeps_every_packet)
{
	static const uint8_t ip3[4] = { 192, 0, 2, 3 }, mac3[6] = { 0x02, 0, 0, 0, 0, 3 };
	static uint8_t f[64];
	enum { PACKETS = 5 };
	bool kept = true;
	ip_addr_t dst;
	IP_ADDR4(&dst, ip3[0], ip3[1], ip3[2], ip3[3]);
	net_lock();
	tnif_add();
	struct udp_pcb *u = udp_new();
	unsigned s0 = sent;
	err_t err = u ? ERR_OK : ERR_MEM;
	for (int i = 0; i < PACKETS && err == ERR_OK; i++) {
		struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, 16, PBUF_RAM);
		if (!p) {
			err = ERR_MEM;
			break;
		}
		memset(p->payload, i, 16);
		err = udp_sendto_if(u, p, &dst, 9, &tnif);
		pbuf_free(p);
	}
	unsigned asked = sent - s0;		/* before the reply: the ARP request */
	delivered(f, arp_reply(f, mac3, ip3), 0, &kept);
	unsigned after = sent - s0;
	if (u)
		udp_remove(u);
	tnif_remove();
	KT_EQ(err, ERR_OK);
	KT_EQ(asked, 1);
	KT_EQ(after, 1 + PACKETS);
	KT_ASSERT(kept);
}

/* Datagrams kept by a UDP pcb's receive callback, as a connection keeps
   its unread segments. */
static struct pbuf *kept_rx[8];
static unsigned nkept;

static void keep_recv(void *arg, struct udp_pcb *u, struct pbuf *p, const ip_addr_t *a,
		      u16_t port)
{
	(void)arg, (void)u, (void)a, (void)port;
	if (nkept < sizeof kept_rx / sizeof kept_rx[0])
		kept_rx[nkept++] = p;
	else
		pbuf_free(p);
}

/* PBUF_POOL buffers in use; net lock held. */
static uint64_t pool_used(void)
{
	return lwip_stats.memp[MEMP_PBUF_POOL]->used;
}

/* A small frame (a request, an ACK) is held in a small receive buffer, a
   large one in a PBUF_POOL buffer; each goes back when freed. With no
   small buffer free a small frame takes a pool buffer, and is still
   delivered. */
KTEST(netif, small_frames_take_small_buffers)
{
	static uint8_t f[1600], u[1500];
	enum { PORT = 9 };
	bool kept = true;
	uint32_t room = net_limits.rx_small;
	struct pbuf **hog = malloc((room + 1) * sizeof *hog);
	KT_ASSERT(hog != NULL);
	net_lock();
	tnif_add();
	struct udp_pcb *pcb = udp_new();
	struct net_pool_stats small0 = rx_small_stats();
	uint64_t pool0 = pool_used();
	if (pcb) {
		udp_bind(pcb, IP_ANY_TYPE, PORT);
		udp_recv(pcb, keep_recv, NULL);
	}
	nkept = 0;
	delivered(f, frame(f, 17, u, udp_dgram(u, 40), 6, false, 0, 10), 0, &kept);
	struct net_pool_stats small1 = rx_small_stats();
	uint64_t pool1 = pool_used();
	delivered(f, frame(f, 17, u, udp_dgram(u, 1000), 6, false, 0, 11), 0, &kept);
	struct net_pool_stats small2 = rx_small_stats();
	uint64_t pool2 = pool_used();
	unsigned got_two = nkept;
	/* Every small buffer taken: the next small frame takes a pool one. */
	unsigned hogged = 0;
	while (hogged <= room && (hog[hogged] = rx_small_alloc(60)))
		hogged++;
	bool all_taken = rx_small_alloc(60) == NULL;
	delivered(f, frame(f, 17, u, udp_dgram(u, 40), 6, false, 0, 12), 0, &kept);
	struct net_pool_stats small3 = rx_small_stats();
	uint64_t pool3 = pool_used();
	unsigned got_three = nkept;
	for (unsigned i = 0; i < hogged; i++)
		pbuf_free(hog[i]);
	for (unsigned i = 0; i < nkept; i++)
		pbuf_free(kept_rx[i]);
	struct net_pool_stats small4 = rx_small_stats();
	uint64_t pool4 = pool_used();
	if (pcb)
		udp_remove(pcb);
	tnif_remove();
	free(hog);
	KT_ASSERT(pcb != NULL);
	KT_ASSERT(kept);
	KT_EQ(small0.capacity, room);
	KT_ASSERT(room > 0);
	KT_EQ(got_two, 2);
	KT_EQ(small1.used, small0.used + 1);		/* the 40-byte datagram */
	KT_EQ(pool1, pool0);
	KT_EQ(small2.used, small1.used);		/* the 1,000-byte one */
	KT_EQ(pool2, pool1 + 1);
	KT_ASSERT(all_taken);
	KT_EQ(small3.used, small0.capacity);
	KT_EQ(small3.errors, small2.errors + 3);	/* the loop's last try, all_taken's, the frame's */
	KT_EQ(pool3, pool2 + 1);			/* the frame took a pool buffer */
	KT_EQ(got_three, 3);				/* and was delivered */
	KT_EQ(small4.used, small0.used);
	KT_EQ(pool4, pool0);
}
