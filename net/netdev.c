/*
 * net/netdev.c — picking the NIC: each driver's probe in turn (netdev.h
 * has the order), the first device brought up wins. When none is, the
 * console says which network devices the machine has and which drivers
 * this image carries, so a user with QEMU's rtl8139 or a cloud's gVNIC
 * learns at once why the appliance is deaf:
 *   net: no supported network device (drivers: virtio-net, e1000 82540EM,
 *        e1000e 82574L); saw pci 00:03.0 10ec:8139 class 02.00
 * or "saw none" when the machine has no network device at all.
 */
#include <stdio.h>
#include "kernel/pci.h"
#include "kernel/virtio/virtio_mmio.h"
#include "net/netdev.h"

static struct netdev *(*const drivers[])(void) = {
	virtio_netdev_probe,
	e1000_probe,
};

#define DRIVERS_SUPPORTED "virtio-net, e1000 82540EM/82545EM, e1000e 82574L"

static void report_none(void)
{
	char line[256];
	int n = snprintf(line, sizeof line, "net: no supported network device (drivers: %s); saw",
			 DRIVERS_SUPPORTED);
	unsigned seen = 0;
	for (unsigned i = 0; i < pci_count(); i++) {
		const struct pci_dev *p = pci_get(i);
		if (p->class != 0x02)
			continue;
		if (n < (int)sizeof line)
			n += snprintf(line + n, sizeof line - n, "%s pci %s %04x:%04x class %02x.%02x",
				      seen ? "," : "", p->name, p->vendor, p->device, p->class,
				      p->subclass);
		seen++;
	}
	struct virtio_dev *v[VIRTIO_MMIO_MAX_DEVS];
	unsigned nv = virtio_mmio_find(VIRTIO_ID_NET, v, VIRTIO_MMIO_MAX_DEVS);
	for (unsigned i = 0; i < nv; i++, seen++)
		if (n < (int)sizeof line)
			n += snprintf(line + n, sizeof line - n, "%s %s (virtio-net, failed bring-up)",
				      seen ? "," : "", v[i]->name);
	unsigned rej = virtio_mmio_rejected();
	if (rej && n < (int)sizeof line)
		n += snprintf(line + n, sizeof line - n, "%s %u virtio-mmio device%s not usable",
			      seen ? "," : "", rej, rej == 1 ? "" : "s");
	printf("%s%s\n", line, seen || rej ? "" : " none");
}

struct netdev *netdev_probe(void)
{
	static struct netdev *found;
	static bool probed;
	if (probed)
		return found;
	probed = true;
	for (unsigned i = 0; i < sizeof drivers / sizeof drivers[0] && !found; i++)
		found = drivers[i]();
	if (!found)
		report_none();
	return found;
}
