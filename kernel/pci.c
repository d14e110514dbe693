/*
 * kernel/pci.c — PCI enumeration, configuration space, BARs, interrupts.
 *
 * Configuration space. Two mechanisms: ECAM (PCIe memory-mapped config,
 * 4 KiB per function at base + (bus << 20 | dev << 15 | fn << 12)),
 * described by ACPI's MCFG, and the legacy port pair 0xcf8 (address) /
 * 0xcfc (data), which only reaches the first 256 bytes and needs a lock
 * because the two port accesses must not interleave between CPUs. ECAM
 * is preferred when present; a bus outside its range uses the ports. On
 * microvm neither exists: the port probe fails and there is no MCFG, so
 * pci_init finds nothing. Mapping all of ECAM (256 MiB on q35) would cost
 * 128 page-table pages, so each bus's 1 MiB is mapped when first touched.
 *
 * Enumeration follows bridges rather than probing all 256 buses: the
 * firmware (SeaBIOS, OVMF) numbered them, and a secondary bus is always
 * above its primary, so one ascending pass over a "pending" bitmap visits
 * every reachable bus once, with no recursion and no possible loop.
 *
 * Interrupts, in order of preference:
 *   MSI-X  a table in a memory BAR; entry i holds an address that names
 *          the target CPU (0xfee00000 | apic_id << 12, physical mode) and
 *          data that holds the vector (fixed delivery, edge). Each entry
 *          has its own mask bit, which is what the poller's "mask that
 *          queue" uses.
 *   MSI    the same message in configuration space, one vector only:
 *          multi-message MSI needs a block of 2^n consecutive, aligned
 *          vectors, which trap_alloc_vector does not promise.
 *   INTx   pin A-D through the IOAPIC. The pin-to-GSI map on q35 is the
 *          DSDT's _PRT (PIRQ A-H on GSI 16-23), which needs an AML
 *          interpreter we do not have. Instead we use the interrupt-line
 *          register, which the firmware (SeaBIOS, and OVMF likewise)
 *          fills with the ISA IRQ it steered the pin's PIRQ link to
 *          (10 or 11 on QEMU), and map it through the MADT's overrides.
 *          This works on QEMU's pc (PIIX routes PIRQs only to ISA IRQs)
 *          and q35 (ICH9 drives a steered PIRQ onto both its GSI 16-23
 *          input and the ISA IRQ's IOAPIC input). It would not work on
 *          hardware whose firmware leaves the register at 0xff, and we
 *          then report -ENODEV. PCI INTx is level triggered, so the
 *          route is level whatever the override says; the polarity comes
 *          from the override (active high on QEMU), else PCI's active low.
 *          Lines are shared: a small table per line calls every handler.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kernel/pci.h"
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/vm.h"
#include "kernel/arch/x86.h"

#define CFG_ADDR	0xcf8
#define CFG_DATA	0xcfc

#define MSIX_CTRL	2		/* message control */
#define MSIX_TABLE	4		/* table offset | BIR */
#define MSIX_ENABLE	(1u << 15)
#define MSIX_FMASK	(1u << 14)	/* function mask */
#define MSIX_ENTRY_CTRL	12		/* vector control in a table entry */
#define MSI_ENABLE	(1u << 0)
#define MSI_64BIT	(1u << 7)
#define MSI_PVM		(1u << 8)	/* per-vector masking */
#define MSI_ADDR(apic)	(0xfee00000u | (uint32_t)(apic) << 12)

#define INTX_LINES	8		/* distinct INTx lines in use */
#define INTX_SHARERS	8		/* devices per line */

/* Port pair and ECAM mapping; pci_lock also orders device-table init. */
static struct spinlock pci_lock = SPINLOCK_INIT;
/* Read-modify-write of the command register and MSI mask bits. */
static struct spinlock cmd_lock = SPINLOCK_INIT;

static struct {
	bool present;
	uint64_t base;			/* address of bus 0's window */
	uint8_t first, last;		/* buses the window covers */
	uint8_t mapped[32];		/* bitmap: bus window mapped */
} ecam;
static bool ports_ok;			/* 0xcf8/0xcfc answer */

static struct pci_dev devs[PCI_MAX_DEVS];
static unsigned ndevs, ndropped, nbuses;
static int init_state;			/* 0 not run, 1 running, 2 done */

/* ---- configuration space --------------------------------------------- */

static unsigned mkbdf(unsigned bus, unsigned dev, unsigned fn)
{
	return bus << 8 | dev << 3 | fn;
}

/* The ECAM address of (bdf, off), mapping the bus on first use; NULL
   when the bus is outside ECAM. */
static volatile uint8_t *ecam_ptr(unsigned bdf, unsigned off)
{
	unsigned bus = bdf >> 8;
	if (!ecam.present || bus < ecam.first || bus > ecam.last)
		return NULL;
	uint8_t bit = (uint8_t)(1u << (bus % 8));
	if (!(a_load_acquire(&ecam.mapped[bus / 8]) & bit)) {
		bool f = spin_lock(&pci_lock);
		if (!(ecam.mapped[bus / 8] & bit)) {
			vm_map_mmio(ecam.base + ((uint64_t)bus << 20), 1u << 20);
			a_store_release(&ecam.mapped[bus / 8], ecam.mapped[bus / 8] | bit);
		}
		spin_unlock(&pci_lock, f);
	}
	return (volatile uint8_t *)(uintptr_t)(ecam.base + ((uint64_t)bdf << 12) + off);
}

static uint32_t cfg_read(unsigned bdf, unsigned off, unsigned size)
{
	volatile uint8_t *p = ecam_ptr(bdf, off);
	if (p)
		return size == 1 ? *p : size == 2 ? *(volatile uint16_t *)p : *(volatile uint32_t *)p;
	if (!ports_ok || off >= 256)
		return size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffffu;
	bool f = spin_lock(&pci_lock);
	outl(CFG_ADDR, 0x80000000u | bdf << 8 | (off & 0xfc));
	uint32_t v = size == 1 ? inb(CFG_DATA + (off & 3)) :
		     size == 2 ? inw(CFG_DATA + (off & 2)) : inl(CFG_DATA);
	spin_unlock(&pci_lock, f);
	return v;
}

static void cfg_write(unsigned bdf, unsigned off, unsigned size, uint32_t v)
{
	volatile uint8_t *p = ecam_ptr(bdf, off);
	if (p) {
		if (size == 1)
			*p = (uint8_t)v;
		else if (size == 2)
			*(volatile uint16_t *)p = (uint16_t)v;
		else
			*(volatile uint32_t *)p = v;
		return;
	}
	if (!ports_ok || off >= 256)
		return;
	bool f = spin_lock(&pci_lock);
	outl(CFG_ADDR, 0x80000000u | bdf << 8 | (off & 0xfc));
	if (size == 1)
		outb(CFG_DATA + (off & 3), (uint8_t)v);
	else if (size == 2)
		outw(CFG_DATA + (off & 2), (uint16_t)v);
	else
		outl(CFG_DATA, v);
	spin_unlock(&pci_lock, f);
}

static unsigned bdf_of(const struct pci_dev *d) { return mkbdf(d->bus, d->dev, d->fn); }

uint8_t pci_read8(const struct pci_dev *d, unsigned off) { return (uint8_t)cfg_read(bdf_of(d), off, 1); }
uint16_t pci_read16(const struct pci_dev *d, unsigned off) { return (uint16_t)cfg_read(bdf_of(d), off, 2); }
uint32_t pci_read32(const struct pci_dev *d, unsigned off) { return cfg_read(bdf_of(d), off, 4); }
void pci_write8(const struct pci_dev *d, unsigned off, uint8_t v) { cfg_write(bdf_of(d), off, 1, v); }
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v) { cfg_write(bdf_of(d), off, 2, v); }
void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v) { cfg_write(bdf_of(d), off, 4, v); }

/* Is configuration mechanism #1 there? The address port reads back what
   was written only on a host bridge that implements it. */
static bool probe_ports(void)
{
	uint32_t save = inl(CFG_ADDR);
	outl(CFG_ADDR, 0x80000000u);
	bool ok = inl(CFG_ADDR) == 0x80000000u;
	outl(CFG_ADDR, save);
	return ok;
}

/* MCFG: a 36-byte header, 8 reserved bytes, then 16-byte entries
   {u64 base, u16 segment, u8 first bus, u8 last bus, u32 reserved}. */
static void probe_ecam(void)
{
	const uint8_t *t = acpi_find_table("MCFG");
	if (!t)
		return;
	uint32_t len;
	memcpy(&len, t + 4, 4);
	for (uint32_t off = 44; off + 16 <= len; off += 16) {
		uint16_t seg;
		memcpy(&seg, t + off + 8, 2);
		if (seg != 0)
			continue;
		memcpy(&ecam.base, t + off, 8);
		ecam.first = t[off + 10];
		ecam.last = t[off + 11];
		ecam.present = ecam.base != 0 && ecam.last >= ecam.first;
		return;
	}
}

bool pci_ecam(uint64_t *base, uint8_t *first, uint8_t *last)
{
	pci_init();
	*base = ecam.base;
	*first = ecam.first;
	*last = ecam.last;
	return ecam.present;
}

/* ---- BARs and capabilities ---------------------------------------------- */

/* Decode BAR i of d (sizing it by writing all-ones, with decoding off);
   returns the number of BAR slots it takes (2 for a 64-bit BAR). */
static unsigned decode_bar(struct pci_dev *d, unsigned i, unsigned nbars)
{
	struct pci_bar *b = &d->bar[i];
	unsigned off = PCI_BAR0 + 4 * i;
	uint32_t lo = pci_read32(d, off), szlo;
	pci_write32(d, off, 0xffffffffu);
	szlo = pci_read32(d, off);
	pci_write32(d, off, lo);
	if (szlo == 0 || szlo == 0xffffffffu)
		return 1;			/* not implemented */
	if (lo & 1) {				/* I/O */
		uint32_t m = szlo & ~3u;
		if (!(m & 0xffff0000u))
			m |= 0xffff0000u;	/* 16-bit decoders */
		b->kind = PCI_BAR_IO;
		b->addr = lo & ~3u;
		b->size = (uint32_t)(~m + 1);
		return 1;
	}
	uint64_t mask = (uint64_t)(szlo & ~0xfu) | 0xffffffff00000000ull;
	uint64_t addr = lo & ~0xfu;
	b->kind = PCI_BAR_MEM32;
	b->prefetch = lo & 8;
	if (((lo >> 1) & 3) == 2 && i + 1 < nbars) {
		uint32_t hi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, 0xffffffffu);
		uint32_t szhi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, hi);
		mask = (uint64_t)szhi << 32 | (szlo & ~0xfu);
		addr |= (uint64_t)hi << 32;
		b->kind = PCI_BAR_MEM64;
	}
	b->addr = addr;
	b->size = ~mask + 1;
	return b->kind == PCI_BAR_MEM64 ? 2 : 1;
}

/* Bridges are left decoding while their BARs are sized: a host or ISA
   bridge that stops decoding takes the console's ports with it. */
static void decode_bars(struct pci_dev *d)
{
	unsigned nbars = d->header_type == 0 ? 6 : d->header_type == 1 ? 2 : 0;
	bool bridge = d->class == 0x06;
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	if (!bridge)
		pci_write16(d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
	for (unsigned i = 0; i < nbars;)
		i += decode_bar(d, i, nbars);
	if (!bridge)
		pci_write16(d, PCI_COMMAND, cmd);
}

unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned after)
{
	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAPS))
		return 0;
	unsigned p = after ? pci_read8(d, after + 1) : pci_read8(d, PCI_CAP_PTR);
	for (unsigned n = 0; n < 48 && p >= 0x40 && p < 0x100; n++) {
		p &= 0xfc;
		if (pci_read8(d, p) == id)
			return p;
		p = pci_read8(d, p + 1);
	}
	return 0;
}

void *pci_bar_map(struct pci_dev *d, unsigned i)
{
	if (i >= 6)
		return NULL;
	struct pci_bar *b = &d->bar[i];
	if (b->va)
		return b->va;
	if ((b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64) || !b->addr || !b->size)
		return NULL;
	b->va = vm_map_mmio(b->addr, b->size);
	return b->va;
}

static void cmd_update(struct pci_dev *d, uint16_t set, uint16_t clear)
{
	bool f = spin_lock(&cmd_lock);
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, (uint16_t)((cmd | set) & ~clear));
	spin_unlock(&cmd_lock, f);
}

void pci_enable(struct pci_dev *d, uint16_t bits)
{
	cmd_update(d, bits, 0);
}

/* ---- enumeration ---------------------------------------------------------- */

static void add_function(unsigned bus, unsigned dev, unsigned fn)
{
	if (ndevs == PCI_MAX_DEVS) {
		ndropped++;
		return;
	}
	struct pci_dev *d = &devs[ndevs++];
	static const char hex[] = "0123456789abcdef";
	d->bus = (uint8_t)bus, d->dev = (uint8_t)dev, d->fn = (uint8_t)fn;
	char *n = d->name;
	n[0] = hex[bus >> 4], n[1] = hex[bus & 15], n[2] = ':';
	n[3] = hex[dev >> 4], n[4] = hex[dev & 15], n[5] = '.', n[6] = hex[fn], n[7] = 0;
	d->vendor = pci_read16(d, PCI_VENDOR_ID);
	d->device = pci_read16(d, PCI_DEVICE_ID);
	uint32_t cls = pci_read32(d, PCI_REVISION);
	d->revision = (uint8_t)cls, d->prog_if = (uint8_t)(cls >> 8);
	d->subclass = (uint8_t)(cls >> 16), d->class = (uint8_t)(cls >> 24);
	d->header_type = pci_read8(d, PCI_HEADER_TYPE) & 0x7f;
	if (d->header_type == 0) {
		d->subsys_vendor = pci_read16(d, PCI_SUBSYS_VENDOR);
		d->subsys_id = pci_read16(d, PCI_SUBSYS_ID);
	}
	d->irq_pin = pci_read8(d, PCI_INTR_PIN);
	d->irq_line = pci_read8(d, PCI_INTR_LINE);
	if (d->irq_pin > 4)
		d->irq_pin = 0;
	decode_bars(d);
	d->msi_cap = (uint8_t)pci_find_cap(d, PCI_CAP_MSI, 0);
	d->msix_cap = (uint8_t)pci_find_cap(d, PCI_CAP_MSIX, 0);
	if (d->msix_cap)
		d->msix_size = (pci_read16(d, d->msix_cap + MSIX_CTRL) & 0x7ff) + 1;
}

static bool present(unsigned bdf)
{
	uint16_t v = (uint16_t)cfg_read(bdf, PCI_VENDOR_ID, 2);
	return v != 0xffff && v != 0;
}

/* Add every function on `bus`; mark the buses behind its bridges. */
static void scan_bus(unsigned bus, uint8_t pending[32])
{
	nbuses++;
	for (unsigned dev = 0; dev < 32; dev++) {
		if (!present(mkbdf(bus, dev, 0)))
			continue;
		unsigned nfn = cfg_read(mkbdf(bus, dev, 0), PCI_HEADER_TYPE, 1) & 0x80 ? 8 : 1;
		for (unsigned fn = 0; fn < nfn; fn++) {
			unsigned bdf = mkbdf(bus, dev, fn);
			if (!present(bdf))
				continue;
			add_function(bus, dev, fn);
			uint8_t ht = cfg_read(bdf, PCI_HEADER_TYPE, 1) & 0x7f;
			uint16_t cls = (uint16_t)(cfg_read(bdf, PCI_REVISION, 4) >> 16);
			unsigned sec = ht == 1 ? cfg_read(bdf, PCI_SECONDARY_BUS, 1) : 0;
			/* A multi-function host bridge: function N roots bus N. */
			if (bus == 0 && dev == 0 && fn > 0 && cls == 0x0600)
				sec = fn;
			if (sec > bus)
				pending[sec / 8] |= (uint8_t)(1u << (sec % 8));
			else if (ht == 1)
				kprintf("pci: bridge %02x:%02x.%u has secondary bus %u, not above %u; "
					"not followed\n", bus, dev, fn, sec, bus);
		}
	}
}

static const char *class_name(const struct pci_dev *d)
{
	static const char *const names[] = {
		"unclassified", "storage", "network", "display", "multimedia",
		"memory", "bridge", "comm", "system", "input", "dock", "cpu",
		"serial-bus", "wireless",
	};
	if (d->class == 0x06 && d->subclass == 0x00)
		return "host-bridge";
	if (d->class == 0x06 && d->subclass == 0x01)
		return "isa-bridge";
	if (d->class == 0x06 && d->subclass == 0x04)
		return "pci-bridge";
	return d->class < sizeof names / sizeof names[0] ? names[d->class] : "other";
}

/* One line: how config space is reached, then every function. Long
   lists continue on further "pci:" lines. */
static void print_summary(void)
{
	if (!ecam.present && !ports_ok) {
		kprintf("pci: none (no ECAM in ACPI, no port 0xcf8)\n");
		return;
	}
	char line[200];
	int n;
	if (ecam.present)
		n = snprintf(line, sizeof line, "pci: ECAM %#llx buses %u-%u; ",
			     (unsigned long long)ecam.base, ecam.first, ecam.last);
	else
		n = snprintf(line, sizeof line, "pci: port I/O; ");
	n += snprintf(line + n, sizeof line - n, "%u functions on %u bus%s%s", ndevs, nbuses,
		      nbuses == 1 ? "" : "es", ndevs ? ":" : "");
	for (unsigned i = 0; i < ndevs; i++) {
		const struct pci_dev *d = &devs[i];
		char item[48];
		int m = snprintf(item, sizeof item, " %s %04x:%04x %s", d->name, d->vendor,
				 d->device, class_name(d));
		if (n + m + 1 >= (int)sizeof line) {
			kprintf("%s\n", line);
			n = snprintf(line, sizeof line, "pci:");
		}
		n += snprintf(line + n, sizeof line - n, "%s", item);
	}
	kprintf("%s\n", line);
	if (ndropped)
		kprintf("pci: %u more functions not kept (PCI_MAX_DEVS %u)\n", ndropped, PCI_MAX_DEVS);
}

void pci_init(void)
{
	int expect = 0;
	if (!a_cas_acquire(&init_state, &expect, 1)) {
		while (a_load_acquire(&init_state) != 2)
			cpu_relax();
		return;
	}
	probe_ecam();
	ports_ok = probe_ports();
	if (ecam.present || ports_ok) {
		uint8_t pending[32] = { 1 };	/* bus 0 */
		for (unsigned bus = 0; bus < 256; bus++)
			if (pending[bus / 8] & (1u << (bus % 8)))
				scan_bus(bus, pending);
	}
	print_summary();
	a_store_release(&init_state, 2);
}

unsigned pci_count(void)
{
	pci_init();
	return ndevs;
}

struct pci_dev *pci_get(unsigned i)
{
	pci_init();
	return i < ndevs ? &devs[i] : NULL;
}

struct pci_dev *pci_find_next(uint16_t vendor, uint16_t device, const struct pci_dev *prev)
{
	pci_init();
	for (unsigned i = prev ? (unsigned)(prev - devs) + 1 : 0; i < ndevs; i++)
		if (devs[i].vendor == vendor && (device == PCI_ANY_ID || devs[i].device == device))
			return &devs[i];
	return NULL;
}

struct pci_dev *pci_find(uint16_t vendor, uint16_t device)
{
	return pci_find_next(vendor, device, NULL);
}

/* ---- interrupts ------------------------------------------------------------ */

/* One INTx line: a vector whose handler calls every device's handler. A
   slot is published by its release-stored fn; a removed slot has fn NULL
   and may be reused. Changes take intx_lock. */
static struct intx_line {
	uint32_t gsi;
	uint16_t flags;			/* MADT-style polarity/trigger */
	int vector;			/* 0: line unused */
	unsigned n;			/* slots ever used */
	struct {
		struct pci_dev *dev;
		trap_handler_t fn;
		void *arg;
	} h[INTX_SHARERS];
} intx[INTX_LINES];
static struct spinlock intx_lock = SPINLOCK_INIT;

static bool intx_dispatch(struct trapframe *tf, void *arg)
{
	struct intx_line *l = arg;
	unsigned n = a_load_acquire(&l->n);
	for (unsigned i = 0; i < n; i++) {
		trap_handler_t fn = a_load_acquire(&l->h[i].fn);
		if (fn)
			fn(tf, l->h[i].arg);
	}
	return true;
}

/* Vectors for d's entries [0, n): reuse the ones cached in d, allocate
   the rest. Returns 0 or -ENOSPC. */
static int get_vectors(struct pci_dev *d, unsigned n, trap_handler_t fn, void *arg[])
{
	for (unsigned i = 0; i < n; i++) {
		void *a = arg ? arg[i] : NULL;
		if (i < d->ncached) {
			trap_set_handler(d->vector[i], fn, a);
			continue;
		}
		int v = trap_alloc_vector(fn, a);
		if (v < 0)
			return v;
		d->vector[d->ncached++] = (uint8_t)v;
	}
	return 0;
}

static volatile uint8_t *msix_entry(struct pci_dev *d, unsigned i)
{
	return d->msix_table + 16 * i;
}

static int msix_setup(struct pci_dev *d, unsigned n, trap_handler_t fn, void *arg[], uint32_t apic)
{
	uint32_t t = pci_read32(d, d->msix_cap + MSIX_TABLE);
	unsigned bir = t & 7;
	uint64_t off = t & ~7u;
	uint8_t *bar = bir < 6 ? pci_bar_map(d, bir) : NULL;
	if (!bar || off + 16ull * d->msix_size > d->bar[bir].size)
		return -ENODEV;
	d->msix_table = bar + off;
	int err = get_vectors(d, n, fn, arg);
	if (err)
		return err;
	uint16_t ctl = pci_read16(d, d->msix_cap + MSIX_CTRL);
	pci_write16(d, d->msix_cap + MSIX_CTRL, ctl | MSIX_ENABLE | MSIX_FMASK);
	for (unsigned i = 0; i < d->msix_size; i++) {
		volatile uint8_t *e = msix_entry(d, i);
		mmio_write32(e + MSIX_ENTRY_CTRL, mmio_read32(e + MSIX_ENTRY_CTRL) | 1);
	}
	for (unsigned i = 0; i < n; i++) {
		volatile uint8_t *e = msix_entry(d, i);
		mmio_write32(e + 0, MSI_ADDR(apic));
		mmio_write32(e + 4, 0);
		mmio_write32(e + 8, d->vector[i]);
		mmio_write32(e + MSIX_ENTRY_CTRL, mmio_read32(e + MSIX_ENTRY_CTRL) & ~1u);
	}
	cmd_update(d, PCI_CMD_INTX_DISABLE, 0);
	pci_write16(d, d->msix_cap + MSIX_CTRL, (ctl | MSIX_ENABLE) & ~MSIX_FMASK);
	d->irq_kind = PCI_IRQ_MSIX;
	d->nvec = n;
	return (int)n;
}

/* Offsets of MSI's data and mask registers (they move with 64-bit). */
static unsigned msi_data_off(const struct pci_dev *d, uint16_t ctl)
{
	return d->msi_cap + (ctl & MSI_64BIT ? 12 : 8);
}

static void msi_write_addr(struct pci_dev *d, uint16_t ctl, uint32_t apic)
{
	pci_write32(d, d->msi_cap + 4, MSI_ADDR(apic));
	if (ctl & MSI_64BIT)
		pci_write32(d, d->msi_cap + 8, 0);
}

static int msi_setup(struct pci_dev *d, trap_handler_t fn, void *arg[], uint32_t apic)
{
	int err = get_vectors(d, 1, fn, arg);
	if (err)
		return err;
	uint16_t ctl = pci_read16(d, d->msi_cap + 2);
	msi_write_addr(d, ctl, apic);
	pci_write16(d, msi_data_off(d, ctl), d->vector[0]);
	if (ctl & MSI_PVM)
		pci_write32(d, msi_data_off(d, ctl) + 4, 0);	/* unmask */
	cmd_update(d, PCI_CMD_INTX_DISABLE, 0);
	pci_write16(d, d->msi_cap + 2, (uint16_t)((ctl & ~(7u << 4)) | MSI_ENABLE));
	d->irq_kind = PCI_IRQ_MSI;
	d->nvec = 1;
	return 1;
}

/* The line for gsi, set up (vector, IOAPIC route) on first use. Caller
   holds intx_lock. */
static struct intx_line *intx_line_get(uint32_t gsi, uint16_t flags, uint32_t apic)
{
	struct intx_line *free = NULL;
	for (unsigned i = 0; i < INTX_LINES; i++) {
		if (intx[i].vector && intx[i].gsi == gsi)
			return &intx[i];
		if (!intx[i].vector && !free)
			free = &intx[i];
	}
	if (!free)
		return NULL;
	int v = trap_alloc_vector(intx_dispatch, free);
	if (v < 0 || ioapic_route(gsi, (uint8_t)v, apic, flags) < 0)
		return NULL;		/* a vector may leak: trap has no free */
	free->gsi = gsi, free->flags = flags, free->vector = v;
	return free;
}

static int intx_setup(struct pci_dev *d, trap_handler_t fn, void *arg, uint32_t apic)
{
	if (!d->irq_pin || d->irq_line == 0 || d->irq_line == 0xff)
		return -ENODEV;
	uint16_t flags = 0;
	uint32_t gsi = d->irq_line;
	if (d->irq_line < 16)
		gsi = acpi_isa_gsi(d->irq_line, &flags);
	flags = (flags & 3 ? flags & 3 : 3) | 3u << 2;	/* level; polarity see top */
	bool f = spin_lock(&intx_lock);
	struct intx_line *l = intx_line_get(gsi, flags, apic);
	unsigned slot = INTX_SHARERS;
	for (unsigned i = 0; l && i < INTX_SHARERS && slot == INTX_SHARERS; i++)
		if (i == l->n || !l->h[i].fn)
			slot = i;
	if (!l || slot == INTX_SHARERS) {
		spin_unlock(&intx_lock, f);
		return l ? -ENOSPC : -ENODEV;
	}
	l->h[slot].dev = d;
	l->h[slot].arg = arg;
	a_store_release(&l->h[slot].fn, fn);
	if (slot == l->n)
		a_store_release(&l->n, slot + 1);
	ioapic_mask(gsi, false);
	spin_unlock(&intx_lock, f);
	d->gsi = gsi;
	d->irq_kind = PCI_IRQ_INTX;
	d->nvec = 1;
	cmd_update(d, 0, PCI_CMD_INTX_DISABLE);
	return 1;
}

int pci_irq_alloc(struct pci_dev *d, unsigned nvec, trap_handler_t fn, void *arg[])
{
	if (d->irq_kind != PCI_IRQ_NONE)
		return -EBUSY;
	if (nvec == 0)
		return -EINVAL;
	uint32_t apic = lapic_id();
	int r = -ENODEV;
	if (d->msix_cap) {
		unsigned n = nvec < d->msix_size ? nvec : d->msix_size;
		r = msix_setup(d, n < PCI_MAX_VEC ? n : PCI_MAX_VEC, fn, arg, apic);
		if (r > 0 || r == -ENOSPC)
			return r;
	}
	if (d->msi_cap) {
		r = msi_setup(d, fn, arg, apic);
		if (r > 0 || r == -ENOSPC)
			return r;
	}
	return intx_setup(d, fn, arg ? arg[0] : NULL, apic);
}

void pci_irq_free(struct pci_dev *d)
{
	switch (d->irq_kind) {
	case PCI_IRQ_MSIX:
		for (unsigned i = 0; i < d->msix_size; i++) {
			volatile uint8_t *e = msix_entry(d, i);
			mmio_write32(e + MSIX_ENTRY_CTRL, mmio_read32(e + MSIX_ENTRY_CTRL) | 1);
		}
		pci_write16(d, d->msix_cap + MSIX_CTRL,
			    pci_read16(d, d->msix_cap + MSIX_CTRL) & ~MSIX_ENABLE);
		break;
	case PCI_IRQ_MSI:
		pci_write16(d, d->msi_cap + 2, pci_read16(d, d->msi_cap + 2) & ~MSI_ENABLE);
		break;
	case PCI_IRQ_INTX: {
		cmd_update(d, PCI_CMD_INTX_DISABLE, 0);
		bool f = spin_lock(&intx_lock);
		for (unsigned i = 0; i < INTX_LINES; i++)
			for (unsigned j = 0; intx[i].vector && j < intx[i].n; j++)
				if (intx[i].h[j].dev == d)
					a_store_release(&intx[i].h[j].fn, NULL);
		spin_unlock(&intx_lock, f);
		break;
	}
	case PCI_IRQ_NONE:
		return;
	}
	/* The cached vectors keep their handler slots; point them nowhere. */
	for (unsigned i = 0; d->irq_kind != PCI_IRQ_INTX && i < d->nvec; i++)
		trap_set_handler(d->vector[i], NULL, NULL);
	d->irq_kind = PCI_IRQ_NONE;
	d->nvec = 0;
}

int pci_irq_mask(struct pci_dev *d, unsigned i, bool masked)
{
	if (i >= d->nvec)
		return -EINVAL;
	switch (d->irq_kind) {
	case PCI_IRQ_MSIX: {
		volatile uint8_t *c = msix_entry(d, i) + MSIX_ENTRY_CTRL;
		uint32_t v = mmio_read32(c);
		mmio_write32(c, masked ? v | 1 : v & ~1u);
		return 0;
	}
	case PCI_IRQ_MSI: {
		uint16_t ctl = pci_read16(d, d->msi_cap + 2);
		if (!(ctl & MSI_PVM))
			return -ENOTSUP;
		bool f = spin_lock(&cmd_lock);
		pci_write32(d, msi_data_off(d, ctl) + 4, masked);
		spin_unlock(&cmd_lock, f);
		return 0;
	}
	case PCI_IRQ_INTX:
		cmd_update(d, masked ? PCI_CMD_INTX_DISABLE : 0, masked ? 0 : PCI_CMD_INTX_DISABLE);
		return 0;
	case PCI_IRQ_NONE:
		break;
	}
	return -EINVAL;
}

int pci_irq_set_cpu(struct pci_dev *d, unsigned i, uint32_t apic)
{
	if (i >= d->nvec || apic > 0xff)
		return -EINVAL;
	switch (d->irq_kind) {
	case PCI_IRQ_MSIX: {
		volatile uint8_t *e = msix_entry(d, i);
		uint32_t c = mmio_read32(e + MSIX_ENTRY_CTRL);
		mmio_write32(e + MSIX_ENTRY_CTRL, c | 1);
		mmio_write32(e + 0, MSI_ADDR(apic));
		mmio_write32(e + MSIX_ENTRY_CTRL, c);
		return 0;
	}
	case PCI_IRQ_MSI:
		msi_write_addr(d, pci_read16(d, d->msi_cap + 2), apic);
		return 0;
	case PCI_IRQ_INTX:
		for (unsigned k = 0; k < INTX_LINES; k++)
			if (intx[k].vector && intx[k].gsi == d->gsi)
				return ioapic_route(d->gsi, (uint8_t)intx[k].vector, apic, intx[k].flags);
		return -ENODEV;
	case PCI_IRQ_NONE:
		break;
	}
	return -EINVAL;
}

unsigned pci_msix_count(const struct pci_dev *d)
{
	return d->msix_cap ? d->msix_size : 0;
}

const char *pci_irq_kind_name(enum pci_irq_kind k)
{
	switch (k) {
	case PCI_IRQ_MSIX: return "MSI-X";
	case PCI_IRQ_MSI: return "MSI";
	case PCI_IRQ_INTX: return "INTx";
	case PCI_IRQ_NONE: break;
	}
	return "none";
}
