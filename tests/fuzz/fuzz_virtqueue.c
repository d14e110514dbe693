/*
 * libFuzzer target: the virtqueue (kernel/virtio/virtqueue.c) and the
 * virtio-net driver (net/virtio_net.c, net/virtio_net_setup.c) against a
 * device that misbehaves. Host build; see run.sh.
 *
 * The input plays the device. Its first bytes choose what the device
 * offers (features, legacy or modern, queue sizes, the receive buffer
 * size the driver is restarted with, link status); the rest is a list of
 * steps, each a device action or a driver call:
 *   device: take chains from the available ring; complete taken chains
 *   correctly (receive: a frame over one or several buffers, with a
 *   header whose num_buffers, flags and checksum fields the input picks);
 *   write a bad used entry (an id out of range, not in flight, returned
 *   twice, a len above the buffer, or an arbitrary one); move used->idx
 *   by any amount; scribble on avail_event, used->flags, unpublished used
 *   slots and the descriptor table; change the configuration (link
 *   status, generation); raise a queue or configuration interrupt; make
 *   the next reset, FEATURES_OK, interrupt or queue set-up fail.
 *   driver: vnet_rx_poll, vnet_tx, vnet_tx_reclaim, vnet_rx_irq_enable,
 *   vnet_rx_irq_disable, vnet_rx_waiting, vnet_restart.
 *
 * The fake transport gives the driver a virtio_dev whose ops read this
 * device's state; pages come from aligned_alloc, with the unused tail of
 * every ring page (and of the driver-private vq_state) poisoned, so that
 * AddressSanitizer sees an access past a ring of any size, not only past
 * the page.
 *
 * The oracle keeps its own view of each queue, built only from what the
 * driver wrote to shared memory (the available ring and descriptors) and
 * from how far it consumed the used ring (vq->last_used). After every
 * driver call it checks:
 *   - every used entry the driver consumed named a chain in flight, with
 *     len within what the chain could take (no buffer handed back twice,
 *     no length trusted beyond the buffer);
 *   - every chain the driver posted is one descriptor naming a buffer of
 *     the right kind that is not already posted, the receive buffer the
 *     configured size (no buffer given to the device twice);
 *   - the queue is marked broken only when the entry the driver stopped
 *     at (or used->idx) really is a fault, with exactly one console line;
 *   - a broken queue refuses: vnet_tx says -EIO, vnet_rx_poll delivers
 *     nothing, vnet_broken is true;
 *   - while the device has behaved: no queue is broken, the receive ring
 *     holds every receive buffer, free + in-flight TX buffers = all;
 *   - the TX free stack holds distinct TX buffers, none in flight;
 *   - a delivered frame is exactly the bytes the device wrote (in place,
 *     or gathered from the buffers of a merged frame), a sent frame is the
 *     bytes given to vnet_tx behind the header;
 *   - vnet_rx_irq_enable returns false (interrupt mode) only with no used
 *     receive entry pending; the link state is the configuration's.
 * At the end of an input both queues are drained: a fault the device
 * published must by then have broken its queue, and a healthy queue has
 * nothing left unconsumed.
 * A broken invariant abort()s with a message on stderr; a panic() of the
 * driver is one too.
 *
 * Not reached: the transports' ISR and register handling (virtio_pci.c,
 * virtio_mmio.c touch real MMIO and PCI configuration space).
 */
#include <sanitizer/asan_interface.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The setup half is included, not linked: its statics (the probed
   devices) are reset for every input. */
#include "net/virtio_net_setup.c"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

/* ---- the kernel's services, faked ------------------------------------------ */

unsigned ncpus = 1, ncpus_online = 1;
static uint64_t clock_ns;
static int verbose;

uint64_t time_ns(void)
{
	return clock_ns += 1000;
}

/* Console lines naming a broken queue, per queue (0 rx, 1 tx). */
static int broke_msgs[2];

int kprintf(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (strstr(line, "marked broken")) {
		CHECK(strstr(line, " rx0 ") || strstr(line, " tx0 "));
		broke_msgs[strstr(line, " tx0 ") != NULL]++;
	}
	if (verbose)
		fputs(line, stderr);
	return n;
}

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "panic: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ninvariant broken: the driver panicked\n");
	abort();
}

/* Pages: blocks of n pages, each page freed on its own (vq_free frees a
   legacy block page by page). Whatever is left is freed after the input.
   Single pages are kept for the next input (allocating a few hundred
   per input with ASan would halve the speed), poisoned while unused, so
   a use after page_free is still caught. */
#define MAX_BLOCKS 1024
static struct block {
	uint8_t *base;
	unsigned n;
	uint32_t freed;			/* bit i: page i given back */
} blocks[MAX_BLOCKS];
static unsigned nblocks;		/* blocks[0, nblocks) may be in use */
static uint8_t *spare[MAX_BLOCKS];
static unsigned nspare;

static uint64_t block_alloc(unsigned n)
{
	for (unsigned k = nblocks < MAX_BLOCKS ? nblocks : 0; k < MAX_BLOCKS; k++) {
		if (blocks[k].base)
			continue;
		uint8_t *p;
		if (n == 1 && nspare) {
			p = spare[--nspare];
			ASAN_UNPOISON_MEMORY_REGION(p, 4096);
		} else {
			p = aligned_alloc(4096, 4096 * (size_t)n);
			CHECK(p != NULL);
		}
		memset(p, 0, 4096 * (size_t)n);
		blocks[k] = (struct block){ p, n, 0 };
		if (k >= nblocks)
			nblocks = k + 1;
		return (uint64_t)(uintptr_t)p;
	}
	CHECK(!"out of fake pages");
	return 0;
}

uint64_t page_alloc(void) { return block_alloc(1); }
uint64_t page_alloc_contig(uint64_t n) { return block_alloc((unsigned)n); }

static void block_release(struct block *b)
{
	ASAN_UNPOISON_MEMORY_REGION(b->base, 4096 * (size_t)b->n);
	if (b->n == 1 && nspare < MAX_BLOCKS) {
		ASAN_POISON_MEMORY_REGION(b->base, 4096);
		spare[nspare++] = b->base;
	} else {
		free(b->base);
	}
	b->base = NULL;
}

void page_free(uint64_t pa)
{
	uint8_t *p = (uint8_t *)(uintptr_t)pa;
	for (unsigned k = 0; k < nblocks; k++) {
		struct block *b = &blocks[k];
		if (!b->base || p < b->base || p >= b->base + 4096 * (size_t)b->n)
			continue;
		size_t off = (size_t)(p - b->base);
		CHECK(off % 4096 == 0);
		CHECK(!(b->freed & (1u << (off / 4096))));	/* freed twice */
		b->freed |= 1u << (off / 4096);
		if (b->freed == (1u << b->n) - 1)
			block_release(b);
		return;
	}
	CHECK(!"page_free of a page never allocated");
}

static void pages_release_all(void)
{
	for (unsigned k = 0; k < nblocks; k++)
		if (blocks[k].base)
			block_release(&blocks[k]);
	nblocks = 0;
}

/* ---- the device --------------------------------------------------------------- */

/* Per queue (0 rx, 1 tx): the device's side and the oracle's view. */
struct queue {
	struct vq *vq;			/* as programmed by queue_setup; NULL after reset */
	/* The device. */
	uint16_t last_avail;		/* next available entry to take */
	uint16_t used_idx;		/* next used slot to write (published or not) */
	uint16_t held[VQ_MAX_NUM];	/* heads taken, not completed, in order */
	unsigned nheld;
	bool misbehaved;		/* published something a driver may not trust */
	/* The oracle: what the driver made available and has not consumed. */
	bool inflight[VQ_MAX_NUM];
	uint64_t addr[VQ_MAX_NUM];	/* by head: the buffer */
	uint32_t blen[VQ_MAX_NUM];	/* by head: its length */
	uint32_t wlen[VQ_MAX_NUM];	/* by head: bytes the device may write */
	unsigned count;
	bool buf_posted[VQ_MAX_NUM];	/* by buffer: in flight */
	uint16_t seen_avail;		/* avail idx the oracle has read up to */
	uint16_t seen_used;		/* last_used at the last sync */
	bool was_broken;
};

static struct fake {
	struct virtio_dev dev;
	uint64_t offered;
	uint8_t status;
	unsigned qmax[2];
	uint8_t cfg[8];			/* MAC, then status (little-endian) */
	uint32_t gen;
	bool gen_unstable;		/* generation changes at every read */
	bool fail_reset, fail_setup, fail_features, fail_intr;	/* next one fails */
	struct virtio_intr intr;
	bool masked;
	struct queue q[2];
	unsigned kicks;
	unsigned cbs;
} F;

static struct vnet *N;

static void queue_forget(struct queue *q)
{
	memset(q, 0, sizeof *q);
}

static int f_reset(struct virtio_dev *d)
{
	(void)d;
	if (F.fail_reset) {
		F.fail_reset = false;
		return -ETIMEDOUT;
	}
	F.status = 0;
	queue_forget(&F.q[0]);
	queue_forget(&F.q[1]);
	return 0;
}

static uint8_t f_get_status(struct virtio_dev *d) { (void)d; return F.status; }

static void f_set_status(struct virtio_dev *d, uint8_t s)
{
	(void)d;
	if ((s & VIRTIO_STATUS_FEATURES_OK) && F.fail_features) {
		F.fail_features = false;
		s &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	}
	F.status = s;
}

static uint64_t f_get_features(struct virtio_dev *d) { (void)d; return F.offered; }
static void f_set_features(struct virtio_dev *d, uint64_t f) { (void)d; (void)f; }

static uint32_t f_config_read(struct virtio_dev *d, unsigned off, unsigned width)
{
	(void)d;
	uint32_t v = 0;
	for (unsigned i = 0; i < width; i++)
		v |= (uint32_t)(off + i < sizeof F.cfg ? F.cfg[off + i] : 0xff) << (8 * i);
	return v;
}

static void f_config_write(struct virtio_dev *d, unsigned off, unsigned w, uint32_t v)
{
	(void)d, (void)off, (void)w, (void)v;
}

static uint32_t f_config_generation(struct virtio_dev *d)
{
	(void)d;
	return F.gen_unstable ? F.gen++ : F.gen;
}

static unsigned f_queue_max(struct virtio_dev *d, unsigned i)
{
	(void)d;
	return i < 2 ? F.qmax[i] : 0;
}

static void f_notify(struct vq *vq)
{
	(void)vq;
	F.kicks++;
}

/* Poison what of a ring page (and of vq_state) lies past the ring. */
static void poison_tails(struct vq *vq)
{
	unsigned num = vq->num;
	if (vq->ring_block) {
		uint8_t *b = vq->ring_block;
		uint8_t *avail_end = (uint8_t *)vq->avail + 6 + 2 * num;
		ASAN_POISON_MEMORY_REGION(avail_end, (size_t)((uint8_t *)vq->used - avail_end));
		uint8_t *used_end = (uint8_t *)vq->used + 6 + 8 * num;
		ASAN_POISON_MEMORY_REGION(used_end, (size_t)(b + 4096 * VQ_LEGACY_PAGES - used_end));
	} else {
		ASAN_POISON_MEMORY_REGION((uint8_t *)vq->desc + 16 * num, 4096 - 16 * num);
		ASAN_POISON_MEMORY_REGION((uint8_t *)vq->avail + 6 + 2 * num, 4096 - 6 - 2 * num);
		ASAN_POISON_MEMORY_REGION((uint8_t *)vq->used + 6 + 8 * num, 4096 - 6 - 8 * num);
	}
	struct vq_state *st = vq->st;
	unsigned rest = VQ_MAX_NUM - num;
	ASAN_POISON_MEMORY_REGION(&st->token[num], rest * sizeof st->token[0]);
	ASAN_POISON_MEMORY_REGION(&st->next[num], rest * sizeof st->next[0]);
	ASAN_POISON_MEMORY_REGION(&st->ndesc[num], rest * sizeof st->ndesc[0]);
	ASAN_POISON_MEMORY_REGION(&st->wlen[num], rest * sizeof st->wlen[0]);
}

static int f_queue_setup(struct virtio_dev *d, struct vq *vq)
{
	(void)d;
	if (F.fail_setup) {
		F.fail_setup = false;
		return -EIO;
	}
	CHECK(vq->index < 2);
	struct queue *q = &F.q[vq->index];
	queue_forget(q);
	broke_msgs[vq->index] = 0;
	q->vq = vq;
	vq->notify = f_notify;
	poison_tails(vq);
	return 0;
}

static int f_intr_setup(struct virtio_dev *d, unsigned nq, virtio_intr_fn *queue_fn,
			void *const queue_arg[], virtio_intr_fn *config_fn, void *config_arg)
{
	(void)d;
	if (F.fail_intr) {
		F.fail_intr = false;
		return -ENOSPC;
	}
	CHECK(nq == 2);
	virtio_intr_keep(&F.intr, nq, queue_fn, queue_arg, config_fn, config_arg);
	return 1;
}

static void f_intr_mask(struct virtio_dev *d, unsigned queue, bool masked)
{
	(void)d;
	CHECK(queue == 0);
	F.masked = masked;
}

static const char *f_intr_kind(struct virtio_dev *d) { (void)d; return "fake"; }

static const struct virtio_ops f_ops = {
	.transport = "fake",
	.reset = f_reset,
	.get_status = f_get_status,
	.set_status = f_set_status,
	.get_features = f_get_features,
	.set_features = f_set_features,
	.config_read = f_config_read,
	.config_write = f_config_write,
	.config_generation = f_config_generation,
	.queue_max = f_queue_max,
	.queue_setup = f_queue_setup,
	.intr_setup = f_intr_setup,
	.intr_mask = f_intr_mask,
	.intr_kind = f_intr_kind,
};

unsigned virtio_pci_find(uint32_t id, struct virtio_dev *out[], unsigned max)
{
	if (id != VIRTIO_ID_NET || max == 0)
		return 0;
	out[0] = &F.dev;
	return 1;
}

unsigned virtio_mmio_find(uint32_t id, struct virtio_dev *out[], unsigned max)
{
	(void)id, (void)out, (void)max;
	return 0;
}

static void cb_count(void *arg)
{
	(void)arg;
	F.cbs++;
}

/* ---- the oracle --------------------------------------------------------------- */

static struct vnet_qp *QP(void) { return &N->qp[0]; }

/* Which buffer of its kind (rx/tx) is at addr, or -1: a hash of the
   driver's buffer pages, rebuilt when it has more of them. */
#define PAGE_HASH 1024
static struct { uint64_t page; int index; } page_hash[2][PAGE_HASH];
static unsigned hashed_npages;

static unsigned page_slot(uint64_t page) { return (unsigned)((page >> 12) * 2654435761u) % PAGE_HASH; }

static int buf_index(unsigned qi, uint64_t addr)
{
	struct vnet_qp *qp = QP();
	if (hashed_npages != qp->npages) {
		memset(page_hash, 0, sizeof page_hash);
		for (unsigned p = 0; p < qp->npages; p++)
			for (unsigned k = 0; k < 2; k++) {
				uint64_t page = (uint64_t)(uintptr_t)(k ? qp->tx_page[p] : qp->rx_page[p]);
				unsigned s = page_slot(page);
				while (page_hash[k][s].page)
					s = (s + 1) % PAGE_HASH;
				page_hash[k][s].page = page;
				page_hash[k][s].index = (int)p;
			}
		hashed_npages = qp->npages;
	}
	uint64_t page = addr & ~(uint64_t)4095;
	for (unsigned s = page_slot(page); page_hash[qi][s].page; s = (s + 1) % PAGE_HASH)
		if (page_hash[qi][s].page == page)
			return (addr - page) % VNET_BUF_SIZE ? -1
			       : (int)(page_hash[qi][s].index * VNET_BUFS_PER_PAGE +
				       (addr - page) / VNET_BUF_SIZE);
	return -1;
}

/* Is a used entry at the driver's position something it must refuse? */
static bool entry_fault(const struct queue *q, uint32_t id, uint32_t len)
{
	return id >= q->vq->num || !q->inflight[id] || len > q->wlen[id];
}

/* Does the used ring, as it stands, hold a fault the driver will meet? */
static bool ring_fault(const struct queue *q)
{
	struct vq *vq = q->vq;
	uint16_t pending = (uint16_t)(vq->used->idx - vq->last_used);
	if (pending > q->count)
		return true;
	if (pending == 0)
		return false;
	const struct vring_used_elem *e = &vq->used->ring[vq->last_used & (vq->num - 1)];
	return entry_fault(q, e->id, e->len);
}

static void consume(struct queue *q, unsigned qi, uint32_t id)
{
	q->buf_posted[buf_index(qi, q->addr[id])] = false;
	q->inflight[id] = false;
	q->count--;
}

/* Take in a new available entry. */
static void post(struct queue *q, unsigned qi, uint16_t head)
{
	struct vq *vq = q->vq;
	CHECK(head < vq->num);
	CHECK(!q->inflight[head]);		/* a chain posted twice */
	const struct vring_desc *d = &vq->desc[head];
	CHECK(!(d->flags & VRING_DESC_F_NEXT));	/* vnet posts one buffer per chain */
	int b = buf_index(qi, d->addr);
	CHECK(b >= 0);
	CHECK(!q->buf_posted[b]);		/* a buffer posted twice */
	q->buf_posted[b] = true;
	if (qi == 0) {
		CHECK(d->flags == VRING_DESC_F_WRITE);
		CHECK(d->len == N->rx_buf_len);
	} else {
		CHECK(d->flags == 0);
		CHECK(d->len >= VNET_HDR_LEN + 14 && d->len <= VNET_HDR_LEN + VNET_FRAME_MAX);
	}
	q->inflight[head] = true;
	q->addr[head] = d->addr;
	q->blen[head] = d->len;
	q->wlen[head] = qi == 0 ? d->len : 0;
	q->count++;
}

/*
 * After a driver call: read what it posted and consumed. Within one call
 * a head may be consumed, reposted and (the device having completed it
 * "in advance") consumed again, so a consumed id not in flight is looked
 * for among the entries posted during the call.
 */
static void sync_queue(unsigned qi)
{
	struct queue *q = &F.q[qi];
	struct vq *vq = q->vq;
	if (!vq)
		return;
	uint16_t mask = (uint16_t)(vq->num - 1);
	uint16_t navail = (uint16_t)(vq->avail->idx - q->seen_avail);
	CHECK(navail == (uint16_t)(vq->avail_idx - q->seen_avail));
	CHECK(navail <= 2 * vq->num);
	uint16_t pending[2 * VQ_MAX_NUM];
	bool taken[2 * VQ_MAX_NUM] = { false };
	for (unsigned i = 0; i < navail; i++)
		pending[i] = vq->avail->ring[(q->seen_avail + i) & mask];
	/* Entries may have been overwritten by later ones in the same call
	   only if more than num were posted, which a queue of num cannot. */
	CHECK(navail <= vq->num);
	uint16_t nused = (uint16_t)(vq->last_used - q->seen_used);
	for (unsigned i = 0; i < nused; i++) {
		const struct vring_used_elem *e = &vq->used->ring[(q->seen_used + i) & mask];
		uint32_t id = e->id;
		CHECK(id < vq->num);		/* accepted an id out of range */
		if (!q->inflight[id]) {
			unsigned k;
			for (k = 0; k < navail && (taken[k] || pending[k] != id); k++)
				;
			CHECK(k < navail);	/* accepted an id not in flight */
			taken[k] = true;
			post(q, qi, pending[k]);
		}
		CHECK(e->len <= q->wlen[id]);	/* accepted a len above the buffer */
		consume(q, qi, id);
	}
	for (unsigned k = 0; k < navail; k++)
		if (!taken[k])
			post(q, qi, pending[k]);
	q->seen_avail = vq->avail_idx;
	q->seen_used = vq->last_used;
	CHECK(q->count == vq->in_flight);

	if (vq->broken && !q->was_broken) {
		/* Broken only for a real fault, said once. */
		CHECK(ring_fault(q));
		CHECK(broke_msgs[qi] == 1);
		q->was_broken = true;
	}
	CHECK(vq->broken == q->was_broken);
	CHECK(broke_msgs[qi] == (vq->broken ? 1 : 0));
}

static void check_driver(void)
{
	struct vnet_qp *qp = QP();
	if (!N->up) {
		CHECK(vnet_broken(N));
		return;
	}
	sync_queue(0);
	sync_queue(1);
	struct queue *rx = &F.q[0], *tx = &F.q[1];
	CHECK(rx->vq == &qp->rx && tx->vq == &qp->tx);
	if (!rx->misbehaved) {
		CHECK(!qp->rx.broken);
		CHECK(rx->count == qp->rx.num);		/* every receive buffer posted */
	}
	if (!tx->misbehaved) {
		CHECK(!qp->tx.broken);
		CHECK(qp->tx_nfree + tx->count == qp->tx_total);
	}
	CHECK(vnet_broken(N) == (qp->rx.broken || qp->tx.broken));
	/* The TX free stack: distinct TX buffers, none in flight. */
	CHECK(qp->tx_nfree <= qp->tx_total && qp->tx_total == qp->tx.num);
	bool seen[VQ_MAX_NUM] = { false };
	for (unsigned i = 0; i < qp->tx_nfree; i++) {
		int b = buf_index(1, (uint64_t)(uintptr_t)qp->tx_free[i]);
		CHECK(b >= 0 && b < (int)qp->tx_total);
		CHECK(!seen[b]);
		seen[b] = true;
	}
	for (unsigned h = 0; h < qp->tx.num; h++)
		if (tx->inflight[h]) {
			int b = buf_index(1, tx->addr[h]);
			CHECK(!seen[b]);
			seen[b] = true;
		}
}

/* ---- the input ------------------------------------------------------------------ */

static const uint8_t *in;
static size_t in_len;

static uint8_t u8(void)
{
	if (!in_len)
		return 0;
	in_len--;
	return *in++;
}

static uint16_t u16(void) { return (uint16_t)(u8() | u8() << 8); }
static uint32_t u32(void) { return (uint32_t)u16() | (uint32_t)u16() << 16; }

/* ---- device actions ------------------------------------------------------------- */

/* Take up to k chains from the available ring. */
static void dev_take(struct queue *q, unsigned k)
{
	struct vq *vq = q->vq;
	uint16_t avail = vq->avail->idx;
	/* A device that completed chains it never took may be more than a
	   ring behind: it skips what was overwritten. */
	if ((uint16_t)(avail - q->last_avail) > vq->num)
		q->last_avail = (uint16_t)(avail - vq->num);
	while (k-- && q->last_avail != avail && q->nheld < VQ_MAX_NUM) {
		uint16_t head = vq->avail->ring[q->last_avail++ & (vq->num - 1)];
		if (head < vq->num)
			q->held[q->nheld++] = head;
	}
}

static void publish(struct queue *q, bool now)
{
	if (now)
		__atomic_store_n(&q->vq->used->idx, q->used_idx, __ATOMIC_RELEASE);
}

/* Write one used entry; a fault unless it names a taken chain in flight
   with a len it may write. */
static void dev_put(struct queue *q, uint32_t id, uint32_t len)
{
	struct vq *vq = q->vq;
	struct vring_used_elem *e = &vq->used->ring[q->used_idx++ & (vq->num - 1)];
	e->id = id;
	e->len = len;
}

/* Remove held[i], returning its head. */
static uint16_t unhold(struct queue *q, unsigned i)
{
	uint16_t h = q->held[i];
	memmove(&q->held[i], &q->held[i + 1], (q->nheld - i - 1) * sizeof q->held[0]);
	q->nheld--;
	return h;
}

/* A good completion of held[i]: legal only if the driver still has the
   head in flight (a device that completed it early made this a repeat). */
static void complete_held(struct queue *q, unsigned i, uint32_t len)
{
	uint16_t h = unhold(q, i);
	if (!q->inflight[h] || len > q->wlen[h])
		q->misbehaved = true;
	dev_put(q, h, len);
}

static uint8_t pattern_byte(uint32_t seed, unsigned i)
{
	return (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* A received frame of flen bytes (after the header) over as many taken
   buffers as it needs, its header's fields from the input. */
static void dev_rx_frame(struct queue *q)
{
	uint16_t flen = u16() % 1700;
	uint8_t hflags = u8(), mode = u8();
	uint16_t cs = u16(), co = u16();
	uint32_t seed = u8();
	size_t total = VNET_HDR_LEN + flen;
	unsigned nb = 0;
	size_t left = total;
	/* Buffers needed: the first nheld ones, in order. */
	for (unsigned i = 0; i < q->nheld && left; i++, nb++) {
		uint16_t h = q->held[i];
		if (!q->inflight[h])
			break;
		left -= left < q->wlen[h] ? left : q->wlen[h];
	}
	if (nb == 0)
		return;
	struct virtio_net_hdr hdr = { 0 };
	hdr.flags = (mode & 1) ? hflags : (hflags & (VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID));
	hdr.gso_type = (mode & 2) ? (uint8_t)(hflags >> 4) : VNET_GSO_NONE;
	hdr.csum_start = cs;
	hdr.csum_offset = co;
	hdr.num_buffers = (uint16_t)((mode & 4) ? (mode >> 3) : nb);
	size_t at = 0;
	for (unsigned k = 0; k < nb; k++) {
		uint16_t h = q->held[0];
		uint8_t *b = (uint8_t *)(uintptr_t)q->addr[h];
		uint32_t cap = q->wlen[h], l = 0;
		while (l < cap && at < total) {
			b[l] = at < VNET_HDR_LEN ? ((uint8_t *)&hdr)[at]
						 : pattern_byte(seed, (unsigned)(at - VNET_HDR_LEN));
			l++, at++;
		}
		complete_held(q, 0, l);
	}
	publish(q, true);
}

static void device_step(unsigned qi, uint8_t op)
{
	struct queue *q = &F.q[qi];
	struct vq *vq = q->vq;
	if (!vq)
		return;
	switch (op % 10) {
	case 0:		/* take chains */
		dev_take(q, 1 + u8() % 64);
		break;
	case 1:		/* complete held chains, good lengths */
	{
		unsigned k = 1 + u8() % 16;
		while (k-- && q->nheld) {
			unsigned i = u8() % q->nheld;
			uint16_t h = q->held[i];
			uint32_t len = qi == 0 ? u16() % (q->wlen[h] + 1) : 0;
			complete_held(q, i, len);
		}
		publish(q, u8() & 1);
		break;
	}
	case 2:		/* a frame (rx) or a completion with len exact (both) */
		if (qi == 0)
			dev_rx_frame(q);
		else if (q->nheld) {
			complete_held(q, 0, 0);
			publish(q, true);
		}
		break;
	case 3:		/* a bad used entry */
	{
		uint8_t kind = u8();
		uint32_t id, len;
		switch (kind % 5) {
		case 0: id = vq->num + u16(); len = 0; break;	/* out of range */
		case 1:						/* not in flight */
		{
			unsigned h = u8() % vq->num, t;
			for (t = 0; t < vq->num && q->inflight[(h + t) % vq->num]; t++)
				;
			id = (h + t) % vq->num, len = 0;
			break;
		}
		case 2:						/* len too long */
		{
			unsigned h = u8() % vq->num;
			id = h, len = q->wlen[h] + 1 + u16();
			break;
		}
		case 3:						/* again: a repeat */
			id = vq->used->ring[(uint16_t)(q->used_idx - 1) & (vq->num - 1)].id;
			len = vq->used->ring[(uint16_t)(q->used_idx - 1) & (vq->num - 1)].len;
			break;
		default: id = u32(), len = u32(); break;		/* anything */
		}
		/* Even one the driver cannot tell from a good one (an id in
		   flight the device never took) is the device's misbehaviour. */
		q->misbehaved = true;
		dev_put(q, id, len);
		publish(q, true);
		break;
	}
	case 4:		/* move used->idx */
	{
		int16_t delta = (int16_t)u16();
		if (u8() & 1)
			delta = (int16_t)(delta % 8);
		if (delta)
			q->misbehaved = true;
		q->used_idx = (uint16_t)(q->used_idx + delta);
		publish(q, true);
		break;
	}
	case 5:		/* avail_event and used->flags: hints only */
		*vq_avail_event(vq) = u16();
		vq->used->flags = u16();
		break;
	case 6:		/* scribble on a used slot past what was written */
	{
		/* Harmless only in the free part of the ring: not aliasing an
		   entry written and not yet consumed. */
		uint16_t ahead = (uint16_t)(u8() % vq->num);
		uint16_t written = (uint16_t)(q->used_idx - vq->last_used);
		if (written >= vq->num || ahead >= vq->num - written)
			q->misbehaved = true;
		struct vring_used_elem *e = &vq->used->ring[(q->used_idx + ahead) & (vq->num - 1)];
		e->id = u32(), e->len = u32();
		break;
	}
	case 7:		/* scribble on the descriptor table: never read back */
	{
		struct vring_desc *d = &vq->desc[u8() % vq->num];
		d->addr = (uint64_t)u32() << 8;
		d->len = u32();
		d->flags = u16();
		d->next = u16();
		/* The oracle reads a chain at its posting, so a scribble on a
		   free descriptor is overwritten by the driver, and one on a
		   posted descriptor is never seen. */
		break;
	}
	case 8:		/* an interrupt */
		F.intr.queue_fn(F.intr.queue_arg[qi]);
		break;
	case 9:		/* publish what was written */
		publish(q, true);
		break;
	}
}

/* ---- driver calls ------------------------------------------------------------- */

static unsigned delivered;

static void deliver(void *ctx, const void *frame, size_t len, unsigned flags)
{
	(void)ctx, (void)flags;
	struct vnet_qp *qp = QP();
	struct queue *q = &F.q[0];
	struct vq *vq = &qp->rx;
	uint16_t mask = (uint16_t)(vq->num - 1);
	delivered++;
	CHECK(len >= 14 && len <= VNET_FRAME_MAX);
	/* The entries of this frame are the last ones consumed: find them in
	   the oracle's record (not yet synced: it still has their buffers). */
	const struct vring_used_elem *last = &vq->used->ring[(uint16_t)(vq->last_used - 1) & mask];
	if (frame != qp->bounce) {
		CHECK(last->id < vq->num);
		CHECK((const uint8_t *)frame == (uint8_t *)(uintptr_t)q->addr[last->id] + VNET_HDR_LEN);
		CHECK(len + VNET_HDR_LEN == last->len);
		return;
	}
	/* Gathered: the last nb entries, nb from the first one's header. A
	   later buffer's bytes may look like a header too: some nb fits. */
	for (unsigned nb = 2; nb <= vq->num; nb++) {
		const struct vring_used_elem *e0 = &vq->used->ring[(uint16_t)(vq->last_used - nb) & mask];
		const struct virtio_net_hdr *h = (const void *)(uintptr_t)q->addr[e0->id];
		if (e0->id >= vq->num || h->num_buffers != nb || e0->len < VNET_HDR_LEN)
			continue;
		size_t at = 0;
		bool same = true;
		unsigned k;
		for (k = nb; k >= 1 && same; k--) {
			const struct vring_used_elem *e = &vq->used->ring[(uint16_t)(vq->last_used - k) & mask];
			const uint8_t *b = (const uint8_t *)(uintptr_t)q->addr[e->id];
			size_t skip = k == nb ? VNET_HDR_LEN : 0;
			if (e->id >= vq->num || e->len < skip)
				break;
			same = at + e->len - skip <= len &&
			       !memcmp((const uint8_t *)frame + at, b + skip, e->len - skip);
			at += e->len - skip;
		}
		if (same && k == 0 && at == len)
			return;
	}
	CHECK(!"a gathered frame is not the bytes of the buffers it came in");
}

static void drv_tx(void)
{
	static uint8_t frame[2048];
	uint16_t len = u16() % 1600;
	if (u8() & 1)
		len = (uint16_t)(60 + len % 1455);
	unsigned nf = 1 + u8() % 3;
	uint32_t seed = u8();
	uint8_t shape = u8();
	for (unsigned i = 0; i < len; i++)
		frame[i] = pattern_byte(seed, i);
	/* TCP over IPv4 or IPv6, for the CSUM offload's header parsing: the
	   lengths in the headers from the input, right or wrong. */
	if ((shape & 3) == 1 && len >= 34) {
		frame[12] = 0x08, frame[13] = 0x00;
		frame[14] = (uint8_t)(0x40 | ((shape & 4) ? 5 : (shape >> 4)));
		uint16_t tot = (shape & 8) ? (uint16_t)(len - 14) : u16();
		frame[16] = (uint8_t)(tot >> 8), frame[17] = (uint8_t)tot;
		frame[20] = frame[21] = 0;
		frame[23] = 6;
	} else if ((shape & 3) == 2 && len >= 74) {
		frame[12] = 0x86, frame[13] = 0xdd;
		uint16_t plen = (shape & 8) ? (uint16_t)(len - 54) : u16();
		frame[18] = (uint8_t)(plen >> 8), frame[19] = (uint8_t)plen;
		frame[20] = 6;
	}
	struct vnet_frag fr[3];
	size_t cut1 = nf > 1 ? len / 3 : len, cut2 = nf > 2 ? 2 * len / 3 : len;
	fr[0] = (struct vnet_frag){ frame, cut1 };
	fr[1] = (struct vnet_frag){ frame + cut1, cut2 - cut1 };
	fr[2] = (struct vnet_frag){ frame + cut2, len - cut2 };
	bool was_broken = N->up && QP()->tx.broken;
	uint16_t before = N->up ? QP()->tx.avail_idx : 0;
	int r = vnet_tx(N, fr, (int)nf);
	if (!N->up) {
		CHECK(r == -EIO || r == -EMSGSIZE || r == -EINVAL);
		return;
	}
	struct vq *vq = &QP()->tx;
	if (len > VNET_FRAME_MAX)
		CHECK(r == -EMSGSIZE);
	else if (len < 14)
		CHECK(r == -EINVAL);
	else if (was_broken)
		CHECK(r == -EIO);
	else
		CHECK(r == 0 || r == -EAGAIN || (r == -EIO && vq->broken));
	if (r == 0) {
		CHECK((uint16_t)(vq->avail_idx - before) == 1);
		uint16_t head = vq->avail->ring[before & (vq->num - 1)];
		CHECK(head < vq->num);
		const struct vring_desc *d = &vq->desc[head];
		CHECK(d->len == VNET_HDR_LEN + len);
		const uint8_t *b = (const uint8_t *)(uintptr_t)d->addr;
		CHECK(buf_index(1, d->addr) >= 0);
		/* The header and its checksum fields are the driver's business;
		   with CSUM the TCP checksum bytes may change too. */
		const struct virtio_net_hdr *h = (const void *)b;
		if (!(h->flags & VNET_HDR_F_NEEDS_CSUM)) {
			CHECK(!memcmp(b + VNET_HDR_LEN, frame, len));
		} else {
			/* Offloaded: only the TCP checksum field may differ. */
			CHECK(virtio_has(N->dev, VIRTIO_NET_F_CSUM) && h->csum_offset == 16);
			size_t at = h->csum_start + 16u;
			CHECK(at + 2 <= len);
			CHECK(!memcmp(b + VNET_HDR_LEN, frame, at));
			CHECK(!memcmp(b + VNET_HDR_LEN + at + 2, frame + at + 2, len - at - 2));
		}
	} else {
		CHECK(vq->avail_idx == before);
	}
}

static void driver_step(uint8_t op)
{
	struct vnet_qp *qp = QP();
	switch (op % 8) {
	case 0:
	case 1:		/* receive */
	{
		int budget = 1 + u8() % 64;
		bool was_broken = N->up && qp->rx.broken;
		unsigned d0 = delivered;
		int r = vnet_rx_poll(N, budget, deliver, NULL);
		CHECK(r >= 0 && r <= budget && (unsigned)r == delivered - d0);
		if (was_broken || !N->up)
			CHECK(r == 0);
		break;
	}
	case 2:
		drv_tx();
		break;
	case 3:
		vnet_tx_reclaim(N);
		break;
	case 4:		/* back to interrupt mode */
	{
		bool busy = vnet_rx_irq_enable(N);
		if (N->up && !busy && !qp->rx.broken)
			CHECK(qp->rx.used->idx == qp->rx.last_used);
		if (N->up && !busy)
			CHECK(!qp->irq_off);
		break;
	}
	case 5:
		vnet_rx_irq_disable(N);
		break;
	case 6:
		(void)vnet_rx_waiting(N);
		break;
	case 7:		/* restart, the device possibly failing a step */
	{
		static const unsigned lens[8] = { 0, 64, 100, 512, 1526, 2048, 63, 4096 };
		uint8_t how = u8();
		unsigned len = lens[how & 7];
		F.fail_reset = how & 0x08;
		F.fail_setup = how & 0x10;
		F.fail_features = how & 0x20;
		F.fail_intr = how & 0x40;
		int r = vnet_restart(N, len);
		if ((len && len < VNET_RX_BUF_MIN) || len > VNET_BUF_SIZE)
			CHECK(r == -EINVAL);
		F.fail_reset = F.fail_setup = F.fail_features = F.fail_intr = false;
		CHECK((r == 0) == N->up || (r == -EINVAL));
		if (r == 0) {
			CHECK(!vnet_broken(N));
			CHECK(qp->tx_nfree == qp->tx_total);
		}
		break;
	}
	}
	if (N->up)
		check_driver();
}

/* The whole of an input's device side, between driver calls. */
static void config_step(uint8_t op)
{
	switch (op % 3) {
	case 0:		/* link status changes, with its interrupt */
		F.cfg[VNET_CFG_STATUS] = u8();
		F.cfg[VNET_CFG_STATUS + 1] = u8();
		F.gen++;
		if (F.intr.config_fn)
			F.intr.config_fn(F.intr.config_arg);
		if (N->up && virtio_has(N->dev, VIRTIO_NET_F_STATUS))
			CHECK(vnet_link_up(N) == (F.cfg[VNET_CFG_STATUS] & VNET_S_LINK_UP));
		break;
	case 1:		/* MAC bytes and an unstable generation, for the next restart */
		for (unsigned i = 0; i < 6; i++)
			F.cfg[i] = u8();
		F.gen_unstable = u8() & 1;
		break;
	case 2:		/* a time step: drop messages are rate-limited by time */
		clock_ns += (uint64_t)u16() * 1000000;
		break;
	}
}

static void drain_and_check(void)
{
	if (!N->up)
		return;
	struct vnet_qp *qp = QP();
	int r = vnet_rx_poll(N, 1024, deliver, NULL);
	(void)r;
	vnet_tx_reclaim(N);
	check_driver();
	for (unsigned qi = 0; qi < 2; qi++) {
		struct queue *q = &F.q[qi];
		struct vq *vq = q->vq;
		if (vq->broken)
			continue;
		/* Not broken: nothing the device published is a fault, and all
		   of it has been consumed. */
		CHECK(!ring_fault(q));
		CHECK(vq->used->idx == vq->last_used);
	}
	(void)qp;
}

static const uint64_t feature_bits[8] = {
	VIRTIO_BIT(VIRTIO_NET_F_MAC), VIRTIO_BIT(VIRTIO_NET_F_STATUS),
	VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF), VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
	VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM), VIRTIO_BIT(VIRTIO_NET_F_CSUM),
	VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4), VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ),
};
static const unsigned queue_sizes[16] = { 256, 256, 4, 8, 1, 2, 3, 16,
					  32, 5, 64, 128, 1000, 7, 0, 256 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	in = data, in_len = size;
	memset(&F, 0, sizeof F);
	memset(broke_msgs, 0, sizeof broke_msgs);
	memset(vnets, 0, sizeof vnets);
	nvnets = 0, probed = false;
	hashed_npages = 0;
	delivered = 0;

	/* The device: features, transport flavour, queue sizes, link. */
	uint8_t fb = u8(), kind = u8(), qs = u8(), link = u8();
	F.dev.ops = &f_ops;
	snprintf(F.dev.name, sizeof F.dev.name, "virtio-fake");
	F.dev.device_id = VIRTIO_ID_NET;
	F.dev.legacy = (kind & 0x0f) == 1;
	F.offered = (kind & 0x0f) == 2 ? 0 : VIRTIO_BIT(VIRTIO_F_VERSION_1);
	for (unsigned i = 0; i < 8; i++)
		if (fb & (1u << i))
			F.offered |= feature_bits[i];
	F.qmax[0] = queue_sizes[qs & 15];
	F.qmax[1] = queue_sizes[qs >> 4];
	memcpy(F.cfg, "\x52\x54\x00\x12\x34\x56", 6);
	F.cfg[VNET_CFG_STATUS] = link & 1;

	struct vnet *devs[1];
	int nd = vnet_probe(devs, 1);
	vnet_fence_by_io = false;	/* no port I/O on the host */
	if (nd == 1) {
		N = devs[0];
		vnet_set_irq_callback(N, cb_count, NULL);
		unsigned len = (kind >> 4) * 128;
		if (len >= VNET_RX_BUF_MIN && len != VNET_BUF_SIZE)
			CHECK(vnet_restart(N, len) == 0 || !N->up);
		if (N->up)
			check_driver();
		for (unsigned steps = 0; in_len && steps < 4096; steps++) {
			uint8_t op = u8();
			if (verbose)
				fprintf(stderr, "step %u: %s %u\n", steps,
					(const char *[]){ "rx device", "tx device", "driver", "config" }[op >> 6],
					op & 0x3f);
			switch (op >> 6) {
			case 0: if (N->up) device_step(0, op & 0x3f); break;
			case 1: if (N->up) device_step(1, op & 0x3f); break;
			case 2: driver_step(op & 0x3f); break;
			case 3: config_step(op & 0x3f); break;
			}
		}
		drain_and_check();
	}
	pages_release_all();
	return 0;
}
