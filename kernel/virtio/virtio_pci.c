/*
 * kernel/virtio/virtio_pci.c — the virtio 1.0 PCI transport (virtio 1.0
 * section 4.1).
 *
 * A modern device describes its register blocks with vendor-specific PCI
 * capabilities (id 0x09), each naming a BAR, an offset and a length:
 *   common cfg   features, status, queue selection and set-up
 *   notify cfg   where queue kicks go: offset + queue_notify_off *
 *                notify_off_multiplier, a 16-bit write of the queue index
 *   ISR          one byte, read-to-clear: bit 0 queue, bit 1 config (INTx)
 *   device cfg   the device-specific configuration (virtio-net's MAC...)
 * The first capability of each type is used, as the spec asks; ones whose
 * BAR is not a mapped memory BAR or whose range overruns it are skipped.
 *
 * Interrupt plan (intr_setup), fixed per set-up:
 *   PER_QUEUE  MSI-X vector 0 = config, vector q+1 = queue q
 *   SHARED     MSI-X vector 0 = config, vector 1 = all queues
 *   ONE        MSI-X vector 0 = everything (a one-entry table)
 *   ISR        INTx or MSI: one vector; the handler reads the ISR, which
 *              also lowers the INTx line, and dispatches on its bits
 * With MSI-X the device does not use the ISR, and each queue's vector is
 * written during queue_setup and read back: the device answers 0xffff
 * (NO_VECTOR) when it could not take it.
 *
 * Masking (intr_mask) under MSI-X is done in software, as Linux's lazy
 * disable_irq does: the vector's slot is marked masked, an interrupt that
 * arrives meanwhile is only recorded (pending), and the unmask runs the
 * recorded one (interrupts off, as the handler would). The MSI-X table
 * lives in a BAR that QEMU emulates in its userspace: masking it there,
 * as this driver once did, cost a read and a write to userspace each way,
 * four exits for every switch of virtio-net between interrupt and poll
 * mode, more than all its kicks (those go to KVM's ioeventfd). Edge
 * interrupts cannot storm while masked, and the rings' own suppression
 * (event index) keeps the device from sending them at all. INTx and MSI
 * (PLAN_ISR) keep masking in the device: a level line would re-fire.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kernel/virtio/virtio_pci.h"
#include "kernel/atomic.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "kernel/pci.h"
#include "kernel/time.h"
#include "kernel/arch/x86.h"

/* Common configuration layout (section 4.1.4.3). */
#define CC_DFSELECT	0x00	/* device_feature_select */
#define CC_DF		0x04	/* device_feature */
#define CC_GFSELECT	0x08	/* driver_feature_select */
#define CC_GF		0x0c	/* driver_feature */
#define CC_MSIX_CONFIG	0x10
#define CC_NUM_QUEUES	0x12
#define CC_STATUS	0x14
#define CC_CFG_GEN	0x15
#define CC_Q_SELECT	0x16
#define CC_Q_SIZE	0x18
#define CC_Q_MSIX	0x1a
#define CC_Q_ENABLE	0x1c
#define CC_Q_NOFF	0x1e
#define CC_Q_DESC	0x20
#define CC_Q_DRIVER	0x28
#define CC_Q_DEVICE	0x30
#define CC_LEN		0x38

#define CAP_COMMON	1
#define CAP_NOTIFY	2
#define CAP_ISR		3
#define CAP_DEVICE	4

#define NO_VECTOR	0xffff

enum plan { PLAN_NONE, PLAN_PER_QUEUE, PLAN_SHARED, PLAN_ONE, PLAN_ISR };

/* A slot's software mask (MSI-X plans), see above. */
#define SOFT_MASKED	1u
#define SOFT_PENDING	2u

/* What one interrupt vector does. */
enum { SLOT_CONFIG = -1, SLOT_QUEUES = -2, SLOT_ALL = -3, SLOT_ISR = -4 };

struct vpci {
	struct virtio_dev vd;		/* first: a virtio_dev * is a vpci * */
	struct pci_dev *pci;
	volatile uint8_t *common, *isr, *device, *notify;
	uint32_t device_len, notify_len, notify_mult;
	/* Interrupts: written by intr_setup (interrupts for this device off),
	   read by the handlers. */
	enum plan plan;
	struct virtio_intr intr;
	struct vpci_slot {
		struct vpci *t;
		int what;		/* queue index, or SLOT_* */
		uint32_t state;		/* atomic: SOFT_MASKED, SOFT_PENDING (MSI-X) */
	} slot[VIRTIO_MAX_QUEUES + 1];
	char kind[32];			/* intr_kind's answer for INTx */
};

static struct vpci vpcis[VIRTIO_PCI_MAX_DEVS];
static unsigned nvpci;
static const struct virtio_ops vpci_ops;

static struct vpci *to_vpci(struct virtio_dev *d) { return (struct vpci *)d; }

static uint8_t rd8(volatile uint8_t *p, unsigned off) { return p[off]; }
static uint16_t rd16(volatile uint8_t *p, unsigned off) { return *(volatile uint16_t *)(p + off); }
static uint32_t rd32(volatile uint8_t *p, unsigned off) { return *(volatile uint32_t *)(p + off); }
static void wr8(volatile uint8_t *p, unsigned off, uint8_t v) { p[off] = v; }
static void wr16(volatile uint8_t *p, unsigned off, uint16_t v) { *(volatile uint16_t *)(p + off) = v; }
static void wr32(volatile uint8_t *p, unsigned off, uint32_t v) { *(volatile uint32_t *)(p + off) = v; }
/* 64-bit registers as two 32-bit writes, low half first (section 4.1.3.1). */
static void wr64(volatile uint8_t *p, unsigned off, uint64_t v)
{
	wr32(p, off, (uint32_t)v);
	wr32(p, off + 4, (uint32_t)(v >> 32));
}

/* ---- device operations ------------------------------------------------------ */

static int vpci_reset(struct virtio_dev *d)
{
	struct vpci *t = to_vpci(d);
	wr8(t->common, CC_STATUS, 0);
	uint64_t limit = time_ns() + 1000000000ull;
	while (rd8(t->common, CC_STATUS) != 0) {
		if (time_ns() > limit)
			return -ETIMEDOUT;
		cpu_relax();
	}
	return 0;
}

static uint8_t vpci_get_status(struct virtio_dev *d) { return rd8(to_vpci(d)->common, CC_STATUS); }
static void vpci_set_status(struct virtio_dev *d, uint8_t s) { wr8(to_vpci(d)->common, CC_STATUS, s); }

static uint64_t vpci_get_features(struct virtio_dev *d)
{
	volatile uint8_t *c = to_vpci(d)->common;
	wr32(c, CC_DFSELECT, 0);
	uint64_t lo = rd32(c, CC_DF);
	wr32(c, CC_DFSELECT, 1);
	return lo | (uint64_t)rd32(c, CC_DF) << 32;
}

static void vpci_set_features(struct virtio_dev *d, uint64_t f)
{
	volatile uint8_t *c = to_vpci(d)->common;
	wr32(c, CC_GFSELECT, 0);
	wr32(c, CC_GF, (uint32_t)f);
	wr32(c, CC_GFSELECT, 1);
	wr32(c, CC_GF, (uint32_t)(f >> 32));
}

/* A read or write past the device's configuration is a driver bug. */
static volatile uint8_t *cfg_ptr(struct vpci *t, unsigned off, unsigned width)
{
	if (!t->device || off + width > t->device_len || (width != 1 && width != 2 && width != 4))
		panic("virtio_pci: %s: config access of %u bytes at %u, config is %u bytes",
		      t->vd.name, width, off, t->device_len);
	return t->device + off;
}

static uint32_t vpci_config_read(struct virtio_dev *d, unsigned off, unsigned width)
{
	volatile uint8_t *p = cfg_ptr(to_vpci(d), off, width);
	return width == 1 ? rd8(p, 0) : width == 2 ? rd16(p, 0) : rd32(p, 0);
}

static void vpci_config_write(struct virtio_dev *d, unsigned off, unsigned width, uint32_t v)
{
	volatile uint8_t *p = cfg_ptr(to_vpci(d), off, width);
	if (width == 1)
		wr8(p, 0, (uint8_t)v);
	else if (width == 2)
		wr16(p, 0, (uint16_t)v);
	else
		wr32(p, 0, v);
}

static uint32_t vpci_config_generation(struct virtio_dev *d)
{
	return rd8(to_vpci(d)->common, CC_CFG_GEN);
}

static unsigned vpci_queue_max(struct virtio_dev *d, unsigned index)
{
	volatile uint8_t *c = to_vpci(d)->common;
	if (index >= rd16(c, CC_NUM_QUEUES))
		return 0;
	wr16(c, CC_Q_SELECT, (uint16_t)index);
	return rd16(c, CC_Q_SIZE);
}

/* The MSI-X vector (table entry) queue q uses under the current plan. */
static uint16_t queue_vector(struct vpci *t, unsigned q)
{
	switch (t->plan) {
	case PLAN_PER_QUEUE: return (uint16_t)(q + 1);
	case PLAN_SHARED: return 1;
	case PLAN_ONE: return 0;
	default: return NO_VECTOR;
	}
}

static void vpci_notify(struct vq *vq)
{
	*(volatile uint16_t *)vq->transport = vq->index;
}

static int vpci_queue_setup(struct virtio_dev *d, struct vq *vq)
{
	struct vpci *t = to_vpci(d);
	volatile uint8_t *c = t->common;
	unsigned max = vpci_queue_max(d, vq->index);	/* also selects it */
	if (!max)
		return -ENOENT;
	if (vq->num > max || rd16(c, CC_Q_ENABLE))
		return vq->num > max ? -EINVAL : -EBUSY;
	wr16(c, CC_Q_SIZE, vq->num);
	if (t->plan != PLAN_NONE && t->plan != PLAN_ISR) {
		uint16_t v = queue_vector(t, vq->index);
		wr16(c, CC_Q_MSIX, v);
		if (rd16(c, CC_Q_MSIX) != v) {
			kprintf("%s: queue %u: device refused MSI-X vector %u\n", d->name, vq->index, v);
			return -EIO;
		}
	}
	wr64(c, CC_Q_DESC, (uintptr_t)vq->desc);
	wr64(c, CC_Q_DRIVER, (uintptr_t)vq->avail);
	wr64(c, CC_Q_DEVICE, (uintptr_t)vq->used);
	uint64_t off = (uint64_t)rd16(c, CC_Q_NOFF) * t->notify_mult;
	if (off + 2 > t->notify_len) {
		kprintf("%s: queue %u: notify offset %llu outside the %u-byte notify area\n",
			d->name, vq->index, (unsigned long long)off, t->notify_len);
		return -EIO;
	}
	vq->transport = (void *)(t->notify + off);
	vq->notify = vpci_notify;
	wr16(c, CC_Q_ENABLE, 1);
	return 0;
}

/* ---- interrupts -------------------------------------------------------------- */

static void vpci_dispatch(struct vpci_slot *s)
{
	struct vpci *t = s->t;
	if (s->what >= 0) {
		virtio_intr_queue(&t->intr, (unsigned)s->what);
	} else if (s->what == SLOT_CONFIG) {
		virtio_intr_config(&t->intr);
	} else if (s->what == SLOT_QUEUES) {
		virtio_intr_queues(&t->intr);
	} else if (s->what == SLOT_ALL) {
		virtio_intr_config(&t->intr);
		virtio_intr_queues(&t->intr);
	} else {
		uint8_t isr = rd8(t->isr, 0);	/* read-to-clear; lowers INTx */
		if (isr & 2)
			virtio_intr_config(&t->intr);
		if (isr & 1)
			virtio_intr_queues(&t->intr);
	}
}

static bool vpci_irq(struct trapframe *tf, void *arg)
{
	(void)tf;
	struct vpci_slot *s = arg;
	uint32_t st = a_load(&s->state);
	while (st & SOFT_MASKED)
		if (a_cas(&s->state, &st, st | SOFT_PENDING))
			return true;	/* the unmask runs it */
	vpci_dispatch(s);
	return true;
}

static int vpci_intr_setup(struct virtio_dev *d, unsigned nq, virtio_intr_fn *queue_fn,
			   void *const queue_arg[], virtio_intr_fn *config_fn, void *config_arg)
{
	struct vpci *t = to_vpci(d);
	if (nq == 0 || nq > VIRTIO_MAX_QUEUES || !queue_fn)
		return -EINVAL;
	pci_irq_free(t->pci);		/* a second set-up after a reset */
	t->plan = PLAN_NONE;
	virtio_intr_keep(&t->intr, nq, queue_fn, queue_arg, config_fn, config_arg);

	unsigned nmsix = pci_msix_count(t->pci), nvec = 1;
	if (nmsix > PCI_MAX_VEC)
		nmsix = PCI_MAX_VEC;
	enum plan plan = PLAN_ONE;
	t->slot[0] = (struct vpci_slot){ .t = t, .what = SLOT_ALL };
	if (nmsix >= nq + 1) {
		plan = PLAN_PER_QUEUE, nvec = nq + 1;
		t->slot[0].what = SLOT_CONFIG;
		for (unsigned q = 0; q < nq; q++)
			t->slot[q + 1] = (struct vpci_slot){ .t = t, .what = (int)q };
	} else if (nmsix >= 2) {
		plan = PLAN_SHARED, nvec = 2;
		t->slot[0].what = SLOT_CONFIG;
		t->slot[1] = (struct vpci_slot){ .t = t, .what = SLOT_QUEUES };
	}
	void *args[VIRTIO_MAX_QUEUES + 1];
	for (unsigned i = 0; i < nvec; i++)
		args[i] = &t->slot[i];
	int n = pci_irq_alloc(t->pci, nvec, vpci_irq, args);
	if (n < 0)
		return n;
	if (t->pci->irq_kind != PCI_IRQ_MSIX) {
		t->slot[0].what = SLOT_ISR;
		t->plan = PLAN_ISR;
		return n;
	}
	if ((unsigned)n != nvec)
		panic("vpci_intr_setup: %s: asked for %u MSI-X vectors, got %d", d->name, nvec, n);
	t->plan = plan;
	wr16(t->common, CC_MSIX_CONFIG, 0);
	if (rd16(t->common, CC_MSIX_CONFIG) != 0) {
		kprintf("%s: device refused MSI-X vector 0 for configuration changes\n", d->name);
		pci_irq_free(t->pci);
		t->plan = PLAN_NONE;
		return -EIO;
	}
	return n;
}

static void vpci_intr_mask(struct virtio_dev *d, unsigned q, bool masked)
{
	struct vpci *t = to_vpci(d);
	uint16_t v = queue_vector(t, q);
	if (v == NO_VECTOR) {		/* INTx or MSI: in the device */
		pci_irq_mask(t->pci, 0, masked);
		return;
	}
	struct vpci_slot *s = &t->slot[v];
	if (masked) {
		a_fetch_or(&s->state, SOFT_MASKED);
		return;
	}
	/* The swap and the handler's compare-and-swap order every race: an
	   interrupt either saw the mask and is pending here, or sees it
	   cleared and runs itself. */
	if (a_swap(&s->state, 0) & SOFT_PENDING) {
		bool f = irq_save();
		vpci_dispatch(s);
		irq_restore(f);
	}
}

static const char *vpci_intr_kind(struct virtio_dev *d)
{
	static const char *const names[] = {
		[PLAN_NONE] = "none", [PLAN_PER_QUEUE] = "MSI-X per queue",
		[PLAN_SHARED] = "MSI-X config + shared queues", [PLAN_ONE] = "MSI-X single",
		[PLAN_ISR] = "",
	};
	struct vpci *t = to_vpci(d);
	if (t->plan != PLAN_ISR)
		return names[t->plan];
	if (t->pci->irq_kind == PCI_IRQ_MSI)
		return "MSI with ISR";
	snprintf(t->kind, sizeof t->kind, "INTx%c GSI %u with ISR", 'A' + t->pci->irq_pin - 1,
		 t->pci->gsi);
	return t->kind;
}

static const struct virtio_ops vpci_ops = {
	.transport = "pci",
	.reset = vpci_reset,
	.get_status = vpci_get_status,
	.set_status = vpci_set_status,
	.get_features = vpci_get_features,
	.set_features = vpci_set_features,
	.config_read = vpci_config_read,
	.config_write = vpci_config_write,
	.config_generation = vpci_config_generation,
	.queue_max = vpci_queue_max,
	.queue_setup = vpci_queue_setup,
	.intr_setup = vpci_intr_setup,
	.intr_mask = vpci_intr_mask,
	.intr_kind = vpci_intr_kind,
};

/* ---- discovery ------------------------------------------------------------------ */

/* Map the region one vendor capability describes; NULL if unusable. */
static volatile uint8_t *cap_region(struct pci_dev *p, unsigned cap, uint32_t *len)
{
	uint8_t bar = pci_read8(p, cap + 4);
	uint32_t off = pci_read32(p, cap + 8);
	*len = pci_read32(p, cap + 12);
	if (bar > 5)
		return NULL;
	uint8_t *base = pci_bar_map(p, bar);
	if (!base || (uint64_t)off + *len > p->bar[bar].size)
		return NULL;
	return base + off;
}

/* Find the four register blocks of p into t. 0 or -ENODEV. */
static int vpci_caps(struct vpci *t, struct pci_dev *p)
{
	unsigned cap = 0;
	for (unsigned n = 0; n < 48 && (cap = pci_find_cap(p, PCI_CAP_VENDOR, cap)); n++) {
		uint8_t type = pci_read8(p, cap + 3);
		uint32_t len;
		volatile uint8_t *r;
		if (type < CAP_COMMON || type > CAP_DEVICE || !(r = cap_region(p, cap, &len)))
			continue;
		if (type == CAP_COMMON && !t->common && len >= CC_LEN) {
			t->common = r;
		} else if (type == CAP_NOTIFY && !t->notify) {
			t->notify = r, t->notify_len = len;
			t->notify_mult = pci_read32(p, cap + 16);
		} else if (type == CAP_ISR && !t->isr) {
			t->isr = r;
		} else if (type == CAP_DEVICE && !t->device) {
			t->device = r, t->device_len = len;
		}
	}
	return t->common && t->notify && t->isr ? 0 : -ENODEV;
}

static struct vpci *vpci_probe(struct pci_dev *p, uint32_t type)
{
	for (unsigned i = 0; i < nvpci; i++)
		if (vpcis[i].pci == p)
			return &vpcis[i];
	if (nvpci == VIRTIO_PCI_MAX_DEVS) {
		kprintf("virtio-pci@%s: more than %u virtio devices; ignored\n", p->name,
			VIRTIO_PCI_MAX_DEVS);
		return NULL;
	}
	struct vpci *t = &vpcis[nvpci];
	memset(t, 0, sizeof *t);
	if (vpci_caps(t, p) < 0) {
		kprintf("virtio-pci@%s: %04x:%04x has no modern (virtio 1.0) register blocks; "
			"legacy devices are not supported\n", p->name, p->vendor, p->device);
		return NULL;
	}
	t->pci = p;
	t->vd.ops = &vpci_ops;
	t->vd.device_id = type;
	memcpy(t->vd.name, "virtio-pci@", 11);
	memcpy(t->vd.name + 11, p->name, sizeof p->name);
	pci_enable(p, PCI_CMD_MEM | PCI_CMD_MASTER);
	nvpci++;
	return t;
}

unsigned virtio_pci_find(uint32_t device_id, struct virtio_dev *out[], unsigned max)
{
	unsigned n = 0;
	for (struct pci_dev *p = pci_find(VIRTIO_PCI_VENDOR, PCI_ANY_ID); p && n < max;
	     p = pci_find_next(VIRTIO_PCI_VENDOR, PCI_ANY_ID, p)) {
		uint32_t type;
		if (p->device >= 0x1040 && p->device <= 0x107f)
			type = p->device - 0x1040u;
		else if (p->device >= 0x1000 && p->device <= 0x103f)
			type = p->subsys_id;	/* transitional */
		else
			continue;
		if (type != device_id)
			continue;
		struct vpci *t = vpci_probe(p, type);
		if (t)
			out[n++] = &t->vd;
	}
	return n;
}

struct pci_dev *virtio_pci_dev(struct virtio_dev *d)
{
	return d->ops == &vpci_ops ? to_vpci(d)->pci : NULL;
}
