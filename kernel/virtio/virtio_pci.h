/*
 * kernel/virtio/virtio_pci.h — the virtio 1.0 PCI transport ("modern"
 * devices).
 *
 * virtio_pci_find returns the virtio devices of one type found on PCI:
 * modern ids 0x1040 + type, and transitional ids 0x1000-0x103f (whose
 * subsystem id is the type) when they carry the modern capabilities.
 * Legacy-only devices (no common configuration capability) are reported
 * and skipped. Each PCI function gets one struct virtio_dev for the life
 * of the system: a second find returns the same one (reset it before
 * using it again).
 *
 * Interrupts (virtio_ops.intr_setup), by what the device's MSI-X table
 * allows: one vector per queue plus one for configuration changes; else
 * a configuration vector and one shared by all queues; else one vector
 * for everything; without MSI-X, INTx (or MSI) through the ISR register,
 * which the handler reads to learn (and clear) the cause.
 */
#ifndef KERNEL_VIRTIO_VIRTIO_PCI_H
#define KERNEL_VIRTIO_VIRTIO_PCI_H

#include "kernel/virtio/virtio.h"

struct pci_dev;

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_MAX_DEVS	8

/* Up to max devices of `device_id` (VIRTIO_ID_*) into out[]; returns how
   many. Calls pci_init. */
unsigned virtio_pci_find(uint32_t device_id, struct virtio_dev *out[], unsigned max);
/* The PCI function behind d, or NULL when d is not a virtio-pci device. */
struct pci_dev *virtio_pci_dev(struct virtio_dev *d);

#endif
