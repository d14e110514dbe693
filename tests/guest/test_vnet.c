/*
 * tests/guest/test_vnet.c — the virtio-net driver (suite vnet), driven
 * the way the poller will drive it: a spinlock standing in for the net
 * lock around every driver call, an interrupt callback that raises a
 * flag, a loop that sleeps until the flag and then polls with a budget.
 *
 * With a virtio-net device on QEMU user networking (guest 10.0.2.15,
 * gateway 10.0.2.2; only the gateway is ever addressed), the tests ARP
 * for the gateway, flood it with ARP requests, ping it with frames large
 * enough to span several receive buffers, and check budgets and masking.
 * Without a NIC every test checks that probe finds none and passes.
 *
 * The tests that drive traffic need the NIC to themselves: when a network
 * stack's poller already owns it (its interrupt callback is set), they
 * say so and pass without touching it.
 */
#include <errno.h>
#include <string.h>
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "tests/guest/ktest.h"
#include "kernel/pci.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "kernel/virtio/virtio.h"
#include "kernel/virtio/virtio_mmio.h"
#include "net/virtio_net.h"
#include "kernel/virtio/virtio_pci.h"
#include "runtime/runtime.h"

#define WAIT_NS	5000000000ull		/* bound on every wait (TCG is slow) */

static const uint8_t guest_ip[4] = { 10, 0, 2, 15 }, gw_ip[4] = { 10, 0, 2, 2 };

static struct spinlock net_lock = SPINLOCK_INIT;	/* the net lock's stand-in */
static volatile unsigned cb_calls;			/* interrupt callbacks */

static void irq_cb(void *arg)
{
	(void)arg;
	a_fetch_add(&cb_calls, 1);
}

/* The NIC, or NULL after checking that there is none. */
static struct vnet *nic(void)
{
	struct vnet *n;
	if (vnet_probe(&n, 1) == 1)
		return n;
	struct virtio_dev *d;
	if (virtio_pci_find(VIRTIO_ID_NET, &d, 1) || virtio_mmio_find(VIRTIO_ID_NET, &d, 1))
		ktest_fail(__FILE__, __LINE__, "%s is there but vnet_probe found nothing", d->name);
	else
		kprintf("  no virtio-net device attached: nothing to test\n");
	return NULL;
}

/* ---- frames ------------------------------------------------------------------ */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	for (; len >= 2; p += 2, len -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* ARP request "who has 10.0.2.2, tell 10.0.2.15": 42 bytes into f. */
static size_t arp_request(uint8_t *f, const uint8_t mac[6])
{
	static const uint8_t mid[] = { 0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1 };
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	memcpy(f + 12, mid, sizeof mid);
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, guest_ip, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, gw_ip, 4);
	return 42;
}

/* ICMP echo request to the gateway with `size` bytes of patterned
   payload; returns the frame's length. */
static size_t echo_request(uint8_t *f, const uint8_t mac[6], const uint8_t gw[6],
			   uint16_t seq, size_t size)
{
	uint8_t *ip = f + 14, *icmp = ip + 20;
	memcpy(f, gw, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 8 + size));
	ip[8] = 64;
	ip[9] = 1;			/* ICMP */
	memcpy(ip + 12, guest_ip, 4);
	memcpy(ip + 16, gw_ip, 4);
	put16(ip + 10, csum(ip, 20));
	icmp[0] = 8, icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, 0x7765);	/* id */
	put16(icmp + 6, seq);
	for (size_t i = 0; i < size; i++)
		icmp[8 + i] = (uint8_t)(i * 7 + seq);
	put16(icmp + 2, csum(icmp, 8 + size));
	return 14 + 20 + 8 + size;
}

/* What the deliver callback saw. */
struct rx_log {
	unsigned frames, arp_replies, echo_replies, echo_bad;
	unsigned calls, max_per_call;	/* deliver calls in the current poll */
	uint8_t gw_mac[6];
	bool have_gw;
};

static void deliver(void *ctx, const void *frame, size_t len, unsigned flags)
{
	struct rx_log *l = ctx;
	const uint8_t *f = frame;
	(void)flags;
	l->frames++;
	l->calls++;
	if (len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 &&
	    !memcmp(f + 28, gw_ip, 4)) {
		l->arp_replies++;
		memcpy(l->gw_mac, f + 22, 6);
		l->have_gw = true;
		return;
	}
	if (len < 42 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 1 || f[34] != 0)
		return;
	/* An echo reply: check both checksums and the payload pattern. */
	const uint8_t *ip = f + 14, *icmp = ip + 20;
	size_t iplen = (size_t)ip[2] << 8 | ip[3], size = iplen - 28;
	uint16_t seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
	bool ok = iplen >= 28 && 14 + iplen <= len && csum(ip, 20) == 0 &&
		  csum(icmp, iplen - 20) == 0;
	for (size_t i = 0; ok && i < size; i++)
		ok = icmp[8 + i] == (uint8_t)(i * 7 + seq);
	if (ok)
		l->echo_replies++;
	else
		l->echo_bad++;
}

/* ---- the poller in miniature ---------------------------------------------------- */

/* Send one frame under the lock; -EAGAIN waits for the TX completion's
   callback (bounded). */
static int send(struct vnet *n, const void *f, size_t len)
{
	struct vnet_frag fr = { f, len };
	uint64_t limit = time_ns() + WAIT_NS;
	for (;;) {
		bool s = spin_lock(&net_lock);
		int err = vnet_tx(n, &fr, 1);
		spin_unlock(&net_lock, s);
		if (err != -EAGAIN || time_ns() > limit)
			return err;
		task_sleep(ms(1));
	}
}

/* Drain with a budget until the ring is empty and interrupts are back on.
   Returns frames delivered. */
static unsigned drain(struct vnet *n, struct rx_log *l, int budget)
{
	unsigned got = 0;
	bool s = spin_lock(&net_lock);
	for (;;) {
		l->calls = 0;
		int k = vnet_rx_poll(n, budget, deliver, l);
		if ((unsigned)k > l->max_per_call)
			l->max_per_call = (unsigned)k;
		got += (unsigned)k;
		vnet_tx_reclaim(n);
		if (k < budget && !vnet_rx_irq_enable(n))
			break;
	}
	spin_unlock(&net_lock, s);
	return got;
}

/* Sleep until the callback has run more than `seen` times, or the time
   passes. Returns whether it ran. */
static bool wait_cb(unsigned seen, uint64_t limit)
{
	while (a_load(&cb_calls) == seen && time_ns() < limit)
		task_sleep(ms(1));
	return cb_calls != seen;
}

/* The poller's loop: sleep until the callback, drain, until *done says
   stop (or the time passes). */
static bool pump(struct vnet *n, struct rx_log *l, const unsigned *count, unsigned want)
{
	uint64_t limit = time_ns() + WAIT_NS;
	while (*count < want && time_ns() < limit) {
		unsigned seen = cb_calls;
		drain(n, l, 64);
		if (*count >= want)
			break;
		wait_cb(seen, limit);
	}
	return *count >= want;
}

/* Own the device: poll mode, our callback, nothing stale in the ring.
   False when a network stack's poller has it (its callback is set): then
   these tests cannot run without disturbing it, and say so. */
static bool take(struct vnet *n, struct rx_log *l)
{
	vnet_irq_fn *cb = vnet_irq_callback(n);
	if (cb && cb != irq_cb) {
		kprintf("  %s is driven by the network stack's poller: not touching it\n",
			vnet_name(n));
		return false;
	}
	bool s = spin_lock(&net_lock);
	vnet_rx_irq_disable(n);
	vnet_set_irq_callback(n, irq_cb, NULL);
	spin_unlock(&net_lock, s);
	memset(l, 0, sizeof *l);
	drain(n, l, 64);
	memset(l, 0, sizeof *l);
	return true;
}

/* ---- tests ------------------------------------------------------------------- */

KTEST(vnet, probe_finds_nic_with_mac)
{
	struct vnet *n = nic();
	if (!n)
		return;
	struct vnet *again[VNET_MAX_DEVS];
	KT_ASSERT(vnet_probe(again, VNET_MAX_DEVS) >= 1);
	KT_ASSERT(again[0] == n);		/* probing twice gives the same */
	uint8_t mac[6], zero[6] = { 0 };
	vnet_mac(n, mac);
	KT_ASSERT(memcmp(mac, zero, 6) != 0);
	KT_ASSERT(!(mac[0] & 1));		/* unicast */
	uint64_t f = vnet_features(n), off = vnet_features_offered(n);
	kprintf("  %s: features %#llx of %#llx offered\n", vnet_name(n),
		(unsigned long long)f, (unsigned long long)off);
	/* Modern devices negotiate VERSION_1; a legacy one (virtio-mmio
	   version 1, --mmio-legacy) cannot, and has only 32 feature bits. */
	struct virtio_dev *d = NULL;
	virtio_mmio_find(VIRTIO_ID_NET, &d, 1);
	bool legacy = d && d->legacy && !strcmp(d->name, vnet_name(n));
	KT_ASSERT(legacy ? !(f >> 32) : (f & VIRTIO_BIT(VIRTIO_F_VERSION_1)) != 0);
	KT_ASSERT(f & VIRTIO_BIT(VIRTIO_NET_F_MAC));
	KT_ASSERT(!(f & VIRTIO_BIT(VIRTIO_NET_F_CSUM)));	/* withdrawn for slirp */
	KT_ASSERT((f & ~off) == 0);
	/* What QEMU offers on user networking (QEMU 7.2). */
	KT_ASSERT(f & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
	KT_ASSERT(f & VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	KT_ASSERT(f & VIRTIO_BIT(VIRTIO_NET_F_STATUS));
	KT_ASSERT(!vnet_broken(n));
	KT_ASSERT(vnet_tx_total(n) >= 16);
}

KTEST(vnet, link_up)
{
	struct vnet *n = nic();
	if (!n)
		return;
	bool s = spin_lock(&net_lock);
	bool up = vnet_link_up(n);
	spin_unlock(&net_lock, s);
	KT_ASSERT(up);
	KT_EQ(vnet_stats(n).link_changes, 0);
}

/* ARP for the gateway; the reply arrives through the interrupt. */
KTEST(vnet, arp_gateway_by_interrupt)
{
	struct vnet *n = nic();
	if (!n)
		return;
	static struct rx_log l;
	uint8_t mac[6], f[64];
	if (!take(n, &l))
		return;
	vnet_mac(n, mac);
	struct vnet_stats s0 = vnet_stats(n);
	unsigned seen = cb_calls;
	KT_EQ(send(n, f, arp_request(f, mac)), 0);
	KT_ASSERT(wait_cb(seen, time_ns() + WAIT_NS));	/* the reply's interrupt */
	KT_ASSERT(pump(n, &l, &l.arp_replies, 1));
	KT_ASSERT(l.have_gw);
	kprintf("  gateway 10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x\n", l.gw_mac[0],
		l.gw_mac[1], l.gw_mac[2], l.gw_mac[3], l.gw_mac[4], l.gw_mac[5]);
	struct vnet_stats s1 = vnet_stats(n);
	KT_ASSERT(s1.interrupts > s0.interrupts);
	KT_ASSERT(s1.rx_frames > s0.rx_frames);
	KT_EQ(s1.tx_frames, s0.tx_frames + 1);
	KT_EQ(s1.tx_bytes, s0.tx_bytes + 42);
	KT_EQ(s1.rx_dropped, s0.rx_dropped);
	KT_ASSERT(!vnet_broken(n));
}

/* 1,000 ARP requests back to back: reclaim keeps up, every buffer comes
   back, the replies come back. */
KTEST(vnet, thousand_arps)
{
	struct vnet *n = nic();
	if (!n)
		return;
	static struct rx_log l;
	uint8_t mac[6], f[64];
	if (!take(n, &l))
		return;
	vnet_mac(n, mac);
	size_t len = arp_request(f, mac);
	struct vnet_stats s0 = vnet_stats(n);
	for (int i = 0; i < 1000; i++) {
		KT_EQ(send(n, f, len), 0);
		if (i % 32 == 31)
			drain(n, &l, 64);	/* keep the RX ring from filling */
	}
	KT_ASSERT(pump(n, &l, &l.arp_replies, 1000));
	uint64_t limit = time_ns() + WAIT_NS;
	while (vnet_tx_free(n) != vnet_tx_total(n) && time_ns() < limit) {
		task_sleep(ms(1));
		bool s = spin_lock(&net_lock);
		vnet_tx_reclaim(n);
		spin_unlock(&net_lock, s);
	}
	struct vnet_stats s1 = vnet_stats(n);
	kprintf("  1000 sent, %u replies, %llu times the TX ring was full, %llu interrupts, "
		"%llu polls\n", l.arp_replies, (unsigned long long)(s1.tx_ring_full - s0.tx_ring_full),
		(unsigned long long)(s1.interrupts - s0.interrupts),
		(unsigned long long)(s1.polls - s0.polls));
	KT_EQ(vnet_tx_free(n), vnet_tx_total(n));
	KT_EQ(s1.tx_frames - s0.tx_frames, 1000);
	KT_EQ(l.arp_replies, 1000);
	KT_EQ(s1.rx_dropped, s0.rx_dropped);
	KT_ASSERT(!vnet_broken(n));
}

/* A poll never delivers more than its budget, and a budget used up
   leaves the rest for the next poll. */
KTEST(vnet, rx_budget)
{
	struct vnet *n = nic();
	if (!n)
		return;
	static struct rx_log l;
	uint8_t mac[6], f[64];
	enum { N = 40, BUDGET = 7 };
	if (!take(n, &l))
		return;
	vnet_mac(n, mac);
	size_t len = arp_request(f, mac);
	for (int i = 0; i < N; i++)
		KT_EQ(send(n, f, len), 0);
	/* Stay in poll mode (no re-enable) and poll with a small budget. */
	unsigned full = 0;
	uint64_t limit = time_ns() + WAIT_NS;
	while (l.arp_replies < N && time_ns() < limit) {
		task_sleep(ms(2));
		bool s = spin_lock(&net_lock);
		l.calls = 0;
		int k = vnet_rx_poll(n, BUDGET, deliver, &l);
		spin_unlock(&net_lock, s);
		KT_ASSERT(k >= 0 && k <= BUDGET);
		KT_EQ(l.calls, (unsigned)k);
		full += k == BUDGET;
	}
	KT_EQ(l.arp_replies, N);
	KT_ASSERT(full >= 1);		/* some poll had more waiting than its budget */
	bool s = spin_lock(&net_lock);
	int k = vnet_rx_poll(n, 0, deliver, &l);
	spin_unlock(&net_lock, s);
	KT_EQ(k, 0);
	drain(n, &l, 64);
}

/* After the callback, no second one until vnet_rx_irq_enable, however
   many frames arrive; after it, the next frame calls back again. */
KTEST(vnet, irq_masked_until_enable)
{
	struct vnet *n = nic();
	if (!n)
		return;
	static struct rx_log l;
	uint8_t mac[6], f[64];
	if (!take(n, &l))		/* ends in interrupt mode */
		return;
	vnet_mac(n, mac);
	size_t len = arp_request(f, mac);
	unsigned seen = cb_calls;
	KT_EQ(send(n, f, len), 0);
	KT_ASSERT(wait_cb(seen, time_ns() + WAIT_NS));
	unsigned after_first = cb_calls;
	/* Poll mode now: more frames, no callback. */
	for (int i = 0; i < 20; i++)
		KT_EQ(send(n, f, len), 0);
	uint64_t irqs0 = vnet_stats(n).interrupts;
	task_sleep(ms(200));
	KT_EQ(cb_calls, after_first);
	kprintf("  masked: %llu interrupts reached the handler in 200 ms, 0 callbacks\n",
		(unsigned long long)(vnet_stats(n).interrupts - irqs0));
	KT_ASSERT(pump(n, &l, &l.arp_replies, 21));	/* drains: interrupt mode */
	seen = cb_calls;
	KT_EQ(send(n, f, len), 0);
	KT_ASSERT(wait_cb(seen, time_ns() + WAIT_NS));
	drain(n, &l, 64);
}

/* Strictly interrupt-driven ping-pong: every reply must be announced by
   a callback (the loop never polls on a timeout), so a lost wake-up
   fails the test. On PCI with MSI-X per queue the receive interrupt goes
   to another CPU than this task's, so handler and poller really race. */
KTEST(vnet, no_lost_wakeup)
{
	struct vnet *n = nic();
	if (!n)
		return;
	static struct rx_log l;
	uint8_t mac[6], f[64];
	enum { ROUNDS = 300 };
	struct virtio_dev *d = NULL;
	struct pci_dev *p = virtio_pci_find(VIRTIO_ID_NET, &d, 1) ? virtio_pci_dev(d) : NULL;
	bool moved = p && p->irq_kind == PCI_IRQ_MSIX && p->nvec >= 3 && ncpus_online > 1;
	if (moved)	/* entry 1 = queue 0 = receive (virtio_pci.c's plan) */
		KT_EQ(pci_irq_set_cpu(p, 1, cpus[(task_cpu() + 1) % ncpus_online].apic_id), 0);
	if (!take(n, &l))
		return;
	vnet_mac(n, mac);
	size_t len = arp_request(f, mac);
	unsigned lost = 0, wakes = 0;
	for (unsigned r = 0; r < ROUNDS && !lost; r++) {
		unsigned seen = cb_calls;
		if (send(n, f, len))
			break;
		while (l.arp_replies <= r) {
			if (!wait_cb(seen, time_ns() + WAIT_NS)) {
				lost++;
				break;
			}
			wakes++;
			seen = cb_calls;
			drain(n, &l, 64);
		}
	}
	if (moved)
		pci_irq_set_cpu(p, 1, cpus[0].apic_id);
	kprintf("  %u rounds, %u wake-ups, receive interrupt %s\n", l.arp_replies, wakes,
		moved ? "on another CPU" : "where the transport put it");
	KT_EQ(lost, 0);
	KT_EQ(l.arp_replies, ROUNDS);
}

/* A full TX ring arms the TX interrupt: with frames that draw no reply
   (an experimental ethertype, addressed to the gateway, which ignores
   it), the completion alone must call back. */
KTEST(vnet, tx_full_wakes)
{
	struct vnet *n = nic();
	if (!n)
		return;
	static struct rx_log l;
	uint8_t mac[6], f[64];
	if (!take(n, &l))
		return;
	vnet_mac(n, mac);
	KT_EQ(send(n, f, arp_request(f, mac)), 0);
	KT_ASSERT(pump(n, &l, &l.arp_replies, 1));	/* ends in interrupt mode */
	memcpy(f, l.gw_mac, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, 0x88b5);				/* IEEE local experimental */
	memset(f + 14, 0x5a, 46);
	struct vnet_frag fr = { f, 60 };
	uint64_t full0 = vnet_stats(n).tx_ring_full;
	unsigned seen = cb_calls, sent = 0;
	int err = 0;
	/* The device works in parallel and often keeps up: try a few times. */
	for (int tries = 0; tries < 10 && err != -EAGAIN; tries++) {
		drain(n, &l, 64);
		seen = cb_calls;
		bool s = spin_lock(&net_lock);
		while (sent < 5000u * (unsigned)(tries + 1) && (err = vnet_tx(n, &fr, 1)) == 0)
			sent++;
		spin_unlock(&net_lock, s);
		KT_ASSERT(err == 0 || err == -EAGAIN);
	}
	if (err != -EAGAIN) {
		kprintf("  the device kept up with %u frames: the ring never filled\n", sent);
		drain(n, &l, 64);
		return;
	}
	KT_EQ(vnet_stats(n).tx_ring_full, full0 + 1);
	KT_EQ(vnet_tx_free(n), 0);
	KT_ASSERT(wait_cb(seen, time_ns() + WAIT_NS));
	drain(n, &l, 64);
	uint64_t limit = time_ns() + WAIT_NS;
	while (vnet_tx_free(n) != vnet_tx_total(n) && time_ns() < limit) {
		task_sleep(ms(1));
		drain(n, &l, 64);
	}
	kprintf("  ring full after %u frames; the completion called back\n", sent);
	KT_EQ(vnet_tx_free(n), vnet_tx_total(n));
}

/* Frames over several receive buffers (mergeable): restart with 256-byte
   buffers and ping the gateway with 1,400 bytes; the reply comes back in
   six buffers and must arrive whole. */
KTEST(vnet, mergeable_ping)
{
	struct vnet *n = nic();
	if (!n)
		return;
	static struct rx_log l;
	static uint8_t f[VNET_FRAME_MAX];
	uint8_t mac[6];
	if (!(vnet_features(n) & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF))) {
		kprintf("  device without mergeable buffers: nothing to test\n");
		return;
	}
	if (!take(n, &l))
		return;
	bool s = spin_lock(&net_lock);
	int err = vnet_restart(n, 256);
	spin_unlock(&net_lock, s);
	KT_EQ(err, 0);
	take(n, &l);
	vnet_mac(n, mac);
	KT_EQ(send(n, f, arp_request(f, mac)), 0);
	KT_ASSERT(pump(n, &l, &l.arp_replies, 1));
	struct vnet_stats s0 = vnet_stats(n);
	for (uint16_t seq = 1; seq <= 4; seq++) {
		size_t flen = echo_request(f, mac, l.gw_mac, seq, 1400);
		KT_EQ(flen, 1442);
		KT_EQ(send(n, f, flen), 0);
		KT_ASSERT(pump(n, &l, &l.echo_replies, seq));
	}
	struct vnet_stats s1 = vnet_stats(n);
	KT_EQ(l.echo_bad, 0);
	KT_ASSERT(s1.rx_merged - s0.rx_merged >= 4);
	/* A frame above the MTU, and one too short, are refused. */
	struct vnet_frag big = { f, VNET_FRAME_MAX + 1 }, small = { f, 13 };
	s = spin_lock(&net_lock);
	int e_big = vnet_tx(n, &big, 1), e_small = vnet_tx(n, &small, 1);
	err = vnet_restart(n, 0);
	spin_unlock(&net_lock, s);
	KT_EQ(e_big, -EMSGSIZE);
	KT_EQ(e_small, -EINVAL);
	KT_EQ(err, 0);
	/* Back to 2 KiB buffers: the same ping needs one buffer. */
	take(n, &l);
	KT_EQ(send(n, f, arp_request(f, mac)), 0);
	KT_ASSERT(pump(n, &l, &l.arp_replies, 1));
	s0 = vnet_stats(n);
	KT_EQ(send(n, f, echo_request(f, mac, l.gw_mac, 9, 1400)), 0);
	KT_ASSERT(pump(n, &l, &l.echo_replies, 1));
	KT_EQ(vnet_stats(n).rx_merged, s0.rx_merged);
	KT_ASSERT(!vnet_broken(n));
}
