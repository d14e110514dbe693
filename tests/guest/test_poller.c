/*
 * tests/guest/test_poller.c — the poller's duties beyond draining the
 * ring (suite poller, net/poller.c): carrying the device's link state to
 * the netif, and resetting a device that broke a queue's protocol.
 *
 * They need the NIC owned by the network stack: run with a virtio-net
 * device on QEMU user networking and without net=off (tests/run.sh's
 * guest.net-poller-* runs); they are not in test=all. The device's side
 * is played through the driver's own state (net/virtio_net_priv.h): a
 * link report as its configuration interrupt would make it, a queue
 * marked broken as vq_get_used would mark it. Only the gateway
 * (10.0.2.2) is ever addressed.
 */
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "net/net_priv.h"
#include "net/netlock.h"
#include "net/virtio_net_priv.h"
#include "runtime/poll.h"
#include "runtime/runtime.h"
#include "tests/guest/ktest.h"
#include "tests/guest/netwait.h"

#define WAIT_S	10			/* bound on every wait (TCG is slow) */

/* The NIC the poller owns, or NULL (a failure already recorded). */
static struct vnet *owned_nic(void)
{
	struct vnet *n;
	if (vnet_probe(&n, 1) != 1 || !vnet_irq_callback(n) || !netif_default) {
		ktest_fail(__FILE__, __LINE__, "needs a virtio-net NIC owned by the network "
			   "stack (--net user, no net=off)");
		return NULL;
	}
	return n;
}

/* What the configuration interrupt does on a link change. */
static void report_link(struct vnet *n, bool up)
{
	a_store(&n->link, up);
	a_store(&n->link_event, true);
	rt_poll_kick();
}

KTEST_F(poller, link_state_reaches_netif, KTEST_EXPLICIT)
{
	struct vnet *n = owned_nic();
	if (!n)
		return;
	struct netif *nif = netif_default;
	KT_ASSERT(WAIT_UNTIL(netif_is_link_up(nif), WAIT_S));
	unsigned c0 = poller_stats().link_changes;
	report_link(n, false);
	bool down = WAIT_UNTIL(!netif_is_link_up(nif), WAIT_S);
	report_link(n, true);
	bool up = WAIT_UNTIL(netif_is_link_up(nif), WAIT_S);
	KT_ASSERT(down);
	KT_ASSERT(up);
	KT_EQ(poller_stats().link_changes - c0, 2);
}

/* Resolve the gateway's MAC afresh: true when its ARP reply came back. */
static bool arp_gateway(struct netif *nif)
{
	ip4_addr_t gw;
	IP4_ADDR(&gw, 10, 0, 2, 2);
	struct eth_addr *mac;
	const ip4_addr_t *ip;
	net_lock();
	etharp_cleanup_netif(nif);
	etharp_request(nif, &gw);
	net_unlock();
	return WAIT_UNTIL(etharp_find_addr(nif, &gw, &mac, &ip) >= 0, WAIT_S);
}

KTEST_F(poller, broken_device_is_reset, KTEST_EXPLICIT)
{
	struct vnet *n = owned_nic();
	if (!n)
		return;
	struct netif *nif = netif_default;
	/* An address first: ARP from 0.0.0.0 may go unanswered. */
	KT_ASSERT(WAIT_UNTIL(!ip4_addr_isany_val(*netif_ip4_addr(nif)), WAIT_S));
	KT_ASSERT(arp_gateway(nif));
	unsigned r0 = poller_stats().restarts;
	uint64_t rx0 = vnet_stats(n).rx_frames;
	net_lock();
	vq_mark_broken(&n->qp[0].rx, "broken on purpose by poller.broken_device_is_reset");
	net_unlock();
	rt_poll_kick();
	KT_ASSERT(WAIT_UNTIL(!vnet_broken(n), WAIT_S));
	KT_EQ(poller_stats().restarts - r0, 1);
	/* Frames flow both ways again. */
	KT_ASSERT(arp_gateway(nif));
	KT_ASSERT(vnet_stats(n).rx_frames > rx0);
}
