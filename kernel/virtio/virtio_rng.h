/* kernel/virtio/virtio_rng.h — the virtio-rng device (virtio_rng.c). */
#ifndef KERNEL_VIRTIO_VIRTIO_RNG_H
#define KERNEL_VIRTIO_VIRTIO_RNG_H

/* At boot, after PCI and entropy_init, on the BSP alone: take RNG bytes
   from the first virtio-rng device, if any, into the entropy pool. */
void virtio_rng_init(void);

#endif
