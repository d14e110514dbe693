/*
 * kernel/virtio/virtqueue.c — virtio split virtqueues.
 *
 * Concepts. The descriptor table holds buffers (address, length, flags,
 * next); a buffer handed to the device is a chain of descriptors, named
 * by its first ("head"). The available ring is the driver's queue of
 * heads to the device, the used ring the device's queue of finished heads
 * (with the bytes it wrote) back to the driver. Both rings are indexed by
 * free-running 16-bit counters: the slot for index i is i % num, and
 * because num is a power of two that divides 65536, wrap-around of the
 * counter never disturbs the slot order. Counters are compared only by
 * differences, in uint16_t.
 *
 * Ownership.
 *   - A descriptor on the free list is the driver's alone.
 *   - vq_add fills descriptors and an avail slot (still private: the
 *     device reads only slots below avail->idx), then stores avail->idx:
 *     from that store on, the chain and its buffers are the device's. The
 *     driver does not touch them until...
 *   - ...the device stores a used element naming the head and then
 *     used->idx. The driver reads used->idx, then the element, and the
 *     chain (and its buffers) are the driver's again.
 *   The driver's bookkeeping (tokens, free-list links, chain lengths,
 *   writable bytes) lives in vq_state, which the device never sees: the
 *   descriptor table is written, never read back, so a device scribbling
 *   on it cannot corrupt the free list. Every value read from the device
 *   (used idx, id, len) is checked before it is used as an index or
 *   trusted as a length; see "Broken" below.
 *
 * Memory barriers. The device is another processor (QEMU's I/O thread, or
 * a vhost thread) sharing memory coherently, so these are SMP barriers.
 * x86 is TSO: stores are not reordered with stores, loads not with loads,
 * but a load may pass an earlier store (the store buffer). Hence:
 *   1. Publish (vq_add): descriptors and the ring slot before avail->idx.
 *      Store->store: a release store; on x86 only a compiler barrier (on a
 *      weak machine, Linux's virtio_wmb).
 *   2. Kick decision (vq_kick_prepare): avail->idx is stored, then
 *      avail_event (or used->flags) is loaded. Store->load: a full fence
 *      (mfence). Without it the load could see the device's old
 *      avail_event while our idx sits in the store buffer; the device, not
 *      seeing the new idx, goes idle having asked to be kicked, and we
 *      decide not to: a lost notification. (Linux's virtio_mb.)
 *   3. Consume (vq_get_used): load used->idx, then the used element.
 *      Load->load: an acquire load; on x86 a compiler barrier.
 *   4. Re-arm (vq_enable_cb, and vq_get_used while callbacks are on):
 *      store used_event (or clear NO_INTERRUPT), then load used->idx to
 *      see what arrived before the device could read our store.
 *      Store->load again: a full fence. Without it an entry completed in
 *      that window would raise no interrupt and not be seen by the
 *      re-check: a lost wake-up.
 *   Fields the device writes are read with atomic loads and fields it
 *   reads are written with atomic stores (READ_ONCE/WRITE_ONCE), so the
 *   compiler neither caches, tears nor drops them. The notify itself is
 *   an uncached MMIO write, which x86 keeps in order after the stores.
 *
 * Notification suppression (VIRTIO_F_EVENT_IDX). Each side publishes the
 * index at which it wants to hear from the other: used_event (after the
 * avail ring) for interrupts, avail_event (after the used ring) for kicks.
 * Moving an index from old to new warrants a notification exactly when
 * the event index lies in [old, new): vq_need_event. Without EVENT_IDX
 * the two flags (NO_INTERRUPT, NO_NOTIFY) are the cruder on/off form.
 *   - Callbacks on: used_event = last_used, re-armed after every consumed
 *     entry, so the device interrupts at the first entry we have not seen.
 *   - Callbacks off: used_event = last_used - 1. The device's "old" is at
 *     least the index it last signalled and we have consumed up to
 *     last_used, so last_used - 1 is behind every future [old, new) window
 *     and no interrupt is asked for. (Linux writes 0, by its own comment a
 *     hack: 0 is hit again after every 65536 entries.) A device whose
 *     remembered "old" is older than last_used may still interrupt once:
 *     suppression is a hint, never a guarantee.
 *
 * Broken. A device that writes a used id >= num, an id that is not the
 * head of a chain in flight (never added, not a head, or completed twice),
 * a len above the chain's device-writable bytes, or a used idx more than
 * in_flight ahead of what we consumed, has broken the protocol; trusting
 * it further would free descriptors twice or hand a caller bytes that
 * were never written. The queue is marked broken, a line names the queue
 * and the fault, and every later operation refuses (vq_detach_unused and
 * vq_free excepted, for teardown after a reset). What no check can see: a
 * device that completes a head the driver has already reposted (a repeat
 * after the reuse, or a chain it never took) completes, as far as the
 * ring says, the new chain; the buffer is the driver's again either way,
 * so memory stays safe, but the caller gets stale bytes (receive) or
 * reuses a buffer the device may still read (transmit).
 * tests/fuzz/fuzz_virtqueue.c checks all of this against a fuzzed device.
 *
 * Rejected: indirect descriptors (an allocation per chain; network chains
 * are one or two buffers); the packed ring (every virtio 1.0 device has
 * the split ring, and its rules are simpler to check); a lock inside the
 * queue (the driver already serializes under its own, and the interrupt
 * path masks its vector instead of touching the queue); keeping the free
 * list in the shared table (the device could corrupt it).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "kernel/virtio/virtqueue.h"
#include "kernel/atomic.h"
#include "kernel/console.h"
#include "kernel/page.h"

void vq_mark_broken(struct vq *vq, const char *why)
{
	if (!vq->broken)
		kprintf("virtqueue %s (queue %u): %s; queue marked broken, no further use\n",
			vq->name, vq->index, why);
	vq->broken = true;
}

/* The device broke the protocol: say what, with numbers. */
#define device_broke(vq, fmt, ...)						\
	do {									\
		if (!(vq)->broken)						\
			kprintf("virtqueue %s (queue %u): device broke the protocol: " \
				fmt "; queue marked broken, no further use\n",	\
				(vq)->name, (vq)->index, __VA_ARGS__);		\
		(vq)->broken = true;						\
	} while (0)

static void *page(void)
{
	return (void *)(uintptr_t)page_alloc();
}

/* Everything but the rings' memory. */
static void vq_init_state(struct vq *vq, const char *name, uint16_t index, unsigned num,
			  bool event_idx)
{
	size_t n = strlen(name);
	if (n >= sizeof vq->name)
		n = sizeof vq->name - 1;
	memcpy(vq->name, name, n);
	vq->index = index;
	vq->num = (uint16_t)num;
	vq->event_idx = event_idx;
	vq->num_free = (uint16_t)num;
	for (unsigned i = 0; i + 1 < num; i++)
		vq->st->next[i] = (uint16_t)(i + 1);
	/* Zeroed pages: flags 0 and used_event 0 = interrupt at the first
	   used entry, so callbacks start enabled. */
	vq->cb_enabled = true;
}

int vq_init(struct vq *vq, const char *name, uint16_t index, unsigned num, bool event_idx)
{
	if (num == 0 || num > VQ_MAX_NUM || (num & (num - 1)))
		return -EINVAL;
	memset(vq, 0, sizeof *vq);
	vq->desc = page();
	vq->avail = page();
	vq->used = page();
	vq->st = page();
	if (!vq->desc || !vq->avail || !vq->used || !vq->st) {
		vq_free(vq);
		return -ENOMEM;
	}
	vq_init_state(vq, name, index, num, event_idx);
	return 0;
}

int vq_init_legacy(struct vq *vq, const char *name, uint16_t index, unsigned num, bool event_idx)
{
	if (num == 0 || num > VQ_MAX_NUM || (num & (num - 1)))
		return -EINVAL;
	memset(vq, 0, sizeof *vq);
	uint8_t *b = (uint8_t *)(uintptr_t)page_alloc_contig(VQ_LEGACY_PAGES);
	vq->st = page();
	if (!b || !vq->st) {
		if (b)
			for (unsigned i = 0; i < VQ_LEGACY_PAGES; i++)
				page_free((uint64_t)(uintptr_t)(b + 4096 * i));
		vq_free(vq);
		return -ENOMEM;
	}
	size_t avail_end = 16 * num + 6 + 2 * num;	/* flags, idx, ring, used_event */
	vq->ring_block = b;
	vq->desc = (struct vring_desc *)b;
	vq->avail = (struct vring_avail *)(b + 16 * num);
	vq->used = (struct vring_used *)(b + ((avail_end + VQ_LEGACY_ALIGN - 1) &
					      ~(size_t)(VQ_LEGACY_ALIGN - 1)));
	vq_init_state(vq, name, index, num, event_idx);
	return 0;
}

void vq_free(struct vq *vq)
{
	if (vq->ring_block) {
		for (unsigned i = 0; i < VQ_LEGACY_PAGES; i++)
			page_free((uint64_t)(uintptr_t)vq->ring_block + 4096 * i);
		vq->desc = NULL, vq->avail = NULL, vq->used = NULL;
		vq->ring_block = NULL;
	}
	void *p[] = { vq->desc, vq->avail, vq->used, vq->st };
	for (unsigned i = 0; i < 4; i++)
		if (p[i])
			page_free((uint64_t)(uintptr_t)p[i]);
	vq->desc = NULL, vq->avail = NULL, vq->used = NULL, vq->st = NULL;
}

/* Is the chain well formed: non-empty buffers, readable ones first,
   writable bytes countable in 32 bits? Returns its writable bytes, or
   -1. */
static int64_t chain_wlen(const struct vq_buf *b, unsigned n)
{
	uint64_t w = 0;
	bool seen_write = false;
	for (unsigned i = 0; i < n; i++) {
		if (!b[i].len || (seen_write && !b[i].device_writes))
			return -1;
		seen_write |= b[i].device_writes;
		if (b[i].device_writes)
			w += b[i].len;
	}
	return w > UINT32_MAX ? -1 : (int64_t)w;
}

int vq_add(struct vq *vq, const struct vq_buf *b, unsigned n, void *token)
{
	if (vq->broken)
		return -EIO;
	int64_t wlen = chain_wlen(b, n);
	if (n == 0 || !token || wlen < 0)
		return -EINVAL;
	if (n > vq->num_free)
		return -ENOSPC;

	struct vq_state *st = vq->st;
	uint16_t head = vq->free_head, i = head;
	for (unsigned k = 0; k < n; k++) {
		struct vring_desc *d = &vq->desc[i];
		uint16_t next = st->next[i];
		d->addr = b[k].addr;
		d->len = b[k].len;
		d->flags = (uint16_t)((b[k].device_writes ? VRING_DESC_F_WRITE : 0) |
				      (k + 1 < n ? VRING_DESC_F_NEXT : 0));
		d->next = k + 1 < n ? next : 0;
		if (k + 1 < n)
			i = next;
		else
			vq->free_head = next;	/* st->next[i] keeps the old link */
	}
	vq->num_free = (uint16_t)(vq->num_free - n);
	st->token[head] = token;
	st->ndesc[head] = (uint16_t)n;
	st->wlen[head] = (uint32_t)wlen;
	vq->in_flight++;

	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
	vq->avail_idx++;
	vq->added_since_kick++;
	/* Barrier 1: the chain and the slot before the index. */
	a_store_release(&vq->avail->idx, vq->avail_idx);
	return 0;
}

bool vq_kick_prepare(struct vq *vq)
{
	if (vq->broken || vq->added_since_kick == 0)
		return false;
	uint16_t old = vq->kicked_idx, new = vq->avail_idx;
	bool many = vq->added_since_kick >= 0xffff;	/* old..new is ambiguous */
	vq->kicked_idx = new;
	vq->added_since_kick = 0;
	a_fence();		/* barrier 2: avail->idx before the event read */
	bool need;
	if (vq->event_idx)
		need = many || vq_need_event(a_load_relaxed(vq_avail_event(vq)), new, old);
	else
		need = !(a_load_relaxed(&vq->used->flags) & VRING_USED_F_NO_NOTIFY);
	if (!need)
		vq->nkicks_suppressed++;
	return need;
}

bool vq_kick(struct vq *vq)
{
	if (!vq_kick_prepare(vq))
		return false;
	vq->nkicks++;
	vq->notify(vq);
	return true;
}

/* Return head's chain to the free list. */
static void free_chain(struct vq *vq, uint16_t head)
{
	struct vq_state *st = vq->st;
	uint16_t last = head;
	for (unsigned k = 1; k < st->ndesc[head]; k++)
		last = st->next[last];
	st->next[last] = vq->free_head;
	vq->free_head = head;
	vq->num_free = (uint16_t)(vq->num_free + st->ndesc[head]);
	st->token[head] = NULL;
	vq->in_flight--;
}

/* How many used entries are pending; marks the queue broken (and
   returns 0) when the device's index ran ahead of what is in flight. */
static uint16_t used_pending(struct vq *vq)
{
	uint16_t idx = a_load_acquire(&vq->used->idx);	/* barrier 3 */
	uint16_t pending = (uint16_t)(idx - vq->last_used);
	if (pending > vq->in_flight) {
		device_broke(vq, "used idx jumped from %u to %u (%u new entries) with only %u "
			     "buffers in flight (ring size %u)", vq->last_used, idx, pending,
			     vq->in_flight, vq->num);
		return 0;
	}
	return pending;
}

void *vq_get_used(struct vq *vq, uint32_t *len)
{
	if (vq->broken || used_pending(vq) == 0)
		return NULL;
	struct vring_used_elem *e = &vq->used->ring[vq->last_used & (vq->num - 1)];
	uint32_t id = a_load_relaxed(&e->id);
	uint32_t l = a_load_relaxed(&e->len);
	if (id >= vq->num) {
		device_broke(vq, "used entry %u has id %u, out of range (ring size %u)",
			     vq->last_used, id, vq->num);
		return NULL;
	}
	void *token = vq->st->token[id];
	if (!token) {
		device_broke(vq, "used entry %u has id %u, which is not a buffer in flight "
			     "(never added, not a chain head, or completed twice)", vq->last_used, id);
		return NULL;
	}
	if (l > vq->st->wlen[id]) {
		device_broke(vq, "used entry %u (id %u) has len %u, more than the %u bytes the "
			     "device may write", vq->last_used, id, l, vq->st->wlen[id]);
		return NULL;
	}
	free_chain(vq, (uint16_t)id);
	vq->last_used++;
	if (vq->event_idx && vq->cb_enabled) {
		a_store_relaxed(vq_used_event(vq), vq->last_used);
		a_fence();	/* barrier 4: before the next used->idx load */
	}
	if (len)
		*len = l;
	return token;
}

bool vq_has_used(struct vq *vq)
{
	return !vq->broken && used_pending(vq) != 0;
}

void vq_disable_cb(struct vq *vq)
{
	vq->cb_enabled = false;
	if (vq->event_idx)
		a_store_relaxed(vq_used_event(vq), (uint16_t)(vq->last_used - 1));
	else
		a_store_relaxed(&vq->avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
}

bool vq_enable_cb(struct vq *vq)
{
	if (vq->broken)
		return false;
	vq->cb_enabled = true;
	if (vq->event_idx)
		a_store_relaxed(vq_used_event(vq), vq->last_used);
	else
		a_store_relaxed(&vq->avail->flags, 0);
	a_fence();		/* barrier 4: the request before the re-check */
	return vq_has_used(vq);
}

void *vq_detach_unused(struct vq *vq)
{
	for (unsigned id = 0; id < vq->num; id++) {
		void *token = vq->st->token[id];
		if (token) {
			free_chain(vq, (uint16_t)id);
			return token;
		}
	}
	return NULL;
}
