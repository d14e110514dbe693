// host-test-sources: kernel/virtio/virtqueue.c
/*
 * Host unit tests for kernel/virtio/virtqueue.c, against a fake device that takes
 * chains from the available ring and posts used entries the way QEMU's
 * virtio core does (including its event-index interrupt decision).
 * page_alloc/page_free and kprintf are faked here: pages come from
 * aligned_alloc (and must all come back), messages are kept for checks.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "kernel/console.h"
#include "kernel/page.h"
#include "kernel/virtio/virtqueue.h"
#include "tests/host/hosttest.h"

/* ---- fakes for the kernel ------------------------------------------------ */

static int pages_out;
static int fail_alloc_after = -1;	/* >= 0: that many more allocations succeed */
static char msg[1024];
static int nmsgs;

uint64_t page_alloc(void)
{
	if (fail_alloc_after == 0)
		return 0;
	if (fail_alloc_after > 0)
		fail_alloc_after--;
	void *p = aligned_alloc(4096, 4096);
	HT_CHECK(p != NULL);
	memset(p, 0, 4096);
	pages_out++;
	return (uint64_t)(uintptr_t)p;
}

/* Contiguous blocks (vq_init_legacy) are freed page by page: each is
   remembered with the pages still out, and freed with the last. */
static struct { uint8_t *base; unsigned n, out; } blocks[8];

uint64_t page_alloc_contig(uint64_t n)
{
	if (fail_alloc_after == 0)
		return 0;
	if (fail_alloc_after > 0)
		fail_alloc_after--;
	unsigned k = 0;
	while (k < 8 && blocks[k].base)
		k++;
	HT_CHECK(k < 8);
	uint8_t *p = aligned_alloc(4096, 4096 * n);
	HT_CHECK(p != NULL);
	memset(p, 0, 4096 * n);
	blocks[k].base = p, blocks[k].n = blocks[k].out = (unsigned)n;
	pages_out += (int)n;
	return (uint64_t)(uintptr_t)p;
}

void page_free(uint64_t pa)
{
	uint8_t *p = (uint8_t *)(uintptr_t)pa;
	pages_out--;
	for (unsigned k = 0; k < 8; k++)
		if (blocks[k].base && p >= blocks[k].base && p < blocks[k].base + 4096 * blocks[k].n) {
			HT_CHECK(((uintptr_t)(p - blocks[k].base) & 4095) == 0);
			if (--blocks[k].out == 0) {
				free(blocks[k].base);
				blocks[k].base = NULL;
			}
			return;
		}
	free(p);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	nmsgs++;
	return n;
}

/* ---- the fake device ------------------------------------------------------- */

struct fdev {
	struct vq *vq;
	uint16_t last_avail;	/* next avail entry to take */
	uint16_t used_idx;	/* our used->idx */
	uint16_t signalled;	/* used idx when we last decided on an interrupt */
	unsigned interrupts;
	unsigned notifies;	/* driver kicks received */
};

struct chain {
	uint16_t head;
	unsigned n;
	struct vring_desc d[VQ_MAX_NUM];
};

static struct fdev *notify_target;
static int pages_base;	/* pages_out before setup (a failed test leaks) */

static void fake_notify(struct vq *vq)
{
	HT_CHECK(notify_target && notify_target->vq == vq);
	notify_target->notifies++;
}

static void setup(struct vq *vq, struct fdev *f, unsigned num, bool event_idx)
{
	pages_base = pages_out;
	HT_EQ(vq_init(vq, "test-vq", 3, num, event_idx), 0);
	memset(f, 0, sizeof *f);
	f->vq = vq;
	vq->notify = fake_notify;
	notify_target = f;
	nmsgs = 0;
	msg[0] = 0;
}

static void teardown(struct vq *vq)
{
	while (vq_detach_unused(vq))
		;
	vq_free(vq);
	HT_EQ(pages_out, pages_base);
}

/* Start both sides' free-running indices at idx (as if idx round trips
   had happened), to put the wrap-around where a test wants it. */
static void start_at(struct vq *vq, struct fdev *f, uint16_t idx)
{
	vq->avail_idx = vq->kicked_idx = vq->last_used = idx;
	vq->avail->idx = idx;
	vq->used->idx = idx;
	*vq_used_event(vq) = idx;
	f->last_avail = f->used_idx = f->signalled = idx;
}

/* Take the next available chain into c, following the descriptors the
   way a device does. False when the ring is empty. */
static bool dev_take(struct fdev *f, struct chain *c)
{
	struct vq *vq = f->vq;
	if (vq->avail->idx == f->last_avail)
		return false;
	uint16_t i = vq->avail->ring[f->last_avail & (vq->num - 1)];
	f->last_avail++;
	c->head = i;
	c->n = 0;
	for (;;) {
		HT_CHECK(i < vq->num);
		HT_CHECK(c->n < vq->num);
		c->d[c->n++] = vq->desc[i];
		if (!(vq->desc[i].flags & VRING_DESC_F_NEXT))
			break;
		i = vq->desc[i].next;
	}
	return true;
}

/* Post a used entry, well formed or not. */
static void dev_put(struct fdev *f, uint32_t id, uint32_t len)
{
	struct vq *vq = f->vq;
	struct vring_used_elem *e = &vq->used->ring[f->used_idx & (vq->num - 1)];
	e->id = id;
	e->len = len;
	f->used_idx++;
	vq->used->idx = f->used_idx;
}

/* QEMU's virtio_split_should_notify: after posting, interrupt? */
static bool dev_interrupt(struct fdev *f)
{
	struct vq *vq = f->vq;
	uint16_t old = f->signalled, new = f->used_idx;
	bool need;
	f->signalled = new;
	if (vq->event_idx)
		need = vq_need_event(*vq_used_event(vq), new, old);
	else
		need = !(vq->avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
	if (need)
		f->interrupts++;
	return need;
}

static void *tok(unsigned k)
{
	return (void *)(uintptr_t)(0x1000 + k);
}

static int add1(struct vq *vq, unsigned k, uint32_t len, bool writes)
{
	struct vq_buf b = { 0x100000 + 0x1000ull * k, len, writes };
	return vq_add(vq, &b, 1, tok(k));
}

/* n round trips of one writable buffer each, checking tokens and lens. */
static void round_trips(struct vq *vq, struct fdev *f, unsigned n)
{
	struct chain c;
	for (unsigned k = 0; k < n; k++) {
		HT_EQ(add1(vq, k, 1500, true), 0);
		HT_CHECK(dev_take(f, &c));
		HT_EQ(c.n, 1);
		HT_EQ(c.d[0].addr, 0x100000 + 0x1000ull * k);
		dev_put(f, c.head, (uint32_t)(k % 1500));
		uint32_t len = 99999;
		HT_EQ(vq_get_used(vq, &len), tok(k));
		HT_EQ(len, k % 1500);
		HT_EQ(vq_get_used(vq, &len), NULL);
	}
	HT_EQ(vq_num_free(vq), vq->num);
}

/* ---- set-up ------------------------------------------------------------------ */

HT_TEST(init_checks_size)
{
	struct vq vq;
	int base = pages_out;
	HT_EQ(vq_init(&vq, "x", 0, 0, true), -EINVAL);
	HT_EQ(vq_init(&vq, "x", 0, 3, true), -EINVAL);
	HT_EQ(vq_init(&vq, "x", 0, 512, true), -EINVAL);
	HT_EQ(pages_out, base);
	HT_EQ(vq_init(&vq, "x", 0, 1, true), 0);
	vq_free(&vq);
	fail_alloc_after = 2;
	HT_EQ(vq_init(&vq, "x", 0, 8, true), -ENOMEM);
	fail_alloc_after = -1;
	HT_EQ(pages_out, base);
}

HT_TEST(init_state)
{
	struct vq vq;
	struct fdev f;
	setup(&vq, &f, 256, true);
	HT_EQ(vq.num, 256);
	HT_EQ(vq_num_free(&vq), 256);
	HT_STREQ(vq.name, "test-vq");
	HT_EQ(vq.index, 3);
	HT_CHECK(vq.cb_enabled);
	HT_EQ(vq.avail->idx, 0);
	HT_EQ(*vq_used_event(&vq), 0);
	HT_CHECK(!vq_broken(&vq));
	HT_EQ(vq_get_used(&vq, NULL), NULL);
	HT_CHECK(!vq_kick_prepare(&vq));	/* nothing added */
	teardown(&vq);
}

/* ---- the legacy layout ------------------------------------------------------------ */

/* Legacy virtio's one block: descriptors, then the available ring, then
   the used ring at the next 4096 bytes; the rings work as the modern ones
   do, and every page comes back. */
HT_TEST(legacy_layout_and_round_trips)
{
	unsigned sizes[] = { 8, 64, 256 };
	for (unsigned s = 0; s < 3; s++) {
		unsigned num = sizes[s];
		struct vq vq;
		struct fdev f;
		int base = pages_out;
		HT_EQ(vq_init_legacy(&vq, "legacy-vq", 0, num, true), 0);
		uint8_t *b = (uint8_t *)vq.desc;
		size_t avail_end = 16 * num + 6 + 2 * num;
		HT_EQ((uintptr_t)b & 4095, 0);
		HT_CHECK((uint8_t *)vq.avail == b + 16 * num);
		HT_CHECK((uint8_t *)vq.used == b + ((avail_end + 4095) & ~(size_t)4095));
		HT_CHECK((uint8_t *)vq_avail_event(&vq) + 2 <= b + 4096 * VQ_LEGACY_PAGES);
		memset(&f, 0, sizeof f);
		f.vq = &vq;
		vq.notify = fake_notify;
		notify_target = &f;
		pages_base = base;
		round_trips(&vq, &f, 3 * num + 5);
		teardown(&vq);
	}
}

HT_TEST(legacy_init_out_of_memory)
{
	int base = pages_out;
	struct vq vq;
	fail_alloc_after = 0;
	HT_EQ(vq_init_legacy(&vq, "legacy-vq", 0, 64, true), -ENOMEM);
	fail_alloc_after = 1;		/* the block, not the state page */
	HT_EQ(vq_init_legacy(&vq, "legacy-vq", 0, 64, true), -ENOMEM);
	fail_alloc_after = -1;
	HT_EQ(pages_out, base);
	HT_EQ(vq_init_legacy(&vq, "legacy-vq", 0, 3, true), -EINVAL);
}

/* ---- adding, chains, the free list -------------------------------------------- */

HT_TEST(round_trip_sizes_8_and_256)
{
	unsigned sizes[] = { 8, 256 };
	for (unsigned s = 0; s < 2; s++) {
		struct vq vq;
		struct fdev f;
		setup(&vq, &f, sizes[s], true);
		round_trips(&vq, &f, 3 * sizes[s] + 5);
		teardown(&vq);
	}
}

HT_TEST(chained_descriptors)
{
	struct vq vq;
	struct fdev f;
	struct chain c;
	setup(&vq, &f, 8, true);
	struct vq_buf b[3] = {
		{ 0x10000, 12, false }, { 0x20000, 100, false }, { 0x30000, 2048, true },
	};
	HT_EQ(vq_add(&vq, b, 3, tok(1)), 0);
	HT_EQ(vq_num_free(&vq), 5);
	HT_CHECK(dev_take(&f, &c));
	HT_EQ(c.n, 3);
	for (unsigned i = 0; i < 3; i++) {
		HT_EQ(c.d[i].addr, b[i].addr);
		HT_EQ(c.d[i].len, b[i].len);
		HT_EQ(!!(c.d[i].flags & VRING_DESC_F_WRITE), b[i].device_writes);
		HT_EQ(!!(c.d[i].flags & VRING_DESC_F_NEXT), i < 2);
	}
	/* A second chain of 5 takes every remaining descriptor. */
	struct vq_buf five[5];
	for (unsigned i = 0; i < 5; i++)
		five[i] = (struct vq_buf){ 0x40000 + i * 0x1000ull, 64, i >= 2 };
	HT_EQ(vq_add(&vq, five, 5, tok(2)), 0);
	HT_EQ(vq_num_free(&vq), 0);
	HT_EQ(add1(&vq, 3, 10, true), -ENOSPC);
	struct chain c2;
	HT_CHECK(dev_take(&f, &c2));
	HT_EQ(c2.n, 5);
	/* Completing in the other order gives every descriptor back. */
	dev_put(&f, c2.head, 3 * 64);
	dev_put(&f, c.head, 2048);
	uint32_t len;
	HT_EQ(vq_get_used(&vq, &len), tok(2));
	HT_EQ(len, 192);
	HT_EQ(vq_num_free(&vq), 5);
	HT_EQ(vq_get_used(&vq, &len), tok(1));
	HT_EQ(len, 2048);
	HT_EQ(vq_num_free(&vq), 8);
	/* And they chain up again as one chain of 8. */
	struct vq_buf eight[8];
	for (unsigned i = 0; i < 8; i++)
		eight[i] = (struct vq_buf){ 0x50000 + i * 0x1000ull, 1, false };
	HT_EQ(vq_add(&vq, eight, 8, tok(3)), 0);
	HT_CHECK(dev_take(&f, &c));
	HT_EQ(c.n, 8);
	teardown(&vq);
}

HT_TEST(bad_chains_rejected)
{
	struct vq vq;
	struct fdev f;
	setup(&vq, &f, 8, true);
	struct vq_buf wr_then_rd[2] = { { 0x1000, 10, true }, { 0x2000, 10, false } };
	struct vq_buf zero[1] = { { 0x1000, 0, false } };
	struct vq_buf ok[1] = { { 0x1000, 10, false } };
	HT_EQ(vq_add(&vq, wr_then_rd, 2, tok(1)), -EINVAL);
	HT_EQ(vq_add(&vq, zero, 1, tok(1)), -EINVAL);
	HT_EQ(vq_add(&vq, ok, 1, NULL), -EINVAL);
	HT_EQ(vq_add(&vq, ok, 0, tok(1)), -EINVAL);
	struct vq_buf nine[9];
	for (unsigned i = 0; i < 9; i++)
		nine[i] = (struct vq_buf){ 0x1000, 10, false };
	HT_EQ(vq_add(&vq, nine, 9, tok(1)), -ENOSPC);
	HT_EQ(vq_num_free(&vq), 8);
	HT_EQ(vq.avail->idx, 0);
	teardown(&vq);
}

HT_TEST(free_list_exhaustion_and_recycling)
{
	struct vq vq;
	struct fdev f;
	struct chain c[256];
	setup(&vq, &f, 256, true);
	for (unsigned round = 0; round < 3; round++) {
		unsigned k;
		for (k = 0; k < 256; k++)
			HT_EQ(add1(&vq, k, 64, true), 0);
		HT_EQ(vq_num_free(&vq), 0);
		HT_EQ(add1(&vq, 999, 64, true), -ENOSPC);
		for (k = 0; k < 256; k++)
			HT_CHECK(dev_take(&f, &c[k]));
		/* Odd ones first, then even: out of order. */
		for (k = 1; k < 256; k += 2)
			dev_put(&f, c[k].head, 1);
		for (k = 1; k < 256; k += 2)
			HT_EQ(vq_get_used(&vq, NULL), tok(k));
		HT_EQ(vq_num_free(&vq), 128);
		/* Refill the holes with chains of two, with fresh tokens. */
		for (k = 0; k < 64; k++) {
			struct vq_buf b[2] = { { 0x1000, 8, false }, { 0x2000, 8, true } };
			HT_EQ(vq_add(&vq, b, 2, tok(1000 + k)), 0);
		}
		HT_EQ(vq_num_free(&vq), 0);
		for (k = 0; k < 256; k += 2)
			dev_put(&f, c[k].head, 64);
		for (k = 0; k < 256; k += 2)
			HT_EQ(vq_get_used(&vq, NULL), tok(k));
		for (k = 0; k < 64; k++) {
			struct chain cc;
			HT_CHECK(dev_take(&f, &cc));
			HT_EQ(cc.n, 2);
			dev_put(&f, cc.head, 8);
			HT_EQ(vq_get_used(&vq, NULL), tok(1000 + k));
		}
		HT_EQ(vq_num_free(&vq), 256);
		HT_EQ(vq.in_flight, 0);
	}
	teardown(&vq);
}

/* ---- index wrap-around ------------------------------------------------------------ */

HT_TEST(wrap_around_from_65530)
{
	unsigned sizes[] = { 8, 256 };
	for (unsigned s = 0; s < 2; s++) {
		struct vq vq;
		struct fdev f;
		setup(&vq, &f, sizes[s], true);
		start_at(&vq, &f, 65530);
		round_trips(&vq, &f, 20);
		HT_EQ(vq.avail->idx, (uint16_t)(65530 + 20));
		HT_EQ(vq.last_used, (uint16_t)(65530 + 20));
		teardown(&vq);
	}
}

HT_TEST(wrap_around_with_full_ring_in_flight)
{
	struct vq vq;
	struct fdev f;
	struct chain c[8];
	setup(&vq, &f, 8, true);
	start_at(&vq, &f, 65533);	/* the 8 entries straddle 65535 -> 0 */
	for (unsigned k = 0; k < 8; k++)
		HT_EQ(add1(&vq, k, 100, true), 0);
	HT_EQ(vq.avail->idx, 5);
	for (unsigned k = 0; k < 8; k++)
		HT_CHECK(dev_take(&f, &c[k]));
	HT_CHECK(!dev_take(&f, &c[0]));
	for (unsigned k = 0; k < 8; k++)
		dev_put(&f, c[k].head, 100);
	HT_EQ(vq.used->idx, 5);
	for (unsigned k = 0; k < 8; k++)
		HT_EQ(vq_get_used(&vq, NULL), tok(k));
	HT_CHECK(!vq_broken(&vq));
	teardown(&vq);
}

HT_TEST(wrap_around_naturally)
{
	struct vq vq;
	struct fdev f;
	setup(&vq, &f, 8, true);
	round_trips(&vq, &f, 70000);	/* 16-bit indices wrap once */
	HT_EQ(vq.avail->idx, (uint16_t)70000);
	HT_CHECK(!vq_broken(&vq));
	teardown(&vq);
}

/* ---- event index arithmetic and notification ---------------------------------------- */

/* vq_need_event against its definition: event in [old, new) mod 2^16. */
HT_TEST(need_event_matches_definition)
{
	uint16_t bases[] = { 0, 1, 100, 32767, 32768, 65000, 65534, 65535 };
	for (unsigned b = 0; b < sizeof bases / sizeof bases[0]; b++)
		for (unsigned dist = 0; dist <= 300; dist += 7)
			for (int e = -10; e <= 310; e++) {
				uint16_t old = bases[b], new = (uint16_t)(old + dist);
				uint16_t ev = (uint16_t)(old + e);
				bool want = (uint16_t)(ev - old) < dist;
				HT_EQ(vq_need_event(ev, new, old), want);
			}
}

HT_TEST(kick_exactly_when_device_asked)
{
	struct vq vq;
	struct fdev f;
	setup(&vq, &f, 8, true);
	*vq_avail_event(&vq) = 2;	/* "kick me when avail idx passes 2" */
	HT_EQ(add1(&vq, 0, 10, false), 0);	/* 0 -> 1 */
	HT_CHECK(!vq_kick(&vq));
	HT_EQ(add1(&vq, 1, 10, false), 0);	/* 1 -> 2 */
	HT_CHECK(!vq_kick(&vq));
	HT_EQ(add1(&vq, 2, 10, false), 0);	/* 2 -> 3: passes 2 */
	HT_CHECK(vq_kick(&vq));
	HT_EQ(f.notifies, 1);
	HT_EQ(add1(&vq, 3, 10, false), 0);	/* 3 -> 4: event behind */
	HT_CHECK(!vq_kick(&vq));
	/* A batch that jumps over the event: 4 -> 7 with event 5. */
	*vq_avail_event(&vq) = 5;
	for (unsigned k = 4; k < 7; k++)
		HT_EQ(add1(&vq, k, 10, false), 0);
	HT_CHECK(vq_kick(&vq));
	HT_EQ(f.notifies, 2);
	HT_CHECK(!vq_kick(&vq));		/* nothing new since */
	HT_EQ(vq.nkicks, 2);
	HT_EQ(vq.nkicks_suppressed, 3);
	teardown(&vq);
}

HT_TEST(kick_event_across_wrap)
{
	struct vq vq;
	struct fdev f;
	setup(&vq, &f, 8, true);
	start_at(&vq, &f, 65534);
	*vq_avail_event(&vq) = 65535;		/* wants 65535 -> 0 */
	HT_EQ(add1(&vq, 0, 10, false), 0);	/* 65534 -> 65535 */
	HT_CHECK(!vq_kick_prepare(&vq));
	HT_EQ(add1(&vq, 1, 10, false), 0);	/* 65535 -> 0 */
	HT_CHECK(vq_kick_prepare(&vq));
	*vq_avail_event(&vq) = 0;		/* wants 0 -> 1, batch 0 -> 3 */
	for (unsigned k = 2; k < 5; k++)
		HT_EQ(add1(&vq, k, 10, false), 0);
	HT_CHECK(vq_kick_prepare(&vq));
	teardown(&vq);
}

HT_TEST(kick_without_event_idx_follows_flag)
{
	struct vq vq;
	struct fdev f;
	setup(&vq, &f, 8, false);
	HT_EQ(add1(&vq, 0, 10, false), 0);
	HT_CHECK(vq_kick(&vq));
	vq.used->flags = VRING_USED_F_NO_NOTIFY;
	HT_EQ(add1(&vq, 1, 10, false), 0);
	HT_CHECK(!vq_kick(&vq));
	vq.used->flags = 0;
	HT_EQ(add1(&vq, 2, 10, false), 0);
	HT_CHECK(vq_kick(&vq));
	HT_EQ(f.notifies, 2);
	teardown(&vq);
}

/* The device interrupts exactly for the first entry the driver has not
   consumed while callbacks are on, and not while they are off. */
HT_TEST(interrupt_suppression_event_idx)
{
	struct vq vq;
	struct fdev f;
	struct chain c;
	setup(&vq, &f, 8, true);
	start_at(&vq, &f, 65532);
	for (unsigned k = 0; k < 6; k++)
		HT_EQ(add1(&vq, k, 10, true), 0);
	HT_CHECK(dev_take(&f, &c));
	dev_put(&f, c.head, 1);
	HT_CHECK(dev_interrupt(&f));		/* first completion: interrupt */
	HT_CHECK(dev_take(&f, &c));
	dev_put(&f, c.head, 1);
	HT_CHECK(!dev_interrupt(&f));		/* driver has not caught up */
	HT_EQ(vq_get_used(&vq, NULL), tok(0));
	HT_EQ(vq_get_used(&vq, NULL), tok(1));
	HT_EQ(*vq_used_event(&vq), (uint16_t)(65532 + 2));
	HT_CHECK(dev_take(&f, &c));
	dev_put(&f, c.head, 1);
	HT_CHECK(dev_interrupt(&f));		/* crosses 65534 */

	/* Callbacks off: the driver polls, the device stays quiet. */
	vq_disable_cb(&vq);
	HT_EQ(vq_get_used(&vq, NULL), tok(2));
	for (unsigned k = 3; k < 6; k++) {
		HT_CHECK(dev_take(&f, &c));
		dev_put(&f, c.head, 1);
		HT_CHECK(!dev_interrupt(&f));
	}
	/* Re-enable with work pending: the caller is told to poll. */
	HT_CHECK(vq_enable_cb(&vq));
	for (unsigned k = 3; k < 6; k++)
		HT_EQ(vq_get_used(&vq, NULL), tok(k));
	HT_CHECK(!vq_enable_cb(&vq));		/* now empty: safe to sleep */
	HT_EQ(add1(&vq, 6, 10, true), 0);
	HT_CHECK(dev_take(&f, &c));
	dev_put(&f, c.head, 1);
	HT_CHECK(dev_interrupt(&f));		/* and the next one interrupts */
	HT_EQ(f.interrupts, 3);
	teardown(&vq);
}

/* The enable/re-check race: an entry completed between the driver's
   last poll and vq_enable_cb is reported by vq_enable_cb. */
HT_TEST(enable_cb_sees_entry_from_the_race_window)
{
	struct vq vq;
	struct fdev f;
	struct chain c;
	setup(&vq, &f, 8, true);
	vq_disable_cb(&vq);
	HT_EQ(add1(&vq, 0, 10, true), 0);
	HT_EQ(vq_get_used(&vq, NULL), NULL);	/* driver polls: empty */
	HT_CHECK(dev_take(&f, &c));
	dev_put(&f, c.head, 1);			/* device completes now... */
	HT_CHECK(!dev_interrupt(&f));		/* ...without an interrupt */
	HT_CHECK(vq_enable_cb(&vq));		/* but the re-check sees it */
	HT_EQ(vq_get_used(&vq, NULL), tok(0));
	teardown(&vq);
}

HT_TEST(interrupt_suppression_flags)
{
	struct vq vq;
	struct fdev f;
	struct chain c;
	setup(&vq, &f, 8, false);
	HT_EQ(add1(&vq, 0, 10, true), 0);
	HT_EQ(add1(&vq, 1, 10, true), 0);
	vq_disable_cb(&vq);
	HT_EQ(vq.avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
	HT_CHECK(dev_take(&f, &c));
	dev_put(&f, c.head, 1);
	HT_CHECK(!dev_interrupt(&f));
	HT_CHECK(vq_enable_cb(&vq));
	HT_EQ(vq.avail->flags, 0);
	HT_EQ(vq_get_used(&vq, NULL), tok(0));
	HT_CHECK(dev_take(&f, &c));
	dev_put(&f, c.head, 1);
	HT_CHECK(dev_interrupt(&f));
	teardown(&vq);
}

/* ---- a device that breaks the protocol ------------------------------------------------ */

/* The queue is broken, the message names it and the fault, and every
   later operation refuses; in-flight buffers can still be detached. */
static void check_broken(struct vq *vq, const char *fault)
{
	HT_EQ(vq_get_used(vq, NULL), NULL);	/* where the device is checked */
	HT_CHECK(vq_broken(vq));
	HT_EQ(nmsgs, 1);
	HT_CHECK(strstr(msg, "test-vq") != NULL);
	HT_CHECK(strstr(msg, "broken") != NULL);
	if (!strstr(msg, fault))
		ht_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", msg, fault);
	HT_EQ(vq_get_used(vq, NULL), NULL);
	HT_EQ(add1(vq, 77, 10, true), -EIO);
	HT_CHECK(!vq_kick_prepare(vq));
	HT_CHECK(!vq_enable_cb(vq));
	HT_CHECK(!vq_has_used(vq));
	HT_EQ(nmsgs, 1);			/* said once */
	unsigned n = 0;
	while (vq_detach_unused(vq))
		n++;
	HT_EQ(vq_num_free(vq), vq->num);
	HT_CHECK(n > 0);
}

HT_TEST(broken_id_out_of_range)
{
	struct vq vq;
	struct fdev f;
	struct chain c;
	setup(&vq, &f, 8, true);
	HT_EQ(add1(&vq, 0, 10, true), 0);
	HT_CHECK(dev_take(&f, &c));
	dev_put(&f, 8, 1);
	check_broken(&vq, "out of range");
	teardown(&vq);
}

HT_TEST(broken_id_not_in_flight)
{
	struct vq vq;
	struct fdev f;
	struct chain c;
	setup(&vq, &f, 8, true);
	struct vq_buf b[2] = { { 0x1000, 8, false }, { 0x2000, 8, true } };
	HT_EQ(vq_add(&vq, b, 2, tok(0)), 0);
	HT_CHECK(dev_take(&f, &c));
	dev_put(&f, c.d[0].next, 1);		/* the chain's second descriptor */
	check_broken(&vq, "not a buffer in flight");
	teardown(&vq);
}

HT_TEST(broken_duplicate_completion)
{
	struct vq vq;
	struct fdev f;
	struct chain c;
	setup(&vq, &f, 8, true);
	HT_EQ(add1(&vq, 0, 10, true), 0);
	HT_EQ(add1(&vq, 1, 10, true), 0);
	HT_CHECK(dev_take(&f, &c));
	dev_put(&f, c.head, 1);
	HT_EQ(vq_get_used(&vq, NULL), tok(0));
	dev_put(&f, c.head, 1);			/* the same head again */
	check_broken(&vq, "completed twice");
	teardown(&vq);
}

HT_TEST(broken_len_too_long)
{
	struct vq vq;
	struct fdev f;
	struct chain c;
	setup(&vq, &f, 8, true);
	struct vq_buf b[2] = { { 0x1000, 12, false }, { 0x2000, 1500, true } };
	HT_EQ(vq_add(&vq, b, 2, tok(0)), 0);
	HT_CHECK(dev_take(&f, &c));
	dev_put(&f, c.head, 1501);		/* only 1500 are writable */
	check_broken(&vq, "len 1501");
	teardown(&vq);
}

HT_TEST(broken_len_on_read_only_chain)
{
	struct vq vq;
	struct fdev f;
	struct chain c;
	setup(&vq, &f, 8, true);
	HT_EQ(add1(&vq, 0, 1500, false), 0);
	HT_CHECK(dev_take(&f, &c));
	dev_put(&f, c.head, 1);
	check_broken(&vq, "more than the 0 bytes");
	teardown(&vq);
}

HT_TEST(broken_idx_jump)
{
	struct vq vq;
	struct fdev f;
	setup(&vq, &f, 8, true);
	start_at(&vq, &f, 65530);
	for (unsigned k = 0; k < 3; k++)
		HT_EQ(add1(&vq, k, 10, true), 0);
	vq.used->idx = (uint16_t)(65530 + 9);	/* ring size + 1 ahead */
	check_broken(&vq, "jumped from 65530 to 3");
	teardown(&vq);
}

HT_TEST(broken_idx_ahead_of_in_flight)
{
	struct vq vq;
	struct fdev f;
	struct chain c;
	setup(&vq, &f, 256, true);
	HT_EQ(add1(&vq, 0, 10, true), 0);
	HT_EQ(add1(&vq, 1, 10, true), 0);
	HT_CHECK(dev_take(&f, &c));
	dev_put(&f, c.head, 1);
	vq.used->idx = 3;			/* 3 used, 2 in flight */
	check_broken(&vq, "only 2 buffers in flight");
	teardown(&vq);
}

HT_TEST(mark_broken_by_transport)
{
	struct vq vq;
	struct fdev f;
	setup(&vq, &f, 8, true);
	HT_EQ(add1(&vq, 0, 10, true), 0);
	vq_mark_broken(&vq, "device needs reset");
	check_broken(&vq, "device needs reset");
	teardown(&vq);
}

/* ---- teardown --------------------------------------------------------------------- */

HT_TEST(detach_unused_returns_everything)
{
	struct vq vq;
	struct fdev f;
	setup(&vq, &f, 8, true);
	unsigned seen = 0;
	for (unsigned k = 0; k < 4; k++) {
		struct vq_buf b[2] = { { 0x1000, 8, false }, { 0x2000, 8, true } };
		HT_EQ(vq_add(&vq, b, 2, tok(k)), 0);
	}
	void *t;
	while ((t = vq_detach_unused(&vq))) {
		uintptr_t k = (uintptr_t)t - 0x1000;
		HT_CHECK(k < 4 && !(seen & (1u << k)));
		seen |= 1u << k;
	}
	HT_EQ(seen, 0xf);
	HT_EQ(vq_num_free(&vq), 8);
	HT_EQ(vq.in_flight, 0);
	teardown(&vq);
}
