/*
 * kernel/pci.h — PCI: finding devices, their configuration space, BARs
 * and interrupts.
 *
 * Call order:
 *   pci_init()                 once at boot, after acpi_init, vm_init and
 *                              lapic_init (idempotent; the lookups below
 *                              call it too, so a forgotten call is harmless)
 *   pci_find / pci_find_next   look a device up (or walk pci_count/pci_get)
 *   pci_bar_map                map a memory BAR (uncached), get its address
 *   pci_enable                 turn on memory/I/O decoding and bus mastering
 *   pci_irq_alloc              one call per device: MSI-X, else MSI, else INTx
 *   pci_irq_mask               per vector, from any context
 *   pci_irq_free               give the interrupts back (vectors are cached
 *                              in the device and reused by the next alloc)
 *
 * Configuration space is reached through ECAM when ACPI's MCFG describes
 * it (segment 0 only; each bus's 1 MiB window is mapped the first time the
 * bus is touched) and through ports 0xcf8/0xcfc otherwise or for buses
 * outside the MCFG range. Port access takes pci_lock; ECAM needs none.
 *
 * Enumeration starts at bus 0 (and at bus N for function N of a
 * multi-function host bridge) and follows PCI-PCI bridges through their
 * secondary bus numbers, which the firmware assigned. Weft assigns no bus
 * numbers and no BAR addresses: a BAR the firmware left at 0 is reported
 * as unassigned and cannot be mapped.
 *
 * The device table is filled once by pci_init and is read-only afterwards,
 * except for the interrupt fields, which belong to the device's driver.
 */
#ifndef KERNEL_PCI_H
#define KERNEL_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/trap.h"

#define PCI_MAX_DEVS	64	/* functions kept; more are reported, not kept */
#define PCI_MAX_VEC	32	/* interrupt vectors per device */
#define PCI_ANY_ID	0xffff	/* wildcard for pci_find's device id */

/* Configuration space registers (type 0 and 1 headers). */
#define PCI_VENDOR_ID	0x00
#define PCI_DEVICE_ID	0x02
#define PCI_COMMAND	0x04
#define PCI_STATUS	0x06
#define PCI_REVISION	0x08
#define PCI_CLASS_PROG	0x09
#define PCI_HEADER_TYPE	0x0e
#define PCI_BAR0	0x10
#define PCI_SECONDARY_BUS 0x19	/* type 1 */
#define PCI_SUBSYS_VENDOR 0x2c	/* type 0 */
#define PCI_SUBSYS_ID	0x2e	/* type 0 */
#define PCI_CAP_PTR	0x34
#define PCI_INTR_LINE	0x3c
#define PCI_INTR_PIN	0x3d

/* Command register bits for pci_enable. */
#define PCI_CMD_IO		(1u << 0)
#define PCI_CMD_MEM		(1u << 1)
#define PCI_CMD_MASTER		(1u << 2)
#define PCI_CMD_INTX_DISABLE	(1u << 10)

#define PCI_STATUS_CAPS		(1u << 4)

/* Capability ids. */
#define PCI_CAP_MSI	0x05
#define PCI_CAP_VENDOR	0x09
#define PCI_CAP_PCIE	0x10
#define PCI_CAP_MSIX	0x11

enum pci_bar_kind {
	PCI_BAR_NONE = 0,	/* not implemented */
	PCI_BAR_IO,		/* I/O ports */
	PCI_BAR_MEM32,		/* memory below 4 GiB */
	PCI_BAR_MEM64,		/* memory anywhere; uses the next BAR slot too */
};

struct pci_bar {
	enum pci_bar_kind kind;
	bool prefetch;		/* memory BAR marked prefetchable */
	uint64_t addr;		/* bus address = physical address; 0: unassigned */
	uint64_t size;		/* bytes (ports for I/O) */
	void *va;		/* set by pci_bar_map, NULL before */
};

enum pci_irq_kind {
	PCI_IRQ_NONE = 0,
	PCI_IRQ_MSIX,		/* one vector per table entry, maskable each */
	PCI_IRQ_MSI,		/* one vector (multi-message MSI is not used) */
	PCI_IRQ_INTX,		/* one vector on a possibly shared IOAPIC line */
};

struct pci_dev {
	uint8_t bus, dev, fn;
	char name[8];			/* "bb:dd.f" */
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_id;	/* type 0 headers only */
	uint8_t class, subclass, prog_if, revision;
	uint8_t header_type;		/* without the multi-function bit */
	uint8_t irq_pin;		/* 1..4 = INTA..INTD, 0 = none */
	uint8_t irq_line;		/* as the firmware left it; 0xff = none */
	uint8_t msi_cap, msix_cap;	/* capability offsets, 0 = absent */
	uint16_t msix_size;		/* MSI-X table entries */
	struct pci_bar bar[6];

	/* Interrupts: owned by the device's driver (one caller at a time). */
	enum pci_irq_kind irq_kind;	/* what pci_irq_alloc set up */
	unsigned nvec;			/* vectors in use */
	unsigned ncached;		/* vectors ever allocated for this device */
	uint8_t vector[PCI_MAX_VEC];	/* CPU vectors; [0..ncached) valid */
	uint32_t gsi;			/* INTx: the IOAPIC input */
	volatile uint8_t *msix_table;	/* mapped MSI-X table */
};

/* Scan the buses and print the boot summary. Idempotent. */
void pci_init(void);

/* The devices found, in bus order: pci_get(0 .. pci_count()-1). */
unsigned pci_count(void);
struct pci_dev *pci_get(unsigned i);
/* First device with this vendor and device id (PCI_ANY_ID matches any
   device id), or NULL; pci_find_next continues after `prev`. */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device);
struct pci_dev *pci_find_next(uint16_t vendor, uint16_t device, const struct pci_dev *prev);
/* True when configuration space is reached through ECAM; *base and the
   bus range describe it. */
bool pci_ecam(uint64_t *base, uint8_t *bus_first, uint8_t *bus_last);

/* Configuration space of a found device. Offsets must be aligned to the
   access size; offsets >= 256 need ECAM (port I/O reads all-ones there
   and drops writes). */
uint8_t pci_read8(const struct pci_dev *d, unsigned off);
uint16_t pci_read16(const struct pci_dev *d, unsigned off);
uint32_t pci_read32(const struct pci_dev *d, unsigned off);
void pci_write8(const struct pci_dev *d, unsigned off, uint8_t v);
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v);
void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v);

/* Offset of the first capability `id` after offset `after` (0: from the
   start of the list), or 0. The walk stops after 48 entries, so a
   looping list cannot hang it. */
unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned after);

/* Map memory BAR i uncached; returns its address (also in bar[i].va), or
   NULL for an I/O, absent or unassigned BAR. */
void *pci_bar_map(struct pci_dev *d, unsigned i);

/* Set `bits` (PCI_CMD_*) in the command register. */
void pci_enable(struct pci_dev *d, uint16_t bits);

/* MSI-X table entries the device has (0 when it has no MSI-X). */
unsigned pci_msix_count(const struct pci_dev *d);

/*
 * Set up interrupts for d: vector i calls fn(tf, arg[i]) (arg NULL: all
 * NULL) on the calling CPU, with interrupts off; the EOI follows the
 * return. Tries MSI-X with min(nvec, table size) vectors, then MSI with one vector, then INTx
 * with one vector. Returns the number of vectors (>= 1, and d->irq_kind
 * says which kind), or -ENODEV (no way to interrupt), -EBUSY (already set
 * up: pci_irq_free first), -ENOSPC (no CPU vectors left).
 *
 * INTx lines are shared: fn may be called when another device on the
 * line interrupted, and must check its own device (virtio reads its ISR).
 */
int pci_irq_alloc(struct pci_dev *d, unsigned nvec, trap_handler_t fn, void *arg[]);
/* Undo pci_irq_alloc: MSI/MSI-X off, or INTx handler removed. */
void pci_irq_free(struct pci_dev *d);
/*
 * Mask or unmask vector i. MSI-X: that table entry. MSI: the per-vector
 * mask bit when the device has one, else -ENOTSUP. INTx: the device's
 * INTx Disable bit (the line itself may be shared, so it stays open).
 * Nothing is lost while masked: MSI-X holds the message in its pending
 * bits, and an INTx device re-asserts its (level) line when unmasked.
 * Safe from interrupt handlers. Returns 0 or a negative errno.
 */
int pci_irq_mask(struct pci_dev *d, unsigned i, bool masked);
/* Send vector i to the CPU with `apic_id` instead (MSI-X, MSI, INTx). */
int pci_irq_set_cpu(struct pci_dev *d, unsigned i, uint32_t apic_id);
const char *pci_irq_kind_name(enum pci_irq_kind k);

#endif
