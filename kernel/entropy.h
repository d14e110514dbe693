/*
 * kernel/entropy.h — random bytes for keys, nonces and session IDs: one
 * HMAC-DRBG (SHA-256, NIST SP 800-90A, BearSSL's) seeded from the
 * machine's entropy sources.
 *
 *	entropy_init();			boot, on the BSP: probes RDSEED and
 *					RDRAND (CPUID), seeds from them
 *	virtio_rng_init();		kernel/virtio/virtio_rng.h: adds the host's
 *	entropy_log();			"entropy: seeded from RDRAND virtio-rng"
 *	entropy_expect(ENTROPY_VIRTIO);	a driver that found a device and will
 *	entropy_add(ENTROPY_VIRTIO, b, n);  deliver its bytes soon; the first
 *					delivery seeds the DRBG if nothing else did
 *	rand_bytes(buf, n);		any task or CPU, any time after boot
 *	entropy_why(msg, len);		why rand_bytes refuses, for the console
 *
 * Sources. RDSEED (full entropy from the CPU's conditioner) is preferred,
 * RDRAND (the CPU's DRBG, reseeded by the conditioner) fills in, and
 * virtio-rng (the host's /dev/urandom through QEMU's virtio-rng-pci)
 * adds more. Whatever is present is mixed in; any one credited source is
 * enough to seed. The TSC is mixed in as well but credited with nothing:
 * a guest's cycle counter is visible to (and set by) the host.
 *
 * Reseeding. After every ENTROPY_RESEED_BYTES of output (or _CALLS calls)
 * the DRBG takes 32 fresh bytes from RDSEED/RDRAND when the CPU has them;
 * entropy_add mixes a driver's bytes in whenever they arrive.
 *
 * Errors: rand_bytes returns 0, -EAGAIN (a source is expected but none has
 * delivered: try again later) or -ENOSYS (this machine has no source:
 * no RDRAND/RDSEED and no virtio-rng device; it never will).
 *
 * Locking: one spinlock protects the DRBG; output is generated in chunks
 * of at most 256 bytes per hold, so interrupts are never off for long.
 * Callable from tasks and from the scheduler loop, not from interrupt
 * handlers (the DRBG's SHA-256 may use vector registers, which interrupt
 * handlers do not save: see tools/build-bearssl.sh).
 */
#ifndef KERNEL_ENTROPY_H
#define KERNEL_ENTROPY_H

#include <stddef.h>
#include <stdint.h>
#include <bearssl_rand.h>
#include "kernel/spinlock.h"

enum entropy_source {
	ENTROPY_RDSEED = 1u << 0,
	ENTROPY_RDRAND = 1u << 1,
	ENTROPY_VIRTIO = 1u << 2,
};

#define ENTROPY_SEED_BYTES	48	/* taken from each source at seeding */
#define ENTROPY_RESEED_BYTES	(64u << 10)
#define ENTROPY_RESEED_CALLS	1024u

/* One DRBG and what fed it. The kernel has one (entropy_init); tests make
   their own to reach the unseeded states. */
struct entropy {
	struct spinlock lock;		/* protects everything below */
	br_hmac_drbg_context drbg;
	unsigned present;		/* sources this machine has or expects */
	unsigned seeded_by;		/* sources that have delivered */
	unsigned hw;			/* RDSEED/RDRAND usable for reseeds */
	uint64_t out_since_reseed, calls_since_reseed;
	uint64_t reseeds;		/* from hardware, after the first seed */
	uint64_t added;			/* entropy_add deliveries */
	uint64_t bytes_out;
	uint64_t hw_failures;		/* words RDSEED/RDRAND did not give */
};

/* Probe the CPU (hw: the ENTROPY_RDSEED/RDRAND bits it may use, the
   result of entropy_cpu_sources() for the real one) and seed from it. */
void entropy_state_init(struct entropy *e, unsigned hw);
int entropy_state_read(struct entropy *e, void *buf, size_t n);
void entropy_state_expect(struct entropy *e, unsigned src);
void entropy_state_add(struct entropy *e, unsigned src, const void *buf, size_t n);
/* What the CPU offers: ENTROPY_RDSEED | ENTROPY_RDRAND, as CPUID says. */
unsigned entropy_cpu_sources(void);

/* The kernel's DRBG. */
void entropy_init(void);
/* One console line: what seeded it, or why nothing did. */
void entropy_log(void);
int rand_bytes(void *buf, size_t n);
void entropy_expect(unsigned src);
void entropy_add(unsigned src, const void *buf, size_t n);
/* 0 with msg naming the sources that seeded it; or rand_bytes's error
   with msg saying why (for "https: not started: ..."). */
int entropy_why(char *msg, size_t len);

struct entropy_stats {
	unsigned present, seeded_by;
	uint64_t reseeds, added, bytes_out, hw_failures;
};
void entropy_stats(struct entropy_stats *out);

#endif
