/*
 * net/virtio_net_priv.h — what the two halves of the virtio-net driver
 * share: virtio_net.c (interrupts and the data path) and
 * virtio_net_setup.c (bring-up, teardown, probe). Not for other layers:
 * they use net/virtio_net.h.
 */
#ifndef NET_VIRTIO_NET_PRIV_H
#define NET_VIRTIO_NET_PRIV_H

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "net/virtio_net.h"
#include "kernel/virtio/virtio.h"
#include "kernel/virtio/virtio_mmio.h"
#include "kernel/virtio/virtio_pci.h"
#include "kernel/virtio/virtqueue.h"
#include "kernel/atomic.h"
#include "kernel/console.h"
#include "kernel/debug.h"
#include "kernel/cpu.h"
#include "kernel/page.h"
#include "kernel/panic.h"
#include "kernel/time.h"
#include "kernel/arch/x86.h"

/* Device configuration layout (section 5.1.4). */
#define VNET_CFG_MAC		0
#define VNET_CFG_STATUS	6
#define VNET_S_LINK_UP	1

/* The header in front of every frame (virtio_net_hdr_v1: num_buffers is
   always there with VERSION_1). */
struct virtio_net_hdr {
	uint8_t flags;			/* HDR_F_* */
	uint8_t gso_type;		/* VNET_GSO_NONE: no GSO feature negotiated */
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;		/* NEEDS_CSUM: checksum from this offset... */
	uint16_t csum_offset;		/* ...stored this far beyond it */
	uint16_t num_buffers;		/* RX with MRG_RXBUF: buffers of this frame */
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr_v1 is 12 bytes");

#define VNET_HDR_F_NEEDS_CSUM	1
#define VNET_HDR_F_DATA_VALID	2
#define VNET_GSO_NONE		0
#define VNET_HDR_LEN			sizeof(struct virtio_net_hdr)

#define VNET_RING_WANT	256		/* entries per queue (QEMU's default max) */
#define VNET_BUF_SIZE	2048		/* one RX or TX buffer slot */
#define VNET_BUFS_PER_PAGE	(4096 / VNET_BUF_SIZE)
#define VNET_RX_BUF_MIN	64		/* smallest rx_buf_len vnet_restart takes */
#define VNET_DROP_MSG_NS	1000000000ull	/* at most one drop message a second */

#define VNET_WANT_FEATURES (VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |	\
		       VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |	\
		       VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_CSUM))

struct vnet;

/* One receive/transmit queue pair. Everything but irq_off belongs to the
   poller (net lock). */
struct vnet_qp {
	struct vnet *n;
	unsigned index;			/* pair number: queues 2 * index, +1 */
	struct vq rx, tx;

	uint8_t *rx_page[VQ_MAX_NUM / VNET_BUFS_PER_PAGE];	/* RX buffers, 2 per page */
	uint8_t *tx_page[VQ_MAX_NUM / VNET_BUFS_PER_PAGE];	/* TX buffers, likewise */
	unsigned npages;		/* of each kind allocated */
	uint8_t *bounce;		/* one page: a merged frame gathered */

	void *tx_free[VQ_MAX_NUM];	/* stack of driver-owned TX buffers */
	unsigned tx_nfree, tx_total;
	bool tx_waiting;		/* TX interrupt armed: vnet_tx found none free */

	/* Shared with the interrupt handlers: set by them (exchange),
	   cleared only by qp_irq_enable. */
	bool irq_off;			/* poll mode: receive interrupt masked */
};

struct vnet {
	struct virtio_dev *dev;
	bool up;			/* set up and not failed since */
	uint64_t offered;		/* device's features at the last set-up */
	uint8_t mac[6];
	unsigned rx_buf_len;		/* bytes posted per RX buffer */
	unsigned npairs;
	struct vnet_qp qp[VNET_MAX_PAIRS];

	/* Set by the poller in poll mode; called by the handlers. */
	vnet_irq_fn *cb;
	void *cb_arg;
	/* Written by the configuration handler, read by the poller. */
	bool link;			/* link up */
	bool link_event;		/* changed; cleared when enable reports it */

	/* Counters: `interrupts` and `link_changes` are written by handlers
	   (atomic adds), the rest by the poller. */
	struct vnet_stats st;
	uint64_t drop_msg_ns;		/* when the last drop message went out */
	uint64_t drops_unsaid;		/* drops since, not yet reported */
};

/* Debug builds check the poller's precondition: the net lock is held, so
   interrupts are off (make DEBUG=1, kernel/debug.h). */
#ifndef VNET_DEBUG
#define VNET_DEBUG WEFT_DEBUG
#endif
#define vnet_assert_poller()							\
	do {									\
		if (VNET_DEBUG && irq_enabled())				\
			panic("%s: interrupts on: the net lock is not held", __func__); \
	} while (0)

/* virtio_net.c */
extern bool vnet_fence_by_io;
void vnet_dev_fence(void);
void vnet_queue_irq(void *arg);
void vnet_config_irq(void *arg);
uint8_t *vnet_rx_buf(struct vnet_qp *qp, unsigned i);
void vnet_rx_post(struct vnet_qp *qp, uint8_t *buf);

#endif
