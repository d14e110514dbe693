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
 * both VNET_RX_CSUM_OK so the stack may skip verifying; a partial one is
 * left as it came, see rx_check) and CSUM (the device completes the TCP
 * checksums of what we send: the netif turns lwIP's TCP checksum off,
 * tx_csum writes the pseudo-header's sum and the header's csum_start and
 * csum_offset).
 *   Not taken: GSO/TSO (frames above the MTU), MTU, CTRL_VQ, MQ. On
 *   QEMU's user networking the question hardly arises: for a backend
 *   without virtio headers (slirp) QEMU withdraws CSUM, GUEST_CSUM and
 *   every TSO/UFO bit, so of ours only VERSION_1, MAC, STATUS, MRG_RXBUF
 *   and EVENT_IDX are offered there. The checksum features pay on tap.
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
#include "net/virtio_net_priv.h"

/*
 * QEMU before 8.1 (Debian 12 ships 7.2) drops the guest's fences under TCG
 * when the machine has one vCPU (no CF_PARALLEL), although the device runs
 * in parallel on QEMU's I/O thread; fixed by QEMU commit c914d46d0a64 ("tcg:
 * Do not elide memory barriers for !CF_PARALLEL in system mode"). Barriers
 * 2 and 4 of virtqueue.c (store, then load the other side's index) then
 * order nothing, and a kick or an interrupt is lost: seen here as a TX queue
 * stalled with avail_event == used idx and every later kick suppressed. A
 * port access takes QEMU's big lock, a locked host instruction: a real
 * fence. vnet_dev_fence goes where barrier 2 or 4 must hold (before a kick
 * decision, between arming an interrupt and the re-check), and costs nothing
 * elsewhere (KVM, or TCG with several vCPUs).
 */
bool vnet_fence_by_io;			/* set at probe (virtio_net_setup.c) */

void vnet_dev_fence(void)
{
	if (vnet_fence_by_io)
		outb(0x80, 0);		/* the POST port: no device listens */
}

/* ---- interrupts (interrupt context) ---------------------------------------- */

/* Switch qp to poll mode if it is not already; the switcher masks the
   receive interrupt and calls cb. Any context. */
static void to_poll_mode(struct vnet_qp *qp)
{
	struct vnet *n = qp->n;
	if (a_swap(&qp->irq_off, true))
		return;
	n->dev->ops->intr_mask(n->dev, qp->rx.index, true);
	vnet_irq_fn *cb = a_load_acquire(&n->cb);
	if (cb)
		cb(n->cb_arg);
}

/* A queue's interrupt (receive or transmit of the pair in arg). It may
   come with nothing new (shared vectors, a last one after suppression):
   the poller checks the rings. */
void vnet_queue_irq(void *arg)
{
	struct vnet_qp *qp = arg;
	a_fetch_add_relaxed(&qp->n->st.interrupts, 1);
	to_poll_mode(qp);
}

/* Configuration change: re-read the link state. */
void vnet_config_irq(void *arg)
{
	struct vnet *n = arg;
	a_fetch_add_relaxed(&n->st.interrupts, 1);
	if (!virtio_has(n->dev, VIRTIO_NET_F_STATUS))
		return;
	bool up = virtio_cread16(n->dev, VNET_CFG_STATUS) & VNET_S_LINK_UP;
	if (up == a_load_acquire(&n->link))
		return;
	a_store(&n->link, up);
	a_fetch_add_relaxed(&n->st.link_changes, 1);
	a_store(&n->link_event, true);
	to_poll_mode(&n->qp[0]);
}

/* ---- receive ---------------------------------------------------------------- */

uint8_t *vnet_rx_buf(struct vnet_qp *qp, unsigned i)
{
	return qp->rx_page[i / VNET_BUFS_PER_PAGE] + (i % VNET_BUFS_PER_PAGE) * VNET_BUF_SIZE;
}

/* Give a receive buffer back to the device (not yet told: vq_kick). */
void vnet_rx_post(struct vnet_qp *qp, uint8_t *buf)
{
	struct vq_buf b = { (uintptr_t)buf, qp->n->rx_buf_len, true };
	int err = vq_add(&qp->rx, &b, 1, buf);
	if (err && err != -EIO)		/* broken: the buffer waits for restart */
		panic("vnet vnet_rx_post: %s: vq_add gave %d with a descriptor just freed",
		      qp->rx.name, err);
}

/* Count a bad frame; say why at most once a second. */
static void rx_drop(struct vnet_qp *qp, const char *why, unsigned a, unsigned b)
{
	struct vnet *n = qp->n;
	n->st.rx_dropped++;
	uint64_t now = time_ns();
	if (n->drop_msg_ns && now - n->drop_msg_ns < VNET_DROP_MSG_NS) {
		n->drops_unsaid++;
		return;
	}
	kprintf("%s: dropped a received frame: %s (%u, %u); %llu more dropped since the "
		"last message\n", qp->rx.name, why, a, b, (unsigned long long)n->drops_unsaid);
	n->drop_msg_ns = now ? now : 1;
	n->drops_unsaid = 0;
}

/*
 * Check a received frame's header. Returns deliver's flags, or -1
 * (dropped, counted). flen: the frame's length after the header. A partial
 * checksum (NEEDS_CSUM: a frame from the host's own stack, which never
 * computed it) counts as verified, as Linux's CHECKSUM_PARTIAL does; its
 * field is left holding the pseudo-header's sum, which nothing reads.
 */
static int rx_check(struct vnet_qp *qp, const struct virtio_net_hdr *h, size_t flen)
{
	bool gcsum = virtio_has(qp->n->dev, VIRTIO_NET_F_GUEST_CSUM);
	unsigned known = gcsum ? VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID : 0;
	if (flen < 14 || flen > VNET_FRAME_MAX) {
		rx_drop(qp, "frame length outside [14, 1514]", (unsigned)flen, 0);
		return -1;
	}
	if ((h->flags & ~known) || h->gso_type != VNET_GSO_NONE) {
		rx_drop(qp, "header flags or gso_type not negotiated", h->flags, h->gso_type);
		return -1;
	}
	if (h->flags & VNET_HDR_F_NEEDS_CSUM) {
		size_t start = h->csum_start, at = start + h->csum_offset;
		if (at + 2 > flen) {
			rx_drop(qp, "partial checksum outside the frame", h->csum_start,
				h->csum_offset);
			return -1;
		}
		return VNET_RX_CSUM_OK;
	}
	return h->flags & VNET_HDR_F_DATA_VALID ? VNET_RX_CSUM_OK : 0;
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
	size_t flen = len - VNET_HDR_LEN;
	bool too_long = flen > VNET_FRAME_MAX;
	if (!too_long)
		memcpy(qp->bounce, buf + VNET_HDR_LEN, flen);
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
		vnet_rx_post(qp, b);
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
	if (len < VNET_HDR_LEN) {
		rx_drop(qp, "used length shorter than the header", len, 0);
		goto repost;
	}
	memcpy(&h, buf, sizeof h);
	unsigned nb = virtio_has(qp->n->dev, VIRTIO_NET_F_MRG_RXBUF) ? h.num_buffers : 1;
	uint8_t *frame = buf + VNET_HDR_LEN;
	long flen = len - VNET_HDR_LEN;
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
	int flags = rx_check(qp, &h, (size_t)flen);
	if (flags >= 0) {
		deliver(ctx, frame, (size_t)flen, (unsigned)flags);
		qp->n->st.rx_frames++;
		qp->n->st.rx_bytes += (uint64_t)flen;
		qp->n->st.rx_merged += nb > 1;
		done = 1;
	}
repost:
	vnet_rx_post(qp, buf);
	return done;
}

/* Precondition: the poller's context (net lock held). */
static int qp_rx_poll(struct vnet_qp *qp, int budget,
		      void (*deliver)(void *, const void *, size_t, unsigned), void *ctx)
{
	int done = 0, seen = 0;
	qp->n->st.polls++;
	/* Poll mode: ask the device not to interrupt at all (step 3). */
	if (a_load_acquire(&qp->irq_off) && qp->rx.cb_enabled)
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
		vnet_dev_fence();
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
	vnet_dev_fence();
	if (!done && !vq_has_used(&qp->tx))
		return false;
	qp_tx_reclaim(qp);
	return qp->tx_nfree > 0;
}

/* The TCP checksum of a frame to send is the device's (VIRTIO_NET_F_CSUM):
   the field gets the pseudo-header's sum, the header says where the sum
   starts (the TCP header) and where it goes. Only the shapes lwIP sends:
   IPv4 not fragmented, IPv6 with TCP right after the fixed header; any
   other frame keeps the checksum the stack wrote (the netif leaves UDP,
   ICMP and IP's own to lwIP). */
static void tx_csum(struct virtio_net_hdr *h, uint8_t *f, size_t len)
{
	size_t l4, l4len;
	unsigned first, end;
	if (len >= 14 + 20 && f[12] == 0x08 && f[13] == 0x00) {
		size_t ihl = (f[14] & 0xfu) * 4, tot = (size_t)(f[16] << 8 | f[17]);
		if (f[23] != 6 || ((f[20] << 8 | f[21]) & 0x3fff) || ihl < 20 || tot < ihl + 20 ||
		    14 + tot > len)
			return;
		l4 = 14 + ihl, l4len = tot - ihl, first = 26, end = 34;
	} else if (len >= 14 + 40 + 20 && f[12] == 0x86 && f[13] == 0xdd) {
		size_t plen = (size_t)(f[18] << 8 | f[19]);
		if (f[20] != 6 || plen < 20 || 54 + plen > len)
			return;
		l4 = 54, l4len = plen, first = 22, end = 54;
	} else {
		return;
	}
	uint32_t s = 6 + (uint32_t)l4len;		/* protocol, length */
	for (unsigned i = first; i < end; i += 2)	/* source, destination */
		s += (uint32_t)(f[i] << 8 | f[i + 1]);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	f[l4 + 16] = (uint8_t)(s >> 8);
	f[l4 + 17] = (uint8_t)s;
	h->flags = VNET_HDR_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)l4;
	h->csum_offset = 16;
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
	uint8_t *b = qp->tx_free[--qp->tx_nfree], *p = b + VNET_HDR_LEN;
	memset(b, 0, VNET_HDR_LEN);
	for (int i = 0; i < nfrags; i++) {
		memcpy(p, frags[i].data, frags[i].len);
		p += frags[i].len;
	}
	if (virtio_has(qp->n->dev, VIRTIO_NET_F_CSUM))
		tx_csum((struct virtio_net_hdr *)b, b + VNET_HDR_LEN, total);
	struct vq_buf vb = { (uintptr_t)b, (uint32_t)(VNET_HDR_LEN + total), false };
	int err = vq_add(&qp->tx, &vb, 1, b);
	if (err) {
		qp->tx_free[qp->tx_nfree++] = b;
		if (err == -EIO)
			return err;
		panic("vnet_tx: %s: vq_add gave %d with a buffer free", qp->tx.name, err);
	}
	vnet_dev_fence();
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
	       (qp->index == 0 && a_load_acquire(ev) && a_swap(ev, false));
}

/* Step 4 of the protocol. Precondition: the poller's context. */
static bool qp_irq_enable(struct vnet_qp *qp)
{
	struct virtio_dev *d = qp->n->dev;
	bool rx = vq_enable_cb(&qp->rx);
	vnet_dev_fence();
	if (rx || qp_work(qp))
		goto busy;
	if (a_load_acquire(&qp->irq_off)) {
		d->ops->intr_mask(d, qp->rx.index, false);
		a_store(&qp->irq_off, false);
	}
	if (!qp_work(qp))
		return false;
	if (!a_swap(&qp->irq_off, true))
		d->ops->intr_mask(d, qp->rx.index, true);
busy:
	/* Take back completed sends now, so that a poller which never calls
	   vnet_tx_reclaim cannot spin on them. */
	if (qp->tx_waiting)
		qp_tx_reclaim(qp);
	return true;
}

int vnet_rx_poll(struct vnet *n, int budget,
		 void (*deliver)(void *ctx, const void *frame, size_t len, unsigned flags),
		 void *ctx)
{
	vnet_assert_poller();
	if (!n->up || budget <= 0)
		return 0;
	return qp_rx_poll(&n->qp[0], budget, deliver, ctx);
}

int vnet_tx(struct vnet *n, const struct vnet_frag *frags, int nfrags)
{
	vnet_assert_poller();
	return n->up ? qp_tx(&n->qp[0], frags, nfrags) : -EIO;
}

void vnet_tx_reclaim(struct vnet *n)
{
	vnet_assert_poller();
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
	vnet_assert_poller();
	if (n->up && !a_load_acquire(&n->qp[0].irq_off))
		panic("vnet_set_irq_callback: %s: called in interrupt mode", n->dev->name);
	a_store_release(&n->cb, NULL);
	n->cb_arg = arg;
	a_store_release(&n->cb, cb);
}

vnet_irq_fn *vnet_irq_callback(const struct vnet *n)
{
	return a_load_acquire(&n->cb);
}

bool vnet_rx_irq_enable(struct vnet *n)
{
	vnet_assert_poller();
	return n->up ? qp_irq_enable(&n->qp[0]) : false;
}

void vnet_rx_irq_disable(struct vnet *n)
{
	vnet_assert_poller();
	struct vnet_qp *qp = &n->qp[0];
	if (n->up && !a_swap(&qp->irq_off, true))
		n->dev->ops->intr_mask(n->dev, qp->rx.index, true);
}

bool vnet_rx_waiting(struct vnet *n)
{
	if (!n->up)		/* a failed restart left no rings */
		return false;
	for (unsigned i = 0; i < n->npairs; i++)
		if (vq_has_used(&n->qp[i].rx))
			return true;
	return false;
}

bool vnet_link_up(struct vnet *n)
{
	return a_load_acquire(&n->link);
}

struct vnet_stats vnet_stats(const struct vnet *n)
{
	struct vnet_stats s = n->st;
	s.interrupts = a_load_relaxed(&n->st.interrupts);
	s.link_changes = a_load_relaxed(&n->st.link_changes);
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

