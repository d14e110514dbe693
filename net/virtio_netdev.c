/*
 * net/virtio_netdev.c — the virtio-net driver (virtio_net.h) as a netdev
 * (netdev.h): each op calls the vnet_* call of the same name on the
 * device behind it. The two contracts are the same (netdev.h was written
 * from virtio_net.h), so nothing here adds behaviour; tests that drive
 * the virtio device itself keep using virtio_net.h.
 */
#include <errno.h>
#include <string.h>
#include "net/netdev.h"
#include "net/virtio_net.h"

_Static_assert(NETDEV_RX_CSUM_OK == VNET_RX_CSUM_OK, "one flag for both");
_Static_assert(NETDEV_FRAME_MAX == VNET_FRAME_MAX, "one frame size for both");

struct vnetdev {
	struct netdev nd;		/* first: a netdev * is a vnetdev * */
	struct vnet *v;
};

static struct vnet *V(const struct netdev *d) { return ((const struct vnetdev *)d)->v; }

static int rx_poll(struct netdev *d, int budget, netdev_deliver_fn *deliver, void *ctx)
{
	return vnet_rx_poll(V(d), budget, deliver, ctx);
}

static int tx(struct netdev *d, const struct netdev_frag *f, int n)
{
	struct vnet_frag vf[16];
	if (n < 0 || n > 16)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		vf[i] = (struct vnet_frag){ f[i].data, f[i].len };
	return vnet_tx(V(d), vf, n);
}

static void tx_reclaim(struct netdev *d) { vnet_tx_reclaim(V(d)); }
static void set_irq_callback(struct netdev *d, netdev_irq_fn *cb, void *arg)
{
	vnet_set_irq_callback(V(d), cb, arg);
}
static bool rx_irq_enable(struct netdev *d) { return vnet_rx_irq_enable(V(d)); }
static void rx_irq_disable(struct netdev *d) { vnet_rx_irq_disable(V(d)); }
static bool link_up(struct netdev *d) { return vnet_link_up(V(d)); }
static bool rx_waiting(struct netdev *d) { return vnet_rx_waiting(V(d)); }
static bool broken(struct netdev *d) { return vnet_broken(V(d)); }
static int restart(struct netdev *d) { return vnet_restart(V(d), 0); }

static struct netdev_stats stats(const struct netdev *d)
{
	struct vnet_stats s = vnet_stats(V(d));
	return (struct netdev_stats){
		.rx_frames = s.rx_frames, .rx_bytes = s.rx_bytes, .rx_dropped = s.rx_dropped,
		.tx_frames = s.tx_frames, .tx_bytes = s.tx_bytes, .tx_ring_full = s.tx_ring_full,
		.interrupts = s.interrupts, .link_changes = s.link_changes,
	};
}

static const struct netdev_ops ops = {
	.rx_poll = rx_poll,
	.tx = tx,
	.tx_reclaim = tx_reclaim,
	.set_irq_callback = set_irq_callback,
	.rx_irq_enable = rx_irq_enable,
	.rx_irq_disable = rx_irq_disable,
	.link_up = link_up,
	.rx_waiting = rx_waiting,
	.broken = broken,
	.restart = restart,
	.stats = stats,
};

struct netdev *virtio_netdev_probe(void)
{
	static struct vnetdev one;
	struct vnet *v;
	if (one.v)
		return &one.nd;
	if (vnet_probe(&v, 1) < 1)
		return NULL;
	one.v = v;
	one.nd.ops = &ops;
	one.nd.name = vnet_name(v);
	one.nd.model = "virtio-net";
	vnet_mac(v, one.nd.mac);
	if (vnet_features(v) & (1ull << VIRTIO_NET_F_CSUM))
		one.nd.offloads = NETDEV_TX_CSUM_TCP;	/* virtio_net.c's tx_csum */
	return &one.nd;
}
