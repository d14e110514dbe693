/*
 * kernel/virtio/virtio_mmio.h — the virtio-mmio transport, version 2
 * (virtio 1.0 section 4.2) and version 1 (legacy, section 4.2.4), as
 * QEMU's microvm machine provides them (legacy unless
 * -global virtio-mmio.force-legacy=false).
 *
 * Where devices come from, in this order (a device found twice, by its
 * base address, is kept once):
 *   1. kernel command line words virtio_mmio.device=<size>@<base>:<gsi>
 *      (Linux's syntax; size may end in K/M/G, a trailing :<id> is
 *      accepted and ignored). QEMU 7.2 appends one per device when
 *      microvm runs with ACPI off (-M microvm,acpi=off).
 *   2. the DSDT, for microvm with ACPI on (QEMU's default), where QEMU
 *      describes each device as Device(VRnn) with _HID "LNRO0005" and a
 *      _CRS of Memory32Fixed + Interrupt, and appends nothing to the
 *      command line. This is a narrow scan for that shape, not an AML
 *      interpreter.
 * A described slot whose device id reads 0 is empty and is skipped;
 * version 1 (legacy) devices are driven as legacy (virtio_dev.legacy).
 *
 * Interrupts: one IOAPIC input per device, routed level-triggered,
 * active-high (what QEMU's microvm DSDT declares for these devices, and
 * what the command-line form implies). The handler reads InterruptStatus,
 * acknowledges exactly those bits (lowering the line) and calls the
 * configuration callback (bit 1) and every queue callback (bit 0).
 */
#ifndef KERNEL_VIRTIO_VIRTIO_MMIO_H
#define KERNEL_VIRTIO_VIRTIO_MMIO_H

#include "kernel/virtio/virtio.h"

struct cmdline_key;

#define VIRTIO_MMIO_MAX_DEVS	16

/* One described device. */
struct virtio_mmio_desc {
	uint64_t base;		/* physical address of the registers */
	uint64_t size;		/* bytes of the window (>= 0x100) */
	uint32_t gsi;		/* IOAPIC input */
	uint16_t flags;		/* MADT-style polarity/trigger for ioapic_route */
};

/* Parse the value of one virtio_mmio.device= word. 0 or -EINVAL. */
int virtio_mmio_parse(const char *s, struct virtio_mmio_desc *out);
/* The declaration of that word (kernel/kcmdline.h), for tests that read
   the line as discovery did. */
extern const struct cmdline_key *const virtio_mmio_device_key;

/* Up to max devices of `device_id` (VIRTIO_ID_*) into out[]; returns how
   many. The first call discovers (and prints one line per device). */
unsigned virtio_mmio_find(uint32_t device_id, struct virtio_dev *out[], unsigned max);
/* Devices described (command line or DSDT) but not usable: no virtio
   magic, or a version other than 1 and 2. Each was reported on the console. */
unsigned virtio_mmio_rejected(void);
/* Where d came from: "cmdline" or "acpi"; NULL when d is not virtio-mmio. */
const char *virtio_mmio_source(struct virtio_dev *d);

#endif
