/*
 * kernel/virtio/virtio_rng.c — virtio-rng (virtio 1.0 section 5.4): the host's
 * random bytes, mixed into kernel/entropy.c at boot.
 *
 * The device has one queue of device-writable buffers; it fills each with
 * random bytes from the host (QEMU: its rng backend, /dev/urandom by
 * default) and returns it on the used ring. At boot, for the first
 * virtio-rng device on PCI or MMIO: set it up, post one buffer of
 * RNG_BYTES, kick, and poll the used ring (no interrupt is needed, and
 * none is enabled) for up to RNG_WAIT_MS. What comes back goes to
 * entropy_add(ENTROPY_VIRTIO); the device is then reset and its queue
 * freed. One delivery is enough: the DRBG never needs more than its seed,
 * and CPUs with RDRAND/RDSEED reseed it from those.
 *
 * It sits beside the transports it uses (kernel/virtio/virtio.h's call
 * order, through the same ops table as virtio-net), as machine-level code:
 * the entropy pool is the kernel's, and nothing of the network is needed.
 * kmain calls virtio_rng_init after pci_init and time_init, before the
 * other CPUs start (kernel/main.c, step 4).
 *
 * REJECTED: keeping the device for periodic reseeds. It would need an
 * interrupt or a poller hook for a queue that is used once a minute, while
 * HMAC-DRBG's security rests on its seed, not on reseeding.
 */
#include <string.h>
#include "kernel/console.h"
#include "kernel/entropy.h"
#include "kernel/time.h"
#include "kernel/virtio/virtio.h"
#include "kernel/virtio/virtio_mmio.h"
#include "kernel/virtio/virtio_pci.h"
#include "kernel/virtio/virtio_rng.h"

#define RNG_BYTES	64
#define RNG_WAIT_MS	2000

static uint8_t rng_buf[RNG_BYTES] __attribute__((aligned(64)));

static void rng_irq(void *arg)
{
	(void)arg;	/* polled at boot; the queue's interrupt stays unused */
}

/* Bytes the device delivered into rng_buf, or a negative errno. */
static int rng_read(struct virtio_dev *d, struct vq *vq)
{
	int err = virtio_start(d);
	if (!err)
		err = virtio_negotiate(d, 0);
	void *arg = NULL;
	if (!err)
		err = d->ops->intr_setup(d, 1, rng_irq, &arg, NULL, NULL) < 0 ? -EIO : 0;
	if (!err)
		err = virtio_queue(d, 0, 1, vq, "virtio-rng");
	if (err) {
		virtio_fail(d);
		return err;
	}
	vq_disable_cb(vq);
	virtio_driver_ok(d);
	struct vq_buf b = { (uint64_t)(uintptr_t)rng_buf, RNG_BYTES, true };
	err = vq_add(vq, &b, 1, rng_buf);
	if (err)
		return err;
	vq_kick(vq);
	uint64_t until = time_ns() + RNG_WAIT_MS * 1000000ull;
	uint32_t len = 0;
	while (!vq_get_used(vq, &len)) {
		if (vq_broken(vq) || time_ns() > until)
			return vq_broken(vq) ? -EIO : -ETIMEDOUT;
		delay_us(100);
	}
	return len > RNG_BYTES ? RNG_BYTES : (int)len;
}

void virtio_rng_init(void)
{
	struct virtio_dev *devs[1];
	unsigned n = virtio_pci_find(VIRTIO_ID_RNG, devs, 1);
	if (!n)
		n = virtio_mmio_find(VIRTIO_ID_RNG, devs, 1);
	if (!n)
		return;
	struct virtio_dev *d = devs[0];
	entropy_expect(ENTROPY_VIRTIO);
	static struct vq vq;
	int got = rng_read(d, &vq);
	if (got > 0)
		entropy_add(ENTROPY_VIRTIO, rng_buf, (size_t)got);
	memset(rng_buf, 0, sizeof rng_buf);
	d->ops->reset(d);
	if (vq.desc) {
		while (vq_detach_unused(&vq))
			;
		vq_free(&vq);
	}
	if (got > 0)
		kprintf("entropy: %d bytes from %s (%s)\n", got, d->name, d->ops->transport);
	else
		kprintf("entropy: %s delivered nothing (%d)\n", d->name, got);
}
