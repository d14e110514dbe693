/*
 * net/e1000.c — the Intel e1000 and e1000e driver, a netdev (netdev.h):
 * the 82540EM (QEMU's `e1000`, the default NIC of its pc machine and of
 * VirtualBox), the 82545EM (VMware's e1000; same family and register set,
 * not tested here) and the 82574L (QEMU's `e1000e`, the default of q35).
 * After Intel's 8254x and 82574 software developer's manuals; legacy
 * descriptors only, which both families keep as their reset default.
 *
 * Rings. One receive and one transmit ring of E1K_RING legacy descriptors
 * (16 bytes: buffer address, length, checksum, status, errors), one page
 * each, and one 2 KiB buffer per descriptor, two per page (RCTL.BSIZE =
 * 2048: a 1514-byte frame, its CRC stripped by RCTL.SECRC, always fits
 * one buffer, so a frame is one descriptor and EOP is always set; a frame
 * without it is dropped). Pages come from page_alloc: identity mapped,
 * an address is its own bus address.
 *   - Receive: the device owns descriptors from RDH up to RDT (exclusive);
 *     the driver owns the rest and finds frames by the DD status bit at
 *     rx_next. A polled frame is delivered in place, its descriptor's
 *     status cleared and RDT moved past it once per poll (one register
 *     write per batch, not per frame). One descriptor always stays the
 *     driver's, so RDT == RDH means "no buffers", never "all".
 *   - Transmit: tx_tail (TDT) is where the next frame goes; the device
 *     sends up to it and sets DD in each descriptor (RS asks for that).
 *     Reclaim walks tx_clean forward over DD descriptors. vnet's rule
 *     holds: the frame is copied into the descriptor's buffer, so the
 *     stack's pbufs never reach the device.
 *
 * Interrupts, the netdev protocol (NAPI). A device is in interrupt mode
 * (irq_off clear; IMS enables receive, link and, while tx_waiting,
 * transmit causes) or in poll mode (irq_off set; IMC masked everything).
 * The handler reads ICR and writes the same bits back: the 8254x clears
 * ICR on read, the 82574 (and QEMU's e1000e) only on that write while
 * interrupts are enabled. ICR 0 means another device on a shared INTx
 * line. A link change (LSC) re-reads STATUS.LU and sets link_event. Then
 * the handler that finds irq_off clear (exchange) masks with IMC and calls
 * cb; the others do nothing. No handler touches a ring. rx_irq_enable
 * checks for work, writes IMS, clears irq_off and checks again; work
 * found takes poll mode back (and masks). No wake-up is lost: a cause
 * arriving while masked is latched in ICR and asserts the interrupt the
 * moment IMS enables it; the DD bit it follows is written before the
 * cause, so either the re-check after the clearing store sees it, or the
 * interrupt finds irq_off clear and calls cb.
 *
 * Vectors: pci_irq_alloc picks MSI-X (the 82574: IVAR sends the receive,
 * transmit and other causes to entry 0; in MSI-X mode the device reports
 * receive and transmit as RXQ0/TXQ0, so IMS enables those too), MSI, or
 * INTx (the 82540 has only INTx, shared on the pc's PIRQ lines).
 *
 * Checksums: RXCSUM asks for IPv4 and TCP/UDP checks; a frame whose
 * TCPCS (or 82574's UDPCS) status bit is set with no TCPE error is
 * flagged NETDEV_RX_CSUM_OK. QEMU's 82540 reports none, so there the
 * stack verifies everything. Nothing is offloaded on transmit (lwIP
 * folds its checksum into the copy from the application).
 *
 * Not taken: extended or packet-split descriptors, multiqueue (the 82574
 * has two queues), interrupt moderation (ITR; the poller already batches
 * under load), VLANs, jumbo frames (LPE), wake-on-LAN. A device cannot
 * "break a queue's protocol" as virtio can, so broken means a failed
 * bring-up; restart resets and redoes it all the same.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kernel/atomic.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/page.h"
#include "kernel/panic.h"
#include "kernel/pci.h"
#include "kernel/time.h"
#include "kernel/arch/x86.h"
#include "net/netdev.h"

/* Registers (byte offsets into BAR 0). */
#define CTRL		0x0000
#define STATUS		0x0008
#define EERD		0x0014
#define ICR		0x00c0
#define ITR		0x00c4
#define IMS		0x00d0
#define IMC		0x00d8
#define IVAR		0x00e4		/* 82574 */
#define RCTL		0x0100
#define TCTL		0x0400
#define TIPG		0x0410
#define RDBAL		0x2800
#define RDBAH		0x2804
#define RDLEN		0x2808
#define RDH		0x2810
#define RDT		0x2818
#define RDTR		0x2820
#define TDBAL		0x3800
#define TDBAH		0x3804
#define TDLEN		0x3808
#define TDH		0x3810
#define TDT		0x3818
#define RXCSUM		0x5000
#define MTA		0x5200		/* 128 words */
#define RAL0		0x5400
#define RAH0		0x5404

#define CTRL_ASDE	(1u << 5)
#define CTRL_SLU	(1u << 6)
#define CTRL_RST	(1u << 26)
#define CTRL_VME	(1u << 30)
#define CTRL_PHY_RST	(1u << 31)
#define CTRL_LRST	(1u << 3)
#define STATUS_LU	(1u << 1)
#define RAH_AV		(1u << 31)

#define ICR_TXDW	(1u << 0)
#define ICR_LSC		(1u << 2)
#define ICR_RXSEQ	(1u << 3)
#define ICR_RXDMT0	(1u << 4)
#define ICR_RXO		(1u << 6)
#define ICR_RXT0	(1u << 7)
#define ICR_RXQ0	(1u << 20)	/* 82574, MSI-X mode */
#define ICR_TXQ0	(1u << 22)
#define ICR_OTHER	(1u << 24)

#define RCTL_EN		(1u << 1)
#define RCTL_MPE	(1u << 4)	/* every multicast frame (IPv6 ND, RAs) */
#define RCTL_BAM	(1u << 15)
#define RCTL_SECRC	(1u << 26)	/* strip the CRC: lengths exclude it */
#define TCTL_EN		(1u << 1)
#define TCTL_PSP	(1u << 3)
#define TCTL_CT		(0x0fu << 4)
#define TCTL_COLD	(0x40u << 12)	/* full duplex */
#define RXCSUM_IPOFL	(1u << 8)
#define RXCSUM_TUOFL	(1u << 9)
#define IVAR_VALID	8u		/* entry 0, valid */

#define RXS_DD		(1u << 0)
#define RXS_EOP		(1u << 1)
#define RXS_IXSM	(1u << 2)
#define RXS_UDPCS	(1u << 4)
#define RXS_TCPCS	(1u << 5)
#define RXE_FRAME	0x97u		/* CE SE SEQ CXE RXE: the frame is bad */
#define RXE_TCPE	(1u << 5)
#define TXC_EOP		(1u << 0)
#define TXC_IFCS	(1u << 1)
#define TXC_RS		(1u << 3)
#define TXS_DD		(1u << 0)

#define E1K_RING	256		/* descriptors per ring: one page */
#define E1K_BUF		2048
#define E1K_MAX_DEVS	2

struct rx_desc {
	uint64_t addr;
	uint16_t len, csum;
	uint8_t status, errors;
	uint16_t special;
};
struct tx_desc {
	uint64_t addr;
	uint16_t len;
	uint8_t cso, cmd, status, css;
	uint16_t special;
};
_Static_assert(sizeof(struct rx_desc) == 16 && sizeof(struct tx_desc) == 16, "legacy descriptors");

struct e1k {
	struct netdev nd;		/* first: a netdev * is an e1k * */
	struct pci_dev *pci;
	volatile uint8_t *regs;
	bool is_82574;
	bool up;
	char name[24];

	volatile struct rx_desc *rx;	/* the poller's (net lock) */
	volatile struct tx_desc *tx;
	uint8_t *rx_page[E1K_RING / 2], *tx_page[E1K_RING / 2];
	unsigned rx_next;		/* next descriptor to look at */
	unsigned tx_tail, tx_clean;	/* next to fill; oldest in flight */
	bool tx_waiting;		/* TX causes enabled: tx found none free */
	bool rx_discard;		/* inside a frame without EOP: drop to its end */
	uint32_t rx_causes;		/* IMS bits of interrupt mode, TX ones aside */
	uint32_t tx_causes;

	/* Shared with the handler. */
	bool irq_off;			/* poll mode */
	bool link, link_event;
	netdev_irq_fn *cb;
	void *cb_arg;
	struct netdev_stats st;		/* interrupts, link_changes: handler */
	unsigned drops_said;
};

static struct e1k e1ks[E1K_MAX_DEVS];
static unsigned ne1k;

static uint32_t rd(struct e1k *e, unsigned r) { return mmio_read32(e->regs + r); }
static void wr(struct e1k *e, unsigned r, uint32_t v) { mmio_write32(e->regs + r, v); }
static struct e1k *E(const struct netdev *d) { return (struct e1k *)d; }

static uint8_t *rx_buf(struct e1k *e, unsigned i) { return e->rx_page[i / 2] + (i % 2) * E1K_BUF; }
static uint8_t *tx_buf(struct e1k *e, unsigned i) { return e->tx_page[i / 2] + (i % 2) * E1K_BUF; }

/* ---- interrupts (interrupt context) ------------------------------------------ */

static void to_poll_mode(struct e1k *e)
{
	if (a_swap(&e->irq_off, true))
		return;
	wr(e, IMC, ~0u);
	netdev_irq_fn *cb = a_load_acquire(&e->cb);
	if (cb)
		cb(e->cb_arg);
}

static bool e1k_irq(struct trapframe *tf, void *arg)
{
	(void)tf;
	struct e1k *e = arg;
	uint32_t icr = rd(e, ICR);
	if (!icr || icr == ~0u)
		return true;		/* another device's (shared INTx), or gone */
	wr(e, ICR, icr);
	a_fetch_add_relaxed(&e->st.interrupts, 1);
	if (icr & ICR_LSC) {
		bool up = rd(e, STATUS) & STATUS_LU;
		if (up != a_load_acquire(&e->link)) {
			a_store(&e->link, up);
			a_fetch_add_relaxed(&e->st.link_changes, 1);
			a_store(&e->link_event, true);
		}
	}
	to_poll_mode(e);
	return true;
}

/* ---- receive -------------------------------------------------------------------- */

static void rx_drop(struct e1k *e, const char *why, unsigned a, unsigned b)
{
	e->st.rx_dropped++;
	if (e->drops_said < 5) {
		e->drops_said++;
		kprintf("%s: dropped a received frame: %s (%u, %#x)%s\n", e->name, why, a, b,
			e->drops_said == 5 ? "; no more such messages" : "");
	}
}

static int rx_poll(struct netdev *d, int budget, netdev_deliver_fn *deliver, void *ctx)
{
	struct e1k *e = E(d);
	int done = 0, seen = 0;
	if (!e->up)
		return 0;
	while (done < budget && seen < 2 * budget) {
		volatile struct rx_desc *r = &e->rx[e->rx_next];
		uint8_t status = a_load_acquire(&r->status);
		if (!(status & RXS_DD))
			break;
		uint16_t len = r->len;
		uint8_t err = r->errors;
		seen++;
		if (e->rx_discard || !(status & RXS_EOP)) {
			e->rx_discard = !(status & RXS_EOP);
			rx_drop(e, "a frame over more than one buffer", len, status);
		} else if (err & RXE_FRAME) {
			rx_drop(e, "receive error", len, err);
		} else if (len < 14 || len > NETDEV_FRAME_MAX) {
			rx_drop(e, "frame length outside [14, 1514]", len, 0);
		} else {
			bool ok = !(status & RXS_IXSM) && (status & (RXS_TCPCS | RXS_UDPCS)) &&
				  !(err & RXE_TCPE);
			deliver(ctx, rx_buf(e, e->rx_next), len, ok ? NETDEV_RX_CSUM_OK : 0);
			e->st.rx_frames++;
			e->st.rx_bytes += len;
			done++;
		}
		r->status = 0;
		r->addr = (uintptr_t)rx_buf(e, e->rx_next);
		e->rx_next = (e->rx_next + 1) % E1K_RING;
	}
	if (seen)	/* the descriptors before rx_next back to the device */
		wr(e, RDT, (e->rx_next + E1K_RING - 1) % E1K_RING);
	return done;
}

static bool rx_waiting(struct netdev *d)
{
	struct e1k *e = E(d);
	return e->up && (a_load_acquire(&e->rx[e->rx_next].status) & RXS_DD);
}

/* ---- transmit ------------------------------------------------------------------ */

static unsigned tx_in_flight(const struct e1k *e)
{
	return (e->tx_tail + E1K_RING - e->tx_clean) % E1K_RING;
}

static bool tx_done_waiting(struct e1k *e)
{
	return tx_in_flight(e) && (a_load_acquire(&e->tx[e->tx_clean].status) & TXS_DD);
}

static void tx_reclaim(struct netdev *d)
{
	struct e1k *e = E(d);
	bool got = false;
	while (tx_done_waiting(e)) {
		e->tx[e->tx_clean].status = 0;
		e->tx_clean = (e->tx_clean + 1) % E1K_RING;
		got = true;
	}
	if (got && e->tx_waiting)
		e->tx_waiting = false;	/* its causes go with the next IMC/IMS */
}

static int tx(struct netdev *d, const struct netdev_frag *f, int n)
{
	struct e1k *e = E(d);
	size_t total = 0;
	for (int i = 0; i < n; i++) {
		if (f[i].len > NETDEV_FRAME_MAX)
			return -EMSGSIZE;
		total += f[i].len;
	}
	if (total > NETDEV_FRAME_MAX)
		return -EMSGSIZE;
	if (total < 14 || n < 0)
		return -EINVAL;
	if (!e->up)
		return -EIO;
	if (tx_in_flight(e) == E1K_RING - 1)
		tx_reclaim(d);
	if (tx_in_flight(e) == E1K_RING - 1) {
		/* Full: ask for the completion's interrupt, then look again
		   (one may have landed before the causes were enabled). */
		e->tx_waiting = true;
		if (!a_load_acquire(&e->irq_off))
			wr(e, IMS, e->tx_causes);
		tx_reclaim(d);
		if (tx_in_flight(e) == E1K_RING - 1) {
			e->st.tx_ring_full++;
			return -EAGAIN;
		}
	}
	unsigned i = e->tx_tail;
	uint8_t *p = tx_buf(e, i);
	for (int k = 0; k < n; k++) {
		memcpy(p, f[k].data, f[k].len);
		p += f[k].len;
	}
	volatile struct tx_desc *t = &e->tx[i];
	t->addr = (uintptr_t)tx_buf(e, i);
	t->len = (uint16_t)total;
	t->cso = 0;
	t->css = 0;
	t->special = 0;
	t->status = 0;
	t->cmd = TXC_EOP | TXC_IFCS | TXC_RS;
	e->tx_tail = (i + 1) % E1K_RING;
	/* The descriptor before the tail: an uncached MMIO write stays
	   behind the stores above on x86. */
	wr(e, TDT, e->tx_tail);
	e->st.tx_frames++;
	e->st.tx_bytes += total;
	return 0;
}

/* ---- modes --------------------------------------------------------------------- */

static bool has_work(struct e1k *e)
{
	return rx_waiting(&e->nd) || (e->tx_waiting && tx_done_waiting(e)) ||
	       (a_load_acquire(&e->link_event) && a_swap(&e->link_event, false));
}

static bool rx_irq_enable(struct netdev *d)
{
	struct e1k *e = E(d);
	if (!e->up)
		return false;
	if (has_work(e))
		goto busy;
	if (a_load_acquire(&e->irq_off)) {
		wr(e, IMS, e->rx_causes | (e->tx_waiting ? e->tx_causes : 0));
		a_store(&e->irq_off, false);
	}
	if (!has_work(e))
		return false;
	if (!a_swap(&e->irq_off, true))
		wr(e, IMC, ~0u);
busy:
	if (e->tx_waiting)
		tx_reclaim(d);
	return true;
}

static void rx_irq_disable(struct netdev *d)
{
	struct e1k *e = E(d);
	if (e->up && !a_swap(&e->irq_off, true))
		wr(e, IMC, ~0u);
}

static void set_irq_callback(struct netdev *d, netdev_irq_fn *cb, void *arg)
{
	struct e1k *e = E(d);
	if (e->up && !a_load_acquire(&e->irq_off))
		panic("e1000 set_irq_callback: %s: called in interrupt mode", e->name);
	a_store_release(&e->cb, NULL);
	e->cb_arg = arg;
	a_store_release(&e->cb, cb);
}

static bool link_up(struct netdev *d) { return a_load_acquire(&E(d)->link); }
static bool broken(struct netdev *d) { return !E(d)->up; }

static struct netdev_stats stats(const struct netdev *d)
{
	struct netdev_stats s = E(d)->st;
	s.interrupts = a_load_relaxed(&E(d)->st.interrupts);
	s.link_changes = a_load_relaxed(&E(d)->st.link_changes);
	return s;
}

/* ---- bring-up ------------------------------------------------------------------ */

/* A word of the EEPROM through EERD (the 8254x and the 82574 place its
   fields differently), or -1. */
static int eeprom_word(struct e1k *e, unsigned w)
{
	unsigned shift = e->is_82574 ? 2 : 8;
	uint32_t done = e->is_82574 ? 1u << 1 : 1u << 4;
	wr(e, EERD, w << shift | 1u);
	uint64_t limit = time_ns() + 10000000ull;
	for (;;) {
		uint32_t v = rd(e, EERD);
		if (v & done)
			return (int)(v >> 16);
		if (time_ns() > limit)
			return -1;
		cpu_relax();
	}
}

/* The address the device loaded from its EEPROM into RAL0/RAH0 at reset,
   else the EEPROM's first three words, else a locally administered one. */
static void read_mac(struct e1k *e)
{
	uint8_t *m = e->nd.mac;
	uint32_t lo = rd(e, RAL0), hi = rd(e, RAH0);
	if ((hi & RAH_AV) && (lo || (hi & 0xffff))) {
		for (int i = 0; i < 4; i++)
			m[i] = (uint8_t)(lo >> (8 * i));
		m[4] = (uint8_t)hi, m[5] = (uint8_t)(hi >> 8);
		return;
	}
	bool ok = true;
	for (unsigned w = 0; w < 3 && ok; w++) {
		int v = eeprom_word(e, w);
		ok = v >= 0;
		m[2 * w] = (uint8_t)v, m[2 * w + 1] = (uint8_t)(v >> 8);
	}
	if (!ok) {
		uint64_t r = rdtsc() ^ (uintptr_t)e;
		uint8_t mac[6] = { 0x52, 0x54, 0x00, (uint8_t)(r >> 16), (uint8_t)(r >> 8), (uint8_t)r };
		memcpy(m, mac, 6);
	}
}

static int alloc_rings(struct e1k *e)
{
	if (!e->rx && !(e->rx = (void *)(uintptr_t)page_alloc()))
		return -ENOMEM;
	if (!e->tx && !(e->tx = (void *)(uintptr_t)page_alloc()))
		return -ENOMEM;
	for (unsigned i = 0; i < E1K_RING / 2; i++) {
		if (!e->rx_page[i] && !(e->rx_page[i] = (void *)(uintptr_t)page_alloc()))
			return -ENOMEM;
		if (!e->tx_page[i] && !(e->tx_page[i] = (void *)(uintptr_t)page_alloc()))
			return -ENOMEM;
	}
	return 0;
}

/* Reset the device and program it, in poll mode. 0 or -errno. */
static int e1k_setup(struct e1k *e)
{
	e->up = false;
	a_store(&e->irq_off, true);
	wr(e, IMC, ~0u);
	wr(e, CTRL, rd(e, CTRL) | CTRL_RST);
	uint64_t limit = time_ns() + 100000000ull;
	do {
		if (time_ns() > limit) {
			kprintf("%s: reset did not complete\n", e->name);
			return -ETIMEDOUT;
		}
		cpu_relax();
	} while (rd(e, CTRL) & CTRL_RST);
	wr(e, IMC, ~0u);
	(void)rd(e, ICR);
	wr(e, ICR, ~0u);
	int err = alloc_rings(e);
	if (err)
		return err;
	read_mac(e);
	wr(e, CTRL, (rd(e, CTRL) | CTRL_SLU | CTRL_ASDE) & ~(CTRL_LRST | CTRL_PHY_RST | CTRL_VME));
	for (unsigned i = 0; i < 128; i++)
		wr(e, MTA + 4 * i, 0);
	const uint8_t *m = e->nd.mac;
	wr(e, RAL0, m[0] | m[1] << 8 | m[2] << 16 | (uint32_t)m[3] << 24);
	wr(e, RAH0, m[4] | m[5] << 8 | RAH_AV);

	memset((void *)e->rx, 0, 4096);
	memset((void *)e->tx, 0, 4096);
	for (unsigned i = 0; i < E1K_RING; i++)
		e->rx[i].addr = (uintptr_t)rx_buf(e, i);
	e->rx_next = 0;
	e->tx_tail = e->tx_clean = 0;
	e->tx_waiting = e->rx_discard = false;
	uint64_t rxa = (uintptr_t)e->rx, txa = (uintptr_t)e->tx;
	wr(e, RDBAL, (uint32_t)rxa);
	wr(e, RDBAH, (uint32_t)(rxa >> 32));
	wr(e, RDLEN, E1K_RING * sizeof(struct rx_desc));
	wr(e, RDH, 0);
	wr(e, RDT, E1K_RING - 1);
	wr(e, RDTR, 0);
	wr(e, TDBAL, (uint32_t)txa);
	wr(e, TDBAH, (uint32_t)(txa >> 32));
	wr(e, TDLEN, E1K_RING * sizeof(struct tx_desc));
	wr(e, TDH, 0);
	wr(e, TDT, 0);
	wr(e, ITR, 0);
	wr(e, RXCSUM, RXCSUM_IPOFL | RXCSUM_TUOFL);

	e->rx_causes = ICR_RXT0 | ICR_RXO | ICR_RXDMT0 | ICR_RXSEQ | ICR_LSC;
	e->tx_causes = ICR_TXDW;
	if (e->pci->irq_kind == PCI_IRQ_MSIX) {
		wr(e, IVAR, IVAR_VALID | IVAR_VALID << 8 | IVAR_VALID << 16);
		e->rx_causes |= ICR_RXQ0 | ICR_OTHER;
		e->tx_causes |= ICR_TXQ0;
	}
	wr(e, TIPG, 10 | 8u << 10 | 6u << 20);
	wr(e, TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);
	wr(e, RCTL, RCTL_EN | RCTL_MPE | RCTL_BAM | RCTL_SECRC);	/* BSIZE 0: 2048 */
	bool up = rd(e, STATUS) & STATUS_LU;
	a_store(&e->link, up);
	a_store(&e->link_event, false);
	e->up = true;
	return 0;
}

static int restart(struct netdev *d)
{
	int err = e1k_setup(E(d));
	if (err)
		kprintf("%s: restart failed (%d); device left unused\n", E(d)->name, err);
	return err;
}

static const struct netdev_ops ops = {
	.rx_poll = rx_poll,
	.tx = tx,
	.tx_reclaim = tx_reclaim,
	.set_irq_callback = set_irq_callback,
	.rx_irq_enable = rx_irq_enable,
	.rx_irq_disable = rx_irq_disable,
	.link_up = link_up,
	.rx_waiting = rx_waiting,
	.broken = broken,
	.restart = restart,
	.stats = stats,
};

static const struct {
	uint16_t id;
	const char *model;
	bool is_82574;
} models[] = {
	{ 0x100e, "82540EM", false },	/* QEMU e1000, VirtualBox */
	{ 0x100f, "82545EM", false },	/* VMware e1000 */
	{ 0x10d3, "82574L", true },	/* QEMU e1000e */
};

static int bring_up(struct e1k *e, struct pci_dev *p, unsigned m)
{
	e->pci = p;
	e->is_82574 = models[m].is_82574;
	e->nd.ops = &ops;
	e->nd.name = e->name;
	e->nd.model = models[m].model;
	snprintf(e->name, sizeof e->name, "%s@%s", e->is_82574 ? "e1000e" : "e1000", p->name);
	if (p->bar[0].kind != PCI_BAR_MEM32 && p->bar[0].kind != PCI_BAR_MEM64)
		return -ENODEV;
	if (!(e->regs = pci_bar_map(p, 0)))
		return -ENODEV;
	pci_enable(p, PCI_CMD_MEM | PCI_CMD_MASTER);
	/* The device quiet before a handler exists. */
	wr(e, IMC, ~0u);
	void *arg[1] = { e };
	int nv = pci_irq_alloc(p, 1, e1k_irq, arg);
	if (nv < 0)
		return nv;
	int err = e1k_setup(e);
	if (err)
		pci_irq_free(p);
	return err;
}

struct netdev *e1000_probe(void)
{
	static bool probed;
	if (!probed) {
		probed = true;
		for (unsigned i = 0; i < pci_count() && ne1k < E1K_MAX_DEVS; i++) {
			struct pci_dev *p = pci_get(i);
			for (unsigned m = 0; m < sizeof models / sizeof models[0]; m++) {
				if (p->vendor != 0x8086 || p->device != models[m].id)
					continue;
				struct e1k *e = &e1ks[ne1k];
				int err = bring_up(e, p, m);
				if (err) {
					kprintf("%s: %s bring-up failed (%d); device left unused\n",
						e->name, models[m].model, err);
					break;
				}
				const uint8_t *a = e->nd.mac;
				kprintf("%s: %s, mac %02x:%02x:%02x:%02x:%02x:%02x, link %s, %s, "
					"rings %u/%u\n", e->name, models[m].model, a[0], a[1], a[2],
					a[3], a[4], a[5], a_load_acquire(&e->link) ? "up" : "down",
					pci_irq_kind_name(p->irq_kind), E1K_RING, E1K_RING);
				ne1k++;
				break;
			}
		}
	}
	return ne1k ? &e1ks[0].nd : NULL;
}
