/*
 * net/virtio_net_setup.c — bringing virtio-net devices up and down:
 * feature negotiation, queue pairs and their buffers, interrupts, probe
 * and restart. The data path and the interrupt protocol are in
 * virtio_net.c, whose opening comment describes the driver.
 */
#include "net/virtio_net_priv.h"

static struct vnet vnets[VNET_MAX_DEVS];
static int nvnets;
static bool probed;

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

/* ---- bring-up and teardown -------------------------------------------------- */

/* Buffers for a pair whose queues have num entries; kept across restarts. */
static int qp_alloc(struct vnet_qp *qp, unsigned num)
{
	unsigned need = (num + VNET_BUFS_PER_PAGE - 1) / VNET_BUFS_PER_PAGE;
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
	int err = virtio_queue(d, 2 * qp->index, VNET_RING_WANT, &qp->rx, name);
	if (err)
		return err;
	snprintf(name, sizeof name, "%s tx%u", d->name, qp->index);
	err = virtio_queue(d, 2 * qp->index + 1, VNET_RING_WANT, &qp->tx, name);
	if (err)
		goto err_rx;
	unsigned num = qp->rx.num > qp->tx.num ? qp->rx.num : qp->tx.num;
	err = qp_alloc(qp, num);
	if (err)
		goto err_tx;
	for (unsigned i = 0; i < qp->rx.num; i++)
		vnet_rx_post(qp, vnet_rx_buf(qp, i));
	qp->tx_total = qp->tx_nfree = qp->tx.num;
	for (unsigned i = 0; i < qp->tx.num; i++)
		qp->tx_free[i] = qp->tx_page[i / VNET_BUFS_PER_PAGE] +
				 (i % VNET_BUFS_PER_PAGE) * VNET_BUF_SIZE;
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
	if (!virtio_has(d, VIRTIO_NET_F_MAC) || virtio_cread_bytes(d, VNET_CFG_MAC, n->mac, 6)) {
		/* No address from the device: a locally administered one. */
		uint64_t r = rdtsc() ^ (uintptr_t)n;
		uint8_t mac[6] = { 0x52, 0x54, 0x00, (uint8_t)(r >> 16), (uint8_t)(r >> 8),
				   (uint8_t)r };
		memcpy(n->mac, mac, 6);
	}
	bool up = !virtio_has(d, VIRTIO_NET_F_STATUS) ||
		  (virtio_cread16(d, VNET_CFG_STATUS) & VNET_S_LINK_UP);
	a_store(&n->link, up);
	a_store(&n->link_event, false);
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
	err = virtio_negotiate(d, VNET_WANT_FEATURES);
	if (err)
		return err;
	if (d->legacy && !virtio_has(d, VIRTIO_NET_F_MRG_RXBUF)) {
		/* Legacy without MRG_RXBUF has a 10-byte header (no
		   num_buffers); with it, the 12 bytes the data path uses. */
		kprintf("%s: legacy device without mrg_rxbuf (10-byte header): not supported\n",
			d->name);
		err = -ENOTSUP;
		goto err_fail;
	}
	read_identity(n);
	/* Poll mode before any handler can run: they then do nothing. */
	void *args[2 * VNET_MAX_PAIRS];
	for (unsigned i = 0; i < n->npairs; i++) {
		a_store(&n->qp[i].irq_off, true);
		args[2 * i] = args[2 * i + 1] = &n->qp[i];
	}
	err = d->ops->intr_setup(d, 2 * n->npairs, vnet_queue_irq, args, vnet_config_irq, n);
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
		"rx buffers %u bytes; features%s%s%s%s%s%s%s (offered %#llx)%s\n",
		d->name, m[0], m[1], m[2], m[3], m[4], m[5],
		a_load_acquire(&n->link) ? "up" : "down",
		d->ops->intr_kind(d), n->qp[0].rx.num, n->qp[0].tx.num, n->rx_buf_len,
		virtio_has(d, VIRTIO_NET_F_MAC) ? " mac" : "",
		virtio_has(d, VIRTIO_NET_F_STATUS) ? " status" : "",
		virtio_has(d, VIRTIO_NET_F_MRG_RXBUF) ? " mrg_rxbuf" : "",
		virtio_has(d, VIRTIO_F_EVENT_IDX) ? " event_idx" : "",
		virtio_has(d, VIRTIO_NET_F_GUEST_CSUM) ? " guest_csum" : "",
		virtio_has(d, VIRTIO_NET_F_CSUM) ? " csum" : "",
		virtio_has(d, VIRTIO_F_VERSION_1) ? " version_1" : "",
		(unsigned long long)n->offered,
		vnet_fence_by_io ? "; ring fences by port I/O (TCG, one vCPU)" : "");
}

/* ---- the public calls --------------------------------------------------------- */

int vnet_probe(struct vnet **out, int max)
{
	if (!probed) {
		struct virtio_dev *devs[VNET_MAX_DEVS];
		unsigned nd = virtio_pci_find(VIRTIO_ID_NET, devs, VNET_MAX_DEVS);
		nd += virtio_mmio_find(VIRTIO_ID_NET, devs + nd, VNET_MAX_DEVS - nd);
		probed = true;
		vnet_fence_by_io = tcg_uniprocessor();
		for (unsigned k = 0; k < nd; k++) {
			struct vnet *n = &vnets[nvnets];
			n->dev = devs[k];
			n->npairs = 1;
			n->rx_buf_len = VNET_BUF_SIZE;
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
	vnet_assert_poller();
	if (rx_buf_len == 0)
		rx_buf_len = VNET_BUF_SIZE;
	if (rx_buf_len < VNET_RX_BUF_MIN || rx_buf_len > VNET_BUF_SIZE)
		return -EINVAL;
	if (n->up)
		vnet_teardown(n);
	n->rx_buf_len = rx_buf_len;
	int err = vnet_setup(n);
	if (err)
		kprintf("vnet: %s: restart failed (%d); device left unused\n", n->dev->name, err);
	return err;
}
