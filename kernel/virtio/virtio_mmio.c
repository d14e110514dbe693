/*
 * kernel/virtio/virtio_mmio.c — the virtio-mmio transport, version 2
 * (virtio 1.0 section 4.2.2) and version 1, legacy (section 4.2.4: what
 * QEMU 7.2's microvm gives by default). virtio_mmio.h says where devices
 * come from and how their interrupts are wired.
 *
 * Legacy differs in four places, each marked d->legacy: one 32-bit
 * feature word each way and no FEATURES_OK (virtio_negotiate); no
 * configuration generation (0); a queue is one block (vq_init_legacy:
 * descriptors, available ring, used ring at the next 4096 bytes) given by
 * its page number in QueuePFN, after GuestPageSize and QueueAlign, with
 * no QueueReady (a non-zero QueuePFN is "in use"); and a reset clears
 * QueuePFN.
 *
 * The register window: identification (magic "virt", version 2, device
 * and vendor id), paged 32-bit feature words, a selected queue's size,
 * ready flag and three 64-bit ring addresses (written as halves),
 * QueueNotify (a 32-bit write of the queue index), InterruptStatus /
 * InterruptACK, Status, ConfigGeneration, and the device configuration
 * from 0x100 on. Discovery runs once (under disc_lock); the devices table
 * is read-only afterwards.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kernel/virtio/virtio_mmio.h"
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/console.h"
#include "kernel/kcmdline.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "kernel/trap.h"
#include "kernel/vm.h"
#include "kernel/arch/x86.h"

CMDLINE_KEY(key_vmmio, "virtio_mmio.device",
	    "a virtio-mmio device: <size>@<base>:<gsi> (QEMU microvm adds these)");
const struct cmdline_key *const virtio_mmio_device_key = &key_vmmio;

#define R_MAGIC		0x000
#define R_VERSION	0x004
#define R_DEVICE_ID	0x008
#define R_VENDOR_ID	0x00c
#define R_DF		0x010	/* DeviceFeatures */
#define R_DFSEL		0x014
#define R_GF		0x020	/* DriverFeatures */
#define R_GFSEL		0x024
#define R_Q_SEL		0x030
#define R_Q_NUM_MAX	0x034
#define R_Q_NUM		0x038
#define R_GUEST_PAGE	0x028	/* legacy */
#define R_Q_ALIGN	0x03c	/* legacy */
#define R_Q_PFN		0x040	/* legacy */
#define R_Q_READY	0x044
#define R_Q_NOTIFY	0x050
#define R_INT_STATUS	0x060
#define R_INT_ACK	0x064
#define R_STATUS	0x070
#define R_Q_DESC	0x080
#define R_Q_DRIVER	0x090
#define R_Q_DEVICE	0x0a0
#define R_CFG_GEN	0x0fc
#define R_CONFIG	0x100

#define MAGIC		0x74726976	/* "virt" */
#define LEVEL_HIGH	(1u | 3u << 2)	/* MADT flags: active high, level */

struct vmmio {
	struct virtio_dev vd;		/* first: a virtio_dev * is a vmmio * */
	struct virtio_mmio_desc desc;
	const char *source;		/* "cmdline" or "acpi" */
	volatile uint8_t *regs;
	int vector;			/* 0 until intr_setup; kept for reuse */
	/* Interrupts: written by intr_setup (GSI masked), read by the handler. */
	struct virtio_intr intr;
	char kind[16];			/* "GSI 12" */
};

static struct vmmio vmmios[VIRTIO_MMIO_MAX_DEVS];
static unsigned nvmmio, nrejected;
static struct spinlock disc_lock = SPINLOCK_INIT;
static bool discovered;
static const struct virtio_ops vmmio_ops;

static struct vmmio *to_vmmio(struct virtio_dev *d) { return (struct vmmio *)d; }
static uint32_t rd(struct vmmio *t, unsigned off) { return mmio_read32(t->regs + off); }
static void wr(struct vmmio *t, unsigned off, uint32_t v) { mmio_write32(t->regs + off, v); }
static void wr64(struct vmmio *t, unsigned off, uint64_t v)
{
	wr(t, off, (uint32_t)v);
	wr(t, off + 4, (uint32_t)(v >> 32));
}

/* ---- device operations ------------------------------------------------------ */

static int vmmio_reset(struct virtio_dev *d)
{
	struct vmmio *t = to_vmmio(d);
	wr(t, R_STATUS, 0);
	uint64_t limit = time_ns() + 1000000000ull;
	while (rd(t, R_STATUS) != 0) {
		if (time_ns() > limit)
			return -ETIMEDOUT;
		cpu_relax();
	}
	return 0;
}

static uint8_t vmmio_get_status(struct virtio_dev *d) { return (uint8_t)rd(to_vmmio(d), R_STATUS); }
static void vmmio_set_status(struct virtio_dev *d, uint8_t s) { wr(to_vmmio(d), R_STATUS, s); }

static uint64_t vmmio_get_features(struct virtio_dev *d)
{
	struct vmmio *t = to_vmmio(d);
	wr(t, R_DFSEL, 0);
	uint64_t lo = rd(t, R_DF);
	if (d->legacy)
		return lo;	/* one word: HostFeatures */
	wr(t, R_DFSEL, 1);
	return lo | (uint64_t)rd(t, R_DF) << 32;
}

static void vmmio_set_features(struct virtio_dev *d, uint64_t f)
{
	struct vmmio *t = to_vmmio(d);
	wr(t, R_GFSEL, 0);
	wr(t, R_GF, (uint32_t)f);
	if (d->legacy)
		return;
	wr(t, R_GFSEL, 1);
	wr(t, R_GF, (uint32_t)(f >> 32));
}

/* A read or write past the window is a driver bug. */
static volatile uint8_t *cfg_ptr(struct vmmio *t, unsigned off, unsigned width)
{
	if (R_CONFIG + off + width > t->desc.size || (width != 1 && width != 2 && width != 4))
		panic("virtio_mmio: %s: config access of %u bytes at %u, window is %llu bytes",
		      t->vd.name, width, off, (unsigned long long)t->desc.size);
	return t->regs + R_CONFIG + off;
}

static uint32_t vmmio_config_read(struct virtio_dev *d, unsigned off, unsigned width)
{
	volatile uint8_t *p = cfg_ptr(to_vmmio(d), off, width);
	return width == 1 ? *p : width == 2 ? *(volatile uint16_t *)p : *(volatile uint32_t *)p;
}

static void vmmio_config_write(struct virtio_dev *d, unsigned off, unsigned width, uint32_t v)
{
	volatile uint8_t *p = cfg_ptr(to_vmmio(d), off, width);
	if (width == 1)
		*p = (uint8_t)v;
	else if (width == 2)
		*(volatile uint16_t *)p = (uint16_t)v;
	else
		*(volatile uint32_t *)p = v;
}

/* Legacy devices have no generation counter: 0, always. */
static uint32_t vmmio_config_generation(struct virtio_dev *d)
{
	return d->legacy ? 0 : rd(to_vmmio(d), R_CFG_GEN);
}

static unsigned vmmio_queue_max(struct virtio_dev *d, unsigned index)
{
	wr(to_vmmio(d), R_Q_SEL, index);
	return rd(to_vmmio(d), R_Q_NUM_MAX);
}

static void vmmio_notify(struct vq *vq)
{
	wr(vq->transport, R_Q_NOTIFY, vq->index);
}

static int vmmio_queue_setup(struct virtio_dev *d, struct vq *vq)
{
	struct vmmio *t = to_vmmio(d);
	unsigned max = vmmio_queue_max(d, vq->index);	/* also selects it */
	if (!max)
		return -ENOENT;
	if (d->legacy) {
		/* One block (vq_init_legacy), named by its page number. */
		if (vq->num > max || rd(t, R_Q_PFN))
			return vq->num > max ? -EINVAL : -EBUSY;
		wr(t, R_GUEST_PAGE, 4096);
		wr(t, R_Q_NUM, vq->num);
		wr(t, R_Q_ALIGN, VQ_LEGACY_ALIGN);
		vq->transport = t;
		vq->notify = vmmio_notify;
		wr(t, R_Q_PFN, (uint32_t)((uintptr_t)vq->desc >> 12));
		return 0;
	}
	if (vq->num > max || rd(t, R_Q_READY))
		return vq->num > max ? -EINVAL : -EBUSY;
	wr(t, R_Q_NUM, vq->num);
	wr64(t, R_Q_DESC, (uintptr_t)vq->desc);
	wr64(t, R_Q_DRIVER, (uintptr_t)vq->avail);
	wr64(t, R_Q_DEVICE, (uintptr_t)vq->used);
	vq->transport = t;
	vq->notify = vmmio_notify;
	wr(t, R_Q_READY, 1);
	return 0;
}

/* ---- interrupts -------------------------------------------------------------- */

static bool vmmio_irq(struct trapframe *tf, void *arg)
{
	(void)tf;
	struct vmmio *t = arg;
	uint32_t st = rd(t, R_INT_STATUS);
	if (!st)
		return true;
	wr(t, R_INT_ACK, st);		/* lowers the line; a new event raises it again */
	if (st & 2)
		virtio_intr_config(&t->intr);
	if (st & 1)
		virtio_intr_queues(&t->intr);
	return true;
}

static int vmmio_intr_setup(struct virtio_dev *d, unsigned nq, virtio_intr_fn *queue_fn,
			    void *const queue_arg[], virtio_intr_fn *config_fn, void *config_arg)
{
	struct vmmio *t = to_vmmio(d);
	if (nq == 0 || nq > VIRTIO_MAX_QUEUES || !queue_fn)
		return -EINVAL;
	if (t->vector)
		ioapic_mask(t->desc.gsi, true);
	virtio_intr_keep(&t->intr, nq, queue_fn, queue_arg, config_fn, config_arg);
	if (!t->vector) {
		int v = trap_alloc_vector(vmmio_irq, t);
		if (v < 0)
			return v;
		t->vector = v;
	}
	int err = ioapic_route(t->desc.gsi, (uint8_t)t->vector, lapic_id(), t->desc.flags);
	if (err) {
		kprintf("%s: no IOAPIC input for GSI %u\n", d->name, t->desc.gsi);
		return err;
	}
	return 1;
}

static void vmmio_intr_mask(struct virtio_dev *d, unsigned q, bool masked)
{
	(void)q;
	ioapic_mask(to_vmmio(d)->desc.gsi, masked);
}

static const char *vmmio_intr_kind(struct virtio_dev *d)
{
	return to_vmmio(d)->kind;
}

static const struct virtio_ops vmmio_ops = {
	.transport = "mmio",
	.reset = vmmio_reset,
	.get_status = vmmio_get_status,
	.set_status = vmmio_set_status,
	.get_features = vmmio_get_features,
	.set_features = vmmio_set_features,
	.config_read = vmmio_config_read,
	.config_write = vmmio_config_write,
	.config_generation = vmmio_config_generation,
	.queue_max = vmmio_queue_max,
	.queue_setup = vmmio_queue_setup,
	.intr_setup = vmmio_intr_setup,
	.intr_mask = vmmio_intr_mask,
	.intr_kind = vmmio_intr_kind,
};

/* ---- the command line -------------------------------------------------------- */

/* An unsigned number, 0x-hex or decimal, at *s; advances *s. */
static int parse_num(const char **s, uint64_t *out)
{
	const char *p = *s;
	unsigned base = 10;
	uint64_t v = 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	const char *start = p;
	for (;; p++) {
		unsigned dg = *p >= '0' && *p <= '9' ? (unsigned)(*p - '0') :
			      *p >= 'a' && *p <= 'f' ? (unsigned)(*p - 'a' + 10) :
			      *p >= 'A' && *p <= 'F' ? (unsigned)(*p - 'A' + 10) : 99;
		if (dg >= base)
			break;
		if (v > (UINT64_MAX - dg) / base)
			return -EINVAL;
		v = v * base + dg;
	}
	if (p == start)
		return -EINVAL;
	*s = p;
	*out = v;
	return 0;
}

int virtio_mmio_parse(const char *s, struct virtio_mmio_desc *out)
{
	uint64_t size, base, gsi, id;
	if (parse_num(&s, &size))
		return -EINVAL;
	unsigned shift = 0;
	switch (*s) {
	case 'K': case 'k': shift = 10, s++; break;
	case 'M': case 'm': shift = 20, s++; break;
	case 'G': case 'g': shift = 30, s++; break;
	}
	if (size > (1ull << 32) >> shift)
		return -EINVAL;
	size <<= shift;
	if (*s++ != '@' || parse_num(&s, &base) || *s++ != ':' || parse_num(&s, &gsi))
		return -EINVAL;
	if (*s == ':' && (s++, parse_num(&s, &id)))
		return -EINVAL;
	if (*s || size < R_CONFIG || base == 0 || base + size < base || gsi > 255)
		return -EINVAL;
	*out = (struct virtio_mmio_desc){ base, size, (uint32_t)gsi, LEVEL_HIGH };
	return 0;
}

/* ---- discovery ------------------------------------------------------------------ */

static void add_device(const struct virtio_mmio_desc *dsc, const char *source)
{
	for (unsigned i = 0; i < nvmmio; i++)
		if (vmmios[i].desc.base == dsc->base)
			return;
	if (nvmmio == VIRTIO_MMIO_MAX_DEVS) {
		kprintf("virtio-mmio: more than %u devices; %#llx ignored\n", VIRTIO_MMIO_MAX_DEVS,
			(unsigned long long)dsc->base);
		return;
	}
	volatile uint8_t *regs = vm_map_mmio(dsc->base, dsc->size);
	uint32_t magic = mmio_read32(regs + R_MAGIC), ver = mmio_read32(regs + R_VERSION);
	uint32_t id = mmio_read32(regs + R_DEVICE_ID);
	if (magic != MAGIC) {
		kprintf("virtio-mmio@%#llx (%s): no virtio magic (%#x)\n",
			(unsigned long long)dsc->base, source, magic);
		nrejected++;
		return;
	}
	if (id == 0)
		return;			/* an empty transport slot */
	if (ver != 1 && ver != 2) {
		kprintf("virtio-mmio@%#llx (%s): version %u, only versions 1 (legacy) and 2 "
			"are known\n", (unsigned long long)dsc->base, source, ver);
		nrejected++;
		return;
	}
	struct vmmio *t = &vmmios[nvmmio++];
	memset(t, 0, sizeof *t);
	t->desc = *dsc;
	t->source = source;
	t->regs = regs;
	t->vd.ops = &vmmio_ops;
	t->vd.device_id = id;
	t->vd.legacy = ver == 1;
	snprintf(t->vd.name, sizeof t->vd.name, "virtio-mmio@%#llx", (unsigned long long)dsc->base);
	snprintf(t->kind, sizeof t->kind, "GSI %u", dsc->gsi);
	kprintf("%s: device type %u, vendor %#x, GSI %u, %s (from %s)\n", t->vd.name, id,
		mmio_read32(regs + R_VENDOR_ID), dsc->gsi, ver == 1 ? "legacy" : "version 2",
		source);
}

static void scan_cmdline(void)
{
	const char *v;
	for (size_t it = 0; (v = kcmdline_next(&key_vmmio, &it));) {
		struct virtio_mmio_desc dsc;
		if (virtio_mmio_parse(v, &dsc))
			kprintf("virtio-mmio: malformed virtio_mmio.device=%s ignored "
				"(want <size>@<base>:<gsi>)\n", v);
		else
			add_device(&dsc, "cmdline");
	}
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The DSDT, through the FADT (it is not listed in the RSDT), checked. */
static const uint8_t *find_dsdt(uint32_t *len)
{
	const uint8_t *fadt = acpi_find_table("FACP");
	if (!fadt)
		return NULL;
	uint32_t flen = le32(fadt + 4);
	uint64_t pa = flen >= 148 ? le32(fadt + 140) | (uint64_t)le32(fadt + 144) << 32 : 0;
	if (!pa)
		pa = le32(fadt + 40);
	if (!pa)
		return NULL;
	if (!vm_readable(pa, 36))
		vm_map_mmio(pa, 36);
	const uint8_t *t = (const uint8_t *)(uintptr_t)pa;
	*len = le32(t + 4);
	if (*len < 36 || memcmp(t, "DSDT", 4))
		return NULL;
	if (!vm_readable(pa, *len))
		vm_map_mmio(pa, *len);
	uint8_t sum = 0;
	for (uint32_t i = 0; i < *len; i++)
		sum += t[i];
	return sum == 0 ? t : NULL;
}

/*
 * QEMU's microvm DSDT holds, per device:
 *   Device (VRnn) { Name (_HID, "LNRO0005") Name (_UID, n) Name (_CCA, 1)
 *     Name (_CRS, ResourceTemplate () { Memory32Fixed (ReadWrite, base, size)
 *       Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { gsi } }) }
 * Resource descriptors are raw bytes in AML: Memory32Fixed is 86 09 00,
 * info, base32, len32; Extended Interrupt is 89 len16, flags (bit 1 edge,
 * bit 2 active low), count, gsi32.... Look for both within the 96 bytes
 * after each _HID string, stopping at the next device.
 */
static void scan_dsdt(void)
{
	uint32_t len;
	const uint8_t *t = find_dsdt(&len);
	static const char hid[] = "LNRO0005";	/* with its NUL, as AML stores it */
	for (uint32_t i = 36; t && i + sizeof hid <= len; i++) {
		if (memcmp(t + i, hid, sizeof hid))
			continue;
		struct virtio_mmio_desc dsc = { 0 };
		bool mem = false, irq = false;
		uint32_t j = i + sizeof hid, end = i + 96 < len ? i + 96 : len;
		for (; j + 9 <= end && !(mem && irq); j++) {
			if (!memcmp(t + j, hid, sizeof hid - 1))
				break;
			if (!mem && t[j] == 0x86 && t[j + 1] == 9 && t[j + 2] == 0 && j + 12 <= end) {
				dsc.base = le32(t + j + 4);
				dsc.size = le32(t + j + 8);
				mem = true;
			} else if (!irq && t[j] == 0x89 && t[j + 2] == 0 && t[j + 1] >= 6 && t[j + 4] >= 1) {
				uint8_t f = t[j + 3];
				dsc.gsi = le32(t + j + 5);
				dsc.flags = (uint16_t)((f & 4 ? 3u : 1u) | (f & 2 ? 1u : 3u) << 2);
				irq = true;
			}
		}
		if (mem && irq && dsc.size >= R_CONFIG)
			add_device(&dsc, "acpi");
		i = j - 1;
	}
}

static void discover(void)
{
	bool f = spin_lock(&disc_lock);
	if (!discovered) {
		scan_cmdline();
		scan_dsdt();
		discovered = true;
	}
	spin_unlock(&disc_lock, f);
}

unsigned virtio_mmio_find(uint32_t device_id, struct virtio_dev *out[], unsigned max)
{
	discover();
	unsigned n = 0;
	for (unsigned i = 0; i < nvmmio && n < max; i++)
		if (vmmios[i].vd.device_id == device_id)
			out[n++] = &vmmios[i].vd;
	return n;
}

unsigned virtio_mmio_rejected(void)
{
	discover();
	return nrejected;
}

const char *virtio_mmio_source(struct virtio_dev *d)
{
	return d->ops == &vmmio_ops ? to_vmmio(d)->source : NULL;
}
