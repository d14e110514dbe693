/*
 * tests/guest/test_pci.c — PCI enumeration, configuration space, BARs,
 * MSI-X (suite pci), and the virtio transports end to end (suite virtio).
 *
 * Every test passes on any machine: what needs a device checks that it
 * is there and otherwise asserts what must then hold (microvm: no PCI at
 * all; no NIC: no virtio-net). With a virtio-net device on QEMU user
 * networking (-netdev user -device virtio-net-pci, or virtio-net-device
 * on microvm), virtio.net_arp sends an ARP request for the gateway
 * 10.0.2.2 and waits for the reply and for both queues' interrupts,
 * unless a driver (the virtio-net driver, or the network stack on it) has
 * the device running already.
 */
#include <stdio.h>
#include <string.h>
#include "kernel/acpi.h"
#include "kernel/atomic.h"
#include "kernel/apic.h"
#include "kernel/cpu.h"
#include "kernel/console.h"
#include "kernel/kcmdline.h"
#include "tests/guest/ktest.h"
#include "kernel/page.h"
#include "kernel/pci.h"
#include "kernel/time.h"
#include "kernel/arch/x86.h"
#include "kernel/virtio/virtio.h"
#include "kernel/virtio/virtio_mmio.h"
#include "kernel/virtio/virtio_pci.h"

/* Host bridges: q35 (MCH) and pc (i440FX). */
#define Q35_HOST	0x29c0
#define I440FX_HOST	0x1237

static struct pci_dev *host_bridge(void)
{
	struct pci_dev *d = pci_find(0x8086, Q35_HOST);
	return d ? d : pci_find(0x8086, I440FX_HOST);
}

static struct pci_dev *virtio_net_pci(void)
{
	struct pci_dev *d = pci_find(VIRTIO_PCI_VENDOR, 0x1041);
	return d ? d : pci_find(VIRTIO_PCI_VENDOR, 0x1000);
}

KTEST(pci, finds_host_bridge)
{
	uint64_t base;
	uint8_t first, last;
	bool ecam = pci_ecam(&base, &first, &last);
	if (pci_count() == 0) {
		/* microvm: no configuration space of any kind. */
		KT_ASSERT(!ecam);
		KT_ASSERT(acpi_find_table("MCFG") == NULL);
		return;
	}
	struct pci_dev *h = host_bridge();
	KT_ASSERT(h != NULL);
	KT_ASSERT(h == pci_get(0));
	KT_EQ(h->bus, 0);
	KT_EQ(h->dev, 0);
	KT_EQ(h->class, 0x06);
	KT_EQ(h->subclass, 0x00);
	KT_ASSERT(!strcmp(h->name, "00:00.0"));
	/* q35 is PCIe: its MCFG must have been found and used. */
	if (h->device == Q35_HOST) {
		KT_ASSERT(ecam);
		KT_ASSERT(base != 0);
		KT_EQ(first, 0);
		KT_ASSERT(pci_find(0x8086, 0x2918) != NULL);	/* ICH9 LPC at 1f.0 */
	}
	for (unsigned i = 0; i + 1 < pci_count(); i++) {	/* bus order, no repeats */
		struct pci_dev *a = pci_get(i), *b = pci_get(i + 1);
		KT_ASSERT((a->bus << 8 | a->dev << 3 | a->fn) < (b->bus << 8 | b->dev << 3 | b->fn));
	}
}

/* ECAM and the legacy ports must show the same configuration space. */
KTEST(pci, ecam_and_ports_agree)
{
	uint64_t base;
	uint8_t first, last;
	if (!pci_ecam(&base, &first, &last))
		return;
	for (unsigned i = 0; i < pci_count(); i++) {
		struct pci_dev *d = pci_get(i);
		for (unsigned off = 0; off < 64; off += 4) {
			bool f = irq_save();
			outl(0xcf8, 0x80000000u | d->bus << 16 | d->dev << 11 | d->fn << 8 | off);
			uint32_t port = inl(0xcfc);
			irq_restore(f);
			KT_EQ(pci_read32(d, off), port);
		}
		KT_EQ(pci_read16(d, PCI_VENDOR_ID), d->vendor);
		KT_EQ(pci_read8(d, PCI_DEVICE_ID + 1), d->device >> 8);
	}
}

/* The capability walk finds what a bounded hand walk finds. */
KTEST(pci, capabilities)
{
	for (unsigned i = 0; i < pci_count(); i++) {
		struct pci_dev *d = pci_get(i);
		unsigned seen = 0;
		bool msix = false, msi = false;
		if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAPS))
			continue;
		for (unsigned p = pci_read8(d, PCI_CAP_PTR) & 0xfc; p >= 0x40 && seen < 48;
		     p = pci_read8(d, p + 1) & 0xfc, seen++) {
			uint8_t id = pci_read8(d, p);
			if (id == PCI_CAP_MSIX && !msix) {
				KT_EQ(pci_find_cap(d, PCI_CAP_MSIX, 0), p);
				msix = true;
			}
			if (id == PCI_CAP_MSI && !msi) {
				KT_EQ(pci_find_cap(d, PCI_CAP_MSI, 0), p);
				msi = true;
			}
		}
		KT_ASSERT(seen < 48);
		KT_EQ(d->msix_cap != 0, msix);
		KT_EQ(d->msi_cap != 0, msi);
		if (msix)
			KT_ASSERT(d->msix_size >= 1 && d->msix_size <= 2048);
	}
	if (pci_count())
		KT_EQ(pci_find_cap(pci_get(0), 0xee, 0), 0);
}

/* BARs: sizes are powers of two, addresses aligned, 64-bit BARs take two
   slots, and a memory BAR maps and reads. */
KTEST(pci, bars)
{
	unsigned mapped = 0;
	for (unsigned i = 0; i < pci_count(); i++) {
		struct pci_dev *d = pci_get(i);
		for (unsigned b = 0; b < 6; b++) {
			struct pci_bar *bar = &d->bar[b];
			if (bar->kind == PCI_BAR_NONE)
				continue;
			KT_ASSERT(bar->size && !(bar->size & (bar->size - 1)));
			KT_EQ(bar->addr & (bar->size - 1), 0);
			if (bar->kind == PCI_BAR_MEM64) {
				KT_ASSERT(b < 5);
				KT_EQ(d->bar[b + 1].kind, PCI_BAR_NONE);
				b++;
			}
		}
	}
	struct pci_dev *v = virtio_net_pci();
	if (!v)
		return;
	/* virtio-pci: the modern registers sit in a 64-bit memory BAR. */
	for (unsigned b = 0; b < 6; b++) {
		if (v->bar[b].kind != PCI_BAR_MEM64 || !v->bar[b].addr)
			continue;
		volatile uint32_t *p = pci_bar_map(v, b);
		KT_ASSERT(p != NULL);
		KT_ASSERT(pci_bar_map(v, b) == (void *)p);
		(void)p[0];
		mapped++;
	}
	KT_ASSERT(mapped >= 1);
	for (unsigned b = 0; b < 6; b++)
		if (v->bar[b].kind == PCI_BAR_IO)
			KT_ASSERT(pci_bar_map(v, b) == NULL);
}

/* virtio-net's modern capabilities, when a NIC is attached. */
KTEST(pci, virtio_net_modern_caps)
{
	struct pci_dev *p = virtio_net_pci();
	struct virtio_dev *vd[2];
	unsigned n = virtio_pci_find(VIRTIO_ID_NET, vd, 2);
	if (!p) {
		KT_EQ(n, 0);
		return;
	}
	KT_EQ(n, 1);
	KT_ASSERT(virtio_pci_dev(vd[0]) == p);
	KT_EQ(vd[0]->device_id, VIRTIO_ID_NET);
	unsigned types = 0, cap = 0;
	for (unsigned k = 0; k < 48 && (cap = pci_find_cap(p, PCI_CAP_VENDOR, cap)); k++) {
		uint8_t t = pci_read8(p, cap + 3);
		if (t < 8)
			types |= 1u << t;
	}
	KT_EQ(types & 0x1e, 0x1e);		/* common, notify, ISR, device */
	KT_ASSERT(vd[0]->ops->queue_max(vd[0], 0) >= 64);	/* rx */
	KT_ASSERT(vd[0]->ops->queue_max(vd[0], 1) >= 64);	/* tx */
	/* A second find gives the same device. */
	struct virtio_dev *again;
	KT_EQ(virtio_pci_find(VIRTIO_ID_NET, &again, 1), 1);
	KT_ASSERT(again == vd[0]);
}

/* The MSI-X table is where the capability says, inside a mapped BAR. */
KTEST(pci, msix_table)
{
	struct pci_dev *p = virtio_net_pci();
	if (!p)
		return;
	if (!p->msix_cap) {		/* -device virtio-net-pci,vectors=0 */
		KT_EQ(pci_msix_count(p), 0);
		KT_ASSERT(p->irq_pin >= 1 && p->irq_pin <= 4);	/* INTx instead */
		return;
	}
	KT_ASSERT(pci_msix_count(p) >= 1);
	KT_EQ(pci_msix_count(p), (pci_read16(p, p->msix_cap + 2) & 0x7ff) + 1u);
	uint32_t t = pci_read32(p, p->msix_cap + 4);
	unsigned bir = t & 7;
	KT_ASSERT(bir < 6);
	KT_ASSERT(p->bar[bir].kind == PCI_BAR_MEM32 || p->bar[bir].kind == PCI_BAR_MEM64);
	KT_ASSERT((t & ~7u) + 16ull * p->msix_size <= p->bar[bir].size);
	volatile uint8_t *tab = (volatile uint8_t *)pci_bar_map(p, bir) + (t & ~7u);
	/* Vector control: only the mask bit is defined; the rest reads 0. */
	for (unsigned i = 0; i < p->msix_size; i++)
		KT_EQ(mmio_read32(tab + 16 * i + 12) & ~1u, 0);
}

/* ---- virtio, through whichever transport has a NIC ------------------------- */

KTEST(virtio, mmio_cmdline_parse)
{
	struct virtio_mmio_desc d;
	KT_EQ(virtio_mmio_parse("512@0xfeb00e00:12", &d), 0);
	KT_EQ(d.base, 0xfeb00e00);
	KT_EQ(d.size, 512);
	KT_EQ(d.gsi, 12);
	KT_EQ(virtio_mmio_parse("4K@0xd0000000:5:2", &d), 0);
	KT_EQ(d.size, 4096);
	KT_EQ(d.base, 0xd0000000);
	KT_EQ(d.gsi, 5);
	KT_EQ(virtio_mmio_parse("1M@4096:33", &d), 0);
	KT_EQ(d.size, 1 << 20);
	KT_EQ(d.base, 4096);
	const char *bad[] = {
		"", "512", "512@0xfeb00e00", "@0x1000:5", "512@0x1000:5x", "0x10@0x1000:5",
		"512@0:5", "512@0x1000:300", "999999G@0x1000:1", "512@0x1000:", "512@0x1000:5:",
		"512@0xfffffffffffffff0:5", "x@0x1000:5",
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (virtio_mmio_parse(bad[i], &d) != -EINVAL) {
			ktest_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
			return;
		}
}

/* Every described device is usable (a legacy one fails here, rather than
   letting the NIC tests pass for want of a NIC); every virtio_mmio.device
   word on the command line that names a NIC became a device; with PCI
   present (q35, pc) the DSDT scan found none. */
KTEST(virtio, mmio_discovery)
{
	struct virtio_dev *vd[VIRTIO_MMIO_MAX_DEVS];
	unsigned n = virtio_mmio_find(VIRTIO_ID_NET, vd, VIRTIO_MMIO_MAX_DEVS);
	KT_EQ(virtio_mmio_rejected(), 0);
	if (pci_count() > 0) {
		size_t it = 0;
		KT_ASSERT(!kcmdline_next(virtio_mmio_device_key, &it));
		KT_EQ(n, 0);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		KT_EQ(vd[i]->device_id, VIRTIO_ID_NET);
		KT_ASSERT(virtio_mmio_source(vd[i]) != NULL);
		KT_ASSERT(!strcmp(vd[i]->ops->transport, "mmio"));
	}
	const char *v;
	for (size_t it = 0; (v = kcmdline_next(virtio_mmio_device_key, &it));) {
		struct virtio_mmio_desc d;
		KT_EQ(virtio_mmio_parse(v, &d), 0);
		volatile uint32_t *r = (volatile uint32_t *)(uintptr_t)d.base;
		if (r[2] != VIRTIO_ID_NET)	/* device id register (mapped by discovery) */
			continue;
		char name[32];
		snprintf(name, sizeof name, "virtio-mmio@%#llx", (unsigned long long)d.base);
		bool found = false;
		for (unsigned k = 0; k < n; k++)
			found |= !strcmp(vd[k]->name, name) &&
				 !strcmp(virtio_mmio_source(vd[k]), "cmdline");
		KT_ASSERT(found);
	}
}

#define NET_HDR		12		/* virtio_net_hdr_v1 with VERSION_1, or
					   legacy's with MRG_RXBUF */
#define NET_F_MAC	5
#define NET_F_MRG_RXBUF	15
#define NET_F_STATUS	16
#define RXBUFS		16

static struct virtio_dev *net_dev;
static volatile unsigned irqs[2], masked_in_irq, irq_cpu[2];

/* The poller's protocol in miniature: mask the queue, note the work. */
static void queue_irq(void *arg)
{
	unsigned q = (unsigned)(uintptr_t)arg;
	irq_cpu[q] = cpu_id();
	a_fetch_add_relaxed(&irqs[q], 1);
	net_dev->ops->intr_mask(net_dev, q, true);
	a_fetch_add(&masked_in_irq, 1);
}

static struct virtio_dev *find_net(void)
{
	struct virtio_dev *d;
	if (virtio_pci_find(VIRTIO_ID_NET, &d, 1) || virtio_mmio_find(VIRTIO_ID_NET, &d, 1))
		return d;
	return NULL;
}

static void build_arp(uint8_t *f, const uint8_t mac[6])
{
	static const uint8_t tail[] = {
		0x08, 0x06,			/* ethertype ARP */
		0x00, 0x01, 0x08, 0x00, 6, 4,	/* Ethernet, IPv4 */
		0x00, 0x01,			/* request */
	};
	memset(f, 0, NET_HDR + 42);
	f += NET_HDR;
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	memcpy(f + 12, tail, sizeof tail);
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, (uint8_t[]){ 10, 0, 2, 15 }, 4);	/* from 10.0.2.15 */
	memcpy(f + 38, (uint8_t[]){ 10, 0, 2, 2 }, 4);	/* who has 10.0.2.2 */
}

static bool is_arp_reply_from_gateway(const uint8_t *f, uint32_t len)
{
	f += NET_HDR;
	return len >= NET_HDR + 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 &&
	       !memcmp(f + 28, (uint8_t[]){ 10, 0, 2, 2 }, 4);
}

/* Bring the device up with two queues; 0 or a failed assertion. */
static int net_up(struct virtio_dev *d, struct vq *rx, struct vq *tx, uint8_t mac[6])
{
	if (virtio_start(d))
		return -1;
	uint64_t want = VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(NET_F_MAC) |
			VIRTIO_BIT(NET_F_STATUS) | VIRTIO_BIT(NET_F_MRG_RXBUF);
	if (virtio_negotiate(d, want))
		return -2;
	if (d->legacy && !virtio_has(d, NET_F_MRG_RXBUF))
		return -5;		/* a 10-byte header: not what NET_HDR says */
	if (!virtio_has(d, VIRTIO_F_EVENT_IDX) || !virtio_has(d, NET_F_MAC))
		return -3;
	if (virtio_cread_bytes(d, 0, mac, 6))
		return -4;
	void *args[2] = { (void *)0, (void *)1 };
	if (d->ops->intr_setup(d, 2, queue_irq, args, NULL, NULL) < 1)
		return -5;
	if (virtio_queue(d, 0, 256, rx, "net-test rx") || virtio_queue(d, 1, 256, tx, "net-test tx"))
		return -6;
	virtio_driver_ok(d);
	return 0;
}

static void net_down(struct virtio_dev *d, struct vq *rx, struct vq *tx, uint8_t *bufs[])
{
	d->ops->reset(d);
	d->ops->intr_mask(d, 0, false);
	d->ops->intr_mask(d, 1, false);
	while (vq_detach_unused(rx))
		;
	while (vq_detach_unused(tx))
		;
	if (rx->st)
		vq_free(rx);
	if (tx->st)
		vq_free(tx);
	for (unsigned i = 0; i <= RXBUFS; i++)
		if (bufs[i])
			page_free((uint64_t)(uintptr_t)bufs[i]);
}

/* Send an ARP request for the gateway; wait for its reply on RX, the TX
   completion, and an interrupt for each (per-queue MSI-X on PCI). */
KTEST(virtio, net_arp)
{
	struct virtio_dev *d = find_net();
	if (!d) {
		kprintf("  no virtio-net device attached: nothing to send\n");
		return;
	}
	if (d->ops->get_status(d) & VIRTIO_STATUS_DRIVER_OK) {
		/* The virtio-net driver (vnet suite, or a network stack) runs
		   it: resetting it here would pull the rings from under it. */
		kprintf("  %s is in use by a driver: not touching it\n", d->name);
		return;
	}
	static struct vq rx, tx;
	uint8_t *bufs[RXBUFS + 1] = { 0 };
	uint8_t mac[6];
	memset(&rx, 0, sizeof rx);
	memset(&tx, 0, sizeof tx);
	net_dev = d;
	irqs[0] = irqs[1] = 0;
	masked_in_irq = 0;
	/* An interrupt not moved below goes where net_up routed it: the CPU
	   this task ran on then (a task may be preempted onto another CPU, so
	   either of the two seen around it). */
	unsigned up_cpu[2];
	up_cpu[0] = cpu_id();
	int err = net_up(d, &rx, &tx, mac);
	up_cpu[1] = cpu_id();
	if (err) {
		net_down(d, &rx, &tx, bufs);
		ktest_fail(__FILE__, __LINE__, "%s: bring-up failed at step %d", d->name, -err);
		return;
	}
	kprintf("  %s: mac %02x:%02x:%02x:%02x:%02x:%02x, interrupts %s, link %s\n", d->name,
		mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], d->ops->intr_kind(d),
		virtio_has(d, NET_F_STATUS) ? (virtio_cread16(d, 6) & 1 ? "up" : "down") : "?");
	/* With MSI-X per queue (entry q + 1 for queue q, see virtio_pci.c),
	   send RX's interrupts to the last CPU. */
	struct pci_dev *p = virtio_pci_dev(d);
	bool moved = p && p->irq_kind == PCI_IRQ_MSIX && p->nvec >= 3 && ncpus_online > 1;
	unsigned rx_cpu = moved ? ncpus_online - 1 : up_cpu[0];
	if (moved)
		KT_EQ(pci_irq_set_cpu(p, 1, cpus[rx_cpu].apic_id), 0);
	for (unsigned i = 0; i <= RXBUFS; i++)
		bufs[i] = (uint8_t *)(uintptr_t)page_alloc();
	for (unsigned i = 0; i < RXBUFS; i++) {
		struct vq_buf b = { (uintptr_t)bufs[i], 2048, true };
		KT_EQ(vq_add(&rx, &b, 1, bufs[i]), 0);
	}
	vq_kick(&rx);
	build_arp(bufs[RXBUFS], mac);
	struct vq_buf t = { (uintptr_t)bufs[RXBUFS], NET_HDR + 42, false };
	KT_EQ(vq_add(&tx, &t, 1, bufs[RXBUFS]), 0);
	KT_ASSERT(vq_kick(&tx));		/* the device asked for the first kick */

	bool sent = false, replied = false;
	uint64_t limit = time_ns() + 3000000000ull;
	/* The interrupt may trail the ring update it announces, and a handler
	   on another CPU counts after it bumps irqs[]: wait for all of it. */
	while (time_ns() < limit &&
	       !(sent && replied && irqs[0] && irqs[1] && a_load_acquire(&masked_in_irq) >= 2)) {
		uint32_t len;
		void *tok;
		while ((tok = vq_get_used(&tx, &len)))
			sent |= tok == bufs[RXBUFS];
		while ((tok = vq_get_used(&rx, &len)))
			replied |= is_arp_reply_from_gateway(tok, len);
		cpu_relax();
	}
	bool broken = vq_broken(&rx) || vq_broken(&tx);
	unsigned got_irqs[2] = { irqs[0], irqs[1] };
	if (moved)	/* back to this CPU: the task may have moved (preempted) */
		pci_irq_set_cpu(p, 1, lapic_id());
	net_down(d, &rx, &tx, bufs);
	KT_ASSERT(!broken);
	KT_ASSERT(sent);
	KT_ASSERT(replied);
	/* Per-queue vectors (MSI-X), or one shared interrupt that runs
	   both callbacks (MMIO, INTx): either way each queue heard. */
	KT_ASSERT(got_irqs[1] >= 1);
	KT_ASSERT(got_irqs[0] >= 1);
	KT_ASSERT(masked_in_irq >= 2);
	if (moved || up_cpu[0] == up_cpu[1] || irq_cpu[0] != up_cpu[1])
		KT_EQ(irq_cpu[0], rx_cpu);
}
