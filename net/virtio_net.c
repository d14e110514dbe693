/*
 * net/virtio_net.c — the virtio-net driver.
 *
 * Layout. A device has queue pairs (receive queue 2i, transmit 2i + 1).
 * A pair is a struct and the pairs an array, so multiqueue (VIRTIO_NET_F_MQ
 * and the control queue that sets the number of pairs, one per CPU) adds a
 * loop, not a rewrite. Today every device runs one pair and the public
 * calls work on pair 0.
 *
 * Features. VERSION_1 (required; 12-byte header), MAC, STATUS (link state
 * and its interrupt), MRG_RXBUF (a frame may span several receive buffers:
 * the header's num_buffers), EVENT_IDX (kick and interrupt suppression,
 * virtqueue.c) and GUEST_CSUM (the device marks frames whose checksum it
 * checked, DATA_VALID, or whose checksum is partial, NEEDS_CSUM; the driver
 * completes partial ones, so a delivered frame is always correct, and flags
 * both VNET_RX_CSUM_OK so the stack may skip verifying).
 *   Not taken: CSUM (TX offload): lwIP 2.1.3 cannot leave partial
 *   checksums, and it already folds the TCP payload's checksum into its
 *   copy from the application (LWIP_CHECKSUM_ON_COPY). GSO/TSO (frames
 *   above the MTU), MTU, CTRL_VQ, MQ. On QEMU's user networking the
 *   question hardly arises: for a backend without virtio headers (slirp)
 *   QEMU withdraws CSUM, GUEST_CSUM and every TSO/UFO bit, so of ours only
 *   VERSION_1, MAC, STATUS, MRG_RXBUF and EVENT_IDX are offered there.
 *   GUEST_CSUM pays on tap.
 *
 * Buffers and who owns them. Device-visible memory comes from page_alloc
 * (identity mapped: an address is its own bus address).
 *   - Receive: a 2 KiB buffer per ring entry, two per page. A full frame
 *     with its header (1514 + 12 bytes) fits one, so the common case is
 *     delivered in place, without a copy; a frame spread over several
 *     (num_buffers > 1) is gathered into the pair's bounce page. 4 KiB
 *     buffers would waste half of each; smaller ones (mergeable drivers
 *     often post 512 bytes) would turn every full frame into a gather. A
 *     buffer is the device's from vq_add until vq_get_used returns it, then
 *     the poller's until it is reposted, right after deliver: the ring
 *     stays full.
 *   - Transmit: a 2 KiB buffer per ring entry, on the pair's free stack
 *     while the driver owns it. vnet_tx copies the frame behind a zeroed
 *     header into one (the stack's pbufs, on the heap, which is not
 *     identity mapped, never reach the device and may be reused at once)
 *     and queues it as one descriptor; reclaim pushes completed ones back.
 *
 * Modes and the interrupt protocol (NAPI). A pair is in interrupt mode
 * (irq_off clear: receive interrupt armed, the poller may sleep) or in poll
 * mode (irq_off set: receive interrupt masked by the transport's
 * intr_mask, the poller owns the rings).
 *   1. The device writes used entries, then used->idx, then (when the
 *      event index asks for it) interrupts.
 *   2. Every handler (receive, transmit, configuration) sets irq_off with
 *      an atomic exchange. The one that found it clear masks the receive
 *      interrupt and calls cb; the others do nothing. No handler touches a
 *      ring: the poller may be inside it.
 *   3. The poller, under the net lock, drains with a budget; its first
 *      poll in poll mode also turns the device's used-buffer interrupts
 *      off (vq_disable_cb), so a busy device stops raising them at all. A
 *      budget used up means "call again", never "sleep".
 *   4. vnet_rx_irq_enable re-arms the ring (vq_enable_cb: used_event, a
 *      fence, a re-check); if nothing is pending it unmasks, clears irq_off
 *      (sequentially consistent: a full fence) and checks every source of
 *      work once more. Work found: it takes poll mode back (exchange; if a
 *      handler won, the handler masks) and returns true.
 *   No wake-up is lost: an event either finds irq_off clear, and its
 *   handler calls cb, or finds it set; then its used entry, written before
 *   the interrupt (1), is seen by the re-check after the clearing store
 *   (4), and enable returns true. Interrupts raised while masked are not
 *   needed (MSI-X keeps them pending, a level line stays up; 4 re-checks
 *   anyway). No frame is lost: a used buffer stays in the ring until the
 *   poller takes it, and the poller sleeps only after a re-check found the
 *   ring empty with its interrupt armed. The mask may briefly disagree
 *   with irq_off (a handler won the exchange and has not masked yet while
 *   the poller unmasks), but every mask is followed by cb and so by
 *   another enable. With one shared vector (INTx, MMIO, few MSI-X entries)
 *   masking the receive queue masks transmit and configuration too; those
 *   arrive when interrupt mode returns.
 *
 * Transmit completions normally raise no interrupt: buffers are reclaimed
 * on the next send. Only when vnet_tx finds none free does it arm the TX
 * interrupt (tx_waiting), so that the completion wakes the poller; reclaim
 * disarms it. A configuration interrupt re-reads the link state and, on a
 * change, sets link_event and wakes the poller the same way; the next
 * enable reports it once (returns true) and clears it.
 *
 * Rejected: a driver lock (the net lock already serializes the poller; a
 * handler taking it would spin against a poller with interrupts off);
 * vq_disable_cb in the handler (it writes ring state the poller may be
 * changing); TX interrupts always on (one per frame, for buffers nobody
 * waits for); zero-copy TX of pbufs (heap memory, and lwIP's buffer
 * lifetimes would hang on the device).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "net/virtio_net.h"
#include "net/virtio.h"
#include "net/virtio_mmio.h"
#include "net/virtio_pci.h"
#include "net/virtqueue.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/page.h"
#include "kernel/panic.h"
#include "kernel/time.h"
#include "kernel/arch/x86.h"

/* Device configuration layout (section 5.1.4). */
#define CFG_MAC		0
#define CFG_STATUS	6
#define STATUS_LINK_UP	1

/* The header in front of every frame (virtio_net_hdr_v1: num_buffers is
   always there with VERSION_1). */
struct virtio_net_hdr {
	uint8_t flags;			/* HDR_F_* */
	uint8_t gso_type;		/* GSO_NONE: no GSO feature negotiated */
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;		/* NEEDS_CSUM: checksum from this offset... */
	uint16_t csum_offset;		/* ...stored this far beyond it */
	uint16_t num_buffers;		/* RX with MRG_RXBUF: buffers of this frame */
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr_v1 is 12 bytes");

#define HDR_F_NEEDS_CSUM	1
#define HDR_F_DATA_VALID	2
#define GSO_NONE		0
#define HDR_LEN			sizeof(struct virtio_net_hdr)

#define RING_WANT	256		/* entries per queue (QEMU's default max) */
#define BUF_SIZE	2048		/* one RX or TX buffer slot */
#define BUFS_PER_PAGE	(4096 / BUF_SIZE)
#define RX_BUF_MIN	64		/* smallest rx_buf_len vnet_restart takes */
#define DROP_MSG_NS	1000000000ull	/* at most one drop message a second */

#define WANT_FEATURES (VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |	\
		       VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |	\
		       VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM))

struct vnet;

/* One receive/transmit queue pair. Everything but irq_off belongs to the
   poller (net lock). */
struct vnet_qp {
	struct vnet *n;
	unsigned index;			/* pair number: queues 2 * index, +1 */
	struct vq rx, tx;

	uint8_t *rx_page[VQ_MAX_NUM / BUFS_PER_PAGE];	/* RX buffers, 2 per page */
	uint8_t *tx_page[VQ_MAX_NUM / BUFS_PER_PAGE];	/* TX buffers, likewise */
	unsigned npages;		/* of each kind allocated */
	uint8_t *bounce;		/* one page: a merged frame gathered */

	void *tx_free[VQ_MAX_NUM];	/* stack of driver-owned TX buffers */
	unsigned tx_nfree, tx_total;
	bool tx_waiting;		/* TX interrupt armed: vnet_tx found none free */

	/* Shared with the interrupt handlers: set by them (exchange),
	   cleared only by qp_irq_enable. */
	bool irq_off;			/* poll mode: receive interrupt masked */
};

struct vnet {
	struct virtio_dev *dev;
	bool up;			/* set up and not failed since */
	uint64_t offered;		/* device's features at the last set-up */
	uint8_t mac[6];
	unsigned rx_buf_len;		/* bytes posted per RX buffer */
	unsigned npairs;
	struct vnet_qp qp[VNET_MAX_PAIRS];

	/* Set by the poller in poll mode; called by the handlers. */
	vnet_irq_fn *cb;
	void *cb_arg;
	/* Written by the configuration handler, read by the poller. */
	bool link;			/* link up */
	bool link_event;		/* changed; cleared when enable reports it */

	/* Counters: `interrupts` and `link_changes` are written by handlers
	   (atomic adds), the rest by the poller. */
	struct vnet_stats st;
	uint64_t drop_msg_ns;		/* when the last drop message went out */
	uint64_t drops_unsaid;		/* drops since, not yet reported */
};

static struct vnet vnets[VNET_MAX_DEVS];
static int nvnets;
static bool probed;

/*
 * QEMU before 8.1 (Debian 12 ships 7.2) drops the guest's fences under TCG
 * when the machine has one vCPU (no CF_PARALLEL), although the device runs
 * in parallel on QEMU's I/O thread; fixed by QEMU commit c914d46d0a64 ("tcg:
 * Do not elide memory barriers for !CF_PARALLEL in system mode"). Barriers
 * 2 and 4 of virtqueue.c (store, then load the other side's index) then
 * order nothing, and a kick or an interrupt is lost: seen here as a TX queue
 * stalled with avail_event == used idx and every later kick suppressed. A
 * port access takes QEMU's big lock, a locked host instruction: a real
 * fence. dev_fence goes where barrier 2 or 4 must hold (before a kick
 * decision, between arming an interrupt and the re-check), and costs nothing
 * elsewhere (KVM, or TCG with several vCPUs).
 */
static bool fence_by_io;

static void dev_fence(void)
{
	if (fence_by_io)
		outb(0x80, 0);		/* the POST port: no device listens */
}

/* Is this QEMU's TCG with one vCPU? (CPUID's hypervisor leaf names TCG.) */
static bool tcg_uniprocessor(void)
{
	uint32_t a, b, c, d;
	char sig[12];
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 31)))		/* no hypervisor */
		return false;
	cpuid(0x40000000, 0, &a, &b, &c, &d);
	memcpy(sig, &b, 4), memcpy(sig + 4, &c, 4), memcpy(sig + 8, &d, 4);
	return !memcmp(sig, "TCGTCGTCGTCG", 12) && ncpus == 1;
}

/* Debug builds check the poller's precondition: the net lock is held, so
   interrupts are off (build with -DVNET_DEBUG=1). */
#ifndef VNET_DEBUG
#define VNET_DEBUG 0
#endif
#define assert_poller()								\
	do {									\
		if (VNET_DEBUG && irq_enabled())				\
			panic("%s: interrupts on: the net lock is not held", __func__); \
	} while (0)

#define load(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store(p, v)	__atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define xchg(p, v)	__atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define count(p)	__atomic_fetch_add((p), 1, __ATOMIC_RELAXED)

/* ---- interrupts (interrupt context) ---------------------------------------- */

/* Switch qp to poll mode if it is not already; the switcher masks the
   receive interrupt and calls cb. Any context. */
static void to_poll_mode(struct vnet_qp *qp)
{
	struct vnet *n = qp->n;
	if (xchg(&qp->irq_off, true))
		return;
	n->dev->ops->intr_mask(n->dev, qp->rx.index, true);
	vnet_irq_fn *cb = load(&n->cb);
	if (cb)
		cb(n->cb_arg);
}

/* A queue's interrupt (receive or transmit of the pair in arg). It may
   come with nothing new (shared vectors, a last one after suppression):
   the poller checks the rings. */
static void queue_irq(void *arg)
{
	struct vnet_qp *qp = arg;
	count(&qp->n->st.interrupts);
	to_poll_mode(qp);
}

/* Configuration change: re-read the link state. */
static void config_irq(void *arg)
{
	struct vnet *n = arg;
	count(&n->st.interrupts);
	if (!virtio_has(n->dev, VIRTIO_NET_F_STATUS))
		return;
	bool up = virtio_cread16(n->dev, CFG_STATUS) & STATUS_LINK_UP;
	if (up == load(&n->link))
		return;
	store(&n->link, up);
	count(&n->st.link_changes);
	store(&n->link_event, true);
	to_poll_mode(&n->qp[0]);
}

/* ---- receive ---------------------------------------------------------------- */

static uint8_t *rx_buf(struct vnet_qp *qp, unsigned i)
{
	return qp->rx_page[i / BUFS_PER_PAGE] + (i % BUFS_PER_PAGE) * BUF_SIZE;
}

/* Give a receive buffer back to the device (not yet told: vq_kick). */
static void rx_post(struct vnet_qp *qp, uint8_t *buf)
{
	struct vq_buf b = { (uintptr_t)buf, qp->n->rx_buf_len, true };
	int err = vq_add(&qp->rx, &b, 1, buf);
	if (err && err != -EIO)		/* broken: the buffer waits for restart */
		panic("vnet rx_post: %s: vq_add gave %d with a descriptor just freed",
		      qp->rx.name, err);
}

/* Count a bad frame; say why at most once a second. */
static void rx_drop(struct vnet_qp *qp, const char *why, unsigned a, unsigned b)
{
	struct vnet *n = qp->n;
	n->st.rx_dropped++;
	uint64_t now = time_ns();
	if (n->drop_msg_ns && now - n->drop_msg_ns < DROP_MSG_NS) {
		n->drops_unsaid++;
		return;
	}
	kprintf("%s: dropped a received frame: %s (%u, %u); %llu more dropped since the "
		"last message\n", qp->rx.name, why, a, b, (unsigned long long)n->drops_unsaid);
	n->drop_msg_ns = now ? now : 1;
	n->drops_unsaid = 0;
}

/* The Internet checksum (RFC 1071) of p[0..len), folded, not inverted. */
static uint16_t csum_sum(const uint8_t *p, size_t len)
{
	uint64_t s = 0;
	for (; len >= 2; p += 2, len -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/*
 * Check a received frame's header; complete a partial checksum. Returns
 * deliver's flags, or -1 (dropped, counted). frame/flen: the frame after
 * the header.
 */
static int rx_check(struct vnet_qp *qp, const struct virtio_net_hdr *h, uint8_t *frame,
		    size_t flen)
{
	bool gcsum = virtio_has(qp->n->dev, VIRTIO_NET_F_GUEST_CSUM);
	unsigned known = gcsum ? HDR_F_NEEDS_CSUM | HDR_F_DATA_VALID : 0;
	if (flen < 14 || flen > VNET_FRAME_MAX) {
		rx_drop(qp, "frame length outside [14, 1514]", (unsigned)flen, 0);
		return -1;
	}
	if ((h->flags & ~known) || h->gso_type != GSO_NONE) {
		rx_drop(qp, "header flags or gso_type not negotiated", h->flags, h->gso_type);
		return -1;
	}
	if (h->flags & HDR_F_NEEDS_CSUM) {
		size_t start = h->csum_start, at = start + h->csum_offset;
		if (at + 2 > flen) {
			rx_drop(qp, "partial checksum outside the frame", h->csum_start,
				h->csum_offset);
			return -1;
		}
		/* The field holds the pseudo-header's sum: sum over it too. */
		uint16_t c = (uint16_t)~csum_sum(frame + start, flen - start);
		frame[at] = (uint8_t)(c >> 8);
		frame[at + 1] = (uint8_t)c;
		return VNET_RX_CSUM_OK;
	}
	return h->flags & HDR_F_DATA_VALID ? VNET_RX_CSUM_OK : 0;
}

/*
 * A frame over nb > 1 buffers: the first (buf, len) is in hand, the rest
 * are the next used entries (a device publishes a frame's buffers
 * together, section 5.1.6.4). Gathers the frame into the bounce page and
 * reposts every buffer after the first. Returns the frame's length, or
 * -1 when a buffer is missing (dropped, counted).
 */
static long rx_gather(struct vnet_qp *qp, const uint8_t *buf, uint32_t len, unsigned nb)
{
	size_t flen = len - HDR_LEN;
	bool too_long = flen > VNET_FRAME_MAX;
	if (!too_long)
		memcpy(qp->bounce, buf + HDR_LEN, flen);
	for (unsigned k = 1; k < nb; k++) {
		uint32_t l;
		uint8_t *b = vq_get_used(&qp->rx, &l);
		if (!b) {
			rx_drop(qp, "num_buffers larger than the buffers used", nb, k);
			return -1;
		}
		if (!too_long && flen + l <= VNET_FRAME_MAX)
			memcpy(qp->bounce + flen, b, l);
		else
			too_long = true;
		flen += l;
		rx_post(qp, b);
	}
	return too_long ? VNET_FRAME_MAX + 1 : (long)flen;
}

/* One used receive buffer: check, deliver, repost. Returns 1 when a frame
   was delivered. */
static int rx_one(struct vnet_qp *qp, uint8_t *buf, uint32_t len,
		  void (*deliver)(void *, const void *, size_t, unsigned), void *ctx)
{
	struct virtio_net_hdr h;
	int done = 0;
	if (len < HDR_LEN) {
		rx_drop(qp, "used length shorter than the header", len, 0);
		goto repost;
	}
	memcpy(&h, buf, sizeof h);
	unsigned nb = virtio_has(qp->n->dev, VIRTIO_NET_F_MRG_RXBUF) ? h.num_buffers : 1;
	uint8_t *frame = buf + HDR_LEN;
	long flen = len - HDR_LEN;
	if (nb == 0 || nb > qp->rx.num) {
		rx_drop(qp, "num_buffers out of range", nb, qp->rx.num);
		goto repost;
	}
	if (nb > 1) {
		flen = rx_gather(qp, buf, len, nb);
		frame = qp->bounce;
		if (flen < 0)
			goto repost;
	}
	int flags = rx_check(qp, &h, frame, (size_t)flen);
	if (flags >= 0) {
		deliver(ctx, frame, (size_t)flen, (unsigned)flags);
		qp->n->st.rx_frames++;
		qp->n->st.rx_bytes += (uint64_t)flen;
		qp->n->st.rx_merged += nb > 1;
		done = 1;
	}
repost:
	rx_post(qp, buf);
	return done;
}

/* Precondition: the poller's context (net lock held). */
static int qp_rx_poll(struct vnet_qp *qp, int budget,
		      void (*deliver)(void *, const void *, size_t, unsigned), void *ctx)
{
	int done = 0, seen = 0;
	qp->n->st.polls++;
	/* Poll mode: ask the device not to interrupt at all (step 3). */
	if (load(&qp->irq_off) && qp->rx.cb_enabled)
		vq_disable_cb(&qp->rx);
	while (done < budget && seen < 2 * budget) {
		uint32_t len;
		uint8_t *buf = vq_get_used(&qp->rx, &len);
		if (!buf)
			break;
		seen++;
		done += rx_one(qp, buf, len, deliver, ctx);
	}
	if (seen) {
		dev_fence();
		vq_kick(&qp->rx);
	}
	return done;
}

/* ---- transmit --------------------------------------------------------------- */

static void qp_tx_reclaim(struct vnet_qp *qp)
{
	void *b;
	bool got = false;
	while ((b = vq_get_used(&qp->tx, NULL))) {
		if (qp->tx_nfree >= qp->tx_total)
			panic("vnet_tx_reclaim: %s: more buffers back than sent", qp->tx.name);
		qp->tx_free[qp->tx_nfree++] = b;
		got = true;
	}
	if (got && qp->tx_waiting) {
		qp->tx_waiting = false;
		vq_disable_cb(&qp->tx);
	}
}

/* No TX buffer is free: arm the TX interrupt so the next completion wakes
   the poller. True when completions were already there (and reclaimed). */
static bool tx_wait(struct vnet_qp *qp)
{
	qp->tx_waiting = true;
	bool done = vq_enable_cb(&qp->tx);
	dev_fence();
	if (!done && !vq_has_used(&qp->tx))
		return false;
	qp_tx_reclaim(qp);
	return qp->tx_nfree > 0;
}

/* Precondition: the poller's context (net lock held). */
static int qp_tx(struct vnet_qp *qp, const struct vnet_frag *frags, int nfrags)
{
	size_t total = 0;
	for (int i = 0; i < nfrags; i++) {
		if (frags[i].len > VNET_FRAME_MAX)
			return -EMSGSIZE;
		total += frags[i].len;
	}
	if (total > VNET_FRAME_MAX)
		return -EMSGSIZE;
	if (total < 14 || nfrags < 0)
		return -EINVAL;
	if (vq_broken(&qp->tx))
		return -EIO;
	if (qp->tx_nfree == 0)
		qp_tx_reclaim(qp);
	if (qp->tx_nfree == 0 && !tx_wait(qp)) {
		qp->n->st.tx_ring_full++;
		return -EAGAIN;
	}
	uint8_t *b = qp->tx_free[--qp->tx_nfree], *p = b + HDR_LEN;
	memset(b, 0, HDR_LEN);
	for (int i = 0; i < nfrags; i++) {
		memcpy(p, frags[i].data, frags[i].len);
		p += frags[i].len;
	}
	struct vq_buf vb = { (uintptr_t)b, (uint32_t)(HDR_LEN + total), false };
	int err = vq_add(&qp->tx, &vb, 1, b);
	if (err) {
		qp->tx_free[qp->tx_nfree++] = b;
		if (err == -EIO)
			return err;
		panic("vnet_tx: %s: vq_add gave %d with a buffer free", qp->tx.name, err);
	}
	dev_fence();
	vq_kick(&qp->tx);
	qp->n->st.tx_frames++;
	qp->n->st.tx_bytes += total;
	return 0;
}

/* ---- interrupt mode --------------------------------------------------------- */

/* Work the poller must see before sleeping. A link change counts once
   (the poller reads vnet_link_up on its next pass). */
static bool qp_work(struct vnet_qp *qp)
{
	bool *ev = &qp->n->link_event;
	return vq_has_used(&qp->rx) || (qp->tx_waiting && vq_has_used(&qp->tx)) ||
	       (qp->index == 0 && load(ev) && xchg(ev, false));
}

/* Step 4 of the protocol. Precondition: the poller's context. */
static bool qp_irq_enable(struct vnet_qp *qp)
{
	struct virtio_dev *d = qp->n->dev;
	bool rx = vq_enable_cb(&qp->rx);
	dev_fence();
	if (rx || qp_work(qp))
		goto busy;
	if (load(&qp->irq_off)) {
		d->ops->intr_mask(d, qp->rx.index, false);
		store(&qp->irq_off, false);
	}
	if (!qp_work(qp))
		return false;
	if (!xchg(&qp->irq_off, true))
		d->ops->intr_mask(d, qp->rx.index, true);
busy:
	/* Take back completed sends now, so that a poller which never calls
	   vnet_tx_reclaim cannot spin on them. */
	if (qp->tx_waiting)
		qp_tx_reclaim(qp);
	return true;
}

/* ---- bring-up and teardown -------------------------------------------------- */

/* Buffers for a pair whose queues have num entries; kept across restarts. */
static int qp_alloc(struct vnet_qp *qp, unsigned num)
{
	unsigned need = (num + BUFS_PER_PAGE - 1) / BUFS_PER_PAGE;
	if (!qp->bounce && !(qp->bounce = (uint8_t *)(uintptr_t)page_alloc()))
		return -ENOMEM;
	for (; qp->npages < need; qp->npages++) {
		uint64_t rx = page_alloc(), tx = rx ? page_alloc() : 0;
		if (!tx) {
			if (rx)
				page_free(rx);
			return -ENOMEM;
		}
		qp->rx_page[qp->npages] = (uint8_t *)(uintptr_t)rx;
		qp->tx_page[qp->npages] = (uint8_t *)(uintptr_t)tx;
	}
	return 0;
}

/* Set up the pair's two queues and fill them: RX ring full of buffers,
   every TX buffer free, TX interrupt off. */
static int qp_setup(struct vnet_qp *qp)
{
	struct virtio_dev *d = qp->n->dev;
	char name[32];
	snprintf(name, sizeof name, "%s rx%u", d->name, qp->index);
	int err = virtio_queue(d, 2 * qp->index, RING_WANT, &qp->rx, name);
	if (err)
		return err;
	snprintf(name, sizeof name, "%s tx%u", d->name, qp->index);
	err = virtio_queue(d, 2 * qp->index + 1, RING_WANT, &qp->tx, name);
	if (err)
		goto err_rx;
	unsigned num = qp->rx.num > qp->tx.num ? qp->rx.num : qp->tx.num;
	err = qp_alloc(qp, num);
	if (err)
		goto err_tx;
	for (unsigned i = 0; i < qp->rx.num; i++)
		rx_post(qp, rx_buf(qp, i));
	qp->tx_total = qp->tx_nfree = qp->tx.num;
	for (unsigned i = 0; i < qp->tx.num; i++)
		qp->tx_free[i] = qp->tx_page[i / BUFS_PER_PAGE] + (i % BUFS_PER_PAGE) * BUF_SIZE;
	qp->tx_waiting = false;
	vq_disable_cb(&qp->tx);
	return 0;
err_tx:
	vq_free(&qp->tx);
err_rx:
	vq_free(&qp->rx);
	return err;
}

/* After a reset: take every buffer back and free the rings. */
static void qp_teardown(struct vnet_qp *qp)
{
	while (vq_detach_unused(&qp->rx))
		;
	while (vq_detach_unused(&qp->tx))
		;
	vq_free(&qp->rx);
	vq_free(&qp->tx);
	qp->tx_nfree = qp->tx_total = 0;
	qp->tx_waiting = false;
}

static void read_identity(struct vnet *n)
{
	struct virtio_dev *d = n->dev;
	if (!virtio_has(d, VIRTIO_NET_F_MAC) || virtio_cread_bytes(d, CFG_MAC, n->mac, 6)) {
		/* No address from the device: a locally administered one. */
		uint64_t r = rdtsc() ^ (uintptr_t)n;
		uint8_t mac[6] = { 0x52, 0x54, 0x00, (uint8_t)(r >> 16), (uint8_t)(r >> 8),
				   (uint8_t)r };
		memcpy(n->mac, mac, 6);
	}
	bool up = !virtio_has(d, VIRTIO_NET_F_STATUS) ||
		  (virtio_cread16(d, CFG_STATUS) & STATUS_LINK_UP);
	store(&n->link, up);
	store(&n->link_event, false);
}

/*
 * Bring the device up (virtio 1.0 section 3.1.1) in poll mode. 0 or
 * -errno; on failure the device is marked FAILED and no memory of the
 * device's is in use (buffer pages are kept for a later try).
 */
static int vnet_setup(struct vnet *n)
{
	struct virtio_dev *d = n->dev;
	int err = virtio_start(d);
	if (err)
		return err;
	n->offered = d->ops->get_features(d);
	err = virtio_negotiate(d, WANT_FEATURES);
	if (err)
		return err;
	read_identity(n);
	/* Poll mode before any handler can run: they then do nothing. */
	void *args[2 * VNET_MAX_PAIRS];
	for (unsigned i = 0; i < n->npairs; i++) {
		store(&n->qp[i].irq_off, true);
		args[2 * i] = args[2 * i + 1] = &n->qp[i];
	}
	err = d->ops->intr_setup(d, 2 * n->npairs, queue_irq, args, config_irq, n);
	if (err < 0)
		goto err_fail;
	unsigned i;
	for (i = 0; i < n->npairs; i++)
		if ((err = qp_setup(&n->qp[i])))
			goto err_pairs;
	for (i = 0; i < n->npairs; i++)
		d->ops->intr_mask(d, n->qp[i].rx.index, true);
	virtio_driver_ok(d);
	for (i = 0; i < n->npairs; i++)
		vq_kick(&n->qp[i].rx);
	n->up = true;
	return 0;
err_pairs:
	d->ops->reset(d);
	while (i--)
		qp_teardown(&n->qp[i]);
err_fail:
	virtio_fail(d);
	return err;
}

static void vnet_teardown(struct vnet *n)
{
	struct virtio_dev *d = n->dev;
	n->up = false;
	if (d->ops->reset(d))
		kprintf("%s: reset did not complete; its rings are leaked\n", d->name);
	else
		for (unsigned i = 0; i < n->npairs; i++)
			qp_teardown(&n->qp[i]);
}

static void print_up(struct vnet *n)
{
	struct virtio_dev *d = n->dev;
	const uint8_t *m = n->mac;
	kprintf("vnet: %s: mac %02x:%02x:%02x:%02x:%02x:%02x, link %s, %s, rings %u/%u, "
		"rx buffers %u bytes; features%s%s%s%s%s%s (offered %#llx)%s\n",
		d->name, m[0], m[1], m[2], m[3], m[4], m[5], load(&n->link) ? "up" : "down",
		d->ops->intr_kind(d), n->qp[0].rx.num, n->qp[0].tx.num, n->rx_buf_len,
		virtio_has(d, VIRTIO_NET_F_MAC) ? " mac" : "",
		virtio_has(d, VIRTIO_NET_F_STATUS) ? " status" : "",
		virtio_has(d, VIRTIO_NET_F_MRG_RXBUF) ? " mrg_rxbuf" : "",
		virtio_has(d, VIRTIO_F_EVENT_IDX) ? " event_idx" : "",
		virtio_has(d, VIRTIO_NET_F_GUEST_CSUM) ? " guest_csum" : "",
		virtio_has(d, VIRTIO_F_VERSION_1) ? " version_1" : "",
		(unsigned long long)n->offered,
		fence_by_io ? "; ring fences by port I/O (TCG, one vCPU)" : "");
}

/* ---- the public calls --------------------------------------------------------- */

int vnet_probe(struct vnet **out, int max)
{
	if (!probed) {
		struct virtio_dev *devs[VNET_MAX_DEVS];
		unsigned nd = virtio_pci_find(VIRTIO_ID_NET, devs, VNET_MAX_DEVS);
		nd += virtio_mmio_find(VIRTIO_ID_NET, devs + nd, VNET_MAX_DEVS - nd);
		probed = true;
		fence_by_io = tcg_uniprocessor();
		for (unsigned k = 0; k < nd; k++) {
			struct vnet *n = &vnets[nvnets];
			n->dev = devs[k];
			n->npairs = 1;
			n->rx_buf_len = BUF_SIZE;
			for (unsigned i = 0; i < VNET_MAX_PAIRS; i++)
				n->qp[i].n = n, n->qp[i].index = i;
			int err = vnet_setup(n);
			if (err) {
				kprintf("vnet: %s: bring-up failed (%d); device left unused\n",
					devs[k]->name, err);
				continue;
			}
			print_up(n);
			nvnets++;
		}
	}
	int k;
	for (k = 0; k < nvnets && k < max; k++)
		out[k] = &vnets[k];
	return k;
}

int vnet_restart(struct vnet *n, unsigned rx_buf_len)
{
	assert_poller();
	if (rx_buf_len == 0)
		rx_buf_len = BUF_SIZE;
	if (rx_buf_len < RX_BUF_MIN || rx_buf_len > BUF_SIZE)
		return -EINVAL;
	if (n->up)
		vnet_teardown(n);
	n->rx_buf_len = rx_buf_len;
	int err = vnet_setup(n);
	if (err)
		kprintf("vnet: %s: restart failed (%d); device left unused\n", n->dev->name, err);
	return err;
}

int vnet_rx_poll(struct vnet *n, int budget,
		 void (*deliver)(void *ctx, const void *frame, size_t len, unsigned flags),
		 void *ctx)
{
	assert_poller();
	if (!n->up || budget <= 0)
		return 0;
	return qp_rx_poll(&n->qp[0], budget, deliver, ctx);
}

int vnet_tx(struct vnet *n, const struct vnet_frag *frags, int nfrags)
{
	assert_poller();
	return n->up ? qp_tx(&n->qp[0], frags, nfrags) : -EIO;
}

void vnet_tx_reclaim(struct vnet *n)
{
	assert_poller();
	if (n->up)
		qp_tx_reclaim(&n->qp[0]);
}

unsigned vnet_tx_free(const struct vnet *n)
{
	return n->qp[0].tx_nfree;
}

unsigned vnet_tx_total(const struct vnet *n)
{
	return n->qp[0].tx_total;
}

void vnet_set_irq_callback(struct vnet *n, vnet_irq_fn *cb, void *arg)
{
	assert_poller();
	if (n->up && !load(&n->qp[0].irq_off))
		panic("vnet_set_irq_callback: %s: called in interrupt mode", n->dev->name);
	__atomic_store_n(&n->cb, NULL, __ATOMIC_RELEASE);
	n->cb_arg = arg;
	__atomic_store_n(&n->cb, cb, __ATOMIC_RELEASE);
}

vnet_irq_fn *vnet_irq_callback(const struct vnet *n)
{
	return __atomic_load_n(&n->cb, __ATOMIC_ACQUIRE);
}

bool vnet_rx_irq_enable(struct vnet *n)
{
	assert_poller();
	return n->up ? qp_irq_enable(&n->qp[0]) : false;
}

void vnet_rx_irq_disable(struct vnet *n)
{
	assert_poller();
	struct vnet_qp *qp = &n->qp[0];
	if (n->up && !xchg(&qp->irq_off, true))
		n->dev->ops->intr_mask(n->dev, qp->rx.index, true);
}

bool vnet_rx_waiting(struct vnet *n)
{
	for (unsigned i = 0; i < n->npairs; i++)
		if (vq_has_used(&n->qp[i].rx))
			return true;
	return false;
}

bool vnet_link_up(struct vnet *n)
{
	return load(&n->link);
}

struct vnet_stats vnet_stats(const struct vnet *n)
{
	struct vnet_stats s = n->st;
	s.interrupts = __atomic_load_n(&n->st.interrupts, __ATOMIC_RELAXED);
	s.link_changes = __atomic_load_n(&n->st.link_changes, __ATOMIC_RELAXED);
	return s;
}

void vnet_mac(const struct vnet *n, uint8_t mac[6])
{
	memcpy(mac, n->mac, 6);
}

const char *vnet_name(const struct vnet *n)
{
	return n->dev->name;
}

uint64_t vnet_features(const struct vnet *n)
{
	return n->dev->features;
}

uint64_t vnet_features_offered(const struct vnet *n)
{
	return n->offered;
}

bool vnet_broken(const struct vnet *n)
{
	if (!n->up)
		return true;
	for (unsigned i = 0; i < n->npairs; i++)
		if (vq_broken(&n->qp[i].rx) || vq_broken(&n->qp[i].tx))
			return true;
	return false;
}

