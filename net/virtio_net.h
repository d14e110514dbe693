/*
 * net/virtio_net.h — the virtio-net driver (virtio 1.0 section 5.1), the
 * netif's device, over either transport (kernel/virtio/virtio_pci.c,
 * kernel/virtio/virtio_mmio.c).
 *
 * Call order:
 *   n = vnet_probe(devs, max)          every NIC found and brought up, in
 *                                      "poll mode": its interrupt is off
 *   vnet_set_irq_callback(dev, cb, a)  in poll mode (as after probe, or
 *                                      after vnet_rx_irq_disable)
 *   loop (the poller, under the net lock; net/poller.c does exactly this):
 *     if (vnet_broken(dev))
 *       vnet_restart(dev, 0)                    reset, redo; poll on
 *     vnet_rx_poll(dev, budget, deliver, ctx)   frames to the stack
 *     vnet_tx(dev, frags, n) ... vnet_tx_reclaim(dev)
 *     vnet_link_up(dev)                         every pass (cheap): carry
 *                                               a change to the stack
 *     when vnet_rx_poll returned < budget:
 *       if (vnet_rx_irq_enable(dev)) poll again;   work arrived meanwhile
 *       else sleep until cb runs                   interrupt is on again
 *                                      (a link change wakes the poller
 *                                      once: enable refuses, once)
 *
 * The interrupt protocol (NAPI). A device is either in interrupt mode
 * (its receive interrupt armed, the poller asleep) or in poll mode (the
 * interrupt masked, the poller owns the rings). An interrupt in interrupt
 * mode — a received frame, a TX completion the driver asked for, a link
 * change — switches to poll mode (masks the receive queue's interrupt)
 * and calls cb once. Only vnet_rx_irq_enable switches back, and it
 * refuses (returns true, staying in poll mode) when there is work, so the
 * poller never sleeps on work that raised no interrupt. Hence: after cb,
 * no second cb until vnet_rx_irq_enable. virtio_net.c has the details.
 *
 * Locking contract. The driver has no lock of its own. vnet_rx_poll,
 * vnet_tx, vnet_tx_reclaim, vnet_rx_irq_enable, vnet_rx_irq_disable,
 * vnet_set_irq_callback and vnet_restart on one device are
 * called by one poller at a time, serialized by the caller (the net lock:
 * a spinlock, interrupts off). Only the interrupt handlers run
 * concurrently with them, and they touch only the mode flag, the
 * interrupt mask, the link state and two counters; cb runs in interrupt
 * context, on whichever CPU the transport sent the interrupt to, and must
 * not block (it readies the poller, wakes a CPU). vnet_probe runs at boot,
 * before any poller (later calls return the same devices); vnet_stats,
 * vnet_mac, vnet_name, vnet_features*, vnet_tx_free/total may be read from
 * anywhere (counters may be momentarily stale), and so may vnet_link_up.
 *
 * Frames are Ethernet frames without FCS, at most VNET_FRAME_MAX bytes
 * (MTU 1500). Received frames are delivered in place: the bytes are valid
 * only during deliver, which copies what it keeps (into an lwIP pbuf).
 */
#ifndef NET_VIRTIO_NET_H
#define NET_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VNET_MAX_DEVS	4
#define VNET_MAX_PAIRS	1	/* queue pairs per device (no multiqueue yet) */
#define VNET_MTU	1500
#define VNET_FRAME_MAX	(VNET_MTU + 14)	/* destination, source, type, payload */

/* Device feature bits (section 5.1.3) this driver knows of. */
#define VIRTIO_NET_F_CSUM	0	/* device checksums what we send */
#define VIRTIO_NET_F_GUEST_CSUM	1	/* device vouches for what it delivers */
#define VIRTIO_NET_F_MTU	3
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_GUEST_TSO4	7
#define VIRTIO_NET_F_HOST_TSO4	11
#define VIRTIO_NET_F_MRG_RXBUF	15
#define VIRTIO_NET_F_STATUS	16
#define VIRTIO_NET_F_CTRL_VQ	17
#define VIRTIO_NET_F_MQ		22

/* deliver's flags: the device vouched for the frame's TCP/UDP checksum
   (VIRTIO_NET_F_GUEST_CSUM: DATA_VALID, or a partial checksum the driver
   completed), so the stack need not verify it. Absent: verify. */
#define VNET_RX_CSUM_OK	(1u << 0)

/* One piece of a frame to send (e.g. one pbuf of a chain). */
struct vnet_frag {
	const void *data;
	size_t len;
};

struct vnet_stats {
	uint64_t rx_frames, rx_bytes;	/* delivered */
	uint64_t rx_dropped;		/* bad header or length: not delivered */
	uint64_t rx_merged;		/* delivered frames that spanned > 1 buffer */
	uint64_t tx_frames, tx_bytes;	/* handed to the device */
	uint64_t tx_ring_full;		/* vnet_tx calls that returned -EAGAIN */
	uint64_t interrupts;		/* handler runs, any queue or config */
	uint64_t polls;			/* vnet_rx_poll calls */
	uint64_t link_changes;		/* link status flips seen */
};

struct vnet;

/* Find every virtio-net device (PCI, then MMIO), bring each up and store
   up to max of them in out[]; returns how many. The first call does the
   work (one console line per device); later calls return the same
   devices. Devices that fail bring-up are reported and left out. */
int vnet_probe(struct vnet **out, int max);

/* Take up to budget received frames: deliver(ctx, frame, len, flags) for
   each, refill the ring with the same buffers, kick the device when it
   asked. Returns the number delivered (dropped frames do not count
   against the budget's result but do end the poll at 2 * budget). */
int vnet_rx_poll(struct vnet *n, int budget,
		 void (*deliver)(void *ctx, const void *frame, size_t len, unsigned flags),
		 void *ctx);

/* Send one frame made of nfrags pieces: copied into a driver buffer
   behind the virtio-net header, queued, device kicked if it asked.
   Reclaims completed sends first. Returns 0; -EAGAIN when every TX
   buffer is in flight (the TX completion will wake the poller: retry
   then, or drop); -EMSGSIZE above VNET_FRAME_MAX; -EINVAL below 14
   bytes; -EIO when the device broke the TX queue. */
int vnet_tx(struct vnet *n, const struct vnet_frag *frags, int nfrags);
/* Take back the TX buffers the device has finished with. */
void vnet_tx_reclaim(struct vnet *n);
/* TX buffers free now, and in all (free == total once all sends completed
   and were reclaimed). */
unsigned vnet_tx_free(const struct vnet *n);
unsigned vnet_tx_total(const struct vnet *n);

/* cb(arg) is called from interrupt context when the device switches to
   poll mode (see above). Set it in poll mode, once, before the first
   vnet_rx_irq_enable (panics in interrupt mode, where a handler could
   read cb and arg halfway through the change; a handler that switched
   modes an instant before vnet_rx_irq_disable may still call the old
   one). NULL: none (the device still switches modes). */
typedef void vnet_irq_fn(void *arg);
void vnet_set_irq_callback(struct vnet *n, vnet_irq_fn *cb, void *arg);
/* The callback set, or NULL: whoever set it (the network stack's poller)
   owns the device. Any context. */
vnet_irq_fn *vnet_irq_callback(const struct vnet *n);
/* Back to interrupt mode, unless there is work: frames received, TX
   buffers completed after vnet_tx found none free (they are reclaimed
   here), or a link change (reported once: read vnet_link_up on the next
   pass). Returns true (still in poll mode: poll again) or false
   (interrupt mode: the next event calls cb). */
bool vnet_rx_irq_enable(struct vnet *n);
/* To poll mode without a callback (the poller chose to poll, e.g. under
   load, or wants to change the callback). */
void vnet_rx_irq_disable(struct vnet *n);

/* Link state as the device last reported it (always up without
   VIRTIO_NET_F_STATUS). Any context. */
bool vnet_link_up(struct vnet *n);
/* Frames wait in a receive ring. Read-only and cheap; any context but
   one racing vnet_restart, which frees the rings it reads (net/poller.c's
   watchdog, which compares it with the poller's progress, holds the net
   lock). False while the device is down (a failed restart left no
   rings). */
bool vnet_rx_waiting(struct vnet *n);

/* Counters since probe (restart keeps them). */
struct vnet_stats vnet_stats(const struct vnet *n);
void vnet_mac(const struct vnet *n, uint8_t mac[6]);
/* "virtio-pci@00:02.0" etc. */
const char *vnet_name(const struct vnet *n);
/* Features negotiated (VIRTIO_F_* and VIRTIO_NET_F_* bits), and what the
   device offered; for logs and tests. */
uint64_t vnet_features(const struct vnet *n);
uint64_t vnet_features_offered(const struct vnet *n);

/* Did the device break a queue's protocol (see virtqueue.h)? Then only
   vnet_restart helps. */
bool vnet_broken(const struct vnet *n);
/* Reset the device and bring it up again: buffers taken back and
   reposted, interrupts set up again, poll mode as after probe (no cb is
   called: the poller polls on and enables); callback and counters kept.
   rx_buf_len: bytes per posted receive buffer, 0 for the default (2048);
   smaller values (>= 64) make the device spread frames over several
   buffers (mergeable), which tests use. 0 or -errno (the device is then
   unusable: every call is a no-op, vnet_tx says -EIO). */
int vnet_restart(struct vnet *n, unsigned rx_buf_len);

#endif
