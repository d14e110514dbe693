/*
 * net/netdev.h — a network device as the netif glue (netif.c) and the
 * poller (poller.c) see it, whichever driver runs it: virtio-net
 * (virtio_netdev.c over virtio_net.c) or e1000/e1000e (e1000.c). A driver
 * fills a struct netdev with its ops; the callers below never look past
 * it.
 *
 * The contract is virtio_net.h's, stated once for every driver:
 *   d = netdev_probe()                 the first supported NIC, brought
 *                                      up in poll mode (its interrupt off)
 *   netdev_set_irq_callback(d, cb, a)  in poll mode, once
 *   loop (the poller, under the net lock):
 *     if (netdev_broken(d)) netdev_restart(d)    reset, redo; poll on
 *     netdev_rx_poll(d, budget, deliver, ctx)    frames to the stack
 *     netdev_tx(d, frags, n) ... netdev_tx_reclaim(d)
 *     netdev_link_up(d)                          carry a change on
 *     when rx_poll returned < budget:
 *       if (netdev_rx_irq_enable(d)) poll again;  work arrived meanwhile
 *       else sleep until cb runs                  interrupt mode
 *
 * Interrupts (NAPI): a device's interrupt in interrupt mode switches it to
 * poll mode (masks its interrupt at the device) and calls cb once, from
 * interrupt context; no second cb until netdev_rx_irq_enable, which
 * refuses (true: stay in poll mode) when there is work — a received
 * frame, TX completions after netdev_tx found no free buffer, a link
 * change (once). So the poller never sleeps on work that raised no
 * interrupt.
 *
 * Locking: the driver has no lock. Everything but the interrupt handler,
 * netdev_stats, netdev_link_up and netdev_rx_waiting is called under the
 * net lock (a spinlock, interrupts off), one poller at a time.
 *
 * Frames are Ethernet frames without FCS, 14 to NETDEV_FRAME_MAX bytes
 * (MTU 1500); a received frame is valid only during deliver (which copies
 * it into a pbuf); a sent one is copied by the driver before tx returns.
 */
#ifndef NET_NETDEV_H
#define NET_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETDEV_MTU		1500
#define NETDEV_FRAME_MAX	(NETDEV_MTU + 14)

/* deliver's flags: the device checked the frame's TCP/UDP checksum and it
   was right, so the stack need not verify it. Absent: verify. */
#define NETDEV_RX_CSUM_OK	(1u << 0)

struct netdev;

/* One piece of a frame to send (one pbuf of a chain). */
struct netdev_frag {
	const void *data;
	size_t len;
};

typedef void netdev_deliver_fn(void *ctx, const void *frame, size_t len, unsigned flags);
typedef void netdev_irq_fn(void *arg);

/* What every driver counts (a driver may keep more of its own). */
struct netdev_stats {
	uint64_t rx_frames, rx_bytes;	/* delivered */
	uint64_t rx_dropped;		/* bad frames, not delivered */
	uint64_t tx_frames, tx_bytes;	/* handed to the device */
	uint64_t tx_ring_full;		/* tx calls that returned -EAGAIN */
	uint64_t interrupts;		/* handler runs that were the device's */
	uint64_t link_changes;
};

struct netdev_ops {
	/* Up to budget received frames to deliver(ctx, ...); how many. */
	int (*rx_poll)(struct netdev *d, int budget, netdev_deliver_fn *deliver, void *ctx);
	/* Send one frame of n pieces: 0, -EAGAIN (every TX buffer in flight:
	   the completion wakes the poller), -EMSGSIZE, -EINVAL (< 14 bytes),
	   -EIO (the device is broken). */
	int (*tx)(struct netdev *d, const struct netdev_frag *frags, int n);
	void (*tx_reclaim)(struct netdev *d);
	void (*set_irq_callback)(struct netdev *d, netdev_irq_fn *cb, void *arg);
	bool (*rx_irq_enable)(struct netdev *d);
	void (*rx_irq_disable)(struct netdev *d);
	bool (*link_up)(struct netdev *d);
	bool (*rx_waiting)(struct netdev *d);	/* frames wait in the ring */
	bool (*broken)(struct netdev *d);	/* only restart helps */
	/* Reset and bring up again, in poll mode; callback and counters
	   kept. 0 or -errno (then the device is unusable). */
	int (*restart)(struct netdev *d);
	struct netdev_stats (*stats)(const struct netdev *d);
};

struct netdev {
	const struct netdev_ops *ops;
	const char *name;		/* "virtio-pci@00:02.0", "e1000@00:03.0" */
	const char *model;		/* "virtio-net", "82540EM", "82574L" */
	uint8_t mac[6];
	unsigned offloads;		/* NETDEV_TX_CSUM_TCP */
};

/* offloads: the device completes the TCP checksum of every frame sent
   (the driver writes what it needs, e.g. virtio-net's csum_start), so the
   stack leaves it out (netif.c). */
#define NETDEV_TX_CSUM_TCP	(1u << 0)

/* The first supported NIC, brought up (virtio-net first, PCI then MMIO,
   then e1000/e1000e), or NULL: then one console line names every network
   device seen (PCI class 02, virtio-mmio network devices) and why none
   was taken. The first call does the work; later ones return the same.
   At boot, before the poller. */
struct netdev *netdev_probe(void);

static inline int netdev_rx_poll(struct netdev *d, int budget, netdev_deliver_fn *deliver,
				 void *ctx)
{
	return d->ops->rx_poll(d, budget, deliver, ctx);
}
static inline int netdev_tx(struct netdev *d, const struct netdev_frag *f, int n)
{
	return d->ops->tx(d, f, n);
}
static inline void netdev_tx_reclaim(struct netdev *d) { d->ops->tx_reclaim(d); }
static inline void netdev_set_irq_callback(struct netdev *d, netdev_irq_fn *cb, void *arg)
{
	d->ops->set_irq_callback(d, cb, arg);
}
static inline bool netdev_rx_irq_enable(struct netdev *d) { return d->ops->rx_irq_enable(d); }
static inline void netdev_rx_irq_disable(struct netdev *d) { d->ops->rx_irq_disable(d); }
static inline bool netdev_link_up(struct netdev *d) { return d->ops->link_up(d); }
static inline bool netdev_rx_waiting(struct netdev *d) { return d->ops->rx_waiting(d); }
static inline bool netdev_broken(struct netdev *d) { return d->ops->broken(d); }
static inline int netdev_restart(struct netdev *d) { return d->ops->restart(d); }
static inline struct netdev_stats netdev_stats(const struct netdev *d)
{
	return d->ops->stats(d);
}

/* The drivers' probes, in netdev_probe's order: each returns its first
   device brought up, or NULL. */
struct netdev *virtio_netdev_probe(void);	/* virtio_netdev.c */
struct netdev *e1000_probe(void);		/* e1000.c */

#endif
