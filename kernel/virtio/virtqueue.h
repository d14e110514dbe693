/*
 * kernel/virtio/virtqueue.h — virtio split virtqueues (virtio 1.0
 * section 2.4).
 *
 * A virtqueue is three areas in memory shared with the device: the
 * descriptor table (buffers), the available ring (driver -> device: "these
 * chains are yours") and the used ring (device -> driver: "done, this many
 * bytes written"). virtqueue.c explains ownership, barriers and
 * notification suppression.
 *
 * Call order:
 *   vq_init(vq, name, index, num, event_idx)      rings zeroed, callbacks on
 *   transport programs the rings (virtio_ops.queue_setup; sets vq->notify)
 *   vq_add(...) any number of times, then vq_kick  (or vq_kick_prepare and
 *                                                   notify by hand)
 *   vq_get_used(vq, &len) until NULL              (reclaim completions)
 *   vq_disable_cb / vq_enable_cb                  interrupt suppression;
 *                                                 enable returns true when
 *                                                 more work arrived: poll
 *                                                 again before sleeping
 *   after the device is reset: vq_detach_unused until NULL, then vq_free
 *
 * Locking: none inside. All calls on one queue must be serialized by the
 * caller (the driver's lock, or one owner). An interrupt handler that
 * cannot take that lock masks its interrupt (virtio_ops.intr_mask) rather
 * than calling vq_disable_cb.
 *
 * Broken queues: a device that breaks the protocol (a used id out of
 * range or not in flight, a length above what the buffer can hold, a
 * used index that runs ahead of what is in flight) marks the queue broken
 * with a message on the console. A broken queue refuses vq_add (-EIO),
 * returns nothing from vq_get_used, never asks for a kick, and reports
 * nothing pending from vq_enable_cb; only vq_detach_unused and vq_free
 * still work, for teardown after a device reset.
 *
 * Memory: four zeroed pages from page_alloc (descriptor table, available
 * ring, used ring, driver-private per-descriptor state). Weft identity-maps
 * physical memory, so a ring's device address is its virtual address; the
 * same holds for buffer addresses given to vq_add. Rings hold at most
 * VQ_MAX_NUM entries so that each area fits one page. All fields are
 * little-endian, the order of x86 and of virtio 1.0: no byte swapping.
 */
#ifndef KERNEL_VIRTIO_VIRTQUEUE_H
#define KERNEL_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#define VQ_MAX_NUM	256	/* 256 * 16-byte descriptors = one page */

/* ---- the shared structures, as the virtio spec lays them out ---------- */

#define VRING_DESC_F_NEXT	1	/* `next` continues the chain */
#define VRING_DESC_F_WRITE	2	/* device writes (else reads) the buffer */
#define VRING_DESC_F_INDIRECT	4	/* not used: no VIRTIO_F_INDIRECT_DESC */

struct vring_desc {
	uint64_t addr;		/* driver: buffer's physical address */
	uint32_t len;		/* driver: buffer's length in bytes */
	uint16_t flags;		/* driver: VRING_DESC_F_* */
	uint16_t next;		/* driver: next descriptor when F_NEXT */
};

#define VRING_AVAIL_F_NO_INTERRUPT 1	/* without EVENT_IDX: "don't interrupt" */

struct vring_avail {
	uint16_t flags;		/* driver: VRING_AVAIL_F_NO_INTERRUPT or 0 */
	uint16_t idx;		/* driver: free-running count of heads made
				   available; ring[idx % num] is the next slot */
	uint16_t ring[];	/* driver: heads of chains, in order; after
				   ring[num] comes used_event (driver writes:
				   "interrupt me when used idx passes this") */
};

struct vring_used_elem {
	uint32_t id;		/* device: head of the chain it finished */
	uint32_t len;		/* device: bytes it wrote into the chain */
};

#define VRING_USED_F_NO_NOTIFY	1	/* without EVENT_IDX: "don't kick me" */

struct vring_used {
	uint16_t flags;		/* device: VRING_USED_F_NO_NOTIFY or 0 */
	uint16_t idx;		/* device: free-running count of used entries */
	struct vring_used_elem ring[];	/* device: completions; after ring[num]
					   comes avail_event (device writes:
					   "kick me when avail idx passes this") */
};

/* ---- the driver's side ---------------------------------------------------- */

/* One buffer of a chain for vq_add: readable (driver -> device) buffers
   must all come before writable (device -> driver) ones. */
struct vq_buf {
	uint64_t addr;		/* physical (= virtual) address */
	uint32_t len;		/* bytes, > 0 */
	bool device_writes;	/* true: the device fills it */
};

/* Driver-private state per descriptor; never shared with the device, so a
   device cannot corrupt the free list by scribbling on the table. */
struct vq_state {
	void *token[VQ_MAX_NUM];	/* by head: caller's token; NULL = not in flight */
	uint16_t next[VQ_MAX_NUM];	/* free list link, and chain link in flight */
	uint16_t ndesc[VQ_MAX_NUM];	/* by head: descriptors in the chain */
	uint32_t wlen[VQ_MAX_NUM];	/* by head: device-writable bytes */
};

struct vq {
	/* Shared with the device (see the structures above). */
	struct vring_desc *desc;	/* num entries */
	struct vring_avail *avail;
	struct vring_used *used;

	/* Driver-private; the caller serializes all access. */
	char name[32];			/* for messages: "virtio-net@00:02.0 rx0" */
	uint16_t index;			/* queue number in the device */
	uint16_t num;			/* entries: a power of two <= VQ_MAX_NUM */
	bool event_idx;			/* VIRTIO_F_EVENT_IDX negotiated */
	bool cb_enabled;		/* driver wants used-buffer interrupts */
	bool broken;			/* device broke the protocol: no more use */
	uint16_t free_head;		/* first free descriptor */
	uint16_t num_free;		/* descriptors on the free list */
	uint16_t in_flight;		/* chains added and not yet used */
	uint16_t avail_idx;		/* shadow of avail->idx (we alone write it) */
	uint16_t kicked_idx;		/* avail_idx at the last kick decision */
	uint32_t added_since_kick;	/* chains since then (index ambiguity) */
	uint16_t last_used;		/* next used entry to consume */
	struct vq_state *st;
	void *ring_block;		/* vq_init_legacy: the rings' one block */

	/* Set by the transport: tell the device about new buffers. */
	void (*notify)(struct vq *vq);
	void *transport;		/* transport's per-queue data */

	/* Counters for benchmarks: kicks sent, kicks the device waived. */
	uint64_t nkicks, nkicks_suppressed;
};

/*
 * The event-index rule (vring_need_event): after moving an index from
 * `old` to `new`, must the other side be told, given that it asked to be
 * told when the index passes `event` (i.e. becomes event + 1)? True when
 * event lies in [old, new), in 16-bit modular arithmetic.
 */
static inline bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/* Where the spec puts the two event fields: after each ring. */
static inline uint16_t *vq_used_event(struct vq *vq) { return &vq->avail->ring[vq->num]; }
static inline uint16_t *vq_avail_event(struct vq *vq) { return (uint16_t *)&vq->used->ring[vq->num]; }

/* Allocate and initialize the rings: num a power of two in [1, VQ_MAX_NUM].
   Returns 0, -EINVAL or -ENOMEM. */
int vq_init(struct vq *vq, const char *name, uint16_t index, unsigned num, bool event_idx);
/* The same, laid out as legacy virtio (section 2.4.2 of virtio 1.0, the
   legacy interface): descriptor table, available ring and, at the next
   4096-byte boundary, the used ring, in one block of VQ_LEGACY_PAGES
   contiguous pages whose first page number the device is given
   (virtio-mmio version 1's QueuePFN). */
#define VQ_LEGACY_ALIGN	4096
#define VQ_LEGACY_PAGES	3
int vq_init_legacy(struct vq *vq, const char *name, uint16_t index, unsigned num, bool event_idx);
/* Give the rings back. The device must no longer use them (reset). */
void vq_free(struct vq *vq);

/* Add one chain of n buffers, identified by a non-NULL token returned
   from vq_get_used. Returns 0, -ENOSPC (fewer than n free descriptors),
   -EINVAL (bad chain: empty, zero length, readable after writable, NULL
   token) or -EIO (broken). The device may see the chain at once; it is
   told only by a kick. */
int vq_add(struct vq *vq, const struct vq_buf *b, unsigned n, void *token);
/* Should the device be notified about chains added since the last call?
   (Event index or the NO_NOTIFY flag decides.) */
bool vq_kick_prepare(struct vq *vq);
/* vq_kick_prepare and, if true, vq->notify. Returns whether it notified. */
bool vq_kick(struct vq *vq);

/* Next completed chain: its token, with *len the bytes the device wrote;
   NULL when there is none (or the queue is broken). */
void *vq_get_used(struct vq *vq, uint32_t *len);
/* Are there used entries not yet consumed? (Does not consume.) */
bool vq_has_used(struct vq *vq);

/* Ask the device not to interrupt for used buffers (a hint: one more
   interrupt may still come). */
void vq_disable_cb(struct vq *vq);
/* Ask for an interrupt at the next used buffer. Returns true when used
   entries are already pending, which the device may not interrupt for:
   the caller must poll again (and may disable callbacks again). */
bool vq_enable_cb(struct vq *vq);

/* After a device reset: take back one chain still in flight (its token),
   or NULL when none is left. Works on broken queues. */
void *vq_detach_unused(struct vq *vq);

static inline bool vq_broken(const struct vq *vq) { return vq->broken; }
static inline unsigned vq_num_free(const struct vq *vq) { return vq->num_free; }

/* Mark the queue broken with a reason (for transports that learn of a
   device failure, such as DEVICE_NEEDS_RESET). Prints one line. */
void vq_mark_broken(struct vq *vq, const char *why);

#endif
