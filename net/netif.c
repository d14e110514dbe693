/*
 * net/netif.c — the netif glue: lwIP's network interface on a netdev
 * (net/netdev.h: virtio-net or e1000, it does not care which). Frames
 * come in through netif_deliver (the poller hands it to netdev_rx_poll),
 * are copied into a pbuf (a small receive buffer for a frame of at most
 * RX_SMALL_BYTES, else a PBUF_POOL buffer) and given to lwIP's Ethernet
 * input; frames go out through linkoutput, which gathers a pbuf chain
 * into one device send. Everything here runs under the net lock.
 *
 * Checksums. A frame the device vouched for (NETDEV_RX_CSUM_OK: it checked
 * the TCP/UDP checksum, or completed a partial one) is not verified again:
 * lwIP's switch is per netif (LWIP_CHECKSUM_CTRL_PER_NETIF), the device's
 * mark per frame, so netif_deliver clears the netif's TCP and UDP check
 * bits for that one input call and restores them after; the call runs to
 * completion under the net lock, so no other frame sees the change. IP
 * header checksums are always verified (the device does not vouch for
 * them, as on Linux), and so is every IP fragment: its datagram is
 * checked when the last fragment arrives, and the device vouched for none
 * of the pieces as a whole.
 *
 * IPv6 rides the same device: ethip6_output resolves neighbors and sends
 * through linkoutput, and the device stays in QEMU's default receive mode
 * (every multicast frame reaches us, so neighbor solicitations and router
 * advertisements arrive without a MAC filter); MLD reports still go out
 * for switches that snoop them.
 */
#include <errno.h>
#include <stdbool.h>
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"
#include "net/net.h"
#include "net/net_priv.h"
#include "net/netdev.h"

#define CHECKS_VOUCHED	(NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_UDP)

static uint64_t rx_nopbuf;		/* frames dropped: no pbuf */

/* Did the device vouch for this frame's TCP/UDP checksum, and is it an
   IPv4 packet that is not a fragment, or an IPv6 packet whose TCP or UDP
   header follows the fixed header (a fragment has a fragment header)? */
static bool vouched(const uint8_t *f, size_t len, unsigned flags)
{
	if (!(flags & NETDEV_RX_CSUM_OK))
		return false;
	if (len >= 14 + 20 && f[12] == 0x08 && f[13] == 0x00)
		return !(((f[20] << 8) | f[21]) & 0x3fff);	/* MF clear, offset 0 */
	if (len >= 14 + 40 && f[12] == 0x86 && f[13] == 0xdd)
		return f[20] == 6 || f[20] == 17;		/* next header */
	return false;
}

void netif_deliver(void *ctx, const void *frame, size_t len, unsigned flags)
{
	struct netif *n = ctx;
	struct pbuf *p = rx_small_alloc(len);	/* a request, an ACK: net/rx_small.c */
	if (!p)
		p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (!p) {
		rx_nopbuf++;
		return;
	}
	pbuf_take(p, frame, (u16_t)len);
	u16_t checks = n->chksum_flags;
	bool skip = vouched(frame, len, flags);
	if (skip)
		NETIF_SET_CHECKSUM_CTRL(n, checks & ~CHECKS_VOUCHED);
	err_t err = n->input(p, n);
	if (skip)
		NETIF_SET_CHECKSUM_CTRL(n, checks);
	if (err != ERR_OK)
		pbuf_free(p);
}

static err_t linkoutput(struct netif *n, struct pbuf *p)
{
	struct netdev_frag frags[16];
	int k = 0;
	for (struct pbuf *q = p; q && k < 16; q = q->next)
		if (q->len)
			frags[k++] = (struct netdev_frag){ q->payload, q->len };
	int r = netdev_tx(n->state, frags, k);
	if (r == -EAGAIN) {
		netdev_tx_reclaim(n->state);
		r = netdev_tx(n->state, frags, k);
	}
	return r == 0 ? ERR_OK : ERR_IF;
}

static err_t nif_init(struct netif *n)
{
	n->name[0] = 'e';
	n->name[1] = 'n';
	n->mtu = 1500;
	n->hwaddr_len = 6;
	const struct netdev *d = n->state;
	for (int i = 0; i < 6; i++)
		n->hwaddr[i] = d->mac[i];
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		   NETIF_FLAG_MLD6;
	n->output = etharp_output;
	n->output_ip6 = ethip6_output;
	n->linkoutput = linkoutput;
	/* A device that checksums what we send (virtio-net's CSUM) takes
	   TCP's: lwIP leaves the field zero, the driver has the device fill
	   it in. */
	if (d->offloads & NETDEV_TX_CSUM_TCP)
		NETIF_SET_CHECKSUM_CTRL(n, NETIF_CHECKSUM_ENABLE_ALL & ~NETIF_CHECKSUM_GEN_TCP);
	return ERR_OK;
}

void netif_glue_add(struct netif *n, struct netdev *dev)
{
	ip4_addr_t zero;
	ip4_addr_set_zero(&zero);
	netif_add(n, &zero, &zero, &zero, dev, nif_init, ethernet_input);
	netif_set_default(n);
	netif_set_up(n);
	if (netdev_link_up(dev))
		netif_set_link_up(n);
}

uint64_t net_rx_dropped_nopbuf(void)
{
	return rx_nopbuf;
}
