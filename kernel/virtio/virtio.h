/*
 * kernel/virtio/virtio.h — what a virtio device driver sees of a
 * device, whichever transport carries it (virtio_pci.c: modern PCI;
 * virtio_mmio.c: MMIO version 2 or legacy version 1, for microvm).
 * Layering: virtqueue (rings) -> transport (registers, interrupts) -> device driver
 * (virtio-net, net/virtio_net.c; virtio-rng, kernel/virtio/virtio_rng.c;
 * a virtio-blk would sit beside them on the same two layers).
 *
 * Call order for a driver (virtio 1.0 section 3.1.1):
 *   n = virtio_pci_find(VIRTIO_ID_NET, devs, max)   and virtio_mmio_find
 *   virtio_start(d)                 reset, ACKNOWLEDGE, DRIVER
 *   virtio_negotiate(d, wanted)     features (VERSION_1 required),
 *                                   FEATURES_OK checked; d->features
 *   read device config              virtio_cread8/16/32, virtio_cread_bytes
 *   d->ops->intr_setup(d, nq, ...)  before any queue: MSI-X vectors are
 *                                   chosen here and named in queue_setup
 *   virtio_queue(d, i, want, vq, name) for each queue (vq_init +
 *                                   ops->queue_setup; sets vq->notify)
 *   virtio_driver_ok(d)             the device is live
 *   ... vq_add / vq_kick / vq_get_used; ops->intr_mask from handlers ...
 *   on any error after virtio_start: virtio_fail(d) (sets FAILED)
 *   teardown: ops->reset(d), then vq_detach_unused / vq_free
 *
 * Interrupt callbacks run in interrupt context (interrupts off, on the
 * CPU the transport targeted) and must not block. A queue callback may be
 * called when its queue has nothing new (shared vectors, INTx, a last
 * interrupt after vq_disable_cb): it must check the ring.
 *
 * Who may call what: the ops other than intr_mask belong to the driver's
 * set-up path (one caller). intr_mask may be called from any context.
 */
#ifndef KERNEL_VIRTIO_VIRTIO_H
#define KERNEL_VIRTIO_VIRTIO_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include "kernel/virtio/virtqueue.h"
#include "kernel/console.h"

/* Device types (virtio 1.0 section 5). */
#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_CONSOLE	3
#define VIRTIO_ID_RNG		4

/* Device status bits (section 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	1	/* the guest noticed the device */
#define VIRTIO_STATUS_DRIVER		2	/* and has a driver for it */
#define VIRTIO_STATUS_DRIVER_OK		4	/* the driver is ready */
#define VIRTIO_STATUS_FEATURES_OK	8	/* feature negotiation done */
#define VIRTIO_STATUS_NEEDS_RESET	64	/* the device gave up */
#define VIRTIO_STATUS_FAILED		128	/* the driver gave up */

/* Transport-independent feature bits (section 6). */
#define VIRTIO_F_INDIRECT_DESC		28
#define VIRTIO_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32
#define VIRTIO_F_ACCESS_PLATFORM	33
#define VIRTIO_F_RING_PACKED		34

#define VIRTIO_BIT(f)	(1ull << (f))
#define VIRTIO_MAX_QUEUES 64

struct virtio_dev;

/* Interrupt callback; arg is what the driver gave intr_setup. */
typedef void virtio_intr_fn(void *arg);

struct virtio_ops {
	const char *transport;		/* "pci" or "mmio" */
	/* Write status 0 and wait until the device reads back 0 (bounded:
	   -ETIMEDOUT). Afterwards no queue memory is in use. */
	int (*reset)(struct virtio_dev *d);
	uint8_t (*get_status)(struct virtio_dev *d);
	void (*set_status)(struct virtio_dev *d, uint8_t status);	/* whole value */
	uint64_t (*get_features)(struct virtio_dev *d);			/* device's */
	void (*set_features)(struct virtio_dev *d, uint64_t features);	/* driver's */
	/* Device-specific configuration: one access of width 1, 2 or 4 at
	   `off` (aligned); config_generation changes when the device changes
	   the configuration. */
	uint32_t (*config_read)(struct virtio_dev *d, unsigned off, unsigned width);
	void (*config_write)(struct virtio_dev *d, unsigned off, unsigned width, uint32_t v);
	uint32_t (*config_generation)(struct virtio_dev *d);
	/* Entries queue `index` may have (0: no such queue). */
	unsigned (*queue_max)(struct virtio_dev *d, unsigned index);
	/* Program an initialized vq as queue vq->index (sizes, addresses,
	   its interrupt vector), set vq->notify, enable it. 0 or -errno. */
	int (*queue_setup)(struct virtio_dev *d, struct vq *vq);
	/*
	 * Interrupts for nq queues: queue i calls queue_fn(queue_arg[i]); a
	 * configuration change calls config_fn(config_arg) (may be NULL).
	 * The transport gives each queue its own vector when it can
	 * (MSI-X), else shares one. Returns the number of vectors (>= 1) or
	 * -errno. Call before queue_setup; may be called again after reset.
	 */
	int (*intr_setup)(struct virtio_dev *d, unsigned nq, virtio_intr_fn *queue_fn,
			  void *const queue_arg[], virtio_intr_fn *config_fn, void *config_arg);
	/* Mask/unmask queue i's interrupt. Masks whatever shares its vector
	   (all queues on INTx and MMIO). An interrupt raised while masked is
	   delivered at unmask (MSI-X pending bit, or a level line still
	   high). Any context. */
	void (*intr_mask)(struct virtio_dev *d, unsigned queue, bool masked);
	/* "MSI-X", "INTx", "GSI 12"...: how intr_setup wired it (for logs). */
	const char *(*intr_kind)(struct virtio_dev *d);
};

/* The callbacks a driver gave intr_setup, as both transports keep them:
   written by intr_setup while the device's interrupts are off, read by
   the transport's handlers. */
struct virtio_intr {
	unsigned nq;
	virtio_intr_fn *queue_fn, *config_fn;
	void *queue_arg[VIRTIO_MAX_QUEUES], *config_arg;
};

static inline void virtio_intr_keep(struct virtio_intr *in, unsigned nq, virtio_intr_fn *queue_fn,
				    void *const queue_arg[], virtio_intr_fn *config_fn,
				    void *config_arg)
{
	in->nq = nq;
	in->queue_fn = queue_fn;
	in->config_fn = config_fn;
	in->config_arg = config_arg;
	for (unsigned q = 0; q < nq; q++)
		in->queue_arg[q] = queue_arg ? queue_arg[q] : NULL;
}

/* Queue q's callback; every queue's; the configuration's (if any). */
static inline void virtio_intr_queue(const struct virtio_intr *in, unsigned q)
{
	in->queue_fn(in->queue_arg[q]);
}
static inline void virtio_intr_queues(const struct virtio_intr *in)
{
	for (unsigned q = 0; q < in->nq; q++)
		in->queue_fn(in->queue_arg[q]);
}
static inline void virtio_intr_config(const struct virtio_intr *in)
{
	if (in->config_fn)
		in->config_fn(in->config_arg);
}

struct virtio_dev {
	const struct virtio_ops *ops;
	char name[32];			/* "virtio-pci@00:02.0", "virtio-mmio@0xfeb00e00" */
	uint32_t device_id;		/* VIRTIO_ID_* */
	uint64_t features;		/* negotiated; valid after virtio_negotiate */
	bool legacy;			/* a legacy (pre-1.0) device: virtio-mmio
					   version 1. 32 feature bits, no
					   FEATURES_OK, rings in one block */
};

static inline bool virtio_has(const struct virtio_dev *d, unsigned bit)
{
	return d->features & VIRTIO_BIT(bit);
}

static inline void virtio_add_status(struct virtio_dev *d, uint8_t bits)
{
	d->ops->set_status(d, (uint8_t)(d->ops->get_status(d) | bits));
}

/* Tell the device the driver gave up (it may then be reset and retried). */
static inline void virtio_fail(struct virtio_dev *d)
{
	virtio_add_status(d, VIRTIO_STATUS_FAILED);
}

/* Reset and announce a driver: the first steps of every initialization. */
static inline int virtio_start(struct virtio_dev *d)
{
	int err = d->ops->reset(d);
	if (err) {
		kprintf("%s: reset did not complete\n", d->name);
		return err;
	}
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_add_status(d, VIRTIO_STATUS_DRIVER);
	return 0;
}

/*
 * Accept the features in `wanted` that the device offers, plus VERSION_1
 * (required of a modern device; a legacy one, d->legacy, gets the low 32
 * bits of wanted and no FEATURES_OK step) and ACCESS_PLATFORM when
 * offered (Weft has no IOMMU: physical addresses are what the platform
 * wants, so accepting it changes nothing and refusing could fail). Sets
 * FEATURES_OK and checks that the device kept it. On failure sets FAILED.
 */
static inline int virtio_negotiate(struct virtio_dev *d, uint64_t wanted)
{
	uint64_t offered = d->ops->get_features(d);
	if (d->legacy) {
		/* Legacy: the low 32 bits, and no FEATURES_OK step. */
		uint64_t f = offered & wanted & 0xffffffffull;
		d->ops->set_features(d, f);
		d->features = f;
		return 0;
	}
	if (!(offered & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		kprintf("%s: device does not offer VIRTIO_F_VERSION_1 (legacy only)\n", d->name);
		virtio_fail(d);
		return -ENOTSUP;
	}
	uint64_t f = offered & (wanted | VIRTIO_BIT(VIRTIO_F_VERSION_1) |
				VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM));
	d->ops->set_features(d, f);
	virtio_add_status(d, VIRTIO_STATUS_FEATURES_OK);
	if (!(d->ops->get_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
		kprintf("%s: device refused features %#llx\n", d->name, (unsigned long long)f);
		virtio_fail(d);
		return -ENOTSUP;
	}
	d->features = f;
	return 0;
}

static inline void virtio_driver_ok(struct virtio_dev *d)
{
	virtio_add_status(d, VIRTIO_STATUS_DRIVER_OK);
}

static inline uint8_t virtio_cread8(struct virtio_dev *d, unsigned off)
{
	return (uint8_t)d->ops->config_read(d, off, 1);
}
static inline uint16_t virtio_cread16(struct virtio_dev *d, unsigned off)
{
	return (uint16_t)d->ops->config_read(d, off, 2);
}
static inline uint32_t virtio_cread32(struct virtio_dev *d, unsigned off)
{
	return d->ops->config_read(d, off, 4);
}

/* Read len bytes of byte-wide fields (a MAC address) as one consistent
   snapshot: retried while the configuration generation changes (at most
   100 times: -EAGAIN). */
static inline int virtio_cread_bytes(struct virtio_dev *d, unsigned off, void *buf, unsigned len)
{
	for (int tries = 0; tries < 100; tries++) {
		uint32_t gen = d->ops->config_generation(d);
		for (unsigned i = 0; i < len; i++)
			((uint8_t *)buf)[i] = virtio_cread8(d, off + i);
		if (d->ops->config_generation(d) == gen)
			return 0;
	}
	return -EAGAIN;
}

/* Set up queue `index` with up to `want` entries (fewer if the device
   allows fewer; rounded down to a power of two, at most VQ_MAX_NUM). */
static inline int virtio_queue(struct virtio_dev *d, unsigned index, unsigned want,
			       struct vq *vq, const char *name)
{
	unsigned max = d->ops->queue_max(d, index), num = 1;
	if (!max)
		return -ENOENT;
	if (want > max)
		want = max;
	if (want > VQ_MAX_NUM)
		want = VQ_MAX_NUM;
	while (num * 2 <= want)
		num *= 2;
	int err = (d->legacy ? vq_init_legacy : vq_init)(vq, name, (uint16_t)index, num,
							 virtio_has(d, VIRTIO_F_EVENT_IDX));
	if (err)
		return err;
	err = d->ops->queue_setup(d, vq);
	if (err)
		vq_free(vq);
	return err;
}

#endif
